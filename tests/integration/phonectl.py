#!/usr/bin/env python3
"""Send one command to a headless baresip through its ctrl_tcp module (netstring-framed JSON)
and print the response text. usage: phonectl.py PORT COMMAND [PARAMS]
phonectl.py PORT --incoming SECONDS: wait for the next incoming call's first event and print
who it is from, as the phone shows it: "DISPLAYNAME|URI" (baresip keeps one control
connection, so no other command may be sent to that phone meanwhile)."""
import json
import socket
import sys


def netstring(data):
    return str(len(data)).encode() + b":" + data + b","


def read_netstring(sock):
    buf = b""
    while b":" not in buf:
        chunk = sock.recv(1)
        if not chunk:
            raise EOFError
        buf += chunk
    n = int(buf[:-1])
    data = b""
    while len(data) < n + 1:
        chunk = sock.recv(n + 1 - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data[:-1]


def incoming(port, seconds):
    s = socket.create_connection(("127.0.0.1", port), timeout=seconds)
    while True:
        msg = json.loads(read_netstring(s))
        if msg.get("event") and msg.get("direction") == "incoming" and "peeruri" in msg:
            print(f"{msg.get('peerdisplayname', '')}|{msg.get('peeruri', '')}")
            sys.exit(0)


def main():
    port, command = int(sys.argv[1]), sys.argv[2]
    if command == "--incoming":
        incoming(port, float(sys.argv[3]))
    params = sys.argv[3] if len(sys.argv) > 3 else ""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(netstring(json.dumps({"command": command, "params": params, "token": "t"}).encode()))
    while True:  # events may come first; wait for our response
        msg = json.loads(read_netstring(s))
        if msg.get("response"):
            print(msg.get("data", ""))
            sys.exit(0 if msg.get("ok") else 1)


if __name__ == "__main__":
    main()

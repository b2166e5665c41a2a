#!/usr/bin/env python3
"""A phone registered over TLS whose calls a sipp UAS answers: registers EXT over a verified TLS
connection to Sotto (MD5 digest), then relays that connection to sipp listening on TCP, so
Sotto reaches sipp through TLS the way it reaches a phone (over the phone's connection).
usage: tls_phone.py TLS_PORT CA_FILE EXT PASSWORD SIPP_TCP_PORT
Prints "registered" once the REGISTER got its 200, then relays until either side closes."""
import hashlib
import os
import re
import select
import socket
import ssl
import sys
import time

tls_port, ca, ext, password, sipp_port = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
realm = "sotto.test"
ctx = ssl.create_default_context(cafile=ca)
tls = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(tls_port))),
                      server_hostname="127.0.0.1")
local = tls.getsockname()[1]
call_id = os.urandom(8).hex()
buf = b""


def read_msg():
    """One SIP message from the stream (framed by Content-Length)."""
    global buf
    while True:
        head, sep, rest = buf.partition(b"\r\n\r\n")
        if sep:
            m = re.search(rb"(?im)^content-length:\s*(\d+)", head)
            n = int(m.group(1)) if m else 0
            if len(rest) >= n:
                buf = rest[n:]
                return (head + sep + rest[:n]).decode()
        data = tls.recv(65535)
        if not data:
            raise SystemExit("connection closed")
        buf += data


def register(cseq, auth=None):
    lines = [f"REGISTER sip:{realm} SIP/2.0",
             f"Via: SIP/2.0/TLS 127.0.0.1:{local};branch=z9hG4bK{os.urandom(6).hex()};rport",
             "Max-Forwards: 70", f"From: <sip:{ext}@{realm}>;tag={os.urandom(4).hex()}",
             f"To: <sip:{ext}@{realm}>", f"Call-ID: {call_id}", f"CSeq: {cseq} REGISTER",
             f"Contact: <sip:{ext}@127.0.0.1:{local};transport=tls>", "Expires: 600"]
    if auth:
        lines.append("Authorization: " + auth)
    tls.sendall(("\r\n".join(lines + ["Content-Length: 0", "", ""])).encode())
    while True:
        data = read_msg()
        code = int(data.split(" ", 2)[1])
        if code != 100:
            return code, data


code, data = register(1)
assert code == 401, code
md5 = [l for l in data.split("\r\n") if l.startswith("WWW-Authenticate:") and
       ("MD5" in l or "algorithm" not in l)][0]
p = dict(re.findall(r'(\w+)="?([^",]*)"?', md5.split(":", 1)[1]))
H = lambda x: hashlib.md5(x.encode()).hexdigest()
cnonce, uri = os.urandom(4).hex(), f"sip:{realm}"
resp = H(f"{H(f'{ext}:{realm}:{password}')}:{p['nonce']}:00000001:{cnonce}:auth:{H('REGISTER:' + uri)}")
code, _ = register(2, f'Digest username="{ext}", realm="{realm}", nonce="{p["nonce"]}", uri="{uri}", '
                      f'response="{resp}", algorithm=MD5, cnonce="{cnonce}", qop=auth, nc=00000001, '
                      f'opaque="{p.get("opaque", "")}"')
assert code == 200, code
for _ in range(100):
    try:
        sipp = socket.create_connection(("127.0.0.1", sipp_port))
        break
    except OSError:
        time.sleep(0.1)
else:
    raise SystemExit("sipp not listening")
print("registered", flush=True)
if buf:
    sipp.sendall(buf)
while True:
    for s in [tls] if tls.pending() else select.select([tls, sipp], [], [])[0]:
        data = s.recv(65535)
        if not data:
            sys.exit(0)
        (sipp if s is tls else tls).sendall(data)

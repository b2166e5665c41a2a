#!/usr/bin/env python3
"""Register an extension over UDP from a given local port (MD5 digest), so that a sipp UAS that
then binds that port is where Sotto sends the extension's calls.
usage: sipreg.py SERVER_PORT LOCAL_PORT EXT PASSWORD"""
import hashlib
import os
import re
import socket
import sys

server, local, ext, password = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
realm = "sotto.test"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", local))
s.settimeout(3)
call_id = os.urandom(8).hex()


def register(cseq, auth=None):
    lines = [f"REGISTER sip:{realm} SIP/2.0",
             f"Via: SIP/2.0/UDP 127.0.0.1:{local};branch=z9hG4bK{os.urandom(6).hex()};rport",
             "Max-Forwards: 70", f"From: <sip:{ext}@{realm}>;tag={os.urandom(4).hex()}",
             f"To: <sip:{ext}@{realm}>", f"Call-ID: {call_id}", f"CSeq: {cseq} REGISTER",
             f"Contact: <sip:{ext}@127.0.0.1:{local}>", "Expires: 600"]
    if auth:
        lines.append("Authorization: " + auth)
    s.sendto(("\r\n".join(lines + ["Content-Length: 0", "", ""])).encode(), ("127.0.0.1", server))
    while True:
        data = s.recv(65535).decode()
        code = int(data.split(" ", 2)[1])
        if code != 100:
            return code, data


code, data = register(1)
assert code == 401, code
# the MD5 challenge: algorithm=MD5, or no algorithm at all (RFC 2617 default)
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
print("registered")

#!/usr/bin/env python3
"""A TLS callee for sipp, which cannot speak TLS itself. Run by socat, which holds the TLS
connection to the server and gives us its plain side on stdin/stdout:

  socat OPENSSL:SERVER,sourceport=LOCAL,... SYSTEM:"tls_callee.py EXT PASSWORD LOCAL UAS_PORT"

We REGISTER EXT over that connection (MD5 digest, Contact at the connection's own source port
with transport=tls, the way a phone keeps its flow), then replace ourselves with a second socat
that joins the connection to the sipp UAS listening on TCP UAS_PORT: the server reuses the
registered connection for its INVITEs, and sipp answers over it. A status line goes to stderr.
usage: tls_callee.py EXT PASSWORD LOCAL_PORT UAS_PORT"""
import hashlib
import os
import re
import sys

ext, password, local, uas = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
realm = "sotto.test"
call_id = os.urandom(8).hex()
buf = b""


def read_msg():
    """One whole SIP message from stdin (headers, then Content-Length bytes of body)."""
    global buf
    while True:
        end = buf.find(b"\r\n\r\n")
        if end >= 0:
            m = re.search(rb"\r\n(?:Content-Length|l)\s*:\s*(\d+)", buf[:end], re.I)
            total = end + 4 + (int(m.group(1)) if m else 0)
            if len(buf) >= total:
                msg, buf = buf[:total], buf[total:]
                return msg.decode()
        data = os.read(0, 65536)
        if not data:
            sys.exit("tls_callee: connection closed")
        buf += data


def register(cseq, auth=None):
    lines = [f"REGISTER sip:{realm} SIP/2.0",
             f"Via: SIP/2.0/TLS 127.0.0.1:{local};branch=z9hG4bK{os.urandom(6).hex()};rport",
             "Max-Forwards: 70", f"From: <sip:{ext}@{realm}>;tag={os.urandom(4).hex()}",
             f"To: <sip:{ext}@{realm}>", f"Call-ID: {call_id}", f"CSeq: {cseq} REGISTER",
             f"Contact: <sip:{ext}@127.0.0.1:{local};transport=tls>", "Expires: 600"]
    if auth:
        lines.append("Authorization: " + auth)
    os.write(1, ("\r\n".join(lines + ["Content-Length: 0", "", ""])).encode())
    while True:
        data = read_msg()
        code = int(data.split(" ", 2)[1])
        if code != 100:
            return code, data


code, data = register(1)
if code != 401:
    sys.exit(f"tls_callee: REGISTER answered {code}")
md5 = [l for l in data.split("\r\n") if l.startswith("WWW-Authenticate:") and
       ("MD5" in l or "algorithm" not in l)][0]
p = dict(re.findall(r'(\w+)="?([^",]*)"?', md5.split(":", 1)[1]))
H = lambda x: hashlib.md5(x.encode()).hexdigest()
cnonce, uri = os.urandom(4).hex(), f"sip:{realm}"
resp = H(f"{H(f'{ext}:{realm}:{password}')}:{p['nonce']}:00000001:{cnonce}:auth:{H('REGISTER:' + uri)}")
code, _ = register(2, f'Digest username="{ext}", realm="{realm}", nonce="{p["nonce"]}", uri="{uri}", '
                      f'response="{resp}", algorithm=MD5, cnonce="{cnonce}", qop=auth, nc=00000001, '
                      f'opaque="{p.get("opaque", "")}"')
if code != 200:
    sys.exit(f"tls_callee: authenticated REGISTER answered {code}")
if buf:
    sys.exit("tls_callee: unexpected bytes after the 200")
print("registered", file=sys.stderr, flush=True)
os.execvp("socat", ["socat", "-", f"TCP:127.0.0.1:{uas}"])

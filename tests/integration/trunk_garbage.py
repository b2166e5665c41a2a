#!/usr/bin/env python3
"""Garbage at Sotto's UDP port, as a broken or hostile provider might send: random bytes, a
malformed response, a stray response, an empty datagram, and a malformed request that can be
answered (its 400 must come back). Usage: trunk_garbage.py SOTTO_PORT"""
import os
import socket
import sys

port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.settimeout(3)
dst = ("127.0.0.1", port)
me = s.getsockname()[1]

for _ in range(50):
    s.sendto(os.urandom(1 + os.urandom(1)[0] * 4), dst)
s.sendto(b"", dst)
s.sendto(b"SIP/2.0 200 OK\r\nVia: garbage\r\n\r\n", dst)
s.sendto(b"SIP/2.0 999999 Huh\r\n\r\n", dst)
s.sendto(("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bKnomatch\r\n"
          "From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>;tag=2\r\nCall-ID: stray\r\n"
          "CSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n" % me).encode(), dst)
bad = ("OPTIONS sip:x@127.0.0.1 SIP/2.0\r\n"
       "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bKgarbage1;rport\r\n"
       "From: <sip:p@127.0.0.1>;tag=g1\r\nTo: <sip:x@127.0.0.1>\r\nCall-ID: garbage-1\r\n"
       "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n" % me).encode()
s.sendto(bad, dst)
while True:
    try:
        data, _ = s.recvfrom(65535)
    except socket.timeout:
        print("no answer to the malformed request")
        sys.exit(1)
    if data.startswith(b"SIP/2.0 400 ") and b"garbage-1" in data:
        print("400 for the malformed request")
        sys.exit(0)

#!/usr/bin/env python3
"""Plain RTP through the relay, both ways at once, independent of Sotto's code.
usage: rtp_probe.py A_PORT SOTTO_A_PORT B_PORT SOTTO_B_PORT [COUNT] [PT]
Binds 127.0.0.1:A_PORT and :B_PORT (the ports the two parties' SDP announced), sends COUNT
20 ms packets of payload type PT (default 0, PCMU) from A to Sotto's A-side port and from B to
its B-side port, and prints what arrived on the other side: "a>b N pt=P b>a N pt=P".
Exits 1 unless at least half of each direction arrived, with the payload type sent."""
import os
import select
import socket
import struct
import sys
import time

a_port, sa_port, b_port, sb_port = (int(x) for x in sys.argv[1:5])
count = int(sys.argv[5]) if len(sys.argv) > 5 else 50
pt = int(sys.argv[6]) if len(sys.argv) > 6 else 0


def sock(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", port))
    s.setblocking(False)
    return s


a, b = sock(a_port), sock(b_port)
ssrc_a, ssrc_b = struct.unpack("!II", os.urandom(8))
got = {a: [], b: []}  # what arrived at each socket
for seq in range(count):
    for s, to, ssrc, fill in ((a, sa_port, ssrc_a, 0x55), (b, sb_port, ssrc_b, 0xAA)):
        hdr = struct.pack("!BBHII", 0x80, pt, seq, seq * 160, ssrc)
        s.sendto(hdr + bytes([fill]) * 160, ("127.0.0.1", to))
    end = time.monotonic() + 0.02
    while (left := end - time.monotonic()) > 0:
        for s in select.select([a, b], [], [], left)[0]:
            data = s.recv(2048)
            if len(data) >= 12:
                got[s].append((data[1] & 0x7F, data[12:13]))
time.sleep(0.2)
for s in (a, b):
    try:
        while True:
            data = s.recv(2048)
            got[s].append((data[1] & 0x7F, data[12:13]))
    except BlockingIOError:
        pass


def summary(s, fill):
    ok = [p for p, first in got[s] if first == bytes([fill])]
    pts = sorted({p for p, _ in got[s]})
    return len(ok), pts


n_ab, pts_ab = summary(b, 0x55)
n_ba, pts_ba = summary(a, 0xAA)
print(f"a>b {n_ab} pt={','.join(map(str, pts_ab))} b>a {n_ba} pt={','.join(map(str, pts_ba))}")
sys.exit(0 if n_ab >= count // 2 and n_ba >= count // 2 and pts_ab == [pt] and pts_ba == [pt]
         else 1)

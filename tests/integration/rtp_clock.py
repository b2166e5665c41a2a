#!/usr/bin/env python3
"""The RTP clock the relay uses for a stream, measured from outside.
usage: rtp_clock.py A_PORT SOTTO_A_PORT B_PORT PT HZ
Binds 127.0.0.1:A_PORT and :B_PORT (the ports the two parties' SDP announced), sends 20 ms
packets of payload type PT stamped at HZ from A to Sotto's A-side port, stops for 0.6 s and
starts again with a new SSRC (a restarted sender). The relay keeps its stream toward B
continuous across the restart and advances its timestamp by the time that passed at its own
clock rate: the jump seen at B over the time between the two packets around the gap is that
rate. Prints "clock N Hz"; exits 1 unless N is within 15% of HZ."""
import os
import select
import socket
import struct
import sys
import time

a_port, sa_port, b_port, pt, hz = (int(x) for x in sys.argv[1:6])


def sock(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", port))
    s.setblocking(False)
    return s


a, b = sock(a_port), sock(b_port)
got = []  # (arrival, marker byte, output timestamp) at B


def drain(until):
    while (left := until - time.monotonic()) > 0:
        if select.select([b], [], [], left)[0]:
            data = b.recv(2048)
            if len(data) > 12:
                got.append((time.monotonic(), data[12], struct.unpack("!I", data[4:8])[0]))


for burst, marker in ((0, 0x11), (1, 0x22)):
    ssrc, ts0 = struct.unpack("!II", os.urandom(8))
    for seq in range(25):
        hdr = struct.pack("!BBHII", 0x80, pt, (ts0 + seq) & 0xFFFF,
                          (ts0 + seq * hz // 50) & 0xFFFFFFFF, ssrc)
        a.sendto(hdr + bytes([marker]) * 160, ("127.0.0.1", sa_port))
        drain(time.monotonic() + 0.02)
    drain(time.monotonic() + (0.6 if burst == 0 else 0.2))

first = [g for g in got if g[1] == 0x11]
second = [g for g in got if g[1] == 0x22]
if len(first) < 10 or len(second) < 10:
    print(f"too few packets relayed: {len(first)} then {len(second)}")
    sys.exit(1)
(t1, _, ts1), (t2, _, ts2) = first[-1], second[0]
rate = ((ts2 - ts1) & 0xFFFFFFFF) / (t2 - t1)
print(f"clock {rate:.0f} Hz")
sys.exit(0 if abs(rate - hz) <= 0.15 * hz else 1)

#!/usr/bin/env python3
"""A plain RTP peer for the call tests, independent of Sotto's code: from 127.0.0.1:LOCAL it
sends a 20 ms PCMU stream to 127.0.0.1:DEST (DEST 0: send nothing) for SECONDS while counting
the RTP that arrives, then prints one line (LOCAL @FILE: a port of the kernel's choosing,
written to FILE; DEST @FILE: start once FILE holds the destination port, within 30 s):
  sent=N received=M ssrcs=K maxgap=G
ssrcs is how many SSRCs arrived, maxgap the largest step between consecutive sequence numbers
received (1 for a continuous stream; 0 when fewer than two packets came).
usage: rtp.py LOCAL DEST SECONDS"""
import os
import select
import socket
import struct
import sys
import time

local, dest, secs = sys.argv[1], sys.argv[2], float(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
if local.startswith("@"):
    # a port the kernel picks (no race with other programs binding meanwhile), told in FILE
    s.bind(("127.0.0.1", 0))
    with open(local[1:] + ".tmp", "w") as f:
        f.write(str(s.getsockname()[1]))
    os.rename(local[1:] + ".tmp", local[1:])
else:
    s.bind(("127.0.0.1", int(local)))
if dest.startswith("@"):
    path, dest, give_up = dest[1:], "", time.monotonic() + 30
    while not dest and time.monotonic() < give_up:
        try:
            dest = open(path).read().strip()
        except OSError:
            time.sleep(0.05)
dest = int(dest or 0)
ssrc = struct.unpack("!I", os.urandom(4))[0]
seq = struct.unpack("!H", os.urandom(2))[0]
ts = struct.unpack("!I", os.urandom(4))[0]
sent = received = maxgap = 0
ssrcs, last = set(), None
end = time.monotonic() + secs
next_send = time.monotonic()
while True:
    now = time.monotonic()
    if now >= end:
        break
    if dest and now >= next_send:
        pkt = struct.pack("!BBHII", 0x80, 0, seq, ts, ssrc) + bytes([0xFF]) * 160
        s.sendto(pkt, ("127.0.0.1", dest))
        sent += 1
        seq = (seq + 1) & 0xFFFF
        ts = (ts + 160) & 0xFFFFFFFF
        next_send += 0.02
    wait = max(0.0, min(end, next_send if dest else end) - time.monotonic())
    r, _, _ = select.select([s], [], [], wait)
    if not r:
        continue
    data = s.recv(2048)
    if len(data) < 12 or data[0] >> 6 != 2 or 72 <= (data[1] & 0x7F) <= 76:
        continue  # not RTP (or RTCP)
    received += 1
    rseq, rssrc = struct.unpack("!H", data[2:4])[0], struct.unpack("!I", data[8:12])[0]
    ssrcs.add(rssrc)
    if last is not None:
        maxgap = max(maxgap, (rseq - last) & 0xFFFF)
    last = rseq
print(f"sent={sent} received={received} ssrcs={len(ssrcs)} maxgap={maxgap}")

#!/usr/bin/env python3
"""Audio helpers for the call tests, independent of Sotto's code.
  audio.py tone FILE HZ [SECONDS]   write an 8 kHz mono S16LE sine WAV (aufile source)
  audio.py freq FILE                print the dominant frequency of a WAV (0 if silent)
  audio.py pcmu FILE                print the G.711 mu-law bytes of a WAV as hex, one 20 ms
                                    frame per line (what a phone sends as RTP payload)
  audio.py search PCAP FILE         count 12-byte runs of FILE's PCMU encoding found in PCAP
"""
import math
import struct
import sys
import wave


def read(path):
    w = wave.open(path)
    rate, ch, n = w.getframerate(), w.getnchannels(), w.getnframes()
    return rate, list(struct.unpack("<%dh" % (n * ch), w.readframes(n))[::ch])


def ulaw(sample):
    """G.711 mu-law encoding of one 16-bit sample (ITU-T G.711)."""
    bias, clip = 0x84, 32635
    sign = 0x80 if sample < 0 else 0
    if sample < 0:
        sample = -sample
    sample = min(sample, clip) + bias
    exponent, mask = 7, 0x4000
    while exponent > 0 and not sample & mask:
        exponent -= 1
        mask >>= 1
    mantissa = (sample >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


def main():
    cmd = sys.argv[1]
    if cmd == "tone":
        path, hz = sys.argv[2], float(sys.argv[3])
        secs = float(sys.argv[4]) if len(sys.argv) > 4 else 30
        w = wave.open(path, "wb")
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"".join(struct.pack("<h", int(9000 * math.sin(2 * math.pi * hz * i / 8000)))
                               for i in range(int(8000 * secs))))
        w.close()
    elif cmd == "freq":
        rate, data = read(sys.argv[2])
        mid = data[len(data) // 4: 3 * len(data) // 4]
        if len(mid) < rate // 2 or max(abs(x) for x in mid) < 500:
            print(0)
            return
        crossings = sum(1 for a, b in zip(mid, mid[1:]) if (a < 0) != (b < 0))
        print(round(crossings / 2 / (len(mid) / rate)))
    elif cmd == "search":
        cap = open(sys.argv[2], "rb").read()
        _, data = read(sys.argv[3])
        enc = bytes(ulaw(x) for x in data[:8000])
        # a sine repeats: every distinct 12-byte window of one second of it
        windows = {enc[i:i + 12] for i in range(0, len(enc) - 12)}
        print(sum(1 for w in windows if w in cap))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()

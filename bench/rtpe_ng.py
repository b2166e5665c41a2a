#!/usr/bin/env python3
"""rtpe_ng.py: sets up bench_relay's calls on rtpengine through its ng control protocol
(bencoded dictionaries over UDP, each prefixed by a cookie), stdlib only.

Usage: rtpe_ng.py HOST:PORT [--passthrough] < calls

Each input line is "N PORT_A PORT_B": call N, whose phones A (caller) and B (callee) receive
RTP on 127.0.0.1 at those ports. For each call: an offer with A's SDP (RTP/SAVP, one a=crypto
AES_CM_128_HMAC_SHA1_80 with a key made here), then an answer with B's SDP (B's own key).
Prints one line per call, tab-separated:
    N  RTPE_PORT_A  A_TX  A_RX  RTPE_PORT_B  B_TX  B_RX
RTPE_PORT_X is where phone X sends (rtpengine's port in the SDP it gave X); X_TX is the
a=crypto value phone X sends with, X_RX the one rtpengine gave X (what X receives under).
These lines carry keys: they go to a pipe, never to a file or a log.

rtpengine copies an offered SDES key into its offer to the other side, and copies the
answerer's key back when the answerer takes a suite the offerer offered: with the same suite
on both legs it hands each phone the other phone's key and forwards without touching the
crypto (SRTP passthrough). So B answers rtpengine's own AES_CM_128_HMAC_SHA1_32 line (a key
rtpengine made); the suites then differ and rtpengine decrypts and re-encrypts each packet
with keys of its own on both legs. (HMAC-SHA1-32 costs what -80 does: same digest, shorter
tag.) --passthrough answers the copied AES_CM_128_HMAC_SHA1_80 line instead, to see rtpengine
forwarding without crypto.
"""
import base64
import os
import re
import socket
import sys
import time

CALLER_SUITE = "AES_CM_128_HMAC_SHA1_80"
CALLEE_SUITE = "AES_CM_128_HMAC_SHA1_32"


def benc(x):
    if isinstance(x, int):
        return b"i%de" % x
    if isinstance(x, str):
        x = x.encode()
    if isinstance(x, bytes):
        return b"%d:%s" % (len(x), x)
    if isinstance(x, list):
        return b"l" + b"".join(benc(v) for v in x) + b"e"
    if isinstance(x, dict):
        return b"d" + b"".join(benc(k) + benc(v) for k, v in sorted(x.items())) + b"e"
    raise TypeError(type(x))


def bdec(b, i=0):
    """(value, next index); strings stay bytes."""
    c = b[i:i + 1]
    if c == b"i":
        j = b.index(b"e", i)
        return int(b[i + 1:j]), j + 1
    if c in (b"l", b"d"):
        i += 1
        out = []
        while b[i:i + 1] != b"e":
            v, i = bdec(b, i)
            out.append(v)
        return (out if c == b"l" else dict(zip(out[::2], out[1::2]))), i + 1
    j = b.index(b":", i)
    n = int(b[i:j])
    return b[j + 1:j + 1 + n], j + 1 + n


class Ng:
    def __init__(self, addr):
        host, port = addr.rsplit(":", 1)
        self.addr = (host, int(port))
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.seq = 0

    def call(self, req, timeout=2.0, tries=3):
        """One request; retransmitted with the same cookie (rtpengine answers duplicates
        from its cache)."""
        self.seq += 1
        cookie = b"%d_%d" % (os.getpid(), self.seq)
        msg = cookie + b" " + benc(req)
        self.sock.settimeout(timeout)
        for _ in range(tries):
            self.sock.sendto(msg, self.addr)
            try:
                while True:
                    data = self.sock.recv(65535)
                    ck, _, body = data.partition(b" ")
                    if ck == cookie:
                        return bdec(body)[0]
            except socket.timeout:
                continue
        raise RuntimeError(f"no answer to {req.get('command')}")


def sdp(port, crypto):
    return ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            f"m=audio {port} RTP/SAVP 0\r\na=rtpmap:0 PCMU/8000\r\na=ptime:20\r\n"
            f"a=sendrecv\r\na=crypto:{crypto}\r\n")


def new_key():
    return "inline:" + base64.b64encode(os.urandom(30)).decode()  # 16 key + 14 salt


def parse_answer_sdp(resp, what):
    if resp.get(b"result") != b"ok":
        raise RuntimeError(f"{what}: {resp.get(b'error-reason', resp.get(b'result'))!r}")
    text = resp[b"sdp"].decode()
    m = re.search(r"^m=audio (\d+) RTP/SAVP ", text, re.M)
    c = re.search(r"^c=IN IP4 (\S+)", text, re.M)
    if not m or not c or c.group(1) != "127.0.0.1":
        raise RuntimeError(f"{what}: unexpected SDP")
    cryptos = re.findall(r"^a=crypto:(\d+ (\S+) inline:\S+)", text, re.M)
    return int(m.group(1)), cryptos


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    ng = Ng(sys.argv[1])
    passthrough = "--passthrough" in sys.argv[2:]
    deadline = time.monotonic() + 5
    while True:  # rtpengine was just started: wait for it
        try:
            if ng.call({"command": "ping"}, timeout=0.2, tries=1).get(b"result") == b"pong":
                break
        except RuntimeError:
            pass
        if time.monotonic() > deadline:
            sys.exit("rtpe_ng: rtpengine does not answer ping")
    flags = {"DTLS": "off", "ICE": "remove", "replace": ["origin", "session-connection"]}
    for line in sys.stdin:
        if not line.strip():
            continue
        n, port_a, port_b = line.split()
        call_id, a_tag, b_tag = f"bench-{n}", f"a{n}", f"b{n}"
        a_tx = f"1 {CALLER_SUITE} {new_key()}"
        resp = ng.call(dict(flags, command="offer", **{"call-id": call_id, "from-tag": a_tag},
                            sdp=sdp(port_a, a_tx)))
        rtpe_b, offered = parse_answer_sdp(resp, f"offer {n}")
        want = CALLER_SUITE if passthrough else CALLEE_SUITE
        line_b = next((c for c, suite in offered if suite == want), None)
        if not line_b:
            raise RuntimeError(f"offer {n}: no {want} line")
        tag = line_b.split()[0]
        b_tx = f"{tag} {want} {new_key()}"
        resp = ng.call(dict(flags, command="answer",
                            **{"call-id": call_id, "from-tag": a_tag, "to-tag": b_tag},
                            sdp=sdp(port_b, b_tx)))
        rtpe_a, answered = parse_answer_sdp(resp, f"answer {n}")
        if len(answered) != 1 or answered[0][1] != CALLER_SUITE:
            raise RuntimeError(f"answer {n}: expected one {CALLER_SUITE} line")
        print("\t".join((n, str(rtpe_a), a_tx, answered[0][0], str(rtpe_b), b_tx, line_b)))
    sys.stdout.flush()


if __name__ == "__main__":
    try:
        main()
    except (RuntimeError, OSError, ValueError) as e:
        sys.exit(f"rtpe_ng: {e}")

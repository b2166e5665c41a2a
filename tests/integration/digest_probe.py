#!/usr/bin/env python3
"""Digest flows against a running Sotto over UDP, written independently of Sotto's C code (the
digest arithmetic is RFC 7616's, from Python's hashlib): SHA-256 and MD5 answers, the challenge
order of RFC 8760, nonce-count replay, stale nonces, wrong passwords, Min-Expires, Call-ID/CSeq
ordering, several contacts, wildcard removal and the brute-force block.

usage: digest_probe.py PORT DB_PATH
The server must be configured as tests/integration/test_digest.sh does."""
import hashlib
import os
import re
import socket
import sqlite3
import sys
import time

PORT = int(sys.argv[1])
DB = sys.argv[2]
REALM = "sotto.test"
SERVER = ("127.0.0.1", PORT)


class Phone:
    def __init__(self, ext, password, src="127.0.0.1"):
        self.ext, self.password = ext, password
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((src, 0))
        self.sock.settimeout(3)
        self.host, self.port = self.sock.getsockname()
        self.call_id = os.urandom(8).hex()
        self.cseq = 0
        self.contact = f"sip:{ext}@{self.host}:{self.port}"

    def register(self, expires=300, auth=None, contacts=None, call_id=None, cseq=None,
                 expires_header=True):
        self.cseq = cseq if cseq is not None else self.cseq + 1
        contacts = contacts if contacts is not None else [f"<{self.contact}>"]
        lines = [
            f"REGISTER sip:{REALM} SIP/2.0",
            f"Via: SIP/2.0/UDP {self.host}:{self.port};branch=z9hG4bK{os.urandom(6).hex()};rport",
            "Max-Forwards: 70",
            f"From: <sip:{self.ext}@{REALM}>;tag={os.urandom(4).hex()}",
            f"To: <sip:{self.ext}@{REALM}>",
            f"Call-ID: {call_id or self.call_id}",
            f"CSeq: {self.cseq} REGISTER",
            "User-Agent: digest-probe",
        ]
        lines += [f"Contact: {c}" for c in contacts]
        if expires_header and expires is not None:
            lines.append(f"Expires: {expires}")
        if auth:
            lines.append(f"Authorization: {auth}")
        lines += ["Content-Length: 0", "", ""]
        self.sock.sendto("\r\n".join(lines).encode(), SERVER)
        return self.recv()

    def send_raw(self, data):
        self.sock.sendto(data, SERVER)
        return self.recv()

    def recv(self):
        while True:
            data, _ = self.sock.recvfrom(65535)
            resp = parse(data)
            if resp["code"] != 100:
                return resp


def parse(data):
    text = data.decode(errors="replace")
    head = text.split("\r\n\r\n", 1)[0].split("\r\n")
    m = re.match(r"SIP/2\.0 (\d{3}) (.*)", head[0])
    assert m, f"bad status line {head[0]!r}"
    hdrs = []
    for line in head[1:]:
        name, _, value = line.partition(":")
        hdrs.append((name.strip().lower(), value.strip()))
    return {"code": int(m.group(1)), "reason": m.group(2), "hdrs": hdrs}


def hdr_all(resp, name):
    return [v for n, v in resp["hdrs"] if n == name.lower()]


def params(challenge):
    assert challenge.startswith("Digest "), challenge
    return dict((k, v.strip('"')) for k, v in
                re.findall(r'(\w+)=("[^"]*"|[^,\s]+)', challenge[7:]))


def H(alg, s):
    return (hashlib.sha256 if alg == "SHA-256" else hashlib.md5)(s.encode()).hexdigest()


def answer(phone, ch, alg, nc=1, password=None, uri=None):
    password = phone.password if password is None else password
    uri = uri or f"sip:{REALM}"
    cnonce = os.urandom(8).hex()
    ha1 = H(alg, f"{phone.ext}:{REALM}:{password}")
    ha2 = H(alg, f"REGISTER:{uri}")
    ncs = f"{nc:08x}"
    resp = H(alg, f"{ha1}:{ch['nonce']}:{ncs}:{cnonce}:auth:{ha2}")
    opaque = f', opaque="{ch["opaque"]}"' if "opaque" in ch else ""
    return (f'Digest username="{phone.ext}", realm="{REALM}", nonce="{ch["nonce"]}", '
            f'uri="{uri}", response="{resp}", algorithm={alg}, cnonce="{cnonce}", '
            f'qop=auth, nc={ncs}{opaque}')


def challenges(resp):
    return [params(v) for v in hdr_all(resp, "www-authenticate")]


def check(cond, what):
    if not cond:
        raise SystemExit(f"FAIL: {what}")
    print(f"ok: {what}")


def first_challenge(phone, **kw):
    r = phone.register(**kw)
    check(r["code"] == 401, f"{phone.ext}: REGISTER without credentials -> 401 ({r['code']})")
    return r


# --- challenge format (RFC 8760: SHA-256 first, then MD5; qop=auth) ---
p = Phone("1001", "pw-1001-secret")
r = first_challenge(p)
chs = challenges(r)
check([c.get("algorithm") for c in chs] == ["SHA-256", "MD5"], "SHA-256 challenge first, MD5 second")
check(all(c.get("qop") == "auth" and c.get("realm") == REALM for c in chs), "qop=auth and realm")

# --- SHA-256 ---
sha = chs[0]
r = p.register(auth=answer(p, sha, "SHA-256", nc=1))
check(r["code"] == 200, f"SHA-256 credentials accepted ({r['code']} {r['reason']})")
check(any(p.contact in c and "expires=" in c for c in hdr_all(r, "contact")),
      "200 lists the binding with expires")

# --- nonce-count replay: the same nc again is refused; a higher nc is fine ---
r = p.register(auth=answer(p, sha, "SHA-256", nc=1))
check(r["code"] == 403 and "eplay" in r["reason"], f"replayed nonce-count refused ({r['code']} {r['reason']})")
r = p.register(auth=answer(p, sha, "SHA-256", nc=2))
check(r["code"] == 200, "next nonce-count accepted")

# --- MD5 ---
p2 = Phone("1002", "pw-1002-secret")
chs2 = challenges(first_challenge(p2))
r = p2.register(auth=answer(p2, chs2[1], "MD5"))
check(r["code"] == 200, f"MD5 credentials accepted ({r['code']} {r['reason']})")

# --- wrong password: 403 after the 401 round ---
p3 = Phone("1002", "wrong-password")
chs3 = challenges(first_challenge(p3))
r = p3.register(auth=answer(p3, chs3[0], "SHA-256"))
check(r["code"] == 403, f"wrong password -> 403 ({r['code']})")

# --- forged nonce: re-challenged, never accepted ---
forged = dict(sha)
forged["nonce"] = sha["nonce"][:-4] + ("AAAA" if not sha["nonce"].endswith("AAAA") else "BBBB")
r = p.register(auth=answer(p, forged, "SHA-256", nc=3))
check(r["code"] == 401, f"forged nonce re-challenged ({r['code']})")

# --- Min-Expires (RFC 3261 10.3 step 7) ---
r = p.register(expires=5, auth=answer(p, sha, "SHA-256", nc=4))
check(r["code"] == 423 and hdr_all(r, "min-expires") == ["60"], f"too brief -> 423 Min-Expires: 60 ({r['code']})")

# --- several contacts, then one removed with expires=0 ---
second = f"<sip:{p.ext}-b@{p.host}:{p.port}>"
r = p.register(contacts=[f"<{p.contact}>", second], auth=answer(p, sha, "SHA-256", nc=5))
check(r["code"] == 200 and len(hdr_all(r, "contact")) == 2, "two contacts registered")
r = p.register(contacts=[second + ";expires=0"], auth=answer(p, sha, "SHA-256", nc=6))
check(r["code"] == 200 and len(hdr_all(r, "contact")) == 1, "one contact removed")

# --- CSeq ordering within one Call-ID ---
r = p.register(cseq=1, auth=answer(p, sha, "SHA-256", nc=7))
check(r["code"] == 500, f"older CSeq on the same Call-ID refused ({r['code']})")
p.cseq = 100

# --- max_contacts (1001 allows 2): a third contact evicts the oldest ---
r = p.register(contacts=[f"<sip:{p.ext}-c@{p.host}:{p.port}>"], auth=answer(p, sha, "SHA-256", nc=8))
time.sleep(0.01)
r = p.register(contacts=[f"<sip:{p.ext}-d@{p.host}:{p.port}>"], auth=answer(p, sha, "SHA-256", nc=9))
check(r["code"] == 200 and len(hdr_all(r, "contact")) == 2, f"bounded by max_contacts ({len(hdr_all(r, 'contact'))})")

# --- wildcard: Contact: * with Expires: 0 removes all ---
r = p.register(contacts=["*"], expires=0, auth=answer(p, sha, "SHA-256", nc=10))
check(r["code"] == 200 and not hdr_all(r, "contact"), "wildcard removes every binding")
r = p.register(contacts=["*"], expires=60, auth=answer(p, sha, "SHA-256", nc=11))
check(r["code"] == 400, "wildcard without Expires: 0 refused")

# --- a tls-only extension over UDP: 403 with a reason, before any digest round ---
t = Phone("1009", "pw-1009-secret")
r = t.register()
check(r["code"] == 403 and "TLS" in r["reason"], f"tls-only extension refused over UDP ({r['reason']})")

# --- stale nonce (nonce_lifetime = 3 s): right password, old nonce -> 401 stale=true ---
time.sleep(4.5)
r = p.register(auth=answer(p, sha, "SHA-256", nc=12))
stale = challenges(r)
check(r["code"] == 401 and stale and stale[0].get("stale", "").lower() == "true",
      f"expired nonce -> 401 stale=true ({r['code']})")
r = p.register(auth=answer(p, stale[0], "SHA-256", nc=1))
check(r["code"] == 200, "fresh nonce after stale accepted")

# --- brute force: 4 failures from 127.0.0.2 block it (auth_fail_limit = 4) ---
b = Phone("1002", "guess", src="127.0.0.2")
for i in range(4):
    chb = challenges(first_challenge(b))
    r = b.register(auth=answer(b, chb[0], "SHA-256", password=f"guess{i}"))
    check(r["code"] == 403, f"guess {i + 1} refused")
r = b.register()
check(r["code"] == 403 and "locked" in r["reason"], f"blocked address gets 403 ({r['reason']})")
r = b.send_raw(b"OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.2:9;branch=z9hG4bKblk1;rport\r\n"
               b"From: <sip:a@b>;tag=1\r\nTo: <sip:x@127.0.0.1>\r\nCall-ID: blk1\r\nCSeq: 1 OPTIONS\r\n"
               b"Content-Length: 0\r\n\r\n")
check(r["code"] == 403, "blocked address refused for every method")
# the right password from the blocked address is refused too; other addresses still work
good = Phone("1002", "pw-1002-secret", src="127.0.0.2")
r = good.register()
check(r["code"] == 403, "right password from a blocked address refused")
ok = Phone("1002", "pw-1002-secret")
chs = challenges(first_challenge(ok))
check(ok.register(auth=answer(ok, chs[0], "SHA-256"))["code"] == 200, "other addresses unaffected")

# --- the security events reached SQLite ---
deadline = time.time() + 3
rows = {}
while time.time() < deadline:
    con = sqlite3.connect(DB)
    rows = dict(con.execute("SELECT kind, COUNT(*) FROM event GROUP BY kind").fetchall())
    con.close()
    if rows.get("blocked"):
        break
    time.sleep(0.2)
check(rows.get("auth_failure", 0) >= 5 and rows.get("blocked", 0) == 1, f"security events stored ({rows})")
print("digest probe: all checks passed")

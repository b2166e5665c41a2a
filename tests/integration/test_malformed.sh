#!/usr/bin/env bash
# Garbage and malformed input: every RFC 4475 invalid message sent over UDP and TCP is answered
# with a 4xx/5xx carrying a reason or dropped; binary junk is dropped; an oversized message on a
# stream gets 513 and the connection is closed; afterwards Sotto still answers (sipp OPTIONS).
. "$(dirname "$0")/lib.sh"

write_config "$TMP/sotto.conf" </dev/null
start_sotto "$TMP/sotto.conf"

python3 - "$SIP_PORT" "$SOTTO_SRC/tests/vectors/sip/invalid" >"$TMP/probe.log" 2>&1 <<'PY' ||
import glob, os, socket, sys

port = int(sys.argv[1])
files = sorted(glob.glob(os.path.join(sys.argv[2], "*.sip")))
assert files, "no invalid vectors found"
addr = ("127.0.0.1", port)

def check_reply(name, data):
    first = data.split(b"\r\n", 1)[0]
    parts = first.split(b" ", 2)
    assert len(parts) == 3 and parts[0] == b"SIP/2.0", f"{name}: bad reply line {first!r}"
    code = int(parts[1])
    assert 400 <= code <= 599, f"{name}: answered {code}"
    assert parts[2].strip(), f"{name}: reply without a reason phrase"
    return code

u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(0.3)
answered = dropped = 0
for f in files:
    data = open(f, "rb").read()
    u.sendto(data, addr)
    try:
        reply, _ = u.recvfrom(70000)
        check_reply(os.path.basename(f), reply)
        answered += 1
    except socket.timeout:
        dropped += 1
print(f"udp: {answered} answered, {dropped} dropped of {len(files)}")
assert answered > 0, "no invalid message was answered with an error"

for junk in (b"\x00\x01\x02garbage", b"\r\n", b"SIP/2.0", b"INVITE\r\n\r\n", os.urandom(1400)):
    u.sendto(junk, addr)
    try:
        reply, _ = u.recvfrom(70000)
        check_reply("junk", reply)
    except socket.timeout:
        pass

# Each invalid vector on its own TCP connection.
for f in files:
    data = open(f, "rb").read()
    t = socket.create_connection(addr, timeout=2)
    t.sendall(data)
    t.settimeout(0.5)
    try:
        reply = t.recv(70000)
        if reply:
            check_reply(os.path.basename(f) + " (tcp)", reply)
    except socket.timeout:
        pass
    t.close()

# Oversized body announced on a stream: 513, then the server closes the connection.
head = ("OPTIONS sip:x@127.0.0.1 SIP/2.0\r\n"
        "Via: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bK-big1\r\n"
        "From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:x@127.0.0.1>\r\n"
        "Call-ID: big1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
        "Content-Type: text/plain\r\nContent-Length: 200000\r\n\r\n").encode()
t = socket.create_connection(addr, timeout=5)
t.sendall(head + b"x" * 1000)
buf = b""
while True:
    try:
        chunk = t.recv(65536)
    except (ConnectionResetError, socket.timeout):
        break
    if not chunk:
        break
    buf += chunk
assert buf.startswith(b"SIP/2.0 513"), f"oversize: got {buf[:60]!r}"
print("tcp oversize: 513 and closed")

# A header block that never ends: the connection is dropped, not kept growing.
t = socket.create_connection(addr, timeout=5)
closed = False
try:
    t.sendall(b"OPTIONS sip:x@127.0.0.1 SIP/2.0\r\n")
    for i in range(2000):
        t.sendall(b"X-Filler-%d: %s\r\n" % (i, b"y" * 60))
except (BrokenPipeError, ConnectionResetError):
    closed = True
if not closed:
    t.settimeout(3)
    try:
        while not closed:
            closed = t.recv(65536) == b""
    except ConnectionResetError:
        closed = True
    except socket.timeout:
        pass
assert closed, "endless header block not cut off"
print("tcp endless headers: cut off")
PY
	fail "malformed-input probe failed: $(cat "$TMP/probe.log")"
cat "$TMP/probe.log"
kill -0 "$SOTTO_PID" || fail "sotto died"
run_sipp alive -sf "$SCEN/options.xml" -m 1 -t u1 -i 127.0.0.1 127.0.0.1:"$SIP_PORT" ||
	fail "sotto no longer answers after malformed input"
pass "still answering after malformed input"
stop_sotto

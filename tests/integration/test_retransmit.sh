#!/usr/bin/env bash
# A burst of retransmitted requests over UDP (the same datagram, same branch) is answered from
# the transaction layer: every copy gets the same 200 (one To tag) and the application sees the
# request once. (sipp cannot send this: it treats the identical answers as retransmissions of
# its own and aborts, so a raw socket sends the burst.) Streams are reliable: a repeat there is
# a new request (RFC 3261 17.2.2), not checked here.
. "$(dirname "$0")/lib.sh"

write_config "$TMP/sotto.conf" </dev/null
start_sotto "$TMP/sotto.conf"

python3 - "$SIP_PORT" >"$TMP/burst.log" 2>&1 <<'PY' || fail "burst: $(cat "$TMP/burst.log")"
import socket, sys
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
host, lport = s.getsockname()
msg = (f"OPTIONS sip:ping@127.0.0.1:{port} SIP/2.0\r\n"
       f"Via: SIP/2.0/UDP {host}:{lport};branch=z9hG4bK-burst-{lport};rport\r\n"
       "Max-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=b1\r\n"
       f"To: <sip:ping@127.0.0.1>\r\nCall-ID: burst-{lport}\r\nCSeq: 7 OPTIONS\r\n"
       "Content-Length: 0\r\n\r\n").encode()
for _ in range(20):
    s.sendto(msg, ("127.0.0.1", port))
s.settimeout(2)
answers = []
try:
    while len(answers) < 20:
        answers.append(s.recv(65535))
except socket.timeout:
    pass
assert len(answers) == 20, f"{len(answers)} answers to 20 copies"
assert all(a.startswith(b"SIP/2.0 200") for a in answers), "not all 200"
assert len(set(answers)) == 1, f"{len(set(answers))} different answers"
print("20 copies, 20 identical answers")
PY
cat "$TMP/burst.log"
pass "burst answered from one server transaction"
seen=$(grep -c 'pbx: OPTIONS sip:ping' "$TMP/sotto.log" || true)
[ "$seen" -eq 1 ] || fail "the application saw the request $seen times, expected once"
pass "application saw the request once"
stop_sotto

#!/usr/bin/env bash
# Early media, late offers and fork races through the B2BUA, with sipp as caller and callees
# (plain UDP extensions, encryption off) and a plain RTP peer (rtp.py) on each side:
#  - a 183 with SDP reaches the caller with Sotto's SDP (its address, its port, its o=), media
#    flows both ways before the 200, and the 200 repeats the 183's SDP byte for byte;
#  - forked: the fork with early media is what the caller hears, another fork answers, and
#    the caller's stream carries on under one SSRC with continuous sequence numbers;
#  - a 183 without SDP is relayed without SDP;
#  - two forks answer: the loser gets ACK then BYE; a callee whose 200 crosses the CANCEL gets
#    ACK then BYE too;
#  - late offer: an INVITE without SDP connects (the callee's 200 offers, Sotto offers its own
#    SDP to the caller, the caller's ACK answers, the callee is ACKed with Sotto's answer) and
#    carries media both ways, and a later re-INVITE moving the caller's port stays on its leg;
#    an ACK without an answer hangs both legs up; the echo test,
#    called without SDP, makes its own offer.
. "$(dirname "$0")/lib.sh"

RTP=$(( ($(free_port) / 2) * 2 ))
[ "$RTP" -lt 64000 ] || RTP=40000
write_config "$TMP/sotto.conf" <<EOF
[media]
rtp_ports = $RTP-$((RTP + 99))
[calls]
ring_timeout = 20
[extension 2001]
password = pw-2001-secret
transports = udp
encryption = off
digest = md5
[extension 2002]
password = pw-2002-secret
transports = udp
encryption = off
digest = md5
EOF
start_sotto "$TMP/sotto.conf"
printf 'SEQUENTIAL\n2001;\n' >"$TMP/caller.csv"
# a port for a peer, never one Sotto may take for a bridge later
peer_port() {
	local p
	p=$(free_port)
	while [ "$p" -ge "$RTP" ] && [ "$p" -le "$((RTP + 101))" ]; do p=$(free_port); done
	echo "$p"
}

# agent NAME SECONDS: a plain RTP peer (rtp.py) holding a port of its own from now on (its
# number in RTP_NAME); it sends and counts for SECONDS once "go NAME PORT" names Sotto's port.
# Result in $TMP/rtp-NAME.
agent() {
	python3 "$SOTTO_SRC/tests/integration/rtp.py" "@$TMP/port-$1" "@$TMP/go-$1" "$2" \
		>"$TMP/rtp-$1" &
	PIDS+=($!)
	for _ in $(seq 1 100); do [ -s "$TMP/port-$1" ] && break; sleep 0.05; done
	[ -s "$TMP/port-$1" ] || fail "RTP peer $1 did not start"
	printf -v "RTP_$1" '%s' "$(cat "$TMP/port-$1")"
}
go() { echo "$2" >"$TMP/go-$1.tmp" && mv "$TMP/go-$1.tmp" "$TMP/go-$1"; }
received() {
	for _ in $(seq 1 50); do [ -s "$TMP/rtp-$1" ] && break; sleep 0.1; done
	sed -n 's/.*received=\([0-9]*\).*/\1/p' "$TMP/rtp-$1"
}
# callee NAME SCENARIO DELAY_MS [AGENT_SECONDS]: a contact of 2002 on a port of its own,
# answered by sipp (background, pid in UAS_NAME); its SDP names agent NAME's port.
callee() {
	local name=$1 scen=$2 delay=$3 port
	port=$(peer_port)
	agent "$name" "${4:-0}"
	python3 "$SOTTO_SRC/tests/integration/sipreg.py" "$SIP_PORT" "$port" 2002 pw-2002-secret \
		>/dev/null || fail "callee $name could not register"
	(cd "$TMP" && timeout -k 5 40 sipp -nostdin -sf "$SCEN/$scen.xml" -p "$port" -i 127.0.0.1 \
		-m 1 -d "$delay" -key rtpport "$(eval echo "\$RTP_$name")" -timeout 30s \
		-timeout_error -trace_msg -message_file "$TMP/uas-$name-msgs.log" \
		>"$TMP/uas-$name.log" 2>&1) &
	printf -v "UAS_$name" '%s' $!
	PIDS+=($!)
}
# caller NAME SCENARIO DELAY_MS [AGENT_SECONDS [TARGET]]: 2001 calls 2002 (or TARGET) in the
# background, pid in UAC_NAME; its SDP names agent aNAME's port.
caller() {
	local name=$1 scen=$2 delay=$3
	agent "a$name" "${4:-0}"
	(run_sipp "uac-$name" -sf "$SCEN/$scen.xml" -inf "$TMP/caller.csv" -au 2001 \
		-ap pw-2001-secret -s "${5:-2002}" -m 1 -t u1 -i 127.0.0.1 -d "$delay" \
		-key rtpport "$(eval echo "\$RTP_a$name")" -trace_msg \
		-message_file "$TMP/uac-$name-msgs.log" 127.0.0.1:"$SIP_PORT") &
	printf -v "UAC_$name" '%s' $!
	PIDS+=($!)
}
done_ok() { # done_ok PID WHAT
	wait "$1" || fail "$2 failed: $(tail -5 "$TMP"/*"$3"*.log 2>/dev/null | tail -8)"
}
# msg LOG REGEX: the first message in a sipp message log whose first line matches REGEX.
msg() {
	python3 - "$1" "$2" <<'PY'
import re, sys
try:
    text = open(sys.argv[1], errors="replace").read().replace("\r", "")
except OSError:
    sys.exit(0)  # sipp has not written it yet
for block in re.split(r"\n-{10,}[^\n]*\n", "\n" + text):
    lines = block.strip("\n").split("\n")
    # skip sipp's "UDP message sent/received" line and the blank one after it
    while lines and (not lines[0] or " message " in lines[0]):
        lines.pop(0)
    if lines and re.search(sys.argv[2], lines[0]):
        print("\n".join(lines))
        break
PY
}
body() { msg "$1" "$2" | sed -n '/^$/,$p' | sed '/^$/d'; }
port_of() { body "$1" "$2" | sed -n 's/^m=audio \([0-9]*\) .*/\1/p' | head -1; }
# wait_msg LOG REGEX: until such a message is in the log.
wait_msg() {
	for _ in $(seq 1 100); do
		[ -n "$(msg "$1" "$2")" ] && return 0
		sleep 0.1
	done
	return 1
}
in_range() { [ -n "$1" ] && [ "$1" -ge "$RTP" ] && [ "$1" -le "$((RTP + 99))" ]; }
# 1. Early media: 183 with SDP, media both ways before the 200, the 200 repeats the SDP.
callee e early_uas 3000 1.5
sleep 0.3
caller e early_uac 1500 1.5
wait_msg "$TMP/uac-e-msgs.log" '^SIP/2.0 183' || fail "no 183 reached the caller"
sa=$(port_of "$TMP/uac-e-msgs.log" '^SIP/2.0 183')
sb=$(port_of "$TMP/uas-e-msgs.log" '^INVITE ')
in_range "$sa" || fail "the caller's 183 does not carry Sotto's port: $(body "$TMP/uac-e-msgs.log" '^SIP/2.0 183')"
[ "$sa" != "$RTP_e" ] || fail "the callee's port leaked into the caller's 183"
in_range "$sb" || fail "the callee's INVITE does not carry Sotto's port"
go ae "$sa"
go e "$sb"
sleep 2
[ "$(received ae)" -gt 30 ] || fail "early media did not reach the caller: $(cat "$TMP/rtp-ae")"
[ "$(received e)" -gt 30 ] || fail "the caller's media did not reach the early callee: $(cat "$TMP/rtp-e")"
done_ok "$UAC_e" "early-media caller" uac-e
done_ok "$UAS_e" "early-media callee" uas-e
b183=$(body "$TMP/uac-e-msgs.log" '^SIP/2.0 183')
b200=$(body "$TMP/uac-e-msgs.log" '^SIP/2.0 200')
grep -q '^o=- ' <<<"$b183" && grep -q '^c=IN IP4 127.0.0.1' <<<"$b183" ||
	fail "the 183's SDP is not Sotto's: $b183"
grep -q '^m=audio [0-9]* RTP/AVP 0 101' <<<"$b183" || fail "the 183 lost the callee's codecs"
[ "$b183" = "$b200" ] || fail "the 200's SDP differs from the 183's: $b183 // $b200"
pass "183 with SDP: Sotto's own SDP to the caller (port $sa), media both ways before the answer ($(received ae)/$(received e) packets), the 200 repeats it"

# 2. Forked: fork f1 plays early media and is cancelled, fork f2 rings and answers.
callee f1 early_uas_ring 0 1.5
callee f2 ring_uas 3500 3
sleep 0.3
caller f early_uac 2000 5.5
wait_msg "$TMP/uac-f-msgs.log" '^SIP/2.0 183' || fail "no 183 reached the caller (forked)"
wait_msg "$TMP/uas-f2-msgs.log" '^INVITE ' || fail "fork 2 not rung"
sa=$(port_of "$TMP/uac-f-msgs.log" '^SIP/2.0 183')
sb=$(port_of "$TMP/uas-f1-msgs.log" '^INVITE ')
[ "$sb" = "$(port_of "$TMP/uas-f2-msgs.log" '^INVITE ')" ] || fail "forks offered different ports"
go af "$sa"
go f1 "$sb"
sleep 2.5
go f2 "$sb"
sleep 3.5
done_ok "$UAC_f" "forked caller" uac-f
done_ok "$UAS_f1" "early fork" uas-f1
done_ok "$UAS_f2" "answering fork" uas-f2
[ "$(received f1)" -gt 20 ] || fail "the early fork did not get the caller's media: $(cat "$TMP/rtp-f1")"
[ "$(received f2)" -gt 20 ] || fail "the winner did not get the caller's media: $(cat "$TMP/rtp-f2")"
read -r rcv ssrcs gap < <(tr '=' ' ' <"$TMP/rtp-af" | awk '{print $4, $6, $8}')
[ "$rcv" -gt 100 ] || fail "the caller heard too little: $(cat "$TMP/rtp-af")"
[ "$ssrcs" -eq 1 ] && [ "$gap" -le 2 ] ||
	fail "the caller's stream broke when the bridge switched forks: $(cat "$TMP/rtp-af")"
[ "$(body "$TMP/uac-f-msgs.log" '^SIP/2.0 183')" = "$(body "$TMP/uac-f-msgs.log" '^SIP/2.0 200')" ] ||
	fail "the 200's SDP differs from the 183's after the switch"
pass "forked: early media from one fork, the other answers; the caller's stream kept one SSRC, sequence continuous ($rcv packets, max step $gap)"

# 3. A 183 without SDP is relayed without SDP.
callee p progress_uas 1000
sleep 0.3
caller p early_uac 500
done_ok "$UAC_p" "caller (183 without SDP)" uac-p
done_ok "$UAS_p" "callee (183 without SDP)" uas-p
grep -qi '^Content-Length: *0$' <<<"$(msg "$TMP/uac-p-msgs.log" '^SIP/2.0 183')" ||
	fail "a 183 without SDP got a body: $(msg "$TMP/uac-p-msgs.log" '^SIP/2.0 183')"
pass "183 without SDP relayed as 183 without SDP"

# 4. Both forks answer: the loser gets ACK then BYE from Sotto.
callee r1 answer_uas 0
callee r2 answer_uas 0
sleep 0.3
caller r call_uac 0
done_ok "$UAC_r" "caller (fork race)" uac-r
done_ok "$UAS_r1" "fork 1 (race)" uas-r1
done_ok "$UAS_r2" "fork 2 (race)" uas-r2
grep -q 'another fork answered too: ACK and BYE' "$TMP/sotto.log" || fail "no fork lost the race?"
pass "both forks answered: the loser got ACK and BYE"

# 5. The callee answers while its INVITE is being cancelled: ACK then BYE, not a 32 s timeout.
callee c cancel_race_uas 0
sleep 0.3
caller c call_uac_cancel 0
done_ok "$UAC_c" "caller (cancel race)" uac-c
done_ok "$UAS_c" "callee whose 200 crossed the CANCEL" uas-c
grep -q 'answered after the call ended: ACK and BYE' "$TMP/sotto.log" || fail "late 2xx not handled"
pass "a 200 crossing the CANCEL: ACK and BYE"

# 6. Late offer: no SDP in the INVITE; media both ways once the caller answered in its ACK.
callee l late_uas 0 1.5
sleep 0.3
caller l late_uac_move 2500 1.5
wait_msg "$TMP/uas-l-msgs.log" '^ACK ' || fail "the callee never got its ACK"
sa=$(port_of "$TMP/uac-l-msgs.log" '^SIP/2.0 200')
sb=$(port_of "$TMP/uas-l-msgs.log" '^ACK ')
in_range "$sa" && in_range "$sb" || fail "late offer: Sotto's ports not in its SDP ($sa, $sb)"
go al "$sa"
go l "$sb"
sleep 2
done_ok "$UAC_l" "late-offer caller" uac-l
done_ok "$UAS_l" "late-offer callee" uas-l
[ "$(received al)" -gt 30 ] && [ "$(received l)" -gt 30 ] ||
	fail "late offer: media did not cross: $(cat "$TMP/rtp-al") / $(cat "$TMP/rtp-l")"
grep -qi '^Content-Length: *0$' <<<"$(msg "$TMP/uas-l-msgs.log" '^INVITE ')" || fail "the callee's INVITE had a body"
grep -q '^m=audio [0-9]* RTP/AVP 0 101' <<<"$(body "$TMP/uac-l-msgs.log" '^SIP/2.0 200')" ||
	fail "Sotto's offer to the caller lost the callee's codecs"
oks=$(grep -c '^SIP/2.0 200 OK' "$TMP/uas-l-msgs.log")
[ "$oks" -ge 3 ] || fail "the callee's 200 was not resent while the caller answered ($oks)"
[ "$(grep -c '^ACK ' "$TMP/uas-l-msgs.log")" -ge 1 ] || fail "no ACK at the callee"
pass "late offer: INVITE without SDP connects, media both ways ($(received al)/$(received l)); the callee's 200 resent $((oks - 2))x meanwhile, absorbed"
grep -qE 'caller side re-offered \(active\)$' "$TMP/sotto.log" && ! grep -q 'relayed to the callee' "$TMP/sotto.log" ||
	fail "the caller's address-only re-INVITE after a late offer was not answered on its own leg"
pass "then a re-INVITE that only moves the caller's port is answered on the caller's leg (the late-offer keys and codecs were noted)"

# 7. Late offer, but the caller's ACK has no answer: ACK refusing the callee's offer, BYE both.
callee n late_uas 0
sleep 0.3
caller n late_uac_noanswer 0
done_ok "$UAC_n" "caller with an empty ACK (got Sotto's BYE)" uac-n
done_ok "$UAS_n" "callee of the failed late offer (ACK then BYE)" uas-n
grep -q '^m=audio 0 ' <<<"$(body "$TMP/uas-n-msgs.log" '^ACK ')" || fail "the callee's ACK does not refuse the streams"
pass "late offer without an answer in the ACK: the callee's offer refused in its ACK, BYE to both"

# 8. Late offer to the echo test: Sotto offers codecs itself; the caller hears itself back.
caller x late_uac 2000 1.5 '*43'
wait_msg "$TMP/uac-x-msgs.log" '^SIP/2.0 200' || fail "the echo test did not answer"
off=$(body "$TMP/uac-x-msgs.log" '^SIP/2.0 200')
grep -q '^m=audio [0-9]* RTP/AVP 0 8 9 101' <<<"$off" || fail "no offer of our own from the echo test: $off"
wait_log "$TMP/sotto.log" '2001 -> \*43 answered \(late offer' 10 || fail "the echo test got no answer in the ACK"
go ax "$(port_of "$TMP/uac-x-msgs.log" '^SIP/2.0 200')"
sleep 2
done_ok "$UAC_x" "late-offer caller of the echo test" uac-x
[ "$(received ax)" -gt 30 ] || fail "the echo test sent nothing back: $(cat "$TMP/rtp-ax")"
pass "late offer to the echo test: our own offer, the caller's media echoed ($(received ax) packets)"

stop_sotto
causes=$(sqlite3 "$TMP/var/sotto.db" "SELECT cause FROM cdr ORDER BY start_ms" | tr '\n' ' ')
[ "$causes" = "caller_hangup caller_hangup caller_hangup caller_hangup cancelled caller_hangup bad_answer caller_hangup " ] ||
	fail "call records: '$causes'"
pass "call records: $causes"

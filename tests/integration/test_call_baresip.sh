#!/usr/bin/env bash
# A secure call between two real softphones (baresip, TLS + mandatory SRTP) through Sotto:
# the call connects with SRTP on both legs, each leg keyed separately; the tone each phone sends
# arrives at the other; hold and resume work; hang-up ends both legs and leaves a call record
# that says the path was secure. A capture of everything Sotto sends and receives holds no
# readable SIP and none of the tone's G.711 samples.
. "$(dirname "$0")/lib.sh"

RTP=$(( ($(free_port) / 2) * 2 ))
[ "$RTP" -lt 64000 ] || RTP=40000
write_config "$TMP/sotto.conf" <<EOF
[media]
rtp_ports = $RTP-$((RTP + 99))
[extension 1001]
name = Alice
password = pw-1001-secret
digest = md5
[extension 1002]
password = pw-1002-secret
digest = md5
EOF
start_sotto "$TMP/sotto.conf"
make_tone "$TMP/tone440.wav" 440
make_tone "$TMP/tone1000.wav" 1000
acct() {
	echo "<sip:$1@127.0.0.1:$TLS_PORT;transport=tls>;auth_user=$1;auth_pass=$2;regint=600;answermode=auto;mediaenc=srtp-mand;audio_codecs=PCMU"
}
export PHONE_SRATE=8000 PHONE_CHANNELS=1
PHONE_SOURCE="aufile,$TMP/tone440.wav" phone_config a "$(acct 1001 pw-1001-secret)"
PHONE_SOURCE="aufile,$TMP/tone1000.wav" phone_config b "$(acct 1002 pw-1002-secret)"

# Capture every packet to or from Sotto: SIP (UDP/TCP/TLS) and its media ports.
tshark -i lo -f "host 127.0.0.1 and (port $SIP_PORT or port $TLS_PORT or portrange $RTP-$((RTP + 99)))" \
	-F pcap -w "$TMP/call.pcap" >"$TMP/tshark.log" 2>&1 &
TSHARK=$!
PIDS+=("$TSHARK")
wait_log "$TMP/tshark.log" 'Capturing on' 10 || fail "tshark did not start"

phone_start a
phone_start b
wait_log "$TMP/a.log" '200 OK' && wait_log "$TMP/b.log" '200 OK' || fail "phones did not register"

phone_incoming b "$TMP/b-incoming.txt"
phone_cmd a dial 1002 >/dev/null || fail "dial refused"
wait_log "$TMP/a.log" 'Call established' 15 || fail "call not established at the caller"
wait_log "$TMP/b.log" 'Call established' 15 || fail "call not established at the callee"
grep -q 'SRTP is Enabled' "$TMP/a.log" && grep -q 'SRTP is Enabled' "$TMP/b.log" ||
	fail "SRTP not enabled on both phones"
suite_a=$(grep -o 'SRTP is Enabled (cryptosuite=[A-Z0-9_]*' "$TMP/a.log" | head -1)
suite_b=$(grep -o 'SRTP is Enabled (cryptosuite=[A-Z0-9_]*' "$TMP/b.log" | head -1)
pass "call established, SRTP on both legs ($suite_a / $suite_b)"
ctl calls >"$TMP/calls.txt"
grep -E '^[0-9a-f]+ +1001 +1002 +answered' "$TMP/calls.txt" | grep -q ' secure$' ||
	fail "sottoctl calls does not show the call as secure: $(cat "$TMP/calls.txt")"
grep -q 'TLS, SRTP' "$TMP/calls.txt" || fail "legs not shown as TLS + SRTP"
pass "sottoctl shows both legs TLS + SRTP and the path secure"
# The far side is secure too: the callee sees the caller's name behind the padlock marker.
[ "$(cat "$TMP/b-incoming.txt")" = $'\xF0\x9F\x94\x92 Alice|sip:1001@sotto.test' ] ||
	fail "callee not shown the secure marker and the caller's name: $(cat "$TMP/b-incoming.txt")"
pass "the callee sees the caller as the secure marker + Alice"

sleep 3
phone_cmd a hold >/dev/null || fail "hold refused"
wait_log "$TMP/sotto.log" 're-offered \(hold\)' 10 || fail "hold re-INVITE not answered"
sleep 1
phone_cmd a resume >/dev/null || fail "resume refused"
wait_log "$TMP/sotto.log" 're-offered \(active\)' 10 || fail "resume re-INVITE not answered"
pass "hold and resume (re-INVITE with new keys) answered"
sleep 3

phone_cmd a hangup >/dev/null || true
wait_log "$TMP/b.log" 'terminated' 10 || fail "hang-up did not reach the callee"
wait_log "$TMP/sotto.log" 'ended \(caller_hangup\)' 10 || fail "call not ended in sotto"
pass "hang-up ends both legs"
grep -qE 'errors: +0 +0' "$TMP/a.log" || fail "SRTP errors at the caller: $(grep errors: "$TMP/a.log")"
grep -qE 'errors: +0 +0' "$TMP/b.log" || fail "SRTP errors at the callee: $(grep errors: "$TMP/b.log")"
pass "no SRTP errors at either phone, across hold and re-keying"

# What each phone heard: the other's tone.
heard_b=$(tone_of "$(ls "$TMP"/b/*-dec.wav | head -1)")
heard_a=$(tone_of "$(ls "$TMP"/a/*-dec.wav | head -1)")
[ "$heard_b" -ge 420 ] && [ "$heard_b" -le 460 ] || fail "callee heard ${heard_b} Hz, not 440 Hz"
[ "$heard_a" -ge 960 ] && [ "$heard_a" -le 1040 ] || fail "caller heard ${heard_a} Hz, not 1000 Hz"
pass "audio crossed both ways (callee heard $heard_b Hz, caller heard $heard_a Hz)"

# The call record survives in SQLite with the path marked secure.
stop_sotto
rec=$(sqlite3 "$TMP/var/sotto.db" "SELECT caller, callee, status, secure, cause FROM cdr" 2>&1)
[ "$rec" = "1001|1002|200|1|caller_hangup" ] || fail "call record: '$rec'"
pass "call record written: $rec"

sleep 0.5
kill -INT "$TSHARK" 2>/dev/null || true
wait "$TSHARK" 2>/dev/null || true
sip_clear=$(tshark -r "$TMP/call.pcap" -Y sip 2>/dev/null | wc -l)
[ "$sip_clear" -eq 0 ] || fail "$sip_clear readable SIP packets in the capture"
udp=$(tshark -r "$TMP/call.pcap" -Y "udp.port >= $RTP && udp.port <= $((RTP + 99))" 2>/dev/null | wc -l)
[ "$udp" -gt 200 ] || fail "only $udp media packets captured"
found=$(python3 "$SOTTO_SRC/tests/integration/audio.py" search "$TMP/call.pcap" "$TMP/tone440.wav")
found2=$(python3 "$SOTTO_SRC/tests/integration/audio.py" search "$TMP/call.pcap" "$TMP/tone1000.wav")
[ "$found" -eq 0 ] && [ "$found2" -eq 0 ] || fail "tone samples found in the capture ($found, $found2)"
pass "capture: no readable SIP, $udp media packets, none of the tones' samples"

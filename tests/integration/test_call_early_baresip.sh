#!/usr/bin/env bash
# Early media between real phones (baresip), the callee answering "early" (183 with SDP, its
# answer comes later with "accept"):
#  - plain phones on UDP: Sotto relays the 183 with its own SDP, the caller's audio reaches the
#    callee before the answer, and the call then connects on the same streams;
#  - TLS + mandatory SRTP: baresip 1.0.0 answers the early SDP with the tag of our first
#    a=crypto line but another suite (RFC 4568 6.1 wants the offered tag's own suite), so its
#    keys cannot be used: Sotto relays the 183 without SDP rather than a broken SRTP session,
#    and the call connects, secure, once answered (the 200's answer is a valid one).
. "$(dirname "$0")/lib.sh"

RTP=$(( ($(free_port) / 2) * 2 ))
[ "$RTP" -lt 64000 ] || RTP=40000
write_config "$TMP/sotto.conf" <<EOF
[media]
rtp_ports = $RTP-$((RTP + 99))
[extension 1001]
password = pw-1001-secret
digest = md5
[extension 1002]
password = pw-1002-secret
digest = md5
[extension 1003]
password = pw-1003-secret
transports = udp
encryption = off
digest = md5
[extension 1004]
password = pw-1004-secret
transports = udp
encryption = off
digest = md5
EOF
start_sotto "$TMP/sotto.conf"
make_tone "$TMP/tone1000.wav" 1000
make_tone "$TMP/tone440.wav" 440
tls() {
	echo "<sip:$1@127.0.0.1:$TLS_PORT;transport=tls>;auth_user=$1;auth_pass=pw-$1-secret;regint=600;answermode=$2;mediaenc=srtp-mand;audio_codecs=PCMU"
}
udp() {
	echo "<sip:$1@127.0.0.1:$SIP_PORT>;auth_user=$1;auth_pass=pw-$1-secret;regint=600;answermode=$2;audio_codecs=PCMU"
}
export PHONE_SRATE=8000 PHONE_CHANNELS=1
PHONE_SOURCE="aufile,$TMP/tone440.wav" phone_config a "$(tls 1001 auto)"
PHONE_SOURCE="aufile,$TMP/tone1000.wav" phone_config b "$(tls 1002 early)"
PHONE_SOURCE="aufile,$TMP/tone440.wav" phone_config c "$(udp 1003 auto)"
PHONE_SOURCE="aufile,$TMP/tone1000.wav" phone_config d "$(udp 1004 early)"
for p in a b c d; do phone_start $p; done
for p in a b c d; do wait_log "$TMP/$p.log" '200 OK' || fail "$p did not register"; done

# 1. Plain phones. baresip 1.0.0 in answermode=early sends its 183 with SDP and receives, but
# sends no audio of its own before the answer: the caller's audio reaching it through Sotto is
# what shows early media here (the other direction is test_call_early.sh's).
phone_cmd c dial 1004 >/dev/null || fail "dial refused"
wait_log "$TMP/sotto.log" '1003 -> 1004 early media from fork' 15 || fail "no early media relayed"
wait_log "$TMP/d.log" "incoming rtp for 'audio' established" 10 ||
	fail "the caller's early audio did not reach the callee"
grep -q 'Call established' "$TMP/c.log" "$TMP/d.log" && fail "the call was answered already"
pass "183 with SDP between phones: the caller's audio reached the callee before the answer"
sleep 1
phone_cmd d accept >/dev/null || fail "accept refused"
wait_log "$TMP/c.log" 'Call established' 15 || fail "the call did not connect after early media"
sleep 3
phone_cmd c hangup >/dev/null || true
wait_log "$TMP/sotto.log" '1003 -> 1004 ended' 10 || fail "call did not end"
sleep 0.5
heard=$(tone_of "$(ls -t "$TMP"/c/*-dec.wav | head -1)")
[ "$heard" -ge 960 ] && [ "$heard" -le 1040 ] || fail "the caller heard ${heard} Hz, not 1000 Hz"
pass "then answered on the same streams: the caller heard the callee's $heard Hz"

# 2. TLS + SRTP: baresip's early crypto answer is refused; the 183 goes on without SDP.
phone_cmd a dial 1002 >/dev/null || fail "dial refused"
wait_log "$TMP/sotto.log" "early SDP from fork 0 not relayed: Callee's crypto answer is invalid" 15 ||
	fail "baresip's early crypto answer was not refused"
sleep 1
phone_cmd b accept >/dev/null || fail "accept refused"
wait_log "$TMP/a.log" 'Call established' 15 || fail "the call did not connect"
wait_log "$TMP/a.log" 'SRTP is Enabled' 5 || fail "no SRTP at the caller"
sleep 1
ctl calls | grep -E ' 1001 +1002 +answered' | grep -q ' secure$' || fail "the call is not listed secure"
phone_cmd a hangup >/dev/null || true
wait_log "$TMP/sotto.log" '1001 -> 1002 ended' 10 || fail "call did not end"
sleep 0.5
grep -qE 'errors: +0 +0' "$TMP/a.log" || fail "SRTP errors at the caller: $(grep errors: "$TMP/a.log")"
pass "SRTP phones: an early answer with unusable keys relayed without SDP; the answered call is secure, no SRTP errors"
stop_sotto

#!/usr/bin/env bash
# With real phones (baresip over TLS + SRTP):
#  - the echo test extension (*43) answers and returns the caller's own audio through the relay;
#  - a callee registered on two phones rings on both; the first to answer gets the call and the
#    other stops ringing (CANCEL);
#  - an administrator hangs a call up with sottoctl, and both phones see it end.
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
EOF
start_sotto "$TMP/sotto.conf"
make_tone "$TMP/tone440.wav" 440
export PHONE_SRATE=8000 PHONE_CHANNELS=1 PHONE_SOURCE="aufile,$TMP/tone440.wav"
acct() {
	echo "<sip:$1@127.0.0.1:$TLS_PORT;transport=tls>;auth_user=$1;auth_pass=pw-$1-secret;regint=600;answermode=$2;mediaenc=srtp-mand;audio_codecs=PCMU"
}
phone_config a "$(acct 1001 auto)"
phone_config b1 "$(acct 1002 auto)"
phone_config b2 "$(acct 1002 manual)"
for p in a b1 b2; do phone_start $p; done
for p in a b1 b2; do wait_log "$TMP/$p.log" '200 OK' || fail "$p did not register"; done
[ "$(ctl registrations | grep -c '^1002 ')" -eq 2 ] || fail "1002 not registered twice"

# Echo test: the caller hears its own 440 Hz back, over SRTP.
phone_cmd a dial '*43' >/dev/null || fail "dial refused"
wait_log "$TMP/a.log" 'Call established' 15 || fail "echo test not answered"
grep -q 'SRTP is Enabled' "$TMP/a.log" || fail "echo call not encrypted"
ctl calls | grep -E ' 1001 +echo +answered' | grep -q ' secure$' || fail "echo call not listed secure"
sleep 4
phone_cmd a hangup >/dev/null || true
wait_log "$TMP/sotto.log" '1001 -> \*43 ended' 10 || fail "echo call did not end"
sleep 0.5
heard=$(tone_of "$(ls -t "$TMP"/a/*-dec.wav | head -1)")
[ "$heard" -ge 420 ] && [ "$heard" -le 460 ] || fail "echo returned ${heard} Hz, not 440 Hz"
pass "echo test (*43): answered over SRTP, caller heard its own $heard Hz"

# Forking: both phones of 1002 ring; b1 answers at once, b2 is cancelled.
phone_cmd a dial 1002 >/dev/null || fail "dial refused"
wait_log "$TMP/b2.log" 'Incoming call' 10 || fail "the second phone did not ring"
wait_log "$TMP/a.log" 'Call established: sip:1002' 15 || fail "forked call not answered"
wait_log "$TMP/b1.log" 'Call established' 5 || fail "first phone did not get the call"
wait_log "$TMP/b2.log" 'terminated|Request Terminated|closed' 10 ||
	fail "the other phone kept ringing"
grep -q 'Call established' "$TMP/b2.log" && fail "both phones got the call"
pass "forked to both phones; the first answer wins, the other is cancelled"

# The administrator hangs up.
id=$(ctl calls | awk '$2 == "1001" && $3 == "1002" {print $1}')
[ -n "$id" ] || fail "call not listed"
ma=$(mark "$TMP/a.log")
mb=$(mark "$TMP/b1.log")
ctl hangup "$id" | grep -q 'hung up' || fail "sottoctl hangup failed"
wait_new "$TMP/a.log" "$ma" 'session closed|terminated' 10 || fail "caller not hung up"
wait_new "$TMP/b1.log" "$mb" 'session closed|terminated' 10 || fail "callee not hung up"
ctl hangup nosuchcall >/dev/null && fail "hangup of an unknown call succeeded"
pass "sottoctl hangup ends both legs"
stop_sotto

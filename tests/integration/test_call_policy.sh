#!/usr/bin/env bash
# Per-extension encryption policy with real phones (baresip):
#  - mandatory extension, phone without SRTP: its call is refused with 488;
#  - optional extension calling optional, both plain phones on UDP: the call connects in clear
#    and Sotto says so (sottoctl, call record); the capture then does hold the tone's samples,
#    which shows the capture check of test_call_baresip.sh can see audio when it is there;
#  - optional extension with an SRTP-capable phone (RFC 8643 offer) calling a mandatory one:
#    SRTP on both legs, path secure;
#  - a caller on TLS calling a phone reachable only over UDP: refused, not downgraded.
. "$(dirname "$0")/lib.sh"

RTP=$(( ($(free_port) / 2) * 2 ))
[ "$RTP" -lt 64000 ] || RTP=40000
write_config "$TMP/sotto.conf" <<EOF
[media]
rtp_ports = $RTP-$((RTP + 99))
[extension 1001]
password = pw-1001-secret
digest = md5
[extension 1003]
password = pw-1003-secret
transports = udp
encryption = optional
digest = md5
[extension 1004]
password = pw-1004-secret
transports = udp
encryption = optional
digest = md5
[extension 1005]
password = pw-1005-secret
digest = md5
[extension 1006]
password = pw-1006-secret
encryption = optional
digest = md5
EOF
start_sotto "$TMP/sotto.conf"
make_tone "$TMP/tone440.wav" 440
export PHONE_SRATE=8000 PHONE_CHANNELS=1 PHONE_SOURCE="aufile,$TMP/tone440.wav"
tls() { echo "<sip:$1@127.0.0.1:$TLS_PORT;transport=tls>;auth_user=$1;auth_pass=pw-$1-secret;regint=600;answermode=auto;audio_codecs=PCMU${2:-}"; }
udp() { echo "<sip:$1@127.0.0.1:$SIP_PORT>;auth_user=$1;auth_pass=pw-$1-secret;regint=600;answermode=auto;audio_codecs=PCMU"; }
phone_config p1001 "$(tls 1001 ';mediaenc=srtp-mand')"
# 1003 tries to pose as secure: its own display name starts with the marker.
phone_config p1003 "\"$(printf '\xF0\x9F\x94\x92') Mallory\" $(udp 1003)"
phone_config p1004 "$(udp 1004)"
phone_config p1005 "$(tls 1005)"
phone_config p1006 "$(tls 1006 ';mediaenc=srtp')"
for p in p1001 p1003 p1004 p1005 p1006; do phone_start $p; done
for p in p1001 p1003 p1004 p1005 p1006; do
	wait_log "$TMP/$p.log" '200 OK' || fail "$p did not register"
done

# 1. mandatory extension, plain phone: 488 before anything rings.
phone_cmd p1005 dial 1001 >/dev/null || true
wait_log "$TMP/p1005.log" '488 Encryption' 10 || fail "plain phone on a mandatory extension not refused with 488"
grep -q 'Encryption required' "$TMP/sotto.log" || fail "no reason given for the 488"
pass "mandatory vs plain phone: 488 Encryption required"

# 2. optional vs plain, on UDP: connects in clear, and is shown so.
tshark -i lo -f "udp and portrange $RTP-$((RTP + 99))" -F pcap -w "$TMP/plain.pcap" \
	>"$TMP/tshark.log" 2>&1 &
TSHARK=$!
PIDS+=("$TSHARK")
wait_log "$TMP/tshark.log" 'Capturing on' 10 || fail "tshark did not start"
phone_incoming p1004 "$TMP/p1004-incoming.txt"
phone_cmd p1003 dial 1004 >/dev/null || fail "dial refused"
wait_log "$TMP/p1003.log" 'Call established' 15 || fail "optional vs plain did not connect"
sleep 2
ctl calls >"$TMP/calls.txt"
grep -E ' 1003 +1004 +answered' "$TMP/calls.txt" | grep -q 'NOT SECURE' ||
	fail "plain call not shown as not secure: $(cat "$TMP/calls.txt")"
grep -q 'UDP, RTP in clear' "$TMP/calls.txt" || fail "legs not shown in clear"
phone_cmd p1003 hangup >/dev/null || true
wait_log "$TMP/sotto.log" '1003 -> 1004 ended' 10 || fail "plain call did not end"
sleep 0.5
kill -INT "$TSHARK" 2>/dev/null || true
wait "$TSHARK" 2>/dev/null || true
found=$(python3 "$SOTTO_SRC/tests/integration/audio.py" search "$TMP/plain.pcap" "$TMP/tone440.wav")
[ "$found" -gt 0 ] || fail "the tone was not found in the clear call's capture (search is blind)"
pass "optional vs plain: connects in clear, shown NOT SECURE, tone visible on the wire ($found runs)"
[ "$(cat "$TMP/p1004-incoming.txt")" = "Mallory|sip:1003@sotto.test" ] ||
	fail "a forged secure marker reached the callee: $(cat "$TMP/p1004-incoming.txt")"
pass "a caller's own padlock in its name is removed on a clear call"

# 3. optional extension with an SRTP phone (RTP/AVP + a=crypto) calling a mandatory one.
phone_incoming p1001 "$TMP/p1001-incoming.txt"
phone_cmd p1006 dial 1001 >/dev/null || fail "dial refused"
wait_log "$TMP/p1006.log" 'Call established' 15 || fail "optional vs SRTP did not connect"
wait_log "$TMP/p1006.log" 'SRTP is Enabled' 5 || fail "the optional phone did not get SRTP"
sleep 1
ctl calls >"$TMP/calls2.txt"
grep -E ' 1006 +1001 +answered' "$TMP/calls2.txt" | grep -q ' secure$' ||
	fail "optional vs SRTP not secure: $(cat "$TMP/calls2.txt")"
phone_cmd p1006 hangup >/dev/null || true
wait_log "$TMP/sotto.log" '1006 -> 1001 ended' 10 || fail "call did not end"
pass "optional vs SRTP: secure on both legs"
[ "$(cat "$TMP/p1001-incoming.txt")" = $'\xF0\x9F\x94\x92 1006|sip:1006@sotto.test' ] ||
	fail "secure call's callee not shown the marker: $(cat "$TMP/p1001-incoming.txt")"
pass "the mandatory callee of a secure call sees the marker before the caller's number"

# 4. a TLS caller never reaches a callee over plain UDP.
phone_cmd p1001 dial 1004 >/dev/null || true
wait_log "$TMP/p1001.log" '480 Callee' 10 || fail "TLS caller to a UDP-only phone not refused"
grep -q 'reachable only without TLS' "$TMP/sotto.log" || fail "no clear reason for the refusal"
pass "TLS caller to a UDP-only callee: refused (480), not downgraded"

stop_sotto
rows=$(sqlite3 "$TMP/var/sotto.db" "SELECT caller || '>' || callee || ':' || secure FROM cdr ORDER BY start_ms" | tr '\n' ' ')
case "$rows" in
*"1003>1004:0"*"1006>1001:1"*) pass "call records: $rows" ;;
*) fail "call records: $rows" ;;
esac

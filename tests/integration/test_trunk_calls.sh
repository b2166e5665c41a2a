#!/usr/bin/env bash
# Calls through a plain-UDP provider played by sipp, with a baresip phone on TLS + SRTP:
#  - outbound: the phone dials 0123456789; the route strips 0 and prepends 44; the provider
#    challenges the INVITE (401) and gets the trunk's credentials; the call connects with SRTP
#    on the phone's leg and plain RTP on the trunk's, and Sotto says the trunk leg is clear;
#  - an extension with require_secure_path = yes is refused on the same route;
#  - inbound: the provider calls the DID, the mapped extension rings and answers; a call to the
#    DID from any other address is challenged, never trusted as the provider.
. "$(dirname "$0")/lib.sh"

PROV=$(free_port)
RTP=$(( ($(free_port) / 2) * 2 ))
[ "$RTP" -lt 64000 ] || RTP=40000
write_config "$TMP/sotto.conf" <<EOF
[media]
rtp_ports = $RTP-$((RTP + 99))
[trunk provider]
host = 127.0.0.1:$PROV
transport = udp
username = 4420000000
password = prov-secret
register = no
encryption = optional
dids = 4420000000
[route national]
match = 0XXXXXXXXX
trunk = provider
strip = 1
prepend = 44
[inbound]
4420000000 = 1001
[extension 1001]
password = pw-1001-secret
digest = md5
[extension 1002]
password = pw-1002-secret
digest = md5
require_secure_path = yes
EOF
start_sotto "$TMP/sotto.conf"
export PHONE_SRATE=8000 PHONE_CHANNELS=1
make_tone "$TMP/tone.wav" 440
export PHONE_SOURCE="aufile,$TMP/tone.wav"
acct() { echo "<sip:$1@127.0.0.1:$TLS_PORT;transport=tls>;auth_user=$1;auth_pass=pw-$1-secret;regint=600;answermode=auto;mediaenc=srtp-mand;audio_codecs=PCMU"; }
phone_config a "$(acct 1001)"
phone_config s "$(acct 1002)"
phone_start a
phone_start s
wait_log "$TMP/a.log" '200 OK' && wait_log "$TMP/s.log" '200 OK' || fail "phones did not register"

# provider NAME SCENARIO [sipp args]: sipp at the provider's address, in the background.
provider() {
	local name=$1 scen=$2
	shift 2
	(cd "$TMP" && timeout -k 5 40 sipp -nostdin -sf "$SCEN/$scen.xml" -p "$PROV" -i 127.0.0.1 \
		-m 1 -timeout 30s -timeout_error -trace_msg -message_file "$TMP/prov-$name-msgs.log" \
		"$@" >"$TMP/prov-$name.log" 2>&1) &
	PROV_PID=$!
	PIDS+=("$PROV_PID")
	sleep 0.3
}

PROV_MEDIA=$(free_port)
tshark -i lo -f "udp and portrange $RTP-$((RTP + 99))" -F pcap -w "$TMP/trunk.pcap" \
	>"$TMP/tshark.log" 2>&1 &
TSHARK=$!
PIDS+=("$TSHARK")
wait_log "$TMP/tshark.log" 'Capturing on' 10 || fail "tshark did not start"
provider out provider_uas_auth -mp "$PROV_MEDIA"
phone_cmd a dial 0123456789 >/dev/null || fail "dial refused"
wait_log "$TMP/a.log" 'Call established' 15 || fail "outbound call did not connect"
grep -q 'SRTP is Enabled' "$TMP/a.log" || fail "the phone's leg is not SRTP"
sleep 1
ctl calls >"$TMP/calls.txt"
row=$(grep -E ' 1001 +0123456789 +answered' "$TMP/calls.txt") || fail "call not listed: $(cat "$TMP/calls.txt")"
echo "$row" | grep -q 'TLS, SRTP' || fail "extension leg not TLS+SRTP: $row"
echo "$row" | grep -q 'UDP, RTP in clear' || fail "trunk leg not shown in clear: $row"
echo "$row" | grep -q 'NOT SECURE' || fail "a call with a clear trunk leg shown secure: $row"
grep -q '^INVITE sip:44123456789@' "$TMP/prov-out-msgs.log" || fail "route did not strip/prepend"
grep -E '^From:' "$TMP/prov-out-msgs.log" | head -1 | grep -q 'sip:4420000000@' ||
	fail "caller ID not the trunk's"
grep -q 'RTP/SAVP\|a=crypto' "$TMP/prov-out-msgs.log" && fail "keys or SAVP offered to a plain UDP provider"
sleep 2
phone_cmd a hangup >/dev/null || true
wait "$PROV_PID" || fail "provider scenario failed: $(tail -5 "$TMP/prov-out.log")"
pass "outbound via trunk: 401 answered, strip/prepend, caller ID, SRTP to the phone, RTP to the provider, shown NOT SECURE"
sleep 0.5
kill -INT "$TSHARK" 2>/dev/null || true
wait "$TSHARK" 2>/dev/null || true
# What went to the provider is plain RTP carrying the phone's tone; what went to the phone is not.
tshark -r "$TMP/trunk.pcap" -Y "udp.dstport == $PROV_MEDIA" -w "$TMP/to-provider.pcap" 2>/dev/null
tshark -r "$TMP/trunk.pcap" -Y "udp.dstport != $PROV_MEDIA && udp.srcport != $PROV_MEDIA" \
	-w "$TMP/phone-side.pcap" 2>/dev/null
n_prov=$(tshark -r "$TMP/to-provider.pcap" 2>/dev/null | wc -l)
n_phone=$(tshark -r "$TMP/phone-side.pcap" 2>/dev/null | wc -l)
clear=$(python3 "$SOTTO_SRC/tests/integration/audio.py" search "$TMP/to-provider.pcap" "$TMP/tone.wav")
hidden=$(python3 "$SOTTO_SRC/tests/integration/audio.py" search "$TMP/phone-side.pcap" "$TMP/tone.wav")
[ "$n_prov" -gt 50 ] && [ "$n_phone" -gt 50 ] || fail "too few media packets ($n_prov, $n_phone)"
[ "$clear" -gt 0 ] || fail "the trunk side does not carry the tone in clear (capture blind?)"
[ "$hidden" -eq 0 ] || fail "the tone is readable on the phone's side ($hidden runs)"
pass "capture: the phone's side is SRTP (no tone), the trunk side plain RTP (tone readable)"

phone_cmd s dial 0123456789 >/dev/null || true
wait_log "$TMP/s.log" '488 Secure path required' 10 || fail "require_secure_path not enforced"
pass "require_secure_path: a call over a plain trunk is refused (488)"

ma=$(mark "$TMP/a.log")
provider in provider_uac -s 4420000000 127.0.0.1:"$SIP_PORT"
wait_new "$TMP/a.log" "$ma" 'Call established' 15 || fail "inbound call did not reach the extension"
sleep 1
ctl calls >"$TMP/calls2.txt"
row=$(grep -E 'provider|447700900123' "$TMP/calls2.txt" | grep answered) || fail "inbound call not listed: $(cat "$TMP/calls2.txt")"
echo "$row" | grep -q 'NOT SECURE' || fail "inbound call over a plain trunk shown secure"
wait "$PROV_PID" || fail "inbound provider scenario failed: $(tail -5 "$TMP/prov-in.log")"
pass "inbound DID from the provider rings the mapped extension (trunk leg clear, shown so)"

run_sipp untrusted -sf "$SCEN/did_untrusted.xml" -s 4420000000 -m 1 -t u1 -i 127.0.0.1 \
	127.0.0.1:"$SIP_PORT" || fail "a DID call from a stranger was not challenged"
pass "a DID call from any other address is challenged (407)"

stop_sotto
rows=$(sqlite3 "$TMP/var/sotto.db" "SELECT caller || '>' || callee || '@' || IFNULL(trunk,'') || ':' || secure FROM cdr ORDER BY start_ms" | tr '\n' ' ')
case "$rows" in
*"1001>0123456789@provider:0"*"447700900123>4420000000@provider:0"*) pass "records name the trunk: $rows" ;;
*) fail "call records: $rows" ;;
esac

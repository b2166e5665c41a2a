#!/usr/bin/env bash
# Early media and late offers on legs that must encrypt: a caller on TLS (sipp through a
# verifying socat) with encryption = mandatory, calling out through a TLS trunk with
# encryption = mandatory whose provider is sipp behind a socat TLS server:
#  - the provider's 183 with SRTP reaches the caller as Sotto's RTP/SAVP SDP with a key of
#    Sotto's (neither the provider's nor the caller's), the 200 repeats it, the call is secure;
#  - a 183 answering with plain RTP fails the trunk's policy: relayed without SDP, and the call
#    still connects when the 200 brings SRTP;
#  - late offer: the caller's INVITE without SDP gets an RTP/SAVP offer with keys in Sotto's
#    200, the provider's SRTP offer is answered with SRTP in Sotto's ACK, the call is secure.
. "$(dirname "$0")/lib.sh"

RTP=$(( ($(free_port) / 2) * 2 ))
[ "$RTP" -lt 64000 ] || RTP=40000
PROV=$(free_port)
PROV_TLS=$(free_port)
RELAY=$(free_port)
write_config "$TMP/sotto.conf" <<EOF
[media]
rtp_ports = $RTP-$((RTP + 99))
[trunk prov]
host = 127.0.0.1:$PROV_TLS
transport = tls
register = no
encryption = mandatory
verify_server = no
[route out]
match = 44XXXXXXXX
trunk = prov
[extension 2001]
password = pw-2001-secret
transports = tls
encryption = mandatory
digest = md5
EOF
start_sotto "$TMP/sotto.conf"
printf 'SEQUENTIAL\n2001;\n' >"$TMP/caller.csv"

# The caller's side: sipp speaks TCP to socat, which opens verified TLS to Sotto.
socat TCP-LISTEN:"$RELAY",bind=127.0.0.1,reuseaddr,fork \
	OPENSSL:127.0.0.1:"$TLS_PORT",cafile="$TMP/var/ca.pem",verify=1 >"$TMP/socat-caller.log" 2>&1 &
PIDS+=($!)
# The provider's side: a TLS server of its own in front of sipp on TCP.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=provider \
	-keyout "$TMP/prov.key" -out "$TMP/prov.crt" -days 2 2>/dev/null
cat "$TMP/prov.key" "$TMP/prov.crt" >"$TMP/prov.pem"
socat OPENSSL-LISTEN:"$PROV_TLS",bind=127.0.0.1,reuseaddr,fork,cert="$TMP/prov.pem",verify=0 \
	TCP:127.0.0.1:"$PROV" >"$TMP/socat-prov.log" 2>&1 &
PIDS+=($!)
sleep 0.3

# provider NAME SCENARIO DELAY_MS (background, pid in PROV_PID)
provider() {
	(cd "$TMP" && timeout -k 5 40 sipp -nostdin -sf "$SCEN/$2.xml" -t t1 -p "$PROV" \
		-i 127.0.0.1 -m 1 -d "$3" -key rtpport "$(free_port)" -timeout 30s -timeout_error \
		-trace_msg -message_file "$TMP/prov-$1-msgs.log" >"$TMP/prov-$1.log" 2>&1) &
	PROV_PID=$!
	PIDS+=("$PROV_PID")
	sleep 0.3
}
# caller NAME SCENARIO DELAY_MS (foreground)
caller() {
	run_sipp "uac-$1" -sf "$SCEN/$2.xml" -inf "$TMP/caller.csv" -au 2001 -ap pw-2001-secret \
		-s 4412345678 -m 1 -t t1 -i 127.0.0.1 -d "$3" -key rtpport "$(free_port)" \
		-trace_msg -message_file "$TMP/uac-$1-msgs.log" 127.0.0.1:"$RELAY"
}
provider_done() { wait "$PROV_PID" || fail "provider scenario $1 failed: $(tail -5 "$TMP/prov-$1.log")"; }
# body LOG REGEX: the SDP of the first message in a sipp log whose first line matches REGEX.
body() {
	python3 - "$1" "$2" <<'PY'
import re, sys
text = open(sys.argv[1], errors="replace").read().replace("\r", "")
for block in re.split(r"\n-{10,}[^\n]*\n", "\n" + text):
    lines = block.strip("\n").split("\n")
    while lines and (not lines[0] or " message " in lines[0]):
        lines.pop(0)
    if lines and re.search(sys.argv[2], lines[0]):
        i = lines.index("") if "" in lines else len(lines)
        print("\n".join(l for l in lines[i:] if l))
        break
PY
}
in_range() { [ -n "$1" ] && [ "$1" -ge "$RTP" ] && [ "$1" -le "$((RTP + 99))" ]; }
KEY_CALLER=WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz # the scenarios' own keys
KEY_CALLEE=QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVpBQkNE

# 1. Early media with SRTP on both legs.
provider e early_uas_srtp 2000
caller e early_uac_srtp 1000 || fail "SRTP early-media call failed"
provider_done e
b183=$(body "$TMP/uac-e-msgs.log" '^SIP/2.0 183')
grep -q '^m=audio [0-9]* RTP/SAVP 0 101' <<<"$b183" || fail "the caller's 183 is not RTP/SAVP: $b183"
in_range "$(echo "$b183" | sed -n 's/^m=audio \([0-9]*\) .*/\1/p')" || fail "the 183 has not Sotto's port"
grep -q '^a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:' <<<"$b183" || fail "no key in the caller's 183"
grep -q -e "$KEY_CALLER" -e "$KEY_CALLEE" <<<"$b183" && fail "a peer's key crossed legs"
[ "$b183" = "$(body "$TMP/uac-e-msgs.log" '^SIP/2.0 200')" ] || fail "the 200's SDP differs from the 183's"
grep -q '^m=audio [0-9]* RTP/SAVP' <<<"$(body "$TMP/prov-e-msgs.log" '^INVITE ')" || fail "the trunk got no SRTP offer"
pass "SRTP early media: Sotto's RTP/SAVP SDP with its own key in the caller's 183, repeated in the 200"

# 2. A 183 whose plain RTP answer fails the trunk's policy: relayed without SDP.
provider p early_uas_plain183 1500
caller p early_uac_srtp 500 || fail "call with a refused early answer did not connect"
provider_done p
[ -z "$(body "$TMP/uac-p-msgs.log" '^SIP/2.0 183')" ] || fail "a plain early answer was relayed to a mandatory leg"
grep -q 'early SDP from fork 0 not relayed: Callee answered without SRTP' "$TMP/sotto.log" ||
	fail "no reason logged for the refused early SDP"
grep -q '^a=crypto:' <<<"$(body "$TMP/uac-p-msgs.log" '^SIP/2.0 200')" || fail "the answer lost its key"
pass "a 183 with plain RTP toward a mandatory leg: relayed without SDP; the SRTP 200 connects"

# 3. Late offer over TLS with SRTP on both legs.
provider l late_uas_srtp 0
caller l late_uac_srtp 1000 || fail "late-offer SRTP call failed"
provider_done l
off=$(body "$TMP/uac-l-msgs.log" '^SIP/2.0 200')
grep -q '^m=audio [0-9]* RTP/SAVP 0 101' <<<"$off" || fail "Sotto's offer to the caller is not RTP/SAVP: $off"
[ "$(grep -c '^a=crypto:' <<<"$off")" -ge 2 ] || fail "Sotto's offer carries no keys"
ans=$(body "$TMP/prov-l-msgs.log" '^ACK ')
grep -q '^m=audio [0-9]* RTP/SAVP 0' <<<"$ans" || fail "the provider's ACK does not answer with SRTP: $ans"
grep -q '^a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:' <<<"$ans" || fail "the provider's ACK has no key"
grep -q -e "$KEY_CALLER" -e "$KEY_CALLEE" <<<"$off$ans" && fail "a peer's key crossed legs"
pass "late offer on TLS: RTP/SAVP offer with keys to the caller, SRTP answer in the provider's ACK"

stop_sotto
rows=$(sqlite3 "$TMP/var/sotto.db" "SELECT secure || ':' || sec_a || ':' || sec_b FROM cdr ORDER BY start_ms" | tr '\n' ' ')
[ "$rows" = "1:TLS, SRTP AES_CM_128_HMAC_SHA1_80:TLS, SRTP AES_CM_128_HMAC_SHA1_80 1:TLS, SRTP AES_CM_128_HMAC_SHA1_80:TLS, SRTP AES_CM_128_HMAC_SHA1_80 1:TLS, SRTP AES_CM_128_HMAC_SHA1_80:TLS, SRTP AES_CM_128_HMAC_SHA1_80 " ] ||
	fail "call records: '$rows'"
pass "call records: every call secure, both legs TLS + SRTP"

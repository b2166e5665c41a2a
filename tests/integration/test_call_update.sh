#!/usr/bin/env bash
# UPDATE (RFC 3311) inside a confirmed call, relayed to the other leg as an UPDATE:
#  - plain UDP (sipp caller and callee): the callee's UPDATE with PCMA reaches the caller as an
#    UPDATE from Sotto (its address, its port for that leg), the caller's 200 comes back to the
#    callee with Sotto's SDP, and RTP then flows both ways as PCMA (rtp_probe.py); the caller's
#    UPDATE toward a callee that answers 501 goes to it as a re-INVITE instead, and the caller's
#    UPDATE gets the 200;
#  - over TLS (caller mandatory SRTP through socat, callee optional behind tls_phone.py): the
#    caller's UPDATE with a new key reaches the callee as an UPDATE carrying the key Sotto
#    already uses toward the callee, never the caller's; the caller's 200 has a new key of
#    Sotto's (RFC 4568 7.1.4).
. "$(dirname "$0")/lib.sh"

RTP=$(( ($(free_port) / 2) * 2 ))
[ "$RTP" -lt 64000 ] || RTP=40000
write_config "$TMP/sotto.conf" <<EOF2
[media]
rtp_ports = $RTP-$((RTP + 99))
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
[extension 2003]
password = pw-2003-secret
transports = tls
digest = md5
[extension 2004]
password = pw-2004-secret
transports = tls
encryption = optional
digest = md5
EOF2
start_sotto "$TMP/sotto.conf"
media_port() {
	local p
	while p=$(free_port); [ "$p" -ge "$RTP" ] && [ "$p" -le $((RTP + 99)) ]; do :; done
	echo "$p"
}
A_MEDIA=$(media_port)
while B_MEDIA=$(media_port); [ "$B_MEDIA" = "$A_MEDIA" ]; do :; done

printf 'SEQUENTIAL\n2001;\n' >"$TMP/caller.csv"
UAS_PORT=$(free_port)
python3 "$SOTTO_SRC/tests/integration/sipreg.py" "$SIP_PORT" "$UAS_PORT" 2002 pw-2002-secret \
	>/dev/null || fail "callee could not register"
(cd "$TMP" && timeout -k 5 60 sipp -nostdin -sf "$SCEN/update_uas.xml" -p "$UAS_PORT" -i 127.0.0.1 \
	-key bmedia "$B_MEDIA" -m 1 -timeout 40s -timeout_error -trace_msg \
	-message_file "$TMP/uas-msgs.log" >"$TMP/uas.log" 2>&1) &
UAS=$!
PIDS+=("$UAS")
sleep 0.3
run_sipp uac -sf "$SCEN/update_uac.xml" -inf "$TMP/caller.csv" -au 2001 -ap pw-2001-secret \
	-s 2002 -m 1 -i 127.0.0.1 -key amedia "$A_MEDIA" -trace_msg \
	-message_file "$TMP/uac-msgs.log" 127.0.0.1:"$SIP_PORT" &
UAC=$!
PIDS+=("$UAC")

for _ in $(seq 1 100); do [ -f "$TMP/upd.txt" ] && [ -f "$TMP/bport_upd.txt" ] && break; sleep 0.1; done
[ -f "$TMP/upd.txt" ] && [ -f "$TMP/bport_upd.txt" ] || fail "the callee's UPDATE was not relayed and answered"
[ "$(cat "$TMP/aport_upd.txt")" = "$(cat "$TMP/aport.txt")" ] ||
	fail "the UPDATE to the caller announced port $(cat "$TMP/aport_upd.txt"), not leg A's"
[ "$(cat "$TMP/bport_upd.txt")" = "$(cat "$TMP/bport.txt")" ] ||
	fail "the 200 to the callee announced port $(cat "$TMP/bport_upd.txt"), not leg B's"
probe=$(python3 "$SOTTO_SRC/tests/integration/rtp_probe.py" "$A_MEDIA" "$(cat "$TMP/aport.txt")" \
	"$B_MEDIA" "$(cat "$TMP/bport.txt")" 50 8 2>&1) || fail "media after the UPDATE: $probe"
pass "callee's UPDATE relayed as an UPDATE with Sotto's SDP, the 200 relayed back; PCMA flows ($probe)"

wait "$UAC" || fail "caller scenario failed: $(tail -5 "$TMP/sipp-uac.log")"
wait "$UAS" || fail "callee scenario failed: $(tail -5 "$TMP/uas.log")"
grep -q "callee side re-offered (active), relayed to the caller" "$TMP/sotto.log" ||
	fail "the callee's UPDATE was not logged as relayed"
grep -q "caller side re-offered (active), relayed to the callee" "$TMP/sotto.log" ||
	fail "the caller's UPDATE was not logged as relayed"
grep -q '^UPDATE ' "$TMP/uac-msgs.log" || fail "the caller never got an UPDATE"
pass "caller's UPDATE to a callee without UPDATE (501) went as a re-INVITE, the caller got its 200"

# ---- over TLS, with SRTP ----
RELAY=$(free_port)
socat -d -d TCP-LISTEN:"$RELAY",bind=127.0.0.1,reuseaddr,fork \
	OPENSSL:127.0.0.1:"$TLS_PORT",cafile="$TMP/var/ca.pem",verify=1 >"$TMP/socat.log" 2>&1 &
PIDS+=($!)
key() { head -c 30 /dev/urandom | base64; }
KB=$(key)
K1=$(key)
K2=$(key)
UAS2_PORT=$(free_port)
(cd "$TMP" && timeout -k 5 60 sipp -nostdin -sf "$SCEN/update_tls_uas.xml" -t t1 -p "$UAS2_PORT" \
	-i 127.0.0.1 -key bmedia "$B_MEDIA" -key kb "$KB" -m 1 -timeout 40s -timeout_error \
	-trace_msg -message_file "$TMP/uas2-msgs.log" >"$TMP/uas2.log" 2>&1) &
UAS=$!
PIDS+=("$UAS")
sleep 0.3
python3 "$SOTTO_SRC/tests/integration/tls_phone.py" "$TLS_PORT" "$TMP/var/ca.pem" 2004 \
	pw-2004-secret "$UAS2_PORT" >"$TMP/tls_phone.log" 2>&1 &
PIDS+=($!)
wait_log "$TMP/tls_phone.log" registered 10 || fail "callee did not register over TLS"
printf 'SEQUENTIAL\n2003;\n' >"$TMP/caller2.csv"
run_sipp uac2 -sf "$SCEN/update_tls_uac.xml" -inf "$TMP/caller2.csv" -au 2003 -ap pw-2003-secret \
	-s 2004 -m 1 -t t1 -i 127.0.0.1 -key amedia "$A_MEDIA" -key k1 "$K1" -key k2 "$K2" \
	-trace_msg -message_file "$TMP/uac2-msgs.log" 127.0.0.1:"$RELAY" ||
	fail "TLS caller scenario failed: $(tail -5 "$TMP/sipp-uac2.log")"
wait "$UAS" || fail "TLS callee scenario failed: $(tail -5 "$TMP/uas2.log")"
a0=$(cat "$TMP/akey0.txt") a1=$(cat "$TMP/akey1.txt") b0=$(cat "$TMP/bkey0.txt") b1=$(cat "$TMP/bkey1.txt")
[ "$b1" = "$b0" ] || fail "the UPDATE to the callee did not keep Sotto's key toward it"
for k in "$K1" "$K2" "$a0" "$a1"; do
	[ "$b1" != "$k" ] || fail "the UPDATE to the callee carries a key of the caller's leg"
done
[ "$a1" != "$a0" ] || fail "the caller sent a new key, Sotto's 200 kept its old one"
[ "$(grep -c '^INVITE ' "$TMP/uas2-msgs.log")" = 1 ] || fail "the callee got a re-INVITE, not an UPDATE"
pass "over TLS: the callee got an UPDATE with Sotto's key for its leg; the caller a new key of Sotto's"

stop_sotto
rec=$(sqlite3 "$TMP/var/sotto.db" "SELECT caller, callee, status, cause FROM cdr ORDER BY start_ms" | tr '\n' ' ')
[ "$rec" = "2001|2002|200|caller_hangup 2003|2004|200|caller_hangup " ] || fail "call records: '$rec'"
pass "call records: $rec"

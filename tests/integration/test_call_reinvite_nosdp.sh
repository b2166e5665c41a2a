#!/usr/bin/env bash
# re-INVITE without SDP (RFC 3261 14.1, 14.2; RFC 3264) and the relay's RTP clock after a codec
# change. sipp as caller and callee, plain UDP:
#  - the caller re-INVITEs with only opus: the relay's clock follows to 48 kHz (measured from
#    the timestamps it writes across a sender restart, rtp_clock.py);
#  - the caller's re-INVITE without SDP reaches the callee without SDP; the callee's offer in
#    its 200 reaches the caller at Sotto's address and port for that leg; the caller's answer
#    in its ACK reaches the callee in Sotto's ACK, at Sotto's address; RTP then flows both ways
#    with the new codec;
#  - the same from the callee's side;
#  - an ACK without the answer ends the call: the callee's offer is refused in Sotto's ACK
#    (port 0), both legs get BYE, the reason is logged.
# Then over TLS with mandatory SRTP on the caller's leg (sipp through socat; the callee a sipp
# behind a TLS connection it registered, optional encryption):
#  - Sotto's offer to the caller keeps the key Sotto already uses toward it (its SRTP context
#    goes on) and is RTP/SAVP; the caller's answer with a new key reaches the callee with a key
#    of Sotto's;
#  - an answer in the ACK that drops SRTP ends the call (policy), cleanly.
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
(cd "$TMP" && timeout -k 5 60 sipp -nostdin -sf "$SCEN/nosdp_uas.xml" -p "$UAS_PORT" -i 127.0.0.1 \
	-key bmedia "$B_MEDIA" -m 1 -timeout 40s -timeout_error -trace_msg \
	-message_file "$TMP/uas-msgs.log" >"$TMP/uas.log" 2>&1) &
UAS=$!
PIDS+=("$UAS")
sleep 0.3
run_sipp uac -sf "$SCEN/nosdp_uac.xml" -inf "$TMP/caller.csv" -au 2001 -ap pw-2001-secret \
	-s 2002 -m 1 -i 127.0.0.1 -key amedia "$A_MEDIA" -trace_msg \
	-message_file "$TMP/uac-msgs.log" 127.0.0.1:"$SIP_PORT" &
UAC=$!
PIDS+=("$UAC")

# opus (48 kHz) after the re-INVITE: the relay's clock must follow
wait_log "$TMP/sotto.log" 'caller side re-offered \(active\), relayed' 10 ||
	fail "opus re-INVITE not relayed"
for _ in $(seq 1 100); do [ -f "$TMP/opus.txt" ] && break; sleep 0.1; done
[ -f "$TMP/opus.txt" ] || fail "the opus re-INVITE did not complete"
clock=$(python3 "$SOTTO_SRC/tests/integration/rtp_clock.py" "$A_MEDIA" "$(cat "$TMP/aport.txt")" \
	"$B_MEDIA" 111 48000 2>&1) || fail "relay clock after the opus re-INVITE: $clock (48000 expected)"
pass "codec change to opus: the relay's RTP clock follows ($clock)"

# the caller's re-INVITE without SDP: PCMA offered by the callee, answered by the caller
for _ in $(seq 1 100); do [ -f "$TMP/nosdp.txt" ] && [ -f "$TMP/bport2.txt" ] && break; sleep 0.1; done
[ -f "$TMP/nosdp.txt" ] || fail "the re-INVITE without SDP did not complete"
[ "$(cat "$TMP/aport2.txt")" = "$(cat "$TMP/aport.txt")" ] ||
	fail "Sotto's offer to the caller moved to port $(cat "$TMP/aport2.txt")"
[ "$(cat "$TMP/bport2.txt")" = "$(cat "$TMP/bport.txt")" ] ||
	fail "Sotto's answer to the callee moved to port $(cat "$TMP/bport2.txt")"
probe=$(python3 "$SOTTO_SRC/tests/integration/rtp_probe.py" "$A_MEDIA" "$(cat "$TMP/aport.txt")" \
	"$B_MEDIA" "$(cat "$TMP/bport.txt")" 50 8 2>&1) || fail "media after the re-INVITE without SDP: $probe"
clock=$(python3 "$SOTTO_SRC/tests/integration/rtp_clock.py" "$A_MEDIA" "$(cat "$TMP/aport.txt")" \
	"$B_MEDIA" 8 8000 2>&1) || fail "relay clock back to PCMA: $clock (8000 expected)"
pass "caller's re-INVITE without SDP: callee's offer and caller's answer relayed, PCMA flows ($probe, $clock)"

wait "$UAC" || fail "caller scenario failed: $(tail -5 "$TMP/sipp-uac.log")"
wait "$UAS" || fail "callee scenario failed: $(tail -5 "$TMP/uas.log")"
pass "callee's re-INVITE without SDP relayed the same way; an ACK without answer hangs up"

# What crossed: the relayed re-INVITEs carry no SDP; every SDP of Sotto's is its own.
nobody=$(awk '/^INVITE /{inv=1; cl=""} inv && /^Content-Length: 0/{n++} /^$/{inv=0} END{print n+0}' \
	"$TMP/uas-msgs.log")
[ "$nobody" -ge 2 ] || fail "the callee got $nobody re-INVITEs without SDP, expected 2"
grep -q 'a=crypto' "$TMP/uas-msgs.log" "$TMP/uac-msgs.log" && fail "keys over plain UDP"
grep -q "caller side re-INVITEd without SDP: the callee's offer (active) answered in its ACK" \
	"$TMP/sotto.log" || fail "caller's re-INVITE without SDP not logged"
grep -q "callee side re-INVITEd without SDP: the caller's offer (active) answered in its ACK" \
	"$TMP/sotto.log" || fail "callee's re-INVITE without SDP not logged"
grep -q "the caller's answer to a re-INVITE without SDP is refused: no SDP answer in its ACK; hanging up" \
	"$TMP/sotto.log" || fail "the missing answer is not logged with its reason"
wait_log "$TMP/sotto.log" 'ended \(reinvite_bad_answer\)' 5 || fail "call not ended as reinvite_bad_answer"
pass "relayed without SDP both ways, Sotto's own SDP on each leg, the bad ACK logged"

# ---- over TLS, with mandatory SRTP on the caller's leg ----
RELAY=$(free_port)
socat -d -d TCP-LISTEN:"$RELAY",bind=127.0.0.1,reuseaddr,fork \
	OPENSSL:127.0.0.1:"$TLS_PORT",cafile="$TMP/var/ca.pem",verify=1 >"$TMP/socat.log" 2>&1 &
PIDS+=($!)
key() { head -c 30 /dev/urandom | base64; }
KB=$(key)
UAS2_PORT=$(free_port)
(cd "$TMP" && timeout -k 5 60 sipp -nostdin -sf "$SCEN/nosdp_tls_uas.xml" -t t1 -p "$UAS2_PORT" \
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
K1=$(key)
K2=$(key)
run_sipp uac2 -sf "$SCEN/nosdp_tls_uac.xml" -inf "$TMP/caller2.csv" -au 2003 -ap pw-2003-secret \
	-s 2004 -m 1 -t t1 -i 127.0.0.1 -key amedia "$A_MEDIA" -key k1 "$K1" -key k2 "$K2" \
	-trace_msg -message_file "$TMP/uac2-msgs.log" 127.0.0.1:"$RELAY" ||
	fail "TLS caller scenario failed: $(tail -5 "$TMP/sipp-uac2.log")"
wait "$UAS" || fail "TLS callee scenario failed: $(tail -5 "$TMP/uas2.log")"
k0=$(cat "$TMP/key0.txt") k1=$(cat "$TMP/key1.txt") k2=$(cat "$TMP/key2.txt") kb=$(cat "$TMP/bkey.txt")
[ "$k1" = "$k0" ] && [ "$k2" = "$k0" ] ||
	fail "Sotto's offers to the caller did not keep its key toward it: $k0 / $k1 / $k2"
for k in "$KB" "$K1" "$K2" "$k0"; do
	[ "$kb" != "$k" ] || fail "Sotto's answer to the callee reuses a key seen on the other leg"
done
pass "over TLS: Sotto's offers to the caller RTP/SAVP with its key kept; the callee's key answered with Sotto's own"
grep -q "the caller's answer to a re-INVITE without SDP is refused: The other party answered without SRTP; hanging up" \
	"$TMP/sotto.log" || fail "the plain answer on the mandatory leg is not refused with its reason"
pass "an answer without SRTP in the ACK of the mandatory leg: callee's offer refused, both legs hung up"

stop_sotto
rec=$(sqlite3 "$TMP/var/sotto.db" "SELECT caller, callee, status, cause FROM cdr ORDER BY start_ms" | tr '\n' ' ')
[ "$rec" = "2001|2002|200|reinvite_bad_answer 2003|2004|200|reinvite_bad_answer " ] ||
	fail "call records: '$rec'"
pass "call records: $rec"

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
. "$(dirname "$0")/reinv_lib.sh"

reinv_start_sotto tls
reinv_media_ports
reinv_callee nosdp_uas.xml
reinv_caller nosdp_uac.xml

# opus (48 kHz) after the re-INVITE: the relay's clock must follow
wait_log "$TMP/sotto.log" 'caller side re-offered \(active\), relayed' 10 ||
	fail "opus re-INVITE not relayed"
wait_files 10 "$TMP/opus.txt" || fail "the opus re-INVITE did not complete"
clock=$(python3 "$SOTTO_SRC/tests/integration/rtp_clock.py" "$A_MEDIA" "$(cat "$TMP/aport.txt")" \
	"$B_MEDIA" 111 48000 2>&1) || fail "relay clock after the opus re-INVITE: $clock (48000 expected)"
pass "codec change to opus: the relay's RTP clock follows ($clock)"

# the caller's re-INVITE without SDP: PCMA offered by the callee, answered by the caller
wait_files 10 "$TMP/nosdp.txt" "$TMP/bport2.txt" || fail "the re-INVITE without SDP did not complete"
[ "$(cat "$TMP/aport2.txt")" = "$(cat "$TMP/aport.txt")" ] ||
	fail "Sotto's offer to the caller moved to port $(cat "$TMP/aport2.txt")"
[ "$(cat "$TMP/bport2.txt")" = "$(cat "$TMP/bport.txt")" ] ||
	fail "Sotto's answer to the callee moved to port $(cat "$TMP/bport2.txt")"
probe=$(reinv_probe 8) || fail "media after the re-INVITE without SDP: $probe"
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
reinv_tls_relay
KB=$(srtp_key)
reinv_tls_callee nosdp_tls_uas.xml -key kb "$KB"
K1=$(srtp_key)
K2=$(srtp_key)
reinv_tls_caller nosdp_tls_uac.xml -key k1 "$K1" -key k2 "$K2" ||
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

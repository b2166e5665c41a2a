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
. "$(dirname "$0")/reinv_lib.sh"

reinv_start_sotto tls
reinv_media_ports
reinv_callee update_uas.xml
reinv_caller update_uac.xml

wait_files 10 "$TMP/upd.txt" "$TMP/bport_upd.txt" || fail "the callee's UPDATE was not relayed and answered"
[ "$(cat "$TMP/aport_upd.txt")" = "$(cat "$TMP/aport.txt")" ] ||
	fail "the UPDATE to the caller announced port $(cat "$TMP/aport_upd.txt"), not leg A's"
[ "$(cat "$TMP/bport_upd.txt")" = "$(cat "$TMP/bport.txt")" ] ||
	fail "the 200 to the callee announced port $(cat "$TMP/bport_upd.txt"), not leg B's"
probe=$(reinv_probe 8) || fail "media after the UPDATE: $probe"
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
reinv_tls_relay
KB=$(srtp_key)
K1=$(srtp_key)
K2=$(srtp_key)
reinv_tls_callee update_tls_uas.xml -key kb "$KB"
reinv_tls_caller update_tls_uac.xml -key k1 "$K1" -key k2 "$K2" ||
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

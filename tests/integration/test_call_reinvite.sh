#!/usr/bin/env bash
# re-INVITE relayed between the legs of a call (sipp as caller and callee, plain UDP):
#  - the caller re-INVITEs with only G722: the callee gets a re-INVITE from Sotto's address and
#    refuses it (488): the caller gets 488 and the call goes on with PCMU (RTP still relayed);
#  - only PCMA: the callee gets PCMA at Sotto's address and port for its leg, with Sotto's o=
#    version incremented, answers PCMA, and the caller's 200 carries PCMA;
#  - hold (sendonly) reaches the callee as sendonly and comes back recvonly; resume;
#  - glare: the callee's own re-INVITE while Sotto's is pending gets 491;
#  - a BYE from the callee while a re-INVITE is pending: 487 to the caller, then BYE.
# Then over TLS (sipp through socat as the caller, with mandatory SRTP; the callee a sipp behind
# a TLS connection it registered, optional encryption, answering plain RTP):
#  - a codec change with the caller's key unchanged: Sotto's answer keeps its key too; with a
#    new key: Sotto answers with a new key (RFC 4568);
#  - a re-INVITE dropping SRTP on the mandatory leg: 488, nothing relayed;
#  - the callee's hold reaches the caller as Sotto's re-INVITE: RTP/SAVP, sendonly, with the key
#    Sotto already uses toward the caller (its SRTP context goes on).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/reinv_lib.sh"

reinv_start_sotto tls
reinv_media_ports
reinv_callee reinv_uas.xml
reinv_caller reinv_uac.xml

# After the refused re-INVITE, RTP still crosses the relay both ways, as PCMU.
wait_files 10 "$TMP/refused.txt" || fail "the G722 re-INVITE was not refused"
probe=$(reinv_probe 0) || fail "media after the 488: $probe"
pass "callee refused G722 (488 to the caller); the call goes on and RTP is relayed ($probe)"

wait "$UAC" || fail "caller scenario failed: $(tail -5 "$TMP/sipp-uac.log")"
wait "$UAS" || fail "callee scenario failed: $(tail -5 "$TMP/uas.log")"
pass "PCMA re-INVITE relayed and answered with PCMA; hold, resume, glare (491), BYE mid re-INVITE (487)"

# The re-INVITEs the callee got are Sotto's own SDP for its leg: Sotto's port for leg B (not
# leg A's, not the caller's), o= with Sotto's session id and a growing version.
invites() { awk '/^INVITE /{p=1} p{print} /^$/{if(p)n++} ' "$TMP/uas-msgs.log"; }
mapfile -t ports < <(grep -E '^m=audio' "$TMP/uas-msgs.log" | grep -v " $B_MEDIA " | awk '{print $2}')
mapfile -t origins < <(grep -E '^o=' "$TMP/uas-msgs.log" | grep -v '^o=sipp' | tr -d '\r')
[ "${#ports[@]}" -ge 6 ] || fail "expected 6 INVITEs from Sotto, saw ${#ports[@]}"
for p in "${ports[@]}"; do
	[ "$p" = "$(cat "$TMP/bport.txt")" ] || fail "a re-INVITE announced port $p, not leg B's $(cat "$TMP/bport.txt")"
done
[ "$(cat "$TMP/aport.txt")" != "$(cat "$TMP/bport.txt")" ] || fail "same port on both legs"
ids=$(printf '%s\n' "${origins[@]}" | awk '{print $2}' | sort -u | wc -l)
[ "$ids" -eq 1 ] || fail "o= session id changed: ${origins[*]}"
prev=0
for o in "${origins[@]}"; do
	v=$(echo "$o" | awk '{print $3}')
	[ "$v" -gt "$prev" ] || fail "o= version did not grow: ${origins[*]}"
	prev=$v
done
grep -q "a=crypto" "$TMP/uas-msgs.log" && fail "keys offered over plain UDP"
pass "every re-INVITE to the callee: Sotto's leg-B port, one o= session id, version growing (${#origins[@]} offers)"

grep -q 're-offered (hold), relayed to the callee' "$TMP/sotto.log" || fail "hold not relayed"
grep -q 'refused a relayed re-INVITE: 488' "$TMP/sotto.log" || fail "488 not logged"
wait_log "$TMP/sotto.log" 'ended \(callee_hangup\)' 5 || fail "call not ended by the callee's BYE"

# ---- over TLS, with SRTP on the caller's leg ----
reinv_tls_relay
reinv_tls_callee reinv_tls_uas.xml
reinv_tls_caller reinv_tls_uac.xml -key k1 "$(srtp_key)" -key k2 "$(srtp_key)" ||
	fail "TLS caller scenario failed: $(tail -5 "$TMP/sipp-uac2.log")"
wait "$UAS" || fail "TLS callee scenario failed: $(tail -5 "$TMP/uas2.log")"
pass "over TLS: PCMA and PCMU+PCMA relayed, SRTP drop refused (488), callee's hold relayed"

# Sotto's keys toward the caller, in order: the call's 200, the answers to the two relayed
# re-INVITEs, and its own re-INVITE for the callee's hold.
mapfile -t keys < <(awk '/message (sent|received)/{r = /received/} r && /^a=crypto/' \
	"$TMP/uac2-msgs.log" | tr -d '\r')
[ "${#keys[@]}" -eq 4 ] || fail "expected 4 keys from Sotto toward the caller, saw ${#keys[@]}"
[ "${keys[1]}" = "${keys[0]}" ] || fail "caller kept its key, Sotto changed its own"
[ "${keys[2]}" != "${keys[1]}" ] || fail "caller sent a new key, Sotto kept its own"
[ "${keys[3]}" = "${keys[2]}" ] || fail "Sotto's re-INVITE to the caller did not keep its key"
grep -q 'caller side.s re-offer refused: Encryption required' "$TMP/sotto.log" ||
	fail "SRTP drop not refused for the policy"
grep -q 'callee side re-offered (hold), relayed to the caller' "$TMP/sotto.log" ||
	fail "callee's hold not relayed"
grep -q "a=crypto" "$TMP/uas2-msgs.log" && ! grep -q "RTP/SAVP" "$TMP/uas2-msgs.log" ||
	fail "callee's leg: expected optional offers (RTP/AVP with keys), no RTP/SAVP"
pass "keys toward the caller: kept when it kept its own, new for its new key, kept in Sotto's re-INVITE"

stop_sotto
rec=$(sqlite3 "$TMP/var/sotto.db" "SELECT caller, callee, status, cause FROM cdr ORDER BY start_ms" | tr '\n' ' ')
[ "$rec" = "2001|2002|200|callee_hangup 2003|2004|200|caller_hangup " ] || fail "call records: '$rec'"
pass "call records: $rec"

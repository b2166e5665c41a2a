#!/usr/bin/env bash
# Call signalling with sipp as caller and callee (plain UDP extensions, encryption off): 407
# challenge and answer, ringing, answer and BYE either way; busy (486), no answer (ring
# timeout, CANCEL toward the callee), caller CANCEL (487), unknown number (404), offline (480),
# Max-Forwards 0 (483) and decremented across legs, media timeout (BYE to both). The callee leg is a dialog of its own: its Call-ID, Via and tags are
# not the caller's, and the caller's identity is presented. Every attempt leaves a call record.
. "$(dirname "$0")/lib.sh"

write_config "$TMP/sotto.conf" <<'EOF'
[media]
timeout = 3
[calls]
ring_timeout = 3
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
[extension 2009]
password = pw-2009-secret
transports = udp
encryption = off
digest = md5
EOF
start_sotto "$TMP/sotto.conf"
printf 'SEQUENTIAL\n2001;\n' >"$TMP/caller.csv"
UAS_PORT=$(free_port)

# callee NAME SCENARIO: register 2002 from UAS_PORT, then answer as sipp there (background).
callee() {
	python3 "$SOTTO_SRC/tests/integration/sipreg.py" "$SIP_PORT" "$UAS_PORT" 2002 pw-2002-secret \
		>/dev/null || fail "callee could not register"
	(cd "$TMP" && timeout -k 5 40 sipp -nostdin -sf "$SCEN/$2.xml" -p "$UAS_PORT" -i 127.0.0.1 \
		-m 1 -timeout 30s -timeout_error -trace_msg -message_file "$TMP/uas-$1-msgs.log" \
		>"$TMP/uas-$1.log" 2>&1) &
	UAS=$!
	PIDS+=("$UAS")
	sleep 0.3
}
# caller NAME SCENARIO TARGET [CODE]: the caller, in the foreground; CODE is the final response
# call_uac_fail expects (sipp takes no variable there, so it is written into a copy).
caller() {
	local name=$1 scen=$SCEN/$2.xml target=$3
	if [ -n "${4:-}" ]; then
		sed "s/\[code\]/$4/" "$scen" >"$TMP/$2-$4.xml"
		scen=$TMP/$2-$4.xml
	fi
	run_sipp "uac-$name" -sf "$scen" -inf "$TMP/caller.csv" -au 2001 \
		-ap pw-2001-secret -s "$target" -m 1 -t u1 -i 127.0.0.1 \
		-trace_msg -message_file "$TMP/uac-$name-msgs.log" 127.0.0.1:"$SIP_PORT"
}
callee_done() {
	wait "$UAS" || fail "callee scenario $1 failed: $(tail -5 "$TMP/uas-$1.log")"
}

callee answered call_uas
caller answered call_uac 2002 || fail "answered call failed"
callee_done answered
pass "call answered after the 407 challenge; caller's BYE reaches the callee"

# Nothing internal crosses legs: the callee's INVITE is Sotto's own.
inv=$TMP/uas-answered-msgs.log
caller_cid=$(grep -m1 '^Call-ID:' "$TMP/uac-answered-msgs.log" | tr -d '\r' | cut -d' ' -f2)
callee_cid=$(grep -m1 '^Call-ID:' "$inv" | tr -d '\r' | cut -d' ' -f2)
[ -n "$callee_cid" ] && [ "$caller_cid" != "$callee_cid" ] || fail "Call-ID crossed legs"
[ "$(sed -n '/^INVITE /,/^$/p' "$inv" | grep -c '^Via:')" -eq 1 ] || fail "caller's Via leaked"
sed -n '/^INVITE /,/^$/p' "$inv" | grep -q "$UAS_PORT" || fail "INVITE not sent to the binding"
sed -n '/^INVITE /,/^$/p' "$inv" | grep -E '^From:' | grep -q '"Caller 2001" <sip:2001@sotto.test>' ||
	fail "caller identity not presented: $(grep -m1 '^From:' "$inv")"
sed -n '/^INVITE /,/^$/p' "$inv" | grep -qi 'authorization' && fail "caller's credentials leaked"
# The caller's hop count goes on, less one (a loop through a provider still runs out).
sed -n '/^INVITE /,/^$/p' "$inv" | tr -d '\r' | grep -qx 'Max-Forwards: 69' ||
	fail "callee's Max-Forwards not the caller's 70 less one: $(grep -m1 '^Max-Forwards:' "$inv")"
pass "callee leg is its own dialog (Call-ID, Via, tags); caller identity presented; Max-Forwards 69"

callee hangup call_uas_hangup
caller hangup call_uac_bye 2002 || fail "callee hang-up not relayed to the caller"
callee_done hangup
pass "callee's BYE relayed to the caller"

callee busy call_uas_busy
caller busy call_uac_fail 2002 486 || fail "busy not relayed as 486"
callee_done busy
pass "busy callee: 486"

callee ring call_uas_ring
caller ring call_uac_fail 2002 480 || fail "no answer not ended with 480"
callee_done ring
pass "no answer: 480 after the ring timeout, the callee's INVITE cancelled"

callee cancel call_uas_ring
caller cancel call_uac_cancel 2002 || fail "caller's CANCEL not handled"
callee_done cancel
pass "caller CANCEL: 487 to the caller, CANCEL to the callee"

# sipp sends no RTP: the answered call is hung up on both legs after the media timeout
callee silent call_uas
caller silent call_uac_bye 2002 || fail "silent call not hung up toward the caller"
callee_done silent
pass "no media for 3 s: BYE to both legs"

caller unknown call_uac_fail 2999 404 || fail "unknown number not 404"
pass "unknown number: 404"
caller offline call_uac_fail 2009 480 || fail "offline extension not 480"
pass "offline extension: 480"
caller hops call_uac_hops 2002 || fail "Max-Forwards 0 not 483"
pass "Max-Forwards 0: 483"

stop_sotto
causes=$(sqlite3 "$TMP/var/sotto.db" "SELECT cause FROM cdr ORDER BY start_ms" | tr '\n' ' ')
[ "$causes" = "caller_hangup callee_hangup busy no_answer cancelled media_timeout offline " ] ||
	fail "call records: '$causes'"
pass "call records: $causes"

# A crash in the middle of a call loses no record: it was written when the call was answered.
start_sotto "$TMP/sotto.conf" "$TMP/sotto2.log"
callee crash call_uas
(cd "$TMP" && timeout -k 2 20 sipp -nostdin -sf "$SCEN/call_uac_bye.xml" -inf "$TMP/caller.csv" \
	-au 2001 -ap pw-2001-secret -s 2002 -m 1 -t u1 -i 127.0.0.1 -p "$(free_port)" \
	127.0.0.1:"$SIP_PORT" >"$TMP/uac-crash.log" 2>&1) &
CRASH_UAC=$!
PIDS+=("$CRASH_UAC")
wait_log "$TMP/sotto2.log" 'answered' 10 || fail "call before the crash not answered"
sleep 0.5
kill -KILL "$SOTTO_PID"
wait "$SOTTO_PID" 2>/dev/null || true
kill "$CRASH_UAC" "$UAS" 2>/dev/null || true
rec=$(sqlite3 "$TMP/var/sotto.db" "SELECT cause, answer_ms > 0 FROM cdr ORDER BY start_ms DESC LIMIT 1")
[ "$rec" = "in_progress|1" ] || fail "the call up at the crash has no record: '$rec'"
pass "a crash mid-call keeps the call's record (answered, in progress)"

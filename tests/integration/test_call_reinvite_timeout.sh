#!/usr/bin/env bash
# A relayed re-INVITE that the other party never answers (RFC 3261 14.1, 17.1.1.2 Timer B:
# 64*T1 = 32 s with T1 = 500 ms): sipp caller and callee over UDP; the callee takes the
# re-INVITE (PCMA) and stays silent. The caller gets 500 with Retry-After (not 408, which ends
# a dialog, RFC 3261 12.2.1.2), the call goes on with its old session (RTP relayed as PCMU
# both ways, rtp_probe.py) and ends normally with the caller's BYE. It takes 32 s by design.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/reinv_lib.sh"

# Timer B takes 32 s: both sipps get 80 s (90 s at the most)
SIPP_TIMEOUT=80 SIPP_LIMIT=90 REINV_UAS_TIMEOUT=80
reinv_start_sotto
reinv_media_ports
reinv_callee timeout_uas.xml
reinv_caller timeout_uac.xml

wait_log "$TMP/sotto.log" 're-offer relayed to the callee' 10 || fail "re-INVITE not relayed"
start=$(date +%s)
wait_files 45 "$TMP/timedout.txt" || fail "no 500 with Retry-After for the unanswered re-INVITE"
took=$(( $(date +%s) - start ))
[ "$took" -ge 28 ] || fail "gave up after ${took} s, before Timer B"
ra=$(cat "$TMP/timedout.txt")
[ "$ra" -le 10 ] || fail "Retry-After $ra, expected 0-10"
probe=$(reinv_probe 0) || fail "media after the timeout: $probe"
pass "no answer to the relayed re-INVITE: 500 with Retry-After: $ra after ${took} s; the old session goes on ($probe)"

wait "$UAC" || fail "caller scenario failed: $(tail -5 "$TMP/sipp-uac.log")"
wait "$UAS" || fail "callee scenario failed: $(tail -5 "$TMP/uas.log")"
grep -q "did not answer a relayed re-INVITE (timeout); the call goes on\|did not answer a relayed re-offer in time; the call goes on" \
	"$TMP/sotto.log" || fail "the timeout is not logged"
grep -q 'caller side re-offered' "$TMP/sotto.log" && fail "the unanswered offer was applied"
wait_log "$TMP/sotto.log" 'ended \(caller_hangup\)' 5 || fail "call not ended by the caller's BYE"
pass "the call ended normally afterwards"

stop_sotto
rec=$(sqlite3 "$TMP/var/sotto.db" "SELECT caller, callee, status, cause FROM cdr ORDER BY start_ms" | tr '\n' ' ')
[ "$rec" = "2001|2002|200|caller_hangup " ] || fail "call records: '$rec'"
pass "call records: $rec"

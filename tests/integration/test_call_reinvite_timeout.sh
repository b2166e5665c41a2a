#!/usr/bin/env bash
# A relayed re-INVITE that the other party never answers (RFC 3261 14.1, 17.1.1.2 Timer B:
# 64*T1 = 32 s with T1 = 500 ms): sipp caller and callee over UDP; the callee takes the
# re-INVITE (PCMA) and stays silent. The caller gets 500 with Retry-After (not 408, which ends
# a dialog, RFC 3261 12.2.1.2), the call goes on with its old session (RTP relayed as PCMU
# both ways, rtp_probe.py) and ends normally with the caller's BYE. It takes 32 s by design.
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
(cd "$TMP" && timeout -k 5 90 sipp -nostdin -sf "$SCEN/timeout_uas.xml" -p "$UAS_PORT" -i 127.0.0.1 \
	-key bmedia "$B_MEDIA" -m 1 -timeout 80s -timeout_error -trace_msg \
	-message_file "$TMP/uas-msgs.log" >"$TMP/uas.log" 2>&1) &
UAS=$!
PIDS+=("$UAS")
sleep 0.3
(cd "$TMP" && timeout -k 5 90 sipp -nostdin -timeout 80s -timeout_error -p "$(free_port)" \
	-sf "$SCEN/timeout_uac.xml" -inf "$TMP/caller.csv" -au 2001 -ap pw-2001-secret \
	-s 2002 -m 1 -i 127.0.0.1 -key amedia "$A_MEDIA" -trace_msg \
	-message_file "$TMP/uac-msgs.log" 127.0.0.1:"$SIP_PORT" >"$TMP/sipp-uac.log" 2>&1) &
UAC=$!
PIDS+=("$UAC")

wait_log "$TMP/sotto.log" 're-offer relayed to the callee' 10 || fail "re-INVITE not relayed"
start=$(date +%s)
for _ in $(seq 1 450); do [ -f "$TMP/timedout.txt" ] && break; sleep 0.1; done
[ -f "$TMP/timedout.txt" ] || fail "no 500 with Retry-After for the unanswered re-INVITE"
took=$(( $(date +%s) - start ))
[ "$took" -ge 28 ] || fail "gave up after ${took} s, before Timer B"
ra=$(cat "$TMP/timedout.txt")
[ "$ra" -le 10 ] || fail "Retry-After $ra, expected 0-10"
probe=$(python3 "$SOTTO_SRC/tests/integration/rtp_probe.py" "$A_MEDIA" "$(cat "$TMP/aport.txt")" \
	"$B_MEDIA" "$(cat "$TMP/bport.txt")" 50 0 2>&1) || fail "media after the timeout: $probe"
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

#!/usr/bin/env bash
# A burst of retransmitted requests (same branch) over UDP is answered from the transaction
# layer: every copy gets a 200, all with the same To tag, and the application sees the request
# only once. (Streams are reliable: a repeat there is a new request, RFC 3261 17.2.2.)
. "$(dirname "$0")/lib.sh"

write_config "$TMP/sotto.conf" </dev/null
start_sotto "$TMP/sotto.conf"

for t in u1; do
	run_sipp "burst-$t" -sf "$SCEN/retransmit.xml" -m 1 -t "$t" -i 127.0.0.1 \
		-trace_msg -message_file "$TMP/burst-$t-msgs.log" \
		127.0.0.1:"$SIP_PORT" || fail "burst over $t not answered"
	responses=$(grep -c '^SIP/2.0 200' "$TMP/burst-$t-msgs.log" || true)
	[ "$responses" -eq 5 ] || fail "expected 5 responses over $t, got $responses"
	tags=$(grep -i '^To:' "$TMP/burst-$t-msgs.log" | grep -o 'tag=[^;> ]*' | sort -u | wc -l)
	[ "$tags" -eq 1 ] || fail "responses over $t carry $tags different To tags"
	pass "5 copies over $t answered from one server transaction"
done
seen=$(grep -c 'pbx: OPTIONS' "$TMP/sotto.log" || true)
[ "$seen" -eq 1 ] || fail "the application saw $seen OPTIONS, expected 1"
pass "application saw each request once"
stop_sotto

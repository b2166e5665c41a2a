#!/usr/bin/env bash
# OPTIONS answered with 200 (Allow, Accept, Supported, Server) over UDP and TCP, by sipp; an
# unimplemented method gets 501; a bad CSeq gets 400 with a reason; SIGTERM stops cleanly.
. "$(dirname "$0")/lib.sh"

write_config "$TMP/sotto.conf" </dev/null
start_sotto "$TMP/sotto.conf"

for t in u1 t1; do
	run_sipp "options-$t" -sf "$SCEN/options.xml" -m 3 -t "$t" -i 127.0.0.1 \
		127.0.0.1:"$SIP_PORT" || fail "OPTIONS over $t not answered with 200 + Allow"
	pass "OPTIONS over $t"
	run_sipp "unsupported-$t" -sf "$SCEN/unsupported.xml" -m 1 -t "$t" -i 127.0.0.1 \
		127.0.0.1:"$SIP_PORT" || fail "SUBSCRIBE over $t not answered with 501"
	pass "501 for SUBSCRIBE over $t"
	run_sipp "badcseq-$t" -sf "$SCEN/bad_cseq.xml" -m 1 -t "$t" -i 127.0.0.1 \
		127.0.0.1:"$SIP_PORT" || fail "bad CSeq over $t not answered with 400"
	pass "400 for a bad CSeq over $t"
done

stop_sotto
grep -q "sotto stopped" "$TMP/sotto.log" || fail "no clean shutdown line"
pass "clean shutdown on SIGTERM"

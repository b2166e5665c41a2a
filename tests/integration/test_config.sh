#!/usr/bin/env bash
# --check-config: the demo config passes; a config with errors is refused with FILE:LINE for
# every problem, and the daemon refuses to start on it.
. "$(dirname "$0")/lib.sh"

"$SOTTO_BIN" -c "$SOTTO_SRC/conf/sotto.conf" --check-config >"$TMP/demo.log" 2>&1 ||
	fail "demo config rejected: $(cat "$TMP/demo.log")"
pass "demo config accepted"

cat >"$TMP/bad.conf" <<'EOF'
[general]
data_dir = ./var
[transport]
udp = 127.0.0.1:notaport
tcp = 127.0.0.1:5060
colour = blue
[nonsense]
EOF
rc=0
"$SOTTO_BIN" -c "$TMP/bad.conf" --check-config >"$TMP/bad.log" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "a bad config passed --check-config"
grep -q "$TMP/bad.conf:4: .*udp" "$TMP/bad.log" || fail "bad udp address not reported at line 4"
grep -q "$TMP/bad.conf:6: .*colour" "$TMP/bad.log" || fail "unknown key not reported at line 6"
grep -q "$TMP/bad.conf:7: .*nonsense" "$TMP/bad.log" || fail "unknown section not reported at line 7"
pass "every error reported with file and line"

rc=0
timeout 10 "$SOTTO_BIN" -c "$TMP/bad.conf" >"$TMP/bad-run.log" 2>&1 || rc=$?
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || fail "daemon started on a bad config"
rc=0
"$SOTTO_BIN" -c "$TMP/missing.conf" --check-config >"$TMP/missing.log" 2>&1 || rc=$?
[ "$rc" -ne 0 ] && grep -q missing.conf "$TMP/missing.log" || fail "missing file not reported"
pass "bad and missing configs refused"

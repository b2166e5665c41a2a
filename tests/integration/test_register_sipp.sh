#!/usr/bin/env bash
# Digest flows with sipp (MD5: Debian's sipp 3.6 cannot compute SHA-256, and it cannot resend an
# old nonce-count; digest_probe.py covers both): register over UDP and TCP, refresh on the same
# nonce, stale nonce re-challenged with stale=true, wrong password refused, and the brute-force
# block with its security event.
. "$(dirname "$0")/lib.sh"

write_config "$TMP/sotto.conf" <<'EOF'
[security]
nonce_lifetime = 2
auth_fail_limit = 3
block_time = 60
[extension 1003]
password = pw-1003-secret
transports = udp,tcp
digest = md5
EOF
start_sotto "$TMP/sotto.conf"
sip() { run_sipp "$@" -m 1 -i 127.0.0.1 -s 1003 127.0.0.1:"$SIP_PORT"; }

for t in u1 t1; do
	sip "md5-$t" -sf "$SCEN/register_md5.xml" -t "$t" -au 1003 -ap pw-1003-secret ||
		fail "MD5 register / refresh over $t"
	pass "MD5 digest registers and refreshes over $t"
done
ctl registrations | grep -q '^1003 ' || fail "sipp's binding not listed"
sip stale -sf "$SCEN/register_stale.xml" -t u1 -au 1003 -ap pw-1003-secret ||
	fail "stale nonce not re-challenged with stale=true"
pass "expired nonce re-challenged with stale=true, then accepted"

for i in 1 2 3; do
	sip "wrong-$i" -sf "$SCEN/register_wrong.xml" -t u1 -au 1003 -ap "guess-$i" ||
		fail "wrong password $i not refused"
done
pass "wrong passwords refused with 403"
sip blocked -sf "$SCEN/register_blocked.xml" -t u1 -au 1003 -ap pw-1003-secret ||
	fail "address not blocked after 3 failures"
pass "brute-force block: 403 without a challenge"
grep -q 'blocked for 60 s' "$TMP/sotto.log" || fail "no log line for the block"
for _ in $(seq 1 30); do
	n=$(sqlite3 "$TMP/var/sotto.db" "SELECT COUNT(*) FROM event WHERE kind='blocked'" 2>/dev/null || echo 0)
	[ "$n" = 1 ] && break
	sleep 0.1
done
[ "$n" = 1 ] || fail "no 'blocked' security event in SQLite"
pass "block logged and stored as a security event"
stop_sotto

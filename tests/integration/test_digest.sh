#!/usr/bin/env bash
# Digest authentication and registrar rules over real UDP, driven by an independent Python
# client (tests/integration/digest_probe.py): SHA-256 and MD5, replay, stale nonces, wrong
# passwords, Min-Expires, CSeq ordering, contacts, wildcard, tls-only refusal, brute-force block
# with security events in SQLite.
. "$(dirname "$0")/lib.sh"

write_config "$TMP/sotto.conf" <<'EOF'
[registrar]
min_expires = 60
[security]
nonce_lifetime = 3
auth_fail_limit = 4
auth_fail_window = 60
block_time = 60
[extension 1001]
password = pw-1001-secret
transports = udp,tls
max_contacts = 2
[extension 1002]
password = pw-1002-secret
transports = udp
[extension 1009]
password = pw-1009-secret
transports = tls
EOF
start_sotto "$TMP/sotto.conf"
python3 "$SOTTO_SRC/tests/integration/digest_probe.py" "$SIP_PORT" "$TMP/var/sotto.db" \
	>"$TMP/probe.log" 2>&1 || fail "digest probe: $(tail -n 5 "$TMP/probe.log")"
cat "$TMP/probe.log"
ctl blocked | grep -q '^1 address' || fail "sottoctl blocked does not show the block"
pass "sottoctl shows the block"
grep -q 'pw-100' "$TMP/sotto.log" && fail "a password appeared in the log"
pass "no password in the log"
stop_sotto

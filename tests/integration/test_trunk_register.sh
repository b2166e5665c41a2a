#!/usr/bin/env bash
# Trunk registration (RFC 3261 section 10) with a provider: sipp plays a plain-UDP registrar
# with MD5 digest (challenge answered, credentials verified, refresh before expiry, un-REGISTER
# at stop); the provider down at start (Sotto runs on and retries, then registers); refused
# credentials (403 shown, back-off, no REGISTER storm); garbage at Sotto's port (400 or dropped,
# nothing else disturbed). Then a TLS trunk to a second Sotto playing the provider: registers
# over verified TLS; with the wrong CA it fails with a clear state.
. "$(dirname "$0")/lib.sh"

# sipp_uas NAME SCENARIO PORT SECONDS: a provider in the background, its pid in SIPP_PID.
sipp_uas() {
	local name=$1 scen=$2 port=$3 secs=$4
	(cd "$TMP" && exec timeout -k 5 "$secs" sipp -nostdin -sf "$SCEN/$scen" -i 127.0.0.1 \
		-p "$port" -t u1 -m 1 -trace_msg -message_file "$TMP/sipp-$name-msgs.log" \
		-trace_err -error_file "$TMP/sipp-$name-err.log" >"$TMP/sipp-$name.log" 2>&1) &
	SIPP_PID=$!
	PIDS+=("$SIPP_PID")
}

# sipp_wait: its exit status (0: the scenario passed).
sipp_wait() {
	local rc=0
	wait "$SIPP_PID" || rc=$?
	PIDS=("${PIDS[@]/$SIPP_PID/}")
	return "$rc"
}

# wait_trunk REGEX [SECONDS] [SOCKET]: until `sottoctl trunks` shows REGEX.
wait_trunk() {
	local re=$1 secs=${2:-15} sock=${3:-$TMP/var/sotto.sock}
	for _ in $(seq 1 $((secs * 10))); do
		"$SOTTO_BUILD/sottoctl" -s "$sock" trunks 2>/dev/null | grep -qE "$re" && return 0
		sleep 0.1
	done
	echo "sottoctl trunks:" >&2
	"$SOTTO_BUILD/sottoctl" -s "$sock" trunks >&2 || true
	return 1
}

# trunk_config FILE PROVIDER_PORT [EXTRA]: this test's daemon with one UDP trunk.
trunk_config() {
	write_config "$1" <<EOF
[trunk provider]
host = 127.0.0.1:$2
transport = udp
username = 4420000000
password = trunk-secret
register = yes
dids = 4420000000
[extension 1001]
password = pw-1001-secret
[inbound]
4420000000 = 1001
EOF
}

PROV=$(free_port)

# ---- 1. registration with digest, refresh, garbage, un-REGISTER at stop ----
sipp_uas reg trunk_registrar.xml "$PROV" 90
sleep 0.3
trunk_config "$TMP/sotto.conf" "$PROV"
"$SOTTO_BIN" -c "$TMP/sotto.conf" --check-config >/dev/null || fail "trunk config rejected"
start_sotto "$TMP/sotto.conf"
wait_trunk '^provider +UDP +127\.0\.0\.1:[0-9]+ +optional +0 +registered \(refresh in [1-5] s\)' ||
	fail "trunk not registered after the MD5 challenge"
pass "trunk registers: 401 answered with MD5 digest, credentials verified by the provider"
# the 200 granted 5 s; the refresh (with credentials from the start) is granted 60 s
wait_trunk 'registered \((refresh in (4[0-9]|3[0-9]) s)\)' 8 ||
	fail "no refresh before the 5 s registration ran out"
pass "refreshed before expiry, with credentials at once (nc=00000002)"
ctl trunks | grep -q '^1 trunk(s)$' || fail "trunk count line missing"

python3 "$SOTTO_SRC/tests/integration/trunk_garbage.py" "$SIP_PORT" >"$TMP/garbage.log" 2>&1 ||
	fail "garbage: $(cat "$TMP/garbage.log")"
run_sipp options -sf "$SCEN/options.xml" -m 1 -t u1 -i 127.0.0.1 -s x 127.0.0.1:"$SIP_PORT" ||
	fail "OPTIONS not answered after the garbage"
ctl trunks | grep -q ' registered (refresh in' || fail "garbage disturbed the registration"
pass "garbage from the provider's side: 400 or dropped, OPTIONS answered, trunk still registered"

stop_sotto
sipp_wait || fail "the provider saw no un-REGISTER (Expires: 0) at stop"
pass "un-REGISTER (Expires: 0) at shutdown; clean exit"

# ---- 2. provider down at start: retries, then registers ----
PROV=$(free_port)
trunk_config "$TMP/sotto.conf" "$PROV"
start_sotto "$TMP/sotto.conf" "$TMP/sotto-down.log"
ctl trunks | grep -qE 'registering' || fail "not registering at start"
# no answer: timer F (32 s) ends the attempt, then the back-off
wait_trunk 'failed: timeout \(no answer\); retrying in [0-9]+ s' 45 ||
	fail "no retry state after the provider stayed silent"
kill -0 "$SOTTO_PID" || fail "sotto died with the provider down"
pass "provider down: sotto runs on, trunk shows failed: timeout; retrying"
sipp_uas late trunk_registrar.xml "$PROV" 90
wait_trunk ' registered \(refresh in' 15 || fail "not registered once the provider came up"
pass "provider up: registered within the back-off"
wait_trunk 'registered \((refresh in (4[0-9]|3[0-9]) s)\)' 8 || fail "late provider: no refresh"
stop_sotto
sipp_wait || fail "late provider: scenario failed"

# ---- 3. refused credentials: 403 shown, back-off, no storm ----
PROV=$(free_port)
sipp_uas refuse trunk_refuse.xml "$PROV" 60
sleep 0.3
trunk_config "$TMP/sotto.conf" "$PROV"
start_sotto "$TMP/sotto.conf" "$TMP/sotto-refuse.log"
wait_trunk "failed: 403 Forbidden; retrying in [1-5] s" 10 ||
	fail "403 not shown"
pass "credentials refused: 'failed: 403 Forbidden; retrying in N s'"
# attempts at 0, +5 s, +15 s: in 12 s at most 2 attempts of 2 REGISTERs each
sleep 12
n=$(grep -c '^REGISTER sip:' "$TMP/sipp-refuse-msgs.log" || true)
[ "$n" -ge 4 ] && [ "$n" -le 6 ] || fail "expected 4-6 REGISTERs in 12 s of back-off, saw $n"
grep -q 'registration failed: 403 Forbidden; retrying in 5 s' \
	"$TMP/sotto-refuse.log" &&
	grep -q 'registration failed: 403 Forbidden; retrying in 10 s' \
		"$TMP/sotto-refuse.log" || fail "back-off is not 5 s then 10 s"
pass "back-off: $n REGISTERs in 12 s, retried after 5 s then 10 s"
stop_sotto
kill "$SIPP_PID" 2>/dev/null || true
sipp_wait || true

# ---- 4. TLS trunk to a second Sotto playing the provider ----
B=$TMP/b
B_SIP=$(free_port pair)
B_TLS=$((B_SIP + 1))
mkdir -p "$B"
cat >"$B/sotto.conf" <<EOF
[general]
data_dir = $B/var
realm = provider.test
[transport]
udp = 127.0.0.1:$B_SIP
tls = 127.0.0.1:$B_TLS
[extension 4420000000]
password = trunk-secret
transports = tls
EOF
start_sotto "$B/sotto.conf" "$TMP/provider.log"
B_PID=$SOTTO_PID
[ -s "$B/var/ca.pem" ] || fail "second sotto made no CA"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=other \
	-keyout "$TMP/other-ca.key" -out "$TMP/other-ca.pem" -days 1 2>/dev/null
write_config "$TMP/sotto.conf" <<EOF
[trunk provider]
host = 127.0.0.1:$B_TLS
transport = tls
username = 4420000000
password = trunk-secret
register = yes
verify_server = yes
ca = $B/var/ca.pem
[trunk wrongca]
host = 127.0.0.1:$B_TLS
transport = tls
username = 4420000000
password = trunk-secret
register = yes
ca = $TMP/other-ca.pem
[trunk badca]
host = 127.0.0.1:$B_TLS
transport = tls
register = no
ca = $SOTTO_SRC/conf/sotto.conf
EOF
start_sotto "$TMP/sotto.conf" "$TMP/sotto-tls.log"
A_PID=$SOTTO_PID
wait_trunk '^provider +TLS .* registered \(refresh in' 15 || fail "TLS trunk not registered"
"$SOTTO_BUILD/sottoctl" -s "$B/var/sotto.sock" registrations >"$TMP/b-regs.txt"
grep -qE '^4420000000 +TLS ' "$TMP/b-regs.txt" || fail "provider has no TLS binding: $(cat "$TMP/b-regs.txt")"
pass "TLS trunk registers with the provider over verified TLS"
wait_trunk '^wrongca .* failed: TLS: certificate verification: .*; retrying in' 15 ||
	fail "wrong CA: no clear state"
pass "TLS trunk trusting the wrong CA: 'failed: TLS: certificate verification: ...'"
ctl trunks | grep -qE '^badca .* failed: TLS: cannot use CA .*sotto.conf' ||
	fail "a CA file that is not PEM: no clear state"
pass "a CA file that is no certificate: shown as the trunk's state, the rest runs"

# the provider restarts: the connection closes, the trunk reconnects and registers again
M=$(mark "$TMP/sotto-tls.log")
SOTTO_PID=$B_PID
stop_sotto
wait_new "$TMP/sotto-tls.log" "$M" 'trunk provider: connection to .* closed' 10 ||
	fail "the trunk did not notice its connection closing"
wait_trunk '^provider .* failed: connect: Connection refused; retrying in' 10 ||
	fail "provider down: no 'connection refused' state"
start_sotto "$B/sotto.conf" "$TMP/provider-2.log"
B_PID=$SOTTO_PID
wait_new "$TMP/sotto-tls.log" "$M" 'trunk provider: registered with' 15 ||
	fail "not registered again after the provider came back"
wait_log "$TMP/provider-2.log" 'registrar: 4420000000 registered .* over TLS' 5 ||
	fail "the provider saw no new registration"
pass "provider restarted: connection loss noticed, 'connection refused' shown, registered again"
SOTTO_PID=$A_PID
stop_sotto
# the un-REGISTER reached the provider: its binding is gone
for _ in $(seq 1 30); do
	"$SOTTO_BUILD/sottoctl" -s "$B/var/sotto.sock" registrations | grep -q '^0 registration' && break
	sleep 0.1
done
"$SOTTO_BUILD/sottoctl" -s "$B/var/sotto.sock" registrations | grep -q '^0 registration' ||
	fail "provider still holds the binding after the un-REGISTER"
pass "un-REGISTER over TLS at stop removes the provider's binding"
SOTTO_PID=$B_PID
stop_sotto

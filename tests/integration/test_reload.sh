#!/usr/bin/env bash
# Live reload while a TLS phone is registered and a secure call is up: a renewed certificate
# (same file names, then new ones named in the config) serves new TLS connections while the
# phones stay registered and the call goes on with its media; a new extension can register
# after `sottoctl reload`; a broken config (unknown key) is refused as a whole with FILE:LINE,
# through sottoctl, POST /api/reload and SIGHUP alike, and the running config keeps working.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/admin.sh"

EXTENSIONS=$(admin_extensions)
# conf [EXTRA_TRANSPORT_LINES] [EXTRA_SECTIONS]: the whole file, rewritten for each step.
conf() {
	{
		printf '[general]\ndata_dir = %s/var\nrealm = sotto.test\n' "$TMP"
		printf '[transport]\nudp = 127.0.0.1:%s\ntcp = 127.0.0.1:%s\ntls = 127.0.0.1:%s\n' \
			"$SIP_PORT" "$SIP_PORT" "$TLS_PORT"
		printf '%b' "${1:-}"
		echo "$EXTENSIONS"
		admin_section "${CONF_TOKEN:-demo}"
		printf '%b' "${2:-}"
	} >"$TMP/sotto.conf.new"
	mv "$TMP/sotto.conf.new" "$TMP/sotto.conf" # a reload never sees half a file
}

# fingerprint [PORT]: SHA-256 of the certificate a new TLS connection gets (SIP TLS port by
# default).
fingerprint() {
	echo | timeout 10 openssl s_client -connect "127.0.0.1:${1:-$TLS_PORT}" -CAfile "$TMP/var/ca.pem" \
		-verify_return_error 2>/dev/null | openssl x509 -noout -fingerprint -sha256 2>/dev/null
}

# new_cert CERT KEY: a fresh P-256 server certificate signed by the data_dir CA.
new_cert() {
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=sotto renewed" \
		-keyout "$2.tmp" -out "$TMP/req.csr" 2>/dev/null
	printf 'subjectAltName = IP:127.0.0.1, DNS:localhost\nextendedKeyUsage = serverAuth\n' >"$TMP/ext.cnf"
	openssl x509 -req -in "$TMP/req.csr" -CA "$TMP/var/ca.pem" -CAkey "$TMP/var/ca.key" \
		-CAcreateserial -days 2 -extfile "$TMP/ext.cnf" -out "$1.tmp" 2>/dev/null ||
		fail "cannot sign a new certificate"
	chmod 600 "$2.tmp"
	mv "$1.tmp" "$1"
	mv "$2.tmp" "$2"
}

# packets: what the relay has received on the call's caller leg so far.
packets() {
	api /api/calls | jq '.[0].a.packets_in'
}

conf
start_sotto "$TMP/sotto.conf"
admin_phones
admin_call
sleep 1
ID=$(api /api/calls | jq -r '.[0].id')
fp1=$(fingerprint)
[ -n "$fp1" ] || fail "no certificate from the TLS port"
pass "phones registered over TLS, call $ID up; certificate $fp1"

# ---- a renewed certificate under the same file names ----
new_cert "$TMP/var/server.pem" "$TMP/var/server.key"
p1=$(packets)
ctl reload >"$TMP/reload1.txt" || fail "sottoctl reload failed: $(cat "$TMP/reload1.txt")"
grep -q 'TLS certificate reloaded' "$TMP/reload1.txt" || fail "reload: $(cat "$TMP/reload1.txt")"
grep -q 'configuration reloaded: 2 extension(s) (was 2)' "$TMP/reload1.txt" || fail "reload: $(cat "$TMP/reload1.txt")"
fp2=$(fingerprint)
[ -n "$fp2" ] && [ "$fp2" != "$fp1" ] || fail "new connections still get the old certificate ($fp2)"
[ "$(fingerprint "$ADMIN_PORT")" = "$fp2" ] || fail "the admin server still shows the old certificate"
grep -q 'admin server: certificate .* reloaded' "$TMP/reload1.txt" || fail "reload: $(cat "$TMP/reload1.txt")"
pass "renewed certificate (same names) served to new SIP and admin connections: $fp2"

sleep 2
p2=$(packets)
[ "$p2" -gt "$p1" ] || fail "media stopped after the reload ($p1 -> $p2 packets)"
jq_ok "$(api /api/calls)" ".[0].id == \"$ID\" and .[0].path_secure" "call after reload"
jq_ok "$(api /api/registrations)" 'map(select(.reachable and .transport == "TLS")) | length == 2' "registrations after reload"
ctl registrations | grep -c ' reachable ' | grep -qx 2 || fail "sottoctl registrations after reload"
pass "call $ID goes on ($p1 -> $p2 packets), both phones still registered on their connections"

# ---- new file names, named in the config; and a new extension ----
new_cert "$TMP/renewed.pem" "$TMP/renewed.key"
OLD_TOKEN=$(admin_token)
CONF_TOKEN=new-token-0123456789abcdef
conf "tls_cert = $TMP/renewed.pem\ntls_key = $TMP/renewed.key\n" \
	'[extension 1004]\npassword = pw-1004-secret\ntransports = udp\nencryption = optional\ndigest = md5\n'
ctl reload >"$TMP/reload2.txt" || fail "sottoctl reload failed: $(cat "$TMP/reload2.txt")"
grep -q 'configuration reloaded: 3 extension(s) (was 2)' "$TMP/reload2.txt" || fail "reload: $(cat "$TMP/reload2.txt")"
fp3=$(fingerprint)
[ "$fp3" = "$(openssl x509 -in "$TMP/renewed.pem" -noout -fingerprint -sha256)" ] ||
	fail "new connections do not get $TMP/renewed.pem ($fp3)"
python3 "$SOTTO_SRC/tests/integration/sipreg.py" "$SIP_PORT" "$(free_port)" 1004 pw-1004-secret \
	>"$TMP/reg1004.log" 2>&1 || fail "1004 cannot register after the reload: $(cat "$TMP/reg1004.log")"
[ "$(fingerprint "$ADMIN_PORT")" = "$fp3" ] || fail "the admin server does not show $TMP/renewed.pem"
code=$(curl -s --cacert "$TMP/var/ca.pem" -o /dev/null -w '%{http_code}' \
	-H "Authorization: Bearer $OLD_TOKEN" "$ADMIN_URL/api/status")
[ "$code" = 401 ] || fail "the old admin token still works after the reload (HTTP $code)"
ADMIN_TOKEN=$CONF_TOKEN
jq_ok "$(api /api/extensions)" 'map(.number) == ["1001","1002","1004"]' "extensions after reload"
pass "certificate from new file names in use (SIP and admin); new admin token; extension 1004 added and registered"

# ---- a broken config is refused as a whole ----
conf "tls_cert = $TMP/renewed.pem\ntls_key = $TMP/renewed.key\n" \
	'[extension 1005]\npassword = pw-1005-secret\ncolour = blue\n'
line=$(grep -n '^colour' "$TMP/sotto.conf" | cut -d: -f1)
rc=0
ctl reload >"$TMP/reload3.txt" || rc=$?
[ "$rc" -ne 0 ] || fail "sottoctl reload accepted a broken config"
grep -q '^error: configuration refused' "$TMP/reload3.txt" || fail "reload: $(cat "$TMP/reload3.txt")"
grep -q "^$TMP/sotto.conf:$line: unknown key 'colour'" "$TMP/reload3.txt" ||
	fail "no FILE:LINE for the unknown key: $(cat "$TMP/reload3.txt")"
body=$(api /api/reload -X POST)
[ "$(api_status)" = 400 ] || fail "POST /api/reload with a broken config: HTTP $(api_status)"
jq_ok "$body" ".reloaded == false and .error == \"config_rejected\" and (.errors | any(startswith(\"$TMP/sotto.conf:$line: \")))" "API reload refusal"
mark=$(mark "$TMP/sotto.log")
kill -HUP "$SOTTO_PID"
wait_new "$TMP/sotto.log" "$mark" "reload: $TMP/sotto.conf:$line: unknown key" 5 ||
	fail "SIGHUP: the error line is not logged"
wait_new "$TMP/sotto.log" "$mark" 'configuration refused; the running one stays' 5 ||
	fail "SIGHUP: refusal not logged"
jq_ok "$(api /api/extensions)" 'map(.number) == ["1001","1002","1004"]' "extensions kept after a refused reload"
python3 "$SOTTO_SRC/tests/integration/sipreg.py" "$SIP_PORT" "$(free_port)" 1004 pw-1004-secret \
	>"$TMP/reg1004b.log" 2>&1 || fail "1004 cannot register after a refused reload"
[ "$(fingerprint)" = "$fp3" ] || fail "certificate changed by a refused reload"
p3=$(packets)
sleep 1
[ "$(packets)" -gt "$p3" ] || fail "media stopped"
pass "broken config refused (sottoctl, API 400, SIGHUP) with FILE:LINE; the running config works on"

# ---- the call still ends normally ----
phone_cmd a hangup >/dev/null || true
wait_log "$TMP/sotto.log" "call $ID: .*ended" 10 || fail "call did not end"
stop_sotto
pass "call hung up after three reloads; sotto stopped cleanly"

#!/usr/bin/env bash
# The admin API over real HTTPS (curl verifying the generated CA): 401 without or with a wrong
# token, TLS 1.2+ only, every endpoint's shape, registrations of two baresip phones, a secure
# call shown per leg (TLS version and cipher, SRTP suite, packets), /metrics, hang-up through
# DELETE /api/calls/ID, and that call's record found in /api/cdr (JSON and CSV) after a restart.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/admin.sh"

{
	admin_extensions
	printf '[extension 1003]\npassword = pw-1003-secret\ntransports = udp\nencryption = optional\n'
	admin_section
} | write_config "$TMP/sotto.conf"
start_sotto "$TMP/sotto.conf"

# ---- the token ----
[ -s "$TMP/var/admin-token" ] || fail "no generated token in data_dir/admin-token"
[ "$(stat -c %a "$TMP/var/admin-token")" = 600 ] || fail "admin-token is not mode 0600"
grep -q "admin token: $(admin_token)" "$TMP/sotto.log" || fail "generated token not printed"
[ "$(grep -c 'admin token:' "$TMP/sotto.log")" -eq 1 ] || fail "token printed more than once"
pass "demo token generated (0600) and printed once"

# ---- authentication ----
for path in /api/calls /api/cdr /metrics /api/nothing; do
	code=$(curl -s --cacert "$TMP/var/ca.pem" -o "$TMP/noauth" -w '%{http_code}' "$ADMIN_URL$path")
	[ "$code" = 401 ] || fail "$path without a token: HTTP $code"
	jq -e '.error == "unauthorized"' "$TMP/noauth" >/dev/null || fail "401 body: $(cat "$TMP/noauth")"
done
code=$(curl -s --cacert "$TMP/var/ca.pem" -o /dev/null -D "$TMP/h401" -w '%{http_code}' \
	-H "Authorization: Bearer $(admin_token)x" "$ADMIN_URL/api/calls")
[ "$code" = 401 ] || fail "wrong token: HTTP $code"
grep -qi '^www-authenticate: Bearer' "$TMP/h401" || fail "no WWW-Authenticate: Bearer on 401"
code=$(curl -s --cacert "$TMP/var/ca.pem" -o /dev/null -w '%{http_code}' \
	-H "Authorization: Basic $(admin_token)" "$ADMIN_URL/api/calls")
[ "$code" = 401 ] || fail "Basic instead of Bearer: HTTP $code"
pass "401 without a token, with a wrong one, with another scheme"

code=$(curl -s --cacert "$TMP/var/ca.pem" -o "$TMP/page.html" -D "$TMP/hpage" -w '%{http_code}' "$ADMIN_URL/")
[ "$code" = 200 ] && grep -q 'Sotto PBX' "$TMP/page.html" || fail "dashboard page: HTTP $code"
grep -qi "^content-security-policy: default-src 'none'" "$TMP/hpage" || fail "dashboard without CSP"
! grep -qiE 'src="https?:|href="https?:' "$TMP/page.html" || fail "dashboard loads external resources"
pass "dashboard page served without a token, self-contained, with a CSP"

# ---- TLS ----
rc=0
curl -s --cacert "$TMP/var/ca.pem" --tlsv1 --tls-max 1.1 -o /dev/null "$ADMIN_URL/" 2>/dev/null || rc=$?
[ "$rc" -ne 0 ] || fail "TLS 1.1 accepted"
echo | openssl s_client -connect "127.0.0.1:$ADMIN_PORT" -tls1_2 -CAfile "$TMP/var/ca.pem" \
	-verify_return_error >"$TMP/s12.log" 2>&1 || fail "TLS 1.2 refused: $(tail -5 "$TMP/s12.log")"
grep -q 'Cipher is ECDHE-.*GCM\|Cipher is ECDHE-.*CHACHA20' "$TMP/s12.log" ||
	fail "TLS 1.2 without an ECDHE AEAD cipher: $(grep Cipher "$TMP/s12.log")"
pass "TLS 1.1 refused; TLS 1.2 with ECDHE + AEAD, certificate verified against the CA"

# ---- shapes with nothing going on ----
body=$(api /api/status)
jq_ok "$body" '.realm == "sotto.test" and .registrations == 0 and .calls == 0 and .extensions == 3' "/api/status"
body=$(api /api/extensions)
jq_ok "$body" 'length == 3 and (map(.number) == ["1001","1002","1003"])' "/api/extensions numbers"
jq_ok "$body" '.[0] | .encryption == "mandatory" and .transports == ["tls"] and .digest == ["md5"] and .contacts == 0' "/api/extensions 1001"
jq_ok "$body" '.[2] | .encryption == "optional" and .transports == ["udp"]' "/api/extensions 1003"
echo "$body" | grep -qi 'pw-100\|password\|ha1' && fail "/api/extensions leaks a secret"
body=$(api /api/trunks)
jq_ok "$body" '. == []' "/api/trunks"
body=$(api /api/calls)
jq_ok "$body" '. == []' "/api/calls empty"
body=$(api /api/cdr)
jq_ok "$body" '.total == 0 and .offset == 0 and .limit == 50 and .records == []' "/api/cdr empty"
api '/api/cdr?limit=abc' >/dev/null
[ "$(api_status)" = 400 ] || fail "limit=abc: HTTP $(api_status)"
api '/api/cdr?since=yesterday' >/dev/null
[ "$(api_status)" = 400 ] || fail "since=yesterday: HTTP $(api_status)"
api /api/calls -X POST >/dev/null
[ "$(api_status)" = 405 ] && grep -qi '^allow: GET' "$TMP/api-headers" || fail "POST /api/calls: HTTP $(api_status)"
api /api/nothing >/dev/null
[ "$(api_status)" = 404 ] || fail "unknown endpoint: HTTP $(api_status)"
pass "status, extensions (no secrets), trunks, empty calls and CDR; 400, 404, 405 with Allow"

# ---- a security event: a wrong password ----
python3 "$SOTTO_SRC/tests/integration/sipreg.py" "$SIP_PORT" "$(free_port)" 1003 wrong-password \
	>/dev/null 2>&1 || true
for _ in $(seq 1 30); do
	body=$(api '/api/events?since=0&limit=10')
	echo "$body" | jq -e 'map(select(.kind == "auth_failure" and .user == "1003")) | length >= 1' \
		>/dev/null && break
	sleep 0.1
done
jq_ok "$body" 'map(select(.kind == "auth_failure" and .user == "1003")) | length >= 1' "/api/events"
jq_ok "$body" '.[0] | has("id") and has("time") and (.source | test("^127\\.0\\.0\\.1:"))' "event shape"
last=$(echo "$body" | jq '.[-1].id')
jq_ok "$(api "/api/events?since=$last")" '. == []' "/api/events since the last id"
jq_ok "$(api '/api/events?last=1')" "length == 1 and .[0].id == $last" "/api/events?last=1"
pass "a wrong password shows as a security event (since= and last= paging)"

# ---- registrations and a secure call ----
admin_phones
body=$(api /api/registrations)
jq_ok "$body" 'map(.extension) | sort == ["1001","1002"]' "/api/registrations extensions"
jq_ok "$body" 'all(.transport == "TLS" and .tls and .reachable and .expires_in_s > 0)' "/api/registrations TLS"
jq_ok "$(api /api/extensions)" '.[0].contacts == 1 and .[0].registered' "extension 1001 registered"
pass "both phones listed as registered over TLS"

admin_call
sleep 2
calls=$(api /api/calls)
jq_ok "$calls" 'length == 1' "one call"
jq_ok "$calls" '.[0] | .caller == "1001" and .callee == "1002" and .state == "answered" and .path_secure' "call parties, state, path_secure"
for leg in a b; do
	jq_ok "$calls" ".[0].$leg | .connected and .transport == \"TLS\" and .tls and (.tls_version | test(\"^TLSv1\\\\.[23]\$\")) and (.tls_cipher | length > 0) and .srtp and (.srtp_suite | test(\"AES\")) and .secure" "leg $leg security"
	jq_ok "$calls" ".[0].$leg | .packets_in > 10 and .packets_out > 10 and (.auth_failures | type == \"number\") and (.replays | type == \"number\") and (.jitter_ms | type == \"number\") and (.lost | type == \"number\")" "leg $leg media stats"
done
jq_ok "$calls" '.[0] | .duration_s >= 1 and (.start | test("Z$")) and (.answer | test("Z$"))' "call times"
ID=$(echo "$calls" | jq -r '.[0].id')
pass "call $ID: both legs TLS ($(echo "$calls" | jq -r '.[0].a.tls_version')) + SRTP ($(echo "$calls" | jq -r '.[0].a.srtp_suite')), path secure, packets flowing"

# ---- metrics ----
m=$(api /metrics)
grep -qi '^content-type: text/plain; version=0.0.4' "$TMP/api-headers" || fail "metrics content type"
for name in sotto_registrations sotto_calls_active sotto_call_legs sotto_sip_requests_received_total \
	sotto_sip_responses_sent_total sotto_tls_handshakes_total sotto_tls_handshake_failures_total \
	sotto_srtp_auth_failures_total sotto_srtp_replays_total sotto_media_packets_relayed_total \
	sotto_blocked_addresses; do
	echo "$m" | grep -q "^# TYPE $name " || fail "metric $name missing"
done
echo "$m" | grep -qx 'sotto_registrations 2' || fail "sotto_registrations: $(echo "$m" | grep '^sotto_registrations ')"
echo "$m" | grep -qx 'sotto_calls_active 1' || fail "sotto_calls_active"
echo "$m" | grep -qx 'sotto_call_legs{security="secure"} 2' || fail "secure legs: $(echo "$m" | grep call_legs)"
echo "$m" | grep -qx 'sotto_call_legs{security="clear"} 0' || fail "clear legs"
echo "$m" | grep -qE '^sotto_sip_requests_received_total\{method="INVITE"\} [1-9]' || fail "INVITE count"
echo "$m" | grep -qE '^sotto_sip_requests_received_total\{method="REGISTER"\} [1-9]' || fail "REGISTER count"
echo "$m" | grep -qE '^sotto_sip_responses_sent_total\{code="401"\} [1-9]' || fail "401 responses count"
echo "$m" | grep -qE '^sotto_sip_responses_sent_total\{code="200"\} [1-9]' || fail "200 responses count"
echo "$m" | grep -qE '^sotto_tls_handshakes_total [2-9]' || fail "TLS handshakes"
echo "$m" | grep -qE '^sotto_media_packets_relayed_total [1-9][0-9]+' || fail "packets relayed"
# every sample line is "name{labels} value"
bad=$(echo "$m" | grep -v '^#' | grep -vE '^[a-z_]+(\{[a-z_]+="[^"]*"\})? [0-9]+(\.[0-9]+)?$' || true)
[ -z "$bad" ] || fail "malformed metric lines: $bad"
pass "/metrics: Prometheus text with registrations, calls, secure legs, SIP by method/code, TLS, SRTP, relay"

# ---- hang up through the API ----
body=$(api "/api/calls/$ID" -X DELETE)
[ "$(api_status)" = 200 ] || fail "DELETE /api/calls/$ID: HTTP $(api_status) $body"
wait_log "$TMP/a.log" 'terminated' 10 && wait_log "$TMP/b.log" 'terminated' 10 ||
	fail "the phones did not see the hang-up"
jq_ok "$(api /api/calls)" '. == []' "no call after DELETE"
api "/api/calls/$ID" -X DELETE >/dev/null
[ "$(api_status)" = 404 ] || fail "second DELETE: HTTP $(api_status)"
pass "DELETE /api/calls/$ID hung up both legs; a second DELETE is 404"

# ---- the call record, after a restart ----
stop_sotto
start_sotto "$TMP/sotto.conf" "$TMP/sotto-restarted.log"
cdr=$(api /api/cdr)
jq_ok "$cdr" '.total == 1 and (.records | length == 1)' "one record after restart"
jq_ok "$cdr" ".records[0] | .id == \"$ID\" and .caller == \"1001\" and .callee == \"1002\" and .cause == \"admin_hangup\" and .secure and .duration_ms > 1000 and (.security_a | test(\"TLS\")) and (.security_b | test(\"SRTP\"))" "record fields"
jq_ok "$(api '/api/cdr?caller=1001&callee=1002')" '.total == 1' "filter caller+callee"
jq_ok "$(api '/api/cdr?caller=1002')" '.total == 0 and .records == []' "filter caller=1002"
jq_ok "$(api '/api/cdr?since=2999-01-01')" '.total == 0' "filter since in the future"
jq_ok "$(api "/api/cdr?until=$(date -u -d tomorrow +%Y-%m-%d)&since=2000-01-01T00:00:00Z")" '.total == 1' "filter since/until"
jq_ok "$(api '/api/cdr?offset=1&limit=1')" '.total == 1 and .offset == 1 and .limit == 1 and .records == []' "paging"
csv=$(api '/api/cdr?format=csv')
grep -qi '^content-type: text/csv' "$TMP/api-headers" || fail "CSV content type"
[ "$(echo "$csv" | head -1 | tr -d '\r')" = "id,start,answer,end,duration_s,caller,callee,trunk,status,cause,secure,security_a,security_b" ] ||
	fail "CSV header: $(echo "$csv" | head -1)"
[ "$(echo "$csv" | wc -l)" -eq 2 ] || fail "CSV rows: $csv"
row=$(echo "$csv" | sed -n 2p | tr -d '\r')
python3 - "$row" "$ID" <<'PY' || fail "CSV row: $row"
import csv, sys
r = next(csv.reader([sys.argv[1]]))
assert len(r) == 13, r
assert r[0] == sys.argv[2] and r[5] == "1001" and r[6] == "1002" and r[9] == "admin_hangup", r
assert r[10] == "yes" and "TLS" in r[11] and "SRTP" in r[12], r
PY
pass "record of $ID found after a restart: JSON, filters, paging, CSV"

ctl cdr >"$TMP/cdr.txt" || fail "sottoctl cdr: $(cat "$TMP/cdr.txt")"
grep -qE "^$ID +[0-9-]+T[0-9:]+ +1001 +1002 +[0-9]+ +200 +admin_hangup +yes TLS" "$TMP/cdr.txt" ||
	fail "sottoctl cdr: $(cat "$TMP/cdr.txt")"
grep -q '^1 call record(s)$' "$TMP/cdr.txt" || fail "sottoctl cdr count: $(cat "$TMP/cdr.txt")"
ctl trunks | grep -q '^0 trunk(s)$' || fail "sottoctl trunks"
pass "sottoctl cdr lists the record; sottoctl trunks answers"

stop_sotto
pass "sotto stopped cleanly"

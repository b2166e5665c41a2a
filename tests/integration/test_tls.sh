#!/usr/bin/env bash
# TLS: Sotto generates a CA and an ECDSA P-256 server certificate on first start; a TLS client
# that verifies against the generated ca.pem (socat) carries sipp's OPTIONS to Sotto and back;
# a client trusting another CA is refused; TLS 1.1 is refused and TLS 1.2 / 1.3 accepted.
. "$(dirname "$0")/lib.sh"

write_config "$TMP/sotto.conf" </dev/null
start_sotto "$TMP/sotto.conf"
DATA=$TMP/var

[ -s "$DATA/ca.pem" ] || fail "no ca.pem generated"
[ "$(stat -c %a "$DATA/server.key")" = 600 ] || fail "server.key is not mode 600"
[ "$(stat -c %a "$DATA/ca.key")" = 600 ] || fail "ca.key is not mode 600"
openssl x509 -in "$DATA/server.pem" -noout -text >"$TMP/cert.txt"
grep -q 'ASN1 OID: prime256v1' "$TMP/cert.txt" || fail "server key is not ECDSA P-256"
grep -q 'IP Address:127.0.0.1' "$TMP/cert.txt" || fail "no SAN for the bound address"
openssl verify -CAfile "$DATA/ca.pem" "$DATA/server.pem" >/dev/null || fail "chain does not verify"
pass "CA and server certificate generated"

# sipp speaks TCP to a local socat that opens verified TLS to Sotto.
RELAY=$(free_port)
socat -d -d TCP-LISTEN:"$RELAY",bind=127.0.0.1,reuseaddr,fork \
	OPENSSL:127.0.0.1:"$TLS_PORT",cafile="$DATA/ca.pem",verify=1 \
	>"$TMP/socat.log" 2>&1 &
PIDS+=($!)
sleep 0.3
run_sipp options-tls -sf "$SCEN/options.xml" -m 3 -t t1 -i 127.0.0.1 127.0.0.1:"$RELAY" ||
	fail "OPTIONS over TLS (socat verifying ca.pem) not answered"
pass "OPTIONS over verified TLS"

# A client that trusts another CA must not get through.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=other \
	-keyout "$TMP/other.key" -out "$TMP/other.pem" -days 1 2>/dev/null
if echo | timeout 10 openssl s_client -connect 127.0.0.1:"$TLS_PORT" -CAfile "$TMP/other.pem" \
	-verify_return_error >"$TMP/sclient-other.log" 2>&1; then
	fail "a client trusting another CA verified Sotto's certificate"
fi
pass "foreign CA rejected"

for v in tls1_2 tls1_3; do
	echo | timeout 10 openssl s_client -connect 127.0.0.1:"$TLS_PORT" -"$v" \
		-CAfile "$DATA/ca.pem" -verify_return_error -verify_ip 127.0.0.1 \
		>"$TMP/sclient-$v.log" 2>&1 || fail "$v handshake failed"
done
pass "TLS 1.2 and 1.3 accepted"
if echo | timeout 10 openssl s_client -connect 127.0.0.1:"$TLS_PORT" -tls1_1 \
	-cipher 'DEFAULT:@SECLEVEL=0' >"$TMP/sclient-tls1_1.log" 2>&1; then
	fail "TLS 1.1 accepted"
fi
pass "TLS 1.1 refused"

# A restart reuses the CA (phones keep trusting it).
before=$(openssl x509 -in "$DATA/ca.pem" -noout -fingerprint -sha256)
stop_sotto
start_sotto "$TMP/sotto.conf" "$TMP/sotto2.log"
after=$(openssl x509 -in "$DATA/ca.pem" -noout -fingerprint -sha256)
[ "$before" = "$after" ] || fail "CA regenerated on restart"
pass "CA kept across restarts"
stop_sotto

# Helpers for the admin server's integration tests (sourced after lib.sh): an [admin] section on
# a free port, and curl over real HTTPS that verifies the server against the generated CA.
ADMIN_PORT=$(free_port)
ADMIN_URL=https://127.0.0.1:$ADMIN_PORT

# admin_section [TOKEN]: the [admin] lines (token = demo unless given).
admin_section() {
	printf '[admin]\nbind = 127.0.0.1:%s\ntoken = %s\n' "$ADMIN_PORT" "${1:-demo}"
}

# admin_token: $ADMIN_TOKEN if set, else the generated demo token.
admin_token() {
	if [ -n "${ADMIN_TOKEN:-}" ]; then
		echo "$ADMIN_TOKEN"
	else
		cat "$TMP/var/admin-token"
	fi
}

# api PATH [CURL ARGS...]: the body; fails the test on a transport error. HTTP status in
# $TMP/api-status, headers in $TMP/api-headers.
api() {
	local path=$1
	shift
	curl -sS --max-time 10 --cacert "$TMP/var/ca.pem" -H "Authorization: Bearer $(admin_token)" \
		-D "$TMP/api-headers" -o "$TMP/api-body" -w '%{http_code}' "$@" "$ADMIN_URL$path" \
		>"$TMP/api-status" || fail "curl $path failed"
	cat "$TMP/api-body"
}

# api_status: the HTTP status of the last api call.
api_status() {
	cat "$TMP/api-status"
}

# jq_ok JSON FILTER MESSAGE: fail unless FILTER (a jq boolean expression) holds for JSON.
jq_ok() {
	echo "$1" | jq -e "$2" >/dev/null 2>&1 || fail "$3: $(echo "$1" | head -c 1500)"
}

# Two baresip phones, 1001 and 1002, over TLS with mandatory SRTP, answering on their own.
admin_phones() {
	local acct
	acct() {
		echo "<sip:$1@127.0.0.1:$TLS_PORT;transport=tls>;auth_user=$1;auth_pass=$2;regint=600;answermode=auto;mediaenc=srtp-mand;audio_codecs=PCMU"
	}
	export PHONE_SRATE=8000 PHONE_CHANNELS=1
	make_tone "$TMP/tone440.wav" 440 30
	PHONE_SOURCE="aufile,$TMP/tone440.wav" phone_config a "$(acct 1001 pw-1001-secret)"
	PHONE_SOURCE="aufile,$TMP/tone440.wav" phone_config b "$(acct 1002 pw-1002-secret)"
	phone_start a
	phone_start b
	wait_log "$TMP/a.log" '200 OK' && wait_log "$TMP/b.log" '200 OK' || fail "phones did not register"
}

# The extensions admin_phones uses, and an RTP range of their own.
admin_extensions() {
	local rtp=$(( ($(free_port) / 2) * 2 ))
	[ "$rtp" -lt 64000 ] || rtp=40000
	printf '[media]\nrtp_ports = %s-%s\n' "$rtp" "$((rtp + 99))"
	printf '[extension 1001]\npassword = pw-1001-secret\ndigest = md5\n'
	printf '[extension 1002]\npassword = pw-1002-secret\ndigest = md5\n'
}

# admin_call: 1001 dials 1002 and both see the call established.
admin_call() {
	phone_cmd a dial 1002 >/dev/null || fail "dial refused"
	wait_log "$TMP/a.log" 'Call established' 15 || fail "call not established at the caller"
	wait_log "$TMP/b.log" 'Call established' 15 || fail "call not established at the callee"
}

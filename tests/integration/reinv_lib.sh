# Set-up shared by the mid-call offer tests (test_call_reinvite*.sh, test_call_update.sh); sourced
# after lib.sh, not a test itself. It provides:
#  - reinv_start_sotto [tls]: Sotto with its own RTP range and extensions 2001, 2002 (UDP, no
#    encryption), with "tls" also 2003 (TLS) and 2004 (TLS, optional encryption);
#  - reinv_media_ports: the phones' media ports A_MEDIA and B_MEDIA;
#  - reinv_callee / reinv_caller: the plain-UDP sipp callee 2002 and caller 2001;
#  - reinv_tls_relay / reinv_tls_callee / reinv_tls_caller: the same over TLS (2003 calls 2004);
#  - srtp_key, wait_files, reinv_probe: a fresh SDES key, waiting for the files the scenarios
#    write, RTP across the relay.
# The scenarios write Sotto's port for each leg to $TMP/aport.txt and $TMP/bport.txt.

# The callee's sipp -timeout in seconds: longer than the caller's (run_sipp's SIPP_TIMEOUT) so
# it outlives the call. The hard limit on both is run_sipp's SIPP_LIMIT.
REINV_UAS_TIMEOUT=40

# reinv_start_sotto [tls]: choose Sotto's RTP range ($RTP to $RTP+99), write its config and
# start it.
reinv_start_sotto() {
	RTP=$(( ($(free_port) / 2) * 2 ))
	[ "$RTP" -lt 64000 ] || RTP=40000
	{
		cat <<EOF
[media]
rtp_ports = $RTP-$((RTP + 99))
[extension 2001]
password = pw-2001-secret
transports = udp
encryption = off
digest = md5
[extension 2002]
password = pw-2002-secret
transports = udp
encryption = off
digest = md5
EOF
		[ "${1:-}" != tls ] || cat <<'EOF'
[extension 2003]
password = pw-2003-secret
transports = tls
digest = md5
[extension 2004]
password = pw-2004-secret
transports = tls
encryption = optional
digest = md5
EOF
	} | write_config "$TMP/sotto.conf"
	start_sotto "$TMP/sotto.conf"
}

# media_port: a free port outside Sotto's RTP range.
media_port() {
	local p
	while p=$(free_port); [ "$p" -ge "$RTP" ] && [ "$p" -le $((RTP + 99)) ]; do :; done
	echo "$p"
}

# reinv_media_ports: A_MEDIA (the caller's) and B_MEDIA (the callee's), apart and outside
# Sotto's range.
reinv_media_ports() {
	A_MEDIA=$(media_port)
	while B_MEDIA=$(media_port); [ "$B_MEDIA" = "$A_MEDIA" ]; do :; done
}

# reinv_callee SCENARIO: register 2002 from UAS_PORT (sipreg.py), then run the sipp callee on it
# in the background with media port $B_MEDIA; sets UAS. Messages in $TMP/uas-msgs.log.
reinv_callee() {
	UAS_PORT=$(free_port)
	python3 "$SOTTO_SRC/tests/integration/sipreg.py" "$SIP_PORT" "$UAS_PORT" 2002 pw-2002-secret \
		>/dev/null || fail "callee could not register"
	(cd "$TMP" && timeout -k 5 "${SIPP_LIMIT:-60}" sipp -nostdin -sf "$SCEN/$1" -p "$UAS_PORT" \
		-i 127.0.0.1 -key bmedia "$B_MEDIA" -m 1 -timeout "${REINV_UAS_TIMEOUT}s" -timeout_error \
		-trace_msg -message_file "$TMP/uas-msgs.log" -trace_err -error_file "$TMP/uas-err.log" \
		>"$TMP/uas.log" 2>&1) &
	UAS=$!
	PIDS+=("$UAS")
	sleep 0.3
}

# reinv_caller SCENARIO: the sipp caller 2001 calls 2002 over UDP in the background (run_sipp
# uac) with media port $A_MEDIA; sets UAC. Messages in $TMP/uac-msgs.log.
reinv_caller() {
	printf 'SEQUENTIAL\n2001;\n' >"$TMP/caller.csv"
	run_sipp uac -sf "$SCEN/$1" -inf "$TMP/caller.csv" -au 2001 -ap pw-2001-secret \
		-s 2002 -m 1 -i 127.0.0.1 -key amedia "$A_MEDIA" -trace_msg \
		-message_file "$TMP/uac-msgs.log" 127.0.0.1:"$SIP_PORT" &
	UAC=$!
	PIDS+=("$UAC")
}

# reinv_tls_relay: socat from plain TCP on RELAY to Sotto's TLS port (sipp has no TLS here).
reinv_tls_relay() {
	RELAY=$(free_port)
	socat -d -d TCP-LISTEN:"$RELAY",bind=127.0.0.1,reuseaddr,fork \
		OPENSSL:127.0.0.1:"$TLS_PORT",cafile="$TMP/var/ca.pem",verify=1 >"$TMP/socat.log" 2>&1 &
	PIDS+=($!)
}

# reinv_tls_callee SCENARIO [SIPP_ARGS...]: the sipp callee in the background on UAS2_PORT, with
# media port $B_MEDIA, behind the TLS connection tls_phone.py registers as 2004; sets UAS.
# Messages in $TMP/uas2-msgs.log.
reinv_tls_callee() {
	UAS2_PORT=$(free_port)
	(cd "$TMP" && timeout -k 5 "${SIPP_LIMIT:-60}" sipp -nostdin -sf "$SCEN/$1" -t t1 \
		-p "$UAS2_PORT" -i 127.0.0.1 -key bmedia "$B_MEDIA" "${@:2}" -m 1 \
		-timeout "${REINV_UAS_TIMEOUT}s" -timeout_error -trace_msg \
		-message_file "$TMP/uas2-msgs.log" >"$TMP/uas2.log" 2>&1) &
	UAS=$!
	PIDS+=("$UAS")
	sleep 0.3
	python3 "$SOTTO_SRC/tests/integration/tls_phone.py" "$TLS_PORT" "$TMP/var/ca.pem" 2004 \
		pw-2004-secret "$UAS2_PORT" >"$TMP/tls_phone.log" 2>&1 &
	PIDS+=($!)
	wait_log "$TMP/tls_phone.log" registered 10 || fail "callee did not register over TLS"
}

# reinv_tls_caller SCENARIO [SIPP_ARGS...]: the sipp caller 2003 calls 2004 through the relay
# (run_sipp uac2, in the foreground) with media port $A_MEDIA. Messages in $TMP/uac2-msgs.log.
reinv_tls_caller() {
	printf 'SEQUENTIAL\n2003;\n' >"$TMP/caller2.csv"
	run_sipp uac2 -sf "$SCEN/$1" -inf "$TMP/caller2.csv" -au 2003 -ap pw-2003-secret \
		-s 2004 -m 1 -t t1 -i 127.0.0.1 -key amedia "$A_MEDIA" "${@:2}" \
		-trace_msg -message_file "$TMP/uac2-msgs.log" 127.0.0.1:"$RELAY"
}

# srtp_key: a fresh SDES inline key (30 bytes of master key and salt, base64).
srtp_key() { head -c 30 /dev/urandom | base64; }

# wait_files SECONDS FILE...: wait until every FILE exists (the scenarios write them).
wait_files() {
	local secs=$1 i f
	shift
	for i in $(seq 0 $((secs * 10))); do
		[ "$i" -eq 0 ] || sleep 0.1
		for f in "$@"; do
			[ -f "$f" ] || continue 2
		done
		return 0
	done
	return 1
}

# reinv_probe PT: RTP of payload type PT both ways between the phones' media ports and Sotto's
# ports for their legs (rtp_probe.py); prints what it measured.
reinv_probe() {
	python3 "$SOTTO_SRC/tests/integration/rtp_probe.py" "$A_MEDIA" "$(cat "$TMP/aport.txt")" \
		"$B_MEDIA" "$(cat "$TMP/bport.txt")" 50 "$1" 2>&1
}

#!/usr/bin/env bash
# Call setups per second through Sotto as a B2BUA (sipp caller with 407 challenge -> Sotto ->
# sipp callee; 180, 200, ACK, BYE), over UDP and over TLS, printing the server's CPU per call
# from /proc (Sotto: signalling, store and relay threads together; no RTP is sent, so this is
# the cost of a call's signalling, SDP, bridge set-up and call records). Kamailio 5.6 (-x tlsf)
# as a mere proxy (auth + registrar + record-route + t_relay) runs the same scenarios in the
# same run, and the ratio is printed. Figures only, no assertion.
#
# TLS: Debian's sipp is built without TLS, so socat carries it on both sides, and only the
# server's CPU is counted (not socat's). Caller: sipp TCP -> socat -> TLS -> server. Callee:
# socat opens TLS to the server from a known source port and runs tls_callee.py on its plain
# side, which REGISTERs over it (Contact at that port, transport=tls, as a phone keeps its
# flow), then joins it to the sipp UAS on TCP: the server sends its INVITEs over the registered
# connection. (Sotto never downgrades a TLS caller's call, so both legs are TLS.)
#
# Both servers run side by side; each round measures Sotto then Kamailio on each transport, so
# the shared machine's load hits both alike. BENCH_ROUNDS rounds (default 3); the median ratio
# is printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$(pwd)
BUILD=${BUILD:-build}
N=${BENCH_CALLS:-3000}
RATE=${BENCH_CPS:-300}
ROUNDS=${BENCH_ROUNDS:-3}
KINDS=${BENCH_KINDS:-udp tls}     # a subset, when profiling one of them
SERVERS=${BENCH_SERVERS:-sotto kamailio}
TMP=$(mktemp -d /tmp/sotto-bench-calls.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; sleep 0.2; [ -n "${KEEP:-}" ] || rm -rf "$TMP"' EXIT
. bench/lib.sh
kamailio_install

# The interactive scenarios, without the one-second talk time and the check for Sotto's Server
# header (Kamailio runs them too). Over TLS the caller's Via and Contact say TLS (sipp itself
# speaks TCP to socat), and the callee's Contact is its registered flow (@LOCAL, set per run).
# On a stream the message ends at the first empty line, so the scenarios' blank placeholder
# lines inside the headers (where [authentication] may go) are dropped for TLS.
sed -e 's/<pause milliseconds="1000"\/>//' -e 's/check_it="true"/check_it="false"/' \
	"$SRC/tests/integration/scenarios/call_uac.xml" >"$TMP/uac-udp.xml"
no_blank_hdr() { awk '/^[ \t]*$/ { held = held $0 "\n"; next }
	/^[ \t]*Content-(Type|Length):/ { held = "" } { printf "%s%s\n", held, $0; held = "" }'; }
sed -e 's|SIP/2.0/\[transport\]|SIP/2.0/TLS|' \
	-e 's|Contact: <sip:\[field0\]@\[local_ip\]:\[local_port\]>|Contact: <sip:[field0]@[local_ip]:[local_port];transport=tls>|' \
	"$TMP/uac-udp.xml" | no_blank_hdr >"$TMP/uac-tls.xml"
# A proxy relays the caller's ACK and BYE independently (Kamailio in two processes), so the BYE
# may overtake the ACK to the callee: its ACK is optional.
sed 's|<recv request="ACK" crlf="true"/>|<recv request="ACK" crlf="true" optional="true"/>|' \
	"$SRC/tests/integration/scenarios/call_uas.xml" >"$TMP/uas-udp.xml"
sed 's|Contact: <sip:callee@\[local_ip\]:\[local_port\];transport=\[transport\]>|Contact: <sip:callee@127.0.0.1:@LOCAL;transport=tls>|' \
	"$TMP/uas-udp.xml" | no_blank_hdr >"$TMP/uas-tls.xml"
if ! grep -q '@LOCAL' "$TMP/uas-tls.xml" || ! grep -q 'transport=tls' "$TMP/uac-tls.xml" ||
	! grep -q 'optional' "$TMP/uas-udp.xml"; then
	echo "calls.sh: the call scenarios changed; cannot derive their TLS variants"
	exit 1
fi
printf 'SEQUENTIAL\n2001;\n' >"$TMP/caller-udp.csv"
printf 'SEQUENTIAL\n2003;\n' >"$TMP/caller-tls.csv"

# callee_tls NAME TLS_PORT UAS_PORT LOCAL_PORT: register 2004 over a socat TLS connection from
# LOCAL_PORT, joined to the sipp UAS on UAS_PORT (started already). Prints socat's PID; nothing
# if the registration failed.
callee_tls() {
	local name=$1 tls=$2 uas=$3 cport=$4 pid
	socat OPENSSL:127.0.0.1:"$tls",cafile="$TMP/var/ca.pem",verify=1,bind=127.0.0.1,sourceport="$cport",reuseaddr \
		SYSTEM:"exec python3 $SRC/bench/tls_callee.py 2004 pw-2004-secret $cport $uas" \
		>"$TMP/callee-$name.log" 2>&1 &
	pid=$!
	for _ in $(seq 50); do
		grep -q registered "$TMP/callee-$name.log" && {
			echo "$pid"
			return
		}
		sleep 0.1
	done
	kill "$pid" 2>/dev/null
}

# run NAME udp|tls UDP_PORT TLS_PORT CALLEE_PORT PIDS...: the callee registered from
# CALLEE_PORT, N calls at RATE to the server, CPU of PIDS. Prints one line of figures. A server
# keeps each round's registration: the callee's port (its Contact) stays the same in every
# round, so that each registration replaces the last instead of adding a contact to fork to.
run() {
	set +e # a failed call or a late callee must not end the benchmark
	local name=$1 kind=$2 udp=$3 tls=$4 cport=$5
	shift 5
	local uas=$cport uas_pid relay_pid='' callee_pid='' target=$udp t=u1 caller=2001 callee=2002
	if [ "$kind" = udp ]; then
		python3 "$SRC/tests/integration/sipreg.py" "$udp" "$uas" 2002 pw-2002-secret >/dev/null
		(cd "$TMP" && exec sipp -nostdin -sf "$TMP/uas-udp.xml" -p "$uas" -i 127.0.0.1 -m "$N" \
			-timeout 120s >"$TMP/uas-$name.log" 2>&1) &
		uas_pid=$!
	else
		t=t1 caller=2003 callee=2004
		uas=$(free_port)
		sed "s/@LOCAL/$cport/" "$TMP/uas-tls.xml" >"$TMP/uas-$kind-$$.xml"
		(cd "$TMP" && exec sipp -nostdin -sf "$TMP/uas-$kind-$$.xml" -t t1 -p "$uas" -i 127.0.0.1 \
			-m "$N" -timeout 120s >"$TMP/uas-$name.log" 2>&1) &
		uas_pid=$!
		sleep 0.3
		callee_pid=$(callee_tls "$name" "$tls" "$uas" "$cport")
		[ -n "$callee_pid" ] ||
			echo "($name: the callee did not register: $(tail -2 "$TMP/callee-$name.log"))" >&2
		target=$(free_port)
		socat TCP-LISTEN:"$target",bind=127.0.0.1,reuseaddr \
			OPENSSL:127.0.0.1:"$tls",cafile="$TMP/var/ca.pem",verify=1 \
			>"$TMP/relay-$name.log" 2>&1 &
		relay_pid=$!
	fi
	sleep 0.3
	local before start end after ok
	before=$(cpu_us "$@")
	start=$(date +%s.%N)
	(cd "$TMP" && sipp -nostdin -sf "$TMP/uac-$kind.xml" -inf "$TMP/caller-$kind.csv" \
		-au "$caller" -ap "pw-$caller-secret" -s "$callee" -t "$t" -i 127.0.0.1 \
		-p "$(free_port)" -r "$RATE" -l 2000 -m "$N" -timeout 120s 127.0.0.1:"$target" \
		>"$TMP/uac-$name.log" 2>&1) || true
	end=$(date +%s.%N)
	after=$(cpu_us "$@")
	# (sipp's -timeout does not end a UAS still waiting for a call that never came)
	for _ in $(seq 50); do kill -0 "$uas_pid" 2>/dev/null || break; sleep 0.1; done
	kill "$uas_pid" 2>/dev/null
	wait "$uas_pid" 2>/dev/null
	[ -z "$callee_pid" ] || kill "$callee_pid" 2>/dev/null
	[ -z "$relay_pid" ] || kill "$relay_pid" 2>/dev/null
	ok=$(sipp_successful "$TMP/uac-$name.log")
	python3 - "$name" "$before" "$after" "$start" "$end" "${ok:-0}" <<'PY'
import sys
name = sys.argv[1]
before, after, start, end, ok = map(float, sys.argv[2:])
print(f"{name:26s} calls={int(ok)} per_s={ok/(end-start):.0f} "
      f"server_cpu_us_per_call={(after-before)/max(ok,1):.1f}")
PY
}

SIP=$(free_port)
TLS=$(free_port)
# 5000 pairs: at 300 calls/s, the ports of the last 4 s (the pool's quarantine) stay bound.
# Below the kernel's ephemeral range, where the peers' free ports come from.
RTP=${BENCH_RTP:-20000}
cat >"$TMP/sotto.conf" <<EOF
[general]
data_dir = $TMP/var
[transport]
udp = 127.0.0.1:$SIP
tls = 127.0.0.1:$TLS
[media]
rtp_ports = $RTP-$((RTP + 9999))
[security]
auth_fail_limit = 100000
EOF
for e in 2001 2002 2003 2004; do
	tr=udp
	[ "$e" -lt 2003 ] || tr=tls
	printf '[extension %s]\npassword = pw-%s-secret\ntransports = %s\nencryption = off\ndigest = md5\n' \
		"$e" "$e" "$tr" >>"$TMP/sotto.conf"
done
"$BUILD/sotto" -c "$TMP/sotto.conf" ${SOTTO_ARGS:-} >"$TMP/sotto.log" 2>&1 &
SOTTO=$!
PIDS+=("$SOTTO")
for _ in $(seq 100); do grep -q "sotto running" "$TMP/sotto.log" && break; sleep 0.05; done

KSIP=$(free_port)
KTLS=$(free_port)
cat >"$TMP/ktls.cfg" <<EOF
[server:default]
method = TLSv1.2+
certificate = $TMP/var/server.pem
private_key = $TMP/var/server.key
EOF
cat >"$TMP/kamailio.cfg" <<EOF
#!KAMAILIO
debug=0
log_stderror=yes
children=2
tcp_children=2
enable_tls=yes
listen=udp:127.0.0.1:$KSIP
listen=tls:127.0.0.1:$KTLS
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "maxfwd.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "auth.so"
loadmodule "tls.so"
modparam("usrloc", "db_mode", 0)
modparam("tls", "config", "$TMP/ktls.cfg")
request_route {
	if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
	if (has_totag()) {
		if (loose_route() || is_method("ACK|BYE")) { t_relay(); exit; }
		sl_send_reply("404", "Not here"); exit;
	}
	if (is_method("REGISTER")) {
		if (!pv_www_authenticate("sotto.test", "pw-\$tU-secret", "0")) {
			www_challenge("sotto.test", "0"); exit;
		}
		save("location"); exit;
	}
	if (is_method("INVITE")) {
		if (!pv_proxy_authenticate("sotto.test", "pw-\$fU-secret", "0")) {
			proxy_challenge("sotto.test", "0"); exit;
		}
		consume_credentials();
		record_route();
		if (!lookup("location")) { sl_send_reply("404", "Not Found"); exit; }
		t_relay(); exit;
	}
	if (is_method("ACK")) { t_relay(); exit; }
	sl_send_reply("501", "Not Implemented");
}
EOF
KPIDS=
if [[ " $SERVERS " == *" kamailio "* ]]; then
	KPIDS=$(kamailio_start "$TMP/kamailio.cfg" "$TMP/kamailio.log")
	# shellcheck disable=SC2206
	PIDS+=($KPIDS)
	[ -n "$KPIDS" ] || echo "kamailio did not start: $(tail -3 "$TMP/kamailio.log")"
fi
echo "$SOTTO" >"$TMP/sotto.pid" # for a profiler to attach to

echo "== call set-up: $N calls at up to $RATE/s (407 challenge, 180, 200, ACK, BYE), $ROUNDS rounds"
RES=$TMP/results
declare -A CPORT
for c in sudp stls kudp ktls; do CPORT[$c]=$(free_port); done
: >"$RES"
for r in $(seq "$ROUNDS"); do
	for kind in $KINDS; do
		if [[ " $SERVERS " == *" sotto "* ]]; then
			line=$(run "sotto b2bua $kind" "$kind" "$SIP" "$TLS" "${CPORT[s$kind]}" "$SOTTO")
			echo "$line"
			echo "$r $kind sotto $line" >>"$RES"
		fi
		[ -n "$KPIDS" ] || continue
		# shellcheck disable=SC2086
		line=$(run "kamailio proxy $kind" "$kind" "$KSIP" "$KTLS" "${CPORT[k$kind]}" $KPIDS)
		echo "$line"
		echo "$r $kind kamailio $line" >>"$RES"
	done
done
[ -n "$KPIDS" ] || exit 0
python3 - "$RES" <<'PY'
import re, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    r, kind, who = line.split()[:3]
    runs.setdefault((kind, r), {})[who] = float(re.search(r"per_call=([\d.]+)", line).group(1))
for kind in ("udp", "tls"):
    ratios = [v["sotto"] / max(v["kamailio"], 1e-9) for (k, _), v in sorted(runs.items())
              if k == kind and len(v) == 2]
    if ratios:
        print(f"ratio {kind}: sotto b2bua / kamailio proxy CPU per call = "
              f"{statistics.median(ratios):.2f} (median of {', '.join(f'{x:.2f}' for x in ratios)};"
              f" target <= 1)")
PY

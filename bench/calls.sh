#!/usr/bin/env bash
# Call setups per second through Sotto as a B2BUA (sipp caller with 407 challenge -> Sotto ->
# sipp callee; answer, ACK, BYE) over UDP. (Over TLS both legs would have to be TLS, since Sotto
# never downgrades a TLS caller's call, and sipp cannot be a TLS callee: not measured here.)
# printing Sotto's CPU per call from /proc (signalling and relay threads together; no RTP is
# sent, so this is the cost of a call's signalling, SDP and bridge set-up). Kamailio 5.6
# (-x tlsf) as a mere proxy (auth + registrar + record-route + t_relay) runs the same scenarios
# in the same run; the ratio is printed. Figures only, no assertion.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$(pwd)
BUILD=${BUILD:-build}
N=${BENCH_CALLS:-3000}
RATE=${BENCH_CPS:-300}
TMP=$(mktemp -d /tmp/sotto-bench-calls.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; sleep 0.2; [ -n "${KEEP:-}" ] || rm -rf "$TMP"' EXIT
. bench/lib.sh
kamailio_install

# The interactive scenarios, without the one-second talk time and the check for Sotto's Server
# header (Kamailio runs them too).
sed -e 's/<pause milliseconds="1000"\/>//' -e 's/check_it="true"/check_it="false"/' \
	"$SRC/tests/integration/scenarios/call_uac.xml" >"$TMP/uac.xml"
cp "$SRC/tests/integration/scenarios/call_uas.xml" "$TMP/uas.xml"
printf 'SEQUENTIAL\n2001;\n' >"$TMP/caller.csv"

# run NAME TRANSPORT PORT PIDS...: callee registered from UAS_PORT, N calls at RATE.
run() {
	set +e # a failed call or a late callee must not end the benchmark
	local name=$1 t=$2 port=$3
	shift 3
	local uas
	uas=$(free_port)
	python3 "$SRC/tests/integration/sipreg.py" "$REG_PORT" "$uas" 2002 pw-2002-secret >/dev/null
	(cd "$TMP" && sipp -nostdin -sf "$TMP/uas.xml" -p "$uas" -i 127.0.0.1 -m "$N" \
		-timeout 120s >"$TMP/uas-$name.log" 2>&1) &
	local uas_pid=$!
	sleep 0.3
	local before start end after ok
	before=$(cpu_us "$@")
	start=$(date +%s.%N)
	(cd "$TMP" && sipp -nostdin -sf "$TMP/uac.xml" -inf "$TMP/caller.csv" -au 2001 \
		-ap pw-2001-secret -s 2002 -t "$t" -i 127.0.0.1 -p "$(free_port)" -r "$RATE" \
		-l 2000 -m "$N" -timeout 120s 127.0.0.1:"$port" >"$TMP/uac-$name.log" 2>&1) || true
	end=$(date +%s.%N)
	after=$(cpu_us "$@")
	wait "$uas_pid" 2>/dev/null || true
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
RTP=$(( ($(free_port) / 2) * 2 ))
[ "$RTP" -lt 60000 ] || RTP=40000
cat >"$TMP/sotto.conf" <<EOF
[general]
data_dir = $TMP/var
[transport]
udp = 127.0.0.1:$SIP
tls = 127.0.0.1:$TLS
[media]
rtp_ports = $RTP-$((RTP + 3999))
[security]
auth_fail_limit = 100000
[extension 2001]
password = pw-2001-secret
transports = udp,tcp,tls
encryption = off
digest = md5
[extension 2002]
password = pw-2002-secret
transports = udp
encryption = off
digest = md5
EOF
"$BUILD/sotto" -c "$TMP/sotto.conf" >"$TMP/sotto.log" 2>&1 &
SOTTO=$!
PIDS+=("$SOTTO")
for _ in $(seq 100); do grep -q "sotto running" "$TMP/sotto.log" && break; sleep 0.05; done

echo "== call set-up: $N calls at up to $RATE/s (407 challenge, 180, 200, ACK, BYE)"
REG_PORT=$SIP
S_UDP=$(run "sotto b2bua udp" u1 "$SIP" "$SOTTO")
echo "$S_UDP"
kill "$SOTTO"

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
KPIDS=$(kamailio_start "$TMP/kamailio.cfg" "$TMP/kamailio.log")
# shellcheck disable=SC2206
PIDS+=($KPIDS)
if [ -z "$KPIDS" ]; then
	echo "kamailio did not start: $(tail -3 "$TMP/kamailio.log")"
	exit 0
fi
REG_PORT=$KSIP
# shellcheck disable=SC2086
K_UDP=$(run "kamailio proxy udp" u1 "$KSIP" $KPIDS)
echo "$K_UDP"
python3 - "$S_UDP" "$K_UDP" <<'PY'
import re, sys
f = lambda s: float(re.search(r"per_call=([\d.]+)", s).group(1))
for label, s, k in (("udp", sys.argv[1], sys.argv[2]),):
    print(f"ratio {label}: sotto b2bua / kamailio proxy CPU per call = {f(s) / max(f(k), 1e-9):.2f} (target <= 1)")
PY

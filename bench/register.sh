#!/usr/bin/env bash
# REGISTER with digest authentication per second over UDP and TLS, driven by sipp (TLS through a
# local socat that keeps one persistent TLS connection), with server CPU per REGISTER request
# read from /proc. Kamailio 5.6 (-x tlsf, registrar + auth with the same users) runs the same
# scenario in the same run; the ratio is printed. Prints figures, asserts nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
N=${BENCH_REGISTERS:-20000}
RATE=${BENCH_RATE:-4000}
USERS=${BENCH_USERS:-1000} # extensions configured (one of them registers)
TMP=$(mktemp -d /tmp/sotto-bench-reg.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; sleep 0.2; [ -n "${KEEP:-}" ] || rm -rf "$TMP"' EXIT
SCEN=$(pwd)/bench/scenarios/register_auth.xml

. bench/lib.sh
kamailio_install


UDP=$(free_port)
TLS=$(free_port)
cat >"$TMP/sotto.conf" <<EOF
[general]
data_dir = $TMP/var
realm = sotto.test
[transport]
udp = 127.0.0.1:$UDP
tls = 127.0.0.1:$TLS
[registrar]
max_expires = 3600
[security]
auth_fail_limit = 100000
EOF
for i in $(seq 1 "$USERS"); do
	printf '[extension %s]\npassword = bench-pw\ntransports = udp,tls\ndigest = md5\n' \
		"$((100000 + i))" >>"$TMP/sotto.conf"
done

# run_load NAME TRANSPORT TARGET_PORT PIDS...: prints one line of figures.
run_load() {
	local name=$1 t=$2 port=$3
	shift 3
	local before after start end ok
	before=$(cpu_us "$@")
	start=$(date +%s.%N)
	(cd "$TMP" && sipp -nostdin -sf "$SCEN" -s 100001 -au 100001 -ap bench-pw \
		-t "$t" -i 127.0.0.1 \
		-p "$(free_port)" -r "$RATE" -l 1000 -m "$N" -timeout 120s \
		127.0.0.1:"$port" >"$TMP/sipp-$name.log" 2>&1) || true
	end=$(date +%s.%N)
	after=$(cpu_us "$@")
	ok=$(sipp_successful "$TMP/sipp-$name.log")
	python3 - "$name" "$before" "$after" "$start" "$end" "${ok:-0}" <<'PY'
import sys
name = sys.argv[1]
before, after, start, end, ok = map(float, sys.argv[2:])
reqs = max(ok * 2, 1)  # two REGISTER requests per registration (challenge, answer)
print(f"{name:22s} registrations={int(ok)} per_s={ok/(end-start):.0f} "
      f"server_cpu_us_per_register_request={(after-before)/reqs:.2f}")
PY
}

"$BUILD/sotto" -c "$TMP/sotto.conf" >"$TMP/sotto.log" 2>&1 &
SOTTO=$!
PIDS+=("$SOTTO")
for _ in $(seq 100); do grep -q "sotto running" "$TMP/sotto.log" && break; sleep 0.05; done

RELAY=$(free_port)
socat TCP-LISTEN:"$RELAY",bind=127.0.0.1,reuseaddr,fork \
	OPENSSL:127.0.0.1:"$TLS",cafile="$TMP/var/ca.pem",verify=1 >"$TMP/socat.log" 2>&1 &
PIDS+=($!)
sleep 0.3

echo "== REGISTER with digest: $N registrations at up to $RATE/s ($USERS extensions configured)"
S_UDP=$(run_load "sotto udp" u1 "$UDP" "$SOTTO")
echo "$S_UDP"
S_TLS=$(run_load "sotto tls (persistent)" t1 "$RELAY" "$SOTTO")
echo "$S_TLS"
kill "$SOTTO"

# Kamailio with the same users and password, registrar in memory, MD5 digest.
KUDP=$(free_port)
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
listen=udp:127.0.0.1:$KUDP
listen=tls:127.0.0.1:$KTLS
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "sl.so"
loadmodule "textops.so"
loadmodule "pv.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "auth.so"
loadmodule "tls.so"
modparam("usrloc", "db_mode", 0)
modparam("tls", "config", "$TMP/ktls.cfg")
request_route {
	if (is_method("REGISTER")) {
		if (!pv_www_authenticate("sotto.test", "bench-pw", "0")) {
			www_challenge("sotto.test", "0");
			exit;
		}
		save("location");
		exit;
	}
	sl_send_reply("501", "Not Implemented");
}
EOF
KPIDS=$(kamailio_start "$TMP/kamailio.cfg" "$TMP/kamailio.log")
# shellcheck disable=SC2206
PIDS+=($KPIDS)
if [ -z "$KPIDS" ]; then
	echo "kamailio did not start:"
	tail -5 "$TMP/kamailio.log"
	exit 0
fi
KRELAY=$(free_port)
socat TCP-LISTEN:"$KRELAY",bind=127.0.0.1,reuseaddr,fork \
	OPENSSL:127.0.0.1:"$KTLS",cafile="$TMP/var/ca.pem",verify=1 >"$TMP/ksocat.log" 2>&1 &
PIDS+=($!)
sleep 0.3
# shellcheck disable=SC2086
K_UDP=$(run_load "kamailio udp" u1 "$KUDP" $KPIDS)
echo "$K_UDP"
# shellcheck disable=SC2086
K_TLS=$(run_load "kamailio tls (persistent)" t1 "$KRELAY" $KPIDS)
echo "$K_TLS"

ratio() {
	python3 - "$1" "$2" "$3" <<'PY'
import re, sys
f = lambda s: float(re.search(r"per_register_request=([\d.]+)", s).group(1))
print(f"ratio {sys.argv[3]}: sotto/kamailio CPU per REGISTER = {f(sys.argv[1]) / max(f(sys.argv[2]), 1e-9):.2f}")
PY
}
ratio "$S_UDP" "$K_UDP" "udp (target: sotto <= 25 us)"
ratio "$S_TLS" "$K_TLS" "tls (target: sotto <= 30 us)"

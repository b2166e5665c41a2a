#!/usr/bin/env bash
# make bench: prints figures, asserts nothing. Parser throughput, SRTP protect/unprotect per
# suite beside libsrtp2, server CPU per new TLS connection, the store, the media relay's CPU per
# relayed SRTP packet against rtpengine's on the same load, OPTIONS over UDP driven by sipp with
# the server's CPU per request (from /proc), REGISTER, and call set-up CPU against Kamailio
# (bench/calls.sh; BENCH_CALLS_ROUNDS rounds, default 3).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
BUILD=${BUILD:-build}
TMP=$(mktemp -d /tmp/sotto-bench.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$TMP"' EXIT

echo "== SIP parser (one core)"
"$BUILD/bench_sip_parse"

if [ -x "$BUILD/bench_srtp" ]; then
	echo "== SRTP (one core, Sotto and libsrtp2)"
	"$BUILD/bench_srtp"
fi
if [ -x "$BUILD/bench_tls_accept" ]; then
	echo "== TLS accept (server CPU per new connection, ECDSA P-256)"
	"$BUILD/bench_tls_accept"
fi
if [ -x "$BUILD/bench_store" ]; then
	echo "== store"
	"$BUILD/bench_store"
fi
if [ -x "$BUILD/bench_relay" ]; then
	echo "== media relay: CPU per relayed SRTP packet, one core, Sotto and rtpengine"
	rtpengine_install || true # without it bench_relay prints "rtpengine: not available"
	"$BUILD/bench_relay" "${BENCH_RELAY_SECONDS:-5}" || echo "(bench_relay failed)"
fi


port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$TMP/sotto.conf" <<EOF
[general]
data_dir = $TMP/var
[transport]
udp = 127.0.0.1:$port
EOF
"$BUILD/sotto" -c "$TMP/sotto.conf" >"$TMP/sotto.log" 2>&1 &
SOTTO=$!
PIDS+=("$SOTTO")
for _ in $(seq 100); do grep -q "sotto running" "$TMP/sotto.log" && break; sleep 0.05; done

N=${BENCH_OPTIONS:-100000}
RATE=${BENCH_RATE:-20000}
echo "== OPTIONS over UDP: $N requests from sipp at up to $RATE/s"
before=$(cpu_us "$SOTTO")
start=$(date +%s.%N)
SCEN=$(pwd)/tests/integration/scenarios/options.xml
(cd "$TMP" && sipp -nostdin -sf "$SCEN" -t u1 -i 127.0.0.1 -p "$((port + 1))" -r "$RATE" \
	-l 2000 -m "$N" -timeout 120s 127.0.0.1:"$port" >"$TMP/sipp.log" 2>&1) ||
	echo "(sipp reported failed calls)"
end=$(date +%s.%N)
after=$(cpu_us "$SOTTO")
ok=$(sipp_successful "$TMP/sipp.log")
python3 - "$before" "$after" "$start" "$end" "${ok:-0}" <<'PY'
import sys
before, after, start, end, n = map(float, sys.argv[1:])
n = max(n, 1)
cpu = after - before
print(f"options_udp answered={int(n)} wall_s={end-start:.2f} rate_per_s={n/(end-start):.0f} "
      f"server_cpu_us_per_request={cpu/n:.2f} (target <= 15)")
PY

echo
bash "$(dirname "$0")/register.sh"

echo
echo "== call set-up: server CPU per call, Sotto (B2BUA) and Kamailio (proxy)"
BENCH_ROUNDS=${BENCH_CALLS_ROUNDS:-3} bash "$(dirname "$0")/calls.sh" || echo "(calls.sh failed)"

# Shared helpers for the integration tests: start Sotto on free loopback ports with a config of
# the test's own, run real peers (sipp, socat, baresip) against it, clean up every process.
# Sourced by tests/integration/test_*.sh; ctest passes SOTTO_BIN and SOTTO_BUILD.
set -euo pipefail

SOTTO_SRC=${SOTTO_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
SOTTO_BUILD=${SOTTO_BUILD:-$SOTTO_SRC/build}
SOTTO_BIN=${SOTTO_BIN:-$SOTTO_BUILD/sotto}
SCEN=$SOTTO_SRC/tests/integration/scenarios
TEST_NAME=$(basename "$0" .sh)
TMP=$(mktemp -d "/tmp/sotto-$TEST_NAME.XXXXXX")
PIDS=()
SOTTO_PID=
FAILED=0

cleanup() {
	local rc=$?
	for p in "${PIDS[@]}"; do
		[ -n "$p" ] && kill "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do
		[ -n "$p" ] && wait "$p" 2>/dev/null || true
	done
	if [ "$rc" -ne 0 ] || [ "$FAILED" -ne 0 ]; then
		echo "---- $TEST_NAME failed; logs from $TMP ----"
		for f in "$TMP"/*.log; do
			[ -f "$f" ] || continue
			echo "==== $f (last 60 lines)"
			tail -n 60 "$f"
		done
		[ -n "${KEEP_TMP:-}" ] || rm -rf "$TMP"
		exit 1
	fi
	[ -n "${KEEP_TMP:-}" ] || rm -rf "$TMP"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	FAILED=1
	exit 1
}

pass() {
	echo "ok: $*"
}

# A port free for both TCP and UDP on 127.0.0.1 (with "pair": port+1 free too).
free_port() {
	python3 - "$@" <<'PY'
import socket, sys, random
pair = len(sys.argv) > 1
for _ in range(200):
    p = random.randint(20000, 59000)
    socks = []
    try:
        for port in ([p, p + 1] if pair else [p]):
            for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
                s = socket.socket(socket.AF_INET, kind)
                s.bind(("127.0.0.1", port))
                socks.append(s)
        print(p)
        break
    except OSError:
        pass
    finally:
        for s in socks:
            s.close()
PY
}

# write_config FILE: UDP/TCP on $SIP_PORT and TLS on $TLS_PORT, data in $TMP/var; lines from
# stdin are appended.
write_config() {
	{
		printf '[general]\ndata_dir = %s/var\nrealm = sotto.test\n' "$TMP"
		printf '[transport]\nudp = 127.0.0.1:%s\ntcp = 127.0.0.1:%s\ntls = 127.0.0.1:%s\n' \
			"$SIP_PORT" "$SIP_PORT" "$TLS_PORT"
		cat
	} >"$1"
}

# start_sotto CONF [LOG]: run the daemon in the background and wait until it listens.
start_sotto() {
	local conf=$1 log=${2:-$TMP/sotto.log}
	"$SOTTO_BIN" -c "$conf" -v >>"$log" 2>&1 &
	SOTTO_PID=$!
	PIDS+=("$SOTTO_PID")
	for _ in $(seq 1 300); do
		grep -q "sotto running" "$log" 2>/dev/null && return 0
		kill -0 "$SOTTO_PID" 2>/dev/null || fail "sotto exited at start-up"
		sleep 0.05
	done
	fail "sotto did not start within 15 s"
}

# stop_sotto: SIGTERM, expect a clean exit (under ASan a leak makes the status non-zero).
stop_sotto() {
	local rc=0
	kill -TERM "$SOTTO_PID"
	wait "$SOTTO_PID" || rc=$?
	PIDS=("${PIDS[@]/$SOTTO_PID/}")
	SOTTO_PID=
	[ "$rc" -eq 0 ] || fail "sotto exited with status $rc after SIGTERM"
}

# run_sipp NAME ARGS...: sipp in the foreground, bounded in time (sipp's own -timeout
# $SIPP_TIMEOUT s, killed after $SIPP_LIMIT s; 20 and 60 unless set); logs under $TMP.
run_sipp() {
	local name=$1
	shift
	(cd "$TMP" && timeout -k 5 "${SIPP_LIMIT:-60}" sipp -nostdin -timeout "${SIPP_TIMEOUT:-20}s" \
		-timeout_error -p "$(free_port)" -trace_err -error_file "$TMP/sipp-$name-err.log" "$@" \
		>"$TMP/sipp-$name.log" 2>&1)
}

SIP_PORT=$(free_port pair)
TLS_PORT=$((SIP_PORT + 1))

# ---- baresip phones (see ../shared/peers.md) ----

# phone_config NAME ACCOUNT_LINE: a config dir $TMP/NAME for a headless baresip on free ports.
# The phone gets a self-signed client certificate (baresip needs one to enable TLS).
phone_config() {
	local name=$1 account=$2 dir=$TMP/$1 sip ctrl rtp
	sip=$(free_port pair)
	ctrl=$(free_port)
	rtp=$(free_port)
	mkdir -p "$dir"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$name" \
		-keyout "$dir/cert.pem" -out "$dir/crt.pem" -days 2 2>/dev/null
	cat "$dir/crt.pem" >>"$dir/cert.pem"
	cat >"$dir/config" <<EOF
poll_method epoll
sip_listen 127.0.0.1:$sip
sip_certificate $dir/cert.pem
sip_cafile $TMP/var/ca.pem
net_interface 127.0.0.1
dns_server 127.0.0.1:53
rtp_ports $rtp-$((rtp + 40))
audio_player alsa,null
audio_alert alsa,null
audio_source ${PHONE_SOURCE:-ausine,440}
ausrc_srate ${PHONE_SRATE:-48000}
ausrc_channels ${PHONE_CHANNELS:-2}
snd_path $dir
rtp_stats yes
module_path /usr/lib/baresip/modules
module g711.so
module alsa.so
module ausine.so
module aufile.so
module sndfile.so
module srtp.so
module_tmp uuid.so
module_tmp account.so
module_app contact.so
module_app menu.so
module_app ctrl_tcp.so
ctrl_tcp_listen 127.0.0.1:$ctrl
statmode_default off
EOF
	echo "$account" >"$dir/accounts"
	: >"$dir/contacts"
	echo "$ctrl" >"$dir/ctrl_port"
}

# phone_start NAME: run it in the background, log in $TMP/NAME.log.
phone_start() {
	local name=$1
	baresip -f "$TMP/$name" -v </dev/null >"$TMP/$name.log" 2>&1 &
	PIDS+=($!)
	echo $! >"$TMP/$name/pid"
}

# phone_stop NAME: SIGTERM twice (it waits for its un-REGISTER otherwise).
phone_stop() {
	local pid
	pid=$(cat "$TMP/$1/pid")
	kill -TERM "$pid" 2>/dev/null || true
	sleep 1
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# wait_log FILE REGEX [SECONDS]: wait until REGEX shows up in FILE.
wait_log() {
	local file=$1 re=$2 secs=${3:-15}
	for _ in $(seq 1 $((secs * 10))); do
		grep -qE "$re" "$file" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# phone_cmd NAME COMMAND [PARAMS]: a ctrl_tcp command (dial, hangup, accept, listcalls...).
phone_cmd() {
	python3 "$SOTTO_SRC/tests/integration/phonectl.py" "$(cat "$TMP/$1/ctrl_port")" "${@:2}"
}

# phone_incoming NAME FILE: in the background, write who the next incoming call on NAME is
# from ("DISPLAYNAME|URI", as the phone shows it) into FILE. No phone_cmd to NAME meanwhile.
phone_incoming() {
	python3 "$SOTTO_SRC/tests/integration/phonectl.py" "$(cat "$TMP/$1/ctrl_port")" \
		--incoming 30 >"$2" 2>/dev/null &
	PIDS+=($!)
	sleep 0.3
}

# sottoctl ARGS...: the control tool against this test's daemon.
ctl() {
	"$SOTTO_BUILD/sottoctl" -s "$TMP/var/sotto.sock" "$@"
}

# make_tone FILE HZ [SECONDS]: a 8 kHz mono S16LE WAV sine (what aufile plays for PCMU).
make_tone() {
	python3 "$SOTTO_SRC/tests/integration/audio.py" tone "$@"
}

# tone_of WAV: the dominant frequency of a recording (zero crossings over its middle part).
tone_of() {
	python3 "$SOTTO_SRC/tests/integration/audio.py" freq "$1"
}

# mark FILE: the current line count, for wait_new.
mark() { wc -l <"$1"; }
# wait_new FILE MARK REGEX [SECONDS]: wait for REGEX in lines written after MARK.
wait_new() {
	local file=$1 from=$2 re=$3 secs=${4:-15}
	for _ in $(seq 1 $((secs * 10))); do
		tail -n +"$((from + 1))" "$file" 2>/dev/null | grep -qE "$re" && return 0
		sleep 0.1
	done
	return 1
}

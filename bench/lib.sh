# shellcheck shell=bash
# Shared by the benchmark scripts: free ports, CPU time from /proc, sipp's success count, and
# Kamailio and rtpengine (installed on demand: only `make bench` needs them).

# free_port: a free TCP port on 127.0.0.1.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# cpu_us PID...: user+system CPU of these processes (all threads) in microseconds.
cpu_us() {
	local t=0 p
	for p in "$@"; do
		[ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat")))
	done
	echo $((t * 1000000 / $(getconf CLK_TCK)))
}

# sipp_successful LOG: the "Successful call" total from sipp's final statistics.
sipp_successful() {
	grep -E 'Successful call' "$1" | tail -1 | awk -F'|' '{print $3}' | tr -d ' '
}

kamailio_install() {
	command -v kamailio >/dev/null ||
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kamailio kamailio-tls-modules >/dev/null
}

# kamailio_start CFG LOG: run Kamailio 5.6 with its tlsf allocator in the foreground mode,
# in the background; prints the PIDs of all its processes (empty if it did not start): the
# caller adds them to what it stops at exit.
kamailio_start() {
	kamailio -f "$1" -DD -E -x tlsf -m 256 -M 32 >"$2" 2>&1 &
	sleep 1.5
	pgrep -f "kamailio -f $1" | tr '\n' ' '
}

# rtpengine_install: Debian's rtpengine-daemon (userspace part, no recommends) when missing.
# bench_relay starts an instance of its own; the package's service (kernel forwarding, its own
# config) is stopped and disabled should the install have started it. Fails quietly: the bench
# then says "rtpengine: not available" and goes on.
rtpengine_install() {
	command -v rtpengine >/dev/null && return 0
	local root=()
	[ "$(id -u)" -eq 0 ] || root=(sudo)
	local install=("${root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq
		--no-install-recommends rtpengine-daemon)
	"${install[@]}" >/dev/null 2>&1 ||
		{ "${root[@]}" apt-get update -qq >/dev/null 2>&1 && "${install[@]}" >/dev/null 2>&1; } ||
		return 1
	if [ -d /run/systemd/system ]; then
		"${root[@]}" systemctl disable --now rtpengine-daemon >/dev/null 2>&1 || true
	elif [ -x /etc/init.d/rtpengine-daemon ]; then
		"${root[@]}" /etc/init.d/rtpengine-daemon stop >/dev/null 2>&1 || true
	fi
	command -v rtpengine >/dev/null
}

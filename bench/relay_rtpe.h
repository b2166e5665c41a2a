/* relay_rtpe.h: rtpengine for bench_relay. Starts rtpengine-daemon (userspace only, one worker
 * thread, on 127.0.0.1) as a child that never outlives the bench, makes calls on it through
 * bench/rtpe_ng.py (the ng control protocol) and hands back, per call, the ports and keys
 * rtpengine put in its SDPs, read with Sotto's own a=crypto parser.
 *
 * Included by bench/bench_relay.c only: the bench build makes one program of one source file,
 * so this part lives in a header of static functions rather than in a second .c file. */
#ifndef SOTTO_BENCH_RELAY_RTPE_H
#define SOTTO_BENCH_RELAY_RTPE_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net/sa.h"
#include "sdp/sdp.h"
#include "srtp/srtp.h"

enum {
	RTPE_PORT_MIN = 10000, /* 4 ports a call; apart from Sotto's range in the same run */
	RTPE_PORT_MAX = 19999,
};

struct rtpe {
	pid_t pid;
	char dir[32]; /* temporary: its log, the list of calls to make */
	char ng[32];  /* its ng control address, 127.0.0.1:PORT */
};

/* One call as rtpengine set it up, per phone (0: caller A, 1: callee B): the port on
 * 127.0.0.1 the phone sends to, the key it sends under and the one rtpengine gave it. SECRET. */
struct rtpe_call {
	uint16_t port[2];
	struct sr_key tx[2], rx[2];
};

static bool rtpe_have_cmd(const char *name)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", name);
	return system(cmd) == 0;
}

/* rtpe_ng.py: $BENCH_RTPE_NG, else bench/ under the current directory, else next to the
 * directory of this program (build/../bench). NULL when not found. */
static const char *rtpe_helper(char *buf, size_t size)
{
	const char *env = getenv("BENCH_RTPE_NG");
	char exe[PATH_MAX - 32];
	ssize_t n;
	char *slash;

	if (env && *env)
		return env;
	if (!access("bench/rtpe_ng.py", R_OK))
		return "bench/rtpe_ng.py";
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	snprintf(buf, size, "%s/../bench/rtpe_ng.py", exe);
	return access(buf, R_OK) ? NULL : buf;
}

/* Why rtpengine cannot be run here, or NULL (and *helper set). */
static const char *rtpe_unavailable(char *buf, size_t size, const char **helper)
{
	if (!rtpe_have_cmd("rtpengine"))
		return "not installed";
	if (!rtpe_have_cmd("python3"))
		return "no python3 for bench/rtpe_ng.py";
	*helper = rtpe_helper(buf, size);
	return *helper ? NULL : "bench/rtpe_ng.py not found (set BENCH_RTPE_NG)";
}

/* Start it; on the CPUs in cpus when not NULL (its threads inherit them). */
static int rtpe_start(struct rtpe *re, const cpu_set_t *cpus)
{
	char ng[64], log[64], pmin[32], pmax[32];
	struct sa a;
	int fd;

	strcpy(re->dir, "/tmp/bench-rtpe.XXXXXX");
	if (!mkdtemp(re->dir))
		return errno;
	/* A free port for the ng listener (released just before rtpengine binds it). */
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	sa_set(&a, PL("127.0.0.1"), 0);
	if (fd < 0 || bind(fd, &a.u.sa, a.len) || getsockname(fd, &a.u.sa, &a.len)) {
		if (fd >= 0)
			close(fd);
		return EIO;
	}
	snprintf(re->ng, sizeof(re->ng), "127.0.0.1:%u", sa_port(&a));
	close(fd);
	snprintf(ng, sizeof(ng), "--listen-ng=%s", re->ng);
	snprintf(log, sizeof(log), "%s/rtpengine.log", re->dir);
	snprintf(pmin, sizeof(pmin), "--port-min=%d", RTPE_PORT_MIN);
	snprintf(pmax, sizeof(pmax), "--port-max=%d", RTPE_PORT_MAX);
	re->pid = fork();
	if (re->pid < 0)
		return errno;
	if (re->pid == 0) {
		int lfd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the bench */
		if (cpus)
			(void)sched_setaffinity(0, sizeof(*cpus), cpus);
		if (lfd >= 0) {
			dup2(lfd, STDOUT_FILENO);
			dup2(lfd, STDERR_FILENO);
		}
		/* No config file (the package's turns on kernel forwarding and recording),
		 * no pid file, no syslog; endpoints learnt from their first packet (as Sotto
		 * latches), so that happens in the warm-up, not in the measured window. */
		execlp("rtpengine", "rtpengine", "--config-file=none", "--foreground", "--table=-1",
		       "--interface=127.0.0.1", ng, pmin, pmax, "--num-threads=1",
		       "--media-num-threads=0", "--log-stderr", "--log-level=4",
		       "--endpoint-learning=immediate", (char *)NULL);
		_exit(127);
	}
	return 0;
}

/* Stop it (SIGTERM, then SIGKILL after 3 s), print its log if asked, remove the directory. */
static void rtpe_stop(struct rtpe *re, bool show_log)
{
	char path[64];
	int st, i;

	if (re->pid > 0) {
		kill(re->pid, SIGTERM);
		for (i = 0; i < 60 && waitpid(re->pid, &st, WNOHANG) == 0; i++)
			usleep(50000);
		if (i == 60) {
			kill(re->pid, SIGKILL);
			waitpid(re->pid, &st, 0);
		}
		re->pid = 0;
	}
	snprintf(path, sizeof(path), "%s/rtpengine.log", re->dir);
	if (show_log) {
		FILE *f = fopen(path, "r");
		char line[512];

		fprintf(stderr, "rtpengine's log:\n");
		while (f && fgets(line, sizeof(line), f))
			fprintf(stderr, "  %s", line);
		if (f)
			fclose(f);
	}
	unlink(path);
	snprintf(path, sizeof(path), "%s/calls", re->dir);
	unlink(path);
	rmdir(re->dir);
}

/* An a=crypto value ("TAG SUITE inline:...") into a key, through Sotto's SDES parser. */
static int rtpe_crypto_key(const char *value, struct sr_key *k)
{
	struct sdp_crypto c;
	int err = sdp_crypto_parse(&c, pl_from(value, strlen(value)));

	return err ? err : sdp_crypto_key(&c, k);
}

static bool rtpe_same_key(const struct sr_key *a, const struct sr_key *b)
{
	return !memcmp(a->key, b->key, SR_MAX_KEY) && !memcmp(a->salt, b->salt, SR_MAX_SALT);
}

/* One line of rtpe_ng.py: N PORT_A A_TX A_RX PORT_B B_TX B_RX (tabs). 0, EBADMSG, or EPROTO
 * when a phone would receive under the other phone's key (rtpengine forwarding without
 * decrypting), or the opposite when passthrough is what was asked for. */
static int rtpe_parse(char *line, bool passthrough, unsigned *n, struct rtpe_call *c)
{
	char *f[7], *save = NULL;
	unsigned nf = 0;

	for (char *t = strtok_r(line, "\t\n", &save); t && nf < 7;
	     t = strtok_r(NULL, "\t\n", &save))
		f[nf++] = t;
	if (nf != 7)
		return EBADMSG;
	*n = (unsigned)strtoul(f[0], NULL, 10);
	c->port[0] = (uint16_t)atoi(f[1]);
	c->port[1] = (uint16_t)atoi(f[4]);
	if (!c->port[0] || !c->port[1] || rtpe_crypto_key(f[2], &c->tx[0]) ||
	    rtpe_crypto_key(f[3], &c->rx[0]) || rtpe_crypto_key(f[5], &c->tx[1]) ||
	    rtpe_crypto_key(f[6], &c->rx[1]))
		return EBADMSG;
	if (rtpe_same_key(&c->rx[0], &c->tx[1]) != passthrough ||
	    rtpe_same_key(&c->rx[1], &c->tx[0]) != passthrough)
		return EPROTO;
	return 0;
}

typedef int(rtpe_call_h)(unsigned n, const struct rtpe_call *c, void *arg);

/* Make ncalls calls; phone[n][side] is the port phone side of call n receives on (127.0.0.1).
 * h gets each call as made; rtpe_ng.py's output (keys) comes through a pipe. */
static int rtpe_calls(const struct rtpe *re, const char *helper, bool passthrough, unsigned ncalls,
                      const uint16_t (*phone)[2], rtpe_call_h *h, void *arg)
{
	char path[64], cmd[PATH_MAX + 160], line[1024];
	unsigned got = 0;
	int err = 0, st;
	FILE *f;

	snprintf(path, sizeof(path), "%s/calls", re->dir);
	f = fopen(path, "w");
	if (!f)
		return errno;
	for (unsigned i = 0; i < ncalls; i++)
		fprintf(f, "%u %u %u\n", i, phone[i][0], phone[i][1]);
	if (fclose(f))
		return EIO;
	snprintf(cmd, sizeof(cmd), "python3 '%s' %s%s <'%s'", helper, re->ng,
	         passthrough ? " --passthrough" : "", path);
	f = popen(cmd, "r");
	if (!f)
		return errno;
	while (fgets(line, sizeof(line), f)) {
		struct rtpe_call c = {0};
		unsigned n = 0;
		int e = rtpe_parse(line, passthrough, &n, &c);

		if (!e)
			e = n < ncalls ? h(n, &c, arg) : EBADMSG;
		explicit_bzero(line, sizeof(line));
		explicit_bzero(&c, sizeof(c));
		if (e && !err) {
			fprintf(stderr, "rtpengine: call %u: %s\n", n,
			        e == EPROTO ? (passthrough ? "keys differ: not a passthrough"
			                                   : "a phone got the other phone's key")
			                    : "unusable ports or keys");
			err = e;
		}
		got++;
	}
	st = pclose(f);
	if (!err && (st != 0 || got != ncalls)) {
		fprintf(stderr, "rtpengine: %u of %u calls made\n", got, ncalls);
		err = EIO;
	}
	return err;
}

#endif

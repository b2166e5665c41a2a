/* bench_relay: media worker CPU per relayed SRTP packet. N calls, each a bridge with SRTP
 * (AES_CM_128_HMAC_SHA1_80) on both legs and 20 ms G.711 both ways (2 x 50 packets/s), driven
 * on loopback by a generator thread (phones on sotto's own sr_* SRTP: this distribution's
 * libsrtp2 is built on NSS and too slow to feed the worker), received and sample-verified by a
 * receiver thread, relayed by ONE media worker. Worker CPU comes from
 * /proc/self/task/TID/schedstat (ns on CPU) of the thread named sotto-media0. On loopback the
 * worker's sends also pay the receive path of the phones' sockets; the receiver polls every
 * millisecond rather than sleeping in epoll, so the worker does not pay for waking it too.
 * Target: <= 5 us worker CPU per relayed SRTP packet.
 * Usage: bench_relay [seconds] [calls ...]   (default: 5 s, 500 and 2000 calls)
 * BENCH_RELAY_PLAIN=1: plain RTP on both legs, the same run without SRTP (for comparison).
 * It first prints the floor: one sendmmsg + one recvmmsg of a single packet over loopback,
 * round robin over as many socket pairs as the largest run has legs; a relayed packet can cost
 * no less than that in the kernel, plus the epoll wake-ups and the crypto. */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/rand.h"
#include "media/media.h"
#include "net/loop.h"
#include "net/sa.h"

enum {
	NSOCK = 16, /* generator sockets per side, shared by many calls (latching is per bridge) */
	PAYLOAD = 160,	 /* 20 ms of G.711 */
	PTIME_MS = 20,
	VERIFY_EVERY = 16, /* the receiver decrypts every packet of one call in this many */
	PORT_MIN = 20000,
	PORT_MAX = 31999,
};

struct leg {
	struct sr_key tx, rx; /* the phone's: it sends under tx, receives under rx */
	struct sr_session *out, *in;
	uint16_t seq;
	uint32_t ts, ssrc;
};

struct bcall {
	struct media_bridge *b;
	struct sa la, lb; /* relay ports the phones send to */
	struct leg leg[2];
};

struct bench {
	unsigned ncalls;
	struct bcall *calls;
	int gen[2][NSOCK];
	struct sa gen_addr[2][NSOCK];
	struct bcall *by_port[65536]; /* relay port -> call, for the receiver */
	atomic_bool stop_gen, stop_rx;
	atomic_ulong sent, received, verified, verify_failed;
};

static bool plain; /* BENCH_RELAY_PLAIN: no SRTP anywhere */

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void key_make(struct sr_key *k)
{
	memset(k, 0, sizeof(*k));
	k->suite = SR_AES_CM_128_HMAC_SHA1_80;
	rand_bytes(k->key, 16);
	rand_bytes(k->salt, 14);
}

static int udp_open(struct sa *addr)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int buf = 4 << 20;
	struct sa a;

	if (fd < 0)
		return -1;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	sa_set(&a, PL("127.0.0.1"), 0);
	if (bind(fd, &a.u.sa, a.len) < 0) {
		close(fd);
		return -1;
	}
	addr->len = sizeof(addr->u);
	getsockname(fd, &addr->u.sa, &addr->len);
	return fd;
}

/* ---- generator: every millisecond, the calls whose 20 ms slot it is ---- */

enum { GEN_BATCH = 64 };

struct gbatch {
	struct mmsghdr msg[GEN_BATCH];
	struct iovec iov[GEN_BATCH];
	uint8_t buf[GEN_BATCH][256];
	unsigned n;
};

static void gflush(struct bench *bn, int fd, struct gbatch *g)
{
	unsigned off = 0;

	while (off < g->n) {
		int r = sendmmsg(fd, g->msg + off, g->n - off, 0);

		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			break;
		}
		off += (unsigned)r;
	}
	atomic_fetch_add(&bn->sent, off);
	g->n = 0;
}

static void *generator(void *arg)
{
	struct bench *bn = arg;
	static struct gbatch gb[2][NSOCK];
	uint64_t next = mono_ns();
	unsigned slot = 0;

	while (!atomic_load(&bn->stop_gen)) {
		struct timespec ts;

		for (unsigned i = slot; i < bn->ncalls; i += PTIME_MS) {
			struct bcall *c = &bn->calls[i];

			for (int s = 0; s < 2; s++) {
				struct leg *lg = &c->leg[s];
				struct gbatch *g = &gb[s][i % NSOCK];
				unsigned k = g->n;
				uint8_t *p = g->buf[k];
				size_t len = 12 + PAYLOAD;

				p[0] = 0x80;
				p[1] = 0;
				p[2] = (uint8_t)(lg->seq >> 8);
				p[3] = (uint8_t)lg->seq;
				p[4] = (uint8_t)(lg->ts >> 24);
				p[5] = (uint8_t)(lg->ts >> 16);
				p[6] = (uint8_t)(lg->ts >> 8);
				p[7] = (uint8_t)lg->ts;
				p[8] = (uint8_t)(lg->ssrc >> 24);
				p[9] = (uint8_t)(lg->ssrc >> 16);
				p[10] = (uint8_t)(lg->ssrc >> 8);
				p[11] = (uint8_t)lg->ssrc;
				memset(p + 12, (int)(lg->seq & 0xff), PAYLOAD);
				lg->seq++;
				lg->ts += PTIME_MS * 8;
				if (!plain && sr_protect(lg->out, p, &len, sizeof(g->buf[k])))
					continue;
				g->iov[k].iov_base = p;
				g->iov[k].iov_len = len;
				memset(&g->msg[k], 0, sizeof(g->msg[k]));
				g->msg[k].msg_hdr.msg_iov = &g->iov[k];
				g->msg[k].msg_hdr.msg_iovlen = 1;
				g->msg[k].msg_hdr.msg_name = s == 0 ? &c->la.u : &c->lb.u;
				g->msg[k].msg_hdr.msg_namelen = s == 0 ? c->la.len : c->lb.len;
				if (++g->n == GEN_BATCH)
					gflush(bn, bn->gen[s][i % NSOCK], g);
			}
		}
		for (int s = 0; s < 2; s++)
			for (int k = 0; k < NSOCK; k++)
				if (gb[s][k].n)
					gflush(bn, bn->gen[s][k], &gb[s][k]);
		slot = (slot + 1) % PTIME_MS;
		next += 1000000;
		ts.tv_sec = (time_t)(next / 1000000000u);
		ts.tv_nsec = (long)(next % 1000000000u);
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	}
	return NULL;
}

/* ---- receiver: count, and decrypt a sample with the phone's own context ---- */

/* Drain one phone socket; phone s receives on leg s. */
static unsigned long rx_drain(struct bench *bn, int s, int fd)
{
	static uint8_t bufs[32][2048];
	struct mmsghdr msgs[32];
	struct iovec iov[32];
	struct sockaddr_storage from[32];
	unsigned long got = 0;
	int n;

	do {
		for (int i = 0; i < 32; i++) {
			iov[i] = (struct iovec){.iov_base = bufs[i], .iov_len = sizeof(bufs[i])};
			memset(&msgs[i], 0, sizeof(msgs[i]));
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_name = &from[i];
			msgs[i].msg_hdr.msg_namelen = sizeof(from[i]);
		}
		n = recvmmsg(fd, msgs, 32, MSG_DONTWAIT, NULL);
		for (int i = 0; i < n; i++) {
			const struct sockaddr_in *sin = (const struct sockaddr_in *)&from[i];
			struct bcall *c = bn->by_port[ntohs(sin->sin_port)];
			size_t len = msgs[i].msg_len;

			/* Every packet of one call in VERIFY_EVERY: a receiver must see the
			 * stream whole to track its rollover counter. */
			if (!c || (c - bn->calls) % VERIFY_EVERY)
				continue;
			if ((plain || !sr_unprotect(c->leg[s].in, bufs[i], &len)) &&
			    len == 12 + PAYLOAD)
				atomic_fetch_add(&bn->verified, 1);
			else
				atomic_fetch_add(&bn->verify_failed, 1);
		}
		if (n > 0)
			got += (unsigned long)n;
	} while (n == 32);
	return got;
}

static void *receiver(void *arg)
{
	struct bench *bn = arg;

	while (!atomic_load(&bn->stop_rx)) {
		unsigned long got = 0;

		for (int s = 0; s < 2; s++)
			for (int k = 0; k < NSOCK; k++)
				got += rx_drain(bn, s, bn->gen[s][k]);
		atomic_fetch_add(&bn->received, got);
		usleep(got ? 500 : 1000);
	}
	return NULL;
}

/* ---- measurement ---- */

static int find_worker_tid(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	int tid = -1;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		char path[300], comm[64] = "";
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && !strncmp(comm, "sotto-media0", 12))
			tid = atoi(de->d_name);
		fclose(f);
	}
	closedir(d);
	return tid;
}

/* Nanoseconds the thread has run: schedstat, else utime+stime ticks from stat. */
static uint64_t thread_cpu_ns(int tid)
{
	char path[64];
	unsigned long long ns = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/schedstat", tid);
	f = fopen(path, "r");
	if (f) {
		int ok = fscanf(f, "%llu", &ns) == 1;

		fclose(f);
		if (ok)
			return ns;
	}
	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	f = fopen(path, "r");
	if (f) {
		char buf[1024];
		size_t n = fread(buf, 1, sizeof(buf) - 1, f);
		char *p;
		unsigned long ut = 0, st = 0;

		fclose(f);
		buf[n] = '\0';
		p = strrchr(buf, ')');
		if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut,
				&st) == 2)
			return (uint64_t)(ut + st) * 1000000000ull / (uint64_t)sysconf(_SC_CLK_TCK);
	}
	return 0;
}

struct totals {
	uint64_t in, out, auth, replays, dropped;
};

static void sum_stats(const struct bench *bn, struct totals *t)
{
	memset(t, 0, sizeof(*t));
	for (unsigned i = 0; i < bn->ncalls; i++) {
		for (int s = 0; s < 2; s++) {
			struct media_side_stats st;

			media_bridge_stats(bn->calls[i].b, s, &st);
			t->in += st.packets_in;
			t->out += st.packets_out;
			t->auth += st.auth_failures;
			t->replays += st.replays;
			t->dropped += st.dropped;
		}
	}
}

struct stopper {
	struct loop *l;
	struct tmr t;
};

static void stop_loop(void *arg)
{
	loop_stop(((struct stopper *)arg)->l);
}

static void run_loop_ms(struct loop *l, unsigned ms)
{
	struct stopper s = {.l = l};

	tmr_init(&s.t);
	tmr_start(loop_timers(l), &s.t, ms, stop_loop, &s);
	loop_run(l);
	tmr_cancel(&s.t);
}

static int run(unsigned ncalls, unsigned seconds)
{
	struct media_conf conf = {.port_min = PORT_MIN, .port_max = PORT_MAX, .workers = 1};
	struct bench *bn = calloc(1, sizeof(*bn));
	struct loop *l = NULL;
	struct media *m = NULL;
	pthread_t gth, rth;
	struct totals t0, t1;
	uint64_t c0, c1, w0, w1;
	unsigned long sent, received;
	int tid, err = 0;

	if (!bn)
		return ENOMEM;
	strcpy(conf.address, "127.0.0.1");
	bn->ncalls = ncalls;
	bn->calls = calloc(ncalls, sizeof(*bn->calls));
	if (!bn->calls || loop_alloc(&l) || media_alloc(&m, &conf, l, NULL, NULL)) {
		fprintf(stderr, "bench_relay: setup failed\n");
		return EIO;
	}
	for (int s = 0; s < 2; s++)
		for (int k = 0; k < NSOCK; k++)
			if ((bn->gen[s][k] = udp_open(&bn->gen_addr[s][k])) < 0)
				return EIO;
	for (unsigned i = 0; i < ncalls; i++) {
		struct bcall *c = &bn->calls[i];

		err = media_bridge_alloc(m, &c->b, c);
		if (err) {
			fprintf(stderr, "bench_relay: bridge %u: %s\n", i, strerror(err));
			return err;
		}
		media_bridge_local(c->b, 0, &c->la, NULL);
		media_bridge_local(c->b, 1, &c->lb, NULL);
		bn->by_port[sa_port(&c->la)] = c;
		bn->by_port[sa_port(&c->lb)] = c;
		for (int s = 0; s < 2; s++) {
			struct leg *lg = &c->leg[s];

			key_make(&lg->tx);
			key_make(&lg->rx);
			if (sr_session_alloc(&lg->out, &lg->tx))
				return EIO;
			if (sr_session_alloc(&lg->in, &lg->rx))
				return EIO;
			rand_bytes(&lg->ssrc, sizeof(lg->ssrc));
			rand_bytes(&lg->seq, sizeof(lg->seq));
			/* the relay unprotects what the phone sends, protects what it receives */
			err = plain ? 0 : media_bridge_set_crypto(c->b, s, &lg->tx, &lg->rx);
			if (!err)
				err = media_bridge_set_remote(c->b, s, &bn->gen_addr[s][i % NSOCK],
							      NULL, false);
			if (err)
				return err;
		}
	}
	pthread_create(&rth, NULL, receiver, bn);
	pthread_create(&gth, NULL, generator, bn);
	tid = find_worker_tid();

	run_loop_ms(l, 1000); /* warm-up: latching, caches */
	sum_stats(bn, &t0);
	c0 = thread_cpu_ns(tid);
	w0 = mono_ns();
	run_loop_ms(l, seconds * 1000);
	sum_stats(bn, &t1);
	c1 = thread_cpu_ns(tid);
	w1 = mono_ns();

	atomic_store(&bn->stop_gen, true);
	pthread_join(gth, NULL);
	run_loop_ms(l, 300); /* drain */
	atomic_store(&bn->stop_rx, true);
	pthread_join(rth, NULL);
	sent = atomic_load(&bn->sent);
	received = atomic_load(&bn->received);
	{
		double wall = (double)(w1 - w0) / 1e9, cpu = (double)(c1 - c0) / 1e3;
		uint64_t relayed = t1.out - t0.out;
		struct totals tf;

		sum_stats(bn, &tf);
		printf("relay_%s calls=%u workers=1 seconds=%.1f relayed_pps=%.0f "
		       "worker_cpu=%.0f%% worker_cpu_us_per_pkt=%.2f%s\n",
		       plain ? "plain" : "srtp", ncalls, wall, (double)relayed / wall,
		       cpu / 1e4 / wall, relayed ? cpu / (double)relayed : 0.0,
		       plain ? "" : " (target <= 5)");
		printf("  sent=%lu received=%lu loss=%.3f%% relay_in=%llu relay_out=%llu "
		       "auth_failures=%llu replays=%llu dropped=%llu verified=%lu "
		       "verify_failed=%lu\n",
		       sent, received,
		       sent > received ? 100.0 * (double)(sent - received) / (double)sent : 0.0,
		       (unsigned long long)tf.in, (unsigned long long)tf.out,
		       (unsigned long long)tf.auth, (unsigned long long)tf.replays,
		       (unsigned long long)tf.dropped, atomic_load(&bn->verified),
		       atomic_load(&bn->verify_failed));
		fflush(stdout);
	}

	for (unsigned i = 0; i < ncalls; i++) {
		media_bridge_free(bn->calls[i].b);
		for (int s = 0; s < 2; s++) {
			sr_session_free(bn->calls[i].leg[s].out);
			sr_session_free(bn->calls[i].leg[s].in);
		}
	}
	media_free(m);
	loop_free(l);
	for (int s = 0; s < 2; s++)
		for (int k = 0; k < NSOCK; k++)
			close(bn->gen[s][k]);
	free(bn->calls);
	free(bn);
	return 0;
}

/* Kernel floor of a relayed packet: send one datagram and read it back, over npairs pairs. */
static void udp_floor(unsigned npairs)
{
	enum { N = 200000 };
	int *tx = calloc(npairs, sizeof(int)), *rx = calloc(npairs, sizeof(int));
	struct sa *to = calloc(npairs, sizeof(struct sa));
	uint8_t buf[2048];
	struct timespec c0, c1;
	unsigned open_ = 0;

	if (!tx || !rx || !to)
		goto out;
	for (; open_ < npairs; open_++) {
		struct sa dummy;

		tx[open_] = udp_open(&dummy);
		rx[open_] = udp_open(&to[open_]);
		if (tx[open_] < 0 || rx[open_] < 0) {
			if (tx[open_] >= 0)
				close(tx[open_]);
			if (rx[open_] >= 0)
				close(rx[open_]);
			break;
		}
	}
	if (!open_)
		goto out;
	memset(buf, 0x5a, sizeof(buf));
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
	for (unsigned k = 0; k < N; k++) {
		unsigned i = k % open_;
		struct iovec iov = {.iov_base = buf, .iov_len = 12 + PAYLOAD + 10};
		struct mmsghdr m = {.msg_hdr = {.msg_name = &to[i].u, .msg_namelen = to[i].len,
						.msg_iov = &iov, .msg_iovlen = 1}};
		struct sockaddr_storage from;

		sendmmsg(tx[i], &m, 1, 0);
		iov.iov_len = sizeof(buf);
		m.msg_hdr.msg_name = &from;
		m.msg_hdr.msg_namelen = sizeof(from);
		recvmmsg(rx[i], &m, 1, MSG_DONTWAIT, NULL);
	}
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
	printf("udp_floor pairs=%u send_recv_cpu_us_per_pkt=%.2f\n", open_,
	       ((double)(c1.tv_sec - c0.tv_sec) * 1e9 + (double)(c1.tv_nsec - c0.tv_nsec)) / N /
		       1e3);
	for (unsigned i = 0; i < open_; i++) {
		close(tx[i]);
		close(rx[i]);
	}
out:
	free(tx);
	free(rx);
	free(to);
}

int main(int argc, char **argv)
{
	unsigned maxcalls = 2000;
	unsigned seconds = 5;
	struct rlimit rl;

	log_set_level(LOG_WARN);
	plain = getenv("BENCH_RELAY_PLAIN") && atoi(getenv("BENCH_RELAY_PLAIN"));
	/* 4 sockets per bridge. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (argc > 1)
		seconds = (unsigned)atoi(argv[1]);
	if (seconds == 0)
		seconds = 5;
	if (argc > 2) {
		maxcalls = 0;
		for (int i = 2; i < argc; i++)
			if ((unsigned)atoi(argv[i]) > maxcalls)
				maxcalls = (unsigned)atoi(argv[i]);
	}
	udp_floor(2 * maxcalls);
	if (argc > 2) {
		for (int i = 2; i < argc; i++)
			if (run((unsigned)atoi(argv[i]), seconds))
				return 1;
	} else if (run(500, seconds) || run(2000, seconds)) {
		return 1;
	}
	return 0;
}

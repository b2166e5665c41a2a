/* bench_relay: relay CPU per relayed SRTP packet, Sotto's media worker against rtpengine on the
 * same load in the same run. Figures only, no assertion.
 *
 * Load: N calls, each with SRTP on both legs and 20 ms G.711 both ways (2 x 50 packets/s per
 * call), sent by a generator thread from loopback "phones" (on sotto's own sr_* SRTP: this
 * distribution's libsrtp2 is built on NSS and too slow to feed a relay), received by a
 * receiver thread that decrypts every packet of one call in VERIFY_EVERY with the key the
 * relay gave that phone, so a relay that forwards garbage, or under the wrong key, shows as
 * verify_failed rather than as a good figure. The receiver polls every millisecond rather
 * than sleeping in epoll, so a relay does not pay for waking it. The relay runs alone on the
 * last CPU, the load on the others (relay_proc.h; BENCH_RELAY_PIN=0: no pinning). Loss counts
 * what the phones sent and did not get back, 300 ms after the last packet: a relay that falls
 * behind loses what it still has queued. runq_wait is the time the relay was ready to run
 * while other work had its CPU (schedstat): on a shared machine, loss with a high runq_wait
 * says the machine was busy, not that the relay fell short. On loopback a relay's sends also
 * pay the receive path of the phones' sockets; the kernel floor printed first (one sendmmsg +
 * one recvmmsg of one packet) is what a relayed packet can cost at least.
 *
 * Sotto: ONE in-process media worker, AES_CM_128_HMAC_SHA1_80 on both legs; CPU from
 * /proc/self/task/TID/schedstat (ns on CPU) of the thread named sotto-media0, packets from the
 * bridges' counters. Target: <= 5 us per relayed SRTP packet.
 *
 * rtpengine (Debian's rtpengine-daemon, in PATH; relay_rtpe.h): started for each call count,
 * userspace only (--table=-1), one worker thread, on 127.0.0.1 with ports of its own, logging
 * to a temporary directory, stopped when the run ends (killed if the bench dies).
 * bench/rtpe_ng.py makes each call through the ng protocol (offer, answer) and hands back the
 * ports and keys rtpengine put in its SDPs. rtpengine forwards SRTP untouched when both legs
 * share suite and key, and arranges that by copying keys across whenever the suites match; so
 * the callee leg takes rtpengine's own AES_CM_128_HMAC_SHA1_32 line (the work of _80: same
 * digest, shorter tag) and rtpengine decrypts and re-encrypts every packet under keys of its
 * own on both legs, as Sotto does; the bench checks that no phone got the other's key. CPU is
 * the sum over all its threads (/proc/PID/task/TID/schedstat) over the same window; packets
 * are those the phones received. Target: Sotto <= 1/3 of rtpengine's CPU per packet.
 *
 * The summary also prints what the ratio target leaves above the kernel floor: on loopback
 * here the floor alone is about 1/3 of rtpengine's CPU per packet at 500 calls.
 *
 * Both relays cost less per packet the more packets each wake-up finds. Measured here (2 cores,
 * shared): rtpengine spends 14-24 us per packet at 50-200 calls (the 15-24 us the issue
 * quotes), 13-15 us at 500 calls and about 8 us once its thread is saturated, at 1250-1500
 * calls; with BENCH_RELAY_RTPE_PASSTHROUGH=1 (no crypto on its side) 2-2.5 us less.
 *
 * Then the largest call count Sotto's one worker sustains (< 0.1% loss, the full load offered,
 * every sampled packet verified), by a short search from the call counts run. The generator
 * and receiver need CPU too: on a small machine they may be the limit, and the output says so
 * (offered load below nominal).
 *
 * Usage: bench_relay [seconds] [calls ...]   (default: 5 s, 500 and 2000 calls)
 * BENCH_RELAY_PLAIN=1: plain RTP on both legs, Sotto only (for comparison).
 * BENCH_RELAY_RTPE=0: no rtpengine. BENCH_RELAY_SEARCH=0: no capacity search.
 * BENCH_RELAY_RTPE_PASSTHROUGH=1: let rtpengine forward SRTP without crypto (same suite and
 * keys on both legs), to see what its crypto costs. BENCH_RTPE_NG: path of rtpe_ng.py. */
#include <errno.h>
#include <limits.h>
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

#include "relay_proc.h"
#include "relay_rtpe.h"

enum {
	NSOCK = 16, /* generator sockets per side, shared by many calls (latching is per bridge) */
	PAYLOAD = 160, /* 20 ms of G.711 */
	PTIME_MS = 20,
	VERIFY_EVERY = 16, /* the receiver decrypts every packet of one call in this many */
	PORT_MIN = 20000,
	PORT_MAX = 31999,
	SEARCH_SECONDS = 3, /* per capacity probe */
	SEARCH_PROBES = 4,
	BUSY_WAIT_PCT = 10, /* a relay waiting this much for its CPU: other work had it */
};

struct leg {
	struct sr_key tx, rx; /* the phone's: it sends under tx, receives under rx */
	struct sr_session *out, *in;
	uint16_t seq;
	uint32_t ts, ssrc;
};

struct bcall {
	struct media_bridge *b; /* NULL for rtpengine */
	struct sa la, lb;       /* relay ports the phones send to */
	struct leg leg[2];
};

struct bench {
	unsigned ncalls;
	bool rtpe; /* relayed packets: counted by the receiver, not by bridges */
	struct bcall *calls;
	int gen[2][NSOCK];
	struct sa gen_addr[2][NSOCK];
	struct bcall *by_port[65536]; /* relay port -> call, for the receiver */
	atomic_bool stop_gen, stop_rx;
	atomic_ulong sent, received, verified, verify_failed;
};

/* One relay at one call count, over the measured window (sent/received: the whole run). */
struct result {
	unsigned ncalls;
	bool ran;
	double wall_s, cpu_s, relayed, pps, offered_pps; /* relayed, sent by the phones */
	double wait_s; /* the relay runnable but not running: the machine busy with others */
	unsigned long sent, received, verified, verify_failed;
};

static bool plain;       /* BENCH_RELAY_PLAIN: no SRTP anywhere */
static bool passthrough; /* BENCH_RELAY_RTPE_PASSTHROUGH */

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static bool env_flag(const char *name, bool dflt)
{
	const char *v = getenv(name);

	return v && *v ? atoi(v) != 0 : dflt;
}

static void key_make(struct sr_key *k)
{
	memset(k, 0, sizeof(*k));
	k->suite = SR_AES_CM_128_HMAC_SHA1_80;
	rand_bytes(k->key, 16);
	rand_bytes(k->salt, 14);
}

/* The phone's SRTP contexts and a random start for its stream. */
static int leg_init(struct leg *lg, const struct sr_key *tx, const struct sr_key *rx)
{
	lg->tx = *tx;
	lg->rx = *rx;
	if (sr_session_alloc(&lg->out, tx) || sr_session_alloc(&lg->in, rx))
		return EIO;
	rand_bytes(&lg->ssrc, sizeof(lg->ssrc));
	rand_bytes(&lg->seq, sizeof(lg->seq));
	return 0;
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

/* Calls and the phones' sockets; keys and relay ports are the relay's business. */
static struct bench *bench_alloc(unsigned ncalls)
{
	struct bench *bn = calloc(1, sizeof(*bn));

	if (!bn)
		return NULL;
	bn->ncalls = ncalls;
	for (int s = 0; s < 2; s++)
		for (int k = 0; k < NSOCK; k++)
			bn->gen[s][k] = -1;
	bn->calls = calloc(ncalls, sizeof(*bn->calls));
	if (!bn->calls)
		goto fail;
	for (int s = 0; s < 2; s++)
		for (int k = 0; k < NSOCK; k++)
			if ((bn->gen[s][k] = udp_open(&bn->gen_addr[s][k])) < 0)
				goto fail;
	return bn;
fail:
	for (int s = 0; s < 2; s++)
		for (int k = 0; k < NSOCK; k++)
			if (bn->gen[s][k] >= 0)
				close(bn->gen[s][k]);
	free(bn->calls);
	free(bn);
	return NULL;
}

static void bench_free(struct bench *bn)
{
	for (unsigned i = 0; i < bn->ncalls; i++) {
		for (int s = 0; s < 2; s++) {
			struct leg *lg = &bn->calls[i].leg[s];

			sr_session_free(lg->out);
			sr_session_free(lg->in);
			explicit_bzero(&lg->tx, sizeof(lg->tx));
			explicit_bzero(&lg->rx, sizeof(lg->rx));
		}
	}
	for (int s = 0; s < 2; s++)
		for (int k = 0; k < NSOCK; k++)
			close(bn->gen[s][k]);
	free(bn->calls);
	free(bn);
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

struct totals {
	uint64_t in, out, auth, replays, dropped;
};

static void sum_stats(const struct bench *bn, struct totals *t)
{
	memset(t, 0, sizeof(*t));
	for (unsigned i = 0; i < bn->ncalls && !bn->rtpe; i++) {
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

/* Packets the relay has sent so far: its own count for Sotto, what the phones got otherwise. */
static uint64_t relayed_now(const struct bench *bn)
{
	struct totals t;

	if (bn->rtpe)
		return atomic_load(&bn->received);
	sum_stats(bn, &t);
	return t.out;
}

struct stopper {
	struct loop *l;
	struct tmr t;
};

static void stop_loop(void *arg) { loop_stop(((struct stopper *)arg)->l); }

/* Let time pass: on Sotto's signalling loop (which drives the worker), else asleep. */
static void wait_ms(struct loop *l, unsigned ms)
{
	struct stopper s = {.l = l};
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

	if (!l) {
		while (nanosleep(&ts, &ts) && errno == EINTR)
			;
		return;
	}
	tmr_init(&s.t);
	tmr_start(loop_timers(l), &s.t, ms, stop_loop, &s);
	loop_run(l);
	tmr_cancel(&s.t);
}

/* Run the load: 1 s warm-up (latching, caches), then the measured window, then a drain. */
static void measure(struct bench *bn, struct loop *l, int pid, int tid, unsigned seconds,
                    struct result *r)
{
	pthread_t gth, rth;
	uint64_t w0, w1, p0, p1, s0, s1;
	struct proc_time c0, c1;

	pthread_create(&rth, NULL, receiver, bn);
	pthread_create(&gth, NULL, generator, bn);
	wait_ms(l, 1000);
	s0 = atomic_load(&bn->sent);
	p0 = relayed_now(bn);
	c0 = proc_time(pid, tid);
	w0 = mono_ns();
	wait_ms(l, seconds * 1000);
	s1 = atomic_load(&bn->sent);
	p1 = relayed_now(bn);
	c1 = proc_time(pid, tid);
	w1 = mono_ns();
	atomic_store(&bn->stop_gen, true);
	pthread_join(gth, NULL);
	wait_ms(l, 300);
	atomic_store(&bn->stop_rx, true);
	pthread_join(rth, NULL);

	r->ncalls = bn->ncalls;
	r->ran = true;
	r->wall_s = (double)(w1 - w0) / 1e9;
	r->cpu_s = (double)(c1.cpu_ns - c0.cpu_ns) / 1e9;
	r->wait_s = (double)(c1.wait_ns - c0.wait_ns) / 1e9;
	r->relayed = (double)(p1 - p0);
	r->pps = r->relayed / r->wall_s;
	r->offered_pps = (double)(s1 - s0) / r->wall_s;
	r->sent = atomic_load(&bn->sent);
	r->received = atomic_load(&bn->received);
	r->verified = atomic_load(&bn->verified);
	r->verify_failed = atomic_load(&bn->verify_failed);
}

static double us_per_pkt(const struct result *r)
{
	return r->relayed > 0 ? r->cpu_s * 1e6 / r->relayed : 0.0;
}

static double loss_pct(const struct result *r)
{
	return r->sent > r->received ? 100.0 * (double)(r->sent - r->received) / (double)r->sent
	                             : 0.0;
}

static double cpu_pct(const struct result *r)
{
	return r->wall_s > 0 ? 100.0 * r->cpu_s / r->wall_s : 0.0;
}

/* Time the relay was ready to run but other threads had its CPU: high on a busy machine,
 * where loss says little about the relay. */
static double wait_pct(const struct result *r)
{
	return r->wall_s > 0 ? 100.0 * r->wait_s / r->wall_s : 0.0;
}

/* Share of the nominal load (100 packets/s a call) the phones sent in the window. */
static double offered_pct(const struct result *r)
{
	return r->ncalls ? 100.0 * r->offered_pps / (100.0 * r->ncalls) : 0.0;
}

/* Sustained: < 0.1% loss at (nearly) the full nominal rate, every sampled packet good. */
static const char *why_not(const struct result *r)
{
	if (!r->ran)
		return "did not run";
	if (r->verify_failed || !r->verified)
		return "packets failed verification";
	if (loss_pct(r) >= 0.1)
		return wait_pct(r) >= BUSY_WAIT_PCT ? "loss >= 0.1%, machine busy" : "loss >= 0.1%";
	if (offered_pct(r) < 98.0)
		return "load generator behind (offered load below nominal)";
	return NULL;
}

static void print_result(const char *name, const struct result *r)
{
	printf("%s calls=%u threads=1 seconds=%.1f relayed_pps=%.0f cpu=%.0f%% "
	       "cpu_us_per_pkt=%.2f pps_per_core=%.0f\n",
	       name, r->ncalls, r->wall_s, r->pps, cpu_pct(r), us_per_pkt(r),
	       r->cpu_s > 0 ? r->relayed / r->cpu_s : 0.0);
	printf("  sent=%lu received=%lu loss=%.3f%% offered=%.1f%% runq_wait=%.0f%% verified=%lu "
	       "verify_failed=%lu\n",
	       r->sent, r->received, loss_pct(r), offered_pct(r), wait_pct(r), r->verified,
	       r->verify_failed);
}

/* ---- Sotto: one media worker in this process ---- */

static int sotto_calls(struct bench *bn, struct media *m)
{
	int err = 0;

	for (unsigned i = 0; i < bn->ncalls && !err; i++) {
		struct bcall *c = &bn->calls[i];

		err = media_bridge_alloc(m, &c->b, c);
		if (err) {
			fprintf(stderr, "bench_relay: bridge %u: %s\n", i, strerror(err));
			break;
		}
		media_bridge_local(c->b, 0, &c->la, NULL);
		media_bridge_local(c->b, 1, &c->lb, NULL);
		bn->by_port[sa_port(&c->la)] = c;
		bn->by_port[sa_port(&c->lb)] = c;
		for (int s = 0; s < 2 && !err; s++) {
			struct leg *lg = &c->leg[s];
			struct sr_key tx, rx;

			key_make(&tx);
			key_make(&rx);
			err = leg_init(lg, &tx, &rx);
			explicit_bzero(&tx, sizeof(tx));
			explicit_bzero(&rx, sizeof(rx));
			/* the relay unprotects what the phone sends, protects what it receives */
			if (!err && !plain)
				err = media_bridge_set_crypto(c->b, s, &lg->tx, &lg->rx);
			if (!err)
				err = media_bridge_set_remote(c->b, s, &bn->gen_addr[s][i % NSOCK],
				                              NULL, false);
		}
	}
	return err;
}

static int run_sotto(unsigned ncalls, unsigned seconds, struct result *r)
{
	struct media_conf conf = {.port_min = PORT_MIN, .port_max = PORT_MAX, .workers = 1};
	struct bench *bn = bench_alloc(ncalls);
	struct loop *l = NULL;
	struct media *m = NULL;
	struct totals t;
	int err = 0, tid;

	if (!bn)
		return ENOMEM;
	strcpy(conf.address, "127.0.0.1");
	if (loop_alloc(&l) || media_alloc(&m, &conf, l, NULL, NULL)) {
		fprintf(stderr, "bench_relay: setup failed\n");
		err = EIO;
		goto out;
	}
	err = sotto_calls(bn, m);
	if (err)
		goto out;
	tid = proc_find_thread("sotto-media0");
	proc_pin(tid, true);
	measure(bn, l, getpid(), tid, seconds, r);
	sum_stats(bn, &t);
	printf("relay_%s calls=%u workers=1 seconds=%.1f relayed_pps=%.0f worker_cpu=%.0f%% "
	       "worker_cpu_us_per_pkt=%.2f pps_per_core=%.0f%s\n",
	       plain ? "plain" : "srtp", ncalls, r->wall_s, r->pps, cpu_pct(r), us_per_pkt(r),
	       r->cpu_s > 0 ? r->relayed / r->cpu_s : 0.0, plain ? "" : " (target <= 5)");
	printf("  sent=%lu received=%lu loss=%.3f%% offered=%.1f%% runq_wait=%.0f%% relay_in=%llu "
	       "relay_out=%llu auth_failures=%llu replays=%llu dropped=%llu verified=%lu "
	       "verify_failed=%lu\n",
	       r->sent, r->received, loss_pct(r), offered_pct(r), wait_pct(r),
	       (unsigned long long)t.in, (unsigned long long)t.out, (unsigned long long)t.auth,
	       (unsigned long long)t.replays, (unsigned long long)t.dropped, r->verified,
	       r->verify_failed);
	fflush(stdout);
out:
	for (unsigned i = 0; i < ncalls; i++)
		if (bn->calls[i].b)
			media_bridge_free(bn->calls[i].b);
	media_free(m);
	loop_free(l);
	bench_free(bn);
	return err;
}

/* ---- rtpengine: a process of its own (relay_rtpe.h) ---- */

static int rtpe_call_set(unsigned n, const struct rtpe_call *rc, void *arg)
{
	struct bench *bn = arg;
	struct bcall *c = &bn->calls[n];
	int err;

	if (c->leg[0].out)
		return EBADMSG; /* the same call twice */
	sa_set(&c->la, PL("127.0.0.1"), rc->port[0]);
	sa_set(&c->lb, PL("127.0.0.1"), rc->port[1]);
	bn->by_port[rc->port[0]] = c;
	bn->by_port[rc->port[1]] = c;
	err = leg_init(&c->leg[0], &rc->tx[0], &rc->rx[0]);
	return err ? err : leg_init(&c->leg[1], &rc->tx[1], &rc->rx[1]);
}

static int run_rtpe(unsigned ncalls, unsigned seconds, const char *helper, struct result *r)
{
	struct rtpe re = {0};
	struct bench *bn = bench_alloc(ncalls);
	uint16_t(*phone)[2] = calloc(ncalls, sizeof(*phone));
	int err = ENOMEM;

	if (!bn || !phone)
		goto out;
	bn->rtpe = true;
	for (unsigned i = 0; i < ncalls; i++)
		for (int s = 0; s < 2; s++)
			phone[i][s] = sa_port(&bn->gen_addr[s][i % NSOCK]);
	err = rtpe_start(&re, proc_relay_cpus());
	if (!err)
		err = rtpe_calls(&re, helper, passthrough, ncalls, (const uint16_t(*)[2])phone,
		                 rtpe_call_set, bn);
	if (!err) {
		measure(bn, NULL, re.pid, 0, seconds, r);
		print_result(passthrough ? "rtpengine_passthrough" : "rtpengine_srtp", r);
		if (why_not(r))
			printf("  rtpengine does not sustain %u calls on one thread: %s (it ran "
			       "%.0f%% "
			       "and waited for its CPU %.0f%% of the time)\n",
			       ncalls, why_not(r), cpu_pct(r), wait_pct(r));
		fflush(stdout);
	}
	rtpe_stop(&re, err != 0);
out:
	if (bn)
		bench_free(bn);
	free(phone);
	return err;
}

/* Kernel floor of a relayed packet: send one datagram and read it back, over npairs pairs.
 * Returns the CPU per packet in us (0: not measured). */
static double udp_floor(unsigned npairs)
{
	enum { N = 200000 };
	int *tx = calloc(npairs, sizeof(int)), *rx = calloc(npairs, sizeof(int));
	struct sa *to = calloc(npairs, sizeof(struct sa));
	uint8_t buf[2048];
	struct timespec c0, c1;
	unsigned open_ = 0;
	double us = 0;

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
		struct mmsghdr m = {.msg_hdr = {.msg_name = &to[i].u,
		                                .msg_namelen = to[i].len,
		                                .msg_iov = &iov,
		                                .msg_iovlen = 1}};
		struct sockaddr_storage from;

		sendmmsg(tx[i], &m, 1, 0);
		iov.iov_len = sizeof(buf);
		m.msg_hdr.msg_name = &from;
		m.msg_hdr.msg_namelen = sizeof(from);
		recvmmsg(rx[i], &m, 1, MSG_DONTWAIT, NULL);
	}
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
	us = ((double)(c1.tv_sec - c0.tv_sec) * 1e9 + (double)(c1.tv_nsec - c0.tv_nsec)) / N / 1e3;
	printf("udp_floor pairs=%u send_recv_cpu_us_per_pkt=%.2f\n", open_, us);
	for (unsigned i = 0; i < open_; i++) {
		close(tx[i]);
		close(rx[i]);
	}
out:
	free(tx);
	free(rx);
	free(to);
	return us;
}

/* ---- Sotto's capacity, summary ---- */

/* Largest call count one Sotto worker sustains: from the counts already run, up by half
 * while they hold, then bisect between the last that held and the first that did not. */
static void sotto_capacity(const struct result *done, size_t ndone)
{
	const unsigned cap = (PORT_MAX - PORT_MIN + 1) / 4; /* bridges the port range holds */
	unsigned lo = 0, hi = 0;                            /* hi 0: none failed above lo */
	struct result best = {0}, busiest = {0}, first_out = {0};

	for (size_t i = 0; i < ndone; i++) {
		if (!why_not(&done[i]) && done[i].ncalls > lo)
			best = done[i], lo = done[i].ncalls;
		if (done[i].verified && !done[i].verify_failed && done[i].pps > busiest.pps)
			busiest = done[i];
	}
	for (size_t i = 0; i < ndone; i++)
		if (why_not(&done[i]) && done[i].ncalls > lo && (!hi || done[i].ncalls < hi))
			hi = done[i].ncalls, first_out = done[i];
	printf("== sotto: largest call count one relay core sustains (< 0.1%% loss), %d s probes\n",
	       SEARCH_SECONDS);
	for (int p = 0; p < SEARCH_PROBES; p++) {
		struct result r = {0};
		unsigned n;

		if (!hi && lo >= cap)
			break;
		if (hi && hi - lo <= (lo / 8 > 50 ? lo / 8 : 50))
			break;
		n = hi ? (lo + hi) / 2 : lo ? lo + lo / 2 : 250;
		n = (n + 25) / 50 * 50; /* round figures */
		n = n <= lo ? lo + 50 : n > cap ? cap : n;
		if (n <= lo || (hi && n >= hi))
			break;
		if (run_sotto(n, SEARCH_SECONDS, &r)) {
			printf(
			    "  the probe at %u calls could not run (ports taken by another run?)\n",
			    n);
			break;
		}
		/* Lost packets while others had its CPU: that says little, look again. */
		if (why_not(&r) && wait_pct(&r) >= BUSY_WAIT_PCT &&
		    run_sotto(n, SEARCH_SECONDS, &r))
			break;
		if (!why_not(&r))
			best = r, lo = n;
		else
			hi = n, first_out = r;
		if (r.verified && !r.verify_failed && r.pps > busiest.pps)
			busiest = r;
	}
	printf("sotto_capacity calls=%u relayed_pps=%.0f worker_cpu=%.0f%% "
	       "worker_cpu_us_per_pkt=%.2f",
	       lo, best.pps, cpu_pct(&best), us_per_pkt(&best));
	if (hi)
		printf(" (at %u calls: %s; worker ran %.0f%%, waited for its CPU %.0f%%)\n", hi,
		       why_not(&first_out), cpu_pct(&first_out), wait_pct(&first_out));
	else if (lo >= cap)
		printf(" (the port range holds %u calls: not searched further)\n", cap);
	else
		printf(" (no larger count tried: %d probes)\n", SEARCH_PROBES);
	/* Per packet it costs less the busier it is: project from the busiest run. */
	if (busiest.ran && us_per_pkt(&busiest) > 0)
		printf(
		    "  at %.2f us per packet (%.0f packets/s, the busiest run) one fully busy core "
		    "would relay %.0f calls\n",
		    us_per_pkt(&busiest), busiest.pps, 1e6 / us_per_pkt(&busiest) / 100.0);
}

/* "-" for what did not run. */
static void cell(const struct result *r, double v, const char *fmt)
{
	if (r->ran)
		printf(fmt, v);
	else
		printf(" %*s", atoi(fmt + 2), "-");
}

static void summary(const struct result *s, const struct result *e, size_t n, double floor_us)
{
	printf("== relay summary: CPU per relayed packet, one relay core each, the same load\n");
	printf("%6s %9s %9s %6s %10s %10s %10s %10s  %s\n", "calls", "sotto_us", "rtpe_us", "ratio",
	       "sotto_pps", "rtpe_pps", "sotto_loss", "rtpe_loss", "rtpengine sustains it");
	for (size_t i = 0; i < n; i++) {
		double su = us_per_pkt(&s[i]), eu = us_per_pkt(&e[i]);
		struct result both = {.ran = s[i].ran && e[i].ran && eu > 0};

		printf("%6u", s[i].ncalls ? s[i].ncalls : e[i].ncalls);
		cell(&s[i], su, " %9.2f");
		cell(&e[i], eu, " %9.2f");
		cell(&both, both.ran ? su / eu : 0.0, " %6.2f");
		cell(&s[i], s[i].pps, " %10.0f");
		cell(&e[i], e[i].pps, " %10.0f");
		cell(&s[i], loss_pct(&s[i]), " %9.3f%%");
		cell(&e[i], loss_pct(&e[i]), " %9.3f%%");
		if (!e[i].ran)
			printf("  not run\n");
		else if (why_not(&e[i]))
			printf("  NO: %s (ran %.0f%%, waited for its CPU %.0f%%)\n", why_not(&e[i]),
			       cpu_pct(&e[i]), wait_pct(&e[i]));
		else
			printf("  yes\n");
	}
	printf("target: ratio <= 0.33 (Sotto at most 1/3 of rtpengine's CPU per relayed "
	       "packet)%s\n",
	       passthrough ? "; rtpengine in passthrough: no crypto on its side" : "");
	/* What the target leaves: a relay has to send and receive each packet at least once. */
	for (size_t i = 0; floor_us > 0 && i < n; i++)
		if (e[i].ran && us_per_pkt(&e[i]) > 0)
			printf("calls=%u: the kernel floor alone (udp_floor %.2f us) is %.2f of "
			       "rtpengine's CPU per packet; 1/3 of it leaves %.2f us above the floor\n",
			       e[i].ncalls, floor_us, floor_us / us_per_pkt(&e[i]),
			       us_per_pkt(&e[i]) / 3 - floor_us);
}

int main(int argc, char **argv)
{
	enum { MAXRUNS = 16 };
	unsigned counts[MAXRUNS] = {500, 2000}, ncounts = 2, maxcalls = 0, seconds = 5;
	struct result sotto[MAXRUNS] = {0}, rtpe[MAXRUNS] = {0};
	const char *helper = NULL, *why;
	char hbuf[PATH_MAX];
	bool use_rtpe, search;
	double floor_us;
	struct rlimit rl;

	log_set_level(LOG_WARN);
	plain = env_flag("BENCH_RELAY_PLAIN", false);
	passthrough = env_flag("BENCH_RELAY_RTPE_PASSTHROUGH", false);
	use_rtpe = !plain && env_flag("BENCH_RELAY_RTPE", true);
	search = env_flag("BENCH_RELAY_SEARCH", true);
	/* 4 sockets per bridge; rtpengine inherits the limit. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (argc > 1)
		seconds = (unsigned)atoi(argv[1]);
	if (seconds == 0)
		seconds = 5;
	if (argc > 2) {
		ncounts = 0;
		for (int i = 2; i < argc && ncounts < MAXRUNS; i++)
			if (atoi(argv[i]) > 0)
				counts[ncounts++] = (unsigned)atoi(argv[i]);
	}
	for (unsigned i = 0; i < ncounts; i++)
		maxcalls = counts[i] > maxcalls ? counts[i] : maxcalls;
	if (use_rtpe && (why = rtpe_unavailable(hbuf, sizeof(hbuf), &helper))) {
		printf("rtpengine: not available (%s)\n", why);
		use_rtpe = false;
	}
	floor_us = udp_floor(2 * maxcalls);
	/* From here this thread, the generator and the receiver run on the load's CPUs. */
	proc_cpus_init();
	proc_pin(0, false);
	if (proc_relay_cpus())
		printf("relay on CPU %d, load generator and receiver on the others\n",
		       proc_cpus_.relay_cpu);
	for (unsigned i = 0; i < ncounts; i++) {
		if (run_sotto(counts[i], seconds, &sotto[i]))
			printf("sotto: the run with %u calls failed (see above)\n", counts[i]);
		if (!use_rtpe)
			continue;
		if (counts[i] * 4 > RTPE_PORT_MAX - RTPE_PORT_MIN + 1)
			printf("rtpengine: %u calls need more than its %d ports: not run\n",
			       counts[i], RTPE_PORT_MAX - RTPE_PORT_MIN + 1);
		else if (run_rtpe(counts[i], seconds, helper, &rtpe[i]))
			printf("rtpengine: the run with %u calls failed (see above)\n", counts[i]);
		if (sotto[i].ran && rtpe[i].ran && us_per_pkt(&rtpe[i]) > 0)
			printf("ratio calls=%u: sotto/rtpengine CPU per relayed packet = %.2f "
			       "(target <= 0.33)\n",
			       counts[i], us_per_pkt(&sotto[i]) / us_per_pkt(&rtpe[i]));
		fflush(stdout);
	}
	if (use_rtpe)
		summary(sotto, rtpe, ncounts, floor_us);
	if (search)
		sotto_capacity(sotto, ncounts);
	return 0;
}

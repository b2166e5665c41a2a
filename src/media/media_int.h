/* media_int.h: private to src/media.
 *
 * Ownership. The signalling thread owns struct media, the port pool, the list of bridges and
 * the "signalling" fields of each bridge. A worker owns the "worker" fields of the bridges it
 * was handed: sockets (once registered on its loop), SRTP sessions, latching and stream state.
 * The two talk only through queues (commands down, events up), each a mutex-protected FIFO of
 * intrusive nodes plus an eventfd. Wake-ups are what a call set-up pays most for (one costs
 * more CPU than the command it carries), so they are batched: inside the signalling loop a
 * worker is woken at most once per pass, at its end, and neither a REMOVE nor its REMOVED
 * wakes anyone: each rides on the next wake-up, or on a timer (MEDIA_LAZY_MS). Per-side
 * statistics are atomics with a single writer (the worker), read by anyone.
 *
 * Lifetime of a bridge: media_bridge_alloc binds its four sockets and posts its embedded ADD
 * command; media_bridge_free marks it dead and posts its embedded REMOVE command; the worker
 * stops watching the sockets, wipes the keys and posts the embedded REMOVED event; the
 * signalling thread then returns the ports and their open sockets to the pool (which keeps
 * them for reuse after a quarantine) and frees the memory. Events travel in one FIFO,
 * so nothing for a bridge can follow its REMOVED, and the dead flag drops what precedes it. */
#ifndef SOTTO_MEDIA_INT_H
#define SOTTO_MEDIA_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "media/media.h"

enum {
	MEDIA_BATCH = 32,     /* packets per recvmmsg / sendmmsg */
	MEDIA_BUFSIZE = 2048, /* one packet buffer, with room for the SRTP overhead */
	MEDIA_RX_MAX = MEDIA_BUFSIZE - SR_MAX_OVERHEAD,
	MEDIA_DEFAULT_RATE = 8000,
	MEDIA_EVENTS = 256,  /* sockets handled per round */
	MEDIA_COALESCE = 8,  /* this many packets in a round: poll on a 1 ms tick */
	MEDIA_LAZY_MS = 20,  /* a REMOVE / REMOVED waits this long at most for a wake-up */
};

/* ---- statistics: one writer (the worker), relaxed loads and stores ---- */

struct mstats {
	_Atomic uint64_t packets_in, packets_out, bytes_in, bytes_out;
	_Atomic uint64_t auth_failures, replays, dropped, lost;
	_Atomic uint64_t jitter_us;
	atomic_bool latched;
};

/* Single writer: a load and a store, no locked read-modify-write on the hot path. */
static inline void stat_add(_Atomic uint64_t *a, uint64_t v)
{
	atomic_store_explicit(a, atomic_load_explicit(a, memory_order_relaxed) + v,
			      memory_order_relaxed);
}

static inline void stat_set(_Atomic uint64_t *a, uint64_t v)
{
	atomic_store_explicit(a, v, memory_order_relaxed);
}

/* ---- RTP stream state (rtp.c) ---- */

/* What arrives from one side: RFC 3550 A.1/A.3/A.8 source state, and the offsets that map it
 * onto the outgoing stream it feeds. */
struct rtp_in {
	bool valid;	    /* a source is being tracked */
	bool resync;	    /* map the next packet afresh onto the outgoing stream */
	bool mapped;	    /* seq_delta/ts_delta hold a mapping */
	bool have_transit;
	uint32_t ssrc;
	uint16_t max_seq;
	uint32_t cycles;   /* sequence wraps << 16 */
	uint32_t base_seq;
	uint64_t received;
	uint64_t lost_before; /* from earlier sources and restarts */
	uint32_t transit;
	uint32_t jitter; /* timestamp units << 4 (RFC 3550 A.8) */
	uint16_t seq_delta;
	uint32_t ts_delta;
};

/* What we send toward one side: our own SSRC, sequence and timestamp, whatever comes in. */
struct rtp_out {
	uint32_t ssrc;
	uint16_t seq;	 /* highest sent (the random base - 1 before the first) */
	uint64_t window; /* bit i set: seq - i was sent; never send a sequence number twice */
	uint32_t ts;	 /* timestamp of the highest sent (the random base before the first) */
	uint64_t ts_us;	 /* when that one was sent */
	bool started;
};

/* Network-order fields of RTP and RTCP headers. */
static inline uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

enum rtp_kind { RTP_INVALID = 0, RTP_PKT, RTP_RTCP };

enum rtp_kind rtp_classify(const uint8_t *p, size_t len, bool rtcp_sock);
/* Account an RTP packet from a source (loss, jitter; a new SSRC or a sequence jump restarts
 * the source and asks for a resync). arrival is the arrival time in timestamp units. */
void rtp_in_update(struct rtp_in *in, const uint8_t *p, uint32_t arrival);
uint64_t rtp_in_lost(const struct rtp_in *in);
/* Rewrite SSRC, sequence number and timestamp of p into out. false: a sequence number out
 * already sent (or too old): drop it. */
bool rtp_map(struct rtp_in *in, struct rtp_out *out, uint8_t *p, uint64_t now_us, uint32_t rate);
/* Rewrite a plain RTCP compound relayed into out's stream: sender SSRCs become out->ssrc, the
 * SR timestamp is mapped like RTP, report blocks about rb_from are made about rb_to. */
void rtcp_rewrite(uint8_t *p, size_t len, const struct rtp_in *in, const struct rtp_out *out,
		  uint32_t rb_from, uint32_t rb_to, bool rb_map);

/* ---- commands (signalling -> worker) and events (worker -> signalling) ---- */

enum mcmd_kind {
	MCMD_ADD,
	MCMD_REMOVE,
	MCMD_REMOTE,
	MCMD_CRYPTO,
	MCMD_SENDING,
	MCMD_ECHO,
	MCMD_RATE,
	MCMD_SIGNAL,
};

struct mcmd {
	struct mcmd *next;
	enum mcmd_kind kind;
	bool embedded; /* part of the bridge, never freed on its own */
	struct media_bridge *b;
	int side;
	union {
		struct {
			struct sa rtp, rtcp;
			bool mux;
		} remote;
		struct {
			struct sr_session *rx, *tx;
			unsigned keep; /* MEDIA_KEEP_RX/TX: that session stays as it is */
		} crypto;
		bool flag;
		uint32_t rate;
		struct sa sig;
	} u;
};

enum mev_kind { MEV_FIRST, MEV_TIMEOUT, MEV_REMOVED };

struct mev {
	struct mev *next;
	struct media_bridge *b;
	uint8_t kind;
	uint8_t side;
	bool queued; /* under the event lock */
};

/* ---- bridge ---- */

struct msock {
	struct media_bridge *b;
	uint8_t side;
	bool rtcp;
	uint32_t slot; /* io_uring path: the worker's slot for this socket */
};

/* A media peer's address, IPv4 or IPv6: a quarter of struct sa, whose sockaddr_storage would
 * spread a side's hot fields over a dozen cache lines. */
struct maddr {
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} u;
	socklen_t len; /* 0: unset */
};

/* As sa_eq: same family (not unset), address and port. */
static inline bool maddr_eq(const struct maddr *a, const struct maddr *b)
{
	if (!a->len || !b->len || a->u.sa.sa_family != b->u.sa.sa_family)
		return false;
	if (a->u.sa.sa_family == AF_INET)
		return a->u.in.sin_addr.s_addr == b->u.in.sin_addr.s_addr &&
		       a->u.in.sin_port == b->u.in.sin_port;
	return a->u.sa.sa_family == AF_INET6 && a->u.in6.sin6_port == b->u.in6.sin6_port &&
	       !memcmp(&a->u.in6.sin6_addr, &b->u.in6.sin6_addr, sizeof(struct in6_addr)) &&
	       a->u.in6.sin6_scope_id == b->u.in6.sin6_scope_id;
}

/* Same family and address, any port. */
static inline bool maddr_same_host(const struct maddr *a, const struct maddr *b)
{
	if (!a->len || !b->len || a->u.sa.sa_family != b->u.sa.sa_family)
		return false;
	if (a->u.sa.sa_family == AF_INET)
		return a->u.in.sin_addr.s_addr == b->u.in.sin_addr.s_addr;
	return a->u.sa.sa_family == AF_INET6 &&
	       !memcmp(&a->u.in6.sin6_addr, &b->u.in6.sin6_addr, sizeof(struct in6_addr));
}

/* Anything but IPv4 and IPv6 comes out unset. */
static inline void maddr_from_sa(struct maddr *m, const struct sa *s)
{
	memset(m, 0, sizeof(*m));
	if ((s->u.sa.sa_family == AF_INET && s->len >= sizeof(struct sockaddr_in)) ||
	    (s->u.sa.sa_family == AF_INET6 && s->len >= sizeof(struct sockaddr_in6))) {
		m->len = s->len < sizeof(m->u) ? s->len : (socklen_t)sizeof(m->u);
		memcpy(&m->u, &s->u, m->len);
	}
}

static inline void maddr_to_sa(struct sa *s, const struct maddr *m)
{
	memset(s, 0, sizeof(*s));
	memcpy(&s->u, &m->u, m->len);
	s->len = m->len;
}

/* One side of a bridge, as its worker sees it. What relaying a packet reads and writes comes
 * first, in three cache lines (the side aligned to one), so that a relay with thousands of
 * bridges pays few misses per packet and can prefetch them (bridge_prefetch). */
struct mside {
	_Alignas(64) struct sr_session *rx;
	struct sr_session *tx;
	uint32_t rate;
	bool configured; /* set_remote seen: until then the side takes nothing */
	bool latched, rtcp_latched;
	bool sending;
	bool mux;
	struct msock h_rtp;
	struct maddr rtp;   /* where RTP goes: sdp_rtp or latched */
	struct rtp_in in;   /* from this side's peer */
	struct rtp_out out; /* toward this side's peer */
	/* colder: RTCP on its own socket, what signalling said, set-up */
	struct msock h_rtcp;
	struct maddr rtcp;
	struct maddr sdp_rtp, sdp_rtcp;
	struct maddr sig; /* where signalling comes from (media_bridge_set_signal) */
	/* a plain side's unknown source on probation (relay.c) */
	struct maddr cand;
	uint32_t cand_ssrc;
	uint16_t cand_seq, cand_n;
	bool first_sent; /* MEDIA_EV_FIRST_PACKET emitted */
	int fd_rtp, fd_rtcp;
};

struct mworker;
struct muring;

struct media_bridge {
	/* signalling thread */
	struct media *m;
	struct mworker *w;
	void *owner;
	struct media_bridge *prev, *next;
	bool dead;
	bool remote_set[2], echo_set; /* it can relay: its commands wake the worker */
	struct maddr sig_sent[2];     /* the last media_bridge_set_signal, not posted again */
	uint16_t port[2];
	struct sa local_rtp[2], local_rtcp[2];
	struct mcmd cmd_add, cmd_remove;
	/* queued by the worker, popped by the signalling thread (under the event lock) */
	struct mev ev_first[2], ev_timeout, ev_removed;
	/* worker (handed over with the ADD command); the relay's hot part, cache-line aligned */
	struct mside side[2];
	uint64_t last_ms;
	bool echo;
	bool timed_out;
	bool released; /* sockets closed, keys wiped */
	size_t widx;   /* index in the worker's bridge array */
	/* shared */
	_Alignas(64) struct mstats stats[2];
};

/* Start fetching what relaying a packet from side x reads of b: both sides' hot lines (the
 * other side sends it), the counters and the activity stamp. A hint, no access. */
static inline void bridge_prefetch(const struct media_bridge *b, int x)
{
	const char *sx = (const char *)&b->side[x], *sy = (const char *)&b->side[1 - x];

	for (int i = 0; i < 3; i++) {
		__builtin_prefetch(sx + 64 * i, 1);
		__builtin_prefetch(sy + 64 * i, 1);
	}
	__builtin_prefetch(&b->last_ms, 1);
	__builtin_prefetch(&b->stats[x], 1);
	__builtin_prefetch((const char *)&b->stats[x] + sizeof(b->stats[x]) - 1, 1);
	__builtin_prefetch(&b->stats[1 - x], 1);
	__builtin_prefetch((const char *)&b->stats[1 - x] + sizeof(b->stats[x]) - 1, 1);
}

/* ---- worker (worker.c) ---- */

/* When to stop waking per packet and poll every millisecond instead (both paths). A wake-up
 * costs more than relaying a packet (15 us of CPU on a virtual machine), so as soon as packets
 * come more often than once a millisecond, taking them on a 1 ms tick is cheaper, for at most
 * ~1 ms of added delay (well inside any jitter buffer); a tick that finds nothing goes back to
 * waiting. At one or two calls every packet is still relayed as it arrives. */
struct coalesce {
	bool on;
	uint64_t last_us; /* the last round that took packets */
};

static inline bool coalesce_next(struct coalesce *c, unsigned pkts, uint64_t now_us)
{
	if (c->on)
		c->on = pkts > 0;
	else
		c->on = pkts >= MEDIA_COALESCE || (pkts && c->last_us && now_us - c->last_us < 1000);
	if (pkts)
		c->last_us = now_us;
	return c->on;
}

struct mworker {
	struct media *m;
	unsigned idx;
	pthread_t thread;
	bool started;
	struct loop *loop;
	int cmd_fd;
	bool try_uring;	    /* SOTTO_MEDIA_IO is not "epoll" */
	unsigned uring_bufs; /* SOTTO_MEDIA_URING_BUFFERS (tests): fewer receive buffers */
	atomic_bool stop;   /* worker_stop: the io_uring loop returns */
	struct muring *ur;  /* worker thread: the io_uring path, NULL on epoll */
	pthread_mutex_t lock;
	struct mcmd *cmd_head, *cmd_tail; /* under lock */
	atomic_bool pending;		  /* commands queued: run them before any packet */
	size_t load;			  /* signalling thread: bridges assigned */
	bool wake_owed;			  /* signalling thread: queued, worker_wake not yet called */
	unsigned long wakes;		  /* signalling thread: worker_wake calls (tests) */
	/* worker thread */
	struct media_bridge **bridges;
	size_t nbridges, cap;
	struct tmr tick;
	uint32_t tick_ms;
	/* the media sockets: a private epoll set, itself watched by the loop */
	int ep;
	bool coalescing; /* under load: polled every millisecond instead of per wake-up */
	struct coalesce co;
	struct tmr poll_tmr;
	struct epoll_event evs[MEDIA_EVENTS];
	/* receive batch */
	struct mmsghdr rmsg[MEDIA_BATCH];
	struct iovec riov[MEDIA_BATCH];
	struct sockaddr_storage rfrom[MEDIA_BATCH];
	/* send batch: packets relayed from the receive buffers, in place */
	size_t nout;
	struct mmsghdr omsg[MEDIA_BATCH];
	struct iovec oiov[MEDIA_BATCH];
	struct sockaddr_storage oto[MEDIA_BATCH];
	int ofd[MEDIA_BATCH];
	struct mstats *ost[MEDIA_BATCH];
	uint8_t buf[MEDIA_BATCH][MEDIA_BUFSIZE];
};

int worker_alloc(struct mworker **wp, struct media *m, unsigned idx, uint32_t timeout_ms);
int worker_start(struct mworker *w);
/* Stop and join the thread, then run what is still queued on the calling thread. */
void worker_stop(struct mworker *w);
void worker_free(struct mworker *w);
/* Queue c; true if the queue was empty, i.e. the worker has taken everything before and needs
 * a wake-up (worker_wake) for this one. Signalling thread. */
bool worker_enqueue(struct mworker *w, struct mcmd *c);
void worker_wake(struct mworker *w);
/* Run what the queue holds (worker thread). */
void worker_run_cmds(struct mworker *w);
/* Run one command on the thread that owns w's bridges (frees c unless embedded). */
void worker_cmd_run(struct mworker *w, struct mcmd *c);
/* Close the sockets and wipe the keys (idempotent); owner thread only. */
void bridge_release(struct mworker *w, struct media_bridge *b);
/* Queue a relayed packet (in the buffer it arrived in) for sending from ms's socket to dst. */
void worker_out(struct mworker *w, const struct msock *ms, const struct maddr *dst, uint8_t *pkt,
		size_t len, struct mstats *st);
static inline int msock_fd(const struct msock *ms)
{
	return ms->rtcp ? ms->b->side[ms->side].fd_rtcp : ms->b->side[ms->side].fd_rtp;
}

/* ---- io_uring path (uring.c), worker thread only; w->ur set between open and close ---- */

/* 0, or why not (ENOSYS, EPERM, EINVAL: the caller takes the epoll path). */
int uring_open(struct mworker *w);
/* Rounds until w->stop. */
void uring_run(struct mworker *w);
/* Cancel everything and free the ring; the bridges' sockets stay open. */
void uring_close(struct mworker *w);
int uring_watch(struct mworker *w, struct media_bridge *b);
/* Before the bridge's sockets are closed. */
void uring_unwatch(struct mworker *w, struct media_bridge *b);
void uring_out(struct mworker *w, const struct msock *ms, const struct maddr *dst, uint8_t *pkt,
	       size_t len, struct mstats *st);

/* ---- relay (relay.c): one received packet ---- */

void relay_packet(struct mworker *w, struct media_bridge *b, int x, bool rtcp_sock, uint8_t *pkt,
		  size_t len, const struct maddr *src, uint64_t now_us);

/* ---- media.c ---- */

void media_event_post(struct media *m, struct mev *ev);
/* Wake-ups of the workers so far, and bridges not yet destroyed (tests). */
unsigned long media_wakes(const struct media *m);
size_t media_nbridges(const struct media *m);
uint32_t media_timeout_ms(const struct media *m);

/* ---- port pool (ports.c): signalling thread ---- */

enum {
	PORTS_QUARANTINE_MS = 4000, /* media_conf.port_quarantine_ms 0: this */
	PORTS_DRAIN_MAX = 256,	    /* stale datagrams dropped from a socket at reuse, at most */
};

/* A pair's state. CACHED: released, its sockets still bound, in the quarantine FIFO. */
enum { PAIR_FREE = 0, PAIR_USED, PAIR_CACHED };

struct mpair {
	int fd[2];	     /* CACHED: RTP, RTCP */
	uint64_t released_ms; /* CACHED: when */
	uint32_t next;	     /* CACHED: the next one released (UINT32_MAX: none) */
	uint8_t state;
};

struct mports {
	struct sa addr;
	uint16_t first; /* even port of the first pair */
	size_t npairs;
	size_t cursor;
	struct mpair *pair;
	uint32_t qhead, qtail; /* quarantine FIFO, oldest first (UINT32_MAX: empty) */
	size_t ncached, max_cached;
	uint32_t quarantine_ms;
};

/* quarantine_ms 0: PORTS_QUARANTINE_MS. max_cached 0: from RLIMIT_NOFILE. */
int ports_init(struct mports *p, const struct sa *addr, uint16_t port_min, uint16_t port_max,
	       uint32_t quarantine_ms, size_t max_cached);
/* Closes the cached sockets (the used ones belong to their bridges). */
void ports_close(struct mports *p);
/* An RTP/RTCP pair (non-blocking): a released one whose quarantine is over, emptied of what
 * arrived meanwhile, else a newly bound one. 0, ENOSPC, or an errno. */
int ports_alloc(struct mports *p, uint64_t now_ms, int *fd_rtp, int *fd_rtcp, uint16_t *port);
/* Give a pair back with its sockets (kept for reuse after the quarantine, or closed: the pool
 * owns them either way; -1 for a socket already closed). */
void ports_release(struct mports *p, uint16_t port, int fd_rtp, int fd_rtcp, uint64_t now_ms);

#endif

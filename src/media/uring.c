/* uring: the worker's io_uring path (Linux 6.1+; the epoll path in worker.c is the fallback).
 *
 * Why: a relayed packet arrives on its own socket (one per call side), so with epoll every
 * packet costs a recvmmsg that returns one datagram, a sendmmsg of one, and a share of the
 * wake-ups. Here every media socket has one multishot recvmsg armed, reading into a ring of
 * buffers the kernel picks from (provided buffers); a relayed packet leaves from the buffer it
 * arrived in through a send SQE; one io_uring_enter per round submits the sends, runs the
 * receives and waits. The ring is IORING_SETUP_DEFER_TASKRUN: the receives run in this thread,
 * only when it enters, and a thread that is not waiting in io_uring_enter is never woken for
 * them. So under load the worker sleeps 1 ms and then takes every packet that came in the
 * meantime in a few system calls, without a wake-up per packet (the epoll path does the same
 * with a 1 ms timer, at a higher price per socket).
 *
 * Ownership: the ring, its buffers and the socket slots belong to the worker thread, which
 * creates them (SINGLE_ISSUER) and tears them down before it exits. A receive completion names
 * its socket by slot index and generation, never by pointer, so one that is still queued when
 * its bridge has gone (removed in the same round) is recognised and only its buffer is taken
 * back. A send completion points at the sending side's counters; removing a bridge forgets the
 * pointers of its sends still in flight. Nothing queued ever names a closed descriptor: pending
 * submissions are flushed and the socket's requests cancelled before it is closed. */
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "media/media_int.h"

enum {
	UR_NBUF = 2048, /* receive buffers (a power of two): ~2 ms of 10,000 calls */
	UR_NBUF_MIN = 8,
	UR_SQ = 1024,
	UR_CQ = 4 * UR_NBUF,
	UR_BGID = 0,
	UR_NAMELEN = sizeof(struct sockaddr_in6),
	/* A buffer: struct io_uring_recvmsg_out, the source address, then the packet, with
	 * room after it for the SRTP tag the relay adds in place. */
	UR_OFF = sizeof(struct io_uring_recvmsg_out) + UR_NAMELEN,
	UR_STRIDE = (UR_OFF + MEDIA_BUFSIZE + 63) / 64 * 64,
	UR_FIXED_MAX = 65536, /* registered file table entries at most */
	UR_DRAIN = 16, /* a round that reaped this many completions asks for more at once */
	UR_BATCH = 64, /* completions taken from the ring at a time */
	UR_AHEAD = 2,  /* completions between prefetch stages (reap) */
	UR_GROUP = 4,  /* slots per bridge: its four sockets */
};

/* user_data: a tag in the low 2 bits; for a receive, the slot index above it and the slot's
 * generation in the high 32 bits; for a send, the buffer id. */
enum { TAG_RECV = 0, TAG_SEND = 1, TAG_CMD = 2, TAG_IGNORE = 3 };

struct uslot {
	struct msock *ms; /* NULL: free */
	struct media_bridge *b; /* ms's, kept here so that a prefetch needs no bridge line */
	uint8_t side;
	uint32_t gen;
	uint32_t next_free;
	bool armed; /* a multishot receive is (or is about to be) armed */
	bool fixed; /* the socket is in the registered file table, at this index */
};

struct usend {
	struct mstats *st; /* NULL: the bridge went away, count nothing */
	uint32_t len;
	bool inflight;
	struct sockaddr_in6 to; /* as large as any address a media socket sends to */
};

struct muring {
	struct io_uring ring;
	struct io_uring_buf_ring *br;
	size_t br_size;
	uint8_t *bufs;
	unsigned nbuf;	   /* UR_NBUF, or fewer for tests (SOTTO_MEDIA_URING_BUFFERS) */
	unsigned nrecycle; /* buffers given back since the last advance */
	struct msghdr rmsg; /* the multishot template: room for the name, no control */
	struct uslot *slots;
	uint32_t nslots, cap, free_head;
	uint32_t nfixed; /* size of the registered file table: slots below it use it */
	uint32_t *rearm; /* slots whose multishot receive ended */
	uint32_t nrearm;
	unsigned sends; /* sends submitted or queued, not yet completed */
	bool cmd_armed;
	struct coalesce co;
	uint64_t now_us; /* of the last reap */
	int cur_bid;   /* the buffer of the packet being relayed */
	bool cur_sent; /* ... which a send now owns */
	struct usend snd[UR_NBUF];
};

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* An SQE, submitting what is queued when the ring is full. NULL only if that fails. */
static struct io_uring_sqe *sqe_get(struct muring *ur)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ur->ring);

	if (!sqe && io_uring_submit(&ur->ring) >= 0)
		sqe = io_uring_get_sqe(&ur->ring);
	return sqe;
}

static uint8_t *buf_at(const struct muring *ur, unsigned bid)
{
	return ur->bufs + (size_t)bid * UR_STRIDE;
}

/* Back into the ring; visible to the kernel at the next buf_flush. */
static void buf_recycle(struct muring *ur, unsigned bid)
{
	io_uring_buf_ring_add(ur->br, buf_at(ur, bid), UR_OFF + MEDIA_RX_MAX, (unsigned short)bid,
			      io_uring_buf_ring_mask(ur->nbuf), (int)ur->nrecycle++);
}

static void buf_flush(struct muring *ur)
{
	if (ur->nrecycle) {
		io_uring_buf_ring_advance(ur->br, (int)ur->nrecycle);
		ur->nrecycle = 0;
	}
}

/* ---- sockets ---- */

/* Point an SQE at ms's socket: through the registered file table when the socket has a
 * place in it (no file reference taken and dropped per request), else by descriptor. */
static void sqe_fd(const struct muring *ur, struct io_uring_sqe *sqe, const struct msock *ms)
{
	uint32_t idx = ms->slot;

	if (idx < ur->nslots && ur->slots[idx].ms == ms && ur->slots[idx].fixed) {
		sqe->fd = (int)idx;
		sqe->flags |= IOSQE_FIXED_FILE;
	} else {
		sqe->fd = msock_fd(ms);
	}
}

static uint64_t recv_data(const struct muring *ur, uint32_t idx)
{
	return (uint64_t)ur->slots[idx].gen << 32 | (uint64_t)idx << 2 | TAG_RECV;
}

static void arm(struct muring *ur, uint32_t idx)
{
	struct uslot *s = &ur->slots[idx];
	struct io_uring_sqe *sqe = sqe_get(ur);

	if (!sqe) { /* retried at the end of the next round */
		ur->rearm[ur->nrearm++] = idx;
		return;
	}
	io_uring_prep_recvmsg_multishot(sqe, -1, &ur->rmsg, 0);
	sqe_fd(ur, sqe, s->ms);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = UR_BGID;
	io_uring_sqe_set_data64(sqe, recv_data(ur, idx));
	s->armed = true;
}

/* A bridge's four sockets (side A RTP, RTCP, side B RTP, RTCP) take four slots in a row, so
 * that one files_update registers them all and one clears them: slots come and go in groups
 * of UR_GROUP, a group's first slot heading the free list. A slot's index is also its place
 * in the registered file table, if it has one. */
static int slots_new(struct muring *ur, struct msock *ms[UR_GROUP], uint32_t *firstp)
{
	int fds[UR_GROUP];
	uint32_t idx;
	int r;

	if (ur->free_head == UINT32_MAX) {
		if (ur->cap - ur->nslots < UR_GROUP) {
			uint32_t cap = ur->cap ? ur->cap * 2 : 256;
			struct uslot *p = realloc(ur->slots, cap * sizeof(*p));
			uint32_t *q;

			if (!p)
				return ENOMEM;
			ur->slots = p;
			q = realloc(ur->rearm, cap * sizeof(*q));
			if (!q)
				return ENOMEM;
			ur->rearm = q;
			ur->cap = cap;
		}
		idx = ur->nslots;
		ur->nslots += UR_GROUP;
		for (int i = 0; i < UR_GROUP; i++)
			ur->slots[idx + i].gen = 0;
	} else {
		idx = ur->free_head;
		ur->free_head = ur->slots[idx].next_free;
	}
	for (int i = 0; i < UR_GROUP; i++) {
		struct uslot *sl = &ur->slots[idx + i];

		sl->ms = ms[i];
		sl->b = ms[i]->b;
		sl->side = ms[i]->side;
		sl->armed = false;
		sl->fixed = false;
		ms[i]->slot = idx + i;
		fds[i] = msock_fd(ms[i]);
	}
	/* Else their requests name the descriptors. */
	if (idx + UR_GROUP <= ur->nfixed) {
		r = io_uring_register_files_update(&ur->ring, idx, fds, UR_GROUP);
		for (int i = 0; i < UR_GROUP; i++)
			ur->slots[idx + i].fixed = r == UR_GROUP;
		if (r > 0 && r < UR_GROUP) { /* half done: the table must not keep them */
			int none[UR_GROUP] = {-1, -1, -1, -1};
			(void)io_uring_register_files_update(&ur->ring, idx, none, (unsigned)r);
		}
	}
	*firstp = idx;
	return 0;
}

static void slots_free(struct muring *ur, uint32_t idx)
{
	if (ur->slots[idx].fixed) {
		int none[UR_GROUP] = {-1, -1, -1, -1};

		(void)io_uring_register_files_update(&ur->ring, idx, none, UR_GROUP);
	}
	for (int i = 0; i < UR_GROUP; i++) {
		struct uslot *sl = &ur->slots[idx + i];

		sl->fixed = false;
		sl->ms = NULL;
		sl->b = NULL;
		sl->gen++; /* what is still queued for this slot is stale from now on */
	}
	ur->slots[idx].next_free = ur->free_head;
	ur->free_head = idx;
}

int uring_watch(struct mworker *w, struct media_bridge *b)
{
	struct muring *ur = w->ur;
	struct msock *ms[UR_GROUP] = {&b->side[0].h_rtp, &b->side[0].h_rtcp, &b->side[1].h_rtp,
				      &b->side[1].h_rtcp};
	uint32_t idx;
	int err = slots_new(ur, ms, &idx);

	if (err)
		return err;
	for (int i = 0; i < UR_GROUP; i++)
		arm(ur, idx + (uint32_t)i);
	return 0;
}

/* Before the bridge's sockets go back to the signalling thread (which may close them, or
 * hand them to another bridge on another worker). */
void uring_unwatch(struct mworker *w, struct media_bridge *b)
{
	struct muring *ur = w->ur;
	uint32_t idx = b->side[0].h_rtp.slot;

	if (idx >= ur->nslots || idx % UR_GROUP || ur->slots[idx].ms != &b->side[0].h_rtp)
		return;
	/* Queued receives and sends may name these sockets: let them reach the kernel before
	 * they are cancelled. */
	if (io_uring_sq_ready(&ur->ring))
		(void)io_uring_submit(&ur->ring);
	for (uint32_t i = idx; i < idx + UR_GROUP; i++) {
		struct io_uring_sync_cancel_reg reg = {
			.addr = recv_data(ur, i), /* by user_data: a hash lookup, not a scan */
			.timeout = {.tv_sec = -1, .tv_nsec = -1},
		};

		/* Disarmed now: a cancelled receive never takes another packet. Its completion
		 * (and its hold on the socket) follows at this worker's next io_uring_enter. */
		(void)io_uring_register_sync_cancel(&ur->ring, &reg);
		ur->slots[i].ms->slot = UINT32_MAX;
	}
	slots_free(ur, idx);
	for (unsigned i = 0; ur->sends && i < ur->nbuf; i++) {
		struct usend *sd = &ur->snd[i];

		if (sd->inflight && (sd->st == &b->stats[0] || sd->st == &b->stats[1]))
			sd->st = NULL;
	}
}

/* ---- sending ---- */

void uring_out(struct mworker *w, const struct msock *ms, const struct maddr *dst, uint8_t *pkt,
	       size_t len, struct mstats *st)
{
	struct muring *ur = w->ur;
	struct io_uring_sqe *sqe;
	struct usend *sd;

	if (ur->cur_bid < 0 || ur->cur_sent || dst->len > sizeof(sd->to) ||
	    !(sqe = sqe_get(ur))) {
		stat_add(&st->dropped, 1);
		return;
	}
	sd = &ur->snd[ur->cur_bid];
	memcpy(&sd->to, &dst->u, dst->len);
	sd->st = st;
	sd->len = (uint32_t)len;
	sd->inflight = true;
	/* MSG_DONTWAIT: a full send buffer fails the send (dropped, as on the epoll path)
	 * instead of parking it until there is room. */
	io_uring_prep_send(sqe, -1, pkt, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	sqe_fd(ur, sqe, ms);
	io_uring_prep_send_set_addr(sqe, (const struct sockaddr *)&sd->to, (uint16_t)dst->len);
	io_uring_sqe_set_data64(sqe, (uint64_t)ur->cur_bid << 2 | TAG_SEND);
	ur->cur_sent = true;
	ur->sends++;
}

static void on_send(struct muring *ur, const struct io_uring_cqe *cqe)
{
	unsigned bid = (unsigned)(cqe->user_data >> 2);
	struct usend *sd;

	if (bid >= ur->nbuf)
		return;
	sd = &ur->snd[bid];
	if (sd->st) {
		if (cqe->res >= 0) {
			stat_add(&sd->st->packets_out, 1);
			stat_add(&sd->st->bytes_out, sd->len);
		} else {
			stat_add(&sd->st->dropped, 1);
		}
	}
	sd->inflight = false;
	sd->st = NULL;
	if (ur->sends)
		ur->sends--;
	buf_recycle(ur, bid);
}

/* ---- receiving ---- */

static void on_recv(struct mworker *w, const struct io_uring_cqe *cqe, uint64_t now_us,
		    unsigned *pkts)
{
	struct muring *ur = w->ur;
	uint32_t idx = (uint32_t)(cqe->user_data >> 2) & 0x3fffffffu;
	uint32_t gen = (uint32_t)(cqe->user_data >> 32);
	struct uslot *s = idx < ur->nslots ? &ur->slots[idx] : NULL;
	bool live = s && s->ms && s->gen == gen;
	unsigned bid;

	if (live && !(cqe->flags & IORING_CQE_F_MORE)) {
		/* The multishot receive ended: out of buffers (they are back after this
		 * round), or the kernel stopped it. A hard error would only repeat. */
		s->armed = false;
		if (cqe->res >= 0 || cqe->res == -ENOBUFS || cqe->res == -EINTR ||
		    cqe->res == -EAGAIN)
			ur->rearm[ur->nrearm++] = idx;
		else
			log_warn("media: worker %u: receive stopped: %s", w->idx,
				 strerror(-cqe->res));
	}
	if (!(cqe->flags & IORING_CQE_F_BUFFER))
		return;
	bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
	if (bid >= ur->nbuf)
		return;
	ur->cur_bid = (int)bid;
	ur->cur_sent = false;
	if (live && cqe->res > 0) {
		struct msock *ms = s->ms;
		struct media_bridge *b = ms->b;
		struct io_uring_recvmsg_out *o =
			io_uring_recvmsg_validate(buf_at(ur, bid), cqe->res, &ur->rmsg);
		struct maddr src;

		(*pkts)++;
		if (!o || (o->flags & MSG_TRUNC) || o->namelen > UR_NAMELEN) {
			stat_add(&b->stats[ms->side].dropped, 1);
		} else {
			memcpy(&src.u, io_uring_recvmsg_name(o), o->namelen);
			src.len = o->namelen;
			relay_packet(w, b, ms->side, ms->rtcp, io_uring_recvmsg_payload(o, &ur->rmsg),
				     io_uring_recvmsg_payload_length(o, cqe->res, &ur->rmsg), &src,
				     now_us);
		}
	}
	if (!ur->cur_sent)
		buf_recycle(ur, bid);
	ur->cur_bid = -1;
}

static void cmd_arm(struct mworker *w)
{
	struct io_uring_sqe *sqe = sqe_get(w->ur);

	if (!sqe)
		return; /* again next round */
	io_uring_prep_poll_multishot(sqe, w->cmd_fd, POLLIN);
	io_uring_sqe_set_data64(sqe, TAG_CMD);
	w->ur->cmd_armed = true;
}

/* ---- a batch of completions, in stages ----
 *
 * With thousands of calls, what a packet needs (its bridge, two SRTP sessions, their HMAC
 * states and cipher contexts) is not in the core's cache, and fetching it one packet after
 * another costs more than the cryptography. So completions are taken in batches and each
 * goes through three prefetch stages, UR_AHEAD completions apart, before it is handled:
 * the bridge's hot lines (found from the slot alone), then the sessions those lines point
 * to, then the state behind the sessions. Its misses overlap the work on the packets ahead.
 * Nothing is freed while a batch runs (commands run between rounds), and a stage only reads
 * what a live slot leads to. */

static struct media_bridge *cqe_bridge(const struct muring *ur, const struct io_uring_cqe *cqe,
				       int *x)
{
	uint32_t idx = (uint32_t)(cqe->user_data >> 2) & 0x3fffffffu;
	const struct uslot *s;

	if ((cqe->user_data & 3) != TAG_RECV || idx >= ur->nslots)
		return NULL;
	s = &ur->slots[idx];
	if (!s->ms || s->gen != (uint32_t)(cqe->user_data >> 32))
		return NULL;
	*x = s->side;
	return s->b;
}

static void pf_bridge(const struct muring *ur, const struct io_uring_cqe *cqe)
{
	int x;
	struct media_bridge *b = cqe_bridge(ur, cqe, &x);

	if (b) {
		bridge_prefetch(b, x);
	} else if ((cqe->user_data & 3) == TAG_SEND) {
		unsigned bid = (unsigned)(cqe->user_data >> 2);

		if (bid < ur->nbuf && ur->snd[bid].st)
			__builtin_prefetch(ur->snd[bid].st, 1);
	}
}

static void pf_sessions(const struct muring *ur, const struct io_uring_cqe *cqe, bool state)
{
	int x;
	struct media_bridge *b = cqe_bridge(ur, cqe, &x);
	const struct sr_session *rx, *tx;

	if (!b)
		return;
	rx = b->side[x].rx;
	tx = b->side[1 - x].tx;
	if (rx)
		(state ? sr_prefetch_state : sr_prefetch)(rx);
	if (tx)
		(state ? sr_prefetch_state : sr_prefetch)(tx);
}

static void handle(struct mworker *w, const struct io_uring_cqe *cqe, unsigned *pkts)
{
	struct muring *ur = w->ur;

	switch (cqe->user_data & 3) {
	case TAG_RECV:
		on_recv(w, cqe, ur->now_us, pkts);
		break;
	case TAG_SEND:
		on_send(ur, cqe);
		break;
	case TAG_CMD: {
		uint64_t v;

		(void)!read(w->cmd_fd, &v, sizeof(v)); /* commands run at the round's start */
		if (!(cqe->flags & IORING_CQE_F_MORE))
			ur->cmd_armed = false;
		break;
	}
	default:
		break;
	}
}

/* Everything completed so far. Returns the number of completions. */
static unsigned reap(struct mworker *w, unsigned *pkts)
{
	struct muring *ur = w->ur;
	struct io_uring_cqe *cqes[UR_BATCH];
	unsigned n, total = 0;

	ur->now_us = mono_us();
	while ((n = io_uring_peek_batch_cqe(&ur->ring, cqes, UR_BATCH)) > 0) {
		for (unsigned i = 0; i < n + 3 * UR_AHEAD; i++) {
			if (i < n)
				pf_bridge(ur, cqes[i]);
			if (i >= UR_AHEAD && i - UR_AHEAD < n)
				pf_sessions(ur, cqes[i - UR_AHEAD], false);
			if (i >= 2 * UR_AHEAD && i - 2 * UR_AHEAD < n)
				pf_sessions(ur, cqes[i - 2 * UR_AHEAD], true);
			if (i >= 3 * UR_AHEAD)
				handle(w, cqes[i - 3 * UR_AHEAD], pkts);
		}
		io_uring_cq_advance(&ur->ring, n);
		total += n;
		if (n < UR_BATCH)
			break;
	}
	buf_flush(ur);
	return total;
}

/* Re-arm what ended this round, now that its buffers are back. */
static void rearm(struct mworker *w)
{
	struct muring *ur = w->ur;
	uint32_t n = ur->nrearm;

	ur->nrearm = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t idx = ur->rearm[i];

		if (idx < ur->nslots && ur->slots[idx].ms && !ur->slots[idx].armed)
			arm(ur, idx);
	}
	if (!w->ur->cmd_armed)
		cmd_arm(w);
}

/* ---- the loop ---- */

static void sleep_ms(int64_t ms)
{
	struct timespec ts = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000};

	while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
		;
}

/* Rounds until worker_stop. Commands first in every round, as on the epoll path: keys,
 * addresses or a hold posted before a packet arrived apply to it, and a socket closed by a
 * command is never read after. At low load a round waits in io_uring_enter for the next
 * completion (a packet, a command) and relays at once; when a round took MEDIA_COALESCE
 * packets or more, the next starts with a 1 ms sleep instead (its sends are submitted before
 * the sleep). A send's completion is reaped in the round after it: so that the counters never
 * lag by more than a millisecond, a round with sends in flight waits 1 ms at most. */
void uring_run(struct mworker *w)
{
	struct muring *ur = w->ur;
	bool coalescing = false;

	while (!atomic_load_explicit(&w->stop, memory_order_acquire)) {
		struct tmr_list *tl = loop_timers(w->loop);
		unsigned pkts = 0, got;
		int64_t next;

		tmr_list_run(tl, tl->now_ms);
		if (atomic_load_explicit(&w->pending, memory_order_acquire))
			worker_run_cmds(w);
		rearm(w);
		next = tmr_list_next_ms(tl);
		if (coalescing) {
			sleep_ms(next >= 0 && next < 1 ? next : 1);
			(void)io_uring_submit_and_get_events(&ur->ring);
		} else {
			struct io_uring_cqe *cqe;
			struct __kernel_timespec ts;

			if (ur->sends && (next < 0 || next > 1))
				next = 1;
			ts.tv_sec = next / 1000;
			ts.tv_nsec = next % 1000 * 1000000;
			/* One completion more than the sends queued will bring. */
			(void)io_uring_submit_and_wait_timeout(&ur->ring, &cqe, ur->sends + 1,
							       next >= 0 ? &ts : NULL, NULL);
		}
		if (atomic_load_explicit(&w->pending, memory_order_acquire))
			worker_run_cmds(w);
		got = reap(w, &pkts);
		/* A big batch: more may be waiting in the kernel's queue. */
		while (got >= UR_DRAIN && !atomic_load_explicit(&w->pending, memory_order_acquire)) {
			(void)io_uring_submit_and_get_events(&ur->ring);
			got = reap(w, &pkts);
		}
		coalescing = coalesce_next(&ur->co, pkts, ur->now_us);
		if (coalescing)
			(void)io_uring_submit(&ur->ring);
	}
}

/* ---- set-up ---- */

void uring_close(struct mworker *w)
{
	struct muring *ur = w->ur;

	if (!ur)
		return;
	if (ur->ring.ring_fd >= 0) {
		struct io_uring_sync_cancel_reg reg = {
			.flags = IORING_ASYNC_CANCEL_ANY,
			.timeout = {.tv_sec = -1, .tv_nsec = -1},
		};

		/* Let go of every socket now, so that closing them frees their ports. */
		(void)io_uring_register_sync_cancel(&ur->ring, &reg);
		(void)io_uring_get_events(&ur->ring);
		io_uring_queue_exit(&ur->ring);
	}
	/* The bridges stay; their sockets are closed by whoever releases them, without us. */
	for (uint32_t i = 0; i < ur->nslots; i++)
		if (ur->slots[i].ms)
			ur->slots[i].ms->slot = UINT32_MAX;
	if (ur->br)
		munmap(ur->br, ur->br_size);
	free(ur->bufs);
	free(ur->slots);
	free(ur->rearm);
	free(ur);
	w->ur = NULL;
}

int uring_open(struct mworker *w)
{
	struct io_uring_params p = {
		.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
			 IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL,
		.cq_entries = UR_CQ,
	};
	struct io_uring_buf_reg reg;
	struct rlimit rl;
	struct muring *ur;
	int err;

	ur = calloc(1, sizeof(*ur));
	if (!ur)
		return ENOMEM;
	ur->ring.ring_fd = -1;
	ur->free_head = UINT32_MAX;
	ur->cur_bid = -1;
	ur->nbuf = UR_NBUF;
	/* Tests run out of buffers on purpose with a small ring. */
	if (w->uring_bufs >= UR_NBUF_MIN && w->uring_bufs < UR_NBUF &&
	    !(w->uring_bufs & (w->uring_bufs - 1)))
		ur->nbuf = w->uring_bufs;
	w->ur = ur;
	/* ENOSYS (old kernel), EPERM (io_uring_disabled, seccomp), EINVAL (no DEFER_TASKRUN:
	 * before 6.1, which also brought multishot recvmsg and sends with an address). */
	err = -io_uring_queue_init_params(UR_SQ, &ur->ring, &p);
	if (err) {
		ur->ring.ring_fd = -1;
		goto out;
	}
	ur->bufs = aligned_alloc(64, (size_t)ur->nbuf * UR_STRIDE);
	ur->br_size = ur->nbuf * sizeof(struct io_uring_buf);
	ur->br = mmap(NULL, ur->br_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		      0);
	if (ur->br == MAP_FAILED)
		ur->br = NULL;
	if (!ur->bufs || !ur->br) {
		err = ENOMEM;
		goto out;
	}
	io_uring_buf_ring_init(ur->br);
	memset(&reg, 0, sizeof(reg));
	reg.ring_addr = (uint64_t)(uintptr_t)ur->br;
	reg.ring_entries = ur->nbuf;
	reg.bgid = UR_BGID;
	err = -io_uring_register_buf_ring(&ur->ring, &reg, 0);
	if (err)
		goto out;
	for (unsigned i = 0; i < ur->nbuf; i++)
		buf_recycle(ur, i);
	buf_flush(ur);
	ur->rmsg.msg_namelen = UR_NAMELEN;
	/* A sparse file table as large as the descriptor limit allows (the kernel caps it
	 * there); without one every socket is named by descriptor. */
	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		ur->nfixed = rl.rlim_cur > UR_FIXED_MAX ? UR_FIXED_MAX : (uint32_t)rl.rlim_cur;
		if (io_uring_register_files_sparse(&ur->ring, ur->nfixed))
			ur->nfixed = 0;
	}
	cmd_arm(w);
out:
	if (err)
		uring_close(w);
	return err;
}

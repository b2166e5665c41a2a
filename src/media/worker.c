/* worker: one relay thread with its own event loop. It owns the bridges it was handed: their
 * sockets, their keys in its memory. The signalling thread talks to it through a command queue
 * (a mutex-protected FIFO of nodes and an eventfd that wakes the loop). Packets are relayed in
 * place, on one of two paths chosen when the thread starts: io_uring (uring.c) where the
 * kernel allows it, else this file's epoll path, where the sockets are in a private epoll set
 * (watched by the loop) and packets are read and written in batches (recvmmsg / sendmmsg).
 * SOTTO_MEDIA_IO=epoll forces the epoll path. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "media/media_int.h"

enum { READ_ROUNDS = 4, ROUND_PASSES = 16 };

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---- sending ---- */

void worker_out(struct mworker *w, const struct msock *ms, const struct maddr *dst, uint8_t *pkt,
		size_t len, struct mstats *st)
{
	size_t i = w->nout;
	struct msghdr *h;

	if (w->ur) {
		uring_out(w, ms, dst, pkt, len, st);
		return;
	}
	if (i >= MEDIA_BATCH) /* cannot happen: one out per packet in */
		return;
	memcpy(&w->oto[i], &dst->u, dst->len);
	w->oiov[i].iov_base = pkt;
	w->oiov[i].iov_len = len;
	h = &w->omsg[i].msg_hdr;
	memset(h, 0, sizeof(*h));
	h->msg_name = &w->oto[i];
	h->msg_namelen = dst->len;
	h->msg_iov = &w->oiov[i];
	h->msg_iovlen = 1;
	w->ofd[i] = msock_fd(ms);
	w->ost[i] = st;
	w->nout++;
}

/* sendmmsg each run of packets leaving through the same socket. */
static void flush(struct mworker *w)
{
	size_t i = 0;

	while (i < w->nout) {
		size_t end = i + 1;

		while (end < w->nout && w->ofd[end] == w->ofd[i])
			end++;
		while (i < end) {
			int r = sendmmsg(w->ofd[i], &w->omsg[i], (unsigned)(end - i),
					 MSG_DONTWAIT | MSG_NOSIGNAL);
			if (r < 0) {
				if (errno == EINTR)
					continue;
				if (errno == EAGAIN || errno == EWOULDBLOCK) {
					for (; i < end; i++) /* send buffer full: drop the run */
						stat_add(&w->ost[i]->dropped, 1);
					break;
				}
				stat_add(&w->ost[i]->dropped, 1);
				i++;
				continue;
			}
			for (int k = 0; k < r; k++, i++) {
				stat_add(&w->ost[i]->packets_out, 1);
				stat_add(&w->ost[i]->bytes_out, w->oiov[i].iov_len);
			}
		}
	}
	w->nout = 0;
}

/* ---- receiving ---- */

/* Read one socket: a batch or a few, relayed in place, then the sends. */
static void sock_read(struct mworker *w, const struct msock *ms)
{
	struct media_bridge *b = ms->b;
	int fd = msock_fd(ms);

	for (int round = 0; round < READ_ROUNDS; round++) {
		uint64_t now_us;
		int n = recvmmsg(fd, w->rmsg, MEDIA_BATCH, MSG_DONTWAIT, NULL);

		if (n <= 0) {
			if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_debug("media: recv: %s", strerror(errno));
			return;
		}
		now_us = mono_us();
		for (int i = 0; i < n; i++) {
			struct msghdr *h = &w->rmsg[i].msg_hdr;
			struct maddr src;

			if ((h->msg_flags & MSG_TRUNC) || h->msg_namelen > sizeof(src.u)) {
				stat_add(&b->stats[ms->side].dropped, 1);
			} else {
				memcpy(&src.u, &w->rfrom[i], h->msg_namelen);
				src.len = h->msg_namelen;
				relay_packet(w, b, ms->side, ms->rtcp, w->buf[i],
					     w->rmsg[i].msg_len, &src, now_us);
			}
			h->msg_namelen = sizeof(w->rfrom[i]);
		}
		flush(w);
		if (n < MEDIA_BATCH)
			return;
	}
}

static void poll_tick(void *arg);

/* One round over the ready sockets. Commands go first, whatever order things arrived in:
 * keys, addresses or a hold set before a packet was read apply to it, and no socket closed by
 * a command is read after. At low load every packet is relayed as soon as the loop wakes up.
 * Under load, waking up per packet costs more than the packet itself (a wake-up and an
 * epoll_wait for one or two sockets), so once packets come more often than once a
 * millisecond (coalesce_next) the worker stops watching and comes back on a 1 ms timer to
 * take them all at once: at most ~2 ms of added delay, well inside any jitter buffer. */
static void round_run(struct mworker *w)
{
	int n, total = 0;

	if (atomic_load_explicit(&w->pending, memory_order_acquire))
		worker_run_cmds(w);
	/* Everything ready now (bounded, so the loop still gets to its timers and commands). */
	for (int pass = 0; pass < ROUND_PASSES; pass++) {
		n = epoll_wait(w->ep, w->evs, MEDIA_EVENTS, 0);
		for (int i = 0; i < n; i++)
			sock_read(w, w->evs[i].data.ptr);
		if (n > 0)
			total += n;
		if (n < MEDIA_EVENTS)
			break;
	}
	/* (Without the timer, never stop watching: the worker would go deaf.) */
	if (coalesce_next(&w->co, (unsigned)total, mono_us()) &&
	    !tmr_start(loop_timers(w->loop), &w->poll_tmr, 1, poll_tick, w)) {
		if (!w->coalescing) {
			w->coalescing = true;
			(void)loop_fd_modify(w->loop, w->ep, 0);
		}
	} else if (w->coalescing) {
		w->coalescing = false;
		(void)loop_fd_modify(w->loop, w->ep, LOOP_READ);
	}
}

static void poll_tick(void *arg)
{
	round_run(arg);
}

static void ep_readable(int fd, unsigned events, void *arg)
{
	(void)fd;
	(void)events;
	round_run(arg);
}

/* ---- bridges on this worker ---- */

/* Wipes the keys (sr_session_free does) and forgets the pointer. */
static void sess_drop(struct sr_session **sp)
{
	if (*sp)
		sr_session_free(*sp);
	*sp = NULL;
}

static int track(struct mworker *w, struct media_bridge *b)
{
	if (w->nbridges == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;
		struct media_bridge **p = realloc(w->bridges, cap * sizeof(*p));

		if (!p)
			return ENOMEM;
		w->bridges = p;
		w->cap = cap;
	}
	b->widx = w->nbridges;
	w->bridges[w->nbridges++] = b;
	return 0;
}

static void untrack(struct mworker *w, struct media_bridge *b)
{
	size_t i = b->widx;

	if (i >= w->nbridges || w->bridges[i] != b)
		return;
	w->bridges[i] = w->bridges[--w->nbridges];
	w->bridges[i]->widx = i;
	b->widx = SIZE_MAX;
}

static int watch(struct mworker *w, int fd, struct msock *ms)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = ms};

	return epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev) < 0 ? errno : 0;
}

static void add(struct mworker *w, struct media_bridge *b)
{
	int err = 0;

	b->widx = SIZE_MAX;
	b->last_ms = clock_mono_ms();
	if (w->ur)
		err = uring_watch(w, b);
	for (int s = 0; s < 2 && !err && !w->ur; s++) {
		struct mside *side = &b->side[s];

		err = watch(w, side->fd_rtp, &side->h_rtp);
		if (!err)
			err = watch(w, side->fd_rtcp, &side->h_rtcp);
	}
	if (!err)
		err = track(w, b);
	if (err)
		log_err("media: worker %u: cannot take a bridge: %s", w->idx, strerror(err));
}

void bridge_release(struct mworker *w, struct media_bridge *b)
{
	if (b->released)
		return;
	b->released = true;
	untrack(w, b);
	if (w->ur)
		uring_unwatch(w, b);
	for (int s = 0; s < 2; s++) {
		struct mside *side = &b->side[s];

		/* Out of the set: no event names them any more. They stay open: the signalling
		 * thread hands them back to the port pool (ports.c) after REMOVED. */
		if (side->fd_rtp >= 0 && !w->ur)
			(void)epoll_ctl(w->ep, EPOLL_CTL_DEL, side->fd_rtp, NULL);
		if (side->fd_rtcp >= 0 && !w->ur)
			(void)epoll_ctl(w->ep, EPOLL_CTL_DEL, side->fd_rtcp, NULL);
		sess_drop(&side->rx);
		sess_drop(&side->tx);
	}
}

static void set_remote(struct media_bridge *b, int s, const struct mcmd *c)
{
	struct mside *side = &b->side[s];
	struct maddr rtp, rtcp;
	bool moved, rtcp_moved;

	maddr_from_sa(&rtp, &c->u.remote.rtp);
	maddr_from_sa(&rtcp, &c->u.remote.rtcp);
	moved = !maddr_eq(&side->sdp_rtp, &rtp);
	rtcp_moved = !maddr_eq(&side->sdp_rtcp, &rtcp);
	side->configured = true;
	side->sdp_rtp = rtp;
	side->sdp_rtcp = rtcp;
	side->mux = c->u.remote.mux;
	/* A re-INVITE repeating the same address keeps the latch (the phone may be behind NAT);
	 * a new address is believed until the phone's own packets say otherwise. */
	if (moved || !side->latched) {
		side->rtp = side->sdp_rtp;
		side->latched = false;
		side->cand_n = 0;
		atomic_store_explicit(&b->stats[s].latched, false, memory_order_relaxed);
	}
	if (rtcp_moved || !side->rtcp_latched) {
		side->rtcp = side->sdp_rtcp;
		side->rtcp_latched = false;
	}
}

void worker_cmd_run(struct mworker *w, struct mcmd *c)
{
	struct media_bridge *b = c->b;
	struct mside *side = &b->side[c->side];

	switch (c->kind) {
	case MCMD_ADD:
		add(w, b);
		break;
	case MCMD_REMOVE:
		bridge_release(w, b);
		/* The last touch: from here on the signalling thread may free b (and c in it). */
		media_event_post(w->m, &b->ev_removed);
		return;
	case MCMD_REMOTE:
		set_remote(b, c->side, c);
		/* new session state (answer, re-INVITE): the silence timeout starts again */
		b->last_ms = clock_mono_ms();
		b->timed_out = false;
		break;
	case MCMD_CRYPTO:
		/* The outgoing stream (SSRC, sequence) is ours and carries on under the new key;
		 * the old sessions are wiped by sr_session_free. */
		if (!(c->u.crypto.keep & MEDIA_KEEP_RX)) {
			sess_drop(&side->rx);
			side->rx = c->u.crypto.rx;
			c->u.crypto.rx = NULL;
		}
		if (!(c->u.crypto.keep & MEDIA_KEEP_TX)) {
			sess_drop(&side->tx);
			side->tx = c->u.crypto.tx;
			c->u.crypto.tx = NULL;
		}
		break;
	case MCMD_SENDING:
		if (c->u.flag && !side->sending) {
			/* Resuming: continue at +1, the timestamp at the wall clock. */
			b->side[b->echo ? c->side : 1 - c->side].in.resync = true;
		}
		side->sending = c->u.flag;
		break;
	case MCMD_ECHO:
		if (b->echo != c->u.flag) {
			b->side[0].in.resync = true;
			b->side[1].in.resync = true;
		}
		b->echo = c->u.flag;
		break;
	case MCMD_RATE:
		side->rate = c->u.rate;
		break;
	case MCMD_SIGNAL:
		maddr_from_sa(&side->sig, &c->u.sig);
		break;
	}
	if (!c->embedded) {
		if (c->kind == MCMD_CRYPTO) {
			sess_drop(&c->u.crypto.rx);
			sess_drop(&c->u.crypto.tx);
		}
		free(c);
	}
}

void worker_run_cmds(struct mworker *w)
{
	struct mcmd *c;

	pthread_mutex_lock(&w->lock);
	c = w->cmd_head;
	w->cmd_head = w->cmd_tail = NULL;
	atomic_store_explicit(&w->pending, false, memory_order_relaxed);
	pthread_mutex_unlock(&w->lock);
	while (c) {
		struct mcmd *next = c->next;

		worker_cmd_run(w, c);
		c = next;
	}
}

static void cmd_readable(int fd, unsigned events, void *arg)
{
	struct mworker *w = arg;
	uint64_t v;
	(void)events;

	(void)!read(fd, &v, sizeof(v));
	worker_run_cmds(w);
}

bool worker_enqueue(struct mworker *w, struct mcmd *c)
{
	bool was_empty;

	c->next = NULL;
	pthread_mutex_lock(&w->lock);
	was_empty = !w->cmd_head;
	if (w->cmd_tail)
		w->cmd_tail->next = c;
	else
		w->cmd_head = c;
	w->cmd_tail = c;
	atomic_store_explicit(&w->pending, true, memory_order_release);
	pthread_mutex_unlock(&w->lock);
	return was_empty;
}

void worker_wake(struct mworker *w)
{
	uint64_t one = 1;

	w->wakes++;
	(void)!write(w->cmd_fd, &one, sizeof(one));
}

/* ---- timeout ---- */

static void tick(void *arg)
{
	struct mworker *w = arg;
	uint32_t timeout = media_timeout_ms(w->m);
	uint64_t now = clock_mono_ms();

	for (size_t i = 0; i < w->nbridges; i++) {
		struct media_bridge *b = w->bridges[i];

		/* Once per silence: a packet re-arms it. */
		if (!b->timed_out && now - b->last_ms >= timeout) {
			b->timed_out = true;
			media_event_post(w->m, &b->ev_timeout);
		}
	}
	tmr_start(loop_timers(w->loop), &w->tick, w->tick_ms, tick, w);
}

/* ---- thread ---- */

static void *worker_main(void *arg)
{
	struct mworker *w = arg;
	char name[16];
	int err;

	snprintf(name, sizeof(name), "sotto-media%u", w->idx % 1000);
	pthread_setname_np(pthread_self(), name);
	if (w->tick_ms)
		tmr_start(loop_timers(w->loop), &w->tick, w->tick_ms, tick, w);
	err = w->try_uring ? uring_open(w) : EPERM;
	if (!err) {
		log_info("media: worker %u: io_uring", w->idx);
		uring_run(w);
		uring_close(w);
	} else {
		log_info("media: worker %u: epoll%s%s", w->idx, w->try_uring ? ", io_uring: " : "",
			 w->try_uring ? strerror(err) : "");
		if (loop_run(w->loop))
			log_err("media: worker %u: loop failed", w->idx);
	}
	tmr_cancel(&w->tick);
	tmr_cancel(&w->poll_tmr);
	return NULL;
}

int worker_alloc(struct mworker **wp, struct media *m, unsigned idx, uint32_t timeout_ms)
{
	struct mworker *w;
	int err;

	w = calloc(1, sizeof(*w));
	if (!w)
		return ENOMEM;
	w->m = m;
	w->idx = idx;
	w->cmd_fd = -1;
	w->ep = -1;
	w->try_uring = !(getenv("SOTTO_MEDIA_IO") && !strcmp(getenv("SOTTO_MEDIA_IO"), "epoll"));
	if (getenv("SOTTO_MEDIA_URING_BUFFERS"))
		w->uring_bufs = (unsigned)atoi(getenv("SOTTO_MEDIA_URING_BUFFERS"));
	tmr_init(&w->tick);
	tmr_init(&w->poll_tmr);
	/* Check often enough that a timeout fires within about a quarter of itself. */
	if (timeout_ms) {
		w->tick_ms = timeout_ms / 4;
		w->tick_ms = w->tick_ms < 10 ? 10 : w->tick_ms > 1000 ? 1000 : w->tick_ms;
	}
	err = pthread_mutex_init(&w->lock, NULL);
	if (err) {
		free(w);
		return err;
	}
	for (int i = 0; i < MEDIA_BATCH; i++) {
		struct msghdr *h = &w->rmsg[i].msg_hdr;

		w->riov[i].iov_base = w->buf[i];
		w->riov[i].iov_len = MEDIA_RX_MAX;
		h->msg_name = &w->rfrom[i];
		h->msg_namelen = sizeof(w->rfrom[i]);
		h->msg_iov = &w->riov[i];
		h->msg_iovlen = 1;
	}
	err = loop_alloc(&w->loop);
	if (err)
		goto out;
	w->cmd_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->cmd_fd < 0) {
		err = errno;
		goto out;
	}
	err = loop_fd_listen(w->loop, w->cmd_fd, LOOP_READ, cmd_readable, w);
	if (err)
		goto out;
	w->ep = epoll_create1(EPOLL_CLOEXEC);
	if (w->ep < 0) {
		err = errno;
		goto out;
	}
	err = loop_fd_listen(w->loop, w->ep, LOOP_READ, ep_readable, w);
out:
	if (err)
		worker_free(w);
	else
		*wp = w;
	return err;
}

int worker_start(struct mworker *w)
{
	sigset_t all, old;
	int err;

	/* Signals belong to the signalling thread (signalfd); workers never take them. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&w->thread, NULL, worker_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!err)
		w->started = true;
	return err;
}

void worker_stop(struct mworker *w)
{
	if (w->started) {
		uint64_t one = 1;

		/* Either path: the loop's stop, or the flag the io_uring loop checks, which
		 * the command eventfd wakes. */
		atomic_store_explicit(&w->stop, true, memory_order_release);
		loop_stop(w->loop);
		(void)!write(w->cmd_fd, &one, sizeof(one));
		pthread_join(w->thread, NULL);
		w->started = false;
	}
	/* The thread is gone: what it left in the queue runs here (frees keys, posts REMOVED). */
	cmd_readable(w->cmd_fd, 0, w);
}

void worker_free(struct mworker *w)
{
	if (!w)
		return;
	if (w->loop) {
		if (w->cmd_fd >= 0)
			loop_fd_remove(w->loop, w->cmd_fd);
		if (w->ep >= 0)
			loop_fd_remove(w->loop, w->ep);
		loop_free(w->loop);
	}
	if (w->cmd_fd >= 0)
		close(w->cmd_fd);
	if (w->ep >= 0)
		close(w->ep);
	free(w->bridges);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

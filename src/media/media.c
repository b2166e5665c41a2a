/* media: the relay's signalling-thread side. It starts the workers, binds the ports, hands
 * each bridge to the least-loaded worker, turns the public calls into commands, and delivers
 * the workers' events (first packet, timeout) on the signalling loop. See media_int.h for who
 * owns what. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/log.h"
#include "core/rand.h"
#include "media/media_int.h"

struct media {
	struct media_conf conf;
	struct loop *sig;
	media_event_h *h;
	void *arg;
	struct mports ports;
	struct mworker **workers;
	unsigned nworkers;
	unsigned rr; /* round-robin among equally loaded workers */
	struct media_bridge *bridges;
	/* Wake-ups: one per worker per loop pass at most (wake_defer); a hang-up's REMOVE and its
	 * REMOVED come along with the next wake-up either way, or on lazy_tmr at the latest. */
	struct loop_defer wake_defer;
	struct tmr lazy_tmr;
	unsigned removing; /* REMOVE posted, REMOVED not handled yet */
	/* events from the workers */
	int ev_fd;
	pthread_mutex_t ev_lock;
	bool ev_lock_ok;
	bool ev_woken; /* under ev_lock: ev_fd written since the queue was last emptied */
	struct mev *ev_head, *ev_tail;
	struct media_side_stats ended; /* both sides of every bridge destroyed so far */
};

uint32_t media_timeout_ms(const struct media *m)
{
	return m->conf.timeout_ms;
}

unsigned long media_wakes(const struct media *m)
{
	unsigned long n = 0;

	for (unsigned i = 0; i < m->nworkers; i++)
		n += m->workers[i]->wakes;
	return n;
}

size_t media_nbridges(const struct media *m)
{
	size_t n = 0;

	for (const struct media_bridge *b = m->bridges; b; b = b->next)
		n++;
	return n;
}

/* ---- events (worker -> signalling) ---- */

/* REMOVED wakes nobody: the signalling thread only frees memory and returns quarantined ports
 * then, which can wait for its next pass with a wake-up of its own (or lazy_tmr). */
void media_event_post(struct media *m, struct mev *ev)
{
	uint64_t one = 1;
	bool wake = false;

	pthread_mutex_lock(&m->ev_lock);
	if (!ev->queued) {
		ev->queued = true;
		ev->next = NULL;
		if (ev->kind != MEV_REMOVED && !m->ev_woken)
			wake = m->ev_woken = true;
		if (m->ev_tail)
			m->ev_tail->next = ev;
		else
			m->ev_head = ev;
		m->ev_tail = ev;
	}
	pthread_mutex_unlock(&m->ev_lock);
	if (wake)
		(void)!write(m->ev_fd, &one, sizeof(one));
}

static void stats_add(struct media_side_stats *to, const struct media_side_stats *st)
{
	to->packets_in += st->packets_in;
	to->packets_out += st->packets_out;
	to->bytes_in += st->bytes_in;
	to->bytes_out += st->bytes_out;
	to->auth_failures += st->auth_failures;
	to->replays += st->replays;
	to->dropped += st->dropped;
	to->lost += st->lost;
}

void media_totals(const struct media *m, struct media_side_stats *out)
{
	struct media_side_stats st;
	memset(out, 0, sizeof(*out));
	if (!m)
		return;
	*out = m->ended;
	for (const struct media_bridge *b = m->bridges; b; b = b->next) {
		for (int s = 0; s < 2; s++) {
			media_bridge_stats(b, s, &st);
			stats_add(out, &st);
		}
	}
	out->jitter_ms = 0;
	out->latched = false;
}

static void bridge_destroy(struct media *m, struct media_bridge *b)
{
	/* the worker is done with it (REMOVED): its counts are final */
	for (int s = 0; s < 2; s++) {
		struct media_side_stats st;
		media_bridge_stats(b, s, &st);
		stats_add(&m->ended, &st);
	}
	if (b->prev)
		b->prev->next = b->next;
	else
		m->bridges = b->next;
	if (b->next)
		b->next->prev = b->prev;
	/* The sockets go back to the pool (the worker let go of them when it released b). */
	for (int s = 0; s < 2; s++)
		if (b->port[s])
			ports_release(&m->ports, b->port[s], b->side[s].fd_rtp, b->side[s].fd_rtcp,
				      clock_mono_ms());
	if (b->w && b->w->load)
		b->w->load--;
	free(b);
}

/* One at a time under the lock: a handler may free bridges or post commands, and a worker
 * may queue a node again as soon as it is popped. */
static void ev_drain(struct media *m)
{
	for (;;) {
		struct mev *ev;
		struct media_bridge *b = NULL;
		uint8_t kind = 0, side = 0;

		pthread_mutex_lock(&m->ev_lock);
		ev = m->ev_head;
		if (ev) {
			m->ev_head = ev->next;
			if (!m->ev_head)
				m->ev_tail = NULL;
			ev->queued = false;
			b = ev->b;
			kind = ev->kind;
			side = ev->side;
		} else {
			m->ev_woken = false; /* the next event wakes us again */
		}
		pthread_mutex_unlock(&m->ev_lock);
		if (!ev)
			return;
		if (kind == MEV_REMOVED) {
			m->removing--;
			bridge_destroy(m, b);
		} else if (!b->dead && m->h) {
			struct media_event e = {.owner = b->owner, .side = side};

			e.kind = kind == MEV_FIRST ? MEDIA_EV_FIRST_PACKET : MEDIA_EV_TIMEOUT;
			m->h(&e, m->arg);
		}
	}
}

static void ev_readable(int fd, unsigned events, void *arg)
{
	uint64_t v;
	(void)events;

	(void)!read(fd, &v, sizeof(v));
	ev_drain(arg);
}

/* ---- commands (signalling -> workers) ---- */

static void wake_flush(void *arg)
{
	struct media *m = arg;

	for (unsigned i = 0; i < m->nworkers; i++) {
		if (m->workers[i] && m->workers[i]->wake_owed) {
			m->workers[i]->wake_owed = false;
			worker_wake(m->workers[i]);
		}
	}
}

static void lazy_tick(void *arg)
{
	struct media *m = arg;

	wake_flush(m);
	ev_drain(m);
	if (m->removing)
		tmr_start(loop_timers(m->sig), &m->lazy_tmr, MEDIA_LAZY_MS, lazy_tick, m);
}

/* Inside the signalling loop, the worker is woken once at the end of the pass for all the
 * commands the pass posted, and a lazy command only with the next wake-up or after
 * MEDIA_LAZY_MS. Lazy: a REMOVE (nothing waits for it), and whatever is posted for a bridge
 * that cannot relay yet (a side takes nothing until it has a remote, so a call's bridge is
 * handed over with the answer's REMOTE, in one wake-up with everything the INVITE set up).
 * Outside the loop (start-up, tests), at once. */
static void post(struct media_bridge *b, struct mcmd *c, bool lazy)
{
	struct media *m = b->m;
	struct mworker *w = b->w;

	if (!b->echo_set && !(b->remote_set[0] && b->remote_set[1]))
		lazy = true;
	if (worker_enqueue(w, c))
		w->wake_owed = true;
	if (!w->wake_owed)
		return;
	if (!loop_running(m->sig)) {
		w->wake_owed = false;
		worker_wake(w);
	} else if (!lazy) {
		(void)loop_defer(m->sig, &m->wake_defer, wake_flush, m);
	} else if (!tmr_running(&m->lazy_tmr)) {
		tmr_start(loop_timers(m->sig), &m->lazy_tmr, MEDIA_LAZY_MS, lazy_tick, m);
	}
}

/* ---- media ---- */

int media_alloc(struct media **mp, const struct media_conf *conf, struct loop *sig_loop,
		media_event_h *h, void *arg)
{
	struct media *m;
	struct sa addr;
	long ncpu;
	int err;

	if (!mp || !conf || !sig_loop)
		return EINVAL;
	if (sa_set(&addr, pl_from(conf->address, strnlen(conf->address, sizeof(conf->address))),
		   0))
		return EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return ENOMEM;
	m->conf = *conf;
	m->sig = sig_loop;
	m->h = h;
	m->arg = arg;
	m->ev_fd = -1;
	tmr_init(&m->lazy_tmr);
	err = ports_init(&m->ports, &addr, conf->port_min, conf->port_max, conf->port_quarantine_ms,
			 0);
	if (err)
		goto out;
	err = pthread_mutex_init(&m->ev_lock, NULL);
	if (err)
		goto out;
	m->ev_lock_ok = true;
	m->ev_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (m->ev_fd < 0) {
		err = errno;
		goto out;
	}
	err = loop_fd_listen(sig_loop, m->ev_fd, LOOP_READ, ev_readable, m);
	if (err) {
		close(m->ev_fd);
		m->ev_fd = -1;
		goto out;
	}

	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	m->nworkers = conf->workers ? conf->workers : ncpu > 0 ? (unsigned)ncpu : 1;
	m->workers = calloc(m->nworkers, sizeof(*m->workers));
	if (!m->workers) {
		err = ENOMEM;
		goto out;
	}
	for (unsigned i = 0; i < m->nworkers && !err; i++) {
		err = worker_alloc(&m->workers[i], m, i, conf->timeout_ms);
		if (!err)
			err = worker_start(m->workers[i]);
	}
out:
	if (err)
		media_free(m);
	else
		*mp = m;
	return err;
}

void media_free(struct media *m)
{
	if (!m)
		return;
	tmr_cancel(&m->lazy_tmr);
	loop_defer_cancel(m->sig, &m->wake_defer);
	/* Workers first: after the joins this thread owns every bridge. */
	for (unsigned i = 0; m->workers && i < m->nworkers; i++)
		if (m->workers[i])
			worker_stop(m->workers[i]);
	while (m->bridges) {
		struct media_bridge *b = m->bridges;

		bridge_release(b->w, b);
		bridge_destroy(m, b);
	}
	for (unsigned i = 0; m->workers && i < m->nworkers; i++)
		worker_free(m->workers[i]);
	free(m->workers);
	/* Queued events pointed into the bridges just freed. */
	m->ev_head = m->ev_tail = NULL;
	if (m->ev_fd >= 0) {
		loop_fd_remove(m->sig, m->ev_fd);
		close(m->ev_fd);
	}
	if (m->ev_lock_ok)
		pthread_mutex_destroy(&m->ev_lock);
	ports_close(&m->ports);
	free(m);
}

/* ---- bridges ---- */

static struct mworker *pick_worker(struct media *m)
{
	struct mworker *best = NULL;

	for (unsigned k = 0; k < m->nworkers; k++) {
		struct mworker *w = m->workers[(m->rr + k) % m->nworkers];

		if (!best || w->load < best->load)
			best = w;
	}
	m->rr = (m->rr + 1) % m->nworkers;
	return best;
}

static int side_init(struct media *m, struct media_bridge *b, int s)
{
	struct mside *side = &b->side[s];
	struct {
		uint32_t ssrc, ts;
		uint16_t seq;
	} r;
	int err;

	err = ports_alloc(&m->ports, clock_mono_ms(), &side->fd_rtp, &side->fd_rtcp, &b->port[s]);
	if (err)
		return err;
	b->local_rtp[s] = m->ports.addr;
	sa_set_port(&b->local_rtp[s], b->port[s]);
	b->local_rtcp[s] = m->ports.addr;
	sa_set_port(&b->local_rtcp[s], (uint16_t)(b->port[s] + 1));
	side->h_rtp = (struct msock){.b = b, .side = (uint8_t)s, .rtcp = false};
	side->h_rtcp = (struct msock){.b = b, .side = (uint8_t)s, .rtcp = true};
	side->sending = true;
	side->rate = MEDIA_DEFAULT_RATE;
	/* Our outgoing stream toward this side: random SSRC, sequence and timestamp bases (RFC
	 * 3550 5.1). The sequence starts below 2^15 so that it cannot wrap within the first
	 * packets: an SRTP receiver that missed the packets before a wrap would guess the
	 * rollover counter wrong (RFC 3711 3.3.1) and reject everything. */
	if (rand_bytes(&r, sizeof(r)))
		return EIO;
	side->out.ssrc = r.ssrc;
	side->out.seq = (uint16_t)((r.seq & 0x7fff) - 1);
	side->out.ts = r.ts;
	b->ev_first[s] = (struct mev){.b = b, .kind = MEV_FIRST, .side = (uint8_t)s};
	return 0;
}

int media_bridge_alloc(struct media *m, struct media_bridge **bp, void *owner)
{
	struct media_bridge *b;
	int err = 0;

	if (!m || !bp)
		return EINVAL;
	/* Cache-line aligned, as its relay part is laid out (sizeof is a multiple of it). */
	b = aligned_alloc(_Alignof(struct media_bridge), sizeof(*b));
	if (!b)
		return ENOMEM;
	memset(b, 0, sizeof(*b));
	b->m = m;
	b->owner = owner;
	for (int s = 0; s < 2; s++)
		b->side[s].fd_rtp = b->side[s].fd_rtcp = -1;
	for (int s = 0; s < 2 && !err; s++)
		err = side_init(m, b, s);
	if (err) {
		for (int s = 0; s < 2; s++)
			if (b->port[s])
				ports_release(&m->ports, b->port[s], b->side[s].fd_rtp,
					      b->side[s].fd_rtcp, clock_mono_ms());
		free(b);
		return err;
	}
	b->ev_timeout = (struct mev){.b = b, .kind = MEV_TIMEOUT};
	b->ev_removed = (struct mev){.b = b, .kind = MEV_REMOVED};
	b->cmd_add = (struct mcmd){.kind = MCMD_ADD, .embedded = true, .b = b};
	b->cmd_remove = (struct mcmd){.kind = MCMD_REMOVE, .embedded = true, .b = b};
	b->w = pick_worker(m);
	b->w->load++;
	b->next = m->bridges;
	if (m->bridges)
		m->bridges->prev = b;
	m->bridges = b;
	post(b, &b->cmd_add, false);
	*bp = b;
	return 0;
}

void media_bridge_free(struct media_bridge *b)
{
	if (!b || b->dead)
		return;
	b->dead = true;
	b->m->removing++;
	post(b, &b->cmd_remove, true);
	/* its REMOVED is collected by lazy_tmr if nothing else wakes this thread first */
	if (!tmr_running(&b->m->lazy_tmr))
		tmr_start(loop_timers(b->m->sig), &b->m->lazy_tmr, MEDIA_LAZY_MS, lazy_tick, b->m);
}

void media_bridge_local(const struct media_bridge *b, int side, struct sa *rtp, struct sa *rtcp)
{
	if (!b || side < 0 || side > 1)
		return;
	if (rtp)
		*rtp = b->local_rtp[side];
	if (rtcp)
		*rtcp = b->local_rtcp[side];
}

static struct mcmd *cmd_new(struct media_bridge *b, int side, enum mcmd_kind kind)
{
	struct mcmd *c;

	if (!b || b->dead || side < 0 || side > 1)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->kind = kind;
	c->b = b;
	c->side = side;
	return c;
}

static bool side_ok(const struct media_bridge *b, int side)
{
	return b && !b->dead && (side == 0 || side == 1);
}

int media_bridge_set_remote(struct media_bridge *b, int side, const struct sa *rtp,
			    const struct sa *rtcp, bool rtcp_mux)
{
	struct mcmd *c;

	if (!side_ok(b, side) || !rtp || !rtp->len || sa_family(rtp) != sa_family(&b->local_rtp[0]))
		return EINVAL;
	if (rtcp && rtcp->len && sa_family(rtcp) != sa_family(rtp))
		return EINVAL;
	c = cmd_new(b, side, MCMD_REMOTE);
	if (!c)
		return ENOMEM;
	c->u.remote.rtp = *rtp;
	c->u.remote.mux = rtcp_mux;
	if (rtcp_mux) {
		c->u.remote.rtcp = *rtp;
	} else if (rtcp && rtcp->len) {
		c->u.remote.rtcp = *rtcp;
	} else {
		/* RFC 3550 11: RTCP on the next port up when SDP does not say (RFC 3605). */
		c->u.remote.rtcp = *rtp;
		sa_set_port(&c->u.remote.rtcp, (uint16_t)(sa_port(rtp) + 1));
	}
	b->remote_set[side] = true;
	post(b, c, false);
	return 0;
}

int media_bridge_set_signal(struct media_bridge *b, int side, const struct sa *sig)
{
	struct mcmd *c;
	struct maddr a;

	if (!side_ok(b, side) || !sig)
		return EINVAL;
	maddr_from_sa(&a, sig);
	if (maddr_eq(&a, &b->sig_sent[side]))
		return 0; /* every offer and answer repeats it */
	c = cmd_new(b, side, MCMD_SIGNAL);
	if (!c)
		return ENOMEM;
	b->sig_sent[side] = a;
	c->u.sig = *sig;
	post(b, c, false);
	return 0;
}

/* The sessions are built here, so a bad key is an error now rather than a log line later,
 * then handed over: from then on only the worker touches them. */
int media_bridge_set_crypto(struct media_bridge *b, int side, const struct sr_key *rx,
			    const struct sr_key *tx)
{
	return media_bridge_update_crypto(b, side, rx, tx, 0);
}

int media_bridge_update_crypto(struct media_bridge *b, int side, const struct sr_key *rx,
			       const struct sr_key *tx, unsigned keep)
{
	struct sr_session *srx = NULL, *stx = NULL;
	struct mcmd *c;
	int err;

	if (!side_ok(b, side))
		return EINVAL;
	if (keep & MEDIA_KEEP_RX)
		rx = NULL;
	if (keep & MEDIA_KEEP_TX)
		tx = NULL;
	if (rx && (err = sr_session_alloc(&srx, rx)))
		return err;
	if (tx && (err = sr_session_alloc(&stx, tx))) {
		if (srx)
			sr_session_free(srx);
		return err;
	}
	c = cmd_new(b, side, MCMD_CRYPTO);
	if (!c) {
		if (srx)
			sr_session_free(srx);
		if (stx)
			sr_session_free(stx);
		return ENOMEM;
	}
	c->u.crypto.rx = srx;
	c->u.crypto.tx = stx;
	c->u.crypto.keep = keep;
	post(b, c, false);
	return 0;
}

static int post_flag(struct media_bridge *b, int side, enum mcmd_kind kind, bool flag)
{
	struct mcmd *c;

	if (!side_ok(b, side))
		return EINVAL;
	c = cmd_new(b, side, kind);
	if (!c)
		return ENOMEM;
	c->u.flag = flag;
	post(b, c, false);
	return 0;
}

int media_bridge_set_sending(struct media_bridge *b, int side, bool send)
{
	return post_flag(b, side, MCMD_SENDING, send);
}

int media_bridge_set_echo(struct media_bridge *b, bool echo)
{
	if (side_ok(b, 0))
		b->echo_set = echo;
	return post_flag(b, 0, MCMD_ECHO, echo);
}

int media_bridge_set_clock_rate(struct media_bridge *b, int side, uint32_t hz)
{
	struct mcmd *c;

	if (!side_ok(b, side) || hz == 0 || hz > 1000000)
		return EINVAL;
	c = cmd_new(b, side, MCMD_RATE);
	if (!c)
		return ENOMEM;
	c->u.rate = hz;
	post(b, c, false);
	return 0;
}

void media_bridge_stats(const struct media_bridge *b, int side, struct media_side_stats *out)
{
	const struct mstats *st;

	if (!out)
		return;
	memset(out, 0, sizeof(*out));
	if (!b || side < 0 || side > 1)
		return;
	st = &b->stats[side];
#define LD(f) atomic_load_explicit(&st->f, memory_order_relaxed)
	out->packets_in = LD(packets_in);
	out->packets_out = LD(packets_out);
	out->bytes_in = LD(bytes_in);
	out->bytes_out = LD(bytes_out);
	out->auth_failures = LD(auth_failures);
	out->replays = LD(replays);
	out->dropped = LD(dropped);
	out->lost = LD(lost);
	out->jitter_ms = (double)LD(jitter_us) / 1000.0;
	out->latched = LD(latched);
#undef LD
}

/* tp_listen: TCP and TLS listeners (RFC 3261 section 18.2.1) and the accept rate limit.
 *
 * New stream connections draw from one token bucket (accept_rate per second, accept_burst deep)
 * shared by every listener, so a reconnect storm -- thousands of phones re-registering over TLS
 * after an outage, each costing a handshake -- cannot starve the calls in progress. A connection
 * that finds the bucket empty is accepted and reset at once (counted in conns_refused_rate):
 * the phone learns immediately and retries on its own back-off timer. Once the bucket is empty
 * the listeners are not watched until it refills, so refusing costs little too. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "net/tp_int.h"

enum { ACCEPT_PAUSE_MIN_MS = 50 };

static void refill(struct tp_mgr *m)
{
	uint64_t now = loop_now_ms(m->loop);
	uint64_t cap = (uint64_t)m->cfg.accept_burst * 1000u;

	if (now > m->tokens_ms) {
		/* accept_rate tokens per second is accept_rate milli-tokens per millisecond. */
		m->tokens_milli += (now - m->tokens_ms) * m->cfg.accept_rate;
		if (m->tokens_milli > cap)
			m->tokens_milli = cap;
		m->tokens_ms = now;
	}
}

static bool take_token(struct tp_mgr *m)
{
	refill(m);
	if (m->tokens_milli < 1000)
		return false;
	m->tokens_milli -= 1000;
	return true;
}

static void set_listening(struct tp_mgr *m, bool on)
{
	for (struct tp_sock *s = m->socks; s; s = s->next) {
		if (s->kind == TP_UDP || s->paused == !on)
			continue;
		if (loop_fd_modify(m->loop, s->fd, on ? LOOP_READ : 0) == 0)
			s->paused = !on;
	}
}

static void accept_resume(void *arg)
{
	set_listening(arg, true);
}

static void pause_listeners(struct tp_mgr *m)
{
	uint64_t wait = (1000 - m->tokens_milli + m->cfg.accept_rate - 1) / m->cfg.accept_rate;

	if (wait < ACCEPT_PAUSE_MIN_MS)
		wait = ACCEPT_PAUSE_MIN_MS;
	if (tmr_start(loop_timers(m->loop), &m->accept_tmr, wait, accept_resume, m))
		return; /* no memory for the timer: keep listening rather than go deaf */
	set_listening(m, false);
}

/* Reset rather than close: no TIME_WAIT left behind for each refused connection. */
static void refuse(int fd)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};

	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

static void accept_readable(int lfd, unsigned events, void *arg)
{
	struct tp_sock *s = arg;
	struct tp_mgr *m = s->mgr;
	(void)events;

	for (int i = 0; i < TP_ACCEPT_BATCH; i++) {
		struct sa remote;
		int fd;

		memset(&remote, 0, sizeof(remote));
		remote.len = sizeof(remote.u);
		fd = accept4(lfd, &remote.u.sa, &remote.len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_warn("tp: accept on %s: %s", tp_kind_name(s->kind),
					 strerror(errno));
			break;
		}
		if (!take_token(m)) {
			m->stats.conns_refused_rate++;
			refuse(fd);
			continue;
		}
		if (m->stats.conns_open >= m->cfg.max_conns) {
			log_debug("tp: max_conns (%u) reached, refusing", m->cfg.max_conns);
			refuse(fd);
			continue;
		}
		m->stats.conns_accepted++;
		(void)tp_conn_accepted(m, s->kind, fd, &remote);
	}
	refill(m);
	if (m->tokens_milli < 1000)
		pause_listeners(m);
}

int tp_listener_open(struct tp_mgr *m, enum tp_kind kind, const struct sa *addr,
		     struct tp_sock **sp)
{
	struct tp_sock *s;
	int one = 1, err = 0;

	s = calloc(1, sizeof(*s));
	if (!s)
		return ENOMEM;
	s->mgr = m;
	s->kind = kind;
	s->fd = socket(sa_family(addr), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		err = errno;
		free(s);
		return err;
	}
	(void)setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (sa_family(addr) == AF_INET6)
		(void)setsockopt(s->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(s->fd, &addr->u.sa, addr->len) < 0 || listen(s->fd, TP_LISTEN_BACKLOG) < 0) {
		err = errno;
		goto out;
	}
	s->addr.len = sizeof(s->addr.u);
	if (getsockname(s->fd, &s->addr.u.sa, &s->addr.len) < 0) {
		err = errno;
		goto out;
	}
	/* Watched like the others: a bucket emptied earlier pauses this one too. */
	err = loop_fd_listen(m->loop, s->fd, tmr_running(&m->accept_tmr) ? 0 : LOOP_READ,
			     accept_readable, s);
	s->paused = tmr_running(&m->accept_tmr);
out:
	if (err) {
		close(s->fd);
		free(s);
		return err;
	}
	*sp = s;
	return 0;
}

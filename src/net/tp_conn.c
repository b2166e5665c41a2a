/* tp_conn: SIP stream connections over TCP and TLS (RFC 3261 section 18, RFC 5626 keep-alives).
 *
 * A connection is found by (kind, remote address), whoever opened it, so requests toward a phone
 * behind NAT go back over the connection it opened to us (RFC 5626 section 5.3). Input is read
 * into the manager's shared buffer and messages are delivered straight from it; only the tail of
 * an incomplete message is copied into the connection, so an idle connection holds no buffers.
 * Output is written at once when possible, the rest queued (bounded) and flushed when the
 * socket is writable. Reference counting: the manager's reference is dropped on close. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "net/tls_int.h"
#include "net/tp_int.h"

enum {
	READS_PER_EVENT = 16,
	READ_CHUNK = 16384,
	WRITE_CHUNK = 65536, /* never shrinks between retries: TLS needs that */
};

/* ---- lookup by (kind, remote) ---- */

static size_t bucket_of(const struct tp_mgr *m, enum tp_kind kind, const struct sa *sa)
{
	const unsigned char *p;
	size_t n;
	uint16_t port = sa_port(sa);
	uint32_t h = 2166136261u ^ m->hash_seed;

	if (sa_family(sa) == AF_INET6) {
		p = (const unsigned char *)&sa->u.in6.sin6_addr;
		n = 16;
	} else {
		p = (const unsigned char *)&sa->u.in.sin_addr;
		n = 4;
	}
	h = (h ^ (uint32_t)kind) * 16777619u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	h = (h ^ (port & 0xff)) * 16777619u;
	h = (h ^ (port >> 8)) * 16777619u;
	/* FNV mixes the low bits poorly; finish like MurmurHash3's fmix32. */
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h & (m->nbuckets - 1);
}

static void hash_add(struct tp_mgr *m, struct tp_conn *c)
{
	size_t b = bucket_of(m, c->kind, &c->remote);

	c->hnext = m->buckets[b];
	m->buckets[b] = c;
}

static void hash_del(struct tp_mgr *m, struct tp_conn *c)
{
	struct tp_conn **pp = &m->buckets[bucket_of(m, c->kind, &c->remote)];

	for (; *pp; pp = &(*pp)->hnext) {
		if (*pp == c) {
			*pp = c->hnext;
			c->hnext = NULL;
			return;
		}
	}
}

struct tp_conn *tp_conn_find(struct tp_mgr *m, enum tp_kind kind, const struct sa *remote)
{
	for (struct tp_conn *c = m->buckets[bucket_of(m, kind, remote)]; c; c = c->hnext) {
		if (c->kind == kind && !c->closing && sa_eq(&c->remote, remote))
			return c;
	}
	return NULL;
}

struct tp_conn *tp_conn_find_peer(struct tp_mgr *m, const struct tp_peer *to)
{
	if (to->kind != TP_TLS || !to->tls_client)
		return tp_conn_find(m, to->kind, &to->remote);
	for (struct tp_conn *c = m->buckets[bucket_of(m, TP_TLS, &to->remote)]; c; c = c->hnext) {
		if (c->kind != TP_TLS || c->closing || !sa_eq(&c->remote, &to->remote) ||
		    c->client_ctx != to->tls_client)
			continue;
		if (c->server_name && to->server_name && !strcmp(c->server_name, to->server_name))
			return c;
	}
	return NULL;
}

/* ---- reference counting and accessors ---- */

struct tp_conn *tp_conn_ref(struct tp_conn *c)
{
	if (c)
		c->refs++;
	return c;
}

void tp_conn_unref(struct tp_conn *c)
{
	if (!c || !c->refs || --c->refs)
		return;
	free(c->server_name);
	free(c->error);
	free(c);
}

bool tp_conn_open(const struct tp_conn *c)
{
	return c && c->open && !c->closing;
}

enum tp_kind tp_conn_kind(const struct tp_conn *c)
{
	return c->kind;
}

const struct sa *tp_conn_remote(const struct tp_conn *c)
{
	return &c->remote;
}

const char *tp_conn_tls_version(const struct tp_conn *c)
{
	return c ? c->tls_version : NULL;
}

const char *tp_conn_tls_cipher(const struct tp_conn *c)
{
	return c ? c->tls_cipher : NULL;
}

const char *tp_conn_error(const struct tp_conn *c)
{
	return c ? c->error : NULL;
}

/* An outgoing connection failed before it was usable: keep why for its owner (a trunk shows
 * it). The first reason stays. */
static void set_error(struct tp_conn *c, const char *what, const char *why)
{
	size_t n;

	if (!c->outgoing || c->error)
		return;
	n = strlen(what) + strlen(why) + 3;
	c->error = malloc(n);
	if (c->error)
		snprintf(c->error, n, "%s%s%s", what, *why ? ": " : "", why);
}

/* ---- closing ---- */

void tp_conn_drop(struct tp_conn *c)
{
	struct tp_mgr *m = c->mgr;

	if (!c->open)
		return;
	c->open = false;
	c->closing = true;
	hash_del(m, c);
	m->stats.conns_open--;
	tmr_cancel(&c->tmr);
	loop_fd_remove(m->loop, c->fd);
	/* close_notify only on a healthy session; never wait for the peer's. */
	tls_sess_free(c->tls, !c->handshaking && !c->dead);
	c->tls = NULL;
	close(c->fd);
	c->fd = -1;
	free(c->ibuf);
	free(c->obuf);
	c->ibuf = c->obuf = NULL;
	c->ilen = c->icap = c->olen = c->ooff = c->ocap = 0;
	c->mgr = NULL;
	if (m->closeh)
		m->closeh(c, m->close_arg);
	tp_conn_unref(c);
}

void tp_conns_drop_all(struct tp_mgr *m)
{
	for (size_t i = 0; i < m->nbuckets; i++)
		while (m->buckets[i])
			tp_conn_drop(m->buckets[i]);
}

static void timeout_h(void *arg);

/* Close from the loop rather than inside the caller (tp_send): close handlers must not run
 * re-entrantly under code that is still using the connection. */
static void drop_later(struct tp_conn *c)
{
	c->dead = true;
	c->closing = true;
	(void)tmr_start(loop_timers(c->mgr->loop), &c->tmr, 0, timeout_h, c);
}

/* ---- socket events ---- */

static unsigned want_events(const struct tp_conn *c)
{
	unsigned ev = 0;

	if (c->dead)
		return 0;
	if (c->connecting)
		return LOOP_WRITE;
	if (c->handshaking)
		return c->tls_want;
	if (!c->closing)
		ev |= LOOP_READ;
	if (c->olen)
		ev |= c->tls_want ? c->tls_want : LOOP_WRITE;
	return ev;
}

static void update_events(struct tp_conn *c)
{
	unsigned ev = want_events(c);

	if (c->open && ev != c->events && loop_fd_modify(c->mgr->loop, c->fd, ev) == 0)
		c->events = ev;
}

static void start_idle(struct tp_conn *c)
{
	struct tp_mgr *m = c->mgr;

	c->last_rx_ms = loop_now_ms(m->loop);
	(void)tmr_start(loop_timers(m->loop), &c->tmr, m->cfg.idle_timeout_ms, timeout_h, c);
}

static void timeout_h(void *arg)
{
	struct tp_conn *c = arg;
	struct tp_mgr *m = c->mgr;
	char buf[SA_STRLEN];
	uint64_t idle;

	if (c->dead) {
		tp_conn_drop(c);
		return;
	}
	if (c->connecting || c->handshaking) {
		log_info("tp: %s %s: %s timed out", tp_kind_name(c->kind),
			 sa_str(&c->remote, buf, sizeof(buf)),
			 c->connecting ? "connect" : "handshake");
		if (c->handshaking)
			m->stats.tls_failures++;
		set_error(c, c->connecting ? "connect timed out" : "TLS handshake timed out", "");
		tp_conn_drop(c);
		return;
	}
	/* Restarting a timer on every read would cost a heap update each time; instead the
	 * timer checks when input last arrived and sleeps for the remainder. */
	idle = loop_now_ms(m->loop) - c->last_rx_ms;
	if (idle >= m->cfg.idle_timeout_ms) {
		log_debug("tp: %s %s idle, closing", tp_kind_name(c->kind),
			  sa_str(&c->remote, buf, sizeof(buf)));
		tp_conn_drop(c);
		return;
	}
	(void)tmr_start(loop_timers(m->loop), &c->tmr, m->cfg.idle_timeout_ms - idle, timeout_h,
			c);
}

/* 0 with *n bytes written, EAGAIN, or the error that ends the connection. */
static int write_some(struct tp_conn *c, const char *p, size_t len, size_t *n)
{
	ssize_t r;

	if (c->tls) {
		unsigned want = 0;
		int err = tls_sess_write(c->tls, p, len, n, &want);
		c->tls_want = err == EAGAIN ? want : 0;
		return err;
	}
	r = send(c->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (r < 0)
		return (errno == EWOULDBLOCK || errno == EINTR) ? EAGAIN : errno;
	*n = (size_t)r;
	return 0;
}

static void flush(struct tp_conn *c)
{
	while (c->olen) {
		size_t n = 0;
		int err = write_some(c, c->obuf + c->ooff,
				     c->olen < WRITE_CHUNK ? c->olen : WRITE_CHUNK, &n);
		if (err == EAGAIN)
			break;
		if (err) {
			c->dead = true;
			tp_conn_drop(c);
			return;
		}
		c->ooff += n;
		c->olen -= n;
	}
	if (!c->olen) {
		free(c->obuf);
		c->obuf = NULL;
		c->ooff = c->ocap = 0;
		if (c->closing) {
			tp_conn_drop(c);
			return;
		}
	}
	update_events(c);
}

static int queue(struct tp_conn *c, const char *p, size_t len)
{
	if (c->ooff + c->olen + len > c->ocap) {
		if (c->ooff) {
			memmove(c->obuf, c->obuf + c->ooff, c->olen);
			c->ooff = 0;
		}
		if (c->olen + len > c->ocap) {
			size_t cap = c->ocap ? c->ocap : 4096;
			char *b;
			while (cap < c->olen + len)
				cap *= 2;
			b = realloc(c->obuf, cap);
			if (!b)
				return ENOMEM;
			c->obuf = b;
			c->ocap = cap;
		}
	}
	memcpy(c->obuf + c->ooff + c->olen, p, len);
	c->olen += len;
	return 0;
}

int tp_conn_send(struct tp_conn *c, const void *data, size_t len)
{
	const char *p = data;
	int err;

	if (!c->open || c->closing)
		return ENOTCONN;
	if (c->olen + len > TP_OUTQ_MAX)
		return ENOBUFS;
	/* Nothing queued and the session is up: try the socket first, queue only the rest. */
	if (!c->olen && !c->connecting && !c->handshaking) {
		while (len) {
			size_t n = 0;
			err = write_some(c, p, len < WRITE_CHUNK ? len : WRITE_CHUNK, &n);
			if (err == EAGAIN)
				break;
			if (err) {
				drop_later(c);
				update_events(c);
				return err;
			}
			p += n;
			len -= n;
		}
		if (!len)
			return 0;
	}
	err = queue(c, p, len);
	if (err && p != data) {
		/* Half a message is on the wire: the stream cannot be framed any more. */
		drop_later(c);
	}
	update_events(c);
	return err;
}

/* ---- input ---- */

static void deliver(struct tp_conn *c, const char *p, size_t n, unsigned flags)
{
	struct tp_mgr *m = c->mgr;
	struct tp_peer from = {
		.kind = c->kind,
		.local = c->local,
		.remote = c->remote,
		.conn = c,
	};

	m->stats.msgs_in++;
	m->recvh(&from, p, n, flags, m->arg);
}

/* Stop reading; the close follows once the output (a 513, say) has gone. */
static void close_after_flush(struct tp_conn *c)
{
	c->closing = true;
	free(c->ibuf);
	c->ibuf = NULL;
	c->ilen = c->icap = 0;
	if (!c->olen)
		tp_conn_drop(c);
	else
		update_events(c);
}

/* Deliver every whole message in buf; returns the bytes consumed. */
static size_t process(struct tp_conn *c, const char *buf, size_t len)
{
	const struct tp_config *cfg = &c->mgr->cfg;
	char addr[SA_STRLEN];
	size_t off = 0;

	while (off < len && c->open && !c->closing) {
		size_t n = 0;

		switch (frame_next(&c->frame, buf + off, len - off, cfg->max_hdr, cfg->max_msg,
				   &n)) {
		case FRAME_MORE:
			return off;
		case FRAME_MSG:
			deliver(c, buf + off, n, 0);
			break;
		case FRAME_PING:
			/* RFC 5626 section 4.4.1: answer the double CRLF with a single one. */
			c->mgr->stats.keepalives++;
			(void)tp_conn_send(c, "\r\n", 2);
			break;
		case FRAME_CRLF:
			break;
		case FRAME_OVERSIZE:
			log_info("tp: %s %s: message too large, closing", tp_kind_name(c->kind),
				 sa_str(&c->remote, addr, sizeof(addr)));
			deliver(c, buf + off, n, TP_MSG_OVERSIZE);
			if (c->open)
				close_after_flush(c);
			return len;
		case FRAME_BAD:
			log_info("tp: %s %s: bad Content-Length, closing", tp_kind_name(c->kind),
				 sa_str(&c->remote, addr, sizeof(addr)));
			tp_conn_drop(c);
			return len;
		}
		off += n;
	}
	return off;
}

/* Keep an incomplete message: room for at least 'need' more bytes in c->ibuf. */
static int ibuf_reserve(struct tp_conn *c, size_t need)
{
	const struct tp_config *cfg = &c->mgr->cfg;
	size_t limit = cfg->max_hdr + cfg->max_msg + READ_CHUNK;
	size_t cap;
	char *b;

	if (c->icap - c->ilen >= need)
		return 0;
	if (c->ilen + need > limit)
		need = limit - c->ilen;
	cap = c->icap ? c->icap : READ_CHUNK;
	while (cap < c->ilen + need)
		cap *= 2;
	if (cap > limit)
		cap = limit;
	if (cap <= c->ilen)
		return ENOBUFS;
	b = realloc(c->ibuf, cap);
	if (!b)
		return ENOMEM;
	c->ibuf = b;
	c->icap = cap;
	return 0;
}

static int read_some(struct tp_conn *c, char *p, size_t size, size_t *n)
{
	ssize_t r;

	if (c->tls) {
		unsigned want = 0;
		return tls_sess_read(c->tls, p, size, n, &want);
	}
	r = recv(c->fd, p, size, MSG_DONTWAIT);
	if (r < 0)
		return (errno == EWOULDBLOCK || errno == EINTR) ? EAGAIN : errno;
	*n = (size_t)r;
	return 0;
}

static void conn_read(struct tp_conn *c)
{
	struct tp_mgr *m = c->mgr;
	char addr[SA_STRLEN];

	for (int i = 0; c->open && !c->closing; i++) {
		bool shared = c->ilen == 0;
		size_t room, n = 0, used;
		char *dst;
		int err;

		/* Level-triggered: what is left in the socket is announced again. Decrypted bytes
		 * held inside the TLS session are not, so those are always read now. */
		if (i >= READS_PER_EVENT && !(c->tls && tls_sess_pending(c->tls)))
			return;
		if (shared) {
			dst = m->rxbuf;
			room = TP_RX_SIZE;
		} else {
			size_t need = READ_CHUNK;
			if (c->frame.msg_len > c->ilen && c->frame.msg_len - c->ilen > need)
				need = c->frame.msg_len - c->ilen;
			if (ibuf_reserve(c, need)) {
				tp_conn_drop(c);
				return;
			}
			dst = c->ibuf + c->ilen;
			room = c->icap - c->ilen;
		}
		err = read_some(c, dst, room, &n);
		if (err == EAGAIN)
			return;
		if (err || n == 0) {
			log_debug("tp: %s %s: %s", tp_kind_name(c->kind),
				  sa_str(&c->remote, addr, sizeof(addr)),
				  err ? strerror(err) : "closed by peer");
			tp_conn_drop(c);
			return;
		}
		m->stats.bytes_in += n;
		c->last_rx_ms = loop_now_ms(m->loop);

		if (shared) {
			used = process(c, dst, n);
			if (c->open && !c->closing && used < n) {
				if (ibuf_reserve(c, n - used)) {
					tp_conn_drop(c);
					return;
				}
				memcpy(c->ibuf, dst + used, n - used);
				c->ilen = n - used;
			}
		} else {
			c->ilen += n;
			used = process(c, c->ibuf, c->ilen);
			if (!c->open || c->closing)
				return;
			c->ilen -= used;
			if (c->ilen)
				memmove(c->ibuf, c->ibuf + used, c->ilen);
			else {
				free(c->ibuf);
				c->ibuf = NULL;
				c->icap = 0;
			}
		}
		/* A short read drained the socket. TLS returns one record per read, so it goes
		 * on until the session wants more from the socket. */
		if (!c->tls && n < room)
			return;
	}
}

/* ---- connection set-up ---- */

static void established(struct tp_conn *c)
{
	start_idle(c);
	if (c->olen)
		flush(c);
	if (c->open && !c->closing)
		conn_read(c);
	if (c->open)
		update_events(c);
}

static void handshake(struct tp_conn *c)
{
	struct tp_mgr *m = c->mgr;
	char addr[SA_STRLEN];
	unsigned want = 0;
	int err;

	err = tls_sess_handshake(c->tls, &want, sa_str(&c->remote, addr, sizeof(addr)));
	if (err == EAGAIN) {
		c->tls_want = want;
		update_events(c);
		return;
	}
	if (err) {
		const char *why = tls_sess_error(c->tls);
		m->stats.tls_failures++;
		set_error(c, "TLS", why ? why : "handshake failed");
		tp_conn_drop(c);
		return;
	}
	c->handshaking = false;
	c->tls_want = 0;
	c->tls_version = tls_sess_version(c->tls);
	c->tls_cipher = tls_sess_cipher(c->tls);
	m->stats.tls_handshakes++;
	log_debug("tp: TLS %s: %s %s", addr, c->tls_version, c->tls_cipher);
	established(c);
}

static void connected(struct tp_conn *c)
{
	char addr[SA_STRLEN];
	socklen_t len = sizeof(int);
	int soerr = 0;

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
		soerr = errno;
	if (soerr) {
		log_info("tp: %s connect to %s: %s", tp_kind_name(c->kind),
			 sa_str(&c->remote, addr, sizeof(addr)), strerror(soerr));
		set_error(c, "connect", strerror(soerr));
		tp_conn_drop(c);
		return;
	}
	c->connecting = false;
	c->local.len = sizeof(c->local.u);
	if (getsockname(c->fd, &c->local.u.sa, &c->local.len) < 0)
		c->local.len = 0;
	if (c->kind == TP_TLS) {
		c->handshaking = true;
		handshake(c);
		return;
	}
	established(c);
}

static void conn_event(int fd, unsigned events, void *arg)
{
	struct tp_conn *c = arg;
	(void)fd;

	/* Handlers called from here may close c; our reference keeps the memory. */
	tp_conn_ref(c);
	if (c->dead) {
		/* drop_later's timer closes it. */
	} else if (c->connecting) {
		connected(c);
	} else if (c->handshaking) {
		handshake(c);
	} else {
		if (c->olen && (events & (c->tls_want ? c->tls_want : LOOP_WRITE)))
			flush(c);
		if (c->open && !c->closing && (events & (LOOP_READ | LOOP_ERROR)))
			conn_read(c);
		/* An error while only flushing: the write above has reported it, or will not. */
		if (c->open && c->closing && (events & LOOP_ERROR))
			tp_conn_drop(c);
	}
	tp_conn_unref(c);
}

/* Connect + handshake time allowed: a silent peer is not kept longer than an idle one. */
static unsigned setup_ms(const struct tp_mgr *m)
{
	return m->cfg.idle_timeout_ms < TP_HANDSHAKE_MS ? m->cfg.idle_timeout_ms : TP_HANDSHAKE_MS;
}

static int conn_alloc(struct tp_mgr *m, enum tp_kind kind, int fd, const struct sa *remote,
		      struct tp_conn **cp)
{
	struct tp_conn *c;
	int one = 1;

	c = calloc(1, sizeof(*c));
	if (!c)
		return ENOMEM;
	c->refs = 1; /* the manager's */
	c->mgr = m;
	c->kind = kind;
	c->fd = fd;
	c->open = true;
	c->remote = *remote;
	tmr_init(&c->tmr);
	frame_reset(&c->frame);
	/* Whole messages are written at once; Nagle would only delay the next one. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	hash_add(m, c);
	m->stats.conns_open++;
	*cp = c;
	return 0;
}

int tp_conn_accepted(struct tp_mgr *m, enum tp_kind kind, int fd, const struct sa *remote)
{
	struct tp_conn *c;
	int err;

	if (kind == TP_TLS && !m->tls_server) {
		close(fd);
		return EINVAL;
	}
	err = conn_alloc(m, kind, fd, remote, &c);
	if (err) {
		close(fd);
		return err;
	}
	c->local.len = sizeof(c->local.u);
	if (getsockname(fd, &c->local.u.sa, &c->local.len) < 0)
		c->local.len = 0;
	if (kind == TP_TLS) {
		err = tls_sess_alloc(&c->tls, m->tls_server, fd, NULL);
		c->handshaking = true;
		c->tls_want = LOOP_READ; /* the ClientHello */
		if (!err)
			err = tmr_start(loop_timers(m->loop), &c->tmr, setup_ms(m), timeout_h, c);
	} else {
		c->last_rx_ms = loop_now_ms(m->loop);
		err = tmr_start(loop_timers(m->loop), &c->tmr, m->cfg.idle_timeout_ms, timeout_h,
				c);
	}
	c->events = want_events(c);
	if (!err)
		err = loop_fd_listen(m->loop, fd, c->events, conn_event, c);
	if (err) {
		c->handshaking = false; /* nothing to notify */
		tp_conn_drop(c);
	}
	return err;
}

int tp_conn_connect(struct tp_mgr *m, enum tp_kind kind, const struct sa *remote,
		    const char *server_name, struct tls_ctx *tls_client, struct tp_conn **cp)
{
	struct tls_ctx *ctx = tls_client ? tls_client : m->tls_client;
	char host[SA_STRLEN];
	struct tp_conn *c;
	int fd, err;

	if (m->freeing)
		return ESHUTDOWN;
	if (m->stats.conns_open >= m->cfg.max_conns)
		return EMFILE;
	if (kind == TP_TLS && !ctx) {
		log_warn("tp: no TLS client context for %s", sa_str(remote, host, sizeof(host)));
		return EINVAL;
	}
	fd = socket(sa_family(remote), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	if (connect(fd, &remote->u.sa, remote->len) < 0 && errno != EINPROGRESS) {
		err = errno;
		close(fd);
		return err;
	}
	err = conn_alloc(m, kind, fd, remote, &c);
	if (err) {
		close(fd);
		return err;
	}
	c->outgoing = true;
	c->client_ctx = tls_client;
	/* Finished or not, the socket reports writable: one path for both cases. */
	c->connecting = true;
	if (kind == TP_TLS) {
		/* Without a name, the certificate must carry the address we dialled. */
		const char *name = server_name && *server_name
					   ? server_name
					   : sa_host_str(remote, host, sizeof(host));
		c->server_name = strdup(name);
		err = c->server_name ? tls_sess_alloc(&c->tls, ctx, fd, c->server_name) : ENOMEM;
	}
	if (!err)
		err = tmr_start(loop_timers(m->loop), &c->tmr, setup_ms(m), timeout_h, c);
	c->events = want_events(c);
	if (!err)
		err = loop_fd_listen(m->loop, fd, c->events, conn_event, c);
	if (err) {
		tp_conn_drop(c);
		return err;
	}
	*cp = c;
	return 0;
}

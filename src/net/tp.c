/* tp: the transport manager (RFC 3261 section 18): sockets, the choice of where a message goes,
 * counters. Datagrams live in tp_udp.c, listeners in tp_listen.c, streams in tp_conn.c. */
#include "net/tp.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/rand.h"
#include "net/tp_int.h"

static const char *const kind_names[] = {
	[TP_UDP] = "UDP",
	[TP_TCP] = "TCP",
	[TP_TLS] = "TLS",
};

const char *tp_kind_name(enum tp_kind kind)
{
	if ((unsigned)kind < sizeof(kind_names) / sizeof(kind_names[0]))
		return kind_names[kind];
	return "?";
}

int tp_kind_parse(struct pl name, enum tp_kind *kind)
{
	for (size_t i = 0; i < sizeof(kind_names) / sizeof(kind_names[0]); i++) {
		if (pl_caseeq_str(name, kind_names[i])) {
			*kind = (enum tp_kind)i;
			return 0;
		}
	}
	return EINVAL;
}

static size_t buckets_for(unsigned max_conns)
{
	size_t n = 64;

	while (n < max_conns / 2 && n < 65536)
		n *= 2;
	return n;
}

int tp_mgr_alloc(struct tp_mgr **mp, struct loop *loop, const struct tp_config *cfg,
		 tp_recv_h *recvh, void *arg)
{
	struct tp_mgr *m;

	struct sigaction pipe_act;

	if (!mp || !loop || !recvh)
		return EINVAL;
	/* OpenSSL writes to sockets with write(): a peer that went away must not kill us with
	 * SIGPIPE. Only the default action is replaced; a handler someone installed stays. */
	if (sigaction(SIGPIPE, NULL, &pipe_act) == 0 && pipe_act.sa_handler == SIG_DFL)
		signal(SIGPIPE, SIG_IGN);
	m = calloc(1, sizeof(*m));
	if (!m)
		return ENOMEM;
	m->loop = loop;
	if (cfg)
		m->cfg = *cfg;
	/* Zero means "the default" for every limit. */
	if (!m->cfg.max_msg)
		m->cfg.max_msg = 65535;
	if (!m->cfg.max_hdr)
		m->cfg.max_hdr = 16384;
	if (!m->cfg.accept_rate)
		m->cfg.accept_rate = 500;
	if (!m->cfg.accept_burst)
		m->cfg.accept_burst = 1000;
	if (!m->cfg.idle_timeout_ms)
		m->cfg.idle_timeout_ms = 600000;
	if (!m->cfg.max_conns)
		m->cfg.max_conns = 20000;
	m->recvh = recvh;
	m->arg = arg;
	m->nbuckets = buckets_for(m->cfg.max_conns);
	m->buckets = calloc(m->nbuckets, sizeof(*m->buckets));
	m->rxbuf = malloc(TP_RX_SIZE);
	/* Remote addresses pick the hash bucket: keep the spread unpredictable to them. */
	(void)rand_bytes(&m->hash_seed, sizeof(m->hash_seed));
	tmr_init(&m->accept_tmr);
	m->tokens_milli = (uint64_t)m->cfg.accept_burst * 1000u;
	m->tokens_ms = loop_now_ms(loop);
	if (!m->buckets || !m->rxbuf) {
		free(m->buckets);
		free(m->rxbuf);
		free(m);
		return ENOMEM;
	}
	*mp = m;
	return 0;
}

void tp_sock_close(struct tp_mgr *m, struct tp_sock *s)
{
	loop_fd_remove(m->loop, s->fd);
	close(s->fd);
	free(s);
}

void tp_mgr_free(struct tp_mgr *m)
{
	if (!m)
		return;
	/* Close handlers run below and must not start anything new. */
	m->freeing = true;
	tmr_cancel(&m->accept_tmr);
	while (m->socks) {
		struct tp_sock *s = m->socks;
		m->socks = s->next;
		tp_sock_close(m, s);
	}
	tp_conns_drop_all(m);
	tp_udp_free(m);
	free(m->buckets);
	free(m->rxbuf);
	free(m);
}

void tp_mgr_set_close_handler(struct tp_mgr *m, tp_close_h *h, void *arg)
{
	m->closeh = h;
	m->close_arg = arg;
}

void tp_mgr_set_tls_client(struct tp_mgr *m, struct tls_ctx *client)
{
	m->tls_client = client;
}

void tp_mgr_set_tls_server(struct tp_mgr *m, struct tls_ctx *server)
{
	m->tls_server = server;
}

int tp_listen(struct tp_mgr *m, enum tp_kind kind, const struct sa *addr, struct tls_ctx *tls,
	      struct sa *bound)
{
	struct tp_sock *s;
	char buf[SA_STRLEN];
	int err;

	if (!m || !addr || !addr->len)
		return EINVAL;
	switch (kind) {
	case TP_UDP:
		err = tp_udp_open(m, addr, &s);
		break;
	case TP_TLS:
		if (!tls)
			return EINVAL;
		m->tls_server = tls;
		/* fall through */
	case TP_TCP:
		err = tp_listener_open(m, kind, addr, &s);
		break;
	default:
		return EINVAL;
	}
	if (err) {
		log_err("tp: %s %s: %s", tp_kind_name(kind), sa_str(addr, buf, sizeof(buf)),
			strerror(err));
		return err;
	}
	s->next = m->socks;
	m->socks = s;
	log_info("tp: listening on %s %s", tp_kind_name(kind), sa_str(&s->addr, buf, sizeof(buf)));
	if (bound)
		*bound = s->addr;
	return 0;
}

int tp_send(struct tp_mgr *m, const struct tp_peer *to, const void *data, size_t len)
{
	struct tp_conn *c = NULL;
	enum tp_kind kind;
	int err;

	if (!m || !to || (!data && len))
		return EINVAL;
	if (m->freeing)
		return ESHUTDOWN;
	kind = to->conn ? to->conn->kind : to->kind;
	if (kind == TP_UDP) {
		err = tp_udp_send(m, to, data, len);
		goto out;
	}
	if (kind != TP_TCP && kind != TP_TLS)
		return EINVAL;

	if (to->conn && tp_conn_open(to->conn) && to->conn->mgr == m)
		c = to->conn;
	/* A phone behind NAT is reachable only over the connection it opened to us. */
	if (!c && to->remote.len)
		c = to->tls_client ? tp_conn_find_peer(m, to) : tp_conn_find(m, kind, &to->remote);
	if (!c) {
		/* a phone's connection is gone; one we dial ourselves (a trunk's) is dialled again */
		if (to->conn && !to->tls_client)
			return ENOTCONN;
		if (!to->remote.len)
			return EINVAL;
		err = tp_conn_connect(m, kind, &to->remote, to->server_name, to->tls_client, &c);
		if (err)
			return err;
	}
	err = tp_conn_send(c, data, len);
out:
	if (!err) {
		m->stats.msgs_out++;
		m->stats.bytes_out += len;
	}
	return err;
}

int tp_connect(struct tp_mgr *m, const struct tp_peer *to, struct tp_conn **cp)
{
	struct tp_conn *c;
	int err;

	if (!m || !to || !cp || (to->kind != TP_TCP && to->kind != TP_TLS) || !to->remote.len)
		return EINVAL;
	if (m->freeing)
		return ESHUTDOWN;
	c = tp_conn_find_peer(m, to);
	if (!c) {
		err = tp_conn_connect(m, to->kind, &to->remote, to->server_name, to->tls_client,
				      &c);
		if (err)
			return err;
	}
	*cp = tp_conn_ref(c);
	return 0;
}

void tp_mgr_stats(const struct tp_mgr *m, struct tp_stats *st)
{
	*st = m->stats;
}

/* tp_udp: SIP over UDP (RFC 3261 section 18.1.1, 18.2.1): one message per datagram, read in
 * batches with recvmmsg into a large socket buffer so a burst is not dropped by the kernel. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "net/tp_int.h"

enum { UDP_RCVBUF = 4 << 20, UDP_READ_ROUNDS = 4 };

struct udp_rx {
	struct mmsghdr msgs[TP_UDP_BATCH];
	struct iovec iov[TP_UDP_BATCH];
	struct sockaddr_storage from[TP_UDP_BATCH];
	size_t bufsize;
	char bufs[]; /* TP_UDP_BATCH * bufsize */
};

static bool only_crlf(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != '\r' && p[i] != '\n')
			return false;
	return true;
}

static void udp_readable(int fd, unsigned events, void *arg)
{
	struct tp_sock *s = arg;
	struct tp_mgr *m = s->mgr;
	struct udp_rx *rx = m->udp;
	(void)events;

	for (int round = 0; round < UDP_READ_ROUNDS; round++) {
		int n;

		for (int i = 0; i < TP_UDP_BATCH; i++) {
			struct msghdr *h = &rx->msgs[i].msg_hdr;
			rx->iov[i].iov_base = rx->bufs + (size_t)i * rx->bufsize;
			rx->iov[i].iov_len = rx->bufsize;
			memset(h, 0, sizeof(*h));
			h->msg_name = &rx->from[i];
			h->msg_namelen = sizeof(rx->from[i]);
			h->msg_iov = &rx->iov[i];
			h->msg_iovlen = 1;
		}
		n = recvmmsg(fd, rx->msgs, TP_UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_debug("tp: udp recv: %s", strerror(errno));
			return;
		}
		for (int i = 0; i < n; i++) {
			const char *p = rx->iov[i].iov_base;
			size_t len = rx->msgs[i].msg_len;
			struct tp_peer from = {.kind = TP_UDP, .local = s->addr};
			unsigned flags = 0;

			m->stats.bytes_in += len;
			/* Some phones keep NAT bindings open with bare CRLFs over UDP too. */
			if (len == 0 || only_crlf(p, len)) {
				m->stats.keepalives++;
				continue;
			}
			if (rx->msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
				flags |= TP_MSG_OVERSIZE;
			memcpy(&from.remote.u.ss, &rx->from[i], sizeof(rx->from[i]));
			from.remote.len = rx->msgs[i].msg_hdr.msg_namelen;
			m->stats.msgs_in++;
			m->recvh(&from, p, len, flags, m->arg);
		}
		if (n < TP_UDP_BATCH)
			return;
	}
}

int tp_udp_open(struct tp_mgr *m, const struct sa *addr, struct tp_sock **sp)
{
	struct tp_sock *s;
	int one = 1, rcvbuf = UDP_RCVBUF;
	int err = 0;

	if (!m->udp) {
		size_t bufsize = m->cfg.max_msg;
		m->udp = malloc(sizeof(*m->udp) + TP_UDP_BATCH * bufsize);
		if (!m->udp)
			return ENOMEM;
		m->udp->bufsize = bufsize;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return ENOMEM;
	s->mgr = m;
	s->kind = TP_UDP;
	s->fd = socket(sa_family(addr), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		err = errno;
		free(s);
		return err;
	}
	/* v4 and v6 sockets on the same port are separate sockets. */
	if (sa_family(addr) == AF_INET6)
		(void)setsockopt(s->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	/* Best effort: the kernel caps it at net.core.rmem_max. */
	(void)setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(s->fd, &addr->u.sa, addr->len) < 0) {
		err = errno;
		goto out;
	}
	s->addr.len = sizeof(s->addr.u);
	if (getsockname(s->fd, &s->addr.u.sa, &s->addr.len) < 0) {
		err = errno;
		goto out;
	}
	err = loop_fd_listen(m->loop, s->fd, LOOP_READ, udp_readable, s);
out:
	if (err) {
		close(s->fd);
		free(s);
		return err;
	}
	*sp = s;
	return 0;
}

/* The socket bound to to->local, else one on the same port bound to the wildcard, else the
 * first of the right family. */
static struct tp_sock *pick_sock(struct tp_mgr *m, const struct tp_peer *to)
{
	struct tp_sock *first = NULL, *port = NULL;
	int fam = sa_family(&to->remote);

	for (struct tp_sock *s = m->socks; s; s = s->next) {
		if (s->kind != TP_UDP || sa_family(&s->addr) != fam)
			continue;
		if (to->local.len) {
			if (sa_eq(&s->addr, &to->local))
				return s;
			if (!port && sa_is_any(&s->addr) && sa_port(&s->addr) == sa_port(&to->local))
				port = s;
		}
		if (!first)
			first = s;
	}
	return port ? port : first;
}

int tp_udp_send(struct tp_mgr *m, const struct tp_peer *to, const void *data, size_t len)
{
	struct tp_sock *s;

	if (!to->remote.len)
		return EINVAL;
	s = pick_sock(m, to);
	if (!s)
		return EADDRNOTAVAIL;
	if (sendto(s->fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL, &to->remote.u.sa,
		   to->remote.len) < 0)
		return errno;
	return 0;
}

void tp_udp_free(struct tp_mgr *m)
{
	free(m->udp);
	m->udp = NULL;
}

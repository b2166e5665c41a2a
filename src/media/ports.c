/* ports: the RTP/RTCP port pool. RTP on an even port, RTCP on the next odd one (RFC 3550
 * 11). Signalling thread only.
 *
 * Why a pool: binding a pair costs two socket, bind, setsockopt and close calls per call side,
 * a good part of a call set-up's CPU. A released pair keeps its sockets bound and waits in a
 * quarantine FIFO; once quarantine_ms have passed it is the first choice for the next bridge.
 *
 * Late packets: the old call's peer may still send for a moment after the hang-up. During the
 * quarantine what it sends stays in the socket's receive queue (nobody reads it), and the pair
 * is emptied (drained) when it is taken again, so nothing sent to the old call is ever relayed
 * in the new one; a pair still flooded when it is taken is closed instead. A pair is never
 * taken before its quarantine ends, even when no other port is free (ENOSPC then: the call is
 * refused with 503). Pairs never bound before are found with a rotating cursor that skips
 * ports another process holds, so a closed pair is also the last to be bound again.
 *
 * Bounds: cached sockets hold descriptors (at most max_cached pairs, a quarter of
 * RLIMIT_NOFILE by default; past it a released pair is closed) and, if their old peer keeps
 * sending, receive-queue memory until they are reused. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/rand.h"
#include "media/media_int.h"

enum {
	DSCP_EF = 0xb8, /* RFC 3246 expedited forwarding, in the TOS / traffic class octet */
	DRAIN_BATCH = 16,
};
#define NONE UINT32_MAX

static size_t default_max_cached(size_t npairs)
{
	struct rlimit rl;
	size_t n = npairs;

	/* Half the descriptors at most, two per pair. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur / 4 < n)
		n = (size_t)(rl.rlim_cur / 4);
	return n;
}

int ports_init(struct mports *p, const struct sa *addr, uint16_t port_min, uint16_t port_max,
	       uint32_t quarantine_ms, size_t max_cached)
{
	uint32_t first = (uint32_t)port_min + (port_min & 1u), r = 0;

	memset(p, 0, sizeof(*p));
	p->qhead = p->qtail = NONE;
	if (!addr || !addr->len || port_min == 0 || port_max < port_min || first + 1 > port_max)
		return EINVAL;
	p->addr = *addr;
	p->first = (uint16_t)first;
	p->npairs = (port_max - first + 1) / 2;
	p->pair = calloc(p->npairs, sizeof(*p->pair));
	if (!p->pair)
		return ENOMEM;
	p->quarantine_ms = quarantine_ms ? quarantine_ms : PORTS_QUARANTINE_MS;
	p->max_cached = max_cached ? max_cached : default_max_cached(p->npairs);
	/* Start anywhere: port numbers need not be predictable across restarts. */
	(void)rand_bytes(&r, sizeof(r));
	p->cursor = r % p->npairs;
	return 0;
}

static void close_pair(struct mpair *pr)
{
	for (int k = 0; k < 2; k++) {
		if (pr->fd[k] >= 0)
			close(pr->fd[k]);
		pr->fd[k] = -1;
	}
	pr->state = PAIR_FREE;
}

/* The oldest cached pair, out of the FIFO (still CACHED, sockets open). */
static uint32_t pop_oldest(struct mports *p)
{
	uint32_t i = p->qhead;

	if (i == NONE)
		return NONE;
	p->qhead = p->pair[i].next;
	if (p->qhead == NONE)
		p->qtail = NONE;
	p->ncached--;
	return i;
}

void ports_close(struct mports *p)
{
	uint32_t i;

	while ((i = pop_oldest(p)) != NONE)
		close_pair(&p->pair[i]);
	free(p->pair);
	p->pair = NULL;
	p->npairs = 0;
}

static int bind_one(const struct sa *base, uint16_t port, int *fdp)
{
	struct sa a = *base;
	int fd, one = 1, tos = DSCP_EF, err = 0;

	fd = socket(sa_family(&a), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	if (sa_family(&a) == AF_INET6) {
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof(tos));
	} else {
		(void)setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
	}
	/* The kernel's default buffers (about 200 KiB) hold over a second of a call's packets:
	 * no SO_RCVBUF/SO_SNDBUF, two system calls less per socket on the call set-up path. */
	sa_set_port(&a, port);
	if (bind(fd, &a.u.sa, a.len) < 0) {
		err = errno;
		close(fd);
		return err;
	}
	*fdp = fd;
	return 0;
}

static int bind_pair(const struct mports *p, uint16_t port, int *a, int *b)
{
	int err = bind_one(&p->addr, port, a);

	if (!err) {
		err = bind_one(&p->addr, (uint16_t)(port + 1), b);
		if (err)
			close(*a);
	}
	return err;
}

/* Drop what arrived since the pair's last call (each datagram truncated to one byte). false:
 * still more after PORTS_DRAIN_MAX, someone floods it. */
static bool drain(int fd)
{
	struct mmsghdr msg[DRAIN_BATCH];
	struct iovec iov[DRAIN_BATCH];
	uint8_t byte[DRAIN_BATCH];

	for (int i = 0; i < DRAIN_BATCH; i++) {
		iov[i] = (struct iovec){.iov_base = &byte[i], .iov_len = 1};
		msg[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[i], .msg_iovlen = 1}};
	}
	for (int got = 0; got < PORTS_DRAIN_MAX;) {
		int n = recvmmsg(fd, msg, DRAIN_BATCH, MSG_DONTWAIT, NULL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < DRAIN_BATCH)
			return true; /* empty now (EAGAIN) */
		got += n;
	}
	return false;
}

/* Both sockets, with one poll to find the usually empty ones (a recvmmsg each otherwise). */
static bool drain_pair(const struct mpair *pr)
{
	struct pollfd pfd[2] = {
		{.fd = pr->fd[0], .events = POLLIN},
		{.fd = pr->fd[1], .events = POLLIN},
	};
	int n = poll(pfd, 2, 0);

	if (n == 0)
		return true;
	for (int k = 0; k < 2; k++)
		if ((n < 0 || pfd[k].revents) && !drain(pr->fd[k]))
			return false;
	return true;
}

/* A cached pair past its quarantine, drained: its index, or NONE. */
static uint32_t take_cached(struct mports *p, uint64_t now_ms)
{
	while (p->qhead != NONE && now_ms - p->pair[p->qhead].released_ms >= p->quarantine_ms) {
		uint32_t i = pop_oldest(p);
		struct mpair *pr = &p->pair[i];

		if (drain_pair(pr))
			return i;
		close_pair(pr);
	}
	return NONE;
}

int ports_alloc(struct mports *p, uint64_t now_ms, int *fd_rtp, int *fd_rtcp, uint16_t *portp)
{
	uint32_t i = take_cached(p, now_ms);

	if (i != NONE) {
		struct mpair *pr = &p->pair[i];

		pr->state = PAIR_USED;
		*fd_rtp = pr->fd[0];
		*fd_rtcp = pr->fd[1];
		pr->fd[0] = pr->fd[1] = -1;
		*portp = (uint16_t)(p->first + 2 * i);
		return 0;
	}
	for (size_t tries = 0; tries < p->npairs; tries++) {
		size_t k = p->cursor;
		uint16_t port = (uint16_t)(p->first + 2 * k);
		int a = -1, b = -1, err;

		p->cursor = (p->cursor + 1) % p->npairs;
		if (p->pair[k].state != PAIR_FREE)
			continue;
		err = bind_pair(p, port, &a, &b);
		/* Out of descriptors: cached pairs give theirs back (closed, not reused early). */
		while ((err == EMFILE || err == ENFILE) && (i = pop_oldest(p)) != NONE) {
			close_pair(&p->pair[i]);
			err = bind_pair(p, port, &a, &b);
		}
		if (err == EADDRINUSE || err == EACCES)
			continue; /* someone else's port: try the next pair */
		if (err)
			return err;
		p->pair[k].state = PAIR_USED;
		*fd_rtp = a;
		*fd_rtcp = b;
		*portp = port;
		return 0;
	}
	return ENOSPC;
}

void ports_release(struct mports *p, uint16_t port, int fd_rtp, int fd_rtcp, uint64_t now_ms)
{
	struct mpair *pr;
	size_t i;

	if (port < p->first || (port - p->first) & 1 || (i = (size_t)(port - p->first) / 2) >=
							       p->npairs) {
		if (fd_rtp >= 0)
			close(fd_rtp);
		if (fd_rtcp >= 0)
			close(fd_rtcp);
		return;
	}
	pr = &p->pair[i];
	pr->fd[0] = fd_rtp;
	pr->fd[1] = fd_rtcp;
	if (fd_rtp < 0 || fd_rtcp < 0 || p->ncached >= p->max_cached) {
		close_pair(pr);
		return;
	}
	pr->state = PAIR_CACHED;
	pr->released_ms = now_ms;
	pr->next = NONE;
	if (p->qtail != NONE)
		p->pair[p->qtail].next = (uint32_t)i;
	else
		p->qhead = (uint32_t)i;
	p->qtail = (uint32_t)i;
	p->ncached++;
}

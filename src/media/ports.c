/* ports: the RTP/RTCP port pool. RTP on an even port, RTCP on the next odd one (RFC 3550
 * 11). A rotating cursor hands out the pair after the last one taken, so a port just freed is
 * the last to be reused and late packets of an old call do not land in a new one. Ports that
 * another process holds are skipped. Signalling thread only. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/rand.h"
#include "media/media_int.h"

enum {
	DSCP_EF = 0xb8, /* RFC 3246 expedited forwarding, in the TOS / traffic class octet */
};

int ports_init(struct mports *p, const struct sa *addr, uint16_t port_min, uint16_t port_max)
{
	uint32_t first = (uint32_t)port_min + (port_min & 1u), r = 0;

	memset(p, 0, sizeof(*p));
	if (!addr || !addr->len || port_min == 0 || port_max < port_min || first + 1 > port_max)
		return EINVAL;
	p->addr = *addr;
	p->first = (uint16_t)first;
	p->npairs = (port_max - first + 1) / 2;
	p->used = calloc(p->npairs, 1);
	if (!p->used)
		return ENOMEM;
	/* Start anywhere: port numbers need not be predictable across restarts. */
	(void)rand_bytes(&r, sizeof(r));
	p->cursor = r % p->npairs;
	return 0;
}

void ports_close(struct mports *p)
{
	free(p->used);
	p->used = NULL;
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

int ports_alloc(struct mports *p, int *fd_rtp, int *fd_rtcp, uint16_t *portp)
{
	for (size_t tries = 0; tries < p->npairs; tries++) {
		size_t i = p->cursor;
		uint16_t port = (uint16_t)(p->first + 2 * i);
		int a = -1, b = -1, err;

		p->cursor = (p->cursor + 1) % p->npairs;
		if (p->used[i])
			continue;
		err = bind_one(&p->addr, port, &a);
		if (!err) {
			err = bind_one(&p->addr, (uint16_t)(port + 1), &b);
			if (err)
				close(a);
		}
		if (err == EADDRINUSE || err == EACCES)
			continue; /* someone else's port: try the next pair */
		if (err)
			return err;
		p->used[i] = 1;
		*fd_rtp = a;
		*fd_rtcp = b;
		*portp = port;
		return 0;
	}
	return ENOSPC;
}

void ports_release(struct mports *p, uint16_t port)
{
	size_t i;

	if (port < p->first || (port - p->first) & 1)
		return;
	i = (size_t)(port - p->first) / 2;
	if (i < p->npairs)
		p->used[i] = 0;
}

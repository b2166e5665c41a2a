/* sa: numeric IPv4/IPv6 socket addresses; "[v6]:port" follows RFC 3986 section 3.2.2. */
#include "net/sa.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

int sa_set(struct sa *sa, struct pl host, uint16_t port)
{
	char buf[INET6_ADDRSTRLEN + 1];
	struct sa tmp;

	if (!sa || !host.p)
		return EINVAL;
	/* Tolerate "[::1]": SIP hands us Via and URI hosts with their brackets. */
	if (host.l >= 2 && host.p[0] == '[' && host.p[host.l - 1] == ']') {
		host.p++;
		host.l -= 2;
	}
	if (host.l == 0 || host.l >= sizeof(buf))
		return EINVAL;
	memcpy(buf, host.p, host.l);
	buf[host.l] = '\0';

	memset(&tmp, 0, sizeof(tmp));
	if (inet_pton(AF_INET, buf, &tmp.u.in.sin_addr) == 1) {
		tmp.u.in.sin_family = AF_INET;
		tmp.u.in.sin_port = htons(port);
		tmp.len = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, buf, &tmp.u.in6.sin6_addr) == 1) {
		tmp.u.in6.sin6_family = AF_INET6;
		tmp.u.in6.sin6_port = htons(port);
		tmp.len = sizeof(struct sockaddr_in6);
	} else {
		return EINVAL;
	}
	*sa = tmp;
	return 0;
}

static int parse_port(struct pl p, uint16_t *port)
{
	uint32_t v;

	if (pl_u32(p, 65535, &v))
		return EINVAL;
	*port = (uint16_t)v;
	return 0;
}

int sa_parse(struct sa *sa, const char *hostport, uint16_t default_port)
{
	struct pl s, host;
	uint16_t port = default_port;
	const char *colon;

	if (!sa || !hostport)
		return EINVAL;
	s = pl_from(hostport, strlen(hostport));
	if (s.l == 0)
		return EINVAL;

	if (s.p[0] == '[') {
		const char *end = pl_chr(s, ']');
		if (!end)
			return EINVAL;
		host = pl_from(s.p + 1, (size_t)(end - s.p - 1));
		struct pl rest = pl_from(end + 1, s.l - (size_t)(end + 1 - s.p));
		if (rest.l) {
			if (rest.p[0] != ':' || parse_port(pl_from(rest.p + 1, rest.l - 1), &port))
				return EINVAL;
		}
		/* Brackets hold IPv6 only. */
		if (!pl_chr(host, ':'))
			return EINVAL;
		return sa_set(sa, host, port);
	}

	colon = pl_chr(s, ':');
	if (colon && memchr(colon + 1, ':', s.l - (size_t)(colon + 1 - s.p))) {
		/* Several colons without brackets: a bare IPv6 address, no port. */
		return sa_set(sa, s, port);
	}
	if (colon) {
		host = pl_from(s.p, (size_t)(colon - s.p));
		if (parse_port(pl_from(colon + 1, s.l - host.l - 1), &port))
			return EINVAL;
	} else {
		host = s;
	}
	if (pl_chr(host, ':'))
		return EINVAL;
	return sa_set(sa, host, port);
}

uint16_t sa_port(const struct sa *sa)
{
	switch (sa_family(sa)) {
	case AF_INET:
		return ntohs(sa->u.in.sin_port);
	case AF_INET6:
		return ntohs(sa->u.in6.sin6_port);
	default:
		return 0;
	}
}

void sa_set_port(struct sa *sa, uint16_t port)
{
	switch (sa_family(sa)) {
	case AF_INET:
		sa->u.in.sin_port = htons(port);
		break;
	case AF_INET6:
		sa->u.in6.sin6_port = htons(port);
		break;
	default:
		break;
	}
}

int sa_family(const struct sa *sa)
{
	return (sa && sa->len) ? sa->u.sa.sa_family : AF_UNSPEC;
}

bool sa_eq_addr(const struct sa *a, const struct sa *b)
{
	int fam = sa_family(a);

	if (fam == AF_UNSPEC || fam != sa_family(b))
		return false;
	if (fam == AF_INET)
		return a->u.in.sin_addr.s_addr == b->u.in.sin_addr.s_addr;
	return memcmp(&a->u.in6.sin6_addr, &b->u.in6.sin6_addr, sizeof(struct in6_addr)) == 0 &&
	       a->u.in6.sin6_scope_id == b->u.in6.sin6_scope_id;
}

bool sa_eq(const struct sa *a, const struct sa *b)
{
	return sa_eq_addr(a, b) && sa_port(a) == sa_port(b);
}

bool sa_is_any(const struct sa *sa)
{
	switch (sa_family(sa)) {
	case AF_INET:
		return sa->u.in.sin_addr.s_addr == htonl(INADDR_ANY);
	case AF_INET6:
		return IN6_IS_ADDR_UNSPECIFIED(&sa->u.in6.sin6_addr);
	default:
		return false;
	}
}

/* Decimal digits of v at p; returns the end. */
static char *put_u(char *p, unsigned v)
{
	char d[10];
	int n = 0;

	do {
		d[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = d[--n];
	return p;
}

/* IPv4 by hand: inet_ntop goes through sprintf, and every message built or logged formats
 * an address or two. */
static void ip4_str(const struct in_addr *a, char out[16])
{
	const uint8_t *b = (const uint8_t *)&a->s_addr;
	char *p = out;

	for (int i = 0; i < 4; i++) {
		if (i)
			*p++ = '.';
		p = put_u(p, b[i]);
	}
	*p = '\0';
}

const char *sa_host_str(const struct sa *sa, char *buf, size_t size)
{
	int fam = sa_family(sa);

	if (!size)
		return buf;
	buf[0] = '\0';
	if (fam == AF_INET) {
		char tmp[16];

		ip4_str(&sa->u.in.sin_addr, tmp);
		if (strlen(tmp) < size)
			memcpy(buf, tmp, strlen(tmp) + 1);
	} else if (fam == AF_INET6 && size <= (socklen_t)-1 &&
		   !inet_ntop(fam, &sa->u.in6.sin6_addr, buf, (socklen_t)size)) {
		buf[0] = '\0';
	}
	return buf;
}

const char *sa_str(const struct sa *sa, char *buf, size_t size)
{
	char host[INET6_ADDRSTRLEN], tmp[INET6_ADDRSTRLEN + 8], *p = tmp;
	size_t n;

	if (!size)
		return buf;
	if (sa_family(sa) != AF_INET && sa_family(sa) != AF_INET6) {
		snprintf(buf, size, "(unset)");
		return buf;
	}
	sa_host_str(sa, host, sizeof(host));
	n = strlen(host);
	if (sa_family(sa) == AF_INET6)
		*p++ = '[';
	memcpy(p, host, n);
	p += n;
	if (sa_family(sa) == AF_INET6)
		*p++ = ']';
	*p++ = ':';
	p = put_u(p, sa_port(sa));
	/* truncated like snprintf */
	n = (size_t)(p - tmp) < size ? (size_t)(p - tmp) : size - 1;
	memcpy(buf, tmp, n);
	buf[n] = '\0';
	return buf;
}

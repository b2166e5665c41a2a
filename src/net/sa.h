/* sa: an IPv4 or IPv6 socket address. Numeric only: no DNS on the signalling thread. */
#ifndef SOTTO_NET_SA_H
#define SOTTO_NET_SA_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/pl.h"

struct sa {
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
		struct sockaddr_storage ss;
	} u;
	socklen_t len; /* 0: unset */
};

/* "host:port" and "[v6]:port", "host" alone takes default_port. 0 or EINVAL. */
int sa_parse(struct sa *sa, const char *hostport, uint16_t default_port);
/* Numeric host (no brackets) and port. 0 or EINVAL. */
int sa_set(struct sa *sa, struct pl host, uint16_t port);
uint16_t sa_port(const struct sa *sa);
void sa_set_port(struct sa *sa, uint16_t port);
int sa_family(const struct sa *sa);
/* Address and port equal. */
bool sa_eq(const struct sa *a, const struct sa *b);
/* Address only equal. */
bool sa_eq_addr(const struct sa *a, const struct sa *b);
bool sa_is_any(const struct sa *sa);

#define SA_STRLEN 64
/* "1.2.3.4" / "::1" into buf (size >= SA_STRLEN); returns buf. */
const char *sa_host_str(const struct sa *sa, char *buf, size_t size);
/* "1.2.3.4:5060" / "[::1]:5060" into buf (size >= SA_STRLEN); returns buf. */
const char *sa_str(const struct sa *sa, char *buf, size_t size);

#endif

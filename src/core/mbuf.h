/* mbuf: a growable byte buffer for building messages. Owns its memory. */
#ifndef SOTTO_CORE_MBUF_H
#define SOTTO_CORE_MBUF_H

#include <stddef.h>

#include "core/pl.h"

struct mbuf {
	char *buf;
	size_t len; /* bytes written */
	size_t cap;
	int err; /* sticky: first ENOMEM; later writes are no-ops */
};

void mbuf_init(struct mbuf *mb);
void mbuf_free(struct mbuf *mb);
void mbuf_reset(struct mbuf *mb);
int mbuf_write(struct mbuf *mb, const void *data, size_t len);
int mbuf_write_str(struct mbuf *mb, const char *s);
int mbuf_write_pl(struct mbuf *mb, struct pl pl);
int mbuf_printf(struct mbuf *mb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Make sure at least n more bytes fit without reallocating. */
int mbuf_reserve(struct mbuf *mb, size_t n);

#endif

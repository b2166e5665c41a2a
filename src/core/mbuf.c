/* mbuf: growable buffer with a sticky error so builders can check once at the end. */
#include "core/mbuf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mbuf_init(struct mbuf *mb)
{
	memset(mb, 0, sizeof(*mb));
}

void mbuf_free(struct mbuf *mb)
{
	free(mb->buf);
	mbuf_init(mb);
}

void mbuf_reset(struct mbuf *mb)
{
	mb->len = 0;
	mb->err = 0;
}

int mbuf_reserve(struct mbuf *mb, size_t n)
{
	if (mb->err)
		return mb->err;
	if (mb->cap - mb->len >= n + 1)
		return 0;
	size_t cap = mb->cap ? mb->cap : 256;
	while (cap - mb->len < n + 1)
		cap *= 2;
	char *b = realloc(mb->buf, cap);
	if (!b)
		return mb->err = ENOMEM;
	mb->buf = b;
	mb->cap = cap;
	return 0;
}

int mbuf_write(struct mbuf *mb, const void *data, size_t len)
{
	if (mbuf_reserve(mb, len))
		return mb->err;
	if (len)
		memcpy(mb->buf + mb->len, data, len);
	mb->len += len;
	mb->buf[mb->len] = '\0';
	return 0;
}

int mbuf_write_str(struct mbuf *mb, const char *s)
{
	return mbuf_write(mb, s, strlen(s));
}

int mbuf_write_pl(struct mbuf *mb, struct pl pl)
{
	return mbuf_write(mb, pl.p, pl.l);
}

int mbuf_printf(struct mbuf *mb, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (mbuf_reserve(mb, 64))
		return mb->err;
	va_start(ap, fmt);
	n = vsnprintf(mb->buf + mb->len, mb->cap - mb->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return mb->err = EINVAL;
	if ((size_t)n >= mb->cap - mb->len) {
		if (mbuf_reserve(mb, (size_t)n))
			return mb->err;
		va_start(ap, fmt);
		vsnprintf(mb->buf + mb->len, mb->cap - mb->len, fmt, ap);
		va_end(ap);
	}
	mb->len += (size_t)n;
	return 0;
}

/* mbuf: growable buffer with a sticky error so builders can check once at the end. */
#include "core/mbuf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
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

/* ---- printf ---- */

/* Whether fmt uses only the conversions the message builders use: %s %.*s %c %d %u %lu %zu
 * %llu %%. Those are formatted here: vsnprintf costs about a thousand instructions a call,
 * and a SIP message takes a dozen calls. Anything else (widths, flags) goes to vsnprintf. */
static bool fmt_simple(const char *f)
{
	for (; (f = strchr(f, '%')) != NULL; f++) {
		f++;
		if (*f == '%' || *f == 's' || *f == 'c' || *f == 'd' || *f == 'u')
			continue;
		if (f[0] == '.' && f[1] == '*' && f[2] == 's')
			f += 2;
		else if ((f[0] == 'z' || f[0] == 'l') && f[1] == 'u')
			f++;
		else if (f[0] == 'l' && f[1] == 'l' && f[2] == 'u')
			f += 2;
		else
			return false;
	}
	return true;
}

static void write_u(struct mbuf *mb, unsigned long long v, bool neg)
{
	char d[24];
	size_t i = sizeof(d);

	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if (neg)
		d[--i] = '-';
	mbuf_write(mb, d + i, sizeof(d) - i);
}

static void write_s(struct mbuf *mb, const char *s, int prec)
{
	if (!s)
		s = "(null)"; /* as glibc prints it */
	mbuf_write(mb, s, prec >= 0 ? strnlen(s, (size_t)prec) : strlen(s));
}

static int vprintf_simple(struct mbuf *mb, const char *fmt, va_list ap)
{
	for (const char *p = fmt; *p;) {
		const char *pct = strchr(p, '%');
		int d;

		if (!pct) {
			mbuf_write(mb, p, strlen(p));
			break;
		}
		if (pct > p)
			mbuf_write(mb, p, (size_t)(pct - p));
		p = pct + 1;
		switch (*p++) {
		case '%':
			mbuf_write(mb, "%", 1);
			break;
		case 'c': {
			char c = (char)va_arg(ap, int);
			mbuf_write(mb, &c, 1);
			break;
		}
		case 's':
			write_s(mb, va_arg(ap, const char *), -1);
			break;
		case 'd':
			d = va_arg(ap, int);
			write_u(mb, d < 0 ? 0ull - (unsigned long long)d : (unsigned long long)d, d < 0);
			break;
		case 'u':
			write_u(mb, va_arg(ap, unsigned), false);
			break;
		case '.': /* .*s */
			d = va_arg(ap, int);
			write_s(mb, va_arg(ap, const char *), d);
			p += 2;
			break;
		case 'z': /* zu */
			write_u(mb, va_arg(ap, size_t), false);
			p++;
			break;
		case 'l': /* lu, llu */
			if (*p == 'l') {
				write_u(mb, va_arg(ap, unsigned long long), false);
				p += 2;
			} else {
				write_u(mb, va_arg(ap, unsigned long), false);
				p++;
			}
			break;
		}
	}
	mbuf_write(mb, "", 0); /* terminated, as vsnprintf leaves it */
	return mb->err;
}

int mbuf_printf(struct mbuf *mb, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (mb->err)
		return mb->err;
	if (fmt_simple(fmt)) {
		va_start(ap, fmt);
		n = vprintf_simple(mb, fmt, ap);
		va_end(ap);
		return n;
	}
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

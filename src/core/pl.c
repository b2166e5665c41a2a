/* pl: pointer+length views. */
#include "core/pl.h"

#include <errno.h>
#include <string.h>

static inline char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

bool pl_eq_str(struct pl pl, const char *s)
{
	size_t n = strlen(s);
	return pl.l == n && (n == 0 || memcmp(pl.p, s, n) == 0);
}

bool pl_caseeq(struct pl a, struct pl b)
{
	if (a.l != b.l)
		return false;
	for (size_t i = 0; i < a.l; i++)
		if (lower(a.p[i]) != lower(b.p[i]))
			return false;
	return true;
}

bool pl_caseeq_str(struct pl pl, const char *s)
{
	return pl_caseeq(pl, pl_from(s, strlen(s)));
}

static inline bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

struct pl pl_trim(struct pl pl)
{
	while (pl.l && is_ws(pl.p[0])) {
		pl.p++;
		pl.l--;
	}
	while (pl.l && is_ws(pl.p[pl.l - 1]))
		pl.l--;
	return pl;
}

int pl_u32(struct pl pl, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;
	if (pl.l == 0)
		return EINVAL;
	for (size_t i = 0; i < pl.l; i++) {
		char c = pl.p[i];
		if (c < '0' || c > '9')
			return EINVAL;
		v = v * 10 + (uint64_t)(c - '0');
		if (v > max)
			return ERANGE;
	}
	*out = (uint32_t)v;
	return 0;
}

void pl_strcpy(struct pl pl, char *buf, size_t size)
{
	size_t n = pl.l < size - 1 ? pl.l : size - 1;
	if (n)
		memcpy(buf, pl.p, n);
	buf[n] = '\0';
}

const char *pl_chr(struct pl pl, char c)
{
	return pl.l ? memchr(pl.p, c, pl.l) : NULL;
}

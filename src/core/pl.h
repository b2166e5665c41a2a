/* pl: a pointer+length view into someone else's buffer (never owns, never NUL-terminated). */
#ifndef SOTTO_CORE_PL_H
#define SOTTO_CORE_PL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pl {
	const char *p;
	size_t l;
};

#define PL(s) ((struct pl){(s), sizeof(s) - 1})
#define PL_NULL ((struct pl){NULL, 0})
/* printf("%.*s", PL_ARG(x)) */
#define PL_ARG(x) (int)(x).l, (x).p

static inline struct pl pl_from(const char *p, size_t l)
{
	return (struct pl){p, l};
}

static inline bool pl_isset(struct pl pl)
{
	return pl.p != NULL;
}

/* Exact byte comparison with a C string. */
bool pl_eq_str(struct pl pl, const char *s);
/* ASCII case-insensitive comparison with a C string. */
bool pl_caseeq_str(struct pl pl, const char *s);
/* ASCII case-insensitive comparison of two views. */
bool pl_caseeq(struct pl a, struct pl b);
/* Trim SP and HTAB (and CR/LF) on both sides. */
struct pl pl_trim(struct pl pl);
/* Parse a decimal unsigned number that must fill the whole view. EINVAL or ERANGE. */
int pl_u32(struct pl pl, uint32_t max, uint32_t *out);
/* Copy into a NUL-terminated buffer; truncates, always terminates (size > 0). */
void pl_strcpy(struct pl pl, char *buf, size_t size);
/* Find the first occurrence of c; NULL if none. */
const char *pl_chr(struct pl pl, char c);

#endif

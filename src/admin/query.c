/* query: parsing of the admin API's query parameter values. */
#include "admin/query.h"

#include <errno.h>
#include <string.h>
#include <time.h>

int query_u32(const char *v, uint32_t max, uint32_t *out)
{
	uint64_t n = 0;
	if (!v)
		return 0;
	if (!*v || strlen(v) > 10)
		return *v ? ERANGE : EINVAL;
	for (const char *p = v; *p; p++) {
		if (*p < '0' || *p > '9')
			return EINVAL;
		n = n * 10 + (uint64_t)(*p - '0');
	}
	if (n > max)
		return ERANGE;
	*out = (uint32_t)n;
	return 0;
}

int query_i64(const char *v, int64_t *out)
{
	int64_t n = 0;
	if (!v)
		return 0;
	if (!*v)
		return EINVAL;
	for (const char *p = v; *p; p++) {
		if (*p < '0' || *p > '9')
			return EINVAL;
		if (n > (INT64_MAX - 9) / 10)
			return ERANGE;
		n = n * 10 + (*p - '0');
	}
	*out = n;
	return 0;
}

/* Exactly n digits at *p, advancing it. -1 if not. */
static int digits(const char **p, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		char c = (*p)[i];
		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	*p += n;
	return v;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int query_time(const char *v, int64_t *out)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	const char *p = v;
	int y, mo, d, h = 0, mi = 0, s = 0, ms = 0, off = 0;

	if (!v)
		return 0;
	if (!strchr(v, '-')) { /* unix seconds */
		int64_t secs;
		if (query_i64(v, &secs) || secs > INT64_MAX / 1000)
			return EINVAL;
		*out = secs * 1000;
		return 0;
	}
	if ((y = digits(&p, 4)) < 0 || *p++ != '-' || (mo = digits(&p, 2)) < 1 || mo > 12 ||
	    *p++ != '-' || (d = digits(&p, 2)) < 1 || d > mdays[mo - 1] + (mo == 2 && leap(y)))
		return EINVAL;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if ((h = digits(&p, 2)) < 0 || h > 23 || *p++ != ':' || (mi = digits(&p, 2)) < 0 ||
		    mi > 59 || *p++ != ':' || (s = digits(&p, 2)) < 0 || s > 60)
			return EINVAL;
		if (*p == '.') {
			p++;
			int n = 0;
			for (; *p >= '0' && *p <= '9'; p++, n++)
				if (n < 3)
					ms = ms * 10 + (*p - '0');
			if (!n)
				return EINVAL;
			for (; n < 3; n++)
				ms *= 10;
		}
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int sign = *p++ == '-' ? -1 : 1, oh, om;
			if ((oh = digits(&p, 2)) < 0 || oh > 23 || *p++ != ':' ||
			    (om = digits(&p, 2)) < 0 || om > 59)
				return EINVAL;
			off = sign * (oh * 60 + om);
		} else {
			return EINVAL; /* a time without a zone would be ambiguous */
		}
	}
	if (*p)
		return EINVAL;
	int64_t secs = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 +
	               s - (int64_t)off * 60;
	*out = secs * 1000 + ms;
	return 0;
}

bool query_number_ok(const char *v)
{
	size_t n = v ? strlen(v) : 0;
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("0123456789*#+._@-", v[i]) &&
		    !((v[i] | 0x20) >= 'a' && (v[i] | 0x20) <= 'z'))
			return false;
	return true;
}

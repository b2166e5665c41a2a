/* dialpat: Asterisk-style dial patterns (see dialpat.h and docs/dialplan.md). Patterns are short
 * and each element matches one character, except a final '.' or '!', so matching is one pass
 * without backtracking. */
#include "conf/dialpat.h"

#include <string.h>

static bool dial_char(char c)
{
	return (c >= '0' && c <= '9') || c == '*' || c == '#' || c == '+';
}

static bool digit(char c)
{
	return c >= '0' && c <= '9';
}

bool dialpat_number_ok(const char *s, size_t len)
{
	if (!s || len == 0 || len > DIALPAT_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!dial_char(s[i]))
			return false;
	return true;
}

/* A set "[...]" starting at p[0] == '[': its length through ']' (0 if malformed, with why). */
static size_t set_len(const char *p, size_t avail, const char **why)
{
	size_t i = 1, items = 0;

	while (i < avail && p[i] != ']') {
		if (!digit(p[i])) {
			*why = "a [set] holds digits and ranges like 1-5 only";
			return 0;
		}
		if (i + 1 < avail && p[i + 1] == '-') {
			if (i + 2 >= avail || !digit(p[i + 2])) {
				*why = "a range in a [set] needs a digit on both sides of '-'";
				return 0;
			}
			if (p[i + 2] < p[i]) {
				*why = "a range in a [set] must go upwards, like 1-5";
				return 0;
			}
			i += 3;
		} else {
			i++;
		}
		items++;
	}
	if (i >= avail) {
		*why = "'[' without a closing ']'";
		return 0;
	}
	if (!items) {
		*why = "empty []";
		return 0;
	}
	return i + 1;
}

/* Whether c is in the set starting at p[0] == '[' (already validated). */
static bool in_set(const char *p, char c)
{
	for (size_t i = 1; p[i] != ']';) {
		if (p[i + 1] == '-') {
			if (c >= p[i] && c <= p[i + 2])
				return true;
			i += 3;
		} else {
			if (c == p[i])
				return true;
			i++;
		}
	}
	return false;
}

const char *dialpat_check(const char *pat, size_t len)
{
	const char *why = NULL;
	size_t i = 0, elems = 0;

	if (!pat)
		return "empty pattern";
	if (len && pat[0] == '_')
		i++;
	if (len > DIALPAT_MAX + 1 || len - i > DIALPAT_MAX)
		return "pattern too long (at most 63 characters)";
	if (i == len)
		return "empty pattern";
	while (i < len) {
		char c = pat[i];
		switch (c) {
		case 'X': case 'x': case 'Z': case 'z': case 'N': case 'n':
			i++;
			break;
		case '.':
		case '!':
			if (i + 1 != len)
				return "'.' and '!' may only end a pattern";
			i++;
			break;
		case '[': {
			size_t n = set_len(pat + i, len - i, &why);
			if (!n)
				return why;
			i += n;
			break;
		}
		case ']':
			return "']' without '['";
		default:
			if (!dial_char(c))
				return "expected digits, * # +, X Z N, [sets], or a final . or !";
			i++;
			break;
		}
		elems++;
	}
	return elems ? NULL : "empty pattern";
}

bool dialpat_match(const char *pat, const char *dialled)
{
	size_t d = 0, dl;

	if (!pat || !dialled)
		return false;
	dl = strlen(dialled);
	if (!dialpat_number_ok(dialled, dl) || dialpat_check(pat, strlen(pat)))
		return false;
	if (*pat == '_')
		pat++;
	for (const char *p = pat; *p;) {
		char c = dialled[d];
		switch (*p) {
		case '.':
			return d < dl; /* one or more of anything left */
		case '!':
			return true;
		case 'X': case 'x':
			if (!digit(c))
				return false;
			p++;
			break;
		case 'Z': case 'z':
			if (c < '1' || c > '9')
				return false;
			p++;
			break;
		case 'N': case 'n':
			if (c < '2' || c > '9')
				return false;
			p++;
			break;
		case '[':
			if (!c || !in_set(p, c))
				return false;
			p = strchr(p, ']') + 1;
			break;
		default:
			if (c != *p)
				return false;
			p++;
			break;
		}
		d++;
	}
	return d == dl;
}

size_t dialpat_min_len(const char *pat)
{
	size_t n = 0;

	if (!pat)
		return 0;
	if (*pat == '_')
		pat++;
	for (const char *p = pat; *p; n++) {
		if (*p == '!')
			break;
		if (*p == '[') {
			const char *e = strchr(p, ']');
			if (!e)
				break;
			p = e + 1;
		} else {
			p++;
		}
	}
	return n;
}

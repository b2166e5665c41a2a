/* ini: the INI reader. Syntax only: "[name]" / "[name arg]" headers, "key = value" lines,
 * ';' or '#' comments at line start or after whitespace, double-quoted values with \" and \\
 * escapes. Every syntax error is an event; the reader always goes on with the next line so the
 * caller can report all problems in one pass. */
#include "conf/ini.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

struct reader {
	ini_h *h;
	void *arg;
	struct ini_item it; /* section and arg persist from their header on */
	bool skip;	    /* in the body of a malformed header: drop keys silently */
	char msg[256];
	char scratch[INI_LINE_MAX + 1]; /* unescaped quoted values */
};

static bool is_sp(char c)
{
	return c == ' ' || c == '\t';
}

/* Section and key names: ASCII letters, digits, '_', '-', '.'. */
static bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.';
}

/* A section argument: printable, no space, no brackets or quotes. */
static bool is_arg_char(char c)
{
	return c > ' ' && c < 0x7f && c != '[' && c != ']' && c != '"';
}

static bool is_ctl(char c)
{
	unsigned char u = (unsigned char)c;
	return (u < 0x20 && u != '\t') || u == 0x7f;
}

/* ';' or '#' preceded by whitespace starts a comment. p[-1] must be readable. */
static bool is_comment_at(const char *p)
{
	return (*p == ';' || *p == '#') && is_sp(p[-1]);
}

static bool fail(struct reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Format a message for the next emit(); returns false for "return fail(...)". */
static bool fail(struct reader *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
	return false;
}

/* key: PL_NULL, or the key of a line whose value is bad */
static int emit_error(struct reader *r, struct pl key)
{
	r->it.key = key;
	r->it.value = PL_NULL;
	r->it.quoted = false;
	r->it.msg = r->msg;
	return r->h(INI_ERROR, &r->it, r->arg);
}

#define report(r, ...) (fail((r), __VA_ARGS__), emit_error((r), PL_NULL))

/* l is trimmed and starts with '['. */
static int parse_header(struct reader *r, struct pl l)
{
	const char *end = pl_chr(l, ']');

	/* whatever follows belongs to this header, good or bad */
	r->it.section = PL_NULL;
	r->it.arg = PL_NULL;
	r->skip = true;
	if (!end)
		return report(r, "section header without closing ']'");

	struct pl in = pl_trim(pl_from(l.p + 1, (size_t)(end - l.p - 1)));
	struct pl rest = pl_trim(pl_from(end + 1, l.l - (size_t)(end + 1 - l.p)));
	if (rest.l && rest.p[0] != ';' && rest.p[0] != '#')
		return report(r, "junk after section header: '%.*s'", PL_ARG(rest));

	size_t i = 0;
	while (i < in.l && is_name_char(in.p[i]))
		i++;
	struct pl name = pl_from(in.p, i);
	struct pl arg = pl_trim(pl_from(in.p + i, in.l - i));
	if (!name.l)
		return report(r, "missing section name in '%.*s'", PL_ARG(l));
	if (i < in.l && !is_sp(in.p[i]))
		return report(r, "bad character in section name '%.*s'", PL_ARG(in));
	for (size_t k = 0; k < arg.l; k++) {
		if (is_sp(arg.p[k]))
			return report(r, "[%.*s] takes one argument, found '%.*s'", PL_ARG(name),
				      PL_ARG(arg));
		if (!is_arg_char(arg.p[k]))
			return report(r, "bad character in section argument '%.*s'", PL_ARG(arg));
	}

	r->skip = false;
	r->it.section = name;
	r->it.arg = arg.l ? arg : PL_NULL;
	r->it.key = PL_NULL;
	r->it.value = PL_NULL;
	r->it.quoted = false;
	r->it.msg = NULL;
	return r->h(INI_SECTION, &r->it, r->arg);
}

/* v starts right after the opening quote; the unescaped text goes to r->scratch. Never echoes
 * the value in messages: it may be a password. */
static bool parse_quoted(struct reader *r, struct pl key, struct pl v, struct pl *out)
{
	size_t o = 0, k;
	bool closed = false;

	for (k = 0; k < v.l; k++) {
		char c = v.p[k];
		if (c == '"') {
			closed = true;
			break;
		}
		if (c == '\\') {
			if (k + 1 == v.l)
				break;
			c = v.p[++k];
			if (c != '"' && c != '\\')
				return fail(r,
					    "%.*s: unknown escape in quoted value (only \\\" and "
					    "\\\\)",
					    PL_ARG(key));
		}
		r->scratch[o++] = c;
	}
	if (!closed)
		return fail(r, "%.*s: unterminated quoted value", PL_ARG(key));

	struct pl rest = pl_trim(pl_from(v.p + k + 1, v.l - k - 1));
	if (rest.l && rest.p[0] != ';' && rest.p[0] != '#')
		return fail(r, "%.*s: junk after the closing quote", PL_ARG(key));
	*out = pl_from(r->scratch, o);
	return true;
}

/* l is trimmed, non-empty, not a comment and not a header. */
static int parse_key(struct reader *r, struct pl l)
{
	size_t eq;
	for (eq = 0; eq < l.l; eq++) {
		if (l.p[eq] == '=' || (eq > 0 && is_comment_at(l.p + eq)))
			break;
	}
	if (eq == l.l || l.p[eq] != '=') {
		if (r->skip)
			return 0;
		return report(r, "missing '=' (expected key = value)"); /* no echo: secrets */
	}

	struct pl key = pl_trim(pl_from(l.p, eq));
	if (r->skip)
		return 0;
	if (!key.l)
		return report(r, "missing key before '='");
	for (size_t i = 0; i < key.l; i++)
		if (!is_name_char(key.p[i]))
			return report(r, "bad key name '%.*s'", PL_ARG(key));
	if (!pl_isset(r->it.section))
		return report(r, "key '%.*s' outside any section", PL_ARG(key));

	struct pl v = pl_from(l.p + eq + 1, l.l - eq - 1);
	while (v.l && is_sp(v.p[0])) {
		v.p++;
		v.l--;
	}
	bool quoted = v.l && v.p[0] == '"';
	if (quoted) {
		if (!parse_quoted(r, key, pl_from(v.p + 1, v.l - 1), &v))
			return emit_error(r, key);
	} else {
		size_t e = 0;
		while (e < v.l && !is_comment_at(v.p + e)) /* v.p[-1] is '=' or blank */
			e++;
		v = pl_trim(pl_from(v.p, e));
	}
	for (size_t i = 0; i < v.l; i++) {
		if (is_ctl(v.p[i])) {
			fail(r, "%.*s: control character in value", PL_ARG(key));
			return emit_error(r, key);
		}
	}

	r->it.key = key;
	r->it.value = v;
	r->it.quoted = quoted;
	r->it.msg = NULL;
	return r->h(INI_KEY, &r->it, r->arg);
}

static int parse_line(struct reader *r, struct pl raw)
{
	if (raw.l && raw.p[raw.l - 1] == '\r')
		raw.l--;
	if (raw.l > INI_LINE_MAX)
		return report(r, "line too long (%zu bytes, at most %d)", raw.l, INI_LINE_MAX);
	if (raw.l && memchr(raw.p, '\0', raw.l))
		return report(r, "NUL byte in line");

	struct pl l = pl_trim(raw);
	if (!l.l || l.p[0] == ';' || l.p[0] == '#')
		return 0;
	if (l.p[0] == '[')
		return parse_header(r, l);
	return parse_key(r, l);
}

int ini_parse(const char *buf, size_t len, ini_h *h, void *arg)
{
	struct reader *r;
	int err = 0;

	if (!h || (!buf && len))
		return EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return ENOMEM;
	r->h = h;
	r->arg = arg;
	r->it.section = PL_NULL;
	r->it.arg = PL_NULL;

	if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3)) { /* UTF-8 byte order mark */
		buf += 3;
		len -= 3;
	}
	size_t pos = 0;
	for (int line = 1; pos < len; line++) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (buf + pos)) : len - pos;
		r->it.line = line;
		err = parse_line(r, pl_from(buf + pos, n));
		if (err)
			break;
		pos += n + (nl ? 1 : 0);
	}

	OPENSSL_cleanse(r, sizeof(*r)); /* the scratch buffer may hold a password */
	free(r);
	return err;
}

int ini_file_read(const char *path, char **bufp, size_t *lenp)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int fd, err = 0;

	if (!path || !bufp || !lenp)
		return EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		err = EISDIR;
		goto out;
	}
	for (;;) {
		if (cap - len < 4096 + 1) {
			/* grow by hand: realloc could leave a copy of a password behind */
			size_t ncap = cap ? cap * 2 : 8192;
			if (ncap > (size_t)INI_FILE_MAX + 4096 + 1)
				ncap = (size_t)INI_FILE_MAX + 4096 + 1;
			char *nb = malloc(ncap);
			if (!nb) {
				err = ENOMEM;
				goto out;
			}
			if (len)
				memcpy(nb, buf, len);
			ini_file_free(buf, len);
			buf = nb;
			cap = ncap;
		}
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = errno;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > INI_FILE_MAX) {
			err = EFBIG;
			goto out;
		}
	}
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
	buf = NULL;
out:
	ini_file_free(buf, len);
	close(fd);
	return err;
}

void ini_file_free(char *buf, size_t len)
{
	if (!buf)
		return;
	OPENSSL_cleanse(buf, len);
	free(buf);
}

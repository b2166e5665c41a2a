/* json: JSON (RFC 8259) and CSV (RFC 4180) writers for the admin API. */
#include "core/json.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlongs, no surrogates, at most
 * U+10FFFF), or 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t need;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		need = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < need)
		return 0;
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((need == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (need == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return need;
}

void json_strn(struct mbuf *mb, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0;

	mbuf_write(mb, "\"", 1);
	while (i < len) {
		unsigned char c = p[i];
		size_t u = c >= 0x20 && c != '"' && c != '\\' ? utf8_len(p + i, len - i) : 0;
		if (u) { /* copied as is, in runs */
			i += u;
			run += u;
			continue;
		}
		mbuf_write(mb, s + i - run, run);
		run = 0;
		char esc[8];
		switch (c) {
		case '"':
			mbuf_write(mb, "\\\"", 2);
			break;
		case '\\':
			mbuf_write(mb, "\\\\", 2);
			break;
		case '\n':
			mbuf_write(mb, "\\n", 2);
			break;
		case '\r':
			mbuf_write(mb, "\\r", 2);
			break;
		case '\t':
			mbuf_write(mb, "\\t", 2);
			break;
		case '\b':
			mbuf_write(mb, "\\b", 2);
			break;
		case '\f':
			mbuf_write(mb, "\\f", 2);
			break;
		default:
			if (c < 0x20) {
				memcpy(esc, "\\u00", 4);
				esc[4] = hex[c >> 4];
				esc[5] = hex[c & 15];
				mbuf_write(mb, esc, 6);
			} else {
				mbuf_write(mb, "\\ufffd", 6); /* invalid UTF-8 byte */
			}
			break;
		}
		i++;
	}
	mbuf_write(mb, s + i - run, run);
	mbuf_write(mb, "\"", 1);
}

void json_str(struct mbuf *mb, const char *s)
{
	if (!s)
		mbuf_write(mb, "null", 4);
	else
		json_strn(mb, s, strlen(s));
}

void json_key(struct mbuf *mb, const char *key, bool first)
{
	if (!first)
		mbuf_write(mb, ",", 1);
	json_str(mb, key);
	mbuf_write(mb, ":", 1);
}

void json_kv_str(struct mbuf *mb, const char *key, const char *v, bool first)
{
	json_key(mb, key, first);
	json_str(mb, v);
}

void json_kv_i64(struct mbuf *mb, const char *key, int64_t v, bool first)
{
	json_key(mb, key, first);
	mbuf_printf(mb, "%" PRId64, v);
}

void json_kv_u64(struct mbuf *mb, const char *key, uint64_t v, bool first)
{
	json_key(mb, key, first);
	mbuf_printf(mb, "%" PRIu64, v);
}

void json_kv_bool(struct mbuf *mb, const char *key, bool v, bool first)
{
	json_key(mb, key, first);
	mbuf_write_str(mb, v ? "true" : "false");
}

void json_kv_f64(struct mbuf *mb, const char *key, double v, bool first)
{
	json_key(mb, key, first);
	if (!isfinite(v))
		mbuf_write_str(mb, "null");
	else
		mbuf_printf(mb, "%.3f", v);
}

void json_time_str(int64_t unix_ms, char *buf, size_t size)
{
	struct tm tm;
	time_t t = (time_t)(unix_ms / 1000);
	if (!unix_ms || !gmtime_r(&t, &tm)) {
		if (size)
			buf[0] = '\0';
		return;
	}
	/* truncation is the caller's choice of size: a short buffer gets a cut string */
	if (snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		     (int)(unix_ms % 1000)) < 0 && size)
		buf[0] = '\0';
}

void json_kv_time(struct mbuf *mb, const char *key, int64_t unix_ms, bool first)
{
	char buf[40];
	json_time_str(unix_ms, buf, sizeof(buf));
	json_kv_str(mb, key, unix_ms ? buf : NULL, first);
}

/* What a spreadsheet would evaluate: '=' or '@' first, a leading tab or CR, or '+' / '-' followed
 * by anything but a number (so "+4930123456" and "-5" stay as they are). */
static bool is_formula(const char *s)
{
	if (strchr("=@\t\r", s[0]))
		return true;
	if (s[0] != '+' && s[0] != '-')
		return false;
	if (!s[1])
		return true;
	for (const char *p = s + 1; *p; p++)
		if (!((*p >= '0' && *p <= '9') || *p == '.'))
			return true;
	return false;
}

void csv_field(struct mbuf *mb, const char *s)
{
	if (!s || !*s)
		return;
	bool formula = is_formula(s);
	if (!formula && !strpbrk(s, ",\"\r\n")) {
		mbuf_write_str(mb, s);
		return;
	}
	mbuf_write(mb, "\"", 1);
	if (formula)
		mbuf_write(mb, "'", 1);
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			mbuf_write(mb, "\"", 1);
		mbuf_write(mb, p, 1);
	}
	mbuf_write(mb, "\"", 1);
}

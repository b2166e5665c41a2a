/* json: writing JSON (RFC 8259) and CSV (RFC 4180) text into an mbuf. Writers only: Sotto never
 * parses JSON. Errors are the mbuf's sticky ENOMEM. */
#ifndef SOTTO_CORE_JSON_H
#define SOTTO_CORE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/mbuf.h"

/* A quoted JSON string: '"', '\\' and control characters escaped (RFC 8259 section 7), bytes
 * that are not valid UTF-8 replaced by U+FFFD so the output is always valid JSON. NULL writes
 * null. */
void json_str(struct mbuf *mb, const char *s);
void json_strn(struct mbuf *mb, const char *s, size_t len);
/* "key": (with a leading comma unless first) */
void json_key(struct mbuf *mb, const char *key, bool first);
/* ,"key":value helpers for objects; the first member of an object is written with first=true */
void json_kv_str(struct mbuf *mb, const char *key, const char *v, bool first);
void json_kv_i64(struct mbuf *mb, const char *key, int64_t v, bool first);
void json_kv_u64(struct mbuf *mb, const char *key, uint64_t v, bool first);
void json_kv_bool(struct mbuf *mb, const char *key, bool v, bool first);
/* A finite number with up to 3 decimals; NaN and infinities become null. */
void json_kv_f64(struct mbuf *mb, const char *key, double v, bool first);
/* A unix ms time as an RFC 3339 UTC string ("2024-05-01T12:00:00.250Z"); 0 writes null. */
void json_kv_time(struct mbuf *mb, const char *key, int64_t unix_ms, bool first);
/* The same time text into buf (size >= 32); "" for 0. */
void json_time_str(int64_t unix_ms, char *buf, size_t size);

/* One CSV field: quoted when it holds a comma, quote, CR or LF (quotes doubled). A field a
 * spreadsheet would run as a formula ('=' or '@' first, or '+'/'-' not followed by a plain
 * number: "+4930123" stays as it is) gets a leading "'" (OWASP CSV injection). NULL writes an
 * empty field. */
void csv_field(struct mbuf *mb, const char *s);

#endif

/* query: values of the admin API's query parameters (already percent-decoded by the HTTP
 * library): bounded numbers and times. Pure functions, unit-tested in tests/test_admin.c. */
#ifndef SOTTO_ADMIN_QUERY_H
#define SOTTO_ADMIN_QUERY_H

#include <stdbool.h>
#include <stdint.h>

/* A decimal number 0..max, digits only (no sign, no spaces). NULL leaves *out as it is and
 * returns 0 (the parameter is optional). 0, EINVAL or ERANGE. */
int query_u32(const char *v, uint32_t max, uint32_t *out);
/* The same for event ids and other 63-bit counters. */
int query_i64(const char *v, int64_t *out);
/* A point in time as unix milliseconds: an RFC 3339 UTC date ("2024-05-01"), date-time
 * ("2024-05-01T12:30:00Z", optional fraction, "Z" or a +hh:mm / -hh:mm offset), or unix
 * seconds ("1714566600"). NULL leaves *out as it is and returns 0. 0 or EINVAL. */
int query_time(const char *v, int64_t *out);
/* An extension or caller/callee number filter: 1-64 characters of [0-9A-Za-z*#+._@-]. */
bool query_number_ok(const char *v);

#endif

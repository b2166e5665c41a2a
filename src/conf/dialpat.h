/* dialpat: dial patterns in the Asterisk style, for outbound routes (docs/dialplan.md). A pattern
 * is a value type of the configuration, so the loader validates it with the same code that
 * matches it (src/pbx/route.c).
 *
 *   0-9 * # +   that character
 *   X           any digit 0-9        Z  1-9        N  2-9      (upper or lower case)
 *   [1-5] [137] one digit of the set (digits and ranges)
 *   .           one or more characters, whatever they are (last in the pattern only)
 *   !           zero or more characters (last in the pattern only)
 *
 * A leading '_' (Asterisk's pattern marker) is allowed and ignored. A pattern matches the whole
 * dialled string. Dialled strings hold 0-9, '*', '#' and '+' only. */
#ifndef SOTTO_CONF_DIALPAT_H
#define SOTTO_CONF_DIALPAT_H

#include <stdbool.h>
#include <stddef.h>

#define DIALPAT_MAX 63 /* characters in a pattern or a dialled string */

/* NULL when pat[0..len) is a valid pattern, else a short reason (a static string). */
const char *dialpat_check(const char *pat, size_t len);
/* Whether the dialled string matches the (valid) pattern. false for an invalid pattern or a
 * dialled string with other characters. */
bool dialpat_match(const char *pat, const char *dialled);
/* The fewest characters a matching string has (a valid pattern). */
size_t dialpat_min_len(const char *pat);
/* A dialled string's syntax: 1 to DIALPAT_MAX of 0-9 * # +. */
bool dialpat_number_ok(const char *s, size_t len);

#endif

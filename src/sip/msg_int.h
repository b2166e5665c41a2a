/* Private to src/sip/{msg,uri,hdr,build}.c: character classes of the RFC 3261 grammar (section
 * 25.1) and the small scanners the message, URI and header parsers share. */
#ifndef SOTTO_SIP_MSG_INT_H
#define SOTTO_SIP_MSG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/pl.h"
#include "sip/msg.h"

/* One table lookup per byte instead of chains of comparisons: the parser's inner loops. */
#define CC_TOKEN 0x0001 /* token: alphanum - . ! % * _ + ` ' ~ */
#define CC_UNRES 0x0002 /* unreserved: alphanum mark */
#define CC_USER 0x0004  /* user: unreserved and & = + $ , ; ? / (escapes apart) */
#define CC_PASS 0x0008  /* password: unreserved and & = + $ , */
#define CC_PARAM 0x0010 /* paramchar: unreserved and [ ] / : & + $ */
#define CC_HNV 0x0020   /* hname/hvalue: unreserved and [ ] / ? : + $ */
#define CC_HOST 0x0040  /* hostname and IPv4: alphanum - . (and _, seen in the wild) */
#define CC_WORD 0x0080  /* word (Call-ID): token and ( ) < > : \ " / [ ] ? { } */
#define CC_WS 0x0100    /* SP HTAB CR LF: inside a header value CR/LF only occur in a fold */
#define CC_DIGIT 0x0200
#define CC_HEX 0x0400
#define CC_ALPHA 0x0800
#define CC_SCHEME 0x1000 /* scheme: alphanum + - . */
#define CC_TEL 0x2000    /* tel: number digits, hex digits, * # + and visual separators */
#define CC_URIC 0x4000   /* any RFC 3986 URI character, for schemes we only carry */

extern const uint16_t sip_cc[256];

static inline bool cc_is(char c, uint16_t cls) { return (sip_cc[(unsigned char)c] & cls) != 0; }

static inline const char *sip_skip_ws(const char *p, const char *end)
{
	while (p < end && cc_is(*p, CC_WS))
		p++;
	return p;
}

/* Run of bytes in cls; with esc, "%" HEX HEX counts as one member (a bad escape stops the run). */
static inline const char *sip_scan(const char *p, const char *end, uint16_t cls, bool esc)
{
	while (p < end) {
		if (cc_is(*p, cls)) {
			p++;
		} else if (esc && *p == '%' && end - p >= 3 && cc_is(p[1], CC_HEX) &&
		           cc_is(p[2], CC_HEX)) {
			p += 3;
		} else {
			break;
		}
	}
	return p;
}

static inline char sip_lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c; }

/* Case-insensitive comparison of n bytes with a lower-case literal. */
static inline bool sip_ci_eq(const char *p, const char *lit, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (sip_lower(p[i]) != lit[i])
			return false;
	return true;
}

/* Decimal digits filling [p, end), at most max. EBADMSG when empty, not digits or too large.
 * Leading zeros are fine (RFC 4475 3.1.1.1). */
int sip_dec(const char *p, const char *end, uint64_t max, uint64_t *out);

/* p at a '"': the byte after the closing quote (RFC 3261 25.1 quoted-string, quoted-pair may
 * escape any octet but CR and LF), or NULL when unterminated or holding a control byte. */
const char *sip_quoted_end(const char *p, const char *end);

/* A host: "[" IPv6 "]" or hostname/IPv4. Returns the byte after it, NULL when malformed; *host
 * is the name without brackets. */
const char *sip_host_scan(const char *p, const char *end, struct pl *host, bool *ipv6);

/* Called for each generic-param of a header value; value is not set (p == NULL) for a bare
 * name, otherwise the token, host or the inside of the quoted string. Non-zero stops. */
typedef int(sip_gparam_h)(struct pl name, struct pl value, void *arg);

/* *( SEMI generic-param ) over [p, end) (RFC 3261 25.1), LWS allowed around ; and =.
 * 0, EBADMSG, or what h returned. */
int sip_gparams(const char *p, const char *end, sip_gparam_h *h, void *arg);

#endif

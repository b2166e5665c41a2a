/* Building SIP messages into an mbuf. */
#ifndef SOTTO_SIP_BUILD_H
#define SOTTO_SIP_BUILD_H

#include <stdint.h>

#include "core/mbuf.h"
#include "net/sa.h"
#include "sip/msg.h"

/* Default reason phrase for a status code ("OK", "Bad Request", ...). */
const char *sip_reason_phrase(uint16_t code);

/* A response to req (RFC 3261 8.2.6): all Via headers copied in order, the top one given
 * received= (when the sent-by host differs from src's address) and rport=<port> (when the
 * request asked for rport), RFC 3581; From, Call-ID and CSeq copied; To copied and given
 * ;tag=to_tag if it has none and to_tag is non-NULL. reason NULL means the default phrase.
 * extra_hdrs: NULL or raw header lines, each ending in CRLF. body may be PL_NULL; content_type
 * is required when the body is not empty. Content-Length is always written.
 * Appends to mb; EINVAL for bad arguments (a to_tag that is not a token, extra_hdrs not made
 * of CRLF-terminated lines, a content_type with control characters), ENOMEM from mb. Reason
 * phrases lose any control characters (no header injection through a reason). */
int sip_build_response(struct mbuf *mb, const struct sip_msg *req, const struct sa *src,
		       uint16_t code, const char *reason, const char *to_tag,
		       const char *extra_hdrs, struct pl body, const char *content_type);

/* The reply that can be routed for a message whose parse failed with req->can_reply set:
 * 400 (or 513 when oversize) with req->error as the reason phrase. code 400 or 0 sends the
 * parser's req->error_scode, which is 400 except 505 for an unsupported SIP version. A To tag
 * is made up when the request had none. EINVAL for a response or when !can_reply. */
int sip_build_error_response(struct mbuf *mb, const struct sip_msg *req, const struct sa *src,
			     uint16_t code);

/* A fresh random token for tags and Call-IDs (len chars + NUL into buf). */
int sip_random_token(char *buf, size_t len);
/* A fresh RFC 3261 branch: "z9hG4bK" + random; buf holds at least 40 bytes. */
int sip_random_branch(char *buf, size_t size);

#endif

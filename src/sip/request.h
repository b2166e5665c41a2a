/* Building SIP requests (RFC 3261 8.1.1, 12.2.1.1, 18.1.1): the one place a request is written
 * from parts. The dialog layer (sip/dialog.h) fills the parts from dialog state; anything sent
 * outside a dialog (an OPTIONS ping) can use it directly. Every string is checked or sanitized
 * so no caller-supplied value can end a header line early. */
#ifndef SOTTO_SIP_REQUEST_H
#define SOTTO_SIP_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/mbuf.h"
#include "core/pl.h"
#include "net/tp.h"

/* What a request is made of. Strings are NUL-terminated and borrowed for the call; optional
 * ones may be NULL. */
struct sip_request_spec {
	const char *method; /* token, case kept: "INVITE", "BYE", ... */
	const char *ruri;   /* Request-URI */
	/* Where it will be sent: kind is the Via transport; local (when set and not a wildcard) the
	 * Via sent-by. */
	const struct tp_peer *peer;
	/* Optional sent-by "host[:port]" to advertise instead of peer->local (public address).
	 * Without it and without a usable peer->local, the host:port of contact is used. */
	const char *sent_by;
	const char *branch; /* optional: a fresh sip_random_branch when NULL */
	/* Route header values in order, each a name-addr with optional params ("<sip:p;lr>").
	 * A strict router first (no ;lr) is handled as RFC 3261 12.2.1.1 says: its URI becomes
	 * the Request-URI and ruri the last Route. */
	const char *const *route;
	size_t nroute;
	const char *from_display; /* optional, any text: control bytes dropped, '"' '\' escaped */
	const char *from_uri;
	const char *from_tag;   /* token, required */
	const char *to_display; /* optional, as from_display */
	const char *to_uri;
	const char *to_tag;       /* optional token (absent on a dialog-creating request) */
	const char *call_id;      /* word["@"word] */
	uint32_t cseq;            /* < 2^31 (RFC 3261 8.1.1.5) */
	const char *contact;      /* optional: our Contact URI */
	bool secure;              /* RFC 3261 12.1.1: a "sip:" contact is written as "sips:" */
	uint32_t max_forwards;    /* 0: the default 70 (RFC 3261 8.1.1.6); <= 255 */
	const char *extra_hdrs;   /* optional raw header lines, each ending in CRLF */
	const char *content_type; /* required when body is not empty */
	struct pl body;
};

/* Append the request to mb: request line, Via (SIP/2.0/<kind> sent-by;branch=..;rport,
 * RFC 3581), Max-Forwards, Route..., From, To, Call-ID, CSeq, Contact, the extra lines,
 * Content-Type, and Content-Length (always), then the body. From/To/Contact URIs are written in
 * <> so their parameters stay theirs. EINVAL for a missing or malformed part (a URI that doesn't
 * parse or holds spaces/controls/<>, a tag that is not a token, a bad Call-ID, a CSeq >= 2^31,
 * bad extra lines, no sent-by to be found); ENOMEM from mb. Nothing is appended on EINVAL. */
int sip_build_request(struct mbuf *mb, const struct sip_request_spec *spec);

/* The checks sip_build_request applies, for callers that store values to use later. A URI:
 * parses (sip:, sips:, tel: or another scheme) and holds no whitespace, controls, '<', '>' or
 * '"'. A route: a name-addr in <> with optional params, no control bytes. */
bool sip_request_uri_ok(const char *uri);
bool sip_request_route_ok(const char *route);

#endif

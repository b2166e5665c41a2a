/* Requests built from parts (RFC 3261 8.1.1 header fields of a new request, 12.2.1.1 requests
 * within a dialog, 18.1.1 the Via a client writes, RFC 3581 rport). Everything is validated
 * before the first byte is written, so a rejected spec leaves the buffer as it was; display names,
 * the only free text, are sanitized instead of refused. */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "core/rand.h"
#include "net/sa.h"
#include "sip/build.h"
#include "sip/msg.h"
#include "sip/msg_int.h"
#include "sip/request.h"

/* Longest display name we write, in bytes of the original text (UTF-8 is never cut mid-char). */
#define DISPLAY_MAX 128
/* RFC 3261 8.1.1.5: the CSeq number of a request must be less than 2^31. */
#define CSEQ_LIMIT 0x80000000u

static bool has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

static bool is_token(const char *s)
{
	size_t n;

	if (!s)
		return false;
	n = strlen(s);
	return n && sip_scan(s, s + n, CC_TOKEN, false) == s + n;
}

/* Call-ID = word [ "@" word ] (RFC 3261 25.1). */
static bool call_id_ok(const char *s)
{
	const char *end, *p;

	if (!s || !*s)
		return false;
	end = s + strlen(s);
	p = sip_scan(s, end, CC_WORD, false);
	if (p == s)
		return false;
	if (p < end && *p == '@') {
		const char *q = sip_scan(p + 1, end, CC_WORD, false);
		if (q == p + 1)
			return false;
		p = q;
	}
	return p == end;
}

bool sip_request_uri_ok(const char *uri)
{
	struct sip_uri u;

	if (!uri || !*uri)
		return false;
	for (const char *p = uri; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == '"')
			return false;
	}
	return sip_uri_parse(&u, pl_from(uri, strlen(uri))) == 0;
}

bool sip_request_route_ok(const char *route)
{
	struct sip_addr a;

	if (!route || !*route || has_ctl(route))
		return false;
	/* Route and Record-Route values are name-addrs: the URI is in <> (RFC 3261 25.1) */
	if (!strchr(route, '<'))
		return false;
	return sip_addr_parse(&a, pl_from(route, strlen(route))) == 0 && !a.star;
}

/* Raw header lines: each ends in CRLF, no empty line among them, no bare CR or LF. */
static bool extra_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n)
		return true;
	if (n < 2 || s[n - 2] != '\r' || s[n - 1] != '\n' || s[0] == '\r')
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\r' && s[i + 1] != '\n')
			return false;
		if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r' || s[i + 1] == '\r'))
			return false;
	}
	return true;
}

/* "host[:port]" with a bracketed IPv6 reference. */
static bool sent_by_ok(const char *s)
{
	const char *end = s + strlen(s), *p;
	struct pl host;
	bool v6;
	uint64_t port;

	p = sip_host_scan(s, end, &host, &v6);
	if (!p)
		return false;
	if (p < end && *p == ':') {
		const char *q = sip_scan(p + 1, end, CC_DIGIT, false);
		if (sip_dec(p + 1, q, 65535, &port) || port == 0)
			return false;
		p = q;
	}
	return p == end;
}

/* The Via sent-by (RFC 3261 18.1.1): where responses should come back. An explicit one wins; then
 * the address we send from, unless that is a wildcard bind; then our Contact's host:port, which
 * names the same place. */
static int write_sent_by(struct mbuf *mb, const struct sip_request_spec *spec, bool dry)
{
	const struct tp_peer *peer = spec->peer;
	char buf[SA_STRLEN];
	struct sip_uri u;

	if (spec->sent_by) {
		if (!sent_by_ok(spec->sent_by))
			return EINVAL;
		if (!dry)
			mbuf_write_str(mb, spec->sent_by);
		return 0;
	}
	if (peer->local.len && !sa_is_any(&peer->local) && sa_port(&peer->local)) {
		if (!dry)
			mbuf_write_str(mb, sa_str(&peer->local, buf, sizeof(buf)));
		return 0;
	}
	if (!spec->contact || sip_uri_parse(&u, pl_from(spec->contact, strlen(spec->contact))) ||
	    !u.host.l)
		return EINVAL;
	if (dry)
		return 0;
	if (u.host_ipv6)
		mbuf_printf(mb, "[%.*s]", PL_ARG(u.host));
	else
		mbuf_write_pl(mb, u.host);
	if (u.port)
		mbuf_printf(mb, ":%u", u.port);
	return 0;
}

/* A display name as a quoted-string (RFC 3261 25.1): control bytes (CR and LF above all) are
 * dropped, '"' and '\' become quoted-pairs, so the name can neither end the header nor the
 * quotes. Followed by one SP; nothing at all when nothing printable is left. */
static void write_display(struct mbuf *mb, const char *dn)
{
	char out[2 * DISPLAY_MAX + 1];
	size_t n = 0, cut;

	if (!dn)
		return;
	cut = strlen(dn);
	if (cut > DISPLAY_MAX) {
		cut = DISPLAY_MAX;
		while (cut && ((unsigned char)dn[cut] & 0xc0) == 0x80)
			cut--; /* back to the start of the UTF-8 character we would split */
	}
	for (size_t i = 0; i < cut; i++) {
		unsigned char c = (unsigned char)dn[i];
		if (c < 0x20 || c == 0x7f)
			continue;
		if (c == '"' || c == '\\')
			out[n++] = '\\';
		out[n++] = (char)c;
	}
	if (!n)
		return;
	mbuf_write(mb, "\"", 1);
	mbuf_write(mb, out, n);
	mbuf_write(mb, "\" ", 2);
}

/* Our Contact; in a secure dialog a sip: URI is promoted to sips: (RFC 3261 12.1.1, 8.1.1.8). */
static void write_contact(struct mbuf *mb, const char *contact, bool secure)
{
	mbuf_write_str(mb, "Contact: <");
	if (secure && strncasecmp(contact, "sip:", 4) == 0) {
		mbuf_write_str(mb, "sips:");
		mbuf_write_str(mb, contact + 4);
	} else {
		mbuf_write_str(mb, contact);
	}
	mbuf_write_str(mb, ">\r\n");
}

static int check_spec(const struct sip_request_spec *s)
{
	if (!is_token(s->method) || !s->peer || !sip_request_uri_ok(s->ruri))
		return EINVAL;
	if (!sip_request_uri_ok(s->from_uri) || !is_token(s->from_tag))
		return EINVAL;
	if (!sip_request_uri_ok(s->to_uri) || (s->to_tag && *s->to_tag && !is_token(s->to_tag)))
		return EINVAL;
	if (!call_id_ok(s->call_id) || s->cseq >= CSEQ_LIMIT || s->max_forwards > 255)
		return EINVAL;
	if (s->contact && !sip_request_uri_ok(s->contact))
		return EINVAL;
	if (s->secure && s->contact && strncasecmp(s->contact, "sip:", 4) &&
	    strncasecmp(s->contact, "sips:", 5))
		return EINVAL; /* a secure dialog needs a SIPS Contact */
	if (s->nroute && !s->route)
		return EINVAL;
	for (size_t i = 0; i < s->nroute; i++)
		if (!sip_request_route_ok(s->route[i]))
			return EINVAL;
	if (s->branch && (!is_token(s->branch) || strncmp(s->branch, "z9hG4bK", 7)))
		return EINVAL;
	if (s->extra_hdrs && !extra_ok(s->extra_hdrs))
		return EINVAL;
	if (s->body.l && (!s->body.p || !s->content_type || !*s->content_type))
		return EINVAL;
	if (s->content_type && has_ctl(s->content_type))
		return EINVAL;
	return write_sent_by(NULL, s, true);
}

int sip_build_request(struct mbuf *mb, const struct sip_request_spec *spec)
{
	struct pl first = PL_NULL;
	bool strict = false;
	char branch[48];
	int err;

	if (!mb || !spec)
		return EINVAL;
	err = check_spec(spec);
	if (err)
		return err;
	if (spec->branch) {
		pl_strcpy(pl_from(spec->branch, strlen(spec->branch)), branch, sizeof(branch));
	} else {
		err = sip_random_branch(branch, sizeof(branch));
		if (err)
			return err;
	}

	/* RFC 3261 12.2.1.1 (8.1.2 for a preloaded route set): a strict router first in the route
	 * set (no ;lr) gets the request with its URI as Request-URI, and the Request-URI we meant
	 * travels as the last Route */
	if (spec->nroute) {
		struct sip_addr a;
		sip_addr_parse(&a, pl_from(spec->route[0], strlen(spec->route[0])));
		strict = !a.uri.lr;
		first = a.uri_raw;
	}
	if (strict)
		mbuf_printf(mb, "%s %.*s SIP/2.0\r\n", spec->method, PL_ARG(first));
	else
		mbuf_printf(mb, "%s %s SIP/2.0\r\n", spec->method, spec->ruri);

	/* RFC 3261 8.1.1.7 and RFC 3581: a fresh branch, and rport so a response finds its way
	 * back through a NAT to the port we sent from */
	mbuf_printf(mb, "Via: SIP/2.0/%s ", tp_kind_name(spec->peer->kind));
	write_sent_by(mb, spec, false);
	mbuf_printf(mb, ";branch=%s;rport\r\n", branch);
	mbuf_printf(mb, "Max-Forwards: %u\r\n", spec->max_forwards ? spec->max_forwards : 70);

	/* RFC 3261 12.2.1.1: the route set, in order, as Route values */
	for (size_t i = strict ? 1 : 0; i < spec->nroute; i++)
		mbuf_printf(mb, "Route: %s\r\n", spec->route[i]);
	if (strict)
		mbuf_printf(mb, "Route: <%s>\r\n", spec->ruri);

	mbuf_write_str(mb, "From: ");
	write_display(mb, spec->from_display);
	mbuf_printf(mb, "<%s>;tag=%s\r\n", spec->from_uri, spec->from_tag);
	mbuf_write_str(mb, "To: ");
	write_display(mb, spec->to_display);
	mbuf_printf(mb, "<%s>", spec->to_uri);
	if (spec->to_tag && *spec->to_tag)
		mbuf_printf(mb, ";tag=%s", spec->to_tag);
	mbuf_printf(mb, "\r\nCall-ID: %s\r\nCSeq: %u %s\r\n", spec->call_id, spec->cseq,
	            spec->method);
	if (spec->contact)
		write_contact(mb, spec->contact, spec->secure);
	if (spec->extra_hdrs)
		mbuf_write_str(mb, spec->extra_hdrs);
	if (spec->body.l)
		mbuf_printf(mb, "Content-Type: %s\r\n", spec->content_type);
	mbuf_printf(mb, "Content-Length: %zu\r\n\r\n", spec->body.l);
	if (spec->body.l)
		mbuf_write_pl(mb, spec->body);
	return mb->err;
}

/* URIs: sip: and sips: (RFC 3261 19.1, 25.1), tel: (RFC 3966), other schemes carried opaque
 * (RFC 4475 3.3.2-3.3.4: an unknown scheme is the application's business, not a parse error).
 * Views only, %-escapes kept as written but checked. Also the ;param lookup. */
#include <errno.h>
#include <string.h>

#include "sip/msg_int.h"

/* Bits per byte, see CC_* in msg_int.h; generated from the RFC 3261 25.1 character sets and
 * cross-checked against a slow reference in tests/test_sip_msg.c (char_classes). */
// clang-format off
const uint16_t sip_cc[256] = {
	0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0100, 0x0100, 0x0000, 0x0000, 0x0100, 0x0000, 0x0000,
	0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
	0x0100, 0x40bf, 0x0080, 0x6000, 0x403c, 0x4081, 0x401c, 0x40bf, 0x60be, 0x60be, 0x60bf, 0x70bd, 0x400c, 0x70ff, 0x70ff, 0x40b4,
	0x76ff, 0x76ff, 0x76ff, 0x76ff, 0x76ff, 0x76ff, 0x76ff, 0x76ff, 0x76ff, 0x76ff, 0x40b0, 0x4004, 0x0080, 0x400c, 0x0080, 0x40a4,
	0x4000, 0x7cff, 0x7cff, 0x7cff, 0x7cff, 0x7cff, 0x7cff, 0x58ff, 0x58ff, 0x58ff, 0x58ff, 0x58ff, 0x58ff, 0x58ff, 0x58ff, 0x58ff,
	0x58ff, 0x58ff, 0x58ff, 0x58ff, 0x58ff, 0x58ff, 0x58ff, 0x58ff, 0x58ff, 0x58ff, 0x58ff, 0x40b0, 0x0080, 0x40b0, 0x0000, 0x40ff,
	0x0081, 0x7cff, 0x7cff, 0x7cff, 0x7cff, 0x7cff, 0x7cff, 0x58ff, 0x58ff, 0x58ff, 0x58ff, 0x58ff, 0x58ff, 0x58ff, 0x58ff, 0x58ff,
	0x58ff, 0x58ff, 0x58ff, 0x58ff, 0x58ff, 0x58ff, 0x58ff, 0x58ff, 0x58ff, 0x58ff, 0x58ff, 0x0080, 0x0000, 0x0080, 0x40bf, 0x0000,
	0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
	0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
	0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
	0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
	0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
	0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
	0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
	0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000,
};
// clang-format on

int sip_dec(const char *p, const char *end, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (p >= end)
		return EBADMSG;
	for (; p < end; p++) {
		if (!cc_is(*p, CC_DIGIT))
			return EBADMSG;
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > max)
			return EBADMSG;
	}
	*out = v;
	return 0;
}

const char *sip_host_scan(const char *p, const char *end, struct pl *host, bool *ipv6)
{
	const char *q;

	if (p < end && *p == '[') {
		/* IPv6reference: hex digits, ':' and a trailing dotted quad; the numeric check
		 * proper is left to whoever turns it into an address (sa_set). */
		q = p + 1;
		while (q < end && (cc_is(*q, CC_HEX) || *q == ':' || *q == '.'))
			q++;
		if (q >= end || *q != ']' || q - p < 3 || !memchr(p + 1, ':', (size_t)(q - p - 1)))
			return NULL;
		*host = pl_from(p + 1, (size_t)(q - p - 1));
		*ipv6 = true;
		return q + 1;
	}
	q = sip_scan(p, end, CC_HOST, false);
	if (q == p || *p == '.' || *p == '-')
		return NULL;
	*host = pl_from(p, (size_t)(q - p));
	*ipv6 = false;
	return q;
}

/* ;name[=value] uri-parameters (RFC 3261 19.1.1); picks out the ones the stack routes on. */
static const char *uri_params(struct sip_uri *uri, const char *p, const char *end)
{
	const char *start = p;

	while (p < end && *p == ';') {
		const char *n = p + 1, *ne = sip_scan(n, end, CC_PARAM, true);
		struct pl val = PL_NULL;

		if (ne == n)
			return NULL;
		p = ne;
		if (p < end && *p == '=') {
			const char *v = p + 1;
			p = sip_scan(v, end, CC_PARAM, true);
			if (p == v)
				return NULL;
			val = pl_from(v, (size_t)(p - v));
		}
		size_t nl = (size_t)(ne - n);
		if (nl == 9 && sip_ci_eq(n, "transport", 9))
			uri->transport = val;
		else if (nl == 5 && sip_ci_eq(n, "maddr", 5))
			uri->maddr = val;
		else if (nl == 4 && sip_ci_eq(n, "user", 4))
			uri->user_param = val;
		else if (nl == 2 && sip_ci_eq(n, "lr", 2))
			uri->lr = true;
	}
	if (p > start)
		uri->params = pl_from(start, (size_t)(p - start));
	return p;
}

static int parse_sip(struct sip_uri *uri, const char *p, const char *end)
{
	const char *q;
	uint64_t port;

	/* userinfo first: the user part may hold ; ? / (RFC 4475 3.1.1.2, 3.1.1.9), so only an
	 * '@' after a run of userinfo characters says there is one. */
	q = p;
	while (q < end) {
		const char *r = sip_scan(q, end, CC_USER | CC_PASS, true);
		if (r < end && *r == ':') {
			q = r + 1;
			continue;
		}
		q = r;
		break;
	}
	if (q < end && *q == '@') {
		const char *colon = memchr(p, ':', (size_t)(q - p));
		const char *ue = colon ? colon : q;
		if (ue == p || sip_scan(p, ue, CC_USER, true) != ue)
			return EBADMSG;
		uri->user = pl_from(p, (size_t)(ue - p));
		if (colon) {
			if (sip_scan(colon + 1, q, CC_PASS, true) != q)
				return EBADMSG;
			uri->password = pl_from(colon + 1, (size_t)(q - colon - 1));
		}
		p = q + 1;
	}
	p = sip_host_scan(p, end, &uri->host, &uri->host_ipv6);
	if (!p)
		return EBADMSG;
	if (p < end && *p == ':') {
		q = sip_scan(p + 1, end, CC_DIGIT, false);
		if (sip_dec(p + 1, q, 65535, &port) || port == 0)
			return EBADMSG;
		uri->port = (uint16_t)port;
		p = q;
	}
	p = uri_params(uri, p, end);
	if (!p)
		return EBADMSG;
	if (p < end && *p == '?') {
		q = sip_scan(p + 1, end, CC_HNV, true);
		while (q < end && (*q == '=' || *q == '&'))
			q = sip_scan(q + 1, end, CC_HNV, true);
		if (q == p + 1)
			return EBADMSG;
		uri->headers = pl_from(p + 1, (size_t)(q - p - 1));
		p = q;
	}
	return p == end ? 0 : EBADMSG;
}

/* RFC 3966: telephone-subscriber in user (global "+..." or local with its phone-context),
 * parameters as in a SIP URI. */
static int parse_tel(struct sip_uri *uri, const char *p, const char *end)
{
	const char *q = p;

	while (q < end && cc_is(*q, CC_TEL))
		q++;
	if (q == p)
		return EBADMSG;
	uri->user = pl_from(p, (size_t)(q - p));
	q = uri_params(uri, q, end);
	return q == end ? 0 : EBADMSG;
}

int sip_uri_parse(struct sip_uri *uri, struct pl s)
{
	const char *p, *end, *q;

	if (!uri || !s.p)
		return EINVAL;
	memset(uri, 0, sizeof(*uri));
	p = s.p;
	end = s.p + s.l;
	if (p == end || !cc_is(*p, CC_ALPHA))
		return EBADMSG;
	q = sip_scan(p, end, CC_SCHEME, false);
	if (q == end || *q != ':')
		return EBADMSG;
	uri->scheme = pl_from(p, (size_t)(q - p));
	p = q + 1;
	switch (uri->scheme.l) {
	case 3:
		if (sip_ci_eq(uri->scheme.p, "sip", 3))
			return parse_sip(uri, p, end);
		if (sip_ci_eq(uri->scheme.p, "tel", 3)) {
			uri->tel = true;
			return parse_tel(uri, p, end);
		}
		break;
	case 4:
		if (sip_ci_eq(uri->scheme.p, "sips", 4)) {
			uri->sips = true;
			return parse_sip(uri, p, end);
		}
		break;
	}
	q = sip_scan(p, end, CC_URIC, false);
	if (q == p || q != end)
		return EBADMSG;
	uri->opaque = pl_from(p, (size_t)(q - p));
	return 0;
}

bool sip_param(struct pl params, const char *name, struct pl *value)
{
	const char *p = params.p, *end = params.p + params.l;
	size_t nl = strlen(name);

	if (!p)
		return false;
	while (p < end) {
		const char *n, *ne;
		struct pl v = PL_NULL;

		p = sip_skip_ws(p, end);
		if (p < end && *p == ';')
			p = sip_skip_ws(p + 1, end);
		n = p;
		while (p < end && *p != ';' && *p != '=' && !cc_is(*p, CC_WS))
			p++;
		ne = p;
		p = sip_skip_ws(p, end);
		if (p < end && *p == '=') {
			p = sip_skip_ws(p + 1, end);
			if (p < end && *p == '"') {
				const char *qe = sip_quoted_end(p, end);
				if (!qe)
					return false;
				v = pl_from(p + 1, (size_t)(qe - p - 2));
				p = qe;
			} else {
				const char *vs = p;
				while (p < end && *p != ';' && !cc_is(*p, CC_WS))
					p++;
				v = pl_from(vs, (size_t)(p - vs));
			}
		} else {
			v = pl_from(ne, 0);
		}
		if ((size_t)(ne - n) == nl && nl && pl_caseeq(pl_from(n, nl), pl_from(name, nl))) {
			if (value)
				*value = v;
			return true;
		}
		while (p < end && *p != ';')
			p++;
	}
	return false;
}

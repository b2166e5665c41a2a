/* Header values with structure: Via (RFC 3261 20.42, RFC 3581 rport), name-addr / addr-spec
 * with parameters (20.10, 20.20, 20.39: From, To, Contact, Route, Record-Route), quoted strings
 * and generic-param lists. LWS, including folded line breaks, may appear wherever the grammar
 * has SWS/LWS (RFC 4475 3.1.1.1). */
#include <errno.h>
#include <string.h>

#include "sip/msg_int.h"

const char *sip_quoted_end(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '"')
			return p + 1;
		if (c == '\\') {
			/* quoted-pair: any octet up to 0x7F but CR and LF, NUL included (3.1.1.2)
			 */
			if (++p >= end || *p == '\r' || *p == '\n' || (unsigned char)*p > 0x7f)
				return NULL;
			continue;
		}
		/* qdtext: LWS, printable ASCII, UTF-8 octets; no other control bytes */
		if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f)
			return NULL;
	}
	return NULL;
}

int sip_gparams(const char *p, const char *end, sip_gparam_h *h, void *arg)
{
	for (;;) {
		const char *n, *ne, *v;
		struct pl value = PL_NULL;
		int err;

		p = sip_skip_ws(p, end);
		if (p == end)
			return 0;
		if (*p != ';')
			return EBADMSG;
		n = sip_skip_ws(p + 1, end);
		ne = sip_scan(n, end, CC_TOKEN, false);
		if (ne == n)
			return EBADMSG; /* ";;" (RFC 4475 3.1.2.1) */
		p = sip_skip_ws(ne, end);
		if (p < end && *p == '=') {
			v = sip_skip_ws(p + 1, end);
			if (v < end && *v == '"') {
				p = sip_quoted_end(v, end);
				if (!p)
					return EBADMSG;
				value = pl_from(v + 1, (size_t)(p - v - 2));
			} else {
				/* token or host, the latter with an IPv6 reference's [ : ] */
				p = v;
				while (p < end &&
				       (cc_is(*p, CC_TOKEN) || *p == ':' || *p == '[' || *p == ']'))
					p++;
				if (p == v)
					return EBADMSG;
				value = pl_from(v, (size_t)(p - v));
			}
		}
		err = h(pl_from(n, (size_t)(ne - n)), value, arg);
		if (err)
			return err;
	}
}

static bool name_is(struct pl n, const char *lit, size_t len)
{
	return n.l == len && sip_ci_eq(n.p, lit, len);
}

static int via_param(struct pl name, struct pl value, void *arg)
{
	struct sip_via *via = arg;
	uint64_t v;

	switch (name.l) {
	case 3:
		if (name_is(name, "ttl", 3)) {
			if (!value.p || sip_dec(value.p, value.p + value.l, 255, &v))
				return EBADMSG;
			via->ttl = (uint32_t)v;
		}
		break;
	case 5:
		if (name_is(name, "rport", 5)) {
			/* RFC 3581: bare in requests, filled in by whoever answers */
			via->rport = true;
			if (value.p) {
				if (sip_dec(value.p, value.p + value.l, 65535, &v) || v == 0)
					return EBADMSG;
				via->rport_val = (uint16_t)v;
			}
		} else if (name_is(name, "maddr", 5)) {
			if (!value.p)
				return EBADMSG;
			via->maddr = value;
		}
		break;
	case 6:
		if (name_is(name, "branch", 6)) {
			if (!value.p || sip_scan(value.p, value.p + value.l, CC_TOKEN, false) !=
			                    value.p + value.l)
				return EBADMSG;
			via->branch = value;
		}
		break;
	case 8:
		if (name_is(name, "received", 8)) {
			/* an address, written with or without IPv6 brackets */
			struct pl a = value;
			if (a.l >= 2 && a.p[0] == '[' && a.p[a.l - 1] == ']')
				a = pl_from(a.p + 1, a.l - 2);
			if (!a.l)
				return EBADMSG;
			for (size_t i = 0; i < a.l; i++)
				if (!cc_is(a.p[i], CC_HEX) && a.p[i] != ':' && a.p[i] != '.')
					return EBADMSG;
			via->received = a;
		}
		break;
	}
	return 0;
}

/* Token, with SWS around it; returns the byte after it or NULL. */
static const char *ws_token(const char *p, const char *end, struct pl *tok)
{
	const char *q;

	p = sip_skip_ws(p, end);
	q = sip_scan(p, end, CC_TOKEN, false);
	if (q == p)
		return NULL;
	*tok = pl_from(p, (size_t)(q - p));
	return sip_skip_ws(q, end);
}

int sip_via_parse(struct sip_via *via, struct pl s)
{
	const char *p, *end, *q;
	struct pl name, ver;
	uint64_t port;

	if (!via || !s.p)
		return EINVAL;
	memset(via, 0, sizeof(*via));
	s = pl_trim(s);
	via->raw = s;
	p = s.p;
	end = s.p + s.l;

	/* sent-protocol = name SLASH version SLASH transport, SLASH being SWS "/" SWS */
	p = ws_token(p, end, &name);
	if (!p || p == end || *p != '/')
		return EBADMSG;
	p = ws_token(p + 1, end, &ver);
	if (!p || p == end || *p != '/')
		return EBADMSG;
	via->protocol = pl_from(name.p, (size_t)(ver.p + ver.l - name.p));
	p = sip_skip_ws(p + 1, end);
	q = sip_scan(p, end, CC_TOKEN, false);
	if (q == p || q == end || !cc_is(*q, CC_WS))
		return EBADMSG;
	via->transport = pl_from(p, (size_t)(q - p));

	/* LWS sent-by = host [ COLON port ] */
	p = sip_host_scan(sip_skip_ws(q, end), end, &via->host, &via->host_ipv6);
	if (!p)
		return EBADMSG;
	q = sip_skip_ws(p, end);
	if (q < end && *q == ':') {
		p = sip_skip_ws(q + 1, end);
		q = sip_scan(p, end, CC_DIGIT, false);
		if (sip_dec(p, q, 65535, &port) || port == 0)
			return EBADMSG;
		via->port = (uint16_t)port;
		p = q;
	}
	p = sip_skip_ws(p, end);
	if (p < end)
		via->params = pl_from(p, (size_t)(end - p));
	return sip_gparams(p, end, via_param, via);
}

static int addr_param(struct pl name, struct pl value, void *arg)
{
	struct sip_addr *a = arg;
	uint64_t v;

	if (name_is(name, "tag", 3)) {
		if (!value.p ||
		    sip_scan(value.p, value.p + value.l, CC_TOKEN, false) != value.p + value.l)
			return EBADMSG;
		a->tag = value;
	} else if (name_is(name, "expires", 7)) {
		/* delta-seconds; beyond 2^32-1 means 2^32-1 (RFC 4475 3.1.2.4 leaves it to us) */
		const char *e =
		    value.p ? sip_scan(value.p, value.p + value.l, CC_DIGIT, false) : NULL;
		if (!e || e == value.p || e != value.p + value.l)
			return EBADMSG;
		if (sip_dec(value.p, e, UINT32_MAX, &v))
			v = UINT32_MAX;
		a->has_expires = true;
		a->expires = (uint32_t)v;
	} else if (name_is(name, "q", 1)) {
		/* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ) */
		const char *p, *e;
		if (!value.p || !value.l || (*value.p != '0' && *value.p != '1'))
			return EBADMSG;
		p = value.p;
		e = value.p + value.l;
		if (++p < e) {
			if (*p++ != '.' || e - p > 3)
				return EBADMSG;
			for (; p < e; p++)
				if (!cc_is(*p, CC_DIGIT) || (value.p[0] == '1' && *p != '0'))
					return EBADMSG;
		}
		a->q = value;
	}
	return 0;
}

int sip_addr_parse(struct sip_addr *a, struct pl s)
{
	const char *p, *end, *q;
	int err;

	if (!a || !s.p)
		return EINVAL;
	memset(a, 0, sizeof(*a));
	s = pl_trim(s);
	a->raw = s;
	p = s.p;
	end = s.p + s.l;
	if (!s.l)
		return EBADMSG;
	if (s.l == 1 && *p == '*') {
		a->star = true;
		return 0;
	}

	if (*p == '"') {
		q = sip_quoted_end(p, end);
		if (!q)
			return EBADMSG; /* RFC 4475 3.1.2.6 */
		a->display = pl_from(p + 1, (size_t)(q - p - 2));
		p = sip_skip_ws(q, end);
		if (p == end || *p != '<')
			return EBADMSG;
	} else {
		/* display-name = *(token LWS); no LWS before '<' is tolerated (RFC 4475 3.1.1.6) */
		q = p;
		while (q < end && cc_is(*q, CC_TOKEN | CC_WS))
			q++;
		if (q < end && *q == '<') {
			if (q > p)
				a->display = pl_trim(pl_from(p, (size_t)(q - p)));
			p = q;
		}
	}

	if (*p == '<') {
		/* no LWS inside the brackets (RFC 4475 3.1.2.14) */
		q = memchr(p + 1, '>', (size_t)(end - p - 1));
		if (!q)
			return EBADMSG;
		a->uri_raw = pl_from(p + 1, (size_t)(q - p - 1));
		p = q + 1;
	} else {
		/* addr-spec: the URI ends at the first ';', which starts header parameters, and may
		 * not hold ',' or '?' at all (RFC 3261 20.10, RFC 4475 3.1.2.13) */
		q = p;
		while (q < end && *q != ';' && !cc_is(*q, CC_WS)) {
			if (*q == ',' || *q == '?')
				return EBADMSG;
			q++;
		}
		a->uri_raw = pl_from(p, (size_t)(q - p));
		p = q;
	}
	err = sip_uri_parse(&a->uri, a->uri_raw);
	if (err)
		return err;

	p = sip_skip_ws(p, end);
	if (p < end)
		a->params = pl_from(p, (size_t)(end - p));
	return sip_gparams(p, end, addr_param, a);
}

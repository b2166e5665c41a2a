/* SIP message parser (RFC 3261 7, 18.3, 20): one pass over the header lines of a framed
 * message, header names to ids by length and first letter, the headers the stack routes on
 * parsed in place, everything else kept as a view. Never writes into the input, never
 * allocates. Error strings are short reason phrases for the 400 (RFC 3261 21.4.1). */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "sip/msg_int.h"

static const char *const method_names[] = {
    [SIP_METHOD_UNKNOWN] = "",   [SIP_INVITE] = "INVITE",   [SIP_ACK] = "ACK",
    [SIP_BYE] = "BYE",           [SIP_CANCEL] = "CANCEL",   [SIP_OPTIONS] = "OPTIONS",
    [SIP_REGISTER] = "REGISTER", [SIP_PRACK] = "PRACK",     [SIP_SUBSCRIBE] = "SUBSCRIBE",
    [SIP_NOTIFY] = "NOTIFY",     [SIP_PUBLISH] = "PUBLISH", [SIP_INFO] = "INFO",
    [SIP_REFER] = "REFER",       [SIP_MESSAGE] = "MESSAGE", [SIP_UPDATE] = "UPDATE",
};

const char *sip_method_name(enum sip_method m)
{
	if ((unsigned)m >= sizeof(method_names) / sizeof(method_names[0]))
		return "";
	return method_names[m];
}

static bool is_method(struct pl n, enum sip_method m)
{
	return memcmp(n.p, method_names[m], n.l) == 0;
}

/* Methods are case-sensitive (RFC 3261 7.1): "invite" is an unknown method. */
enum sip_method sip_method_id(struct pl n)
{
	if (!n.p)
		return SIP_METHOD_UNKNOWN;
	switch (n.l) {
	case 3:
		if (is_method(n, SIP_ACK))
			return SIP_ACK;
		if (is_method(n, SIP_BYE))
			return SIP_BYE;
		break;
	case 4:
		if (is_method(n, SIP_INFO))
			return SIP_INFO;
		break;
	case 5:
		if (is_method(n, SIP_PRACK))
			return SIP_PRACK;
		if (is_method(n, SIP_REFER))
			return SIP_REFER;
		break;
	case 6:
		switch (n.p[0]) {
		case 'I':
			return is_method(n, SIP_INVITE) ? SIP_INVITE : SIP_METHOD_UNKNOWN;
		case 'C':
			return is_method(n, SIP_CANCEL) ? SIP_CANCEL : SIP_METHOD_UNKNOWN;
		case 'N':
			return is_method(n, SIP_NOTIFY) ? SIP_NOTIFY : SIP_METHOD_UNKNOWN;
		case 'U':
			return is_method(n, SIP_UPDATE) ? SIP_UPDATE : SIP_METHOD_UNKNOWN;
		}
		break;
	case 7:
		switch (n.p[0]) {
		case 'O':
			return is_method(n, SIP_OPTIONS) ? SIP_OPTIONS : SIP_METHOD_UNKNOWN;
		case 'P':
			return is_method(n, SIP_PUBLISH) ? SIP_PUBLISH : SIP_METHOD_UNKNOWN;
		case 'M':
			return is_method(n, SIP_MESSAGE) ? SIP_MESSAGE : SIP_METHOD_UNKNOWN;
		}
		break;
	case 8:
		if (is_method(n, SIP_REGISTER))
			return SIP_REGISTER;
		break;
	case 9:
		if (is_method(n, SIP_SUBSCRIBE))
			return SIP_SUBSCRIBE;
		break;
	}
	return SIP_METHOD_UNKNOWN;
}

/* Header names are case-insensitive; compact forms per RFC 3261 7.3.3 and the IANA registry. */
#define HDR(lit, id)                                                                               \
	if (sip_ci_eq(p, lit, sizeof(lit) - 1))                                                    \
		return id;                                                                         \
	break

enum sip_hdr_id sip_hdr_id(struct pl name)
{
	const char *p = name.p;

	if (!p || !name.l)
		return SIP_HDR_OTHER;
	switch (name.l) {
	case 1:
		switch (sip_lower(*p)) {
		case 'v':
			return SIP_HDR_VIA;
		case 'f':
			return SIP_HDR_FROM;
		case 't':
			return SIP_HDR_TO;
		case 'i':
			return SIP_HDR_CALL_ID;
		case 'm':
			return SIP_HDR_CONTACT;
		case 'l':
			return SIP_HDR_CONTENT_LENGTH;
		case 'c':
			return SIP_HDR_CONTENT_TYPE;
		case 'e':
			return SIP_HDR_CONTENT_ENCODING;
		case 'k':
			return SIP_HDR_SUPPORTED;
		case 's':
			return SIP_HDR_SUBJECT;
		case 'o':
			return SIP_HDR_EVENT;
		case 'r':
			return SIP_HDR_REFER_TO;
		case 'x':
			return SIP_HDR_SESSION_EXPIRES;
		}
		break;
	case 2:
		switch (sip_lower(*p)) {
		case 't':
			HDR("to", SIP_HDR_TO);
		}
		break;
	case 3:
		switch (sip_lower(*p)) {
		case 'v':
			HDR("via", SIP_HDR_VIA);
		}
		break;
	case 4:
		switch (sip_lower(*p)) {
		case 'f':
			HDR("from", SIP_HDR_FROM);
		case 'c':
			HDR("cseq", SIP_HDR_CSEQ);
		case 'd':
			HDR("date", SIP_HDR_DATE);
		case 'r':
			if (sip_ci_eq(p, "rseq", 4))
				return SIP_HDR_RSEQ;
			HDR("rack", SIP_HDR_RACK);
		}
		break;
	case 5:
		switch (sip_lower(*p)) {
		case 'r':
			HDR("route", SIP_HDR_ROUTE);
		case 'a':
			HDR("allow", SIP_HDR_ALLOW);
		case 'e':
			HDR("event", SIP_HDR_EVENT);
		}
		break;
	case 6:
		switch (sip_lower(*p)) {
		case 'a':
			HDR("accept", SIP_HDR_ACCEPT);
		case 's':
			HDR("server", SIP_HDR_SERVER);
		case 'r':
			HDR("reason", SIP_HDR_REASON);
		}
		break;
	case 7:
		switch (sip_lower(*p)) {
		case 'c':
			if (sip_ci_eq(p, "contact", 7))
				return SIP_HDR_CONTACT;
			HDR("call-id", SIP_HDR_CALL_ID);
		case 'e':
			HDR("expires", SIP_HDR_EXPIRES);
		case 'r':
			HDR("require", SIP_HDR_REQUIRE);
		case 's':
			HDR("subject", SIP_HDR_SUBJECT);
		case 'p':
			HDR("privacy", SIP_HDR_PRIVACY);
		}
		break;
	case 8:
		switch (sip_lower(*p)) {
		case 'r':
			HDR("refer-to", SIP_HDR_REFER_TO);
		}
		break;
	case 9:
		switch (sip_lower(*p)) {
		case 's':
			HDR("supported", SIP_HDR_SUPPORTED);
		case 't':
			HDR("timestamp", SIP_HDR_TIMESTAMP);
		}
		break;
	case 10:
		switch (sip_lower(*p)) {
		case 'u':
			HDR("user-agent", SIP_HDR_USER_AGENT);
		}
		break;
	case 11:
		switch (sip_lower(*p)) {
		case 'u':
			HDR("unsupported", SIP_HDR_UNSUPPORTED);
		case 'm':
			HDR("min-expires", SIP_HDR_MIN_EXPIRES);
		}
		break;
	case 12:
		switch (sip_lower(*p)) {
		case 'c':
			HDR("content-type", SIP_HDR_CONTENT_TYPE);
		case 'm':
			HDR("max-forwards", SIP_HDR_MAX_FORWARDS);
		case 'r':
			HDR("record-route", SIP_HDR_RECORD_ROUTE);
		}
		break;
	case 13:
		switch (sip_lower(*p)) {
		case 'a':
			HDR("authorization", SIP_HDR_AUTHORIZATION);
		case 'p':
			HDR("proxy-require", SIP_HDR_PROXY_REQUIRE);
		}
		break;
	case 14:
		switch (sip_lower(*p)) {
		case 'c':
			HDR("content-length", SIP_HDR_CONTENT_LENGTH);
		}
		break;
	case 15:
		switch (sip_lower(*p)) {
		case 's':
			HDR("session-expires", SIP_HDR_SESSION_EXPIRES);
		}
		break;
	case 16:
		switch (sip_lower(*p)) {
		case 'w':
			HDR("www-authenticate", SIP_HDR_WWW_AUTHENTICATE);
		case 'c':
			HDR("content-encoding", SIP_HDR_CONTENT_ENCODING);
		}
		break;
	case 18:
		switch (sip_lower(*p)) {
		case 'p':
			HDR("proxy-authenticate", SIP_HDR_PROXY_AUTHENTICATE);
		}
		break;
	case 19:
		switch (sip_lower(*p)) {
		case 'p':
			if (sip_ci_eq(p, "proxy-authorization", 19))
				return SIP_HDR_PROXY_AUTHORIZATION;
			HDR("p-asserted-identity", SIP_HDR_P_ASSERTED_IDENTITY);
		}
		break;
	}
	return SIP_HDR_OTHER;
}
#undef HDR

bool sip_list_next(struct pl list, struct pl *item)
{
	const char *p, *end, *s;
	int depth = 0;

	if (!list.p || !item)
		return false;
	end = list.p + list.l;
	if (!item->p) {
		p = sip_skip_ws(list.p, end);
		if (p == end)
			return false;
	} else {
		p = sip_skip_ws(item->p + item->l, end);
		if (p >= end || *p != ',')
			return false;
		p++;
	}
	s = p;
	while (p < end) {
		if (*p == '"') {
			const char *q = sip_quoted_end(p, end);
			p = q ? q : end;
			continue;
		}
		if (*p == '<')
			depth++;
		else if (*p == '>' && depth)
			depth--;
		else if (*p == ',' && !depth)
			break;
		p++;
	}
	*item = pl_trim(pl_from(s, (size_t)(p - s)));
	if (!item->l)
		item->p = s; /* keep the position for the next call */
	return true;
}

const struct sip_hdr *sip_msg_hdr(const struct sip_msg *msg, enum sip_hdr_id id,
                                  const struct sip_hdr *prev)
{
	size_t i = prev ? (size_t)(prev - msg->hdrs) + 1 : 0;

	for (; i < msg->nhdrs; i++)
		if (msg->hdrs[i].id == id)
			return &msg->hdrs[i];
	return NULL;
}

const struct sip_hdr *sip_msg_hdr_name(const struct sip_msg *msg, const char *name)
{
	for (size_t i = 0; i < msg->nhdrs; i++)
		if (pl_caseeq_str(msg->hdrs[i].name, name))
			return &msg->hdrs[i];
	return NULL;
}

/* ---- the message ---- */

/* What one parse has seen so far. */
struct pstate {
	bool via_ok, from_ok, to_ok, callid_ok, cseq_ok;
	bool seen_from, seen_to, seen_callid, seen_cseq, seen_mf, seen_cl, seen_expires;
};

/* The first problem is the one reported. Reasons that can go out in a reply (can_reply)
 * never spell "CSeq": naive peers, sipp among them, look for the first "CSeq" anywhere in a
 * response, status line included, and would misread the reply. */
static void fail(struct sip_msg *m, const char *why)
{
	if (!m->error)
		m->error = why;
}

static bool is_sip20(struct pl v) { return v.l == 7 && sip_ci_eq(v.p, "sip/2.0", 7); }

/* "SIP/2.0" passes; another SIP/x.y is a 505; anything else a malformed start line. */
static void check_version(struct sip_msg *m, struct pl v, const char *malformed)
{
	const char *p = v.p, *end = v.p + v.l, *q;

	if (is_sip20(v))
		return;
	if (v.l > 4 && sip_ci_eq(p, "sip/", 4)) {
		q = sip_scan(p + 4, end, CC_DIGIT, false);
		if (q > p + 4 && q < end && *q == '.' &&
		    sip_scan(q + 1, end, CC_DIGIT, false) == end && q + 1 < end) {
			if (!m->error)
				m->error_scode = 505;
			fail(m, "Version Not Supported");
			return;
		}
	}
	fail(m, malformed);
}

/* Request-Line = Method SP Request-URI SP SIP-Version: single spaces, nothing around
 * (RFC 4475 3.1.2.8-3.1.2.10). */
static void parse_request_line(struct sip_msg *m, const char *p, const char *end)
{
	const char *sp1 = memchr(p, ' ', (size_t)(end - p)), *sp2;

	m->is_request = true;
	if (!sp1 || sp1 == p || sip_scan(p, sp1, CC_TOKEN, false) != sp1) {
		fail(m, "Malformed Request-Line");
		return;
	}
	m->method = pl_from(p, (size_t)(sp1 - p));
	m->mid = sip_method_id(m->method);
	sp2 = end;
	while (sp2 > sp1 && sp2[-1] != ' ')
		sp2--;
	sp2--;
	if (sp2 == sp1) {
		fail(m, "Malformed Request-Line");
		return;
	}
	m->ruri_raw = pl_from(sp1 + 1, (size_t)(sp2 - sp1 - 1));
	m->version = pl_from(sp2 + 1, (size_t)(end - sp2 - 1));
	if (!m->version.l) {
		fail(m, "Malformed Request-Line");
		return;
	}
	/* escaped headers have no business in a Request-URI (RFC 3261 19.1.1, 4475 3.1.2.11) */
	if (sip_uri_parse(&m->ruri, m->ruri_raw) || m->ruri.headers.p)
		fail(m, "Malformed Request-URI");
	check_version(m, m->version, "Malformed Request-Line");
}

/* Status-Line = SIP-Version SP Status-Code SP Reason-Phrase; the reason may be empty, and a
 * missing SP after the code is tolerated (RFC 4475 3.1.1.13). */
static void parse_status_line(struct sip_msg *m, const char *p, const char *end)
{
	const char *sp = memchr(p, ' ', (size_t)(end - p)), *c;
	uint64_t code;

	if (!sp) {
		fail(m, "Malformed Status-Line");
		return;
	}
	m->version = pl_from(p, (size_t)(sp - p));
	c = sp + 1;
	if (end - c < 3 || (end - c > 3 && c[3] != ' ') || sip_dec(c, c + 3, 699, &code) ||
	    code < 100) {
		fail(m, "Bad Status-Code");
		return;
	}
	m->scode = (uint16_t)code;
	c += 3;
	if (c < end)
		c++;
	m->reason = pl_from(c, (size_t)(end - c));
	check_version(m, m->version, "Malformed Status-Line");
}

/* Call-ID = word [ "@" word ] */
static bool callid_ok(struct pl v)
{
	const char *p = v.p, *end = v.p + v.l, *q;

	q = sip_scan(p, end, CC_WORD, false);
	if (q == p)
		return false;
	if (q < end && *q == '@') {
		p = q + 1;
		q = sip_scan(p, end, CC_WORD, false);
		if (q == p)
			return false;
	}
	return q == end;
}

/* CSeq = 1*DIGIT LWS Method; the number fits 32 bits (RFC 3261 8.1.1.5, 4475 3.1.2.4). */
static bool parse_cseq(struct sip_msg *m, struct pl v)
{
	const char *p = v.p, *end = v.p + v.l, *q;
	uint64_t n;

	q = sip_scan(p, end, CC_DIGIT, false);
	if (sip_dec(p, q, UINT32_MAX, &n) || q == end || !cc_is(*q, CC_WS))
		return false;
	p = sip_skip_ws(q, end);
	q = sip_scan(p, end, CC_TOKEN, false);
	if (q == p || q != end)
		return false;
	m->cseq = (uint32_t)n;
	m->cseq_method = pl_from(p, (size_t)(q - p));
	m->cseq_mid = sip_method_id(m->cseq_method);
	return true;
}

static bool number(struct pl v, uint64_t max, uint64_t *out)
{
	return sip_dec(v.p, v.p + v.l, max, out) == 0;
}

/* Every value of a list header must parse, whether or not anyone reads it later: an element
 * that forwards or answers must not trip over it (RFC 4475 3.1.2.1). */
static void addr_list(struct sip_msg *m, struct pl v, const char *why)
{
	struct pl item = PL_NULL;
	struct sip_addr a;

	while (sip_list_next(v, &item))
		if (!item.l || sip_addr_parse(&a, item))
			fail(m, why);
}

static void via_list(struct sip_msg *m, struct pstate *st, struct pl v)
{
	struct pl item = PL_NULL;
	struct sip_via tmp;

	if (!v.l) {
		fail(m, "Malformed Via");
		return;
	}
	while (sip_list_next(v, &item)) {
		bool top = m->nvia == 0;
		int err = item.l ? sip_via_parse(top ? &m->via : &tmp, item) : EBADMSG;

		if (err)
			fail(m, "Malformed Via");
		else if (top)
			st->via_ok = true;
		m->nvia++;
	}
}

static void single_addr(struct sip_msg *m, bool *seen, bool *ok, struct sip_addr *a, struct pl v,
                        const char *dup, const char *bad)
{
	if (*seen) {
		fail(m, dup); /* RFC 4475 3.3.8 */
		return;
	}
	*seen = true;
	if (sip_addr_parse(a, v) || a->star)
		fail(m, bad);
	else
		*ok = true;
}

static void header(struct sip_msg *m, struct pstate *st, const struct sip_hdr *h)
{
	struct pl v = h->value;
	uint64_t n;

	switch (h->id) {
	case SIP_HDR_VIA:
		via_list(m, st, v);
		break;
	case SIP_HDR_FROM:
		single_addr(m, &st->seen_from, &st->from_ok, &m->from, v, "Duplicate From",
		            "Malformed From");
		break;
	case SIP_HDR_TO:
		single_addr(m, &st->seen_to, &st->to_ok, &m->to, v, "Duplicate To", "Malformed To");
		break;
	case SIP_HDR_CALL_ID:
		if (st->seen_callid) {
			fail(m, "Duplicate Call-ID");
			break;
		}
		st->seen_callid = true;
		if (callid_ok(v)) {
			m->call_id = v;
			st->callid_ok = true;
		} else {
			fail(m, "Malformed Call-ID");
		}
		break;
	case SIP_HDR_CSEQ:
		if (st->seen_cseq) {
			fail(m, "Duplicate Sequence Number");
			break;
		}
		st->seen_cseq = true;
		if (parse_cseq(m, v))
			st->cseq_ok = true;
		else
			fail(m, "Bad CSeq");
		break;
	case SIP_HDR_MAX_FORWARDS:
		if (st->seen_mf)
			fail(m, "Duplicate Max-Forwards");
		else if (number(v, 255, &n))
			m->max_forwards = (int32_t)n;
		else
			fail(m, "Bad Max-Forwards");
		st->seen_mf = true;
		break;
	case SIP_HDR_CONTENT_LENGTH:
		/* two of them leave the framing undecidable (RFC 4475 3.3.9) */
		if (st->seen_cl)
			fail(m, "Multiple Content-Length");
		else if (number(v, UINT32_MAX, &n))
			m->content_length = (int64_t)n;
		else
			fail(m, "Bad Content-Length");
		st->seen_cl = true;
		break;
	case SIP_HDR_CONTENT_TYPE:
		if (!m->content_type.p)
			m->content_type = v;
		break;
	case SIP_HDR_EXPIRES:
		if (st->seen_expires) {
			fail(m, "Duplicate Expires");
		} else if (v.l && sip_scan(v.p, v.p + v.l, CC_DIGIT, false) == v.p + v.l) {
			/* beyond 2^32-1 counts as 2^32-1 (RFC 4475 3.1.2.4) */
			m->expires = number(v, UINT32_MAX, &n) ? (int64_t)n : (int64_t)UINT32_MAX;
		} else {
			fail(m, "Bad Expires");
		}
		st->seen_expires = true;
		break;
	case SIP_HDR_CONTACT:
		addr_list(m, v, "Malformed Contact");
		break;
	case SIP_HDR_ROUTE:
		addr_list(m, v, "Malformed Route");
		break;
	case SIP_HDR_RECORD_ROUTE:
		addr_list(m, v, "Malformed Record-Route");
		break;
	default:
		break;
	}
}

/* Request or response (RFC 3261 7.1, 7.2), decided by the first bytes: no method holds a '/'. */
static void start_line(struct sip_msg *m, const char *p, const char *end)
{
	if (end - p >= 4 && sip_ci_eq(p, "sip/", 4))
		parse_status_line(m, p, end);
	else
		parse_request_line(m, p, end);
}

/* One header line, folded continuation lines included: [line, eol) without the final CRLF.
 * Returns the start of the next line, or NULL when the block is broken. */
static const char *next_line(struct sip_msg *m, const char *p, const char *end, const char **eol)
{
	for (;;) {
		const char *lf = memchr(p, '\n', (size_t)(end - p));

		if (!lf) {
			fail(m, "Incomplete message");
			return NULL;
		}
		/* CRLF only: a lone CR or LF is never folded whitespace, and letting one through
		 * would let a value smuggle a line break into whatever copies it */
		if (lf == p || lf[-1] != '\r' || memchr(p, '\r', (size_t)(lf - 1 - p))) {
			fail(m, "Bad line ending");
			return NULL;
		}
		p = lf + 1;
		if (p < end && (*p == ' ' || *p == '\t'))
			continue;
		*eol = lf - 1;
		return p;
	}
}

int sip_msg_parse(struct sip_msg *msg, const char *buf, size_t len)
{
	const char *p, *end, *eol, *line, *body, *start;
	struct pstate st = {0};

	if (!msg)
		return EINVAL;
	/* Everything but the header table, which only counts up to nhdrs: keeps a 7 KB memset
	 * off the hot path. */
	memset(msg, 0, offsetof(struct sip_msg, hdrs));
	memset((char *)msg + offsetof(struct sip_msg, nhdrs), 0,
	       sizeof(*msg) - offsetof(struct sip_msg, nhdrs));
	msg->max_forwards = -1;
	msg->expires = -1;
	msg->content_length = -1;
	msg->error_scode = 400;
	if (!buf) {
		fail(msg, "Empty message");
		return EBADMSG;
	}
	p = buf;
	end = buf + len;

	/* CRLFs before the start line are keep-alives or leftovers (RFC 3261 7.5) */
	while (end - p >= 2 && p[0] == '\r' && p[1] == '\n')
		p += 2;
	if (p == end) {
		fail(msg, "Empty message");
		return EBADMSG;
	}
	start = line = p;
	p = next_line(msg, p, end, &eol);
	if (!p)
		return EBADMSG;
	if (memchr(line, '\n', (size_t)(eol - line))) {
		fail(msg, "Malformed start line"); /* folded: the start line has no LWS */
		return EBADMSG;
	}
	start_line(msg, line, eol);

	body = NULL;
	while (p < end) {
		const char *colon, *n;
		struct sip_hdr *h;

		if (p[0] == '\r' && end - p >= 2 && p[1] == '\n') {
			body = p + 2;
			break;
		}
		line = p;
		p = next_line(msg, p, end, &eol);
		if (!p)
			break;
		/* header-name HCOLON: token, then SP/HTAB only, then ':' */
		n = sip_scan(line, eol, CC_TOKEN, false);
		colon = n;
		while (colon < eol && (*colon == ' ' || *colon == '\t'))
			colon++;
		if (n == line || colon == eol || *colon != ':') {
			fail(msg, "Malformed header");
			continue;
		}
		if (msg->nhdrs == SIP_MAX_HDRS) {
			fail(msg, "Too many headers");
			break;
		}
		h = &msg->hdrs[msg->nhdrs++];
		h->name = pl_from(line, (size_t)(n - line));
		h->id = sip_hdr_id(h->name);
		h->value = pl_trim(pl_from(colon + 1, (size_t)(eol - colon - 1)));
		header(msg, &st, h);
	}
	if (!body && p)
		fail(msg, "Incomplete message");

	/* RFC 3261 18.3: over a datagram, octets past Content-Length are ignored, too few are an
	 * error (4475 3.1.1.8, 3.1.2.2); without Content-Length the body is the rest. */
	if (body) {
		size_t rest = (size_t)(end - body);

		if (msg->content_length < 0) {
			msg->body = pl_from(body, rest);
		} else if ((uint64_t)msg->content_length <= rest) {
			msg->body = pl_from(body, (size_t)msg->content_length);
		} else {
			fail(msg, "Bad Content-Length");
			msg->body = pl_from(body, rest);
		}
	}
	msg->raw = pl_from(start, (size_t)((body ? msg->body.p + msg->body.l : end) - start));

	if (!msg->nvia)
		fail(msg, "Missing Via");
	if (!st.seen_from)
		fail(msg, "Missing From");
	if (!st.seen_to)
		fail(msg, "Missing To");
	if (!st.seen_callid)
		fail(msg, "Missing Call-ID");
	if (!st.seen_cseq)
		fail(msg, "Missing CSeq");
	/* RFC 3261 8.2.2 / 4475 3.1.2.17-18: the CSeq method is the request's */
	if (msg->is_request && st.cseq_ok && msg->method.p &&
	    (msg->cseq_method.l != msg->method.l ||
	     memcmp(msg->cseq_method.p, msg->method.p, msg->method.l)))
		fail(msg, "Method Mismatch");

	msg->can_reply = st.via_ok && st.from_ok && st.to_ok && st.callid_ok && st.cseq_ok;
	if (msg->error)
		return EBADMSG;
	msg->error_scode = 0;
	return 0;
}

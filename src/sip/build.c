/* Responses built from a parsed request (RFC 3261 8.2.6, 18.2.1, RFC 3581), the reason
 * phrases of section 21 and later RFCs, fresh tags and branches. Everything copied from the
 * request is unfolded on the way (CR/LF dropped: the LWS after them remains), and every string
 * the caller hands in is checked, so nothing can end a header line early. */
#include <errno.h>
#include <string.h>

#include "core/rand.h"
#include "sip/build.h"
#include "sip/msg_int.h"

/* RFC 3261 21 and the codes registered since (IANA "Response Codes"), ascending. */
static const struct {
	uint16_t code;
	const char *reason;
} reasons[] = {
    {100, "Trying"},
    {180, "Ringing"},
    {181, "Call Is Being Forwarded"},
    {182, "Queued"},
    {183, "Session Progress"},
    {199, "Early Dialog Terminated"},
    {200, "OK"},
    {202, "Accepted"},
    {204, "No Notification"},
    {300, "Multiple Choices"},
    {301, "Moved Permanently"},
    {302, "Moved Temporarily"},
    {305, "Use Proxy"},
    {380, "Alternative Service"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {402, "Payment Required"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {406, "Not Acceptable"},
    {407, "Proxy Authentication Required"},
    {408, "Request Timeout"},
    {410, "Gone"},
    {412, "Conditional Request Failed"},
    {413, "Request Entity Too Large"},
    {414, "Request-URI Too Long"},
    {415, "Unsupported Media Type"},
    {416, "Unsupported URI Scheme"},
    {417, "Unknown Resource-Priority"},
    {420, "Bad Extension"},
    {421, "Extension Required"},
    {422, "Session Interval Too Small"},
    {423, "Interval Too Brief"},
    {424, "Bad Location Information"},
    {428, "Use Identity Header"},
    {429, "Provide Referrer Identity"},
    {433, "Anonymity Disallowed"},
    {436, "Bad Identity-Info"},
    {437, "Unsupported Certificate"},
    {438, "Invalid Identity Header"},
    {439, "First Hop Lacks Outbound Support"},
    {440, "Max-Breadth Exceeded"},
    {469, "Bad Info Package"},
    {470, "Consent Needed"},
    {480, "Temporarily Unavailable"},
    {481, "Call/Transaction Does Not Exist"},
    {482, "Loop Detected"},
    {483, "Too Many Hops"},
    {484, "Address Incomplete"},
    {485, "Ambiguous"},
    {486, "Busy Here"},
    {487, "Request Terminated"},
    {488, "Not Acceptable Here"},
    {489, "Bad Event"},
    {491, "Request Pending"},
    {493, "Undecipherable"},
    {494, "Security Agreement Required"},
    {500, "Server Internal Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Server Time-out"},
    {505, "Version Not Supported"},
    {513, "Message Too Large"},
    {555, "Push Notification Service Not Supported"},
    {580, "Precondition Failure"},
    {600, "Busy Everywhere"},
    {603, "Decline"},
    {604, "Does Not Exist Anywhere"},
    {606, "Not Acceptable"},
    {607, "Unwanted"},
    {608, "Rejected"},
};

const char *sip_reason_phrase(uint16_t code)
{
	size_t lo = 0, hi = sizeof(reasons) / sizeof(reasons[0]);

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (reasons[mid].code == code)
			return reasons[mid].reason;
		if (reasons[mid].code < code)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* RFC 3261 8.1.3.2: an unknown code is treated as x00 of its class */
	switch (code / 100) {
	case 1:
		return "Session Progress";
	case 2:
		return "OK";
	case 3:
		return "Redirection";
	case 4:
		return "Bad Request";
	case 5:
		return "Server Error";
	case 6:
		return "Global Failure";
	}
	return "Unknown";
}

/* Longest reason phrase we send; a peer's 2 KB reason has no business in our status line. */
#define REASON_MAX 128

/* Reason-Phrase without CR, LF or other control bytes (which would end the status line and
 * start a header of the caller's choosing); empty means the default phrase. */
static void write_reason(struct mbuf *mb, const char *reason, uint16_t code)
{
	size_t n = 0;

	for (const char *p = reason; p && *p && n < REASON_MAX; p++) {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20 || c == 0x7f)
			continue;
		mbuf_write(mb, p, 1);
		n++;
	}
	if (!n)
		mbuf_write_str(mb, sip_reason_phrase(code));
}

/* A value from the request on one line: folds lose their CRLF and keep their whitespace. */
static void write_unfolded(struct mbuf *mb, struct pl v)
{
	const char *p = v.p, *end;

	if (!p)
		return;
	end = v.p + v.l;
	while (p < end) {
		const char *q = p;
		while (q < end && *q != '\r' && *q != '\n')
			q++;
		mbuf_write(mb, p, (size_t)(q - p));
		while (q < end && (*q == '\r' || *q == '\n'))
			q++;
		p = q;
	}
}

static bool name_eq(struct pl seg, const char *lit, size_t n)
{
	return seg.l >= n && sip_ci_eq(seg.p, lit, n) &&
	       (seg.l == n || seg.p[n] == '=' || cc_is(seg.p[n], CC_WS));
}

/* The top Via with RFC 3581 / 3261 18.2.1 applied: received= when the sent-by is not the
 * source address or rport was asked for, rport=<source port> filled into a bare rport. */
static void write_top_via(struct mbuf *mb, const struct sip_via *via, const struct sa *src)
{
	bool received = false;
	char host[SA_STRLEN];
	struct sa sent;
	const char *p, *end;

	if (src && src->len && *sa_host_str(src, host, sizeof(host)))
		received = via->rport || sa_set(&sent, via->host, 0) || !sa_eq_addr(&sent, src);

	mbuf_write_str(mb, "Via: ");
	if (!via->params.p) {
		write_unfolded(mb, via->raw);
	} else {
		write_unfolded(mb,
		               pl_trim(pl_from(via->raw.p, (size_t)(via->params.p - via->raw.p))));
		p = via->params.p;
		end = via->params.p + via->params.l;
		while (p < end) {
			const char *s = ++p; /* past ';' */
			while (p < end && *p != ';') {
				if (*p == '"') {
					const char *q = sip_quoted_end(p, end);
					p = q ? q : end;
				} else {
					p++;
				}
			}
			struct pl seg = pl_trim(pl_from(s, (size_t)(p - s)));
			if (received && name_eq(seg, "received", 8))
				continue; /* ours replaces it */
			if (src && src->len && via->rport && !via->rport_val &&
			    name_eq(seg, "rport", 5)) {
				mbuf_printf(mb, ";rport=%u", sa_port(src));
				continue;
			}
			mbuf_write(mb, ";", 1);
			write_unfolded(mb, seg);
		}
	}
	if (received)
		mbuf_printf(mb, ";received=%s", host);
	mbuf_write(mb, "\r\n", 2);
}

static bool is_token(const char *s)
{
	size_t n = strlen(s);
	return n && sip_scan(s, s + n, CC_TOKEN, false) == s + n;
}

static bool has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
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

int sip_build_response(struct mbuf *mb, const struct sip_msg *req, const struct sa *src,
                       uint16_t code, const char *reason, const char *to_tag,
                       const char *extra_hdrs, struct pl body, const char *content_type)
{
	const struct sip_hdr *h = NULL;
	struct pl method;
	bool top = true;

	if (!mb || !req || !req->is_request || code < 100 || code > 699 || !req->nvia ||
	    !req->from.raw.p || !req->to.raw.p || !req->call_id.p || !req->cseq_method.p)
		return EINVAL;
	if ((to_tag && !is_token(to_tag)) || (extra_hdrs && !extra_ok(extra_hdrs)))
		return EINVAL;
	if (body.l && (!body.p || !content_type || !*content_type || has_ctl(content_type)))
		return EINVAL;

	mbuf_printf(mb, "SIP/2.0 %u ", code);
	write_reason(mb, reason, code);
	mbuf_write(mb, "\r\n", 2);

	/* RFC 3261 8.2.6.2: every Via, in order; the top one as the transport saw it. A value
	 * that doesn't parse (only in a request we answer with an error) is left out rather than
	 * make the response itself malformed; the top one always parsed (can_reply). */
	while ((h = sip_msg_hdr(req, SIP_HDR_VIA, h))) {
		struct pl item = PL_NULL;
		struct sip_via tmp;

		while (sip_list_next(h->value, &item)) {
			if (top) {
				write_top_via(mb, &req->via, src);
				top = false;
				continue;
			}
			if (sip_via_parse(&tmp, item))
				continue;
			mbuf_write_str(mb, "Via: ");
			write_unfolded(mb, item);
			mbuf_write(mb, "\r\n", 2);
		}
	}
	mbuf_write_str(mb, "From: ");
	write_unfolded(mb, req->from.raw);
	mbuf_write_str(mb, "\r\nTo: ");
	write_unfolded(mb, req->to.raw);
	if (to_tag && !req->to.tag.l)
		mbuf_printf(mb, ";tag=%s", to_tag);
	mbuf_write_str(mb, "\r\nCall-ID: ");
	mbuf_write_pl(mb, req->call_id);
	/* The request's method, not its CSeq's: they only differ in a request we refuse for it
	 * (RFC 4475 3.1.2.17), and the client's transaction is keyed on the method it sent
	 * (RFC 3261 17.1.3), so this is the CSeq that lets our 400 reach it. */
	method = req->method.l ? req->method : req->cseq_method;
	mbuf_printf(mb, "\r\nCSeq: %u %.*s\r\n", req->cseq, PL_ARG(method));
	if (extra_hdrs)
		mbuf_write_str(mb, extra_hdrs);
	if (body.l)
		mbuf_printf(mb, "Content-Type: %s\r\n", content_type);
	mbuf_printf(mb, "Content-Length: %zu\r\n\r\n", body.l);
	if (body.l)
		mbuf_write_pl(mb, body);
	return mb->err;
}

int sip_build_error_response(struct mbuf *mb, const struct sip_msg *req, const struct sa *src,
                             uint16_t code)
{
	char tag[17];
	const char *reason;

	if (!mb || !req || !req->is_request || !req->can_reply)
		return EINVAL;
	/* the parser knows best which 4xx/5xx it was: 505 for a version we don't speak */
	if (code == 0 || code == 400)
		code = req->error_scode >= 400 ? req->error_scode : 400;
	reason = (code == 400 || code == req->error_scode) && req->error ? req->error
	                                                                 : sip_reason_phrase(code);
	if (!req->to.tag.l && sip_random_token(tag, 16))
		return EIO;
	return sip_build_response(mb, req, src, code, reason, req->to.tag.l ? NULL : tag, NULL,
	                          PL_NULL, NULL);
}

int sip_random_token(char *buf, size_t len)
{
	if (!buf)
		return EINVAL;
	return rand_token(buf, len);
}

int sip_random_branch(char *buf, size_t size)
{
	/* RFC 3261 8.1.1.7: the magic cookie, then 32 characters = 190 bits from the CSPRNG */
	if (!buf || size < 40)
		return EINVAL;
	memcpy(buf, "z9hG4bK", 7);
	return rand_token(buf + 7, 32);
}

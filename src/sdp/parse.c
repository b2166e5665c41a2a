/* SDP parser (RFC 8866 5): one pass over the lines, session level then one section per m=
 * line, every value kept as a view into the caller's text. Attributes we act on (RFC 3264
 * direction, RFC 3605 rtcp, RFC 5761 rtcp-mux, RFC 4568 crypto) are parsed in place; every
 * a= line is also kept in order so a built SDP can pass the rest through. Never writes into
 * the input, never allocates. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "sdp/sdp_int.h"

/* --- small scanners --- */

static bool is_wsp(char c) { return c == ' ' || c == '\t'; }

bool sdp_token(struct pl *s, struct pl *tok)
{
	const char *p = s->p, *end = s->p + s->l, *b;

	if (!p)
		return false;
	while (p < end && is_wsp(*p))
		p++;
	b = p;
	while (p < end && !is_wsp(*p))
		p++;
	if (p == b)
		return false;
	*tok = pl_from(b, (size_t)(p - b));
	*s = pl_from(p, (size_t)(end - p));
	return true;
}

int sdp_u64(struct pl pl, uint64_t *out)
{
	uint64_t v = 0;

	if (pl.l == 0 || pl.l > 20)
		return EINVAL;
	for (size_t i = 0; i < pl.l; i++) {
		unsigned d = (unsigned)(pl.p[i] - '0');
		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return EINVAL;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static int u16_parse(struct pl pl, uint16_t *out)
{
	uint64_t v;

	if (sdp_u64(pl, &v) || v > 65535)
		return EINVAL;
	*out = (uint16_t)v;
	return 0;
}

/* --- tables --- */

static const struct {
	const char *name;
	enum sdp_attr_id id;
} attr_defs[] = {
    {"rtpmap", SDP_ATTR_RTPMAP},
    {"fmtp", SDP_ATTR_FMTP},
    {"ptime", SDP_ATTR_PTIME},
    {"maxptime", SDP_ATTR_MAXPTIME},
    {"sendrecv", SDP_ATTR_SENDRECV},
    {"sendonly", SDP_ATTR_SENDONLY},
    {"recvonly", SDP_ATTR_RECVONLY},
    {"inactive", SDP_ATTR_INACTIVE},
    {"rtcp", SDP_ATTR_RTCP},
    {"rtcp-mux", SDP_ATTR_RTCP_MUX},
    {"crypto", SDP_ATTR_CRYPTO},
    {"fingerprint", SDP_ATTR_FINGERPRINT},
    /* Transport and keying of the far end's media: meaningless once we anchor it. */
    {"setup", SDP_ATTR_OWNED},             /* RFC 4145 */
    {"connection", SDP_ATTR_OWNED},        /* RFC 4145 */
    {"tls-id", SDP_ATTR_OWNED},            /* RFC 8842 */
    {"candidate", SDP_ATTR_OWNED},         /* RFC 8839 */
    {"remote-candidates", SDP_ATTR_OWNED}, /* RFC 8839 */
    {"end-of-candidates", SDP_ATTR_OWNED}, /* RFC 8840 */
    {"rtcp-mux-only", SDP_ATTR_OWNED},     /* RFC 8858 */
    {"key-mgmt", SDP_ATTR_OWNED},          /* RFC 4567 MIKEY */
    {"zrtp-hash", SDP_ATTR_OWNED},         /* RFC 6189 */
    {"cryptex", SDP_ATTR_OWNED},           /* RFC 9335 */
};

enum sdp_attr_id sdp_attr_lookup(struct pl name)
{
	for (size_t i = 0; i < sizeof(attr_defs) / sizeof(attr_defs[0]); i++)
		if (pl_caseeq_str(name, attr_defs[i].name))
			return attr_defs[i].id;
	if (name.l >= 4 && pl_caseeq(pl_from(name.p, 4), PL("ice-"))) /* RFC 8839 ice-* */
		return SDP_ATTR_OWNED;
	return SDP_ATTR_OTHER;
}

bool sdp_attr_owned(enum sdp_attr_id id)
{
	switch (id) {
	case SDP_ATTR_OTHER:
	case SDP_ATTR_RTPMAP:
	case SDP_ATTR_FMTP:
	case SDP_ATTR_PTIME:
	case SDP_ATTR_MAXPTIME:
		return false;
	default:
		return true;
	}
}

static const struct {
	const char *name;
	bool rtp, srtp, dtls, avpf;
} protos[SDP_PROTO__COUNT] = {
    [SDP_PROTO_OTHER] = {.name = ""},
    [SDP_PROTO_RTP_AVP] = {.name = "RTP/AVP", .rtp = true},
    [SDP_PROTO_RTP_AVPF] = {.name = "RTP/AVPF", .rtp = true, .avpf = true},
    [SDP_PROTO_RTP_SAVP] = {.name = "RTP/SAVP", .rtp = true, .srtp = true},
    [SDP_PROTO_RTP_SAVPF] = {.name = "RTP/SAVPF", .rtp = true, .srtp = true, .avpf = true},
    [SDP_PROTO_UDP_TLS_RTP_SAVP] = {.name = "UDP/TLS/RTP/SAVP",
                                    .rtp = true,
                                    .srtp = true,
                                    .dtls = true},
    [SDP_PROTO_UDP_TLS_RTP_SAVPF] =
        {.name = "UDP/TLS/RTP/SAVPF", .rtp = true, .srtp = true, .dtls = true, .avpf = true},
};

static bool proto_ok(enum sdp_proto p) { return (unsigned)p < SDP_PROTO__COUNT; }

const char *sdp_proto_name(enum sdp_proto p) { return proto_ok(p) ? protos[p].name : ""; }

bool sdp_proto_is_rtp(enum sdp_proto p) { return proto_ok(p) && protos[p].rtp; }

bool sdp_proto_is_srtp(enum sdp_proto p) { return proto_ok(p) && protos[p].srtp; }

bool sdp_proto_is_dtls(enum sdp_proto p) { return proto_ok(p) && protos[p].dtls; }

bool sdp_proto_is_avpf(enum sdp_proto p) { return proto_ok(p) && protos[p].avpf; }

static enum sdp_proto proto_lookup(struct pl name)
{
	for (int p = SDP_PROTO_RTP_AVP; p < SDP_PROTO__COUNT; p++)
		if (pl_caseeq_str(name, protos[p].name))
			return (enum sdp_proto)p;
	return SDP_PROTO_OTHER;
}

/* --- lines --- */

struct parser {
	struct sdp *sdp;
	struct sdp_media *m; /* current m= section, NULL at session level */
	bool seen_v, seen_o, seen_s, seen_t;
	bool sess_conn, sess_dir;
	bool m_conn[SDP_MAX_MEDIA], m_dir[SDP_MAX_MEDIA];
	const char *error;
};

static int fail(struct parser *ps, const char *why)
{
	ps->error = why;
	return EBADMSG;
}

/* "IN IP4 <addr>[/ttl[/count]]" (RFC 8866 5.7). A host name is allowed by the RFC and kept;
 * a numeric-looking address must be a valid one. */
static int conn_parse(struct pl v, struct sdp_conn *c)
{
	struct pl nettype, addrtype, addr, rest;
	char buf[INET6_ADDRSTRLEN];
	unsigned char bin[16];
	bool numeric = true, colon = false;
	const char *slash;

	if (!sdp_token(&v, &nettype) || !sdp_token(&v, &addrtype) || !sdp_token(&v, &addr) ||
	    sdp_token(&v, &rest) || !pl_eq_str(nettype, "IN"))
		return EBADMSG;
	if (pl_eq_str(addrtype, "IP4"))
		c->ipv6 = false;
	else if (pl_eq_str(addrtype, "IP6"))
		c->ipv6 = true;
	else
		return EBADMSG;
	slash = pl_chr(addr, '/');
	if (slash)
		addr.l = (size_t)(slash - addr.p);
	if (addr.l == 0 || addr.l > 255)
		return EBADMSG;
	for (size_t i = 0; i < addr.l; i++) {
		char ch = addr.p[i];
		bool digit = ch >= '0' && ch <= '9';
		bool hex = (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
		bool alpha = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
		if (ch == ':')
			colon = true;
		else if (!digit && ch != '.' && !(c->ipv6 && hex))
			numeric = false;
		if (!digit && !alpha && ch != '.' && ch != '-' && ch != ':')
			return EBADMSG;
	}
	if (colon && (!c->ipv6 || !numeric))
		return EBADMSG;
	if (numeric && (c->ipv6 ? colon : true)) {
		if (addr.l >= sizeof(buf))
			return EBADMSG;
		pl_strcpy(addr, buf, sizeof(buf));
		if (inet_pton(c->ipv6 ? AF_INET6 : AF_INET, buf, bin) != 1)
			return EBADMSG;
	}
	c->addr = addr;
	return 0;
}

static int origin_parse(struct parser *ps, struct pl v)
{
	struct sdp *sdp = ps->sdp;
	struct pl nettype, addrtype, rest;
	uint64_t n;

	if (!sdp_token(&v, &sdp->origin_user) || !sdp_token(&v, &sdp->sess_id) ||
	    !sdp_token(&v, &sdp->sess_version) || !sdp_token(&v, &nettype) ||
	    !sdp_token(&v, &addrtype) || !sdp_token(&v, &sdp->origin_addr) || sdp_token(&v, &rest))
		return fail(ps, "bad o= line");
	if (sdp_u64(sdp->sess_id, &n) || sdp_u64(sdp->sess_version, &n))
		return fail(ps, "bad o= session id or version");
	if (!pl_eq_str(nettype, "IN") ||
	    !(pl_eq_str(addrtype, "IP4") || pl_eq_str(addrtype, "IP6")))
		return fail(ps, "bad o= address type");
	return 0;
}

static int media_parse(struct parser *ps, struct pl v)
{
	struct sdp *sdp = ps->sdp;
	struct sdp_media *m;
	struct pl port, fmt;
	const char *slash;

	if (sdp->nmedia == SDP_MAX_MEDIA)
		return fail(ps, "too many m= lines");
	m = &sdp->media[sdp->nmedia];
	memset(m, 0, sizeof(*m));
	if (!sdp_token(&v, &m->type) || !sdp_token(&v, &port) || !sdp_token(&v, &m->proto_name))
		return fail(ps, "bad m= line");
	slash = pl_chr(port, '/');
	m->port_count = 1;
	if (slash) {
		struct pl cnt = pl_from(slash + 1, port.l - (size_t)(slash - port.p) - 1);
		port.l = (size_t)(slash - port.p);
		if (u16_parse(cnt, &m->port_count) || m->port_count == 0)
			return fail(ps, "bad m= port count");
	}
	if (u16_parse(port, &m->port))
		return fail(ps, "bad m= port");
	m->proto = proto_lookup(m->proto_name);
	while (sdp_token(&v, &fmt)) {
		if (m->nfmt == SDP_MAX_FMTS)
			return fail(ps, "too many m= formats");
		if (sdp_proto_is_rtp(m->proto)) {
			uint64_t pt;
			if (sdp_u64(fmt, &pt) || pt > 127)
				return fail(ps, "bad m= payload type");
			m->pt[m->nfmt] = (uint8_t)pt;
		}
		m->fmts[m->nfmt++] = fmt;
	}
	if (m->nfmt == 0)
		return fail(ps, "m= line without formats");
	ps->m = m;
	sdp->nmedia++;
	return 0;
}

/* "<pt> <name>/<clock>[/<params>]" (RFC 8866 6.6) */
static int rtpmap_parse(struct pl v, uint8_t *pt, struct sdp_rtpmap *out)
{
	struct pl ptv, enc, clock;
	const char *s1, *s2;
	uint64_t n, c;

	if (!sdp_token(&v, &ptv) || !sdp_token(&v, &enc) || sdp_token(&v, &clock) ||
	    sdp_u64(ptv, &n) || n > 127)
		return EBADMSG;
	s1 = pl_chr(enc, '/');
	if (!s1 || s1 == enc.p)
		return EBADMSG;
	clock = pl_from(s1 + 1, enc.l - (size_t)(s1 - enc.p) - 1);
	s2 = pl_chr(clock, '/');
	out->params = PL_NULL;
	if (s2) {
		out->params = pl_from(s2 + 1, clock.l - (size_t)(s2 - clock.p) - 1);
		clock.l = (size_t)(s2 - clock.p);
		if (out->params.l == 0)
			return EBADMSG;
	}
	if (sdp_u64(clock, &c) || c == 0 || c > UINT32_MAX)
		return EBADMSG;
	out->name = pl_from(enc.p, (size_t)(s1 - enc.p));
	out->clock = (uint32_t)c;
	*pt = (uint8_t)n;
	return 0;
}

/* "20" or "20.5" (ms); the fraction is dropped. */
static int ptime_parse(struct pl v, uint32_t *out)
{
	const char *dot = pl_chr(v, '.');
	uint64_t n, f;

	if (dot) {
		struct pl frac = pl_from(dot + 1, v.l - (size_t)(dot - v.p) - 1);
		v.l = (size_t)(dot - v.p);
		if (sdp_u64(frac, &f))
			return EBADMSG;
	}
	if (sdp_u64(v, &n) || n > UINT32_MAX)
		return EBADMSG;
	*out = (uint32_t)n;
	return 0;
}

/* "port [IN IP4|IP6 addr]" (RFC 3605 2.1) */
static int rtcp_parse(struct pl v, struct sdp_media *m)
{
	struct pl port, rest;
	struct sdp_conn c;

	if (!sdp_token(&v, &port) || u16_parse(port, &m->rtcp_port))
		return EBADMSG;
	rest = pl_trim(v);
	if (rest.l) {
		if (conn_parse(rest, &c))
			return EBADMSG;
		m->rtcp_addr = c.addr;
	}
	return 0;
}

static int dir_set(struct parser *ps, bool *seen, enum sdp_dir *dir, enum sdp_dir d)
{
	if (*seen && *dir != d)
		return fail(ps, "conflicting direction attributes");
	*seen = true;
	*dir = d;
	return 0;
}

static void crypto_add(struct sdp_media *m, struct pl v)
{
	struct sdp_crypto *c;

	if (m->ncrypto == SDP_MAX_CRYPTO)
		return; /* still kept in attrs; an offer with more lines than this is odd */
	c = &m->crypto[m->ncrypto++];
	if (sdp_crypto_parse(c, v))
		return;
	/* RFC 4568 5.1: the tag identifies the line in the answer; it must be unique. */
	for (size_t i = 0; i + 1 < m->ncrypto; i++)
		if (m->crypto[i].tag == c->tag) {
			c->error = "duplicate crypto tag";
			return;
		}
}

static int attr_parse(struct parser *ps, struct pl v)
{
	struct sdp *sdp = ps->sdp;
	struct sdp_media *m = ps->m;
	struct sdp_attr *a;
	const char *colon = pl_chr(v, ':');
	size_t *nattr = m ? &m->nattr : &sdp->nattr;
	struct sdp_rtpmap rm;
	uint8_t pt;

	if (*nattr == SDP_MAX_ATTRS)
		return fail(ps, "too many attributes");
	a = m ? &m->attrs[*nattr] : &sdp->attrs[*nattr];
	a->name = colon ? pl_from(v.p, (size_t)(colon - v.p)) : v;
	a->value = colon ? pl_from(colon + 1, v.l - a->name.l - 1) : PL_NULL;
	if (a->name.l == 0)
		return fail(ps, "bad attribute name");
	for (size_t i = 0; i < a->name.l; i++)
		if (is_wsp(a->name.p[i]))
			return fail(ps, "bad attribute name");
	a->id = sdp_attr_lookup(a->name);
	(*nattr)++;

	switch (a->id) {
	case SDP_ATTR_SENDRECV:
	case SDP_ATTR_SENDONLY:
	case SDP_ATTR_RECVONLY:
	case SDP_ATTR_INACTIVE: {
		static const enum sdp_dir dirs[] = {SDP_SENDRECV, SDP_SENDONLY, SDP_RECVONLY,
		                                    SDP_INACTIVE};
		enum sdp_dir d = dirs[a->id - SDP_ATTR_SENDRECV];
		if (m)
			return dir_set(ps, &ps->m_dir[sdp->nmedia - 1], &m->dir, d);
		return dir_set(ps, &ps->sess_dir, &sdp->dir, d);
	}
	case SDP_ATTR_FINGERPRINT:
		if (m)
			m->fingerprint = true;
		else
			sdp->fingerprint = true;
		return 0;
	default:
		break;
	}
	if (!m) /* media-level attributes at session level: kept, not interpreted */
		return 0;

	switch (a->id) {
	case SDP_ATTR_RTPMAP:
		if (!pl_isset(a->value) || rtpmap_parse(a->value, &pt, &rm))
			return fail(ps, "bad a=rtpmap");
		break;
	case SDP_ATTR_FMTP: {
		struct pl fv = a->value, fmt;
		if (!pl_isset(fv) || !sdp_token(&fv, &fmt))
			return fail(ps, "bad a=fmtp");
		break;
	}
	case SDP_ATTR_PTIME:
		if (!pl_isset(a->value) || ptime_parse(a->value, &m->ptime))
			return fail(ps, "bad a=ptime");
		break;
	case SDP_ATTR_MAXPTIME:
		if (!pl_isset(a->value) || ptime_parse(a->value, &m->maxptime))
			return fail(ps, "bad a=maxptime");
		break;
	case SDP_ATTR_RTCP:
		if (!pl_isset(a->value) || rtcp_parse(a->value, m))
			return fail(ps, "bad a=rtcp");
		break;
	case SDP_ATTR_RTCP_MUX:
		m->rtcp_mux = true;
		break;
	case SDP_ATTR_CRYPTO:
		/* a bad line is skipped, never fatal */
		crypto_add(m, pl_isset(a->value) ? a->value : pl_from(a->name.p, 0));
		break;
	default:
		break;
	}
	return 0;
}

static int bw_parse(struct parser *ps, struct pl v)
{
	struct pl *bw = ps->m ? ps->m->bw : ps->sdp->bw;
	size_t *n = ps->m ? &ps->m->nbw : &ps->sdp->nbw;
	const char *colon = pl_chr(v, ':');
	uint64_t val;

	if (!colon || colon == v.p ||
	    sdp_u64(pl_from(colon + 1, v.l - (size_t)(colon - v.p) - 1), &val))
		return fail(ps, "bad b= line");
	if (*n == SDP_MAX_BW)
		return fail(ps, "too many b= lines");
	bw[(*n)++] = v;
	return 0;
}

static int time_parse(struct parser *ps, struct pl v)
{
	struct pl start, stop, rest;
	uint64_t n;

	if (!sdp_token(&v, &start) || !sdp_token(&v, &stop) || sdp_token(&v, &rest) ||
	    sdp_u64(start, &n) || sdp_u64(stop, &n))
		return fail(ps, "bad t= line");
	ps->seen_t = true;
	return 0;
}

static int line_parse(struct parser *ps, char type, struct pl v)
{
	struct sdp *sdp = ps->sdp;
	bool media = ps->m != NULL;

	if (!ps->seen_v) {
		if (type != 'v')
			return fail(ps, "v= must come first");
		if (!pl_eq_str(v, "0"))
			return fail(ps, "unsupported SDP version");
		ps->seen_v = true;
		return 0;
	}
	switch (type) {
	case 'a':
		return attr_parse(ps, v);
	case 'c':
		if (media ? ps->m_conn[sdp->nmedia - 1] : ps->sess_conn)
			return fail(ps, "duplicate c= line");
		if (conn_parse(v, media ? &ps->m->conn : &sdp->conn))
			return fail(ps, "bad c= line");
		if (media)
			ps->m_conn[sdp->nmedia - 1] = true;
		else
			ps->sess_conn = true;
		return 0;
	case 'b':
		return bw_parse(ps, v);
	case 'm':
		if (!ps->seen_o || !ps->seen_s || !ps->seen_t)
			return fail(ps, "m= before o=, s= and t=");
		return media_parse(ps, v);
	case 'i':
	case 'k': /* obsolete (RFC 8866 5.12): ignored */
		return 0;
	default:
		break;
	}
	if (media)
		return fail(ps, "session-level line in a media section");
	switch (type) {
	case 'v':
		return fail(ps, "duplicate v= line");
	case 'o':
		if (ps->seen_o)
			return fail(ps, "duplicate o= line");
		ps->seen_o = true;
		return origin_parse(ps, v);
	case 's':
		if (ps->seen_s)
			return fail(ps, "duplicate s= line");
		ps->seen_s = true;
		sdp->name = v;
		return 0;
	case 't':
		return time_parse(ps, v);
	case 'u':
	case 'e':
	case 'p':
	case 'r':
	case 'z':
		return 0;
	default:
		return fail(ps, "unknown line type");
	}
}

/* Inherit the session level into each m= section and check what needs the whole picture. */
static int finish(struct parser *ps)
{
	struct sdp *sdp = ps->sdp;

	if (!ps->seen_v)
		return fail(ps, "empty SDP");
	if (!ps->seen_o)
		return fail(ps, "missing o= line");
	if (!ps->seen_s)
		return fail(ps, "missing s= line");
	if (!ps->seen_t)
		return fail(ps, "missing t= line");
	for (size_t i = 0; i < sdp->nmedia; i++) {
		struct sdp_media *m = &sdp->media[i];
		if (!ps->m_conn[i])
			m->conn = sdp->conn;
		if (m->port && !pl_isset(m->conn.addr))
			return fail(ps, "missing c= line");
		if (!ps->m_dir[i])
			m->dir = sdp->dir;
		m->fingerprint = m->fingerprint || sdp->fingerprint;
	}
	return 0;
}

int sdp_parse(struct sdp *sdp, const char *buf, size_t len)
{
	struct parser ps;
	const char *p = buf, *end = buf + (buf ? len : 0);
	int err = 0;

	memset(&ps, 0, sizeof(ps));
	memset(sdp, 0, offsetof(struct sdp, media));
	sdp->nmedia = 0;
	sdp->error = NULL;
	sdp->dir = SDP_SENDRECV;
	ps.sdp = sdp;

	while (!err && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		struct pl line = pl_from(p, (size_t)(e - p));

		p = nl ? nl + 1 : end;
		if (line.l && line.p[line.l - 1] == '\r')
			line.l--;
		if (line.l == 0)
			continue; /* tolerate blank lines (a trailing CRLF CRLF is common) */
		for (size_t i = 0; i < line.l; i++) {
			unsigned char ch = (unsigned char)line.p[i];
			if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
				err = fail(&ps, "control character in SDP");
				break;
			}
		}
		if (err)
			break;
		if (line.l < 2 || line.p[1] != '=' || line.p[0] < 'a' || line.p[0] > 'z') {
			err = fail(&ps, "malformed SDP line");
			break;
		}
		err = line_parse(&ps, line.p[0], pl_from(line.p + 2, line.l - 2));
	}
	if (!err)
		err = finish(&ps);
	if (err) {
		sdp->error = ps.error;
		return EBADMSG;
	}
	return 0;
}

/* --- lookups --- */

const struct sdp_attr *sdp_media_attr(const struct sdp_media *m, const char *name,
                                      const struct sdp_attr *prev)
{
	size_t i = prev ? (size_t)(prev - m->attrs) + 1 : 0;

	for (; i < m->nattr; i++)
		if (pl_caseeq_str(m->attrs[i].name, name))
			return &m->attrs[i];
	return NULL;
}

/* RFC 3551 6: static audio payload types that need no rtpmap. */
static const struct {
	uint8_t pt;
	const char *name;
	uint32_t clock;
} static_pts[] = {
    {0, "PCMU", 8000}, {3, "GSM", 8000}, {4, "G723", 8000},  {8, "PCMA", 8000},
    {9, "G722", 8000}, {13, "CN", 8000}, {18, "G729", 8000},
};

int sdp_media_rtpmap(const struct sdp_media *m, uint8_t pt, struct sdp_rtpmap *out)
{
	struct sdp_rtpmap rm;
	uint8_t p;

	for (size_t i = 0; i < m->nattr; i++)
		if (m->attrs[i].id == SDP_ATTR_RTPMAP &&
		    !rtpmap_parse(m->attrs[i].value, &p, &rm) && p == pt) {
			*out = rm;
			return 0;
		}
	for (size_t i = 0; i < sizeof(static_pts) / sizeof(static_pts[0]); i++)
		if (static_pts[i].pt == pt) {
			out->name = pl_from(static_pts[i].name, strlen(static_pts[i].name));
			out->clock = static_pts[i].clock;
			out->params = PL_NULL;
			return 0;
		}
	return ENOENT;
}

struct pl sdp_media_fmtp(const struct sdp_media *m, uint8_t pt)
{
	for (size_t i = 0; i < m->nattr; i++) {
		struct pl v = m->attrs[i].value, fmt;
		uint64_t n;
		if (m->attrs[i].id != SDP_ATTR_FMTP || !sdp_token(&v, &fmt) || sdp_u64(fmt, &n) ||
		    n != pt)
			continue;
		v = pl_trim(v);
		return v.l ? v : pl_from(fmt.p + fmt.l, 0);
	}
	return PL_NULL;
}

/* frame: stream framing for SIP over TCP/TLS (RFC 3261 section 18.3: Content-Length is
 * mandatory on streams and its absence means an empty body here) and the CRLF keep-alives of
 * RFC 5626 section 4.4.1. */
#include "net/frame.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/pl.h"

void frame_reset(struct frame *f)
{
	f->scanned = 0;
	f->msg_len = 0;
}

/* Content-Length (or its compact form "l", RFC 3261 section 7.3.3) from a complete header
 * block. 0 and *cl (0 if absent), or EBADMSG for a non-numeric or conflicting value. */
static int content_length(const char *hdr, size_t len, size_t *cl)
{
	const char *p = memchr(hdr, '\n', len); /* skip the start line */
	const char *end = hdr + len;
	bool seen = false;
	uint32_t v = 0;

	while (p && ++p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		struct pl line = pl_from(p, eol ? (size_t)(eol - p) : (size_t)(end - p));
		const char *colon;

		p = eol;
		if (line.l == 0 || line.p[0] == ' ' || line.p[0] == '\t')
			continue; /* the blank line, or a folded continuation */
		colon = pl_chr(line, ':');
		if (!colon)
			continue;
		struct pl name = pl_trim(pl_from(line.p, (size_t)(colon - line.p)));
		if (!pl_caseeq_str(name, "content-length") && !pl_caseeq_str(name, "l"))
			continue;
		struct pl val = pl_trim(pl_from(colon + 1, (size_t)(line.p + line.l - colon - 1)));
		uint32_t x;
		if (pl_u32(val, UINT32_MAX, &x))
			return EBADMSG;
		/* Two different lengths would frame differently here and in the parser. */
		if (seen && x != v)
			return EBADMSG;
		seen = true;
		v = x;
	}
	*cl = v;
	return 0;
}

static const char *find_crlfcrlf(const char *p, size_t len)
{
	const char *end = p + len;

	while (len >= 4) {
		const char *cr = memchr(p, '\r', len - 3);
		if (!cr)
			return NULL;
		if (cr[1] == '\n' && cr[2] == '\r' && cr[3] == '\n')
			return cr;
		p = cr + 1;
		len = (size_t)(end - p);
	}
	return NULL;
}

enum frame_kind frame_next(struct frame *f, const char *buf, size_t len, size_t max_hdr,
			   size_t max_msg, size_t *outlen)
{
	if (f->msg_len == 0) {
		const char *eoh;
		size_t from, hdr_len, cl;

		if (f->scanned == 0 && len > 0 && buf[0] == '\r') {
			/* Between messages: CRLF CRLF is a ping, a single CRLF is skipped. Wait
			 * while what we have could still become a ping. */
			static const char ping[4] = {'\r', '\n', '\r', '\n'};
			size_t n = len < 4 ? len : 4;
			if (memcmp(buf, ping, n) == 0) {
				if (n < 4)
					return FRAME_MORE;
				frame_reset(f);
				*outlen = 4;
				return FRAME_PING;
			}
			if (len >= 2 && buf[1] == '\n') {
				frame_reset(f);
				*outlen = 2;
				return FRAME_CRLF;
			}
		}

		from = f->scanned > 3 ? f->scanned - 3 : 0;
		eoh = find_crlfcrlf(buf + from, len - from);
		if (!eoh) {
			f->scanned = len;
			if (len > max_hdr)
				goto oversize;
			return FRAME_MORE;
		}
		hdr_len = (size_t)(eoh - buf) + 4;
		if (hdr_len > max_hdr)
			goto oversize;
		if (content_length(buf, hdr_len, &cl)) {
			frame_reset(f);
			return FRAME_BAD;
		}
		if (cl > max_msg)
			goto oversize;
		f->msg_len = hdr_len + cl;
	}
	if (len < f->msg_len)
		return FRAME_MORE;
	*outlen = f->msg_len;
	frame_reset(f);
	return FRAME_MSG;

oversize:
	frame_reset(f);
	*outlen = len;
	return FRAME_OVERSIZE;
}

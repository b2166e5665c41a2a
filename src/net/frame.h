/* frame: splits a SIP byte stream into messages (RFC 3261 section 18.3) and RFC 5626 section
 * 4.4.1 keep-alives. A minimal scan (end of headers, Content-Length), not a parser; it resumes
 * where it stopped, so a message arriving in many reads is scanned once. Private to src/net. */
#ifndef SOTTO_NET_FRAME_H
#define SOTTO_NET_FRAME_H

#include <stddef.h>

enum frame_kind {
	FRAME_MORE = 0, /* incomplete: read more, call again with the same (grown) buffer */
	FRAME_MSG,	/* a whole message of *len bytes */
	FRAME_PING,	/* CRLF CRLF outside a message (*len = 4): answer with CRLF */
	FRAME_CRLF,	/* a lone CRLF between messages (*len = 2): skip it */
	FRAME_OVERSIZE, /* past max_hdr / max_msg: *len bytes are what there is of it */
	FRAME_BAD,	/* unusable Content-Length: the stream cannot be framed any more */
};

struct frame {
	size_t scanned;	 /* bytes already searched for CRLF CRLF */
	size_t msg_len;	 /* 0 until the headers are complete; then headers + body */
};

void frame_reset(struct frame *f);
/* Look at buf[0..len), the unconsumed stream data; the state is reset after every result other
 * than FRAME_MORE, when the caller drops *len bytes from the front. */
enum frame_kind frame_next(struct frame *f, const char *buf, size_t len, size_t max_hdr,
			   size_t max_msg, size_t *outlen);

#endif

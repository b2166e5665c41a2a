/* libFuzzer target for the SIP parser and the response builder: parse the input as a datagram;
 * when it parses (or fails but can be answered) build the response the stack would send and
 * parse that again, which must always succeed. Views must stay inside the input. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/mbuf.h"
#include "net/sa.h"
#include "sip/build.h"
#include "sip/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(struct pl v, const char *buf, size_t len)
{
	if (v.l && (v.p < buf || v.p + v.l > buf + len))
		abort();
}

static void check_views(const struct sip_msg *m, const char *buf, size_t len)
{
	for (size_t i = 0; i < m->nhdrs; i++) {
		inside(m->hdrs[i].name, buf, len);
		inside(m->hdrs[i].value, buf, len);
	}
	inside(m->body, buf, len);
	inside(m->raw, buf, len);
	inside(m->call_id, buf, len);
	inside(m->via.branch, buf, len);
	inside(m->to.tag, buf, len);
	inside(m->ruri.host, buf, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sip_msg req, resp;
	const char *buf = (const char *)data;
	struct sa src;
	struct mbuf mb;
	int err;

	err = sip_msg_parse(&req, buf, size);
	check_views(&req, buf, size);
	if (err && !req.error)
		abort(); /* a failure always says why */
	if (!req.is_request || (err && !req.can_reply))
		return 0;

	memset(&src, 0, sizeof(src));
	sa_set(&src, PL("192.0.2.1"), 5060);
	mbuf_init(&mb);
	bool parsed = err == 0;
	if (!parsed)
		err = sip_build_error_response(&mb, &req, &src, 400);
	else
		err =
		    sip_build_response(&mb, &req, &src, 200, "OK", "fuzztag", NULL, PL_NULL, NULL);
	if (!err) {
		/* what we send must be a well-formed response to what we got */
		if (sip_msg_parse(&resp, mb.buf, mb.len) || resp.is_request ||
		    (parsed && resp.nvia != req.nvia) || resp.cseq != req.cseq ||
		    resp.call_id.l != req.call_id.l)
			abort();
		check_views(&resp, mb.buf, mb.len);
	} else if (err != EINVAL) {
		abort();
	}
	mbuf_free(&mb);
	return 0;
}

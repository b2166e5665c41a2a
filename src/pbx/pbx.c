/* pbx: request dispatch. OPTIONS is answered here (RFC 3261 11.2); methods not implemented yet
 * get 501 (RFC 3261 8.2.1) so a peer knows at once rather than timing out. */
#include "pbx/pbx.h"

#include <errno.h>
#include <stdlib.h>

#include "core/log.h"
#include "sip/build.h"

struct pbx {
	const struct settings *cfg;
	struct sip_stack *stack;
};

int pbx_alloc(struct pbx **pp, const struct settings *cfg)
{
	struct pbx *p = calloc(1, sizeof(*p));
	if (!p)
		return ENOMEM;
	p->cfg = cfg;
	*pp = p;
	return 0;
}

void pbx_attach(struct pbx *p, struct sip_stack *stack)
{
	p->stack = stack;
}

void pbx_free(struct pbx *p)
{
	free(p);
}

static void reply(struct sip_strans *st, uint16_t code, const char *reason, const char *extra)
{
	char tag[17];
	if (sip_random_token(tag, 16))
		return;
	int err = sip_strans_reply(st, code, reason, tag, extra, PL_NULL, NULL);
	if (err)
		log_warn("pbx: could not send %u: %d", code, err);
}

void pbx_request(struct sip_strans *st, const struct sip_msg *req, const struct tp_peer *from,
		 void *arg)
{
	(void)arg;
	(void)from;
	log_debug("pbx: %.*s %.*s", PL_ARG(req->method), PL_ARG(req->ruri_raw));
	if (!st) /* ACK for a 2xx: no dialogs yet */
		return;
	switch (req->mid) {
	case SIP_OPTIONS:
		reply(st, 200, NULL,
		      "Allow: " PBX_ALLOW "\r\n"
		      "Accept: application/sdp\r\n"
		      "Supported: outbound\r\n"
		      "Server: Sotto\r\n");
		break;
	default:
		reply(st, 501, NULL, "Allow: " PBX_ALLOW "\r\nServer: Sotto\r\n");
		break;
	}
}

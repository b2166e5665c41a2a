/* call_reinvite: requests inside a call's dialogs (RFC 3261 12.2, 14): BYE, re-INVITE, UPDATE,
 * OPTIONS, INFO and the ACKs for our 2xx. A re-INVITE or UPDATE is answered on the leg that sent
 * it (the relay anchors the media, so hold and re-keying stay on the leg that asked). */
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "pbx/call_int.h"
#include "pbx/pbx_int.h"
#include "sip/build.h"

/* Parse an SDP body into a heap struct (it is large). NULL on failure. */
static struct sdp *sdp_from(const char *body, size_t len)
{
	struct sdp *s = malloc(sizeof(*s));
	if (s && sdp_parse(s, body, len)) {
		free(s);
		return NULL;
	}
	return s;
}

static void on_no_ack(struct sip_dialog *d, void *arg)
{
	struct call *c = arg;
	(void)d;
	log_warn("call %s: the caller never acknowledged the answer", c->id);
	call_end(c, "no_ack", false, true);
}

/* Which call and side a request with a To tag belongs to. */
static struct call *find_dialog(struct calls *cs, const struct sip_msg *req, int *side)
{
	for (struct call *c = cs->list; c; c = c->next) {
		if (c->a_dlg && sip_dialog_match(c->a_dlg, req)) {
			*side = SIDE_A;
			return c;
		}
		if (c->winner >= 0 && sip_dialog_match(c->br[c->winner].dlg, req)) {
			*side = SIDE_B;
			return c;
		}
	}
	return NULL;
}

/* A re-INVITE or UPDATE with an offer from one side: answered here, not relayed. */
static void reoffer(struct call *c, int side, struct sip_strans *st, const struct sip_msg *req,
		    const struct tp_peer *from)
{
	struct calls *cs = c->cs;
	struct sip_dialog *d = side == SIDE_A ? c->a_dlg : c->br[c->winner].dlg;
	bool tls = (side == SIDE_A ? c->a_kind : c->br[c->winner].kind) == TP_TLS;
	enum conf_encryption policy = side == SIDE_A ? c->a_policy : c->b_policy;
	struct mbuf body, hdrs, mb;
	uint16_t code = 0;
	const char *reason = NULL;
	struct sdp *offer = NULL;

	if (req->body.l && !(offer = sdp_from(req->body.p, req->body.l))) {
		pbx_reply(st, 488, "Malformed SDP", PBX_SERVER_HDR);
		return;
	}
	if (!offer) { /* no offer: RFC 3261 14.2 would need us to offer; keep the session as is */
		pbx_reply(st, 488, "An SDP offer is required", PBX_SERVER_HDR);
		return;
	}
	sip_dialog_refresh_target(d, req);
	mbuf_init(&body);
	mbuf_init(&hdrs);
	mbuf_init(&mb);
	if (call_sdp_reoffer(c, side, tls, policy, offer, cs->d.cfg->media_address, &body, &code,
			     &reason)) {
		pbx_reply(st, code, reason, PBX_SERVER_HDR);
	} else {
		const char *tag = sip_dialog_local_tag(d);
		struct pl sdp = pl_from(body.buf, body.len);
		sip_dialog_reply_hdrs(d, &hdrs, NULL);
		mbuf_write_str(&hdrs, PBX_SERVER_HDR);
		bool invite = req->mid == SIP_INVITE;
		if (!hdrs.err && invite)
			sip_build_response(&mb, req, &from->remote, 200, NULL, tag, hdrs.buf, sdp,
					   "application/sdp");
		if (!hdrs.err &&
		    sip_strans_reply(st, 200, NULL, tag, hdrs.buf, sdp, "application/sdp") == 0 &&
		    invite && mb.len)
			sip_dialog_2xx_start(d, cs->d.stack, cs->d.timers, NULL, from, mb.buf, mb.len,
					     on_no_ack, c);
		log_info("call %s: %s side re-offered (%s)", c->id, side == SIDE_A ? "caller" : "callee",
			 sdp_media_held(&offer->media[0]) ? "hold" : "active");
	}
	if (body.buf)
		OPENSSL_cleanse(body.buf, body.cap);
	if (mb.buf)
		OPENSSL_cleanse(mb.buf, mb.cap);
	mbuf_free(&body);
	mbuf_free(&hdrs);
	mbuf_free(&mb);
	free(offer);
}

bool calls_in_dialog(struct calls *cs, struct sip_strans *st, const struct sip_msg *req,
		     const struct tp_peer *from)
{
	int side = SIDE_A;
	struct call *c = find_dialog(cs, req, &side);
	if (!c)
		return false;
	struct sip_dialog *d = side == SIDE_A ? c->a_dlg : c->br[c->winner].dlg;
	if (!st) { /* ACK for one of our 2xx */
		sip_dialog_ack_received(d, req);
		return true;
	}
	if (sip_dialog_accept_cseq(d, req)) {
		pbx_reply(st, 500, "Out of order", PBX_SERVER_HDR);
		return true;
	}
	switch (req->mid) {
	case SIP_BYE:
		pbx_reply(st, 200, NULL, PBX_SERVER_HDR);
		call_end(c, side == SIDE_A ? "caller_hangup" : "callee_hangup", side == SIDE_B,
			 side == SIDE_A);
		break;
	case SIP_INVITE:
	case SIP_UPDATE:
		if (c->state != CALL_ANSWERED && req->mid == SIP_INVITE)
			pbx_reply(st, 491, NULL, PBX_SERVER_HDR);
		else if (req->body.l || req->mid == SIP_INVITE)
			reoffer(c, side, st, req, from);
		else
			pbx_reply(st, 200, NULL, PBX_SERVER_HDR); /* session timer refresh */
		break;
	case SIP_OPTIONS:
	case SIP_INFO:
		pbx_reply(st, 200, NULL, "Allow: " PBX_ALLOW "\r\n" PBX_SERVER_HDR);
		break;
	default:
		pbx_reply(st, 501, NULL, "Allow: " PBX_ALLOW "\r\n" PBX_SERVER_HDR);
		break;
	}
	return true;
}

/* call_reinvite: requests inside a call's dialogs (RFC 3261 12.2, 14, 15; RFC 3311 UPDATE):
 * BYE, re-INVITE, UPDATE, OPTIONS, INFO and the ACKs for our 2xx.
 *
 * A re-INVITE or UPDATE carrying an offer from one side (S; the other is O) is either
 *  - answered on S's leg alone when it only refreshes the session or moves S's address or keys:
 *    fresh keys of ours toward S, the relay re-keys S's side of the bridge and O sees nothing.
 *    That is what keeps re-keying per leg: O's SRTP context is never touched by S's;
 *  - or relayed when it changes what O must know: the codecs, streams added or removed, or the
 *    direction (hold, resume: O's phone shows "held" and stops sending). We send O a re-INVITE
 *    with our own SDP for O's leg (our address there, our existing key toward O so its SRTP
 *    context and rollover counter go on, o= version + 1). O's 2xx is ACKed on O's leg at once
 *    (each leg ACKs its own 2xx), O's answer is mapped into ours to S (with new keys toward S
 *    if S sent new keys, RFC 4568 7.1.4) and both sides of the bridges are updated from the
 *    two. A failure from O (4xx-6xx, no answer) is answered to S and the old session stays in
 *    force on both legs: nothing was applied before O's 2xx (RFC 3261 14.1).
 * One offer at a time per call: another gets 491 on the leg where our re-INVITE is pending
 * (glare, RFC 3261 14.2, RFC 3311 5.2) and 500 with Retry-After on the leg whose own offer is.
 * Policy holds on every leg: a leg that must encrypt never gets a plain offer, and a re-offer
 * dropping its SRTP gets 488 and changes nothing. */
#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/rand.h"
#include "pbx/call_int.h"
#include "pbx/pbx_int.h"
#include "sip/build.h"

/* How long O may take to answer our re-INVITE, even after a provisional (64*T1, timer B). */
#define REINV_TIMEOUT_MS 32000u

static struct sip_dialog *leg_dialog(const struct call *c, int side)
{
	return side == SIDE_A ? c->a_dlg : c->br[c->winner].dlg;
}

static const char *side_name(int side)
{
	return side == SIDE_A ? "caller" : "callee";
}

static void on_no_ack(struct sip_dialog *d, void *arg)
{
	struct call *c = arg;
	(void)d;
	log_warn("call %s: the answer to a re-INVITE was never acknowledged", c->id);
	call_end(c, "no_ack", true, true);
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

/* Answer a re-offer with our SDP: a 200 with the dialog's Contact; the 200 to a re-INVITE is
 * resent until its ACK (RFC 3261 13.3.1.4). */
static int answer_offer(struct call *c, int side, struct sip_strans *st, const struct mbuf *body)
{
	struct calls *cs = c->cs;
	struct sip_dialog *d = leg_dialog(c, side);
	const struct sip_msg *req = sip_strans_request(st);
	const struct tp_peer *peer = sip_strans_peer(st);
	const char *tag = sip_dialog_local_tag(d);
	struct pl sdp = pl_from(body->buf, body->len);
	bool invite = req->mid == SIP_INVITE;
	struct mbuf hdrs, mb;
	int err;

	mbuf_init(&hdrs);
	mbuf_init(&mb);
	sip_dialog_reply_hdrs(d, &hdrs, NULL);
	mbuf_write_str(&hdrs, PBX_SERVER_HDR);
	err = hdrs.err;
	/* the same bytes as sip_strans_reply sends, kept for the retransmissions */
	if (!err && invite)
		err = sip_build_response(&mb, req, &peer->remote, 200, NULL, tag, hdrs.buf, sdp,
					 "application/sdp");
	if (!err)
		err = sip_strans_reply(st, 200, NULL, tag, hdrs.buf, sdp, "application/sdp");
	if (!err && invite)
		sip_dialog_2xx_start(d, cs->d.stack, cs->d.timers, NULL, peer, mb.buf, mb.len,
				     on_no_ack, c);
	if (err)
		pbx_reply(st, 500, "Cannot answer", PBX_SERVER_HDR); /* EPROTO if it went out */
	if (mb.buf)
		OPENSSL_cleanse(mb.buf, mb.cap); /* it carries our key */
	mbuf_free(&mb);
	mbuf_free(&hdrs);
	return err;
}

/* The offer the log line describes: hold when its first stream is held. */
static const char *hold_word(const struct sdp *offer)
{
	return offer->nmedia && sdp_media_held(&offer->media[0]) ? "hold" : "active";
}

/* 500 with Retry-After 0-10 s (RFC 3261 14.2): the session is unchanged and the phone may try
 * again (never 408, which would end its dialog: RFC 3261 12.2.1.2). */
static void reply_retry(struct sip_strans *st, const char *reason)
{
	uint8_t rnd = 0;
	char hdr[64];
	(void)rand_bytes(&rnd, 1);
	snprintf(hdr, sizeof(hdr), "Retry-After: %u\r\n" PBX_SERVER_HDR, rnd % 11u);
	pbx_reply(st, 500, reason, hdr);
}

/* ---- relayed re-offers ------------------------------------------------------------------ */

static void wipe_free(char **p, size_t *len)
{
	if (*p) {
		OPENSSL_cleanse(*p, *len);
		free(*p);
	}
	*p = NULL;
	*len = 0;
}

/* The ACK we sent for our re-INVITE's 2xx on a side when it carried an answer (keep: taken
 * over), resent for that 2xx's retransmissions; NULL: none (a plain ACK is built then). */
static void keep_ack(struct call *c, int side, struct mbuf *keep)
{
	wipe_free(&c->reinv_ack[side], &c->reinv_ack_len[side]);
	if (keep && keep->buf) {
		c->reinv_ack[side] = keep->buf;
		c->reinv_ack_len[side] = keep->len;
		mbuf_init(keep);
	}
}

/* Late: the offering side's 2xx is ACKed with every stream refused (RFC 3261 13.2.2.4: a valid
 * answer, then the BYE that call_end sends). */
static void late_refuse(struct call *c, struct call_reinv *r)
{
	struct mbuf body;
	int o = r->from;
	mbuf_init(&body);
	r->owe_ack = false;
	if (r->sdp)
		call_sdp_refuse(o == SIDE_A ? &c->a_origin : &c->b_origin, r->sdp,
				c->cs->d.cfg->media_address, &body);
	call_dialog_ack(c->cs->d.stack, leg_dialog(c, o), r->cseq, pl_from(body.buf, body.len),
			NULL);
	mbuf_free(&body);
}

static void reinv_free(struct call *c, struct call_reinv *r)
{
	if (r->owe_ack)
		late_refuse(c, r);
	call_reinv_undo(c, r);
	tmr_cancel(&r->timer);
	wipe_free(&r->body, &r->body_len); /* the originator's keys */
	wipe_free(&r->out, &r->out_len);
	free(r->sdp);
	free(r);
}

/* The relayed offer is over: answer the originator (with body: 200 and our answer) and free
 * it. */
static void reinv_finish(struct call *c, uint16_t code, const char *reason,
			 const struct mbuf *body)
{
	struct call_reinv *r = c->reinv;
	c->reinv = NULL;
	if (r->ct)
		sip_ctrans_abandon(r->ct);
	if (r->st && body)
		answer_offer(c, r->from, r->st, body);
	else if (r->st)
		pbx_reply(r->st, code, reason, PBX_SERVER_HDR);
	reinv_free(c, r);
}

/* The relayed offer got no answer from O: S gets 500 with Retry-After, both legs keep the
 * session they had. */
static void reinv_no_answer(struct call *c)
{
	struct call_reinv *r = c->reinv;
	if (r->st) {
		reply_retry(r->st, "The other party did not answer");
		r->st = NULL;
	}
	reinv_finish(c, 500, NULL, NULL); /* also CANCELs ours */
}

void call_reinv_free(struct call *c)
{
	if (c->reinv) /* RFC 3261 15.1.2: pending requests of a dialog that ends get 487 */
		reinv_finish(c, 487, "Call ended", NULL);
	keep_ack(c, SIDE_A, NULL);
	keep_ack(c, SIDE_B, NULL);
}

/* A final response from O that is about O's own leg (its dialog, its credentials, no answer)
 * is no reason for S to end its dialog (RFC 3261 12.2.1.2): S gets 500 and may try again. */
static uint16_t relay_code(uint16_t scode)
{
	return scode == 401 || scode == 407 || scode == 408 || scode == 481 ? 500 : scode;
}

/* O's 2xx: ACK it on O's leg, update the bridges from both offer and answer, answer S. */
static void reinv_answered(struct call *c, const struct sip_msg *resp)
{
	struct calls *cs = c->cs;
	struct call_reinv *r = c->reinv;
	int other = 1 - r->from;
	struct sip_dialog *d = leg_dialog(c, other);
	struct sdp *ans = NULL;
	struct mbuf mb, body;
	uint16_t code = 0;
	const char *reason = NULL;

	mbuf_init(&mb);
	mbuf_init(&body);
	if (r->out_invite) { /* an UPDATE's 2xx needs no ACK */
		if (sip_dialog_ack(d, &mb, resp->cseq, NULL, NULL, PL_NULL) == 0)
			sip_stack_send(cs->d.stack, sip_dialog_peer(d), mb.buf, mb.len);
		c->reinv_cseq[other] = resp->cseq;
		keep_ack(c, other, NULL);
	}
	mbuf_free(&mb);
	sip_dialog_refresh_target(d, resp);
	if (!resp->body.l || !(ans = call_sdp_parse(resp->body.p, resp->body.l))) {
		code = 488;
		reason = "The other party sent no usable answer";
	} else if (call_reinv_answer(c, r, ans, cs->d.cfg->media_address, &body, &code,
				     &reason) == 0) {
		log_info("call %s: %s side re-offered (%s), relayed to the %s", c->id,
			 side_name(r->from), hold_word(r->sdp), side_name(other));
		reinv_finish(c, 200, NULL, &body);
	}
	if (code) {
		/* O now runs a session we cannot bridge, S still the old one: neither can go on */
		log_warn("call %s: the %s accepted a re-INVITE with an unusable answer (%s); hanging up",
			 c->id, side_name(other), reason);
		reinv_finish(c, code, reason, NULL);
		call_end(c, "reinvite_failed", true, true);
	}
	if (body.buf)
		OPENSSL_cleanse(body.buf, body.cap);
	mbuf_free(&body);
	free(ans);
}

/* Late: O's 2xx to our re-INVITE without SDP carries O's offer. From here O is the offerer:
 * our offer for S's leg (our address and the key S already has, as for any relayed offer) goes
 * to S in the 200 to its re-INVITE, O's 2xx waits for S's answer in its ACK (late_ack). */
static void late_answered(struct call *c, const struct sip_msg *resp)
{
	struct calls *cs = c->cs;
	struct call_reinv *r = c->reinv;
	int s = r->from, o = 1 - r->from;
	struct sip_strans *st = r->st;
	struct mbuf body;
	uint16_t code = 0;
	const char *reason = NULL;

	mbuf_init(&body);
	c->reinv_cseq[o] = resp->cseq;
	keep_ack(c, o, NULL);
	sip_dialog_refresh_target(leg_dialog(c, o), resp);
	tmr_cancel(&r->timer); /* S's ACK is awaited with the 2xx's own timer (on_no_ack) */
	r->from = o;
	r->owe_ack = true;
	if (!resp->body.l) { /* O made no offer, so its session is unchanged: so is S's */
		log_info("call %s: the %s answered a re-INVITE without SDP with no offer; the "
			 "session is unchanged", c->id, side_name(o));
		r->owe_ack = false;
		call_dialog_ack(cs->d.stack, leg_dialog(c, o), resp->cseq, PL_NULL, NULL);
		reinv_finish(c, 500, "The other party made no offer", NULL);
		return;
	}
	r->body = malloc(resp->body.l);
	if (r->body) {
		memcpy(r->body, resp->body.p, resp->body.l);
		r->body_len = resp->body.l;
		r->sdp = call_sdp_parse(r->body, r->body_len);
	}
	if (!r->sdp) {
		code = 500;
		reason = r->body ? "The other party's offer is malformed" : "Out of memory";
	} else if (call_reinv_check(c, o, r->sdp, &code, &reason) == 0) {
		call_reinv_offer(c, r, cs->d.cfg->media_address, &body, &code, &reason);
	}
	r->st = NULL; /* answered here, with our offer or the failure */
	if (!code) {
		r->wait_ack = true;
		if (answer_offer(c, s, st, &body) == 0) {
			log_debug("call %s: the %s's offer (re-INVITE without SDP) sent to the %s",
				  c->id, side_name(o), side_name(s));
			goto out;
		}
		reason = "Cannot send the offer"; /* answered 500 */
	} else {
		pbx_reply(st, code, reason, PBX_SERVER_HDR);
	}
	/* O's 2xx gets a refusal in our ACK (reinv_free, from call_end): its streams are off, so
	 * the call cannot go on */
	log_warn("call %s: the %s's offer for a re-INVITE without SDP cannot go to the %s (%s); "
		 "hanging up", c->id, side_name(o), side_name(s), reason);
	call_end(c, "reinvite_failed", true, true);
out:
	if (body.buf)
		OPENSSL_cleanse(body.buf, body.cap);
	mbuf_free(&body);
}

/* Late: S's ACK with its answer to O's offer. The policy holds on it as on any answer; one
 * that breaks it (or none, or malformed SDP) ends the call: S already runs a session we did
 * not agree to, and O's offer must be answered before anything else happens on its leg. */
static void late_ack(struct call *c, const struct sip_msg *ack)
{
	struct calls *cs = c->cs;
	struct call_reinv *r = c->reinv;
	int o = r->from, s = 1 - r->from;
	struct sdp *ans = NULL;
	struct mbuf body, keep;
	uint16_t code = 0;
	const char *reason = NULL;

	mbuf_init(&body);
	mbuf_init(&keep);
	if (!ack->body.l)
		reason = "no SDP answer in its ACK";
	else if (!(ans = call_sdp_parse(ack->body.p, ack->body.l)))
		reason = "malformed SDP in its ACK";
	else if (call_reinv_answer(c, r, ans, cs->d.cfg->media_address, &body, &code, &reason))
		reason = reason ? reason : "unusable answer";
	else
		reason = NULL;
	if (!reason) {
		r->owe_ack = false;
		if (call_dialog_ack(cs->d.stack, leg_dialog(c, o), r->cseq,
				    pl_from(body.buf, body.len), &keep) == 0)
			keep_ack(c, o, &keep);
		log_info("call %s: %s side re-INVITEd without SDP: the %s's offer (%s) answered in "
			 "its ACK", c->id, side_name(s), side_name(o), hold_word(r->sdp));
		c->reinv = NULL;
		reinv_free(c, r);
	} else {
		log_warn("call %s: the %s's answer to a re-INVITE without SDP is refused: %s; "
			 "hanging up", c->id, side_name(s), reason);
		/* call_end ACKs O with a refusal (reinv_free) before the BYEs */
		call_end(c, "reinvite_bad_answer", true, true);
	}
	if (body.buf)
		OPENSSL_cleanse(body.buf, body.cap);
	mbuf_free(&body);
	if (keep.buf)
		OPENSSL_cleanse(keep.buf, keep.cap);
	mbuf_free(&keep);
	free(ans);
}

static void on_reinv_response(const struct sip_msg *resp, int err, void *arg);

/* Send our offer (r->out; none when late) to O, as a re-INVITE or an UPDATE. */
static int reinv_send(struct call *c, struct call_reinv *r, bool invite)
{
	struct calls *cs = c->cs;
	struct sip_dialog *d = leg_dialog(c, 1 - r->from);
	struct mbuf hdrs, mb;
	int err;

	mbuf_init(&hdrs);
	mbuf_init(&mb);
	mbuf_write_str(&hdrs, "Allow: " PBX_ALLOW "\r\n" PBX_SERVER_HDR);
	err = hdrs.err;
	if (!err)
		err = sip_dialog_request(d, &mb, invite ? "INVITE" : "UPDATE", hdrs.buf,
					 r->out_len ? "application/sdp" : NULL,
					 pl_from(r->out, r->out_len), &r->cseq);
	if (!err)
		err = sip_ctrans_send(cs->d.stack, &r->ct, sip_dialog_peer(d), mb.buf, mb.len,
				      on_reinv_response, c);
	if (!err)
		r->out_invite = invite;
	if (mb.buf)
		OPENSSL_cleanse(mb.buf, mb.cap);
	mbuf_free(&hdrs);
	mbuf_free(&mb);
	return err;
}

static void on_reinv_response(const struct sip_msg *resp, int err, void *arg)
{
	struct call *c = arg;
	struct call_reinv *r = c->reinv;
	if (!r || (resp && resp->scode < 200))
		return;
	r->ct = NULL; /* the transaction is done with us */
	if (!resp) {
		log_info("call %s: the %s did not answer a relayed %s (%s); the call goes on",
			 c->id, side_name(1 - r->from), r->out_invite ? "re-INVITE" : "UPDATE",
			 err == ETIMEDOUT ? "timeout" : strerror(err));
		reinv_no_answer(c);
	} else if (!r->out_invite && (resp->scode == 405 || resp->scode == 501) &&
		   reinv_send(c, r, true) == 0) {
		/* a phone without UPDATE: the same offer as a re-INVITE */
		log_debug("call %s: the %s does not take UPDATE (%u); sent as a re-INVITE", c->id,
			  side_name(1 - r->from), resp->scode);
	} else if (resp->scode >= 300) {
		log_info("call %s: the %s refused a relayed %s: %u; the session is unchanged",
			 c->id, side_name(1 - r->from), r->out_invite ? "re-INVITE" : "UPDATE",
			 resp->scode);
		reinv_finish(c, relay_code(resp->scode), NULL, NULL);
	} else if (r->late) {
		late_answered(c, resp);
	} else {
		reinv_answered(c, resp);
	}
}

static void on_reinv_timeout(void *arg)
{
	struct call *c = arg;
	log_info("call %s: the %s did not answer a relayed re-offer in time; the call goes on",
		 c->id, side_name(1 - c->reinv->from));
	reinv_no_answer(c);
}

/* S cancelled its re-INVITE: cancel ours; O's final response (487) answers S. */
static void on_reinv_cancel(struct sip_strans *st, void *arg)
{
	struct call *c = arg;
	(void)st;
	if (c->reinv && c->reinv->ct && c->reinv->out_invite)
		sip_ctrans_cancel(c->reinv->ct);
}

/* Relay S's offer: our re-INVITE (an UPDATE for an UPDATE) to O, S's request answered when O
 * has. A re-INVITE without SDP goes on without SDP (see calls_in_dialog). */
static void relay_start(struct call *c, int side, struct sip_strans *st, const struct sip_msg *req)
{
	struct calls *cs = c->cs;
	int other = 1 - side;
	struct call_reinv *r = calloc(1, sizeof(*r));
	struct mbuf body;
	uint16_t code = 0;
	const char *reason = NULL;
	int err = ENOMEM;

	mbuf_init(&body);
	if (r) {
		r->from = side;
		r->st = st;
		r->invite = req->mid == SIP_INVITE;
		r->late = !req->body.l;
		r->req_cseq = req->cseq;
		tmr_init(&r->timer);
		r->body = r->late ? NULL : malloc(req->body.l);
		err = r->late ? 0 : ENOMEM;
	}
	if (r && r->body) {
		memcpy(r->body, req->body.p, req->body.l);
		r->body_len = req->body.l;
		r->sdp = call_sdp_parse(r->body, req->body.l);
		err = r->sdp ? call_reinv_offer(c, r, cs->d.cfg->media_address, &body, &code,
						&reason)
			     : ENOMEM;
	}
	if (!err && body.len) {
		r->out = malloc(body.len);
		err = r->out ? 0 : ENOMEM;
		if (r->out) {
			memcpy(r->out, body.buf, body.len);
			r->out_len = body.len;
		}
	}
	if (!err)
		err = reinv_send(c, r, r->invite);
	if (err) {
		log_warn("call %s: cannot relay the %s's re-offer: %s", c->id, side_name(side),
			 reason ? reason : strerror(err));
		pbx_reply(st, code ? code : 500, code ? reason : "Cannot relay the offer",
			  PBX_SERVER_HDR);
		if (r)
			reinv_free(c, r);
	} else {
		c->reinv = r;
		tmr_start(cs->d.timers, &r->timer, REINV_TIMEOUT_MS, on_reinv_timeout, c);
		if (r->invite)
			sip_strans_set_cancel_handler(st, on_reinv_cancel, c);
		log_debug("call %s: %s side's re-offer%s relayed to the %s (CSeq %u)", c->id,
			  side_name(side), r->late ? " (none: no SDP)" : "", side_name(other),
			  r->cseq);
	}
	if (body.buf)
		OPENSSL_cleanse(body.buf, body.cap);
	mbuf_free(&body);
}

/* ---- incoming requests ------------------------------------------------------------------ */

/* A re-INVITE or UPDATE with an offer from one side: answered on its leg, or relayed. */
static void reoffer(struct call *c, int side, struct sip_strans *st, const struct sip_msg *req)
{
	struct calls *cs = c->cs;
	struct sip_dialog *d = leg_dialog(c, side);
	struct mbuf body;
	uint16_t code = 0;
	const char *reason = NULL;
	struct sdp *offer = NULL;

	if (req->body.l && !(offer = call_sdp_parse(req->body.p, req->body.l))) {
		pbx_reply(st, 488, "Malformed SDP", PBX_SERVER_HDR);
		return;
	}
	if (!offer) {
		/* A re-INVITE without SDP asks us for an offer (RFC 3261 14.2), which SHOULD list
		 * everything we can do. Sotto does not transcode, so only the other party knows
		 * that: the request goes on to it without SDP, its 2xx's offer comes to this side
		 * as ours (our address, our key for this leg) and this side's answer in its ACK
		 * goes back in our ACK. It is what the other party's phone shows too (hold,
		 * resume), like the late offer of a first INVITE (call_early.c). Asterisk and
		 * FreeSWITCH answer such a re-INVITE themselves from their own codecs, which they
		 * can transcode; with media passed through (FreeSWITCH's proxy mode) they
		 * forward it as well. The echo test has no other party. */
		if (c->state == CALL_ANSWERED && !c->echo && c->winner >= 0) {
			sip_dialog_refresh_target(d, req);
			relay_start(c, side, st, req);
		} else {
			pbx_reply(st, 488, "An SDP offer is required", PBX_SERVER_HDR);
		}
		return;
	}
	sip_dialog_refresh_target(d, req);
	mbuf_init(&body);
	if (call_reinv_check(c, side, offer, &code, &reason)) {
		log_info("call %s: %s side's re-offer refused: %s", c->id, side_name(side), reason);
		pbx_reply(st, code, reason, PBX_SERVER_HDR);
	} else if (c->state == CALL_ANSWERED && !c->echo && c->winner >= 0 &&
		   call_reinv_changes(c, side, offer)) {
		relay_start(c, side, st, req);
	} else if (call_reinv_local(c, side, offer, cs->d.cfg->media_address, &body, &code,
				    &reason)) {
		pbx_reply(st, code, reason, PBX_SERVER_HDR);
	} else if (answer_offer(c, side, st, &body) == 0) {
		log_info("call %s: %s side re-offered (%s)", c->id, side_name(side),
			 hold_word(offer));
	}
	if (body.buf)
		OPENSSL_cleanse(body.buf, body.cap);
	mbuf_free(&body);
	free(offer);
}

bool calls_in_dialog(struct calls *cs, struct sip_strans *st, const struct sip_msg *req,
		     const struct tp_peer *from)
{
	int side = SIDE_A;
	struct call *c = find_dialog(cs, req, &side);
	(void)from;
	if (!c)
		return false;
	struct sip_dialog *d = leg_dialog(c, side);
	if (!st) { /* ACK for one of our 2xx */
		struct call_reinv *r = c->reinv;
		if (sip_dialog_ack_received(d, req) && r && r->wait_ack && side != r->from &&
		    req->cseq == r->req_cseq)
			late_ack(c, req); /* it answers the offer in our 200 */
		return true;
	}
	if (sip_dialog_accept_cseq(d, req)) {
		pbx_reply(st, 500, "Out of order", PBX_SERVER_HDR);
		return true;
	}
	switch (req->mid) {
	case SIP_BYE:
		pbx_reply(st, 200, NULL, PBX_SERVER_HDR);
		call_reinv_free(c); /* a relayed re-INVITE gets 487 before the BYE goes on */
		call_end(c, side == SIDE_A ? "caller_hangup" : "callee_hangup", side == SIDE_B,
			 side == SIDE_A);
		break;
	case SIP_INVITE:
	case SIP_UPDATE:
		if (c->state != CALL_ANSWERED && req->mid == SIP_INVITE)
			pbx_reply(st, 491, NULL, PBX_SERVER_HDR);
		else if (!req->body.l && req->mid == SIP_UPDATE)
			pbx_reply(st, 200, NULL, PBX_SERVER_HDR); /* session timer refresh */
		else if (c->reinv && c->reinv->from == side)
			reply_retry(st, "An offer is in progress");
		else if (c->reinv) /* our re-INVITE to this side is pending: glare */
			pbx_reply(st, 491, NULL, PBX_SERVER_HDR);
		else
			reoffer(c, side, st, req);
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

bool calls_stray_reinvite(struct calls *cs, const struct sip_msg *resp)
{
	if (resp->scode < 200 || resp->scode >= 300 || resp->cseq_mid != SIP_INVITE)
		return false;
	for (struct call *c = cs->list; c; c = c->next) {
		for (int side = SIDE_A; side <= SIDE_B; side++) {
			if (side == SIDE_B && c->winner < 0)
				break;
			struct sip_dialog *d = leg_dialog(c, side);
			if (!d || !c->reinv_cseq[side] || resp->cseq != c->reinv_cseq[side] ||
			    !sip_dialog_match_response(d, resp))
				continue;
			struct call_reinv *r = c->reinv;
			if (r && r->owe_ack && side == r->from)
				return true; /* its offer awaits the answer from the other side */
			if (c->reinv_ack[side]) { /* our ACK with an answer was lost: again */
				sip_stack_send(cs->d.stack, sip_dialog_peer(d), c->reinv_ack[side],
					       c->reinv_ack_len[side]);
				return true;
			}
			/* our ACK was lost: send it again (RFC 3261 13.2.2.4) */
			struct mbuf mb;
			mbuf_init(&mb);
			if (sip_dialog_ack(d, &mb, resp->cseq, NULL, NULL, PL_NULL) == 0)
				sip_stack_send(cs->d.stack, sip_dialog_peer(d), mb.buf, mb.len);
			mbuf_free(&mb);
			return true;
		}
	}
	return false;
}

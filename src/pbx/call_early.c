/* call_early: the B2BUA's media before the answer, and calls that arrive without an offer.
 *
 * Early media (RFC 3960, gateway model). A fork's 18x with SDP is its answer to our offer,
 * sent early so the caller hears ringback or an announcement. Sotto relays it as a 183 with
 * its own SDP for leg A (its address and ports, the key toward A it chose from A's offer) and
 * points the bridge's B side at the fork's early SDP, checked against B's policy first (a
 * 183 whose SDP fails it is relayed without SDP, and nothing is set from it). The first fork
 * with early media is what the caller hears; if that fork fails another may take over. The
 * 2xx then sets the B side again from the winner (another fork, other keys: the relay keeps
 * our stream toward A continuous), and A's 200 carries the very SDP of its 183 when nothing
 * changed, else the next o= version (call_sdp.c). A 18x without SDP is relayed as it is.
 *
 * Late offer (RFC 3261 13.2.1, an INVITE without SDP). Sotto could make an offer to the callee
 * itself, but it would have to invent the codecs: the caller, which would answer last, could
 * then pick a codec the callee never agreed to, and without transcoding the call would be
 * silent. So the INVITE goes to the callee without SDP as well; the winner's 2xx carries the
 * offer (its codecs), which Sotto answers on leg B with a key of its own and rewrites into its
 * offer to A in the 200 (Sotto's ports; A's policy: RTP/SAVP with fresh keys when A must
 * encrypt, which the caller's TLS makes possible, checked at the INVITE). The callee's 2xx is
 * ACKed once A's ACK brings the answer: its retransmissions meanwhile are absorbed, and
 * afterwards answered with the same ACK. An ACK without a usable answer hangs both legs up
 * (cause "bad_answer") after an ACK that refuses the callee's streams; so does a 200 to A that
 * is never ACKed. The echo test, with nobody to ask for codecs, offers G.711, G.722 and
 * telephone-event itself. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/log.h"
#include "pbx/call_int.h"
#include "pbx/pbx_int.h"

static const char *media_addr(const struct call *c)
{
	return call_deps(c)->cfg->media_address;
}

static void wipe_mbuf(struct mbuf *mb)
{
	if (mb->buf)
		OPENSSL_cleanse(mb->buf, mb->cap);
	mbuf_free(mb);
}

static bool is_sdp(const struct sip_msg *m)
{
	return m->body.l && pl_caseeq_str(m->content_type, "application/sdp");
}

/* A provisional response to A's INVITE in A's dialog, with our SDP or none. */
static void a_provisional(struct call *c, uint16_t code, struct pl sdp)
{
	struct mbuf hdrs;
	if (!c->a_st)
		return;
	mbuf_init(&hdrs);
	sip_dialog_reply_hdrs(c->a_dlg, &hdrs, sip_strans_request(c->a_st));
	mbuf_write_str(&hdrs, PBX_SERVER_HDR);
	if (!hdrs.err)
		sip_strans_reply(c->a_st, code, NULL, sip_dialog_local_tag(c->a_dlg), hdrs.buf, sdp,
				 sdp.l ? "application/sdp" : NULL);
	mbuf_free(&hdrs);
	c->a_prov = code;
	if (c->state == CALL_ROUTING)
		c->state = CALL_RINGING;
}

/* A fork's early answer onto the bridge and toward A. False when it fails B's policy (or
 * cannot be used): then nothing was set from it. */
static bool early_answer(struct call *c, struct branch *b, const struct sip_msg *resp)
{
	int idx = (int)(b - c->br);
	struct sdp *offer = NULL, *answer = NULL;
	struct mbuf body;
	uint16_t code = 0;
	const char *reason = NULL;
	char *copy = NULL;

	if (c->early == idx && c->a_sent && resp->body.l == c->early_ans_len &&
	    !memcmp(resp->body.p, c->early_ans, c->early_ans_len)) {
		a_provisional(c, resp->scode, pl_from(c->a_sent, c->a_sent_len)); /* the same again */
		return true;
	}
	mbuf_init(&body);
	offer = call_sdp_parse(c->a_offer, c->a_offer_len);
	answer = call_sdp_parse(resp->body.p, resp->body.l);
	copy = malloc(resp->body.l);
	if (!offer || !answer || !copy) {
		code = 488;
		reason = answer ? "Out of memory" : "Malformed SDP";
	} else if (!call_sdp_early(c, b, offer, answer, media_addr(c), &body, &code, &reason)) {
		memcpy(copy, resp->body.p, resp->body.l);
		if (c->early_ans)
			OPENSSL_cleanse(c->early_ans, c->early_ans_len);
		free(c->early_ans);
		c->early_ans = copy;
		c->early_ans_len = resp->body.l;
		copy = NULL;
		c->early = idx;
		a_provisional(c, resp->scode, pl_from(body.buf, body.len));
		char sb[96];
		call_leg_security(c, SIDE_A, sb, sizeof(sb));
		log_info("call %s: %s -> %s early media from fork %d; A: %s", c->id, c->caller,
			 c->callee, idx, sb);
	}
	if (code)
		log_info("call %s: early SDP from fork %d not relayed: %s", c->id, idx, reason);
	free(copy);
	free(offer);
	free(answer);
	wipe_mbuf(&body);
	return code == 0;
}

void call_early_provisional(struct call *c, struct branch *b, const struct sip_msg *resp)
{
	int idx = (int)(b - c->br);
	if (is_sdp(resp) && !c->late) {
		if (c->early >= 0 && c->early != idx)
			return; /* another fork's early media is what A hears */
		if (early_answer(c, b, resp))
			return;
		/* its SDP failed the policy: relayed without */
	} else if (c->early >= 0) {
		return; /* A has early media already: nothing new to tell it */
	}
	if (resp->scode != c->a_prov)
		a_provisional(c, resp->scode, PL_NULL);
}

void call_early_branch_failed(struct call *c, struct branch *b)
{
	if (c->early != (int)(b - c->br) || c->winner >= 0)
		return; /* not on the bridge, or another fork's answer is now */
	/* its media is gone: stop sending toward it; another fork's early SDP may take over */
	c->early = -1;
	for (size_t i = 0; i < c->nmedia && i < CALL_MAX_MEDIA; i++)
		if (c->media[i].bridge)
			media_bridge_set_sending(c->media[i].bridge, SIDE_B, false);
}

/* ---- late offer ---- */

void call_late_answered(struct call *c, struct branch *b, const struct sip_msg *resp)
{
	const struct calls_deps *d = call_deps(c);
	struct sdp *offer = NULL;
	struct mbuf body;
	uint16_t code = 0;
	const char *reason = NULL;
	char *copy = is_sdp(resp) ? malloc(resp->body.l) : NULL;

	mbuf_init(&body);
	if (copy) {
		memcpy(copy, resp->body.p, resp->body.l);
		offer = call_sdp_parse(copy, resp->body.l); /* views into copy, kept till A answers */
	}
	if (!offer) {
		code = 502;
		reason = "Callee sent no usable SDP offer";
	} else if (call_sdp_late_offer(c, b, offer, d->media, media_addr(c), &body, &code,
				       &reason) == 0) {
		c->b_offer = copy;
		c->b_offer_len = resp->body.l;
		c->late_cseq = resp->cseq;
		copy = NULL;
		c->late_wait = true;
		if (call_answer_a(c, &body)) {
			code = 500;
			reason = "Cannot answer";
		} else {
			log_info("call %s: %s -> %s answered with the callee's offer (late offer); "
				 "waiting for the caller's answer", c->id, c->caller, c->callee);
		}
	}
	if (code) {
		/* the 2xx gets its ACK (refusing its offer), then the BYE through call_fail */
		c->late_wait = false;
		call_loser_ack_bye(d->stack, b->dlg, resp, media_addr(c), false);
	}
	if (copy)
		OPENSSL_cleanse(copy, resp->body.l);
	free(copy);
	free(offer);
	wipe_mbuf(&body);
	if (code)
		call_fail(c, code, reason, "failed");
}

/* What the echo test offers when the caller made no offer. */
static const char echo_offer[] = "v=0\r\n"
				 "o=- 1 1 IN IP4 127.0.0.1\r\n"
				 "s=-\r\n"
				 "c=IN IP4 127.0.0.1\r\n"
				 "t=0 0\r\n"
				 "m=audio 9 RTP/AVP 0 8 9 101\r\n"
				 "a=rtpmap:0 PCMU/8000\r\n"
				 "a=rtpmap:8 PCMA/8000\r\n"
				 "a=rtpmap:9 G722/8000\r\n"
				 "a=rtpmap:101 telephone-event/8000\r\n"
				 "a=fmtp:101 0-16\r\n";

void call_late_echo(struct call *c)
{
	struct sdp *offer = call_sdp_parse(echo_offer, sizeof(echo_offer) - 1);
	struct mbuf body;
	uint16_t code = 0;
	const char *reason = NULL;

	mbuf_init(&body);
	if (!offer) {
		code = 500;
		reason = "Out of memory";
	} else if (call_sdp_late_offer(c, NULL, offer, call_deps(c)->media, media_addr(c), &body,
				       &code, &reason) == 0) {
		for (size_t i = 0; i < CALL_MAX_MEDIA; i++)
			if (c->media[i].bridge)
				media_bridge_set_echo(c->media[i].bridge, true);
		c->late_wait = true;
		if (call_answer_a(c, &body)) {
			c->late_wait = false;
			code = 500;
			reason = "Cannot answer";
		} else {
			log_info("call %s: %s -> echo test answered with our offer (late offer)", c->id,
				 c->caller);
		}
	}
	free(offer);
	wipe_mbuf(&body);
	if (code)
		call_fail(c, code, reason, "failed");
}

bool call_late_ack(struct call *c, const struct sip_msg *ack)
{
	const struct calls_deps *d = call_deps(c);
	struct branch *b = c->echo ? NULL : &c->br[c->winner];
	struct sdp *offer = NULL, *answer = NULL;
	struct mbuf body, keep;
	uint16_t code = 0;
	const char *reason = NULL;

	if (!sip_dialog_ack_received(c->a_dlg, ack))
		return false; /* not the ACK for our 200 */
	mbuf_init(&body);
	mbuf_init(&keep);
	offer = c->echo ? call_sdp_parse(echo_offer, sizeof(echo_offer) - 1)
			: call_sdp_parse(c->b_offer, c->b_offer_len);
	if (is_sdp(ack))
		answer = call_sdp_parse(ack->body.p, ack->body.l);
	if (!offer) {
		code = 500;
		reason = "Out of memory";
	} else if (!answer) {
		code = 488;
		reason = ack->body.l ? "the caller's ACK carried malformed SDP"
				     : "the caller's ACK carried no SDP answer";
	} else if (call_sdp_late_answer(c, b, offer, answer, media_addr(c), &body, &code,
					&reason) == 0) {
		c->late_wait = false;
		if (b && call_dialog_ack(d->stack, b->dlg, c->late_cseq, pl_from(body.buf, body.len),
					 &keep) == 0) {
			c->b_ack = keep.buf; /* ours now, wiped with the call */
			c->b_ack_len = keep.len;
			mbuf_init(&keep);
		}
		char sa_[96], sb_[96];
		call_leg_security(c, SIDE_A, sa_, sizeof(sa_));
		call_leg_security(c, SIDE_B, sb_, sizeof(sb_));
		log_info("call %s: %s -> %s answered (late offer, the caller answered in its ACK); "
			 "A: %s; B: %s; path %s", c->id, c->caller, c->callee, sa_, sb_,
			 call_path_secure(c) ? "secure" : "NOT secure");
		call_write_record(c, "in_progress", false);
	}
	wipe_mbuf(&body);
	wipe_mbuf(&keep);
	free(offer);
	free(answer);
	for (size_t i = 0; i < CALL_MAX_MEDIA; i++)
		sdp_keys_wipe(&c->a_keys[i]);
	if (code) {
		/* call_end ACKs the callee with a refusal (call_late_abort) before the BYEs */
		log_info("call %s: late offer failed: %s; hanging up both legs", c->id, reason);
		call_end(c, "bad_answer", true, true);
	}
	return true;
}

bool call_late_stray(struct call *c, const struct branch *b, const struct sip_msg *resp)
{
	if (!c->late || c->winner < 0 || b != &c->br[c->winner] || resp->cseq != c->late_cseq)
		return false; /* not the 2xx with the offer (a later re-INVITE's, say) */
	if (c->late_wait)
		return true; /* nothing to ACK with yet: the callee keeps resending till we do */
	if (!c->b_ack)
		return false;
	sip_stack_send(call_deps(c)->stack, sip_dialog_peer(b->dlg), c->b_ack, c->b_ack_len);
	return true;
}

void call_late_abort(struct call *c)
{
	struct sdp *offer;
	struct mbuf body;
	if (!c->late_wait)
		return;
	c->late_wait = false;
	if (c->echo || c->winner < 0)
		return;
	mbuf_init(&body);
	offer = call_sdp_parse(c->b_offer, c->b_offer_len);
	if (offer)
		call_sdp_refuse(&c->b_origin, offer, media_addr(c), &body);
	call_dialog_ack(call_deps(c)->stack, c->br[c->winner].dlg, c->late_cseq,
			pl_from(body.buf, body.len), NULL);
	free(offer);
	mbuf_free(&body);
}

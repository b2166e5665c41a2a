/* call: the B2BUA's signalling. An INVITE from an authenticated extension (407 challenge, RFC
 * 3261 22.3) rings every registered contact of the callee in parallel (forking, 16.7 style:
 * first 2xx wins, the others are cancelled), relays provisional responses and maps failures
 * to one final response. Offer/answer is in call_sdp.c; early media (18x with SDP) and INVITEs
 * without SDP (late offer) in call_early.c; forks that answer too late in call_linger.c. Once answered, requests inside the dialogs (BYE,
 * re-INVITE, UPDATE) are call_reinvite.c's: a re-offer that changes codecs, streams or the
 * direction (hold) is relayed to the other leg with Sotto's own SDP for it; one that only moves
 * a leg's address or keys is answered on that leg (per-leg re-keying). */
#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/rand.h"
#include "pbx/call_int.h"
#include "pbx/pbx_int.h"
#include "pbx/registrar.h"
#include "pbx/route.h"
#include "pbx/trunk.h"
#include "sip/build.h"

static const char *kind_param(enum tp_kind k)
{
	return k == TP_TLS ? "tls" : k == TP_TCP ? "tcp" : "udp";
}

/* Our Contact on a leg: the local address the peer talks to. */
static void local_contact(const struct tp_peer *p, char *buf, size_t size)
{
	char hp[SA_STRLEN];
	sa_str(&p->local, hp, sizeof(hp));
	snprintf(buf, size, "sip:sotto@%s;transport=%s", hp, kind_param(p->kind));
}

/* The call's record: written when it starts and when it is answered (cause "in_progress", no
 * end), then replaced when it ends, so a crash never loses a call that was placed. */
void call_write_record(struct call *c, const char *cause, bool ended)
{
	struct store *st = c->cs->d.store;
	char sec_a[96], sec_b[96];
	int64_t end = ended ? clock_unix_ms() : 0;
	if (!st)
		return;
	call_leg_security(c, SIDE_A, sec_a, sizeof(sec_a));
	call_leg_security(c, SIDE_B, sec_b, sizeof(sec_b));
	struct store_cdr rec = {
		.id = c->id,
		.caller = c->caller,
		.callee = c->callee,
		.trunk = c->trunk[0] ? c->trunk : NULL,
		.start_ms = c->start_ms,
		.answer_ms = c->answer_ms,
		.end_ms = end,
		.duration_ms = c->answer_ms && ended ? end - c->answer_ms : 0,
		.status = c->status,
		.cause = cause,
		.sec_a = sec_a,
		.sec_b = sec_b,
		.secure = c->answer_ms && call_path_secure(c),
	};
	if (store_cdr_add(st, &rec))
		log_err("call %s: could not queue its record", c->id);
}

static struct call *call_new(struct calls *cs)
{
	struct call *c = calloc(1, sizeof(*c));
	uint8_t rnd[6];
	if (!c)
		return NULL;
	if (rand_bytes(rnd, sizeof(rnd)) || sdp_origin_init(&c->a_origin) ||
	    sdp_origin_init(&c->b_origin)) {
		free(c);
		return NULL;
	}
	snprintf(c->id, sizeof(c->id), "%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3],
		 rnd[4], rnd[5]);
	c->cs = cs;
	c->winner = -1;
	c->early = -1;
	c->start_ms = clock_unix_ms();
	tmr_init(&c->ring_timer);
	c->next = cs->list;
	cs->list = c;
	cs->n++;
	return c;
}

static void call_free(struct call *c)
{
	struct calls *cs = c->cs;
	call_reinv_free(c);
	for (struct call **pp = &cs->list; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			cs->n--;
			break;
		}
	}
	tmr_cancel(&c->ring_timer);
	for (size_t i = 0; i < CALL_MAX_MEDIA; i++)
		if (c->media[i].bridge)
			media_bridge_free(c->media[i].bridge);
	for (size_t i = 0; i < c->nbr; i++) {
		if (c->br[i].ct)
			sip_ctrans_abandon(c->br[i].ct);
		/* a fork still pending (or a loser) may yet answer: it gets ACK and BYE */
		if ((int)i != c->winner && !c->br[i].failed && c->br[i].dlg)
			call_linger_add(&cs->linger, cs->d.stack, cs->d.timers, c->br[i].dlg, c->id,
					c->late ? cs->d.cfg->media_address : NULL);
		else
			sip_dialog_free(c->br[i].dlg);
		if (c->br[i].offer) {
			OPENSSL_cleanse(c->br[i].offer, c->br[i].offer_len);
			free(c->br[i].offer);
		}
		if (c->br[i].conn)
			tp_conn_unref(c->br[i].conn);
	}
	if (c->a_conn)
		tp_conn_unref(c->a_conn);
	call_sdp_wipe(c);
	sip_dialog_free(c->a_dlg);
	free(c->a_offer);
	free(c);
}

static void ignore_response(const struct sip_msg *resp, int err, void *arg)
{
	(void)resp;
	(void)err;
	(void)arg;
}

/* A request inside a dialog whose answer nobody waits for (BYE when hanging up). */
static void send_in_dialog(struct calls *cs, struct sip_dialog *d, const char *method)
{
	struct mbuf mb;
	mbuf_init(&mb);
	int err = sip_dialog_request(d, &mb, method, PBX_SERVER_HDR, NULL, PL_NULL, NULL);
	if (!err)
		err = sip_ctrans_send(cs->d.stack, NULL, sip_dialog_peer(d), mb.buf, mb.len,
				      ignore_response, NULL);
	if (err)
		log_warn("call: could not send %s in dialog %s: %s", method, sip_dialog_call_id(d),
			 strerror(err));
	mbuf_free(&mb);
}

/* A reply to A's INVITE carrying the dialog's headers (Record-Route copies, Contact). */
static void reply_a(struct call *c, uint16_t code, const char *reason)
{
	struct mbuf hdrs;
	if (!c->a_st)
		return;
	mbuf_init(&hdrs);
	if (c->a_dlg && code < 300)
		sip_dialog_reply_hdrs(c->a_dlg, &hdrs, sip_strans_request(c->a_st));
	mbuf_write_str(&hdrs, PBX_SERVER_HDR);
	sip_strans_reply(c->a_st, code, reason, c->a_dlg ? sip_dialog_local_tag(c->a_dlg) : NULL,
			 hdrs.err ? NULL : hdrs.buf, PL_NULL, NULL);
	mbuf_free(&hdrs);
	if (code >= 200) {
		c->a_st = NULL;
		c->status = code;
	}
}

void call_fail(struct call *c, uint16_t code, const char *reason, const char *cause)
{
	log_info("call %s: %s -> %s failed: %u %s", c->id, c->caller, c->callee, code,
		 reason ? reason : sip_reason_phrase(code));
	reply_a(c, code, reason);
	call_end(c, cause, false, c->winner >= 0);
}

/* RFC 3261 16.7-style choice among the forks' failures: a 6xx wins, then busy, then the
 * lowest class seen. */
static void all_failed(struct call *c)
{
	uint16_t best = 0;
	for (size_t i = 0; i < c->nbr; i++) {
		uint16_t s = c->br[i].status;
		if (!c->br[i].failed)
			return; /* still ringing somewhere */
		if (s >= 600 || (s == 486 && best < 600) || !best || (best < 486 && s < best))
			best = s;
	}
	const char *cause = best == 486 || best == 600 ? "busy"
			    : best == 603		   ? "rejected"
			    : best == 408		   ? "no_answer"
							   : "failed";
	call_fail(c, best ? best : 480, NULL, cause);
}

static void on_no_ack(struct sip_dialog *d, void *arg)
{
	struct call *c = arg;
	(void)d;
	log_warn("call %s: the caller never acknowledged the answer", c->id);
	call_end(c, "no_ack", false, true);
}

/* Answer A's INVITE with our SDP (a 200 with the dialog's headers), then resend it until the
 * ACK (RFC 3261 13.3.1.4). 0 or an errno; the call is then answered. */
int call_answer_a(struct call *c, const struct mbuf *body)
{
	struct calls *cs = c->cs;
	const struct sip_msg *req = sip_strans_request(c->a_st);
	const char *tag = sip_dialog_local_tag(c->a_dlg);
	struct pl sdp = pl_from(body->buf, body->len);
	struct mbuf ok, hdrs;
	int err;

	mbuf_init(&ok);
	mbuf_init(&hdrs);
	sip_dialog_reply_hdrs(c->a_dlg, &hdrs, req);
	call_marker_pai(c, cs->d.cfg, &hdrs);
	mbuf_write_str(&hdrs, PBX_SERVER_HDR);
	err = hdrs.err;
	/* the same bytes as sip_strans_reply sends, kept for the retransmissions */
	if (!err)
		err = sip_build_response(&ok, req, &sip_strans_peer(c->a_st)->remote, 200, NULL,
					 tag, hdrs.buf, sdp, "application/sdp");
	if (!err)
		err = sip_strans_reply(c->a_st, 200, NULL, tag, hdrs.buf, sdp, "application/sdp");
	if (!err) {
		sip_dialog_2xx_start(c->a_dlg, cs->d.stack, cs->d.timers, NULL, NULL, ok.buf, ok.len,
				     on_no_ack, c);
		c->a_st = NULL;
		c->status = 200;
		c->state = CALL_ANSWERED;
		c->answer_ms = clock_unix_ms();
		call_write_record(c, "in_progress", false);
	}
	if (ok.buf)
		OPENSSL_cleanse(ok.buf, ok.cap); /* it carries our key toward A */
	mbuf_free(&ok);
	mbuf_free(&hdrs);
	return err;
}

/* The winning fork's 2xx: ACK it, cancel the others, apply its answer and answer A (with the
 * SDP A got in a 183 if nothing changed). After a late offer the 2xx carries the callee's
 * offer instead (call_early.c). */
static void answered(struct call *c, struct branch *b, const struct sip_msg *resp)
{
	struct calls *cs = c->cs;
	struct mbuf body;
	uint16_t code = 0;
	const char *reason = NULL;
	struct sdp *offer = NULL, *answer = NULL;

	c->winner = (int)(b - c->br);
	c->b_policy = b->policy;
	tmr_cancel(&c->ring_timer);
	for (size_t i = 0; i < c->nbr; i++)
		if (&c->br[i] != b && c->br[i].ct)
			sip_ctrans_cancel(c->br[i].ct);
	if (c->late) {
		call_late_answered(c, b, resp);
		return;
	}
	call_dialog_ack(cs->d.stack, b->dlg, resp->cseq, PL_NULL, NULL);
	mbuf_init(&body);

	offer = call_sdp_parse(c->a_offer, c->a_offer_len);
	if (resp->body.l)
		answer = call_sdp_parse(resp->body.p, resp->body.l);
	else if (c->early == c->winner && c->early_ans) /* the 2xx should repeat it; not all do */
		answer = call_sdp_parse(c->early_ans, c->early_ans_len);
	if (!offer || !answer) {
		code = 502;
		reason = "Callee sent no usable SDP answer";
	} else if (call_sdp_answer(c, b, offer, answer, cs->d.cfg->media_address, &body, &code,
				   &reason) == 0) {
		if (call_answer_a(c, &body)) {
			code = 500;
			reason = "Cannot answer";
		} else {
			char sa_[96], sb_[96];
			call_leg_security(c, SIDE_A, sa_, sizeof(sa_));
			call_leg_security(c, SIDE_B, sb_, sizeof(sb_));
			log_info("call %s: %s -> %s answered; A: %s; B: %s; path %s", c->id,
				 c->caller, c->callee, sa_, sb_,
				 call_path_secure(c) ? "secure" : "NOT secure");
		}
	}
	/* the body holds our key toward A: wipe before freeing */
	if (body.buf)
		OPENSSL_cleanse(body.buf, body.cap);
	mbuf_free(&body);
	free(offer);
	free(answer);
	if (code)
		call_fail(c, code, reason, "failed");
}

static void on_branch_response(const struct sip_msg *resp, int err, void *arg);

/* Send the INVITE of a fork (again, with credentials, after a provider's challenge). */
static int send_branch_invite(struct call *c, struct branch *b, const char *extra)
{
	struct mbuf mb, hdrs;
	mbuf_init(&mb);
	mbuf_init(&hdrs);
	mbuf_write_str(&hdrs, "Allow: " PBX_ALLOW "\r\n" PBX_SERVER_HDR);
	if (extra)
		mbuf_write_str(&hdrs, extra);
	int err = hdrs.err;
	if (!err)
		err = sip_dialog_request(b->dlg, &mb, "INVITE", hdrs.buf,
					 b->offer ? "application/sdp" : NULL,
					 pl_from(b->offer, b->offer_len), NULL);
	if (!err)
		err = sip_ctrans_send(c->cs->d.stack, &b->ct, sip_dialog_peer(b->dlg), mb.buf,
				      mb.len, on_branch_response, b);
	if (mb.buf)
		OPENSSL_cleanse(mb.buf, mb.cap);
	mbuf_free(&mb);
	mbuf_free(&hdrs);
	return err;
}

/* A provider asked for credentials: answer once with the trunk's (RFC 3261 22.2). */
static int resend_with_credentials(struct call *c, struct branch *b, const struct sip_msg *resp)
{
	struct mbuf hdr;
	mbuf_init(&hdr);
	b->auth_tried = true;
	int err = trunk_auth_answer(b->trunk, resp, "INVITE", sip_dialog_remote_target(b->dlg),
				    &hdr);
	if (!err)
		err = send_branch_invite(c, b, hdr.buf);
	mbuf_free(&hdr);
	if (err)
		log_warn("call %s: cannot answer trunk %s's challenge: %s", c->id,
			 trunk_name(b->trunk), strerror(err));
	return err;
}

static void on_branch_response(const struct sip_msg *resp, int err, void *arg)
{
	struct branch *b = arg;
	struct call *c = b->call;

	if (!resp || resp->scode >= 200)
		b->ct = NULL; /* the transaction is done with us */
	if (!resp) {
		b->failed = true;
		b->status = err == ETIMEDOUT ? 408 : 503;
		call_early_branch_failed(c, b);
		if (c->state < CALL_ANSWERED)
			all_failed(c);
		return;
	}
	if (resp->scode < 200) {
		if (resp->scode == 100)
			return;
		sip_dialog_uac_confirm(b->dlg, resp);
		if (c->state < CALL_ANSWERED)
			call_early_provisional(c, b, resp);
		return;
	}
	if ((resp->scode == 401 || resp->scode == 407) && b->trunk && !b->auth_tried &&
	    c->state < CALL_ANSWERED && resend_with_credentials(c, b, resp) == 0)
		return;
	if (resp->scode >= 300) {
		b->failed = true;
		b->status = resp->scode;
		call_early_branch_failed(c, b);
		if (c->state < CALL_ANSWERED)
			all_failed(c);
		return;
	}
	if (sip_dialog_uac_confirm(b->dlg, resp)) {
		b->failed = true;
		b->status = 502;
		call_early_branch_failed(c, b);
		if (c->state < CALL_ANSWERED)
			all_failed(c);
		return;
	}
	if (c->winner >= 0) {
		/* a second fork answered too: acknowledge it and hang it up (RFC 3261 13.2.2.4) */
		log_info("call %s: another fork answered too: ACK and BYE", c->id);
		call_loser_ack_bye(c->cs->d.stack, b->dlg, resp,
				   c->late ? c->cs->d.cfg->media_address : NULL, true);
		return;
	}
	answered(c, b, resp);
}

static void on_ring_timeout(void *arg)
{
	struct call *c = arg;
	call_fail(c, 480, "No answer", "no_answer");
}

static void on_cancel(struct sip_strans *st, void *arg)
{
	struct call *c = arg;
	(void)st;
	log_info("call %s: cancelled by the caller", c->id);
	reply_a(c, 487, NULL);
	call_end(c, "cancelled", false, false);
}

struct collect_item {
	struct reg_contact rc;
	enum conf_encryption policy;
};

struct collect {
	struct collect_item c[CALL_MAX_BRANCH];
	char contact[CALL_MAX_BRANCH][512];
	size_t n;
	size_t insecure; /* skipped: reachable only without TLS */
	bool need_tls;
	enum conf_encryption policy; /* of the extension being collected */
};

static void collect_contact(const struct reg_contact *rc, void *arg)
{
	struct collect *col = arg;
	if (!rc->reachable || col->n == CALL_MAX_BRANCH)
		return;
	if (col->need_tls && rc->peer.kind != TP_TLS) {
		col->insecure++;
		return;
	}
	col->c[col->n].rc = *rc;
	col->c[col->n].policy = col->policy;
	snprintf(col->contact[col->n], sizeof(col->contact[0]), "%s", rc->contact);
	col->c[col->n].rc.contact = col->contact[col->n];
	col->n++;
}

/* Build our offer for a fork and send its INVITE; without A's offer (late offer) the INVITE
 * goes without SDP too. */
static int launch_branch(struct call *c, struct branch *b, const struct sdp *offer)
{
	struct mbuf body;
	mbuf_init(&body);
	if (!offer) {
		int err = send_branch_invite(c, b, NULL);
		if (err) {
			b->failed = true;
			b->status = 503;
		}
		return err;
	}
	int err = call_sdp_offer_to_b(c, b, offer, c->cs->d.cfg->media_address, &body);
	if (!err && !(b->offer = malloc(body.len + 1)))
		err = ENOMEM;
	if (!err) {
		memcpy(b->offer, body.buf, body.len);
		b->offer_len = body.len;
		err = send_branch_invite(c, b, NULL);
	}
	if (body.buf)
		OPENSSL_cleanse(body.buf, body.cap);
	mbuf_free(&body);
	if (err) {
		b->failed = true;
		b->status = 503;
	}
	return err;
}

/* Send the INVITE to one contact of the callee. */
static int start_branch(struct call *c, const struct collect_item *ci, const struct sdp *offer)
{
	const struct reg_contact *rc = &ci->rc;
	struct calls *cs = c->cs;
	struct branch *b = &c->br[c->nbr];
	char from_uri[192], to_uri[192], contact[128];

	memset(b, 0, sizeof(*b));
	b->call = c;
	b->kind = rc->peer.kind;
	b->tls = rc->peer.kind == TP_TLS;
	b->conn = rc->peer.conn ? tp_conn_ref(rc->peer.conn) : NULL;
	b->policy = ci->policy;
	snprintf(from_uri, sizeof(from_uri), "sip:%s@%s", c->caller, cs->d.cfg->realm);
	snprintf(to_uri, sizeof(to_uri), "sip:%s@%s", c->callee, cs->d.cfg->realm);
	local_contact(&rc->peer, contact, sizeof(contact));
	char display[sizeof(c->caller_display) + 40];
	call_marker_caller_display(c, b, cs->d.cfg, display, sizeof(display));
	struct sip_dialog_uac_spec spec = {
		.local_uri = from_uri,
		.local_display = display,
		.remote_uri = to_uri,
		.target = rc->contact,
		.local_contact = contact,
		.peer = &rc->peer,
		.secure = rc->sips,
		.max_forwards = c->max_forwards,
	};
	c->nbr++;
	if (sip_dialog_uac_alloc(&b->dlg, &spec)) {
		b->failed = true;
		b->status = 500;
		return EINVAL;
	}
	return launch_branch(c, b, offer);
}

/* Send the call out through a provider (the B leg is the trunk). */
static int start_trunk_branch(struct call *c, struct trunk *t, const char *number,
			      enum conf_encryption policy, const struct sdp *offer)
{
	struct branch *b = &c->br[c->nbr];
	const char *cid = trunk_caller_id(t)[0] ? trunk_caller_id(t) : c->caller;
	char from_uri[320], to_uri[320];

	memset(b, 0, sizeof(*b));
	b->call = c;
	b->trunk = t;
	b->policy = policy;
	b->kind = trunk_kind(t);
	b->tls = b->kind == TP_TLS;
	snprintf(from_uri, sizeof(from_uri), "sip:%s@%s", cid, trunk_host(t));
	snprintf(to_uri, sizeof(to_uri), "sip:%s@%s", number, trunk_host(t));
	struct sip_dialog_uac_spec spec = {
		.local_uri = from_uri,
		.local_display = c->caller_display[0] ? c->caller_display : NULL,
		.remote_uri = to_uri,
		.local_contact = trunk_contact(t),
		.peer = trunk_peer(t),
		.max_forwards = c->max_forwards,
	};
	c->nbr++;
	if (sip_dialog_uac_alloc(&b->dlg, &spec)) {
		b->failed = true;
		b->status = 500;
		return EINVAL;
	}
	return launch_branch(c, b, offer);
}

static unsigned kind_mask(enum tp_kind k)
{
	return k == TP_TLS ? CONF_TP_TLS : k == TP_TCP ? CONF_TP_TCP : CONF_TP_UDP;
}

static bool is_echo(const struct settings *cfg, const char *callee)
{
	return strcmp(cfg->echo_extension, "off") && !strcmp(cfg->echo_extension, callee);
}

/* The echo test: answer at once with a bridge that sends A's own media back to A. */
static void answer_echo(struct call *c, const struct sdp *offer)
{
	struct mbuf body;
	uint16_t code = 0;
	const char *reason = NULL;

	if (!offer) {
		call_late_echo(c);
		return;
	}
	for (size_t i = 0; i < CALL_MAX_MEDIA; i++)
		if (c->media[i].bridge)
			media_bridge_set_echo(c->media[i].bridge, true);
	mbuf_init(&body);
	if (call_sdp_answer(c, NULL, offer, NULL, c->cs->d.cfg->media_address, &body, &code,
			    &reason) == 0) {
		if (call_answer_a(c, &body)) {
			code = 500;
			reason = "Cannot answer";
		} else {
			log_info("call %s: %s -> echo test answered", c->id, c->caller);
		}
	}
	if (body.buf)
		OPENSSL_cleanse(body.buf, body.cap);
	mbuf_free(&body);
	if (code)
		call_fail(c, code, reason, "failed");
}

/* Ring every contact of the callee extension(s) (several: a ring group). */
static void route_to_extensions(struct call *c, const struct conf_extension *const *exts,
				size_t n_ext, const struct sdp *offer, bool need_tls)
{
	struct calls *cs = c->cs;
	struct collect *col = calloc(1, sizeof(*col));
	size_t started = 0, total = 0;
	if (!col) {
		call_fail(c, 500, "Out of memory", "failed");
		return;
	}
	for (size_t i = 0; i < n_ext; i++) {
		/* SRTP keys only ever travel inside TLS: a callee that must encrypt needs TLS */
		col->need_tls = need_tls || exts[i]->encryption == ENC_MANDATORY;
		col->policy = exts[i]->encryption;
		total += registrar_lookup(cs->d.registrar, exts[i]->number, collect_contact, col);
	}
	if (col->n == 0) {
		if (total == 0)
			call_fail(c, 480, "Callee offline", "offline");
		else if (col->insecure)
			call_fail(c, 480, "Callee reachable only without TLS", "insecure_callee");
		else
			call_fail(c, 480, "Callee unreachable", "offline");
		free(col);
		return;
	}
	for (size_t i = 0; i < col->n; i++)
		if (start_branch(c, &col->c[i], offer) == 0)
			started++;
	free(col);
	if (!started) {
		call_fail(c, 503, "Cannot reach the callee", "failed");
		return;
	}
	tmr_start(cs->d.timers, &c->ring_timer, (uint64_t)cs->d.cfg->ring_timeout_s * 1000u,
		  on_ring_timeout, c);
}

/* A new call: its A leg (dialog, offer, media) set up from the INVITE. NULL when answered. */
static struct call *call_from_invite(struct calls *cs, struct sip_strans *st,
				     const struct sip_msg *req, const struct tp_peer *from,
				     enum conf_encryption a_policy, const char *caller,
				     const char *callee, struct sdp **offerp)
{
	char contact[128];
	struct sdp *offer = NULL;
	bool late = !req->body.l; /* no offer: the callee's 2xx makes it (call_early.c) */
	if (!late && (!pl_caseeq_str(req->content_type, "application/sdp") ||
		      !(offer = call_sdp_parse(req->body.p, req->body.l)))) {
		pbx_reply(st, 488, "The offer is not usable SDP", PBX_SERVER_HDR);
		return NULL;
	}
	/* our offer to a leg that must encrypt carries keys, and keys only travel over TLS */
	if (late && a_policy == ENC_MANDATORY && from->kind != TP_TLS) {
		pbx_reply(st, 488, "Encryption required: SRTP over TLS", PBX_SERVER_HDR);
		return NULL;
	}
	struct call *c = call_new(cs);
	if (!c) {
		free(offer);
		pbx_reply(st, 500, "Out of memory", NULL);
		return NULL;
	}
	c->a_st = st;
	c->a_kind = from->kind;
	c->a_tls = from->kind == TP_TLS;
	c->a_conn = from->conn ? tp_conn_ref(from->conn) : NULL;
	c->a_policy = a_policy;
	c->late = late;
	/* RFC 3261 16.6 step 3, as a proxy would: a B2BUA that restarted the count at 70 would
	 * let a call loop through a provider and back for ever. Kept at 1 or more (0 is refused
	 * above with 483): the phone at the end of the leg still takes it. */
	c->max_forwards = req->max_forwards < 0	   ? 70
			  : req->max_forwards > 1 ? (uint32_t)req->max_forwards - 1
						   : 1;
	snprintf(c->caller, sizeof(c->caller), "%s", caller);
	snprintf(c->callee, sizeof(c->callee), "%s", callee);
	call_write_record(c, "in_progress", false);
	local_contact(from, contact, sizeof(contact));
	c->a_offer = late ? NULL : malloc(req->body.l);
	if ((!late && !c->a_offer) || sip_dialog_uas_alloc(&c->a_dlg, req, from, contact, NULL)) {
		free(offer);
		bool oom = !late && !c->a_offer;
		call_fail(c, oom ? 500 : 400, oom ? NULL : "Cannot make a dialog", "failed");
		return NULL;
	}
	if (!late)
		memcpy(c->a_offer, req->body.p, req->body.l);
	c->a_offer_len = late ? 0 : req->body.l;
	snprintf(c->caller_display, sizeof(c->caller_display), "%s",
		 sip_dialog_remote_display(c->a_dlg));
	sip_strans_set_cancel_handler(st, on_cancel, c);
	uint16_t code;
	const char *reason;
	if (!late && call_sdp_offer_from_a(c, cs->d.media, offer, &code, &reason)) {
		free(offer);
		call_fail(c, code, reason, "rejected_media");
		return NULL;
	}
	*offerp = offer;
	return c;
}

/* A call from a provider to one of its DIDs: no digest (the provider is known by its address
 * or connection), rung on the extension(s) [inbound] maps the DID to. */
static void invite_from_trunk(struct calls *cs, struct sip_strans *st, const struct sip_msg *req,
			      const struct tp_peer *from, struct trunk *t)
{
	const struct settings *cfg = cs->d.cfg;
	const char *names[SETTINGS_INBOUND_MAX_EXTS];
	const struct conf_extension *exts[SETTINGS_INBOUND_MAX_EXTS];
	char did[64], caller[32];
	size_t n = 0, m = 0;
	struct sdp *offer = NULL;

	if (route_inbound_did(trunk_conf(t), req, did, sizeof(did))) {
		pbx_reply(st, 404, "Not a number of this trunk", PBX_SERVER_HDR);
		return;
	}
	t = trunk_identify_did(cs->trunks, from, did);
	if (!t || route_inbound(cfg, did, names, SETTINGS_INBOUND_MAX_EXTS, &n) || !n) {
		pbx_reply(st, 404, "No route for this number", PBX_SERVER_HDR);
		return;
	}
	for (size_t i = 0; i < n; i++)
		if ((exts[m] = settings_extension(cfg, names[i])))
			m++;
	if (!m) {
		pbx_reply(st, 404, "No route for this number", PBX_SERVER_HDR);
		return;
	}
	pl_strcpy(req->from.uri.user.l < sizeof(caller) ? req->from.uri.user : PL("anonymous"),
		  caller, sizeof(caller));
	struct call *c = call_from_invite(cs, st, req, from, trunk_encryption(t), caller, did,
					  &offer);
	if (!c)
		return;
	snprintf(c->trunk, sizeof(c->trunk), "%s", trunk_name(t));
	log_info("call %s: %s -> %s from trunk %s (%s)", c->id, caller, did, c->trunk,
		 exts[0]->number);
	route_to_extensions(c, exts, m, offer, req->ruri.sips || from->kind == TP_TLS);
	free(offer);
}

void calls_invite(struct calls *cs, struct sip_strans *st, const struct sip_msg *req,
		  const struct tp_peer *from)
{
	const struct settings *cfg = cs->d.cfg;
	char callee[32], number[ROUTE_NUMBER_MAX];
	struct trunk *out = NULL;
	struct sdp *offer = NULL;

	if (req->max_forwards == 0) {
		pbx_reply(st, 483, NULL, PBX_SERVER_HDR);
		return;
	}
	if (!cs->d.media) {
		pbx_reply(st, 503, "Media relay unavailable", PBX_SERVER_HDR);
		return;
	}
	struct trunk *from_trunk = cs->trunks ? trunk_identify(cs->trunks, from) : NULL;
	if (from_trunk) {
		invite_from_trunk(cs, st, req, from, from_trunk);
		return;
	}
	const struct conf_extension *ext = registrar_authenticate(cs->d.registrar, st, req, from,
								  req->from.uri.user, true);
	if (!ext)
		return;
	if (!(ext->transports & kind_mask(from->kind))) {
		pbx_reply(st, 403, "TLS required for this extension", PBX_SERVER_HDR);
		return;
	}
	if (!req->ruri.user.l || req->ruri.user.l >= sizeof(callee)) {
		pbx_reply(st, 404, "No such number", PBX_SERVER_HDR);
		return;
	}
	pl_strcpy(req->ruri.user, callee, sizeof(callee));
	const struct conf_extension *target = settings_extension(cfg, callee);
	bool echo = is_echo(cfg, callee);
	const struct conf_trunk *ct = NULL;
	if (!target && !echo && cs->trunks &&
	    route_outbound(cfg, callee, &ct, number, sizeof(number)) == 0)
		out = trunk_find(cs->trunks, ct->name);
	if (!target && !echo && !out) {
		pbx_reply(st, 404, "No such extension or route", PBX_SERVER_HDR);
		return;
	}
	/* RFC 5630: sips: means TLS on every hop; require_secure_path means SRTP too. */
	bool secure_path = ext->require_secure_path || req->ruri.sips;
	if (out && secure_path && trunk_kind(out) != TP_TLS) {
		pbx_reply(st, 488, "Secure path required but the trunk is not encrypted",
			  PBX_SERVER_HDR);
		return;
	}
	struct call *c = call_from_invite(cs, st, req, from, ext->encryption, ext->number,
					  callee, &offer);
	if (!c)
		return;
	c->echo = echo;
	log_debug("call %s: %s -> %s over %s", c->id, c->caller, c->callee,
		  tp_kind_name(from->kind));
	if (echo) {
		answer_echo(c, offer);
	} else if (out) {
		enum conf_encryption pol = trunk_encryption(out);
		if (ext->require_secure_path)
			pol = ENC_MANDATORY; /* an answer without SRTP then fails the call */
		snprintf(c->trunk, sizeof(c->trunk), "%s", trunk_name(out));
		log_info("call %s: %s -> %s via trunk %s as %s", c->id, c->caller, callee,
			 c->trunk, number);
		if (start_trunk_branch(c, out, number, pol, offer))
			call_fail(c, 503, "Cannot reach the trunk", "failed");
		else
			tmr_start(cs->d.timers, &c->ring_timer,
				  (uint64_t)cfg->ring_timeout_s * 1000u, on_ring_timeout, c);
	} else {
		route_to_extensions(c, &target, 1, offer, req->ruri.sips || from->kind == TP_TLS);
	}
	free(offer);
}

/* End a call: BYE where asked, the record written, everything released. */
void call_end(struct call *c, const char *cause, bool bye_a, bool bye_b)
{
	struct calls *cs = c->cs;
	if (c->state == CALL_ENDED)
		return;
	bool was_answered = c->state == CALL_ANSWERED;
	call_late_abort(c); /* the callee's 2xx still owed an ACK */
	call_reinv_free(c); /* 487 to a pending re-offer, an ACK owed before the BYE */
	c->state = CALL_ENDED;
	if (c->a_st)
		reply_a(c, 500, "Call ended");
	if (bye_a && was_answered && c->a_dlg)
		send_in_dialog(cs, c->a_dlg, "BYE");
	if (bye_b && c->winner >= 0 && c->br[c->winner].dlg)
		send_in_dialog(cs, c->br[c->winner].dlg, "BYE");
	log_info("call %s: %s -> %s ended (%s)", c->id, c->caller, c->callee, cause);
	call_write_record(c, cause, true);
	call_free(c);
}

void calls_stray_response(struct calls *cs, const struct sip_msg *resp)
{
	if (resp->scode < 200 || resp->scode >= 300 || resp->cseq_mid != SIP_INVITE)
		return;
	for (struct call *c = cs->list; c; c = c->next) {
		for (size_t i = 0; i < c->nbr; i++) {
			struct sip_dialog *d = c->br[i].dlg;
			if (!d || !sip_dialog_match_response(d, resp))
				continue;
			int err = sip_dialog_uac_confirm(d, resp);
			if (err == EEXIST) { /* another fork behind this one's proxy */
				call_fork_reject(cs->d.stack, d, resp,
						 c->late ? cs->d.cfg->media_address : NULL);
				return;
			}
			if (err)
				continue;
			if (call_late_stray(c, &c->br[i], resp))
				return;
			/* our ACK was lost: send it again (RFC 3261 13.2.2.4) */
			struct mbuf mb;
			mbuf_init(&mb);
			if (sip_dialog_ack(d, &mb, resp->cseq, NULL, NULL, PL_NULL) == 0)
				sip_stack_send(cs->d.stack, sip_dialog_peer(d), mb.buf, mb.len);
			mbuf_free(&mb);
			return;
		}
	}
	call_linger_stray(&cs->linger, resp); /* a fork of a call that ended */
}

void calls_media_event(struct calls *cs, const struct media_event *ev)
{
	struct call *c = ev->owner;
	/* While it rings there is no media to wait for; the answer re-arms the count. */
	if (ev->kind == MEDIA_EV_TIMEOUT && c->state == CALL_ANSWERED) {
		log_info("call %s: no media for %u s; hanging up", c->id,
			 cs->d.cfg->media_timeout_s);
		call_end(c, "media_timeout", true, true);
	}
}

static const char *state_name(enum call_state s)
{
	static const char *const names[] = {"routing", "ringing", "answered", "ended"};
	return names[s];
}

static void leg_info(const struct call *c, int side, struct call_leg_info *li)
{
	const struct branch *b = c->winner >= 0 ? &c->br[c->winner] : NULL;
	struct tp_conn *conn = side == SIDE_A ? c->a_conn : b ? b->conn : NULL;
	memset(li, 0, sizeof(*li));
	li->connected = side == SIDE_A || b || c->echo;
	li->transport = !li->connected ? ""
			: side == SIDE_A || c->echo ? tp_kind_name(c->a_kind)
						    : tp_kind_name(b->kind);
	if (conn && tp_conn_kind(conn) == TP_TLS) {
		li->tls_version = tp_conn_tls_version(conn);
		li->tls_cipher = tp_conn_tls_cipher(conn);
	}
	for (size_t i = 0; i < c->nmedia && i < CALL_MAX_MEDIA; i++) {
		const struct call_media *cm = &c->media[i];
		if (!cm->bridge)
			continue;
		bool srtp = side == SIDE_A ? cm->a_srtp : cm->b_srtp;
		li->srtp_suite = srtp ? (side == SIDE_A ? cm->suite_a : cm->suite_b) : NULL;
		media_bridge_stats(cm->bridge, side, &li->media);
		break;
	}
}

size_t calls_foreach(struct calls *cs, call_info_h *h, void *arg)
{
	size_t n = 0;
	for (struct call *c = cs->list; c; c = c->next, n++) {
		struct call_info ci = {
			.id = c->id,
			.caller = c->caller,
			.callee = c->callee,
			.trunk = c->trunk[0] ? c->trunk : NULL,
			.state = state_name(c->state),
			.echo = c->echo,
			.start_ms = c->start_ms,
			.answer_ms = c->answer_ms,
			.path_secure = call_path_secure(c),
		};
		leg_info(c, SIDE_A, &ci.a);
		leg_info(c, SIDE_B, &ci.b);
		call_leg_security(c, SIDE_A, ci.security_a, sizeof(ci.security_a));
		call_leg_security(c, SIDE_B, ci.security_b, sizeof(ci.security_b));
		h(&ci, arg);
	}
	return n;
}

void calls_print(struct calls *cs, struct mbuf *out)
{
	int64_t now = clock_unix_ms();
	mbuf_printf(out, "%-12s %-8s %-8s %-9s %6s  %-34s %-34s %s\n", "ID", "FROM", "TO", "STATE",
		    "SECS", "LEG A (caller)", "LEG B (callee)", "PATH");
	for (struct call *c = cs->list; c; c = c->next) {
		char sa_[96], sb_[96];
		call_leg_security(c, SIDE_A, sa_, sizeof(sa_));
		call_leg_security(c, SIDE_B, sb_, sizeof(sb_));
		int64_t since = c->answer_ms ? c->answer_ms : c->start_ms;
		mbuf_printf(out, "%-12s %-8s %-8s %-9s %6lld  %-34s %-34s %s\n", c->id, c->caller,
			    c->echo ? "echo" : c->callee, state_name(c->state),
			    (long long)((now - since) / 1000), sa_, sb_,
			    call_path_secure(c) ? "secure" : "NOT SECURE");
	}
	mbuf_printf(out, "%zu call(s)\n", cs->n);
}

int calls_hangup(struct calls *cs, const char *id)
{
	for (struct call *c = cs->list; c; c = c->next) {
		if (strcmp(c->id, id))
			continue;
		if (c->a_st)
			reply_a(c, 480, "Hung up by the administrator");
		call_end(c, "admin_hangup", true, true);
		return 0;
	}
	return ENOENT;
}

void calls_set_settings(struct calls *cs, const struct settings *cfg)
{
	cs->d.cfg = cfg;
}

void calls_set_trunks(struct calls *cs, struct trunks *trunks)
{
	cs->trunks = trunks;
}

size_t calls_count(const struct calls *cs)
{
	return cs->n;
}

const struct calls_deps *call_deps(const struct call *c)
{
	return &c->cs->d;
}

bool calls_ack(struct calls *cs, const struct sip_msg *ack)
{
	for (struct call *c = cs->list; c; c = c->next)
		if (c->late_wait && sip_dialog_match(c->a_dlg, ack))
			return call_late_ack(c, ack);
	return false;
}

int calls_alloc(struct calls **cp, const struct calls_deps *deps)
{
	struct calls *cs = calloc(1, sizeof(*cs));
	if (!cs)
		return ENOMEM;
	cs->d = *deps;
	*cp = cs;
	return 0;
}

void calls_free(struct calls *cs)
{
	if (!cs)
		return;
	while (cs->list) {
		struct call *c = cs->list;
		if (c->a_st)
			reply_a(c, 503, "Shutting down");
		call_end(c, "shutdown", true, true);
	}
	call_linger_free_all(&cs->linger);
	free(cs);
}

/* Client transactions (RFC 3261 17.1, with RFC 6026's Accepted state for 2xx to INVITE):
 * retransmission over UDP (timers A, E), timeouts (B, F), the ACK for a non-2xx final
 * (17.1.1.3, timer D), timers K and M, and CANCEL (9.1). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/mbuf.h"
#include "sip/tsx_int.h"

enum ctrans_state {
	CT_CALLING = 0, /* INVITE "Calling", non-INVITE "Trying" */
	CT_PROCEEDING,
	CT_COMPLETED,	/* final received: timer D (INVITE non-2xx) or K */
	CT_ACCEPTED,	/* INVITE 2xx received (RFC 6026 7.2): timer M */
	CT_TERMINATED,
};

struct sip_ctrans {
	struct tsx_node node;
	struct sip_stack *s;
	enum ctrans_state state;
	bool invite;
	bool cancel_pending; /* sip_ctrans_cancel before any provisional (9.1) */
	bool cancel_sent;
	char *req; /* our copy of the request */
	size_t req_len;
	struct pl branch, method; /* into req */
	enum sip_method mid;
	struct mbuf ack; /* the ACK for a non-2xx final, resent for its retransmissions */
	struct tp_peer to;
	uint32_t retx_ms;
	struct tmr retx;    /* A or E */
	struct tmr timeout; /* B or F; after a CANCEL, 9.1's 64*T1 wait for the final */
	struct tmr life;    /* D, K, M and the deferred free */
	sip_response_h *h;
	void *arg;
};

static bool pl_same(struct pl a, struct pl b)
{
	return a.l == b.l && (!a.l || memcmp(a.p, b.p, a.l) == 0);
}

static void ctrans_free(struct sip_ctrans *ct)
{
	tmr_cancel(&ct->retx);
	tmr_cancel(&ct->timeout);
	tmr_cancel(&ct->life);
	tsx_hash_unlink(&ct->s->ctrans, &ct->node);
	ct->s->stats.ctrans_live--;
	mbuf_free(&ct->ack);
	tsx_peer_release(&ct->to);
	free(ct->req);
	free(ct);
}

static void life_expired(void *arg)
{
	struct sip_ctrans *ct = arg;
	ct->state = CT_TERMINATED;
	ctrans_free(ct);
}

/* Stop retransmitting and timing out, and end after 'ms' (D, K, M; 0 on streams). */
static void ctrans_end_in(struct sip_ctrans *ct, uint32_t ms)
{
	tmr_cancel(&ct->retx);
	tmr_cancel(&ct->timeout);
	if (tmr_start(ct->s->tl, &ct->life, ms, life_expired, ct))
		log_warn("sip: cannot start transaction timer; it stays until shutdown");
}

/* The transaction failed (timeout, transport error): tell the TU once and go. Only ever called
 * from a timer, so freeing afterwards is safe whatever the handler did. */
static void ctrans_fail(struct sip_ctrans *ct, int err)
{
	sip_response_h *h = ct->h;
	ct->h = NULL;
	ct->state = CT_TERMINATED;
	tsx_hash_unlink(&ct->s->ctrans, &ct->node);
	if (h)
		h(NULL, err, ct->arg);
	ctrans_free(ct);
}

/* Timers A (17.1.1.2) and E (17.1.2.2), UDP only. A doubles without bound (B ends it); E
 * doubles up to T2 while Trying and stays at T2 once Proceeding. */
static void timer_retx(void *arg)
{
	struct sip_ctrans *ct = arg;
	uint32_t t2 = ct->s->t.t2_ms;
	int err = tsx_send(ct->s, &ct->to, ct->req, ct->req_len);
	if (err) {
		ctrans_fail(ct, err);
		return;
	}
	if (ct->invite)
		ct->retx_ms *= 2;
	else if (ct->state == CT_PROCEEDING)
		ct->retx_ms = t2;
	else
		ct->retx_ms = ct->retx_ms * 2 < t2 ? ct->retx_ms * 2 : t2;
	tmr_start(ct->s->tl, &ct->retx, ct->retx_ms, timer_retx, ct);
}

/* Timer B / F (64*T1): no final response. Also 9.1's wait after a CANCEL: "If there is no
 * final response for the original request in 64*T1 seconds ... the client SHOULD then consider
 * the original transaction cancelled". Either way the TU hears ETIMEDOUT (its 408). */
static void timer_timeout(void *arg)
{
	ctrans_fail(arg, ETIMEDOUT);
}

static int ctrans_start(struct sip_stack *s, struct sip_ctrans **ctp, const struct tp_peer *to,
			const char *req, size_t len, sip_response_h *h, void *arg)
{
	struct sip_msg *msg = NULL;
	struct sip_ctrans *ct;
	int err;

	if (!s || !to || !req || !len)
		return EINVAL;
	ct = calloc(1, sizeof(*ct));
	if (!ct)
		return ENOMEM;
	ct->s = s;
	s->stats.ctrans_live++;
	mbuf_init(&ct->ack);
	tmr_init(&ct->retx);
	tmr_init(&ct->timeout);
	tmr_init(&ct->life);
	ct->h = h;
	ct->arg = arg;
	ct->req = tsx_dup(req, len);
	ct->req_len = len;
	msg = malloc(sizeof(*msg));
	if (!ct->req || !msg) {
		err = ENOMEM;
		goto out;
	}
	/* Our own copy, so branch and method may point into it. */
	if (sip_msg_parse(msg, ct->req, len) || !msg->is_request || msg->mid == SIP_ACK ||
	    !tsx_branch_is_3261(msg->via.branch)) {
		err = EINVAL;
		goto out;
	}
	ct->invite = msg->mid == SIP_INVITE;
	ct->mid = msg->mid;
	ct->method = msg->method;
	ct->branch = msg->via.branch;
	err = tsx_peer_copy(&ct->to, to);
	if (err)
		goto out;
	err = tsx_hash_insert(&s->ctrans, &ct->node, tsx_hash_pl(ct->branch));
	if (err)
		goto out;
	/* The first send failing is the caller's to handle: no transaction, no handler call. */
	err = tsx_send(s, &ct->to, ct->req, len);
	if (err)
		goto out;
	if (!tsx_reliable(&ct->to)) {
		ct->retx_ms = s->t.t1_ms;
		err = tmr_start(s->tl, &ct->retx, ct->retx_ms, timer_retx, ct);
	}
	if (!err)
		err = tmr_start(s->tl, &ct->timeout, 64 * s->t.t1_ms, timer_timeout, ct);
out:
	free(msg);
	if (err)
		ctrans_free(ct);
	else if (ctp)
		*ctp = ct;
	return err;
}

int sip_ctrans_send(struct sip_stack *s, struct sip_ctrans **ctp, const struct tp_peer *to,
		    const char *req, size_t len, sip_response_h *h, void *arg)
{
	return ctrans_start(s, ctp, to, req, len, h, arg);
}

/* The headers an ACK (17.1.1.3) and a CANCEL (9.1) share with the request: Request-URI, top
 * Via (so the same branch), Route, From, Call-ID and CSeq number. To comes from the response
 * for the ACK, from the request for the CANCEL. */
static int build_from_request(struct mbuf *mb, const struct sip_msg *req, const char *method,
			      struct pl to)
{
	const struct sip_hdr *h = NULL;
	const struct sip_hdr *from = sip_msg_hdr(req, SIP_HDR_FROM, NULL);

	if (!from || !pl_isset(to))
		return EINVAL;
	mbuf_printf(mb, "%s %.*s SIP/2.0\r\nVia: %.*s\r\n", method, PL_ARG(req->ruri_raw),
		    PL_ARG(req->via.raw));
	while ((h = sip_msg_hdr(req, SIP_HDR_ROUTE, h)) != NULL)
		mbuf_printf(mb, "Route: %.*s\r\n", PL_ARG(h->value));
	mbuf_printf(mb,
		    "Max-Forwards: 70\r\nFrom: %.*s\r\nTo: %.*s\r\nCall-ID: %.*s\r\n"
		    "CSeq: %u %s\r\nContent-Length: 0\r\n\r\n",
		    PL_ARG(from->value), PL_ARG(to), PL_ARG(req->call_id), (unsigned)req->cseq,
		    method);
	return mb->err;
}

/* Re-parse our copy of the request (kept only as bytes, to keep transactions small). */
static int with_request(const struct sip_ctrans *ct, struct sip_msg **msgp)
{
	struct sip_msg *msg = malloc(sizeof(*msg));
	if (!msg)
		return ENOMEM;
	if (sip_msg_parse(msg, ct->req, ct->req_len)) {
		free(msg);
		return EINVAL;
	}
	*msgp = msg;
	return 0;
}

static void send_ack(struct sip_ctrans *ct, const struct sip_msg *resp)
{
	if (!ct->ack.len) {
		struct sip_msg *req;
		const struct sip_hdr *to = sip_msg_hdr(resp, SIP_HDR_TO, NULL);
		if (with_request(ct, &req))
			return;
		if (build_from_request(&ct->ack, req, "ACK", to ? to->value : PL_NULL))
			mbuf_reset(&ct->ack);
		free(req);
		if (!ct->ack.len)
			return;
	}
	/* No retransmission of its own: each retransmitted final brings the ACK again. */
	tsx_send(ct->s, &ct->to, ct->ack.buf, ct->ack.len);
}

static int send_cancel(struct sip_ctrans *ct)
{
	struct sip_msg *req;
	struct mbuf mb;
	const struct sip_hdr *to;
	int err = with_request(ct, &req);

	if (err)
		return err;
	mbuf_init(&mb);
	to = sip_msg_hdr(req, SIP_HDR_TO, NULL);
	err = build_from_request(&mb, req, "CANCEL", to ? to->value : PL_NULL);
	free(req);
	/* Its own non-INVITE transaction (9.1), owned by nobody: its 200 is of no interest. */
	if (!err)
		err = ctrans_start(ct->s, NULL, &ct->to, mb.buf, mb.len, NULL, NULL);
	mbuf_free(&mb);
	if (err)
		return err;
	ct->cancel_sent = true;
	tmr_start(ct->s->tl, &ct->timeout, 64 * ct->s->t.t1_ms, timer_timeout, ct);
	return 0;
}

int sip_ctrans_cancel(struct sip_ctrans *ct)
{
	if (!ct || !ct->invite)
		return EINVAL;
	if (ct->state != CT_CALLING && ct->state != CT_PROCEEDING)
		return EPROTO;
	if (ct->cancel_pending || ct->cancel_sent)
		return 0;
	/* 9.1: "If no provisional response has been received, the CANCEL request MUST NOT be
	 * sent; rather, the client MUST wait for the arrival of a provisional response". */
	if (ct->state == CT_CALLING) {
		ct->cancel_pending = true;
		return 0;
	}
	return send_cancel(ct);
}

void sip_ctrans_abandon(struct sip_ctrans *ct)
{
	if (!ct)
		return;
	ct->h = NULL;
	/* Nobody wants this INVITE any more: cancel it, or it could ring forever (Proceeding has
	 * no timeout of its own). A 2xx that still comes goes to the stray handler. */
	if (ct->invite && (ct->state == CT_CALLING || ct->state == CT_PROCEEDING))
		sip_ctrans_cancel(ct);
}

static void deliver_final(struct sip_ctrans *ct, const struct sip_msg *resp,
			  const struct tp_peer *from)
{
	sip_response_h *h = ct->h;
	ct->h = NULL;
	if (h)
		h(resp, 0, ct->arg);
	else if (ct->invite && resp->scode < 300)
		/* Abandoned INVITE answered anyway: the dialog layer must ACK and BYE it. */
		tsx_stray_response(ct->s, resp, from);
}

static void invite_response(struct sip_ctrans *ct, const struct sip_msg *resp,
			    const struct tp_peer *from)
{
	struct sip_stack *s = ct->s;
	uint16_t code = resp->scode;

	switch (ct->state) {
	case CT_CALLING:
	case CT_PROCEEDING:
		if (code < 200) {
			/* 17.1.1.2: Proceeding; no more retransmissions, and timer B only
			 * applies while Calling. */
			if (ct->state == CT_CALLING)
				tmr_cancel(&ct->timeout);
			tmr_cancel(&ct->retx);
			ct->state = CT_PROCEEDING;
			if (ct->cancel_pending) {
				ct->cancel_pending = false;
				if (send_cancel(ct))
					log_warn("sip: could not send a pending CANCEL");
			}
			if (ct->h)
				ct->h(resp, 0, ct->arg);
		} else if (code < 300) {
			/* RFC 6026 7.2: Accepted for timer M (64*T1), so retransmitted and forked
			 * 2xx still find us; they go to the TU through the stray handler. The ACK
			 * for a 2xx is the dialog layer's (RFC 3261 13.2.2.4). */
			ct->state = CT_ACCEPTED;
			ct->cancel_pending = false;
			ctrans_end_in(ct, 64 * s->t.t1_ms);
			deliver_final(ct, resp, from);
		} else {
			/* 17.1.1.3: ACK it ourselves, then timer D (32 s on UDP, 0 on streams)
			 * absorbs retransmissions of the final. */
			ct->state = CT_COMPLETED;
			ct->cancel_pending = false;
			send_ack(ct, resp);
			ctrans_end_in(ct, tsx_reliable(&ct->to) ? 0 : 32000);
			deliver_final(ct, resp, from);
		}
		break;
	case CT_COMPLETED:
		if (code >= 300) {
			s->stats.retransmissions_absorbed++;
			send_ack(ct, resp);
		}
		break;
	case CT_ACCEPTED:
		if (code >= 200 && code < 300)
			tsx_stray_response(s, resp, from);
		break;
	case CT_TERMINATED:
		break;
	}
}

static void noninvite_response(struct sip_ctrans *ct, const struct sip_msg *resp,
			       const struct tp_peer *from)
{
	switch (ct->state) {
	case CT_CALLING:
	case CT_PROCEEDING:
		if (resp->scode < 200) {
			ct->state = CT_PROCEEDING;
			if (ct->h)
				ct->h(resp, 0, ct->arg);
			break;
		}
		/* 17.1.2.2: Completed; timer K (T4 on UDP, 0 on streams) absorbs
		 * retransmissions of the final. */
		ct->state = CT_COMPLETED;
		ctrans_end_in(ct, tsx_reliable(&ct->to) ? 0 : ct->s->t.t4_ms);
		deliver_final(ct, resp, from);
		break;
	case CT_COMPLETED:
		ct->s->stats.retransmissions_absorbed++;
		break;
	default:
		break;
	}
}

/* 17.1.3: a response belongs to the client transaction whose branch is in its top Via and
 * whose method is its CSeq method (a CANCEL shares its INVITE's branch). */
void ctrans_recv_response(struct sip_stack *s, const struct sip_msg *resp,
			  const struct tp_peer *from)
{
	uint32_t hash = tsx_hash_pl(resp->via.branch);
	struct sip_ctrans *ct = NULL;

	for (struct tsx_node *n = tsx_hash_chain(&s->ctrans, hash); n; n = n->next) {
		struct sip_ctrans *c = TSX_CONTAINER(n, struct sip_ctrans, node);
		if (n->hash == hash && c->state != CT_TERMINATED &&
		    pl_same(c->branch, resp->via.branch) &&
		    tsx_method_eq(c->mid, c->method, resp->cseq_mid, resp->cseq_method)) {
			ct = c;
			break;
		}
	}
	if (!ct) {
		tsx_stray_response(s, resp, from);
		return;
	}
	if (ct->invite)
		invite_response(ct, resp, from);
	else
		noninvite_response(ct, resp, from);
}

void ctrans_free_all(struct sip_stack *s)
{
	struct tsx_hash *h = &s->ctrans;
	for (size_t i = 0; i < h->nb; i++) {
		while (h->b[i])
			ctrans_free(TSX_CONTAINER(h->b[i], struct sip_ctrans, node));
	}
}

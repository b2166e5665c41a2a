/* Server transactions (RFC 3261 17.2, with RFC 6026's Accepted state for 2xx to INVITE):
 * matching (17.2.3), absorbing retransmitted requests, 100 Trying, timers G/H/I/J/L, CANCEL
 * (9.2) and the ACK for a non-2xx final. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/mbuf.h"
#include "sip/build.h"
#include "sip/tsx_int.h"

/* An INVITE transaction starts in PROCEEDING in the RFC; TRYING here just means "nothing sent
 * yet" for both kinds, which is when the 100 Trying timer matters. */
enum strans_state {
	ST_TRYING = 0,
	ST_PROCEEDING,
	ST_COMPLETED, /* non-2xx final sent (INVITE: waiting for the ACK) */
	ST_CONFIRMED, /* INVITE: ACK received, timer I soaking up ACK retransmissions */
	ST_ACCEPTED,  /* INVITE: 2xx sent (RFC 6026 8.5), timer L */
	ST_TERMINATED,
};

/* What identifies a transaction (17.2.3). Views into the transaction's own copy of the
 * request, or into a received message while matching it. */
struct strans_key {
	enum sip_method mid;
	struct pl method;
	bool rfc3261;
	/* RFC 3261: branch and sent-by */
	struct pl branch;
	struct pl host;
	uint16_t port;
	/* RFC 2543 fallback */
	struct pl ruri, from_tag, call_id, via_raw;
	uint32_t cseq;
};

struct sip_strans {
	struct tsx_node node;
	struct sip_stack *s;
	enum strans_state state;
	bool invite;
	char *req_buf;	     /* our copy of the request: key and req point into it */
	struct sip_msg *req; /* the TU's view, released with the final response */
	struct strans_key key;
	struct tp_peer from; /* where the request came from (owns the conn reference) */
	struct tp_peer dst;  /* where responses go (RFC 3261 18.2.2); borrows from's conn */
	struct mbuf resp;    /* the last response sent, for retransmissions */
	char *to_tag;	     /* the tag we gave To, for the 200 to a CANCEL */
	uint16_t code;	     /* of the last response */
	uint32_t g_ms;
	struct tmr retx; /* 100 Trying, then timer G */
	struct tmr life; /* timers H, I, J, L and the deferred free */
	sip_cancel_h *cancelh;
	void *cancel_arg;
};

enum find_mode {
	FIND_SAME,	/* a retransmission: same key, same method */
	FIND_INVITE,	/* an ACK: the INVITE transaction it acknowledges */
	FIND_CANCELLED, /* a CANCEL: the transaction it cancels */
};

static bool pl_same(struct pl a, struct pl b)
{
	return a.l == b.l && (!a.l || memcmp(a.p, b.p, a.l) == 0);
}

static void key_from_msg(struct strans_key *k, const struct sip_msg *m)
{
	memset(k, 0, sizeof(*k));
	k->mid = m->mid;
	k->method = m->method;
	k->rfc3261 = tsx_branch_is_3261(m->via.branch);
	if (k->rfc3261) {
		k->branch = m->via.branch;
		k->host = m->via.host;
		k->port = m->via.port;
		return;
	}
	k->ruri = m->ruri_raw;
	k->from_tag = m->from.tag;
	k->call_id = m->call_id;
	k->via_raw = m->via.raw;
	k->cseq = m->cseq;
}

static uint32_t key_hash(const struct strans_key *k)
{
	return tsx_hash_pl(k->rfc3261 ? k->branch : k->call_id);
}

/* 17.2.3. The RFC 2543 rules also compare the To tag against the one we sent; the minimal
 * form here leaves it out, which only matters for a 2543 client reusing every other field. */
static bool key_match(const struct strans_key *a, const struct strans_key *b)
{
	if (a->rfc3261 != b->rfc3261)
		return false;
	if (a->rfc3261)
		return pl_same(a->branch, b->branch) && pl_caseeq(a->host, b->host) &&
		       a->port == b->port;
	return a->cseq == b->cseq && pl_same(a->call_id, b->call_id) &&
	       pl_same(a->from_tag, b->from_tag) && pl_same(a->ruri, b->ruri) &&
	       pl_same(a->via_raw, b->via_raw);
}

static bool mode_match(const struct sip_strans *st, const struct strans_key *k,
		       enum find_mode mode)
{
	switch (mode) {
	case FIND_SAME:
		return tsx_method_eq(st->key.mid, st->key.method, k->mid, k->method);
	case FIND_INVITE:
		return st->invite;
	case FIND_CANCELLED:
		return st->key.mid != SIP_CANCEL;
	}
	return false;
}

static struct sip_strans *strans_find(struct sip_stack *s, const struct strans_key *k,
				      enum find_mode mode)
{
	uint32_t hash = key_hash(k);
	for (struct tsx_node *n = tsx_hash_chain(&s->strans, hash); n; n = n->next) {
		struct sip_strans *st = TSX_CONTAINER(n, struct sip_strans, node);
		if (n->hash != hash || st->state == ST_TERMINATED)
			continue;
		if (key_match(&st->key, k) && mode_match(st, k, mode))
			return st;
	}
	return NULL;
}

static void strans_free(struct sip_strans *st)
{
	tmr_cancel(&st->retx);
	tmr_cancel(&st->life);
	tsx_hash_unlink(&st->s->strans, &st->node);
	st->s->stats.strans_live--;
	mbuf_free(&st->resp);
	tsx_peer_release(&st->from);
	free(st->req);
	free(st->req_buf);
	free(st->to_tag);
	free(st);
}

static void life_expired(void *arg)
{
	strans_free(arg);
}

/* End the transaction after 'ms' (I, J, L, or 0 to end it now). Never freed synchronously: the
 * TU may still be inside sip_strans_reply, and a timer callback is always a safe place. */
static void strans_end_in(struct sip_strans *st, uint32_t ms)
{
	tmr_cancel(&st->retx);
	if (tmr_start(st->s->tl, &st->life, ms, life_expired, st))
		log_warn("sip: cannot start transaction timer; it stays until shutdown");
}

static void resend_response(struct sip_strans *st)
{
	if (st->resp.len)
		tsx_send(st->s, &st->dst, st->resp.buf, st->resp.len);
}

/* Timer G (17.2.1): the non-2xx final is retransmitted over UDP at T1, 2T1, 4T1 ... capped at
 * T2, until the ACK arrives or timer H gives up. */
static void timer_g(void *arg)
{
	struct sip_strans *st = arg;
	resend_response(st);
	st->g_ms = st->g_ms * 2 < st->s->t.t2_ms ? st->g_ms * 2 : st->s->t.t2_ms;
	tmr_start(st->s->tl, &st->retx, st->g_ms, timer_g, st);
}

/* Timer H (17.2.1): no ACK within 64*T1. The RFC has the TU told of the failure; nothing above
 * us needs it (the call is already failed with the final it sent), so we just end. */
static void timer_h(void *arg)
{
	struct sip_strans *st = arg;
	log_debug("sip: timer H: no ACK for our %u", st->code);
	st->state = ST_TERMINATED;
	strans_free(st);
}

/* 17.2.1: "the server transaction MUST generate a 100 (Trying) response unless it knows that
 * the TU will generate a provisional or final response within 200 ms". We wait trying_ms for
 * the TU and send it ourselves if it stayed silent. */
static void timer_trying(void *arg)
{
	struct sip_strans *st = arg;
	if (st->state == ST_TRYING)
		sip_strans_reply(st, 100, NULL, NULL, NULL, PL_NULL, NULL);
}

static int strans_alloc(struct sip_strans **stp, struct sip_stack *s, const struct sip_msg *req,
			const struct tp_peer *from)
{
	int err = ENOMEM;
	struct sip_strans *st = calloc(1, sizeof(*st));
	if (!st)
		return ENOMEM;
	st->s = s;
	s->stats.strans_live++;
	mbuf_init(&st->resp);
	tmr_init(&st->retx);
	tmr_init(&st->life);
	st->invite = req->mid == SIP_INVITE;
	/* The TU's view must point into bytes we own: copy, and parse the copy. */
	st->req_buf = tsx_dup(req->raw.p, req->raw.l);
	st->req = malloc(sizeof(*st->req));
	if (!st->req_buf || !st->req)
		goto out;
	err = sip_msg_parse(st->req, st->req_buf, req->raw.l);
	if (err)
		goto out;
	key_from_msg(&st->key, st->req);
	err = tsx_peer_copy(&st->from, from);
	if (err)
		goto out;
	tsx_reply_peer(&st->dst, &st->from, &st->req->via);
	err = tsx_hash_insert(&s->strans, &st->node, key_hash(&st->key));
out:
	if (err)
		strans_free(st);
	else
		*stp = st;
	return err;
}

int sip_strans_reply(struct sip_strans *st, uint16_t code, const char *reason, const char *to_tag,
		     const char *extra_hdrs, struct pl body, const char *content_type)
{
	struct mbuf mb;
	int err;

	if (!st || code < 100 || code > 699)
		return EINVAL;
	if (st->state != ST_TRYING && st->state != ST_PROCEEDING)
		return EPROTO;

	mbuf_init(&mb);
	err = sip_build_response(&mb, st->req, &st->from.remote, code, reason, to_tag, extra_hdrs,
				 body, content_type);
	if (!err)
		err = mb.err;
	if (err) {
		mbuf_free(&mb);
		return err;
	}
	mbuf_free(&st->resp);
	st->resp = mb;
	st->code = code;
	if (to_tag && !st->to_tag)
		st->to_tag = strdup(to_tag); /* best effort: only the CANCEL's 200 uses it */
	tmr_cancel(&st->retx);

	/* A failed send does not undo the response: over UDP timer G or the client's
	 * retransmission gets another chance; the error is returned for the TU to log. */
	err = tsx_send(st->s, &st->dst, st->resp.buf, st->resp.len);
	if (code < 200) {
		st->state = ST_PROCEEDING;
		return err;
	}

	/* The final response: the TU is done with the request view. */
	free(st->req);
	st->req = NULL;
	uint32_t t1 = st->s->t.t1_ms;
	bool reliable = tsx_reliable(&st->from);
	if (!st->invite) {
		/* 17.2.2: Completed absorbs retransmissions for timer J, 64*T1 (0 on streams). */
		st->state = ST_COMPLETED;
		strans_end_in(st, reliable ? 0 : 64 * t1);
	} else if (code < 300) {
		/* RFC 6026 8.5: Accepted for timer L (64*T1). INVITE retransmissions are absorbed
		 * and ACKs go to the TU. The 2xx is NOT retransmitted here: that is the dialog
		 * layer's job (RFC 3261 13.3.1.4), through sip_stack_send. */
		st->state = ST_ACCEPTED;
		strans_end_in(st, 64 * t1);
	} else {
		/* 17.2.1: Completed; timer G retransmits over UDP, timer H (64*T1) bounds the
		 * wait for the ACK on every transport. */
		st->state = ST_COMPLETED;
		if (!reliable) {
			st->g_ms = t1;
			tmr_start(st->s->tl, &st->retx, st->g_ms, timer_g, st);
		}
		tmr_start(st->s->tl, &st->life, 64 * t1, timer_h, st);
	}
	return err;
}

const struct sip_msg *sip_strans_request(const struct sip_strans *st)
{
	return st ? st->req : NULL;
}

const struct tp_peer *sip_strans_peer(const struct sip_strans *st)
{
	return st ? &st->from : NULL;
}

void sip_strans_set_cancel_handler(struct sip_strans *st, sip_cancel_h *h, void *arg)
{
	if (!st)
		return;
	st->cancelh = h;
	st->cancel_arg = arg;
}

/* 17.2.1 / 17.2.2: a retransmitted request gets the last response again, never the TU. */
static void absorb(struct sip_strans *st)
{
	st->s->stats.retransmissions_absorbed++;
	if (st->state == ST_PROCEEDING || st->state == ST_COMPLETED)
		resend_response(st);
	/* TRYING: nothing to resend yet. CONFIRMED / ACCEPTED: absorbed silently (RFC 6026). */
}

static void recv_ack(struct sip_stack *s, const struct sip_msg *ack, const struct strans_key *k,
		     const struct tp_peer *from)
{
	struct sip_strans *st = strans_find(s, k, FIND_INVITE);

	/* An ACK for a 2xx is a transaction of its own (17.1.1.3) and goes to the TU; so does
	 * one that arrives while the INVITE transaction is Accepted (RFC 6026 8.5). */
	if (!st || st->state == ST_ACCEPTED) {
		s->reqh(NULL, ack, from, s->arg);
		return;
	}
	switch (st->state) {
	case ST_COMPLETED:
		/* 17.2.1: Confirmed; timer I (T4 on UDP, 0 on streams) soaks up the ACK's own
		 * retransmissions, and G and H are over. */
		st->state = ST_CONFIRMED;
		tmr_cancel(&st->life);
		strans_end_in(st, tsx_reliable(&st->from) ? 0 : s->t.t4_ms);
		break;
	case ST_CONFIRMED:
		s->stats.retransmissions_absorbed++;
		break;
	default:
		/* An ACK before any final: nothing to acknowledge. */
		break;
	}
}

/* 9.2: the stack answers the CANCEL itself (200 if it matches a transaction, else 481) in a
 * non-INVITE transaction of its own, then tells the TU so it can send 487 to the INVITE. */
static void recv_cancel(struct sip_stack *s, const struct sip_msg *req, const struct strans_key *k,
			const struct tp_peer *from)
{
	struct sip_strans *cst, *target = strans_find(s, k, FIND_CANCELLED);
	char fresh[24];
	const char *tag = fresh;

	if (strans_alloc(&cst, s, req, from))
		return;
	/* 9.2: the To tag SHOULD be the one the cancelled request's responses carry. */
	if (target && target->to_tag)
		tag = target->to_tag;
	else if (sip_random_token(fresh, 16))
		tag = NULL;
	if (!target) {
		sip_strans_reply(cst, 481, NULL, tag, NULL, PL_NULL, NULL);
		return;
	}
	sip_strans_reply(cst, 200, NULL, tag, NULL, PL_NULL, NULL);
	if (target->invite && (target->state == ST_TRYING || target->state == ST_PROCEEDING) &&
	    target->cancelh)
		target->cancelh(target, target->cancel_arg);
}

void strans_recv_request(struct sip_stack *s, const struct sip_msg *req,
			 const struct tp_peer *from)
{
	struct strans_key k;
	struct sip_strans *st;

	key_from_msg(&k, req);
	if (req->mid == SIP_ACK) {
		recv_ack(s, req, &k, from);
		return;
	}
	st = strans_find(s, &k, FIND_SAME);
	if (st) {
		absorb(st);
		return;
	}
	if (req->mid == SIP_CANCEL) {
		recv_cancel(s, req, &k, from);
		return;
	}
	if (strans_alloc(&st, s, req, from)) {
		/* Out of memory: dropping is the best answer, the client retransmits. */
		log_warn("sip: no memory for a server transaction");
		return;
	}
	if (st->invite)
		tmr_start(s->tl, &st->retx, s->t.trying_ms, timer_trying, st);
	/* st may be answered and ended inside the handler: do not touch it afterwards. */
	s->reqh(st, st->req, &st->from, s->arg);
}

void strans_free_all(struct sip_stack *s)
{
	struct tsx_hash *h = &s->strans;
	for (size_t i = 0; i < h->nb; i++) {
		while (h->b[i])
			strans_free(TSX_CONTAINER(h->b[i], struct sip_strans, node));
	}
}

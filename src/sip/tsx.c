/* The SIP stack's front door (RFC 3261 section 17 and 18.1.2 / 18.2.1): parse what the
 * transports hand us, answer what cannot be parsed (400, 513), and dispatch requests to server
 * transactions and responses to client transactions. Also the branch hash table they live in. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/mbuf.h"
#include "net/sa.h"
#include "sip/build.h"
#include "sip/tsx_int.h"

#define HASH_MIN_BUCKETS 256u

static const struct sip_timers timer_defaults = {
	.t1_ms = 500,
	.t2_ms = 4000,
	.t4_ms = 5000,
	.trying_ms = 200,
};

/* FNV-1a: branches are random already, this only has to spread them over the buckets. */
uint32_t tsx_hash_pl(struct pl key)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < key.l; i++) {
		h ^= (unsigned char)key.p[i];
		h *= 16777619u;
	}
	return h;
}

static void chain_push(struct tsx_node **head, struct tsx_node *node)
{
	node->next = *head;
	if (node->next)
		node->next->pprev = &node->next;
	node->pprev = head;
	*head = node;
}

static int hash_grow(struct tsx_hash *h)
{
	size_t nb = h->nb ? h->nb * 2 : HASH_MIN_BUCKETS;
	struct tsx_node **b = calloc(nb, sizeof(*b));
	if (!b)
		return ENOMEM;
	for (size_t i = 0; i < h->nb; i++) {
		struct tsx_node *n = h->b[i];
		while (n) {
			struct tsx_node *next = n->next;
			chain_push(&b[n->hash & (nb - 1)], n);
			n = next;
		}
	}
	free(h->b);
	h->b = b;
	h->nb = nb;
	return 0;
}

int tsx_hash_insert(struct tsx_hash *h, struct tsx_node *node, uint32_t hash)
{
	if (h->n >= h->nb) {
		int err = hash_grow(h);
		/* A full table still works, only slower; an empty one cannot. */
		if (err && !h->nb)
			return err;
	}
	node->hash = hash;
	chain_push(&h->b[hash & (h->nb - 1)], node);
	h->n++;
	return 0;
}

void tsx_hash_unlink(struct tsx_hash *h, struct tsx_node *node)
{
	if (!node->pprev)
		return;
	*node->pprev = node->next;
	if (node->next)
		node->next->pprev = node->pprev;
	node->next = NULL;
	node->pprev = NULL;
	h->n--;
}

struct tsx_node *tsx_hash_chain(const struct tsx_hash *h, uint32_t hash)
{
	return h->nb ? h->b[hash & (h->nb - 1)] : NULL;
}

void tsx_hash_close(struct tsx_hash *h)
{
	free(h->b);
	memset(h, 0, sizeof(*h));
}

bool tsx_branch_is_3261(struct pl branch)
{
	return branch.l > 7 && memcmp(branch.p, "z9hG4bK", 7) == 0;
}

bool tsx_method_eq(enum sip_method a, struct pl an, enum sip_method b, struct pl bn)
{
	if (a != b)
		return false;
	/* Extension methods: names compare case-sensitively (RFC 3261 7.1). */
	return a != SIP_METHOD_UNKNOWN || (an.l == bn.l && memcmp(an.p, bn.p, an.l) == 0);
}

char *tsx_dup(const char *data, size_t len)
{
	char *p = malloc(len + 1);
	if (!p)
		return NULL;
	memcpy(p, data, len);
	p[len] = '\0';
	return p;
}

/* Counted by the first line: "SIP/2.0 NNN" or "METHOD ": a few byte compares per message. */
static void count_out(struct sip_stack *s, const char *data, size_t len)
{
	if (len >= 11 && memcmp(data, "SIP/2.0 ", 8) == 0) {
		unsigned code = (unsigned)(data[8] - '0') * 100 + (unsigned)(data[9] - '0') * 10 +
				(unsigned)(data[10] - '0');
		if (code >= 100 && code < SIP_STATS_CODES)
			s->stats.resp_out[code]++;
		return;
	}
	const char *sp = memchr(data, ' ', len < 16 ? len : 16);
	if (sp)
		s->stats.req_out[sip_method_id(pl_from(data, (size_t)(sp - data)))]++;
}

int tsx_send(struct sip_stack *s, const struct tp_peer *to, const char *data, size_t len)
{
	count_out(s, data, len);
	return s->sendh(to, data, len, s->send_arg);
}

int tsx_peer_copy(struct tp_peer *dst, const struct tp_peer *src)
{
	*dst = *src;
	dst->server_name = NULL;
	if (src->server_name) {
		char *name = strdup(src->server_name);
		if (!name) {
			dst->conn = NULL;
			return ENOMEM;
		}
		dst->server_name = name;
	}
	if (dst->conn)
		tp_conn_ref(dst->conn);
	return 0;
}

void tsx_peer_release(struct tp_peer *p)
{
	free((char *)p->server_name);
	p->server_name = NULL;
	if (p->conn)
		tp_conn_unref(p->conn);
	p->conn = NULL;
}

void tsx_reply_peer(struct tp_peer *dst, const struct tp_peer *from, const struct sip_via *via)
{
	/* RFC 3261 18.2.2 with RFC 3581: on a stream the response goes back over the connection
	 * the request came on. Over UDP it goes to the source address (what received= records);
	 * the port is the source port when the client asked for rport, else the sent-by port. */
	*dst = *from;
	if (from->kind == TP_UDP && !via->rport && from->remote.len)
		sa_set_port(&dst->remote, via->port ? via->port : 5060);
}

int sip_stack_alloc(struct sip_stack **sp, struct tmr_list *timers, const struct sip_timers *t,
		    sip_send_h *sendh, void *send_arg, sip_request_h *reqh, void *arg)
{
	if (!sp || !timers || !sendh || !reqh)
		return EINVAL;
	struct sip_stack *s = calloc(1, sizeof(*s));
	if (!s)
		return ENOMEM;
	s->tl = timers;
	s->t = timer_defaults;
	if (t) {
		if (t->t1_ms)
			s->t.t1_ms = t->t1_ms;
		if (t->t2_ms)
			s->t.t2_ms = t->t2_ms;
		if (t->t4_ms)
			s->t.t4_ms = t->t4_ms;
		if (t->trying_ms)
			s->t.trying_ms = t->trying_ms;
	}
	s->sendh = sendh;
	s->send_arg = send_arg;
	s->reqh = reqh;
	s->arg = arg;
	*sp = s;
	return 0;
}

void sip_stack_free(struct sip_stack *s)
{
	if (!s)
		return;
	strans_free_all(s);
	ctrans_free_all(s);
	tsx_hash_close(&s->strans);
	tsx_hash_close(&s->ctrans);
	free(s);
}

void sip_stack_set_stray_handler(struct sip_stack *s, sip_stray_response_h *h, void *arg)
{
	s->strayh = h;
	s->stray_arg = arg;
}

void sip_stack_stats(const struct sip_stack *s, struct sip_stack_stats *st)
{
	*st = s->stats;
}

int sip_stack_send(struct sip_stack *s, const struct tp_peer *to, const char *data, size_t len)
{
	if (!s || !to || !data)
		return EINVAL;
	return tsx_send(s, to, data, len);
}

void tsx_stray_response(struct sip_stack *s, const struct sip_msg *resp, const struct tp_peer *from)
{
	if (s->strayh)
		s->strayh(resp, from, s->stray_arg);
}

/* Answer a request we could not take in (RFC 3261 21.4.1, 21.5.14, 21.5.10), statelessly: a
 * retransmission of it gets the same answer again. Never for an ACK (17.1.1.3: no response). */
static void reply_error(struct sip_stack *s, struct sip_msg *msg, const struct tp_peer *from,
			uint16_t code)
{
	struct mbuf mb;
	struct tp_peer dst;

	if (msg->mid == SIP_ACK)
		return;
	if (!msg->error)
		msg->error = code == 513 ? "Message Too Large" : "Bad Request";
	mbuf_init(&mb);
	if (sip_build_error_response(&mb, msg, &from->remote, code) == 0 && !mb.err) {
		tsx_reply_peer(&dst, from, &msg->via);
		tsx_send(s, &dst, mb.buf, mb.len);
	}
	mbuf_free(&mb);
}

static bool looks_like_ack(const char *buf, size_t len)
{
	return len >= 4 && memcmp(buf, "ACK ", 4) == 0;
}

void sip_stack_recv(struct sip_stack *s, const struct tp_peer *from, const char *buf, size_t len,
		    unsigned tp_flags)
{
	/* The view is large (header table); keep it off the stack of the event loop's callers. */
	struct sip_msg *msg = malloc(sizeof(*msg));
	if (!msg)
		return;
	int err = sip_msg_parse(msg, buf, len);
	/* A failed parse may not say what the message was; its first bytes do. */
	bool response = len >= 4 && memcmp(buf, "SIP/", 4) == 0;
	bool routable = !response && !looks_like_ack(buf, len) && (err == 0 || msg->can_reply);

	if (tp_flags & TP_MSG_OVERSIZE) {
		s->stats.malformed++;
		if (routable)
			reply_error(s, msg, from, 513);
		goto out;
	}
	if (err) {
		s->stats.malformed++;
		/* 400, or what the parser suggests (505 for another SIP version). */
		if (routable)
			reply_error(s, msg, from, msg->error_scode ? msg->error_scode : 400);
		else
			log_debug("sip: dropped malformed %s: %s", response ? "response" : "request",
				  msg->error ? msg->error : "?");
		goto out;
	}
	if (msg->is_request) {
		s->stats.requests_in++;
		s->stats.req_in[msg->mid < SIP_STATS_METHODS ? msg->mid : 0]++;
		strans_recv_request(s, msg, from);
		goto out;
	}
	s->stats.responses_in++;
	if (msg->scode >= 100 && msg->scode < SIP_STATS_CODES)
		s->stats.resp_in[msg->scode]++;
	/* RFC 3261 18.1.2: the top Via is ours, and its branch names the transaction. */
	if (!msg->nvia || !pl_isset(msg->via.branch) || !msg->via.branch.l) {
		s->stats.malformed++;
		goto out;
	}
	ctrans_recv_response(s, msg, from);
out:
	free(msg);
}

/* Private to the transaction layer (tsx.c, strans.c, ctrans.c): the stack, the branch hash
 * table both kinds of transaction live in, and the calls between the three files. */
#ifndef SOTTO_SIP_TSX_INT_H
#define SOTTO_SIP_TSX_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/pl.h"
#include "core/tmr.h"
#include "net/tp.h"
#include "sip/msg.h"
#include "sip/tsx.h"

/* A node embedded in each transaction. Chains are singly linked with a back pointer to the
 * link that points at us, so unlinking is O(1). */
struct tsx_node {
	struct tsx_node *next;
	struct tsx_node **pprev; /* NULL while not in a table */
	uint32_t hash;
};

/* Open hashing keyed by Via branch (or, for RFC 2543 requests, by Call-ID). Doubles when the
 * load passes 1, so a lookup stays a short chain walk with thousands of transactions. */
struct tsx_hash {
	struct tsx_node **b;
	size_t nb; /* power of two, 0 until the first insert */
	size_t n;
};

uint32_t tsx_hash_pl(struct pl key);
int tsx_hash_insert(struct tsx_hash *h, struct tsx_node *node, uint32_t hash);
void tsx_hash_unlink(struct tsx_hash *h, struct tsx_node *node);
/* First node of the chain a hash falls in (callers compare node->hash, then their key). */
struct tsx_node *tsx_hash_chain(const struct tsx_hash *h, uint32_t hash);
/* Release the bucket array; the nodes belong to their transactions. */
void tsx_hash_close(struct tsx_hash *h);

#define TSX_CONTAINER(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

struct sip_stack {
	struct tmr_list *tl;
	struct sip_timers t;
	sip_send_h *sendh;
	void *send_arg;
	sip_request_h *reqh;
	void *arg;
	sip_stray_response_h *strayh;
	void *stray_arg;
	struct tsx_hash strans; /* struct sip_strans by request branch */
	struct tsx_hash ctrans; /* struct sip_ctrans by our branch */
	struct sip_stack_stats stats;
};

/* RFC 3261 8.1.1.7: a branch starting with the magic cookie was built by a 3261 element and is
 * unique on its own; anything else needs the RFC 2543 matching rules of 17.2.3. */
bool tsx_branch_is_3261(struct pl branch);

/* Shared helpers (tsx.c). */
int tsx_send(struct sip_stack *s, const struct tp_peer *to, const char *data, size_t len);
/* Copy a peer, taking a reference on its connection and a copy of its server name. */
int tsx_peer_copy(struct tp_peer *dst, const struct tp_peer *src);
void tsx_peer_release(struct tp_peer *p);
static inline bool tsx_reliable(const struct tp_peer *p)
{
	return p->kind != TP_UDP;
}
/* Where responses to a request from 'from' with top Via 'via' go (shares from's connection). */
void tsx_reply_peer(struct tp_peer *dst, const struct tp_peer *from, const struct sip_via *via);
/* A response no transaction wants: up to the stray handler, if any. */
void tsx_stray_response(struct sip_stack *s, const struct sip_msg *resp,
			const struct tp_peer *from);
/* A heap copy of len bytes plus a NUL. NULL on ENOMEM. */
char *tsx_dup(const char *data, size_t len);
/* Same method, comparing names for extension methods. */
bool tsx_method_eq(enum sip_method a, struct pl an, enum sip_method b, struct pl bn);

/* Server side (strans.c). */
void strans_recv_request(struct sip_stack *s, const struct sip_msg *req,
			 const struct tp_peer *from);
void strans_free_all(struct sip_stack *s);

/* Client side (ctrans.c). */
void ctrans_recv_response(struct sip_stack *s, const struct sip_msg *resp,
			  const struct tp_peer *from);
void ctrans_free_all(struct sip_stack *s);

#endif

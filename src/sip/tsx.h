/* The SIP transaction layer (RFC 3261 section 17, RFC 6026 for 2xx to INVITE): client and
 * server transactions over any transport, timers on a tmr_list (the event loop's, or a fake
 * clock in tests), retransmissions over UDP, absorption of retransmitted requests, automatic
 * 100 Trying for INVITE, ACK for non-2xx finals, CANCEL matching. The stack also answers
 * malformed requests (400 with the reason, 513 when oversize) before anything above sees them. */
#ifndef SOTTO_SIP_TSX_H
#define SOTTO_SIP_TSX_H

#include <stdint.h>

#include "core/pl.h"
#include "core/tmr.h"
#include "net/tp.h"
#include "sip/msg.h"

struct sip_stack;
struct sip_strans;
struct sip_ctrans;

/* How the stack sends: tp_send in the daemon, a capture in unit tests. 0 or an errno. */
typedef int(sip_send_h)(const struct tp_peer *to, const char *data, size_t len, void *arg);

/* A new request, not a retransmission. st is NULL for ACK (it has no server transaction; an
 * ACK for a non-2xx final is absorbed by the stack and never arrives here). Answer with
 * sip_strans_reply, now or later; st stays valid until the final response has been sent (or
 * the transaction was terminated). */
typedef void(sip_request_h)(struct sip_strans *st, const struct sip_msg *req,
			    const struct tp_peer *from, void *arg);
/* A CANCEL matched this pending INVITE transaction; the stack has answered the CANCEL with 200.
 * The TU should now answer the INVITE with 487. Without a handler nothing happens: the INVITE
 * stays pending until the TU answers it. */
typedef void(sip_cancel_h)(struct sip_strans *st, void *arg);
/* A response that matches no client transaction (e.g. a retransmitted 2xx to INVITE, which the
 * dialog layer must ACK again). Also every 2xx after the first one while the INVITE client
 * transaction is Accepted (RFC 6026: retransmissions and forked answers), and the 2xx of an
 * abandoned INVITE (the dialog layer must ACK and BYE it). */
typedef void(sip_stray_response_h)(const struct sip_msg *resp, const struct tp_peer *from,
				   void *arg);
/* Responses to a client transaction: each provisional, then one final. On failure resp is NULL
 * and err is ETIMEDOUT (timer B/F: treat as 408) or a transport errno (treat as 503). */
typedef void(sip_response_h)(const struct sip_msg *resp, int err, void *arg);

struct sip_timers {
	uint32_t t1_ms; /* RTT estimate, default 500 */
	uint32_t t2_ms; /* max non-INVITE retransmit interval, default 4000 */
	uint32_t t4_ms; /* max time a message stays in the network, default 5000 */
	uint32_t trying_ms; /* 100 Trying if an INVITE is not answered by then, default 200 */
};

#define SIP_STATS_METHODS (SIP_UPDATE + 1) /* indexed by enum sip_method; 0: other methods */
#define SIP_STATS_CODES 700		   /* indexed by status code 100-699 */

struct sip_stack_stats {
	uint64_t requests_in, responses_in, retransmissions_absorbed, malformed;
	uint64_t strans_live, ctrans_live;
	/* for metrics: every message parsed or sent, retransmissions included */
	uint64_t req_in[SIP_STATS_METHODS], req_out[SIP_STATS_METHODS];
	uint64_t resp_in[SIP_STATS_CODES], resp_out[SIP_STATS_CODES];
};

int sip_stack_alloc(struct sip_stack **sp, struct tmr_list *timers, const struct sip_timers *t,
		    sip_send_h *sendh, void *send_arg, sip_request_h *reqh, void *arg);
/* Terminates every transaction without calling handlers. */
void sip_stack_free(struct sip_stack *s);
void sip_stack_set_stray_handler(struct sip_stack *s, sip_stray_response_h *h, void *arg);
/* Feed one received message (tp_recv_h's arguments). */
void sip_stack_recv(struct sip_stack *s, const struct tp_peer *from, const char *buf, size_t len,
		    unsigned tp_flags);
void sip_stack_stats(const struct sip_stack *s, struct sip_stack_stats *st);
/* Send a message outside any transaction through the stack's send handler: the dialog layer's
 * ACK for a 2xx and its 2xx retransmissions (RFC 6026: neither belongs to a transaction). */
int sip_stack_send(struct sip_stack *s, const struct tp_peer *to, const char *data, size_t len);

/* Server transactions. */
const struct sip_msg *sip_strans_request(const struct sip_strans *st);
const struct tp_peer *sip_strans_peer(const struct sip_strans *st);
void sip_strans_set_cancel_handler(struct sip_strans *st, sip_cancel_h *h, void *arg);
/* Send a response (sip_build_response's arguments). A final response moves the transaction on;
 * a second final is EPROTO. 0 or an errno. A send error is returned but the response still
 * counts as sent (over UDP, retransmissions get another chance). After a 2xx to INVITE the
 * transaction neither retransmits it nor takes another: 2xx retransmission until the ACK
 * (RFC 3261 13.3.1.4) is the dialog layer's, through sip_stack_send. */
int sip_strans_reply(struct sip_strans *st, uint16_t code, const char *reason, const char *to_tag,
		     const char *extra_hdrs, struct pl body, const char *content_type);

/* Client transactions. req is a complete request whose top Via carries a fresh branch
 * (sip_random_branch); the stack keeps its own copy. *ctp (may be NULL) is valid until the final
 * response or error has been delivered, or sip_ctrans_abandon. EINVAL for an unparsable
 * request, an ACK (no transaction: use sip_stack_send) or a branch without the magic cookie; if
 * the first send fails its errno is returned and no transaction (nor handler call) exists.
 * An INVITE in Proceeding has no timeout of its own (RFC 3261 17.1.1.2): end a ring that lasts
 * too long with sip_ctrans_cancel. */
int sip_ctrans_send(struct sip_stack *s, struct sip_ctrans **ctp, const struct tp_peer *to,
		    const char *req, size_t len, sip_response_h *h, void *arg);
/* CANCEL a pending INVITE (RFC 3261 9.1): sent once a provisional has arrived, or as soon as one
 * does. The INVITE's final response (487 normally) still arrives through its handler; if none
 * comes within 64*T1 of the CANCEL, the handler gets ETIMEDOUT. Calling it again is a no-op;
 * EINVAL for a non-INVITE. */
int sip_ctrans_cancel(struct sip_ctrans *ct);
/* The TU goes away: no more handler calls; the transaction finishes its protocol duties alone.
 * A pending INVITE is cancelled (as sip_ctrans_cancel) so it cannot ring forever. */
void sip_ctrans_abandon(struct sip_ctrans *ct);

#endif

/* SIP dialogs (RFC 3261 section 12, 13.3.1.4, 14, 15) for a back-to-back user agent: for a call
 * from A to B, Sotto is the UAS of dialog A and the UAC of dialog B. A dialog holds the state
 * of 12.1 (Call-ID, tags, CSeqs, local/remote URI, remote target, route set, secure flag),
 * builds every request sent inside it, checks requests that arrive in it, tells where to send,
 * and retransmits a UAS 2xx until its ACK arrives. It never sends requests itself: the caller
 * builds into an mbuf and hands the bytes to the transaction layer (sip/tsx.h).
 *
 * Typical use in the call logic:
 *
 *   Leg A (UAS), on an initial INVITE st/req/from:
 *     sip_dialog_uas_alloc(&a, req, from, "sip:sotto@198.51.100.1:5060", NULL);
 *     sip_dialog_set_peer(a, binding_peer);                  // phone behind NAT: optional
 *     sip_dialog_reply_hdrs(a, &hdrs, req);                  // Record-Route copies + Contact
 *     sip_strans_reply(st, 180, NULL, sip_dialog_local_tag(a), hdrs.buf, PL_NULL, NULL);
 *     ... on answer: build the 200 with sip_build_response(&ok, req,
 *         &sip_strans_peer(st)->remote, 200, NULL, tag, hdrs.buf, sdp, "application/sdp"),
 *     send it with sip_strans_reply (same arguments: same bytes), then
 *     sip_dialog_2xx_start(a, stack, tl, NULL, NULL, ok.buf, ok.len, on_no_ack, call);
 *     ... ACK arrives (sip_request_h with st == NULL, sip_dialog_match(a, ack)):
 *     sip_dialog_ack_received(a, ack);
 *
 *   Leg B (UAC):
 *     sip_dialog_uac_alloc(&b, &spec);                      // spec.peer: B's binding
 *     sip_dialog_request(b, &mb, "INVITE", hdrs, "application/sdp", sdp, NULL);
 *     sip_ctrans_send(stack, &ct, sip_dialog_peer(b), mb.buf, mb.len, on_resp, call);
 *     ... on_resp 18x/2xx: sip_dialog_uac_confirm(b, resp);
 *     ... on 2xx: sip_dialog_ack(b, &mb, resp->cseq, NULL, NULL, PL_NULL);
 *         sip_stack_send(stack, sip_dialog_peer(b), mb.buf, mb.len);
 *     ... a retransmitted 2xx reaches the stray handler: sip_dialog_match_response(b, resp)
 *         and sip_dialog_uac_confirm(b, resp) == 0 -> send the same ACK again.
 *
 *   Either leg, a request from the peer (sip_request_h): find the dialog with
 *   sip_dialog_match (481 if none), sip_dialog_accept_cseq (500 on EPROTO, 12.2.2), and on
 *   accepting a re-INVITE/UPDATE sip_dialog_refresh_target. To hang up:
 *   sip_dialog_request(d, &mb, "BYE", ...) and sip_ctrans_send to sip_dialog_peer(d).
 *
 * Ownership: the caller owns the dialog and frees it with sip_dialog_free, which also cancels
 * the 2xx retransmission. Nothing passed in is kept by reference except the stack and timer list
 * given to sip_dialog_2xx_start, which must outlive the retransmission (or the dialog). */
#ifndef SOTTO_SIP_DIALOG_H
#define SOTTO_SIP_DIALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/mbuf.h"
#include "core/pl.h"
#include "core/tmr.h"
#include "net/tp.h"
#include "sip/msg.h"
#include "sip/tsx.h"

struct sip_dialog;

enum sip_dialog_state {
	SIP_DIALOG_INIT = 0,  /* UAC: INVITE not answered with a To tag yet (no dialog yet) */
	SIP_DIALOG_EARLY,     /* 1xx with a To tag (UAC), or UAS before its 2xx */
	SIP_DIALOG_CONFIRMED, /* 2xx received (UAC) or sent (UAS, sip_dialog_2xx_start) */
};

/* Most Route/Record-Route values a dialog keeps; more is EPROTO. */
#define SIP_DIALOG_MAX_ROUTE 16

/* UAS: a dialog from an initial INVITE (RFC 3261 12.1.1). req must be an INVITE without a To
 * tag; from is where it came from (copied: the connection gets a reference). local_contact is our
 * Contact URI ("sip:..."); in a secure dialog (R-URI sips: and received over TLS) it is promoted
 * to sips:. to_tag NULL makes a random one (sip_dialog_local_tag). The route set is the
 * Record-Route values in order, the remote target the INVITE's Contact, the remote URI/tag and
 * display name come from From, the local URI and display name from To.
 * EINVAL bad arguments (not an INVITE, bad contact or tag); EPROTO the request cannot make a
 * dialog (To tag present, no usable Contact, non-sips Contact in a secure dialog, too many or
 * malformed Record-Routes): answer 400. ENOMEM. */
int sip_dialog_uas_alloc(struct sip_dialog **dp, const struct sip_msg *req,
                         const struct tp_peer *from, const char *local_contact, const char *to_tag);

/* UAC: what the INVITE of a new dialog is made of. Strings are copied. */
struct sip_dialog_uac_spec {
	const char *local_uri;      /* From URI, e.g. the caller's AOR */
	const char *local_display;  /* optional From display name (caller identity to present) */
	const char *remote_uri;     /* To URI */
	const char *remote_display; /* optional */
	const char *target;         /* Request-URI (e.g. the binding's contact); NULL: remote_uri */
	const char *local_contact;  /* our Contact URI */
	/* Optional preloaded route set (outbound proxy), name-addrs in order: "<sip:p;lr>". */
	const char *const *route;
	size_t nroute;
	/* Where to send: copied, and fixed as with sip_dialog_set_peer (a registered phone's
	 * binding, a trunk's proxy). sip_dialog_set_peer(d, NULL) later lets route set and remote
	 * target decide instead. Required. */
	const struct tp_peer *peer;
	bool secure;         /* caller's choice: R-URI sips: and TLS (RFC 3261 12.1.2) */
	const char *call_id; /* NULL: 32 random characters from the CSPRNG */
	/* Max-Forwards of the dialog-creating INVITE, <= 255; 0: 70. A B2BUA passes on what is
	 * left of its caller's, so that a loop through other servers still runs out (483). */
	uint32_t max_forwards;
};

/* UAC: a dialog in state INIT, before the INVITE is sent: a random local tag, Call-ID (unless
 * given) and first CSeq (1..32768). Send the INVITE with sip_dialog_request(d, .., "INVITE", ..).
 * EINVAL bad or missing spec fields. ENOMEM. */
int sip_dialog_uac_alloc(struct sip_dialog **dp, const struct sip_dialog_uac_spec *spec);

/* UAC: a response to our INVITE (RFC 3261 12.1.2, 13.2.2.4). A 1xx with a To tag makes the
 * dialog EARLY (another tag while early replaces the early state: the latest early dialog wins),
 * a 2xx makes it CONFIRMED. Either learns the remote tag, the route set (Record-Route reversed)
 * and the remote target (Contact; kept when missing). 0 also when nothing is learned (1xx
 * without tag) and for a 2xx with the confirmed tag (a retransmission or a re-INVITE's 2xx:
 * ACK it again; use sip_dialog_refresh_target for the latter). EEXIST: a 2xx from another fork
 * while confirmed (see sip_dialog_uac_fork). EPROTO: not a response to our latest INVITE
 * (Call-ID, From tag, CSeq), a non-sips Contact in a secure dialog, bad Record-Route. EINVAL: a
 * final >= 300 (it creates no dialog), or a UAS dialog. */
int sip_dialog_uac_confirm(struct sip_dialog *d, const struct sip_msg *resp);

/* UAC: a separate dialog for a 2xx (or tagged 1xx) from another fork of d's INVITE (EEXIST
 * above), so the B2BUA can ACK and BYE it (RFC 3261 13.2.2.4). */
int sip_dialog_uac_fork(struct sip_dialog **dp, const struct sip_dialog *d,
                        const struct sip_msg *resp);

/* Cancels the 2xx retransmission; releases the connection references. NULL is fine. */
void sip_dialog_free(struct sip_dialog *d);

/* A request inside the dialog (RFC 3261 12.2.1.1): BYE, re-INVITE, UPDATE, INFO, OPTIONS, ...
 * (also the UAC's initial INVITE and its re-sends after a 401/407). Appended to mb: the next
 * local CSeq, Request-URI = remote target, the route set as Route headers, From local URI +
 * tag, To remote URI + tag (none before a tagged response), a fresh branch, Contact except in
 * BYE. A strict router first in the route set (no ;lr) is honoured as 12.2.1.1 says: its URI
 * becomes the Request-URI and the remote target the last Route. extra_hdrs: NULL or lines
 * ending in CRLF; body may be PL_NULL. *cseq (may be NULL) gets the CSeq used.
 * EINVAL: bad arguments, ACK or CANCEL (use sip_dialog_ack; CANCEL is sip_ctrans_cancel).
 * EPROTO: only INVITE before the UAC dialog exists; no BYE on an early UAS dialog (RFC 3261
 * 15: answer the INVITE with a final response instead). EAGAIN: BYE while our 2xx awaits its
 * ACK (RFC 3261 15: wait for the ACK or on_no_ack). ERANGE: CSeq space used up. ENOMEM. */
int sip_dialog_request(struct sip_dialog *d, struct mbuf *mb, const char *method,
                       const char *extra_hdrs, const char *content_type, struct pl body,
                       uint32_t *cseq);

/* UAC: the ACK for a 2xx to INVITE (RFC 3261 13.2.2.4, 17.1.1.3): the INVITE's CSeq number
 * (cseq, i.e. resp->cseq; 0 means our latest INVITE's) with method ACK, a new branch, the
 * dialog's route set and remote target. Send with sip_stack_send (no transaction). extra_hdrs
 * carries e.g. the INVITE's credentials; a body is the answer to a late offer.
 * EPROTO: no remote tag yet. EINVAL. ENOMEM. */
int sip_dialog_ack(struct sip_dialog *d, struct mbuf *mb, uint32_t cseq, const char *extra_hdrs,
                   const char *content_type, struct pl body);

/* Headers for our responses that create or refresh the dialog: a copy of each Record-Route of
 * req in order (RFC 3261 12.1.1; req NULL: none) and our Contact. Appended to mb as lines
 * ending in CRLF, ready for sip_strans_reply's extra_hdrs (add your own lines after them). */
int sip_dialog_reply_hdrs(const struct sip_dialog *d, struct mbuf *mb, const struct sip_msg *req);

/* Does this request belong to the dialog (RFC 3261 12.2.2)? Call-ID, To tag = local tag and
 * From tag = remote tag. False for a UAC dialog in INIT. */
bool sip_dialog_match(const struct sip_dialog *d, const struct sip_msg *req);
/* Is this a response to a request of this dialog, from any fork? Call-ID and From tag = local
 * tag (compare sip_dialog_remote_tag yourself for the fork). */
bool sip_dialog_match_response(const struct sip_dialog *d, const struct sip_msg *resp);

/* RFC 3261 12.2.2: a request whose CSeq is lower than the last one from the remote side is out
 * of order: EPROTO, answer 500. Otherwise 0 and the number becomes the remote CSeq. ACK and
 * CANCEL carry the INVITE's number and are always 0 (and change nothing). */
int sip_dialog_accept_cseq(struct sip_dialog *d, const struct sip_msg *req);

/* Target refresh (RFC 3261 12.2, 14): an accepted re-INVITE or UPDATE from the peer, or the 2xx
 * to ours, replaces the remote target with its Contact (no Contact: unchanged, 0). EBADMSG for
 * a malformed Contact, EPROTO for a non-sips Contact in a secure dialog; ENOMEM. */
int sip_dialog_refresh_target(struct sip_dialog *d, const struct sip_msg *msg);

/* Where requests of this dialog go. With a peer set (sip_dialog_set_peer, or a UAC spec.peer)
 * that one. Otherwise the next hop is the first route if any, else the remote target: its
 * transport= param or sips: (TLS) or the dialog's own transport picks the kind; a numeric host
 * gives the address (port 5060, 5061 for TLS, when absent); over TCP/TLS without a route set,
 * the connection the dialog came on is reused (phones rarely accept connections). A host name
 * is never resolved here: the address the dialog came from is used instead. NOTE for phones
 * behind NAT: their Contact holds a private address; set the registration binding's peer. */
const struct tp_peer *sip_dialog_peer(const struct sip_dialog *d);
/* Fix the peer (copied, its connection referenced) or, with NULL, go back to the rule above.
 * ENOMEM. */
int sip_dialog_set_peer(struct sip_dialog *d, const struct tp_peer *peer);

/* The UAS 2xx was sent and gets no ACK within 64*T1: the dialog stays confirmed but the
 * session should be ended with a BYE (RFC 3261 13.3.1.4). The handler may free the dialog. */
typedef void(sip_dialog_no_ack_h)(struct sip_dialog *d, void *arg);

/* RFC 3261 13.3.1.4, for whichever side answered an INVITE with a 2xx (the initial INVITE of a
 * UAS dialog, or a re-INVITE from either peer): after the 2xx went out through
 * sip_strans_reply, resend those same bytes (resp, copied) to where the INVITE's responses go
 * (from: the peer the INVITE came from, sip_strans_peer(st); NULL means the peer of the UAS
 * dialog's initial INVITE; the Via port replaces the source port over UDP without rport, as the
 * transaction layer does), over UDP at T1, then doubling up to T2 between sends, until
 * sip_dialog_ack_received; over TCP/TLS nothing is resent. Either way, no ACK after 64*T1 calls
 * h (may be NULL). t NULL: T1 500 ms, T2 4 s. The dialog becomes CONFIRMED. A second call
 * replaces the first. stack and tl must stay valid until the ACK, h, or sip_dialog_free.
 * EINVAL: resp is not a 2xx to INVITE (or from is NULL on a UAC dialog). ENOMEM. */
int sip_dialog_2xx_start(struct sip_dialog *d, struct sip_stack *stack, struct tmr_list *tl,
                         const struct sip_timers *t, const struct tp_peer *from, const char *resp,
                         size_t len, sip_dialog_no_ack_h *h, void *arg);
/* An ACK arrived in this dialog: stop resending the 2xx. With ack non-NULL only an ACK whose
 * CSeq is the 2xx's counts. True if it acknowledged a 2xx still awaiting its ACK. */
bool sip_dialog_ack_received(struct sip_dialog *d, const struct sip_msg *ack);

/* Dialog state (strings are NUL-terminated, owned by the dialog, valid until it changes or is
 * freed; "" when unknown). Display names are unescaped text with control bytes removed, ready
 * to present (and to hand to another leg's spec, which escapes them again). */
enum sip_dialog_state sip_dialog_state(const struct sip_dialog *d);
bool sip_dialog_is_uac(const struct sip_dialog *d);
bool sip_dialog_secure(const struct sip_dialog *d);
const char *sip_dialog_call_id(const struct sip_dialog *d);
const char *sip_dialog_local_tag(const struct sip_dialog *d);
const char *sip_dialog_remote_tag(const struct sip_dialog *d);
const char *sip_dialog_local_uri(const struct sip_dialog *d);
const char *sip_dialog_remote_uri(const struct sip_dialog *d);
const char *sip_dialog_remote_display(const struct sip_dialog *d);
const char *sip_dialog_remote_target(const struct sip_dialog *d);
/* The route set in the order requests carry it. */
size_t sip_dialog_route_count(const struct sip_dialog *d);
const char *sip_dialog_route(const struct sip_dialog *d, size_t i);

#endif

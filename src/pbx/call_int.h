/* Private to src/pbx/call*.c: the call object shared by the signalling (call.c, in-dialog
 * requests in call_reinvite.c) and the offer/answer and media code (call_sdp.c). */
#ifndef SOTTO_PBX_CALL_INT_H
#define SOTTO_PBX_CALL_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "media/media.h"
#include "pbx/call.h"
#include "sdp/sdp.h"
#include "sip/dialog.h"
#include "sip/tsx.h"

#define CALL_MAX_BRANCH 5 /* contacts of the callee rung in parallel */
#define CALL_MAX_MEDIA 4  /* m= lines anchored per call (audio, video, ...) */

enum { SIDE_A = 0, SIDE_B = 1 };

enum call_state { CALL_ROUTING = 0, CALL_RINGING, CALL_ANSWERED, CALL_ENDED };

struct call;

/* Every call in progress (call.c owns the list). */
struct calls {
	struct calls_deps d;
	struct trunks *trunks;
	struct call *list;
	size_t n;
	struct call_linger *linger; /* forks of ended calls, for a late 2xx (call_linger.c) */
};

/* One fork of the B leg: an INVITE to one registered contact of the callee. */
struct branch {
	struct call *call;
	struct sip_ctrans *ct; /* until its final response */
	struct sip_dialog *dlg;
	struct tp_conn *conn; /* the callee's connection, for its TLS details (referenced) */
	enum tp_kind kind;
	bool tls;
	bool failed;	    /* final non-2xx or transport error */
	uint16_t status;    /* its final status, 0 while pending */
	enum sdp_srtp mode; /* what we offered it */
	struct sdp_keys keys[CALL_MAX_MEDIA]; /* offered to it (SECRET, wiped at its end) */
	struct trunk *trunk;  /* the provider this fork goes to, NULL for an extension */
	enum conf_encryption policy; /* its extension's or trunk's media policy */
	char *offer;	      /* our SDP offer to it, kept to resend after a challenge (SECRET) */
	size_t offer_len;
	bool auth_tried;      /* the provider's 401/407 has been answered once */
};

/* What one side of an anchored stream last offered or answered, kept for its re-offers
 * (call_reinvite_sdp.c): whether one changes what the other side must know, and our key. */
struct call_side {
	bool known;	     /* noted from its SDP */
	bool active;	     /* port != 0 */
	enum sdp_dir dir;    /* its direction (legacy hold c=0.0.0.0: it does not receive) */
	enum sdp_proto proto;
	bool rtcp_mux;
	uint64_t codecs;     /* hash of the media type, formats, rtpmap and fmtp lines */
	bool srtp;	     /* rx and tx hold its keys */
	struct sdp_key tx;   /* our key toward it, with its tag (SECRET) */
	struct sr_key rx;    /* its key toward us (SECRET) */
};

/* Per m= line: the relay bridge and the A-side keys agreed from A's offer. */
struct call_media {
	struct media_bridge *bridge; /* NULL: stream not anchored (rejected with port 0) */
	bool a_srtp;
	struct sdp_key a_tx; /* our key toward A, with A's tag, until the answer (SECRET) */
	bool b_srtp;
	const char *suite_a, *suite_b; /* static names for the status */
	uint32_t rate;		       /* the relay's RTP clock for it, 0: its default 8000 Hz */
	struct call_side side[2];      /* A, B: for re-offers */
};

struct call {
	struct calls *cs;
	struct call *next;
	char id[24];
	enum call_state state;
	bool echo;
	char caller[32], callee[32];
	char caller_display[80];
	uint32_t max_forwards; /* for the callee's INVITE: the caller's less one, at least 1 */
	char trunk[32]; /* the trunk the call came in or leaves through, "" if none */

	/* leg A: the caller */
	struct sip_strans *a_st; /* until its final response */
	struct sip_dialog *a_dlg;
	struct tp_conn *a_conn; /* the caller's connection, for its TLS details (referenced) */
	enum tp_kind a_kind;
	bool a_tls;
	enum conf_encryption a_policy;
	char *a_offer; /* A's SDP offer, kept until the answer is built */
	size_t a_offer_len;
	struct sdp_origin a_origin;

	/* leg B: the callee */
	struct branch br[CALL_MAX_BRANCH];
	size_t nbr;
	int winner; /* index into br, -1 until answered */
	enum conf_encryption b_policy;
	struct sdp_origin b_origin;

	struct call_media media[CALL_MAX_MEDIA];
	size_t nmedia; /* m= lines in A's offer (bridges only for the first CALL_MAX_MEDIA) */

	struct tmr ring_timer;
	int64_t start_ms, answer_ms;
	uint16_t status;   /* final status of the attempt */
	const char *cause; /* hang-up cause for the record */
	bool bye_a_after_ack;

	/* re-INVITE / UPDATE relayed from one leg to the other (call_reinvite.c) */
	struct call_reinv *reinv; /* the one in progress, NULL if none */
	uint32_t reinv_cseq[2];	  /* CSeq of our last re-INVITE on leg A, B whose 2xx we ACKed */
	char *reinv_ack[2];	  /* that ACK when it carried an answer, for the 2xx's
				   * retransmissions (SECRET: our key) */
	size_t reinv_ack_len[2];

	/* early media (183 with SDP, call_early.c) */
	int early;	   /* branch whose early answer is on the bridge's B side, -1 none */
	char *early_ans;   /* that branch's early SDP, for a 2xx without one (SECRET) */
	size_t early_ans_len;
	char *a_sent;	   /* our answer already sent to A in a 183 (SECRET: key toward A) */
	size_t a_sent_len;
	uint16_t a_prov;   /* the last provisional status sent to A, 0 none */

	/* late offer: A's INVITE had no SDP (call_early.c) */
	bool late;
	bool late_wait;	  /* our 200 to A carries our offer; A's ACK (the answer) is awaited */
	struct sdp_keys a_keys[CALL_MAX_MEDIA]; /* offered to A (SECRET) */
	struct sdp_key b_tx[CALL_MAX_MEDIA];	/* ours toward B, answering its offer (SECRET) */
	char *b_offer;	  /* the winner's offer from its 2xx, until A answers (SECRET) */
	size_t b_offer_len;
	char *b_ack;	  /* our ACK to the winner with the answer, for its 2xx retransmissions
			   * (SECRET) */
	size_t b_ack_len;
	uint32_t late_cseq; /* of the INVITE whose 2xx b_ack acknowledges */
};

/* call.c, for the other call*.c files. */
const struct calls_deps *call_deps(const struct call *c);
/* BYE where asked, the record written, the call freed. */
void call_end(struct call *c, const char *cause, bool bye_a, bool bye_b);
/* Answer A with a final failure and end the call (BYE to an answered B). */
void call_fail(struct call *c, uint16_t code, const char *reason, const char *cause);
/* Answer A's INVITE with a 200 carrying body, resent until the ACK (none: the call ends with
 * cause no_ack). The call is then answered. 0 or an errno. */
int call_answer_a(struct call *c, const struct mbuf *body);
void call_write_record(struct call *c, const char *cause, bool ended);
/* A heap copy of a parsed SDP body (struct sdp is large); NULL when it does not parse. */
struct sdp *call_sdp_parse(const char *body, size_t len);

/* call_early.c: early media and late offers. */
/* A provisional response from a fork (not 100): relayed to A, with our own SDP when it carries
 * an early answer that passes B's policy (the bridge's B side is then set from it). */
void call_early_provisional(struct call *c, struct branch *b, const struct sip_msg *resp);
/* A fork failed: if its early media was on the bridge, another fork's may take over. */
void call_early_branch_failed(struct call *c, struct branch *b);
/* The winner's 2xx to an INVITE sent without SDP: its offer, rewritten, goes to A in our 200;
 * the callee is ACKed once A's ACK brings the answer. */
void call_late_answered(struct call *c, struct branch *b, const struct sip_msg *resp);
/* The echo test called without SDP: our own offer in the 200, A's ACK answers. */
void call_late_echo(struct call *c);
/* An ACK from A for our 200: true if it was the late-offer answer awaited (handled here). */
bool call_late_ack(struct call *c, const struct sip_msg *ack);
/* A 2xx retransmission from the winner matched: true if the late-offer flow handled it (wait
 * for A's answer, or resend our ACK with the answer). */
bool call_late_stray(struct call *c, const struct branch *b, const struct sip_msg *resp);
/* The call ends while the callee's 2xx still waits for our ACK: ACK it with a refusal. */
void call_late_abort(struct call *c);

/* call_linger.c: forks that lost (RFC 3261 13.2.2.4: a 2xx is ACKed, then BYE'd), kept after
 * their call ended so that a late 2xx is still acknowledged and hung up. */
struct call_linger;
/* Take over dlg (a fork of an ended call) for 64 s; a confirmed one was ACKed and BYE'd
 * already. late_addr: our INVITE had no SDP (a 2xx brings an offer), our media address. */
void call_linger_add(struct call_linger **head, struct sip_stack *s, struct tmr_list *tl,
		     struct sip_dialog *dlg, const char *call_id, const char *late_addr);
/* A stray 2xx: ACK (and BYE, the first time) if it answers a lingering fork. */
bool call_linger_stray(struct call_linger **head, const struct sip_msg *resp);
void call_linger_free_all(struct call_linger **head);
/* ACK the 2xx to d's INVITE number cseq (0: the latest); body: the answer to a late offer (PL_NULL: none). keep (may be NULL) gets a
 * copy of the ACK, to resend for the 2xx's retransmissions. 0 or an errno. */
int call_dialog_ack(struct sip_stack *s, struct sip_dialog *d, uint32_t cseq, struct pl body,
		    struct mbuf *keep);
/* BYE on d, its answer ignored. */
void call_dialog_bye(struct sip_stack *s, struct sip_dialog *d);
/* A fork that lost: ACK its 2xx (refusing the streams of an offer in it, late_addr as for
 * call_linger_add), then BYE when asked. */
void call_loser_ack_bye(struct sip_stack *s, struct sip_dialog *d, const struct sip_msg *resp,
			const char *late_addr, bool bye);
/* A 2xx from another fork behind d's peer (EEXIST from sip_dialog_uac_confirm): ACK, BYE. */
void call_fork_reject(struct sip_stack *s, const struct sip_dialog *d, const struct sip_msg *resp,
		      const char *late_addr);

/* call_sdp.c: offer/answer across the two legs (see the flow in sdp/sdp.h). Each returns 0 or
 * sets *code and *reason for the failure response. */

/* A's offer: policy checks, a bridge per anchored m= line, A's keys chosen. */
int call_sdp_offer_from_a(struct call *c, struct media *m, const struct sdp *offer,
			  uint16_t *code, const char **reason);
/* Our offer to one fork of B: fresh keys for it, proto by B's policy. */
int call_sdp_offer_to_b(struct call *c, struct branch *b, const struct sdp *offer_a,
			const char *addr, struct mbuf *out);
/* The winning fork's answer: B side remotes and keys; then our answer toward A. For the echo
 * test (answer_b NULL) the A side alone. */
int call_sdp_answer(struct call *c, struct branch *b, const struct sdp *offer_a,
		    const struct sdp *answer_b, const char *addr, struct mbuf *out, uint16_t *code,
		    const char **reason);
/* Early answer from fork b (183 with SDP): checked against B's policy first (nothing applied
 * when it fails), then B side set, and our answer toward A built; it is kept, so the final
 * answer repeats it byte for byte unless something changed (then with a new o= version). */
int call_sdp_early(struct call *c, struct branch *b, const struct sdp *offer_a,
		   const struct sdp *answer_b, const char *addr, struct mbuf *out, uint16_t *code,
		   const char **reason);
/* Late offer, the winner's 2xx offer (b NULL: the echo test, offer_b our own template): B's
 * policy checked, a bridge per anchored m= line, B side set and answered with a key of ours;
 * our offer toward A (B's codecs, A's policy: RTP/SAVP with fresh keys when A must encrypt)
 * into out. */
int call_sdp_late_offer(struct call *c, struct branch *b, const struct sdp *offer_b,
			struct media *m, const char *addr, struct mbuf *out, uint16_t *code,
			const char **reason);
/* Late offer, A's answer (from its ACK): A side set; our answer to B's offer (A's codecs) into
 * out unless b is NULL. */
int call_sdp_late_answer(struct call *c, struct branch *b, const struct sdp *offer_b,
			 const struct sdp *answer_a, const char *addr, struct mbuf *out,
			 uint16_t *code, const char **reason);
/* An answer to offer that refuses every stream (port 0): what an ACK must carry when the
 * session cannot be set up (RFC 3261 13.2.2.4), before the BYE. */
int call_sdp_refuse(struct sdp_origin *o, const struct sdp *offer, const char *addr,
		    struct mbuf *out);
/* Point a side of a bridge at what an m= line says (no address, or not receiving: hold). */
void call_sdp_set_remote(struct media_bridge *br, int side, const struct sdp_media *m, bool mux);
/* Set the relay's RTP clock (both sides) to that of the first codec of m, the answer that
 * settles which codec is sent (RFC 3264 6.1), when it differs from the current one. */
void call_sdp_set_rate(struct call_media *cm, const struct sdp_media *m);
/* Wipe (and free) every key and keyed SDP the call still holds. */
void call_sdp_wipe(struct call *c);
/* "TLS+SRTP AES_CM_128_HMAC_SHA1_80", "UDP+RTP (clear)" ... for leg A or B. */
void call_leg_security(const struct call *c, int side, char *buf, size_t size);
/* Whether both legs are TLS with SRTP on every anchored stream. */
bool call_path_secure(const struct call *c);

/* call_marker.c: the secure marker in display names (see there for when it is shown). */
/* Remove every occurrence of marker from a display name a phone sent, and leading spaces. */
void call_marker_strip(char *dn, const char *marker);
/* The caller's name as fork b of the callee should see it, marked when the path will be secure. */
void call_marker_caller_display(const struct call *c, const struct branch *b,
				const struct settings *cfg, char *buf, size_t size);
/* A P-Asserted-Identity header with the callee's name, for the 200 toward an extension caller. */
void call_marker_pai(const struct call *c, const struct settings *cfg, struct mbuf *hdrs);

/* A re-offer from one side relayed to the other (call_reinvite.c): the originator's request
 * waits for the other side's answer to our re-INVITE or UPDATE. A re-INVITE without SDP (late)
 * goes on without SDP: the other side's 2xx then makes the offer, from then on in body/sdp with
 * from set to that side, and the originator answers it in its ACK. */
struct call_reinv {
	int from;		 /* the side whose offer is relayed */
	struct sip_strans *st;	 /* its re-INVITE or UPDATE, until answered */
	bool invite;		 /* a re-INVITE (else an UPDATE) */
	bool late;		 /* a re-INVITE without SDP */
	bool wait_ack;		 /* late: our 200 with the offer sent, its ACK awaited */
	bool owe_ack;		 /* late: the offering side's 2xx is not ACKed yet */
	bool out_invite;	 /* ours is a re-INVITE (else an UPDATE) */
	uint32_t req_cseq;	 /* CSeq of the originator's request */
	char *body;		 /* its SDP offer; sdp points into it (SECRET: its keys) */
	size_t body_len;
	struct sdp *sdp;
	char *out;		 /* our offer to the other side (SECRET), for a retry as INVITE */
	size_t out_len;
	struct sip_ctrans *ct;	 /* our request to the other side, until its final response */
	uint32_t cseq;		 /* its CSeq */
	struct tmr timer;	 /* gives up on the other side */
	bool added[CALL_MAX_MEDIA];	      /* a bridge allocated for a stream the offer adds */
	enum sdp_srtp mode[CALL_MAX_MEDIA];   /* what we offered the other side */
	struct sdp_keys keys[CALL_MAX_MEDIA]; /* keys offered to it (SECRET) */
};

/* call_reinvite_sdp.c: offer/answer for re-offers (re-INVITE, UPDATE) from either side. Each
 * returns 0 or sets *code and *reason for the failure response, and changes nothing then. */

/* A side's SDP has been applied to the bridges (its first offer or answer): note what it says
 * and the keys in use (b: the winning fork, for leg B's). */
void call_reinv_note(struct call *c, int side, const struct sdp *sd, const struct branch *b);
/* Wipe the keys kept for re-offers. */
/* The same for one m= line whose keys were agreed otherwise (a late offer: we answered B's
 * offer, A answered ours): tx our key toward the side with its tag, rx the side's; NULL:
 * plain RTP. */
void call_reinv_note_media(struct call *c, int side, size_t i, const struct sdp_media *m,
			   const struct sdp_key *tx, const struct sr_key *rx);
void call_reinv_wipe(struct call *c);
/* Whether a side's re-offer changes what the other side must know (codecs, streams,
 * direction), so that it is relayed; false: its address or keys only, answered on its leg. */
bool call_reinv_changes(const struct call *c, int side, const struct sdp *offer);
/* The side's policy against its re-offer (488 when it drops the SRTP its policy requires). */
int call_reinv_check(const struct call *c, int side, const struct sdp *offer, uint16_t *code,
		     const char **reason);
/* Answer a re-offer on its own leg: new remote, fresh keys from us (per-leg re-keying). */
int call_reinv_local(struct call *c, int side, const struct sdp *offer, const char *addr,
		     struct mbuf *out, uint16_t *code, const char **reason);
/* Our re-offer to the other side for r's offer: our address there, our existing key for each
 * stream that goes on, fresh ones for added streams (bridges allocated: call_reinv_undo). */
int call_reinv_offer(struct call *c, struct call_reinv *r, const char *addr, struct mbuf *out,
		     uint16_t *code, const char **reason);
/* The other side's answer: both sides of the bridges updated, our answer to the originator. */
int call_reinv_answer(struct call *c, struct call_reinv *r, const struct sdp *ans,
		      const char *addr, struct mbuf *out, uint16_t *code, const char **reason);
/* The relayed offer failed: bridges it added freed, keys offered wiped. */
void call_reinv_undo(struct call *c, struct call_reinv *r);
/* call_reinvite.c: a re-INVITE being relayed is answered (487) and dropped as the call ends. */
void call_reinv_free(struct call *c);

#endif

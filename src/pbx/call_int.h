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
};

/* call.c: end a call: BYE where asked, the record written, everything released. */
void call_end(struct call *c, const char *cause, bool bye_a, bool bye_b);

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
/* Point a side of a bridge at what an m= line says (no address, or not receiving: hold). */
void call_sdp_set_remote(struct media_bridge *br, int side, const struct sdp_media *m, bool mux);
/* Wipe every key the call still holds. */
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
 * waits for the other side's answer to our re-INVITE. */
struct call_reinv {
	int from;		 /* the side whose offer is relayed */
	struct sip_strans *st;	 /* its re-INVITE or UPDATE, until answered */
	bool invite;		 /* a re-INVITE (else an UPDATE) */
	char *body;		 /* its SDP offer; sdp points into it (SECRET: its keys) */
	size_t body_len;
	struct sdp *sdp;
	struct sip_ctrans *ct;	 /* our re-INVITE to the other side, until its final response */
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

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

/* Per m= line: the relay bridge and the A-side keys agreed from A's offer. */
struct call_media {
	struct media_bridge *bridge; /* NULL: stream not anchored (rejected with port 0) */
	bool a_srtp;
	struct sdp_key a_tx; /* our key toward A, with A's tag, until the answer (SECRET) */
	bool b_srtp;
	const char *suite_a, *suite_b; /* static names for the status */
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
/* A re-offer from one side (re-INVITE or UPDATE): new remote, fresh keys from us, hold state.
 * The answer goes into out. */
int call_sdp_reoffer(struct call *c, int side, bool side_tls, enum conf_encryption policy,
		     const struct sdp *offer, const char *addr, struct mbuf *out, uint16_t *code,
		     const char **reason);
/* Wipe every key the call still holds. */
void call_sdp_wipe(struct call *c);
/* "TLS+SRTP AES_CM_128_HMAC_SHA1_80", "UDP+RTP (clear)" ... for leg A or B. */
void call_leg_security(const struct call *c, int side, char *buf, size_t size);
/* Whether both legs are TLS with SRTP on every anchored stream. */
bool call_path_secure(const struct call *c);

#endif

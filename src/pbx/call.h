/* call: the back-to-back user agent for calls between extensions. Every call is two dialogs
 * (A: the caller's, where Sotto is UAS; B: toward the callee, where Sotto is UAC, forked to
 * each of the callee's registered contacts) and a media bridge per m= line, keyed separately on
 * each side. Nothing internal crosses from one leg to the other: addresses, Via, Call-ID, tags
 * and keys are each leg's own. */
#ifndef SOTTO_PBX_CALL_H
#define SOTTO_PBX_CALL_H

#include <stdbool.h>
#include <stdint.h>

#include "conf/settings.h"
#include "core/mbuf.h"
#include "core/tmr.h"
#include "media/media.h"
#include "sip/tsx.h"
#include "store/store.h"

struct calls;
struct registrar;

struct calls_deps {
	const struct settings *cfg;
	struct tmr_list *timers;
	struct sip_stack *stack;
	struct registrar *registrar;
	struct media *media;  /* may be NULL: calls are then refused with 503 */
	struct store *store;  /* call records; may be NULL */
};

int calls_alloc(struct calls **cp, const struct calls_deps *deps);
/* Use a reloaded configuration for new calls (borrowed); calls in progress keep what they
 * copied when they started. */
void calls_set_settings(struct calls *cs, const struct settings *cfg);
/* The trunks calls may leave or arrive through (borrowed). */
struct trunks;
void calls_set_trunks(struct calls *cs, struct trunks *trunks);
/* Ends every call (BYE on both legs, call records written) and frees them. */
void calls_free(struct calls *cs);
/* A new INVITE (no To tag). */
void calls_invite(struct calls *cs, struct sip_strans *st, const struct sip_msg *req,
		  const struct tp_peer *from);
/* A request with a To tag (BYE, re-INVITE, UPDATE, INFO, OPTIONS) or an ACK (st NULL): true if
 * it belonged to a call and was answered. */
bool calls_in_dialog(struct calls *cs, struct sip_strans *st, const struct sip_msg *req,
		     const struct tp_peer *from);
/* A response that matched no transaction: a 2xx retransmission to ACK again. */
void calls_stray_response(struct calls *cs, const struct sip_msg *resp);
/* The same for the 2xx to one of our re-INVITEs (first): true if it was one, ACKed again. */
bool calls_stray_reinvite(struct calls *cs, const struct sip_msg *resp);
/* From the media relay (on the signalling loop). */
void calls_media_event(struct calls *cs, const struct media_event *ev);
/* A read-only view of a call for listings (sottoctl, admin API); valid during the callback. */
struct call_leg_info {
	const char *transport;	/* "TLS", "TCP", "UDP"; "" when not connected */
	const char *tls_version; /* negotiated, NULL when not TLS */
	const char *tls_cipher;
	const char *srtp_suite;	/* NULL when the leg's media is in clear */
	bool connected;
	struct media_side_stats media; /* first anchored stream, from the relay */
};

struct call_info {
	const char *id;
	const char *caller, *callee;
	const char *trunk; /* NULL for an internal call */
	const char *state; /* "routing", "ringing", "answered" */
	bool echo;
	int64_t start_ms, answer_ms; /* unix ms; answer 0 while unanswered */
	struct call_leg_info a, b;
	bool path_secure; /* both legs TLS with SRTP on every anchored stream */
	char security_a[96], security_b[96]; /* "TLS, SRTP AES_CM_128_HMAC_SHA1_80" */
};

typedef void(call_info_h)(const struct call_info *ci, void *arg);
size_t calls_foreach(struct calls *cs, call_info_h *h, void *arg);

/* One line per call for sottoctl: id, parties, state, duration, per-leg security. */
void calls_print(struct calls *cs, struct mbuf *out);
/* Hang up a call by id. 0 or ENOENT. */
int calls_hangup(struct calls *cs, const char *id);
size_t calls_count(const struct calls *cs);

#endif

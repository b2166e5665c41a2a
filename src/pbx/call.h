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
/* From the media relay (on the signalling loop). */
void calls_media_event(struct calls *cs, const struct media_event *ev);
/* One line per call for sottoctl: id, parties, state, duration, per-leg security. */
void calls_print(struct calls *cs, struct mbuf *out);
/* Hang up a call by id. 0 or ENOENT. */
int calls_hangup(struct calls *cs, const char *id);
size_t calls_count(const struct calls *cs);

#endif

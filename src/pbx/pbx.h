/* pbx: the application above the SIP stack: decides what each request means (OPTIONS, REGISTER,
 * INVITE, ...) and answers it. Owned and driven by the signalling thread. */
#ifndef SOTTO_PBX_PBX_H
#define SOTTO_PBX_PBX_H

#include "conf/settings.h"
#include "core/mbuf.h"
#include "core/tmr.h"
#include "net/loop.h"
#include "sip/tsx.h"
#include "store/store.h"

struct pbx;

/* cfg, loop and store (may be NULL) are borrowed and must outlive the pbx. Creates the
 * registrar, the brute-force guard, the digest server (its nonce key kept in
 * data_dir/nonce.key so that nonces survive a restart), the demo passwords and the media
 * relay. */
int pbx_alloc(struct pbx **pp, const struct settings *cfg, struct loop *loop,
	      struct store *store);
/* Hang up every call (BYE on both legs, records written) and remove the trunks' registrations
 * (un-REGISTER); true if anything was sent (let the loop run a moment for it to leave). */
bool pbx_end_calls(struct pbx *p);
/* Ends any call left, stops the relay, frees the rest. */
void pbx_free(struct pbx *p);
/* The stack the pbx sends its own requests through (borrowed); creates the call handling.
 * 0 or ENOMEM. */
int pbx_attach(struct pbx *p, struct sip_stack *stack);
/* The transport manager, for statistics and connection details (borrowed). */
void pbx_set_transport(struct pbx *p, struct tp_mgr *tp);
/* The stack's stray-response handler (sip_stray_response_h); arg is the pbx. */
void pbx_stray_response(const struct sip_msg *resp, const struct tp_peer *from, void *arg);
/* The stack's request handler (sip_request_h); arg is the pbx. */
void pbx_request(struct sip_strans *st, const struct sip_msg *req, const struct tp_peer *from,
		 void *arg);
/* The transport's close handler (tp_close_h); arg is the pbx. */
void pbx_conn_closed(struct tp_conn *conn, void *arg);
/* Called after every successful reload (pbx/api.h pbx_reload) with the new settings, for what
 * lives above the pbx (the admin server's certificate and token); it may add lines to notes. */
typedef void(pbx_reload_h)(const struct settings *cfg, struct mbuf *notes, void *arg);
void pbx_set_reload_handler(struct pbx *p, pbx_reload_h *h, void *arg);
/* A control command (sottoctl): writes the answer text into out. */
void pbx_control(struct pbx *p, const char *cmd, struct mbuf *out);

#endif

/* Private helpers shared inside src/pbx. */
#ifndef SOTTO_PBX_INT_H
#define SOTTO_PBX_INT_H

#include <stdint.h>

#include "sip/tsx.h"

struct pbx;
struct registrar;
struct calls;
struct guard;
struct store;
struct settings;
struct tp_mgr;
struct tls_ctx;
struct media;

/* Accessors for the other parts of src/pbx (API, trunks): the pbx owns these. */
const struct settings *pbx_settings(const struct pbx *p);
struct registrar *pbx_registrar(struct pbx *p);
struct calls *pbx_calls(struct pbx *p); /* NULL while shutting down */
struct guard *pbx_guard(struct pbx *p);
struct store *pbx_store(struct pbx *p);	  /* may be NULL */
struct tp_mgr *pbx_transport(struct pbx *p); /* may be NULL (tests) */
struct sip_stack *pbx_stack(struct pbx *p);
struct trunks;
struct trunks *pbx_trunks(struct pbx *p); /* NULL before pbx_attach */
struct media *pbx_media(struct pbx *p); /* may be NULL (relay could not start) */
uint64_t pbx_blocked_requests(const struct pbx *p);

/* Reload (reload.c): use cfg from now on (the pbx owns it from here and frees the one a
 * previous reload gave it once nothing points at it); new demo passwords, a new digest server
 * if the realm or nonce lifetime changed. 0, or an errno with cfg not taken. */
int pbx_settings_swap(struct pbx *p, struct settings *cfg);
/* Keep a server TLS context made by a reload until pbx_free (connections accepted with it
 * may outlive the next reload). 0 or ENOMEM. */
int pbx_keep_tls(struct pbx *p, struct tls_ctx *ctx);
/* Tell the reload handler (pbx_set_reload_handler), if any. */
struct mbuf;
void pbx_reloaded(struct pbx *p, struct mbuf *notes);

/* Extension point for trunks (api_trunks.c): their state as a JSON array for GET /api/trunks
 * and the dashboard, and as text for `sottoctl trunks`. */
struct mbuf;
void pbx_trunks_json(struct pbx *p, struct mbuf *out);
void pbx_trunks_print(struct pbx *p, struct mbuf *out);

#define PBX_SERVER_HDR "Server: Sotto\r\n"
/* The methods Sotto understands, for Allow headers. */
#define PBX_ALLOW "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, UPDATE, INFO"

/* Answer with a fresh To tag; extra: NULL or header lines ending in CRLF. Errors are logged. */
void pbx_reply(struct sip_strans *st, uint16_t code, const char *reason, const char *extra);

#endif

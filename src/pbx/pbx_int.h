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
struct media;

/* Accessors for the other parts of src/pbx (API, trunks): the pbx owns these. */
const struct settings *pbx_settings(const struct pbx *p);
struct registrar *pbx_registrar(struct pbx *p);
struct calls *pbx_calls(struct pbx *p); /* NULL while shutting down */
struct guard *pbx_guard(struct pbx *p);
struct store *pbx_store(struct pbx *p);	  /* may be NULL */
struct tp_mgr *pbx_transport(struct pbx *p); /* may be NULL (tests) */
struct sip_stack *pbx_stack(struct pbx *p);

#define PBX_SERVER_HDR "Server: Sotto\r\n"
/* The methods Sotto understands, for Allow headers. */
#define PBX_ALLOW "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, UPDATE, INFO"

/* Answer with a fresh To tag; extra: NULL or header lines ending in CRLF. Errors are logged. */
void pbx_reply(struct sip_strans *st, uint16_t code, const char *reason, const char *extra);

#endif

/* pbx: the application above the SIP stack: decides what each request means (OPTIONS, REGISTER,
 * INVITE, ...) and answers it. Owned and driven by the signalling thread. */
#ifndef SOTTO_PBX_PBX_H
#define SOTTO_PBX_PBX_H

#include "conf/settings.h"
#include "sip/tsx.h"

struct pbx;

/* settings are borrowed and must outlive the pbx. */
int pbx_alloc(struct pbx **pp, const struct settings *cfg);
/* The stack the pbx sends its own requests through (borrowed). */
void pbx_attach(struct pbx *p, struct sip_stack *stack);
void pbx_free(struct pbx *p);
/* The stack's request handler (sip_request_h); arg is the pbx. */
void pbx_request(struct sip_strans *st, const struct sip_msg *req, const struct tp_peer *from,
		 void *arg);

/* The methods Sotto understands, for Allow headers. */
#define PBX_ALLOW "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, UPDATE, INFO"

#endif

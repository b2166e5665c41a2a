/* Private helpers shared inside src/pbx. */
#ifndef SOTTO_PBX_INT_H
#define SOTTO_PBX_INT_H

#include <stdint.h>

#include "sip/tsx.h"

#define PBX_SERVER_HDR "Server: Sotto\r\n"
/* The methods Sotto understands, for Allow headers. */
#define PBX_ALLOW "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, UPDATE, INFO"

/* Answer with a fresh To tag; extra: NULL or header lines ending in CRLF. Errors are logged. */
void pbx_reply(struct sip_strans *st, uint16_t code, const char *reason, const char *extra);

#endif

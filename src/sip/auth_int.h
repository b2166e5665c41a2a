/* Private to src/sip/auth*.c: the auth-param list parser and the digest helpers. */
#ifndef SOTTO_SIP_AUTH_INT_H
#define SOTTO_SIP_AUTH_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/pl.h"
#include "sip/auth.h"

/* ---- auth_parse.c ---- */

/* Called for each name=value; value is the inside of a quoted string (escapes kept) or a token.
 * Return non-zero to stop the parse with that error. */
typedef int(auth_param_h)(struct pl name, struct pl value, void *arg);

/* Parse "Digest" 1*LWS auth-param *(COMMA auth-param) (RFC 3261 25.1, 22.4). 0, ENOTSUP for
 * another scheme, EBADMSG, or what h returned. */
int auth_params_parse(struct pl value, auth_param_h *h, void *arg);

/* Whether the quoted-string contents q, with quoted-pair escapes removed, equal plain. */
bool auth_unq_eq(struct pl q, struct pl plain);

/* Next comma-separated token of a qop-options list; *item zeroed before the first call. */
bool auth_qop_next(struct pl list, struct pl *item);

/* ---- auth_digest.c ---- */

/* Algorithm from its token: absent (p == NULL) is MD5 (RFC 7616 3.3); case-insensitive.
 * 0 or ENOTSUP. */
int auth_alg_parse(struct pl token, enum auth_alg *alg);
const char *auth_alg_name(enum auth_alg alg);
/* Length in hex digits of a digest: 32 or 64. */
size_t auth_alg_hexlen(enum auth_alg alg);

/* Decode exactly 2*len hex digits (either case). 0 or EINVAL. */
int auth_hex_decode(struct pl hex, uint8_t *out, size_t len);
void auth_hex_encode(const uint8_t *in, size_t len, char *out); /* writes 2*len + NUL */

/* HA1 with each of user and realm either plain or quoted-string contents to unescape. */
int auth_ha1_x(enum auth_alg alg, struct pl user, bool user_unq, struct pl realm, bool realm_unq,
	       struct pl password, char hex_out[AUTH_HEX_SIZE]);

/* The request-digest over quoted-string contents (nonce, cnonce, uri are unescaped): with
 * qop=auth when nc is set (nc as its 8 hex digits), else the RFC 2069 form H(HA1:nonce:HA2).
 * ha1_hex must be lowercase hex of the algorithm's length. 0 or EIO. */
int auth_digest_response(enum auth_alg alg, const char *ha1_hex, struct pl nonce, struct pl nc,
			 struct pl cnonce, struct pl method, struct pl uri,
			 char hex_out[AUTH_HEX_SIZE]);

#endif

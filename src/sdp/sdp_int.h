/* sdp internals shared by the files of src/sdp: suite table, base64, small scanners. */
#ifndef SOTTO_SDP_SDP_INT_H
#define SOTTO_SDP_SDP_INT_H

#include "sdp/sdp.h"

/* SDES suites we implement, strongest first (RFC 4568 10.3.2, RFC 6188 5, RFC 7714 14.2). */
struct sdp_suite {
	const char *name;
	enum sr_suite id;
	uint8_t key_len;
	uint8_t salt_len;
};
extern const struct sdp_suite sdp_suites[SR_SUITE_COUNT];
const struct sdp_suite *sdp_suite_get(enum sr_suite s);

/* Largest key||salt: 32 + 14 octets; base64 of it: 64 characters. */
#define SDP_KEYSALT_MAX (SR_MAX_KEY + SR_MAX_SALT)
#define SDP_B64_MAX 64

/* Standard base64 (RFC 4648 4), padding optional. Both run without branches or table lookups
 * on the data, as they handle keys. Decode: 0, EBADMSG (bad character, bad length, data past
 * padding) or ENOSPC (more than cap octets). */
int sdp_b64_decode(struct pl in, uint8_t *out, size_t cap, size_t *outlen);
/* Writes 4*ceil(n/3) characters plus a NUL; out holds that many. */
void sdp_b64_encode(const uint8_t *in, size_t n, char *out);

/* Split off the next token separated by one or more SP/HTAB; false when none is left. */
bool sdp_token(struct pl *s, struct pl *tok);
/* Decimal number filling the whole view, at most 20 digits without overflow. */
int sdp_u64(struct pl pl, uint64_t *out);

/* The attribute table: name -> id. */
enum sdp_attr_id sdp_attr_lookup(struct pl name);
bool sdp_attr_owned(enum sdp_attr_id id);

#endif

/* SIP digest authentication (RFC 3261 section 22, RFC 7616, RFC 8760): the server side
 * (challenge, verify, stateless nonces, nonce-count replay table) and the client side (answering
 * a provider's challenge). Works on header values as struct pl and plain inputs, so it does not
 * depend on the message parser. Not thread-safe: one auth_server per event loop. */
#ifndef SOTTO_SIP_AUTH_H
#define SOTTO_SIP_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/mbuf.h"
#include "core/pl.h"

enum auth_alg {
	AUTH_ALG_MD5 = 0,
	AUTH_ALG_SHA256,
};

/* Sets of algorithms, for per-user policy (some phones fail on a SHA-256 challenge instead of
 * skipping it, so an admin may offer them MD5 alone). */
#define AUTH_ALGS_MD5 (1u << AUTH_ALG_MD5)
#define AUTH_ALGS_SHA256 (1u << AUTH_ALG_SHA256)
#define AUTH_ALGS_ALL (AUTH_ALGS_MD5 | AUTH_ALGS_SHA256)

/* Room for the hex of the longest digest (SHA-256) plus a NUL. */
#define AUTH_HEX_SIZE 65
/* Size of the server secret that keys the nonces. */
#define AUTH_SECRET_SIZE 32

/* Digest credentials (Authorization / Proxy-Authorization value, RFC 7616 3.4). Every member is
 * a view into the parsed value: between the quotes when quoted, with any quoted-pair escapes
 * still in (the digest is computed over the unescaped text). Unset members have p == NULL. */
struct auth_credentials {
	struct pl username, realm, nonce, uri, response; /* always set after a successful parse */
	struct pl algorithm, cnonce, opaque, qop, nc;
};

/* A Digest challenge (WWW-Authenticate / Proxy-Authenticate value, RFC 7616 3.3). */
struct auth_challenge {
	struct pl realm, nonce;		 /* always set after a successful parse */
	struct pl opaque, algorithm, qop; /* qop: the raw list, e.g. auth,auth-int */
	bool stale;
};

/* What a user's secret is, as configured: the plaintext password, or the precomputed
 * HA1 = H(username ":" realm ":" password) in hex for MD5 and/or SHA-256 (RFC 8760 section 3).
 * Set what is known; unset members have p == NULL. */
struct auth_secret {
	unsigned algs; /* AUTH_ALGS_* this user may answer with; 0 means every one offered */
	struct pl password;
	struct pl ha1_md5;    /* 32 hex digits */
	struct pl ha1_sha256; /* 64 hex digits */
};

enum auth_result {
	AUTH_OK = 0,
	AUTH_BAD_RESPONSE,     /* wrong password (or wrong username for a precomputed HA1) */
	AUTH_STALE,	       /* right password, nonce too old or forgotten: re-challenge stale=true */
	AUTH_REPLAY,	       /* nonce-count not above the highest seen for this nonce */
	AUTH_BAD_NONCE,	       /* nonce or opaque not issued by this server (or not for this realm) */
	AUTH_MALFORMED,	       /* missing or invalid field, or no qop=auth */
	AUTH_REALM_MISMATCH,   /* credentials are for another realm */
	AUTH_UNSUPPORTED_ALG,  /* algorithm not offered, or no usable secret for it (a malformed
				* configured HA1 is logged and lands here) */
};

/* ---- server side ---- */

struct auth_server;

/* Seconds on a clock that does not reset at a restart when the secret is persisted. */
typedef uint64_t(auth_clock_h)(void *arg);

struct auth_server_conf {
	const char *realm;	      /* required; printable, at most 255 bytes */
	uint32_t nonce_lifetime;      /* seconds; 0 means 300 */
	const uint8_t *secret;	      /* AUTH_SECRET_SIZE bytes kept across restarts, or NULL for
				       * a fresh random one */
	bool sha256_only;	      /* neither offer nor accept MD5 */
	size_t replay_slots;	      /* nonce-count table size; 0 means 4096; rounded up to 8 */
	auth_clock_h *clock;	      /* NULL: wall clock (CLOCK_REALTIME) */
	void *clock_arg;
};

/* Create a server. 0, EINVAL (bad realm), ENOMEM or EIO (no randomness). */
int auth_server_alloc(struct auth_server **srvp, const struct auth_server_conf *conf);
/* Free a server and wipe its secret. NULL is fine. */
void auth_server_free(struct auth_server *srv);
/* Copy the secret out so that the caller can persist it (keep it as secret as a password). */
void auth_server_secret(const struct auth_server *srv, uint8_t out[AUTH_SECRET_SIZE]);

/* Append the challenge header lines for a 401 (WWW-Authenticate) or 407 (Proxy-Authenticate when
 * proxy): SHA-256 first, then MD5 (RFC 8760 section 2.4), each ending in CRLF, with a fresh
 * nonce and stale=true when stale. 0, ENOMEM, EIO. */
int auth_server_challenge(struct auth_server *srv, struct mbuf *out, bool proxy, bool stale);
/* The same, offering only the algorithms in algs (AUTH_ALGS_*), still SHA-256 first. */
int auth_server_challenge_algs(struct auth_server *srv, struct mbuf *out, bool proxy, bool stale,
			       unsigned algs);

/* Check credentials against a user's secret. method is the request's method (ACK and CANCEL are
 * never challenged, RFC 3261 22.1: do not verify them). The caller checks the username
 * (auth_credentials_user_eq) and, if it wants, that cred->uri names the request-URI. Requires
 * qop=auth (we always offer it; without it there is no nc, so no replay protection). On AUTH_OK
 * the nonce-count is recorded, so call this once per request (after transaction matching, so that
 * a retransmission is not seen as a replay). AUTH_STALE is only returned with a correct digest. */
enum auth_result auth_server_verify(struct auth_server *srv, const struct auth_credentials *cred,
				    struct pl method, const struct auth_secret *secret);

const char *auth_result_str(enum auth_result res);

/* ---- parsing and helpers ---- */

/* Parse an Authorization / Proxy-Authorization value. 0; ENOTSUP for another scheme; EBADMSG for
 * garbage, a repeated parameter, or a missing username, realm, nonce, uri or response. Unknown
 * parameters are ignored. */
int auth_credentials_parse(struct pl value, struct auth_credentials *out);
/* Parse a WWW-Authenticate / Proxy-Authenticate value. 0, ENOTSUP, EBADMSG as above. */
int auth_challenge_parse(struct pl value, struct auth_challenge *out);

/* Whether the (unescaped) username in the credentials is exactly user. */
bool auth_credentials_user_eq(const struct auth_credentials *cred, struct pl user);

/* HA1 = H(user ":" realm ":" password) in lowercase hex, for the config tool. 0, EIO. */
int auth_ha1(enum auth_alg alg, struct pl user, struct pl realm, struct pl password,
	     char hex_out[AUTH_HEX_SIZE]);
/* The qop=auth request-digest (RFC 7616 3.4.1): H(HA1 ":" nonce ":" nc ":" cnonce ":auth:" HA2)
 * with HA2 = H(method ":" uri), in lowercase hex. 0, EINVAL (bad HA1), EIO. */
int auth_response(enum auth_alg alg, const char *ha1_hex, struct pl nonce, uint32_t nc,
		  struct pl cnonce, struct pl method, struct pl uri, char hex_out[AUTH_HEX_SIZE]);

/* ---- client side ---- */

/* Nonce-count state for one credential (keep one per trunk); zero it before first use. */
struct auth_client_nc {
	uint8_t nonce_id[32]; /* private: hash of the last nonce answered */
	uint32_t nc;	      /* private */
};

/* Which of n challenge values to answer: the first SHA-256 one, else the first MD5 one; ones we
 * cannot answer (other schemes and algorithms, qop without auth) are skipped. 0 or ENOENT. */
int auth_challenge_pick(const struct pl *values, size_t n, size_t *idx);

/* Answer a challenge value: append the Authorization / Proxy-Authorization value (no header name,
 * no CRLF) to out. Uses qop=auth when offered, with a random cnonce and the next nonce-count from
 * nc; the RFC 2069 form when the challenge has no qop. 0; ENOTSUP (scheme, algorithm or qop we
 * cannot do); EBADMSG (bad challenge); EINVAL (control characters in username or uri); ENOMEM;
 * EIO. */
int auth_client_respond(struct pl challenge, struct pl method, struct pl uri, struct pl username,
			struct pl password, struct auth_client_nc *nc, struct mbuf *out);

#endif

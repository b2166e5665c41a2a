/* SIP digest authentication, server side (RFC 3261 22.1-22.4, RFC 7616, RFC 8760): stateless
 * nonces bound to a server secret, challenges, verification, and a bounded nonce-count table
 * against replays. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/hmac.h>

#include "core/log.h"
#include "core/rand.h"
#include "sip/auth.h"
#include "sip/auth_int.h"

/* A nonce is base64url(stamp[8] || random[8] || tag[16]) with
 *   stamp = issue second << 24 | a per-server counter (orders nonces within a second),
 *   tag   = HMAC-SHA256(secret, "sotto nonce" || stamp || random || realm), first 16 bytes.
 * Nothing is stored when a nonce is issued, so a flood of 401s costs no memory; a nonce is
 * checked by recomputing its tag, and its age comes from the stamp. */
#define NONCE_STAMP 8
#define NONCE_RAND 8
#define NONCE_TAG 16
#define NONCE_RAW (NONCE_STAMP + NONCE_RAND + NONCE_TAG)
#define NONCE_B64 43 /* ceil(32 * 8 / 6), no padding */
#define OPAQUE_RAW 16
#define OPAQUE_B64 22
#define REALM_MAX 255
#define STAMP_SHIFT 24

#define DEFAULT_LIFETIME 300
#define DEFAULT_SLOTS 4096
#define WAYS 8

/* Nonce-count table (RFC 7616 3.4, "nc"): set-associative, WAYS slots per bucket, picked by
 * the nonce tag (a keyed PRF output, so a client cannot aim at a bucket). A full bucket evicts
 * the nonce issued first. Each bucket keeps a floor: one past the highest stamp it ever evicted.
 * Invariant: every nonce ever recorded in a bucket is still in it, or has a stamp below its
 * floor. So a nonce missing from its bucket with a stamp at or above the floor was never used
 * (first use: accept); below the floor it might have been evicted, and is answered stale rather
 * than risk accepting a replay. Memory is fixed at alloc whatever clients send. */
struct nc_slot {
	uint8_t tag[NONCE_TAG];
	uint64_t stamp;
	uint32_t nc;
	bool used;
};

struct auth_server {
	uint8_t secret[AUTH_SECRET_SIZE];
	char realm[REALM_MAX + 1];
	size_t realm_len;
	char opaque[OPAQUE_B64 + 1];
	uint32_t lifetime;
	bool sha256_only;
	auth_clock_h *clock;
	void *clock_arg;
	uint32_t counter;
	size_t nbuckets;
	struct nc_slot *slots; /* nbuckets * WAYS */
	uint64_t *floor;       /* per bucket */
	/* HMAC-SHA256 keyed with secret, fetched and keyed once: each MAC is a copy of it (the
	 * one-shot HMAC() fetches the algorithm and hashes the key again, every time). */
	EVP_MAC_CTX *mac;
};

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void b64url_encode(const uint8_t *in, size_t len, char *out)
{
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0;

	for (size_t i = 0; i < len; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			out[o++] = b64url[(acc >> bits) & 0x3f];
		}
	}
	if (bits)
		out[o++] = b64url[(acc << (6 - bits)) & 0x3f];
	out[o] = '\0';
}

/* Strict: exactly the canonical encoding of len bytes (spare bits zero), so that one nonce has
 * one spelling. 0 or EINVAL. */
static int b64url_decode(struct pl s, uint8_t *out, size_t len)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;

	if (s.l != (len * 8 + 5) / 6)
		return EINVAL;
	for (size_t i = 0; i < s.l; i++) {
		const char *c = memchr(b64url, s.p[i], 64);
		if (!c || !s.p[i])
			return EINVAL;
		acc = (acc << 6) | (uint32_t)(c - b64url);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o < len)
				out[o++] = (uint8_t)(acc >> bits);
		}
	}
	if (acc & ((1u << bits) - 1))
		return EINVAL;
	return 0;
}

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t get_be64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

static uint64_t wall_clock(void *arg)
{
	struct timespec ts;
	(void)arg;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec > 0 ? (uint64_t)ts.tv_sec : 0;
}

static uint64_t now_s(const struct auth_server *srv)
{
	return srv->clock(srv->clock_arg);
}

/* HMAC-SHA256(secret, label || data || realm), truncated to outlen. 0 or EIO. */
static int srv_mac(const struct auth_server *srv, const char *label, const uint8_t *data,
		   size_t len, uint8_t *out, size_t outlen)
{
	uint8_t buf[32 + NONCE_STAMP + NONCE_RAND + REALM_MAX];
	uint8_t mac[EVP_MAX_MD_SIZE];
	size_t maclen = 0;
	size_t n = strlen(label) + 1; /* the NUL separates the label */
	EVP_MAC_CTX *ctx = EVP_MAC_CTX_dup(srv->mac);
	int err = 0;

	memcpy(buf, label, n);
	if (len)
		memcpy(buf + n, data, len);
	memcpy(buf + n + len, srv->realm, srv->realm_len);
	n += len + srv->realm_len;
	if (!ctx || !EVP_MAC_update(ctx, buf, n) || !EVP_MAC_final(ctx, mac, &maclen, sizeof(mac)) ||
	    maclen < outlen) {
		ERR_clear_error();
		err = EIO;
	} else {
		memcpy(out, mac, outlen);
	}
	EVP_MAC_CTX_free(ctx); /* cleanses the keyed state */
	OPENSSL_cleanse(mac, sizeof(mac));
	return err;
}

static int mac_init(struct auth_server *srv)
{
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	int err = 0;

	srv->mac = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
	if (!srv->mac || !EVP_MAC_init(srv->mac, srv->secret, sizeof(srv->secret), params)) {
		ERR_clear_error();
		err = EIO;
	}
	EVP_MAC_free(hmac); /* the context holds its own reference */
	return err;
}

static int nonce_tag(const struct auth_server *srv, const uint8_t *raw, uint8_t *tag)
{
	return srv_mac(srv, "sotto nonce", raw, NONCE_STAMP + NONCE_RAND, tag, NONCE_TAG);
}

static bool realm_ok(const char *realm)
{
	size_t n = strlen(realm);
	if (n == 0 || n > REALM_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)realm[i];
		/* no escapes needed when we quote it, and nothing to break the header line */
		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
			return false;
	}
	return true;
}

int auth_server_alloc(struct auth_server **srvp, const struct auth_server_conf *conf)
{
	struct auth_server *srv;
	uint8_t op[OPAQUE_RAW];
	uint64_t floor;
	size_t slots;
	int err;

	if (!srvp || !conf || !conf->realm || !realm_ok(conf->realm))
		return EINVAL;
	slots = conf->replay_slots ? conf->replay_slots : DEFAULT_SLOTS;
	if (slots > ((size_t)1 << 24))
		return EINVAL;
	slots = (slots + WAYS - 1) / WAYS * WAYS;

	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return ENOMEM;
	srv->nbuckets = slots / WAYS;
	srv->slots = calloc(slots, sizeof(*srv->slots));
	srv->floor = calloc(srv->nbuckets, sizeof(*srv->floor));
	if (!srv->slots || !srv->floor) {
		err = ENOMEM;
		goto out;
	}
	srv->realm_len = strlen(conf->realm);
	memcpy(srv->realm, conf->realm, srv->realm_len + 1);
	srv->lifetime = conf->nonce_lifetime ? conf->nonce_lifetime : DEFAULT_LIFETIME;
	srv->sha256_only = conf->sha256_only;
	srv->clock = conf->clock ? conf->clock : wall_clock;
	srv->clock_arg = conf->clock_arg;
	if (conf->secret) {
		memcpy(srv->secret, conf->secret, AUTH_SECRET_SIZE);
	} else {
		err = rand_bytes(srv->secret, sizeof(srv->secret));
		if (err)
			goto out;
	}
	err = mac_init(srv);
	if (err)
		goto out;
	/* Nonces issued before this start (same secret, persisted) were perhaps used already, and
	 * the table that knew it is gone: make their first sight stale. */
	floor = now_s(srv) << STAMP_SHIFT;
	for (size_t b = 0; b < srv->nbuckets; b++)
		srv->floor[b] = floor;

	/* One opaque per server and realm (RFC 7616 3.3): clients must echo it unchanged. */
	err = srv_mac(srv, "sotto opaque", NULL, 0, op, sizeof(op));
	if (err)
		goto out;
	b64url_encode(op, sizeof(op), srv->opaque);
	*srvp = srv;
	srv = NULL;
out:
	auth_server_free(srv);
	return err;
}

void auth_server_free(struct auth_server *srv)
{
	if (!srv)
		return;
	OPENSSL_cleanse(srv->secret, sizeof(srv->secret));
	EVP_MAC_CTX_free(srv->mac);
	free(srv->slots);
	free(srv->floor);
	free(srv);
}

void auth_server_secret(const struct auth_server *srv, uint8_t out[AUTH_SECRET_SIZE])
{
	memcpy(out, srv->secret, AUTH_SECRET_SIZE);
}

static int nonce_new(struct auth_server *srv, char out[NONCE_B64 + 1])
{
	uint8_t raw[NONCE_RAW];
	uint64_t stamp = (now_s(srv) << STAMP_SHIFT) | (srv->counter++ & ((1u << STAMP_SHIFT) - 1));
	int err;

	put_be64(raw, stamp);
	err = rand_bytes(raw + NONCE_STAMP, NONCE_RAND);
	if (!err)
		err = nonce_tag(srv, raw, raw + NONCE_STAMP + NONCE_RAND);
	if (!err)
		b64url_encode(raw, sizeof(raw), out);
	return err;
}

int auth_server_challenge(struct auth_server *srv, struct mbuf *out, bool proxy, bool stale)
{
	return auth_server_challenge_algs(srv, out, proxy, stale, AUTH_ALGS_ALL);
}

int auth_server_challenge_algs(struct auth_server *srv, struct mbuf *out, bool proxy, bool stale,
			       unsigned algs)
{
	static const enum auth_alg order[] = {AUTH_ALG_SHA256, AUTH_ALG_MD5};
	char nonce[NONCE_B64 + 1];
	int err;

	if (!srv || !out)
		return EINVAL;
	err = nonce_new(srv, nonce);
	if (err)
		return err;
	/* RFC 8760 2.4: the preferred algorithm first; one nonce serves both challenges */
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if ((order[i] == AUTH_ALG_MD5 && srv->sha256_only) || !(algs & (1u << order[i])))
			continue;
		err = mbuf_printf(out,
				  "%s: Digest realm=\"%s\", nonce=\"%s\", opaque=\"%s\", "
				  "algorithm=%s, qop=\"auth\"%s\r\n",
				  proxy ? "Proxy-Authenticate" : "WWW-Authenticate", srv->realm,
				  nonce, srv->opaque, auth_alg_name(order[i]),
				  stale ? ", stale=true" : "");
		if (err)
			return err;
	}
	return 0;
}

/* Record nc for a nonce whose digest checked out. See the table comment above. */
static enum auth_result nc_check(struct auth_server *srv, const uint8_t *tag, uint64_t stamp,
				 uint32_t nc)
{
	size_t b = (size_t)(get_be64(tag) % srv->nbuckets);
	struct nc_slot *set = srv->slots + b * WAYS, *victim = NULL;

	for (size_t w = 0; w < WAYS; w++) {
		struct nc_slot *s = &set[w];
		if (!s->used || CRYPTO_memcmp(s->tag, tag, NONCE_TAG))
			continue;
		/* Strictly increasing: a request re-sent out of order over UDP is refused too
		 * (the retransmission of an answered request is absorbed by the transaction). */
		if (nc <= s->nc)
			return AUTH_REPLAY;
		s->nc = nc;
		return AUTH_OK;
	}
	if (stamp < srv->floor[b])
		return AUTH_STALE;
	for (size_t w = 0; w < WAYS; w++) {
		struct nc_slot *s = &set[w];
		if (!s->used) {
			victim = s;
			break;
		}
		if (!victim || s->stamp < victim->stamp)
			victim = s;
	}
	if (victim->used && victim->stamp + 1 > srv->floor[b])
		srv->floor[b] = victim->stamp + 1;
	memcpy(victim->tag, tag, NONCE_TAG);
	victim->stamp = stamp;
	victim->nc = nc;
	victim->used = true;
	return AUTH_OK;
}

/* The HA1 to use, as lowercase hex in ha1 (wiped by the caller). */
static enum auth_result secret_ha1(const struct auth_server *srv,
				   const struct auth_credentials *cred, enum auth_alg alg,
				   const struct auth_secret *secret, char ha1[AUTH_HEX_SIZE])
{
	struct pl pre = alg == AUTH_ALG_MD5 ? secret->ha1_md5 : secret->ha1_sha256;
	uint8_t bin[32];

	if (pre.p) {
		size_t n = auth_alg_hexlen(alg) / 2;
		if (auth_hex_decode(pre, bin, n)) {
			OPENSSL_cleanse(bin, sizeof(bin));
			log_warn("auth: malformed %s HA1 configured (realm %s)", auth_alg_name(alg),
				 srv->realm);
			return AUTH_UNSUPPORTED_ALG;
		}
		auth_hex_encode(bin, n, ha1);
		OPENSSL_cleanse(bin, sizeof(bin));
		return AUTH_OK;
	}
	if (!secret->password.p)
		return AUTH_UNSUPPORTED_ALG;
	if (auth_ha1_x(alg, cred->username, true, pl_from(srv->realm, srv->realm_len), false,
		       secret->password, ha1))
		return AUTH_MALFORMED; /* digest failure (EIO); never happens in practice */
	return AUTH_OK;
}

/* nc-value = 8LHEX (RFC 7616 3.4); we accept either case, never zero. */
static int parse_nc(struct pl s, uint32_t *nc)
{
	uint8_t b[4];
	if (s.l != 8 || auth_hex_decode(s, b, 4))
		return EINVAL;
	*nc = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	return *nc ? 0 : EINVAL;
}

/* Order of checks: syntax and realm, then the nonce's authenticity (cheap, and forged nonces
 * stop here), then the digest, then freshness and nc. Stale is only reported with a valid digest
 * (RFC 7616 3.3: stale=true means the credentials were right), so it never helps a guesser.
 *
 * qop=auth is required: we always offer it, RFC 3261 22.4 makes it mandatory for UAs that see it,
 * and without it there is neither cnonce nor nc, so no replay protection. */
enum auth_result auth_server_verify(struct auth_server *srv, const struct auth_credentials *cred,
				    struct pl method, const struct auth_secret *secret)
{
	uint8_t raw[NONCE_RAW], tag[NONCE_TAG], got[32], want[32];
	char ha1[AUTH_HEX_SIZE], expect[AUTH_HEX_SIZE];
	enum auth_result res;
	enum auth_alg alg;
	uint64_t stamp, issued, now;
	uint32_t nc;
	size_t dlen;

	if (!srv || !cred || !secret || !method.p || !method.l)
		return AUTH_MALFORMED;
	if (!cred->username.p || !cred->realm.p || !cred->nonce.p || !cred->uri.p ||
	    !cred->response.p)
		return AUTH_MALFORMED;
	if (auth_alg_parse(cred->algorithm, &alg) ||
	    (alg == AUTH_ALG_MD5 && srv->sha256_only) ||
	    (secret->algs && !(secret->algs & (1u << alg))))
		return AUTH_UNSUPPORTED_ALG;
	if (!auth_unq_eq(cred->realm, pl_from(srv->realm, srv->realm_len)))
		return AUTH_REALM_MISMATCH;
	if (!cred->qop.p || !pl_caseeq_str(cred->qop, "auth") || !cred->cnonce.p ||
	    !cred->cnonce.l || !cred->nc.p || parse_nc(cred->nc, &nc))
		return AUTH_MALFORMED;
	dlen = auth_alg_hexlen(alg) / 2;
	if (auth_hex_decode(cred->response, got, dlen))
		return AUTH_MALFORMED;

	if (b64url_decode(cred->nonce, raw, sizeof(raw)) || nonce_tag(srv, raw, tag) ||
	    CRYPTO_memcmp(tag, raw + NONCE_STAMP + NONCE_RAND, NONCE_TAG))
		return AUTH_BAD_NONCE;
	if (cred->opaque.p && !pl_eq_str(cred->opaque, srv->opaque))
		return AUTH_BAD_NONCE;

	res = secret_ha1(srv, cred, alg, secret, ha1);
	if (res != AUTH_OK)
		goto out;
	if (auth_digest_response(alg, ha1, cred->nonce, cred->nc, cred->cnonce, method, cred->uri,
				 expect) ||
	    auth_hex_decode(pl_from(expect, dlen * 2), want, dlen)) {
		res = AUTH_MALFORMED;
		goto out;
	}
	if (CRYPTO_memcmp(got, want, dlen)) {
		res = AUTH_BAD_RESPONSE;
		goto out;
	}

	stamp = get_be64(raw);
	issued = stamp >> STAMP_SHIFT;
	now = now_s(srv);
	/* from the future: the clock went back; re-challenge rather than trust the age */
	if (issued > now || now - issued > srv->lifetime) {
		res = AUTH_STALE;
		goto out;
	}
	res = nc_check(srv, raw + NONCE_STAMP + NONCE_RAND, stamp, nc);
out:
	OPENSSL_cleanse(ha1, sizeof(ha1));
	OPENSSL_cleanse(expect, sizeof(expect));
	OPENSSL_cleanse(want, sizeof(want));
	return res;
}

const char *auth_result_str(enum auth_result res)
{
	static const char *const names[] = {
		[AUTH_OK] = "ok",
		[AUTH_BAD_RESPONSE] = "bad response",
		[AUTH_STALE] = "stale nonce",
		[AUTH_REPLAY] = "replayed nonce-count",
		[AUTH_BAD_NONCE] = "bad nonce",
		[AUTH_MALFORMED] = "malformed credentials",
		[AUTH_REALM_MISMATCH] = "realm mismatch",
		[AUTH_UNSUPPORTED_ALG] = "unsupported algorithm",
	};
	if ((unsigned)res < sizeof(names) / sizeof(names[0]) && names[res])
		return names[res];
	return "?";
}

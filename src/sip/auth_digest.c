/* Digest computations (RFC 7616 3.4.1-3.4.3, RFC 8760 for SIP): HA1, HA2 and the
 * request-digest for MD5 and SHA-256, through OpenSSL EVP. HA1 is as good as the password:
 * every buffer holding it is wiped. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "sip/auth.h"
#include "sip/auth_int.h"

struct alg_info {
	const char *name;
	size_t hexlen;
	const EVP_MD *(*md)(void);
};

static const struct alg_info algs[] = {
	[AUTH_ALG_MD5] = {.name = "MD5", .hexlen = 32, .md = EVP_md5},
	[AUTH_ALG_SHA256] = {.name = "SHA-256", .hexlen = 64, .md = EVP_sha256},
};

int auth_alg_parse(struct pl token, enum auth_alg *alg)
{
	if (!token.p) {
		*alg = AUTH_ALG_MD5;
		return 0;
	}
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		if (pl_caseeq_str(token, algs[i].name)) {
			*alg = (enum auth_alg)i;
			return 0;
		}
	}
	return ENOTSUP;
}

const char *auth_alg_name(enum auth_alg alg)
{
	return algs[alg].name;
}

size_t auth_alg_hexlen(enum auth_alg alg)
{
	return algs[alg].hexlen;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int auth_hex_decode(struct pl hex, uint8_t *out, size_t len)
{
	if (!hex.p || hex.l != 2 * len)
		return EINVAL;
	for (size_t i = 0; i < len; i++) {
		int hi = hexval(hex.p[2 * i]), lo = hexval(hex.p[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

void auth_hex_encode(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * len] = '\0';
}

/* A running digest with a sticky error, so a computation is checked once at the end. */
struct md {
	EVP_MD_CTX *ctx;
	int err;
};

static void md_begin(struct md *m, enum auth_alg alg)
{
	m->err = 0;
	m->ctx = EVP_MD_CTX_new();
	if (!m->ctx || EVP_DigestInit_ex(m->ctx, algs[alg].md(), NULL) != 1)
		m->err = EIO;
}

static void md_raw(struct md *m, const void *p, size_t l)
{
	if (!m->err && l && EVP_DigestUpdate(m->ctx, p, l) != 1)
		m->err = EIO;
}

static void md_pl(struct md *m, struct pl pl)
{
	md_raw(m, pl.p, pl.l);
}

/* unq(): the quoted-string contents without the backslash of each quoted-pair. */
static void md_unq(struct md *m, struct pl q)
{
	size_t run = 0;
	for (size_t i = 0; i < q.l; i++) {
		if (q.p[i] == '\\' && i + 1 < q.l) {
			md_raw(m, q.p + run, i - run);
			run = ++i; /* keep the escaped character */
		}
	}
	md_raw(m, q.p + run, q.l - run);
}

/* Finish into lowercase hex and free the context (EVP_MD_CTX_free wipes it). */
static int md_end_hex(struct md *m, char hex_out[AUTH_HEX_SIZE])
{
	uint8_t dig[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (!m->err && EVP_DigestFinal_ex(m->ctx, dig, &n) != 1)
		m->err = EIO;
	EVP_MD_CTX_free(m->ctx);
	m->ctx = NULL;
	if (m->err) {
		ERR_clear_error();
		return m->err;
	}
	auth_hex_encode(dig, n, hex_out);
	OPENSSL_cleanse(dig, sizeof(dig));
	return 0;
}

int auth_ha1_x(enum auth_alg alg, struct pl user, bool user_unq, struct pl realm, bool realm_unq,
	       struct pl password, char hex_out[AUTH_HEX_SIZE])
{
	struct md m;

	md_begin(&m, alg);
	if (user_unq)
		md_unq(&m, user);
	else
		md_pl(&m, user);
	md_raw(&m, ":", 1);
	if (realm_unq)
		md_unq(&m, realm);
	else
		md_pl(&m, realm);
	md_raw(&m, ":", 1);
	md_pl(&m, password);
	return md_end_hex(&m, hex_out);
}

int auth_ha1(enum auth_alg alg, struct pl user, struct pl realm, struct pl password,
	     char hex_out[AUTH_HEX_SIZE])
{
	if ((unsigned)alg > AUTH_ALG_SHA256 || !hex_out)
		return EINVAL;
	return auth_ha1_x(alg, user, false, realm, false, password, hex_out);
}

int auth_digest_response(enum auth_alg alg, const char *ha1_hex, struct pl nonce, struct pl nc,
			 struct pl cnonce, struct pl method, struct pl uri,
			 char hex_out[AUTH_HEX_SIZE])
{
	char ha2[AUTH_HEX_SIZE];
	struct md m;
	int err;

	/* HA2 = H(method ":" uri) for qop=auth (RFC 7616 3.4.3) */
	md_begin(&m, alg);
	md_pl(&m, method);
	md_raw(&m, ":", 1);
	md_unq(&m, uri);
	err = md_end_hex(&m, ha2);
	if (err)
		return err;

	/* response = KD(HA1, nonce ":" nc ":" cnonce ":" "auth" ":" HA2) (RFC 7616 3.4.1), or
	 * KD(HA1, nonce ":" HA2) without qop (RFC 2069 / RFC 2617 3.2.2.1) */
	md_begin(&m, alg);
	md_raw(&m, ha1_hex, algs[alg].hexlen);
	md_raw(&m, ":", 1);
	md_unq(&m, nonce);
	md_raw(&m, ":", 1);
	if (nc.p) {
		md_pl(&m, nc);
		md_raw(&m, ":", 1);
		md_unq(&m, cnonce);
		md_raw(&m, ":auth:", 6);
	}
	md_raw(&m, ha2, algs[alg].hexlen);
	return md_end_hex(&m, hex_out);
}

int auth_response(enum auth_alg alg, const char *ha1_hex, struct pl nonce, uint32_t nc,
		  struct pl cnonce, struct pl method, struct pl uri, char hex_out[AUTH_HEX_SIZE])
{
	char ha1[AUTH_HEX_SIZE], ncs[9];
	uint8_t bin[32];
	size_t hexlen;
	int err;

	if ((unsigned)alg > AUTH_ALG_SHA256 || !ha1_hex || !hex_out || nc == 0)
		return EINVAL;
	hexlen = algs[alg].hexlen;
	/* normalise the HA1 to lowercase hex, the form that is hashed */
	err = auth_hex_decode(pl_from(ha1_hex, strnlen(ha1_hex, AUTH_HEX_SIZE)), bin, hexlen / 2);
	if (err)
		goto out;
	auth_hex_encode(bin, hexlen / 2, ha1);
	snprintf(ncs, sizeof(ncs), "%08x", (unsigned)nc);
	err = auth_digest_response(alg, ha1, nonce, pl_from(ncs, 8), cnonce, method, uri, hex_out);
out:
	OPENSSL_cleanse(bin, sizeof(bin));
	OPENSSL_cleanse(ha1, sizeof(ha1));
	return err;
}

/* SIP digest authentication, client side (RFC 3261 22.2-22.3, RFC 7616 3.4, RFC 8760): answer a
 * provider's WWW-Authenticate / Proxy-Authenticate challenge. Used by trunks. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "core/rand.h"
#include "sip/auth.h"
#include "sip/auth_int.h"

#define CNONCE_BYTES 16

/* Can we answer this challenge, and how: 0 with *alg and *qop set, or ENOTSUP. */
static int chal_usable(const struct auth_challenge *ch, enum auth_alg *alg, bool *qop)
{
	struct pl item = PL_NULL;

	if (auth_alg_parse(ch->algorithm, alg))
		return ENOTSUP; /* MD5-sess, SHA-512-256, ...: not for SIP (RFC 8760 2.1) */
	if (!ch->qop.p) {
		*qop = false; /* RFC 2069 form */
		return 0;
	}
	while (auth_qop_next(ch->qop, &item)) {
		if (pl_caseeq_str(item, "auth")) {
			*qop = true;
			return 0;
		}
	}
	return ENOTSUP; /* auth-int only: we do not hash bodies */
}

int auth_challenge_pick(const struct pl *values, size_t n, size_t *idx)
{
	int best = -1;

	if (!values || !idx)
		return EINVAL;
	for (size_t i = 0; i < n; i++) {
		struct auth_challenge ch;
		enum auth_alg alg;
		bool qop;

		if (auth_challenge_parse(values[i], &ch) || chal_usable(&ch, &alg, &qop))
			continue;
		if (alg == AUTH_ALG_SHA256) {
			*idx = i;
			return 0;
		}
		if (best < 0)
			best = (int)i;
	}
	if (best < 0)
		return ENOENT;
	*idx = (size_t)best;
	return 0;
}

static bool has_ctl(struct pl s)
{
	for (size_t i = 0; i < s.l; i++) {
		unsigned char c = (unsigned char)s.p[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return true;
	}
	return false;
}

/* Write s as the inside of a quoted-string. */
static void write_escaped(struct mbuf *out, struct pl s)
{
	size_t run = 0;
	for (size_t i = 0; i < s.l; i++) {
		if (s.p[i] == '"' || s.p[i] == '\\') {
			mbuf_write(out, s.p + run, i - run);
			mbuf_write(out, "\\", 1);
			run = i;
		}
	}
	mbuf_write(out, s.p + run, s.l - run);
}

/* SHA-256 of the nonce, to notice when the server hands out a new one. */
static int nonce_id(struct pl nonce, uint8_t id[32])
{
	unsigned int n = 0;
	if (EVP_Digest(nonce.p, nonce.l, id, &n, EVP_sha256(), NULL) != 1 || n != 32) {
		ERR_clear_error();
		return EIO;
	}
	return 0;
}

int auth_client_respond(struct pl challenge, struct pl method, struct pl uri, struct pl username,
			struct pl password, struct auth_client_nc *st, struct mbuf *out)
{
	struct auth_challenge ch;
	enum auth_alg alg;
	bool qop;
	uint8_t id[32], rnd[CNONCE_BYTES];
	char ha1[AUTH_HEX_SIZE], resp[AUTH_HEX_SIZE], cnonce[2 * CNONCE_BYTES + 1], ncs[9] = "";
	size_t mark;
	int err;

	if (!method.p || !method.l || !uri.p || !uri.l || !username.p || !password.p || !st ||
	    !out)
		return EINVAL;
	/* uri goes between quotes unescaped (a SIP URI has no '"' or '\'), and nothing we
	 * write may break the header line */
	if (has_ctl(method) || has_ctl(uri) || has_ctl(username) || pl_chr(uri, '"') ||
	    pl_chr(uri, '\\'))
		return EINVAL;
	err = auth_challenge_parse(challenge, &ch);
	if (err)
		return err;
	err = chal_usable(&ch, &alg, &qop);
	if (err)
		return err;

	if (qop) {
		err = nonce_id(ch.nonce, id);
		if (err)
			return err;
		if (st->nc == 0 || memcmp(id, st->nonce_id, sizeof(id))) {
			memcpy(st->nonce_id, id, sizeof(id));
			st->nc = 0;
		}
		if (st->nc == UINT32_MAX)
			return EOVERFLOW;
		st->nc++;
		snprintf(ncs, sizeof(ncs), "%08x", (unsigned)st->nc);
		err = rand_bytes(rnd, sizeof(rnd));
		if (err)
			return err;
		auth_hex_encode(rnd, sizeof(rnd), cnonce);
	}

	/* the realm is the challenge's quoted-string: unescaped for the hash */
	err = auth_ha1_x(alg, username, false, ch.realm, true, password, ha1);
	if (!err)
		err = auth_digest_response(alg, ha1, ch.nonce, qop ? pl_from(ncs, 8) : PL_NULL,
					   qop ? pl_from(cnonce, strlen(cnonce)) : PL_NULL, method,
					   uri, resp);
	OPENSSL_cleanse(ha1, sizeof(ha1));
	if (err)
		return err;

	/* realm, nonce and opaque go back exactly as received (escapes included) */
	mark = out->len;
	mbuf_write_str(out, "Digest username=\"");
	write_escaped(out, username);
	mbuf_write_str(out, "\", realm=\"");
	mbuf_write_pl(out, ch.realm);
	mbuf_write_str(out, "\", nonce=\"");
	mbuf_write_pl(out, ch.nonce);
	mbuf_write_str(out, "\", uri=\"");
	mbuf_write_pl(out, uri);
	mbuf_printf(out, "\", response=\"%s\", algorithm=%s", resp, auth_alg_name(alg));
	if (qop)
		mbuf_printf(out, ", cnonce=\"%s\", qop=auth, nc=%s", cnonce, ncs);
	if (ch.opaque.p) {
		mbuf_write_str(out, ", opaque=\"");
		mbuf_write_pl(out, ch.opaque);
		mbuf_write_str(out, "\"");
	}
	if (out->err) {
		err = out->err;
		if (out->buf && out->len > mark) { /* leave no half-written value behind */
			out->len = mark;
			out->buf[mark] = '\0';
		}
		return err;
	}
	return 0;
}

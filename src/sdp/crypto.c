/* SDES a=crypto attributes (RFC 4568 6, 9.1) for the SRTP suites we implement (RFC 4568
 * 10.3.2, RFC 6188 5, RFC 7714 14.2): parse, decode into a struct sr_key, generate, format.
 * Key material only ever sits in the caller's structs and in stack buffers wiped here. */
#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "core/rand.h"
#include "sdp/sdp_int.h"

/* Strongest first: this order is our answer preference and our offer order. */
const struct sdp_suite sdp_suites[SR_SUITE_COUNT] = {
    {.name = "AEAD_AES_256_GCM", .id = SR_AEAD_AES_256_GCM, .key_len = 32, .salt_len = 12},
    {.name = "AEAD_AES_128_GCM", .id = SR_AEAD_AES_128_GCM, .key_len = 16, .salt_len = 12},
    {.name = "AES_256_CM_HMAC_SHA1_80",
     .id = SR_AES_256_CM_HMAC_SHA1_80,
     .key_len = 32,
     .salt_len = 14},
    {.name = "AES_CM_128_HMAC_SHA1_80",
     .id = SR_AES_CM_128_HMAC_SHA1_80,
     .key_len = 16,
     .salt_len = 14},
    {.name = "AES_CM_128_HMAC_SHA1_32",
     .id = SR_AES_CM_128_HMAC_SHA1_32,
     .key_len = 16,
     .salt_len = 14},
};

const struct sdp_suite *sdp_suite_get(enum sr_suite s)
{
	for (size_t i = 0; i < SR_SUITE_COUNT; i++)
		if (sdp_suites[i].id == s)
			return &sdp_suites[i];
	return NULL;
}

const char *sdp_suite_name(enum sr_suite s)
{
	const struct sdp_suite *st = sdp_suite_get(s);
	return st ? st->name : "";
}

int sdp_suite_by_name(struct pl name, enum sr_suite *out)
{
	for (size_t i = 0; i < SR_SUITE_COUNT; i++)
		if (pl_eq_str(name, sdp_suites[i].name)) {
			*out = sdp_suites[i].id;
			return 0;
		}
	return ENOENT;
}

enum sr_suite sdp_suite_pref(size_t i)
{
	return i < SR_SUITE_COUNT ? sdp_suites[i].id : SR_SUITE_COUNT;
}

/* --- base64 without data-dependent branches or lookups --- */

/* 0..63, or -1 for a character outside the alphabet. Each line adds (value + 1) when c is in
 * its range: the range test is the sign of (lo - 1 - c) & (c - hi - 1). */
static int b64_val(unsigned char uc)
{
	int c = uc, v = -1;

	v += (((0x40 - c) & (c - 0x5b)) >> 8) & (c - 64); /* A-Z */
	v += (((0x60 - c) & (c - 0x7b)) >> 8) & (c - 70); /* a-z */
	v += (((0x2f - c) & (c - 0x3a)) >> 8) & (c + 5);  /* 0-9 */
	v += (((0x2a - c) & (c - 0x2c)) >> 8) & 63;       /* + */
	v += (((0x2e - c) & (c - 0x30)) >> 8) & 64;       /* / */
	return v;
}

static char b64_chr(unsigned v)
{
	int d = 'A', x = (int)v;

	d += ((25 - x) >> 8) & 6;  /* 26.. -> 'a' */
	d -= ((51 - x) >> 8) & 75; /* 52.. -> '0' */
	d -= ((61 - x) >> 8) & 15; /* 62 -> '+' */
	d += ((62 - x) >> 8) & 3;  /* 63 -> '/' */
	return (char)(x + d);
}

void sdp_b64_encode(const uint8_t *in, size_t n, char *out)
{
	size_t i = 0, o = 0;

	for (; i + 3 <= n; i += 3) {
		uint32_t w = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = b64_chr(w >> 18);
		out[o++] = b64_chr((w >> 12) & 63);
		out[o++] = b64_chr((w >> 6) & 63);
		out[o++] = b64_chr(w & 63);
	}
	if (n - i == 1) {
		uint32_t w = (uint32_t)in[i] << 16;
		out[o++] = b64_chr(w >> 18);
		out[o++] = b64_chr((w >> 12) & 63);
		out[o++] = '=';
		out[o++] = '=';
	} else if (n - i == 2) {
		uint32_t w = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = b64_chr(w >> 18);
		out[o++] = b64_chr((w >> 12) & 63);
		out[o++] = b64_chr((w >> 6) & 63);
		out[o++] = '=';
	}
	out[o] = '\0';
}

int sdp_b64_decode(struct pl in, uint8_t *out, size_t cap, size_t *outlen)
{
	size_t n = in.l, pad = 0, o = 0, need;
	uint32_t w = 0;
	int bad = 0;

	/* Padding is optional, but when present the whole must be quads. */
	while (n && in.p[n - 1] == '=' && pad < 2) {
		n--;
		pad++;
	}
	if (n == 0 || n % 4 == 1 || (pad && (n + pad) % 4))
		return EBADMSG;
	need = n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0);
	if (need > cap)
		return ENOSPC;
	for (size_t i = 0; i < n; i++) {
		int v = b64_val((unsigned char)in.p[i]);
		bad |= v;
		w = w << 6 | ((unsigned)v & 63);
		if (i % 4 == 3) {
			out[o++] = (uint8_t)(w >> 16);
			out[o++] = (uint8_t)(w >> 8);
			out[o++] = (uint8_t)w;
			w = 0;
		}
	}
	if (n % 4 == 2) {
		out[o++] = (uint8_t)(w >> 4);
	} else if (n % 4 == 3) {
		out[o++] = (uint8_t)(w >> 10);
		out[o++] = (uint8_t)(w >> 2);
	}
	OPENSSL_cleanse(&w, sizeof(w));
	if (bad < 0) {
		OPENSSL_cleanse(out, o);
		return EBADMSG;
	}
	*outlen = o;
	return 0;
}

/* --- key-info: base64(key||salt) ["|" lifetime] ["|" mki-value ":" mki-length] --- */

/* lifetime = ["2^"] 1*DIGIT (RFC 4568 6.1). 0 packets is meaningless; 2^64 does not fit. */
static int lifetime_parse(struct pl s, uint64_t *out, const char **why)
{
	uint64_t v;

	if (s.l > 2 && s.p[0] == '2' && s.p[1] == '^') {
		if (sdp_u64(pl_from(s.p + 2, s.l - 2), &v) || v > 63) {
			*why = "bad crypto lifetime";
			return EBADMSG;
		}
		*out = (uint64_t)1 << v;
		return 0;
	}
	if (sdp_u64(s, &v) || v == 0) {
		*why = "bad crypto lifetime";
		return EBADMSG;
	}
	*out = v;
	return 0;
}

/* mki = mki-value ":" mki-length, length 1*3DIGIT in octets (1..128 by the RFC; our SRTP
 * layer carries up to SR_MAX_MKI). The value is written big-endian in length octets. */
static int mki_parse(struct pl s, uint8_t *mki, size_t *mki_len, const char **why)
{
	const char *colon = pl_chr(s, ':');
	uint64_t v, len;

	*why = "bad crypto MKI";
	if (!colon)
		return EBADMSG;
	struct pl val = pl_from(s.p, (size_t)(colon - s.p));
	struct pl ls = pl_from(colon + 1, s.l - val.l - 1);
	if (ls.l > 3 || sdp_u64(ls, &len) || len == 0 || sdp_u64(val, &v))
		return EBADMSG;
	if (len > SR_MAX_MKI) {
		*why = "crypto MKI longer than 8 octets not supported";
		return EBADMSG;
	}
	if (len < 8 && v >> (8 * len)) {
		*why = "crypto MKI value does not fit its length";
		return EBADMSG;
	}
	for (size_t i = 0; i < len; i++)
		mki[i] = (uint8_t)(v >> (8 * (len - 1 - i)));
	*mki_len = (size_t)len;
	return 0;
}

/* Decode into out (always wiped first; left wiped on failure). */
static int key_info_decode(enum sr_suite suite, struct pl info, struct sr_key *out,
                           const char **why)
{
	const struct sdp_suite *st = sdp_suite_get(suite);
	uint8_t ks[SDP_KEYSALT_MAX];
	struct pl parts[4];
	size_t nparts = 0, klen = 0;
	const char *p = info.p, *end = info.p + info.l;
	int err;

	OPENSSL_cleanse(out, sizeof(*out));
	if (!st) {
		*why = "unknown crypto suite";
		return EBADMSG;
	}
	/* split at '|' */
	for (;;) {
		const char *bar = memchr(p, '|', (size_t)(end - p));
		const char *e = bar ? bar : end;
		if (nparts == 3) {
			*why = "bad crypto key parameters";
			return EBADMSG;
		}
		parts[nparts++] = pl_from(p, (size_t)(e - p));
		if (!bar)
			break;
		p = bar + 1;
	}
	err = sdp_b64_decode(parts[0], ks, sizeof(ks), &klen);
	if (err == EBADMSG) {
		*why = "bad crypto key base64";
		return EBADMSG;
	}
	if (err || klen != (size_t)st->key_len + st->salt_len) {
		OPENSSL_cleanse(ks, sizeof(ks));
		*why = "wrong crypto key length for the suite";
		return EBADMSG;
	}
	out->suite = suite;
	memcpy(out->key, ks, st->key_len);
	memcpy(out->salt, ks + st->key_len, st->salt_len);
	OPENSSL_cleanse(ks, sizeof(ks));

	for (size_t i = 1; i < nparts; i++) {
		bool is_mki = pl_chr(parts[i], ':') != NULL;
		if (is_mki)
			err = mki_parse(parts[i], out->mki, &out->mki_len, why);
		else if (i == 1)
			err = lifetime_parse(parts[i], &out->lifetime, why);
		else /* lifetime after the MKI, or a second lifetime */
			err = (*why = "bad crypto key parameters", EBADMSG);
		if (!err && is_mki && i + 1 < nparts)
			err = (*why = "bad crypto key parameters", EBADMSG);
		if (err) {
			OPENSSL_cleanse(out, sizeof(*out));
			return err;
		}
	}
	return 0;
}

/* Session parameters (RFC 4568 6.3) we cannot honour make the line unusable: our SRTP layer
 * always encrypts and authenticates and derives keys once (key derivation rate 0). FEC_ORDER,
 * FEC_KEY and WSH do not change the packets we accept and are ignored. */
static const char *params_check(struct pl params)
{
	struct pl tok;

	while (sdp_token(&params, &tok)) {
		if (pl_eq_str(tok, "UNENCRYPTED_SRTP") || pl_eq_str(tok, "UNENCRYPTED_SRTCP") ||
		    pl_eq_str(tok, "UNAUTHENTICATED_SRTP"))
			return "unencrypted or unauthenticated SRTP not supported";
		if (tok.l >= 4 && !memcmp(tok.p, "KDR=", 4))
			return "crypto key derivation rate not supported";
	}
	return NULL;
}

static int crypto_fail(struct sdp_crypto *c, const char *why)
{
	c->error = why;
	return EBADMSG;
}

int sdp_crypto_parse(struct sdp_crypto *c, struct pl v)
{
	struct pl tag, keyparams, kp;
	struct sr_key tmp;
	const char *semi, *why = NULL;
	uint64_t t;
	int err;

	memset(c, 0, sizeof(*c));
	c->suite = SR_SUITE_COUNT;
	if (v.l >= 2 && !memcmp(v.p, "a=", 2))
		v = pl_from(v.p + 2, v.l - 2);
	if (v.l >= 7 && !memcmp(v.p, "crypto:", 7))
		v = pl_from(v.p + 7, v.l - 7);

	if (!sdp_token(&v, &tag) || tag.l > 9 || sdp_u64(tag, &t))
		return crypto_fail(c, "bad crypto tag");
	c->tag = (uint32_t)t;
	if (!sdp_token(&v, &c->suite_name) || !sdp_token(&v, &keyparams))
		return crypto_fail(c, "crypto line incomplete");
	c->params = pl_trim(v);

	/* key-params = key-param *(";" key-param); only the first is used. */
	semi = pl_chr(keyparams, ';');
	kp = semi ? pl_from(keyparams.p, (size_t)(semi - keyparams.p)) : keyparams;
	c->multi_key = semi != NULL;
	if (kp.l < 7 || !pl_caseeq(pl_from(kp.p, 7), PL("inline:")))
		return crypto_fail(c, "crypto key method not inline");
	c->key_info = pl_from(kp.p + 7, kp.l - 7);
	if (c->key_info.l == 0)
		return crypto_fail(c, "crypto key missing");

	if (sdp_suite_by_name(c->suite_name, &c->suite)) {
		c->suite = SR_SUITE_COUNT;
		return crypto_fail(c, "unknown crypto suite");
	}
	why = params_check(c->params);
	if (why)
		return crypto_fail(c, why);
	err = key_info_decode(c->suite, c->key_info, &tmp, &why);
	OPENSSL_cleanse(&tmp, sizeof(tmp));
	if (err)
		return crypto_fail(c, why);
	return 0;
}

int sdp_crypto_key(const struct sdp_crypto *c, struct sr_key *out)
{
	struct sr_key tmp;
	const char *why;
	int err;

	if (!c || !out || c->error)
		return EINVAL;
	err = key_info_decode(c->suite, c->key_info, &tmp, &why);
	if (!err)
		*out = tmp;
	OPENSSL_cleanse(&tmp, sizeof(tmp));
	return err;
}

int sdp_crypto_generate(enum sr_suite suite, uint32_t tag, struct sdp_key *out)
{
	const struct sdp_suite *st = sdp_suite_get(suite);
	struct sdp_key k;
	int err;

	if (!st || !out || tag > 999999999u)
		return EINVAL;
	memset(&k, 0, sizeof(k));
	k.tag = tag;
	k.key.suite = suite;
	err = rand_bytes(k.key.key, st->key_len);
	if (!err)
		err = rand_bytes(k.key.salt, st->salt_len);
	if (!err)
		*out = k;
	OPENSSL_cleanse(&k, sizeof(k));
	return err;
}

int sdp_crypto_format(struct mbuf *mb, const struct sdp_key *k)
{
	const struct sdp_suite *st;
	uint8_t ks[SDP_KEYSALT_MAX];
	char b64[SDP_B64_MAX + 1];
	char line[256];
	size_t n = 0;
	int len, err;

	if (!mb || !k || !(st = sdp_suite_get(k->key.suite)) || k->tag > 999999999u ||
	    k->key.mki_len > SR_MAX_MKI)
		return EINVAL;
	memcpy(ks, k->key.key, st->key_len);
	memcpy(ks + st->key_len, k->key.salt, st->salt_len);
	sdp_b64_encode(ks, (size_t)st->key_len + st->salt_len, b64);
	OPENSSL_cleanse(ks, sizeof(ks));

	len = snprintf(line, sizeof(line), "a=crypto:%u %s inline:%s", (unsigned)k->tag, st->name,
	               b64);
	n = (size_t)len;
	if (k->key.lifetime) {
		uint64_t lt = k->key.lifetime;
		if ((lt & (lt - 1)) == 0)
			len = snprintf(line + n, sizeof(line) - n, "|2^%d", __builtin_ctzll(lt));
		else
			len = snprintf(line + n, sizeof(line) - n, "|%llu", (unsigned long long)lt);
		n += (size_t)len;
	}
	if (k->key.mki_len) {
		uint64_t v = 0;
		for (size_t i = 0; i < k->key.mki_len; i++)
			v = v << 8 | k->key.mki[i];
		len = snprintf(line + n, sizeof(line) - n, "|%llu:%zu", (unsigned long long)v,
		               k->key.mki_len);
		n += (size_t)len;
	}
	line[n++] = '\r';
	line[n++] = '\n';
	err = mbuf_write(mb, line, n);
	OPENSSL_cleanse(b64, sizeof(b64));
	OPENSSL_cleanse(line, sizeof(line));
	return err;
}

void sdp_key_wipe(struct sdp_key *k)
{
	if (k)
		OPENSSL_cleanse(k, sizeof(*k));
}

void sdp_keys_wipe(struct sdp_keys *ks)
{
	if (ks)
		OPENSSL_cleanse(ks, sizeof(*ks));
}

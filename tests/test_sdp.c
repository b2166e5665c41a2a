/* Unit tests for src/sdp: parsing (RFC 8866) of the vectors in tests/vectors/sdp/ (RFC 4568 8.1
 * offer and answer, RFC 3264 10.1, RFC 3605 2.1, a baresip SDES offer, legacy hold, RFC 8643
 * opportunistic SRTP, a browser DTLS offer, T.38, IPv6 with LF line ends), a=crypto lines in
 * RFC 4568 / RFC 6188 / RFC 7714 form (key lengths per suite, base64, lifetime, MKI, session
 * parameters), suite selection, key offer and answer matching, direction answers, hold, RTCP,
 * parse -> build -> parse round trips, a full B2BUA offer/answer, malformed input, and a
 * mutation pass that feeds every accepted mutant back through the builder. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mbuf.h"
#include "harness.h"
#include "sdp/sdp.h"

#define VEC_DIR "tests/vectors/sdp"

static struct sdp sdp1, sdp2, sdp3;
static struct mbuf mb;

struct vec {
	char *data;
	size_t len;
};

static int read_path(const char *path, struct vec *v)
{
	FILE *f = fopen(path, "rb");
	long n;

	v->data = NULL;
	if (!f)
		return errno;
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		fclose(f);
		return EIO;
	}
	/* exactly n bytes: ASan catches any read past the text */
	v->data = malloc(n ? (size_t)n : 1);
	if (!v->data || fread(v->data, 1, (size_t)n, f) != (size_t)n) {
		free(v->data);
		v->data = NULL;
		fclose(f);
		return EIO;
	}
	v->len = (size_t)n;
	fclose(f);
	return 0;
}

static int load(const char *name, struct vec *v)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s.sdp", VEC_DIR, name);
	return read_path(path, v);
}

static int parse_str(struct sdp *s, const char *text) { return sdp_parse(s, text, strlen(text)); }

static bool key_eq(const struct sr_key *a, const struct sr_key *b)
{
	return a->suite == b->suite && !memcmp(a->key, b->key, sizeof(a->key)) &&
	       !memcmp(a->salt, b->salt, sizeof(a->salt)) && a->mki_len == b->mki_len &&
	       !memcmp(a->mki, b->mki, sizeof(a->mki)) && a->lifetime == b->lifetime;
}

static size_t count_str(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* --- RFC 4568 8.1 --- */

static void rfc4568_offer(void)
{
	struct vec v;
	const struct sdp_media *m;
	const struct sdp_crypto *c;
	struct sr_key k;
	static const uint8_t mki[4] = {0, 0, 0, 1};

	REQUIRE(load("rfc4568_offer", &v) == 0);
	CHECK_EQ_INT(sdp_parse(&sdp1, v.data, v.len), 0);
	CHECK_PL(sdp1.origin_user, "sam");
	CHECK_PL(sdp1.sess_id, "2890844526");
	CHECK_PL(sdp1.sess_version, "2890842807");
	CHECK_PL(sdp1.name, "SRTP Discussion");
	REQUIRE(sdp1.nmedia == 1);
	m = &sdp1.media[0];
	CHECK_PL(m->type, "audio");
	CHECK_EQ_INT(m->port, 49170);
	CHECK(m->proto == SDP_PROTO_RTP_SAVP);
	CHECK_EQ_INT(m->nfmt, 1);
	CHECK_EQ_INT(m->pt[0], 0);
	CHECK_PL(m->conn.addr, "168.2.17.12");
	CHECK(m->dir == SDP_SENDRECV);
	CHECK(sdp_media_srtp(m) == SDP_SRTP_MANDATORY);
	REQUIRE(m->ncrypto == 2);

	c = &m->crypto[0];
	CHECK(c->error == NULL);
	CHECK_EQ_INT(c->tag, 1);
	CHECK(c->suite == SR_AES_CM_128_HMAC_SHA1_80);
	CHECK_PL(c->params, "FEC_ORDER=FEC_SRTP");
	CHECK(!c->multi_key);
	REQUIRE(sdp_crypto_key(c, &k) == 0);
	CHECK(k.suite == SR_AES_CM_128_HMAC_SHA1_80);
	CHECK(!memcmp(k.key, "YS___semctl () {", 16));
	CHECK(!memcmp(k.salt, "\t220;}\n}\nunles", 14));
	CHECK(k.lifetime == (uint64_t)1 << 20);
	CHECK_EQ_INT(k.mki_len, 4);
	CHECK(!memcmp(k.mki, mki, 4));

	/* F8 is not ours: skipped, not fatal; two inline keys: flagged */
	c = &m->crypto[1];
	CHECK_EQ_INT(c->tag, 2);
	CHECK(c->error && !strcmp(c->error, "unknown crypto suite"));
	CHECK(c->multi_key);
	CHECK_PL(c->suite_name, "F8_128_HMAC_SHA1_80");
	CHECK_EQ_INT(sdp_crypto_key(c, &k), EINVAL);

	REQUIRE(sdp_crypto_select(m, SDP_SUITES_ALL, &c) == 0);
	CHECK(c == &m->crypto[0]);
	CHECK_EQ_INT(sdp_crypto_select(m, SDP_SUITE_BIT(SR_AES_CM_128_HMAC_SHA1_32), &c), ENOENT);
	sdp_key_wipe(NULL);
	free(v.data);
}

static void rfc4568_answer(void)
{
	struct vec vo, va;
	struct sdp_keys ks;
	struct sr_key tx, rx, want;

	REQUIRE(load("rfc4568_offer", &vo) == 0);
	REQUIRE(load("rfc4568_answer", &va) == 0);
	REQUIRE(sdp_parse(&sdp1, vo.data, vo.len) == 0);
	REQUIRE(sdp_parse(&sdp2, va.data, va.len) == 0);
	CHECK_PL(sdp2.sess_version, "8070842634");
	CHECK_EQ_INT(sdp2.media[0].port, 32640);
	CHECK_PL(sdp2.media[0].conn.addr, "168.2.17.11");

	/* as if we had offered the RFC's key with tag 1 */
	memset(&ks, 0, sizeof(ks));
	ks.n = 1;
	ks.key[0].tag = 1;
	REQUIRE(sdp_crypto_key(&sdp1.media[0].crypto[0], &ks.key[0].key) == 0);
	REQUIRE(sdp_crypto_key(&sdp2.media[0].crypto[0], &want) == 0);
	CHECK(want.lifetime == (uint64_t)1 << 20);
	CHECK_EQ_INT(want.mki_len, 4);

	REQUIRE(sdp_keys_match(&ks, &sdp2.media[0], &tx, &rx) == 0);
	CHECK(key_eq(&tx, &ks.key[0].key));
	CHECK(key_eq(&rx, &want));
	CHECK(!key_eq(&tx, &rx));

	/* a tag we never offered, or the suite changed under our tag */
	ks.key[0].tag = 2;
	CHECK_EQ_INT(sdp_keys_match(&ks, &sdp2.media[0], &tx, &rx), EPROTO);
	ks.key[0].tag = 1;
	ks.key[0].key.suite = SR_AES_CM_128_HMAC_SHA1_32;
	CHECK_EQ_INT(sdp_keys_match(&ks, &sdp2.media[0], &tx, &rx), EPROTO);
	/* the offer itself has two lines: not a valid answer */
	ks.key[0].key.suite = SR_AES_CM_128_HMAC_SHA1_80;
	CHECK_EQ_INT(sdp_keys_match(&ks, &sdp1.media[0], &tx, &rx), EPROTO);
	sdp_keys_wipe(&ks);
	CHECK_EQ_INT(ks.n, 0);
	free(vo.data);
	free(va.data);
}

/* --- single a=crypto lines (RFC 4568 9.1, RFC 6188 5, RFC 7714 14.2) --- */

#define K30 "Qj26JaKBbofmeWWO4mE5heA3gmI4OzuT92b+M6NF"
#define K46 "QuMwQJUFI3xiZyDI3ezDbB21bZQIN6rZciPgADHTSeLzYuqd1RRkgP36Iu9CFg=="
#define K28 "Soshbg3rvXgEKdl8bCLj4Gmt+0tTIMuajJLS7A=="
#define K44 "aRQ9Xtn0lSKbUZ+6TvDd62kw7DiC+dDL3MYrs9gNljdxDWkRMjiQ7Y8Kmnk="

static void crypto_lines(void)
{
	static const struct {
		const char *line;
		const char *error; /* NULL: usable */
		enum sr_suite suite;
		const char *b64; /* canonical base64 sdp_crypto_format writes back */
	} t[] = {
	    {"1 AES_CM_128_HMAC_SHA1_80 inline:" K30, NULL, SR_AES_CM_128_HMAC_SHA1_80, K30},
	    {"2 AES_CM_128_HMAC_SHA1_32 inline:" K30, NULL, SR_AES_CM_128_HMAC_SHA1_32, K30},
	    {"3 AES_256_CM_HMAC_SHA1_80 inline:" K46, NULL, SR_AES_256_CM_HMAC_SHA1_80, K46},
	    {"4 AEAD_AES_128_GCM inline:" K28, NULL, SR_AEAD_AES_128_GCM, K28},
	    {"5 AEAD_AES_256_GCM inline:" K44, NULL, SR_AEAD_AES_256_GCM, K44},
	    /* padding is optional */
	    {"6 AEAD_AES_128_GCM inline:Soshbg3rvXgEKdl8bCLj4Gmt+0tTIMuajJLS7A", NULL,
	     SR_AEAD_AES_128_GCM, K28},
	    {"7 AES_256_CM_HMAC_SHA1_80 "
	     "inline:QuMwQJUFI3xiZyDI3ezDbB21bZQIN6rZciPgADHTSeLzYuqd1RRkgP36Iu9CFg",
	     NULL, SR_AES_256_CM_HMAC_SHA1_80, K46},
	    /* prefix, spacing, key method case, ignorable session parameters */
	    {"a=crypto:8  AES_CM_128_HMAC_SHA1_80\tINLINE:" K30 "  WSH=64 FEC_ORDER=SRTP_FEC", NULL,
	     SR_AES_CM_128_HMAC_SHA1_80, K30},
	    {"crypto:999999999 AEAD_AES_256_GCM inline:" K44, NULL, SR_AEAD_AES_256_GCM, K44},
	    /* key lengths per suite */
	    {.line = "1 AES_256_CM_HMAC_SHA1_80 inline:" K30,
	     .error = "wrong crypto key length for the suite"},
	    {.line = "1 AEAD_AES_128_GCM inline:" K30,
	     .error = "wrong crypto key length for the suite"},
	    {.line = "1 AES_CM_128_HMAC_SHA1_80 inline:" K28,
	     .error = "wrong crypto key length for the suite"},
	    {.line = "1 AEAD_AES_256_GCM inline:" K46,
	     .error = "wrong crypto key length for the suite"},
	    {.line = "1 AES_CM_128_HMAC_SHA1_80 inline:" K46,
	     .error = "wrong crypto key length for the suite"},
	    {.line = "1 AES_CM_128_HMAC_SHA1_80 inline:QUJD",
	     .error = "wrong crypto key length for the suite"},
	    /* base64 */
	    {.line = "1 AES_CM_128_HMAC_SHA1_80 inline:Qj26JaKBbofmeWWO4mE5heA3gmI4OzuT92b+M6N!",
	     .error = "bad crypto key base64"},
	    {.line = "1 AES_CM_128_HMAC_SHA1_80 inline:Qj26JaKBbofmeWWO4mE5heA3gmI4OzuT92b+M6NFx",
	     .error = "bad crypto key base64"},
	    {.line = "1 AES_CM_128_HMAC_SHA1_80 inline:Qj26=aKBbofmeWWO4mE5heA3gmI4OzuT92b+M6NF",
	     .error = "bad crypto key base64"},
	    {.line = "1 AES_CM_128_HMAC_SHA1_80 inline:Qj26JaKBbofmeWWO4mE5heA3gmI4OzuT92b+M6N=",
	     .error = "wrong crypto key length for the suite"},
	    {.line = "1 AEAD_AES_128_GCM inline:Soshbg3rvXgEKdl8bCLj4Gmt+0tTIMuajJLS7A=",
	     .error = "bad crypto key base64"},
	    {.line = "1 AES_CM_128_HMAC_SHA1_80 inline:|2^20", .error = "bad crypto key base64"},
	    {.line = "1 AES_CM_128_HMAC_SHA1_80 inline:", .error = "crypto key missing"},
	    /* suites: registered names only, case-sensitive */
	    {.line = "1 AES_192_CM_HMAC_SHA1_80 inline:" K30, .error = "unknown crypto suite"},
	    {.line = "1 aes_cm_128_hmac_sha1_80 inline:" K30, .error = "unknown crypto suite"},
	    {.line = "1 AES_CM_256_HMAC_SHA1_80 inline:" K46, .error = "unknown crypto suite"},
	    /* structure */
	    {.line = "1 AES_CM_128_HMAC_SHA1_80 uri:sip:keys@example.com",
	     .error = "crypto key method not inline"},
	    {.line = "x AES_CM_128_HMAC_SHA1_80 inline:" K30, .error = "bad crypto tag"},
	    {.line = "1234567890 AES_CM_128_HMAC_SHA1_80 inline:" K30, .error = "bad crypto tag"},
	    {.line = "-1 AES_CM_128_HMAC_SHA1_80 inline:" K30, .error = "bad crypto tag"},
	    {.line = "1 AES_CM_128_HMAC_SHA1_80", .error = "crypto line incomplete"},
	    {.line = "", .error = "bad crypto tag"},
	    /* session parameters we cannot honour */
	    {.line = "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 " UNENCRYPTED_SRTP",
	     .error = "unencrypted or unauthenticated SRTP not supported"},
	    {.line = "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 " UNENCRYPTED_SRTCP",
	     .error = "unencrypted or unauthenticated SRTP not supported"},
	    {.line = "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 " WSH=64 UNAUTHENTICATED_SRTP",
	     .error = "unencrypted or unauthenticated SRTP not supported"},
	    {.line = "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 " KDR=10",
	     .error = "crypto key derivation rate not supported"},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct sdp_crypto c;
		struct sr_key k;
		int err = sdp_crypto_parse(&c, pl_from(t[i].line, strlen(t[i].line)));

		if (t[i].error) {
			if (err != EBADMSG || !c.error || strcmp(c.error, t[i].error)) {
				fprintf(stderr, "case %zu '%s': got %d '%s'\n", i, t[i].line, err,
				        c.error ? c.error : "(none)");
				CHECK(0);
			}
			CHECK_EQ_INT(sdp_crypto_key(&c, &k), EINVAL);
			continue;
		}
		if (err || c.error) {
			fprintf(stderr, "case %zu '%s': %s\n", i, t[i].line, c.error);
			CHECK(0);
			continue;
		}
		CHECK(c.suite == t[i].suite);
		REQUIRE(sdp_crypto_key(&c, &k) == 0);
		CHECK(k.suite == t[i].suite);
		/* re-encode: the same base64 comes back */
		struct sdp_key sk = {.tag = c.tag, .key = k};
		char want[160];
		mbuf_reset(&mb);
		REQUIRE(sdp_crypto_format(&mb, &sk) == 0);
		snprintf(want, sizeof(want), "a=crypto:%u %s inline:%s\r\n", (unsigned)c.tag,
		         sdp_suite_name(t[i].suite), t[i].b64);
		if (strcmp(mb.buf, want)) {
			fprintf(stderr, "case %zu: formatted '%s'\n", i, mb.buf);
			CHECK(0);
		}
		sdp_key_wipe(&sk);
	}
	mbuf_reset(&mb);
}

static void lifetime_mki(void)
{
	static const struct {
		const char *suffix;
		const char *error;
		uint64_t lifetime;
		size_t mki_len;
		uint8_t mki[8];
		const char *formatted; /* suffix sdp_crypto_format writes back */
	} t[] = {
	    {"", NULL, 0, 0, {0}, ""},
	    {"|2^20", NULL, (uint64_t)1 << 20, 0, {0}, "|2^20"},
	    {"|2^31", NULL, (uint64_t)1 << 31, 0, {0}, "|2^31"},
	    {"|2^48", NULL, (uint64_t)1 << 48, 0, {0}, "|2^48"},
	    {"|2^63", NULL, (uint64_t)1 << 63, 0, {0}, "|2^63"},
	    {"|1048576", NULL, 1048576, 0, {0}, "|2^20"},
	    {"|1000", NULL, 1000, 0, {0}, "|1000"},
	    {"|1:4", NULL, 0, 4, {0, 0, 0, 1}, "|1:4"},
	    {"|2^20|1:4", NULL, (uint64_t)1 << 20, 4, {0, 0, 0, 1}, "|2^20|1:4"},
	    {"|2^20|1:1", NULL, (uint64_t)1 << 20, 1, {1}, "|2^20|1:1"},
	    {"|255:1", NULL, 0, 1, {0xff}, "|255:1"},
	    {"|258:2", NULL, 0, 2, {1, 2}, "|258:2"},
	    {"|18446744073709551615:8",
	     NULL,
	     0,
	     8,
	     {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
	     "|18446744073709551615:8"},
	    {.suffix = "|2^64", .error = "bad crypto lifetime"},
	    {.suffix = "|2^", .error = "bad crypto lifetime"},
	    {.suffix = "|0", .error = "bad crypto lifetime"},
	    {.suffix = "|x", .error = "bad crypto lifetime"},
	    {.suffix = "|", .error = "bad crypto lifetime"},
	    {.suffix = "|-5", .error = "bad crypto lifetime"},
	    {.suffix = "|256:1", .error = "crypto MKI value does not fit its length"},
	    {.suffix = "|65536:2", .error = "crypto MKI value does not fit its length"},
	    {.suffix = "|1:9", .error = "crypto MKI longer than 8 octets not supported"},
	    {.suffix = "|1:32",
	     .error = "crypto MKI longer than 8 octets not supported"}, /* RFC 4568 4 example */
	    {.suffix = "|1:128", .error = "crypto MKI longer than 8 octets not supported"},
	    {.suffix = "|1:0", .error = "bad crypto MKI"},
	    {.suffix = "|1:1000", .error = "bad crypto MKI"},
	    {.suffix = "|:4", .error = "bad crypto MKI"},
	    {.suffix = "|1:", .error = "bad crypto MKI"},
	    {.suffix = "|a:4", .error = "bad crypto MKI"},
	    {.suffix = "|1:4|2^20", .error = "bad crypto key parameters"},
	    {.suffix = "|2^20|2^20", .error = "bad crypto key parameters"},
	    {.suffix = "|2^20|1:4|5", .error = "bad crypto key parameters"},
	    {.suffix = "|1:4|1:4", .error = "bad crypto key parameters"},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char line[200];
		struct sdp_crypto c;
		struct sr_key k;
		int err;

		snprintf(line, sizeof(line), "7 AES_CM_128_HMAC_SHA1_80 inline:%s%s", K30,
		         t[i].suffix);
		err = sdp_crypto_parse(&c, pl_from(line, strlen(line)));
		if (t[i].error) {
			if (err != EBADMSG || !c.error || strcmp(c.error, t[i].error)) {
				fprintf(stderr, "case %zu '%s': got '%s'\n", i, t[i].suffix,
				        c.error ? c.error : "(none)");
				CHECK(0);
			}
			continue;
		}
		if (err) {
			fprintf(stderr, "case %zu '%s': %s\n", i, t[i].suffix, c.error);
			CHECK(0);
			continue;
		}
		REQUIRE(sdp_crypto_key(&c, &k) == 0);
		CHECK(k.lifetime == t[i].lifetime);
		CHECK_EQ_INT(k.mki_len, t[i].mki_len);
		CHECK(!memcmp(k.mki, t[i].mki, t[i].mki_len));

		struct sdp_key sk = {.tag = 7, .key = k};
		char want[200];
		mbuf_reset(&mb);
		REQUIRE(sdp_crypto_format(&mb, &sk) == 0);
		snprintf(want, sizeof(want), "a=crypto:7 AES_CM_128_HMAC_SHA1_80 inline:%s%s\r\n",
		         K30, t[i].formatted);
		if (strcmp(mb.buf, want)) {
			fprintf(stderr, "case %zu: formatted '%s'\n", i, mb.buf);
			CHECK(0);
		}
	}
	mbuf_reset(&mb);
}

static void generate_format(void)
{
	struct sdp_key a, b;
	struct sdp_crypto c;
	struct sr_key k;
	static const uint8_t zero[SR_MAX_KEY];

	for (size_t i = 0; i < SR_SUITE_COUNT; i++) {
		enum sr_suite s = sdp_suite_pref(i);
		REQUIRE(sdp_crypto_generate(s, (uint32_t)i + 1, &a) == 0);
		REQUIRE(sdp_crypto_generate(s, (uint32_t)i + 1, &b) == 0);
		CHECK(a.key.suite == s);
		CHECK_EQ_INT(a.tag, i + 1);
		CHECK(memcmp(a.key.key, b.key.key, sizeof(a.key.key)));
		CHECK(memcmp(a.key.key, zero, 16));
		CHECK(a.key.lifetime == 0 && a.key.mki_len == 0);
		mbuf_reset(&mb);
		REQUIRE(sdp_crypto_format(&mb, &a) == 0);
		CHECK(mb.len > 2 && !memcmp(mb.buf + mb.len - 2, "\r\n", 2));
		REQUIRE(sdp_crypto_parse(&c, pl_from(mb.buf, mb.len - 2)) == 0);
		CHECK_EQ_INT(c.tag, i + 1);
		REQUIRE(sdp_crypto_key(&c, &k) == 0);
		CHECK(key_eq(&k, &a.key));
	}
	CHECK_EQ_INT(sdp_crypto_generate(SR_SUITE_COUNT, 1, &a), EINVAL);
	CHECK_EQ_INT(sdp_crypto_generate(SR_AEAD_AES_128_GCM, 1000000000u, &a), EINVAL);
	a.key.suite = SR_SUITE_COUNT;
	CHECK_EQ_INT(sdp_crypto_format(&mb, &a), EINVAL);
	sdp_key_wipe(&a);
	CHECK(!memcmp(a.key.key, zero, sizeof(a.key.key)));

	/* names and preference */
	enum sr_suite s;
	CHECK_EQ_INT(sdp_suite_by_name(PL("AEAD_AES_256_GCM"), &s), 0);
	CHECK(s == SR_AEAD_AES_256_GCM);
	CHECK_EQ_INT(sdp_suite_by_name(PL("AES_CM_128_HMAC_SHA1_3"), &s), ENOENT);
	CHECK(!strcmp(sdp_suite_name(SR_AES_256_CM_HMAC_SHA1_80), "AES_256_CM_HMAC_SHA1_80"));
	CHECK(!strcmp(sdp_suite_name(SR_SUITE_COUNT), ""));
	CHECK(sdp_suite_pref(0) == SR_AEAD_AES_256_GCM);
	CHECK(sdp_suite_pref(1) == SR_AEAD_AES_128_GCM);
	CHECK(sdp_suite_pref(2) == SR_AES_256_CM_HMAC_SHA1_80);
	CHECK(sdp_suite_pref(3) == SR_AES_CM_128_HMAC_SHA1_80);
	CHECK(sdp_suite_pref(4) == SR_AES_CM_128_HMAC_SHA1_32);
	CHECK(sdp_suite_pref(5) == SR_SUITE_COUNT);
	mbuf_reset(&mb);
}

/* --- a real phone --- */

static void baresip_offer(void)
{
	struct vec v;
	const struct sdp_media *m;
	const struct sdp_crypto *c;
	const struct sdp_attr *a;
	struct sdp_rtpmap rm;
	static const uint8_t pts[] = {96, 9, 0, 8, 101};

	REQUIRE(load("baresip_savp", &v) == 0);
	REQUIRE(sdp_parse(&sdp1, v.data, v.len) == 0);
	CHECK_PL(sdp1.origin_user, "-");
	CHECK_EQ_INT(sdp1.nattr, 1);
	CHECK_PL(sdp1.attrs[0].name, "tool");
	CHECK_PL(sdp1.attrs[0].value, "baresip 3.14.0");
	REQUIRE(sdp1.nmedia == 1);
	m = &sdp1.media[0];
	CHECK_EQ_INT(m->port, 11730);
	CHECK(m->proto == SDP_PROTO_RTP_SAVP);
	CHECK_EQ_INT(m->nfmt, 5);
	CHECK(!memcmp(m->pt, pts, sizeof(pts)));
	CHECK_PL(m->fmts[4], "101");
	CHECK_EQ_INT(m->nbw, 1);
	CHECK_PL(m->bw[0], "AS:111");
	CHECK(m->rtcp_mux);
	CHECK_EQ_INT(m->rtcp_port, 0);
	CHECK(m->dir == SDP_SENDRECV);
	CHECK_EQ_INT(m->ptime, 20);
	CHECK(!m->fingerprint);
	CHECK_PL(m->conn.addr, "198.51.100.5");
	CHECK(!m->conn.ipv6);
	REQUIRE(m->ncrypto == 5);
	for (size_t i = 0; i < 5; i++) {
		CHECK(m->crypto[i].error == NULL);
		CHECK_EQ_INT(m->crypto[i].tag, i + 1);
	}

	REQUIRE(sdp_media_rtpmap(m, 101, &rm) == 0);
	CHECK_PL(rm.name, "telephone-event");
	CHECK_EQ_INT(rm.clock, 8000);
	CHECK(!pl_isset(rm.params));
	REQUIRE(sdp_media_rtpmap(m, 96, &rm) == 0);
	CHECK_PL(rm.name, "opus");
	CHECK_EQ_INT(rm.clock, 48000);
	CHECK_PL(rm.params, "2");
	REQUIRE(sdp_media_rtpmap(m, 0, &rm) == 0);
	CHECK_PL(rm.name, "PCMU");
	CHECK_EQ_INT(sdp_media_rtpmap(m, 97, &rm), ENOENT);
	CHECK_PL(sdp_media_fmtp(m, 101), "0-15");
	CHECK_PL(sdp_media_fmtp(m, 96), "stereo=1;sprop-stereo=1");
	CHECK(!pl_isset(sdp_media_fmtp(m, 0)));
	a = sdp_media_attr(m, "SSRC", NULL);
	REQUIRE(a);
	CHECK_PL(a->value, "1838617094 cname:39f32e0f-6e43-4b0c-9f86-8c1e6fbe2a51");
	CHECK(sdp_media_attr(m, "ssrc", a) == NULL);
	a = sdp_media_attr(m, "rtcp-rsize", NULL);
	REQUIRE(a);
	CHECK(!pl_isset(a->value));
	CHECK(a->id == SDP_ATTR_OTHER);

	/* strongest we support wins, whatever the offerer's order */
	REQUIRE(sdp_crypto_select(m, SDP_SUITES_ALL, &c) == 0);
	CHECK_EQ_INT(c->tag, 3);
	REQUIRE(sdp_crypto_select(m,
	                          SDP_SUITES_ALL & ~SDP_SUITE_BIT(SR_AEAD_AES_256_GCM) &
	                              ~SDP_SUITE_BIT(SR_AEAD_AES_128_GCM),
	                          &c) == 0);
	CHECK_EQ_INT(c->tag, 5);
	REQUIRE(sdp_crypto_select(m, SDP_SUITE_BIT(SR_AES_CM_128_HMAC_SHA1_32), &c) == 0);
	CHECK_EQ_INT(c->tag, 2);
	CHECK(!sdp_media_held(m));
	free(v.data);
}

static void selection_order(void)
{
	static const char text[] =
	    "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
	    "m=audio 5000 RTP/SAVP 0\r\n"
	    /* strongest first but broken: skipped */
	    "a=crypto:60 AEAD_AES_256_GCM inline:" K30 "\r\n"
	    "a=crypto:10 AES_CM_128_HMAC_SHA1_32 inline:" K30 "\r\n"
	    "a=crypto:20 AES_CM_128_HMAC_SHA1_80 inline:" K30 "\r\n"
	    "a=crypto:70 SEED_128_GCM_96 inline:" K30 "\r\n"
	    "a=crypto:30 AES_256_CM_HMAC_SHA1_80 inline:" K46 "\r\n"
	    "a=crypto:40 AEAD_AES_128_GCM inline:" K28 "\r\n"
	    "a=crypto:40 AEAD_AES_128_GCM inline:" K28 "\r\n"
	    "a=crypto:50 AEAD_AES_256_GCM inline:" K44 "\r\n"
	    "a=crypto:51 AEAD_AES_256_GCM inline:" K44 "\r\n";
	static const uint32_t expect_tags[SR_SUITE_COUNT] = {50, 40, 30, 20, 10};
	const struct sdp_crypto *c;
	const struct sdp_media *m;
	uint32_t mask = SDP_SUITES_ALL;

	REQUIRE(parse_str(&sdp1, text) == 0);
	m = &sdp1.media[0];
	REQUIRE(m->ncrypto == 8);
	CHECK(!strcmp(m->crypto[0].error, "wrong crypto key length for the suite"));
	CHECK(!strcmp(m->crypto[3].error, "unknown crypto suite"));
	CHECK(m->crypto[5].error == NULL);
	CHECK(!strcmp(m->crypto[6].error, "duplicate crypto tag"));
	CHECK(m->crypto[7].error == NULL);
	/* nine lines, SDP_MAX_CRYPTO kept: the ninth stays an attribute, never selected */
	size_t nattr = 0;
	for (const struct sdp_attr *a = NULL; (a = sdp_media_attr(m, "crypto", a));)
		nattr++;
	CHECK_EQ_INT(nattr, 9);

	for (size_t i = 0; i < SR_SUITE_COUNT; i++) {
		REQUIRE(sdp_crypto_select(m, mask, &c) == 0);
		CHECK_EQ_INT(c->tag, expect_tags[i]);
		CHECK(c->suite == sdp_suite_pref(i));
		mask &= ~SDP_SUITE_BIT(sdp_suite_pref(i));
	}
	CHECK_EQ_INT(sdp_crypto_select(m, mask, &c), ENOENT);
	CHECK_EQ_INT(sdp_crypto_select(m, 0, &c), ENOENT);
}

static void answer_and_offer_keys(void)
{
	struct vec v;
	struct sdp_key tx1, tx2;
	struct sr_key rx, want;
	struct sdp_keys ks;

	REQUIRE(load("baresip_savp", &v) == 0);
	REQUIRE(sdp_parse(&sdp1, v.data, v.len) == 0);
	REQUIRE(sdp_crypto_answer(&sdp1.media[0], SDP_SUITES_ALL, &tx1, &rx) == 0);
	CHECK_EQ_INT(tx1.tag, 3);
	CHECK(tx1.key.suite == SR_AEAD_AES_256_GCM);
	REQUIRE(sdp_crypto_key(&sdp1.media[0].crypto[2], &want) == 0);
	CHECK(key_eq(&rx, &want));
	CHECK(memcmp(tx1.key.key, rx.key, 32));
	REQUIRE(sdp_crypto_answer(&sdp1.media[0], SDP_SUITES_ALL, &tx2, &rx) == 0);
	CHECK(memcmp(tx1.key.key, tx2.key.key, 32)); /* fresh every time */
	CHECK_EQ_INT(sdp_crypto_answer(&sdp1.media[0], 0, &tx2, &rx), ENOENT);

	REQUIRE(sdp_keys_offer(&ks, SDP_SUITES_ALL) == 0);
	REQUIRE(ks.n == SR_SUITE_COUNT);
	for (size_t i = 0; i < ks.n; i++) {
		CHECK_EQ_INT(ks.key[i].tag, i + 1);
		CHECK(ks.key[i].key.suite == sdp_suite_pref(i));
		for (size_t j = 0; j < i; j++)
			CHECK(memcmp(ks.key[i].key.key, ks.key[j].key.key, 16));
	}
	REQUIRE(sdp_keys_offer(&ks, SDP_SUITE_BIT(SR_AES_CM_128_HMAC_SHA1_32) |
	                                SDP_SUITE_BIT(SR_AEAD_AES_128_GCM)) == 0);
	CHECK_EQ_INT(ks.n, 2);
	CHECK(ks.key[0].key.suite == SR_AEAD_AES_128_GCM);
	CHECK(ks.key[1].key.suite == SR_AES_CM_128_HMAC_SHA1_32);
	CHECK_EQ_INT(ks.key[1].tag, 2);
	CHECK_EQ_INT(sdp_keys_offer(&ks, 0), EINVAL);
	CHECK_EQ_INT(ks.n, 2); /* untouched on failure */
	sdp_keys_wipe(&ks);
	sdp_key_wipe(&tx1);
	sdp_key_wipe(&tx2);
	free(v.data);
}

/* --- building --- */

static void desc_from(struct sdp_desc *d, const struct sdp *s, const char *addr)
{
	memset(d, 0, sizeof(*d));
	d->origin.id = 4242;
	d->origin.version = 7;
	d->addr = addr;
	d->nmedia = s->nmedia;
	for (size_t i = 0; i < s->nmedia; i++) {
		d->media[i].from = &s->media[i];
		d->media[i].port = s->media[i].port;
		d->media[i].proto = s->media[i].proto;
		d->media[i].dir = s->media[i].dir;
	}
}

static void roundtrip(void)
{
	struct vec v;
	struct sdp_desc d;
	struct sdp_keys ks;
	struct sdp_origin o;
	const struct sdp_media *m;
	char idbuf[32];
	char *first;

	REQUIRE(load("baresip_savp", &v) == 0);
	REQUIRE(sdp_parse(&sdp1, v.data, v.len) == 0);
	REQUIRE(sdp_keys_offer(&ks, SDP_SUITES_ALL) == 0);
	REQUIRE(sdp_origin_init(&o) == 0);
	CHECK_EQ_INT(o.version, 1);
	CHECK(o.id < ((uint64_t)1 << 62));
	sdp_origin_bump(&o);
	CHECK_EQ_INT(o.version, 2);

	desc_from(&d, &sdp1, "203.0.113.5");
	d.origin = o;
	d.media[0].port = 40000;
	d.media[0].rtcp_port = 40001;
	d.media[0].rtcp_mux = true;
	d.media[0].keys = ks.key;
	d.media[0].nkeys = ks.n;
	mbuf_reset(&mb);
	REQUIRE(sdp_build(&mb, &d) == 0);
	CHECK(!strncmp(mb.buf, "v=0\r\no=- ", 9));
	CHECK(strstr(mb.buf, "\r\ns=-\r\nc=IN IP4 203.0.113.5\r\nt=0 0\r\n"));
	CHECK(strstr(mb.buf, "\r\nm=audio 40000 RTP/SAVP 96 9 0 8 101\r\nb=AS:111\r\n"));
	CHECK(!strstr(mb.buf, "\n\n") && !strstr(mb.buf, "\r\r"));
	CHECK(!strstr(mb.buf, K30) && !strstr(mb.buf, "tool:"));
	CHECK_EQ_INT(count_str(mb.buf, "a=crypto:"), 5);
	CHECK_EQ_INT(count_str(mb.buf, "a=sendrecv"), 1);
	CHECK_EQ_INT(count_str(mb.buf, "a=rtcp-mux"), 1);
	CHECK_EQ_INT(count_str(mb.buf, "\r\n"), count_str(mb.buf, "\n"));

	first = strdup(mb.buf);
	REQUIRE(first);
	REQUIRE(sdp_parse(&sdp2, first, strlen(first)) == 0);
	snprintf(idbuf, sizeof(idbuf), "%llu", (unsigned long long)o.id);
	CHECK_PL(sdp2.sess_id, idbuf);
	CHECK_PL(sdp2.sess_version, "2");
	CHECK_PL(sdp2.origin_addr, "203.0.113.5");
	REQUIRE(sdp2.nmedia == 1);
	m = &sdp2.media[0];
	CHECK_EQ_INT(m->port, 40000);
	CHECK_EQ_INT(m->rtcp_port, 40001);
	CHECK(m->rtcp_mux);
	CHECK(m->dir == SDP_SENDRECV);
	CHECK_EQ_INT(m->ptime, 20);
	CHECK_EQ_INT(m->nfmt, 5);
	CHECK(!memcmp(m->pt, sdp1.media[0].pt, 5));
	CHECK_PL(sdp_media_fmtp(m, 96), "stereo=1;sprop-stereo=1");
	CHECK(sdp_media_attr(m, "label", NULL) && sdp_media_attr(m, "ssrc", NULL) &&
	      sdp_media_attr(m, "rtcp-rsize", NULL));
	CHECK_PL(m->bw[0], "AS:111");
	REQUIRE(m->ncrypto == 5);
	for (size_t i = 0; i < 5; i++) {
		struct sr_key k;
		CHECK_EQ_INT(m->crypto[i].tag, ks.key[i].tag);
		REQUIRE(sdp_crypto_key(&m->crypto[i], &k) == 0);
		CHECK(key_eq(&k, &ks.key[i].key));
	}

	/* build(parse(build(x))) == build(x) */
	d.media[0].from = m;
	mbuf_reset(&mb);
	REQUIRE(sdp_build(&mb, &d) == 0);
	CHECK(!strcmp(mb.buf, first));

	/* IPv6, a rejected stream, no keys, other direction, no rtcp line */
	d.addr = "2001:db8::5";
	d.media[0].port = 0;
	mbuf_reset(&mb);
	REQUIRE(sdp_build(&mb, &d) == 0);
	CHECK(strstr(mb.buf, " IN IP6 2001:db8::5\r\n"));
	CHECK(strstr(mb.buf, "c=IN IP6 2001:db8::5\r\n"));
	CHECK(strstr(mb.buf, "m=audio 0 RTP/SAVP 96 9 0 8 101\r\n"));
	CHECK(!strstr(mb.buf, "a="));
	REQUIRE(sdp_parse(&sdp3, mb.buf, mb.len) == 0);
	CHECK(sdp3.media[0].conn.ipv6);

	d.media[0].port = 40000;
	d.media[0].nkeys = 0;
	d.media[0].rtcp_port = 0;
	d.media[0].rtcp_mux = false;
	d.media[0].dir = SDP_RECVONLY;
	d.media[0].proto = SDP_PROTO_RTP_AVP;
	mbuf_reset(&mb);
	REQUIRE(sdp_build(&mb, &d) == 0);
	CHECK(!strstr(mb.buf, "a=crypto") && !strstr(mb.buf, "a=rtcp:") &&
	      !strstr(mb.buf, "a=rtcp-mux"));
	CHECK(strstr(mb.buf, "RTP/AVP 96") && strstr(mb.buf, "a=recvonly\r\n"));

	free(first);
	sdp_keys_wipe(&ks);
	free(v.data);
	mbuf_reset(&mb);
}

static void build_errors(void)
{
	struct sdp_desc d;
	struct sdp_key bad;

	REQUIRE(parse_str(&sdp1, "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 "
	                         "192.0.2.1\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n") == 0);
	mbuf_reset(&mb);
	mbuf_write_str(&mb, "keep");
	desc_from(&d, &sdp1, "not-an-ip");
	CHECK_EQ_INT(sdp_build(&mb, &d), EINVAL);
	d.addr = NULL;
	CHECK_EQ_INT(sdp_build(&mb, &d), EINVAL);
	d.addr = "192.0.2.9";
	d.nmedia = SDP_MAX_MEDIA + 1;
	CHECK_EQ_INT(sdp_build(&mb, &d), EINVAL);
	d.nmedia = 1;
	d.media[0].from = NULL;
	CHECK_EQ_INT(sdp_build(&mb, &d), EINVAL);
	d.media[0].from = &sdp1.media[0];
	d.media[0].nkeys = 1;
	CHECK_EQ_INT(sdp_build(&mb, &d), EINVAL); /* keys NULL */
	memset(&bad, 0, sizeof(bad));
	bad.key.suite = SR_SUITE_COUNT;
	d.media[0].keys = &bad;
	CHECK_EQ_INT(sdp_build(&mb, &d), EINVAL);
	bad.key.suite = SR_AES_CM_128_HMAC_SHA1_80;
	bad.key.mki_len = 9;
	CHECK_EQ_INT(sdp_build(&mb, &d), EINVAL);
	d.media[0].nkeys = 0;
	d.media[0].dir = (enum sdp_dir)4;
	CHECK_EQ_INT(sdp_build(&mb, &d), EINVAL);
	d.media[0].dir = SDP_SENDRECV;
	d.media[0].proto = SDP_PROTO__COUNT;
	CHECK_EQ_INT(sdp_build(&mb, &d), EINVAL);
	CHECK_EQ_INT(sdp_build(NULL, &d), EINVAL);
	CHECK_EQ_INT(sdp_build(&mb, NULL), EINVAL);
	d.media[0].proto = SDP_PROTO_RTP_AVP;
	mb.err = ENOMEM; /* an earlier allocation failure is sticky */
	CHECK_EQ_INT(sdp_build(&mb, &d), ENOMEM);
	mb.err = 0;
	CHECK(mb.len == 4 && !strcmp(mb.buf, "keep"));
	d.media[0].proto = SDP_PROTO_RTP_AVP;
	REQUIRE(sdp_build(&mb, &d) == 0);
	CHECK(!strncmp(mb.buf, "keepv=0\r\n", 9)); /* appends */
	mbuf_reset(&mb);
}

/* --- the whole B2BUA exchange --- */

static void b2bua_flow(void)
{
	struct vec va;
	struct sdp_keys ksB;
	struct sdp_key txA;
	struct sr_key rxA, txB, rxB, k;
	struct sdp_desc d;
	struct sdp_peer peer;
	char *offerB, ansB[1024];
	struct sdp_key bkey;

	/* 1. A offers */
	REQUIRE(load("baresip_savp", &va) == 0);
	REQUIRE(sdp_parse(&sdp1, va.data, va.len) == 0);
	const struct sdp_media *mA = &sdp1.media[0];
	CHECK(sdp_media_srtp(mA) == SDP_SRTP_MANDATORY);
	REQUIRE(sdp_crypto_answer(mA, SDP_SUITES_ALL, &txA, &rxA) == 0);

	/* 2. our own offer toward B: A's codecs, our port and keys */
	REQUIRE(sdp_keys_offer(&ksB, SDP_SUITES_ALL) == 0);
	desc_from(&d, &sdp1, "198.51.100.1");
	d.media[0].port = 30000;
	d.media[0].proto = sdp_proto_for(SDP_SRTP_MANDATORY, false);
	d.media[0].rtcp_port = 30001;
	d.media[0].rtcp_mux = true;
	d.media[0].keys = ksB.key;
	d.media[0].nkeys = ksB.n;
	mbuf_reset(&mb);
	REQUIRE(sdp_build(&mb, &d) == 0);
	offerB = strdup(mb.buf);
	REQUIRE(offerB);
	REQUIRE(sdp_parse(&sdp2, offerB, strlen(offerB)) == 0);
	CHECK_EQ_INT(sdp2.media[0].ncrypto, 5);

	/* B (an SDES phone) answers PCMU + telephone-event, AEAD_AES_128_GCM (our tag 2) */
	REQUIRE(sdp_crypto_answer(&sdp2.media[0], SDP_SUITE_BIT(SR_AEAD_AES_128_GCM), &bkey, &k) ==
	        0);
	CHECK_EQ_INT(bkey.tag, 2);
	CHECK(key_eq(&k, &ksB.key[1].key));
	mbuf_reset(&mb);
	REQUIRE(sdp_crypto_format(&mb, &bkey) == 0);
	snprintf(ansB, sizeof(ansB),
	         "v=0\r\no=bob 99 1 IN IP4 192.0.2.77\r\ns=-\r\nc=IN IP4 192.0.2.77\r\nt=0 0\r\n"
	         "m=audio 7078 RTP/SAVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
	         "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=rtcp-mux\r\n"
	         "a=sendrecv\r\n%s",
	         mb.buf);
	free(offerB);

	/* 3. B's answer: leg B keys */
	REQUIRE(parse_str(&sdp3, ansB) == 0);
	const struct sdp_media *mB = &sdp3.media[0];
	REQUIRE(sdp_keys_match(&ksB, mB, &txB, &rxB) == 0);
	CHECK(key_eq(&txB, &ksB.key[1].key));
	CHECK(key_eq(&rxB, &bkey.key));
	sdp_media_peer(mB, mB->rtcp_mux, &peer);
	CHECK_PL(peer.addr, "192.0.2.77");
	CHECK_EQ_INT(peer.rtp_port, 7078);
	CHECK_EQ_INT(peer.rtcp_port, 7078);
	CHECK(peer.rtcp_mux);

	/* 4. answer toward A: B's codecs, our A-side port, A's tag with our fresh key */
	desc_from(&d, &sdp3, "198.51.100.1");
	d.media[0].port = 30002;
	d.media[0].proto = mA->proto;
	d.media[0].dir = sdp_dir_answer(mA->dir, mB->dir);
	d.media[0].rtcp_mux = mA->rtcp_mux;
	d.media[0].keys = &txA;
	d.media[0].nkeys = 1;
	mbuf_reset(&mb);
	REQUIRE(sdp_build(&mb, &d) == 0);
	CHECK(strstr(mb.buf, "m=audio 30002 RTP/SAVP 0 101\r\n"));
	CHECK_EQ_INT(count_str(mb.buf, "a=crypto:"), 1);
	CHECK(strstr(mb.buf, "a=crypto:3 AEAD_AES_256_GCM inline:"));
	CHECK(strstr(mb.buf, "a=fmtp:101 0-15\r\n"));
	CHECK(strstr(mb.buf, "a=rtcp-mux\r\na=sendrecv\r\n"));
	CHECK(!strstr(mb.buf, "bob"));

	/* A, offerer of leg A, matches our answer against its own offered keys */
	struct sdp_keys ksA;
	memset(&ksA, 0, sizeof(ksA));
	for (size_t i = 0; i < mA->ncrypto; i++) {
		ksA.key[i].tag = mA->crypto[i].tag;
		REQUIRE(sdp_crypto_key(&mA->crypto[i], &ksA.key[i].key) == 0);
	}
	ksA.n = mA->ncrypto;
	REQUIRE(sdp_parse(&sdp2, mb.buf, mb.len) == 0);
	struct sr_key a_tx, a_rx;
	REQUIRE(sdp_keys_match(&ksA, &sdp2.media[0], &a_tx, &a_rx) == 0);
	CHECK(key_eq(&a_tx, &rxA)); /* what A sends is what we decrypt */
	CHECK(key_eq(&a_rx, &txA.key));
	/* every leg keyed separately */
	CHECK(!key_eq(&txA.key, &txB) && !key_eq(&txA.key, &rxB) && !key_eq(&rxA, &rxB));

	sdp_keys_wipe(&ksA);
	sdp_keys_wipe(&ksB);
	sdp_key_wipe(&txA);
	sdp_key_wipe(&bkey);
	free(va.data);
	mbuf_reset(&mb);
}

/* --- direction, hold, RTCP, SRTP modes --- */

static void direction(void)
{
	static const struct {
		enum sdp_dir offered, wanted, answer;
	} t[] = {
	    {SDP_SENDRECV, SDP_SENDRECV, SDP_SENDRECV}, {SDP_SENDONLY, SDP_SENDRECV, SDP_RECVONLY},
	    {SDP_RECVONLY, SDP_SENDRECV, SDP_SENDONLY}, {SDP_INACTIVE, SDP_SENDRECV, SDP_INACTIVE},
	    {SDP_SENDRECV, SDP_SENDONLY, SDP_SENDONLY}, {SDP_SENDRECV, SDP_RECVONLY, SDP_RECVONLY},
	    {SDP_SENDRECV, SDP_INACTIVE, SDP_INACTIVE}, {SDP_SENDONLY, SDP_SENDONLY, SDP_INACTIVE},
	    {SDP_SENDONLY, SDP_RECVONLY, SDP_RECVONLY}, {SDP_RECVONLY, SDP_RECVONLY, SDP_INACTIVE},
	    {SDP_RECVONLY, SDP_SENDONLY, SDP_SENDONLY}, {SDP_INACTIVE, SDP_INACTIVE, SDP_INACTIVE},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (sdp_dir_answer(t[i].offered, t[i].wanted) != t[i].answer) {
			fprintf(stderr, "direction case %zu\n", i);
			CHECK(0);
		}
	CHECK(!strcmp(sdp_dir_name(SDP_SENDONLY), "sendonly"));
	CHECK(!strcmp(sdp_dir_name(SDP_RECVONLY), "recvonly"));
	CHECK(!strcmp(sdp_dir_name(SDP_INACTIVE), "inactive"));
	CHECK(!strcmp(sdp_dir_name(SDP_SENDRECV), "sendrecv"));
}

static void hold(void)
{
	static const struct {
		const char *name;
		size_t media;
		bool held;
		enum sdp_dir dir;
	} t[] = {
	    {"legacy_hold", 0, true, SDP_SENDRECV},       /* c=0.0.0.0 */
	    {"opportunistic_avp", 0, true, SDP_SENDONLY}, /* session-level sendonly */
	    {"baresip_savp", 0, false, SDP_SENDRECV},     {"ipv6_lf", 0, true, SDP_INACTIVE},
	    {"ipv6_lf", 1, false, SDP_SENDRECV},          {"rfc3264_offer", 1, false, SDP_SENDRECV},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct vec v;
		REQUIRE(load(t[i].name, &v) == 0);
		REQUIRE(sdp_parse(&sdp1, v.data, v.len) == 0);
		REQUIRE(t[i].media < sdp1.nmedia);
		if (sdp_media_held(&sdp1.media[t[i].media]) != t[i].held ||
		    sdp1.media[t[i].media].dir != t[i].dir) {
			fprintf(stderr, "hold case %zu (%s)\n", i, t[i].name);
			CHECK(0);
		}
		free(v.data);
	}
	/* media level overrides the session level */
	REQUIRE(parse_str(&sdp1, "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\n"
	                         "t=0 0\r\na=inactive\r\nm=audio 5000 RTP/AVP 0\r\na=sendrecv\r\n"
	                         "m=audio 5002 RTP/AVP 0\r\n") == 0);
	CHECK(sdp1.dir == SDP_INACTIVE);
	CHECK(sdp1.media[0].dir == SDP_SENDRECV);
	CHECK(sdp1.media[1].dir == SDP_INACTIVE);
	CHECK(!sdp_media_held(&sdp1.media[0]));
	CHECK(sdp_media_held(&sdp1.media[1]));
}

static void rtcp_peer(void)
{
	struct vec v;
	struct sdp_peer p;

	REQUIRE(load("rfc3605_rtcp", &v) == 0);
	REQUIRE(sdp_parse(&sdp1, v.data, v.len) == 0);
	REQUIRE(sdp1.nmedia == 2);
	CHECK_EQ_INT(sdp1.media[0].rtcp_port, 53020);
	CHECK_PL(sdp1.media[0].rtcp_addr, "126.16.64.4");
	sdp_media_peer(&sdp1.media[0], false, &p);
	CHECK_PL(p.addr, "192.0.2.10");
	CHECK_EQ_INT(p.rtp_port, 49170);
	CHECK_PL(p.rtcp_addr, "126.16.64.4");
	CHECK_EQ_INT(p.rtcp_port, 53020);
	CHECK(!p.rtcp_mux);
	sdp_media_peer(&sdp1.media[0], true, &p);
	CHECK_PL(p.rtcp_addr, "192.0.2.10");
	CHECK_EQ_INT(p.rtcp_port, 49170);
	CHECK_EQ_INT(sdp1.media[1].port, 0); /* rejected video */
	CHECK_PL(sdp1.media[1].type, "video");
	free(v.data);

	REQUIRE(load("baresip_savp", &v) == 0);
	REQUIRE(sdp_parse(&sdp2, v.data, v.len) == 0);
	sdp_media_peer(&sdp2.media[0], false, &p);
	CHECK_EQ_INT(p.rtcp_port, 11731); /* RTP + 1 */
	CHECK_PL(p.rtcp_addr, "198.51.100.5");
	CHECK(sdp_rtcp_mux_agreed(&sdp2.media[0], &sdp2.media[0]));
	CHECK(!sdp_rtcp_mux_agreed(&sdp2.media[0], &sdp1.media[0]));
	CHECK(!sdp_rtcp_mux_agreed(&sdp1.media[0], &sdp2.media[0]));
	free(v.data);
}

static void srtp_modes(void)
{
	struct vec v;
	struct sdp_keys ks;
	struct sr_key tx, rx;
	struct sdp_key ans;
	char text[1024];
	const struct sdp_media *m;

	/* RFC 8643: RTP/AVP with a=crypto is an optional-SRTP offer */
	REQUIRE(load("opportunistic_avp", &v) == 0);
	REQUIRE(sdp_parse(&sdp1, v.data, v.len) == 0);
	m = &sdp1.media[0];
	CHECK(m->proto == SDP_PROTO_RTP_AVP);
	CHECK(sdp_media_srtp(m) == SDP_SRTP_OPTIONAL);
	REQUIRE(sdp_crypto_answer(m, SDP_SUITES_ALL, &ans, &rx) == 0);
	CHECK_EQ_INT(ans.tag, 1);
	free(v.data);

	CHECK(sdp_proto_for(SDP_SRTP_OPTIONAL, false) == SDP_PROTO_RTP_AVP);
	CHECK(sdp_proto_for(SDP_SRTP_NONE, true) == SDP_PROTO_RTP_AVPF);
	CHECK(sdp_proto_for(SDP_SRTP_MANDATORY, false) == SDP_PROTO_RTP_SAVP);
	CHECK(sdp_proto_for(SDP_SRTP_MANDATORY, true) == SDP_PROTO_RTP_SAVPF);
	CHECK(sdp_proto_for(SDP_SRTP_DTLS, true) == SDP_PROTO_RTP_SAVPF);
	CHECK(!strcmp(sdp_proto_name(SDP_PROTO_UDP_TLS_RTP_SAVPF), "UDP/TLS/RTP/SAVPF"));
	CHECK(!strcmp(sdp_proto_name(SDP_PROTO_OTHER), ""));
	CHECK(sdp_proto_is_srtp(SDP_PROTO_RTP_SAVPF) && sdp_proto_is_avpf(SDP_PROTO_RTP_SAVPF));
	CHECK(!sdp_proto_is_srtp(SDP_PROTO_RTP_AVPF) && !sdp_proto_is_rtp(SDP_PROTO_OTHER));
	CHECK(sdp_proto_is_dtls(SDP_PROTO_UDP_TLS_RTP_SAVP));
	CHECK(!sdp_proto_is_dtls(SDP_PROTO__COUNT));

	/* we offer optional SRTP; an answer with a=crypto turns it on, one without keeps RTP */
	REQUIRE(sdp_keys_offer(&ks, SDP_SUITES_ALL) == 0);
	REQUIRE(sdp_crypto_generate(SR_AES_CM_128_HMAC_SHA1_80, 4, &ans) == 0);
	mbuf_reset(&mb);
	REQUIRE(sdp_crypto_format(&mb, &ans) == 0);
	snprintf(text, sizeof(text),
	         "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
	         "m=audio 5000 RTP/AVP 0\r\n%s",
	         mb.buf);
	REQUIRE(parse_str(&sdp2, text) == 0);
	REQUIRE(sdp_keys_match(&ks, &sdp2.media[0], &tx, &rx) == 0);
	CHECK(key_eq(&tx, &ks.key[3].key));
	CHECK(key_eq(&rx, &ans.key));
	REQUIRE(parse_str(&sdp2, "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\n"
	                         "t=0 0\r\nm=audio 5000 RTP/AVP 0\r\n") == 0);
	CHECK(sdp_media_srtp(&sdp2.media[0]) == SDP_SRTP_NONE);
	CHECK_EQ_INT(sdp_keys_match(&ks, &sdp2.media[0], &tx, &rx), ENOENT);
	/* an answer whose only line is unusable is an error, not plain RTP */
	snprintf(text, sizeof(text),
	         "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
	         "m=audio 5000 RTP/AVP 0\r\na=crypto:4 AES_CM_128_HMAC_SHA1_80 inline:%s\r\n",
	         K28);
	REQUIRE(parse_str(&sdp2, text) == 0);
	CHECK_EQ_INT(sdp_keys_match(&ks, &sdp2.media[0], &tx, &rx), EPROTO);

	/* DTLS-SRTP is recognised and flagged */
	REQUIRE(load("webrtc_dtls", &v) == 0);
	REQUIRE(sdp_parse(&sdp1, v.data, v.len) == 0);
	m = &sdp1.media[0];
	CHECK(m->proto == SDP_PROTO_UDP_TLS_RTP_SAVPF);
	CHECK(sdp_media_srtp(m) == SDP_SRTP_DTLS);
	CHECK(m->fingerprint);
	CHECK(m->rtcp_mux);
	CHECK_EQ_INT(m->rtcp_port, 9);
	CHECK_PL(m->conn.addr, "0.0.0.0");
	free(v.data);

	REQUIRE(load("rfc3264_offer", &v) == 0);
	REQUIRE(sdp_parse(&sdp1, v.data, v.len) == 0);
	CHECK(sdp_media_srtp(&sdp1.media[0]) == SDP_SRTP_NONE);
	free(v.data);
	sdp_keys_wipe(&ks);
	sdp_key_wipe(&ans);
	mbuf_reset(&mb);
}

/* --- the other vectors --- */

static void other_vectors(void)
{
	struct vec v;
	struct sdp_desc d;
	struct sdp_rtpmap rm;

	REQUIRE(load("rfc3264_offer", &v) == 0);
	REQUIRE(sdp_parse(&sdp1, v.data, v.len) == 0);
	CHECK_PL(sdp1.name, "");
	CHECK_PL(sdp1.origin_addr, "host.atlanta.example.com");
	REQUIRE(sdp1.nmedia == 2);
	CHECK_PL(sdp1.media[0].conn.addr, "host.atlanta.example.com");
	CHECK_PL(sdp1.media[1].type, "video");
	CHECK_EQ_INT(sdp1.media[1].port, 51372);
	REQUIRE(sdp_media_rtpmap(&sdp1.media[0], 97, &rm) == 0);
	CHECK_PL(rm.name, "iLBC");
	REQUIRE(sdp_media_rtpmap(&sdp1.media[1], 31, &rm) == 0);
	CHECK_EQ_INT(rm.clock, 90000);
	free(v.data);

	REQUIRE(load("t38_image", &v) == 0);
	REQUIRE(sdp_parse(&sdp1, v.data, v.len) == 0);
	CHECK(sdp1.media[0].proto == SDP_PROTO_OTHER);
	CHECK_PL(sdp1.media[0].proto_name, "udptl");
	CHECK_PL(sdp1.media[0].fmts[0], "t38");
	CHECK(sdp_media_srtp(&sdp1.media[0]) == SDP_SRTP_NONE);
	desc_from(&d, &sdp1, "192.0.2.200");
	mbuf_reset(&mb);
	REQUIRE(sdp_build(&mb, &d) == 0);
	CHECK(strstr(mb.buf, "m=image 4002 udptl t38\r\na=T38FaxVersion:0\r\n"));
	CHECK(strstr(mb.buf, "a=T38FaxUdpEC:t38UDPRedundancy\r\n"));
	d.media[0].proto = SDP_PROTO_RTP_AVP;
	CHECK_EQ_INT(sdp_build(&mb, &d), EINVAL);
	free(v.data);

	/* browser offer: transport and DTLS attributes are not passed on, the rest is */
	REQUIRE(load("webrtc_dtls", &v) == 0);
	REQUIRE(sdp_parse(&sdp1, v.data, v.len) == 0);
	CHECK_EQ_INT(sdp1.nattr, 2);
	desc_from(&d, &sdp1, "192.0.2.200");
	d.media[0].proto = SDP_PROTO_RTP_SAVPF;
	d.media[0].port = 5000;
	mbuf_reset(&mb);
	REQUIRE(sdp_build(&mb, &d) == 0);
	CHECK(!strstr(mb.buf, "candidate") && !strstr(mb.buf, "ice-") &&
	      !strstr(mb.buf, "fingerprint") && !strstr(mb.buf, "setup") &&
	      !strstr(mb.buf, "BUNDLE") && !strstr(mb.buf, "a=rtcp:9"));
	CHECK(strstr(mb.buf, "a=mid:0\r\n") && strstr(mb.buf, "a=rtcp-fb:111 transport-cc\r\n"));
	CHECK(strstr(mb.buf, "m=audio 5000 RTP/SAVPF 111 0 8 126\r\n"));
	free(v.data);

	REQUIRE(load("ipv6_lf", &v) == 0);
	REQUIRE(sdp_parse(&sdp1, v.data, v.len) == 0);
	CHECK(!pl_isset(sdp1.conn.addr));
	CHECK_PL(sdp1.bw[0], "AS:256");
	REQUIRE(sdp1.nmedia == 2);
	CHECK(sdp1.media[0].conn.ipv6);
	CHECK_PL(sdp1.media[0].conn.addr, "2001:db8::2");
	CHECK_EQ_INT(sdp1.media[0].port_count, 2);
	CHECK_PL(sdp1.media[1].conn.addr, "2001:db8::3");
	CHECK(sdp1.media[1].proto == SDP_PROTO_RTP_AVPF);
	CHECK_PL(sdp1.media[1].attrs[1].value, "96 nack"); /* last line, no newline */
	free(v.data);
	mbuf_reset(&mb);
}

/* Every vector parses, builds with its own codecs and parses back. */
static int vec_count;
static void vec_one(const char *path)
{
	struct vec v;
	struct sdp_desc d;

	REQUIRE(read_path(path, &v) == 0);
	if (sdp_parse(&sdp1, v.data, v.len)) {
		fprintf(stderr, "%s: %s\n", path, sdp1.error);
		CHECK(0);
		free(v.data);
		return;
	}
	desc_from(&d, &sdp1, "192.0.2.1");
	mbuf_reset(&mb);
	CHECK_EQ_INT(sdp_build(&mb, &d), 0);
	if (sdp_parse(&sdp2, mb.buf, mb.len)) {
		fprintf(stderr, "%s rebuilt: %s\n", path, sdp2.error);
		CHECK(0);
	}
	CHECK_EQ_INT(sdp2.nmedia, sdp1.nmedia);
	vec_count++;
	free(v.data);
}

static void vectors_all(void)
{
	DIR *dir = opendir(VEC_DIR);
	struct dirent *de;
	char path[512];

	REQUIRE(dir);
	vec_count = 0;
	while ((de = readdir(dir))) {
		size_t n = strlen(de->d_name);
		if (n < 5 || strcmp(de->d_name + n - 4, ".sdp"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", VEC_DIR, de->d_name);
		vec_one(path);
	}
	closedir(dir);
	CHECK(vec_count >= 10);
	mbuf_reset(&mb);
}

/* --- malformed input --- */

#define HEAD "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
#define AUDIO "m=audio 5000 RTP/AVP 0\r\n"

static void malformed(void)
{
	static const struct {
		const char *text;
		const char *error;
	} t[] = {
	    {"", "empty SDP"},
	    {"\r\n\r\n", "empty SDP"},
	    {"o=- 1 1 IN IP4 192.0.2.1\r\nv=0\r\n", "v= must come first"},
	    {"v=1\r\n", "unsupported SDP version"},
	    {"v=0\r\ns=-\r\nt=0 0\r\n", "missing o= line"},
	    {"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\nt=0 0\r\n", "missing s= line"},
	    {"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n", "missing t= line"},
	    {"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n" AUDIO, "m= before o=, s= and t="},
	    {"v=0\r\no=- 1 1 IN IP4\r\ns=-\r\nt=0 0\r\n", "bad o= line"},
	    {"v=0\r\no=- 1 1 IN IP4 a b\r\ns=-\r\nt=0 0\r\n", "bad o= line"},
	    {"v=0\r\no=- x 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n", "bad o= session id or version"},
	    {"v=0\r\no=- 1 1 XX IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n", "bad o= address type"},
	    {"v=0\r\nv=0\r\n", "duplicate v= line"},
	    {HEAD "o=- 1 1 IN IP4 192.0.2.1\r\n", "duplicate o= line"},
	    {HEAD "s=again\r\n", "duplicate s= line"},
	    {HEAD "t=0\r\n", "bad t= line"},
	    {HEAD "t=0 x\r\n", "bad t= line"},
	    /* m= lines */
	    {HEAD "m=audio 70000 RTP/AVP 0\r\n", "bad m= port"},
	    {HEAD "m=audio abc RTP/AVP 0\r\n", "bad m= port"},
	    {HEAD "m=audio -1 RTP/AVP 0\r\n", "bad m= port"},
	    {HEAD "m=audio 5000.0 RTP/AVP 0\r\n", "bad m= port"},
	    {HEAD "m=audio 5000/0 RTP/AVP 0\r\n", "bad m= port count"},
	    {HEAD "m=audio 5000/x RTP/AVP 0\r\n", "bad m= port count"},
	    {HEAD "m=audio 5000 RTP/AVP\r\n", "m= line without formats"},
	    {HEAD "m=audio 5000\r\n", "bad m= line"},
	    {HEAD "m=\r\n", "bad m= line"},
	    {HEAD "m=audio 5000 RTP/AVP 128\r\n", "bad m= payload type"},
	    {HEAD "m=audio 5000 RTP/SAVP 0 x\r\n", "bad m= payload type"},
	    {HEAD "m=audio 5000 RTP/AVP "
	          "0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 "
	          "30 31 32\r\n",
	     "too many m= formats"},
	    /* c= */
	    {"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n" AUDIO, "missing c= line"},
	    {"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n" AUDIO
	     "m=audio 5002 RTP/AVP 0\r\nc=IN IP4 192.0.2.2\r\n",
	     "missing c= line"},
	    {HEAD "c=IN IP4 192.0.2.2\r\n", "duplicate c= line"},
	    {HEAD AUDIO "c=IN IP4 192.0.2.2\r\nc=IN IP4 192.0.2.3\r\n", "duplicate c= line"},
	    {HEAD AUDIO "c=IN IP5 192.0.2.2\r\n", "bad c= line"},
	    {HEAD AUDIO "c=IN IP4\r\n", "bad c= line"},
	    {HEAD AUDIO "c=IN IP4 192.0.2\r\n", "bad c= line"},
	    {HEAD AUDIO "c=IN IP4 300.0.2.1\r\n", "bad c= line"},
	    {HEAD AUDIO "c=IN IP4 ::1\r\n", "bad c= line"},
	    {HEAD AUDIO "c=IN IP6 2001:db8::g\r\n", "bad c= line"},
	    {HEAD AUDIO "c=IN IP6 2001:db8:::1\r\n", "bad c= line"},
	    {HEAD AUDIO "c=XX IP4 192.0.2.2\r\n", "bad c= line"},
	    {HEAD AUDIO "c=IN IP4 192.0.2.2 extra\r\n", "bad c= line"},
	    {HEAD AUDIO "c=IN IP4 host_name\r\n", "bad c= line"},
	    /* line syntax */
	    {HEAD "s=a\x01z\r\n", "control character in SDP"},
	    {HEAD "a=x\rb\r\n", "control character in SDP"},
	    {HEAD "a=x\x7f\r\n", "control character in SDP"},
	    {HEAD "x\r\n", "malformed SDP line"},
	    {HEAD " a=foo\r\n", "malformed SDP line"},
	    {HEAD "A=foo\r\n", "malformed SDP line"},
	    {"V=0\r\n", "malformed SDP line"},
	    {HEAD "x=foo\r\n", "unknown line type"},
	    {HEAD AUDIO "o=- 1 1 IN IP4 192.0.2.1\r\n", "session-level line in a media section"},
	    {HEAD AUDIO "t=0 0\r\n", "session-level line in a media section"},
	    {HEAD AUDIO "s=-\r\n", "session-level line in a media section"},
	    /* attributes */
	    {HEAD AUDIO "a=sendonly\r\na=recvonly\r\n", "conflicting direction attributes"},
	    {HEAD "a=inactive\r\na=sendrecv\r\n", "conflicting direction attributes"},
	    {HEAD AUDIO "a=rtpmap:96\r\n", "bad a=rtpmap"},
	    {HEAD AUDIO "a=rtpmap\r\n", "bad a=rtpmap"},
	    {HEAD AUDIO "a=rtpmap:96 opus\r\n", "bad a=rtpmap"},
	    {HEAD AUDIO "a=rtpmap:200 x/8000\r\n", "bad a=rtpmap"},
	    {HEAD AUDIO "a=rtpmap:96 opus/abc\r\n", "bad a=rtpmap"},
	    {HEAD AUDIO "a=rtpmap:96 opus/48000/\r\n", "bad a=rtpmap"},
	    {HEAD AUDIO "a=rtpmap:96 /8000\r\n", "bad a=rtpmap"},
	    {HEAD AUDIO "a=fmtp\r\n", "bad a=fmtp"},
	    {HEAD AUDIO "a=fmtp:\r\n", "bad a=fmtp"},
	    {HEAD AUDIO "a=ptime:abc\r\n", "bad a=ptime"},
	    {HEAD AUDIO "a=ptime:20.x\r\n", "bad a=ptime"},
	    {HEAD AUDIO "a=maxptime:\r\n", "bad a=maxptime"},
	    {HEAD AUDIO "a=rtcp:99999\r\n", "bad a=rtcp"},
	    {HEAD AUDIO "a=rtcp:abc\r\n", "bad a=rtcp"},
	    {HEAD AUDIO "a=rtcp:5001 IN IP4\r\n", "bad a=rtcp"},
	    {HEAD AUDIO "a=rtcp\r\n", "bad a=rtcp"},
	    {HEAD AUDIO "a=:x\r\n", "bad attribute name"},
	    {HEAD AUDIO "a=foo bar:1\r\n", "bad attribute name"},
	    {HEAD AUDIO "b=AS\r\n", "bad b= line"},
	    {HEAD AUDIO "b=AS:x\r\n", "bad b= line"},
	    {HEAD AUDIO "b=:64\r\n", "bad b= line"},
	    {HEAD AUDIO "b=AS:1\r\nb=AS:2\r\nb=AS:3\r\nb=AS:4\r\nb=AS:5\r\n", "too many b= lines"},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int err = parse_str(&sdp1, t[i].text);
		if (err != EBADMSG || !sdp1.error || strcmp(sdp1.error, t[i].error)) {
			fprintf(stderr, "malformed case %zu: got %d '%s', expected '%s'\n", i, err,
			        sdp1.error ? sdp1.error : "(none)", t[i].error);
			CHECK(0);
		}
	}
	CHECK_EQ_INT(sdp_parse(&sdp1, NULL, 0), EBADMSG);

	/* NUL inside a line */
	static const char nul[] = HEAD "s\0=x\r\n";
	CHECK_EQ_INT(sdp_parse(&sdp1, nul, sizeof(nul) - 1), EBADMSG);

	/* accepted edge cases */
	CHECK_EQ_INT(parse_str(&sdp1, HEAD AUDIO "a=ptime:20.5\r\na=sendonly\r\na=sendonly\r\n"),
	             0);
	CHECK_EQ_INT(sdp1.media[0].ptime, 20);
	CHECK_EQ_INT(parse_str(&sdp1, HEAD "m=video 0 RTP/AVP 31\r\n"), 0); /* no c= needed */
	CHECK_EQ_INT(parse_str(&sdp1, HEAD), 0);                            /* no media at all */
	CHECK_EQ_INT(sdp1.nmedia, 0);
	CHECK_EQ_INT(parse_str(&sdp1, HEAD AUDIO "a=crypto\r\na=crypto:1 FOO inline:x\r\n"), 0);
	CHECK_EQ_INT(sdp1.media[0].ncrypto, 2);
	CHECK(sdp1.media[0].crypto[0].error && sdp1.media[0].crypto[1].error);
	CHECK_EQ_INT(parse_str(&sdp1, HEAD AUDIO "c=IN IP4 224.2.1.1/127/3\r\n"), 0);
	CHECK_PL(sdp1.media[0].conn.addr, "224.2.1.1");
}

/* SDP_MAX_MEDIA and SDP_MAX_ATTRS, built as text. */
static void limits(void)
{
	struct mbuf t;

	mbuf_init(&t);
	mbuf_write_str(&t, HEAD);
	for (int i = 0; i < SDP_MAX_MEDIA; i++)
		mbuf_printf(&t, "m=audio %d RTP/AVP 0\r\n", 5000 + 2 * i);
	CHECK_EQ_INT(sdp_parse(&sdp1, t.buf, t.len), 0);
	CHECK_EQ_INT(sdp1.nmedia, SDP_MAX_MEDIA);
	mbuf_write_str(&t, AUDIO);
	CHECK_EQ_INT(sdp_parse(&sdp1, t.buf, t.len), EBADMSG);
	CHECK(!strcmp(sdp1.error, "too many m= lines"));

	mbuf_reset(&t);
	mbuf_write_str(&t, HEAD AUDIO);
	for (int i = 0; i < SDP_MAX_ATTRS; i++)
		mbuf_printf(&t, "a=x-%d:%d\r\n", i, i);
	CHECK_EQ_INT(sdp_parse(&sdp1, t.buf, t.len), 0);
	CHECK_EQ_INT(sdp1.media[0].nattr, SDP_MAX_ATTRS);
	mbuf_write_str(&t, "a=one-too-many\r\n");
	CHECK_EQ_INT(sdp_parse(&sdp1, t.buf, t.len), EBADMSG);
	CHECK(!strcmp(sdp1.error, "too many attributes"));

	mbuf_reset(&t);
	mbuf_write_str(&t, HEAD);
	for (int i = 0; i <= SDP_MAX_ATTRS; i++)
		mbuf_printf(&t, "a=s-%d\r\n", i);
	CHECK_EQ_INT(sdp_parse(&sdp1, t.buf, t.len), EBADMSG);
	CHECK(!strcmp(sdp1.error, "too many attributes"));

	/* 32 formats are fine */
	mbuf_reset(&t);
	mbuf_write_str(&t, HEAD "m=audio 5000 RTP/AVP");
	for (int i = 0; i < SDP_MAX_FMTS; i++)
		mbuf_printf(&t, " %d", 96 + i);
	mbuf_write_str(&t, "\r\n");
	CHECK_EQ_INT(sdp_parse(&sdp1, t.buf, t.len), 0);
	CHECK_EQ_INT(sdp1.media[0].nfmt, SDP_MAX_FMTS);
	CHECK(!t.err);
	mbuf_free(&t);
}

/* Every prefix and many byte mutations of every vector: the parser never misbehaves, and any
 * text it accepts passes through the builder into text it accepts again. */
static uint32_t rng = 2463534242u;
static uint32_t xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static void mutate_one(const struct vec *v)
{
	static const char alphabet[] = " \t\r\n:/=|;^0123456789abcAZ-.\x01\x7f";
	char *buf = malloc(v->len ? v->len : 1);
	struct sdp_desc d;
	const struct sdp_crypto *c;
	struct sdp_key tx;
	struct sr_key rx;

	if (!buf)
		return;
	for (size_t n = 0; n <= v->len; n++) {
		memcpy(buf, v->data, n);
		(void)sdp_parse(&sdp2, buf, n);
	}
	for (int round = 0; round < 1500; round++) {
		memcpy(buf, v->data, v->len);
		int edits = 1 + (int)(xorshift() % 4);
		for (int e = 0; e < edits && v->len; e++)
			buf[xorshift() % v->len] = alphabet[xorshift() % (sizeof(alphabet) - 1)];
		if (sdp_parse(&sdp2, buf, v->len)) {
			CHECK(sdp2.error != NULL);
			continue;
		}
		for (size_t i = 0; i < sdp2.nmedia; i++) {
			(void)sdp_crypto_select(&sdp2.media[i], SDP_SUITES_ALL, &c);
			if (!sdp_crypto_answer(&sdp2.media[i], SDP_SUITES_ALL, &tx, &rx))
				sdp_key_wipe(&tx);
		}
		desc_from(&d, &sdp2, "192.0.2.1");
		mbuf_reset(&mb);
		CHECK_EQ_INT(sdp_build(&mb, &d), 0);
		if (sdp_parse(&sdp3, mb.buf, mb.len)) {
			fprintf(stderr, "rebuilt mutant rejected: %s\n%s\n", sdp3.error, mb.buf);
			CHECK(0);
			break;
		}
	}
	free(buf);
}

static void mutations(void)
{
	static const char *const names[] = {"baresip_savp", "rfc4568_offer", "webrtc_dtls",
	                                    "ipv6_lf",      "rfc3605_rtcp",  "t38_image"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct vec v;
		REQUIRE(load(names[i], &v) == 0);
		mutate_one(&v);
		free(v.data);
	}
	mbuf_reset(&mb);
}

static const struct test_case cases[] = {
    {"rfc4568_offer", rfc4568_offer},
    {"rfc4568_answer", rfc4568_answer},
    {"crypto_lines", crypto_lines},
    {"lifetime_mki", lifetime_mki},
    {"generate_format", generate_format},
    {"baresip_offer", baresip_offer},
    {"selection_order", selection_order},
    {"answer_and_offer_keys", answer_and_offer_keys},
    {"roundtrip", roundtrip},
    {"build_errors", build_errors},
    {"b2bua_flow", b2bua_flow},
    {"direction", direction},
    {"hold", hold},
    {"rtcp_peer", rtcp_peer},
    {"srtp_modes", srtp_modes},
    {"other_vectors", other_vectors},
    {"vectors_all", vectors_all},
    {"malformed", malformed},
    {"limits", limits},
    {"mutations", mutations},
};

int main(int argc, char **argv)
{
	int rc;

	mbuf_init(&mb);
	rc = test_run_(argv[0], cases, sizeof(cases) / sizeof(cases[0]), argc > 1 ? argv[1] : NULL);
	mbuf_free(&mb);
	return rc;
}

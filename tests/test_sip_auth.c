/* Unit tests for src/sip/auth*: RFC 7616 / RFC 2617 digest vectors, client/server round trips,
 * stateless nonces (forgery, staleness, restarts), the nonce-count replay table, the parser. */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/mbuf.h"
#include "core/pl.h"
#include "harness.h"
#include "sip/auth.h"

/* ---- helpers ---- */

static uint64_t fake_now = 1700000000;

static uint64_t fake_clock(void *arg)
{
	(void)arg;
	return fake_now;
}

static struct auth_server *server(const char *realm, const uint8_t *secret, bool sha256_only)
{
	struct auth_server *srv = NULL;
	struct auth_server_conf conf = {
		.realm = realm,
		.nonce_lifetime = 60,
		.secret = secret,
		.sha256_only = sha256_only,
		.clock = fake_clock,
	};
	if (auth_server_alloc(&srv, &conf))
		return NULL;
	return srv;
}

static struct pl cstr(const char *s)
{
	return pl_from(s, strlen(s));
}

/* The value of challenge line idx (0 = first) in a challenge block, without name and CRLF. */
static struct pl chal_line(const struct mbuf *mb, int idx)
{
	const char *p = mb->buf, *end = mb->buf + mb->len;
	for (int i = 0; p && p < end; i++) {
		const char *eol = strstr(p, "\r\n");
		const char *colon = memchr(p, ':', (size_t)(end - p));
		if (!eol || !colon)
			break;
		if (i == idx)
			return pl_from(colon + 2, (size_t)(eol - colon - 2));
		p = eol + 2;
	}
	return PL_NULL;
}

static int count_lines(const struct mbuf *mb)
{
	int n = 0;
	for (const char *p = mb->buf; p && (p = strstr(p, "\r\n")); p += 2)
		n++;
	return n;
}

/* Challenge, answer with the client (line idx), parse, verify. */
static enum auth_result round_trip(struct auth_server *srv, int idx, const char *user,
				   const char *client_pw, const struct auth_secret *secret)
{
	struct mbuf ch, az;
	struct auth_client_nc nc;
	struct auth_credentials cred;
	enum auth_result res = AUTH_MALFORMED;

	mbuf_init(&ch);
	mbuf_init(&az);
	memset(&nc, 0, sizeof(nc));
	if (auth_server_challenge(srv, &ch, false, false))
		goto out;
	if (auth_client_respond(chal_line(&ch, idx), PL("REGISTER"), PL("sip:pbx.example.com"),
				cstr(user), cstr(client_pw), &nc, &az))
		goto out;
	if (auth_credentials_parse(pl_from(az.buf, az.len), &cred))
		goto out;
	res = auth_server_verify(srv, &cred, PL("REGISTER"), secret);
out:
	mbuf_free(&ch);
	mbuf_free(&az);
	return res;
}

/* One answer to the first challenge of srv, kept for several verifications. */
struct answer {
	int idx;
	struct mbuf ch, az;
	struct auth_client_nc nc;
	struct auth_credentials cred;
};

static int answer_new(struct answer *a, struct auth_server *srv, int idx, const char *pw)
{
	memset(a, 0, sizeof(*a));
	a->idx = idx;
	mbuf_init(&a->ch);
	mbuf_init(&a->az);
	if (auth_server_challenge(srv, &a->ch, false, false))
		return EIO;
	if (auth_client_respond(chal_line(&a->ch, idx), PL("INVITE"), PL("sip:200@pbx"),
				PL("100"), cstr(pw), &a->nc, &a->az))
		return EIO;
	return auth_credentials_parse(pl_from(a->az.buf, a->az.len), &a->cred);
}

/* The next answer to the same challenge (nc + 1). */
static int answer_next(struct answer *a)
{
	mbuf_reset(&a->az);
	if (auth_client_respond(chal_line(&a->ch, a->idx), PL("INVITE"), PL("sip:200@pbx"), PL("100"),
				PL("secret"), &a->nc, &a->az))
		return EIO;
	return auth_credentials_parse(pl_from(a->az.buf, a->az.len), &a->cred);
}

static void answer_free(struct answer *a)
{
	mbuf_free(&a->ch);
	mbuf_free(&a->az);
}

static const struct auth_secret pw_secret = {.password = PL("secret")};

/* ---- RFC vectors ---- */

/* RFC 7616 3.9.1 (password "Circle of Life", lowercase o: erratum 4495) */
#define R7616_REALM "http-auth@example.org"
#define R7616_NONCE "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
#define R7616_CNONCE "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
#define R7616_OPAQUE "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"

static const struct {
	enum auth_alg alg;
	const char *ha1, *response;
} rfc7616_vectors[] = {
	{AUTH_ALG_MD5, "3d78807defe7de2157e2b0b6573a855f", "8ca523f5e9506fed4657c9700eebdbec"},
	{AUTH_ALG_SHA256, "7987c64c30e25f1b74be53f966b49b90f2808aa92faf9a00262392d7b4794232",
	 "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"},
};

static void rfc7616_vectors_match(void)
{
	for (size_t i = 0; i < sizeof(rfc7616_vectors) / sizeof(rfc7616_vectors[0]); i++) {
		char ha1[AUTH_HEX_SIZE], resp[AUTH_HEX_SIZE];
		CHECK(auth_ha1(rfc7616_vectors[i].alg, PL("Mufasa"), PL(R7616_REALM),
			       PL("Circle of Life"), ha1) == 0);
		CHECK(strcmp(ha1, rfc7616_vectors[i].ha1) == 0);
		CHECK(auth_response(rfc7616_vectors[i].alg, ha1, PL(R7616_NONCE), 1,
				    PL(R7616_CNONCE), PL("GET"), PL("/dir/index.html"), resp) == 0);
		CHECK(strcmp(resp, rfc7616_vectors[i].response) == 0);
	}
}

/* RFC 2617 3.5 (password "Circle Of Life", capital O) */
static void rfc2617_vector_matches(void)
{
	char ha1[AUTH_HEX_SIZE], resp[AUTH_HEX_SIZE];
	CHECK(auth_ha1(AUTH_ALG_MD5, PL("Mufasa"), PL("testrealm@host.com"), PL("Circle Of Life"),
		       ha1) == 0);
	CHECK(strcmp(ha1, "939e7578ed9e3c518a452acee763bce9") == 0);
	CHECK(auth_response(AUTH_ALG_MD5, ha1, PL("dcd98b7102dd2f0e8b11d0f600bfb0c093"), 1,
			    PL("0a4f113b"), PL("GET"), PL("/dir/index.html"), resp) == 0);
	CHECK(strcmp(resp, "6629fae49393a05397450978507c4ef1") == 0);
	/* an upper-case HA1 is normalised; a bad one is refused */
	CHECK(auth_response(AUTH_ALG_MD5, "939E7578ED9E3C518A452ACEE763BCE9",
			    PL("dcd98b7102dd2f0e8b11d0f600bfb0c093"), 1, PL("0a4f113b"), PL("GET"),
			    PL("/dir/index.html"), resp) == 0);
	CHECK(strcmp(resp, "6629fae49393a05397450978507c4ef1") == 0);
	CHECK(auth_response(AUTH_ALG_MD5, "939e75", PL("n"), 1, PL("c"), PL("GET"), PL("/"),
			    resp) == EINVAL);
	CHECK(auth_response(AUTH_ALG_SHA256, ha1, PL("n"), 1, PL("c"), PL("GET"), PL("/"),
			    resp) == EINVAL);
}

/* The RFC 7616 3.9.1 Authorization header, folded over lines as printed. */
static void rfc7616_header_parses(void)
{
	static const char hdr[] = "Digest username=\"Mufasa\",\r\n"
				  "    realm=\"http-auth@example.org\",\r\n"
				  "    uri=\"/dir/index.html\",\r\n"
				  "    algorithm=SHA-256,\r\n"
				  "    nonce=\"" R7616_NONCE "\",\r\n"
				  "    nc=00000001,\r\n"
				  "    cnonce=\"" R7616_CNONCE "\",\r\n"
				  "    qop=auth,\r\n"
				  "    response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\",\r\n"
				  "    opaque=\"" R7616_OPAQUE "\"";
	struct auth_credentials c;
	REQUIRE(auth_credentials_parse(PL(hdr), &c) == 0);
	CHECK_PL(c.username, "Mufasa");
	CHECK_PL(c.realm, R7616_REALM);
	CHECK_PL(c.uri, "/dir/index.html");
	CHECK_PL(c.algorithm, "SHA-256");
	CHECK_PL(c.nonce, R7616_NONCE);
	CHECK_PL(c.nc, "00000001");
	CHECK_PL(c.cnonce, R7616_CNONCE);
	CHECK_PL(c.qop, "auth");
	CHECK_PL(c.opaque, R7616_OPAQUE);
	CHECK_PL(c.response, rfc7616_vectors[1].response);
	CHECK(auth_credentials_user_eq(&c, PL("Mufasa")));
	CHECK(!auth_credentials_user_eq(&c, PL("mufasa")));
}

/* The client answering the RFC 7616 challenge: its answer must verify with the RFC formula. */
static void client_answers_rfc7616_challenge(void)
{
	static const char chal[] = "Digest\r\n realm=\"http-auth@example.org\",\r\n"
				   " qop=\"auth, auth-int\",\r\n algorithm=SHA-256,\r\n"
				   " nonce=\"" R7616_NONCE "\",\r\n opaque=\"" R7616_OPAQUE "\"";
	struct auth_client_nc nc;
	struct auth_credentials c;
	struct mbuf mb;
	char resp[AUTH_HEX_SIZE], cn[64];

	memset(&nc, 0, sizeof(nc));
	mbuf_init(&mb);
	REQUIRE(auth_client_respond(PL(chal), PL("GET"), PL("/dir/index.html"), PL("Mufasa"),
				    PL("Circle of Life"), &nc, &mb) == 0);
	REQUIRE(auth_credentials_parse(pl_from(mb.buf, mb.len), &c) == 0);
	CHECK_PL(c.username, "Mufasa");
	CHECK_PL(c.realm, R7616_REALM);
	CHECK_PL(c.nonce, R7616_NONCE);
	CHECK_PL(c.opaque, R7616_OPAQUE);
	CHECK_PL(c.algorithm, "SHA-256");
	CHECK_PL(c.qop, "auth");
	CHECK_PL(c.nc, "00000001");
	CHECK(c.cnonce.l == 32);
	pl_strcpy(c.cnonce, cn, sizeof(cn));
	CHECK(auth_response(AUTH_ALG_SHA256, rfc7616_vectors[1].ha1, PL(R7616_NONCE), 1, cstr(cn),
			    PL("GET"), PL("/dir/index.html"), resp) == 0);
	CHECK_PL(c.response, resp);

	/* same nonce again: nc 2, a fresh cnonce */
	mbuf_reset(&mb);
	REQUIRE(auth_client_respond(PL(chal), PL("GET"), PL("/dir/index.html"), PL("Mufasa"),
				    PL("Circle of Life"), &nc, &mb) == 0);
	REQUIRE(auth_credentials_parse(pl_from(mb.buf, mb.len), &c) == 0);
	CHECK_PL(c.nc, "00000002");
	CHECK(!pl_eq_str(c.cnonce, cn));

	/* a new nonce starts over at 1 */
	mbuf_reset(&mb);
	REQUIRE(auth_client_respond(PL("Digest realm=\"r\", nonce=\"other\", qop=auth"), PL("GET"),
				    PL("/"), PL("u"), PL("p"), &nc, &mb) == 0);
	REQUIRE(auth_credentials_parse(pl_from(mb.buf, mb.len), &c) == 0);
	CHECK_PL(c.nc, "00000001");
	CHECK_PL(c.algorithm, "MD5"); /* absent algorithm is MD5 */
	CHECK(!pl_isset(c.opaque));
	mbuf_free(&mb);
}

/* A challenge without qop gets the RFC 2069 answer: H(HA1 ":" nonce ":" HA2), no nc/cnonce. */
static void client_rfc2069_form(void)
{
	struct auth_client_nc nc;
	struct auth_credentials c;
	struct mbuf mb;
	char ha1[AUTH_HEX_SIZE], ha2[33], want[33], buf[256];
	unsigned char d[16];
	unsigned int n;

	memset(&nc, 0, sizeof(nc));
	mbuf_init(&mb);
	REQUIRE(auth_client_respond(PL("Digest realm=\"testrealm@host.com\", "
				       "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\""),
				    PL("GET"), PL("/dir/index.html"), PL("Mufasa"),
				    PL("Circle Of Life"), &nc, &mb) == 0);
	REQUIRE(auth_credentials_parse(pl_from(mb.buf, mb.len), &c) == 0);
	CHECK(!pl_isset(c.qop) && !pl_isset(c.nc) && !pl_isset(c.cnonce));

	auth_ha1(AUTH_ALG_MD5, PL("Mufasa"), PL("testrealm@host.com"), PL("Circle Of Life"), ha1);
	EVP_Digest("GET:/dir/index.html", 19, d, &n, EVP_md5(), NULL);
	for (int i = 0; i < 16; i++)
		snprintf(ha2 + 2 * i, 3, "%02x", d[i]);
	snprintf(buf, sizeof(buf), "%s:dcd98b7102dd2f0e8b11d0f600bfb0c093:%s", ha1, ha2);
	EVP_Digest(buf, strlen(buf), d, &n, EVP_md5(), NULL);
	for (int i = 0; i < 16; i++)
		snprintf(want + 2 * i, 3, "%02x", d[i]);
	CHECK_PL(c.response, want);
	mbuf_free(&mb);
}

static void client_refuses(void)
{
	struct auth_client_nc nc;
	struct mbuf mb;

	memset(&nc, 0, sizeof(nc));
	mbuf_init(&mb);
	CHECK(auth_client_respond(PL("Digest realm=\"r\", nonce=\"n\", qop=\"auth-int\""),
				  PL("GET"), PL("/"), PL("u"), PL("p"), &nc, &mb) == ENOTSUP);
	CHECK(auth_client_respond(PL("Digest realm=\"r\", nonce=\"n\", algorithm=MD5-sess"),
				  PL("GET"), PL("/"), PL("u"), PL("p"), &nc, &mb) == ENOTSUP);
	CHECK(auth_client_respond(PL("Basic realm=\"r\""), PL("GET"), PL("/"), PL("u"), PL("p"),
				  &nc, &mb) == ENOTSUP);
	CHECK(auth_client_respond(PL("Digest realm=\"r\""), PL("GET"), PL("/"), PL("u"), PL("p"),
				  &nc, &mb) == EBADMSG);
	CHECK(auth_client_respond(PL("Digest realm=\"r\", nonce=\"n\""), PL("GET"), PL("/"),
				  PL("u\r\nX: y"), PL("p"), &nc, &mb) == EINVAL);
	CHECK(auth_client_respond(PL("Digest realm=\"r\", nonce=\"n\""), PL("GET"),
				  PL("sip:a\"b"), PL("u"), PL("p"), &nc, &mb) == EINVAL);
	CHECK(mb.len == 0);
	mbuf_free(&mb);
}

static void client_picks_sha256(void)
{
	const struct pl v[] = {
		PL("Basic realm=\"x\""),
		PL("Digest realm=\"x\", nonce=\"1\", algorithm=MD5, qop=\"auth\""),
		PL("Digest realm=\"x\", nonce=\"1\", algorithm=SHA-512-256, qop=\"auth\""),
		PL("Digest realm=\"x\", nonce=\"1\", algorithm=sha-256, qop=\"auth,auth-int\""),
		PL("Digest realm=\"x\", nonce=\"1\", algorithm=SHA-256, qop=\"auth\""),
	};
	size_t idx = 99;
	CHECK(auth_challenge_pick(v, 5, &idx) == 0 && idx == 3);
	CHECK(auth_challenge_pick(v, 3, &idx) == 0 && idx == 1);
	CHECK(auth_challenge_pick(v, 1, &idx) == ENOENT);
	const struct pl w[] = {
		PL("Digest realm=\"x\", nonce=\"1\", algorithm=SHA-256, qop=\"auth-int\""),
		PL("Digest realm=\"x\", nonce=\"1\""),
	};
	CHECK(auth_challenge_pick(w, 2, &idx) == 0 && idx == 1);
	CHECK(auth_challenge_pick(w, 1, &idx) == ENOENT);
}

/* ---- server ---- */

static void challenge_format(void)
{
	struct auth_server *srv = server("pbx.example.com", NULL, false);
	struct auth_challenge a, b;
	struct mbuf mb;

	REQUIRE(srv);
	mbuf_init(&mb);
	REQUIRE(auth_server_challenge(srv, &mb, false, false) == 0);
	CHECK(count_lines(&mb) == 2);
	CHECK(strncmp(mb.buf, "WWW-Authenticate: Digest realm=\"pbx.example.com\", nonce=\"",
		      57) == 0);
	CHECK(strstr(mb.buf, "stale") == NULL);
	REQUIRE(auth_challenge_parse(chal_line(&mb, 0), &a) == 0);
	REQUIRE(auth_challenge_parse(chal_line(&mb, 1), &b) == 0);
	CHECK_PL(a.algorithm, "SHA-256"); /* RFC 8760: preferred first */
	CHECK_PL(b.algorithm, "MD5");
	CHECK_PL(a.qop, "auth");
	CHECK_PL(a.realm, "pbx.example.com");
	CHECK(pl_isset(a.opaque) && a.opaque.l > 0);
	CHECK(a.nonce.l == 43);
	CHECK(!a.stale);

	mbuf_reset(&mb);
	REQUIRE(auth_server_challenge(srv, &mb, true, true) == 0);
	CHECK(strncmp(mb.buf, "Proxy-Authenticate: Digest ", 27) == 0);
	REQUIRE(auth_challenge_parse(chal_line(&mb, 1), &b) == 0);
	CHECK(b.stale);
	CHECK(strstr(mb.buf, ", stale=true\r\n") != NULL);
	mbuf_free(&mb);
	auth_server_free(srv);

	/* SHA-256 only: a single challenge */
	srv = server("r", NULL, true);
	REQUIRE(srv);
	mbuf_init(&mb);
	REQUIRE(auth_server_challenge(srv, &mb, false, false) == 0);
	CHECK(count_lines(&mb) == 1);
	CHECK(strstr(mb.buf, "algorithm=SHA-256") != NULL);
	mbuf_free(&mb);
	auth_server_free(srv);

	/* realms that would need escaping or break the line are refused */
	struct auth_server_conf conf = {.realm = "a\"b"};
	CHECK(auth_server_alloc(&srv, &conf) == EINVAL);
	conf.realm = "a\r\nb";
	CHECK(auth_server_alloc(&srv, &conf) == EINVAL);
	conf.realm = "";
	CHECK(auth_server_alloc(&srv, &conf) == EINVAL);
}

static void round_trips(void)
{
	struct auth_server *srv = server("pbx.example.com", NULL, false);
	char md5[AUTH_HEX_SIZE], sha[AUTH_HEX_SIZE];
	REQUIRE(srv);
	REQUIRE(auth_ha1(AUTH_ALG_MD5, PL("100"), PL("pbx.example.com"), PL("secret"), md5) == 0);
	REQUIRE(auth_ha1(AUTH_ALG_SHA256, PL("100"), PL("pbx.example.com"), PL("secret"), sha) ==
		0);
	struct auth_secret ha1s = {.ha1_md5 = cstr(md5), .ha1_sha256 = cstr(sha)};

	/* line 0 is SHA-256, line 1 MD5 */
	CHECK_EQ_INT(round_trip(srv, 0, "100", "secret", &pw_secret), AUTH_OK);
	CHECK_EQ_INT(round_trip(srv, 1, "100", "secret", &pw_secret), AUTH_OK);
	CHECK_EQ_INT(round_trip(srv, 0, "100", "secret", &ha1s), AUTH_OK);
	CHECK_EQ_INT(round_trip(srv, 1, "100", "secret", &ha1s), AUTH_OK);
	/* wrong password, either way of configuring the secret */
	CHECK_EQ_INT(round_trip(srv, 0, "100", "Secret", &pw_secret), AUTH_BAD_RESPONSE);
	CHECK_EQ_INT(round_trip(srv, 1, "100", "secre", &pw_secret), AUTH_BAD_RESPONSE);
	CHECK_EQ_INT(round_trip(srv, 0, "100", "x", &ha1s), AUTH_BAD_RESPONSE);
	/* an HA1 is bound to its username */
	CHECK_EQ_INT(round_trip(srv, 0, "101", "secret", &ha1s), AUTH_BAD_RESPONSE);
	/* only the SHA-256 HA1 known: an MD5 answer cannot be checked */
	struct auth_secret only_sha = {.ha1_sha256 = cstr(sha)};
	CHECK_EQ_INT(round_trip(srv, 0, "100", "secret", &only_sha), AUTH_OK);
	CHECK_EQ_INT(round_trip(srv, 1, "100", "secret", &only_sha), AUTH_UNSUPPORTED_ALG);
	/* upper-case HA1 in the config is fine; garbage is not */
	for (char *p = sha; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 32);
	CHECK_EQ_INT(round_trip(srv, 0, "100", "secret", &only_sha), AUTH_OK);
	struct auth_secret bad = {.ha1_sha256 = PL("1234")};
	CHECK_EQ_INT(round_trip(srv, 0, "100", "secret", &bad), AUTH_UNSUPPORTED_ALG);
	auth_server_free(srv);

	/* SHA-256-only server refuses MD5 answers even to a stale MD5 challenge */
	srv = server("pbx.example.com", NULL, true);
	REQUIRE(srv);
	CHECK_EQ_INT(round_trip(srv, 0, "100", "secret", &pw_secret), AUTH_OK);
	struct answer a;
	REQUIRE(answer_new(&a, srv, 0, "secret") == 0);
	a.cred.algorithm = PL("MD5");
	CHECK_EQ_INT(auth_server_verify(srv, &a.cred, PL("INVITE"), &pw_secret),
		     AUTH_UNSUPPORTED_ALG);
	answer_free(&a);
	auth_server_free(srv);
}

/* Usernames with quotes and backslashes travel escaped and hash unescaped. */
static void escaped_username(void)
{
	struct auth_server *srv = server("pbx", NULL, false);
	struct auth_credentials c;
	struct auth_client_nc nc;
	struct mbuf ch, az;

	REQUIRE(srv);
	memset(&nc, 0, sizeof(nc));
	mbuf_init(&ch);
	mbuf_init(&az);
	REQUIRE(auth_server_challenge(srv, &ch, false, false) == 0);
	REQUIRE(auth_client_respond(chal_line(&ch, 0), PL("REGISTER"), PL("sip:pbx"),
				    PL("a\"b\\c"), PL("pw"), &nc, &az) == 0);
	CHECK(strstr(az.buf, "username=\"a\\\"b\\\\c\"") != NULL);
	REQUIRE(auth_credentials_parse(pl_from(az.buf, az.len), &c) == 0);
	CHECK(auth_credentials_user_eq(&c, PL("a\"b\\c")));
	CHECK(!auth_credentials_user_eq(&c, PL("a\\\"b\\\\c")));
	struct auth_secret s = {.password = PL("pw")};
	CHECK_EQ_INT(auth_server_verify(srv, &c, PL("REGISTER"), &s), AUTH_OK);

	/* the same through a precomputed HA1 of the plain name */
	char h[AUTH_HEX_SIZE];
	REQUIRE(auth_ha1(AUTH_ALG_SHA256, PL("a\"b\\c"), PL("pbx"), PL("pw"), h) == 0);
	mbuf_reset(&az);
	REQUIRE(auth_client_respond(chal_line(&ch, 0), PL("REGISTER"), PL("sip:pbx"),
				    PL("a\"b\\c"), PL("pw"), &nc, &az) == 0);
	REQUIRE(auth_credentials_parse(pl_from(az.buf, az.len), &c) == 0);
	struct auth_secret hs = {.ha1_sha256 = cstr(h)};
	CHECK_EQ_INT(auth_server_verify(srv, &c, PL("REGISTER"), &hs), AUTH_OK);
	mbuf_free(&ch);
	mbuf_free(&az);
	auth_server_free(srv);
}

static void forged_nonces(void)
{
	struct auth_server *srv = server("pbx", NULL, false);
	struct auth_server *other = server("pbx", NULL, false);
	struct auth_client_nc nc;
	struct auth_credentials c;
	struct mbuf ch, az;
	char nonce[44], tampered[512];

	REQUIRE(srv && other);
	memset(&nc, 0, sizeof(nc));
	mbuf_init(&ch);
	mbuf_init(&az);

	/* a nonce from another server (another secret, same realm) */
	REQUIRE(auth_server_challenge(other, &ch, false, false) == 0);
	REQUIRE(auth_client_respond(chal_line(&ch, 0), PL("REGISTER"), PL("sip:pbx"), PL("100"),
				    PL("secret"), &nc, &az) == 0);
	REQUIRE(auth_credentials_parse(pl_from(az.buf, az.len), &c) == 0);
	CHECK_EQ_INT(auth_server_verify(srv, &c, PL("REGISTER"), &pw_secret), AUTH_BAD_NONCE);
	CHECK_EQ_INT(auth_server_verify(other, &c, PL("REGISTER"), &pw_secret), AUTH_OK);

	/* one character of our own nonce changed; the client answers it correctly, so only the
	 * nonce check can catch it. Also the non-canonical spelling of the same bytes (spare
	 * bits of the last character set), which must not open a second nc slot. */
	mbuf_reset(&ch);
	REQUIRE(auth_server_challenge(srv, &ch, false, false) == 0);
	struct auth_challenge parsed;
	REQUIRE(auth_challenge_parse(chal_line(&ch, 0), &parsed) == 0);
	REQUIRE(parsed.nonce.l == 43);
	for (int k = 0; k < 3; k++) {
		static const char alphabet[] =
			"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
		pl_strcpy(parsed.nonce, nonce, sizeof(nonce));
		if (k == 0)
			nonce[10] = nonce[10] == 'A' ? 'B' : 'A';
		else if (k == 1)
			nonce[42] = alphabet[(strchr(alphabet, nonce[42]) - alphabet) ^ 1];
		else
			nonce[42] = '='; /* not in the alphabet */
		snprintf(tampered, sizeof(tampered),
			 "Digest realm=\"pbx\", nonce=\"%s\", qop=\"auth\", algorithm=SHA-256",
			 nonce);
		mbuf_reset(&az);
		memset(&nc, 0, sizeof(nc));
		REQUIRE(auth_client_respond(cstr(tampered), PL("REGISTER"), PL("sip:pbx"),
					    PL("100"), PL("secret"), &nc, &az) == 0);
		REQUIRE(auth_credentials_parse(pl_from(az.buf, az.len), &c) == 0);
		CHECK_EQ_INT(auth_server_verify(srv, &c, PL("REGISTER"), &pw_secret),
			     AUTH_BAD_NONCE);
	}
	/* truncated and empty nonces */
	c.nonce = pl_from(parsed.nonce.p, 42);
	CHECK_EQ_INT(auth_server_verify(srv, &c, PL("REGISTER"), &pw_secret), AUTH_BAD_NONCE);
	c.nonce = pl_from("", 0);
	CHECK_EQ_INT(auth_server_verify(srv, &c, PL("REGISTER"), &pw_secret), AUTH_BAD_NONCE);

	/* the right nonce with a foreign opaque */
	struct answer a;
	REQUIRE(answer_new(&a, srv, 0, "secret") == 0);
	a.cred.opaque = PL("AAAAAAAAAAAAAAAAAAAAAA");
	CHECK_EQ_INT(auth_server_verify(srv, &a.cred, PL("INVITE"), &pw_secret), AUTH_BAD_NONCE);
	a.cred.opaque = PL_NULL; /* absent is tolerated: it carries no security */
	CHECK_EQ_INT(auth_server_verify(srv, &a.cred, PL("INVITE"), &pw_secret), AUTH_OK);
	answer_free(&a);

	mbuf_free(&ch);
	mbuf_free(&az);
	auth_server_free(srv);
	auth_server_free(other);
}

static void stale_nonces(void)
{
	struct auth_server *srv;
	struct answer a;
	struct mbuf mb;

	fake_now = 1700000000;
	srv = server("pbx", NULL, false);
	REQUIRE(srv);
	REQUIRE(answer_new(&a, srv, 0, "secret") == 0);
	fake_now += 60; /* lifetime 60: still good at the limit */
	CHECK_EQ_INT(auth_server_verify(srv, &a.cred, PL("INVITE"), &pw_secret), AUTH_OK);
	fake_now += 1;
	REQUIRE(answer_next(&a) == 0);
	CHECK_EQ_INT(auth_server_verify(srv, &a.cred, PL("INVITE"), &pw_secret), AUTH_STALE);
	/* stale is only said to someone who knows the password */
	struct auth_secret wrong = {.password = PL("other")};
	CHECK_EQ_INT(auth_server_verify(srv, &a.cred, PL("INVITE"), &wrong), AUTH_BAD_RESPONSE);
	/* the caller re-challenges with stale=true */
	mbuf_init(&mb);
	REQUIRE(auth_server_challenge(srv, &mb, false, true) == 0);
	CHECK(strstr(mb.buf, "stale=true") != NULL);
	struct auth_challenge ch;
	REQUIRE(auth_challenge_parse(chal_line(&mb, 0), &ch) == 0);
	CHECK(ch.stale);
	mbuf_free(&mb);
	answer_free(&a);

	/* the clock went back: a nonce from the "future" is not trusted either */
	REQUIRE(answer_new(&a, srv, 0, "secret") == 0);
	fake_now -= 10;
	CHECK_EQ_INT(auth_server_verify(srv, &a.cred, PL("INVITE"), &pw_secret), AUTH_STALE);
	fake_now += 10;
	answer_free(&a);
	auth_server_free(srv);
	fake_now = 1700000000;
}

/* A restart with the persisted secret: old nonces are recognised (stale, so the phone retries
 * silently) but not accepted, since the replay table was lost. A new random secret would call
 * them forged. */
static void restart_with_secret(void)
{
	uint8_t secret[AUTH_SECRET_SIZE];
	struct auth_server *srv, *again, *fresh;
	struct answer a;

	fake_now = 1700000000;
	srv = server("pbx", NULL, false);
	REQUIRE(srv);
	auth_server_secret(srv, secret);
	REQUIRE(answer_new(&a, srv, 0, "secret") == 0);
	CHECK_EQ_INT(auth_server_verify(srv, &a.cred, PL("INVITE"), &pw_secret), AUTH_OK);
	auth_server_free(srv);

	fake_now += 5;
	again = server("pbx", secret, false);
	fresh = server("pbx", NULL, false);
	REQUIRE(again && fresh);
	CHECK_EQ_INT(auth_server_verify(again, &a.cred, PL("INVITE"), &pw_secret), AUTH_STALE);
	CHECK_EQ_INT(auth_server_verify(fresh, &a.cred, PL("INVITE"), &pw_secret), AUTH_BAD_NONCE);
	answer_free(&a);
	/* and new nonces from the restarted server work */
	CHECK_EQ_INT(round_trip(again, 0, "100", "secret", &pw_secret), AUTH_OK);
	auth_server_free(again);
	auth_server_free(fresh);
	fake_now = 1700000000;
}

static void nonce_count_replay(void)
{
	struct auth_server *srv = server("pbx", NULL, false);
	struct answer a;

	REQUIRE(srv);
	REQUIRE(answer_new(&a, srv, 1, "secret") == 0); /* MD5 line */
	CHECK_PL(a.cred.nc, "00000001");
	CHECK_EQ_INT(auth_server_verify(srv, &a.cred, PL("INVITE"), &pw_secret), AUTH_OK);
	CHECK_EQ_INT(auth_server_verify(srv, &a.cred, PL("INVITE"), &pw_secret), AUTH_REPLAY);
	/* nc 2, 3: fine; then 2 again is a replay */
	struct auth_credentials saved;
	REQUIRE(answer_next(&a) == 0);
	CHECK_PL(a.cred.nc, "00000002");
	saved = a.cred;
	struct mbuf keep = a.az; /* keep the nc=2 text alive */
	mbuf_init(&a.az);
	CHECK_EQ_INT(auth_server_verify(srv, &saved, PL("INVITE"), &pw_secret), AUTH_OK);
	REQUIRE(answer_next(&a) == 0);
	CHECK_PL(a.cred.nc, "00000003");
	CHECK_EQ_INT(auth_server_verify(srv, &a.cred, PL("INVITE"), &pw_secret), AUTH_OK);
	CHECK_EQ_INT(auth_server_verify(srv, &saved, PL("INVITE"), &pw_secret), AUTH_REPLAY);
	mbuf_free(&keep);
	/* a replay with a wrong digest is just a wrong digest */
	struct auth_secret wrong = {.password = PL("x")};
	CHECK_EQ_INT(auth_server_verify(srv, &a.cred, PL("INVITE"), &wrong), AUTH_BAD_RESPONSE);
	/* the digest covers the method */
	REQUIRE(answer_next(&a) == 0);
	CHECK_EQ_INT(auth_server_verify(srv, &a.cred, PL("BYE"), &pw_secret), AUTH_BAD_RESPONSE);
	CHECK_EQ_INT(auth_server_verify(srv, &a.cred, PL("INVITE"), &pw_secret), AUTH_OK);
	answer_free(&a);
	auth_server_free(srv);
}

static size_t heap_in_use(void)
{
#if defined(__SANITIZE_ADDRESS__)
	return 0; /* ASan's allocator does not feed mallinfo */
#else
	return mallinfo2().uordblks;
#endif
}

/* 100k distinct nonces through a 4096-slot table: memory stays put, the first nonce is
 * evicted and comes back stale (never accepted), new nonces still work. */
static void replay_table_bounded(void)
{
	struct auth_server *srv = server("pbx", NULL, false);
	char ha1[AUTH_HEX_SIZE], resp[AUTH_HEX_SIZE], r[AUTH_HEX_SIZE], cn[16];
	struct auth_credentials first, c;
	struct mbuf mb, keep;
	size_t before = 0;
	int ok = 0;

	REQUIRE(srv);
	REQUIRE(auth_ha1(AUTH_ALG_SHA256, PL("100"), PL("pbx"), PL("secret"), ha1) == 0);
	mbuf_init(&mb);
	mbuf_init(&keep);
	REQUIRE(auth_server_challenge(srv, &keep, false, false) == 0);
	struct auth_challenge ch0;
	REQUIRE(auth_challenge_parse(chal_line(&keep, 0), &ch0) == 0);
	memset(&first, 0, sizeof(first));
	first.username = PL("100");
	first.realm = PL("pbx");
	first.uri = PL("sip:pbx");
	first.algorithm = PL("SHA-256");
	first.qop = PL("auth");
	first.cnonce = PL("abc");
	first.nonce = ch0.nonce;
	first.nc = PL("00000001");
	REQUIRE(auth_response(AUTH_ALG_SHA256, ha1, first.nonce, 1, first.cnonce, PL("REGISTER"),
			      first.uri, resp) == 0);
	first.response = cstr(resp);
	CHECK_EQ_INT(auth_server_verify(srv, &first, PL("REGISTER"), &pw_secret), AUTH_OK);

	c = first;
	c.nc = PL("0000000a");
	for (int i = 0; i < 100000; i++) {
		struct auth_challenge ch;
		if (i == 1000)
			before = heap_in_use();
		mbuf_reset(&mb);
		if (auth_server_challenge(srv, &mb, false, false) ||
		    auth_challenge_parse(chal_line(&mb, 0), &ch))
			break;
		c.nonce = ch.nonce;
		snprintf(cn, sizeof(cn), "%x", i);
		c.cnonce = cstr(cn);
		if (auth_response(AUTH_ALG_SHA256, ha1, c.nonce, 10, c.cnonce, PL("REGISTER"),
				  c.uri, r))
			break;
		c.response = cstr(r);
		ok += auth_server_verify(srv, &c, PL("REGISTER"), &pw_secret) == AUTH_OK;
	}
	CHECK_EQ_INT(ok, 100000);
	if (before)
		CHECK(heap_in_use() <= before + 4096);

	/* the first nonce, with a higher nc: evicted, so stale, not OK */
	first.nc = PL("00000002");
	REQUIRE(auth_response(AUTH_ALG_SHA256, ha1, first.nonce, 2, first.cnonce, PL("REGISTER"),
			      first.uri, resp) == 0);
	CHECK_EQ_INT(auth_server_verify(srv, &first, PL("REGISTER"), &pw_secret), AUTH_STALE);
	/* the last one is still remembered */
	CHECK_EQ_INT(auth_server_verify(srv, &c, PL("REGISTER"), &pw_secret), AUTH_REPLAY);
	/* a brand new nonce, issued in the same second as the flood, is not falsely stale */
	CHECK_EQ_INT(round_trip(srv, 0, "100", "secret", &pw_secret), AUTH_OK);
	mbuf_free(&mb);
	mbuf_free(&keep);
	auth_server_free(srv);
}

/* Field checks in verify: realm, qop, nc, response shape, algorithm. */
static void verify_rejects(void)
{
	struct auth_server *srv = server("pbx", NULL, false);
	struct answer a;
	struct auth_credentials c;

	REQUIRE(srv);
	REQUIRE(answer_new(&a, srv, 0, "secret") == 0);
	const struct {
		struct pl *field;
		struct pl value;
		enum auth_result want;
	} cases[] = {
		{&c.realm, PL("PBX"), AUTH_REALM_MISMATCH},
		{&c.algorithm, PL("MD5-sess"), AUTH_UNSUPPORTED_ALG},
		{&c.algorithm, PL("SHA-512-256"), AUTH_UNSUPPORTED_ALG},
		{&c.qop, PL_NULL, AUTH_MALFORMED}, /* RFC 2069 form refused */
		{&c.qop, PL("auth-int"), AUTH_MALFORMED},
		{&c.nc, PL_NULL, AUTH_MALFORMED},
		{&c.nc, PL("00000000"), AUTH_MALFORMED},
		{&c.nc, PL("0000001"), AUTH_MALFORMED},
		{&c.nc, PL("0000000g"), AUTH_MALFORMED},
		{&c.cnonce, PL_NULL, AUTH_MALFORMED},
		{&c.cnonce, PL(""), AUTH_MALFORMED},
		{&c.response, PL("abcd"), AUTH_MALFORMED},
		{&c.response, PL_NULL, AUTH_MALFORMED},
		{&c.uri, PL("sip:other"), AUTH_BAD_RESPONSE},
		{&c.cnonce, PL("forged"), AUTH_BAD_RESPONSE},
		{&c.nc, PL("00000002"), AUTH_BAD_RESPONSE},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		c = a.cred;
		*cases[i].field = cases[i].value;
		enum auth_result r = auth_server_verify(srv, &c, PL("INVITE"), &pw_secret);
		if (r != cases[i].want)
			fprintf(stderr, "case %zu: %s\n", i, auth_result_str(r));
		CHECK_EQ_INT(r, cases[i].want);
	}
	/* none of that burnt the nonce-count */
	CHECK_EQ_INT(auth_server_verify(srv, &a.cred, PL("INVITE"), &pw_secret), AUTH_OK);
	/* algorithm and qop tokens are case-insensitive; response hex too */
	REQUIRE(answer_next(&a) == 0);
	c = a.cred;
	c.algorithm = PL("sha-256");
	c.qop = PL("AUTH");
	char up[65];
	pl_strcpy(c.response, up, sizeof(up));
	for (char *p = up; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 32);
	c.response = cstr(up);
	CHECK_EQ_INT(auth_server_verify(srv, &c, PL("INVITE"), &pw_secret), AUTH_OK);
	/* no secret at all */
	struct auth_secret none = {.password = PL_NULL};
	REQUIRE(answer_next(&a) == 0);
	CHECK_EQ_INT(auth_server_verify(srv, &a.cred, PL("INVITE"), &none), AUTH_UNSUPPORTED_ALG);
	CHECK(strcmp(auth_result_str(AUTH_REPLAY), "replayed nonce-count") == 0);
	answer_free(&a);
	auth_server_free(srv);
}

/* ---- parser ---- */

static void parse_edge_cases(void)
{
	struct auth_credentials c;
	static const char base[] = "username=\"100\", realm=\"pbx\", nonce=\"n\", uri=\"sip:pbx\", "
				   "response=\"00\"";

	/* escaped quotes and backslashes stay escaped in the view */
	REQUIRE(auth_credentials_parse(PL("Digest username=\"a\\\"b\\\\\", realm=\"r\\,x\", "
					  "nonce=\"n\", uri=\"u\", response=\"r\""),
				       &c) == 0);
	CHECK_PL(c.username, "a\\\"b\\\\");
	CHECK(auth_credentials_user_eq(&c, PL("a\"b\\")));
	CHECK_PL(c.realm, "r\\,x");

	/* unknown parameters, including quoted commas, are skipped; names are case-insensitive */
	REQUIRE(auth_credentials_parse(PL("digest foo=bar, USERNAME=\"100\", x=\"a, b=c\", "
					  "Realm=pbx, nonce=\"n\", uri=\"sip:pbx\", "
					  "Response=\"00\", userhash=false"),
				       &c) == 0);
	CHECK_PL(c.username, "100");
	CHECK_PL(c.realm, "pbx");
	CHECK_PL(c.response, "00");

	/* LWS: tabs, spaces around '=' and ',', folds; empty quoted strings */
	REQUIRE(auth_credentials_parse(PL("  Digest\t username = \"100\" ,\r\n\trealm=\"pbx\""
					  "\r\n , nonce\r\n =\"n\",uri=\"sip:pbx\",response=\"00\","
					  "opaque=\"\" , qop = \"auth\"  "),
				       &c) == 0);
	CHECK_PL(c.username, "100");
	CHECK_PL(c.nonce, "n");
	CHECK(pl_isset(c.opaque) && c.opaque.l == 0);
	CHECK_PL(c.qop, "auth");

	/* errors */
	static const struct {
		const char *value;
		int err;
	} bad[] = {
		{"", EBADMSG},
		{"Digest", EBADMSG},
		{"Digest ", EBADMSG},
		{"Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", ENOTSUP},
		{"Digestusername=\"100\"", ENOTSUP},
		{"Digest username=\"100\", username=\"101\", realm=\"pbx\", nonce=\"n\", "
		 "uri=\"u\", response=\"00\"",
		 EBADMSG}, /* duplicate */
		{"Digest username=\"100\", Realm=\"pbx\", realm=\"pbx\", nonce=\"n\", "
		 "uri=\"u\", response=\"00\"",
		 EBADMSG}, /* duplicate, other case */
		{"Digest username=\"100\", realm=\"pbx\", nonce=\"n\", uri=\"u\"", EBADMSG},
		{"Digest realm=\"pbx\", nonce=\"n\", uri=\"u\", response=\"00\"", EBADMSG},
		{"Digest username=\"100\" realm=\"pbx\"", EBADMSG}, /* missing comma */
		{"Digest username", EBADMSG},
		{"Digest username=", EBADMSG},
		{"Digest username=\"100", EBADMSG},
		{"Digest username=\"100\\", EBADMSG},
		{"Digest username=\"10\r\n 0\"", EBADMSG}, /* no line break inside quotes */
		{"Digest username=\"10\x01\"", EBADMSG},
		{"Digest username=\"a\\\r\", realm=\"r\", nonce=\"n\", uri=\"u\", "
		 "response=\"0\"",
		 EBADMSG}, /* nor escaped */
		{"Digest username=\"100\",, realm=\"pbx\"", EBADMSG},
		{"Digest username=\"100\",", EBADMSG},
		{"Digest username=\"100\"\r\nrealm=\"pbx\"", EBADMSG}, /* bare line break */
		{"Digest username=a;b", EBADMSG},
		{"Digest =\"100\"", EBADMSG},
		{"Digest username=\"100\" x", EBADMSG},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int err = auth_credentials_parse(cstr(bad[i].value), &c);
		if (err != bad[i].err)
			fprintf(stderr, "bad[%zu] = %d\n", i, err);
		CHECK_EQ_INT(err, bad[i].err);
	}
	CHECK(auth_credentials_parse(PL_NULL, &c) == EBADMSG);

	/* the base set itself parses, and the output is untouched on failure */
	char buf[256];
	snprintf(buf, sizeof(buf), "Digest %s", base);
	REQUIRE(auth_credentials_parse(cstr(buf), &c) == 0);
	struct auth_credentials before = c;
	CHECK(auth_credentials_parse(PL("Digest x"), &c) == EBADMSG);
	CHECK(memcmp(&before, &c, sizeof(c)) == 0);

	/* challenges */
	struct auth_challenge ch;
	CHECK(auth_challenge_parse(PL("Digest realm=\"a\", nonce=\"b\", stale=TRUE, domain=\"x\""),
				   &ch) == 0 &&
	      ch.stale);
	CHECK(auth_challenge_parse(PL("Digest realm=\"a\", nonce=\"b\", stale=false"), &ch) == 0 &&
	      !ch.stale);
	CHECK(auth_challenge_parse(PL("Digest realm=\"a\", nonce=\"b\", stale=true, stale=true"),
				   &ch) == EBADMSG);
	CHECK(auth_challenge_parse(PL("Digest realm=\"a\""), &ch) == EBADMSG);
	CHECK(auth_challenge_parse(PL("Digest nonce=\"a\""), &ch) == EBADMSG);
}

/* Garbage and truncations of a valid value never crash and never half-succeed. */
static void parse_fuzz(void)
{
	static const char good[] =
		"Digest username=\"a\\\"b\", realm=\"pbx\", nonce=\"n\", uri=\"sip:pbx\", "
		"response=\"00\", qop=auth, nc=00000001, cnonce=\"c\"";
	struct auth_credentials c;
	struct auth_challenge ch;
	char buf[sizeof(good)];
	unsigned seed = 1;

	for (size_t n = 0; n < sizeof(good) - 1; n++) {
		int err = auth_credentials_parse(pl_from(good, n), &c);
		CHECK(err == EBADMSG || err == ENOTSUP || err == 0);
	}
	for (int i = 0; i < 20000; i++) {
		memcpy(buf, good, sizeof(good));
		for (int k = 0; k < 3; k++) {
			seed = seed * 1103515245u + 12345u;
			buf[(seed >> 8) % (sizeof(good) - 1)] = (char)(seed >> 20);
		}
		size_t len = (seed >> 4) % sizeof(good);
		int err = auth_credentials_parse(pl_from(buf, len), &c);
		CHECK(err == EBADMSG || err == ENOTSUP || err == 0);
		if (!err)
			CHECK(c.username.p >= buf && c.response.p + c.response.l <= buf + len);
		err = auth_challenge_parse(pl_from(buf, len), &ch);
		CHECK(err == EBADMSG || err == ENOTSUP || err == 0);
	}
}

static const struct test_case cases[] = {
	{"rfc7616_vectors_match", rfc7616_vectors_match},
	{"rfc2617_vector_matches", rfc2617_vector_matches},
	{"rfc7616_header_parses", rfc7616_header_parses},
	{"client_answers_rfc7616_challenge", client_answers_rfc7616_challenge},
	{"client_rfc2069_form", client_rfc2069_form},
	{"client_refuses", client_refuses},
	{"client_picks_sha256", client_picks_sha256},
	{"challenge_format", challenge_format},
	{"round_trips", round_trips},
	{"escaped_username", escaped_username},
	{"forged_nonces", forged_nonces},
	{"stale_nonces", stale_nonces},
	{"restart_with_secret", restart_with_secret},
	{"nonce_count_replay", nonce_count_replay},
	{"replay_table_bounded", replay_table_bounded},
	{"verify_rejects", verify_rejects},
	{"parse_edge_cases", parse_edge_cases},
	{"parse_fuzz", parse_fuzz},
};

TEST_MAIN(cases)

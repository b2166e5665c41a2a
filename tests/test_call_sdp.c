/* Unit tests for pbx/call_sdp.c's early-media and late-offer helpers, on a real media relay
 * (bridges bound on 127.0.0.1): the 183's SDP is what the 200 repeats unless something
 * changed, policy failures leave nothing applied, a late offer gets the per-leg policy. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/log.h"
#include "harness.h"
#include "net/loop.h"
#include "pbx/call_int.h"

#define ADDR "127.0.0.1"

static const char offer_a_txt[] = "v=0\r\n"
				  "o=alice 1 1 IN IP4 192.0.2.10\r\n"
				  "s=-\r\n"
				  "c=IN IP4 192.0.2.10\r\n"
				  "t=0 0\r\n"
				  "m=audio 4000 RTP/SAVP 0 8 101\r\n"
				  "a=rtpmap:0 PCMU/8000\r\n"
				  "a=rtpmap:8 PCMA/8000\r\n"
				  "a=rtpmap:101 telephone-event/8000\r\n"
				  "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
				  "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n";

#define KEY_B "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVpBQkNE" /* 30 bytes, AES_CM_128 */

struct env {
	struct loop *l;
	struct media *m;
	struct call *c;
	struct sdp *offer_a;
};

static void on_event(const struct media_event *ev, void *arg)
{
	(void)ev;
	(void)arg;
}

static bool env_open(struct env *e, bool a_tls, enum conf_encryption a_pol)
{
	struct media_conf conf = {.port_min = 47100, .port_max = 47399, .workers = 1};
	log_set_level(LOG_ERR);
	memset(e, 0, sizeof(*e));
	strcpy(conf.address, ADDR);
	if (loop_alloc(&e->l))
		return false;
	if (media_alloc(&e->m, &conf, e->l, on_event, NULL))
		return false;
	e->c = calloc(1, sizeof(*e->c));
	if (!e->c || sdp_origin_init(&e->c->a_origin) || sdp_origin_init(&e->c->b_origin))
		return false;
	strcpy(e->c->id, "test");
	e->c->a_tls = a_tls;
	e->c->a_kind = a_tls ? TP_TLS : TP_UDP;
	e->c->a_policy = a_pol;
	e->c->winner = -1;
	e->c->early = -1;
	e->offer_a = call_sdp_parse(offer_a_txt, sizeof(offer_a_txt) - 1);
	return e->offer_a != NULL;
}

static void env_close(struct env *e)
{
	if (e->c) {
		for (size_t i = 0; i < CALL_MAX_MEDIA; i++)
			if (e->c->media[i].bridge)
				media_bridge_free(e->c->media[i].bridge);
		call_sdp_wipe(e->c);
		free(e->c);
	}
	free(e->offer_a);
	if (e->m)
		media_free(e->m);
	if (e->l)
		loop_free(e->l);
}

/* A fork of B over TLS with this policy, offered to: its tag for AES_CM_128_HMAC_SHA1_80. */
static struct branch *fork_b(struct env *e, enum conf_encryption pol, uint32_t *tag)
{
	struct call *c = e->c;
	struct branch *b = &c->br[c->nbr++];
	struct mbuf mb;
	b->call = c;
	b->tls = true;
	b->kind = TP_TLS;
	b->policy = pol;
	mbuf_init(&mb);
	if (call_sdp_offer_to_b(c, b, e->offer_a, ADDR, &mb))
		return NULL;
	*tag = 0;
	for (size_t i = 0; i < b->keys[0].n; i++)
		if (b->keys[0].key[i].key.suite == SR_AES_CM_128_HMAC_SHA1_80)
			*tag = b->keys[0].key[i].tag;
	OPENSSL_cleanse(mb.buf, mb.cap);
	mbuf_free(&mb);
	return b;
}

/* B's answer: SRTP with tag (0: plain RTP), at port, in direction dir. */
static struct sdp *answer_b(char *buf, size_t size, uint32_t tag, unsigned port, const char *dir)
{
	int n = snprintf(buf, size,
			 "v=0\r\no=bob 7 7 IN IP4 192.0.2.20\r\ns=-\r\nc=IN IP4 192.0.2.20\r\n"
			 "t=0 0\r\nm=audio %u %s 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
			 "a=rtpmap:101 telephone-event/8000\r\na=%s\r\n",
			 port, tag ? "RTP/SAVP" : "RTP/AVP", dir);
	if (tag)
		snprintf(buf + n, size - (size_t)n,
			 "a=crypto:%u AES_CM_128_HMAC_SHA1_80 inline:" KEY_B "\r\n", tag);
	return call_sdp_parse(buf, strlen(buf));
}

static bool same(const struct mbuf *a, const struct mbuf *b)
{
	return a->len == b->len && !memcmp(a->buf, b->buf, a->len);
}

static unsigned long long version_of(const struct mbuf *mb)
{
	struct sdp *s = call_sdp_parse(mb->buf, mb->len);
	unsigned long long v = s ? strtoull(s->sess_version.p, NULL, 10) : 0;
	free(s);
	return v;
}

/* The 200 repeats the 183's SDP byte for byte when the callee's answer did not change. */
static void test_early_then_same(void)
{
	struct env e;
	struct mbuf e183, e200;
	char buf[512];
	uint16_t code = 0;
	const char *reason = NULL;
	uint32_t tag;
	mbuf_init(&e183);
	mbuf_init(&e200);
	REQUIRE(env_open(&e, true, ENC_MANDATORY));
	REQUIRE(call_sdp_offer_from_a(e.c, e.m, e.offer_a, &code, &reason) == 0);
	struct branch *b = fork_b(&e, ENC_MANDATORY, &tag);
	REQUIRE(b && tag);
	struct sdp *ans = answer_b(buf, sizeof(buf), tag, 5000, "sendrecv");
	REQUIRE(ans);
	CHECK_EQ_INT(call_sdp_early(e.c, b, e.offer_a, ans, ADDR, &e183, &code, &reason), 0);
	CHECK(e.c->a_sent != NULL);
	CHECK(e.c->media[0].b_srtp);
	CHECK(strstr(e183.buf, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:") != NULL);
	CHECK(strstr(e183.buf, KEY_B) == NULL); /* B's key never goes to A */
	CHECK(strstr(e183.buf, "m=audio 4000") == NULL);
	CHECK_EQ_INT(call_sdp_answer(e.c, b, e.offer_a, ans, ADDR, &e200, &code, &reason), 0);
	CHECK(same(&e183, &e200));
	CHECK(e.c->a_sent == NULL); /* wiped once final */
	free(ans);
	OPENSSL_cleanse(e183.buf, e183.cap);
	OPENSSL_cleanse(e200.buf, e200.cap);
	mbuf_free(&e183);
	mbuf_free(&e200);
	env_close(&e);
}

/* Another fork answers with another direction: a new answer, the next o= version, same key. */
static void test_early_then_changed(void)
{
	struct env e;
	struct mbuf e183, e200;
	char buf1[512], buf2[512];
	uint16_t code = 0;
	const char *reason = NULL;
	uint32_t tag1, tag2;
	mbuf_init(&e183);
	mbuf_init(&e200);
	REQUIRE(env_open(&e, true, ENC_OPTIONAL));
	REQUIRE(call_sdp_offer_from_a(e.c, e.m, e.offer_a, &code, &reason) == 0);
	struct branch *b1 = fork_b(&e, ENC_OPTIONAL, &tag1);
	struct branch *b2 = fork_b(&e, ENC_OPTIONAL, &tag2);
	REQUIRE(b1 && b2);
	struct sdp *a1 = answer_b(buf1, sizeof(buf1), tag1, 5000, "sendrecv");
	struct sdp *a2 = answer_b(buf2, sizeof(buf2), 0, 6000, "sendonly");
	REQUIRE(a1 && a2);
	REQUIRE(call_sdp_early(e.c, b1, e.offer_a, a1, ADDR, &e183, &code, &reason) == 0);
	REQUIRE(call_sdp_answer(e.c, b2, e.offer_a, a2, ADDR, &e200, &code, &reason) == 0);
	CHECK(!same(&e183, &e200));
	CHECK_EQ_INT(version_of(&e200), version_of(&e183) + 1);
	CHECK(strstr(e200.buf, "a=sendonly") != NULL); /* B only sends: so do we toward A */
	CHECK(!e.c->media[0].b_srtp); /* the winner answered in clear: B side now plain */
	/* the key toward A is the one the 183 gave */
	const char *k1 = strstr(e183.buf, "inline:"), *k2 = strstr(e200.buf, "inline:");
	REQUIRE(k1 && k2);
	CHECK(!strncmp(k1, k2, 47));
	free(a1);
	free(a2);
	OPENSSL_cleanse(e183.buf, e183.cap);
	OPENSSL_cleanse(e200.buf, e200.cap);
	mbuf_free(&e183);
	mbuf_free(&e200);
	env_close(&e);
}

/* A plain early answer on a mandatory fork fails, and leaves nothing behind. */
static void test_early_policy(void)
{
	struct env e;
	struct mbuf out;
	char buf[512];
	uint16_t code = 0;
	const char *reason = NULL;
	uint32_t tag;
	mbuf_init(&out);
	REQUIRE(env_open(&e, true, ENC_MANDATORY));
	REQUIRE(call_sdp_offer_from_a(e.c, e.m, e.offer_a, &code, &reason) == 0);
	struct branch *b = fork_b(&e, ENC_MANDATORY, &tag);
	REQUIRE(b);
	struct sdp *ans = answer_b(buf, sizeof(buf), 0, 5000, "sendrecv");
	REQUIRE(ans);
	CHECK(call_sdp_early(e.c, b, e.offer_a, ans, ADDR, &out, &code, &reason) != 0);
	CHECK_EQ_INT(code, 488);
	CHECK(reason && !strcmp(reason, "Callee answered without SRTP"));
	CHECK_EQ_INT(out.len, 0);
	CHECK(e.c->a_sent == NULL);
	free(ans);
	mbuf_free(&out);
	env_close(&e);
}

/* Late offer: B offers SRTP; A must encrypt: our offer to A is RTP/SAVP with fresh keys, A's
 * answer sets A's side, and our answer to B carries A's codec and a key of ours for B. */
static void test_late_offer(void)
{
	static const char offer_b_txt[] = "v=0\r\no=bob 3 3 IN IP4 192.0.2.20\r\ns=-\r\n"
					  "c=IN IP4 192.0.2.20\r\nt=0 0\r\n"
					  "m=audio 5000 RTP/SAVP 0 8\r\na=rtpmap:0 PCMU/8000\r\n"
					  "a=rtpmap:8 PCMA/8000\r\n"
					  "a=crypto:7 AES_CM_128_HMAC_SHA1_80 inline:" KEY_B "\r\n";
	struct env e;
	struct mbuf off, ans;
	char abuf[512];
	uint16_t code = 0;
	const char *reason = NULL;
	mbuf_init(&off);
	mbuf_init(&ans);
	REQUIRE(env_open(&e, true, ENC_MANDATORY));
	e.c->late = true;
	struct branch *b = &e.c->br[e.c->nbr++];
	b->call = e.c;
	b->tls = true;
	b->policy = ENC_OPTIONAL;
	struct sdp *ob = call_sdp_parse(offer_b_txt, sizeof(offer_b_txt) - 1);
	REQUIRE(ob);
	REQUIRE(call_sdp_late_offer(e.c, b, ob, e.m, ADDR, &off, &code, &reason) == 0);
	CHECK(e.c->media[0].bridge && e.c->media[0].b_srtp);
	struct sdp *o = call_sdp_parse(off.buf, off.len);
	REQUIRE(o);
	CHECK_EQ_INT(o->media[0].proto, SDP_PROTO_RTP_SAVP);
	CHECK_EQ_INT(o->media[0].ncrypto, SDP_MAX_KEYS);
	CHECK_EQ_INT(o->media[0].nfmt, 2); /* the callee's codecs */
	CHECK(o->media[0].port != 0 && o->media[0].port != 5000);
	CHECK(strstr(off.buf, KEY_B) == NULL);
	uint32_t tag = 0;
	for (size_t i = 0; i < o->media[0].ncrypto; i++)
		if (o->media[0].crypto[i].suite == SR_AES_CM_128_HMAC_SHA1_80)
			tag = o->media[0].crypto[i].tag;
	REQUIRE(tag);
	/* A answers PCMA only, with SRTP */
	snprintf(abuf, sizeof(abuf),
		 "v=0\r\no=alice 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
		 "m=audio 4000 RTP/SAVP 8\r\na=rtpmap:8 PCMA/8000\r\n"
		 "a=crypto:%u AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n",
		 tag);
	struct sdp *aa = call_sdp_parse(abuf, strlen(abuf));
	REQUIRE(aa);
	CHECK_EQ_INT(call_sdp_late_answer(e.c, b, ob, aa, ADDR, &ans, &code, &reason), 0);
	CHECK(e.c->media[0].a_srtp);
	CHECK(call_path_secure(e.c) == false); /* no winner yet in this test: B not connected */
	struct sdp *bb = call_sdp_parse(ans.buf, ans.len);
	REQUIRE(bb);
	CHECK_EQ_INT(bb->media[0].proto, SDP_PROTO_RTP_SAVP);
	CHECK_EQ_INT(bb->media[0].ncrypto, 1);
	CHECK_EQ_INT(bb->media[0].crypto[0].tag, 7);
	CHECK_EQ_INT(bb->media[0].nfmt, 1);
	CHECK_EQ_INT(bb->media[0].pt[0], 8);
	CHECK(strstr(ans.buf, KEY_B) == NULL);
	free(bb);
	free(aa);
	free(o);
	free(ob);
	OPENSSL_cleanse(off.buf, off.cap);
	OPENSSL_cleanse(ans.buf, ans.cap);
	mbuf_free(&off);
	mbuf_free(&ans);
	env_close(&e);
}

/* Late offer policy: a mandatory fork offering plain RTP is refused; a caller that must
 * encrypt answering in clear is refused, and nothing of that answer is applied. */
static void test_late_policy(void)
{
	static const char plain[] = "v=0\r\no=x 1 1 IN IP4 192.0.2.30\r\ns=-\r\n"
				    "c=IN IP4 192.0.2.30\r\nt=0 0\r\n"
				    "m=audio 5000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";
	struct env e;
	struct mbuf out;
	uint16_t code = 0;
	const char *reason = NULL;
	mbuf_init(&out);
	REQUIRE(env_open(&e, true, ENC_MANDATORY));
	struct sdp *p = call_sdp_parse(plain, sizeof(plain) - 1);
	REQUIRE(p);
	struct branch *b = &e.c->br[e.c->nbr++];
	b->call = e.c;
	b->tls = true;
	b->policy = ENC_MANDATORY;
	CHECK(call_sdp_late_offer(e.c, b, p, e.m, ADDR, &out, &code, &reason) != 0);
	CHECK_EQ_INT(code, 488);
	b->policy = ENC_OPTIONAL;
	REQUIRE(call_sdp_late_offer(e.c, b, p, e.m, ADDR, &out, &code, &reason) == 0);
	CHECK(strstr(out.buf, "RTP/SAVP") != NULL); /* A must encrypt */
	mbuf_reset(&out);
	CHECK(call_sdp_late_answer(e.c, b, p, p, ADDR, &out, &code, &reason) != 0);
	CHECK_EQ_INT(code, 488);
	CHECK(reason && !strcmp(reason, "Caller answered without SRTP"));
	CHECK(!e.c->media[0].a_srtp);
	free(p);
	OPENSSL_cleanse(out.buf, out.cap);
	mbuf_free(&out);
	env_close(&e);
}

/* What an ACK carries to refuse an offer: every stream at port 0, the next version. */
static void test_refuse(void)
{
	struct sdp *o = call_sdp_parse(offer_a_txt, sizeof(offer_a_txt) - 1);
	struct sdp_origin orig;
	struct mbuf out;
	mbuf_init(&out);
	REQUIRE(o && sdp_origin_init(&orig) == 0);
	REQUIRE(call_sdp_refuse(&orig, o, ADDR, &out) == 0);
	struct sdp *r = call_sdp_parse(out.buf, out.len);
	REQUIRE(r);
	CHECK_EQ_INT(r->nmedia, 1);
	CHECK_EQ_INT(r->media[0].port, 0);
	CHECK_EQ_INT(r->media[0].ncrypto, 0);
	CHECK_EQ_INT(orig.version, 2);
	free(r);
	free(o);
	mbuf_free(&out);
}

static const struct test_case tests[] = {
	{"early_then_same", test_early_then_same},
	{"early_then_changed", test_early_then_changed},
	{"early_policy", test_early_policy},
	{"late_offer", test_late_offer},
	{"late_policy", test_late_policy},
	{"refuse", test_refuse},

};

TEST_MAIN(tests)

/* Unit tests for pbx/trunk: outbound registration driven with a fake clock and a captured
 * transport (the provider's answers are fed back into the SIP stack): digest challenge answered
 * with the strongest algorithm and verified here, refresh at 80%, credentials on refreshes,
 * back-off with Retry-After, wrong credentials, stale nonces, 423, timeouts, un-REGISTER at
 * shutdown, reload; identification of the provider, INVITE challenge answers, listings. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/settings.h"
#include "core/log.h"
#include "harness.h"
#include "pbx/trunk.h"
#include "sip/auth.h"
#include "sip/tsx.h"

#define MAX_SENT 64

static struct {
	struct tmr_list tl;
	struct sip_stack *s;
	struct trunks *m;
	struct settings *cfg;
	char *sent[MAX_SENT];
	struct tp_peer to[MAX_SENT];
	size_t nsent, seen;
} fx;

static struct sip_msg last; /* the last REGISTER, parsed */

static int cap_send(const struct tp_peer *to, const char *data, size_t len, void *arg)
{
	(void)arg;
	if (fx.nsent < MAX_SENT) {
		fx.sent[fx.nsent] = malloc(len + 1);
		memcpy(fx.sent[fx.nsent], data, len);
		fx.sent[fx.nsent][len] = '\0';
		fx.to[fx.nsent] = *to;
		fx.nsent++;
	}
	return 0;
}

static void on_request(struct sip_strans *st, const struct sip_msg *req,
		       const struct tp_peer *from, void *arg)
{
	(void)st;
	(void)req;
	(void)from;
	(void)arg;
}

static struct settings *load(const char *text)
{
	char path[] = "/tmp/sotto-test-trunk-XXXXXX";
	int fd = mkstemp(path);
	struct settings *s = NULL;
	struct mbuf errs;

	if (fd < 0)
		return NULL;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		close(fd);
		unlink(path);
		return NULL;
	}
	close(fd);
	mbuf_init(&errs);
	if (settings_load(path, &s, &errs))
		fprintf(stderr, "%s", errs.buf ? errs.buf : "");
	mbuf_free(&errs);
	unlink(path);
	return s;
}

#define BASE "[transport]\nudp = 127.0.0.1:5060\n"
#define TRUNK_P                                                                                    \
	"[trunk p]\nhost = 192.0.2.10\ntransport = udp\nusername = 4420000000\n"                   \
	"password = trunk-secret\nregister = yes\ndids = 4420000000\n"

static bool setup(const char *conf)
{
	memset(&fx, 0, sizeof(fx));
	log_set_level(LOG_ERR);
	tmr_list_init(&fx.tl, 1000000);
	static const struct sip_timers st = {.t1_ms = 500, .t2_ms = 4000, .t4_ms = 5000,
					     .trying_ms = 200};
	fx.cfg = load(conf);
	if (!fx.cfg || sip_stack_alloc(&fx.s, &fx.tl, &st, cap_send, NULL, on_request, NULL))
		return false;
	struct trunks_deps d = {.cfg = fx.cfg, .timers = &fx.tl, .stack = fx.s};
	return trunks_alloc(&fx.m, &d) == 0;
}

static void teardown(void)
{
	trunks_shutdown(fx.m);
	sip_stack_free(fx.s);
	trunks_free(fx.m);
	settings_free(fx.cfg);
	tmr_list_close(&fx.tl);
	for (size_t i = 0; i < fx.nsent; i++)
		free(fx.sent[i]);
}

/* Advance the clock in 100 ms steps, as the loop would. */
static void run(uint64_t ms)
{
	uint64_t end = fx.tl.now_ms + ms;
	tmr_list_run(&fx.tl, fx.tl.now_ms);
	while (fx.tl.now_ms < end)
		tmr_list_run(&fx.tl, fx.tl.now_ms + 100 < end ? fx.tl.now_ms + 100 : end);
}

/* The next REGISTER sent since the last call (retransmissions skipped), parsed into last. */
static bool next_register(void)
{
	while (fx.seen < fx.nsent) {
		const char *m = fx.sent[fx.seen++];
		if (strncmp(m, "REGISTER ", 9))
			continue;
		if (sip_msg_parse(&last, m, strlen(m)))
			return false;
		/* a retransmission repeats the branch of the one before */
		return true;
	}
	return false;
}

static size_t registers_sent(void)
{
	size_t n = 0;
	char branch[64] = "";
	for (size_t i = 0; i < fx.nsent; i++) {
		struct sip_msg m;
		if (strncmp(fx.sent[i], "REGISTER ", 9) ||
		    sip_msg_parse(&m, fx.sent[i], strlen(fx.sent[i])))
			continue;
		if (m.via.branch.l < sizeof(branch) && !pl_eq_str(m.via.branch, branch)) {
			pl_strcpy(m.via.branch, branch, sizeof(branch));
			n++;
		}
	}
	return n;
}

static const char *hdr(const struct sip_msg *m, enum sip_hdr_id id, const char *name,
		       char *buf, size_t size)
{
	const struct sip_hdr *h = id ? sip_msg_hdr(m, id, NULL) : sip_msg_hdr_name(m, name);
	if (!h)
		return NULL;
	pl_strcpy(h->value, buf, size);
	return buf;
}

/* The provider answers the last REGISTER. */
static void respond(unsigned code, const char *reason, const char *extra)
{
	static char buf[4096];
	struct tp_peer from = {.kind = TP_UDP};
	sa_parse(&from.remote, "192.0.2.10:5060", 0);
	int n = snprintf(buf, sizeof(buf),
			 "SIP/2.0 %u %s\r\nVia: %.*s\r\nFrom: %.*s\r\n"
			 "To: %.*s;tag=prov\r\nCall-ID: %.*s\r\nCSeq: %u REGISTER\r\n%s"
			 "Content-Length: 0\r\n\r\n",
			 code, reason, PL_ARG(last.via.raw), PL_ARG(last.from.raw),
			 PL_ARG(last.to.raw), PL_ARG(last.call_id), last.cseq, extra ? extra : "");
	sip_stack_recv(fx.s, &from, buf, (size_t)n, 0);
}

static const char *state(const char *name)
{
	static char buf[300];
	struct trunk *t = trunk_find(fx.m, name);
	if (!t)
		return "(none)";
	trunk_state_str(t, buf, sizeof(buf));
	return buf;
}

#define CHECK_STATE(name, want)                                                                    \
	do {                                                                                       \
		const char *s_ = state(name);                                                      \
		if (strcmp(s_, want)) {                                                            \
			fprintf(stderr, "%s:%d: state '%s', expected '%s'\n", __FILE__, __LINE__,  \
				s_, want);                                                         \
			test_failures_++;                                                          \
		}                                                                                  \
	} while (0)

/* Check the Authorization of last against the password, as a registrar would. */
static bool credentials_ok(const char *hdr_name, const char *alg_name, uint32_t nc)
{
	const struct sip_hdr *h = sip_msg_hdr_name(&last, hdr_name);
	struct auth_credentials c;
	char ha1[AUTH_HEX_SIZE], want[AUTH_HEX_SIZE];
	enum auth_alg alg = strcmp(alg_name, "SHA-256") ? AUTH_ALG_MD5 : AUTH_ALG_SHA256;

	if (!h || auth_credentials_parse(h->value, &c) || !pl_eq_str(c.algorithm, alg_name))
		return false;
	char ncs[9];
	snprintf(ncs, sizeof(ncs), "%08x", nc);
	if (!pl_eq_str(c.nc, ncs) || !pl_eq_str(c.username, "4420000000") ||
	    !pl_eq_str(c.uri, "sip:192.0.2.10"))
		return false;
	if (auth_ha1(alg, PL("4420000000"), c.realm, PL("trunk-secret"), ha1) ||
	    auth_response(alg, ha1, c.nonce, nc, c.cnonce, PL("REGISTER"), c.uri, want))
		return false;
	return pl_eq_str(c.response, want);
}

#define CHAL_MD5                                                                                   \
	"WWW-Authenticate: Digest realm=\"prov\", nonce=\"n-md5-1\", algorithm=MD5, qop=\"auth\"\r\n"
#define CHAL_SHA                                                                                   \
	"WWW-Authenticate: Digest realm=\"prov\", nonce=\"n-sha-1\", algorithm=SHA-256, "         \
	"qop=\"auth\"\r\n"

static void register_digest_refresh(void)
{
	char b[256];
	REQUIRE(setup(BASE TRUNK_P));
	CHECK_STATE("p", "registering");
	run(0);
	REQUIRE(next_register());
	CHECK(pl_eq_str(last.ruri_raw, "sip:192.0.2.10"));
	CHECK(pl_eq_str(last.to.uri_raw, "sip:4420000000@192.0.2.10"));
	CHECK(pl_eq_str(last.from.uri_raw, "sip:4420000000@192.0.2.10"));
	CHECK(!strcmp(hdr(&last, SIP_HDR_EXPIRES, NULL, b, sizeof(b)), "600"));
	CHECK(!strcmp(hdr(&last, SIP_HDR_CONTACT, NULL, b, sizeof(b)),
		      "<sip:4420000000@127.0.0.1:5060;transport=udp>"));
	CHECK(pl_eq_str(last.via.host, "127.0.0.1") && last.via.port == 5060);
	CHECK(!sip_msg_hdr(&last, SIP_HDR_AUTHORIZATION, NULL));
	CHECK(fx.to[0].kind == TP_UDP && sa_port(&fx.to[0].remote) == 5060);
	uint32_t cseq = last.cseq;
	char call_id[64];
	pl_strcpy(last.call_id, call_id, sizeof(call_id));

	/* MD5 and SHA-256 offered: SHA-256 answered (RFC 8760) */
	respond(401, "Unauthorized", CHAL_MD5 CHAL_SHA);
	REQUIRE(next_register());
	CHECK(credentials_ok("Authorization", "SHA-256", 1));
	CHECK(last.cseq == cseq + 1 && pl_eq_str(last.call_id, call_id));
	CHECK_STATE("p", "registering");

	respond(200, "OK", "Contact: <sip:4420000000@127.0.0.1:5060;transport=udp>;expires=100\r\n");
	CHECK(trunk_registered(trunk_find(fx.m, "p")));
	CHECK_STATE("p", "registered (refresh in 80 s)");
	run(79900);
	CHECK(!next_register()); /* not before 80% */
	run(200);
	REQUIRE(next_register());
	CHECK(credentials_ok("Authorization", "SHA-256", 2)); /* credentials at once */
	CHECK(last.cseq == cseq + 2 && pl_eq_str(last.call_id, call_id));
	CHECK_STATE("p", "registered (refresh in 0 s)");
	respond(200, "OK", "Expires: 3600\r\n"); /* no expires on a Contact: the header */
	CHECK_STATE("p", "registered (refresh in 2880 s)");

	/* the refresh's nonce went stale: challenged again, answered with the new nonce */
	run(2880 * 1000);
	REQUIRE(next_register());
	respond(401, "Unauthorized",
		"WWW-Authenticate: Digest realm=\"prov\", nonce=\"n-md5-2\", algorithm=MD5, "
		"qop=\"auth\", stale=true\r\n");
	REQUIRE(next_register());
	CHECK(credentials_ok("Authorization", "MD5", 1));
	respond(200, "OK", "Expires: 60\r\n");
	CHECK_STATE("p", "registered (refresh in 48 s)");

	/* shutdown: Expires: 0 with credentials */
	CHECK_EQ_INT(trunks_shutdown(fx.m), 1);
	REQUIRE(next_register());
	CHECK(!strcmp(hdr(&last, SIP_HDR_EXPIRES, NULL, b, sizeof(b)), "0"));
	CHECK(credentials_ok("Authorization", "MD5", 2));
	CHECK_STATE("p", "unregistered");
	CHECK_EQ_INT(trunks_shutdown(fx.m), 0);
	teardown();
}

static void failures_back_off(void)
{
	REQUIRE(setup(BASE TRUNK_P));
	run(0);
	REQUIRE(next_register());
	respond(403, "Forbidden", NULL);
	CHECK_STATE("p", "failed: 403 Forbidden; retrying in 5 s");
	run(4900);
	CHECK(!next_register());
	run(100);
	REQUIRE(next_register());
	CHECK(!sip_msg_hdr(&last, SIP_HDR_AUTHORIZATION, NULL)); /* a fresh attempt */
	CHECK_STATE("p", "registering");
	respond(403, "Forbidden", NULL);
	CHECK_STATE("p", "failed: 403 Forbidden; retrying in 10 s");
	run(10000);
	REQUIRE(next_register());
	/* Retry-After on a 503 is respected */
	respond(503, "Service Unavailable", "Retry-After: 45 (maintenance)\r\n");
	CHECK_STATE("p", "failed: 503 Service Unavailable; retrying in 45 s");
	run(45000);
	REQUIRE(next_register());
	/* silence: timer F ends the attempt after 64*T1 */
	size_t before = registers_sent();
	run(31900);
	CHECK_STATE("p", "registering");
	run(200);
	CHECK_STATE("p", "failed: timeout (no answer); retrying in 90 s");
	CHECK_EQ_INT(registers_sent(), before); /* retransmissions, no new attempt */
	run(90000);
	REQUIRE(next_register());
	while (next_register()) /* skip the retransmissions of the silent attempt */
		;
	respond(401, "Unauthorized", CHAL_MD5);
	REQUIRE(next_register());
	/* capped at 5 min, and a success resets it */
	respond(200, "OK", "Expires: 600\r\n");
	CHECK_STATE("p", "registered (refresh in 480 s)");
	run(480000);
	REQUIRE(next_register());
	respond(500, "Server Error", NULL);
	CHECK_STATE("p", "failed: 500 Server Error; retrying in 5 s");
	teardown();
}

static void wrong_credentials_and_423(void)
{
	REQUIRE(setup(BASE TRUNK_P));
	run(0);
	REQUIRE(next_register());
	respond(401, "Unauthorized", CHAL_MD5);
	REQUIRE(next_register());
	CHECK(credentials_ok("Authorization", "MD5", 1));
	respond(401, "Unauthorized", CHAL_MD5); /* answered, challenged again: wrong password */
	CHECK(!next_register());
	CHECK_STATE("p", "failed: 401 Unauthorized (credentials refused); retrying in 5 s");

	run(5000);
	REQUIRE(next_register());
	respond(407, "Proxy Authentication Required",
		"Proxy-Authenticate: Digest realm=\"prov\", nonce=\"p1\", algorithm=MD5, "
		"qop=\"auth\"\r\n");
	REQUIRE(next_register());
	CHECK(credentials_ok("Proxy-Authorization", "MD5", 1));
	respond(423, "Interval Too Brief", "Min-Expires: 1200\r\n");
	REQUIRE(next_register());
	char b[64];
	CHECK(!strcmp(hdr(&last, SIP_HDR_EXPIRES, NULL, b, sizeof(b)), "1200"));
	CHECK(credentials_ok("Proxy-Authorization", "MD5", 2));
	respond(423, "Interval Too Brief", "Min-Expires: 1200\r\n"); /* no higher: give up */
	CHECK_STATE("p", "failed: 423 Interval Too Brief without a usable Min-Expires; "
			 "retrying in 10 s");
	run(10000);
	REQUIRE(next_register());
	CHECK(!strcmp(hdr(&last, SIP_HDR_EXPIRES, NULL, b, sizeof(b)), "600"));
	/* a challenge we cannot answer */
	respond(401, "Unauthorized",
		"WWW-Authenticate: Digest realm=\"prov\", nonce=\"x\", algorithm=MD5-sess\r\n");
	CHECK_STATE("p", "failed: 401 no digest challenge we can answer; retrying in 20 s");
	teardown();
}

static void no_registration_and_no_credentials(void)
{
	REQUIRE(setup(BASE "[trunk ip]\nhost = 192.0.2.10\ntransport = udp\n"
			   "[trunk nocred]\nhost = 192.0.2.20:5070\ntransport = udp\n"
			   "username = 4420000001\ncaller_id = +4930123\n"));
	run(1000);
	CHECK_EQ_INT(fx.nsent, 0);
	CHECK_STATE("ip", "unregistered (register = no)");
	struct trunk *t = trunk_find(fx.m, "nocred");
	REQUIRE(t);
	CHECK(!strcmp(trunk_name(t), "nocred"));
	CHECK(!strcmp(trunk_caller_id(t), "+4930123"));
	CHECK(!strcmp(trunk_username(t), "4420000001"));
	CHECK(!strcmp(trunk_host(t), "192.0.2.20"));
	CHECK(trunk_kind(t) == TP_UDP && trunk_encryption(t) == ENC_OPTIONAL);
	CHECK(sa_port(&trunk_peer(t)->remote) == 5070);
	CHECK(!strcmp(trunk_contact(t), "sip:4420000001@127.0.0.1:5060;transport=udp"));
	CHECK(!strcmp(trunk_caller_id(trunk_find(fx.m, "ip")), ""));
	CHECK(!trunk_find(fx.m, "p"));
	CHECK_EQ_INT(trunks_shutdown(fx.m), 0);
	teardown();
}

static void identify_provider(void)
{
	REQUIRE(setup(BASE TRUNK_P "[trunk second]\nhost = 192.0.2.10:5080\ntransport = udp\n"
				   "dids = 4420000009\n"
				   "[trunk other]\nhost = [2001:db8::1]\ntransport = tcp\n"));
	struct tp_peer from = {.kind = TP_UDP};
	struct trunk *p = trunk_find(fx.m, "p"), *second = trunk_find(fx.m, "second");
	/* over UDP the provider's address and port: another port on its host is a stranger */
	sa_parse(&from.remote, "192.0.2.10:5099", 0);
	CHECK(trunk_identify(fx.m, &from) == NULL);
	sa_parse(&from.remote, "192.0.2.10:5060", 0);
	CHECK(trunk_identify(fx.m, &from) == p);
	CHECK(trunk_identify_did(fx.m, &from, "+4420000000") == p);
	CHECK(trunk_identify_did(fx.m, &from, "123") == p);
	sa_parse(&from.remote, "192.0.2.10:5080", 0);
	CHECK(trunk_identify_did(fx.m, &from, "4420000009") == second);
	from.kind = TP_TCP; /* same address, another transport */
	CHECK(trunk_identify(fx.m, &from) == NULL);
	from.kind = TP_UDP;
	sa_parse(&from.remote, "192.0.2.11:5060", 0);
	CHECK(trunk_identify(fx.m, &from) == NULL);
	from.kind = TP_TCP; /* a stream from the provider's host, not the trunk's connection */
	sa_parse(&from.remote, "[2001:db8::1]:40000", 0);
	CHECK(trunk_identify(fx.m, &from) == NULL);
	CHECK(!strcmp(trunk_host(trunk_find(fx.m, "other")), "[2001:db8::1]"));
	CHECK(trunk_identify(fx.m, NULL) == NULL);
	teardown();
}

static void invite_challenge_answer(void)
{
	static struct sip_msg resp;
	struct mbuf mb;
	REQUIRE(setup(BASE TRUNK_P "[trunk ip]\nhost = 192.0.2.30\ntransport = udp\n"));
	struct trunk *t = trunk_find(fx.m, "p");
	REQUIRE(t);
	mbuf_init(&mb);
	const char *r407 = "SIP/2.0 407 Proxy Authentication Required\r\n"
			   "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKinv1\r\n"
			   "From: <sip:4420000000@192.0.2.10>;tag=a\r\n"
			   "To: <sip:441632960000@192.0.2.10>;tag=b\r\n"
			   "Call-ID: inv1\r\nCSeq: 1 INVITE\r\n"
			   "Proxy-Authenticate: Digest realm=\"prov\", nonce=\"i1\", "
			   "algorithm=MD5, qop=\"auth\"\r\nContent-Length: 0\r\n\r\n";
	REQUIRE(sip_msg_parse(&resp, r407, strlen(r407)) == 0);
	CHECK(trunk_auth_answer(t, &resp, "INVITE", "sip:441632960000@192.0.2.10", &mb) == 0);
	REQUIRE(mb.len);
	CHECK(!strncmp(mb.buf, "Proxy-Authorization: Digest ", 28));
	CHECK(mb.len > 2 && !memcmp(mb.buf + mb.len - 2, "\r\n", 2));
	CHECK(strstr(mb.buf, "uri=\"sip:441632960000@192.0.2.10\"") != NULL);
	CHECK(strstr(mb.buf, "username=\"4420000000\"") != NULL);

	/* no credentials, not a challenge, no usable challenge: nothing written */
	size_t len = mb.len;
	CHECK_EQ_INT(trunk_auth_answer(trunk_find(fx.m, "ip"), &resp, "INVITE", "sip:x@y", &mb),
		     EPERM);
	const char *r200 = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKinv1\r\n"
			   "From: <sip:a@b>;tag=a\r\nTo: <sip:c@d>;tag=b\r\nCall-ID: inv1\r\n"
			   "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
	REQUIRE(sip_msg_parse(&resp, r200, strlen(r200)) == 0);
	CHECK_EQ_INT(trunk_auth_answer(t, &resp, "INVITE", "sip:x@y", &mb), EINVAL);
	const char *r401 = "SIP/2.0 401 Unauthorized\r\n"
			   "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKinv1\r\n"
			   "From: <sip:a@b>;tag=a\r\nTo: <sip:c@d>;tag=b\r\nCall-ID: inv1\r\n"
			   "CSeq: 1 INVITE\r\nWWW-Authenticate: Basic realm=\"x\"\r\n"
			   "Content-Length: 0\r\n\r\n";
	REQUIRE(sip_msg_parse(&resp, r401, strlen(r401)) == 0);
	CHECK_EQ_INT(trunk_auth_answer(t, &resp, "INVITE", "sip:x@y", &mb), ENOENT);
	CHECK_EQ_INT(mb.len, len);
	CHECK_EQ_INT(trunk_auth_answer(NULL, &resp, "INVITE", "sip:x@y", &mb), EINVAL);
	mbuf_free(&mb);
	teardown();
}

static void listings(void)
{
	struct mbuf mb;
	REQUIRE(setup(BASE TRUNK_P "[trunk ip]\nhost = 192.0.2.30\ntransport = udp\n"
				   "encryption = off\n"));
	run(0);
	REQUIRE(next_register());
	respond(200, "OK", "Expires: 100\r\n");
	mbuf_init(&mb);
	trunks_print(fx.m, &mb, NULL, NULL);
	REQUIRE(mb.buf);
	CHECK(strstr(mb.buf, "\np            UDP  192.0.2.10:5060          optional       0  "
			     "registered (refresh in 80 s)\n") != NULL);
	CHECK(strstr(mb.buf, "\nip           UDP  192.0.2.30:5060          off            0  "
			     "unregistered (register = no)\n") != NULL);
	CHECK(strstr(mb.buf, "\n2 trunk(s)\n") != NULL);
	mbuf_reset(&mb);
	trunks_json(fx.m, &mb, NULL, NULL);
	REQUIRE(mb.buf);
	mbuf_write(&mb, "", 1);
	CHECK(!strncmp(mb.buf,
		       "[{\"name\":\"p\",\"host\":\"192.0.2.10\",\"address\":\"192.0.2.10:5060\","
		       "\"transport\":\"udp\",\"encryption\":\"optional\","
		       "\"registration\":\"registered\",\"state\":\"registered (refresh in 80 s)\","
		       "\"last_error\":null,\"expires_in_s\":100,\"calls\":0},{\"name\":\"ip\"",
		       200));
	CHECK(strstr(mb.buf, "\"registration\":\"off\"") != NULL);
	mbuf_free(&mb);
	teardown();
}

static void reload_keeps_changes_and_removes(void)
{
	REQUIRE(setup(BASE TRUNK_P "[trunk keep]\nhost = 192.0.2.40\ntransport = udp\n"));
	run(0);
	REQUIRE(next_register());
	respond(200, "OK", "Expires: 100\r\n");
	struct trunk *keep = trunk_find(fx.m, "keep"), *p = trunk_find(fx.m, "p");

	/* keep unchanged (moved), p changed (expires): p unregisters and starts again */
	struct settings *cfg2 = load(BASE "[trunk keep]\nhost = 192.0.2.40\ntransport = udp\n" TRUNK_P
					  "expires = 300\n");
	REQUIRE(cfg2);
	CHECK(trunks_set_settings(fx.m, cfg2) == 0);
	CHECK(trunk_find(fx.m, "keep") == keep); /* same object: nothing restarted */
	struct trunk *p2 = trunk_find(fx.m, "p");
	CHECK(p2 && p2 != p);
	REQUIRE(next_register());
	char b[64];
	CHECK(!strcmp(hdr(&last, SIP_HDR_EXPIRES, NULL, b, sizeof(b)), "0")); /* the old one */
	run(0);
	REQUIRE(next_register());
	CHECK(!strcmp(hdr(&last, SIP_HDR_EXPIRES, NULL, b, sizeof(b)), "300"));
	CHECK(trunk_name(p)[0] == 'p'); /* the retired one is still there for calls */

	/* p removed */
	struct settings *cfg3 = load(BASE "[trunk keep]\nhost = 192.0.2.40\ntransport = udp\n");
	REQUIRE(cfg3);
	CHECK(trunks_set_settings(fx.m, cfg3) == 0);
	CHECK(!trunk_find(fx.m, "p"));
	struct tp_peer from = {.kind = TP_UDP};
	sa_parse(&from.remote, "192.0.2.10:5060", 0);
	CHECK(trunk_identify(fx.m, &from) == NULL);
	struct mbuf mb;
	mbuf_init(&mb);
	trunks_print(fx.m, &mb, NULL, NULL);
	CHECK(mb.buf && strstr(mb.buf, "\n1 trunk(s)\n"));
	mbuf_free(&mb);
	teardown();
	settings_free(cfg2);
	settings_free(cfg3);
}

static const struct test_case tests[] = {
	{"register_digest_refresh", register_digest_refresh},
	{"failures_back_off", failures_back_off},
	{"wrong_credentials_and_423", wrong_credentials_and_423},
	{"no_registration_and_no_credentials", no_registration_and_no_credentials},
	{"identify_provider", identify_provider},
	{"invite_challenge_answer", invite_challenge_answer},
	{"listings", listings},
	{"reload_keeps_changes_and_removes", reload_keeps_changes_and_removes},
};
TEST_MAIN(tests)

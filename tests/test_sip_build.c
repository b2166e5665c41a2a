/* Unit tests for src/sip/build.c: responses built from parsed requests and parsed back,
 * received/rport (RFC 3581), To tags, error responses for malformed requests, reason phrases,
 * header injection through reasons, tags and extra headers, random tokens and branches. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mbuf.h"
#include "harness.h"
#include "net/sa.h"
#include "sip/build.h"
#include "sip/msg.h"

static struct sip_msg req, resp;
static struct mbuf mb;

static const char invite[] = "INVITE sip:bob@example.com SIP/2.0\r\n"
                             "Via: SIP/2.0/UDP 192.0.2.4:5062;branch=z9hG4bKnashds7;rport\r\n"
                             "Via: SIP/2.0/TCP proxy.example.com;branch=z9hG4bK2, SIP/2.0/UDP\r\n"
                             "  far.example.com;branch=z9hG4bK3\r\n"
                             "Max-Forwards: 70\r\n"
                             "From: \"Alice\" <sip:alice@example.com>;tag=1928301774\r\n"
                             "To: Bob <sip:bob@example.com>\r\n"
                             "Call-ID: a84b4c76e66710@pc33.example.com\r\n"
                             "CSeq: 314159 INVITE\r\n"
                             "Content-Length: 0\r\n"
                             "\r\n";

static bool pl_eq(struct pl a, struct pl b)
{
	return a.l == b.l && (!a.l || !memcmp(a.p, b.p, a.l));
}

static struct sa src4(const char *ip, uint16_t port)
{
	struct sa sa;
	memset(&sa, 0, sizeof(sa));
	sa_set(&sa, pl_from(ip, strlen(ip)), port);
	return sa;
}

/* Parse text as the request, build a response into mb, parse that as resp. */
static int roundtrip(const char *text, const struct sa *src, uint16_t code, const char *reason,
                     const char *tag)
{
	int err = sip_msg_parse(&req, text, strlen(text));
	if (err)
		return err;
	mbuf_reset(&mb);
	err = sip_build_response(&mb, &req, src, code, reason, tag, NULL, PL_NULL, NULL);
	if (err)
		return err;
	return sip_msg_parse(&resp, mb.buf, mb.len);
}

static const struct sip_hdr *nth_via(const struct sip_msg *m, int n)
{
	const struct sip_hdr *h = NULL;
	while ((h = sip_msg_hdr(m, SIP_HDR_VIA, h)))
		if (n-- == 0)
			return h;
	return NULL;
}

static void response_roundtrip(void)
{
	struct sa src = src4("198.51.100.7", 40000);
	const struct sip_hdr *h;

	REQUIRE(roundtrip(invite, &src, 180, NULL, "as5f8e2c91") == 0);
	CHECK(!resp.is_request);
	CHECK_EQ_INT(resp.scode, 180);
	CHECK_PL(resp.reason, "Ringing");
	CHECK_EQ_INT(resp.nvia, 3);
	/* every Via in order, each on its own line, folds gone */
	h = nth_via(&resp, 1);
	REQUIRE(h);
	CHECK_PL(h->value, "SIP/2.0/TCP proxy.example.com;branch=z9hG4bK2");
	h = nth_via(&resp, 2);
	REQUIRE(h);
	CHECK_PL(h->value, "SIP/2.0/UDP  far.example.com;branch=z9hG4bK3");
	CHECK_PL(resp.via.branch, "z9hG4bKnashds7");
	CHECK_PL(resp.from.tag, "1928301774");
	CHECK_PL(resp.from.display, "Alice");
	CHECK_PL(resp.to.tag, "as5f8e2c91");
	CHECK_PL(resp.to.display, "Bob");
	CHECK_PL(resp.call_id, "a84b4c76e66710@pc33.example.com");
	CHECK_EQ_INT(resp.cseq, 314159);
	CHECK(resp.cseq_mid == SIP_INVITE);
	CHECK_EQ_INT(resp.content_length, 0);
	CHECK(!strstr(mb.buf, "\r\n "));
}

static void received_rport(void)
{
	struct sa src = src4("198.51.100.7", 40000);

	/* bare rport: filled with the source port, and received= always added (RFC 3581 4) */
	REQUIRE(roundtrip(invite, &src, 200, NULL, "t") == 0);
	CHECK(resp.via.rport);
	CHECK_EQ_INT(resp.via.rport_val, 40000);
	CHECK_PL(resp.via.received, "198.51.100.7");
	CHECK_PL(resp.via.host, "192.0.2.4");
	CHECK_EQ_INT(resp.via.port, 5062);

	/* same address, no rport: nothing to add (RFC 3261 18.2.1) */
	const char *plain = "OPTIONS sip:b@h SIP/2.0\r\n"
	                    "Via: SIP/2.0/UDP 192.0.2.4:5060;branch=z9hG4bK1\r\n"
	                    "To: <sip:b@h>\r\nFrom: <sip:a@h>;tag=1\r\nCall-ID: x\r\n"
	                    "CSeq: 1 OPTIONS\r\n\r\n";
	src = src4("192.0.2.4", 5060);
	REQUIRE(roundtrip(plain, &src, 200, NULL, NULL) == 0);
	CHECK(!pl_isset(resp.via.received));
	CHECK(!resp.via.rport);

	/* different address: received= */
	src = src4("203.0.113.9", 5060);
	REQUIRE(roundtrip(plain, &src, 200, NULL, NULL) == 0);
	CHECK_PL(resp.via.received, "203.0.113.9");

	/* a host name is never the source address; an old received= is replaced */
	const char *named =
	    "OPTIONS sip:b@h SIP/2.0\r\n"
	    "Via: SIP/2.0/TCP pc.example.com;received=198.51.100.1;branch=z9hG4bK1;rport=7\r\n"
	    "To: <sip:b@h>\r\nFrom: <sip:a@h>;tag=1\r\nCall-ID: x\r\n"
	    "CSeq: 1 OPTIONS\r\n\r\n";
	src = src4("192.0.2.4", 5060);
	REQUIRE(roundtrip(named, &src, 200, NULL, NULL) == 0);
	CHECK_PL(resp.via.received, "192.0.2.4");
	CHECK_EQ_INT(resp.via.rport_val, 7); /* a value already there is kept */
	CHECK(strstr(mb.buf, "198.51.100.1") == NULL);

	/* IPv6: compared as addresses, written without brackets */
	const char *v6 = "OPTIONS sip:b@h SIP/2.0\r\n"
	                 "Via: SIP/2.0/UDP [2001:db8::0:1]:5070;branch=z9hG4bK1;rport\r\n"
	                 "To: <sip:b@h>\r\nFrom: <sip:a@h>;tag=1\r\nCall-ID: x\r\n"
	                 "CSeq: 1 OPTIONS\r\n\r\n";
	src = src4("2001:db8::1", 5071);
	REQUIRE(roundtrip(v6, &src, 200, NULL, NULL) == 0);
	CHECK_PL(resp.via.received, "2001:db8::1");
	CHECK_EQ_INT(resp.via.rport_val, 5071);
	CHECK(resp.via.host_ipv6);

	/* no source: Via copied as it came */
	REQUIRE(roundtrip(v6, NULL, 200, NULL, NULL) == 0);
	CHECK(!pl_isset(resp.via.received));
	CHECK(resp.via.rport && resp.via.rport_val == 0);
}

static void to_tag(void)
{
	const char *tagged = "BYE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
	                     "To: <sip:b@h>;tag=existing\r\nFrom: <sip:a@h>;tag=1\r\nCall-ID: x\r\n"
	                     "CSeq: 2 BYE\r\n\r\n";
	const char *addrspec = "BYE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
	                       "To: sip:b@h\r\nFrom: <sip:a@h>;tag=1\r\nCall-ID: x\r\n"
	                       "CSeq: 2 BYE\r\n\r\n";

	REQUIRE(roundtrip(tagged, NULL, 200, NULL, "new") == 0);
	CHECK_PL(resp.to.tag, "existing");
	REQUIRE(roundtrip(addrspec, NULL, 200, NULL, "new") == 0);
	CHECK_PL(resp.to.tag, "new");
	CHECK_PL(resp.to.uri_raw, "sip:b@h");
	REQUIRE(roundtrip(addrspec, NULL, 100, NULL, NULL) == 0);
	CHECK(!pl_isset(resp.to.tag));

	/* a tag that would break the header is refused, not written */
	REQUIRE(sip_msg_parse(&req, addrspec, strlen(addrspec)) == 0);
	mbuf_reset(&mb);
	CHECK_EQ_INT(
	    sip_build_response(&mb, &req, NULL, 200, NULL, "a\r\nX: y", NULL, PL_NULL, NULL),
	    EINVAL);
	CHECK_EQ_INT(sip_build_response(&mb, &req, NULL, 200, NULL, "", NULL, PL_NULL, NULL),
	             EINVAL);
	CHECK_EQ_INT(sip_build_response(&mb, &req, NULL, 200, NULL, "a;b", NULL, PL_NULL, NULL),
	             EINVAL);
}

static void reason_sanitized(void)
{
	REQUIRE(roundtrip(invite, NULL, 486, "Busy\r\nX-Injected: yes\r\n\r\nv=0", "t") == 0);
	CHECK_EQ_INT(resp.scode, 486);
	CHECK(!sip_msg_hdr_name(&resp, "X-Injected"));
	CHECK(resp.reason.l && !memchr(resp.reason.p, '\r', resp.reason.l));
	CHECK_PL(resp.reason, "BusyX-Injected: yesv=0");
	CHECK_EQ_INT(resp.body.l, 0);

	REQUIRE(roundtrip(invite, NULL, 603, "\r\n\x01", "t") == 0);
	CHECK_PL(resp.reason, "Decline"); /* nothing left: the default */
	REQUIRE(roundtrip(invite, NULL, 404, "", "t") == 0);
	CHECK_PL(resp.reason, "Not Found");

	char longr[1000];
	memset(longr, 'r', sizeof(longr) - 1);
	longr[sizeof(longr) - 1] = '\0';
	REQUIRE(roundtrip(invite, NULL, 500, longr, "t") == 0);
	CHECK(resp.reason.l <= 128);
}

static void body_and_extras(void)
{
	static const char sdp[] = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n";

	REQUIRE(sip_msg_parse(&req, invite, strlen(invite)) == 0);
	mbuf_reset(&mb);
	REQUIRE(sip_build_response(&mb, &req, NULL, 200, NULL, "t",
	                           "Contact: <sip:bob@192.0.2.9>\r\nServer: Sotto\r\n",
	                           pl_from(sdp, sizeof(sdp) - 1), "application/sdp") == 0);
	REQUIRE(sip_msg_parse(&resp, mb.buf, mb.len) == 0);
	CHECK_PL(resp.content_type, "application/sdp");
	CHECK_EQ_INT(resp.content_length, (long long)(sizeof(sdp) - 1));
	CHECK_PL(resp.body, sdp);
	CHECK(sip_msg_hdr(&resp, SIP_HDR_CONTACT, NULL));
	CHECK(sip_msg_hdr(&resp, SIP_HDR_SERVER, NULL));

	mbuf_reset(&mb);
	CHECK_EQ_INT(sip_build_response(&mb, &req, NULL, 200, NULL, "t", NULL,
	                                pl_from(sdp, sizeof(sdp) - 1), NULL),
	             EINVAL);
	CHECK_EQ_INT(sip_build_response(&mb, &req, NULL, 200, NULL, "t", NULL,
	                                pl_from(sdp, sizeof(sdp) - 1), "a/b\r\nX: y"),
	             EINVAL);
	static const char *const bad_extra[] = {"Server: x", "Server: x\r\n\r\nBody",
	                                        "A: 1\nB: 2\r\n", "\r\n", "A: 1\rB: 2\r\n"};
	for (size_t i = 0; i < sizeof(bad_extra) / sizeof(bad_extra[0]); i++)
		CHECK_EQ_INT(sip_build_response(&mb, &req, NULL, 200, NULL, "t", bad_extra[i],
		                                PL_NULL, NULL),
		             EINVAL);
	CHECK_EQ_INT(sip_build_response(&mb, &req, NULL, 99, NULL, NULL, NULL, PL_NULL, NULL),
	             EINVAL);
	CHECK_EQ_INT(sip_build_response(&mb, &req, NULL, 700, NULL, NULL, NULL, PL_NULL, NULL),
	             EINVAL);
	CHECK_EQ_INT(sip_build_response(&mb, NULL, NULL, 200, NULL, NULL, NULL, PL_NULL, NULL),
	             EINVAL);
	/* a response is not something to answer */
	const char *r = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nTo: <sip:b@h>\r\n"
	                "From: <sip:a@h>;tag=1\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n\r\n";
	REQUIRE(sip_msg_parse(&resp, r, strlen(r)) == 0);
	CHECK_EQ_INT(sip_build_response(&mb, &resp, NULL, 200, NULL, NULL, NULL, PL_NULL, NULL),
	             EINVAL);
}

static int load(const char *name, char **data, size_t *len)
{
	char path[256];
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "tests/vectors/sip/%s.sip", name);
	f = fopen(path, "rb");
	if (!f)
		return errno;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	*data = malloc((size_t)n + 1);
	if (!*data || fread(*data, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(*data);
		return EIO;
	}
	fclose(f);
	*len = (size_t)n;
	return 0;
}

static void error_responses(void)
{
	static const struct {
		const char *file, *reason;
		uint16_t code, want;
	} t[] = {
	    {"invalid/mismatch01", "Method Mismatch", 400, 400},
	    {"invalid/clerr", "Bad Content-Length", 400, 400},
	    {"invalid/ltgtruri", "Malformed Request-URI", 400, 400},
	    {"invalid/badvers", "Version Not Supported", 400, 505},
	    {"invalid/regbadct", "Malformed Contact", 0, 400},
	    {"valid/own_invite_sdp", "Message Too Large", 513, 513},
	};
	struct sa src = src4("192.0.2.99", 5060);

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *data;
		size_t len;

		if (load(t[i].file, &data, &len)) {
			fprintf(stderr, "%s missing\n", t[i].file);
			test_failures_++;
			continue;
		}
		sip_msg_parse(&req, data, len);
		mbuf_reset(&mb);
		CHECK(req.can_reply);
		CHECK_EQ_INT(sip_build_error_response(&mb, &req, &src, t[i].code), 0);
		CHECK_EQ_INT(sip_msg_parse(&resp, mb.buf, mb.len), 0);
		CHECK_EQ_INT(resp.scode, t[i].want);
		if (!pl_eq_str(resp.reason, t[i].reason)) {
			fprintf(stderr, "%s: reason '%.*s'\n", t[i].file, PL_ARG(resp.reason));
			test_failures_++;
		}
		CHECK(resp.to.tag.l == 16 || pl_eq(resp.to.tag, req.to.tag));
		CHECK(pl_eq(resp.call_id, req.call_id));
		CHECK(pl_eq(resp.cseq_method, req.method)); /* what the client's transaction has */
		CHECK_PL(resp.via.received, "192.0.2.99");
		free(data);
	}

	/* nothing to route a reply with: refused */
	const char *insuf = "INVITE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
	                    "CSeq: 1 INVITE\r\n\r\n";
	CHECK_EQ_INT(sip_msg_parse(&req, insuf, strlen(insuf)), EBADMSG);
	CHECK_EQ_INT(sip_build_error_response(&mb, &req, &src, 400), EINVAL);
}

/* Every valid request vector gets a response that parses back with the same dialog fields. */
static void vectors_answered(void)
{
	DIR *d = opendir("tests/vectors/sip/valid");
	struct dirent *de;
	struct sa src = src4("192.0.2.200", 5080);
	int n = 0;

	REQUIRE(d);
	while ((de = readdir(d))) {
		char name[300], *data;
		size_t len, l = strlen(de->d_name);

		if (l < 5 || strcmp(de->d_name + l - 4, ".sip"))
			continue;
		snprintf(name, sizeof(name), "valid/%.*s", (int)(l - 4), de->d_name);
		if (load(name, &data, &len))
			continue;
		if (sip_msg_parse(&req, data, len) == 0 && req.is_request) {
			mbuf_reset(&mb);
			if (sip_build_response(&mb, &req, &src, 200, NULL, "tt", NULL, PL_NULL,
			                       NULL) ||
			    sip_msg_parse(&resp, mb.buf, mb.len)) {
				fprintf(stderr, "%s: response does not parse: %s\n", name,
				        resp.error ? resp.error : "?");
				test_failures_++;
			} else {
				CHECK_EQ_INT(resp.nvia, req.nvia);
				CHECK(pl_eq(resp.call_id, req.call_id));
				CHECK(pl_eq(resp.from.tag, req.from.tag));
				CHECK_EQ_INT(resp.cseq, req.cseq);
				CHECK(pl_eq(resp.via.branch, req.via.branch));
				n++;
			}
		}
		free(data);
	}
	closedir(d);
	CHECK(n >= 20);
}

static void reason_phrases(void)
{
	static const struct {
		uint16_t code;
		const char *reason;
	} t[] = {
	    {100, "Trying"},
	    {180, "Ringing"},
	    {183, "Session Progress"},
	    {200, "OK"},
	    {202, "Accepted"},
	    {302, "Moved Temporarily"},
	    {400, "Bad Request"},
	    {401, "Unauthorized"},
	    {403, "Forbidden"},
	    {404, "Not Found"},
	    {407, "Proxy Authentication Required"},
	    {408, "Request Timeout"},
	    {415, "Unsupported Media Type"},
	    {416, "Unsupported URI Scheme"},
	    {420, "Bad Extension"},
	    {423, "Interval Too Brief"},
	    {480, "Temporarily Unavailable"},
	    {481, "Call/Transaction Does Not Exist"},
	    {483, "Too Many Hops"},
	    {486, "Busy Here"},
	    {487, "Request Terminated"},
	    {488, "Not Acceptable Here"},
	    {491, "Request Pending"},
	    {494, "Security Agreement Required"},
	    {500, "Server Internal Error"},
	    {501, "Not Implemented"},
	    {503, "Service Unavailable"},
	    {505, "Version Not Supported"},
	    {513, "Message Too Large"},
	    {580, "Precondition Failure"},
	    {603, "Decline"},
	    {499, "Bad Request"},
	    {299, "OK"},
	    {42, "Unknown"},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		CHECK(!strcmp(sip_reason_phrase(t[i].code), t[i].reason));
}

static void random_tokens(void)
{
	char a[33], b[33], br[40], small[39];

	CHECK_EQ_INT(sip_random_token(a, 32), 0);
	CHECK_EQ_INT(sip_random_token(b, 32), 0);
	CHECK_EQ_INT(strlen(a), 32);
	CHECK(strcmp(a, b));
	for (int i = 0; i < 32; i++)
		CHECK((a[i] >= '0' && a[i] <= '9') || (a[i] >= 'a' && a[i] <= 'z') ||
		      (a[i] >= 'A' && a[i] <= 'Z'));
	CHECK_EQ_INT(sip_random_branch(br, sizeof(br)), 0);
	CHECK(!strncmp(br, "z9hG4bK", 7));
	CHECK_EQ_INT(strlen(br), 39);
	CHECK_EQ_INT(sip_random_branch(small, sizeof(small)), EINVAL);
	CHECK_EQ_INT(sip_random_token(NULL, 4), EINVAL);
}

static const struct test_case cases[] = {
    {"response_roundtrip", response_roundtrip},
    {"received_rport", received_rport},
    {"to_tag", to_tag},
    {"reason_sanitized", reason_sanitized},
    {"body_and_extras", body_and_extras},
    {"error_responses", error_responses},
    {"vectors_answered", vectors_answered},
    {"reason_phrases", reason_phrases},
    {"random_tokens", random_tokens},
};

int main(int argc, char **argv)
{
	int rc;

	mbuf_init(&mb);
	rc = test_run_(argv[0], cases, sizeof(cases) / sizeof(cases[0]), argc > 1 ? argv[1] : NULL);
	mbuf_free(&mb);
	return rc;
}

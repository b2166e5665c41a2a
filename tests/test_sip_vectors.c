/* RFC 4475 torture messages and our own real-world and malformed messages, as files in
 * tests/vectors/sip/{valid,invalid}/ (see the README there for the classification): every
 * valid one parses, every invalid one fails with a reason, and some get their values checked. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "sip/msg.h"

#define VEC_DIR "tests/vectors/sip"

struct vec {
	char name[64];
	char *data;
	size_t len;
};

static int read_file(const char *path, struct vec *v)
{
	FILE *f = fopen(path, "rb");
	long n;

	if (!f)
		return errno;
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		fclose(f);
		return EIO;
	}
	/* exactly n bytes: ASan then catches any read past the message */
	v->data = malloc(n ? (size_t)n : 1);
	if (!v->data || fread(v->data, 1, (size_t)n, f) != (size_t)n) {
		free(v->data);
		fclose(f);
		return EIO;
	}
	v->len = (size_t)n;
	fclose(f);
	return 0;
}

static int load(const char *dir, const char *name, struct vec *v)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s/%s.sip", VEC_DIR, dir, name);
	snprintf(v->name, sizeof(v->name), "%s", name);
	return read_file(path, v);
}

/* Calls fn for each *.sip in the directory; the number of files, or -1 if it can't be read. */
static int walk(const char *dir, void (*fn)(struct vec *v))
{
	char path[512];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "%s/%s", VEC_DIR, dir);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		struct vec v;
		char file[1024];

		if (l < 5 || strcmp(de->d_name + l - 4, ".sip"))
			continue;
		snprintf(file, sizeof(file), "%s/%s", path, de->d_name);
		snprintf(v.name, sizeof(v.name), "%.*s", (int)(l - 4), de->d_name);
		if (read_file(file, &v)) {
			fprintf(stderr, "cannot read %s\n", file);
			test_failures_++;
			continue;
		}
		fn(&v);
		free(v.data);
		n++;
	}
	closedir(d);
	return n;
}

static struct sip_msg msg;

static void must_parse(struct vec *v)
{
	int err = sip_msg_parse(&msg, v->data, v->len);
	if (err) {
		fprintf(stderr, "valid/%s: %d (%s)\n", v->name, err, msg.error ? msg.error : "?");
		test_failures_++;
		return;
	}
	CHECK(msg.can_reply);
	CHECK(msg.error == NULL);
	CHECK(msg.nvia > 0);
}

static void must_fail(struct vec *v)
{
	int err = sip_msg_parse(&msg, v->data, v->len);
	if (err != EBADMSG || !msg.error || !*msg.error) {
		fprintf(stderr, "invalid/%s: parsed (%d)\n", v->name, err);
		test_failures_++;
	}
}

static void valid_all_parse(void)
{
	int n = walk("valid", must_parse);
	REQUIRE(n > 0); /* a missing or empty directory is a failure */
	CHECK(n >= 30);
}

static void invalid_all_fail(void)
{
	int n = walk("invalid", must_fail);
	REQUIRE(n > 0);
	CHECK(n >= 20);
}

/* ---- values of named messages ---- */

static bool parse_named(const char *dir, const char *name, struct vec *v)
{
	if (load(dir, name, v)) {
		fprintf(stderr, "%s/%s.sip missing\n", dir, name);
		test_failures_++;
		return false;
	}
	return true;
}

static void wsinv(void)
{
	struct vec v;
	struct sip_addr c;
	struct pl val;
	const struct sip_hdr *h;

	if (!parse_named("valid", "wsinv", &v))
		return;
	CHECK(sip_msg_parse(&msg, v.data, v.len) == 0);
	CHECK(msg.mid == SIP_INVITE);
	CHECK_PL(msg.ruri.user, "vivekg");
	CHECK_PL(msg.ruri.host, "chair-dnrc.example.com");
	CHECK_PL(msg.ruri.params, ";unknownparam");
	CHECK_PL(msg.call_id, "wsinv.ndaksdj@192.0.2.1");
	CHECK_PL(msg.to.tag, "1918181833n");
	CHECK_PL(msg.to.uri.user, "vivekg");
	CHECK_PL(msg.from.tag, "98asjd8");
	CHECK_PL(msg.from.display, "J Rosenberg \\\\\\\"");
	CHECK_EQ_INT(msg.max_forwards, 68);
	CHECK_EQ_INT(msg.cseq, 9);
	CHECK_PL(msg.cseq_method, "INVITE");
	CHECK_EQ_INT(msg.nvia, 3);
	CHECK_PL(msg.via.transport, "UDP");
	CHECK_PL(msg.via.host, "192.0.2.2");
	CHECK_PL(msg.via.branch, "390skdjuw");
	CHECK_EQ_INT(msg.content_length, 150);
	CHECK_EQ_INT(msg.body.l, 150);
	CHECK(msg.body.l && msg.body.p[0] == 'v');
	CHECK_PL(msg.content_type, "application/sdp");
	h = sip_msg_hdr(&msg, SIP_HDR_SUBJECT, NULL);
	CHECK(h && h->value.l == 0);
	h = sip_msg_hdr_name(&msg, "newfangledheader");
	CHECK(h && h->value.l > 20 && memcmp(h->value.p, "newfangled value", 16) == 0);
	h = sip_msg_hdr(&msg, SIP_HDR_CONTACT, NULL);
	REQUIRE(h);
	CHECK(sip_addr_parse(&c, h->value) == 0);
	CHECK_PL(c.display, "Quoted string \\\"\\\"");
	CHECK_PL(c.q, "0.33");
	CHECK(sip_param(c.params, "newparam", &val));
	CHECK_PL(val, "newvalue");
	CHECK(sip_param(c.params, "secondparam", &val) && val.l == 0);
	h = sip_msg_hdr(&msg, SIP_HDR_ROUTE, NULL);
	REQUIRE(h);
	CHECK(sip_addr_parse(&c, h->value) == 0 && c.uri.lr);
	free(v.data);
}

static void intmeth(void)
{
	struct vec v;
	const struct sip_hdr *h;

	if (!parse_named("valid", "intmeth", &v))
		return;
	CHECK(sip_msg_parse(&msg, v.data, v.len) == 0);
	CHECK(msg.mid == SIP_METHOD_UNKNOWN);
	CHECK_PL(msg.method, "!interesting-Method0123456789_*+`.%indeed'~");
	CHECK_PL(msg.ruri.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
	CHECK_PL(msg.ruri.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
	CHECK_PL(msg.ruri.host, "example.com");
	CHECK_PL(msg.to.uri.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
	CHECK_EQ_INT(msg.to.display.l, 20); /* BEL:\<07> NUL:\<00> DEL:\<7F> */
	CHECK_PL(msg.from.display, "token1~` token2'+_ token3*%!.-");
	CHECK_PL(msg.from.tag, "_token~1'+`*%!-.");
	CHECK_PL(msg.call_id, "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{");
	CHECK_EQ_INT(msg.cseq, 139122385);
	CHECK_EQ_INT(msg.max_forwards, 255);
	CHECK_PL(msg.via.branch, "z9hG4bK-.!%66*_+`'~");
	h = sip_msg_hdr_name(&msg, "extensionHeader-!.%*+_`'~");
	CHECK(h && h->value.l == 12);
	free(v.data);
}

static void escapes(void)
{
	struct vec v;
	const struct sip_hdr *h = NULL;
	struct sip_addr c;
	int n = 0;

	if (parse_named("valid", "esc01", &v)) {
		CHECK(sip_msg_parse(&msg, v.data, v.len) == 0);
		CHECK_PL(msg.ruri.user, "sips%3Auser%40example.com");
		CHECK_PL(msg.ruri.host, "example.net");
		CHECK_PL(msg.to.uri.user, "%75se%72");
		CHECK_PL(msg.from.uri.user, "I%20have%20spaces");
		CHECK_PL(msg.call_id, "esc01.239409asdfakjkn23onasd0-3234");
		h = sip_msg_hdr(&msg, SIP_HDR_CONTACT, NULL);
		CHECK(h && sip_addr_parse(&c, h->value) == 0);
		CHECK_PL(c.uri.params, ";%6C%72;n%61me=v%61lue%25%34%31");
		free(v.data);
	}
	if (parse_named("valid", "escnull", &v)) {
		CHECK(sip_msg_parse(&msg, v.data, v.len) == 0);
		CHECK_PL(msg.to.uri.user, "null-%00-null");
		h = NULL;
		while ((h = sip_msg_hdr(&msg, SIP_HDR_CONTACT, h)))
			n++;
		CHECK_EQ_INT(n, 2);
		CHECK_EQ_INT(msg.content_length, 0);
		free(v.data);
	}
	if (parse_named("valid", "esc02", &v)) {
		CHECK(sip_msg_parse(&msg, v.data, v.len) == 0);
		CHECK(msg.mid == SIP_METHOD_UNKNOWN);
		CHECK_PL(msg.from.display, "%Z%45");
		n = 0;
		h = NULL;
		while ((h = sip_msg_hdr(&msg, SIP_HDR_CONTACT, h)))
			n++;
		CHECK_EQ_INT(n, 2); /* C%6Fntact is another header */
		CHECK(sip_msg_hdr_name(&msg, "C%6Fntact") != NULL);
		free(v.data);
	}
}

static void framing(void)
{
	struct vec v;
	struct pl val;

	if (parse_named("valid", "dblreq", &v)) {
		CHECK(sip_msg_parse(&msg, v.data, v.len) == 0);
		CHECK(msg.mid == SIP_REGISTER);
		CHECK_PL(msg.call_id, "dblreq.0ha0isndaksdj99sdfafnl3lk233412");
		CHECK_EQ_INT(msg.body.l, 0);
		CHECK(msg.raw.l < v.len); /* the trailing INVITE is not part of it */
		free(v.data);
	}
	if (parse_named("valid", "mpart01", &v)) {
		CHECK(sip_msg_parse(&msg, v.data, v.len) == 0);
		CHECK_EQ_INT(msg.body.l, 553);
		CHECK(msg.via.rport && msg.via.rport_val == 0);
		CHECK_EQ_INT(msg.via.port, 5070);
		free(v.data);
	}
	if (parse_named("valid", "inv2543", &v)) {
		CHECK(sip_msg_parse(&msg, v.data, v.len) == 0);
		CHECK_EQ_INT(msg.content_length, -1);
		CHECK_EQ_INT(msg.max_forwards, -1);
		CHECK_EQ_INT(msg.body.l, v.len - (size_t)(msg.body.p - v.data));
		CHECK(!pl_isset(msg.via.branch));
		/* addr-spec: ;user=phone belongs to the header (RFC 3261 20.10), unlike From's */
		CHECK_EQ_INT(msg.to.uri.user_param.l, 0);
		CHECK(sip_param(msg.to.params, "user", &val));
		CHECK_PL(val, "phone");
		CHECK_PL(msg.from.uri.user_param, "phone");
		free(v.data);
	}
}

static void lists_and_uris(void)
{
	struct vec v;
	const struct sip_hdr *h;
	struct pl item = PL_NULL;
	int n = 0;

	if (parse_named("valid", "semiuri", &v)) {
		CHECK(sip_msg_parse(&msg, v.data, v.len) == 0);
		CHECK_PL(msg.ruri.user, "user;par=u%40example.net");
		CHECK_PL(msg.ruri.host, "example.com");
		h = sip_msg_hdr(&msg, SIP_HDR_ACCEPT, NULL);
		REQUIRE(h);
		while (sip_list_next(h->value, &item))
			n++;
		CHECK_EQ_INT(n, 6);
		CHECK_PL(item, "message/sipfrag");
		free(v.data);
	}
	if (parse_named("valid", "longreq", &v)) {
		CHECK(sip_msg_parse(&msg, v.data, v.len) == 0);
		CHECK_EQ_INT(msg.nvia, 34);
		CHECK_PL(msg.via.host, "sip33.example.com");
		CHECK_EQ_INT(msg.to.uri.port, 6000);
		CHECK_EQ_INT(msg.from.tag.l, 2 + 49 * 3 + 3);
		free(v.data);
	}
	if (parse_named("valid", "transports", &v)) {
		CHECK(sip_msg_parse(&msg, v.data, v.len) == 0);
		CHECK_EQ_INT(msg.nvia, 5);
		free(v.data);
	}
	if (parse_named("valid", "unksm2", &v)) {
		CHECK(sip_msg_parse(&msg, v.data, v.len) == 0);
		CHECK_PL(msg.to.uri.scheme, "isbn");
		CHECK_PL(msg.to.uri.opaque, "2983792873");
		CHECK_PL(msg.from.uri.scheme, "http");
		free(v.data);
	}
	if (parse_named("valid", "novelsc", &v)) {
		CHECK(sip_msg_parse(&msg, v.data, v.len) == 0);
		CHECK_PL(msg.ruri.scheme, "soap.beep");
		free(v.data);
	}
	if (parse_named("valid", "own_ipv6", &v)) {
		CHECK(sip_msg_parse(&msg, v.data, v.len) == 0);
		CHECK(msg.ruri.host_ipv6);
		CHECK_PL(msg.ruri.host, "2001:db8::10");
		CHECK_EQ_INT(msg.ruri.port, 5060);
		CHECK(msg.via.host_ipv6);
		CHECK_PL(msg.via.host, "2001:db8::9:1");
		CHECK_EQ_INT(msg.via.port, 5070);
		CHECK_EQ_INT(msg.nvia, 2);
		free(v.data);
	}
}

static void responses(void)
{
	struct vec v;

	if (parse_named("valid", "unreason", &v)) {
		CHECK(sip_msg_parse(&msg, v.data, v.len) == 0);
		CHECK(!msg.is_request);
		CHECK_EQ_INT(msg.scode, 200);
		CHECK(msg.reason.l > 14 && memcmp(msg.reason.p, "= 2**3 * 5**2 ", 14) == 0);
		CHECK_EQ_INT(msg.body.l, 154);
		free(v.data);
	}
	if (parse_named("valid", "noreason", &v)) {
		CHECK(sip_msg_parse(&msg, v.data, v.len) == 0);
		CHECK_EQ_INT(msg.scode, 100);
		CHECK_EQ_INT(msg.reason.l, 0);
		CHECK_PL(msg.to.tag, "902jndnke3");
		free(v.data);
	}
}

/* Invalid messages fail for the reason RFC 4475 gives, and can still be answered when it
 * says the element should answer. */
static void invalid_reasons(void)
{
	static const struct {
		const char *name, *error;
		bool can_reply;
		uint16_t scode;
	} t[] = {
	    {"badinv01", "Malformed Via", false, 400},
	    {"clerr", "Bad Content-Length", true, 400},
	    {"ncl", "Bad Content-Length", true, 400},
	    {"scalar02", "Bad CSeq", false, 400},
	    {"quotbal", "Malformed To", false, 400},
	    {"ltgtruri", "Malformed Request-URI", true, 400},
	    {"lwsruri", "Malformed Request-URI", true, 400},
	    {"lwsstart", "Malformed Request-URI", true, 400},
	    {"trws", "Malformed Request-Line", true, 400},
	    {"escruri", "Malformed Request-URI", true, 400},
	    {"regbadct", "Malformed Contact", true, 400},
	    {"badaspec", "Malformed To", false, 400},
	    {"baddn", "Malformed From", false, 400},
	    {"badvers", "Version Not Supported", true, 505},
	    {"mismatch01", "Method Mismatch", true, 400},
	    {"mismatch02", "Method Mismatch", true, 400},
	    {"insuf", "Missing From", false, 400},
	    {"multi01", "Duplicate Sequence Number", true, 400},
	    {"mcl01", "Multiple Content-Length", true, 400},
	    {"own_bare_cr", "Bad line ending", false, 400},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct vec v;

		if (!parse_named("invalid", t[i].name, &v))
			continue;
		CHECK(sip_msg_parse(&msg, v.data, v.len) == EBADMSG);
		if (!msg.error || strcmp(msg.error, t[i].error)) {
			fprintf(stderr, "%s: error '%s', expected '%s'\n", t[i].name,
			        msg.error ? msg.error : "(null)", t[i].error);
			test_failures_++;
		}
		if (msg.can_reply != t[i].can_reply || msg.error_scode != t[i].scode) {
			fprintf(stderr, "%s: can_reply %d scode %u\n", t[i].name, msg.can_reply,
			        msg.error_scode);
			test_failures_++;
		}
		free(v.data);
	}
}

/* Every prefix of every valid message is handled without reading past it. */
static void truncations(void)
{
	static const char *const names[] = {"wsinv",          "intmeth", "longreq",
	                                    "own_invite_sdp", "mpart01", "unreason"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct vec v;

		if (!parse_named("valid", names[i], &v))
			continue;
		for (size_t n = 0; n < v.len; n++) {
			char *cut = malloc(n ? n : 1);
			REQUIRE(cut);
			memcpy(cut, v.data, n);
			int err = sip_msg_parse(&msg, cut, n);
			CHECK(err == 0 || (err == EBADMSG && msg.error));
			free(cut);
		}
		free(v.data);
	}
}

static const struct test_case cases[] = {
    {"valid_all_parse", valid_all_parse},
    {"invalid_all_fail", invalid_all_fail},
    {"wsinv", wsinv},
    {"intmeth", intmeth},
    {"escapes", escapes},
    {"framing", framing},
    {"lists_and_uris", lists_and_uris},
    {"responses", responses},
    {"invalid_reasons", invalid_reasons},
    {"truncations", truncations},
};

TEST_MAIN(cases)

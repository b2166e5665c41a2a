/* Unit tests for src/sip/{msg,uri,hdr}.c: URIs (IPv6, escapes, tel, other schemes), Via
 * parameters, name-addr / addr-spec, compact forms, folding, lists, CSeq and Content-Length
 * rules, start lines, required headers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "sip/msg.h"
#include "sip/msg_int.h"

static struct sip_msg msg;

/* Parse a NUL-terminated message from a heap copy of exactly its length (ASan sees overreads). */
static char *heap_copy;

static int parse(const char *s)
{
	size_t n = strlen(s);

	free(heap_copy);
	heap_copy = malloc(n ? n : 1);
	if (!heap_copy)
		return ENOMEM;
	memcpy(heap_copy, s, n);
	return sip_msg_parse(&msg, heap_copy, n);
}

#define REQ_HEAD(method, ruri)                                                                     \
	method " " ruri " SIP/2.0\r\n"                                                             \
	       "Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bK776asdhds\r\n"                     \
	       "Max-Forwards: 70\r\n"                                                              \
	       "To: Bob <sip:bob@example.com>\r\n"                                                 \
	       "From: Alice <sip:alice@example.com>;tag=1928301774\r\n"                            \
	       "Call-ID: a84b4c76e66710@pc33.example.com\r\n"

#define OPTIONS REQ_HEAD("OPTIONS", "sip:bob@example.com") "CSeq: 1 OPTIONS\r\n"

/* ---- character classes against a slow reference ---- */

static bool in(const char *set, int c) { return c && strchr(set, c) != NULL; }

static void char_classes(void)
{
	for (int c = 0; c < 256; c++) {
		bool alnum =
		    (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
		bool unres = alnum || in("-_.!~*'()", c);
		char ch = (char)c;

		CHECK(cc_is(ch, CC_TOKEN) == (alnum || in("-.!%*_+`'~", c)));
		CHECK(cc_is(ch, CC_UNRES) == unres);
		CHECK(cc_is(ch, CC_USER) == (unres || in("&=+$,;?/", c)));
		CHECK(cc_is(ch, CC_PASS) == (unres || in("&=+$,", c)));
		CHECK(cc_is(ch, CC_PARAM) == (unres || in("[]/:&+$", c)));
		CHECK(cc_is(ch, CC_HNV) == (unres || in("[]/?:+$", c)));
		CHECK(cc_is(ch, CC_WS) == in(" \t\r\n", c));
		CHECK(cc_is(ch, CC_DIGIT) == (c >= '0' && c <= '9'));
		CHECK(cc_is(ch, CC_WORD) == (alnum || in("-.!%*_+`'~()<>:\\\"/[]?{}", c)));
	}
}

/* ---- URIs ---- */

static void uri_sip(void)
{
	struct sip_uri u;
	struct pl v;

	REQUIRE(sip_uri_parse(&u, PL("sip:alice:secret@Example.COM:5061;transport=tcp;lr;x=1"
	                             "?Subject=hi&Priority=urgent")) == 0);
	CHECK_PL(u.scheme, "sip");
	CHECK(!u.sips && !u.tel);
	CHECK_PL(u.user, "alice");
	CHECK_PL(u.password, "secret");
	CHECK_PL(u.host, "Example.COM");
	CHECK_EQ_INT(u.port, 5061);
	CHECK_PL(u.transport, "tcp");
	CHECK(u.lr);
	CHECK_PL(u.params, ";transport=tcp;lr;x=1");
	CHECK_PL(u.headers, "Subject=hi&Priority=urgent");
	CHECK(sip_param(u.params, "X", &v));
	CHECK_PL(v, "1");

	REQUIRE(sip_uri_parse(&u, PL("SIPS:example.com;maddr=239.255.255.1;user=phone")) == 0);
	CHECK(u.sips);
	CHECK_EQ_INT(u.user.l, 0);
	CHECK_PL(u.host, "example.com");
	CHECK_EQ_INT(u.port, 0);
	CHECK_PL(u.maddr, "239.255.255.1");
	CHECK_PL(u.user_param, "phone");

	REQUIRE(sip_uri_parse(&u, PL("sip:192.0.2.1:5060")) == 0);
	CHECK_PL(u.host, "192.0.2.1");
	CHECK_EQ_INT(u.port, 5060);
}

static void uri_ipv6(void)
{
	struct sip_uri u;

	REQUIRE(sip_uri_parse(&u, PL("sip:bob@[2001:db8::1]:5070;transport=udp")) == 0);
	CHECK(u.host_ipv6);
	CHECK_PL(u.host, "2001:db8::1");
	CHECK_EQ_INT(u.port, 5070);
	REQUIRE(sip_uri_parse(&u, PL("sip:[::ffff:192.0.2.1]")) == 0);
	CHECK_PL(u.host, "::ffff:192.0.2.1");
	CHECK_EQ_INT(sip_uri_parse(&u, PL("sip:[2001:db8::1")), EBADMSG);
	CHECK_EQ_INT(sip_uri_parse(&u, PL("sip:[]")), EBADMSG);
	CHECK_EQ_INT(sip_uri_parse(&u, PL("sip:[1234]")), EBADMSG);
	CHECK_EQ_INT(sip_uri_parse(&u, PL("sip:[2001:db8::g]")), EBADMSG);
	CHECK_EQ_INT(sip_uri_parse(&u, PL("sip:[::1]x")), EBADMSG);
}

static void uri_escapes(void)
{
	struct sip_uri u;

	REQUIRE(sip_uri_parse(&u, PL("sip:%61lice%20b@example.com;n%61me=v%25")) == 0);
	CHECK_PL(u.user, "%61lice%20b"); /* kept as written */
	CHECK_EQ_INT(sip_uri_parse(&u, PL("sip:a%4@example.com")), EBADMSG);
	CHECK_EQ_INT(sip_uri_parse(&u, PL("sip:a%zz@example.com")), EBADMSG);
	CHECK_EQ_INT(sip_uri_parse(&u, PL("sip:a@example.com;p=%")), EBADMSG);
	CHECK_EQ_INT(sip_uri_parse(&u, PL("sip:a:p%2@example.com")), EBADMSG);
}

static void uri_tel_and_others(void)
{
	struct sip_uri u;

	REQUIRE(sip_uri_parse(&u, PL("tel:+1-201-555-0123;phone-context=example.com")) == 0);
	CHECK(u.tel);
	CHECK_PL(u.user, "+1-201-555-0123");
	CHECK_EQ_INT(u.host.l, 0);
	CHECK_PL(u.params, ";phone-context=example.com");
	REQUIRE(sip_uri_parse(&u, PL("TEL:*67#")) == 0);
	CHECK_EQ_INT(sip_uri_parse(&u, PL("tel:")), EBADMSG);
	CHECK_EQ_INT(sip_uri_parse(&u, PL("tel:+1 555")), EBADMSG);

	REQUIRE(sip_uri_parse(&u, PL("urn:service:sos")) == 0);
	CHECK_PL(u.scheme, "urn");
	CHECK_PL(u.opaque, "service:sos");
	CHECK_EQ_INT(u.host.l, 0);
	CHECK_EQ_INT(sip_uri_parse(&u, PL("mailto:")), EBADMSG);
	CHECK_EQ_INT(sip_uri_parse(&u, PL("1sip:a@b")), EBADMSG);
	CHECK_EQ_INT(sip_uri_parse(&u, PL("nocolon")), EBADMSG);
	CHECK_EQ_INT(sip_uri_parse(&u, PL("http://a b")), EBADMSG);
}

static void uri_malformed(void)
{
	static const char *const bad[] = {
	    "sip:",       "sip:bob@",        "sip:@example.com", "sip:bob@example.com:",
	    "sip:b@h:0",  "sip:b@h:65536",   "sip:b@h:5x",       "sip:b@h;;lr",
	    "sip:b@h;=x", "sip:b@h;a=",      "sip:b@h?",         "sip:b @h",
	    "sip:b@h>",   "sip:b@.h",        "sip:b@h\r\n",      "sip:a:b:c@h",
	    "<sip:b@h>",  "sip:b@h;lr?x=1 ",
	};
	struct sip_uri u;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (sip_uri_parse(&u, pl_from(bad[i], strlen(bad[i]))) != EBADMSG) {
			fprintf(stderr, "accepted bad URI '%s'\n", bad[i]);
			test_failures_++;
		}
	}
	CHECK_EQ_INT(sip_uri_parse(&u, PL_NULL), EINVAL);
}

/* ---- Via ---- */

static void via_params(void)
{
	struct sip_via v;

	REQUIRE(sip_via_parse(&v, PL("SIP/2.0/UDP 198.51.100.11:4540;received=192.0.2.1;rport=9988;"
	                             "branch=z9hG4bKkjshdyff;maddr=224.2.0.1;ttl=16;x")) == 0);
	CHECK_PL(v.protocol, "SIP/2.0");
	CHECK_PL(v.transport, "UDP");
	CHECK_PL(v.host, "198.51.100.11");
	CHECK_EQ_INT(v.port, 4540);
	CHECK_PL(v.received, "192.0.2.1");
	CHECK(v.rport);
	CHECK_EQ_INT(v.rport_val, 9988);
	CHECK_PL(v.branch, "z9hG4bKkjshdyff");
	CHECK_PL(v.maddr, "224.2.0.1");
	CHECK_EQ_INT(v.ttl, 16);
	CHECK(v.params.l && v.params.p[0] == ';');

	REQUIRE(sip_via_parse(&v, PL("SIP/2.0/TCP client.example.com;rport;branch=z9hG4bK1")) == 0);
	CHECK(v.rport);
	CHECK_EQ_INT(v.rport_val, 0);
	CHECK_EQ_INT(v.port, 0);

	/* LWS everywhere the grammar allows it, folds included */
	REQUIRE(sip_via_parse(&v, PL("SIP  /\r\n 2.0 / TLS\r\n  h.example.com : 5061 ;\r\n "
	                             "branch = z9hG4bKx ; received = [2001:db8::5]")) == 0);
	CHECK_PL(v.transport, "TLS");
	CHECK_PL(v.host, "h.example.com");
	CHECK_EQ_INT(v.port, 5061);
	CHECK_PL(v.branch, "z9hG4bKx");
	CHECK_PL(v.received, "2001:db8::5");

	REQUIRE(sip_via_parse(&v, PL("SIP/2.0/UDP [2001:db8::9:1]:5070;received=2001:db8::1")) ==
	        0);
	CHECK(v.host_ipv6);
	CHECK_PL(v.host, "2001:db8::9:1");
	CHECK_EQ_INT(v.port, 5070);
	CHECK_PL(v.received, "2001:db8::1");
	CHECK(!pl_isset(v.branch));
}

static void via_malformed(void)
{
	static const char *const bad[] = {
	    "",
	    "SIP/2.0",
	    "SIP/2.0/UDP",
	    "SIP/2.0/UDP ",
	    "SIP/2.0 host",
	    "SIP/2.0/UDPhost",
	    "SIP//UDP host",
	    "SIP/2.0/UDP host:",
	    "SIP/2.0/UDP host:0",
	    "SIP/2.0/UDP host:70000",
	    "SIP/2.0/UDP [::1",
	    "SIP/2.0/UDP host;;branch=z9hG4bK1",
	    "SIP/2.0/UDP host;branch",
	    "SIP/2.0/UDP host;branch=",
	    "SIP/2.0/UDP host;rport=0",
	    "SIP/2.0/UDP host;rport=65536",
	    "SIP/2.0/UDP host;ttl=256",
	    "SIP/2.0/UDP host;received=evil.example.com",
	    "SIP/2.0/UDP host;received",
	    "SIP/2.0/UDP host;maddr",
	    "SIP/2.0/UDP host branch=1",
	    "SIP/2.0/UDP host;branch=\"unterminated",
	    "SIP/2.0/UDP host;",
	};
	struct sip_via v;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (sip_via_parse(&v, pl_from(bad[i], strlen(bad[i]))) != EBADMSG) {
			fprintf(stderr, "accepted bad Via '%s'\n", bad[i]);
			test_failures_++;
		}
	}
}

/* ---- name-addr / addr-spec ---- */

static void addr_forms(void)
{
	struct sip_addr a;
	struct pl v;

	REQUIRE(sip_addr_parse(
	            &a, PL("\"A \\\"quoted\\\" name\" <sip:a@h;transport=tcp>;tag=x1")) == 0);
	CHECK_PL(a.display, "A \\\"quoted\\\" name");
	CHECK_PL(a.uri_raw, "sip:a@h;transport=tcp");
	CHECK_PL(a.uri.transport, "tcp");
	CHECK_PL(a.tag, "x1");
	CHECK_PL(a.params, ";tag=x1");

	/* addr-spec: everything after the URI's first ';' is a header parameter */
	REQUIRE(sip_addr_parse(&a, PL("sip:a@h;transport=tcp;tag=x2")) == 0);
	CHECK_EQ_INT(a.uri.transport.l, 0);
	CHECK_PL(a.uri_raw, "sip:a@h");
	CHECK_PL(a.tag, "x2");
	CHECK(sip_param(a.params, "transport", &v));
	CHECK_PL(v, "tcp");

	REQUIRE(sip_addr_parse(&a, PL("Bob Smith <sip:bob@h>")) == 0);
	CHECK_PL(a.display, "Bob Smith");
	REQUIRE(sip_addr_parse(&a, PL("bob<sip:bob@h>")) == 0); /* RFC 4475 3.1.1.6 */
	CHECK_PL(a.display, "bob");
	REQUIRE(sip_addr_parse(&a, PL("<sip:bob@h>")) == 0);
	CHECK_EQ_INT(a.display.l, 0);
	REQUIRE(sip_addr_parse(&a, PL("\"\" <sip:bob@h>")) == 0);
	CHECK_EQ_INT(a.display.l, 0);

	REQUIRE(sip_addr_parse(&a, PL("<sip:c@h>;expires=3600;q=0.7;+sip.instance=\"<urn:x>\"")) ==
	        0);
	CHECK(a.has_expires);
	CHECK_EQ_INT(a.expires, 3600);
	CHECK_PL(a.q, "0.7");
	CHECK(sip_param(a.params, "+sip.instance", &v));
	CHECK_PL(v, "<urn:x>");
	REQUIRE(sip_addr_parse(&a, PL("<sip:c@h>;expires=99999999999")) == 0);
	CHECK_EQ_INT(a.expires, UINT32_MAX);

	REQUIRE(sip_addr_parse(&a, PL("*")) == 0);
	CHECK(a.star);
	REQUIRE(sip_addr_parse(&a, PL("  <sip:c@h> ; tag = abc  ")) == 0);
	CHECK_PL(a.tag, "abc");
	REQUIRE(sip_addr_parse(&a, PL("<sip:u@h?Route=%3Csip:x%3E>")) == 0);
	CHECK_PL(a.uri.headers, "Route=%3Csip:x%3E");
}

static void addr_malformed(void)
{
	static const char *const bad[] = {
	    "",
	    "\"unterminated <sip:a@h>",
	    "\"no bracket\" sip:a@h",
	    "< sip:a@h>",
	    "<sip:a@h >",
	    "<sip:a@h",
	    "Bell, Alexander <sip:a@h>",
	    "sip:a@h?Route=x",
	    "sip:a@h,sip:b@h",
	    "<sip:a@h>;;",
	    "<sip:a@h>;tag",
	    "<sip:a@h>;tag=",
	    "<sip:a@h> junk",
	    "<sip:a@h>;q=2",
	    "<sip:a@h>;q=1.5",
	    "<sip:a@h>;q=0.1234",
	    "<sip:a@h>;expires=soon",
	    "<>",
	    "\"ctl \x01 byte\" <sip:a@h>",
	};
	struct sip_addr a;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (sip_addr_parse(&a, pl_from(bad[i], strlen(bad[i]))) != EBADMSG) {
			fprintf(stderr, "accepted bad addr '%s'\n", bad[i]);
			test_failures_++;
		}
	}
}

static void params_lookup(void)
{
	struct pl v;
	struct pl ps = PL(" ; tag = 1 ;lr; Tagx=2;q=\"a;b\" ;expires=5");

	CHECK(sip_param(ps, "tag", &v));
	CHECK_PL(v, "1");
	CHECK(sip_param(ps, "LR", &v) && v.l == 0 && pl_isset(v));
	CHECK(sip_param(ps, "tagx", &v));
	CHECK_PL(v, "2");
	CHECK(sip_param(ps, "q", &v));
	CHECK_PL(v, "a;b");
	CHECK(sip_param(ps, "expires", &v));
	CHECK_PL(v, "5");
	CHECK(!sip_param(ps, "ta", &v));
	CHECK(!sip_param(PL_NULL, "tag", &v));
	CHECK(sip_param(PL("lr"), "lr", NULL));
}

/* ---- lists ---- */

static void list_iteration(void)
{
	struct pl it = PL_NULL;
	struct pl l = PL(" \"a,b\" <sip:x@h;p=1,2>;q=1 , <sip:y@h> ,, last ");
	const char *want[] = {"\"a,b\" <sip:x@h;p=1,2>;q=1", "<sip:y@h>", "", "last"};
	int n = 0;

	while (sip_list_next(l, &it)) {
		REQUIRE(n < 4);
		CHECK_PL(it, want[n]);
		n++;
	}
	CHECK_EQ_INT(n, 4);

	it = PL_NULL;
	CHECK(!sip_list_next(PL("   "), &it));
	it = PL_NULL;
	CHECK(sip_list_next(PL("one"), &it));
	CHECK_PL(it, "one");
	CHECK(!sip_list_next(PL("one"), &it));
	it = PL_NULL;
	n = 0;
	while (sip_list_next(PL("a,"), &it))
		n++;
	CHECK_EQ_INT(n, 2);
}

static void via_count(void)
{
	REQUIRE(parse("OPTIONS sip:b@h SIP/2.0\r\n"
	              "Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1, SIP/2.0/TCP b.example.com"
	              ";branch=z9hG4bK2\r\n"
	              "v: SIP/2.0/TLS c.example.com;branch=z9hG4bK3\r\n"
	              "To: <sip:b@h>\r\nFrom: <sip:a@h>;tag=1\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n"
	              "Via: SIP/2.0/UDP d.example.com;branch=z9hG4bK4\r\n"
	              "\r\n") == 0);
	CHECK_EQ_INT(msg.nvia, 4);
	CHECK_PL(msg.via.host, "a.example.com");
	CHECK_PL(msg.via.branch, "z9hG4bK1");
	CHECK_EQ_INT(msg.content_length, -1);

	CHECK_EQ_INT(
	    parse("OPTIONS sip:b@h SIP/2.0\r\n"
	          "Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1,,\r\n"
	          "To: <sip:b@h>\r\nFrom: <sip:a@h>;tag=1\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n"
	          "\r\n"),
	    EBADMSG);
	CHECK(msg.error && !strcmp(msg.error, "Malformed Via"));
	CHECK(msg.can_reply); /* the top one is fine */
}

/* ---- message level ---- */

static void compact_forms(void)
{
	REQUIRE(parse("INVITE sip:bob@example.com SIP/2.0\r\n"
	              "v: SIP/2.0/UDP 192.0.2.4;branch=z9hG4bKnashds7\r\n"
	              "f: <sip:alice@example.com>;tag=1\r\n"
	              "t: <sip:bob@example.com>\r\n"
	              "i: abc@host\r\n"
	              "CSeq: 1 INVITE\r\n"
	              "m: <sip:alice@pc33.example.com>\r\n"
	              "k: 100rel\r\ns: hi\r\no: presence\r\nr: <sip:c@h>\r\nx: 90\r\ne: gzip\r\n"
	              "c: text/plain\r\n"
	              "l: 5\r\n"
	              "\r\nhello") == 0);
	static const enum sip_hdr_id ids[] = {
	    SIP_HDR_VIA,
	    SIP_HDR_FROM,
	    SIP_HDR_TO,
	    SIP_HDR_CALL_ID,
	    SIP_HDR_CSEQ,
	    SIP_HDR_CONTACT,
	    SIP_HDR_SUPPORTED,
	    SIP_HDR_SUBJECT,
	    SIP_HDR_EVENT,
	    SIP_HDR_REFER_TO,
	    SIP_HDR_SESSION_EXPIRES,
	    SIP_HDR_CONTENT_ENCODING,
	    SIP_HDR_CONTENT_TYPE,
	    SIP_HDR_CONTENT_LENGTH,
	};
	REQUIRE(msg.nhdrs == sizeof(ids) / sizeof(ids[0]));
	for (size_t i = 0; i < msg.nhdrs; i++)
		CHECK_EQ_INT(msg.hdrs[i].id, ids[i]);
	CHECK_PL(msg.call_id, "abc@host");
	CHECK_PL(msg.content_type, "text/plain");
	CHECK_PL(msg.body, "hello");
}

static void hdr_ids(void)
{
	static const struct {
		const char *name;
		enum sip_hdr_id id;
	} t[] = {
	    {"Via", SIP_HDR_VIA},
	    {"vIA", SIP_HDR_VIA},
	    {"From", SIP_HDR_FROM},
	    {"To", SIP_HDR_TO},
	    {"Call-ID", SIP_HDR_CALL_ID},
	    {"call-id", SIP_HDR_CALL_ID},
	    {"CSeq", SIP_HDR_CSEQ},
	    {"Contact", SIP_HDR_CONTACT},
	    {"Max-Forwards", SIP_HDR_MAX_FORWARDS},
	    {"Content-Length", SIP_HDR_CONTENT_LENGTH},
	    {"Content-Type", SIP_HDR_CONTENT_TYPE},
	    {"Content-Encoding", SIP_HDR_CONTENT_ENCODING},
	    {"Expires", SIP_HDR_EXPIRES},
	    {"Min-Expires", SIP_HDR_MIN_EXPIRES},
	    {"Route", SIP_HDR_ROUTE},
	    {"Record-Route", SIP_HDR_RECORD_ROUTE},
	    {"Authorization", SIP_HDR_AUTHORIZATION},
	    {"Proxy-Authorization", SIP_HDR_PROXY_AUTHORIZATION},
	    {"WWW-Authenticate", SIP_HDR_WWW_AUTHENTICATE},
	    {"Proxy-Authenticate", SIP_HDR_PROXY_AUTHENTICATE},
	    {"Supported", SIP_HDR_SUPPORTED},
	    {"Require", SIP_HDR_REQUIRE},
	    {"Proxy-Require", SIP_HDR_PROXY_REQUIRE},
	    {"Unsupported", SIP_HDR_UNSUPPORTED},
	    {"Allow", SIP_HDR_ALLOW},
	    {"Accept", SIP_HDR_ACCEPT},
	    {"User-Agent", SIP_HDR_USER_AGENT},
	    {"Server", SIP_HDR_SERVER},
	    {"Subject", SIP_HDR_SUBJECT},
	    {"Event", SIP_HDR_EVENT},
	    {"Refer-To", SIP_HDR_REFER_TO},
	    {"Session-Expires", SIP_HDR_SESSION_EXPIRES},
	    {"Date", SIP_HDR_DATE},
	    {"Timestamp", SIP_HDR_TIMESTAMP},
	    {"Privacy", SIP_HDR_PRIVACY},
	    {"P-Asserted-Identity", SIP_HDR_P_ASSERTED_IDENTITY},
	    {"Reason", SIP_HDR_REASON},
	    {"RSeq", SIP_HDR_RSEQ},
	    {"RAck", SIP_HDR_RACK},
	    {"X-Via", SIP_HDR_OTHER},
	    {"Vias", SIP_HDR_OTHER},
	    {"u", SIP_HDR_OTHER},
	    {"Allow-Events", SIP_HDR_OTHER},
	    {"C%6Fntact", SIP_HDR_OTHER},
	    {"", SIP_HDR_OTHER},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (sip_hdr_id(pl_from(t[i].name, strlen(t[i].name))) != t[i].id) {
			fprintf(stderr, "sip_hdr_id(%s) wrong\n", t[i].name);
			test_failures_++;
		}
	}
	for (int m = SIP_INVITE; m <= SIP_UPDATE; m++) {
		const char *n = sip_method_name((enum sip_method)m);
		CHECK((int)sip_method_id(pl_from(n, strlen(n))) == m);
	}
	CHECK(sip_method_id(PL("invite")) == SIP_METHOD_UNKNOWN);
	CHECK(sip_method_id(PL("INVITEX")) == SIP_METHOD_UNKNOWN);
	CHECK(!strcmp(sip_method_name((enum sip_method)99), ""));
}

static void folding(void)
{
	REQUIRE(parse("OPTIONS sip:b@h SIP/2.0\r\n"
	              "Via: SIP/2.0/UDP\r\n a.example.com\r\n\t;branch=z9hG4bK1\r\n"
	              "To:\r\n <sip:b@h>\r\n"
	              "From: <sip:a@h>\r\n ;tag=1\r\n"
	              "Call-ID: x\r\n"
	              "CSeq: 00042\r\n OPTIONS\r\n"
	              "Subject: one\r\n  two\r\n"
	              "\r\n") == 0);
	CHECK_PL(msg.via.host, "a.example.com");
	CHECK_PL(msg.from.tag, "1");
	CHECK_EQ_INT(msg.cseq, 42);
	const struct sip_hdr *h = sip_msg_hdr(&msg, SIP_HDR_SUBJECT, NULL);
	REQUIRE(h);
	CHECK_PL(h->value, "one\r\n  two");

	/* the start line cannot be folded, nor can a header start with whitespace */
	CHECK_EQ_INT(parse("OPTIONS sip:b@h\r\n SIP/2.0\r\n"
	                   "Via: SIP/2.0/UDP h\r\n\r\n"),
	             EBADMSG);
	CHECK_EQ_INT(parse(OPTIONS "Subject: x\r\n\r\n \r\n"), 0);  /* that's the body */
	CHECK_EQ_INT(parse(OPTIONS "Subject: x\r\n\t\r\n\r\n"), 0); /* whitespace-only fold */
}

static void line_endings(void)
{
	CHECK_EQ_INT(parse(OPTIONS "Subject: a\nb\r\n\r\n"), EBADMSG);
	CHECK(!strcmp(msg.error, "Bad line ending"));
	CHECK_EQ_INT(parse(OPTIONS "Subject: a\rb\r\n\r\n"), EBADMSG);
	CHECK_EQ_INT(parse(OPTIONS "\r\n"), 0);
	CHECK_EQ_INT(parse(OPTIONS), EBADMSG);
	CHECK(!strcmp(msg.error, "Incomplete message"));
	CHECK(msg.can_reply);
	CHECK_EQ_INT(parse(OPTIONS "Subject: x"), EBADMSG);
	/* leading CRLFs are skipped (RFC 3261 7.5) */
	CHECK_EQ_INT(parse("\r\n\r\n" OPTIONS "\r\n"), 0);
	CHECK_EQ_INT(msg.raw.p[0], 'O');
	CHECK_EQ_INT(parse(""), EBADMSG);
	CHECK_EQ_INT(parse("\r\n\r\n"), EBADMSG);
	CHECK(!strcmp(msg.error, "Empty message"));
	CHECK_EQ_INT(parse(OPTIONS "NoColon\r\n\r\n"), EBADMSG);
	CHECK(!strcmp(msg.error, "Malformed header"));
	CHECK_EQ_INT(parse(OPTIONS ": empty name\r\n\r\n"), EBADMSG);
	CHECK_EQ_INT(parse(OPTIONS "Bad Name: x\r\n\r\n"), EBADMSG);
	CHECK_EQ_INT(parse(OPTIONS "X-Tab\t: ok\r\n\r\n"), 0);
}

static void cseq_rules(void)
{
	CHECK_EQ_INT(parse(REQ_HEAD("OPTIONS", "sip:b@h") "CSeq: 4294967295 OPTIONS\r\n\r\n"), 0);
	CHECK_EQ_INT(msg.cseq, 4294967295u);
	CHECK(msg.cseq_mid == SIP_OPTIONS);

	static const char *const bad[] = {
	    "CSeq: 4294967296 OPTIONS", "CSeq: OPTIONS",     "CSeq: 1",          "CSeq: 1OPTIONS",
	    "CSeq: -1 OPTIONS",         "CSeq: 1 OPTIONS x", "CSeq: 1 OPT,IONS", "CSeq:",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char buf[512];
		snprintf(buf, sizeof(buf), REQ_HEAD("OPTIONS", "sip:b@h") "%s\r\n\r\n", bad[i]);
		CHECK_EQ_INT(parse(buf), EBADMSG);
		CHECK(msg.error && !strcmp(msg.error, "Bad CSeq"));
		CHECK(!msg.can_reply);
	}
	/* method must be the request's, case-sensitively (RFC 4475 3.1.2.17) */
	CHECK_EQ_INT(parse(REQ_HEAD("OPTIONS", "sip:b@h") "CSeq: 1 options\r\n\r\n"), EBADMSG);
	CHECK(!strcmp(msg.error, "Method Mismatch"));
	CHECK(msg.can_reply);
	CHECK_EQ_INT(parse(REQ_HEAD("FOO", "sip:b@h") "CSeq: 1 FOO\r\n\r\n"), 0);
	CHECK(msg.mid == SIP_METHOD_UNKNOWN);
	/* a response's CSeq names the request it answers */
	CHECK_EQ_INT(
	    parse("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nTo: <sip:b@h>;tag=2"
	          "\r\nFrom: <sip:a@h>;tag=1\r\nCall-ID: x\r\nCSeq: 7 INVITE\r\n\r\n"),
	    0);
	CHECK_EQ_INT(msg.scode, 200);
	CHECK(msg.cseq_mid == SIP_INVITE);
}

static void content_length_rules(void)
{
	/* datagram: extra octets ignored, too few an error, none means the rest */
	REQUIRE(parse(OPTIONS "Content-Length: 3\r\n\r\nabcdef") == 0);
	CHECK_PL(msg.body, "abc");
	CHECK_EQ_INT(msg.raw.l, strlen(OPTIONS "Content-Length: 3\r\n\r\nabc"));
	CHECK_EQ_INT(parse(OPTIONS "Content-Length: 7\r\n\r\nabcdef"), EBADMSG);
	CHECK(!strcmp(msg.error, "Bad Content-Length"));
	CHECK(msg.can_reply);
	REQUIRE(parse(OPTIONS "\r\nabcdef") == 0);
	CHECK_PL(msg.body, "abcdef");
	CHECK_EQ_INT(msg.content_length, -1);
	REQUIRE(parse(OPTIONS "l: 000\r\n\r\n") == 0);
	CHECK_EQ_INT(msg.content_length, 0);
	CHECK_EQ_INT(msg.body.l, 0);

	static const char *const bad[] = {
	    "Content-Length: -1",          "Content-Length: five", "Content-Length: 1 2",
	    "Content-Length: 99999999999", "Content-Length:",      "Content-Length: 0x10",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char buf[512];
		snprintf(buf, sizeof(buf), OPTIONS "%s\r\n\r\n", bad[i]);
		CHECK_EQ_INT(parse(buf), EBADMSG);
		CHECK(msg.error && !strcmp(msg.error, "Bad Content-Length"));
	}
	CHECK_EQ_INT(parse(OPTIONS "Content-Length: 0\r\nl: 0\r\n\r\n"), EBADMSG);
	CHECK(!strcmp(msg.error, "Multiple Content-Length"));
}

static void scalars(void)
{
	REQUIRE(parse(OPTIONS "Expires: 3600\r\n\r\n") == 0);
	CHECK_EQ_INT(msg.max_forwards, 70);
	CHECK_EQ_INT(msg.expires, 3600);
	REQUIRE(parse(OPTIONS "Expires: 100000000000000000000000\r\n\r\n") == 0);
	CHECK_EQ_INT(msg.expires, UINT32_MAX);
	CHECK_EQ_INT(parse(OPTIONS "Expires: soon\r\n\r\n"), EBADMSG);
	CHECK_EQ_INT(parse(OPTIONS "Max-Forwards: 1\r\n\r\n"), EBADMSG);
	CHECK(!strcmp(msg.error, "Duplicate Max-Forwards"));
	CHECK_EQ_INT(parse(REQ_HEAD("OPTIONS", "sip:b@h") "CSeq: 1 OPTIONS\r\n"
	                                                  "Max-Forwards: 256\r\n\r\n"),
	             EBADMSG);
	CHECK_EQ_INT(parse(OPTIONS "Call-ID: second\r\n\r\n"), EBADMSG);
	CHECK(!strcmp(msg.error, "Duplicate Call-ID"));
	CHECK_EQ_INT(parse(OPTIONS "Contact: <sip:a@h>, <sip:b@h>;q=0.5, *\r\n\r\n"), 0);
	CHECK_EQ_INT(parse(OPTIONS "Contact: <sip:a@h>;;\r\n\r\n"), EBADMSG);
	CHECK(!strcmp(msg.error, "Malformed Contact"));
	CHECK_EQ_INT(parse(OPTIONS "Route: <sip:p1@h;lr>,<sip:p2@h;lr>\r\n"
	                           "Record-Route: <sip:p3@h;lr>\r\n\r\n"),
	             0);
	CHECK_EQ_INT(parse(OPTIONS "Route: <sip:p1@h;lr\r\n\r\n"), EBADMSG);
	CHECK(!strcmp(msg.error, "Malformed Route"));
}

static void call_ids(void)
{
	static const char *const ok[] = {"a", "a@b", "x.y-z_1!%*+`'~()<>:\\\"/[]?{}@h"};
	static const char *const bad[] = {"a@b@c", "a b", "@b", "a@", "a,b"};
	char buf[512];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(buf, sizeof(buf),
		         "OPTIONS sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
		         "To: <sip:b@h>\r\nFrom: <sip:a@h>;tag=1\r\nCall-ID: %s\r\nCSeq: 1 OPTIONS"
		         "\r\n\r\n",
		         ok[i]);
		CHECK_EQ_INT(parse(buf), 0);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf),
		         "OPTIONS sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
		         "To: <sip:b@h>\r\nFrom: <sip:a@h>;tag=1\r\nCall-ID: %s\r\nCSeq: 1 OPTIONS"
		         "\r\n\r\n",
		         bad[i]);
		CHECK_EQ_INT(parse(buf), EBADMSG);
		CHECK(!strcmp(msg.error, "Malformed Call-ID"));
		CHECK(!msg.can_reply);
	}
}

static void start_lines(void)
{
	static const char *const bad_status[] = {
	    "SIP/2.0 099 Low", "SIP/2.0 700 High", "SIP/2.0 1000 Big", "SIP/2.0 20 Short",
	    "SIP/2.0 2x0 Nan", "SIP/2.0",          "SIP/2.0 200OK"};
	const char *rest = "\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nTo: <sip:b@h>;tag=2\r\n"
	                   "From: <sip:a@h>;tag=1\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n\r\n";
	char buf[512];

	for (size_t i = 0; i < sizeof(bad_status) / sizeof(bad_status[0]); i++) {
		snprintf(buf, sizeof(buf), "%s%s", bad_status[i], rest);
		CHECK_EQ_INT(parse(buf), EBADMSG);
		CHECK(msg.error && (!strcmp(msg.error, "Bad Status-Code") ||
		                    !strcmp(msg.error, "Malformed Status-Line")));
	}
	snprintf(buf, sizeof(buf), "SIP/2.0 699%s", rest);
	CHECK_EQ_INT(parse(buf), 0); /* no SP, no reason: tolerated */
	CHECK_EQ_INT(msg.scode, 699);
	snprintf(buf, sizeof(buf), "sip/2.0 180 Ringing%s", rest);
	CHECK_EQ_INT(parse(buf), 0);
	CHECK_PL(msg.reason, "Ringing");
	snprintf(buf, sizeof(buf), "SIP/3.0 180 Ringing%s", rest);
	CHECK_EQ_INT(parse(buf), EBADMSG);
	CHECK_EQ_INT(msg.error_scode, 505);

	CHECK_EQ_INT(parse(REQ_HEAD("OPTIONS", "sip:b@h") "CSeq: 1 OPTIONS\r\n\r\n"), 0);
	CHECK_EQ_INT(msg.error_scode, 0);
	CHECK_PL(msg.version, "SIP/2.0");
	CHECK_EQ_INT(parse("OPTIONS sip:b@h SIP/2.1\r\n"
	                   "Via: SIP/2.0/UDP h\r\n\r\n"),
	             EBADMSG);
	CHECK(!strcmp(msg.error, "Version Not Supported"));
	CHECK_EQ_INT(msg.error_scode, 505);
	CHECK_EQ_INT(parse("OPTIONS sip:b@h HTTP/1.1\r\n"
	                   "Via: SIP/2.0/UDP h\r\n\r\n"),
	             EBADMSG);
	CHECK(!strcmp(msg.error, "Malformed Request-Line"));
	CHECK_EQ_INT(msg.error_scode, 400);
	CHECK_EQ_INT(parse("OPTIONS\r\n\r\n"), EBADMSG);
	CHECK_EQ_INT(parse("OPT(IONS sip:b@h SIP/2.0\r\n\r\n"), EBADMSG);
	CHECK_EQ_INT(parse("OPTIONS sip:b@h\tSIP/2.0\r\n\r\n"), EBADMSG);
	CHECK_EQ_INT(parse(REQ_HEAD("OPTIONS", "sip:b@h?X=1") "CSeq: 1 OPTIONS\r\n\r\n"), EBADMSG);
	CHECK(!strcmp(msg.error, "Malformed Request-URI"));
	CHECK(msg.can_reply);
	CHECK(msg.mid == SIP_OPTIONS);
}

static void required_headers(void)
{
	static const struct {
		const char *drop, *error;
	} t[] = {
	    {"Via:", "Missing Via"},         {"To:", "Missing To"},     {"From:", "Missing From"},
	    {"Call-ID:", "Missing Call-ID"}, {"CSeq:", "Missing CSeq"},
	};
	const char *full = OPTIONS "\r\n";

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char buf[1024];
		const char *at = strstr(full, t[i].drop);
		const char *eol = strstr(at, "\r\n") + 2;
		snprintf(buf, sizeof(buf), "%.*s%s", (int)(at - full), full, eol);
		CHECK_EQ_INT(parse(buf), EBADMSG);
		CHECK(msg.error && !strcmp(msg.error, t[i].error));
		CHECK(!msg.can_reply);
	}
	/* Max-Forwards may be missing (RFC 2543 peers) */
	CHECK_EQ_INT(parse("OPTIONS sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nTo: <sip:b@h>\r\n"
	                   "From: <sip:a@h>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n\r\n"),
	             0);
	CHECK_EQ_INT(msg.max_forwards, -1);
	CHECK_EQ_INT(parse(OPTIONS "To: <sip:c@h>\r\n\r\n"), EBADMSG);
	CHECK(!strcmp(msg.error, "Duplicate To"));
	CHECK_EQ_INT(parse(REQ_HEAD("OPTIONS", "sip:b@h") "CSeq: 1 OPTIONS\r\n\r\n"), 0);
	CHECK(msg.can_reply);
}

static void many_headers(void)
{
	static char buf[16384];
	size_t n = (size_t)snprintf(buf, sizeof(buf), "%s", OPTIONS);

	for (int i = 0; i < SIP_MAX_HDRS; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "X-%d: y\r\n", i);
	snprintf(buf + n, sizeof(buf) - n, "\r\n");
	CHECK_EQ_INT(parse(buf), EBADMSG);
	CHECK(!strcmp(msg.error, "Too many headers"));
	CHECK_EQ_INT(msg.nhdrs, SIP_MAX_HDRS);
	CHECK(msg.can_reply);
}

/* The parser only reads: the input is untouched, and every view points into it. */
static void zero_copy(void)
{
	const char *s =
	    REQ_HEAD("INVITE", "sip:bob@[2001:db8::1]") "CSeq: 1 INVITE\r\n"
	                                                "Content-Type: application/sdp\r\n"
	                                                "Content-Length: 4\r\n\r\nv=0\n";
	size_t n = strlen(s);
	char *buf = malloc(n), *copy = malloc(n);

	REQUIRE(buf && copy);
	memcpy(buf, s, n);
	memcpy(copy, s, n);
	REQUIRE(sip_msg_parse(&msg, buf, n) == 0);
	CHECK(memcmp(buf, copy, n) == 0);
	CHECK(msg.ruri.host.p > buf && msg.ruri.host.p < buf + n);
	CHECK(msg.body.p == buf + n - 4);
	for (size_t i = 0; i < msg.nhdrs; i++)
		CHECK(msg.hdrs[i].name.p >= buf &&
		      msg.hdrs[i].value.p + msg.hdrs[i].value.l <= buf + n);
	CHECK(msg.raw.p == buf && msg.raw.l == n);
	free(buf);
	free(copy);
	CHECK_EQ_INT(sip_msg_parse(NULL, s, n), EINVAL);
	CHECK_EQ_INT(sip_msg_parse(&msg, NULL, 0), EBADMSG);
}

static const struct test_case cases[] = {
    {"char_classes", char_classes},
    {"uri_sip", uri_sip},
    {"uri_ipv6", uri_ipv6},
    {"uri_escapes", uri_escapes},
    {"uri_tel_and_others", uri_tel_and_others},
    {"uri_malformed", uri_malformed},
    {"via_params", via_params},
    {"via_malformed", via_malformed},
    {"addr_forms", addr_forms},
    {"addr_malformed", addr_malformed},
    {"params_lookup", params_lookup},
    {"list_iteration", list_iteration},
    {"via_count", via_count},
    {"compact_forms", compact_forms},
    {"hdr_ids", hdr_ids},
    {"folding", folding},
    {"line_endings", line_endings},
    {"cseq_rules", cseq_rules},
    {"content_length_rules", content_length_rules},
    {"scalars", scalars},
    {"call_ids", call_ids},
    {"start_lines", start_lines},
    {"required_headers", required_headers},
    {"many_headers", many_headers},
    {"zero_copy", zero_copy},
};

int main(int argc, char **argv)
{
	int rc =
	    test_run_(argv[0], cases, sizeof(cases) / sizeof(cases[0]), argc > 1 ? argv[1] : NULL);
	free(heap_copy);
	return rc;
}

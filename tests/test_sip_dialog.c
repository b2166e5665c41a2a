/* Unit tests for src/sip/{request,dialog}.c: the request builder (RFC 3261 8.1.1, 12.2.1.1) and
 * dialogs (RFC 3261 12, 13.2.2.4, 13.3.1.4, 15). Everything built is parsed back with the real
 * parser; the 2xx retransmission runs on a fake clock with a stack whose send handler captures
 * (as in test_sip_tsx.c). Times are in ms with the default T1 500, T2 4000. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mbuf.h"
#include "core/tmr.h"
#include "harness.h"
#include "net/sa.h"
#include "net/tp.h"
#include "sip/build.h"
#include "sip/dialog.h"
#include "sip/msg.h"
#include "sip/request.h"
#include "sip/tsx.h"

static struct sip_msg pm; /* a parsed built message */
static struct mbuf mb;

static struct tp_peer peer(enum tp_kind kind, const char *local, const char *remote)
{
	struct tp_peer p;
	memset(&p, 0, sizeof(p));
	p.kind = kind;
	if (local)
		sa_parse(&p.local, local, 5060);
	if (remote)
		sa_parse(&p.remote, remote, 5060);
	return p;
}

static bool parse_mb(void)
{
	if (mb.err || sip_msg_parse(&pm, mb.buf, mb.len)) {
		fprintf(stderr, "unparsable built message (%s):\n%s\n", pm.error, mb.buf);
		return false;
	}
	return true;
}

/* The i-th value of a header (counting across repeated headers and comma lists). */
static struct pl hdr_value(const struct sip_msg *m, enum sip_hdr_id id, size_t i)
{
	const struct sip_hdr *h = NULL;
	while ((h = sip_msg_hdr(m, id, h))) {
		struct pl item = PL_NULL;
		while (sip_list_next(h->value, &item))
			if (i-- == 0)
				return pl_trim(item);
	}
	return PL_NULL;
}

static size_t hdr_count(const struct sip_msg *m, enum sip_hdr_id id)
{
	size_t n = 0;
	while (pl_isset(hdr_value(m, id, n)))
		n++;
	return n;
}

static void parse_str(struct sip_msg *m, const char *s)
{
	int err = sip_msg_parse(m, s, strlen(s));
	if (err)
		fprintf(stderr, "test message does not parse: %s\n", m->error);
}

static int nop_send(const struct tp_peer *to, const char *data, size_t len, void *arg)
{
	(void)to;
	(void)data;
	(void)len;
	(void)arg;
	return 0;
}

static void nop_request(struct sip_strans *st, const struct sip_msg *req,
                        const struct tp_peer *from, void *arg)
{
	(void)st;
	(void)req;
	(void)from;
	(void)arg;
}

/* ---- the request builder --------------------------------------------------------------------- */

static const char *const two_routes[] = {"<sip:192.0.2.50;lr>", "<sip:p2.example.com;lr;ftag=1>"};

static struct sip_request_spec invite_spec(const struct tp_peer *p)
{
	struct sip_request_spec s;
	memset(&s, 0, sizeof(s));
	s.method = "INVITE";
	s.ruri = "sip:1002@192.0.2.20:5062";
	s.peer = p;
	s.route = two_routes;
	s.nroute = 2;
	s.from_display = "Alice Liddell";
	s.from_uri = "sip:1001@pbx.example.com";
	s.from_tag = "ftag1";
	s.to_display = "Bob";
	s.to_uri = "sip:1002@pbx.example.com";
	s.call_id = "abc123@pbx";
	s.cseq = 7;
	s.contact = "sip:sotto@198.51.100.1:5060";
	s.extra_hdrs = "Allow: INVITE, ACK, BYE\r\nSupported: timer\r\n";
	s.content_type = "application/sdp";
	s.body = PL("v=0\r\n");
	return s;
}

static void request_invite_roundtrip(void)
{
	struct tp_peer p = peer(TP_UDP, "198.51.100.1:5060", "192.0.2.20:5062");
	struct sip_request_spec s = invite_spec(&p);
	struct sip_addr a;

	mbuf_init(&mb);
	REQUIRE(sip_build_request(&mb, &s) == 0);
	REQUIRE(parse_mb());
	CHECK(pm.is_request);
	CHECK(pm.mid == SIP_INVITE);
	CHECK_PL(pm.ruri_raw, "sip:1002@192.0.2.20:5062");
	CHECK_EQ_INT(pm.nvia, 1);
	CHECK_PL(pm.via.transport, "UDP");
	CHECK_PL(pm.via.host, "198.51.100.1");
	CHECK_EQ_INT(pm.via.port, 5060);
	CHECK(pm.via.rport);
	CHECK(pm.via.branch.l == 39 && !memcmp(pm.via.branch.p, "z9hG4bK", 7));
	CHECK_EQ_INT(pm.max_forwards, 70);
	CHECK_EQ_INT(hdr_count(&pm, SIP_HDR_ROUTE), 2);
	CHECK_PL(hdr_value(&pm, SIP_HDR_ROUTE, 0), "<sip:192.0.2.50;lr>");
	CHECK_PL(hdr_value(&pm, SIP_HDR_ROUTE, 1), "<sip:p2.example.com;lr;ftag=1>");
	CHECK_PL(pm.from.display, "Alice Liddell");
	CHECK_PL(pm.from.uri_raw, "sip:1001@pbx.example.com");
	CHECK_PL(pm.from.tag, "ftag1");
	CHECK_PL(pm.to.display, "Bob");
	CHECK_PL(pm.to.uri_raw, "sip:1002@pbx.example.com");
	CHECK(!pm.to.tag.l);
	CHECK_PL(pm.call_id, "abc123@pbx");
	CHECK_EQ_INT(pm.cseq, 7);
	CHECK(pm.cseq_mid == SIP_INVITE);
	REQUIRE(sip_addr_parse(&a, hdr_value(&pm, SIP_HDR_CONTACT, 0)) == 0);
	CHECK_PL(a.uri_raw, "sip:sotto@198.51.100.1:5060");
	CHECK_PL(pm.content_type, "application/sdp");
	CHECK_EQ_INT(pm.content_length, 5);
	CHECK_PL(pm.body, "v=0\r\n");
	CHECK(sip_msg_hdr(&pm, SIP_HDR_ALLOW, NULL) != NULL);
	CHECK(sip_msg_hdr(&pm, SIP_HDR_SUPPORTED, NULL) != NULL);

	/* two builds: two branches */
	struct pl b1 = pm.via.branch;
	char first[64];
	pl_strcpy(b1, first, sizeof(first));
	mbuf_reset(&mb);
	REQUIRE(sip_build_request(&mb, &s) == 0);
	REQUIRE(parse_mb());
	CHECK(!pl_eq_str(pm.via.branch, first));

	/* no body: Content-Length 0 all the same; a given branch is used */
	s.body = PL_NULL;
	s.content_type = NULL;
	s.branch = "z9hG4bKfixed";
	s.max_forwards = 10;
	s.to_tag = "ttag";
	mbuf_reset(&mb);
	REQUIRE(sip_build_request(&mb, &s) == 0);
	REQUIRE(parse_mb());
	CHECK_EQ_INT(pm.content_length, 0);
	CHECK(!pm.content_type.l);
	CHECK_PL(pm.via.branch, "z9hG4bKfixed");
	CHECK_EQ_INT(pm.max_forwards, 10);
	CHECK_PL(pm.to.tag, "ttag");
	mbuf_free(&mb);
}

static void request_sent_by(void)
{
	struct tp_peer p = peer(TP_TLS, "0.0.0.0:5061", "192.0.2.20:5061");
	struct sip_request_spec s = invite_spec(&p);

	mbuf_init(&mb);
	/* a wildcard bind: the Contact's host:port names us */
	s.contact = "sip:sotto@203.0.113.9:5061;transport=tls";
	REQUIRE(sip_build_request(&mb, &s) == 0);
	REQUIRE(parse_mb());
	CHECK_PL(pm.via.transport, "TLS");
	CHECK_PL(pm.via.host, "203.0.113.9");
	CHECK_EQ_INT(pm.via.port, 5061);

	/* an explicit sent-by wins, IPv6 in brackets */
	s.sent_by = "[2001:db8::1]:5061";
	mbuf_reset(&mb);
	REQUIRE(sip_build_request(&mb, &s) == 0);
	REQUIRE(parse_mb());
	CHECK_PL(pm.via.host, "2001:db8::1");
	CHECK(pm.via.host_ipv6);

	/* an IPv6 local address */
	struct tp_peer p6 = peer(TP_TCP, "[2001:db8::2]:5070", "[2001:db8::3]:5060");
	s.peer = &p6;
	s.sent_by = NULL;
	mbuf_reset(&mb);
	REQUIRE(sip_build_request(&mb, &s) == 0);
	REQUIRE(parse_mb());
	CHECK_PL(pm.via.transport, "TCP");
	CHECK_PL(pm.via.host, "2001:db8::2");
	CHECK_EQ_INT(pm.via.port, 5070);

	/* nothing to advertise */
	s.peer = &p;
	s.contact = NULL;
	mbuf_reset(&mb);
	CHECK_EQ_INT(sip_build_request(&mb, &s), EINVAL);
	CHECK_EQ_INT(mb.len, 0);
	s.contact = "sip:sotto@203.0.113.9";
	s.sent_by = "bad host";
	CHECK_EQ_INT(sip_build_request(&mb, &s), EINVAL);

	/* a secure leg: sips: Contact */
	s.sent_by = NULL;
	s.secure = true;
	REQUIRE(sip_build_request(&mb, &s) == 0);
	REQUIRE(parse_mb());
	struct sip_addr a;
	REQUIRE(sip_addr_parse(&a, hdr_value(&pm, SIP_HDR_CONTACT, 0)) == 0);
	CHECK(a.uri.sips);
	CHECK_PL(a.uri_raw, "sips:sotto@203.0.113.9");
	mbuf_free(&mb);
}

static void request_rejects_bad_parts(void)
{
	struct tp_peer p = peer(TP_UDP, "198.51.100.1:5060", "192.0.2.20:5060");
	struct sip_request_spec good = invite_spec(&p), s;
	static const char *const bad_route[] = {"sip:noangle.example.com;lr"};
	static const char *const crlf_route[] = {"<sip:a;lr>\r\nX-Evil: 1"};

	mbuf_init(&mb);
#define REJECT(field, value)                                                                       \
	do {                                                                                       \
		s = good;                                                                          \
		s.field = value;                                                                   \
		CHECK_EQ_INT(sip_build_request(&mb, &s), EINVAL);                                  \
		CHECK_EQ_INT(mb.len, 0);                                                           \
	} while (0)
	REJECT(method, "IN VITE");
	REJECT(method, NULL);
	REJECT(ruri, "sip:1002@x\r\nX-Evil: 1");
	REJECT(ruri, "sip:1002@x y");
	REJECT(ruri, "sip:a@b>");
	REJECT(ruri, NULL);
	REJECT(from_uri, "sip:1001@x>;tag=forged");
	REJECT(from_tag, "a;b");
	REJECT(from_tag, NULL);
	REJECT(to_uri, "not a uri");
	REJECT(to_tag, "t\r\n");
	REJECT(call_id, "a b");
	REJECT(call_id, "a@");
	REJECT(call_id, "");
	REJECT(cseq, 0x80000000u);
	REJECT(contact, "sip:x\n");
	REJECT(branch, "nocookie");
	REJECT(extra_hdrs, "X-A: 1");
	REJECT(extra_hdrs, "X-A: 1\r\n\r\nINVITE");
	REJECT(extra_hdrs, "X-A: 1\nX-B: 2\r\n");
	REJECT(content_type, "application/sdp\r\nX: y");
	REJECT(content_type, NULL);
	REJECT(peer, NULL);
	REJECT(route, bad_route);
	REJECT(route, crlf_route);
	REJECT(max_forwards, 256);
#undef REJECT
	s = good;
	s.secure = true;
	s.contact = "tel:+15551234";
	CHECK_EQ_INT(sip_build_request(&mb, &s), EINVAL);
	CHECK(sip_build_request(NULL, &good) == EINVAL);
	CHECK(sip_build_request(&mb, NULL) == EINVAL);
	CHECK(sip_request_uri_ok("sips:a@b.example.com;transport=tcp"));
	CHECK(sip_request_uri_ok("tel:+15551234"));
	CHECK(!sip_request_uri_ok(""));
	CHECK(sip_request_route_ok("\"Proxy\" <sip:p;lr>;x=1"));
	CHECK(!sip_request_route_ok("<sip:p;lr"));
	mbuf_free(&mb);
}

/* Display names are free text from the other leg: they are quoted and escaped, never trusted. */
static void request_display_injection(void)
{
	struct tp_peer p = peer(TP_UDP, "198.51.100.1:5060", "192.0.2.20:5060");
	struct sip_request_spec s = invite_spec(&p);
	char longname[400];

	mbuf_init(&mb);
	s.from_display = "Eve\"\r\nVia: SIP/2.0/UDP evil;branch=z9hG4bKx\r\nX: \\\"";
	s.to_display = "\r\n\t"; /* nothing printable: no display name at all */
	REQUIRE(sip_build_request(&mb, &s) == 0);
	REQUIRE(parse_mb());
	CHECK_EQ_INT(pm.nvia, 1);
	CHECK(!sip_msg_hdr_name(&pm, "X"));
	CHECK_PL(pm.from.display, "Eve\\\"Via: SIP/2.0/UDP evil;branch=z9hG4bKxX: \\\\\\\"");
	CHECK_PL(pm.from.tag, "ftag1");
	CHECK(!pm.to.display.l);
	CHECK_PL(pm.to.uri_raw, "sip:1002@pbx.example.com");

	/* long names are cut, never inside a UTF-8 character */
	memset(longname, 'a', sizeof(longname));
	memcpy(longname + 127, "\xc3\xa9", 2); /* e-acute straddling byte 128 */
	longname[sizeof(longname) - 1] = '\0';
	s.from_display = longname;
	mbuf_reset(&mb);
	REQUIRE(sip_build_request(&mb, &s) == 0);
	REQUIRE(parse_mb());
	CHECK_EQ_INT(pm.from.display.l, 127);
	mbuf_free(&mb);
}

/* RFC 3261 12.2.1.1 / 8.1.2: a strict router first in the route set. */
static void request_strict_router_first(void)
{
	struct tp_peer p = peer(TP_UDP, "198.51.100.1:5060", "192.0.2.20:5060");
	struct sip_request_spec s = invite_spec(&p);
	static const char *const strict[] = {"<sip:192.0.2.70;maddr=192.0.2.70>",
	                                     "<sip:p2.example.com;lr>"};

	mbuf_init(&mb);
	s.route = strict;
	REQUIRE(sip_build_request(&mb, &s) == 0);
	REQUIRE(parse_mb());
	CHECK_PL(pm.ruri_raw, "sip:192.0.2.70;maddr=192.0.2.70");
	CHECK_EQ_INT(hdr_count(&pm, SIP_HDR_ROUTE), 2);
	CHECK_PL(hdr_value(&pm, SIP_HDR_ROUTE, 0), "<sip:p2.example.com;lr>");
	CHECK_PL(hdr_value(&pm, SIP_HDR_ROUTE, 1), "<sip:1002@192.0.2.20:5062>");
	mbuf_free(&mb);
}

/* ---- UAS dialogs ----------------------------------------------------------------------------- */

static const char *invite_a =
    "INVITE sip:1002@198.51.100.1 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.50:5060;branch=z9hG4bKp1;rport\r\n"
    "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKa1\r\n"
    "Record-Route: <sip:192.0.2.50;lr;r=1>\r\n"
    "Record-Route: <sip:p2.example.com;lr>, \"Edge\" <sip:192.0.2.60:5070;lr>\r\n"
    "Max-Forwards: 69\r\n"
    "From: \"Alice \\\"A\\\" Liddell\" <sip:1001@example.com>;tag=atag\r\n"
    "To: Bob <sip:1002@example.com>\r\n"
    "Call-ID: call-a@192.0.2.10\r\n"
    "CSeq: 10 INVITE\r\n"
    "Contact: <sip:1001@192.0.2.10:5060;ob>\r\n"
    "Content-Length: 0\r\n\r\n";

static void uas_dialog_from_invite(void)
{
	struct tp_peer from = peer(TP_UDP, "198.51.100.1:5060", "192.0.2.50:5060");
	struct sip_msg *req = calloc(1, sizeof(*req));
	struct sip_dialog *d = NULL;
	struct sip_addr a;
	uint32_t cseq = 0;

	mbuf_init(&mb);
	parse_str(req, invite_a);
	REQUIRE(sip_dialog_uas_alloc(&d, req, &from, "sip:sotto@198.51.100.1:5060", "ourtag") == 0);
	CHECK(sip_dialog_state(d) == SIP_DIALOG_EARLY);
	CHECK(!sip_dialog_is_uac(d));
	CHECK(!sip_dialog_secure(d));
	CHECK(!strcmp(sip_dialog_call_id(d), "call-a@192.0.2.10"));
	CHECK(!strcmp(sip_dialog_local_tag(d), "ourtag"));
	CHECK(!strcmp(sip_dialog_remote_tag(d), "atag"));
	CHECK(!strcmp(sip_dialog_remote_uri(d), "sip:1001@example.com"));
	CHECK(!strcmp(sip_dialog_local_uri(d), "sip:1002@example.com"));
	CHECK(!strcmp(sip_dialog_remote_display(d), "Alice \"A\" Liddell"));
	CHECK(!strcmp(sip_dialog_remote_target(d), "sip:1001@192.0.2.10:5060;ob"));
	/* RFC 3261 12.1.1: the route set is the Record-Route values in order */
	REQUIRE(sip_dialog_route_count(d) == 3);
	CHECK(!strcmp(sip_dialog_route(d, 0), "<sip:192.0.2.50;lr;r=1>"));
	CHECK(!strcmp(sip_dialog_route(d, 1), "<sip:p2.example.com;lr>"));
	CHECK(!strcmp(sip_dialog_route(d, 2), "\"Edge\" <sip:192.0.2.60:5070;lr>"));
	CHECK(sip_dialog_route(d, 3) == NULL);

	/* the headers of our 1xx/2xx: Record-Route copies in order, then our Contact */
	REQUIRE(sip_dialog_reply_hdrs(d, &mb, req) == 0);
	CHECK(!strcmp(mb.buf, "Record-Route: <sip:192.0.2.50;lr;r=1>\r\n"
	                      "Record-Route: <sip:p2.example.com;lr>\r\n"
	                      "Record-Route: \"Edge\" <sip:192.0.2.60:5070;lr>\r\n"
	                      "Contact: <sip:sotto@198.51.100.1:5060>\r\n"));

	/* RFC 3261 15: the callee can't BYE an early dialog */
	mbuf_reset(&mb);
	CHECK_EQ_INT(sip_dialog_request(d, &mb, "BYE", NULL, NULL, PL_NULL, NULL), EPROTO);
	CHECK_EQ_INT(mb.len, 0);
	/* answered and acknowledged: confirmed */
	struct tmr_list tl;
	struct sip_stack *st = NULL;
	struct mbuf ok;
	tmr_list_init(&tl, 0);
	mbuf_init(&ok);
	REQUIRE(sip_stack_alloc(&st, &tl, NULL, nop_send, NULL, nop_request, NULL) == 0);
	REQUIRE(sip_build_response(&ok, req, &from.remote, 200, NULL, "ourtag", NULL, PL_NULL,
	                           NULL) == 0);
	REQUIRE(sip_dialog_2xx_start(d, st, &tl, NULL, NULL, ok.buf, ok.len, NULL, NULL) == 0);
	CHECK(sip_dialog_state(d) == SIP_DIALOG_CONFIRMED);
	CHECK(sip_dialog_ack_received(d, NULL));
	sip_stack_free(st);
	tmr_list_close(&tl);
	mbuf_free(&ok);

	/* BYE: to the remote target through the route set (loose routing) */
	mbuf_reset(&mb);
	REQUIRE(sip_dialog_request(d, &mb, "BYE", NULL, NULL, PL_NULL, &cseq) == 0);
	REQUIRE(parse_mb());
	CHECK(pm.mid == SIP_BYE);
	CHECK_PL(pm.ruri_raw, "sip:1001@192.0.2.10:5060;ob");
	CHECK_EQ_INT(hdr_count(&pm, SIP_HDR_ROUTE), 3);
	CHECK_PL(hdr_value(&pm, SIP_HDR_ROUTE, 0), "<sip:192.0.2.50;lr;r=1>");
	CHECK_PL(hdr_value(&pm, SIP_HDR_ROUTE, 1), "<sip:p2.example.com;lr>");
	CHECK_PL(hdr_value(&pm, SIP_HDR_ROUTE, 2), "\"Edge\" <sip:192.0.2.60:5070;lr>");
	CHECK_PL(pm.from.uri_raw, "sip:1002@example.com");
	CHECK_PL(pm.from.tag, "ourtag");
	CHECK_PL(pm.from.display, "Bob");
	CHECK_PL(pm.to.uri_raw, "sip:1001@example.com");
	CHECK_PL(pm.to.tag, "atag");
	CHECK_PL(pm.to.display, "Alice \\\"A\\\" Liddell");
	CHECK_PL(pm.call_id, "call-a@192.0.2.10");
	CHECK_EQ_INT(pm.cseq, cseq);
	CHECK(pm.cseq_mid == SIP_BYE);
	CHECK(cseq >= 1 && cseq <= 32768);
	CHECK(!sip_msg_hdr(&pm, SIP_HDR_CONTACT, NULL)); /* RFC 3261 20: not in BYE */
	CHECK_PL(pm.via.host, "198.51.100.1");
	/* where it goes: the first route, numeric */
	const struct tp_peer *np = sip_dialog_peer(d);
	struct sa want;
	sa_parse(&want, "192.0.2.50:5060", 5060);
	CHECK(np->kind == TP_UDP && sa_eq(&np->remote, &want));

	/* the next request counts up; a re-INVITE carries our Contact */
	uint32_t cseq2 = 0;
	mbuf_reset(&mb);
	REQUIRE(sip_dialog_request(d, &mb, "INVITE", NULL, "application/sdp", PL("v=0\r\n"),
	                           &cseq2) == 0);
	CHECK_EQ_INT(cseq2, cseq + 1);
	REQUIRE(parse_mb());
	REQUIRE(sip_addr_parse(&a, hdr_value(&pm, SIP_HDR_CONTACT, 0)) == 0);
	CHECK_PL(a.uri_raw, "sip:sotto@198.51.100.1:5060");
	CHECK_PL(pm.body, "v=0\r\n");
	CHECK_EQ_INT(sip_dialog_request(d, &mb, "ACK", NULL, NULL, PL_NULL, NULL), EINVAL);
	CHECK_EQ_INT(sip_dialog_request(d, &mb, "CANCEL", NULL, NULL, PL_NULL, NULL), EINVAL);

	sip_dialog_free(d);
	free(req);
	mbuf_free(&mb);
}

static void uas_dialog_rejects(void)
{
	struct tp_peer from = peer(TP_UDP, "198.51.100.1:5060", "192.0.2.10:5060");
	struct sip_msg *req = calloc(1, sizeof(*req));
	struct sip_dialog *d = NULL;

	/* no Contact */
	parse_str(req, "INVITE sip:1002@198.51.100.1 SIP/2.0\r\n"
	               "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKa\r\n"
	               "From: <sip:1001@example.com>;tag=a\r\nTo: <sip:1002@example.com>\r\n"
	               "Call-ID: c1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n");
	CHECK_EQ_INT(sip_dialog_uas_alloc(&d, req, &from, "sip:s@198.51.100.1", NULL), EPROTO);
	/* a To tag: in-dialog */
	parse_str(req, "INVITE sip:1002@198.51.100.1 SIP/2.0\r\n"
	               "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKa\r\n"
	               "From: <sip:1001@example.com>;tag=a\r\nTo: <sip:1002@example.com>;tag=xy\r\n"
	               "Call-ID: c1\r\nCSeq: 1 INVITE\r\nContact: <sip:1001@192.0.2.10>\r\n"
	               "Content-Length: 0\r\n\r\n");
	CHECK_EQ_INT(sip_dialog_uas_alloc(&d, req, &from, "sip:s@198.51.100.1", NULL), EPROTO);
	/* not an INVITE; bad contact or tag of ours */
	parse_str(req, invite_a);
	req->mid = SIP_OPTIONS;
	CHECK_EQ_INT(sip_dialog_uas_alloc(&d, req, &from, "sip:s@198.51.100.1", NULL), EINVAL);
	req->mid = SIP_INVITE;
	CHECK_EQ_INT(sip_dialog_uas_alloc(&d, req, &from, "sip:s@x\r\n", NULL), EINVAL);
	CHECK_EQ_INT(sip_dialog_uas_alloc(&d, req, &from, "tel:+1555", NULL), EINVAL);
	CHECK_EQ_INT(sip_dialog_uas_alloc(&d, req, &from, "sip:s@198.51.100.1", "a b"), EINVAL);
	CHECK(d == NULL);
	/* more Record-Routes than a dialog keeps */
	{
		char big[4096];
		size_t n = (size_t)snprintf(big, sizeof(big),
		                            "INVITE sip:1002@198.51.100.1 SIP/2.0\r\n"
		                            "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKa\r\n");
		for (int i = 0; i <= SIP_DIALOG_MAX_ROUTE; i++)
			n += (size_t)snprintf(big + n, sizeof(big) - n,
			                      "Record-Route: <sip:192.0.2.%d;lr>\r\n", i + 1);
		snprintf(big + n, sizeof(big) - n,
		         "From: <sip:1001@example.com>;tag=a\r\nTo: <sip:1002@example.com>\r\n"
		         "Call-ID: c1\r\nCSeq: 1 INVITE\r\nContact: <sip:1001@192.0.2.10>\r\n"
		         "Content-Length: 0\r\n\r\n");
		parse_str(req, big);
		CHECK_EQ_INT(sip_dialog_uas_alloc(&d, req, &from, "sip:s@198.51.100.1", NULL),
		             EPROTO);
		/* a malformed one */
		parse_str(req,
		          "INVITE sip:1002@198.51.100.1 SIP/2.0\r\n"
		          "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKa\r\n"
		          "Record-Route: sip:192.0.2.1;lr\r\n"
		          "From: <sip:1001@example.com>;tag=a\r\nTo: <sip:1002@example.com>\r\n"
		          "Call-ID: c1\r\nCSeq: 1 INVITE\r\nContact: <sip:1001@192.0.2.10>\r\n"
		          "Content-Length: 0\r\n\r\n");
		CHECK_EQ_INT(sip_dialog_uas_alloc(&d, req, &from, "sip:s@198.51.100.1", NULL),
		             EPROTO);
		parse_str(req, invite_a);
	}
	/* a random tag when none is given */
	REQUIRE(sip_dialog_uas_alloc(&d, req, &from, "sip:s@198.51.100.1", NULL) == 0);
	CHECK_EQ_INT(strlen(sip_dialog_local_tag(d)), 16);
	sip_dialog_free(d);
	free(req);
}

/* RFC 3261 12.1.1: a SIPS R-URI over TLS makes a secure dialog, which a sip: Contact can't join. */
static void uas_secure_dialog(void)
{
	struct tp_peer from = peer(TP_TLS, "198.51.100.1:5061", "192.0.2.10:40000");
	struct sip_msg *req = calloc(1, sizeof(*req));
	struct sip_dialog *d = NULL;
	const char *fmt =
	    "INVITE sips:1002@198.51.100.1 SIP/2.0\r\n"
	    "Via: SIP/2.0/TLS 192.0.2.10:40000;branch=z9hG4bKs;rport\r\n"
	    "From: <sips:1001@example.com>;tag=s1\r\nTo: <sips:1002@example.com>\r\n"
	    "Call-ID: sec1\r\nCSeq: 5 INVITE\r\nContact: <%s:1001@192.0.2.10:40000>\r\n"
	    "Content-Length: 0\r\n\r\n";
	char buf[1024];

	mbuf_init(&mb);
	snprintf(buf, sizeof(buf), fmt, "sip");
	parse_str(req, buf);
	CHECK_EQ_INT(sip_dialog_uas_alloc(&d, req, &from, "sip:s@198.51.100.1:5061", NULL), EPROTO);
	snprintf(buf, sizeof(buf), fmt, "sips");
	parse_str(req, buf);
	REQUIRE(sip_dialog_uas_alloc(&d, req, &from, "sip:s@198.51.100.1:5061", NULL) == 0);
	CHECK(sip_dialog_secure(d));
	REQUIRE(sip_dialog_reply_hdrs(d, &mb, NULL) == 0);
	CHECK(!strcmp(mb.buf, "Contact: <sips:s@198.51.100.1:5061>\r\n"));
	mbuf_reset(&mb);
	REQUIRE(sip_dialog_request(d, &mb, "INFO", NULL, NULL, PL_NULL, NULL) == 0);
	REQUIRE(parse_mb());
	CHECK_PL(pm.via.transport, "TLS");
	CHECK_PL(hdr_value(&pm, SIP_HDR_CONTACT, 0), "<sips:s@198.51.100.1:5061>");
	CHECK_PL(pm.ruri_raw, "sips:1001@192.0.2.10:40000");

	/* a target refresh may not downgrade it */
	snprintf(buf, sizeof(buf), fmt, "sip");
	parse_str(req, buf);
	CHECK_EQ_INT(sip_dialog_refresh_target(d, req), EPROTO);
	CHECK(!strcmp(sip_dialog_remote_target(d), "sips:1001@192.0.2.10:40000"));
	sip_dialog_free(d);
	free(req);
	mbuf_free(&mb);
}

/* ---- UAC dialogs ----------------------------------------------------------------------------- */

static struct sip_dialog *uac_new(const struct tp_peer *p)
{
	struct sip_dialog_uac_spec spec;
	struct sip_dialog *d = NULL;

	memset(&spec, 0, sizeof(spec));
	spec.local_uri = "sip:1001@pbx.example.com";
	spec.local_display = "Alice";
	spec.remote_uri = "sip:1002@pbx.example.com";
	spec.target = "sip:1002@192.0.2.20:5062";
	spec.local_contact = "sip:sotto@198.51.100.1:5060";
	spec.peer = p;
	if (sip_dialog_uac_alloc(&d, &spec))
		return NULL;
	return d;
}

/* A response to the INVITE in pm (as our UAC sent it), with To tag and extra lines. */
static void make_response(char *buf, size_t size, struct sip_msg *resp, const struct sip_msg *inv,
                          unsigned code, const char *to_tag, const char *extra)
{
	snprintf(buf, size,
	         "SIP/2.0 %u X\r\n"
	         "Via: SIP/2.0/UDP %.*s:%u;branch=%.*s;rport=5060\r\n"
	         "%s"
	         "From: <%.*s>;tag=%.*s\r\n"
	         "To: <%.*s>%s%s\r\n"
	         "Call-ID: %.*s\r\n"
	         "CSeq: %u INVITE\r\n"
	         "Content-Length: 0\r\n\r\n",
	         code, PL_ARG(inv->via.host), inv->via.port, PL_ARG(inv->via.branch), extra,
	         PL_ARG(inv->from.uri_raw), PL_ARG(inv->from.tag), PL_ARG(inv->to.uri_raw),
	         to_tag ? ";tag=" : "", to_tag ? to_tag : "", PL_ARG(inv->call_id), inv->cseq);
	parse_str(resp, buf);
}

/* The dialog-creating INVITE carries the Max-Forwards the B2BUA passes on; out of range: no. */
static void uac_invite_max_forwards(void)
{
	struct tp_peer p = peer(TP_UDP, "198.51.100.1:5060", "203.0.113.5:40000");
	struct sip_dialog_uac_spec spec;
	struct sip_dialog *d = NULL;
	struct sip_msg *inv = calloc(1, sizeof(*inv));
	char buf[2048];

	REQUIRE(inv);
	memset(&spec, 0, sizeof(spec));
	spec.local_uri = "sip:1001@pbx.example.com";
	spec.remote_uri = "sip:1002@pbx.example.com";
	spec.local_contact = "sip:sotto@198.51.100.1:5060";
	spec.peer = &p;
	spec.max_forwards = 256;
	CHECK_EQ_INT(sip_dialog_uac_alloc(&d, &spec), EINVAL);
	spec.max_forwards = 7;
	REQUIRE(sip_dialog_uac_alloc(&d, &spec) == 0);
	mbuf_init(&mb);
	REQUIRE(sip_dialog_request(d, &mb, "INVITE", NULL, NULL, PL_NULL, NULL) == 0);
	snprintf(buf, sizeof(buf), "%s", mb.buf);
	parse_str(inv, buf);
	CHECK_EQ_INT(inv->max_forwards, 7);
	sip_dialog_free(d);
	free(inv);
	mbuf_free(&mb);
}

static void uac_dialog_confirm_ack_bye(void)
{
	struct tp_peer p = peer(TP_UDP, "198.51.100.1:5060", "203.0.113.5:40000");
	struct sip_msg *inv = calloc(1, sizeof(*inv)), *resp = calloc(1, sizeof(*resp));
	char invbuf[2048], rbuf[2048], branch[64];
	struct sip_dialog *d = uac_new(&p), *f = NULL;
	uint32_t icseq = 0;
	struct sa want;

	REQUIRE(d);
	mbuf_init(&mb);
	CHECK(sip_dialog_state(d) == SIP_DIALOG_INIT);
	CHECK(sip_dialog_is_uac(d));
	CHECK_EQ_INT(strlen(sip_dialog_call_id(d)), 32);
	CHECK_EQ_INT(strlen(sip_dialog_local_tag(d)), 16);
	/* before the dialog exists only the INVITE may go out */
	CHECK_EQ_INT(sip_dialog_request(d, &mb, "BYE", NULL, NULL, PL_NULL, NULL), EPROTO);
	CHECK_EQ_INT(sip_dialog_ack(d, &mb, 0, NULL, NULL, PL_NULL), EPROTO);
	REQUIRE(sip_dialog_request(d, &mb, "INVITE", NULL, "application/sdp", PL("v=0\r\n"),
	                           &icseq) == 0);
	snprintf(invbuf, sizeof(invbuf), "%s", mb.buf);
	parse_str(inv, invbuf);
	CHECK_PL(inv->ruri_raw, "sip:1002@192.0.2.20:5062");
	CHECK(!inv->to.tag.l);
	CHECK_PL(inv->from.display, "Alice");
	CHECK_EQ_INT(inv->cseq, icseq);
	CHECK(!sip_msg_hdr(inv, SIP_HDR_ROUTE, NULL));
	/* the spec's peer is fixed: the NAT binding, not the Contact's private address */
	CHECK(sip_dialog_peer(d)->remote.len && sa_port(&sip_dialog_peer(d)->remote) == 40000);

	/* 100 without tag: nothing learned; 180 with tag: early */
	make_response(rbuf, sizeof(rbuf), resp, inv, 100, NULL, "");
	CHECK(sip_dialog_match_response(d, resp));
	CHECK(sip_dialog_uac_confirm(d, resp) == 0);
	CHECK(sip_dialog_state(d) == SIP_DIALOG_INIT);
	make_response(
	    rbuf, sizeof(rbuf), resp, inv, 180, "btag",
	    "Record-Route: <sip:192.0.2.61;lr>\r\nContact: <sip:1002@192.0.2.20:5062>\r\n");
	CHECK(sip_dialog_uac_confirm(d, resp) == 0);
	CHECK(sip_dialog_state(d) == SIP_DIALOG_EARLY);
	CHECK(!strcmp(sip_dialog_remote_tag(d), "btag"));

	/* 200 with two Record-Routes: confirmed, route set reversed (RFC 3261 12.1.2) */
	make_response(rbuf, sizeof(rbuf), resp, inv, 200, "btag",
	              "Record-Route: <sip:192.0.2.61;lr>, <sip:p2.example.com;lr>\r\n"
	              "Contact: <sip:1002@192.0.2.21:5064;transport=udp>\r\n");
	REQUIRE(sip_dialog_uac_confirm(d, resp) == 0);
	CHECK(sip_dialog_state(d) == SIP_DIALOG_CONFIRMED);
	REQUIRE(sip_dialog_route_count(d) == 2);
	CHECK(!strcmp(sip_dialog_route(d, 0), "<sip:p2.example.com;lr>"));
	CHECK(!strcmp(sip_dialog_route(d, 1), "<sip:192.0.2.61;lr>"));
	CHECK(!strcmp(sip_dialog_remote_target(d), "sip:1002@192.0.2.21:5064;transport=udp"));

	/* the ACK: the INVITE's CSeq number, method ACK, a new branch */
	mbuf_reset(&mb);
	REQUIRE(sip_dialog_ack(d, &mb, resp->cseq, NULL, NULL, PL_NULL) == 0);
	REQUIRE(parse_mb());
	CHECK(pm.mid == SIP_ACK);
	CHECK_EQ_INT(pm.cseq, icseq);
	CHECK(pm.cseq_mid == SIP_ACK);
	pl_strcpy(inv->via.branch, branch, sizeof(branch));
	CHECK(!pl_eq_str(pm.via.branch, branch));
	CHECK_PL(pm.ruri_raw, "sip:1002@192.0.2.21:5064;transport=udp");
	CHECK_PL(pm.to.tag, "btag");
	CHECK_PL(hdr_value(&pm, SIP_HDR_ROUTE, 0), "<sip:p2.example.com;lr>");
	CHECK_PL(hdr_value(&pm, SIP_HDR_ROUTE, 1), "<sip:192.0.2.61;lr>");
	CHECK(!sip_msg_hdr(&pm, SIP_HDR_CONTACT, NULL));
	/* 0 means our latest INVITE's */
	mbuf_reset(&mb);
	REQUIRE(sip_dialog_ack(d, &mb, 0, NULL, NULL, PL_NULL) == 0);
	REQUIRE(parse_mb());
	CHECK_EQ_INT(pm.cseq, icseq);

	/* BYE: CSeq + 1 */
	mbuf_reset(&mb);
	REQUIRE(sip_dialog_request(d, &mb, "BYE", "Reason: Q.850;cause=16\r\n", NULL, PL_NULL,
	                           NULL) == 0);
	REQUIRE(parse_mb());
	CHECK_EQ_INT(pm.cseq, icseq + 1);
	CHECK(pm.cseq_mid == SIP_BYE);
	CHECK_PL(pm.to.tag, "btag");
	CHECK_PL(pm.from.tag, sip_dialog_local_tag(d));
	CHECK(sip_msg_hdr(&pm, SIP_HDR_REASON, NULL) != NULL);

	/* a retransmitted 200: nothing changes (ACK it again) */
	CHECK(sip_dialog_uac_confirm(d, resp) == 0);
	/* a 200 from another fork: its own dialog, to ACK and BYE */
	make_response(rbuf, sizeof(rbuf), resp, inv, 200, "forktag",
	              "Contact: <sip:1002@192.0.2.22>\r\n");
	CHECK_EQ_INT(sip_dialog_uac_confirm(d, resp), EEXIST);
	REQUIRE(sip_dialog_uac_fork(&f, d, resp) == 0);
	CHECK(sip_dialog_state(f) == SIP_DIALOG_CONFIRMED);
	CHECK(!strcmp(sip_dialog_remote_tag(f), "forktag"));
	CHECK(!strcmp(sip_dialog_call_id(f), sip_dialog_call_id(d)));
	CHECK_EQ_INT(sip_dialog_route_count(f), 0);
	mbuf_reset(&mb);
	REQUIRE(sip_dialog_ack(f, &mb, resp->cseq, NULL, NULL, PL_NULL) == 0);
	REQUIRE(parse_mb());
	CHECK_EQ_INT(pm.cseq, icseq);
	CHECK_PL(pm.to.tag, "forktag");
	CHECK_PL(pm.ruri_raw, "sip:1002@192.0.2.22");
	mbuf_reset(&mb);
	REQUIRE(sip_dialog_request(f, &mb, "BYE", NULL, NULL, PL_NULL, NULL) == 0);
	REQUIRE(parse_mb());
	CHECK_EQ_INT(pm.cseq, icseq + 1);

	/* with the fixed peer released, the next hop is the first route (numeric only) */
	REQUIRE(sip_dialog_set_peer(d, NULL) == 0);
	CHECK(sa_port(&sip_dialog_peer(d)->remote) == 40000); /* p2.example.com: no DNS */
	REQUIRE(sip_dialog_set_peer(f, NULL) == 0);
	sa_parse(&want, "192.0.2.22:5060", 5060);
	CHECK(sa_eq(&sip_dialog_peer(f)->remote, &want));

	sip_dialog_free(f);
	sip_dialog_free(d);
	free(inv);
	free(resp);
	mbuf_free(&mb);
}

static void uac_confirm_rejects(void)
{
	struct tp_peer p = peer(TP_UDP, "198.51.100.1:5060", "192.0.2.20:5062");
	struct sip_msg *inv = calloc(1, sizeof(*inv)), *resp = calloc(1, sizeof(*resp));
	char invbuf[2048], rbuf[2048];
	struct sip_dialog *d = uac_new(&p);

	REQUIRE(d);
	mbuf_init(&mb);
	REQUIRE(sip_dialog_request(d, &mb, "INVITE", NULL, NULL, PL_NULL, NULL) == 0);
	snprintf(invbuf, sizeof(invbuf), "%s", mb.buf);
	parse_str(inv, invbuf);

	make_response(rbuf, sizeof(rbuf), resp, inv, 486, "btag", "");
	CHECK_EQ_INT(sip_dialog_uac_confirm(d, resp), EINVAL);
	/* wrong From tag / Call-ID */
	make_response(rbuf, sizeof(rbuf), resp, inv, 200, "btag", "");
	resp->from.tag = PL("other");
	CHECK_EQ_INT(sip_dialog_uac_confirm(d, resp), EPROTO);
	CHECK(!sip_dialog_match_response(d, resp));
	make_response(rbuf, sizeof(rbuf), resp, inv, 200, "btag", "");
	resp->call_id = PL("x");
	CHECK_EQ_INT(sip_dialog_uac_confirm(d, resp), EPROTO);
	/* the answer to an INVITE re-sent since (after a 407, say) */
	mbuf_reset(&mb);
	REQUIRE(sip_dialog_request(d, &mb, "INVITE", "Proxy-Authorization: Digest x=1\r\n", NULL,
	                           PL_NULL, NULL) == 0);
	make_response(rbuf, sizeof(rbuf), resp, inv, 200, "btag", "");
	CHECK_EQ_INT(sip_dialog_uac_confirm(d, resp), EPROTO);
	/* malformed Record-Route */
	REQUIRE(parse_mb());
	make_response(rbuf, sizeof(rbuf), resp, &pm, 200, "btag",
	              "Record-Route: sip:noangle;lr\r\n");
	CHECK_EQ_INT(sip_dialog_uac_confirm(d, resp), EPROTO);
	CHECK(sip_dialog_state(d) == SIP_DIALOG_INIT);
	CHECK_EQ_INT(sip_dialog_uac_confirm(NULL, resp), EINVAL);
	sip_dialog_free(d);
	free(inv);
	free(resp);
	mbuf_free(&mb);
}

/* RFC 3261 12.2.1.1: a strict router first in the route set. */
static void uac_strict_route(void)
{
	struct tp_peer p = peer(TP_UDP, "198.51.100.1:5060", "192.0.2.20:5062");
	struct sip_msg *inv = calloc(1, sizeof(*inv)), *resp = calloc(1, sizeof(*resp));
	char invbuf[2048], rbuf[2048];
	struct sip_dialog *d = uac_new(&p);

	REQUIRE(d);
	mbuf_init(&mb);
	REQUIRE(sip_dialog_request(d, &mb, "INVITE", NULL, NULL, PL_NULL, NULL) == 0);
	snprintf(invbuf, sizeof(invbuf), "%s", mb.buf);
	parse_str(inv, invbuf);
	make_response(rbuf, sizeof(rbuf), resp, inv, 200, "btag",
	              "Record-Route: <sip:192.0.2.62;lr>\r\nRecord-Route: <sip:192.0.2.63>\r\n"
	              "Contact: <sip:1002@192.0.2.20:5062>\r\n");
	REQUIRE(sip_dialog_uac_confirm(d, resp) == 0);
	mbuf_reset(&mb);
	REQUIRE(sip_dialog_request(d, &mb, "BYE", NULL, NULL, PL_NULL, NULL) == 0);
	REQUIRE(parse_mb());
	CHECK_PL(pm.ruri_raw, "sip:192.0.2.63");
	CHECK_EQ_INT(hdr_count(&pm, SIP_HDR_ROUTE), 2);
	CHECK_PL(hdr_value(&pm, SIP_HDR_ROUTE, 0), "<sip:192.0.2.62;lr>");
	CHECK_PL(hdr_value(&pm, SIP_HDR_ROUTE, 1), "<sip:1002@192.0.2.20:5062>");
	sip_dialog_free(d);
	free(inv);
	free(resp);
	mbuf_free(&mb);
}

/* ---- incoming requests ----------------------------------------------------------------------- */

static void in_dialog_request(struct sip_msg *m, char *buf, size_t size, const char *method,
                              const char *call_id, const char *from_tag, const char *to_tag,
                              unsigned cseq, const char *extra)
{
	snprintf(buf, size,
	         "%s sip:sotto@198.51.100.1:5060 SIP/2.0\r\n"
	         "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK%s%u\r\n"
	         "From: <sip:1001@example.com>;tag=%s\r\n"
	         "To: <sip:1002@example.com>;tag=%s\r\n"
	         "Call-ID: %s\r\nCSeq: %u %s\r\n%sContent-Length: 0\r\n\r\n",
	         method, method, cseq, from_tag, to_tag, call_id, cseq, method, extra);
	parse_str(m, buf);
}

static void match_and_cseq_order(void)
{
	struct tp_peer from = peer(TP_UDP, "198.51.100.1:5060", "192.0.2.50:5060");
	struct sip_msg *req = calloc(1, sizeof(*req)), *m = calloc(1, sizeof(*m));
	struct sip_dialog *d = NULL;
	char buf[2048];

	parse_str(req, invite_a);
	REQUIRE(sip_dialog_uas_alloc(&d, req, &from, "sip:sotto@198.51.100.1", "ourtag") == 0);

	in_dialog_request(m, buf, sizeof(buf), "BYE", "call-a@192.0.2.10", "atag", "ourtag", 11,
	                  "");
	CHECK(sip_dialog_match(d, m));
	in_dialog_request(m, buf, sizeof(buf), "BYE", "call-b@192.0.2.10", "atag", "ourtag", 11,
	                  "");
	CHECK(!sip_dialog_match(d, m));
	in_dialog_request(m, buf, sizeof(buf), "BYE", "call-a@192.0.2.10", "xtag", "ourtag", 11,
	                  "");
	CHECK(!sip_dialog_match(d, m));
	in_dialog_request(m, buf, sizeof(buf), "BYE", "call-a@192.0.2.10", "atag", "OURTAG", 11,
	                  "");
	CHECK(!sip_dialog_match(d, m));
	CHECK(!sip_dialog_match(d, req)); /* the INVITE itself had no To tag */

	/* RFC 3261 12.2.2: the INVITE set the remote CSeq to 10 */
	in_dialog_request(m, buf, sizeof(buf), "INFO", "call-a@192.0.2.10", "atag", "ourtag", 9,
	                  "");
	CHECK_EQ_INT(sip_dialog_accept_cseq(d, m), EPROTO);
	in_dialog_request(m, buf, sizeof(buf), "ACK", "call-a@192.0.2.10", "atag", "ourtag", 10,
	                  "");
	CHECK_EQ_INT(sip_dialog_accept_cseq(d, m), 0);
	in_dialog_request(m, buf, sizeof(buf), "INFO", "call-a@192.0.2.10", "atag", "ourtag", 12,
	                  "");
	CHECK_EQ_INT(sip_dialog_accept_cseq(d, m), 0);
	in_dialog_request(m, buf, sizeof(buf), "INFO", "call-a@192.0.2.10", "atag", "ourtag", 11,
	                  "");
	CHECK_EQ_INT(sip_dialog_accept_cseq(d, m), EPROTO);
	in_dialog_request(m, buf, sizeof(buf), "UPDATE", "call-a@192.0.2.10", "atag", "ourtag", 40,
	                  "Contact: <sip:1001@192.0.2.99:5090>\r\n");
	CHECK_EQ_INT(sip_dialog_accept_cseq(d, m), 0);
	/* the target refresh moves the remote target */
	REQUIRE(sip_dialog_refresh_target(d, m) == 0);
	CHECK(!strcmp(sip_dialog_remote_target(d), "sip:1001@192.0.2.99:5090"));
	in_dialog_request(m, buf, sizeof(buf), "UPDATE", "call-a@192.0.2.10", "atag", "ourtag", 41,
	                  "");
	CHECK_EQ_INT(sip_dialog_refresh_target(d, m), 0); /* no Contact: unchanged */
	CHECK(!strcmp(sip_dialog_remote_target(d), "sip:1001@192.0.2.99:5090"));

	/* a UAC dialog before any request from the peer takes any CSeq */
	struct sip_dialog *u = uac_new(&from);
	REQUIRE(u);
	CHECK(!sip_dialog_match(u, m)); /* INIT: no dialog yet */
	in_dialog_request(m, buf, sizeof(buf), "INFO", "c", "a", "b", 3, "");
	CHECK_EQ_INT(sip_dialog_accept_cseq(u, m), 0);
	sip_dialog_free(u);
	sip_dialog_free(d);
	free(req);
	free(m);
}

/* Next hop without a fixed peer: remote target host when numeric, else where it came from. */
static void peer_rules(void)
{
	struct tp_peer from = peer(TP_UDP, "198.51.100.1:5060", "203.0.113.7:33333");
	struct sip_msg *req = calloc(1, sizeof(*req));
	struct sip_dialog *d = NULL;
	struct tp_peer nat = peer(TP_UDP, "198.51.100.1:5060", "203.0.113.7:44444");
	char buf[2048];
	struct sa want;
	const char *fmt = "INVITE sip:1002@198.51.100.1 SIP/2.0\r\n"
	                  "Via: SIP/2.0/UDP 192.0.2.5:5060;branch=z9hG4bKn;rport\r\n"
	                  "From: <sip:1001@example.com>;tag=n1\r\nTo: <sip:1002@example.com>\r\n"
	                  "Call-ID: nat1\r\nCSeq: 1 INVITE\r\nContact: <%s>\r\n"
	                  "Content-Length: 0\r\n\r\n";

	snprintf(buf, sizeof(buf), fmt, "sip:1001@192.0.2.5:5070");
	parse_str(req, buf);
	REQUIRE(sip_dialog_uas_alloc(&d, req, &from, "sip:sotto@198.51.100.1", NULL) == 0);
	sa_parse(&want, "192.0.2.5:5070", 5060);
	CHECK(sa_eq(&sip_dialog_peer(d)->remote, &want));
	/* a phone behind NAT: the binding's peer */
	REQUIRE(sip_dialog_set_peer(d, &nat) == 0);
	CHECK(sa_eq(&sip_dialog_peer(d)->remote, &nat.remote));
	REQUIRE(sip_dialog_set_peer(d, NULL) == 0);
	CHECK(sa_eq(&sip_dialog_peer(d)->remote, &want));
	sip_dialog_free(d);

	/* a host name: the source address (no DNS) */
	snprintf(buf, sizeof(buf), fmt, "sip:1001@phone.example.com");
	parse_str(req, buf);
	REQUIRE(sip_dialog_uas_alloc(&d, req, &from, "sip:sotto@198.51.100.1", NULL) == 0);
	CHECK(sa_eq(&sip_dialog_peer(d)->remote, &from.remote));
	sip_dialog_free(d);

	/* transport=tcp in the Contact: TCP to the default port */
	snprintf(buf, sizeof(buf), fmt, "sip:1001@192.0.2.5;transport=tcp");
	parse_str(req, buf);
	REQUIRE(sip_dialog_uas_alloc(&d, req, &from, "sip:sotto@198.51.100.1:5060", NULL) == 0);
	sa_parse(&want, "192.0.2.5:5060", 5060);
	CHECK(sip_dialog_peer(d)->kind == TP_TCP);
	CHECK(sa_eq(&sip_dialog_peer(d)->remote, &want));
	CHECK(!sip_dialog_peer(d)->local.len); /* the UDP socket's address is no use for TCP */
	mbuf_init(&mb);
	REQUIRE(sip_dialog_request(d, &mb, "OPTIONS", NULL, NULL, PL_NULL, NULL) == 0);
	REQUIRE(parse_mb());
	CHECK_PL(pm.via.transport, "TCP");
	CHECK_PL(pm.via.host, "198.51.100.1"); /* from our Contact */
	CHECK_EQ_INT(pm.via.port, 5060);
	mbuf_free(&mb);
	sip_dialog_free(d);
	free(req);
}

/* ---- 2xx retransmission (RFC 3261 13.3.1.4) on a fake clock ---------------------------------- */

#define MAX_SENT 64

static struct {
	struct tmr_list tl;
	struct sip_stack *s;
	uint64_t at[MAX_SENT];
	struct tp_peer to[MAX_SENT];
	size_t nsent;
	int no_ack;
	uint64_t no_ack_at;
	bool free_in_handler;
} fx;

static int cap_send(const struct tp_peer *to, const char *data, size_t len, void *arg)
{
	(void)arg;
	(void)data;
	(void)len;
	if (fx.nsent < MAX_SENT) {
		fx.to[fx.nsent] = *to;
		fx.at[fx.nsent++] = fx.tl.now_ms;
	}
	return 0;
}

static void on_no_ack(struct sip_dialog *d, void *arg)
{
	(void)arg;
	fx.no_ack++;
	fx.no_ack_at = fx.tl.now_ms;
	if (fx.free_in_handler)
		sip_dialog_free(d);
}

static void run_to(uint64_t ms)
{
	for (;;) {
		int64_t next = tmr_list_next_ms(&fx.tl);
		if (next < 0 || fx.tl.now_ms + (uint64_t)next > ms)
			break;
		tmr_list_run(&fx.tl, fx.tl.now_ms + (uint64_t)next);
	}
	tmr_list_run(&fx.tl, ms);
}

static void fx_setup(void)
{
	memset(&fx, 0, sizeof(fx));
	tmr_list_init(&fx.tl, 0);
	sip_stack_alloc(&fx.s, &fx.tl, NULL, cap_send, NULL, nop_request, NULL);
}

static void fx_teardown(void)
{
	sip_stack_free(fx.s);
	tmr_list_close(&fx.tl);
}

/* A UAS dialog and the bytes of its 200 OK. */
static struct sip_dialog *uas_with_200(const struct tp_peer *from, struct sip_msg *req)
{
	struct sip_dialog *d = NULL;
	struct mbuf hdrs;

	parse_str(req, invite_a);
	if (sip_dialog_uas_alloc(&d, req, from, "sip:sotto@198.51.100.1:5060", NULL))
		return NULL;
	mbuf_init(&hdrs);
	sip_dialog_reply_hdrs(d, &hdrs, req);
	mbuf_free(&mb);
	sip_build_response(&mb, req, &from->remote, 200, NULL, sip_dialog_local_tag(d), hdrs.buf,
	                   PL("v=0\r\n"), "application/sdp");
	mbuf_free(&hdrs);
	return d;
}

static void ok_retransmit_until_ack(void)
{
	struct tp_peer from = peer(TP_UDP, "198.51.100.1:5060", "192.0.2.50:5060");
	struct sip_msg *req = calloc(1, sizeof(*req)), *ack = calloc(1, sizeof(*ack));
	struct sip_dialog *d;
	char buf[2048];

	fx_setup();
	d = uas_with_200(&from, req);
	REQUIRE(d);
	REQUIRE(sip_dialog_2xx_start(d, fx.s, &fx.tl, NULL, NULL, mb.buf, mb.len, on_no_ack,
	                             NULL) == 0);
	CHECK(sip_dialog_state(d) == SIP_DIALOG_CONFIRMED);
	CHECK_EQ_INT(fx.nsent, 0); /* the transaction sent the first copy */
	/* RFC 3261 15: no BYE before the ACK */
	mbuf_reset(&mb);
	CHECK_EQ_INT(sip_dialog_request(d, &mb, "BYE", NULL, NULL, PL_NULL, NULL), EAGAIN);
	run_to(4000);
	REQUIRE(fx.nsent == 3);
	CHECK_EQ_INT(fx.at[0], 500);
	CHECK_EQ_INT(fx.at[1], 1500);
	CHECK_EQ_INT(fx.at[2], 3500);
	CHECK(sa_eq(&fx.to[0].remote, &from.remote));
	/* an ACK for another INVITE doesn't count; the right one stops it all */
	in_dialog_request(ack, buf, sizeof(buf), "ACK", "call-a@192.0.2.10", "atag",
	                  sip_dialog_local_tag(d), 9, "");
	CHECK(sip_dialog_match(d, ack));
	CHECK(!sip_dialog_ack_received(d, ack));
	in_dialog_request(ack, buf, sizeof(buf), "ACK", "call-a@192.0.2.10", "atag",
	                  sip_dialog_local_tag(d), 10, "");
	CHECK(sip_dialog_ack_received(d, ack));
	CHECK(!sip_dialog_ack_received(d, ack)); /* once */
	run_to(60000);
	CHECK_EQ_INT(fx.nsent, 3);
	CHECK_EQ_INT(fx.no_ack, 0);
	mbuf_reset(&mb);
	CHECK_EQ_INT(sip_dialog_request(d, &mb, "BYE", NULL, NULL, PL_NULL, NULL), 0);
	sip_dialog_free(d);
	fx_teardown();
	free(req);
	free(ack);
	mbuf_free(&mb);
}

static void ok_no_ack_at_64_t1(void)
{
	struct tp_peer from = peer(TP_UDP, "198.51.100.1:5060", "192.0.2.50:5060");
	struct sip_msg *req = calloc(1, sizeof(*req));
	static const uint64_t want[] = {500,   1500,  3500,  7500,  11500,
	                                15500, 19500, 23500, 27500, 31500};
	struct sip_dialog *d;

	fx_setup();
	d = uas_with_200(&from, req);
	REQUIRE(d);
	REQUIRE(sip_dialog_2xx_start(d, fx.s, &fx.tl, NULL, NULL, mb.buf, mb.len, on_no_ack,
	                             NULL) == 0);
	run_to(31999);
	CHECK_EQ_INT(fx.no_ack, 0);
	run_to(32000);
	CHECK_EQ_INT(fx.no_ack, 1);
	CHECK_EQ_INT(fx.no_ack_at, 32000);
	/* T1, doubling to T2, then every T2 */
	CHECK_EQ_INT(fx.nsent, 10);
	for (size_t i = 0; i < fx.nsent && i < 10; i++)
		CHECK_EQ_INT(fx.at[i], want[i]);
	run_to(100000);
	CHECK_EQ_INT(fx.nsent, 10);
	CHECK(!sip_dialog_ack_received(d, NULL)); /* too late */
	mbuf_reset(&mb);
	CHECK_EQ_INT(sip_dialog_request(d, &mb, "BYE", NULL, NULL, PL_NULL, NULL), 0);
	sip_dialog_free(d);

	/* the handler may free the dialog; custom timers; a re-INVITE's 2xx from the peer */
	struct sip_timers t = {.t1_ms = 100, .t2_ms = 400};
	struct tp_peer other = peer(TP_UDP, "198.51.100.1:5060", "192.0.2.77:5090");
	fx.nsent = 0;
	fx.no_ack = 0;
	fx.free_in_handler = true;
	d = uas_with_200(&from, req);
	REQUIRE(d);
	REQUIRE(sip_dialog_2xx_start(d, fx.s, &fx.tl, &t, &other, mb.buf, mb.len, on_no_ack,
	                             NULL) == 0);
	run_to(fx.tl.now_ms + 6400);
	CHECK_EQ_INT(fx.no_ack, 1);
	CHECK(fx.nsent >= 5);
	CHECK(sa_eq(&fx.to[0].remote, &other.remote));
	fx_teardown();
	free(req);
	mbuf_free(&mb);
}

static void ok_over_tcp_only_waits(void)
{
	struct tp_peer from = peer(TP_TCP, "198.51.100.1:5060", "192.0.2.50:40000");
	struct sip_msg *req = calloc(1, sizeof(*req));
	struct sip_dialog *d;

	fx_setup();
	d = uas_with_200(&from, req);
	REQUIRE(d);
	REQUIRE(sip_dialog_2xx_start(d, fx.s, &fx.tl, NULL, NULL, mb.buf, mb.len, on_no_ack,
	                             NULL) == 0);
	run_to(40000);
	CHECK_EQ_INT(fx.nsent, 0);
	CHECK_EQ_INT(fx.no_ack, 1);
	CHECK_EQ_INT(fx.no_ack_at, 32000);
	/* not a 2xx: refused; freeing with a pending 2xx cancels its timers */
	CHECK_EQ_INT(sip_dialog_2xx_start(d, fx.s, &fx.tl, NULL, NULL, "garbage", 7, NULL, NULL),
	             EINVAL);
	REQUIRE(sip_dialog_2xx_start(d, fx.s, &fx.tl, NULL, NULL, mb.buf, mb.len, on_no_ack,
	                             NULL) == 0);
	sip_dialog_free(d);
	run_to(100000);
	CHECK_EQ_INT(fx.no_ack, 1);
	fx_teardown();
	free(req);
	mbuf_free(&mb);
}

/* RFC 3261 18.2.2: without rport the 2xx goes to the source address at the Via port. */
static void ok_goes_to_via_port_without_rport(void)
{
	struct tp_peer from = peer(TP_UDP, "198.51.100.1:5060", "192.0.2.10:40000");
	struct sip_msg *req = calloc(1, sizeof(*req));
	struct sip_dialog *d = NULL;
	struct sa want;

	fx_setup();
	parse_str(req, "INVITE sip:1002@198.51.100.1 SIP/2.0\r\n"
	               "Via: SIP/2.0/UDP 192.0.2.10:5070;branch=z9hG4bKnr\r\n"
	               "From: <sip:1001@example.com>;tag=a\r\nTo: <sip:1002@example.com>\r\n"
	               "Call-ID: nr1\r\nCSeq: 1 INVITE\r\nContact: <sip:1001@192.0.2.10:5070>\r\n"
	               "Content-Length: 0\r\n\r\n");
	REQUIRE(sip_dialog_uas_alloc(&d, req, &from, "sip:s@198.51.100.1", NULL) == 0);
	mbuf_free(&mb);
	REQUIRE(sip_build_response(&mb, req, &from.remote, 200, NULL, sip_dialog_local_tag(d), NULL,
	                           PL_NULL, NULL) == 0);
	REQUIRE(sip_dialog_2xx_start(d, fx.s, &fx.tl, NULL, NULL, mb.buf, mb.len, NULL, NULL) == 0);
	run_to(600);
	REQUIRE(fx.nsent == 1);
	sa_parse(&want, "192.0.2.10:5070", 5060);
	CHECK(sa_eq(&fx.to[0].remote, &want));
	sip_dialog_free(d);
	fx_teardown();
	free(req);
	mbuf_free(&mb);
}

static const struct test_case cases[] = {
	{"request_invite_roundtrip", request_invite_roundtrip},
	{"request_sent_by", request_sent_by},
	{"request_rejects_bad_parts", request_rejects_bad_parts},
	{"request_display_injection", request_display_injection},
	{"request_strict_router_first", request_strict_router_first},
	{"uas_dialog_from_invite", uas_dialog_from_invite},
	{"uas_dialog_rejects", uas_dialog_rejects},
	{"uas_secure_dialog", uas_secure_dialog},
	{"uac_dialog_confirm_ack_bye", uac_dialog_confirm_ack_bye},
	{"uac_invite_max_forwards", uac_invite_max_forwards},
	{"uac_confirm_rejects", uac_confirm_rejects},
	{"uac_strict_route", uac_strict_route},
	{"match_and_cseq_order", match_and_cseq_order},
	{"peer_rules", peer_rules},
	{"ok_retransmit_until_ack", ok_retransmit_until_ack},
	{"ok_no_ack_at_64_t1", ok_no_ack_at_64_t1},
	{"ok_over_tcp_only_waits", ok_over_tcp_only_waits},
	{"ok_goes_to_via_port_without_rport", ok_goes_to_via_port_without_rport},
};

TEST_MAIN(cases)

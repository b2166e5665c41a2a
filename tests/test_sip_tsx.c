/* Unit tests for src/sip/{tsx,strans,ctrans}.c: the transaction layer (RFC 3261 17, RFC 6026)
 * on a fake clock. The send handler captures what the stack sends; the tests parse it back with
 * the real parser and assert on it. Times are in ms with the default T1 500, T2 4000, T4 5000. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/tmr.h"
#include "harness.h"
#include "net/sa.h"
#include "net/tp.h"
#include "sip/msg.h"
#include "sip/tsx.h"

#define MAX_SENT 256

struct sent {
	char *data;
	size_t len;
	struct tp_peer to;
	uint64_t at;
};

/* What the TU does with a new request. */
enum tu_mode { TU_SILENT, TU_REPLY };

static struct {
	struct tmr_list tl;
	struct sip_stack *s;
	struct sent sent[MAX_SENT];
	size_t nsent;
	int send_err;
	/* server TU */
	enum tu_mode mode;
	uint16_t reply_code;
	const char *reply_tag;
	int requests, acks;
	struct sip_strans *last_st;
	enum sip_method last_mid;
	char last_branch[64];
	int cancels;
	uint16_t cancel_reply; /* the TU's answer to the INVITE when cancelled (0: none) */
	/* client TU */
	int responses, errors, last_err;
	uint16_t last_code;
	int strays;
	uint16_t stray_code;
} fx;

static struct sip_msg pm; /* parsed sent message */

static int cap_send(const struct tp_peer *to, const char *data, size_t len, void *arg)
{
	(void)arg;
	if (fx.send_err)
		return fx.send_err;
	if (fx.nsent < MAX_SENT) {
		struct sent *s = &fx.sent[fx.nsent++];
		s->data = malloc(len + 1);
		memcpy(s->data, data, len);
		s->data[len] = '\0';
		s->len = len;
		s->to = *to;
		s->at = fx.tl.now_ms;
	}
	return 0;
}

static void on_cancel(struct sip_strans *st, void *arg)
{
	(void)arg;
	fx.cancels++;
	if (fx.cancel_reply)
		CHECK(sip_strans_reply(st, fx.cancel_reply, NULL, fx.reply_tag, NULL, PL_NULL,
				       NULL) == 0);
}

static void on_request(struct sip_strans *st, const struct sip_msg *req, const struct tp_peer *from,
		       void *arg)
{
	(void)arg;
	(void)from;
	if (!st) {
		CHECK(req->mid == SIP_ACK);
		fx.acks++;
		return;
	}
	CHECK(sip_strans_request(st) == req);
	fx.requests++;
	fx.last_st = st;
	fx.last_mid = req->mid;
	pl_strcpy(req->via.branch, fx.last_branch, sizeof(fx.last_branch));
	sip_strans_set_cancel_handler(st, on_cancel, NULL);
	if (fx.mode == TU_REPLY) {
		CHECK(sip_strans_reply(st, fx.reply_code, NULL, fx.reply_tag, NULL, PL_NULL, NULL) ==
		      0);
		fx.last_st = NULL; /* no longer ours to touch */
	}
}

static void on_stray(const struct sip_msg *resp, const struct tp_peer *from, void *arg)
{
	(void)from;
	(void)arg;
	fx.strays++;
	fx.stray_code = resp->scode;
}

static void on_response(const struct sip_msg *resp, int err, void *arg)
{
	(void)arg;
	if (!resp) {
		fx.errors++;
		fx.last_err = err;
		return;
	}
	fx.responses++;
	fx.last_code = resp->scode;
}

static struct tp_peer udp_peer(void)
{
	struct tp_peer p;
	memset(&p, 0, sizeof(p));
	p.kind = TP_UDP;
	sa_parse(&p.remote, "192.0.2.10:5060", 5060);
	return p;
}

static struct tp_peer tcp_peer(void)
{
	struct tp_peer p = udp_peer();
	p.kind = TP_TCP;
	return p;
}

static void setup(void)
{
	memset(&fx, 0, sizeof(fx));
	fx.reply_code = 200;
	fx.reply_tag = "uastag";
	tmr_list_init(&fx.tl, 0);
	REQUIRE(sip_stack_alloc(&fx.s, &fx.tl, NULL, cap_send, NULL, on_request, NULL) == 0);
	sip_stack_set_stray_handler(fx.s, on_stray, NULL);
}

static void teardown(void)
{
	sip_stack_free(fx.s);
	fx.s = NULL;
	tmr_list_close(&fx.tl);
	for (size_t i = 0; i < fx.nsent; i++)
		free(fx.sent[i].data);
	fx.nsent = 0;
}

static void run_to(uint64_t ms)
{
	/* Step through every due time so timers started by timers fire at their own time. */
	for (;;) {
		int64_t next = tmr_list_next_ms(&fx.tl);
		if (next < 0 || fx.tl.now_ms + (uint64_t)next > ms)
			break;
		tmr_list_run(&fx.tl, fx.tl.now_ms + (uint64_t)next);
	}
	tmr_list_run(&fx.tl, ms);
}

static void rx_on(const struct tp_peer *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void rx_on(const struct tp_peer *p, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	sip_stack_recv(fx.s, p, buf, (size_t)n, 0);
}

static struct sip_msg *sent_msg(size_t i)
{
	if (i >= fx.nsent)
		return NULL;
	int err = sip_msg_parse(&pm, fx.sent[i].data, fx.sent[i].len);
	if (err) {
		fprintf(stderr, "unparsable sent message: %s\n%s\n", pm.error, fx.sent[i].data);
		return NULL;
	}
	return &pm;
}

static bool sent_same(size_t a, size_t b)
{
	return a < fx.nsent && b < fx.nsent && fx.sent[a].len == fx.sent[b].len &&
	       memcmp(fx.sent[a].data, fx.sent[b].data, fx.sent[a].len) == 0;
}

static struct sip_stack_stats stats(void)
{
	struct sip_stack_stats st;
	sip_stack_stats(fx.s, &st);
	return st;
}

/* ---- messages ---------------------------------------------------------------------------- */

#define HDRS_UAC                                                                                   \
	"Max-Forwards: 70\r\n"                                                                     \
	"From: \"Alice\" <sip:1001@example.com>;tag=fromtag1\r\n"                                  \
	"To: <sip:1002@example.com>\r\n"                                                           \
	"Call-ID: call-1@192.0.2.10\r\n"

static void rx_request(const struct tp_peer *p, const char *method, const char *branch,
		       unsigned cseq, const char *cseq_method)
{
	rx_on(p,
	      "%s sip:1002@198.51.100.1 SIP/2.0\r\n"
	      "Via: SIP/2.0/%s 192.0.2.10:5060;branch=%s\r\n" HDRS_UAC "CSeq: %u %s\r\n"
	      "Contact: <sip:1001@192.0.2.10:5060>\r\n"
	      "Content-Length: 0\r\n\r\n",
	      method, p->kind == TP_UDP ? "UDP" : "TCP", branch, cseq, cseq_method);
}

/* The ACK a UAC sends for a non-2xx final (same branch, To with our tag). */
static void rx_ack(const struct tp_peer *p, const char *branch, const char *to_tag)
{
	rx_on(p,
	      "ACK sip:1002@198.51.100.1 SIP/2.0\r\n"
	      "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=%s\r\n"
	      "Max-Forwards: 70\r\n"
	      "From: \"Alice\" <sip:1001@example.com>;tag=fromtag1\r\n"
	      "To: <sip:1002@example.com>;tag=%s\r\n"
	      "Call-ID: call-1@192.0.2.10\r\n"
	      "CSeq: 1 ACK\r\n"
	      "Content-Length: 0\r\n\r\n",
	      branch, to_tag);
}

/* What our UAC sends: an INVITE with a Route set, so ACK and CANCEL must copy it. */
static const char *uac_invite =
	"INVITE sip:1002@198.51.100.7:5080;transport=udp SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bKuac1;rport\r\n"
	"Route: <sip:proxy1.example.com;lr>\r\n"
	"Route: <sip:proxy2.example.com;lr>\r\n"
	"Max-Forwards: 70\r\n"
	"From: <sip:1001@pbx.example.com>;tag=pbxtag\r\n"
	"To: \"Bob\" <sip:1002@example.com>\r\n"
	"Call-ID: uac-call@198.51.100.1\r\n"
	"CSeq: 42 INVITE\r\n"
	"Contact: <sip:pbx@198.51.100.1:5060>\r\n"
	"Content-Length: 0\r\n\r\n";

static const char *uac_options =
	"OPTIONS sip:1002@198.51.100.7 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bKuacopt\r\n"
	"Max-Forwards: 70\r\n"
	"From: <sip:pbx@pbx.example.com>;tag=opttag\r\n"
	"To: <sip:1002@example.com>\r\n"
	"Call-ID: opt-call@198.51.100.1\r\n"
	"CSeq: 7 OPTIONS\r\n"
	"Content-Length: 0\r\n\r\n";

/* A response to one of our requests, as the far end would send it. */
static void rx_response(const char *branch, unsigned code, const char *reason, const char *to_tag,
			unsigned cseq, const char *method)
{
	struct tp_peer p = udp_peer();
	rx_on(&p,
	      "SIP/2.0 %u %s\r\n"
	      "Via: SIP/2.0/UDP 198.51.100.1:5060;branch=%s;rport=5060\r\n"
	      "From: <sip:1001@pbx.example.com>;tag=pbxtag\r\n"
	      "To: \"Bob\" <sip:1002@example.com>%s%s\r\n"
	      "Call-ID: uac-call@198.51.100.1\r\n"
	      "CSeq: %u %s\r\n"
	      "Content-Length: 0\r\n\r\n",
	      code, reason, branch, to_tag ? ";tag=" : "", to_tag ? to_tag : "", cseq, method);
}

/* ---- non-INVITE server ------------------------------------------------------------------- */

static void nist_retransmission_gets_same_final(void)
{
	struct tp_peer p = udp_peer();
	setup();
	fx.mode = TU_REPLY;
	rx_request(&p, "OPTIONS", "z9hG4bKopt1", 1, "OPTIONS");
	CHECK_EQ_INT(fx.requests, 1);
	REQUIRE(fx.nsent == 1);
	struct sip_msg *m = sent_msg(0);
	REQUIRE(m);
	CHECK(!m->is_request);
	CHECK_EQ_INT(m->scode, 200);
	CHECK_PL(m->via.branch, "z9hG4bKopt1");
	CHECK_PL(m->to.tag, "uastag");

	run_to(1000);
	rx_request(&p, "OPTIONS", "z9hG4bKopt1", 1, "OPTIONS");
	CHECK_EQ_INT(fx.requests, 1);
	REQUIRE(fx.nsent == 2);
	CHECK(sent_same(0, 1));
	CHECK_EQ_INT(stats().retransmissions_absorbed, 1);

	/* Timer J: 64*T1 after the final, the transaction is gone. */
	run_to(32000 - 1);
	CHECK_EQ_INT(stats().strans_live, 1);
	run_to(32000);
	CHECK_EQ_INT(stats().strans_live, 0);
	rx_request(&p, "OPTIONS", "z9hG4bKopt1", 1, "OPTIONS");
	CHECK_EQ_INT(fx.requests, 2);
	teardown();
}

static void nist_provisional_then_final(void)
{
	struct tp_peer p = udp_peer();
	setup();
	rx_request(&p, "REGISTER", "z9hG4bKreg1", 1, "REGISTER");
	REQUIRE(fx.last_st);
	struct sip_strans *st = fx.last_st;
	/* Trying: a retransmission has nothing to get back yet. */
	rx_request(&p, "REGISTER", "z9hG4bKreg1", 1, "REGISTER");
	CHECK_EQ_INT(fx.nsent, 0);
	CHECK(sip_strans_reply(st, 100, NULL, NULL, NULL, PL_NULL, NULL) == 0);
	rx_request(&p, "REGISTER", "z9hG4bKreg1", 1, "REGISTER");
	CHECK_EQ_INT(fx.nsent, 2);
	CHECK(sent_same(0, 1));
	CHECK(sip_strans_reply(st, 200, NULL, "t", NULL, PL_NULL, NULL) == 0);
	rx_request(&p, "REGISTER", "z9hG4bKreg1", 1, "REGISTER");
	REQUIRE(fx.nsent == 4);
	CHECK(sent_same(2, 3));
	CHECK_EQ_INT(sent_msg(3)->scode, 200);
	CHECK_EQ_INT(fx.requests, 1);
	CHECK_EQ_INT(stats().retransmissions_absorbed, 3);
	teardown();
}

static void nist_over_tcp_ends_with_final(void)
{
	struct tp_peer p = tcp_peer();
	setup();
	fx.mode = TU_REPLY;
	rx_request(&p, "OPTIONS", "z9hG4bKtcp1", 1, "OPTIONS");
	CHECK_EQ_INT(fx.nsent, 1);
	CHECK_EQ_INT(fx.sent[0].to.kind, TP_TCP);
	run_to(0); /* timer J is 0 on streams */
	CHECK_EQ_INT(stats().strans_live, 0);
	rx_request(&p, "OPTIONS", "z9hG4bKtcp1", 1, "OPTIONS");
	CHECK_EQ_INT(fx.requests, 2);
	teardown();
}

static void second_final_is_eproto(void)
{
	struct tp_peer p = udp_peer();
	setup();
	rx_request(&p, "INVITE", "z9hG4bKtwice", 1, "INVITE");
	REQUIRE(fx.last_st);
	CHECK(sip_strans_reply(fx.last_st, 99, NULL, NULL, NULL, PL_NULL, NULL) == EINVAL);
	CHECK(sip_strans_reply(fx.last_st, 486, NULL, "t", NULL, PL_NULL, NULL) == 0);
	CHECK(sip_strans_reply(fx.last_st, 200, NULL, "t", NULL, PL_NULL, NULL) == EPROTO);
	CHECK(sip_strans_request(fx.last_st) == NULL);
	teardown();
}

/* ---- INVITE server ----------------------------------------------------------------------- */

static void ist_trying_after_200ms_when_silent(void)
{
	struct tp_peer p = udp_peer();
	setup();
	rx_request(&p, "INVITE", "z9hG4bKinv1", 1, "INVITE");
	CHECK_EQ_INT(fx.requests, 1);
	run_to(199);
	CHECK_EQ_INT(fx.nsent, 0);
	run_to(200);
	REQUIRE(fx.nsent == 1);
	CHECK_EQ_INT(fx.sent[0].at, 200);
	struct sip_msg *m = sent_msg(0);
	REQUIRE(m);
	CHECK_EQ_INT(m->scode, 100);
	CHECK(!pl_isset(m->to.tag) || m->to.tag.l == 0);
	CHECK_PL(m->via.branch, "z9hG4bKinv1");
	CHECK_EQ_INT(m->cseq_mid, SIP_INVITE);
	/* Proceeding: a retransmitted INVITE gets the 100 again, not the TU. */
	rx_request(&p, "INVITE", "z9hG4bKinv1", 1, "INVITE");
	CHECK_EQ_INT(fx.requests, 1);
	CHECK_EQ_INT(fx.nsent, 2);
	CHECK(sent_same(0, 1));
	teardown();
}

static void ist_no_trying_when_tu_answers(void)
{
	struct tp_peer p = udp_peer();
	setup();
	rx_request(&p, "INVITE", "z9hG4bKinv2", 1, "INVITE");
	run_to(150);
	REQUIRE(fx.last_st);
	CHECK(sip_strans_reply(fx.last_st, 180, NULL, "tutag", NULL, PL_NULL, NULL) == 0);
	run_to(5000);
	REQUIRE(fx.nsent == 1);
	CHECK_EQ_INT(sent_msg(0)->scode, 180);
	CHECK_PL(pm.to.tag, "tutag");
	teardown();
}

static void ist_486_retransmitted_until_ack(void)
{
	static const uint64_t at[] = {0, 500, 1500, 3500, 7500, 11500};
	struct tp_peer p = udp_peer();
	setup();
	fx.mode = TU_REPLY;
	fx.reply_code = 486;
	rx_request(&p, "INVITE", "z9hG4bKbusy", 1, "INVITE");
	run_to(12000);
	/* Timer G: T1, 2T1, 4T1, then capped at T2. */
	REQUIRE(fx.nsent == sizeof(at) / sizeof(at[0]));
	for (size_t i = 0; i < fx.nsent; i++) {
		CHECK_EQ_INT(fx.sent[i].at, at[i]);
		CHECK(sent_same(0, i));
	}
	CHECK_EQ_INT(sent_msg(0)->scode, 486);
	/* A retransmitted INVITE in Completed gets the 486 too. */
	rx_request(&p, "INVITE", "z9hG4bKbusy", 1, "INVITE");
	CHECK_EQ_INT(fx.nsent, 7);
	CHECK(sent_same(0, 6));

	rx_ack(&p, "z9hG4bKbusy", "uastag");
	CHECK_EQ_INT(fx.acks, 0); /* absorbed: the TU never hears it */
	CHECK_EQ_INT(fx.requests, 1);
	run_to(16000);
	CHECK_EQ_INT(fx.nsent, 7); /* no more retransmissions */
	rx_ack(&p, "z9hG4bKbusy", "uastag");
	CHECK_EQ_INT(fx.acks, 0);
	/* Timer I (T4) ends it. */
	run_to(12000 + 5000);
	CHECK_EQ_INT(stats().strans_live, 0);
	teardown();
}

static void ist_timer_h_without_ack(void)
{
	struct tp_peer p = udp_peer();
	setup();
	fx.mode = TU_REPLY;
	fx.reply_code = 486;
	rx_request(&p, "INVITE", "z9hG4bKnoack", 1, "INVITE");
	run_to(31999);
	CHECK_EQ_INT(stats().strans_live, 1);
	/* 0, 500, 1500, 3500, 7500, then every 4000 up to 31500. */
	CHECK_EQ_INT(fx.nsent, 11);
	run_to(32000);
	CHECK_EQ_INT(stats().strans_live, 0);
	run_to(60000);
	CHECK_EQ_INT(fx.nsent, 11);
	CHECK_EQ_INT(fx.requests, 1);
	teardown();
}

static void ist_over_tcp_no_retransmissions(void)
{
	struct tp_peer p = tcp_peer();
	setup();
	fx.mode = TU_REPLY;
	fx.reply_code = 486;
	rx_request(&p, "INVITE", "z9hG4bKtcpinv", 1, "INVITE");
	run_to(31999);
	CHECK_EQ_INT(fx.nsent, 1);
	CHECK_EQ_INT(stats().strans_live, 1); /* timer H still waits for the ACK */
	run_to(32000);
	CHECK_EQ_INT(stats().strans_live, 0);

	/* With an ACK, timer I is 0 on a stream. */
	rx_request(&p, "INVITE", "z9hG4bKtcpinv2", 1, "INVITE");
	rx_ack(&p, "z9hG4bKtcpinv2", "uastag");
	run_to(32000);
	CHECK_EQ_INT(stats().strans_live, 0);
	CHECK_EQ_INT(fx.acks, 0);
	teardown();
}

static void ist_2xx_accepted_and_ack_to_tu(void)
{
	struct tp_peer p = udp_peer();
	setup();
	fx.mode = TU_REPLY;
	fx.reply_code = 200;
	rx_request(&p, "INVITE", "z9hG4bKok", 1, "INVITE");
	CHECK_EQ_INT(fx.nsent, 1);
	/* Accepted (RFC 6026): a retransmitted INVITE is absorbed, nothing is resent (2xx
	 * retransmission is the dialog layer's job). */
	rx_request(&p, "INVITE", "z9hG4bKok", 1, "INVITE");
	CHECK_EQ_INT(fx.requests, 1);
	run_to(10000);
	CHECK_EQ_INT(fx.nsent, 1);
	/* The 2xx ACK (own branch) goes to the TU with st NULL. */
	rx_ack(&p, "z9hG4bKack2xx", "uastag");
	CHECK_EQ_INT(fx.acks, 1);
	CHECK_EQ_INT(fx.requests, 1);
	/* Timer L. */
	run_to(32000);
	CHECK_EQ_INT(stats().strans_live, 0);
	/* An ACK that matches no transaction at all also goes up. */
	rx_ack(&p, "z9hG4bKok", "uastag");
	CHECK_EQ_INT(fx.acks, 2);
	teardown();
}

static void ist_ack_with_same_branch_in_accepted_goes_up(void)
{
	struct tp_peer p = udp_peer();
	setup();
	fx.mode = TU_REPLY;
	rx_request(&p, "INVITE", "z9hG4bKsame", 1, "INVITE");
	rx_ack(&p, "z9hG4bKsame", "uastag");
	CHECK_EQ_INT(fx.acks, 1);
	teardown();
}

static void ist_cancel_then_487_then_ack(void)
{
	struct tp_peer p = udp_peer();
	setup();
	fx.cancel_reply = 487;
	rx_request(&p, "INVITE", "z9hG4bKcan", 1, "INVITE");
	REQUIRE(fx.last_st);
	CHECK(sip_strans_reply(fx.last_st, 180, NULL, "uastag", NULL, PL_NULL, NULL) == 0);
	rx_request(&p, "CANCEL", "z9hG4bKcan", 1, "CANCEL");
	CHECK_EQ_INT(fx.requests, 1); /* CANCEL never reaches the request handler */
	CHECK_EQ_INT(fx.cancels, 1);
	REQUIRE(fx.nsent == 3);
	struct sip_msg *m = sent_msg(1);
	REQUIRE(m);
	CHECK_EQ_INT(m->scode, 200);
	CHECK_EQ_INT(m->cseq_mid, SIP_CANCEL);
	CHECK_PL(m->to.tag, "uastag"); /* 9.2: same tag as the INVITE's responses */
	m = sent_msg(2);
	REQUIRE(m);
	CHECK_EQ_INT(m->scode, 487);
	CHECK_EQ_INT(m->cseq_mid, SIP_INVITE);
	/* A retransmitted CANCEL gets its 200 again and is not passed on. */
	rx_request(&p, "CANCEL", "z9hG4bKcan", 1, "CANCEL");
	CHECK_EQ_INT(fx.cancels, 1);
	REQUIRE(fx.nsent == 4);
	CHECK(sent_same(1, 3));
	/* The 487's ACK is absorbed. */
	rx_ack(&p, "z9hG4bKcan", "uastag");
	CHECK_EQ_INT(fx.acks, 0);
	CHECK_EQ_INT(fx.requests, 1);
	run_to(400);
	CHECK_EQ_INT(fx.nsent, 4); /* ACKed: no timer G */
	/* A CANCEL after the final: 200, and no second cancel callback. */
	rx_request(&p, "CANCEL", "z9hG4bKcan", 1, "CANCEL");
	CHECK_EQ_INT(fx.cancels, 1);
	teardown();
}

static void cancel_without_invite_gets_481(void)
{
	struct tp_peer p = udp_peer();
	setup();
	rx_request(&p, "CANCEL", "z9hG4bKnothing", 1, "CANCEL");
	CHECK_EQ_INT(fx.requests, 0);
	CHECK_EQ_INT(fx.cancels, 0);
	REQUIRE(fx.nsent == 1);
	CHECK_EQ_INT(sent_msg(0)->scode, 481);
	CHECK_EQ_INT(pm.cseq_mid, SIP_CANCEL);
	teardown();
}

/* Same branch, different sent-by: a different transaction (17.2.3). */
static void match_needs_sent_by(void)
{
	struct tp_peer p = udp_peer();
	setup();
	fx.mode = TU_REPLY;
	rx_request(&p, "OPTIONS", "z9hG4bKsb", 1, "OPTIONS");
	rx_on(&p,
	      "OPTIONS sip:1002@198.51.100.1 SIP/2.0\r\n"
	      "Via: SIP/2.0/UDP 192.0.2.99:5060;branch=z9hG4bKsb\r\n" HDRS_UAC "CSeq: 1 OPTIONS\r\n"
	      "Content-Length: 0\r\n\r\n");
	CHECK_EQ_INT(fx.requests, 2);
	/* Same branch and sent-by, other method: also different. */
	rx_request(&p, "INFO", "z9hG4bKsb", 2, "INFO");
	CHECK_EQ_INT(fx.requests, 3);
	teardown();
}

/* RFC 2543 clients (no magic cookie): matched on Request-URI, tags, Call-ID, CSeq, top Via. */
static void rfc2543_matching(void)
{
	struct tp_peer p = udp_peer();
	setup();
	fx.mode = TU_REPLY;
	fx.reply_code = 486;
	const char *inv = "INVITE sip:1002@198.51.100.1 SIP/2.0\r\n"
			  "Via: SIP/2.0/UDP 192.0.2.10:5060\r\n" HDRS_UAC "CSeq: 5 INVITE\r\n"
			  "Content-Length: 0\r\n\r\n";
	rx_on(&p, "%s", inv);
	rx_on(&p, "%s", inv);
	CHECK_EQ_INT(fx.requests, 1);
	CHECK_EQ_INT(fx.nsent, 2);
	CHECK(sent_same(0, 1));
	rx_on(&p,
	      "ACK sip:1002@198.51.100.1 SIP/2.0\r\n"
	      "Via: SIP/2.0/UDP 192.0.2.10:5060\r\n"
	      "Max-Forwards: 70\r\n"
	      "From: \"Alice\" <sip:1001@example.com>;tag=fromtag1\r\n"
	      "To: <sip:1002@example.com>;tag=uastag\r\n"
	      "Call-ID: call-1@192.0.2.10\r\n"
	      "CSeq: 5 ACK\r\n"
	      "Content-Length: 0\r\n\r\n");
	CHECK_EQ_INT(fx.acks, 0);
	run_to(2000);
	CHECK_EQ_INT(fx.nsent, 2); /* confirmed: no timer G */
	/* Another CSeq is another transaction. */
	rx_on(&p,
	      "INVITE sip:1002@198.51.100.1 SIP/2.0\r\n"
	      "Via: SIP/2.0/UDP 192.0.2.10:5060\r\n" HDRS_UAC "CSeq: 6 INVITE\r\n"
	      "Content-Length: 0\r\n\r\n");
	CHECK_EQ_INT(fx.requests, 2);
	teardown();
}

/* RFC 3261 18.2.2 / RFC 3581: UDP responses go to the sent-by port unless rport was asked. */
static void response_port_follows_via(void)
{
	struct tp_peer p = udp_peer(); /* source port 5060 */
	setup();
	fx.mode = TU_REPLY;
	rx_on(&p,
	      "OPTIONS sip:1002@198.51.100.1 SIP/2.0\r\n"
	      "Via: SIP/2.0/UDP 192.0.2.10:5070;branch=z9hG4bKport1\r\n" HDRS_UAC
	      "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n");
	rx_on(&p,
	      "OPTIONS sip:1002@198.51.100.1 SIP/2.0\r\n"
	      "Via: SIP/2.0/UDP 192.0.2.10:5070;rport;branch=z9hG4bKport2\r\n" HDRS_UAC
	      "CSeq: 2 OPTIONS\r\nContent-Length: 0\r\n\r\n");
	REQUIRE(fx.nsent == 2);
	CHECK_EQ_INT(sa_port(&fx.sent[0].to.remote), 5070);
	CHECK_EQ_INT(sa_port(&fx.sent[1].to.remote), 5060);
	CHECK_PL(sent_msg(1)->via.branch, "z9hG4bKport2");
	CHECK(pm.via.rport_val == 5060);
	teardown();
}

static void burst_of_retransmissions_one_tu_call(void)
{
	struct tp_peer p = udp_peer();
	setup();
	for (int i = 0; i < 100; i++)
		rx_request(&p, "INVITE", "z9hG4bKburst", 1, "INVITE");
	CHECK_EQ_INT(fx.requests, 1);
	CHECK_EQ_INT(stats().retransmissions_absorbed, 99);
	CHECK_EQ_INT(stats().requests_in, 100);
	CHECK_EQ_INT(stats().strans_live, 1);
	teardown();
}

static void many_transactions(void)
{
	struct tp_peer p = udp_peer();
	char br[32];
	setup();
	fx.mode = TU_REPLY;
	for (int i = 0; i < 5000; i++) {
		snprintf(br, sizeof(br), "z9hG4bKmany%d", i);
		rx_request(&p, "OPTIONS", br, 1, "OPTIONS");
	}
	CHECK_EQ_INT(stats().strans_live, 5000);
	for (int i = 4999; i >= 0; i--) {
		snprintf(br, sizeof(br), "z9hG4bKmany%d", i);
		rx_request(&p, "OPTIONS", br, 1, "OPTIONS");
	}
	CHECK_EQ_INT(fx.requests, 5000);
	CHECK_EQ_INT(stats().retransmissions_absorbed, 5000);
	run_to(32000);
	CHECK_EQ_INT(stats().strans_live, 0);
	teardown();
}

/* ---- malformed input --------------------------------------------------------------------- */

static void malformed_request_gets_400_with_reason(void)
{
	struct tp_peer p = udp_peer();
	setup();
	/* A CSeq whose method is not the request's (RFC 3261 8.1.1.5). */
	rx_request(&p, "OPTIONS", "z9hG4bKbad", 1, "INVITE");
	CHECK_EQ_INT(fx.requests, 0);
	CHECK_EQ_INT(stats().malformed, 1);
	REQUIRE(fx.nsent == 1);
	struct sip_msg *m = sent_msg(0);
	REQUIRE(m);
	CHECK_EQ_INT(m->scode, 400);
	CHECK(m->reason.l > 0 && !pl_caseeq_str(m->reason, "Bad Request"));
	CHECK_PL(m->via.branch, "z9hG4bKbad");

	/* Garbage: nothing to route a response to. */
	rx_on(&p, "this is not SIP\r\n\r\n");
	CHECK_EQ_INT(fx.nsent, 1);
	CHECK_EQ_INT(stats().malformed, 2);
	teardown();
}

static void malformed_response_dropped(void)
{
	struct tp_peer p = udp_peer();
	struct sip_ctrans *ct = NULL;
	setup();
	REQUIRE(sip_ctrans_send(fx.s, &ct, &p, uac_options, strlen(uac_options), on_response,
				NULL) == 0);
	/* No Via. */
	rx_on(&p, "SIP/2.0 200 OK\r\n"
		  "From: <sip:pbx@pbx.example.com>;tag=opttag\r\n"
		  "To: <sip:1002@example.com>;tag=x\r\n"
		  "Call-ID: opt-call@198.51.100.1\r\n"
		  "CSeq: 7 OPTIONS\r\n"
		  "Content-Length: 0\r\n\r\n");
	/* Broken status line. */
	rx_on(&p, "SIP/2.0 2x0 OK\r\n"
		  "Via: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bKuacopt\r\n"
		  "CSeq: 7 OPTIONS\r\n\r\n");
	CHECK_EQ_INT(fx.responses, 0);
	CHECK_EQ_INT(fx.strays, 0);
	CHECK_EQ_INT(fx.nsent, 1); /* only our OPTIONS: never answer a response */
	CHECK_EQ_INT(stats().malformed, 2);
	teardown();
}

static void oversize_gets_513(void)
{
	struct tp_peer p = tcp_peer();
	char buf[2048];
	setup();
	int n = snprintf(buf, sizeof(buf),
			 "INVITE sip:1002@198.51.100.1 SIP/2.0\r\n"
			 "Via: SIP/2.0/TCP 192.0.2.10:5060;branch=z9hG4bKbig\r\n" HDRS_UAC
			 "CSeq: 1 INVITE\r\n"
			 "Content-Length: 900000\r\n\r\nv=0\r\n");
	sip_stack_recv(fx.s, &p, buf, (size_t)n, TP_MSG_OVERSIZE);
	CHECK_EQ_INT(fx.requests, 0);
	REQUIRE(fx.nsent == 1);
	CHECK_EQ_INT(sent_msg(0)->scode, 513);
	CHECK_EQ_INT(stats().malformed, 1);
	/* Unroutable oversize: dropped. */
	sip_stack_recv(fx.s, &p, "INVITE sip:x SIP/2.0\r\nX-Junk: aaaa", 33, TP_MSG_OVERSIZE);
	CHECK_EQ_INT(fx.nsent, 1);
	teardown();
}

/* ---- non-INVITE client ------------------------------------------------------------------- */

static void nict_retransmissions_then_final(void)
{
	static const uint64_t at[] = {0, 500, 1500, 3500, 7500, 11500, 15500};
	struct tp_peer p = udp_peer();
	struct sip_ctrans *ct = NULL;
	setup();
	REQUIRE(sip_ctrans_send(fx.s, &ct, &p, uac_options, strlen(uac_options), on_response,
				NULL) == 0);
	REQUIRE(ct);
	run_to(16000);
	REQUIRE(fx.nsent == sizeof(at) / sizeof(at[0]));
	for (size_t i = 0; i < fx.nsent; i++) {
		CHECK_EQ_INT(fx.sent[i].at, at[i]);
		CHECK(fx.sent[i].len == strlen(uac_options) &&
		      memcmp(fx.sent[i].data, uac_options, fx.sent[i].len) == 0);
	}
	rx_response("z9hG4bKuacopt", 200, "OK", "far", 7, "OPTIONS");
	CHECK_EQ_INT(fx.responses, 1);
	CHECK_EQ_INT(fx.last_code, 200);
	rx_response("z9hG4bKuacopt", 200, "OK", "far", 7, "OPTIONS");
	CHECK_EQ_INT(fx.responses, 1); /* timer K absorbs it */
	run_to(40000);
	CHECK_EQ_INT(fx.nsent, 7);
	CHECK_EQ_INT(fx.errors, 0);
	CHECK_EQ_INT(stats().ctrans_live, 0);
	teardown();
}

static void nict_proceeding_retransmits_at_t2(void)
{
	struct tp_peer p = udp_peer();
	setup();
	REQUIRE(sip_ctrans_send(fx.s, NULL, &p, uac_options, strlen(uac_options), on_response,
				NULL) == 0);
	run_to(100);
	rx_response("z9hG4bKuacopt", 100, "Trying", NULL, 7, "OPTIONS");
	CHECK_EQ_INT(fx.responses, 1);
	run_to(9000);
	/* 0, 500, then T2 each time: 4500, 8500. */
	REQUIRE(fx.nsent == 4);
	CHECK_EQ_INT(fx.sent[2].at, 4500);
	CHECK_EQ_INT(fx.sent[3].at, 8500);
	teardown();
}

static void nict_timeout_at_64_t1(void)
{
	struct tp_peer p = udp_peer();
	setup();
	REQUIRE(sip_ctrans_send(fx.s, NULL, &p, uac_options, strlen(uac_options), on_response,
				NULL) == 0);
	run_to(31999);
	CHECK_EQ_INT(fx.errors, 0);
	CHECK_EQ_INT(fx.nsent, 11);
	run_to(32000);
	CHECK_EQ_INT(fx.errors, 1);
	CHECK_EQ_INT(fx.last_err, ETIMEDOUT);
	CHECK_EQ_INT(stats().ctrans_live, 0);
	/* A late response is a stray. */
	rx_response("z9hG4bKuacopt", 200, "OK", "far", 7, "OPTIONS");
	CHECK_EQ_INT(fx.responses, 0);
	CHECK_EQ_INT(fx.strays, 1);
	teardown();
}

static void nict_over_tcp_no_retransmissions(void)
{
	struct tp_peer p = tcp_peer();
	setup();
	REQUIRE(sip_ctrans_send(fx.s, NULL, &p, uac_options, strlen(uac_options), on_response,
				NULL) == 0);
	run_to(31999);
	CHECK_EQ_INT(fx.nsent, 1);
	CHECK_EQ_INT(fx.errors, 0);
	run_to(32000);
	CHECK_EQ_INT(fx.errors, 1);
	CHECK_EQ_INT(fx.last_err, ETIMEDOUT);
	/* And with a final, timer K is 0. */
	REQUIRE(sip_ctrans_send(fx.s, NULL, &p, uac_options, strlen(uac_options), on_response,
				NULL) == 0);
	rx_response("z9hG4bKuacopt", 404, "Not Found", "far", 7, "OPTIONS");
	CHECK_EQ_INT(fx.last_code, 404);
	run_to(32000);
	CHECK_EQ_INT(stats().ctrans_live, 0);
	teardown();
}

static void transport_errors(void)
{
	struct tp_peer p = udp_peer();
	setup();
	fx.send_err = ENETUNREACH;
	CHECK(sip_ctrans_send(fx.s, NULL, &p, uac_options, strlen(uac_options), on_response,
			      NULL) == ENETUNREACH);
	CHECK_EQ_INT(stats().ctrans_live, 0);
	CHECK_EQ_INT(fx.errors, 0);
	fx.send_err = 0;
	REQUIRE(sip_ctrans_send(fx.s, NULL, &p, uac_options, strlen(uac_options), on_response,
				NULL) == 0);
	fx.send_err = ECONNREFUSED;
	run_to(500);
	CHECK_EQ_INT(fx.errors, 1);
	CHECK_EQ_INT(fx.last_err, ECONNREFUSED);
	CHECK_EQ_INT(stats().ctrans_live, 0);
	/* Bad requests are refused. */
	fx.send_err = 0;
	CHECK(sip_ctrans_send(fx.s, NULL, &p, "garbage", 7, on_response, NULL) == EINVAL);
	const char *no_cookie = "OPTIONS sip:a@192.0.2.1 SIP/2.0\r\n"
				"Via: SIP/2.0/UDP 192.0.2.2;branch=1234\r\n" HDRS_UAC
				"CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
	CHECK(sip_ctrans_send(fx.s, NULL, &p, no_cookie, strlen(no_cookie), on_response, NULL) ==
	      EINVAL);
	teardown();
}

/* ---- INVITE client ----------------------------------------------------------------------- */

static void ict_180_then_486_sends_ack(void)
{
	struct tp_peer p = udp_peer();
	struct sip_ctrans *ct = NULL;
	setup();
	REQUIRE(sip_ctrans_send(fx.s, &ct, &p, uac_invite, strlen(uac_invite), on_response,
				NULL) == 0);
	run_to(100);
	rx_response("z9hG4bKuac1", 180, "Ringing", "bobtag", 42, "INVITE");
	CHECK_EQ_INT(fx.responses, 1);
	CHECK_EQ_INT(fx.last_code, 180);
	run_to(5000);
	CHECK_EQ_INT(fx.nsent, 1); /* Proceeding: timer A stopped */
	rx_response("z9hG4bKuac1", 486, "Busy Here", "bobtag", 42, "INVITE");
	CHECK_EQ_INT(fx.responses, 2);
	CHECK_EQ_INT(fx.last_code, 486);
	REQUIRE(fx.nsent == 2);
	struct sip_msg *m = sent_msg(1);
	REQUIRE(m);
	CHECK(m->is_request);
	CHECK_EQ_INT(m->mid, SIP_ACK);
	CHECK_PL(m->ruri_raw, "sip:1002@198.51.100.7:5080;transport=udp");
	CHECK_PL(m->via.branch, "z9hG4bKuac1");
	CHECK_EQ_INT(m->nvia, 1);
	CHECK_PL(m->from.tag, "pbxtag");
	CHECK_PL(m->to.tag, "bobtag");
	CHECK_PL(m->to.display, "Bob");
	CHECK_PL(m->call_id, "uac-call@198.51.100.1");
	CHECK_EQ_INT(m->cseq, 42);
	CHECK_EQ_INT(m->cseq_mid, SIP_ACK);
	const struct sip_hdr *r1 = sip_msg_hdr(m, SIP_HDR_ROUTE, NULL);
	const struct sip_hdr *r2 = r1 ? sip_msg_hdr(m, SIP_HDR_ROUTE, r1) : NULL;
	REQUIRE(r1 && r2);
	CHECK_PL(r1->value, "<sip:proxy1.example.com;lr>");
	CHECK_PL(r2->value, "<sip:proxy2.example.com;lr>");
	CHECK_EQ_INT(m->content_length, 0);

	/* A retransmitted 486 is ACKed again, not delivered again. */
	rx_response("z9hG4bKuac1", 486, "Busy Here", "bobtag", 42, "INVITE");
	CHECK_EQ_INT(fx.responses, 2);
	REQUIRE(fx.nsent == 3);
	CHECK(sent_same(1, 2));
	/* Timer D: 32 s on UDP. */
	run_to(5000 + 32000 - 1);
	CHECK_EQ_INT(stats().ctrans_live, 1);
	run_to(5000 + 32000);
	CHECK_EQ_INT(stats().ctrans_live, 0);
	CHECK_EQ_INT(fx.errors, 0);
	teardown();
}

static void ict_timer_a_and_b(void)
{
	static const uint64_t at[] = {0, 500, 1500, 3500, 7500, 15500, 31500};
	struct tp_peer p = udp_peer();
	setup();
	REQUIRE(sip_ctrans_send(fx.s, NULL, &p, uac_invite, strlen(uac_invite), on_response,
				NULL) == 0);
	run_to(31999);
	/* Timer A doubles without the T2 cap. */
	REQUIRE(fx.nsent == sizeof(at) / sizeof(at[0]));
	for (size_t i = 0; i < fx.nsent; i++)
		CHECK_EQ_INT(fx.sent[i].at, at[i]);
	CHECK_EQ_INT(fx.errors, 0);
	run_to(32000);
	CHECK_EQ_INT(fx.errors, 1);
	CHECK_EQ_INT(fx.last_err, ETIMEDOUT);
	CHECK_EQ_INT(stats().ctrans_live, 0);
	teardown();
}

static void ict_over_tcp(void)
{
	struct tp_peer p = tcp_peer();
	setup();
	REQUIRE(sip_ctrans_send(fx.s, NULL, &p, uac_invite, strlen(uac_invite), on_response,
				NULL) == 0);
	run_to(31999);
	CHECK_EQ_INT(fx.nsent, 1);
	run_to(32000);
	CHECK_EQ_INT(fx.last_err, ETIMEDOUT);
	REQUIRE(sip_ctrans_send(fx.s, NULL, &p, uac_invite, strlen(uac_invite), on_response,
				NULL) == 0);
	rx_response("z9hG4bKuac1", 603, "Decline", "bobtag", 42, "INVITE");
	CHECK_EQ_INT(fx.last_code, 603);
	CHECK_EQ_INT(fx.nsent, 3); /* the INVITE and its ACK */
	run_to(32000);		   /* timer D is 0 on streams */
	CHECK_EQ_INT(stats().ctrans_live, 0);
	teardown();
}

static void ict_2xx_accepted(void)
{
	struct tp_peer p = udp_peer();
	setup();
	REQUIRE(sip_ctrans_send(fx.s, NULL, &p, uac_invite, strlen(uac_invite), on_response,
				NULL) == 0);
	rx_response("z9hG4bKuac1", 200, "OK", "bobtag", 42, "INVITE");
	CHECK_EQ_INT(fx.responses, 1);
	CHECK_EQ_INT(fx.last_code, 200);
	CHECK_EQ_INT(fx.nsent, 1); /* the 2xx ACK is the dialog layer's */
	/* Accepted: retransmitted (or forked) 2xx go to the TU through the stray handler. */
	rx_response("z9hG4bKuac1", 200, "OK", "bobtag", 42, "INVITE");
	rx_response("z9hG4bKuac1", 200, "OK", "othertag", 42, "INVITE");
	CHECK_EQ_INT(fx.responses, 1);
	CHECK_EQ_INT(fx.strays, 2);
	CHECK_EQ_INT(fx.stray_code, 200);
	run_to(31999);
	CHECK_EQ_INT(fx.nsent, 1);
	CHECK_EQ_INT(stats().ctrans_live, 1);
	run_to(32000); /* timer M */
	CHECK_EQ_INT(stats().ctrans_live, 0);
	CHECK_EQ_INT(fx.errors, 0);
	teardown();
}

static void check_cancel(size_t i)
{
	struct sip_msg *m = sent_msg(i);
	REQUIRE(m);
	CHECK_EQ_INT(m->mid, SIP_CANCEL);
	CHECK_PL(m->ruri_raw, "sip:1002@198.51.100.7:5080;transport=udp");
	CHECK_PL(m->via.branch, "z9hG4bKuac1");
	CHECK_EQ_INT(m->nvia, 1);
	CHECK_PL(m->from.tag, "pbxtag");
	CHECK(!pl_isset(m->to.tag) || m->to.tag.l == 0); /* the request's To, not the 180's */
	CHECK_PL(m->to.display, "Bob");
	CHECK_PL(m->call_id, "uac-call@198.51.100.1");
	CHECK_EQ_INT(m->cseq, 42);
	CHECK_EQ_INT(m->cseq_mid, SIP_CANCEL);
	const struct sip_hdr *r1 = sip_msg_hdr(m, SIP_HDR_ROUTE, NULL);
	REQUIRE(r1);
	CHECK_PL(r1->value, "<sip:proxy1.example.com;lr>");
	CHECK(sip_msg_hdr(m, SIP_HDR_ROUTE, r1) != NULL);
}

static void ict_cancel_after_180(void)
{
	struct tp_peer p = udp_peer();
	struct sip_ctrans *ct = NULL;
	setup();
	REQUIRE(sip_ctrans_send(fx.s, &ct, &p, uac_invite, strlen(uac_invite), on_response,
				NULL) == 0);
	rx_response("z9hG4bKuac1", 180, "Ringing", "bobtag", 42, "INVITE");
	CHECK(sip_ctrans_cancel(ct) == 0);
	REQUIRE(fx.nsent == 2);
	check_cancel(1);
	CHECK(sip_ctrans_cancel(ct) == 0); /* once is enough */
	CHECK_EQ_INT(fx.nsent, 2);
	/* The CANCEL retransmits on its own (timer E) until its 200. */
	run_to(500);
	CHECK_EQ_INT(fx.nsent, 3);
	CHECK(sent_same(1, 2));
	rx_response("z9hG4bKuac1", 200, "OK", "bobtag", 42, "CANCEL");
	CHECK_EQ_INT(fx.responses, 1); /* the CANCEL's 200 is not the INVITE's business */
	rx_response("z9hG4bKuac1", 487, "Request Terminated", "bobtag", 42, "INVITE");
	CHECK_EQ_INT(fx.responses, 2);
	CHECK_EQ_INT(fx.last_code, 487);
	REQUIRE(fx.nsent == 4);
	CHECK_EQ_INT(sent_msg(3)->mid, SIP_ACK);
	run_to(2000);
	CHECK_EQ_INT(fx.nsent, 4);
	run_to(60000);
	CHECK_EQ_INT(stats().ctrans_live, 0);
	CHECK_EQ_INT(fx.errors, 0);
	teardown();
}

static void ict_cancel_waits_for_provisional(void)
{
	struct tp_peer p = udp_peer();
	struct sip_ctrans *ct = NULL;
	setup();
	REQUIRE(sip_ctrans_send(fx.s, &ct, &p, uac_invite, strlen(uac_invite), on_response,
				NULL) == 0);
	CHECK(sip_ctrans_cancel(ct) == 0);
	CHECK_EQ_INT(fx.nsent, 1);
	run_to(600);
	REQUIRE(fx.nsent == 2); /* only the INVITE retransmission */
	CHECK_EQ_INT(sent_msg(1)->mid, SIP_INVITE);
	rx_response("z9hG4bKuac1", 180, "Ringing", "bobtag", 42, "INVITE");
	REQUIRE(fx.nsent == 3);
	check_cancel(2);
	CHECK_EQ_INT(fx.responses, 1);
	teardown();
}

/* 9.1: no final 64*T1 after the CANCEL: the INVITE is considered cancelled. */
static void ict_cancel_without_final_times_out(void)
{
	struct tp_peer p = udp_peer();
	struct sip_ctrans *ct = NULL;
	setup();
	REQUIRE(sip_ctrans_send(fx.s, &ct, &p, uac_invite, strlen(uac_invite), on_response,
				NULL) == 0);
	rx_response("z9hG4bKuac1", 183, "Session Progress", "bobtag", 42, "INVITE");
	run_to(10000);
	CHECK(sip_ctrans_cancel(ct) == 0);
	run_to(10000 + 32000 - 1);
	CHECK_EQ_INT(fx.errors, 0);
	run_to(10000 + 32000);
	CHECK_EQ_INT(fx.errors, 1);
	CHECK_EQ_INT(fx.last_err, ETIMEDOUT);
	run_to(100000);
	CHECK_EQ_INT(stats().ctrans_live, 0);
	teardown();
}

static void ict_cancel_not_sent_after_final(void)
{
	struct tp_peer p = udp_peer();
	struct sip_ctrans *ct = NULL;
	setup();
	REQUIRE(sip_ctrans_send(fx.s, &ct, &p, uac_invite, strlen(uac_invite), on_response,
				NULL) == 0);
	CHECK(sip_ctrans_cancel(ct) == 0);
	rx_response("z9hG4bKuac1", 486, "Busy Here", "bobtag", 42, "INVITE");
	REQUIRE(fx.nsent == 2);
	CHECK_EQ_INT(sent_msg(1)->mid, SIP_ACK); /* and no CANCEL */
	run_to(60000);
	CHECK_EQ_INT(fx.nsent, 2);
	teardown();
}

static void ict_abandon(void)
{
	struct tp_peer p = udp_peer();
	struct sip_ctrans *ct = NULL;
	setup();
	REQUIRE(sip_ctrans_send(fx.s, &ct, &p, uac_invite, strlen(uac_invite), on_response,
				NULL) == 0);
	rx_response("z9hG4bKuac1", 180, "Ringing", "bobtag", 42, "INVITE");
	sip_ctrans_abandon(ct);
	REQUIRE(fx.nsent == 2);
	CHECK_EQ_INT(sent_msg(1)->mid, SIP_CANCEL);
	/* A 2xx that crossed the CANCEL still reaches the TU (stray), so it can be ACKed/BYEd. */
	rx_response("z9hG4bKuac1", 200, "OK", "bobtag", 42, "INVITE");
	CHECK_EQ_INT(fx.responses, 1);
	CHECK_EQ_INT(fx.strays, 1);
	run_to(100000);
	CHECK_EQ_INT(fx.errors, 0);
	CHECK_EQ_INT(stats().ctrans_live, 0);
	teardown();
}

static void stack_free_with_live_transactions(void)
{
	struct tp_peer p = udp_peer();
	struct tp_peer t = tcp_peer();
	setup();
	t.server_name = "peer.example.com";
	rx_request(&p, "INVITE", "z9hG4bKlive1", 1, "INVITE");
	rx_request(&p, "OPTIONS", "z9hG4bKlive2", 1, "OPTIONS");
	REQUIRE(sip_ctrans_send(fx.s, NULL, &p, uac_invite, strlen(uac_invite), on_response,
				NULL) == 0);
	REQUIRE(sip_ctrans_send(fx.s, NULL, &t, uac_options, strlen(uac_options), on_response,
				NULL) == 0);
	CHECK_EQ_INT(stats().strans_live, 2);
	CHECK_EQ_INT(stats().ctrans_live, 2);
	run_to(1000);
	teardown(); /* ASan: nothing leaks, no handler runs */
	CHECK_EQ_INT(fx.errors, 0);
	CHECK_EQ_INT(fx.cancels, 0);
}

static const struct test_case cases[] = {
	{"nist_retransmission_gets_same_final", nist_retransmission_gets_same_final},
	{"nist_provisional_then_final", nist_provisional_then_final},
	{"nist_over_tcp_ends_with_final", nist_over_tcp_ends_with_final},
	{"second_final_is_eproto", second_final_is_eproto},
	{"ist_trying_after_200ms_when_silent", ist_trying_after_200ms_when_silent},
	{"ist_no_trying_when_tu_answers", ist_no_trying_when_tu_answers},
	{"ist_486_retransmitted_until_ack", ist_486_retransmitted_until_ack},
	{"ist_timer_h_without_ack", ist_timer_h_without_ack},
	{"ist_over_tcp_no_retransmissions", ist_over_tcp_no_retransmissions},
	{"ist_2xx_accepted_and_ack_to_tu", ist_2xx_accepted_and_ack_to_tu},
	{"ist_ack_with_same_branch_in_accepted_goes_up",
	 ist_ack_with_same_branch_in_accepted_goes_up},
	{"ist_cancel_then_487_then_ack", ist_cancel_then_487_then_ack},
	{"cancel_without_invite_gets_481", cancel_without_invite_gets_481},
	{"match_needs_sent_by", match_needs_sent_by},
	{"rfc2543_matching", rfc2543_matching},
	{"response_port_follows_via", response_port_follows_via},
	{"burst_of_retransmissions_one_tu_call", burst_of_retransmissions_one_tu_call},
	{"many_transactions", many_transactions},
	{"malformed_request_gets_400_with_reason", malformed_request_gets_400_with_reason},
	{"malformed_response_dropped", malformed_response_dropped},
	{"oversize_gets_513", oversize_gets_513},
	{"nict_retransmissions_then_final", nict_retransmissions_then_final},
	{"nict_proceeding_retransmits_at_t2", nict_proceeding_retransmits_at_t2},
	{"nict_timeout_at_64_t1", nict_timeout_at_64_t1},
	{"nict_over_tcp_no_retransmissions", nict_over_tcp_no_retransmissions},
	{"transport_errors", transport_errors},
	{"ict_180_then_486_sends_ack", ict_180_then_486_sends_ack},
	{"ict_timer_a_and_b", ict_timer_a_and_b},
	{"ict_over_tcp", ict_over_tcp},
	{"ict_2xx_accepted", ict_2xx_accepted},
	{"ict_cancel_after_180", ict_cancel_after_180},
	{"ict_cancel_waits_for_provisional", ict_cancel_waits_for_provisional},
	{"ict_cancel_without_final_times_out", ict_cancel_without_final_times_out},
	{"ict_cancel_not_sent_after_final", ict_cancel_not_sent_after_final},
	{"ict_abandon", ict_abandon},
	{"stack_free_with_live_transactions", stack_free_with_live_transactions},
};

TEST_MAIN(cases)

/* Unit tests for src/media: the RTP/SRTP relay over real UDP sockets on 127.0.0.1. Phones are
 * plain sockets driven from the test thread; SRTP phones use libsrtp2 as an independent peer.
 * Waits are short and bounded (poll with a timeout), events come through a real signalling
 * loop. */
#include <dirent.h>
#include <errno.h>
#include <liburing.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <srtp2/srtp.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/rand.h"
#include "media/media.h"
#include "media/media_int.h"
#include "net/loop.h"
#include "net/sa.h"
#include "harness.h"
#include "media_env.h"

/* Outside the ephemeral range, so the phones' port-0 sockets never take pool ports. */
enum { PMIN = 20000, PMAX = 23999 };

/* ---- unit: header checks and the stream rewrite ---- */

static void test_rtp_unit(void)
{
	uint8_t p[64];
	struct rtp_in in;
	struct rtp_out out;

	/* classify */
	rtp_make(p, 1, 0, 1, 0, 20);
	CHECK_EQ_INT(rtp_classify(p, 32, false), RTP_PKT);
	CHECK_EQ_INT(rtp_classify(p, 32, true), RTP_INVALID);
	CHECK_EQ_INT(rtp_classify(p, 11, false), RTP_INVALID);
	p[0] = 0x40;
	CHECK_EQ_INT(rtp_classify(p, 32, false), RTP_INVALID);
	p[0] = 0x8f; /* 15 CSRCs: header longer than the packet */
	CHECK_EQ_INT(rtp_classify(p, 32, false), RTP_INVALID);
	p[0] = 0x80;
	p[1] = 200;
	CHECK_EQ_INT(rtp_classify(p, 32, false), RTP_RTCP); /* rtcp-mux */
	CHECK_EQ_INT(rtp_classify(p, 32, true), RTP_RTCP);
	p[1] = 72; /* reserved: would be RTCP with the marker */
	CHECK_EQ_INT(rtp_classify(p, 32, false), RTP_INVALID);

	/* rewrite: continuous across the 16-bit wrap, duplicates and old ones dropped */
	memset(&in, 0, sizeof(in));
	memset(&out, 0, sizeof(out));
	out.ssrc = 0xabcdef01;
	out.seq = 65533; /* base 65534 */
	out.ts = 1000;
	for (unsigned i = 0; i < 4; i++) {
		rtp_make(p, (uint16_t)(7 + i), 160 * i, 0x1234, 0, 20);
		rtp_in_update(&in, p, 0);
		REQUIRE(rtp_map(&in, &out, p, 1000 * i, 8000));
		CHECK_EQ_INT(rd16(p + 2), (uint16_t)(65534 + i));
		CHECK_EQ_INT(rd32(p + 4), 1000 + 160 * i);
		CHECK_EQ_INT(rd32(p + 8), 0xabcdef01);
	}
	rtp_make(p, 10, 480, 0x1234, 0, 20); /* duplicate of the last */
	rtp_in_update(&in, p, 0);
	CHECK(!rtp_map(&in, &out, p, 5000, 8000));
	rtp_make(p, 12, 800, 0x1234, 0, 20); /* skips 11 */
	rtp_in_update(&in, p, 0);
	CHECK(rtp_map(&in, &out, p, 6000, 8000));
	CHECK_EQ_INT(rd16(p + 2), 3);
	rtp_make(p, 11, 640, 0x1234, 0, 20); /* late, still new: forwarded */
	rtp_in_update(&in, p, 0);
	CHECK(rtp_map(&in, &out, p, 6000, 8000));
	CHECK_EQ_INT(rd16(p + 2), 2);
	CHECK_EQ_INT(rtp_in_lost(&in), 0);
	/* a new SSRC 100 ms later: +1, timestamp advanced by the elapsed time */
	rtp_make(p, 40000, 5, 0x5678, 0, 20);
	rtp_in_update(&in, p, 0);
	CHECK(rtp_map(&in, &out, p, 106000, 8000));
	CHECK_EQ_INT(rd16(p + 2), 4);
	CHECK_EQ_INT(rd32(p + 4), 1000 + 800 + 800);
}

/* ---- relay ---- */

static void test_bad_args(void)
{
	struct media_conf conf = {.port_min = PMIN, .port_max = PMAX, .workers = 1};
	struct loop *l = NULL;
	struct media *m = NULL;
	struct media_bridge *b = NULL;
	struct sr_key k;
	struct sa a;

	REQUIRE(loop_alloc(&l) == 0);
	strcpy(conf.address, "not-an-ip");
	CHECK_EQ_INT(media_alloc(&m, &conf, l, on_event, NULL), EINVAL);
	strcpy(conf.address, "127.0.0.1");
	conf.port_min = 30001;
	conf.port_max = 30001; /* no even/odd pair */
	CHECK_EQ_INT(media_alloc(&m, &conf, l, on_event, NULL), EINVAL);
	conf.port_min = PMIN;
	conf.port_max = PMAX;
	REQUIRE(media_alloc(&m, &conf, l, on_event, NULL) == 0);
	REQUIRE(media_bridge_alloc(m, &b, NULL) == 0);
	sa_set(&a, PL("127.0.0.1"), 4000);
	CHECK_EQ_INT(media_bridge_set_remote(b, 2, &a, NULL, false), EINVAL);
	CHECK_EQ_INT(media_bridge_set_remote(b, 0, NULL, NULL, false), EINVAL);
	sa_set(&a, PL("::1"), 4000);
	CHECK_EQ_INT(media_bridge_set_remote(b, 0, &a, NULL, false), EINVAL);
	key_make(&k);
	k.suite = SR_SUITE_COUNT;
	CHECK(media_bridge_set_crypto(b, 0, &k, NULL) != 0);
	CHECK_EQ_INT(media_bridge_set_clock_rate(b, 0, 0), EINVAL);
	CHECK_EQ_INT(media_bridge_set_clock_rate(b, 0, 48000), 0);
	media_bridge_free(b);
	media_free(m);
	loop_free(l);
}

static void test_plain_relay(void)
{
	struct env e;
	struct call c;
	uint8_t buf[2048];
	struct sa from;
	uint32_t ossrc = 0, ts_prev = 0;
	uint16_t seq0 = 0;
	int tag, n;

	REQUIRE(env_open(&e, 2, 0, PMIN, PMAX));
	REQUIRE(call_open(&e, &c, &tag));
	call_remotes(&c);

	/* A -> B, then a new SSRC, then a restart of the sequence */
	for (unsigned i = 0; i < 11; i++) {
		uint32_t ssrc = i < 5 ? 0x11111111 : 0x22222222;
		uint16_t seq = (uint16_t)(i < 5 ? 100 + i : i < 8 ? 5000 + i : i - 8);
		uint32_t ts = i < 5 ? 1000 + 160 * i : 777 + 160 * i;
		size_t len = rtp_make(buf, seq, ts, ssrc, (uint8_t)i, 160);

		psend(&c.a, &c.la, buf, len);
		n = precv(&c.b_, buf, sizeof(buf), 1000, &from);
		REQUIRE(n > 0);
		CHECK(sa_eq(&from, &c.lb));
		CHECK(payload_ok(buf, (size_t)n, (uint8_t)i, 160));
		if (i == 0) {
			ossrc = rd32(buf + 8);
			seq0 = rd16(buf + 2);
			CHECK(ossrc != 0x11111111);
		} else {
			CHECK_EQ_INT(rd32(buf + 8), ossrc);
			CHECK_EQ_INT(rd16(buf + 2), (uint16_t)(seq0 + i));
			CHECK((int32_t)(rd32(buf + 4) - ts_prev) > 0);
			if (i != 5 && i != 8)
				CHECK_EQ_INT(rd32(buf + 4) - ts_prev, 160);
		}
		ts_prev = rd32(buf + 4);
	}

	/* B -> A: its own outgoing stream */
	for (unsigned i = 0; i < 3; i++) {
		size_t len = rtp_make(buf, (uint16_t)(9 + i), 160 * i, 0x33333333, 7, 80);

		psend(&c.b_, &c.lb, buf, len);
		n = precv(&c.a, buf, sizeof(buf), 1000, &from);
		REQUIRE(n > 0);
		CHECK(sa_eq(&from, &c.la));
		CHECK(payload_ok(buf, (size_t)n, 7, 80));
		CHECK(rd32(buf + 8) != 0x33333333);
		CHECK(rd32(buf + 8) != ossrc);
	}

	CHECK(run_until(e.l, int_is_set, &evs.first[1], 1000));
	CHECK(run_until(e.l, int_is_set, &evs.first[0], 1000));
	CHECK_EQ_INT(evs.first[0], 1);
	CHECK_EQ_INT(evs.first[1], 1);
	CHECK(evs.owner == &tag);
	CHECK(wait_stat(c.b, 1, ST(packets_out), 11));
	{
		struct media_side_stats sa_, sb;

		media_bridge_stats(c.b, 0, &sa_);
		media_bridge_stats(c.b, 1, &sb);
		CHECK_EQ_INT(sa_.packets_in, 11);
		CHECK_EQ_INT(sa_.bytes_in, 11 * 172);
		CHECK_EQ_INT(sa_.packets_out, 3);
		CHECK_EQ_INT(sb.packets_in, 3);
		CHECK_EQ_INT(sb.packets_out, 11);
		CHECK_EQ_INT(sb.bytes_out, 11 * 172);
		CHECK_EQ_INT(sa_.dropped + sb.dropped, 0);
		CHECK_EQ_INT(sa_.lost, 0);
		CHECK(sa_.latched && sb.latched);
	}
	call_close(&c);
	env_close(&e);
}

/* Loss from a sequence gap; jitter from packets sent back to back while their timestamps
 * say 20 ms apart. */
static void test_loss_jitter(void)
{
	struct env e;
	struct call c;
	uint8_t buf[2048];
	static const uint16_t seqs[] = {1, 2, 4, 5, 8, 9};
	struct media_side_stats st;

	REQUIRE(env_open(&e, 1, 0, PMIN, PMAX));
	REQUIRE(call_open(&e, &c, NULL));
	call_remotes(&c);
	for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		size_t len = rtp_make(buf, seqs[i], 160u * seqs[i], 0x4242, 0, 160);

		psend(&c.a, &c.la, buf, len);
		REQUIRE(precv(&c.b_, buf, sizeof(buf), 1000, NULL) > 0);
	}
	CHECK(wait_stat(c.b, 0, ST(packets_in), 6));
	media_bridge_stats(c.b, 0, &st);
	CHECK_EQ_INT(st.lost, 3);
	CHECK(st.jitter_ms > 1.0 && st.jitter_ms < 1000.0);
	call_close(&c);
	env_close(&e);
}

static void test_before_remote(void)
{
	struct env e;
	struct call c;
	uint8_t buf[2048];
	size_t len;

	REQUIRE(env_open(&e, 1, 0, PMIN, PMAX));
	REQUIRE(call_open(&e, &c, NULL));
	media_bridge_set_remote(c.b, 1, &c.b_.addr, NULL, false);
	/* Side A has no SDP yet: what it does not know it does not take. */
	len = rtp_make(buf, 1, 0, 0x77, 0, 20);
	psend(&c.a, &c.la, buf, len);
	CHECK(wait_stat(c.b, 0, ST(dropped), 1));
	CHECK(pquiet(&c.b_, 50));
	media_bridge_set_remote(c.b, 0, &c.a.addr, NULL, false);
	len = rtp_make(buf, 2, 160, 0x77, 0, 20);
	psend(&c.a, &c.la, buf, len);
	CHECK(precv(&c.b_, buf, sizeof(buf), 1000, NULL) > 0);
	call_close(&c);
	env_close(&e);
}

/* Side A speaks SRTP (libsrtp2 phone), side B plain RTP. */
static void test_srtp_plain(void)
{
	struct env e;
	struct call c;
	struct sr_key a_tx, a_rx;
	srtp_t out = NULL, in = NULL;
	uint8_t buf[2048];
	int n;

	REQUIRE(env_open(&e, 1, 0, PMIN, PMAX));
	REQUIRE(call_open(&e, &c, NULL));
	key_make(&a_tx);
	key_make(&a_rx);
	REQUIRE(media_bridge_set_crypto(c.b, 0, &a_tx, &a_rx) == 0);
	call_remotes(&c);
	out = lsrtp_new(&a_tx, true);
	in = lsrtp_new(&a_rx, false);
	REQUIRE(out && in);
	for (unsigned i = 0; i < 5; i++) {
		size_t len = rtp_make(buf, (uint16_t)(60000 + i), 160 * i, 0xa1, (uint8_t)i, 160);

		len = lprotect(out, buf, len);
		REQUIRE(len == 12 + 160 + 10);
		psend(&c.a, &c.la, buf, len);
		n = precv(&c.b_, buf, sizeof(buf), 1000, NULL);
		REQUIRE(n > 0);
		CHECK(payload_ok(buf, (size_t)n, (uint8_t)i, 160));
	}
	for (unsigned i = 0; i < 5; i++) {
		uint8_t fill = (uint8_t)(50 + i);
		size_t len = rtp_make(buf, (uint16_t)(10 + i), 160 * i, 0xb1, fill, 160);

		psend(&c.b_, &c.lb, buf, len);
		n = precv(&c.a, buf, sizeof(buf), 1000, NULL);
		REQUIRE(n == 12 + 160 + 10);
		n = lunprotect(in, buf, n);
		CHECK(n > 0 && payload_ok(buf, (size_t)n, (uint8_t)(50 + i), 160));
	}
	srtp_dealloc(out);
	srtp_dealloc(in);
	call_close(&c);
	env_close(&e);
}

struct sphone {
	struct sr_key tx, rx; /* the phone's view: tx is what it sends under */
	srtp_t out, in;
};

static bool sphone_init(struct sphone *p)
{
	key_make(&p->tx);
	key_make(&p->rx);
	p->out = lsrtp_new(&p->tx, true);
	p->in = lsrtp_new(&p->rx, false);
	return p->out && p->in;
}

static void sphone_fini(struct sphone *p)
{
	if (p->out)
		srtp_dealloc(p->out);
	if (p->in)
		srtp_dealloc(p->in);
	p->out = p->in = NULL;
}

/* SRTP on both sides under different keys: same payload end to end, different ciphertext. */
static void test_srtp_both(void)
{
	struct env e;
	struct call c;
	struct sphone pa, pb;
	uint8_t buf[2048], sent[2048];
	int n;

	REQUIRE(env_open(&e, 1, 0, PMIN, PMAX));
	REQUIRE(call_open(&e, &c, NULL));
	REQUIRE(sphone_init(&pa) && sphone_init(&pb));
	REQUIRE(media_bridge_set_crypto(c.b, 0, &pa.tx, &pa.rx) == 0);
	REQUIRE(media_bridge_set_crypto(c.b, 1, &pb.tx, &pb.rx) == 0);
	call_remotes(&c);
	for (unsigned i = 0; i < 5; i++) {
		size_t len = rtp_make(buf, (uint16_t)(1 + i), 160 * i, 0xa2, (uint8_t)i, 160);

		len = lprotect(pa.out, buf, len);
		memcpy(sent, buf, len);
		psend(&c.a, &c.la, buf, len);
		n = precv(&c.b_, buf, sizeof(buf), 1000, NULL);
		REQUIRE(n == (int)len);
		CHECK(memcmp(buf + 12, sent + 12, 160) != 0);
		n = lunprotect(pb.in, buf, n);
		CHECK(n > 0 && payload_ok(buf, (size_t)n, (uint8_t)i, 160));
	}
	for (unsigned i = 0; i < 5; i++) {
		uint8_t fill = (uint8_t)(9 + i);
		size_t len = rtp_make(buf, (uint16_t)(900 + i), 160 * i, 0xb2, fill, 160);

		len = lprotect(pb.out, buf, len);
		psend(&c.b_, &c.lb, buf, len);
		n = precv(&c.a, buf, sizeof(buf), 1000, NULL);
		n = lunprotect(pa.in, buf, n);
		CHECK(n > 0 && payload_ok(buf, (size_t)n, (uint8_t)(9 + i), 160));
	}
	sphone_fini(&pa);
	sphone_fini(&pb);
	call_close(&c);
	env_close(&e);
}

/* A tampered packet is an authentication failure and goes nowhere; a replay is counted. */
static void test_tamper_replay(void)
{
	struct env e;
	struct call c;
	struct sphone pa;
	uint8_t buf[2048], pkt[2048];
	size_t len;
	struct media_side_stats st;

	REQUIRE(env_open(&e, 1, 0, PMIN, PMAX));
	REQUIRE(call_open(&e, &c, NULL));
	REQUIRE(sphone_init(&pa));
	REQUIRE(media_bridge_set_crypto(c.b, 0, &pa.tx, &pa.rx) == 0);
	call_remotes(&c);

	len = lprotect(pa.out, pkt, rtp_make(pkt, 1, 0, 0xa3, 0, 160));
	memcpy(buf, pkt, len);
	buf[40] ^= 1;
	psend(&c.a, &c.la, buf, len);
	CHECK(wait_stat(c.b, 0, ST(auth_failures), 1));
	CHECK(pquiet(&c.b_, 50));
	media_bridge_stats(c.b, 0, &st);
	CHECK(!st.latched);
	CHECK_EQ_INT(st.packets_in, 0);

	psend(&c.a, &c.la, pkt, len);
	CHECK(precv(&c.b_, buf, sizeof(buf), 1000, NULL) == 12 + 160);
	psend(&c.a, &c.la, pkt, len); /* replay */
	CHECK(wait_stat(c.b, 0, ST(replays), 1));
	CHECK(pquiet(&c.b_, 50));
	media_bridge_stats(c.b, 0, &st);
	CHECK_EQ_INT(st.auth_failures, 1);
	CHECK_EQ_INT(st.replays, 1);
	CHECK_EQ_INT(st.packets_in, 1);
	CHECK(st.latched);
	sphone_fini(&pa);
	call_close(&c);
	env_close(&e);
}

/* NAT: side A (SRTP) moves to another source port only with an authenticated packet; side B
 * (plain) ignores strangers once latched. */
static void test_latch_nat(void)
{
	struct env e;
	struct call c;
	struct sphone pa;
	struct phone a2, a3, b3;
	struct sr_key wrong;
	uint8_t buf[2048];
	size_t len;
	srtp_t bad;
	struct sa from;

	REQUIRE(env_open(&e, 1, 0, PMIN, PMAX));
	REQUIRE(call_open(&e, &c, NULL));
	REQUIRE(phone_open(&a2) && phone_open(&a3) && phone_open(&b3));
	REQUIRE(sphone_init(&pa));
	REQUIRE(media_bridge_set_crypto(c.b, 0, &pa.tx, &pa.rx) == 0);
	call_remotes(&c);

	/* A stranger without the key: counted, never latched. */
	key_make(&wrong);
	bad = lsrtp_new(&wrong, true);
	REQUIRE(bad);
	len = lprotect(bad, buf, rtp_make(buf, 1, 0, 0xa4, 0, 160));
	psend(&a3, &c.la, buf, len);
	CHECK(wait_stat(c.b, 0, ST(auth_failures), 1));
	CHECK(evs.first[0] == 0);

	/* B -> A still goes to the SDP address. */
	len = rtp_make(buf, 1, 0, 0xb4, 1, 160);
	psend(&c.b_, &c.lb, buf, len);
	CHECK(precv(&c.a, buf, sizeof(buf), 1000, NULL) > 0);
	CHECK(pquiet(&a3, 20));

	/* The phone behind NAT: authenticated from another port, latched. */
	len = lprotect(pa.out, buf, rtp_make(buf, 2, 160, 0xa4, 2, 160));
	psend(&a2, &c.la, buf, len);
	CHECK(precv(&c.b_, buf, sizeof(buf), 1000, NULL) > 0);
	len = rtp_make(buf, 2, 160, 0xb4, 3, 160);
	psend(&c.b_, &c.lb, buf, len);
	CHECK(precv(&a2, buf, sizeof(buf), 1000, &from) > 0);
	CHECK(sa_eq(&from, &c.la));
	CHECK(pquiet(&c.a, 20));
	CHECK(run_until(e.l, int_is_set, &evs.first[0], 1000));

	/* Side B is latched to its phone: a stranger's plain RTP is dropped. */
	len = rtp_make(buf, 50, 0, 0x666, 4, 160);
	psend(&b3, &c.lb, buf, len);
	CHECK(wait_stat(c.b, 1, ST(dropped), 1));
	CHECK(pquiet(&a2, 50));

	srtp_dealloc(bad);
	sphone_fini(&pa);
	phone_close(&a2);
	phone_close(&a3);
	phone_close(&b3);
	call_close(&c);
	env_close(&e);
}

/* Hold: nothing toward B while it is not sending; on resume the sequence goes on at +1. */
static void test_hold(void)
{
	struct env e;
	struct call c;
	uint8_t buf[2048];
	uint16_t last = 0;
	uint32_t last_ts = 0;
	int n;

	REQUIRE(env_open(&e, 1, 0, PMIN, PMAX));
	REQUIRE(call_open(&e, &c, NULL));
	call_remotes(&c);
	for (unsigned i = 0; i < 10; i++) {
		size_t len = rtp_make(buf, (uint16_t)(300 + i), 160 * i, 0x55, 0, 160);

		if (i == 3)
			REQUIRE(media_bridge_set_sending(c.b, 1, false) == 0);
		if (i == 7)
			REQUIRE(media_bridge_set_sending(c.b, 1, true) == 0);
		psend(&c.a, &c.la, buf, len);
		if (i >= 3 && i < 7) {
			CHECK(pquiet(&c.b_, 30));
			continue;
		}
		n = precv(&c.b_, buf, sizeof(buf), 1000, NULL);
		REQUIRE(n > 0);
		if (i > 0) {
			CHECK_EQ_INT(rd16(buf + 2), (uint16_t)(last + 1));
			CHECK((int32_t)(rd32(buf + 4) - last_ts) > 0);
		}
		last = rd16(buf + 2);
		last_ts = rd32(buf + 4);
	}
	CHECK(wait_stat(c.b, 0, ST(packets_in), 10));
	CHECK(wait_stat(c.b, 1, ST(packets_out), 6));
	CHECK_EQ_INT(stat_field(c.b, 1, ST(packets_out)), 6);
	call_close(&c);
	env_close(&e);
}

static void test_echo(void)
{
	struct env e;
	struct call c;
	uint8_t buf[2048];
	struct sa from;
	uint16_t seq0 = 0;
	int n;

	REQUIRE(env_open(&e, 1, 0, PMIN, PMAX));
	REQUIRE(call_open(&e, &c, NULL));
	REQUIRE(media_bridge_set_echo(c.b, true) == 0);
	media_bridge_set_remote(c.b, 0, &c.a.addr, NULL, false);
	for (unsigned i = 0; i < 4; i++) {
		size_t len = rtp_make(buf, (uint16_t)(70 + i), 160 * i, 0xec40, (uint8_t)i, 160);

		psend(&c.a, &c.la, buf, len);
		n = precv(&c.a, buf, sizeof(buf), 1000, &from);
		REQUIRE(n > 0);
		CHECK(sa_eq(&from, &c.la));
		CHECK(payload_ok(buf, (size_t)n, (uint8_t)i, 160));
		CHECK(rd32(buf + 8) != 0xec40);
		if (i == 0)
			seq0 = rd16(buf + 2);
		CHECK_EQ_INT(rd16(buf + 2), (uint16_t)(seq0 + i));
	}
	CHECK(pquiet(&c.b_, 20));
	call_close(&c);
	env_close(&e);
}

static void test_timeout(void)
{
	struct env e;
	struct call c, live;
	uint8_t buf[2048];
	int tag;

	REQUIRE(env_open(&e, 1, 100, PMIN, PMAX));
	REQUIRE(call_open(&e, &c, &tag));
	REQUIRE(call_open(&e, &live, NULL));
	call_remotes(&live);
	/* The live bridge gets a packet every 20 ms: only the silent one times out. */
	for (unsigned i = 0; i < 25 && !evs.timeout; i++) {
		size_t len = rtp_make(buf, (uint16_t)i, 160 * i, 0x99, 0, 160);

		psend(&live.a, &live.la, buf, len);
		run_until(e.l, NULL, NULL, 20);
	}
	CHECK(run_until(e.l, int_is_set, &evs.timeout, 1000));
	CHECK(evs.owner == &tag);
	call_close(&live);
	run_until(e.l, NULL, NULL, 200);
	CHECK_EQ_INT(evs.timeout, 1); /* once */
	call_close(&c);
	env_close(&e);
}

/* Re-key mid-stream on side A (new keys, new SSRC, sequence restart) and then on side B: the
 * streams toward both phones carry on at +1 under one SSRC, accepted by the same libsrtp2
 * receiver (which would reject a repeated or reset sequence as a replay). */
static void test_rekey(void)
{
	struct env e;
	struct call c;
	struct sphone pa, pb, pa2, pb2;
	uint8_t buf[2048];
	uint32_t ossrc = 0;
	uint16_t seq0 = 0;
	int n;

	REQUIRE(env_open(&e, 1, 0, PMIN, PMAX));
	REQUIRE(call_open(&e, &c, NULL));
	REQUIRE(sphone_init(&pa) && sphone_init(&pb) && sphone_init(&pa2) && sphone_init(&pb2));
	REQUIRE(media_bridge_set_crypto(c.b, 0, &pa.tx, &pa.rx) == 0);
	REQUIRE(media_bridge_set_crypto(c.b, 1, &pb.tx, &pb.rx) == 0);
	call_remotes(&c);
	for (unsigned i = 0; i < 9; i++) {
		struct sphone *a = i < 3 ? &pa : &pa2;
		size_t len;

		if (i == 3) /* re-INVITE from A: new keys both ways */
			REQUIRE(media_bridge_set_crypto(c.b, 0, &pa2.tx, &pa2.rx) == 0);
		if (i == 6) /* and then B gets new keys: a fresh receiver */
			REQUIRE(media_bridge_set_crypto(c.b, 1, &pb2.tx, &pb2.rx) == 0);
		len = rtp_make(buf, (uint16_t)(i < 3 ? 40 + i : i - 3), 160 * i,
			       i < 3 ? 0xaaaa : 0xbbbb, (uint8_t)i, 160);
		len = lprotect(a->out, buf, len);
		psend(&c.a, &c.la, buf, len);
		n = precv(&c.b_, buf, sizeof(buf), 1000, NULL);
		REQUIRE(n > 0);
		if (i == 0) {
			ossrc = rd32(buf + 8);
			seq0 = rd16(buf + 2);
		}
		CHECK_EQ_INT(rd32(buf + 8), ossrc);
		CHECK_EQ_INT(rd16(buf + 2), (uint16_t)(seq0 + i));
		n = lunprotect(i < 6 ? pb.in : pb2.in, buf, n);
		CHECK(n > 0 && payload_ok(buf, (size_t)n, (uint8_t)i, 160));
	}
	/* Old keys from A are refused now. */
	{
		size_t len = lprotect(pa.out, buf, rtp_make(buf, 43, 0, 0xaaaa, 0, 160));

		psend(&c.a, &c.la, buf, len);
		CHECK(wait_stat(c.b, 0, ST(auth_failures), 1));
		CHECK(pquiet(&c.b_, 30));
	}
	sphone_fini(&pa);
	sphone_fini(&pb);
	sphone_fini(&pa2);
	sphone_fini(&pb2);
	call_close(&c);
	env_close(&e);
}

/* RTCP: plain on separate ports for both, sender SSRC and report blocks rewritten; then SRTCP
 * multiplexed on side A's RTP port. */
static void test_rtcp(void)
{
	struct env e;
	struct call c;
	struct phone ar, br;
	struct sphone pa;
	uint8_t buf[2048];
	uint32_t ossrc_b, ts_out, ts_delta, ossrc_a;
	struct sa from;
	size_t len;
	int n;

	REQUIRE(env_open(&e, 1, 0, PMIN, PMAX));
	REQUIRE(call_open(&e, &c, NULL));
	REQUIRE(phone_open(&ar) && phone_open(&br));
	media_bridge_set_remote(c.b, 0, &c.a.addr, &ar.addr, false);
	media_bridge_set_remote(c.b, 1, &c.b_.addr, &br.addr, false);

	/* RTP both ways first: learn the outgoing SSRCs and A's timestamp offset. */
	len = rtp_make(buf, 5, 50000, 0x1a1a1a1a, 0, 160);
	psend(&c.a, &c.la, buf, len);
	REQUIRE(precv(&c.b_, buf, sizeof(buf), 1000, NULL) > 0);
	ossrc_b = rd32(buf + 8);
	ts_out = rd32(buf + 4);
	ts_delta = ts_out - 50000;
	len = rtp_make(buf, 5, 0, 0x2b2b2b2b, 0, 160);
	psend(&c.b_, &c.lb, buf, len);
	REQUIRE(precv(&c.a, buf, sizeof(buf), 1000, NULL) > 0);
	ossrc_a = rd32(buf + 8);

	/* SR from A (one report block about what it receives from us) */
	memset(buf, 0, 52);
	buf[0] = 0x81;
	buf[1] = 200;
	wr16(buf + 2, 12);
	wr32(buf + 4, 0x1a1a1a1a);
	wr32(buf + 16, 50160);	 /* RTP timestamp */
	wr32(buf + 28, ossrc_a); /* report block source */
	psend(&ar, &c.la_rtcp, buf, 52);
	n = precv(&br, buf, sizeof(buf), 1000, &from);
	REQUIRE(n == 52);
	CHECK(sa_eq(&from, &c.lb_rtcp));
	CHECK_EQ_INT(rd32(buf + 4), ossrc_b);
	CHECK_EQ_INT(rd32(buf + 16), 50160 + ts_delta);
	CHECK_EQ_INT(rd32(buf + 28), 0x2b2b2b2b);

	/* SRTCP from A multiplexed on its RTP port (RFC 5761), relayed as plain RTCP to B. */
	REQUIRE(sphone_init(&pa));
	REQUIRE(media_bridge_set_crypto(c.b, 0, &pa.tx, &pa.rx) == 0);
	REQUIRE(media_bridge_set_remote(c.b, 0, &c.a.addr, NULL, true) == 0);
	memset(buf, 0, 8);
	buf[0] = 0x80;
	buf[1] = 201; /* empty RR */
	wr16(buf + 2, 1);
	wr32(buf + 4, 0x1a1a1a1a);
	{
		int l = 8;

		REQUIRE(srtp_protect_rtcp(pa.out, buf, &l) == srtp_err_status_ok);
		psend(&c.a, &c.la, buf, (size_t)l);
	}
	n = precv(&br, buf, sizeof(buf), 1000, NULL);
	REQUIRE(n == 8);
	CHECK_EQ_INT(buf[1], 201);
	CHECK_EQ_INT(rd32(buf + 4), ossrc_b);
	/* and B's RR comes back to A as SRTCP on A's RTP port */
	buf[0] = 0x80;
	buf[1] = 201;
	wr16(buf + 2, 1);
	wr32(buf + 4, 0x2b2b2b2b);
	psend(&br, &c.lb_rtcp, buf, 8);
	n = precv(&c.a, buf, sizeof(buf), 1000, &from);
	REQUIRE(n > 8);
	CHECK(sa_eq(&from, &c.la));
	REQUIRE(srtp_unprotect_rtcp(pa.in, buf, &n) == srtp_err_status_ok);
	CHECK_EQ_INT(n, 8);
	CHECK_EQ_INT(rd32(buf + 4), ossrc_a);

	sphone_fini(&pa);
	phone_close(&ar);
	phone_close(&br);
	call_close(&c);
	env_close(&e);
}

struct exhaust {
	struct media *m;
	struct media_bridge *b;
};

/* Ports come back once the worker has let go of the sockets (asynchronously) and their
 * quarantine is over. */
static bool alloc_again(void *arg)
{
	struct exhaust *x = arg;

	return x->b || media_bridge_alloc(x->m, &x->b, NULL) == 0;
}

/* 8 ports make 4 pairs: two bridges, then ENOSPC until one is freed and its quarantine (300
 * ms here) is over. */
static void test_ports_enospc(void)
{
	struct env e;
	struct media_bridge *bs[4] = {0};
	struct exhaust x = {0};
	struct sa l0, l1;
	int n = 0, err = 0;
	uint64_t freed;
	/* Per process: test_media runs twice at once (io_uring, epoll), and the pool keeps the
	 * released pairs bound during their quarantine. */
	uint16_t base = (uint16_t)(24000 + (getpid() % 600) * 10);

	REQUIRE(env_open_q(&e, 1, 0, base, (uint16_t)(base + 7), 300));
	while (n < 4 && !(err = media_bridge_alloc(e.m, &bs[n], NULL))) {
		media_bridge_local(bs[n], 0, &l0, NULL);
		media_bridge_local(bs[n], 1, &l1, NULL);
		CHECK(sa_port(&l0) % 2 == 0 && sa_port(&l1) % 2 == 0);
		CHECK(sa_port(&l0) >= base && sa_port(&l0) <= base + 6);
		CHECK(sa_port(&l0) != sa_port(&l1));
		n++;
	}
	CHECK_EQ_INT(err, ENOSPC);
	CHECK(n >= 1 && n <= 2);
	media_bridge_free(bs[0]);
	freed = clock_mono_ms();
	x.m = e.m;
	CHECK(run_until(e.l, alloc_again, &x, 2000));
	CHECK(clock_mono_ms() - freed >= 300);
	bs[0] = x.b;
	for (int i = 0; i < n; i++)
		media_bridge_free(bs[i]);
	env_close(&e);
}

/* No event for a bridge after media_bridge_free returns, even one already queued. */
static void test_no_event_after_free(void)
{
	struct env e;
	struct call c;
	uint8_t buf[2048];
	size_t len;

	REQUIRE(env_open(&e, 1, 50, PMIN, PMAX));
	REQUIRE(call_open(&e, &c, NULL));
	call_remotes(&c);
	len = rtp_make(buf, 1, 0, 0x1, 0, 20);
	psend(&c.a, &c.la, buf, len);
	CHECK(wait_stat(c.b, 0, ST(packets_in), 1));
	usleep(150 * 1000); /* the timeout fires on the worker meanwhile */
	media_bridge_free(c.b);
	c.b = NULL;
	run_until(e.l, NULL, NULL, 100);
	CHECK_EQ_INT(evs.total, 0);
	call_close(&c);
	env_close(&e);
}

/* Inside the signalling loop, a pass's commands wake the worker once, at the end of the pass;
 * a bridge that cannot relay yet (one side without a remote) and a REMOVE wake nobody, and
 * still take effect (with the next wake-up, or MEDIA_LAZY_MS later). */
struct batch {
	struct env *e;
	struct call *c;
	unsigned long before, wakes_pass1, wakes_pass2;
	struct tmr t;
};

static void batch_pass2(void *arg)
{
	struct batch *x = arg;

	x->wakes_pass1 = media_wakes(x->e->m) - x->before; /* after pass 1 ended */
	media_bridge_set_remote(x->c->b, 1, &x->c->b_.addr, NULL, false);
	CHECK_EQ_INT(media_bridge_set_clock_rate(x->c->b, 0, 16000), 0);
	CHECK_EQ_INT(media_bridge_set_sending(x->c->b, 1, true), 0);
	x->wakes_pass2 = media_wakes(x->e->m) - x->before;
}

static void batch_pass1(void *arg)
{
	struct batch *x = arg;

	REQUIRE(call_open(x->e, x->c, NULL));
	media_bridge_set_remote(x->c->b, 0, &x->c->a.addr, NULL, false);
	/* (1 ms: a timer due now would run in this same pass) */
	tmr_start(loop_timers(x->e->l), &x->t, 1, batch_pass2, x);
}

static void batch_free(void *arg)
{
	struct batch *x = arg;

	media_bridge_free(x->c->b);
	x->c->b = NULL;
}

static bool no_bridges(void *arg)
{
	return media_nbridges(arg) == 0;
}

static void test_wakes_batched(void)
{
	struct env e;
	struct call c;
	struct batch x = {.e = &e, .c = &c};
	uint8_t buf[2048];
	unsigned long before;
	size_t len;
	int n;

	REQUIRE(env_open(&e, 1, 0, PMIN, PMAX));
	tmr_init(&x.t);
	x.before = media_wakes(e.m);
	tmr_start(loop_timers(e.l), &x.t, 0, batch_pass1, &x);
	run_until(e.l, NULL, NULL, 5);
	CHECK_EQ_INT(x.wakes_pass1, 0);		      /* ADD, REMOTE A: nothing to relay yet */
	CHECK_EQ_INT(x.wakes_pass2, 0);		      /* none during a pass */
	CHECK_EQ_INT(media_wakes(e.m) - x.before, 1); /* one for all five commands */
	len = rtp_make(buf, 1, 0, 0x1234, 3, 40);
	psend(&c.a, &c.la, buf, len);
	n = precv(&c.b_, buf, sizeof(buf), 1000, NULL);
	CHECK(n > 0 && payload_ok(buf, (size_t)n, 3, 40));

	before = media_wakes(e.m);
	tmr_start(loop_timers(e.l), &x.t, 0, batch_free, &x);
	run_until(e.l, NULL, NULL, 5);
	CHECK(run_until(e.l, no_bridges, e.m, 1000));
	CHECK_EQ_INT(media_wakes(e.m) - before, 1); /* the lazy timer's */
	call_close(&c);
	env_close(&e);
}

struct blaster {
	struct sa to[16];
	int n;
	atomic_bool stop;
	unsigned long sent;
};

static void *blast(void *arg)
{
	struct blaster *bl = arg;
	struct phone p;
	uint8_t buf[256];
	uint16_t seq = 0;

	if (!phone_open(&p))
		return NULL;
	while (!atomic_load(&bl->stop)) {
		for (int i = 0; i < bl->n; i++) {
			size_t len = rtp_make(buf, seq, seq * 160u, 0xf00d, 0, 160);

			psend(&p, &bl->to[i], buf, len);
			bl->sent++;
		}
		seq++;
	}
	phone_close(&p);
	return NULL;
}

/* Bridges freed (and re-keyed, re-pointed) while packets pour in on two workers; then
 * media_free with bridges still open and commands still queued. ASan checks the rest. */
static void test_free_while_flowing(void)
{
	struct env e;
	struct media_bridge *bs[16];
	struct blaster bl = {0};
	struct phone sink;
	struct sr_key k;
	pthread_t th;

	REQUIRE(env_open(&e, 2, 1000, PMIN, PMAX));
	REQUIRE(phone_open(&sink));
	key_make(&k);
	for (int i = 0; i < 16; i++) {
		REQUIRE(media_bridge_alloc(e.m, &bs[i], &bs[i]) == 0);
		media_bridge_set_remote(bs[i], 0, &sink.addr, NULL, false);
		media_bridge_set_remote(bs[i], 1, &sink.addr, NULL, false);
		if (i % 2)
			media_bridge_set_crypto(bs[i], 1, &k, &k);
		media_bridge_local(bs[i], 0, &bl.to[i], NULL);
	}
	bl.n = 16;
	REQUIRE(pthread_create(&th, NULL, blast, &bl) == 0);
	for (int i = 0; i < 12; i++) {
		run_until(e.l, NULL, NULL, 5);
		media_bridge_set_crypto(bs[i], 0, &k, NULL);
		media_bridge_set_sending(bs[i], 1, i % 3 != 0);
		media_bridge_free(bs[i]);
	}
	run_until(e.l, NULL, NULL, 20);
	/* bridges 12..15 are still open, some with a command in flight */
	media_bridge_set_crypto(bs[12], 0, &k, &k);
	media_bridge_free(bs[13]);
	env_close(&e);
	atomic_store(&bl.stop, true);
	pthread_join(th, NULL);
	CHECK(bl.sent > 0);
	phone_close(&sink);
}


/* ---- the two I/O paths: io_uring where the kernel allows it, epoll otherwise ---- */

/* Whether this process holds an io_uring instance (a worker's ring). */
static bool has_uring_fd(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	bool found = false;

	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		char path[300], target[64];
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/self/fd/%s", de->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = '\0';
			found = strstr(target, "io_uring") != NULL;
		}
	}
	closedir(d);
	return found;
}

/* What the worker asks of the kernel (uring.c): if this works, the worker must use it. */
static bool kernel_has_uring(void)
{
	struct io_uring_params p = {.flags = IORING_SETUP_SINGLE_ISSUER |
					     IORING_SETUP_DEFER_TASKRUN};
	struct io_uring r;

	if (io_uring_queue_init_params(8, &r, &p))
		return false;
	io_uring_queue_exit(&r);
	return true;
}

static bool env_forces_epoll(void)
{
	const char *v = getenv("SOTTO_MEDIA_IO");

	return v && !strcmp(v, "epoll");
}

/* One SRTP round trip through a fresh bridge: A's packet reaches B decrypted and re-keyed. */
static bool relay_works(struct env *e)
{
	struct call c;
	struct sr_key a_tx, a_rx, b_tx, b_rx;
	srtp_t la, lb;
	uint8_t buf[2048];
	int n;
	bool ok = false;

	key_make(&a_tx);
	key_make(&a_rx);
	key_make(&b_tx);
	key_make(&b_rx);
	if (!call_open(e, &c, NULL))
		return false;
	media_bridge_set_crypto(c.b, 0, &a_tx, &a_rx);
	media_bridge_set_crypto(c.b, 1, &b_tx, &b_rx);
	call_remotes(&c);
	la = lsrtp_new(&a_tx, true);
	lb = lsrtp_new(&b_rx, false);
	if (la && lb) {
		size_t len = lprotect(la, buf, rtp_make(buf, 7, 160, 0x1234, 9, 160));

		psend(&c.a, &c.la, buf, len);
		n = precv(&c.b_, buf, sizeof(buf), 1000, NULL);
		n = lunprotect(lb, buf, n);
		ok = n > 0 && payload_ok(buf, (size_t)n, 9, 160) &&
		     wait_stat(c.b, 1, ST(packets_out), 1);
	}
	if (la)
		srtp_dealloc(la);
	if (lb)
		srtp_dealloc(lb);
	call_close(&c);
	return ok;
}

/* The worker takes io_uring when the kernel offers it and SOTTO_MEDIA_IO does not say
 * "epoll"; with "epoll" it never opens a ring. Either way the relay works. */
static void test_io_path(void)
{
	struct env e;
	bool want = !env_forces_epoll() && kernel_has_uring();

	REQUIRE(!has_uring_fd());
	REQUIRE(env_open(&e, 2, 0, PMIN, PMAX));
	CHECK(relay_works(&e)); /* the workers have started by now */
	CHECK_EQ_INT(has_uring_fd(), want);
	env_close(&e);
	CHECK(!has_uring_fd()); /* the rings went with the workers */
}

/* Where io_uring_setup is refused (seccomp as in a container, io_uring_disabled), the worker
 * falls back to epoll and relays as before. In a child: the filter cannot be undone. */
static void test_uring_refused(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = sizeof(f) / sizeof(f[0]), .filter = f};
	int status = -1;
	pid_t pid;

	pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		struct env e;
		bool ok;

		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
		    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
			_exit(2);
		if (!env_open(&e, 1, 0, PMIN, PMAX))
			_exit(3);
		ok = relay_works(&e) && !has_uring_fd();
		env_close(&e);
		_exit(ok ? 0 : 1);
	}
	REQUIRE(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ_INT(WEXITSTATUS(status), 0);
}

/* A burst on many sockets at once, more packets than the worker has receive buffers: when
 * they run out the kernel ends those sockets' receives, and every socket must still relay
 * afterwards (re-armed, none left deaf). Then the bridges go while their packets may still
 * be queued: nothing stale reaches a freed bridge (ASan). */
static void test_burst_all_sockets(void)
{
	enum { NCALL = 24, BURST = 200 };
	struct env e;
	struct call c[NCALL];
	uint8_t buf[2048];
	bool all = true;

	/* 16 receive buffers for the io_uring path: the burst exhausts them for sure. */
	setenv("SOTTO_MEDIA_URING_BUFFERS", "16", 1);
	REQUIRE(env_open(&e, 1, 0, PMIN, PMAX));
	unsetenv("SOTTO_MEDIA_URING_BUFFERS");
	for (int i = 0; i < NCALL; i++) {
		int big = 1 << 20;

		REQUIRE(call_open(&e, &c[i], NULL));
		call_remotes(&c[i]);
		(void)setsockopt(c[i].b_.fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	}
	for (int k = 0; k < BURST; k++)
		for (int i = 0; i < NCALL; i++)
			psend(&c[i].a, &c[i].la, buf,
			      rtp_make(buf, (uint16_t)k, 160u * (unsigned)k, 0x77, 1, 160));
	/* Empty the phones until the relay has worked through the backlog (with so few buffers
	 * it takes a while), then one more packet each: all must get through. */
	{
		uint64_t seen[NCALL] = {0}, quiet_since = now_ms(), end = now_ms() + 10000;

		while (now_ms() - quiet_since < 300 && now_ms() < end) {
			for (int i = 0; i < NCALL; i++) {
				while (precv(&c[i].b_, buf, sizeof(buf), 0, NULL) > 0) {
					seen[i]++;
					quiet_since = now_ms();
				}
			}
			usleep(1000);
		}
		for (int i = 0; i < NCALL; i++)
			CHECK(seen[i] > 0);
	}
	for (int i = 0; i < NCALL; i++)
		psend(&c[i].a, &c[i].la, buf, rtp_make(buf, BURST, 160u * BURST, 0x77, 5, 160));
	for (int i = 0; i < NCALL; i++) {
		int n = precv(&c[i].b_, buf, sizeof(buf), 2000, NULL);

		if (n < 0 || !payload_ok(buf, (size_t)n, 5, 160))
			all = false;
	}
	CHECK(all);
	/* What went in came out or was counted: nothing relayed twice, nothing lost unseen. */
	for (int i = 0; i < NCALL; i++) {
		struct media_side_stats sa_, sb;

		CHECK(wait_stat(c[i].b, 1, ST(packets_out), 1));
		media_bridge_stats(c[i].b, 0, &sa_);
		media_bridge_stats(c[i].b, 1, &sb);
		CHECK(sb.packets_out + sb.dropped + sa_.dropped <= sa_.packets_in);
		CHECK(sa_.packets_in <= BURST + 1);
	}
	for (int k = 0; k < 50; k++)
		for (int i = 0; i < NCALL; i++)
			psend(&c[i].a, &c[i].la, buf,
			      rtp_make(buf, (uint16_t)(BURST + 1 + k), 0, 0x77, 1, 160));
	for (int i = 0; i < NCALL; i++)
		call_close(&c[i]);
	run_until(e.l, NULL, NULL, 20);
	env_close(&e);
}

static const struct test_case cases[] = {
	{"rtp_unit", test_rtp_unit},
	{"bad_args", test_bad_args},
	{"plain_relay", test_plain_relay},
	{"loss_jitter", test_loss_jitter},
	{"before_remote", test_before_remote},
	{"srtp_plain", test_srtp_plain},
	{"srtp_both", test_srtp_both},
	{"tamper_replay", test_tamper_replay},
	{"latch_nat", test_latch_nat},
	{"hold", test_hold},
	{"echo", test_echo},
	{"timeout", test_timeout},
	{"rekey", test_rekey},
	{"rtcp", test_rtcp},
	{"ports_enospc", test_ports_enospc},
	{"no_event_after_free", test_no_event_after_free},
	{"free_while_flowing", test_free_while_flowing},
	{"wakes_batched", test_wakes_batched},
	{"io_path", test_io_path},
	{"uring_refused", test_uring_refused},
	{"burst_all_sockets", test_burst_all_sockets},
};

TEST_MAIN(cases)

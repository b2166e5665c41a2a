/* Unit tests for where a plain RTP side takes its packets from before it has latched (relay.c):
 * at once from the SDP address, from the SDP address's host or the signalling's host on any
 * port (NAT); from any other source only after MEDIA_PROBATION packets of one stream in
 * sequence, all dropped, so that a stranger spraying ports at a call's start (RTP bleed) does
 * not take its media. Phones are UDP sockets on several loopback hosts (127.0.0.0/8). */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "media_env.h"

enum { PMIN = 29000, PMAX = 29999 };

/* count packets from p, sequence numbers from seq, to the bridge's side B */
static void stream(const struct phone *p, const struct sa *to, uint32_t ssrc, uint16_t seq,
		   unsigned count)
{
	uint8_t buf[256];

	for (unsigned i = 0; i < count; i++) {
		size_t len = rtp_make(buf, (uint16_t)(seq + i), 160u * (seq + i), ssrc, 7, 160);

		psend(p, to, buf, len);
		usleep(200); /* in order, none lost on the way */
	}
}

static bool b_latched(const struct call *c)
{
	struct media_side_stats st;

	media_bridge_stats(c->b, 1, &st);
	return st.latched;
}

/* A stranger on another host gets nothing until it has streamed MEDIA_PROBATION packets in
 * sequence with no other stranger in between; then it is the side's peer. */
static void test_stranger_probation(void)
{
	struct env e;
	struct call c;
	struct phone s, s2;
	struct sa sig, from;
	uint8_t buf[2048];

	REQUIRE(env_open(&e, 1, 0, PMIN, PMAX));
	REQUIRE(call_open(&e, &c, NULL));
	REQUIRE(phone_open_at(&s, "127.0.0.4") && phone_open_at(&s2, "127.0.0.5"));
	REQUIRE(sa_set(&sig, PL("127.0.0.3"), 5060) == 0);
	REQUIRE(media_bridge_set_signal(c.b, 1, &sig) == 0);
	call_remotes(&c);

	stream(&s, &c.lb, 0x5eed, 100, MEDIA_PROBATION - 1);
	CHECK(wait_stat(c.b, 1, ST(dropped), MEDIA_PROBATION - 1));
	CHECK(pquiet(&c.a, 50));
	CHECK(!b_latched(&c));

	/* another stranger in between: the count starts again */
	stream(&s2, &c.lb, 0xbad, 1, 1);
	stream(&s, &c.lb, 0x5eed, 100 + MEDIA_PROBATION - 1, MEDIA_PROBATION - 1);
	CHECK(wait_stat(c.b, 1, ST(dropped), 2 * MEDIA_PROBATION - 1));
	CHECK(pquiet(&c.a, 50));
	CHECK(!b_latched(&c));
	CHECK_EQ_INT(stat_field(c.b, 1, ST(packets_in)), 0);

	/* a jump in sequence restarts it too */
	stream(&s, &c.lb, 0x5eed, 1000, 1);
	stream(&s, &c.lb, 0x5eed, 1001, MEDIA_PROBATION - 2);
	CHECK(wait_stat(c.b, 1, ST(dropped), 3 * MEDIA_PROBATION - 2));
	CHECK(!b_latched(&c));
	/* ... and the one that completes a probation goes through */
	stream(&s, &c.lb, 0x5eed, 1001 + MEDIA_PROBATION - 2, 1);
	CHECK(precv(&c.a, buf, sizeof(buf), 1000, NULL) == 12 + 160);
	CHECK(b_latched(&c));

	/* latched: A's packets go to it, the other stranger is dropped */
	psend(&c.a, &c.la, buf, (size_t)rtp_make(buf, 1, 0, 0xa1, 3, 160));
	CHECK(precv(&s, buf, sizeof(buf), 1000, &from) == 12 + 160);
	CHECK(sa_eq(&from, &c.lb));
	stream(&s2, &c.lb, 0xbad, 2, 1);
	CHECK(pquiet(&c.a, 50));

	/* RTCP on its own port follows the host RTP latched to; a stranger's is dropped */
	uint64_t in = stat_field(c.b, 1, ST(packets_in)), drop = stat_field(c.b, 1, ST(dropped));
	const uint8_t rr[8] = {0x80, 201, 0, 1, 0, 0, 0x5e, 0xed}; /* an empty receiver report */
	psend(&s2, &c.lb_rtcp, rr, sizeof(rr));
	CHECK(wait_stat(c.b, 1, ST(dropped), drop + 1));
	CHECK_EQ_INT(stat_field(c.b, 1, ST(packets_in)), in);
	psend(&s, &c.lb_rtcp, rr, sizeof(rr));
	CHECK(wait_stat(c.b, 1, ST(packets_in), in + 1));

	phone_close(&s);
	phone_close(&s2);
	call_close(&c);
	env_close(&e);
}

/* From the signalling's host or the SDP address's host, on another port: taken at once. */
static void test_known_hosts(void)
{
	struct env e;
	struct call c, c2;
	struct phone nat, other_port;
	struct sa sig, from;
	uint8_t buf[2048];

	REQUIRE(env_open(&e, 1, 0, PMIN, PMAX));
	REQUIRE(call_open(&e, &c, NULL) && call_open(&e, &c2, NULL));
	REQUIRE(phone_open_at(&nat, "127.0.0.3") && phone_open(&other_port));
	REQUIRE(sa_set(&sig, PL("127.0.0.3"), 5060) == 0);
	REQUIRE(media_bridge_set_signal(c.b, 1, &sig) == 0);
	call_remotes(&c);
	call_remotes(&c2);

	/* the phone behind NAT: its SIP came from 127.0.0.3, its SDP says 127.0.0.1 */
	stream(&nat, &c.lb, 0x1, 1, 1);
	CHECK(precv(&c.a, buf, sizeof(buf), 1000, NULL) == 12 + 160);
	CHECK(b_latched(&c));
	psend(&c.a, &c.la, buf, (size_t)rtp_make(buf, 1, 0, 0xa1, 3, 160));
	CHECK(precv(&nat, buf, sizeof(buf), 1000, &from) == 12 + 160);
	CHECK(sa_eq(&from, &c.lb));

	/* no signalling address: the SDP address's host on another port */
	stream(&other_port, &c2.lb, 0x2, 1, 1);
	CHECK(precv(&c2.a, buf, sizeof(buf), 1000, NULL) == 12 + 160);
	CHECK(b_latched(&c2));
	CHECK_EQ_INT(stat_field(c2.b, 1, ST(dropped)), 0);

	/* bad arguments */
	CHECK_EQ_INT(media_bridge_set_signal(c.b, 2, &sig), EINVAL);
	CHECK_EQ_INT(media_bridge_set_signal(c.b, 0, NULL), EINVAL);

	phone_close(&nat);
	phone_close(&other_port);
	call_close(&c);
	call_close(&c2);
	env_close(&e);
}

static const struct test_case cases[] = {
	{"stranger_probation", test_stranger_probation},
	{"known_hosts", test_known_hosts},
};

TEST_MAIN(cases)

/* The RTP/RTCP port pool (src/media/ports.c) on its own, with a fake clock: a released pair is
 * reused, sockets and all, only after its quarantine, emptied of what its old peer sent
 * meanwhile; exhaustion is ENOSPC; the cache is bounded. Real sockets on 127.0.0.1. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "media/media_int.h"

enum { Q = 1000 };

static bool pool_open(struct mports *p, uint16_t pmin, uint16_t pmax, size_t max_cached)
{
	struct sa a;

	return sa_set(&a, pl_from("127.0.0.1", 9), 0) == 0 &&
	       ports_init(p, &a, pmin, pmax, Q, max_cached) == 0;
}

static bool fd_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

/* A datagram to 127.0.0.1:port from a socket of our own. */
static void send_to(uint16_t port)
{
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0)
		return;
	(void)sendto(fd, "late", 4, 0, (struct sockaddr *)&to, sizeof(to));
	close(fd);
}

static bool readable(int fd)
{
	char buf[16];
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_PEEK);

	return n >= 0;
}

/* A released pair comes back only once its quarantine is over, with the same sockets. */
static void test_reuse_after_quarantine(void)
{
	struct mports p;
	int r0, c0, r1, c1, r2, c2;
	uint16_t port0, port1, port2;

	REQUIRE(pool_open(&p, 23100, 23119, 0));
	REQUIRE(ports_alloc(&p, 0, &r0, &c0, &port0) == 0);
	CHECK(port0 % 2 == 0 && port0 >= 23100 && port0 <= 23118);
	ports_release(&p, port0, r0, c0, 5000);
	CHECK(fd_open(r0) && fd_open(c0)); /* kept, bound */
	/* still quarantined: another pair, newly bound */
	REQUIRE(ports_alloc(&p, 5000 + Q - 1, &r1, &c1, &port1) == 0);
	CHECK(port1 != port0);
	/* over: the very same pair and sockets */
	REQUIRE(ports_alloc(&p, 5000 + Q, &r2, &c2, &port2) == 0);
	CHECK_EQ_INT(port2, port0);
	CHECK_EQ_INT(r2, r0);
	CHECK_EQ_INT(c2, c0);
	ports_release(&p, port1, r1, c1, 7000);
	ports_release(&p, port2, r2, c2, 7000);
	ports_close(&p);
	CHECK(!fd_open(r1) && !fd_open(r2)); /* the pool closes what it keeps */
}

/* What the old call's peer sent during the quarantine never reaches the next call. */
static void test_late_packets_drained(void)
{
	struct mports p;
	int r, c, r2, c2;
	uint16_t port, port2;

	REQUIRE(pool_open(&p, 23120, 23123, 0));
	REQUIRE(ports_alloc(&p, 0, &r, &c, &port) == 0);
	ports_release(&p, port, r, c, 0);
	for (int i = 0; i < 40; i++) { /* more than one drain batch */
		send_to(port);
		send_to((uint16_t)(port + 1));
	}
	usleep(20000);
	CHECK(readable(r) && readable(c));
	REQUIRE(ports_alloc(&p, Q, &r2, &c2, &port2) == 0);
	CHECK_EQ_INT(port2, port);
	CHECK(!readable(r2));
	CHECK(!readable(c2));
	/* and the reused sockets work */
	send_to(port2);
	usleep(20000);
	CHECK(readable(r2));
	ports_release(&p, port2, r2, c2, Q);
	ports_close(&p);
}

/* A pair flooded beyond what a drain takes is closed rather than reused; either way the next
 * call sees none of it. */
static void test_flooded_pair_closed(void)
{
	struct mports p;
	int r, c, r2 = -1, c2 = -1;
	uint16_t port, port2 = 0;

	REQUIRE(pool_open(&p, 23124, 23127, 0));
	REQUIRE(ports_alloc(&p, 0, &r, &c, &port) == 0);
	ports_release(&p, port, r, c, 0);
	for (int i = 0; i < PORTS_DRAIN_MAX + 64; i++)
		send_to(port);
	usleep(20000);
	REQUIRE(ports_alloc(&p, Q, &r2, &c2, &port2) == 0);
	CHECK(!readable(r2));
	CHECK(!readable(c2));
	ports_release(&p, port2, r2, c2, Q);
	ports_close(&p);
}

/* Every pair used or quarantined: ENOSPC, until a quarantine ends. */
static void test_exhaustion(void)
{
	struct mports p;
	int r[3], c[3];
	uint16_t port[3];

	REQUIRE(pool_open(&p, 23130, 23133, 0)); /* two pairs */
	REQUIRE(ports_alloc(&p, 0, &r[0], &c[0], &port[0]) == 0);
	REQUIRE(ports_alloc(&p, 0, &r[1], &c[1], &port[1]) == 0);
	CHECK(port[0] != port[1]);
	CHECK_EQ_INT(ports_alloc(&p, 0, &r[2], &c[2], &port[2]), ENOSPC);
	ports_release(&p, port[0], r[0], c[0], 100);
	CHECK_EQ_INT(ports_alloc(&p, 100, &r[2], &c[2], &port[2]), ENOSPC);
	CHECK_EQ_INT(ports_alloc(&p, 100 + Q - 1, &r[2], &c[2], &port[2]), ENOSPC);
	REQUIRE(ports_alloc(&p, 100 + Q, &r[2], &c[2], &port[2]) == 0);
	CHECK_EQ_INT(port[2], port[0]);
	ports_release(&p, port[1], r[1], c[1], 0);
	ports_release(&p, port[2], r[2], c[2], 0);
	ports_close(&p);
}

/* Past max_cached a released pair is closed, and bound afresh later like any free one. */
static void test_cache_bound(void)
{
	struct mports p;
	int r[2], c[2];
	uint16_t port[2];

	REQUIRE(pool_open(&p, 23140, 23147, 1));
	REQUIRE(ports_alloc(&p, 0, &r[0], &c[0], &port[0]) == 0);
	REQUIRE(ports_alloc(&p, 0, &r[1], &c[1], &port[1]) == 0);
	ports_release(&p, port[0], r[0], c[0], 0);
	CHECK(fd_open(r[0]) && fd_open(c[0]));
	ports_release(&p, port[1], r[1], c[1], 0);
	CHECK(!fd_open(r[1]) && !fd_open(c[1]));
	CHECK_EQ_INT(p.ncached, 1);
	ports_close(&p);
	CHECK(!fd_open(r[0]));
}

/* A port another process holds is skipped. */
static void test_foreign_port_skipped(void)
{
	struct mports p;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(23150),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int other = socket(AF_INET, SOCK_DGRAM, 0), r, c;
	uint16_t port;

	REQUIRE(other >= 0);
	REQUIRE(bind(other, (struct sockaddr *)&a, sizeof(a)) == 0);
	REQUIRE(pool_open(&p, 23150, 23153, 0));
	REQUIRE(ports_alloc(&p, 0, &r, &c, &port) == 0);
	CHECK_EQ_INT(port, 23152);
	CHECK_EQ_INT(ports_alloc(&p, 0, &r, &c, &port), ENOSPC);
	ports_release(&p, 23152, r, c, 0);
	ports_close(&p);
	close(other);
}

static const struct test_case cases[] = {
	{"reuse_after_quarantine", test_reuse_after_quarantine},
	{"late_packets_drained", test_late_packets_drained},
	{"flooded_pair_closed", test_flooded_pair_closed},
	{"exhaustion", test_exhaustion},
	{"cache_bound", test_cache_bound},
	{"foreign_port_skipped", test_foreign_port_skipped},
};

TEST_MAIN(cases)

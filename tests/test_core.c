/* Unit tests for src/core: views, buffers, timers (fake clock), randomness. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "core/mbuf.h"
#include "core/pl.h"
#include "core/rand.h"
#include "core/tmr.h"
#include "harness.h"

static void pl_basics(void)
{
	struct pl p = PL("  Hello \t");
	uint32_t v = 0;
	CHECK(pl_caseeq_str(pl_trim(p), "hello"));
	CHECK(!pl_eq_str(pl_trim(p), "hello"));
	CHECK(pl_u32(PL("4294967295"), UINT32_MAX, &v) == 0 && v == UINT32_MAX);
	CHECK(pl_u32(PL("4294967296"), UINT32_MAX, &v) == ERANGE);
	CHECK(pl_u32(PL("70"), 69, &v) == ERANGE);
	CHECK(pl_u32(PL("1a"), 100, &v) == EINVAL);
	CHECK(pl_u32(PL(""), 100, &v) == EINVAL);
	char buf[4];
	pl_strcpy(PL("abcdef"), buf, sizeof(buf));
	CHECK(strcmp(buf, "abc") == 0);
}

/* The conversions mbuf_printf formats itself give what snprintf gives. */
static void mbuf_printf_same(void)
{
	struct mbuf mb;
	char want[512];

#define SAME(...)                                                                                  \
	do {                                                                                       \
		mbuf_reset(&mb);                                                                   \
		CHECK_EQ_INT(mbuf_printf(&mb, __VA_ARGS__), 0);                                    \
		snprintf(want, sizeof(want), __VA_ARGS__);                                         \
		CHECK(mb.buf && !strcmp(mb.buf, want) && mb.len == strlen(want));                  \
	} while (0)
	mbuf_init(&mb);
	SAME("%s", "");
	SAME("plain %% text");
	SAME("SIP/2.0 %u %s\r\n", 180u, "Ringing");
	SAME("%d|%d|%d|%d", 0, -1, INT_MIN, INT_MAX);
	SAME("%u|%lu|%zu|%llu", UINT_MAX, ULONG_MAX, (size_t)12345, ULLONG_MAX);
	SAME("[%.*s]%c%.*s", 3, "abcdef", 'x', 10, "ab");
	SAME("%.*s", 0, "abc");
	SAME("%.*s", -1, "abc");
	SAME("%5u|%-4s|%03d|%.2f", 7u, "ab", 5, 1.5); /* widths and floats: vsnprintf */
	mbuf_free(&mb);
#undef SAME
}

static void mbuf_grows(void)
{
	struct mbuf mb;
	mbuf_init(&mb);
	for (int i = 0; i < 1000; i++)
		mbuf_printf(&mb, "%d,", i);
	CHECK(mb.err == 0);
	CHECK(strncmp(mb.buf, "0,1,2,", 6) == 0);
	CHECK(strstr(mb.buf, ",999,") != NULL);
	CHECK(mb.buf[mb.len] == '\0');
	mbuf_free(&mb);
}

static int order[16], n_order;
static void record(void *arg)
{
	order[n_order++] = (int)(intptr_t)arg;
}

static struct tmr cascade_t;
static void restart_self(void *arg)
{
	struct tmr_list *tl = arg;
	order[n_order++] = 99;
	if (n_order < 3)
		tmr_start(tl, &cascade_t, 10, restart_self, tl);
}

static void timers_fire_in_order_with_fake_clock(void)
{
	struct tmr_list tl;
	struct tmr t[5];
	tmr_list_init(&tl, 1000);
	n_order = 0;
	for (int i = 0; i < 5; i++)
		tmr_init(&t[i]);
	tmr_start(&tl, &t[0], 500, record, (void *)0);
	tmr_start(&tl, &t[1], 100, record, (void *)1);
	tmr_start(&tl, &t[2], 300, record, (void *)2);
	tmr_start(&tl, &t[3], 300, record, (void *)3);
	tmr_start(&tl, &t[4], 50, record, (void *)4);
	tmr_cancel(&t[3]);
	CHECK(!tmr_running(&t[3]));
	CHECK_EQ_INT(tmr_list_next_ms(&tl), 50);
	CHECK_EQ_INT(tmr_list_run(&tl, 1099), 1);
	CHECK_EQ_INT(tmr_list_run(&tl, 1100), 1);
	CHECK_EQ_INT(tmr_list_next_ms(&tl), 200);
	CHECK_EQ_INT(tmr_list_run(&tl, 2000), 2);
	CHECK_EQ_INT(n_order, 4);
	CHECK(order[0] == 4 && order[1] == 1 && order[2] == 2 && order[3] == 0);
	CHECK_EQ_INT(tmr_list_next_ms(&tl), -1);

	/* a handler restarting its own timer fires again only once time advances */
	n_order = 0;
	tmr_init(&cascade_t);
	tmr_start(&tl, &cascade_t, 10, restart_self, &tl);
	CHECK_EQ_INT(tmr_list_run(&tl, 2010), 1);
	CHECK_EQ_INT(tmr_list_run(&tl, 2020), 1);
	CHECK_EQ_INT(tmr_list_run(&tl, 2030), 1);
	CHECK_EQ_INT(tmr_list_run(&tl, 5000), 0);
	tmr_list_close(&tl);
}

static void timers_many_random(void)
{
	enum { N = 2000 };
	struct tmr *t = calloc(N, sizeof(*t));
	struct tmr_list tl;
	REQUIRE(t);
	tmr_list_init(&tl, 0);
	for (int i = 0; i < N; i++) {
		uint16_t r;
		rand_bytes(&r, sizeof(r));
		tmr_start(&tl, &t[i], r % 5000, record, (void *)0);
		if (i % 3 == 0)
			tmr_cancel(&t[i / 2]);
	}
	/* the heap gives back timers in due order */
	uint64_t last = 0;
	size_t fired = 0;
	while (tmr_list_next_ms(&tl) >= 0) {
		uint64_t due = tl.heap[0]->due_ms;
		CHECK(due >= last);
		last = due;
		n_order = 0;
		fired += tmr_list_run(&tl, due);
	}
	CHECK(fired > N / 2);
	tmr_list_close(&tl);
	free(t);
}

static void random_tokens(void)
{
	char a[33], b[33];
	CHECK(rand_token(a, 32) == 0 && rand_token(b, 32) == 0);
	CHECK(strlen(a) == 32 && strcmp(a, b) != 0);
	for (size_t i = 0; i < 32; i++)
		CHECK((a[i] >= '0' && a[i] <= '9') || (a[i] >= 'a' && a[i] <= 'z') ||
		      (a[i] >= 'A' && a[i] <= 'Z'));
}

/* A forked child must never hand out what its parent's buffer still holds. */
static void random_after_fork(void)
{
	unsigned char warm[8], mine[32], childs[32];
	int fds[2];
	REQUIRE(rand_bytes(warm, sizeof(warm)) == 0); /* the buffer now holds unused bytes */
	REQUIRE(pipe(fds) == 0);
	pid_t pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		unsigned char b[32];
		int ok = rand_bytes(b, sizeof(b)) == 0 && write(fds[1], b, sizeof(b)) == 32;
		_exit(ok ? 0 : 1);
	}
	CHECK(rand_bytes(mine, sizeof(mine)) == 0);
	CHECK(read(fds[0], childs, sizeof(childs)) == 32);
	int status = 0;
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(memcmp(mine, childs, sizeof(mine)) != 0);
	close(fds[0]);
	close(fds[1]);
	/* consecutive small draws from the buffer never repeat */
	unsigned char a[16], b[16];
	CHECK(rand_bytes(a, sizeof(a)) == 0 && rand_bytes(b, sizeof(b)) == 0);
	CHECK(memcmp(a, b, sizeof(a)) != 0);
}

static const struct test_case tests[] = {
	{"random_after_fork", random_after_fork},
	{"pl_basics", pl_basics},
	{"mbuf_grows", mbuf_grows},
	{"mbuf_printf_same", mbuf_printf_same},
	{"timers_fire_in_order_with_fake_clock", timers_fire_in_order_with_fake_clock},
	{"timers_many_random", timers_many_random},
	{"random_tokens", random_tokens},
};
TEST_MAIN(tests)

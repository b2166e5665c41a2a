/* Minimal unit-test harness: each tests/test_<module>.c lists its cases in a table and ends
 * with TEST_MAIN(table). Run one case by passing its name. Checks record a failure and go on;
 * REQUIRE returns from the case. */
#ifndef SOTTO_TEST_HARNESS_H
#define SOTTO_TEST_HARNESS_H

#include <stdio.h>
#include <string.h>

struct test_case {
	const char *name;
	void (*fn)(void);
};

static int test_failures_;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
			test_failures_++;                                                          \
		}                                                                                  \
	} while (0)

#define REQUIRE(cond)                                                                              \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: requirement failed: %s\n", __FILE__, __LINE__,     \
				#cond);                                                            \
			test_failures_++;                                                          \
			return;                                                                    \
		}                                                                                  \
	} while (0)

#define CHECK_EQ_INT(a, b)                                                                         \
	do {                                                                                       \
		long long a_ = (long long)(a), b_ = (long long)(b);                                \
		if (a_ != b_) {                                                                    \
			fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", __FILE__,        \
				__LINE__, #a, #b, a_, b_);                                         \
			test_failures_++;                                                          \
		}                                                                                  \
	} while (0)

/* Compare a (pointer, length) view with a C string. */
#define CHECK_PL(pl, str)                                                                          \
	do {                                                                                       \
		const char *s_ = (str);                                                            \
		size_t n_ = strlen(s_);                                                            \
		if ((pl).l != n_ || ((pl).l && memcmp((pl).p, s_, n_))) {                          \
			fprintf(stderr, "%s:%d: %s is '%.*s', expected '%s'\n", __FILE__,          \
				__LINE__, #pl, (int)(pl).l, (pl).p ? (pl).p : "", s_);             \
			test_failures_++;                                                          \
		}                                                                                  \
	} while (0)

static inline int test_run_(const char *prog, const struct test_case *cases, size_t n,
			    const char *only)
{
	int passed = 0, failed = 0;
	for (size_t i = 0; i < n; i++) {
		if (only && strcmp(only, cases[i].name))
			continue;
		int before = test_failures_;
		cases[i].fn();
		if (test_failures_ == before) {
			passed++;
		} else {
			failed++;
			fprintf(stderr, "FAIL %s\n", cases[i].name);
		}
	}
	printf("%s: %d passed, %d failed\n", prog, passed, failed);
	return failed || (passed == 0) ? 1 : 0;
}

#define TEST_MAIN(cases)                                                                           \
	int main(int argc, char **argv)                                                            \
	{                                                                                          \
		return test_run_(argv[0], cases, sizeof(cases) / sizeof(cases[0]),                \
				 argc > 1 ? argv[1] : NULL);                                       \
	}

#endif

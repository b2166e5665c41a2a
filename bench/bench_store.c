/* Store throughput: binding puts per second (queueing, and committed to disk) and commits per
 * second, on a real file in a temporary directory. Usage: bench_store [burst_ops] */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "store/store.h"

static double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int put(struct store *s, int i, int64_t exp)
{
	char ext[16], contact[64];
	snprintf(ext, sizeof(ext), "%d", 1000 + i % 10000);
	snprintf(contact, sizeof(contact), "sips:%d@198.51.100.%d:%d;transport=tls", 1000 + i,
		 i % 250, 10000 + i % 50000);
	struct store_binding b = {
		.ext = ext,
		.contact = contact,
		.expires_at = exp,
		.transport = "TLS",
		.src_addr = "198.51.100.7:50612",
		.local_addr = "192.0.2.1:5061",
		.instance_id = "<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>",
		.reg_id = 1,
		.user_agent = "Bench/1.0",
		.call_id = "a84b4c76e66710@bench",
		.cseq = (uint32_t)i,
		.is_tls = true,
		.q = "1.0",
	};
	return store_binding_put(s, &b);
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/sotto_bench_store_XXXXXX", path[96], p2[112];
	int n = argc > 1 ? atoi(argv[1]) : 200000;
	struct store *s = NULL;
	struct store_stats st0, st;
	double t0, t1, t2;
	int64_t exp = (int64_t)time(NULL) * 1000 + 3600000;
	int err;

	log_set_level(LOG_WARN);
	if (n <= 0 || !mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/bench.db", dir);
	err = store_open(&s, path);
	if (err) {
		fprintf(stderr, "store_open: %d\n", err);
		return 1;
	}

	/* burst: queue n puts as fast as possible, then wait for the disk */
	t0 = mono_s();
	for (int i = 0; i < n; i++)
		put(s, i, exp);
	t1 = mono_s();
	store_flush(s);
	t2 = mono_s();
	store_stats(s, &st0);
	printf("burst %d puts: queued %.0f/s, committed %.0f/s, %llu commits (%.0f ops/commit)\n",
	       n, n / (t1 - t0), n / (t2 - t0), (unsigned long long)st0.commits,
	       (double)st0.ops / (double)(st0.commits ? st0.commits : 1));

	/* steady: 20,000 puts/s for 2 s, the pacing keeps commits near 1000 / interval_ms */
	t0 = mono_s();
	for (int i = 0; i < 40000; i++) {
		put(s, n + i, exp);
		if (i % 200 == 199) {
			double due = t0 + (i + 1) / 20000.0, now = mono_s();
			if (due > now) {
				struct timespec ts = {0, (long)((due - now) * 1e9)};
				nanosleep(&ts, NULL);
			}
		}
	}
	store_flush(s);
	t1 = mono_s();
	store_stats(s, &st);
	printf("steady 20000 puts/s for %.2f s: %.1f commits/s, queue max %llu\n", t1 - t0,
	       (double)(st.commits - st0.commits) / (t1 - t0), (unsigned long long)st.queue_max);

	store_close(s);
	unlink(path);
	snprintf(p2, sizeof(p2), "%s-wal", path);
	unlink(p2);
	snprintf(p2, sizeof(p2), "%s-shm", path);
	unlink(p2);
	rmdir(dir);
	return 0;
}

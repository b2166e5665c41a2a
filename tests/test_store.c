/* Unit tests for src/store against real SQLite files in a mkdtemp directory: round trips
 * through close and reopen, purging, batching, pacing, paging and filters, concurrent
 * producers, and a SIGKILLed child that must not lose what it flushed. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"
#include "harness.h"

/* ---- helpers ---- */

struct tmpdb {
	char dir[64];
	char path[128];
};

static int tmpdb_make(struct tmpdb *t)
{
	snprintf(t->dir, sizeof(t->dir), "/tmp/sotto_store_XXXXXX");
	if (!mkdtemp(t->dir))
		return errno;
	snprintf(t->path, sizeof(t->path), "%s/sotto.db", t->dir);
	return 0;
}

static void tmpdb_rm(struct tmpdb *t)
{
	static const char *const sfx[] = {"", "-wal", "-shm", "-journal"};
	char p[160];

	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", t->path, sfx[i]);
		unlink(p);
	}
	rmdir(t->dir);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static bool str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static bool binding_eq(const struct store_binding *a, const struct store_binding *b)
{
	return str_eq(a->ext, b->ext) && str_eq(a->contact, b->contact) &&
	       a->expires_at == b->expires_at && str_eq(a->transport, b->transport) &&
	       str_eq(a->src_addr, b->src_addr) && str_eq(a->local_addr, b->local_addr) &&
	       str_eq(a->instance_id, b->instance_id) && a->reg_id == b->reg_id &&
	       str_eq(a->user_agent, b->user_agent) && str_eq(a->call_id, b->call_id) &&
	       a->cseq == b->cseq && str_eq(a->path, b->path) &&
	       str_eq(a->received, b->received) && a->is_tls == b->is_tls && str_eq(a->q, b->q);
}

/* Collects loaded bindings as "ext|contact" keys and checks them against expected ones. */
#define MAX_SEEN 64
struct seen {
	const struct store_binding *want;
	size_t nwant;
	int count;
	int matched;
	char keys[MAX_SEEN][96];
};

static int seen_cb(const struct store_binding *b, void *arg)
{
	struct seen *sn = arg;

	if (sn->count < MAX_SEEN)
		snprintf(sn->keys[sn->count], sizeof(sn->keys[0]), "%s|%s", b->ext, b->contact);
	sn->count++;
	for (size_t i = 0; i < sn->nwant; i++) {
		if (binding_eq(b, &sn->want[i]))
			sn->matched++;
	}
	return 0;
}

static bool seen_has(const struct seen *sn, const char *key)
{
	for (int i = 0; i < sn->count && i < MAX_SEEN; i++) {
		if (!strcmp(sn->keys[i], key))
			return true;
	}
	return false;
}

static int count_cb(const struct store_binding *b, void *arg)
{
	(void)b;
	(*(int *)arg)++;
	return 0;
}

static int load_count(struct store *s, int64_t now)
{
	int n = 0;
	CHECK_EQ_INT(store_bindings_load(s, now, count_cb, &n), 0);
	return n;
}

static struct store_binding binding_full(const char *ext, const char *contact, int64_t exp)
{
	return (struct store_binding){
		.ext = ext,
		.contact = contact,
		.expires_at = exp,
		.transport = "TLS",
		.src_addr = "192.0.2.10:50612",
		.local_addr = "198.51.100.1:5061",
		.instance_id = "<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>",
		.reg_id = 1,
		.user_agent = "Linphone/5.2",
		.call_id = "a84b4c76e66710@pc33",
		.cseq = 4711,
		.path = "<sip:edge.example.com;lr>",
		.received = "192.0.2.10:50612",
		.is_tls = true,
		.q = "0.7",
	};
}

/* ---- bindings ---- */

static void binding_roundtrip_survives_reopen(void)
{
	struct tmpdb t;
	struct store *s = NULL;
	int64_t exp = now_ms() + 3600 * 1000;
	struct store_binding want[3];
	struct seen sn = {0};

	REQUIRE(tmpdb_make(&t) == 0);
	want[0] = binding_full("100", "sips:100@192.0.2.10:50612;transport=tls", exp);
	want[1] = binding_full("100", "sips:100@192.0.2.11:50700;transport=tls", exp + 1);
	/* every optional field absent */
	want[2] = (struct store_binding){.ext = "101", .contact = "sip:101@192.0.2.20:5060",
					 .expires_at = exp + 2, .cseq = UINT32_MAX,
					 .reg_id = UINT32_MAX};
	REQUIRE(store_open(&s, t.path) == 0);
	for (int i = 0; i < 3; i++)
		CHECK_EQ_INT(store_binding_put(s, &want[i]), 0);
	CHECK_EQ_INT(store_flush(s), 0);
	store_close(s);

	s = NULL;
	REQUIRE(store_open(&s, t.path) == 0);
	sn.want = want;
	sn.nwant = 3;
	CHECK_EQ_INT(store_bindings_load(s, now_ms(), seen_cb, &sn), 0);
	CHECK_EQ_INT(sn.count, 3);
	CHECK_EQ_INT(sn.matched, 3);
	store_close(s);
	tmpdb_rm(&t);
}

static void binding_expired_purged_on_load(void)
{
	struct tmpdb t;
	struct store *s = NULL;
	int64_t now = now_ms();
	struct store_binding b = binding_full("100", "sip:live@h", now + 60000);
	struct seen sn = {0};

	REQUIRE(tmpdb_make(&t) == 0);
	REQUIRE(store_open(&s, t.path) == 0);
	CHECK_EQ_INT(store_binding_put(s, &b), 0);
	b = binding_full("100", "sip:old@h", now - 1000);
	CHECK_EQ_INT(store_binding_put(s, &b), 0);
	b = binding_full("101", "sip:edge@h", now); /* expires exactly now: expired */
	CHECK_EQ_INT(store_binding_put(s, &b), 0);
	CHECK_EQ_INT(store_flush(s), 0);

	CHECK_EQ_INT(store_bindings_load(s, now, seen_cb, &sn), 0);
	CHECK_EQ_INT(sn.count, 1);
	CHECK(seen_has(&sn, "100|sip:live@h"));
	/* the purge is queued by the load; once committed, even an earlier clock sees one row */
	CHECK_EQ_INT(store_flush(s), 0);
	CHECK_EQ_INT(load_count(s, 0), 1);
	store_close(s);
	tmpdb_rm(&t);
}

static void binding_delete_one_and_all(void)
{
	struct tmpdb t;
	struct store *s = NULL;
	int64_t exp = now_ms() + 60000;
	static const char *const contacts[] = {"sip:a@h", "sip:b@h", "sip:c@h"};
	struct store_binding b;
	struct seen sn = {0};

	REQUIRE(tmpdb_make(&t) == 0);
	REQUIRE(store_open(&s, t.path) == 0);
	for (int i = 0; i < 3; i++) {
		b = binding_full("100", contacts[i], exp);
		CHECK_EQ_INT(store_binding_put(s, &b), 0);
	}
	b = binding_full("200", "sip:a@h", exp); /* same contact, other extension */
	CHECK_EQ_INT(store_binding_put(s, &b), 0);
	CHECK_EQ_INT(store_binding_del(s, "100", "sip:b@h"), 0);
	CHECK_EQ_INT(store_binding_del(s, "100", "sip:nonexistent@h"), 0);
	CHECK_EQ_INT(store_flush(s), 0);

	CHECK_EQ_INT(store_bindings_load(s, 0, seen_cb, &sn), 0);
	CHECK_EQ_INT(sn.count, 3);
	CHECK(seen_has(&sn, "100|sip:a@h") && seen_has(&sn, "100|sip:c@h"));
	CHECK(seen_has(&sn, "200|sip:a@h") && !seen_has(&sn, "100|sip:b@h"));

	CHECK_EQ_INT(store_binding_del_all(s, "100"), 0);
	CHECK_EQ_INT(store_flush(s), 0);
	memset(&sn, 0, sizeof(sn));
	CHECK_EQ_INT(store_bindings_load(s, 0, seen_cb, &sn), 0);
	CHECK_EQ_INT(sn.count, 1);
	CHECK(seen_has(&sn, "200|sip:a@h"));
	store_close(s);
	tmpdb_rm(&t);
}

static void binding_overwrite_keeps_one_row(void)
{
	struct tmpdb t;
	struct store *s = NULL;
	int64_t exp = now_ms() + 60000;
	struct store_binding b = binding_full("100", "sip:a@h", exp);
	struct seen sn = {0};

	REQUIRE(tmpdb_make(&t) == 0);
	REQUIRE(store_open(&s, t.path) == 0);
	CHECK_EQ_INT(store_binding_put(s, &b), 0);
	CHECK_EQ_INT(store_flush(s), 0); /* one in the file, one in the next batch */
	b.cseq = 4712;
	b.expires_at = exp + 30000;
	b.src_addr = "192.0.2.99:1234";
	b.path = NULL;
	CHECK_EQ_INT(store_binding_put(s, &b), 0);
	b.cseq = 4713; /* and twice within one batch */
	CHECK_EQ_INT(store_binding_put(s, &b), 0);
	CHECK_EQ_INT(store_flush(s), 0);

	sn.want = &b;
	sn.nwant = 1;
	CHECK_EQ_INT(store_bindings_load(s, 0, seen_cb, &sn), 0);
	CHECK_EQ_INT(sn.count, 1);
	CHECK_EQ_INT(sn.matched, 1);
	store_close(s);
	tmpdb_rm(&t);
}

static void binding_strings_are_copied(void)
{
	struct tmpdb t;
	struct store *s = NULL;
	char ext[16], contact[64], ua[32];
	struct store_binding b = {.ext = ext, .contact = contact, .user_agent = ua,
				  .expires_at = now_ms() + 60000};
	struct store_binding want = b;
	struct seen sn = {0};

	REQUIRE(tmpdb_make(&t) == 0);
	REQUIRE(store_open(&s, t.path) == 0);
	snprintf(ext, sizeof(ext), "100");
	snprintf(contact, sizeof(contact), "sip:100@192.0.2.1");
	snprintf(ua, sizeof(ua), "Phone/1.0");
	CHECK_EQ_INT(store_binding_put(s, &b), 0);
	memset(ext, 'X', sizeof(ext) - 1);
	memset(contact, 'Y', sizeof(contact) - 1);
	memset(ua, 'Z', sizeof(ua) - 1);
	CHECK_EQ_INT(store_flush(s), 0);

	want.ext = "100";
	want.contact = "sip:100@192.0.2.1";
	want.user_agent = "Phone/1.0";
	sn.want = &want;
	sn.nwant = 1;
	CHECK_EQ_INT(store_bindings_load(s, 0, seen_cb, &sn), 0);
	CHECK_EQ_INT(sn.matched, 1);
	store_close(s);
	tmpdb_rm(&t);
}

static int stop_cb(const struct store_binding *b, void *arg)
{
	(void)b;
	(*(int *)arg)++;
	return 7;
}

static void binding_load_callback_stops(void)
{
	struct tmpdb t;
	struct store *s = NULL;
	int64_t exp = now_ms() + 60000;
	int calls = 0;

	REQUIRE(tmpdb_make(&t) == 0);
	REQUIRE(store_open(&s, t.path) == 0);
	for (int i = 0; i < 3; i++) {
		char c[32];
		snprintf(c, sizeof(c), "sip:%d@h", i);
		struct store_binding b = binding_full("100", c, exp);
		CHECK_EQ_INT(store_binding_put(s, &b), 0);
	}
	CHECK_EQ_INT(store_flush(s), 0);
	CHECK_EQ_INT(store_bindings_load(s, 0, stop_cb, &calls), 7);
	CHECK_EQ_INT(calls, 1);
	CHECK_EQ_INT(load_count(s, 0), 3); /* the statement was reset: reads still work */
	store_close(s);
	tmpdb_rm(&t);
}

/* ---- batching and pacing ---- */

static void binding_10000_puts_are_batched(void)
{
	struct tmpdb t;
	struct store *s = NULL;
	struct store_stats st;
	int64_t exp = now_ms() + 60000, t0, dt;

	REQUIRE(tmpdb_make(&t) == 0);
	REQUIRE(store_open(&s, t.path) == 0);
	t0 = mono_ms();
	for (int i = 0; i < 10000; i++) {
		char ext[16], c[48];
		snprintf(ext, sizeof(ext), "%d", 1000 + i % 500);
		snprintf(c, sizeof(c), "sip:%d@192.0.2.%d:5060", i, i % 250);
		struct store_binding b = binding_full(ext, c, exp);
		CHECK_EQ_INT(store_binding_put(s, &b), 0);
	}
	CHECK_EQ_INT(store_flush(s), 0);
	dt = mono_ms() - t0;
	store_stats(s, &st);
	printf("  10000 puts + flush: %lld ms, %llu commits, queue max %llu\n", (long long)dt,
	       (unsigned long long)st.commits, (unsigned long long)st.queue_max);
	CHECK(dt < 10000);
	CHECK_EQ_INT(st.ops, 10000);
	CHECK(st.commits >= 1 && st.commits < 100);
	CHECK_EQ_INT(st.errors, 0);
	CHECK_EQ_INT(st.queued, 0);
	CHECK_EQ_INT(load_count(s, 0), 10000);
	store_close(s);
	tmpdb_rm(&t);
}

static bool wait_ops(struct store *s, uint64_t ops, int timeout_ms)
{
	struct store_stats st;
	int64_t end = mono_ms() + timeout_ms;

	do {
		store_stats(s, &st);
		if (st.ops >= ops)
			return true;
		sleep_ms(5);
	} while (mono_ms() < end);
	return false;
}

static void writer_commits_within_interval_without_flush(void)
{
	struct tmpdb t;
	struct store *s = NULL;
	struct store_opts o = {.interval_ms = 50};
	struct store_stats st;
	int64_t exp = now_ms() + 60000, t0;

	REQUIRE(tmpdb_make(&t) == 0);
	REQUIRE(store_open_opts(&s, t.path, &o) == 0);
	struct store_binding b = binding_full("100", "sip:a@h", exp);
	CHECK_EQ_INT(store_binding_put(s, &b), 0);
	CHECK(wait_ops(s, 1, 3000));
	CHECK_EQ_INT(load_count(s, 0), 1);

	/* a steady trickle of 100 ops over ~200 ms is committed a few times, not 100 times */
	t0 = mono_ms();
	for (int i = 0; i < 100; i++) {
		char c[32];
		snprintf(c, sizeof(c), "sip:%d@h", i);
		b.contact = c;
		CHECK_EQ_INT(store_binding_put(s, &b), 0);
		sleep_ms(2);
	}
	CHECK(wait_ops(s, 101, 3000));
	store_stats(s, &st);
	printf("  trickle: 100 ops in %lld ms -> %llu commits\n", (long long)(mono_ms() - t0),
	       (unsigned long long)st.commits - 1);
	CHECK(st.commits - 1 <= 2 + (uint64_t)(mono_ms() - t0) / 50);
	store_close(s);
	tmpdb_rm(&t);
}

static void batch_max_cuts_the_interval_short(void)
{
	struct tmpdb t;
	struct store *s = NULL;
	struct store_opts o = {.interval_ms = 10000, .batch_max = 64};
	struct store_stats st;
	int64_t exp = now_ms() + 60000, t0;
	struct store_binding b = binding_full("100", "sip:first@h", exp);

	REQUIRE(tmpdb_make(&t) == 0);
	REQUIRE(store_open_opts(&s, t.path, &o) == 0);
	CHECK_EQ_INT(store_binding_put(s, &b), 0); /* idle writer: committed at once */
	CHECK(wait_ops(s, 1, 3000));
	for (int i = 0; i < 64; i++) { /* a full batch does not wait the 10 s */
		char c[32];
		snprintf(c, sizeof(c), "sip:%d@h", i);
		b.contact = c;
		CHECK_EQ_INT(store_binding_put(s, &b), 0);
	}
	CHECK(wait_ops(s, 65, 3000));
	b.contact = "sip:last@h"; /* a lone op now waits for the interval... */
	CHECK_EQ_INT(store_binding_put(s, &b), 0);
	sleep_ms(300);
	store_stats(s, &st);
	CHECK_EQ_INT(st.ops, 65);
	CHECK_EQ_INT(st.queued, 1);
	t0 = mono_ms(); /* ...but closing commits it without waiting */
	store_close(s);
	CHECK(mono_ms() - t0 < 3000);

	s = NULL;
	REQUIRE(store_open(&s, t.path) == 0);
	CHECK_EQ_INT(load_count(s, 0), 66);
	store_close(s);
	tmpdb_rm(&t);
}

static void flush_on_empty_queue_returns(void)
{
	struct tmpdb t;
	struct store *s = NULL;
	struct store_stats st;

	REQUIRE(tmpdb_make(&t) == 0);
	REQUIRE(store_open(&s, t.path) == 0);
	CHECK_EQ_INT(store_flush(s), 0);
	CHECK_EQ_INT(store_flush(s), 0);
	store_stats(s, &st);
	CHECK_EQ_INT(st.commits, 0);
	store_close(s);
	tmpdb_rm(&t);
}

/* ---- events ---- */

struct ev_list {
	int n;
	int64_t first_id, last_id;
	int64_t times[32];
	bool fields_ok;
};

static int ev_cb(const struct store_event *e, void *arg)
{
	struct ev_list *l = arg;

	if (!l->n)
		l->first_id = e->id;
	else if (e->id <= l->last_id)
		l->fields_ok = false; /* ascending ids */
	l->last_id = e->id;
	if (l->n < 32)
		l->times[l->n] = e->time_ms;
	int i = (int)(e->time_ms - 1000);
	char src[32], user[16];
	snprintf(src, sizeof(src), "203.0.113.%d:5060", i);
	snprintf(user, sizeof(user), "%d", 100 + i);
	if (!str_eq(e->kind, i % 3 == 0 ? "auth_failure" : i % 3 == 1 ? "blocked" : "tls_failure") ||
	    !str_eq(e->source, src) || !str_eq(e->user, i % 2 ? NULL : user) ||
	    !str_eq(e->detail, i % 2 ? "handshake: no shared cipher" : "bad password"))
		l->fields_ok = false;
	l->n++;
	return 0;
}

static void events_roundtrip_and_paging(void)
{
	struct tmpdb t;
	struct store *s = NULL;
	struct ev_list l = {.fields_ok = true};
	int64_t last;

	REQUIRE(tmpdb_make(&t) == 0);
	REQUIRE(store_open(&s, t.path) == 0);
	for (int i = 0; i < 25; i++) {
		char src[32], user[16];
		snprintf(src, sizeof(src), "203.0.113.%d:5060", i);
		snprintf(user, sizeof(user), "%d", 100 + i);
		struct store_event e = {
			.time_ms = 1000 + i,
			.kind = i % 3 == 0 ? "auth_failure" : i % 3 == 1 ? "blocked" : "tls_failure",
			.source = src,
			.user = i % 2 ? NULL : user,
			.detail = i % 2 ? "handshake: no shared cipher" : "bad password",
		};
		CHECK_EQ_INT(store_event_add(s, &e), 0);
	}
	store_close(s); /* close, not flush: still all there */
	s = NULL;
	REQUIRE(store_open(&s, t.path) == 0);

	CHECK_EQ_INT(store_events_list(s, 0, 10, ev_cb, &l), 0);
	CHECK_EQ_INT(l.n, 10);
	CHECK(l.fields_ok);
	CHECK_EQ_INT(l.times[0], 1000);
	CHECK_EQ_INT(l.times[9], 1009);
	last = l.last_id;

	memset(&l, 0, sizeof(l));
	l.fields_ok = true;
	CHECK_EQ_INT(store_events_list(s, last, 10, ev_cb, &l), 0);
	CHECK_EQ_INT(l.n, 10);
	CHECK(l.first_id > last);
	CHECK_EQ_INT(l.times[0], 1010);
	last = l.last_id;

	memset(&l, 0, sizeof(l));
	l.fields_ok = true;
	CHECK_EQ_INT(store_events_list(s, last, 0, ev_cb, &l), 0); /* no limit: the rest */
	CHECK_EQ_INT(l.n, 5);
	CHECK(l.fields_ok);
	CHECK_EQ_INT(l.times[4], 1024);

	memset(&l, 0, sizeof(l));
	CHECK_EQ_INT(store_events_list(s, l.last_id + 1000, 10, ev_cb, &l), 0);
	CHECK_EQ_INT(l.n, 0);
	store_close(s);
	tmpdb_rm(&t);
}

/* ---- call detail records ---- */

#define CDR_BASE 1700000000000LL

static struct store_cdr cdr_make(int i, char *id, size_t idsz)
{
	snprintf(id, idsz, "call-%02d", i);
	return (struct store_cdr){
		.id = id,
		.caller = i % 2 ? "101" : "100",
		.callee = i % 4 == 3 ? "+15551234567" : i % 2 ? "200" : "201",
		.trunk = i % 4 == 3 ? "carrier1" : NULL,
		.start_ms = CDR_BASE + i * 1000,
		.answer_ms = i % 5 ? CDR_BASE + i * 1000 + 300 : 0,
		.end_ms = CDR_BASE + i * 1000 + 900,
		.duration_ms = i % 5 ? 600 : 0,
		.status = i % 5 ? 200 : 486,
		.cause = i % 5 ? "normal" : "busy",
		.sec_a = "TLS+SRTP AES_CM_128_HMAC_SHA1_80",
		.sec_b = i % 4 == 3 ? "UDP+RTP" : "TLS+SRTP AEAD_AES_256_GCM",
		.secure = i % 4 != 3,
	};
}

struct cdr_list {
	int n;
	char ids[32][16];
	int64_t prev_start;
	bool newest_first;
	bool fields_ok;
};

static int cdr_cb(const struct store_cdr *c, void *arg)
{
	struct cdr_list *l = arg;
	char id[16];
	int i = (int)((c->start_ms - CDR_BASE) / 1000);
	struct store_cdr w = cdr_make(i, id, sizeof(id));

	if (l->n && c->start_ms >= l->prev_start)
		l->newest_first = false;
	l->prev_start = c->start_ms;
	if (!str_eq(c->id, w.id) || !str_eq(c->caller, w.caller) || !str_eq(c->callee, w.callee) ||
	    !str_eq(c->trunk, w.trunk) || c->answer_ms != w.answer_ms || c->end_ms != w.end_ms ||
	    c->duration_ms != w.duration_ms || c->status != w.status ||
	    !str_eq(c->cause, w.cause) || !str_eq(c->sec_a, w.sec_a) ||
	    !str_eq(c->sec_b, w.sec_b) || c->secure != w.secure)
		l->fields_ok = false;
	if (l->n < 32)
		snprintf(l->ids[l->n], sizeof(l->ids[0]), "%s", c->id);
	l->n++;
	return 0;
}

static struct cdr_list cdr_query(struct store *s, const struct store_cdr_filter *f)
{
	struct cdr_list l = {.newest_first = true, .fields_ok = true};
	CHECK_EQ_INT(store_cdr_list(s, f, cdr_cb, &l), 0);
	CHECK(l.newest_first);
	CHECK(l.fields_ok);
	return l;
}

static uint64_t cdr_count(struct store *s, const struct store_cdr_filter *f)
{
	uint64_t n = 99999;
	CHECK_EQ_INT(store_cdr_count(s, f, &n), 0);
	return n;
}

static void cdr_roundtrip_filters_and_paging(void)
{
	struct tmpdb t;
	struct store *s = NULL;
	struct cdr_list l, l2;
	char id[16];

	REQUIRE(tmpdb_make(&t) == 0);
	REQUIRE(store_open(&s, t.path) == 0);
	for (int i = 0; i < 20; i++) {
		struct store_cdr c = cdr_make(i, id, sizeof(id));
		CHECK_EQ_INT(store_cdr_add(s, &c), 0);
	}
	struct store_cdr again = cdr_make(7, id, sizeof(id)); /* same id: replaces */
	CHECK_EQ_INT(store_cdr_add(s, &again), 0);
	CHECK_EQ_INT(store_flush(s), 0);
	store_close(s);
	s = NULL;
	REQUIRE(store_open(&s, t.path) == 0);

	l = cdr_query(s, NULL);
	CHECK_EQ_INT(l.n, 20);
	CHECK(!strcmp(l.ids[0], "call-19") && !strcmp(l.ids[19], "call-00"));
	CHECK_EQ_INT(cdr_count(s, NULL), 20);

	l = cdr_query(s, &(struct store_cdr_filter){.caller = "100"});
	CHECK_EQ_INT(l.n, 10);
	CHECK(!strcmp(l.ids[0], "call-18"));
	CHECK_EQ_INT(cdr_count(s, &(struct store_cdr_filter){.caller = "100", .limit = 1}), 10);

	l = cdr_query(s, &(struct store_cdr_filter){.callee = "+15551234567"});
	CHECK_EQ_INT(l.n, 5);
	l = cdr_query(s, &(struct store_cdr_filter){.caller = "101", .callee = "200"});
	CHECK_EQ_INT(l.n, 5);

	/* [start of call 5, start of call 10) */
	struct store_cdr_filter range = {.since_ms = CDR_BASE + 5000, .until_ms = CDR_BASE + 10000};
	l = cdr_query(s, &range);
	CHECK_EQ_INT(l.n, 5);
	CHECK(!strcmp(l.ids[0], "call-09") && !strcmp(l.ids[4], "call-05"));
	CHECK_EQ_INT(cdr_count(s, &range), 5);
	l = cdr_query(s, &(struct store_cdr_filter){.since_ms = CDR_BASE + 15000});
	CHECK_EQ_INT(l.n, 5);

	/* pages of 8 over the 20: 8, 8, 4, then nothing; no overlap */
	int total = 0;
	for (uint32_t off = 0; off < 32; off += 8) {
		l = cdr_query(s, &(struct store_cdr_filter){.offset = off, .limit = 8});
		CHECK_EQ_INT(l.n, off < 16 ? 8 : off < 24 ? 4 : 0);
		if (off == 8) {
			CHECK(!strcmp(l.ids[0], "call-11"));
			l2 = cdr_query(s, &(struct store_cdr_filter){.offset = 0, .limit = 8});
			CHECK(!strcmp(l2.ids[7], "call-12"));
		}
		total += l.n;
	}
	CHECK_EQ_INT(total, 20);

	l = cdr_query(s, &(struct store_cdr_filter){.caller = "nobody"});
	CHECK_EQ_INT(l.n, 0);
	store_close(s);
	tmpdb_rm(&t);
}

/* A call's record is written at start, answer and end, each replacing the last; writes that
 * share a batch are coalesced by the writer, and the last one must win whatever the batch. */
static void cdr_rewrites_last_wins(void)
{
	struct tmpdb t;
	struct store *s = NULL;
	struct cdr_list l;
	char id[16];

	REQUIRE(tmpdb_make(&t) == 0);
	REQUIRE(store_open(&s, t.path) == 0);
	for (int phase = 0; phase < 3; phase++) {
		for (int i = 0; i < 30; i++) { /* interleaved calls, more than one batch's worth */
			struct store_cdr c = cdr_make(i, id, sizeof(id));

			if (phase < 2) { /* in progress: start, then answered */
				c.cause = "in_progress";
				c.end_ms = 0;
				c.answer_ms = phase ? c.answer_ms : 0;
			}
			CHECK_EQ_INT(store_cdr_add(s, &c), 0);
		}
	}
	for (int i = 0; i < 100; i++) { /* many ids in one batch (a larger table) */
		struct store_cdr c = cdr_make(i % 30, id, sizeof(id));

		if (i < 70)
			c.cause = "in_progress";
		CHECK_EQ_INT(store_cdr_add(s, &c), 0);
	}
	CHECK_EQ_INT(store_flush(s), 0);
	l = cdr_query(s, NULL); /* fields_ok: every row holds its final values */
	CHECK_EQ_INT(l.n, 30);
	CHECK_EQ_INT(cdr_count(s, &(struct store_cdr_filter){0}), 30);
	store_close(s);
	tmpdb_rm(&t);
}

/* ---- durability ---- */

static void close_flushes_pending_writes(void)
{
	struct tmpdb t;
	struct store *s = NULL;
	struct store_opts o = {.interval_ms = 5000};
	int64_t exp = now_ms() + 60000;
	char id[16];
	struct ev_list l = {0};

	REQUIRE(tmpdb_make(&t) == 0);
	REQUIRE(store_open_opts(&s, t.path, &o) == 0);
	for (int i = 0; i < 100; i++) {
		char c[32];
		snprintf(c, sizeof(c), "sip:%d@h", i);
		struct store_binding b = binding_full("100", c, exp);
		CHECK_EQ_INT(store_binding_put(s, &b), 0);
	}
	struct store_event e = {.time_ms = 1000, .kind = "auth_failure", .detail = "bad password",
				.source = "203.0.113.0:5060", .user = "100"};
	CHECK_EQ_INT(store_event_add(s, &e), 0);
	struct store_cdr c = cdr_make(0, id, sizeof(id));
	CHECK_EQ_INT(store_cdr_add(s, &c), 0);
	store_close(s);

	s = NULL;
	REQUIRE(store_open(&s, t.path) == 0);
	CHECK_EQ_INT(load_count(s, 0), 100);
	l.fields_ok = true;
	CHECK_EQ_INT(store_events_list(s, 0, 0, ev_cb, &l), 0);
	CHECK_EQ_INT(l.n, 1);
	CHECK(l.fields_ok);
	CHECK_EQ_INT(cdr_count(s, NULL), 1);
	store_close(s);
	tmpdb_rm(&t);
}

/* The child flushes 500 bindings, an event and a CDR, tells the parent, and goes on writing
 * until it is killed with SIGKILL. Everything flushed must be there after the parent reopens. */
static void child_writes_until_killed(const char *path, int fd)
{
	struct store *s = NULL;
	int64_t exp = now_ms() + 3600 * 1000;
	char id[16], c[32];

	if (store_open(&s, path))
		_exit(2);
	for (int i = 0; i < 500; i++) {
		snprintf(c, sizeof(c), "sip:%d@h", i);
		struct store_binding b = binding_full("100", c, exp);
		if (store_binding_put(s, &b))
			_exit(3);
	}
	struct store_event e = {.time_ms = 1000, .kind = "blocked", .source = "203.0.113.0:5060"};
	struct store_cdr cdr = cdr_make(0, id, sizeof(id));
	if (store_event_add(s, &e) || store_cdr_add(s, &cdr) || store_flush(s))
		_exit(4);
	if (write(fd, "K", 1) != 1)
		_exit(5);
	for (int i = 500; i < 1000000; i++) { /* busy until the parent's SIGKILL lands */
		snprintf(c, sizeof(c), "sip:%d@h", i);
		struct store_binding b = binding_full("200", c, exp);
		(void)store_binding_put(s, &b);
		if (i % 100 == 0)
			sleep_ms(1);
	}
	_exit(6);
}

static bool flushed[500];

static int flushed_cb(const struct store_binding *b, void *arg)
{
	int i = -1;

	(void)arg;
	if (!strcmp(b->ext, "100") && sscanf(b->contact, "sip:%d@h", &i) == 1 && i >= 0 &&
	    i < 500)
		flushed[i] = true;
	return 0;
}

static void killed_child_loses_nothing_flushed(void)
{
	struct tmpdb t;
	struct store *s = NULL;
	int fds[2], status = 0;
	char m = 0;
	pid_t pid;

	REQUIRE(tmpdb_make(&t) == 0);
	REQUIRE(pipe(fds) == 0);
	fflush(NULL);
	pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		child_writes_until_killed(t.path, fds[1]);
	}
	close(fds[1]);
	CHECK_EQ_INT(read(fds[0], &m, 1), 1);
	CHECK(m == 'K');
	sleep_ms(20); /* let it be mid-batch */
	kill(pid, SIGKILL);
	CHECK_EQ_INT(waitpid(pid, &status, 0), pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	close(fds[0]);

	REQUIRE(store_open(&s, t.path) == 0);
	struct ev_list l = {0};
	CHECK_EQ_INT(store_events_list(s, 0, 0, ev_cb, &l), 0);
	CHECK_EQ_INT(l.n, 1);
	CHECK_EQ_INT(cdr_count(s, NULL), 1);
	int total = load_count(s, 0);
	CHECK(total >= 500);
	/* the 500 flushed bindings, exactly, once the unflushed extension is removed */
	CHECK_EQ_INT(store_binding_del_all(s, "200"), 0);
	CHECK_EQ_INT(store_flush(s), 0);
	CHECK_EQ_INT(load_count(s, 0), 500);
	memset(flushed, 0, sizeof(flushed));
	CHECK_EQ_INT(store_bindings_load(s, 0, flushed_cb, NULL), 0);
	int present = 0;
	for (int i = 0; i < 500; i++)
		present += flushed[i];
	CHECK_EQ_INT(present, 500);
	printf("  after SIGKILL: %d rows committed (500 flushed)\n", total);
	store_close(s);
	tmpdb_rm(&t);
}

/* ---- schema and errors ---- */

/* Read the file's schema version, after setting it to 99 if asked (a "future" schema). */
static int user_version(const char *path, bool set_future)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int v = -1;

	if (sqlite3_open(path, &db) == SQLITE_OK) {
		if (set_future)
			sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL);
		if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
		    sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return v;
}

static void schema_versioned_newer_refused(void)
{
	struct tmpdb t;
	struct store *s = NULL;

	REQUIRE(tmpdb_make(&t) == 0);
	REQUIRE(store_open(&s, t.path) == 0);
	store_close(s);
	CHECK_EQ_INT(user_version(t.path, false), 1);
	s = NULL;
	REQUIRE(store_open(&s, t.path) == 0); /* reopen: no migration re-run */
	store_close(s);
	CHECK_EQ_INT(user_version(t.path, true), 99);
	s = NULL;
	CHECK_EQ_INT(store_open(&s, t.path), ENOTSUP);
	CHECK(s == NULL);
	tmpdb_rm(&t);
}

static void open_and_argument_errors(void)
{
	struct tmpdb t;
	struct store *s = NULL;
	char bad[160];
	FILE *f;

	REQUIRE(tmpdb_make(&t) == 0);
	CHECK_EQ_INT(store_open(NULL, t.path), EINVAL);
	CHECK_EQ_INT(store_open(&s, NULL), EINVAL);
	CHECK_EQ_INT(store_open(&s, ""), EINVAL);
	snprintf(bad, sizeof(bad), "%s/no/such/dir/x.db", t.dir);
	CHECK(store_open(&s, bad) != 0);
	CHECK(s == NULL);

	f = fopen(t.path, "w"); /* not a database */
	REQUIRE(f != NULL);
	for (int i = 0; i < 200; i++)
		fputs("this is not an SQLite file\n", f);
	fclose(f);
	CHECK(store_open(&s, t.path) != 0);
	CHECK(s == NULL);
	unlink(t.path);

	REQUIRE(store_open(&s, t.path) == 0);
	CHECK_EQ_INT(store_binding_put(s, &(struct store_binding){.contact = "sip:a@h"}), EINVAL);
	CHECK_EQ_INT(store_binding_put(s, &(struct store_binding){.ext = "100"}), EINVAL);
	CHECK_EQ_INT(store_binding_put(s, NULL), EINVAL);
	CHECK_EQ_INT(store_binding_del(s, "100", NULL), EINVAL);
	CHECK_EQ_INT(store_binding_del_all(s, NULL), EINVAL);
	CHECK_EQ_INT(store_event_add(s, &(struct store_event){.detail = "x"}), EINVAL);
	CHECK_EQ_INT(store_cdr_add(s, &(struct store_cdr){.caller = "100"}), EINVAL);
	CHECK_EQ_INT(store_bindings_load(s, 0, NULL, NULL), EINVAL);
	CHECK_EQ_INT(store_flush(NULL), EINVAL);
	store_close(s);
	store_close(NULL);
	tmpdb_rm(&t);
}

/* Another process holding the write lock: the writer retries with backoff and commits once the
 * lock is released; if it is never released the batch is given up and store_flush says EIO. */
static sqlite3 *lock_db(const char *path)
{
	sqlite3 *db = NULL;

	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

static void writer_retries_while_locked_then_commits(void)
{
	struct tmpdb t;
	struct store *s = NULL;
	struct store_opts o = {.busy_timeout_ms = 20};
	struct store_stats st;
	struct store_binding b = binding_full("100", "sip:a@h", now_ms() + 60000);
	sqlite3 *other;

	REQUIRE(tmpdb_make(&t) == 0);
	REQUIRE(store_open_opts(&s, t.path, &o) == 0);
	other = lock_db(t.path);
	REQUIRE(other != NULL);
	CHECK_EQ_INT(store_binding_put(s, &b), 0);
	sleep_ms(120);
	store_stats(s, &st);
	CHECK(st.errors >= 1);
	CHECK_EQ_INT(st.ops, 0);
	CHECK_EQ_INT(load_count(s, 0), 0); /* reads go on while the writer is locked out */
	sqlite3_exec(other, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(other);
	CHECK_EQ_INT(store_flush(s), 0);
	CHECK_EQ_INT(load_count(s, 0), 1);
	store_stats(s, &st);
	CHECK_EQ_INT(st.dropped, 0);
	store_close(s);
	tmpdb_rm(&t);
}

static void writer_gives_up_a_batch_and_flush_reports_it(void)
{
	struct tmpdb t;
	struct store *s = NULL;
	struct store_opts o = {.busy_timeout_ms = 10};
	struct store_stats st;
	struct store_binding b = binding_full("100", "sip:a@h", now_ms() + 60000);
	sqlite3 *other;

	REQUIRE(tmpdb_make(&t) == 0);
	REQUIRE(store_open_opts(&s, t.path, &o) == 0);
	other = lock_db(t.path);
	REQUIRE(other != NULL);
	CHECK_EQ_INT(store_binding_put(s, &b), 0);
	CHECK_EQ_INT(store_flush(s), EIO);
	store_stats(s, &st);
	CHECK_EQ_INT(st.dropped, 1);
	CHECK_EQ_INT(st.queued, 0);
	sqlite3_exec(other, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(other);
	b.contact = "sip:b@h"; /* the store works again afterwards */
	CHECK_EQ_INT(store_binding_put(s, &b), 0);
	CHECK_EQ_INT(store_flush(s), 0);
	CHECK_EQ_INT(load_count(s, 0), 1);
	store_close(s);
	tmpdb_rm(&t);
}

/* ---- threads ---- */

#define PRODUCERS 4
#define PER_PRODUCER 2000

struct prod_arg {
	struct store *s;
	int n;
};

static void *producer(void *arg)
{
	struct prod_arg *p = arg;
	int64_t exp = now_ms() + 60000;
	char ext[16], c[32];

	snprintf(ext, sizeof(ext), "%d", 500 + p->n);
	for (int i = 0; i < PER_PRODUCER; i++) {
		snprintf(c, sizeof(c), "sip:%d@h", i);
		struct store_binding b = binding_full(ext, c, exp);
		(void)store_binding_put(p->s, &b);
		if (i % 100 == 0) {
			struct store_event e = {.time_ms = i, .kind = "auth_failure", .user = ext};
			(void)store_event_add(p->s, &e);
		}
		if (i % 500 == 0)
			(void)store_flush(p->s);
	}
	return NULL;
}

static int ev_count_cb(const struct store_event *e, void *arg)
{
	(void)e;
	(*(int *)arg)++;
	return 0;
}

struct reader_arg {
	struct store *s;
	int reads; /* written by the reader only, read after the join */
	int stop_fd;
};

static void *reader(void *arg)
{
	struct reader_arg *r = arg;
	char ch;

	for (;;) {
		int n = 0;
		(void)store_bindings_load(r->s, 0, count_cb, &n);
		(void)store_events_list(r->s, 0, 50, ev_count_cb, &n);
		r->reads++;
		if (read(r->stop_fd, &ch, 1) == 1)
			break;
	}
	return NULL;
}

static void concurrent_producers_and_reader(void)
{
	struct tmpdb t;
	struct store *s = NULL;
	pthread_t th[PRODUCERS], rt;
	struct prod_arg pa[PRODUCERS];
	struct reader_arg ra;
	struct store_stats st;
	int fds[2], nev = 0;

	REQUIRE(tmpdb_make(&t) == 0);
	REQUIRE(store_open(&s, t.path) == 0);
	REQUIRE(pipe(fds) == 0);
	/* the reader polls the pipe without blocking: a byte means stop */
	REQUIRE(fcntl(fds[0], F_SETFL, O_NONBLOCK) == 0);
	ra = (struct reader_arg){.s = s, .stop_fd = fds[0]};
	REQUIRE(pthread_create(&rt, NULL, reader, &ra) == 0);
	for (int i = 0; i < PRODUCERS; i++) {
		pa[i] = (struct prod_arg){.s = s, .n = i};
		REQUIRE(pthread_create(&th[i], NULL, producer, &pa[i]) == 0);
	}
	for (int i = 0; i < PRODUCERS; i++)
		pthread_join(th[i], NULL);
	CHECK_EQ_INT(store_flush(s), 0);
	CHECK_EQ_INT(write(fds[1], "x", 1), 1);
	pthread_join(rt, NULL);
	close(fds[0]);
	close(fds[1]);

	CHECK(ra.reads > 0);
	CHECK_EQ_INT(load_count(s, 0), PRODUCERS * PER_PRODUCER);
	CHECK_EQ_INT(store_events_list(s, 0, 0, ev_count_cb, &nev), 0);
	CHECK_EQ_INT(nev, PRODUCERS * PER_PRODUCER / 100);
	CHECK_EQ_INT(store_flush(s), 0);
	store_stats(s, &st);
	/* every load also queued a purge: the reader's and ours */
	CHECK_EQ_INT(st.ops, PRODUCERS * PER_PRODUCER + PRODUCERS * PER_PRODUCER / 100 + ra.reads + 1);
	CHECK_EQ_INT(st.errors, 0);
	store_close(s);
	tmpdb_rm(&t);
}

static const struct test_case cases[] = {
	{"binding_roundtrip_survives_reopen", binding_roundtrip_survives_reopen},
	{"binding_expired_purged_on_load", binding_expired_purged_on_load},
	{"binding_delete_one_and_all", binding_delete_one_and_all},
	{"binding_overwrite_keeps_one_row", binding_overwrite_keeps_one_row},
	{"binding_strings_are_copied", binding_strings_are_copied},
	{"binding_load_callback_stops", binding_load_callback_stops},
	{"binding_10000_puts_are_batched", binding_10000_puts_are_batched},
	{"writer_commits_within_interval_without_flush",
	 writer_commits_within_interval_without_flush},
	{"batch_max_cuts_the_interval_short", batch_max_cuts_the_interval_short},
	{"flush_on_empty_queue_returns", flush_on_empty_queue_returns},
	{"events_roundtrip_and_paging", events_roundtrip_and_paging},
	{"cdr_roundtrip_filters_and_paging", cdr_roundtrip_filters_and_paging},
	{"cdr_rewrites_last_wins", cdr_rewrites_last_wins},
	{"close_flushes_pending_writes", close_flushes_pending_writes},
	{"killed_child_loses_nothing_flushed", killed_child_loses_nothing_flushed},
	{"schema_versioned_newer_refused", schema_versioned_newer_refused},
	{"open_and_argument_errors", open_and_argument_errors},
	{"writer_retries_while_locked_then_commits", writer_retries_while_locked_then_commits},
	{"writer_gives_up_a_batch_and_flush_reports_it",
	 writer_gives_up_a_batch_and_flush_reports_it},
	{"concurrent_producers_and_reader", concurrent_producers_and_reader},
};

TEST_MAIN(cases)

/* The write path: callers queue copies of their writes under a short mutex; one writer thread
 * takes the whole queue at a time and commits it as one transaction (group commit in WAL mode,
 * no fsync per operation).
 *
 * Pacing: the writer commits as soon as something is queued, but no sooner than interval_ms
 * after its previous commit, unless batch_max operations are waiting, a store_flush is waiting
 * or the store is closing. An idle PBX thus commits a lone registration at once, and a busy
 * one commits about 1000 / interval_ms times per second, each commit carrying everything that
 * arrived meanwhile. A crash loses at most what was queued since the last commit.
 *
 * Ordering: ops are numbered (seq) when queued and committed in that order; seq_done tells
 * store_flush how far the writer has got. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "store/store_int.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define COMMIT_ATTEMPTS 5
#define RETRY_BASE_MS 50

/* The string fields of each op, copied into the op's own allocation when it is queued. */
static const size_t binding_strs[] = {
	offsetof(struct store_binding, ext),	     offsetof(struct store_binding, contact),
	offsetof(struct store_binding, transport),   offsetof(struct store_binding, src_addr),
	offsetof(struct store_binding, local_addr),  offsetof(struct store_binding, instance_id),
	offsetof(struct store_binding, user_agent),  offsetof(struct store_binding, call_id),
	offsetof(struct store_binding, path),	     offsetof(struct store_binding, received),
	offsetof(struct store_binding, q),
};

static const size_t event_strs[] = {
	offsetof(struct store_event, kind),
	offsetof(struct store_event, source),
	offsetof(struct store_event, user),
	offsetof(struct store_event, detail),
};

static const size_t cdr_strs[] = {
	offsetof(struct store_cdr, id),	   offsetof(struct store_cdr, caller),
	offsetof(struct store_cdr, callee), offsetof(struct store_cdr, trunk),
	offsetof(struct store_cdr, cause),  offsetof(struct store_cdr, sec_a),
	offsetof(struct store_cdr, sec_b),
};

static const struct op_type {
	const char *name;
	enum store_wst stmt;
	const size_t *strs;
	size_t nstrs;
} op_types[] = {
	[OP_BINDING_PUT] = {"binding put", WST_BINDING_PUT, binding_strs, ARRAY_SIZE(binding_strs)},
	[OP_BINDING_DEL] = {"binding delete", WST_BINDING_DEL, binding_strs, 2},
	[OP_BINDING_DEL_ALL] = {"binding delete all", WST_BINDING_DEL_ALL, binding_strs, 1},
	[OP_BINDING_PURGE] = {"binding purge", WST_BINDING_PURGE, NULL, 0},
	[OP_EVENT_ADD] = {"event add", WST_EVENT_ADD, event_strs, ARRAY_SIZE(event_strs)},
	[OP_CDR_ADD] = {"cdr add", WST_CDR_ADD, cdr_strs, ARRAY_SIZE(cdr_strs)},
};

/* ---- queueing (any thread) ---- */

static const char *field_get(const void *base, size_t off)
{
	return *(const char *const *)(const void *)((const char *)base + off);
}

static const char **field_at(void *base, size_t off)
{
	return (const char **)(void *)((char *)base + off);
}

/* Copy val (a struct store_binding / _event / _cdr of size bytes) and its strings into one
 * allocation. */
static int op_new(struct store_op **opp, enum store_op_kind kind, const void *val, size_t size)
{
	const struct op_type *t = &op_types[kind];
	struct store_op *op;
	size_t total = 0;
	char *p;

	for (size_t i = 0; i < t->nstrs; i++) {
		const char *str = field_get(val, t->strs[i]);
		if (str)
			total += strlen(str) + 1;
	}
	op = malloc(sizeof(*op) + total);
	if (!op)
		return ENOMEM;
	op->next = NULL;
	op->seq = 0;
	op->kind = kind;
	op->superseded = false;
	memset(&op->u, 0, sizeof(op->u));
	memcpy(&op->u, val, size);
	p = op->strs;
	for (size_t i = 0; i < t->nstrs; i++) {
		const char **f = field_at(&op->u, t->strs[i]);
		if (*f) {
			size_t n = strlen(*f) + 1;
			memcpy(p, *f, n);
			*f = p;
			p += n;
		}
	}
	*opp = op;
	return 0;
}

static void enqueue(struct store *s, struct store_op *op)
{
	uint64_t n;
	bool warn = false;

	pthread_mutex_lock(&s->lock);
	op->seq = ++s->seq_last;
	*s->tailp = op;
	s->tailp = &op->next;
	n = ++s->qlen;
	if (n > s->st.queue_max)
		s->st.queue_max = n;
	/* The writer sleeps either for work (queue empty) or for the interval (a full batch cuts
	 * it short); between those it re-checks the queue itself, so only these two wake it. */
	if (n == 1 || n == s->opts.batch_max)
		pthread_cond_signal(&s->wake);
	if (n > s->opts.queue_warn && !s->warned) {
		s->warned = true;
		warn = true;
	}
	pthread_mutex_unlock(&s->lock);
	if (warn)
		log_warn("store: %llu writes queued: the disk is not keeping up (nothing is dropped)",
			 (unsigned long long)n);
}

static int queue_op(struct store *s, enum store_op_kind kind, const void *val, size_t size)
{
	struct store_op *op;
	int err = op_new(&op, kind, val, size);

	if (err)
		return err;
	enqueue(s, op);
	return 0;
}

int store_binding_put(struct store *s, const struct store_binding *b)
{
	if (!s || !b || !b->ext || !b->contact)
		return EINVAL;
	return queue_op(s, OP_BINDING_PUT, b, sizeof(*b));
}

int store_binding_del(struct store *s, const char *ext, const char *contact)
{
	if (!s || !ext || !contact)
		return EINVAL;
	return queue_op(s, OP_BINDING_DEL, &(struct store_binding){.ext = ext, .contact = contact},
			sizeof(struct store_binding));
}

int store_binding_del_all(struct store *s, const char *ext)
{
	if (!s || !ext)
		return EINVAL;
	return queue_op(s, OP_BINDING_DEL_ALL, &(struct store_binding){.ext = ext},
			sizeof(struct store_binding));
}

int store_binding_purge(struct store *s, int64_t now_ms)
{
	if (!s)
		return EINVAL;
	return queue_op(s, OP_BINDING_PURGE, &(struct store_binding){.expires_at = now_ms},
			sizeof(struct store_binding));
}

int store_event_add(struct store *s, const struct store_event *e)
{
	if (!s || !e || !e->kind)
		return EINVAL;
	return queue_op(s, OP_EVENT_ADD, e, sizeof(*e));
}

int store_cdr_add(struct store *s, const struct store_cdr *c)
{
	if (!s || !c || !c->id)
		return EINVAL;
	return queue_op(s, OP_CDR_ADD, c, sizeof(*c));
}

int store_flush(struct store *s)
{
	uint64_t target, gen;
	int err;

	if (!s)
		return EINVAL;
	pthread_mutex_lock(&s->lock);
	target = s->seq_last;
	gen = s->drop_gen;
	if (target > s->flush_req) {
		s->flush_req = target;
		pthread_cond_signal(&s->wake);
	}
	while (s->seq_done < target)
		pthread_cond_wait(&s->done, &s->lock);
	/* Conservative: a batch given up while we waited may have held ops queued after target. */
	err = s->drop_gen != gen ? EIO : 0;
	pthread_mutex_unlock(&s->lock);
	return err;
}

void store_stats(struct store *s, struct store_stats *st)
{
	if (!s || !st)
		return;
	pthread_mutex_lock(&s->lock);
	*st = s->st;
	st->queued = s->qlen;
	pthread_mutex_unlock(&s->lock);
}

/* ---- the writer thread ---- */

/* Sticky-error parameter binding: the first failure is kept and reported by the step. */
struct binder {
	sqlite3_stmt *st;
	int rc;
};

static void bind_text(struct binder *b, int i, const char *v)
{
	if (b->rc != SQLITE_OK)
		return;
	/* SQLITE_STATIC: the op outlives the step; bindings are cleared right after it. */
	b->rc = v ? sqlite3_bind_text(b->st, i, v, -1, SQLITE_STATIC) : sqlite3_bind_null(b->st, i);
}

static void bind_int(struct binder *b, int i, int64_t v)
{
	if (b->rc == SQLITE_OK)
		b->rc = sqlite3_bind_int64(b->st, i, v);
}

static void bind_op(struct binder *b, const struct store_op *op)
{
	const struct store_binding *r = &op->u.b;
	const struct store_event *e = &op->u.e;
	const struct store_cdr *c = &op->u.c;

	switch (op->kind) {
	case OP_BINDING_PUT:
		bind_text(b, 1, r->ext);
		bind_text(b, 2, r->contact);
		bind_int(b, 3, r->expires_at);
		bind_text(b, 4, r->transport);
		bind_text(b, 5, r->src_addr);
		bind_text(b, 6, r->local_addr);
		bind_text(b, 7, r->instance_id);
		bind_int(b, 8, r->reg_id);
		bind_text(b, 9, r->user_agent);
		bind_text(b, 10, r->call_id);
		bind_int(b, 11, r->cseq);
		bind_text(b, 12, r->path);
		bind_text(b, 13, r->received);
		bind_int(b, 14, r->is_tls);
		bind_text(b, 15, r->q);
		break;
	case OP_BINDING_DEL:
		bind_text(b, 1, r->ext);
		bind_text(b, 2, r->contact);
		break;
	case OP_BINDING_DEL_ALL:
		bind_text(b, 1, r->ext);
		break;
	case OP_BINDING_PURGE:
		bind_int(b, 1, r->expires_at);
		break;
	case OP_EVENT_ADD:
		bind_int(b, 1, e->time_ms);
		bind_text(b, 2, e->kind);
		bind_text(b, 3, e->source);
		bind_text(b, 4, e->user);
		bind_text(b, 5, e->detail);
		break;
	case OP_CDR_ADD:
		bind_text(b, 1, c->id);
		bind_text(b, 2, c->caller);
		bind_text(b, 3, c->callee);
		bind_text(b, 4, c->trunk);
		bind_int(b, 5, c->start_ms);
		bind_int(b, 6, c->answer_ms);
		bind_int(b, 7, c->end_ms);
		bind_int(b, 8, c->duration_ms);
		bind_int(b, 9, c->status);
		bind_text(b, 10, c->cause);
		bind_text(b, 11, c->sec_a);
		bind_text(b, 12, c->sec_b);
		bind_int(b, 13, c->secure);
		break;
	}
}

/* Step a statement to completion; SQLITE_DONE or the error code. */
static int step_done(sqlite3_stmt *st)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

static int op_exec(struct store *s, const struct store_op *op)
{
	struct binder b = {.st = s->wst[op_types[op->kind].stmt], .rc = SQLITE_OK};

	bind_op(&b, op);
	if (b.rc != SQLITE_OK) {
		sqlite3_clear_bindings(b.st);
		return b.rc;
	}
	return step_done(b.st);
}

static uint32_t str_hash(const char *p)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return h;
}

/* A call's record is written when it starts, is answered and ends, each write replacing the
 * row (INSERT OR REPLACE by call id): within one batch only the last of them needs executing,
 * and the committed result is the same. Marks the others superseded. */
static void batch_coalesce(struct store_op *batch)
{
	const struct store_op **seen, *small[64];
	size_t cap = 64, ncdr = 0;
	struct store_op **cdrs;

	for (struct store_op *op = batch; op; op = op->next)
		ncdr += op->kind == OP_CDR_ADD;
	if (ncdr < 2)
		return;
	while (cap < 2 * ncdr)
		cap *= 2;
	seen = cap == 64 ? small : calloc(cap, sizeof(*seen));
	cdrs = malloc(ncdr * sizeof(*cdrs));
	if (!seen || !cdrs)
		goto out; /* then every op runs: correct, only slower */
	if (seen == small)
		memset(small, 0, sizeof(small));
	ncdr = 0;
	for (struct store_op *op = batch; op; op = op->next)
		if (op->kind == OP_CDR_ADD)
			cdrs[ncdr++] = op;
	/* Newest first: an id already seen has a later write. */
	for (size_t k = ncdr; k-- > 0;) {
		size_t i = str_hash(cdrs[k]->u.c.id) & (cap - 1);

		while (seen[i] && strcmp(seen[i]->u.c.id, cdrs[k]->u.c.id))
			i = (i + 1) & (cap - 1);
		if (seen[i])
			cdrs[k]->superseded = true;
		else
			seen[i] = cdrs[k];
	}
out:
	if (seen != small)
		free(seen);
	free(cdrs);
}

/* One attempt at committing the batch. A statement that fails on its own (a constraint) is
 * logged and skipped; a failure that ends the transaction fails the attempt. */
static int batch_try(struct store *s, const struct store_op *batch, uint64_t *failed)
{
	sqlite3 *db = s->wdb;
	int rc;

	rc = step_done(s->wst[WST_BEGIN]);
	if (rc != SQLITE_DONE) {
		log_err("store: begin: %s", sqlite3_errmsg(db));
		return rc;
	}
	for (const struct store_op *op = batch; op; op = op->next) {
		if (op->superseded)
			continue;
		rc = op_exec(s, op);
		if (rc == SQLITE_DONE)
			continue;
		log_err("store: %s: %s", op_types[op->kind].name, sqlite3_errmsg(db));
		if (sqlite3_get_autocommit(db))
			return rc; /* SQLite rolled the whole transaction back */
		(*failed)++;
	}
	rc = step_done(s->wst[WST_COMMIT]);
	if (rc != SQLITE_DONE) {
		log_err("store: commit: %s", sqlite3_errmsg(db));
		if (!sqlite3_get_autocommit(db))
			(void)step_done(s->wst[WST_ROLLBACK]);
		return rc;
	}
	return SQLITE_DONE;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

struct batch_result {
	uint64_t ops, commits, errors, dropped;
};

/* Commit the batch, retrying a failed transaction (a lock held by another process beyond the
 * busy timeout, a full disk being cleaned up) with backoff before giving the batch up. */
static void batch_run(struct store *s, const struct store_op *batch, uint64_t n,
		      struct batch_result *res)
{
	for (unsigned attempt = 0; attempt < COMMIT_ATTEMPTS; attempt++) {
		uint64_t failed = 0;
		int rc = batch_try(s, batch, &failed);

		if (rc == SQLITE_DONE) {
			res->ops += n - failed;
			res->errors += failed;
			res->commits++;
			return;
		}
		/* counted now, not with the batch, so that stats show a writer stuck retrying */
		pthread_mutex_lock(&s->lock);
		s->st.errors++;
		pthread_mutex_unlock(&s->lock);
		if (attempt + 1 < COMMIT_ATTEMPTS)
			sleep_ms(RETRY_BASE_MS << attempt);
	}
	log_err("store: giving up %llu queued writes after %d failed commits",
		(unsigned long long)n, COMMIT_ATTEMPTS);
	res->dropped += n;
}

static void mono_now(struct timespec *ts)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
}

static bool ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static void ts_add_ms(struct timespec *ts, uint32_t ms)
{
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

void *store_writer_main(void *arg)
{
	struct store *s = arg;
	struct timespec last = {0, 0}, deadline, now;

	pthread_mutex_lock(&s->lock);
	for (;;) {
		struct store_op *batch, *next;
		struct batch_result res = {0};
		uint64_t n, seq_hi;

		while (!s->head && !s->stop)
			pthread_cond_wait(&s->wake, &s->lock);
		if (!s->head)
			break; /* stopping, and everything is committed */

		deadline = last;
		ts_add_ms(&deadline, s->opts.interval_ms);
		for (;;) {
			if (s->stop || s->qlen >= s->opts.batch_max || s->flush_req > s->seq_done)
				break;
			mono_now(&now);
			if (!ts_before(&now, &deadline))
				break;
			if (pthread_cond_timedwait(&s->wake, &s->lock, &deadline) == ETIMEDOUT)
				break;
		}

		batch = s->head;
		n = s->qlen;
		seq_hi = 0;
		s->head = NULL;
		s->tailp = &s->head;
		s->qlen = 0;
		if (n < s->opts.queue_warn / 2)
			s->warned = false;
		pthread_mutex_unlock(&s->lock);

		batch_coalesce(batch);
		batch_run(s, batch, n, &res);
		mono_now(&last);
		for (struct store_op *op = batch; op; op = next) {
			next = op->next;
			seq_hi = op->seq;
			free(op);
		}

		pthread_mutex_lock(&s->lock);
		s->st.ops += res.ops;
		s->st.commits += res.commits;
		s->st.errors += res.errors;
		s->st.dropped += res.dropped;
		if (res.dropped)
			s->drop_gen++;
		s->seq_done = seq_hi;
		pthread_cond_broadcast(&s->done);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

void store_queue_free(struct store *s)
{
	struct store_op *op, *next;

	for (op = s->head; op; op = next) {
		next = op->next;
		free(op);
	}
	s->head = NULL;
	s->tailp = &s->head;
	s->qlen = 0;
}

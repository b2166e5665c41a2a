/* The read path: start-up restore and admin queries, run on the caller's thread on the
 * store's reader connection (WAL: readers never wait for the writer, and see the last
 * committed state). One mutex serialises the reader connection and its prepared statements;
 * callbacks run under it, which is why they must not call back into the read functions. */
#include <errno.h>

#include "core/log.h"
#include "store/store_int.h"

/* Adapts one result row to the caller's struct and callback. */
typedef int(row_h)(sqlite3_stmt *st, void *ctx);

struct row_ctx {
	union {
		store_binding_h *b;
		store_event_h *e;
		store_cdr_h *c;
	} cb;
	void *arg;
};

static const char *col_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

/* Bind with a sticky error, as on the write path. */
static int bind_text(sqlite3_stmt *st, int i, const char *v, int rc)
{
	if (rc != SQLITE_OK)
		return rc;
	return v ? sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i);
}

static int bind_int_or_null(sqlite3_stmt *st, int i, int64_t v, bool null, int rc)
{
	if (rc != SQLITE_OK)
		return rc;
	return null ? sqlite3_bind_null(st, i) : sqlite3_bind_int64(st, i, v);
}

/* Step st (its parameters bound by the caller, under rlock) and hand each row to row. Returns
 * the first non-zero row result, or 0, or an errno for an SQLite failure. Always leaves the
 * statement reset, so no read transaction outlives the call. */
static int run_rows(struct store *s, sqlite3_stmt *st, int bind_rc, row_h *row, void *ctx)
{
	int rc = bind_rc, ret = 0;

	if (rc == SQLITE_OK) {
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			ret = row(st, ctx);
			if (ret)
				break;
		}
	}
	if (!ret && rc != SQLITE_DONE) {
		log_err("store: read: %s", sqlite3_errmsg(s->rdb));
		ret = store_errno(rc) ? store_errno(rc) : EIO;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return ret;
}

static int binding_row(sqlite3_stmt *st, void *ctx)
{
	const struct row_ctx *rc = ctx;
	const struct store_binding b = {
		.ext = col_text(st, 0),
		.contact = col_text(st, 1),
		.expires_at = sqlite3_column_int64(st, 2),
		.transport = col_text(st, 3),
		.src_addr = col_text(st, 4),
		.local_addr = col_text(st, 5),
		.instance_id = col_text(st, 6),
		.reg_id = (uint32_t)sqlite3_column_int64(st, 7),
		.user_agent = col_text(st, 8),
		.call_id = col_text(st, 9),
		.cseq = (uint32_t)sqlite3_column_int64(st, 10),
		.path = col_text(st, 11),
		.received = col_text(st, 12),
		.is_tls = sqlite3_column_int(st, 13) != 0,
		.q = col_text(st, 14),
	};

	return rc->cb.b(&b, rc->arg);
}

int store_bindings_load(struct store *s, int64_t now_ms, store_binding_h *cb, void *arg)
{
	struct row_ctx ctx = {.cb.b = cb, .arg = arg};
	sqlite3_stmt *st;
	int ret, err;

	if (!s || !cb)
		return EINVAL;
	pthread_mutex_lock(&s->rlock);
	st = s->rst[RST_BINDINGS];
	ret = run_rows(s, st, sqlite3_bind_int64(st, 1, now_ms), binding_row, &ctx);
	pthread_mutex_unlock(&s->rlock);
	/* The expired rows were skipped above; deleting them goes through the writer like every
	 * other write. */
	err = store_binding_purge(s, now_ms);
	return ret ? ret : err;
}

static int event_row(sqlite3_stmt *st, void *ctx)
{
	const struct row_ctx *rc = ctx;
	const struct store_event e = {
		.id = sqlite3_column_int64(st, 0),
		.time_ms = sqlite3_column_int64(st, 1),
		.kind = col_text(st, 2),
		.source = col_text(st, 3),
		.user = col_text(st, 4),
		.detail = col_text(st, 5),
	};

	return rc->cb.e(&e, rc->arg);
}

int store_events_list(struct store *s, int64_t since_id, uint32_t limit, store_event_h *cb,
		      void *arg)
{
	struct row_ctx ctx = {.cb.e = cb, .arg = arg};
	sqlite3_stmt *st;
	int ret, rc;

	if (!s || !cb)
		return EINVAL;
	pthread_mutex_lock(&s->rlock);
	st = s->rst[RST_EVENTS];
	rc = sqlite3_bind_int64(st, 1, since_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, limit ? (int64_t)limit : -1);
	ret = run_rows(s, st, rc, event_row, &ctx);
	pthread_mutex_unlock(&s->rlock);
	return ret;
}

int store_events_recent(struct store *s, uint32_t n, store_event_h *cb, void *arg)
{
	struct row_ctx ctx = {.cb.e = cb, .arg = arg};
	sqlite3_stmt *st;
	int ret;

	if (!s || !cb || !n)
		return EINVAL;
	pthread_mutex_lock(&s->rlock);
	st = s->rst[RST_EVENTS_RECENT];
	ret = run_rows(s, st, sqlite3_bind_int64(st, 1, n), event_row, &ctx);
	pthread_mutex_unlock(&s->rlock);
	return ret;
}

static int cdr_row(sqlite3_stmt *st, void *ctx)
{
	const struct row_ctx *rc = ctx;
	const struct store_cdr c = {
		.id = col_text(st, 0),
		.caller = col_text(st, 1),
		.callee = col_text(st, 2),
		.trunk = col_text(st, 3),
		.start_ms = sqlite3_column_int64(st, 4),
		.answer_ms = sqlite3_column_int64(st, 5),
		.end_ms = sqlite3_column_int64(st, 6),
		.duration_ms = sqlite3_column_int64(st, 7),
		.status = sqlite3_column_int(st, 8),
		.cause = col_text(st, 9),
		.sec_a = col_text(st, 10),
		.sec_b = col_text(st, 11),
		.secure = sqlite3_column_int(st, 12) != 0,
	};

	return rc->cb.c(&c, rc->arg);
}

static int bind_cdr_filter(sqlite3_stmt *st, const struct store_cdr_filter *f)
{
	static const struct store_cdr_filter all;
	int rc = SQLITE_OK;

	if (!f)
		f = &all;
	rc = bind_text(st, 1, f->caller, rc);
	rc = bind_text(st, 2, f->callee, rc);
	rc = bind_int_or_null(st, 3, f->since_ms, f->since_ms == 0, rc);
	rc = bind_int_or_null(st, 4, f->until_ms, f->until_ms == 0, rc);
	return rc;
}

int store_cdr_list(struct store *s, const struct store_cdr_filter *f, store_cdr_h *cb, void *arg)
{
	struct row_ctx ctx = {.cb.c = cb, .arg = arg};
	sqlite3_stmt *st;
	int ret, rc;

	if (!s || !cb)
		return EINVAL;
	pthread_mutex_lock(&s->rlock);
	st = s->rst[RST_CDRS];
	rc = bind_cdr_filter(st, f);
	rc = bind_int_or_null(st, 5, f && f->limit ? (int64_t)f->limit : -1, false, rc);
	rc = bind_int_or_null(st, 6, f ? (int64_t)f->offset : 0, false, rc);
	ret = run_rows(s, st, rc, cdr_row, &ctx);
	pthread_mutex_unlock(&s->rlock);
	return ret;
}

static int count_row(sqlite3_stmt *st, void *ctx)
{
	*(uint64_t *)ctx = (uint64_t)sqlite3_column_int64(st, 0);
	return 0;
}

int store_cdr_count(struct store *s, const struct store_cdr_filter *f, uint64_t *countp)
{
	uint64_t n = 0;
	sqlite3_stmt *st;
	int err;

	if (!s || !countp)
		return EINVAL;
	pthread_mutex_lock(&s->rlock);
	st = s->rst[RST_CDR_COUNT];
	err = run_rows(s, st, bind_cdr_filter(st, f), count_row, &n);
	pthread_mutex_unlock(&s->rlock);
	if (!err)
		*countp = n;
	return err;
}

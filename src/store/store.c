/* The store object: open (connections, schema, statements, writer thread) and close. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>

#include "core/log.h"
#include "store/store_int.h"

static const struct store_opts store_defaults = {
	.interval_ms = 100,
	.batch_max = 512,
	.queue_warn = 100000,
	.busy_timeout_ms = 5000,
};

static void opts_apply(struct store_opts *o, const struct store_opts *in)
{
	*o = store_defaults;
	if (!in)
		return;
	if (in->interval_ms)
		o->interval_ms = in->interval_ms;
	if (in->batch_max)
		o->batch_max = in->batch_max;
	if (in->queue_warn)
		o->queue_warn = in->queue_warn;
	if (in->busy_timeout_ms)
		o->busy_timeout_ms = in->busy_timeout_ms;
}

/* The writer's condition variable runs on the monotonic clock: a wall-clock step must not
 * stall or hurry the commit pacing. */
static int sync_init(struct store *s)
{
	pthread_condattr_t ca;
	int err;

	err = pthread_condattr_init(&ca);
	if (err)
		return err;
	err = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (err)
		goto out_attr;
	err = pthread_cond_init(&s->wake, &ca);
	if (err)
		goto out_attr;
	err = pthread_cond_init(&s->done, NULL);
	if (err)
		goto out_wake;
	err = pthread_mutex_init(&s->lock, NULL);
	if (err)
		goto out_done;
	err = pthread_mutex_init(&s->rlock, NULL);
	if (err)
		goto out_lock;
	pthread_condattr_destroy(&ca);
	return 0;

out_lock:
	pthread_mutex_destroy(&s->lock);
out_done:
	pthread_cond_destroy(&s->done);
out_wake:
	pthread_cond_destroy(&s->wake);
out_attr:
	pthread_condattr_destroy(&ca);
	return err;
}

static void sync_destroy(struct store *s)
{
	pthread_mutex_destroy(&s->rlock);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->done);
	pthread_cond_destroy(&s->wake);
}

static void db_close(sqlite3 *db)
{
	if (db && sqlite3_close(db) != SQLITE_OK)
		log_err("store: close: %s", sqlite3_errmsg(db));
}

/* Everything but the thread, which store_close has joined (or which never started). */
static void store_destroy(struct store *s)
{
	store_queue_free(s);
	store_stmts_finalize(s->rst, RST_N);
	store_stmts_finalize(s->wst, WST_N);
	/* Reader first: the last connection to close checkpoints the WAL into the database. */
	db_close(s->rdb);
	db_close(s->wdb);
	sync_destroy(s);
	free(s);
}

/* The writer blocks every signal so that the daemon's handlers run on the main thread. */
static int writer_start(struct store *s)
{
	sigset_t all, old;
	int err;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&s->thread, NULL, store_writer_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		log_err("store: cannot start the writer thread (%d)", err);
		return err;
	}
	s->thread_started = true;
	return 0;
}

int store_open_opts(struct store **sp, const char *path, const struct store_opts *opts)
{
	struct store *s;
	int err;

	if (!sp || !path || !*path)
		return EINVAL;
	if (!sqlite3_threadsafe()) {
		log_err("store: SQLite was built without thread support");
		return ENOTSUP;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return ENOMEM;
	err = sync_init(s);
	if (err) {
		free(s);
		return err;
	}
	s->tailp = &s->head;
	opts_apply(&s->opts, opts);

	err = store_db_open(&s->wdb, path, true, s->opts.busy_timeout_ms);
	if (err)
		goto out;
	err = store_schema_migrate(s->wdb);
	if (err)
		goto out;
	err = store_stmts_prepare(s->wdb, store_wsql, s->wst, WST_N);
	if (err)
		goto out;
	err = store_db_open(&s->rdb, path, false, s->opts.busy_timeout_ms);
	if (err)
		goto out;
	err = store_stmts_prepare(s->rdb, store_rsql, s->rst, RST_N);
	if (err)
		goto out;
	err = writer_start(s);
out:
	if (err)
		store_destroy(s);
	else
		*sp = s;
	return err;
}

int store_open(struct store **sp, const char *path)
{
	return store_open_opts(sp, path, NULL);
}

void store_close(struct store *s)
{
	if (!s)
		return;
	if (s->thread_started) {
		pthread_mutex_lock(&s->lock);
		s->stop = true;
		pthread_cond_signal(&s->wake);
		pthread_mutex_unlock(&s->lock);
		pthread_join(s->thread, NULL);
	}
	store_destroy(s);
}

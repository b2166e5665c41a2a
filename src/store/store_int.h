/* Private to src/store: the store object, the write queue and the statement tables. */
#ifndef SOTTO_STORE_STORE_INT_H
#define SOTTO_STORE_STORE_INT_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

/* Statements of the writer connection, prepared once (store_schema.c holds the SQL). */
enum store_wst {
	WST_BEGIN,
	WST_COMMIT,
	WST_ROLLBACK,
	WST_BINDING_PUT,
	WST_BINDING_DEL,
	WST_BINDING_DEL_ALL,
	WST_BINDING_PURGE,
	WST_EVENT_ADD,
	WST_CDR_ADD,
	WST_N
};

/* Statements of the reader connection. */
enum store_rst { RST_BINDINGS, RST_EVENTS, RST_EVENTS_RECENT, RST_CDRS, RST_CDR_COUNT, RST_N };

extern const char *const store_wsql[WST_N];
extern const char *const store_rsql[RST_N];

enum store_op_kind {
	OP_BINDING_PUT,
	OP_BINDING_DEL,	    /* u.b.ext, u.b.contact */
	OP_BINDING_DEL_ALL, /* u.b.ext */
	OP_BINDING_PURGE,   /* u.b.expires_at: delete bindings expiring at or before */
	OP_EVENT_ADD,
	OP_CDR_ADD,
};

/* One queued write: a copy of the caller's struct whose strings point into strs[], so the whole
 * operation is one allocation. */
struct store_op {
	struct store_op *next;
	uint64_t seq;
	enum store_op_kind kind;
	bool superseded; /* a later op of the same batch replaces its row: not executed */
	union {
		struct store_binding b;
		struct store_event e;
		struct store_cdr c;
	} u;
	char strs[];
};

struct store {
	sqlite3 *wdb; /* owned by the writer thread once it runs */
	sqlite3 *rdb; /* reads, under rlock */
	sqlite3_stmt *wst[WST_N];
	sqlite3_stmt *rst[RST_N];
	pthread_mutex_t rlock;
	struct store_opts opts;

	/* Everything below is under lock. */
	pthread_mutex_t lock;
	pthread_cond_t wake; /* the writer waits here for work */
	pthread_cond_t done; /* flushers wait here for seq_done */
	struct store_op *head, **tailp;
	uint64_t qlen;
	uint64_t seq_last;  /* seq of the last op queued */
	uint64_t seq_done;  /* every op <= this has been committed or given up */
	uint64_t flush_req; /* commit up to this seq without waiting for the interval */
	uint64_t drop_gen;  /* bumped each time a batch is given up */
	bool stop;
	bool warned; /* the queue_warn warning has been logged for this backlog */
	struct store_stats st;

	pthread_t thread;
	bool thread_started;
};

/* store_schema.c */
int store_db_open(sqlite3 **dbp, const char *path, bool writer, uint32_t busy_timeout_ms);
int store_schema_migrate(sqlite3 *db);
int store_stmts_prepare(sqlite3 *db, const char *const *sql, sqlite3_stmt **st, size_t n);
void store_stmts_finalize(sqlite3_stmt **st, size_t n);
int store_errno(int rc);

/* store_writer.c */
void *store_writer_main(void *arg);
void store_queue_free(struct store *s);
/* Queue the deletion of bindings with expires_at <= now_ms. */
int store_binding_purge(struct store *s, int64_t now_ms);

#endif

/* The persistence layer: registration bindings, security events and call detail records in one
 * SQLite database (WAL). Writes are queued by the caller (never touching the disk) and committed
 * in batches by one writer thread; reads run on the caller's thread on a second, read-only
 * connection and see what has been committed (call store_flush first to read your own writes).
 *
 * Durability: a row is committed at most interval_ms (plus one commit) after it was queued, and
 * everything queued before store_flush returned survives a process crash (synchronous=NORMAL in
 * WAL mode: a power loss may roll back the last commits, never corrupt the file). */
#ifndef SOTTO_STORE_STORE_H
#define SOTTO_STORE_STORE_H

#include <stdbool.h>
#include <stdint.h>

struct store;

/* A registration binding (RFC 3261 section 10, RFC 5626 outbound), keyed by (ext, contact).
 * Strings may be NULL (stored as NULL) except ext and contact. Times are unix milliseconds. */
struct store_binding {
	const char *ext;	 /* address-of-record: the extension or user name */
	const char *contact;	 /* Contact URI */
	int64_t expires_at;	 /* unix ms */
	const char *transport;	 /* "UDP", "TCP", "TLS" */
	const char *src_addr;	 /* where the REGISTER came from, "ip:port" */
	const char *local_addr;	 /* our socket it arrived on, "ip:port" */
	const char *instance_id; /* +sip.instance (RFC 5626), optional */
	uint32_t reg_id;	 /* reg-id (RFC 5626), 0 if absent */
	const char *user_agent;
	const char *call_id;
	uint32_t cseq;
	const char *path;     /* Path header value (RFC 3327), optional */
	const char *received; /* received/NAT address, optional */
	bool is_tls;
	const char *q; /* q-value as received, e.g. "0.5" */
};

/* A security event: an authentication failure, a blocked source, a TLS handshake failure... */
struct store_event {
	int64_t id;	    /* assigned by the store; ignored by store_event_add */
	int64_t time_ms;    /* unix ms */
	const char *kind;   /* "auth_failure", "blocked", "tls_failure", ... (required) */
	const char *source; /* "ip:port" */
	const char *user;   /* extension or user name, if known */
	const char *detail;
};

/* A call detail record, written once when the call ends (a second add with the same id
 * replaces the first). */
struct store_cdr {
	const char *id; /* unique call id (required) */
	const char *caller;
	const char *callee;
	const char *trunk; /* NULL for an internal call */
	int64_t start_ms;  /* unix ms: INVITE received */
	int64_t answer_ms; /* 0: never answered */
	int64_t end_ms;
	int64_t duration_ms; /* answered time */
	int status;	     /* final SIP status of the call attempt, 0 if none */
	const char *cause;   /* hangup cause, e.g. "normal", "busy", "no_answer", "timeout" */
	const char *sec_a;   /* leg A security, e.g. "TLS+SRTP AES_CM_128_HMAC_SHA1_80" */
	const char *sec_b;   /* leg B security */
	bool secure;	     /* every hop of the whole path was encrypted */
};

/* CDR query. NULL / 0 fields do not filter. Results are newest first (start_ms descending). */
struct store_cdr_filter {
	const char *caller; /* exact match */
	const char *callee; /* exact match */
	int64_t since_ms;   /* start_ms >= since_ms */
	int64_t until_ms;   /* start_ms < until_ms */
	uint32_t offset;
	uint32_t limit; /* 0: no limit */
};

struct store_opts {
	uint32_t interval_ms; /* commit at most this often unless the batch is full, default 100 */
	uint32_t batch_max;   /* commit at once when this many ops are queued, default 512 */
	uint32_t queue_warn;  /* log a warning when the queue grows past this, default 100000 */
	uint32_t busy_timeout_ms; /* default 5000 */
};

/* Counters since store_open (a consistent snapshot). */
struct store_stats {
	uint64_t ops;	    /* operations committed */
	uint64_t commits;   /* transactions committed */
	uint64_t errors;    /* failed statements or transactions (each logged) */
	uint64_t dropped;   /* operations given up after repeated commit failures */
	uint64_t queued;    /* operations waiting now */
	uint64_t queue_max; /* high-water mark of the queue */
};

/* Read callbacks get views valid only during the call; return 0 to go on, anything else to stop
 * (the read function then returns that value). They must not call store read functions. */
typedef int(store_binding_h)(const struct store_binding *b, void *arg);
typedef int(store_event_h)(const struct store_event *e, void *arg);
typedef int(store_cdr_h)(const struct store_cdr *c, void *arg);

/* Open or create the database at path, migrate the schema, start the writer. 0 or an errno
 * (ENOTSUP: the file has a newer schema than this build). opts may be NULL for the defaults. */
int store_open(struct store **sp, const char *path);
int store_open_opts(struct store **sp, const char *path, const struct store_opts *opts);
/* Commit everything queued, stop the writer, close. NULL is a no-op. */
void store_close(struct store *s);

/* Queue a write; the strings are copied. 0, EINVAL (required field missing) or ENOMEM.
 * Safe from any thread until store_close; never waits on the disk. The queue is unbounded:
 * past opts.queue_warn a warning is logged, nothing is dropped. */
int store_binding_put(struct store *s, const struct store_binding *b);
int store_binding_del(struct store *s, const char *ext, const char *contact);
int store_binding_del_all(struct store *s, const char *ext);
int store_event_add(struct store *s, const struct store_event *e);
int store_cdr_add(struct store *s, const struct store_cdr *c);

/* Block until every write queued before the call is committed. 0, or EIO if some of them had
 * to be given up (see stats.dropped). */
int store_flush(struct store *s);
void store_stats(struct store *s, struct store_stats *st);

/* Call cb for each binding with expires_at > now_ms (ordered by ext, contact), then queue the
 * deletion of the expired ones. */
int store_bindings_load(struct store *s, int64_t now_ms, store_binding_h *cb, void *arg);
/* Events with id > since_id, oldest first, at most limit (0: no limit). */
int store_events_list(struct store *s, int64_t since_id, uint32_t limit, store_event_h *cb,
		      void *arg);
/* The n newest events (n > 0), oldest first: where a live view starts before following on with
 * store_events_list from the last id. */
int store_events_recent(struct store *s, uint32_t n, store_event_h *cb, void *arg);
/* CDRs matching f (NULL: all), newest first, paged by f->offset / f->limit. */
int store_cdr_list(struct store *s, const struct store_cdr_filter *f, store_cdr_h *cb, void *arg);
/* How many CDRs match f, ignoring its offset and limit (for paging). */
int store_cdr_count(struct store *s, const struct store_cdr_filter *f, uint64_t *countp);

#endif

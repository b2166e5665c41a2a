/* Connections, schema migrations (PRAGMA user_version) and the statement tables. Every SQL
 * text here is a constant: values only ever travel as bound parameters. */
#include <errno.h>
#include <stdio.h>

#include "core/log.h"
#include "store/store_int.h"

/* Migration i takes the schema from version i to i + 1 and records the new version itself,
 * inside the same transaction. Append, never edit a released step. */
static const char *const migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE binding ("
	"  ext TEXT NOT NULL,"
	"  contact TEXT NOT NULL,"
	"  expires_at INTEGER NOT NULL,"
	"  transport TEXT,"
	"  src_addr TEXT,"
	"  local_addr TEXT,"
	"  instance_id TEXT,"
	"  reg_id INTEGER NOT NULL DEFAULT 0,"
	"  user_agent TEXT,"
	"  call_id TEXT,"
	"  cseq INTEGER NOT NULL DEFAULT 0,"
	"  path TEXT,"
	"  received TEXT,"
	"  is_tls INTEGER NOT NULL DEFAULT 0,"
	"  q TEXT,"
	"  PRIMARY KEY (ext, contact)"
	");"
	"CREATE INDEX binding_expires ON binding(expires_at);"
	/* AUTOINCREMENT: ids never come back after old events are pruned, so a reader polling
	 * with since_id never misses or repeats one. */
	"CREATE TABLE event ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  time_ms INTEGER NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  source TEXT,"
	"  username TEXT,"
	"  detail TEXT"
	");"
	"CREATE INDEX event_time ON event(time_ms);"
	"CREATE TABLE cdr ("
	"  call_id TEXT NOT NULL UNIQUE,"
	"  caller TEXT,"
	"  callee TEXT,"
	"  trunk TEXT,"
	"  start_ms INTEGER NOT NULL,"
	"  answer_ms INTEGER NOT NULL DEFAULT 0,"
	"  end_ms INTEGER NOT NULL DEFAULT 0,"
	"  duration_ms INTEGER NOT NULL DEFAULT 0,"
	"  status INTEGER NOT NULL DEFAULT 0,"
	"  cause TEXT,"
	"  sec_a TEXT,"
	"  sec_b TEXT,"
	"  secure INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE INDEX cdr_start ON cdr(start_ms);"
	"CREATE INDEX cdr_caller ON cdr(caller, start_ms);"
	"CREATE INDEX cdr_callee ON cdr(callee, start_ms);"
	"PRAGMA user_version = 1;",
};

#define SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

const char *const store_wsql[WST_N] = {
	[WST_BEGIN] = "BEGIN IMMEDIATE",
	[WST_COMMIT] = "COMMIT",
	[WST_ROLLBACK] = "ROLLBACK",
	[WST_BINDING_PUT] =
		"INSERT OR REPLACE INTO binding (ext, contact, expires_at, transport, src_addr,"
		" local_addr, instance_id, reg_id, user_agent, call_id, cseq, path, received,"
		" is_tls, q) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
		" ?15)",
	[WST_BINDING_DEL] = "DELETE FROM binding WHERE ext = ?1 AND contact = ?2",
	[WST_BINDING_DEL_ALL] = "DELETE FROM binding WHERE ext = ?1",
	[WST_BINDING_PURGE] = "DELETE FROM binding WHERE expires_at <= ?1",
	[WST_EVENT_ADD] = "INSERT INTO event (time_ms, kind, source, username, detail)"
			  " VALUES (?1, ?2, ?3, ?4, ?5)",
	[WST_CDR_ADD] = "INSERT OR REPLACE INTO cdr (call_id, caller, callee, trunk, start_ms,"
			" answer_ms, end_ms, duration_ms, status, cause, sec_a, sec_b, secure)"
			" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
};

/* The CDR filter: a NULL parameter matches everything, so one statement serves every
 * combination of filters without building SQL. */
#define CDR_WHERE                                                                                  \
	" WHERE (?1 IS NULL OR caller = ?1) AND (?2 IS NULL OR callee = ?2)"                       \
	" AND (?3 IS NULL OR start_ms >= ?3) AND (?4 IS NULL OR start_ms < ?4)"

const char *const store_rsql[RST_N] = {
	[RST_BINDINGS] = "SELECT ext, contact, expires_at, transport, src_addr, local_addr,"
			 " instance_id, reg_id, user_agent, call_id, cseq, path, received, is_tls,"
			 " q FROM binding WHERE expires_at > ?1 ORDER BY ext, contact",
	[RST_EVENTS] = "SELECT id, time_ms, kind, source, username, detail FROM event"
		       " WHERE id > ?1 ORDER BY id LIMIT ?2",
	[RST_EVENTS_RECENT] = "SELECT * FROM (SELECT id, time_ms, kind, source, username, detail"
			      " FROM event ORDER BY id DESC LIMIT ?1) ORDER BY id",
	[RST_CDRS] = "SELECT call_id, caller, callee, trunk, start_ms, answer_ms, end_ms,"
		     " duration_ms, status, cause, sec_a, sec_b, secure FROM cdr" CDR_WHERE
		     " ORDER BY start_ms DESC, rowid DESC LIMIT ?5 OFFSET ?6",
	[RST_CDR_COUNT] = "SELECT count(*) FROM cdr" CDR_WHERE,
};

int store_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return 0;
	case SQLITE_NOMEM:
		return ENOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return EBUSY;
	case SQLITE_CANTOPEN:
		return ENOENT;
	case SQLITE_PERM:
	case SQLITE_READONLY:
	case SQLITE_AUTH:
		return EACCES;
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		return EBADMSG;
	case SQLITE_FULL:
		return ENOSPC;
	case SQLITE_MISUSE:
	case SQLITE_RANGE:
		return EINVAL;
	default:
		return EIO;
	}
}

/* Run constant SQL (PRAGMAs, DDL). */
static int exec_const(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK) {
		log_err("store: %.60s...: %s", sql, msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return store_errno(rc) ? store_errno(rc) : EIO;
	}
	return 0;
}

/* One-row PRAGMA read: the first column as text into buf, or as an integer into *val. */
static int pragma_get(sqlite3 *db, const char *sql, char *buf, size_t size, int *val)
{
	sqlite3_stmt *st = NULL;
	int rc, err = 0;

	rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		goto fail;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		goto fail;
	if (val)
		*val = sqlite3_column_int(st, 0);
	if (buf && size) {
		const unsigned char *t = sqlite3_column_text(st, 0);
		snprintf(buf, size, "%s", t ? (const char *)t : "");
	}
	goto out;
fail:
	log_err("store: %s: %s", sql, sqlite3_errmsg(db));
	err = store_errno(rc) ? store_errno(rc) : EIO;
out:
	sqlite3_finalize(st);
	return err;
}

/* The writer connection creates the file, switches it to WAL (a persistent property of the
 * file) and sets the per-connection options. The reader opens the existing file and is made
 * query-only so that a mistake cannot turn it into a second writer. NOMUTEX: each connection
 * is used by one thread at a time (the writer thread, or a reader under store.rlock). */
int store_db_open(sqlite3 **dbp, const char *path, bool writer, uint32_t busy_timeout_ms)
{
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	sqlite3 *db = NULL;
	char mode[16];
	int rc, err;

	if (writer)
		flags |= SQLITE_OPEN_CREATE;
	rc = sqlite3_open_v2(path, &db, flags, NULL);
	if (rc != SQLITE_OK) {
		log_err("store: cannot open %s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
		err = store_errno(rc) ? store_errno(rc) : EIO;
		goto out;
	}
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, (int)busy_timeout_ms);
	if (writer) {
		err = pragma_get(db, "PRAGMA journal_mode = WAL", mode, sizeof(mode), NULL);
		if (err)
			goto out;
		if (sqlite3_stricmp(mode, "wal"))
			log_warn("store: %s: journal_mode is %s, not wal; readers may wait", path,
				 mode);
		/* NORMAL: no fsync per commit, only at checkpoints; a commit survives a process
		 * crash. The size limit truncates the WAL after a checkpoint following a burst. */
		err = exec_const(db, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;"
				     " PRAGMA journal_size_limit = 67108864;");
	} else {
		err = exec_const(db, "PRAGMA query_only = 1; PRAGMA foreign_keys = ON;");
	}
out:
	if (err)
		sqlite3_close(db);
	else
		*dbp = db;
	return err;
}

/* Bring the schema to SCHEMA_VERSION. The version is read again inside BEGIN IMMEDIATE so two
 * processes opening a new file at once cannot both migrate it. */
int store_schema_migrate(sqlite3 *db)
{
	int version = 0, err;

	err = exec_const(db, "BEGIN IMMEDIATE");
	if (err)
		return err;
	err = pragma_get(db, "PRAGMA user_version", NULL, 0, &version);
	if (err)
		goto out;
	if (version > SCHEMA_VERSION || version < 0) {
		log_err("store: schema version %d is newer than this build knows (%d)", version,
			SCHEMA_VERSION);
		err = ENOTSUP;
		goto out;
	}
	for (int v = version; v < SCHEMA_VERSION; v++) {
		log_info("store: migrating schema %d -> %d", v, v + 1);
		err = exec_const(db, migrations[v]);
		if (err)
			goto out;
	}
	err = exec_const(db, "COMMIT");
out:
	if (err && !sqlite3_get_autocommit(db))
		(void)exec_const(db, "ROLLBACK");
	return err;
}

int store_stmts_prepare(sqlite3 *db, const char *const *sql, sqlite3_stmt **st, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int rc = sqlite3_prepare_v3(db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &st[i], NULL);
		if (rc != SQLITE_OK) {
			log_err("store: prepare %.40s...: %s", sql[i], sqlite3_errmsg(db));
			return store_errno(rc) ? store_errno(rc) : EIO;
		}
	}
	return 0;
}

void store_stmts_finalize(sqlite3_stmt **st, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		sqlite3_finalize(st[i]);
		st[i] = NULL;
	}
}

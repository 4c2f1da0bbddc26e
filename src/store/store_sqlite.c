/*
 * store_sqlite.c: the embedded SQLite store backend: opening the database,
 * the schema, the cached statements and the mapping of SQLite errors onto
 * cl_err.  Attachments are in sqlite_blob.c, request documents in
 * sqlite_put.c.
 *
 * Durability: the file runs in WAL mode.  A request becomes real with the
 * commit of cl_store_put(), made at synchronous=FULL, which fsyncs the WAL;
 * or, for the committer (cl_store_defer_sync), with its commit at NORMAL
 * followed by the fdatasync of the WAL in sq_sync_wal.  Everything else
 * may run at synchronous=NORMAL (see sqlite_blob.c).
 *
 * Recovery: errors are never sticky.  Every operation resets its statements
 * and rolls back what it began; an error that a fresh connection may cure
 * (a file that was read-only, could not be opened or was not a database)
 * marks the connection stale and the next operation reopens it, so callers
 * never have to reopen the store themselves.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "callin/alloc.h"
#include "callin/log.h"
#include "sqlite_impl.h"

static void sq_close(cl_store *);
static cl_err sq_ping(cl_store *);
static void sq_defer_sync(cl_store *);
static cl_err sq_sync_wal(cl_store *);
static void sq_checkpoint(cl_store *);

static const struct cl_store_ops sq_ops = {
	.close = sq_close,
	.ping = sq_ping,
	.blob_open = sq_blob_open,
	.blob_write = sq_blob_write,
	.blob_finish = sq_blob_finish,
	.blob_abort = sq_blob_abort,
	.blob_delete = sq_blob_delete,
	.blob_read = sq_blob_read,
	.put = sq_put,
	.put_batch = sq_put_batch,
	.defer_sync = sq_defer_sync,
	.sync = sq_sync_wal,
	.checkpoint = sq_checkpoint,
	.get = sq_get,
	.count = sq_count,
	.count_by_email = sq_count_by_email,
	.sweep = sq_sweep,
	.outbox_claim = sq_outbox_claim,
	.outbox_sent = sq_outbox_sent,
	.outbox_failed = sq_outbox_failed,
	.outbox_stats = sq_outbox_stats,
	.confirm = sq_confirm,
	.confirmed = sq_confirmed,
	.log_pending = sq_log_pending,
	.log_state = sq_log_state,
	.log_append = sq_log_append,
	.log_entries = sq_log_entries,
	.log_queue = sq_log_queue,
};

static const char *const sq_sql[SQ__NSTMT] = {
	[SQ_BEGIN_IMMEDIATE] = "BEGIN IMMEDIATE",
	[SQ_COMMIT] = "COMMIT",
	[SQ_ROLLBACK] = "ROLLBACK",
	[SQ_SAVEPOINT] = "SAVEPOINT put",
	[SQ_RELEASE] = "RELEASE put",
	[SQ_ROLLBACK_TO] = "ROLLBACK TO put",
	[SQ_SYNC_FULL] = "PRAGMA synchronous=FULL",
	[SQ_SYNC_NORMAL] = "PRAGMA synchronous=NORMAL",
	[SQ_SYNC_OFF] = "PRAGMA synchronous=OFF",
	[SQ_PING] = "SELECT 1 FROM requests LIMIT 1",
	[SQ_BLOB_INSERT] =
	    "INSERT INTO blobs(id, name, created_ms) VALUES (?1, ?2, ?3)",
	[SQ_CHUNK_INSERT] =
	    "INSERT INTO blob_chunks(blob_id, seq, data) VALUES (?1, ?2, ?3)",
	[SQ_BLOB_FINISH] =
	    "UPDATE blobs SET size = ?2"
	    " WHERE id = ?1 AND size IS NULL AND request_token IS NULL",
	[SQ_BLOB_REMOVE] =
	    "DELETE FROM blobs WHERE id = ?1 AND request_token IS NULL",
	[SQ_BLOB_STATE] = "SELECT size, request_token FROM blobs WHERE id = ?1",
	[SQ_CHUNK_SELECT] =
	    "SELECT data FROM blob_chunks WHERE blob_id = ?1 AND seq = ?2",
	[SQ_SWEEP] =
	    "DELETE FROM blobs WHERE id IN (SELECT id FROM blobs"
	    " WHERE request_token IS NULL AND created_ms < ?1 LIMIT 32)",
	[SQ_REQ_INSERT] =
	    "INSERT INTO requests(token, reference, idempotency_key,"
	    " received_ms, doc, email) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[SQ_REQ_BY_TOKEN] = "SELECT doc FROM requests WHERE token = ?1",
	[SQ_REQ_BY_REFERENCE] = "SELECT doc FROM requests WHERE reference = ?1",
	[SQ_REQ_BY_IDEMPOTENCY] =
	    "SELECT doc FROM requests WHERE idempotency_key = ?1",
	[SQ_REQ_TOKEN_BY_IDEMPOTENCY] =
	    "SELECT token FROM requests WHERE idempotency_key = ?1",
	[SQ_REQ_COUNT] = "SELECT count(*) FROM requests",
	[SQ_REQ_COUNT_EMAIL] = "SELECT count(*) FROM requests"
			       " WHERE email = ?1 AND received_ms >= ?2",
	[SQ_BLOB_LINK] =
	    "UPDATE blobs SET request_token = ?2"
	    " WHERE id = ?1 AND request_token IS NULL AND size IS NOT NULL",
	[SQ_OUTBOX_INSERT] =
	    "INSERT INTO outbox(request_token, kind, recipients, message_id,"
	    " due_ms, first_due_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
	/* The outbox statements are explained in sqlite_outbox.c. */
	[SQ_OUTBOX_DUE] =
	    "SELECT o.id, o.kind, o.recipients, o.attempts, o.due_ms, r.doc,"
	    " r.confirmed_ms"
	    " FROM outbox o JOIN requests r ON r.token = o.request_token"
	    " WHERE o.status = 'due' AND o.due_ms <= ?1"
	    " AND o.lease_until_ms <= ?1 ORDER BY o.due_ms, o.id LIMIT ?2",
	[SQ_OUTBOX_LEASE] =
	    "UPDATE outbox SET lease_until_ms = ?2, owner = ?3 WHERE id = ?1",
	[SQ_OUTBOX_SENT] = "UPDATE outbox SET status = 'sent', sent_ms = ?3"
			   " WHERE id = ?1 AND owner = ?2 AND status = 'due'"
			   " AND lease_until_ms > ?3",
	[SQ_OUTBOX_FAILED] =
	    "UPDATE outbox SET attempts = attempts + (?3 >= 0),"
	    " last_error = ?5, lease_until_ms = 0,"
	    " status = CASE WHEN ?3 > 0 THEN 'failed' ELSE 'due' END,"
	    " due_ms = CASE WHEN ?3 > 0 THEN due_ms ELSE ?4 END,"
	    " owner = CASE WHEN ?3 > 0 THEN owner ELSE '' END"
	    " WHERE id = ?1 AND owner = ?2 AND status = 'due'",
	[SQ_OUTBOX_STATS] =
	    "SELECT status, count(*), min(first_due_ms) FROM outbox"
	    " GROUP BY status",
	[SQ_REQ_CONFIRM] = "UPDATE requests SET confirmed_ms = ?2"
			   " WHERE token = ?1 AND confirmed_ms IS NULL",
	[SQ_REQ_CONFIRMED] =
	    "SELECT confirmed_ms FROM requests WHERE token = ?1",
	/* The log's statements are explained in sqlite_log.c. */
	[SQ_LOG_QUEUE] = "INSERT INTO log_pending(request_token) VALUES (?1)",
	[SQ_LOG_PENDING] =
	    "SELECT r.token, r.doc, r.received_ms FROM log_pending p"
	    " JOIN requests r ON r.token = p.request_token"
	    " ORDER BY p.id LIMIT ?1",
	[SQ_LOG_STATE] =
	    "SELECT size, root, checkpoint FROM log_state WHERE id = 1",
	[SQ_LOG_ENTRY_INSERT] =
	    "INSERT INTO log_entries(idx, entry, request_token)"
	    " VALUES (?1, ?2, ?3)",
	[SQ_LOG_STATE_SET] =
	    "INSERT OR REPLACE INTO log_state(id, size, root, checkpoint)"
	    " VALUES (1, ?1, ?2, ?3)",
	[SQ_LOG_DEQUEUE] = "DELETE FROM log_pending WHERE request_token = ?1",
	[SQ_LOG_ENTRIES] = "SELECT idx, entry, request_token FROM log_entries"
			   " WHERE idx >= ?1 AND idx < ?2 ORDER BY idx",
	[SQ_LOG_QUEUE_STATS] =
	    "SELECT count(*), min(r.received_ms) FROM log_pending p"
	    " JOIN requests r ON r.token = p.request_token",
};

/*
 * Schema version 1.  Created inside BEGIN IMMEDIATE, so that worker
 * processes opening a new file at the same time create it exactly once;
 * IF NOT EXISTS keeps it harmless anyway.  Later versions add migration
 * steps keyed on PRAGMA user_version, run in the same transaction.
 */
static const char sq_schema_v1[] =
    "CREATE TABLE IF NOT EXISTS requests ("
    " token TEXT PRIMARY KEY,"
    " reference TEXT UNIQUE NOT NULL,"
    " idempotency_key TEXT UNIQUE NOT NULL,"
    " received_ms INTEGER NOT NULL,"
    " doc BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS blobs ("
    " id TEXT PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " created_ms INTEGER NOT NULL,"
    " size INTEGER," /* NULL while being written */
    " request_token TEXT REFERENCES requests(token));"
    "CREATE INDEX IF NOT EXISTS blobs_unlinked ON blobs(created_ms)"
    " WHERE request_token IS NULL;"
    "CREATE INDEX IF NOT EXISTS blobs_request ON blobs(request_token);"
    "CREATE TABLE IF NOT EXISTS blob_chunks ("
    " blob_id TEXT NOT NULL REFERENCES blobs(id) ON DELETE CASCADE,"
    " seq INTEGER NOT NULL,"
    " data BLOB NOT NULL,"
    " PRIMARY KEY (blob_id, seq));"
    "CREATE TABLE IF NOT EXISTS outbox ("
    " id INTEGER PRIMARY KEY,"
    " request_token TEXT NOT NULL REFERENCES requests(token),"
    " kind TEXT NOT NULL,"
    " recipients TEXT NOT NULL," /* JSON array of addresses */
    " message_id TEXT,"
    " status TEXT NOT NULL DEFAULT 'due',"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " due_ms INTEGER NOT NULL,"
    " lease_until_ms INTEGER NOT NULL DEFAULT 0,"
    " last_error TEXT);"
    "CREATE INDEX IF NOT EXISTS outbox_due ON outbox(status, due_ms);"
    "CREATE INDEX IF NOT EXISTS outbox_request ON outbox(request_token);"
    "PRAGMA user_version = 1;";

/*
 * Schema version 2: who holds an outbox row's lease (owner, '' when none)
 * and when it was sent, for cl_store_outbox_claim() and its kin.
 */
static const char sq_schema_v2[] =
    "ALTER TABLE outbox ADD COLUMN owner TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE outbox ADD COLUMN sent_ms INTEGER;"
    "PRAGMA user_version = 2;";

/*
 * Schema version 3: when an outbox row first became due (first_due_ms, its
 * due_ms at the put, which retries never move), for the age of the oldest
 * pending notification in cl_store_outbox_stats(), with the index that
 * covers that query.  Rows from before know no better than their current
 * due_ms.
 */
static const char sq_schema_v3[] =
    "ALTER TABLE outbox ADD COLUMN first_due_ms INTEGER NOT NULL DEFAULT 0;"
    "UPDATE outbox SET first_due_ms = due_ms;"
    "CREATE INDEX IF NOT EXISTS outbox_first_due"
    " ON outbox(status, first_due_ms);"
    "PRAGMA user_version = 3;";

/*
 * Schema version 4: the requester's address, normalised as
 * st_email_norm() does (NULL when the document has none), with the
 * index that serves cl_store_count_by_email().  Rows from before are
 * filled in from their stored documents by callin_doc_email() (see
 * sq_doc_email), which only the connection that migrates defines.
 */
static const char sq_schema_v4[] =
    "ALTER TABLE requests ADD COLUMN email TEXT;"
    "UPDATE requests SET email = callin_doc_email(doc);"
    "CREATE INDEX IF NOT EXISTS requests_email"
    " ON requests(email, received_ms);"
    "PRAGMA user_version = 4;";

/*
 * Schema version 5: without the index on outbox(request_token).  Nothing
 * looks notifications up by request (requests are never deleted, which is
 * all that index served for the foreign key), and each write had to update
 * one more random page of it.
 */
static const char sq_schema_v5[] = "DROP INDEX IF EXISTS outbox_request;"
				   "PRAGMA user_version = 5;";

/*
 * Schema version 6: when the requester confirmed their address
 * (confirmed_ms, NULL until then), and the normalised addresses of rows
 * from before recomputed where a "+tag" now goes (callin_doc_email, as in
 * version 4).
 */
static const char sq_schema_v6[] =
    "ALTER TABLE requests ADD COLUMN confirmed_ms INTEGER;"
    "UPDATE requests SET email = callin_doc_email(doc) WHERE email LIKE '%+%';"
    "PRAGMA user_version = 6;";

/*
 * Schema version 7: the transparency log (sqlite_log.c): the requests
 * waiting for it in the order they were stored, its entries (one per
 * request at most) and its one state row.
 */
static const char sq_schema_v7[] =
    "CREATE TABLE IF NOT EXISTS log_pending ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " request_token TEXT UNIQUE NOT NULL REFERENCES requests(token));"
    "CREATE TABLE IF NOT EXISTS log_entries ("
    " idx INTEGER PRIMARY KEY,"
    " entry BLOB NOT NULL,"
    " request_token TEXT UNIQUE NOT NULL REFERENCES requests(token));"
    "CREATE TABLE IF NOT EXISTS log_state ("
    " id INTEGER PRIMARY KEY CHECK (id = 1),"
    " size INTEGER NOT NULL,"
    " root BLOB NOT NULL,"
    " checkpoint BLOB NOT NULL);"
    "PRAGMA user_version = 7;";

/*
 * Log the SQLite error rc met while doing what and map it to a cl_err.
 * Every SQLite failure means the store could not do the work: CL_EUNAVAIL.
 * Errors a new connection may cure mark the connection stale.
 */
cl_err
sq_error(struct sq_store *s, int rc, const char *what)
{
	const char *msg;

	msg = s->db != NULL ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);
	cl_log(CL_LOG_ERROR, "store: sqlite %s: %s (%s, code %d)", what, msg,
	    sqlite3_errstr(rc), rc);
	switch (rc & 0xff) {
	case SQLITE_READONLY:
	case SQLITE_CANTOPEN:
	case SQLITE_NOTADB: s->stale = 1; break;
	default: break;
	}
	return CL_EUNAVAIL;
}

/*
 * Return in *out the cached statement id, prepared on first use, reset and
 * ready to bind (every parameter is bound again by each use).  Fails with CL_EUNAVAIL (a schema that cannot be read).
 */
cl_err
sq_stmt(struct sq_store *s, enum sq_stmt id, sqlite3_stmt **out)
{
	int rc;

	*out = NULL;
	if (s->stmt[id] == NULL) {
		rc = sqlite3_prepare_v3(s->db, sq_sql[id], -1,
		    SQLITE_PREPARE_PERSISTENT, &s->stmt[id], NULL);
		if (rc != SQLITE_OK)
			return sq_error(s, rc, sq_sql[id]);
	} else
		sqlite3_reset(s->stmt[id]);
	*out = s->stmt[id];
	return CL_OK;
}

/*
 * Make the connection ready (sq_ready), set PRAGMA synchronous to level
 * unless it is SQ_SYNC_UNKNOWN (sq_sync: outside a transaction only), and
 * return in *out the cached statement id (sq_stmt).  Fails with
 * CL_EUNAVAIL; *out is then NULL.
 */
cl_err
sq_prepare(struct sq_store *s, enum sq_sync level, enum sq_stmt id,
    sqlite3_stmt **out)
{
	cl_err rc;

	*out = NULL;
	if ((rc = sq_ready(s)) != CL_OK ||
	    (level != SQ_SYNC_UNKNOWN && (rc = sq_sync(s, level)) != CL_OK))
		return rc;
	return sq_stmt(s, id, out);
}

/*
 * Step the bound statement stmt to its row and read its first column, an
 * integer (NULL is 0), into *v; then reset it and clear its bindings.
 * Fails with CL_ENOTFOUND when it has no row, CL_EUNAVAIL (logged with
 * what).
 */
cl_err
sq_int_row(struct sq_store *s, sqlite3_stmt *stmt, const char *what, int64_t *v)
{
	cl_err rc = CL_OK;
	int src;

	src = sqlite3_step(stmt);
	if (src == SQLITE_ROW)
		*v = sqlite3_column_int64(stmt, 0);
	else if (src == SQLITE_DONE)
		rc = CL_ENOTFOUND;
	else
		rc = sq_error(s, src, what);
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	return rc;
}

/*
 * Run the cached statement id, which takes no parameters, to its end.
 * Fails with CL_EUNAVAIL, logged with what.
 */
cl_err
sq_exec(struct sq_store *s, enum sq_stmt id, const char *what)
{
	sqlite3_stmt *stmt;
	cl_err rc;
	int src;

	if ((rc = sq_stmt(s, id, &stmt)) != CL_OK)
		goto err;
	while ((src = sqlite3_step(stmt)) == SQLITE_ROW)
		continue;
	if (src != SQLITE_DONE) {
		rc = sq_error(s, src, what);
		goto err;
	}
	rc = CL_OK;
err:
	if (stmt != NULL)
		sqlite3_reset(stmt);
	return rc;
}

/*
 * Set PRAGMA synchronous to level unless it is already there.  Call it
 * outside a transaction.  Fails with CL_EUNAVAIL.
 */
cl_err
sq_sync(struct sq_store *s, enum sq_sync level)
{
	cl_err rc;

	if (s->sync == level)
		return CL_OK;
	s->sync = SQ_SYNC_UNKNOWN;
	rc = sq_exec(s,
	    level == SQ_SYNC_LEVEL_FULL	   ? SQ_SYNC_FULL :
		level == SQ_SYNC_LEVEL_OFF ? SQ_SYNC_OFF :
					     SQ_SYNC_NORMAL,
	    "set synchronous");
	if (rc != CL_OK)
		goto err;
	s->sync = level;
	return CL_OK;
err:
	return rc;
}

/*
 * Roll back the transaction the connection has open, if any.  Cannot fail:
 * when the rollback fails the connection is marked stale, and closing it
 * before the next operation rolls back.
 */
void
sq_rollback(struct sq_store *s)
{
	if (s->db == NULL || sqlite3_get_autocommit(s->db))
		return;
	if (sq_exec(s, SQ_ROLLBACK, "rollback") != CL_OK ||
	    !sqlite3_get_autocommit(s->db)) {
		cl_log(CL_LOG_WARN, "store: sqlite rollback failed, reopening");
		s->stale = 1;
	}
}

/*
 * SQLite's busy handler: wait for a lock another connection holds, in
 * steps of a fraction of a millisecond, until s->busy_ms have passed since
 * the first try (count 0); returning 0 makes the statement fail with
 * SQLITE_BUSY.  The stock handler of sqlite3_busy_timeout() backs off to
 * sleeps of up to 100 ms, far longer than a commit holds the lock here,
 * which would let a waiting worker idle past the latency the service
 * promises.
 */
static int
sq_busy(void *arg, int count)
{
	struct sq_store *s = arg;
	struct timespec nap = { 0, count < 20 ? 100000 : 500000 };

	if (count == 0)
		s->busy_since = cl_mono_ms();
	else if (cl_mono_ms() - s->busy_since >= s->busy_ms)
		return 0;
	nanosleep(&nap, NULL);
	return 1;
}

/* Finalize the cached statements and close the connection.  Cannot fail. */
static void
sq_disconnect(struct sq_store *s)
{
	size_t i;

	for (i = 0; i < SQ__NSTMT; i++) {
		sqlite3_finalize(s->stmt[i]);
		s->stmt[i] = NULL;
	}
	if (s->db != NULL)
		sqlite3_close_v2(s->db);
	s->db = NULL;
	s->sync = SQ_SYNC_UNKNOWN;
}

/*
 * Put the database into WAL mode.  Switching needs a moment of exclusive
 * access, and SQLite answers SQLITE_BUSY rather than waiting when another
 * process is opening the same file, so retry until the busy timeout.
 * Fails with CL_EUNAVAIL.
 */
static cl_err
sq_wal(struct sq_store *s)
{
	sqlite3_stmt *stmt = NULL;
	const unsigned char *mode;
	int64_t deadline;
	int src, wal;
	cl_err rc;

	deadline = cl_mono_ms() + (s->busy_ms > 1000 ? s->busy_ms : 1000);
	for (;;) {
		wal = 0;
		src = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode=WAL", -1,
		    &stmt, NULL);
		if (src == SQLITE_OK &&
		    (src = sqlite3_step(stmt)) == SQLITE_ROW) {
			mode = sqlite3_column_text(stmt, 0);
			wal = mode != NULL &&
			    strcmp((const char *)mode, "wal") == 0;
			src = SQLITE_OK;
		}
		if (wal)
			break;
		if (src != SQLITE_OK && (src & 0xff) != SQLITE_BUSY &&
		    (src & 0xff) != SQLITE_LOCKED) {
			rc = sq_error(s, src, "set journal_mode=WAL");
			goto err;
		}
		if (cl_mono_ms() >= deadline) {
			if (src != SQLITE_OK)
				rc = sq_error(s, src, "set journal_mode=WAL");
			else {
				cl_log(CL_LOG_ERROR,
				    "store: sqlite %s cannot "
				    "use WAL mode",
				    s->path);
				rc = CL_EUNAVAIL;
			}
			goto err;
		}
		sqlite3_finalize(stmt);
		stmt = NULL;
		sqlite3_sleep(10);
	}
	sqlite3_finalize(stmt);
	return CL_OK;
err:
	sqlite3_finalize(stmt);
	return rc;
}

/*
 * The WAL hook of a connection whose commits are synced by sq_sync_wal:
 * note the WAL's size for sq_checkpoint, which runs in its own thread in
 * place of SQLite's automatic checkpoint inside the commit.  Cannot fail.
 */
static int
sq_wal_seen(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct sq_store *s = arg;

	(void)db;
	(void)name;
	__atomic_store_n(&s->wal_pages, pages, __ATOMIC_RELAXED);
	return SQLITE_OK;
}

/*
 * Set up the connection of the one writer with deferred syncs: the WAL
 * hook in place of the automatic checkpoint, and a page cache that keeps
 * the indexes' pages (a cap, taken as used: workers' connections, which
 * stream blobs, keep SQLite's small default).  Cannot fail.
 */
static void
sq_writer(struct sq_store *s)
{
	sqlite3_wal_hook(s->db, sq_wal_seen, s);
	(void)sqlite3_exec(s->db, "PRAGMA cache_size=-32768", NULL, NULL, NULL);
}

/*
 * (Re)open the connection: WAL, synchronous=FULL, foreign keys, the busy
 * handler, the WAL kept under 64 MiB once checkpointed.  The file is
 * created only when create is set (the first open): a reconnect to a file
 * that has gone away fails rather than start an empty database.  A
 * connection SQLite could only open read-only stays stale, so the next
 * operation tries again.  Fails with CL_EUNAVAIL, leaving s->db NULL.
 */
static cl_err
sq_connect(struct sq_store *s, int create)
{
	sqlite3 *db = NULL;
	char *msg = NULL;
	cl_err rc;
	int src;

	sq_disconnect(s);
	src = sqlite3_open_v2(s->path, &db,
	    SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) |
		SQLITE_OPEN_NOMUTEX,
	    NULL);
	if (src != SQLITE_OK) {
		cl_log(CL_LOG_ERROR, "store: sqlite cannot open %s: %s",
		    s->path,
		    db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(src));
		sqlite3_close_v2(db);
		rc = CL_EUNAVAIL;
		goto err;
	}
	s->db = db;
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_handler(db, sq_busy, s);
	if ((rc = sq_wal(s)) != CL_OK)
		goto err;
	src = sqlite3_exec(db,
	    "PRAGMA synchronous=FULL;"
	    "PRAGMA foreign_keys=ON;"
	    "PRAGMA journal_size_limit=67108864;",
	    NULL, NULL, &msg);
	if (src != SQLITE_OK) {
		rc = sq_error(s, src, "set pragmas");
		goto err;
	}
	s->sync = SQ_SYNC_LEVEL_FULL;
	s->stale = 0;
	if (s->deferred)
		sq_writer(s);
	if (sqlite3_db_readonly(db, "main") == 1) {
		cl_log(CL_LOG_WARN, "store: sqlite %s is read-only", s->path);
		s->stale = 1;
	}
	return CL_OK;
err:
	sqlite3_free(msg);
	sq_disconnect(s);
	s->stale = 1;
	return rc;
}

/*
 * Make sure the handle has a usable connection, reopening a stale or lost
 * one.  Fails with CL_EUNAVAIL.
 */
cl_err
sq_ready(struct sq_store *s)
{
	if (s->db != NULL && !s->stale)
		return CL_OK;
	return sq_connect(s, 0);
}

/* Read PRAGMA user_version into *v.  Fails with CL_EUNAVAIL. */
static cl_err
sq_user_version(struct sq_store *s, int *v)
{
	sqlite3_stmt *stmt = NULL;
	cl_err rc;
	int src;

	src = sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &stmt, NULL);
	if (src == SQLITE_OK)
		src = sqlite3_step(stmt);
	if (src != SQLITE_ROW) {
		rc = sq_error(s, src, "read user_version");
		goto err;
	}
	*v = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	return CL_OK;
err:
	sqlite3_finalize(stmt);
	return rc;
}

/*
 * The SQL function callin_doc_email(doc) of the version 4 migration: the
 * normalised fields.email of the BSON document doc (st_doc_email),
 * or NULL when it has none or doc is not a document.  Cannot fail.
 */
static void
sq_doc_email(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const void *data;
	char *email;
	bson_t doc;
	int n;

	(void)argc;
	if (sqlite3_value_type(argv[0]) != SQLITE_BLOB ||
	    (data = sqlite3_value_blob(argv[0])) == NULL ||
	    (n = sqlite3_value_bytes(argv[0])) <= 0 ||
	    !bson_init_static(&doc, data, (size_t)n) ||
	    (email = st_doc_email(&doc)) == NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	sqlite3_result_text(ctx, email, -1, free);
}

/*
 * Create or upgrade the schema to SQ_SCHEMA_VERSION, race-free between
 * processes.  Fails with CL_EUNAVAIL, also for a file written by a newer
 * version of this code.
 */
static cl_err
sq_schema(struct sq_store *s)
{
	char *msg = NULL;
	cl_err rc;
	int src, v;

	if ((rc = sq_user_version(s, &v)) != CL_OK)
		goto err;
	if (v == SQ_SCHEMA_VERSION)
		return CL_OK;
	if ((rc = sq_exec(s, SQ_BEGIN_IMMEDIATE, "begin schema")) != CL_OK)
		goto err;
	if ((rc = sq_user_version(s, &v)) != CL_OK)
		goto err;
	if (v > SQ_SCHEMA_VERSION) {
		cl_log(CL_LOG_ERROR,
		    "store: sqlite %s has schema version %d, "
		    "newer than %d",
		    s->path, v, SQ_SCHEMA_VERSION);
		rc = CL_EUNAVAIL;
		goto err;
	}
	if (v < 1) {
		src = sqlite3_exec(s->db, sq_schema_v1, NULL, NULL, &msg);
		if (src != SQLITE_OK) {
			rc = sq_error(s, src, "create schema");
			goto err;
		}
	}
	if (v < 2) {
		src = sqlite3_exec(s->db, sq_schema_v2, NULL, NULL, &msg);
		if (src != SQLITE_OK) {
			rc = sq_error(s, src, "upgrade schema to version 2");
			goto err;
		}
	}
	if (v < 3) {
		src = sqlite3_exec(s->db, sq_schema_v3, NULL, NULL, &msg);
		if (src != SQLITE_OK) {
			rc = sq_error(s, src, "upgrade schema to version 3");
			goto err;
		}
	}
	src = sqlite3_create_function_v2(s->db, "callin_doc_email", 1,
	    SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY, NULL,
	    sq_doc_email, NULL, NULL, NULL);
	if (src != SQLITE_OK) {
		rc = sq_error(s, src, "define callin_doc_email");
		goto err;
	}
	if (v < 4) {
		src = sqlite3_exec(s->db, sq_schema_v4, NULL, NULL, &msg);
		if (src != SQLITE_OK) {
			rc = sq_error(s, src, "upgrade schema to version 4");
			goto err;
		}
	}
	if (v < 5) {
		src = sqlite3_exec(s->db, sq_schema_v5, NULL, NULL, &msg);
		if (src != SQLITE_OK) {
			rc = sq_error(s, src, "upgrade schema to version 5");
			goto err;
		}
	}
	if (v < 6) {
		src = sqlite3_exec(s->db, sq_schema_v6, NULL, NULL, &msg);
		if (src != SQLITE_OK) {
			rc = sq_error(s, src, "upgrade schema to version 6");
			goto err;
		}
	}
	if (v < 7) {
		src = sqlite3_exec(s->db, sq_schema_v7, NULL, NULL, &msg);
		if (src != SQLITE_OK) {
			rc = sq_error(s, src, "upgrade schema to version 7");
			goto err;
		}
	}
	if ((rc = sq_exec(s, SQ_COMMIT, "commit schema")) != CL_OK)
		goto err;
	return CL_OK;
err:
	sqlite3_free(msg);
	sq_rollback(s);
	return rc;
}

/* The busy timeout: CALLIN_SQLITE_BUSY_MS if valid, else SQ_BUSY_MS. */
static int
sq_busy_timeout(void)
{
	const char *v;
	char *end;
	long ms;

	if ((v = getenv("CALLIN_SQLITE_BUSY_MS")) == NULL || *v == '\0')
		return SQ_BUSY_MS;
	errno = 0;
	ms = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || ms < 0 || ms > INT_MAX) {
		cl_log(CL_LOG_WARN, "store: ignoring CALLIN_SQLITE_BUSY_MS=%s",
		    v);
		return SQ_BUSY_MS;
	}
	return (int)ms;
}

/*
 * Fail with CL_EUNAVAIL, logged, when the directory that would hold path
 * does not exist: SQLite creates the file, never its directory.
 */
static cl_err
sq_check_dir(const char *path)
{
	struct stat sb;
	const char *slash;
	char *dir = NULL;
	cl_err rc;

	if ((slash = strrchr(path, '/')) == NULL)
		return CL_OK;
	dir = cl_strndup(path, slash == path ? 1 : (size_t)(slash - path));
	if (stat(dir, &sb) == -1 || !S_ISDIR(sb.st_mode)) {
		cl_log(CL_LOG_ERROR,
		    "store: sqlite cannot open %s: directory "
		    "%s does not exist",
		    path, dir);
		rc = CL_EUNAVAIL;
		goto err;
	}
	free(dir);
	return CL_OK;
err:
	free(dir);
	return rc;
}

/*
 * Open (creating if needed) the SQLite store in the file path, whose
 * directory must exist.  Fails with CL_EUNAVAIL; *out is then NULL.
 */
cl_err
cl_store_sqlite_open(const char *path, cl_store **out)
{
	struct sq_store *s;
	cl_err rc;

	*out = NULL;
	s = cl_calloc(1, sizeof *s);
	s->base.ops = &sq_ops;
	s->path = cl_strdup(path);
	s->busy_ms = sq_busy_timeout();
	/* The bench's CPU-bound ceiling only; never a configuration key. */
	s->commit_sync = getenv("CALLIN_BENCH_SQLITE_SYNC_OFF") != NULL ?
	    SQ_SYNC_LEVEL_OFF :
	    SQ_SYNC_LEVEL_FULL;
	if (s->commit_sync == SQ_SYNC_LEVEL_OFF)
		cl_log(CL_LOG_WARN,
		    "store: CALLIN_BENCH_SQLITE_SYNC_OFF is set: "
		    "commits are NOT durable (benchmarks only)");
	if ((rc = sq_check_dir(path)) != CL_OK)
		goto err;
	if ((rc = sq_connect(s, 1)) != CL_OK)
		goto err;
	if ((rc = sq_schema(s)) != CL_OK)
		goto err;
	*out = &s->base;
	return CL_OK;
err:
	sq_close(&s->base);
	return rc;
}

/*
 * Commit requests at synchronous=NORMAL from now on: the WAL is appended
 * but not synced by the commit (sq_sync_wal does it for a group).  The
 * bench's synchronous=OFF stays as it is.  Cannot fail.
 */
static void
sq_defer_sync(cl_store *st)
{
	struct sq_store *s = (struct sq_store *)st;

	if (s->commit_sync == SQ_SYNC_LEVEL_FULL)
		s->commit_sync = SQ_SYNC_LEVEL_NORMAL;
	s->deferred = 1;
	if (s->db != NULL)
		sq_writer(s);
}

/*
 * Once the WAL holds SQ_CHECKPOINT_PAGES pages, copy it into the database
 * with a RESTART checkpoint on a connection of its own (opened on first
 * use, used by one thread only), beside the committing and the syncing
 * threads instead of inside a commit.  RESTART waits (up to its short busy
 * timeout) for readers of old frames, so that the next commit starts the
 * WAL again from its beginning: a passive checkpoint, with workers reading
 * all the time, let it grow past 250 MiB, and each append to new blocks
 * made every fdatasync commit the file system's journal too.  (The bench's
 * synchronous=OFF checkpoints without syncing.)  Cannot fail (a failed
 * checkpoint is tried again after the next sync).
 */
static void
sq_checkpoint(cl_store *st)
{
	struct sq_store *s = (struct sq_store *)st;
	int src;

	if (__atomic_load_n(&s->wal_pages, __ATOMIC_RELAXED) <
	    SQ_CHECKPOINT_PAGES)
		return;
	if (s->ckpt == NULL) {
		src = sqlite3_open_v2(s->path, &s->ckpt,
		    SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
		if (src == SQLITE_OK)
			src = sqlite3_exec(s->ckpt,
			    s->commit_sync == SQ_SYNC_LEVEL_OFF ?
				"PRAGMA synchronous=OFF" :
				"PRAGMA synchronous=NORMAL",
			    NULL, NULL, NULL);
		if (src != SQLITE_OK) {
			cl_log(CL_LOG_WARN,
			    "store: sqlite cannot open %s to checkpoint: %s",
			    s->path, sqlite3_errstr(src));
			sqlite3_close_v2(s->ckpt);
			s->ckpt = NULL;
			return;
		}
		sqlite3_busy_timeout(s->ckpt, 100);
	}
	src = sqlite3_wal_checkpoint_v2(s->ckpt, NULL,
	    SQLITE_CHECKPOINT_RESTART, NULL, NULL);
	if (src != SQLITE_OK && (src & 0xff) != SQLITE_BUSY)
		cl_log(CL_LOG_WARN, "store: sqlite checkpoint of %s: %s",
		    s->path, sqlite3_errstr(src));
	else
		__atomic_store_n(&s->wal_pages, 0, __ATOMIC_RELAXED);
}

/*
 * Make the commits made so far durable: fdatasync of the WAL file, through
 * a descriptor of its own (so this may run in another thread than the
 * connection's: it reads nothing of the handle but its path).  At
 * synchronous=NORMAL a checkpoint syncs the WAL before copying it into the
 * database and the database before the WAL is reused, so frames moved out
 * of the WAL are durable already.  Fails with CL_EIO.
 */
static cl_err
sq_sync_wal(cl_store *st)
{
	struct sq_store *s = (struct sq_store *)st;
	char wal[PATH_MAX];
	int fd;
	cl_err rc = CL_EIO;

	if (s->commit_sync == SQ_SYNC_LEVEL_OFF)
		return CL_OK; /* the bench's ceiling: no fsync at all */
	if (snprintf(wal, sizeof wal, "%s-wal", s->path) >= (int)sizeof wal)
		goto err;
	if ((fd = open(wal, O_RDONLY | O_CLOEXEC)) < 0)
		goto err;
	if (fdatasync(fd) == 0)
		rc = CL_OK;
	close(fd);
err:
	if (rc != CL_OK)
		cl_log(CL_LOG_ERROR, "store: sqlite cannot sync %s-wal: %s",
		    s->path, strerror(errno));
	return rc;
}

/* Close the connection and free the handle.  Cannot fail. */
static void
sq_close(cl_store *st)
{
	struct sq_store *s = (struct sq_store *)st;

	sq_disconnect(s);
	sqlite3_close_v2(s->ckpt);
	free(s->path);
	free(s);
}

/*
 * Check the database answers with a read of the requests table.  Fails with
 * CL_EUNAVAIL.
 */
static cl_err
sq_ping(cl_store *st)
{
	struct sq_store *s = (struct sq_store *)st;
	cl_err rc;

	if ((rc = sq_ready(s)) != CL_OK)
		goto err;
	if ((rc = sq_exec(s, SQ_PING, "ping")) != CL_OK)
		goto err;
	return CL_OK;
err:
	return rc;
}

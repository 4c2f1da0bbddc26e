/*
 * sqlite_impl.h: the SQLite store backend's private parts, shared by
 * store_sqlite.c (connection, schema, statement cache, errors),
 * sqlite_blob.c (attachments), sqlite_put.c (request documents) and
 * sqlite_outbox.c (claiming and settling notifications).
 *
 * One handle owns one sqlite3 connection, opened in the process that uses
 * it.  Every prepared statement lives in a cache indexed by enum sq_stmt, is
 * prepared on first use and is reset right after each use so that no
 * statement keeps a read or write transaction open between operations.
 */
#ifndef CALLIN_SQLITE_IMPL_H
#define CALLIN_SQLITE_IMPL_H

#include <stdint.h>

#include <sqlite3.h>

#include "callin/clock.h"
#include "store_impl.h"

/* Bytes per row of blob_chunks; a writer buffers at most one chunk. */
#define SQ_CHUNK (256 * 1024)

/* The schema this code writes and understands (PRAGMA user_version). */
#define SQ_SCHEMA_VERSION 7

/* WAL pages after which sq_sync_wal checkpoints (SQLite's default). */
#define SQ_CHECKPOINT_PAGES 1000

/* Default busy timeout in ms; CALLIN_SQLITE_BUSY_MS overrides it. */
#define SQ_BUSY_MS 5000

/* Cached statements; their SQL is in sq_sql[] in store_sqlite.c. */
enum sq_stmt {
	SQ_BEGIN_IMMEDIATE,
	SQ_COMMIT,
	SQ_ROLLBACK,
	SQ_SAVEPOINT,
	SQ_RELEASE,
	SQ_ROLLBACK_TO,
	SQ_SYNC_FULL,
	SQ_SYNC_NORMAL,
	SQ_SYNC_OFF,
	SQ_PING,
	SQ_BLOB_INSERT,
	SQ_CHUNK_INSERT,
	SQ_BLOB_FINISH,
	SQ_BLOB_REMOVE,
	SQ_BLOB_STATE,
	SQ_CHUNK_SELECT,
	SQ_SWEEP,
	SQ_REQ_INSERT,
	SQ_REQ_BY_TOKEN,
	SQ_REQ_BY_REFERENCE,
	SQ_REQ_BY_IDEMPOTENCY,
	SQ_REQ_TOKEN_BY_IDEMPOTENCY,
	SQ_REQ_COUNT,
	SQ_REQ_COUNT_EMAIL,
	SQ_BLOB_LINK,
	SQ_OUTBOX_INSERT,
	SQ_OUTBOX_DUE,
	SQ_OUTBOX_LEASE,
	SQ_OUTBOX_SENT,
	SQ_OUTBOX_FAILED,
	SQ_OUTBOX_STATS,
	SQ_REQ_CONFIRM,
	SQ_REQ_CONFIRMED,
	SQ_LOG_QUEUE,
	SQ_LOG_PENDING,
	SQ_LOG_STATE,
	SQ_LOG_ENTRY_INSERT,
	SQ_LOG_STATE_SET,
	SQ_LOG_DEQUEUE,
	SQ_LOG_ENTRIES,
	SQ_LOG_QUEUE_STATS,
	SQ__NSTMT
};

/* Durability of the connection's commits (PRAGMA synchronous). */
enum sq_sync {
	SQ_SYNC_UNKNOWN,
	SQ_SYNC_LEVEL_NORMAL,
	SQ_SYNC_LEVEL_FULL,
	SQ_SYNC_LEVEL_OFF, /* benchmarks only: CALLIN_BENCH_SQLITE_SYNC_OFF */
};

struct sq_store {
	struct cl_store base; /* ops; must come first */
	char *path;	      /* database file */
	sqlite3 *db;	      /* NULL after a failed reconnect */
	int stale;	      /* reconnect before the next operation */
	int busy_ms;	      /* busy timeout */
	int64_t busy_since;   /* when the current wait began */
	enum sq_sync sync;    /* current PRAGMA synchronous */
	enum sq_sync
	    commit_sync; /* level of the commits that make requests real */
	int deferred;	 /* cl_store_defer_sync: sq_sync_wal syncs */
	int wal_pages;	 /* pages in the WAL after the last commit (atomic) */
	sqlite3 *ckpt;	 /* sq_sync_wal's own connection, for checkpoints */
	sqlite3_stmt *stmt[SQ__NSTMT];
};

struct sq_blob {
	struct cl_blob base; /* ops; must come first */
	struct sq_store *st;
	char id[CL_BLOB_ID_MAX];
	unsigned char *chunk; /* SQ_CHUNK bytes, allocated when needed */
	size_t fill;	      /* bytes buffered in chunk */
	int64_t seq;	      /* next chunk number */
	int64_t size;	      /* bytes written so far */
	cl_err failed;	      /* first write error, CL_OK if none */
};

/* store_sqlite.c */
cl_err sq_ready(struct sq_store *);
cl_err sq_stmt(struct sq_store *, enum sq_stmt, sqlite3_stmt **);
cl_err sq_prepare(struct sq_store *, enum sq_sync, enum sq_stmt,
    sqlite3_stmt **);
cl_err sq_int_row(struct sq_store *, sqlite3_stmt *, const char *, int64_t *);
cl_err sq_exec(struct sq_store *, enum sq_stmt, const char *);
cl_err sq_sync(struct sq_store *, enum sq_sync);
cl_err sq_error(struct sq_store *, int, const char *);
void sq_rollback(struct sq_store *);

/* sqlite_blob.c */
cl_err sq_blob_open(cl_store *, const char *, cl_blob **);
cl_err sq_blob_write(cl_blob *, const void *, size_t);
cl_err sq_blob_finish(cl_blob *, char *);
void sq_blob_abort(cl_blob *);
cl_err sq_blob_delete(cl_store *, const char *);
cl_err sq_blob_read(cl_store *, const char *, cl_store_sink, void *);
cl_err sq_sweep(cl_store *, int64_t, int64_t *);

/* sqlite_put.c */
cl_err sq_put(cl_store *, struct st_put *);
cl_err sq_put_batch(cl_store *, struct st_put *, size_t);
cl_err sq_get(cl_store *, cl_store_key, const char *, bson_t *);
cl_err sq_count(cl_store *, int64_t *);
cl_err sq_count_by_email(cl_store *, const char *, int64_t, int64_t *);
cl_err sq_confirm(cl_store *, const char *, int64_t, const cl_reqdoc_note *,
    size_t);
cl_err sq_confirmed(cl_store *, const char *, int64_t *);

/* sqlite_log.c */
cl_err sq_log_enqueue(struct sq_store *, const cl_reqdoc *);
cl_err sq_log_pending(cl_store *, size_t, cl_store_pending **, size_t *);
cl_err sq_log_state(cl_store *, cl_store_logstate *);
cl_err sq_log_append(cl_store *, const cl_store_logstate *,
    const cl_store_logstate *, const cl_store_entry *, size_t);
cl_err sq_log_entries(cl_store *, int64_t, int64_t, cl_store_entry **,
    size_t *);
cl_err sq_log_queue(cl_store *, int64_t *, int64_t *);

/* sqlite_outbox.c */
cl_err sq_outbox_claim(cl_store *, int64_t, int64_t, const char *, size_t,
    cl_notification **, size_t *);
cl_err sq_outbox_sent(cl_store *, const char *, const char *, int64_t);
cl_err sq_outbox_failed(cl_store *, const char *, const char *, int, int64_t,
    const char *);
cl_err sq_outbox_stats(cl_store *, int64_t, cl_outbox_stats *);

#endif /* CALLIN_SQLITE_IMPL_H */

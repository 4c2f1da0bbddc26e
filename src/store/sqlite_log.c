/*
 * sqlite_log.c: the transparency log's part of the SQLite store (see
 * store.h): the queue of requests waiting for the log (log_pending, one
 * row a request written in the put's own transaction, ordered by its
 * autoincrement id), the entries (log_entries, idx the primary key, one
 * entry a request at most) and the one state row (log_state: size, root,
 * signed checkpoint).  An append is one transaction, BEGIN IMMEDIATE to
 * COMMIT at synchronous=FULL: the state is compared with the caller's old
 * one inside it, so a lost compare-and-swap writes nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "callin/alloc.h"
#include "callin/err.h"
#include "callin/log.h"
#include "sqlite_impl.h"

/*
 * Queue the checked request r (which has a log key) for the log, inside
 * the put's open transaction.  Fails with CL_EUNAVAIL.
 */
cl_err
sq_log_enqueue(struct sq_store *s, const cl_reqdoc *r)
{
	sqlite3_stmt *stmt;
	cl_err rc;
	int src;

	if ((rc = sq_stmt(s, SQ_LOG_QUEUE, &stmt)) != CL_OK)
		return rc;
	sqlite3_bind_text(stmt, 1, r->token, -1, SQLITE_STATIC);
	src = sqlite3_step(stmt);
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	if (src != SQLITE_DONE)
		return sq_error(s, src, "queue for the log");
	return CL_OK;
}

/*
 * The oldest max queued requests, with their receipts, into *out and *n
 * (reset by store.c).  A stored document without a receipt string is
 * logged as an error and skipped (cl_reqdoc_parse() refuses those).
 * Fails with CL_EUNAVAIL.
 */
cl_err
sq_log_pending(cl_store *st, size_t max, cl_store_pending **out, size_t *n)
{
	struct sq_store *s = (struct sq_store *)st;
	sqlite3_stmt *stmt = NULL;
	cl_store_pending *v = NULL;
	const unsigned char *tok;
	const void *data;
	const char *rcpt;
	size_t len;
	bson_t doc;
	int src, bytes;
	cl_err rc;

	if ((rc = sq_prepare(s, SQ_SYNC_UNKNOWN, SQ_LOG_PENDING, &stmt)) !=
	    CL_OK)
		goto err;
	sqlite3_bind_int64(stmt, 1, (int64_t)max);
	v = cl_calloc(max, sizeof *v);
	while ((src = sqlite3_step(stmt)) == SQLITE_ROW) {
		tok = sqlite3_column_text(stmt, 0);
		data = sqlite3_column_blob(stmt, 1);
		bytes = sqlite3_column_bytes(stmt, 1);
		rcpt = NULL;
		if (data != NULL && bytes > 0 &&
		    bson_init_static(&doc, data, (size_t)bytes))
			rcpt = cl_reqdoc_str(&doc, CL_DOC_RECEIPT, NULL, &len);
		if (tok == NULL || rcpt == NULL || len == 0 ||
		    strlen((const char *)tok) >= CL_TOKEN_MAX) {
			cl_log(CL_LOG_ERROR,
			    "store: a request queued for the log has no "
			    "receipt");
			continue;
		}
		CL_ASSERT(*n < max);
		snprintf(v[*n].token, CL_TOKEN_MAX, "%s", (const char *)tok);
		v[*n].receipt = cl_strndup(rcpt, len);
		v[*n].receipt_len = len;
		v[*n].received_ms = sqlite3_column_int64(stmt, 2);
		(*n)++;
	}
	if (src != SQLITE_DONE) {
		rc = sq_error(s, src, "read the log queue");
		goto err;
	}
	if (*n == 0) {
		free(v);
		v = NULL;
	}
	rc = CL_OK;
err:
	if (stmt != NULL) {
		sqlite3_reset(stmt);
		sqlite3_clear_bindings(stmt);
	}
	*out = v;
	return rc;
}

/*
 * Read the state row into *out (zeroed by the caller: the empty state when
 * there is no row), on the connection as it is (inside a transaction it
 * reads that transaction's view).  Fails with CL_EUNAVAIL, also for a
 * state row not shaped as this code writes it.
 */
static cl_err
state_read(struct sq_store *s, cl_store_logstate *out)
{
	sqlite3_stmt *stmt;
	const void *root, *cp;
	int src, cpn;
	cl_err rc = CL_OK;

	if ((rc = sq_stmt(s, SQ_LOG_STATE, &stmt)) != CL_OK)
		return rc;
	src = sqlite3_step(stmt);
	if (src == SQLITE_ROW) {
		root = sqlite3_column_blob(stmt, 1);
		cp = sqlite3_column_blob(stmt, 2);
		cpn = sqlite3_column_bytes(stmt, 2);
		if (root == NULL ||
		    sqlite3_column_bytes(stmt, 1) != CL_STORE_LOG_HASH ||
		    cp == NULL || cpn <= 0) {
			cl_log(CL_LOG_ERROR, "store: the log state is damaged");
			rc = CL_EUNAVAIL;
		} else {
			out->size = sqlite3_column_int64(stmt, 0);
			memcpy(out->root, root, CL_STORE_LOG_HASH);
			out->checkpoint = cl_strndup(cp, (size_t)cpn);
			out->checkpoint_len = (size_t)cpn;
		}
	} else if (src != SQLITE_DONE)
		rc = sq_error(s, src, "read the log state");
	sqlite3_reset(stmt);
	return rc;
}

/* The state (see store.h) into *out, zeroed by store.c.  CL_EUNAVAIL. */
cl_err
sq_log_state(cl_store *st, cl_store_logstate *out)
{
	struct sq_store *s = (struct sq_store *)st;
	cl_err rc;

	if ((rc = sq_ready(s)) != CL_OK)
		return rc;
	return state_read(s, out);
}

/*
 * Step the bound statement stmt to its end and reset it; a unique
 * constraint gives CL_EDUP (quietly), anything else CL_EUNAVAIL (logged
 * with what).
 */
static cl_err
step_write(struct sq_store *s, sqlite3_stmt *stmt, const char *what)
{
	int src;

	src = sqlite3_step(stmt);
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	if ((src & 0xff) == SQLITE_CONSTRAINT) {
		cl_log(CL_LOG_WARN, "store: %s: already in the log", what);
		return CL_EDUP;
	}
	if (src != SQLITE_DONE)
		return sq_error(s, src, what);
	return CL_OK;
}

/*
 * Append the checked batch (see store.h) in one transaction at
 * synchronous=FULL: compare the state with old, insert the entries, write
 * the new state, remove the requests from the queue.  Fails with CL_EDUP
 * (the state moved on, or a token is already an entry) or CL_EUNAVAIL;
 * the transaction is rolled back then.
 */
cl_err
sq_log_append(cl_store *st, const cl_store_logstate *old,
    const cl_store_logstate *next, const cl_store_entry *v, size_t n)
{
	struct sq_store *s = (struct sq_store *)st;
	cl_store_logstate cur;
	sqlite3_stmt *stmt;
	size_t i;
	cl_err rc;

	memset(&cur, 0, sizeof cur);
	if ((rc = sq_ready(s)) != CL_OK ||
	    (rc = sq_sync(s, SQ_SYNC_LEVEL_FULL)) != CL_OK ||
	    (rc = sq_exec(s, SQ_BEGIN_IMMEDIATE, "begin log append")) != CL_OK)
		goto err;
	if ((rc = state_read(s, &cur)) != CL_OK)
		goto err;
	if (!st_log_state_is(&cur, old)) {
		rc = CL_EDUP;
		goto err;
	}
	for (i = 0; i < n; i++) {
		if ((rc = sq_stmt(s, SQ_LOG_ENTRY_INSERT, &stmt)) != CL_OK)
			goto err;
		sqlite3_bind_int64(stmt, 1, v[i].idx);
		sqlite3_bind_blob(stmt, 2, v[i].entry, (int)v[i].len,
		    SQLITE_STATIC);
		sqlite3_bind_text(stmt, 3, v[i].token, -1, SQLITE_STATIC);
		if ((rc = step_write(s, stmt, "insert log entry")) != CL_OK)
			goto err;
		if ((rc = sq_stmt(s, SQ_LOG_DEQUEUE, &stmt)) != CL_OK)
			goto err;
		sqlite3_bind_text(stmt, 1, v[i].token, -1, SQLITE_STATIC);
		if ((rc = step_write(s, stmt, "dequeue")) != CL_OK)
			goto err;
	}
	if ((rc = sq_stmt(s, SQ_LOG_STATE_SET, &stmt)) != CL_OK)
		goto err;
	sqlite3_bind_int64(stmt, 1, next->size);
	sqlite3_bind_blob(stmt, 2, next->root, CL_STORE_LOG_HASH,
	    SQLITE_STATIC);
	sqlite3_bind_blob(stmt, 3, next->checkpoint, (int)next->checkpoint_len,
	    SQLITE_STATIC);
	if ((rc = step_write(s, stmt, "write log state")) != CL_OK)
		goto err;
	if ((rc = sq_exec(s, SQ_COMMIT, "commit log append")) != CL_OK)
		goto err;
	cl_store_logstate_free(&cur);
	return CL_OK;
err:
	sq_rollback(s);
	cl_store_logstate_free(&cur);
	return rc;
}

/*
 * The entries of index from to to - 1, in order, into *out and *n (reset
 * by store.c, which checks that none is missing).  Fails with
 * CL_EUNAVAIL.
 */
cl_err
sq_log_entries(cl_store *st, int64_t from, int64_t to, cl_store_entry **out,
    size_t *n)
{
	struct sq_store *s = (struct sq_store *)st;
	sqlite3_stmt *stmt = NULL;
	cl_store_entry *v;
	const unsigned char *tok;
	const void *e;
	size_t max = (size_t)(to - from);
	int src, len;
	cl_err rc;

	v = cl_calloc(max, sizeof *v);
	*out = v;
	if ((rc = sq_prepare(s, SQ_SYNC_UNKNOWN, SQ_LOG_ENTRIES, &stmt)) !=
	    CL_OK)
		goto err;
	sqlite3_bind_int64(stmt, 1, from);
	sqlite3_bind_int64(stmt, 2, to);
	while ((src = sqlite3_step(stmt)) == SQLITE_ROW && *n < max) {
		e = sqlite3_column_blob(stmt, 1);
		len = sqlite3_column_bytes(stmt, 1);
		tok = sqlite3_column_text(stmt, 2);
		if (e == NULL || len <= 0 || tok == NULL ||
		    strlen((const char *)tok) >= CL_TOKEN_MAX)
			break; /* store.c reports the gap */
		v[*n].idx = sqlite3_column_int64(stmt, 0);
		snprintf(v[*n].token, CL_TOKEN_MAX, "%s", (const char *)tok);
		v[*n].entry = cl_strndup(e, (size_t)len);
		v[*n].len = (size_t)len;
		(*n)++;
	}
	if (src != SQLITE_DONE && src != SQLITE_ROW) {
		rc = sq_error(s, src, "read log entries");
		goto err;
	}
	rc = CL_OK;
err:
	if (stmt != NULL) {
		sqlite3_reset(stmt);
		sqlite3_clear_bindings(stmt);
	}
	return rc;
}

/* The queue's length and oldest received_ms (see store.h).  CL_EUNAVAIL. */
cl_err
sq_log_queue(cl_store *st, int64_t *n, int64_t *oldest_ms)
{
	struct sq_store *s = (struct sq_store *)st;
	sqlite3_stmt *stmt;
	cl_err rc;
	int src;

	if ((rc = sq_prepare(s, SQ_SYNC_UNKNOWN, SQ_LOG_QUEUE_STATS, &stmt)) !=
	    CL_OK)
		return rc;
	src = sqlite3_step(stmt);
	if (src == SQLITE_ROW) {
		*n = sqlite3_column_int64(stmt, 0);
		*oldest_ms = sqlite3_column_int64(stmt, 1);
	} else
		rc = sq_error(s, src, "count the log queue");
	sqlite3_reset(stmt);
	return rc;
}

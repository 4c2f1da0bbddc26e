/*
 * sqlite_put.c: request documents in the SQLite store: the one durable
 * write that makes a request real (the request row, its blobs linked and
 * its notifications queued in the outbox, in one transaction committed at
 * synchronous=FULL), and the reads by unique key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callin/alloc.h"
#include "callin/buf.h"
#include "callin/err.h"
#include "callin/log.h"
#include "sqlite_impl.h"

/*
 * Link every blob the request names to it: each must be finished and not
 * yet linked.  Fails with CL_EINVAL (unknown, unfinished or already linked
 * blob), CL_EUNAVAIL.
 */
static cl_err
put_link(struct sq_store *s, const cl_reqdoc *r)
{
	sqlite3_stmt *stmt = NULL;
	cl_err rc;
	size_t i;
	int src;

	for (i = 0; i < r->nblobs; i++) {
		if ((rc = sq_stmt(s, SQ_BLOB_LINK, &stmt)) != CL_OK)
			goto err;
		sqlite3_bind_text(stmt, 1, r->blob_ids[i], -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 2, r->token, -1, SQLITE_STATIC);
		if ((src = sqlite3_step(stmt)) != SQLITE_DONE) {
			rc = sq_error(s, src, "link blob");
			goto err;
		}
		if (sqlite3_changes(s->db) != 1) {
			cl_log(CL_LOG_WARN,
			    "store: blob %s is unknown or "
			    "already linked",
			    r->blob_ids[i]);
			rc = CL_EINVAL;
			goto err;
		}
		sqlite3_reset(stmt);
		stmt = NULL;
	}
	return CL_OK;
err:
	if (stmt != NULL)
		sqlite3_reset(stmt);
	return rc;
}

/*
 * Queue the n checked notes v in the outbox for the request token, each at
 * its due_ms, recipients as a JSON array.  Fails with CL_EUNAVAIL.
 */
static cl_err
put_notes(struct sq_store *s, const char *token, const cl_reqdoc_note *v,
    size_t n)
{
	sqlite3_stmt *stmt = NULL;
	cl_buf to = CL_BUF_INIT;
	size_t i, j;
	cl_err rc;
	int src;

	for (i = 0; i < n; i++) {
		cl_buf_reset(&to);
		cl_buf_putc(&to, '[');
		for (j = 0; j < v[i].nto; j++) {
			cl_buf_puts(&to, j > 0 ? ",\"" : "\"");
			cl_buf_json(&to, v[i].to[j], strlen(v[i].to[j]));
			cl_buf_putc(&to, '"');
		}
		cl_buf_putc(&to, ']');
		if ((rc = sq_stmt(s, SQ_OUTBOX_INSERT, &stmt)) != CL_OK)
			goto err;
		sqlite3_bind_text(stmt, 1, token, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 2, v[i].kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 3, to.data, (int)to.len, SQLITE_STATIC);
		if (v[i].message_id != NULL)
			sqlite3_bind_text(stmt, 4, v[i].message_id, -1,
			    SQLITE_STATIC);
		else
			sqlite3_bind_null(stmt, 4);
		sqlite3_bind_int64(stmt, 5, v[i].due_ms);
		if ((src = sqlite3_step(stmt)) != SQLITE_DONE) {
			rc = sq_error(s, src, "insert outbox");
			goto err;
		}
		sqlite3_reset(stmt);
		stmt = NULL;
	}
	cl_buf_free(&to);
	return CL_OK;
err:
	if (stmt != NULL)
		sqlite3_reset(stmt);
	cl_buf_free(&to);
	return rc;
}

/*
 * After the request insert hit a unique constraint (inside the still open
 * transaction): CL_EDUP, with existing_token (if not NULL) set to the token
 * of the request holding the same idempotency key, or "" when the clash is
 * on the reference or token.  CL_EUNAVAIL when the lookup fails.
 */
static cl_err
put_dup(struct sq_store *s, const cl_reqdoc *r, char *existing_token)
{
	sqlite3_stmt *stmt = NULL;
	const unsigned char *t;
	cl_err rc;
	int src;

	if ((rc = sq_stmt(s, SQ_REQ_TOKEN_BY_IDEMPOTENCY, &stmt)) != CL_OK)
		goto err;
	sqlite3_bind_text(stmt, 1, r->idempotency_key, -1, SQLITE_STATIC);
	src = sqlite3_step(stmt);
	if (src != SQLITE_ROW && src != SQLITE_DONE) {
		rc = sq_error(s, src, "look up idempotency key");
		goto err;
	}
	if (existing_token != NULL) {
		existing_token[0] = '\0';
		if (src == SQLITE_ROW &&
		    (t = sqlite3_column_text(stmt, 0)) != NULL)
			snprintf(existing_token, CL_TOKEN_MAX, "%s",
			    (const char *)t);
	}
	sqlite3_reset(stmt);
	return CL_EDUP;
err:
	if (stmt != NULL)
		sqlite3_reset(stmt);
	return rc;
}

/*
 * Count into *n the requests whose email column is email (normalised) with
 * received_ms at or after since_ms, on the connection as it is (inside a
 * transaction it counts what that transaction wrote).  Fails with
 * CL_EUNAVAIL.
 */
static cl_err
count_email(struct sq_store *s, const char *email, int64_t since_ms, int64_t *n)
{
	sqlite3_stmt *stmt;
	cl_err rc;

	if ((rc = sq_stmt(s, SQ_REQ_COUNT_EMAIL, &stmt)) != CL_OK)
		return rc;
	sqlite3_bind_text(stmt, 1, email, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, since_ms);
	return sq_int_row(s, stmt, "count requests by email", n);
}

/*
 * Write the checked request p (request row, blob links, outbox rows) inside
 * the open transaction, under a savepoint released on success and rolled
 * back to on failure, so that nothing of a refused document stays.  The
 * email column gets its normalised fields.email (NULL when none); with
 * p->email_max set, an address already at its limit is refused first.
 * Returns the outcome: CL_OK, CL_EINVAL (unknown or linked blob), CL_EDUP
 * (see put_dup), CL_ELIMIT, CL_EUNAVAIL.
 */
static cl_err
put_one(struct sq_store *s, struct st_put *p)
{
	const cl_reqdoc *r = &p->req;
	sqlite3_stmt *stmt = NULL;
	int64_t n = 0;
	int saved = 0, src;
	cl_err rc;

	if (p->email_max > 0 && p->email != NULL) {
		if ((rc = count_email(s, p->email, p->email_since_ms, &n)) !=
		    CL_OK)
			goto err;
		if (n >= p->email_max) {
			rc = CL_ELIMIT;
			goto err;
		}
	}
	if ((rc = sq_exec(s, SQ_SAVEPOINT, "savepoint")) != CL_OK)
		goto err;
	saved = 1;
	if ((rc = sq_stmt(s, SQ_REQ_INSERT, &stmt)) != CL_OK)
		goto err;
	sqlite3_bind_text(stmt, 1, r->token, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, r->reference, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, r->idempotency_key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 4, r->received_ms);
	sqlite3_bind_blob(stmt, 5, bson_get_data(r->doc), (int)r->doc->len,
	    SQLITE_STATIC);
	if (p->email != NULL)
		sqlite3_bind_text(stmt, 6, p->email, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(stmt, 6);
	src = sqlite3_step(stmt);
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	stmt = NULL;
	if ((src & 0xff) == SQLITE_CONSTRAINT) {
		rc = put_dup(s, r, p->existing_token);
		goto err;
	}
	if (src != SQLITE_DONE) {
		rc = sq_error(s, src, "insert request");
		goto err;
	}
	if ((rc = put_link(s, r)) != CL_OK ||
	    (rc = put_notes(s, r->token, r->notes, r->nnotes)) != CL_OK ||
	    (r->log != NULL && (rc = sq_log_enqueue(s, r)) != CL_OK))
		goto err;
	if ((rc = sq_exec(s, SQ_RELEASE, "release savepoint")) != CL_OK)
		goto err;
	return CL_OK;
err:
	/* SQLite may have rolled the whole transaction back by itself. */
	if (saved && !sqlite3_get_autocommit(s->db) &&
	    (sq_exec(s, SQ_ROLLBACK_TO, "roll back to savepoint") != CL_OK ||
		sq_exec(s, SQ_RELEASE, "release savepoint") != CL_OK))
		rc = CL_EUNAVAIL;
	return rc;
}

/*
 * Store the n documents of v in one transaction committed at the commit
 * level (synchronous=FULL, one fsync for them all; NORMAL after
 * cl_store_defer_sync, the caller syncing), each under its own
 * savepoint (put_one).  Outcomes in v[i].rc; see cl_store_put_batch().
 * Fails with CL_EUNAVAIL when the transaction cannot be made: nothing of
 * the batch is stored, and every item not already refused for its own
 * reason gets CL_EUNAVAIL.
 */
cl_err
sq_put_batch(cl_store *st, struct st_put *v, size_t n)
{
	struct sq_store *s = (struct sq_store *)st;
	cl_err rc;

	if ((rc = sq_ready(s)) != CL_OK)
		goto err;
	if ((rc = sq_sync(s, s->commit_sync)) != CL_OK)
		goto err;
	if ((rc = sq_exec(s, SQ_BEGIN_IMMEDIATE, "begin put")) != CL_OK)
		goto err;
	for (size_t i = 0; i < n; i++) {
		v[i].rc = put_one(s, &v[i]);
		if (v[i].rc == CL_EUNAVAIL || sqlite3_get_autocommit(s->db)) {
			rc = CL_EUNAVAIL;
			goto err;
		}
	}
	if ((rc = sq_exec(s, SQ_COMMIT, "commit put")) != CL_OK)
		goto err;
	return CL_OK;
err:
	sq_rollback(s);
	for (size_t i = 0; i < n; i++)
		if (v[i].rc == CL_OK)
			v[i].rc = CL_EUNAVAIL;
	return rc;
}

/*
 * Store one checked request: a batch of one.  Sets and returns p->rc, as
 * put_one does; nothing is stored when it fails.
 */
cl_err
sq_put(cl_store *st, struct st_put *p)
{
	(void)sq_put_batch(st, p, 1); /* its outcome is p->rc */
	return p->rc;
}

/*
 * Copy into out (initialised by store.c) the document stored under the
 * unique key named by key (checked by store.c).  Fails with CL_ENOTFOUND,
 * CL_EUNAVAIL (also a corrupt document).
 */
cl_err
sq_get(cl_store *st, cl_store_key key, const char *value, bson_t *out)
{
	static const enum sq_stmt by_key[] = {
		[CL_KEY_TOKEN] = SQ_REQ_BY_TOKEN,
		[CL_KEY_REFERENCE] = SQ_REQ_BY_REFERENCE,
		[CL_KEY_IDEMPOTENCY] = SQ_REQ_BY_IDEMPOTENCY,
	};
	struct sq_store *s = (struct sq_store *)st;
	sqlite3_stmt *stmt = NULL;
	enum sq_stmt id;
	const void *data;
	bson_t tmp;
	cl_err rc;
	int n, src;

	CL_ASSERT(
	    (size_t)key < sizeof by_key / sizeof by_key[0] && value != NULL);
	id = by_key[key];
	if ((rc = sq_prepare(s, SQ_SYNC_UNKNOWN, id, &stmt)) != CL_OK)
		goto err;
	sqlite3_bind_text(stmt, 1, value, -1, SQLITE_STATIC);
	if ((src = sqlite3_step(stmt)) == SQLITE_DONE) {
		rc = CL_ENOTFOUND;
		goto err;
	}
	if (src != SQLITE_ROW) {
		rc = sq_error(s, src, "get request");
		goto err;
	}
	data = sqlite3_column_blob(stmt, 0);
	n = sqlite3_column_bytes(stmt, 0);
	if (data == NULL || !bson_init_static(&tmp, data, (size_t)n)) {
		cl_log(CL_LOG_ERROR,
		    "store: stored document for %s is "
		    "corrupt",
		    value);
		rc = CL_EUNAVAIL;
		goto err;
	}
	bson_copy_to(&tmp, out);
	rc = CL_OK;
err:
	if (stmt != NULL)
		sqlite3_reset(stmt);
	return rc;
}

/* Count the stored requests into *n.  Fails with CL_EUNAVAIL. */
cl_err
sq_count(cl_store *st, int64_t *n)
{
	struct sq_store *s = (struct sq_store *)st;
	sqlite3_stmt *stmt;
	cl_err rc;

	if ((rc = sq_prepare(s, SQ_SYNC_UNKNOWN, SQ_REQ_COUNT, &stmt)) != CL_OK)
		return rc;
	return sq_int_row(s, stmt, "count requests", n);
}

/*
 * Count into *n the requests whose email column equals email (already
 * normalised) with received_ms at or after since_ms, on the requests_email
 * index.  Fails with CL_EUNAVAIL.
 */
cl_err
sq_count_by_email(cl_store *st, const char *email, int64_t since_ms, int64_t *n)
{
	struct sq_store *s = (struct sq_store *)st;
	cl_err rc;

	if ((rc = sq_ready(s)) != CL_OK)
		return rc;
	return count_email(s, email, since_ms, n);
}

/*
 * Into *at the confirmed_ms of the request token (0 while NULL), on the
 * connection as it is.  Fails with CL_ENOTFOUND, CL_EUNAVAIL.
 */
static cl_err
confirmed_at(struct sq_store *s, const char *token, int64_t *at)
{
	sqlite3_stmt *stmt;
	cl_err rc;

	*at = 0;
	if ((rc = sq_stmt(s, SQ_REQ_CONFIRMED, &stmt)) != CL_OK)
		return rc;
	sqlite3_bind_text(stmt, 1, token, -1, SQLITE_STATIC);
	if ((rc = sq_int_row(s, stmt, "read confirmation", at)) != CL_OK)
		*at = 0;
	return rc;
}

/*
 * cl_store_confirm(): in one BEGIN IMMEDIATE transaction committed at the
 * commit level, set confirmed_ms where it is NULL and queue the n checked
 * notes v.  CL_OK, CL_EDUP (confirmed before), CL_ENOTFOUND, CL_EUNAVAIL;
 * nothing is written unless CL_OK.
 */
cl_err
sq_confirm(cl_store *st, const char *token, int64_t now_ms,
    const cl_reqdoc_note *v, size_t n)
{
	struct sq_store *s = (struct sq_store *)st;
	sqlite3_stmt *stmt = NULL;
	int64_t at;
	int began = 0, src;
	cl_err rc;

	if ((rc = sq_ready(s)) != CL_OK ||
	    (rc = sq_sync(s, s->commit_sync)) != CL_OK ||
	    (rc = sq_exec(s, SQ_BEGIN_IMMEDIATE, "begin confirm")) != CL_OK)
		goto err;
	began = 1;
	if ((rc = sq_stmt(s, SQ_REQ_CONFIRM, &stmt)) != CL_OK)
		goto err;
	sqlite3_bind_text(stmt, 1, token, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, now_ms);
	src = sqlite3_step(stmt);
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	if (src != SQLITE_DONE) {
		rc = sq_error(s, src, "confirm request");
		goto err;
	}
	if (sqlite3_changes(s->db) == 0) {
		if ((rc = confirmed_at(s, token, &at)) == CL_OK)
			rc = CL_EDUP;
		goto err;
	}
	if ((rc = put_notes(s, token, v, n)) != CL_OK ||
	    (rc = sq_exec(s, SQ_COMMIT, "commit confirm")) != CL_OK)
		goto err;
	return CL_OK;
err:
	if (began)
		sq_rollback(s);
	return rc;
}

/* cl_store_confirmed().  Fails with CL_ENOTFOUND, CL_EUNAVAIL. */
cl_err
sq_confirmed(cl_store *st, const char *token, int64_t *confirmed_ms)
{
	struct sq_store *s = (struct sq_store *)st;
	cl_err rc;

	if ((rc = sq_ready(s)) != CL_OK)
		return rc;
	return confirmed_at(s, token, confirmed_ms);
}

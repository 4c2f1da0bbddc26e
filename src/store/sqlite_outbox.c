/*
 * sqlite_outbox.c: the outbox of the SQLite store: claiming due
 * notifications with a lease, recording their outcome, and the counts for
 * metrics and health.
 *
 * The rows are written by cl_store_put() (sqlite_put.c), one per element of
 * the request's notifications, in the transaction that stores the request.
 * A row is due while status is 'due'; it may be claimed once due_ms has
 * come and any lease has run out (lease_until_ms <= now).  A retry moves
 * due_ms on; first_due_ms keeps the row's due_ms from the put, for the
 * age of the oldest pending notification in the stats.  A claim sets
 * lease_until_ms and owner in one BEGIN IMMEDIATE transaction, so two
 * claimers, in this process or another, never lease the same row at once.
 * Only the lease's owner settles a row, and only while status is 'due':
 * once another claimer has taken a lapsed lease over, the first owner's
 * report finds nothing (CL_ENOTFOUND) and cannot overwrite it.
 *
 * An outbox id is the row id in decimal.  Every write here commits at
 * synchronous=FULL: a lease or a "sent" lost to a power cut would mean a
 * message sent twice.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callin/alloc.h"
#include "callin/buf.h"
#include "callin/log.h"
#include "sqlite_impl.h"

/*
 * Parse the outbox id s (a positive decimal row id) into *row.  Fails with
 * CL_ENOTFOUND for anything else: no such row can exist.
 */
static cl_err
ob_parse_id(const char *s, int64_t *row)
{
	char *end;
	long long v;

	if (*s < '1' || *s > '9')
		return CL_ENOTFOUND;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return CL_ENOTFOUND;
	*row = v;
	return CL_OK;
}

/*
 * Fill n->to and n->nto from the JSON array of address strings json (the
 * recipients column).  Fails with CL_EUNAVAIL, logged, when it is not one:
 * the file holds something this code never wrote.
 */
static cl_err
ob_recipients(const char *json, int64_t row, cl_notification *n)
{
	bson_t doc = BSON_INITIALIZER;
	bson_iter_t it, arr;
	bson_error_t berr;
	cl_buf b = CL_BUF_INIT;
	cl_err rc;

	cl_buf_puts(&b, "{\"to\":");
	cl_buf_puts(&b, json);
	cl_buf_putc(&b, '}');
	if (!bson_init_from_json(&doc, b.data, (ssize_t)b.len, &berr) ||
	    !bson_iter_init_find(&it, &doc, "to") ||
	    !BSON_ITER_HOLDS_ARRAY(&it) || !bson_iter_recurse(&it, &arr))
		goto corrupt;
	while (bson_iter_next(&arr)) {
		if (!BSON_ITER_HOLDS_UTF8(&arr))
			goto corrupt;
		st_note_add_to(n, bson_iter_utf8(&arr, NULL));
	}
	bson_destroy(&doc);
	cl_buf_free(&b);
	return CL_OK;
corrupt:
	cl_log(CL_LOG_ERROR,
	    "store: outbox row %" PRId64 " has corrupt "
	    "recipients",
	    row);
	rc = CL_EUNAVAIL;
	bson_destroy(&doc);
	cl_buf_free(&b);
	return rc;
}

/*
 * Fill n from the current row of the SQ_OUTBOX_DUE statement stmt: id
 * (also the row id into *rowp), kind, recipients, attempts, due_ms, a copy
 * of the request document and when its address was confirmed.
 * Fails with CL_EUNAVAIL, logged, for a row that cannot be read; n then
 * holds what was filled, for cl_notifications_free().
 */
static cl_err
ob_row(sqlite3_stmt *stmt, cl_notification *n, int64_t *rowp)
{
	const unsigned char *kind, *to;
	const uint8_t *doc;
	int64_t row;
	int len;

	row = *rowp = sqlite3_column_int64(stmt, 0);
	snprintf(n->id, sizeof n->id, "%" PRId64, row);
	kind = sqlite3_column_text(stmt, 1);
	to = sqlite3_column_text(stmt, 2);
	n->attempts = sqlite3_column_int(stmt, 3);
	n->due_ms = sqlite3_column_int64(stmt, 4);
	n->confirmed_ms = sqlite3_column_int64(stmt, 6); /* NULL is 0 */
	doc = sqlite3_column_blob(stmt, 5);
	len = sqlite3_column_bytes(stmt, 5);
	if (kind == NULL || to == NULL || doc == NULL ||
	    (n->request = bson_new_from_data(doc, (size_t)len)) == NULL) {
		cl_log(CL_LOG_ERROR,
		    "store: outbox row %" PRId64 " or its "
		    "request is corrupt",
		    row);
		return CL_EUNAVAIL;
	}
	n->kind = cl_strdup((const char *)kind);
	return ob_recipients((const char *)to, row, n);
}

/*
 * Claim up to max rows due at now_ms, oldest due_ms first (then oldest
 * row), leasing each to owner until now_ms + lease_ms, in one BEGIN
 * IMMEDIATE transaction: select the rows with their request documents,
 * then set each one's lease and owner, then commit.  *out and *n receive
 * the claimed notifications (NULL and 0 when none).  Fails with
 * CL_EUNAVAIL, leaving nothing claimed.
 */
cl_err
sq_outbox_claim(cl_store *st, int64_t now_ms, int64_t lease_ms,
    const char *owner, size_t max, cl_notification **out, size_t *n)
{
	struct sq_store *s = (struct sq_store *)st;
	sqlite3_stmt *stmt = NULL;
	cl_notification *v = NULL;
	int64_t *rows = NULL;
	size_t cnt = 0, cap = 0, i;
	cl_err rc;
	int src;

	if ((rc = sq_ready(s)) != CL_OK)
		goto err;
	if ((rc = sq_sync(s, SQ_SYNC_LEVEL_FULL)) != CL_OK)
		goto err;
	if ((rc = sq_exec(s, SQ_BEGIN_IMMEDIATE, "begin claim")) != CL_OK)
		goto err;
	if ((rc = sq_stmt(s, SQ_OUTBOX_DUE, &stmt)) != CL_OK)
		goto err;
	sqlite3_bind_int64(stmt, 1, now_ms);
	sqlite3_bind_int64(stmt, 2, max > INT64_MAX ? INT64_MAX : (int64_t)max);
	while ((src = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (cnt == cap) {
			cap = cap == 0 ? (max < 16 ? max : 16) : cap * 2;
			v = cl_realloc(v, cap * sizeof *v);
			rows = cl_realloc(rows, cap * sizeof *rows);
		}
		memset(&v[cnt], 0, sizeof v[cnt]);
		cnt++;
		if ((rc = ob_row(stmt, &v[cnt - 1], &rows[cnt - 1])) != CL_OK)
			goto err;
	}
	if (src != SQLITE_DONE) {
		rc = sq_error(s, src, "select due notifications");
		goto err;
	}
	sqlite3_reset(stmt);
	stmt = NULL;
	for (i = 0; i < cnt; i++) {
		if ((rc = sq_stmt(s, SQ_OUTBOX_LEASE, &stmt)) != CL_OK)
			goto err;
		sqlite3_bind_int64(stmt, 1, rows[i]);
		sqlite3_bind_int64(stmt, 2, now_ms + lease_ms);
		sqlite3_bind_text(stmt, 3, owner, -1, SQLITE_STATIC);
		if ((src = sqlite3_step(stmt)) != SQLITE_DONE) {
			rc = sq_error(s, src, "lease notification");
			goto err;
		}
		sqlite3_reset(stmt);
		stmt = NULL;
	}
	if ((rc = sq_exec(s, SQ_COMMIT, "commit claim")) != CL_OK)
		goto err;
	free(rows);
	*out = v;
	*n = cnt;
	return CL_OK;
err:
	if (stmt != NULL)
		sqlite3_reset(stmt);
	sq_rollback(s);
	st_notes_free(v, cnt);
	free(rows);
	return rc;
}

/*
 * Run the cached update id with the row id bound to ?1 and owner to ?2 and
 * the rest bound by the caller (bind is called with the statement), and
 * check it changed exactly one row, in autocommit at synchronous=FULL.
 * Fails with CL_ENOTFOUND when it changed none, CL_EUNAVAIL.
 */
static cl_err
ob_settle(struct sq_store *s, enum sq_stmt id, const char *oid,
    const char *owner, void (*bind)(sqlite3_stmt *, void *), void *arg,
    const char *what)
{
	sqlite3_stmt *stmt = NULL;
	int64_t row;
	cl_err rc;
	int src;

	if ((rc = ob_parse_id(oid, &row)) != CL_OK)
		goto err;
	if ((rc = sq_prepare(s, SQ_SYNC_LEVEL_FULL, id, &stmt)) != CL_OK)
		goto err;
	sqlite3_bind_int64(stmt, 1, row);
	sqlite3_bind_text(stmt, 2, owner, -1, SQLITE_STATIC);
	bind(stmt, arg);
	if ((src = sqlite3_step(stmt)) != SQLITE_DONE) {
		rc = sq_error(s, src, what);
		goto err;
	}
	if (sqlite3_changes(s->db) != 1) {
		rc = CL_ENOTFOUND;
		goto err;
	}
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	return CL_OK;
err:
	if (stmt != NULL) {
		sqlite3_reset(stmt);
		sqlite3_clear_bindings(stmt);
	}
	return rc;
}

/* Bind SQ_OUTBOX_SENT's ?3, the time (int64_t *arg).  Cannot fail. */
static void
ob_bind_sent(sqlite3_stmt *stmt, void *arg)
{
	sqlite3_bind_int64(stmt, 3, *(int64_t *)arg);
}

/*
 * Mark row id sent at now_ms, when owner holds a lease on it that is live
 * at now_ms (lease_until_ms > now_ms) and it is still due.  Fails with
 * CL_ENOTFOUND otherwise (unknown id, other owner, lapsed lease, already
 * settled), CL_EUNAVAIL.
 */
cl_err
sq_outbox_sent(cl_store *st, const char *id, const char *owner, int64_t now_ms)
{
	return ob_settle((struct sq_store *)st, SQ_OUTBOX_SENT, id, owner,
	    ob_bind_sent, &now_ms, "mark notification sent");
}

/* What SQ_OUTBOX_FAILED binds after the id and owner. */
struct ob_fail {
	int final;
	int64_t retry_ms;
	const char *error;
};

/* Bind SQ_OUTBOX_FAILED's ?3 to ?5 from a struct ob_fail.  Cannot fail. */
static void
ob_bind_failed(sqlite3_stmt *stmt, void *arg)
{
	struct ob_fail *f = arg;

	sqlite3_bind_int(stmt, 3, f->final);
	sqlite3_bind_int64(stmt, 4, f->retry_ms);
	sqlite3_bind_text(stmt, 5, f->error, -1, SQLITE_STATIC);
}

/*
 * Record a failed try of row id by owner, while it is due and owner holds
 * its lease: attempts + 1 (not for final -1, a deferral) and last_error
 * set; when final is 1, status 'failed'
 * (owner kept, for the record); else due again at retry_ms with the lease
 * and owner cleared, so that a second report of the same try finds
 * nothing.  No clock is given, so a lease that lapsed without anyone
 * taking it over still counts as owner's: rescheduling it then is what
 * owner would have got anyway.  Fails with CL_ENOTFOUND (unknown id, other
 * owner, settled), CL_EUNAVAIL.
 */
cl_err
sq_outbox_failed(cl_store *st, const char *id, const char *owner, int final,
    int64_t retry_ms, const char *error)
{
	struct ob_fail f = { final, retry_ms, error };

	return ob_settle((struct sq_store *)st, SQ_OUTBOX_FAILED, id, owner,
	    ob_bind_failed, &f, "record failed notification");
}

/*
 * Fill *stats from one GROUP BY status over the outbox (its status,
 * first_due_ms index covers it): due, sent and failed counts, and
 * oldest_due_ms, the smallest first_due_ms of the rows still due (due now,
 * leased or waiting for a retry) when it is <= now_ms, else 0.  Fails with
 * CL_EUNAVAIL.
 */
cl_err
sq_outbox_stats(cl_store *st, int64_t now_ms, cl_outbox_stats *stats)
{
	struct sq_store *s = (struct sq_store *)st;
	sqlite3_stmt *stmt = NULL;
	const unsigned char *status;
	int64_t count, min;
	cl_err rc;
	int src;

	if ((rc = sq_prepare(s, SQ_SYNC_UNKNOWN, SQ_OUTBOX_STATS, &stmt)) !=
	    CL_OK)
		goto err;
	while ((src = sqlite3_step(stmt)) == SQLITE_ROW) {
		if ((status = sqlite3_column_text(stmt, 0)) == NULL)
			continue;
		count = sqlite3_column_int64(stmt, 1);
		min = sqlite3_column_int64(stmt, 2);
		if (strcmp((const char *)status, "due") == 0) {
			stats->due = count;
			stats->oldest_due_ms = min <= now_ms ? min : 0;
		} else if (strcmp((const char *)status, "sent") == 0)
			stats->sent = count;
		else if (strcmp((const char *)status, "failed") == 0)
			stats->failed = count;
	}
	if (src != SQLITE_DONE) {
		rc = sq_error(s, src, "outbox stats");
		goto err;
	}
	rc = CL_OK;
err:
	if (stmt != NULL)
		sqlite3_reset(stmt);
	return rc;
}

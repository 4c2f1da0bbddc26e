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
#include "callin/log.h"
#include "sqlite_impl.h"

/* The parts of a request document that go into columns. */
struct put_keys {
	const char	*token;
	const char	*reference;
	const char	*idempotency_key;
	int64_t		 received_ms;
	int		 has_attachments;
	bson_iter_t	 attachments;	/* inside the array, when present */
	int		 has_notifications;
	bson_iter_t	 notifications;	/* inside the array, when present */
};

/* One element of notifications[]. */
struct put_note {
	const char	*kind;
	const char	*message_id;	/* NULL when absent */
	int64_t		 due_ms;
	bson_iter_t	 to;		/* inside the array of addresses */
};

/*
 * Check that the element it stands on is a non-empty string without NUL
 * bytes, shorter than max bytes (0: any length); *p points into the
 * document.  Fails with CL_EINVAL.
 */
static cl_err
iter_str(const bson_iter_t *it, size_t max, const char **p)
{
	const char *s;
	uint32_t n;

	if (!BSON_ITER_HOLDS_UTF8(it))
		return CL_EINVAL;
	s = bson_iter_utf8(it, &n);
	if (n == 0 || memchr(s, '\0', n) != NULL || (max > 0 && n >= max))
		return CL_EINVAL;
	*p = s;
	return CL_OK;
}

/*
 * Find key in the (sub)document whose fields scope iterates (scope is not
 * moved) as a string that iter_str() accepts.  CL_ENOTFOUND when absent,
 * CL_EINVAL when of the wrong type or shape.
 */
static cl_err
find_str(const bson_iter_t *scope, const char *key, size_t max,
    const char **p)
{
	bson_iter_t it = *scope;

	if (!bson_iter_find(&it, key))
		return CL_ENOTFOUND;
	return iter_str(&it, max, p);
}

/*
 * Find key in the (sub)document scope iterates as an integer into *v.
 * CL_ENOTFOUND when absent, CL_EINVAL when not an int32 or int64.
 */
static cl_err
find_int(const bson_iter_t *scope, const char *key, int64_t *v)
{
	bson_iter_t it = *scope;

	if (!bson_iter_find(&it, key))
		return CL_ENOTFOUND;
	if (!BSON_ITER_HOLDS_INT64(&it) && !BSON_ITER_HOLDS_INT32(&it))
		return CL_EINVAL;
	*v = bson_iter_as_int64(&it);
	return CL_OK;
}

/*
 * Find key in the (sub)document scope iterates as an array and set *inner
 * to iterate its elements.  CL_ENOTFOUND when absent, CL_EINVAL when not an
 * array.
 */
static cl_err
find_array(const bson_iter_t *scope, const char *key, bson_iter_t *inner)
{
	bson_iter_t it = *scope;

	if (!bson_iter_find(&it, key))
		return CL_ENOTFOUND;
	if (!BSON_ITER_HOLDS_ARRAY(&it) || !bson_iter_recurse(&it, inner))
		return CL_EINVAL;
	return CL_OK;
}

/*
 * Read the notification the array iterator it stands on into *n, with
 * default_due_ms when it names no due_ms.  Fails with CL_EINVAL.
 */
static cl_err
note_parse(const bson_iter_t *it, int64_t default_due_ms,
    struct put_note *n)
{
	bson_iter_t doc, to;
	const char *addr;
	cl_err rc;

	if (!BSON_ITER_HOLDS_DOCUMENT(it) || !bson_iter_recurse(it, &doc))
		return CL_EINVAL;
	if (find_str(&doc, "kind", 0, &n->kind) != CL_OK)
		return CL_EINVAL;
	if (find_array(&doc, "to", &n->to) != CL_OK)
		return CL_EINVAL;
	for (to = n->to; bson_iter_next(&to); )
		if (iter_str(&to, 0, &addr) != CL_OK)
			return CL_EINVAL;
	n->message_id = NULL;
	rc = find_str(&doc, "message_id", 0, &n->message_id);
	if (rc != CL_OK && rc != CL_ENOTFOUND)
		return CL_EINVAL;
	n->due_ms = default_due_ms;
	rc = find_int(&doc, "due_ms", &n->due_ms);
	if (rc != CL_OK && rc != CL_ENOTFOUND)
		return CL_EINVAL;
	return CL_OK;
}

/*
 * Check the request document doc and pick out its keys into *k: token,
 * reference and idempotency_key strings, received_ms an integer,
 * attachments (if present) an array of documents each with a blob_id
 * string, notifications (if present) an array of documents each with a
 * kind string and a to array of strings.  Fails with CL_EINVAL, logged.
 */
static cl_err
put_parse(const bson_t *doc, struct put_keys *k)
{
	struct put_note note;
	bson_iter_t top, it, sub;
	const char *what, *id;
	cl_err rc;

	memset(k, 0, sizeof *k);
	what = "a valid document";
	if (!bson_iter_init(&top, doc))
		goto err;
	what = "keys and values every store can hold";
	if (!cl_store_doc_portable(doc))
		goto err;
	what = "token";
	if (find_str(&top, "token", CL_TOKEN_MAX, &k->token) != CL_OK)
		goto err;
	what = "reference";
	if (find_str(&top, "reference", 0, &k->reference) != CL_OK)
		goto err;
	what = "idempotency_key";
	if (find_str(&top, "idempotency_key", 0, &k->idempotency_key) !=
	    CL_OK)
		goto err;
	what = "received_ms";
	if (find_int(&top, "received_ms", &k->received_ms) != CL_OK)
		goto err;
	what = "attachments";
	rc = find_array(&top, "attachments", &k->attachments);
	if (rc != CL_OK && rc != CL_ENOTFOUND)
		goto err;
	k->has_attachments = rc == CL_OK;
	for (it = k->attachments; k->has_attachments && bson_iter_next(&it); )
		if (!BSON_ITER_HOLDS_DOCUMENT(&it) ||
		    !bson_iter_recurse(&it, &sub) ||
		    find_str(&sub, "blob_id", CL_BLOB_ID_MAX, &id) != CL_OK)
			goto err;
	what = "notifications";
	rc = find_array(&top, "notifications", &k->notifications);
	if (rc != CL_OK && rc != CL_ENOTFOUND)
		goto err;
	k->has_notifications = rc == CL_OK;
	for (it = k->notifications; k->has_notifications &&
	    bson_iter_next(&it); )
		if (note_parse(&it, k->received_ms, &note) != CL_OK)
			goto err;
	return CL_OK;
err:
	cl_log(CL_LOG_WARN, "store: request document lacks %s", what);
	return CL_EINVAL;
}

/*
 * Link every blob the attachments name to the request k->token: each must
 * be finished and not yet linked.  Fails with CL_EINVAL (unknown, unfinished
 * or already linked blob, also one named twice), CL_EUNAVAIL.
 */
static cl_err
put_link(struct sq_store *s, const struct put_keys *k)
{
	sqlite3_stmt *stmt = NULL;
	bson_iter_t it, sub;
	const char *id;
	cl_err rc;
	int src;

	for (it = k->attachments; k->has_attachments && bson_iter_next(&it); ) {
		bson_iter_recurse(&it, &sub);
		find_str(&sub, "blob_id", CL_BLOB_ID_MAX, &id);
		if ((rc = sq_stmt(s, SQ_BLOB_LINK, &stmt)) != CL_OK)
			goto err;
		sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 2, k->token, -1, SQLITE_STATIC);
		if ((src = sqlite3_step(stmt)) != SQLITE_DONE) {
			rc = sq_error(s, src, "link blob");
			goto err;
		}
		if (sqlite3_changes(s->db) != 1) {
			cl_log(CL_LOG_WARN, "store: blob %s is unknown or "
			    "already linked", id);
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
 * Queue the notifications of the array iterator notes (checked) in the
 * outbox for the request token, each due at its due_ms (default:
 * default_due_ms), recipients as a JSON array.  Fails with CL_EUNAVAIL.
 */
static cl_err
put_notes(struct sq_store *s, const char *token, bson_iter_t notes,
    int64_t default_due_ms)
{
	sqlite3_stmt *stmt = NULL;
	struct put_note note;
	cl_buf to = CL_BUF_INIT;
	bson_iter_t it, addr;
	const char *a;
	uint32_t n;
	cl_err rc;
	int src;

	for (it = notes; bson_iter_next(&it); ) {
		(void)note_parse(&it, default_due_ms, &note);
		cl_buf_reset(&to);
		cl_buf_putc(&to, '[');
		for (addr = note.to; bson_iter_next(&addr); ) {
			a = bson_iter_utf8(&addr, &n);
			cl_buf_puts(&to, to.len > 1 ? ",\"" : "\"");
			cl_buf_json(&to, a, n);
			cl_buf_putc(&to, '"');
		}
		cl_buf_putc(&to, ']');
		if ((rc = sq_stmt(s, SQ_OUTBOX_INSERT, &stmt)) != CL_OK)
			goto err;
		sqlite3_bind_text(stmt, 1, token, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 2, note.kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 3, to.data, (int)to.len,
		    SQLITE_STATIC);
		if (note.message_id != NULL)
			sqlite3_bind_text(stmt, 4, note.message_id, -1,
			    SQLITE_STATIC);
		else
			sqlite3_bind_null(stmt, 4);
		sqlite3_bind_int64(stmt, 5, note.due_ms);
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
put_dup(struct sq_store *s, const struct put_keys *k, char *existing_token)
{
	sqlite3_stmt *stmt = NULL;
	const unsigned char *t;
	cl_err rc;
	int src;

	if ((rc = sq_stmt(s, SQ_REQ_TOKEN_BY_IDEMPOTENCY, &stmt)) != CL_OK)
		goto err;
	sqlite3_bind_text(stmt, 1, k->idempotency_key, -1, SQLITE_STATIC);
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
count_email(struct sq_store *s, const char *email, int64_t since_ms,
    int64_t *n)
{
	sqlite3_stmt *stmt = NULL;
	cl_err rc;
	int src;

	if ((rc = sq_stmt(s, SQ_REQ_COUNT_EMAIL, &stmt)) != CL_OK)
		goto err;
	sqlite3_bind_text(stmt, 1, email, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, since_ms);
	if ((src = sqlite3_step(stmt)) != SQLITE_ROW) {
		rc = sq_error(s, src, "count requests by email");
		goto err;
	}
	*n = sqlite3_column_int64(stmt, 0);
	rc = CL_OK;
err:
	if (stmt != NULL) {
		sqlite3_reset(stmt);
		sqlite3_clear_bindings(stmt);
	}
	return rc;
}

/*
 * Write the document of it (request row, blob links, outbox rows) inside
 * the open transaction, under a savepoint released on success and rolled
 * back to on failure, so that nothing of a refused document stays.  The
 * email column gets its normalised fields.email (NULL when none); with
 * it->email_max set, an address already at its limit is refused first.
 * Returns the outcome: CL_OK, CL_EINVAL (bad document, unknown or linked
 * blob), CL_EDUP (see put_dup), CL_ELIMIT, CL_EUNAVAIL.
 */
static cl_err
put_one(struct sq_store *s, cl_store_put_item *it)
{
	sqlite3_stmt *stmt = NULL;
	struct put_keys k;
	char *email = NULL;
	int64_t n = 0;
	int saved = 0, src;
	cl_err rc;

	if ((rc = put_parse(it->doc, &k)) != CL_OK)
		goto err;
	email = cl_store_doc_email(it->doc);
	if (it->email_max > 0 && email != NULL) {
		if ((rc = count_email(s, email, it->email_since_ms, &n)) != CL_OK)
			goto err;
		if (n >= it->email_max) {
			rc = CL_ELIMIT;
			goto err;
		}
	}
	if ((rc = sq_exec(s, SQ_SAVEPOINT, "savepoint")) != CL_OK)
		goto err;
	saved = 1;
	if ((rc = sq_stmt(s, SQ_REQ_INSERT, &stmt)) != CL_OK)
		goto err;
	sqlite3_bind_text(stmt, 1, k.token, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, k.reference, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, k.idempotency_key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 4, k.received_ms);
	sqlite3_bind_blob(stmt, 5, bson_get_data(it->doc), (int)it->doc->len,
	    SQLITE_STATIC);
	if (email != NULL)
		sqlite3_bind_text(stmt, 6, email, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(stmt, 6);
	src = sqlite3_step(stmt);
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	stmt = NULL;
	if ((src & 0xff) == SQLITE_CONSTRAINT) {
		rc = put_dup(s, &k, it->existing_token);
		goto err;
	}
	if (src != SQLITE_DONE) {
		rc = sq_error(s, src, "insert request");
		goto err;
	}
	if ((rc = put_link(s, &k)) != CL_OK)
		goto err;
	if (k.has_notifications &&
	    (rc = put_notes(s, k.token, k.notifications, k.received_ms)) != CL_OK)
		goto err;
	if ((rc = sq_exec(s, SQ_RELEASE, "release savepoint")) != CL_OK)
		goto err;
	free(email);
	return CL_OK;
err:
	/* SQLite may have rolled the whole transaction back by itself. */
	if (saved && !sqlite3_get_autocommit(s->db) &&
	    (sq_exec(s, SQ_ROLLBACK_TO, "roll back to savepoint") != CL_OK ||
	    sq_exec(s, SQ_RELEASE, "release savepoint") != CL_OK))
		rc = CL_EUNAVAIL;
	free(email);
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
sq_put_batch(cl_store *st, cl_store_put_item *v, size_t n)
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
 * Store one request document: a batch of one without a limit.  Fails as
 * put_one does; then nothing is stored.
 */
cl_err
sq_put(cl_store *st, const bson_t *doc, char *existing_token)
{
	cl_store_put_item it = { .doc = doc, .rc = CL_EUNAVAIL };

	(void)sq_put_batch(st, &it, 1);
	if (existing_token != NULL)
		memcpy(existing_token, it.existing_token, CL_TOKEN_MAX);
	return it.rc;
}

/*
 * Copy into out the document stored under the unique key named by key.
 * out is initialised (empty) whatever happens.  Fails with CL_ENOTFOUND,
 * CL_EINVAL (NULL value or unknown key kind), CL_EUNAVAIL (also a corrupt
 * document).
 */
cl_err
sq_get(cl_store *st, cl_store_key key, const char *value, bson_t *out)
{
	struct sq_store *s = (struct sq_store *)st;
	sqlite3_stmt *stmt = NULL;
	enum sq_stmt id;
	const void *data;
	bson_t tmp;
	cl_err rc;
	int n, src;

	bson_init(out);
	switch (key) {
	case CL_KEY_TOKEN:
		id = SQ_REQ_BY_TOKEN;
		break;
	case CL_KEY_REFERENCE:
		id = SQ_REQ_BY_REFERENCE;
		break;
	case CL_KEY_IDEMPOTENCY:
		id = SQ_REQ_BY_IDEMPOTENCY;
		break;
	default:
		rc = CL_EINVAL;
		goto err;
	}
	if (value == NULL) {
		rc = CL_EINVAL;
		goto err;
	}
	if ((rc = sq_ready(s)) != CL_OK)
		goto err;
	if ((rc = sq_stmt(s, id, &stmt)) != CL_OK)
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
		cl_log(CL_LOG_ERROR, "store: stored document for %s is "
		    "corrupt", value);
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
	sqlite3_stmt *stmt = NULL;
	cl_err rc;
	int src;

	if ((rc = sq_ready(s)) != CL_OK)
		goto err;
	if ((rc = sq_stmt(s, SQ_REQ_COUNT, &stmt)) != CL_OK)
		goto err;
	if ((src = sqlite3_step(stmt)) != SQLITE_ROW) {
		rc = sq_error(s, src, "count requests");
		goto err;
	}
	*n = sqlite3_column_int64(stmt, 0);
	rc = CL_OK;
err:
	if (stmt != NULL)
		sqlite3_reset(stmt);
	return rc;
}

/*
 * Count into *n the requests whose email column equals email (already
 * normalised) with received_ms at or after since_ms, on the requests_email
 * index.  Fails with CL_EUNAVAIL.
 */
cl_err
sq_count_by_email(cl_store *st, const char *email, int64_t since_ms,
    int64_t *n)
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
	sqlite3_stmt *stmt = NULL;
	cl_err rc;
	int src;

	*at = 0;
	if ((rc = sq_stmt(s, SQ_REQ_CONFIRMED, &stmt)) != CL_OK)
		goto err;
	sqlite3_bind_text(stmt, 1, token, -1, SQLITE_STATIC);
	src = sqlite3_step(stmt);
	if (src == SQLITE_DONE)
		rc = CL_ENOTFOUND;
	else if (src != SQLITE_ROW)
		rc = sq_error(s, src, "read confirmation");
	else
		*at = sqlite3_column_int64(stmt, 0);
err:
	if (stmt != NULL) {
		sqlite3_reset(stmt);
		sqlite3_clear_bindings(stmt);
	}
	return rc;
}

/*
 * cl_store_confirm(): in one BEGIN IMMEDIATE transaction committed at the
 * commit level, set confirmed_ms where it is NULL and queue notes, due at
 * now_ms.  CL_OK, CL_EDUP (confirmed before), CL_ENOTFOUND, CL_EINVAL (a
 * note store.c let through that this backend cannot read), CL_EUNAVAIL;
 * nothing is written unless CL_OK.
 */
cl_err
sq_confirm(cl_store *st, const char *token, int64_t now_ms, const bson_t *notes)
{
	struct sq_store *s = (struct sq_store *)st;
	sqlite3_stmt *stmt = NULL;
	struct put_note note;
	bson_iter_t it, all;
	int64_t at;
	int began = 0, src;
	cl_err rc;

	if (!bson_iter_init(&all, notes)) {
		rc = CL_EINVAL;
		goto err;
	}
	for (it = all; bson_iter_next(&it); )
		if (note_parse(&it, now_ms, &note) != CL_OK) {
			rc = CL_EINVAL;
			goto err;
		}
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
	if ((rc = put_notes(s, token, all, now_ms)) != CL_OK ||
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

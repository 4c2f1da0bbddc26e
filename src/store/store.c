/*
 * store.c: the store's front: picks the backend named by the store setting,
 * checks every argument once (store.h says which error each gets, the
 * request document is checked by cl_reqdoc_parse) and dispatches to the
 * backend, which gets checked values only.  It sits above the backends and
 * store_common.c; nothing below calls into it.
 */
#include <stdlib.h>
#include <string.h>

#include "callin/alloc.h"
#include "callin/err.h"
#include "callin/log.h"
#include "store_impl.h"

cl_err
cl_store_open(const char *spec, cl_store **out)
{
	char shown[512];

	*out = NULL;
	if (spec == NULL)
		return CL_ECONFIG;
	if (strncmp(spec, "sqlite:", 7) == 0 && spec[7] != '\0')
		return cl_store_sqlite_open(spec + 7, out);
	if (strncmp(spec, "mongodb://", 10) == 0 ||
	    strncmp(spec, "mongodb+srv://", 14) == 0)
		return cl_store_mongo_open(spec, out);
	cl_log_redact_uri(spec, shown, sizeof shown);
	cl_log(CL_LOG_ERROR, "store: unknown scheme in \"%s\"", shown);
	return CL_ECONFIG;
}

void
cl_store_close(cl_store *st)
{
	if (st != NULL)
		st->ops->close(st);
}

cl_err
cl_store_ping(cl_store *st)
{
	return st->ops->ping(st);
}

cl_err
cl_store_blob_open(cl_store *st, const char *name, cl_blob **out)
{
	*out = NULL;
	if (name == NULL)
		return CL_EINVAL;
	return st->ops->blob_open(st, name, out);
}

cl_err
cl_blob_write(cl_blob *b, const void *p, size_t n)
{
	return b->ops->blob_write(b, p, n);
}

cl_err
cl_blob_finish(cl_blob *b, char id[CL_BLOB_ID_MAX])
{
	cl_err rc;

	id[0] = '\0';
	if ((rc = b->ops->blob_finish(b, id)) != CL_OK)
		id[0] = '\0';
	return rc;
}

void
cl_blob_abort(cl_blob *b)
{
	if (b != NULL)
		b->ops->blob_abort(b);
}

cl_err
cl_store_blob_delete(cl_store *st, const char *id)
{
	if (id == NULL || id[0] == '\0')
		return CL_ENOTFOUND;
	return st->ops->blob_delete(st, id);
}

cl_err
cl_store_blob_read(cl_store *st, const char *id, cl_store_sink sink, void *arg)
{
	CL_ASSERT(sink != NULL);
	if (id == NULL || id[0] == '\0')
		return CL_ENOTFOUND;
	return st->ops->blob_read(st, id, sink, arg);
}

/*
 * Check the document doc for a put into *p (see struct st_put), with the
 * outcome reset: CL_EUNAVAIL and existing_token "".  Fails with CL_EINVAL
 * (also p->rc) for a NULL document or one cl_reqdoc_parse() refuses.
 */
static cl_err
put_check(const bson_t *doc, char *existing_token, struct st_put *p)
{
	memset(p, 0, sizeof *p);
	p->existing_token = existing_token;
	if (existing_token != NULL)
		existing_token[0] = '\0';
	if (cl_reqdoc_parse(doc, &p->req) != CL_OK)
		return p->rc = CL_EINVAL;
	p->email = st_doc_email(doc);
	p->rc = CL_EUNAVAIL;
	return CL_OK;
}

/* Free what put_check() made.  Cannot fail. */
static void
put_free(struct st_put *p)
{
	cl_reqdoc_free(&p->req);
	free(p->email);
}

cl_err
cl_store_put(cl_store *st, const bson_t *doc, char *existing_token)
{
	struct st_put p;
	cl_err rc;

	if ((rc = put_check(doc, existing_token, &p)) == CL_OK)
		rc = st->ops->put(st, &p);
	put_free(&p);
	return rc;
}

/*
 * Put one request the way a backend without put_batch does: count its
 * address with cl_store_count_by_email() first (not atomic with the
 * insert: two writers racing may both pass; normalising the normalised
 * address again leaves it as is), then put it.  Sets p->rc and returns it.
 */
static cl_err
put_counted(cl_store *st, struct st_put *p)
{
	int64_t n = 0;

	if (p->email_max > 0 && p->email != NULL) {
		p->rc = cl_store_count_by_email(st, p->email, p->email_since_ms,
		    &n);
		if (p->rc == CL_OK && n >= p->email_max)
			p->rc = CL_ELIMIT;
		if (p->rc != CL_OK)
			return p->rc;
	}
	return st->ops->put(st, p);
}

/*
 * See store.h: each document checked here (one refused keeps CL_EINVAL
 * and is not passed on), then the backend's batch of the others, or one
 * put after another.
 */
cl_err
cl_store_put_batch(cl_store *st, cl_store_put_item *v, size_t n)
{
	struct st_put *p;
	size_t *at, i, m = 0;
	cl_err rc = CL_OK;

	p = cl_calloc(n + 1, sizeof *p);
	at = cl_calloc(n + 1, sizeof *at);
	for (i = 0; i < n; i++) {
		v[i].rc = CL_EUNAVAIL;
		if (put_check(v[i].doc, v[i].existing_token, &p[m]) != CL_OK) {
			v[i].rc = CL_EINVAL;
			put_free(&p[m]);
			continue;
		}
		p[m].email_max = v[i].email_max;
		p[m].email_since_ms = v[i].email_since_ms;
		at[m++] = i;
	}
	if (st->ops->put_batch != NULL)
		rc = m > 0 ? st->ops->put_batch(st, p, m) : CL_OK;
	else
		for (i = 0; i < m; i++)
			if (put_counted(st, &p[i]) == CL_EUNAVAIL)
				rc = CL_EUNAVAIL;
	for (i = 0; i < m; i++) {
		v[at[i]].rc = p[i].rc;
		put_free(&p[i]);
	}
	free(p);
	free(at);
	return rc;
}

void
cl_store_defer_sync(cl_store *st)
{
	if (st->ops->defer_sync != NULL)
		st->ops->defer_sync(st);
}

cl_err
cl_store_sync(cl_store *st)
{
	return st->ops->sync != NULL ? st->ops->sync(st) : CL_OK;
}

void
cl_store_checkpoint(cl_store *st)
{
	if (st->ops->checkpoint != NULL)
		st->ops->checkpoint(st);
}

/*
 * Look up one request (see store.h): out is initialised first, and stays
 * an empty document with nothing to free on failure.  CL_EINVAL for an
 * unknown key kind, CL_ENOTFOUND (also for a NULL value), CL_EUNAVAIL.
 */
cl_err
cl_store_get(cl_store *st, cl_store_key key, const char *value, bson_t *out)
{
	cl_err rc;

	bson_init(out);
	if (key != CL_KEY_TOKEN && key != CL_KEY_REFERENCE &&
	    key != CL_KEY_IDEMPOTENCY)
		return CL_EINVAL;
	if (value == NULL)
		return CL_ENOTFOUND;
	if ((rc = st->ops->get(st, key, value, out)) != CL_OK) {
		bson_destroy(out);
		bson_init(out);
	}
	return rc;
}

cl_err
cl_store_count(cl_store *st, int64_t *n)
{
	*n = 0;
	return st->ops->count(st, n);
}

/*
 * Count the requests from email received at or after since_ms (see
 * store.h): the backend gets the address normalised.  *n is 0 on failure:
 * CL_EINVAL for a NULL or empty address, CL_EUNAVAIL.
 */
cl_err
cl_store_count_by_email(cl_store *st, const char *email, int64_t since_ms,
    int64_t *n)
{
	char *norm = NULL;
	cl_err rc;

	*n = 0;
	if (email == NULL ||
	    (norm = st_email_norm(email, strlen(email))) == NULL) {
		rc = CL_EINVAL;
		goto err;
	}
	if ((rc = st->ops->count_by_email(st, norm, since_ms, n)) != CL_OK)
		goto err;
	free(norm);
	return CL_OK;
err:
	*n = 0;
	free(norm);
	return rc;
}

cl_err
cl_store_sweep(cl_store *st, int64_t older_than_ms, int64_t *removed)
{
	int64_t dummy;

	return st->ops->sweep(st, older_than_ms, removed ? removed : &dummy);
}

/*
 * Claim up to max due notifications for owner (see store.h).  *out and *n
 * are reset first.  Fails with CL_EINVAL for a NULL or empty owner or a
 * negative lease, CL_EUNAVAIL when the store cannot answer.
 */
cl_err
cl_store_outbox_claim(cl_store *st, int64_t now_ms, int64_t lease_ms,
    const char *owner, size_t max, cl_notification **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (owner == NULL || *owner == '\0' || lease_ms < 0)
		return CL_EINVAL;
	if (max == 0)
		return CL_OK;
	return st->ops->outbox_claim(st, now_ms, lease_ms, owner, max, out, n);
}

/*
 * Record that owner sent notification id (see store.h).  CL_ENOTFOUND for
 * a NULL or empty id or owner, an unknown id or a lease owner no longer
 * holds.
 */
cl_err
cl_store_outbox_sent(cl_store *st, const char *id, const char *owner,
    int64_t now_ms)
{
	if (id == NULL || *id == '\0' || owner == NULL || *owner == '\0')
		return CL_ENOTFOUND;
	return st->ops->outbox_sent(st, id, owner, now_ms);
}

/*
 * Hand id back to be due at due_ms without counting a try (see store.h):
 * the backends' outbox_failed with final -1.  CL_ENOTFOUND as above.
 */
cl_err
cl_store_outbox_defer(cl_store *st, const char *id, const char *owner,
    int64_t due_ms, const char *why)
{
	if (id == NULL || *id == '\0' || owner == NULL || *owner == '\0')
		return CL_ENOTFOUND;
	return st->ops->outbox_failed(st, id, owner, -1, due_ms,
	    why != NULL ? why : "");
}

/*
 * Record a failed try of id by owner (see store.h); error may be NULL.
 * CL_ENOTFOUND as for cl_store_outbox_sent().
 */
cl_err
cl_store_outbox_failed(cl_store *st, const char *id, const char *owner,
    int final, int64_t retry_ms, const char *error)
{
	if (id == NULL || *id == '\0' || owner == NULL || *owner == '\0')
		return CL_ENOTFOUND;
	return st->ops->outbox_failed(st, id, owner, final != 0, retry_ms,
	    error != NULL ? error : "");
}

/*
 * Fill *stats at now_ms (zeroed first).  Fails with CL_EUNAVAIL.
 */
cl_err
cl_store_outbox_stats(cl_store *st, int64_t now_ms, cl_outbox_stats *stats)
{
	memset(stats, 0, sizeof *stats);
	return st->ops->outbox_stats(st, now_ms, stats);
}

/*
 * Confirm the request token at now_ms, queueing notes (see store.h): a
 * NULL or empty token is CL_ENOTFOUND, then notes are checked
 * (CL_EINVAL).
 */
cl_err
cl_store_confirm(cl_store *st, const char *token, int64_t now_ms,
    const bson_t *notes)
{
	cl_reqdoc_note *v;
	size_t n;
	cl_err rc;

	if (token == NULL || token[0] == '\0')
		return CL_ENOTFOUND;
	if (cl_reqdoc_parse_notes(notes, now_ms, &v, &n) != CL_OK)
		return CL_EINVAL;
	rc = st->ops->confirm(st, token, now_ms, v, n);
	cl_reqdoc_notes_free(v, n);
	return rc;
}

cl_err
cl_store_confirmed(cl_store *st, const char *token, int64_t *confirmed_ms)
{
	cl_err rc;

	*confirmed_ms = 0;
	if (token == NULL || token[0] == '\0')
		return CL_ENOTFOUND;
	if ((rc = st->ops->confirmed(st, token, confirmed_ms)) != CL_OK)
		*confirmed_ms = 0;
	return rc;
}

/* Free the n notifications of v and v itself.  NULL is fine.  Cannot fail. */
void
cl_notifications_free(cl_notification *v, size_t n)
{
	st_notes_free(v, n);
}

/* See store.h: *out and *n reset; max 0 takes nothing. */
cl_err
cl_store_log_pending(cl_store *st, size_t max, cl_store_pending **out,
    size_t *n)
{
	cl_err rc;

	*out = NULL;
	*n = 0;
	if (max == 0)
		return CL_OK;
	if ((rc = st->ops->log_pending(st, max, out, n)) != CL_OK) {
		cl_store_pending_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

void
cl_store_pending_free(cl_store_pending *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i].receipt);
	free(v);
}

/* See store.h: *out is the empty state on failure. */
cl_err
cl_store_log_state(cl_store *st, cl_store_logstate *out)
{
	cl_err rc;

	memset(out, 0, sizeof *out);
	if ((rc = st->ops->log_state(st, out)) != CL_OK) {
		cl_store_logstate_free(out);
		memset(out, 0, sizeof *out);
	}
	return rc;
}

void
cl_store_logstate_free(cl_store_logstate *s)
{
	if (s == NULL)
		return;
	free(s->checkpoint);
	s->checkpoint = NULL;
	s->checkpoint_len = 0;
}

/*
 * See store.h: CL_EINVAL unless n >= 1, the entries follow old's size one
 * by one with a token and an entry each, and next is old grown by n with
 * a checkpoint.
 */
cl_err
cl_store_log_append(cl_store *st, const cl_store_logstate *old,
    const cl_store_logstate *next, const cl_store_entry *v, size_t n)
{
	size_t i;

	if (old == NULL || next == NULL || v == NULL || n == 0 ||
	    old->size < 0 || next->size != old->size + (int64_t)n ||
	    next->checkpoint == NULL || next->checkpoint_len == 0)
		return CL_EINVAL;
	for (i = 0; i < n; i++)
		if (v[i].idx != old->size + (int64_t)i ||
		    v[i].token[0] == '\0' || v[i].entry == NULL ||
		    v[i].len == 0)
			return CL_EINVAL;
	return st->ops->log_append(st, old, next, v, n);
}

/* See store.h: *out and *n reset; CL_EINVAL for a bad range. */
cl_err
cl_store_log_entries(cl_store *st, int64_t from, int64_t to,
    cl_store_entry **out, size_t *n)
{
	cl_err rc;

	*out = NULL;
	*n = 0;
	if (from < 0 || to < from)
		return CL_EINVAL;
	if (to == from)
		return CL_OK;
	if ((rc = st->ops->log_entries(st, from, to, out, n)) == CL_OK &&
	    *n != (size_t)(to - from))
		rc = CL_EIO;
	for (size_t i = 0; rc == CL_OK && i < *n; i++)
		if ((*out)[i].idx != from + (int64_t)i)
			rc = CL_EIO;
	if (rc != CL_OK) {
		if (rc == CL_EIO)
			cl_log(CL_LOG_ERROR,
			    "store: log entries %lld to %lld are not all stored",
			    (long long)from, (long long)to - 1);
		cl_store_entries_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

void
cl_store_entries_free(cl_store_entry *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i].entry);
	free(v);
}

cl_err
cl_store_log_queue(cl_store *st, int64_t *n, int64_t *oldest_ms)
{
	cl_err rc;

	*n = 0;
	*oldest_ms = 0;
	if ((rc = st->ops->log_queue(st, n, oldest_ms)) != CL_OK) {
		*n = 0;
		*oldest_ms = 0;
	}
	return rc;
}

/* store.c: picks the backend named by the store setting and dispatches to it. */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "callin/alloc.h"
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
	return b->ops->blob_finish(b, id);
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
	return st->ops->blob_delete(st, id);
}

cl_err
cl_store_blob_read(cl_store *st, const char *id, cl_store_sink sink, void *arg)
{
	return st->ops->blob_read(st, id, sink, arg);
}

cl_err
cl_store_put(cl_store *st, const bson_t *doc, char *existing_token)
{
	if (existing_token != NULL)
		existing_token[0] = '\0';
	return st->ops->put(st, doc, existing_token);
}

/*
 * Put one item the way a backend without put_batch does: count its address
 * with cl_store_count_by_email() first (not atomic with the insert: two
 * writers racing may both pass), then cl_store_put() it.  Sets it->rc and
 * returns it.
 */
static cl_err
put_counted(cl_store *st, cl_store_put_item *it)
{
	char *email;
	int64_t n = 0;

	if (it->email_max > 0 && (email = cl_store_doc_email(it->doc)) != NULL) {
		/* Normalising the normalised address again leaves it as is. */
		it->rc = cl_store_count_by_email(st, email, it->email_since_ms,
		    &n);
		free(email);
		if (it->rc == CL_OK && n >= it->email_max)
			it->rc = CL_ELIMIT;
		if (it->rc != CL_OK)
			return it->rc;
	}
	return it->rc = cl_store_put(st, it->doc, it->existing_token);
}

/* See store.h: the backend's batch, or one put after another. */
cl_err
cl_store_put_batch(cl_store *st, cl_store_put_item *v, size_t n)
{
	cl_err rc = CL_OK;

	for (size_t i = 0; i < n; i++) {
		assert(v[i].doc != NULL);
		v[i].rc = CL_EUNAVAIL;
		v[i].existing_token[0] = '\0';
	}
	if (st->ops->put_batch != NULL)
		return st->ops->put_batch(st, v, n);
	for (size_t i = 0; i < n; i++)
		if (put_counted(st, &v[i]) == CL_EUNAVAIL)
			rc = CL_EUNAVAIL;
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

cl_err
cl_store_get(cl_store *st, cl_store_key key, const char *value, bson_t *out)
{
	return st->ops->get(st, key, value, out);
}

cl_err
cl_store_count(cl_store *st, int64_t *n)
{
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
	    (norm = cl_store_email_norm(email, strlen(email))) == NULL) {
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

/* See store_impl.h. */
char *
cl_store_email_norm(const char *s, size_t n)
{
	const char *at = NULL, *plus;
	char *out;
	size_t i, o = 0;

	if (n == 0 || memchr(s, '\0', n) != NULL)
		return NULL;
	for (i = n; i-- > 0; )
		if (s[i] == '@') {
			at = s + i;
			break;
		}
	/* "local+tag@domain": the tag goes; a leading '+' is not a tag. */
	plus = at != NULL && at > s ? memchr(s + 1, '+', (size_t)(at - s) - 1) :
	    NULL;
	out = cl_malloc(n + 1);
	for (i = 0; i < n; i++) {
		if (plus != NULL && s + i >= plus && s + i < at)
			continue;
		out[o++] = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') :
		    s[i];
	}
	out[o] = '\0';
	return out;
}

/* See store_impl.h. */
char *
cl_store_doc_email(const bson_t *doc)
{
	bson_iter_t it, sub;
	const char *s;
	uint32_t n;

	if (!bson_iter_init_find(&it, doc, "fields") ||
	    !BSON_ITER_HOLDS_DOCUMENT(&it) || !bson_iter_recurse(&it, &sub) ||
	    !bson_iter_find(&sub, "email") || !BSON_ITER_HOLDS_UTF8(&sub))
		return NULL;
	s = bson_iter_utf8(&sub, &n);
	return cl_store_email_norm(s, n);
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
 * a NULL id or owner, an unknown id or a lease owner no longer holds.
 */
cl_err
cl_store_outbox_sent(cl_store *st, const char *id, const char *owner,
    int64_t now_ms)
{
	if (id == NULL || owner == NULL || *owner == '\0')
		return CL_ENOTFOUND;
	return st->ops->outbox_sent(st, id, owner, now_ms);
}

/*
 * Record a failed try of id by owner (see store.h); error may be NULL.
 * CL_ENOTFOUND as for cl_store_outbox_sent().
 */
cl_err
cl_store_outbox_failed(cl_store *st, const char *id, const char *owner,
    int final, int64_t retry_ms, const char *error)
{
	if (id == NULL || owner == NULL || *owner == '\0')
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
 * Whether notes is an array of notifications as cl_store_confirm() takes
 * them: documents each with a kind string and a to array of one or more
 * strings, at least one document.  Cannot fail.
 */
static bool
notes_ok(const bson_t *notes)
{
	bson_iter_t it, doc, f, to;
	size_t n = 0;

	if (!bson_iter_init(&it, notes))
		return false;
	while (bson_iter_next(&it)) {
		size_t nto = 0;

		if (!BSON_ITER_HOLDS_DOCUMENT(&it) || !bson_iter_recurse(&it, &doc))
			return false;
		f = doc;
		if (!bson_iter_find(&f, "kind") || !BSON_ITER_HOLDS_UTF8(&f))
			return false;
		f = doc;
		if (!bson_iter_find(&f, "to") || !BSON_ITER_HOLDS_ARRAY(&f) ||
		    !bson_iter_recurse(&f, &to))
			return false;
		while (bson_iter_next(&to))
			if (!BSON_ITER_HOLDS_UTF8(&to) || nto++ > 64)
				return false;
		if (nto == 0)
			return false;
		n++;
	}
	return n > 0 && cl_store_doc_portable(notes);
}

cl_err
cl_store_confirm(cl_store *st, const char *token, int64_t now_ms,
    const bson_t *notes)
{
	if (token == NULL || token[0] == '\0')
		return CL_ENOTFOUND;
	if (notes == NULL || !notes_ok(notes))
		return CL_EINVAL;
	return st->ops->confirm(st, token, now_ms, notes);
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
	size_t i, j;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(v[i].kind);
		for (j = 0; j < v[i].nto; j++)
			free(v[i].to[j]);
		free(v[i].to);
		if (v[i].request != NULL)
			bson_destroy(v[i].request);
	}
	free(v);
}

/*
 * cl_store_doc_portable() over the elements it iterates, depth levels
 * down; in_array tells whether they are an array's.  Cannot fail.
 */
static bool
portable_iter(bson_iter_t *it, bool in_array, int depth)
{
	bson_iter_t sub;
	const char *key, *str;
	uint32_t len;
	double d;

	if (depth > 64)
		return false;
	while (bson_iter_next(it)) {
		key = bson_iter_key(it);
		if (!in_array && (key[0] == '\0' || key[0] == '$' ||
		    strchr(key, '.') != NULL))
			return false;
		switch (bson_iter_type(it)) {
		case BSON_TYPE_UTF8:
			str = bson_iter_utf8(it, &len);
			if (memchr(str, '\0', len) != NULL)
				return false;
			break;
		case BSON_TYPE_DOUBLE:
			d = bson_iter_double(it);
			if (isnan(d) || isinf(d))
				return false;
			break;
		case BSON_TYPE_ARRAY:
			if (in_array || !bson_iter_recurse(it, &sub) ||
			    !portable_iter(&sub, true, depth + 1))
				return false;
			break;
		case BSON_TYPE_DOCUMENT:
			if (!bson_iter_recurse(it, &sub) ||
			    !portable_iter(&sub, false, depth + 1))
				return false;
			break;
		default:
			break;
		}
	}
	return true;
}

/* See store_impl.h. */
bool
cl_store_doc_portable(const bson_t *doc)
{
	bson_iter_t it;

	return bson_iter_init(&it, doc) && portable_iter(&it, false, 0);
}

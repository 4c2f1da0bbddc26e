/*
 * check.c: the rules of the request document (reqdoc.h), stated once:
 * cl_reqdoc_parse() for a document to store, cl_reqdoc_parse_notes() for
 * the notifications a confirmation queues.
 */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "callin/alloc.h"
#include "callin/log.h"
#include "callin/reqdoc.h"

/*
 * Whether the elements it iterates, depth levels down, can be held by
 * every store alike (see cl_reqdoc_parse); in_array tells whether they
 * are an array's.  Cannot fail.
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
		if (!in_array &&
		    (key[0] == '\0' || key[0] == '$' ||
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
		default: break;
		}
	}
	return true;
}

/* Whether every key and value of doc is portable.  Cannot fail. */
static bool
portable(const bson_t *doc)
{
	bson_iter_t it;

	return bson_iter_init(&it, doc) && portable_iter(&it, false, 0);
}

/*
 * Whether it holds a non-empty string without NUL bytes, shorter than max
 * bytes (0: any length); *p (if not NULL) then points at it.  Cannot fail.
 */
static bool
text(const bson_iter_t *it, size_t max, const char **p)
{
	const char *s;
	uint32_t n;

	if (!BSON_ITER_HOLDS_UTF8(it))
		return false;
	s = bson_iter_utf8(it, &n);
	if (n == 0 || memchr(s, '\0', n) != NULL || (max > 0 && n >= max))
		return false;
	if (p != NULL)
		*p = s;
	return true;
}

/* The number of elements the iterator over an array or document has left. */
static size_t
count(bson_iter_t it)
{
	size_t n = 0;

	while (bson_iter_next(&it))
		n++;
	return n;
}

/*
 * Read the notifications[] element it stands on into *n, due at due_ms
 * unless it names its own; at most max recipients (0: any number), at
 * least min.  n->to is allocated here (also on failure: the caller frees
 * it).  Fails with CL_EINVAL.
 */
static cl_err
note_parse(const bson_iter_t *elem, int64_t due_ms, size_t min, size_t max,
    cl_reqdoc_note *n)
{
	bson_iter_t doc, it, to;
	size_t cap;

	memset(n, 0, sizeof *n);
	n->due_ms = due_ms;
	if (!BSON_ITER_HOLDS_DOCUMENT(elem) || !bson_iter_recurse(elem, &doc))
		return CL_EINVAL;
	it = doc;
	if (!bson_iter_find(&it, CL_DOC_NOTE_KIND) || !text(&it, 0, &n->kind))
		return CL_EINVAL;
	it = doc;
	if (!bson_iter_find(&it, CL_DOC_NOTE_TO) ||
	    !BSON_ITER_HOLDS_ARRAY(&it) || !bson_iter_recurse(&it, &to))
		return CL_EINVAL;
	cap = count(to);
	if (cap < min || (max > 0 && cap > max))
		return CL_EINVAL;
	n->to = cl_calloc(cap > 0 ? cap : 1, sizeof *n->to);
	while (bson_iter_next(&to))
		if (!text(&to, 0, &n->to[n->nto++]))
			return CL_EINVAL;
	it = doc;
	if (bson_iter_find(&it, CL_DOC_NOTE_MESSAGE_ID) &&
	    !text(&it, 0, &n->message_id))
		return CL_EINVAL;
	it = doc;
	if (bson_iter_find(&it, CL_DOC_NOTE_DUE_MS)) {
		if (!BSON_ITER_HOLDS_INT64(&it) && !BSON_ITER_HOLDS_INT32(&it))
			return CL_EINVAL;
		n->due_ms = bson_iter_as_int64(&it);
	}
	return CL_OK;
}

/*
 * Read the array notes iterates (inside it) into *out and *np, as
 * note_parse() does with min and max.  Fails with CL_EINVAL; *out is then
 * NULL.
 */
static cl_err
notes_parse(bson_iter_t notes, int64_t due_ms, size_t min, size_t max,
    cl_reqdoc_note **out, size_t *np)
{
	cl_reqdoc_note *v;
	size_t n = 0;

	*out = NULL;
	*np = 0;
	v = cl_calloc(count(notes) + 1, sizeof *v);
	while (bson_iter_next(&notes))
		if (note_parse(&notes, due_ms, min, max, &v[n++]) != CL_OK) {
			cl_reqdoc_notes_free(v, n);
			return CL_EINVAL;
		}
	*out = v;
	*np = n;
	return CL_OK;
}

/*
 * Read attachments[], which it iterates (inside the array), into r's blob
 * ids.  Fails with CL_EINVAL.
 */
static cl_err
blobs_parse(bson_iter_t it, cl_reqdoc *r)
{
	bson_iter_t sub;
	const char *id;
	size_t i;

	r->blob_ids = cl_calloc(count(it) + 1, sizeof *r->blob_ids);
	while (bson_iter_next(&it)) {
		if (!BSON_ITER_HOLDS_DOCUMENT(&it) ||
		    !bson_iter_recurse(&it, &sub) ||
		    !bson_iter_find(&sub, CL_DOC_ATT_BLOB_ID) ||
		    !text(&sub, CL_REQDOC_BLOB_ID_MAX, &id))
			return CL_EINVAL;
		for (i = 0; i < r->nblobs; i++)
			if (strcmp(r->blob_ids[i], id) == 0)
				return CL_EINVAL;
		r->blob_ids[r->nblobs++] = id;
	}
	return CL_OK;
}

/*
 * Find the top-level key of doc as a string text() accepts into *p.
 * Cannot fail (false when absent or not one).
 */
static bool
top_text(const bson_t *doc, const char *key, size_t max, const char **p)
{
	bson_iter_t it;

	return bson_iter_init_find(&it, doc, key) && text(&it, max, p);
}

/* See reqdoc.h. */
cl_err
cl_reqdoc_parse(const bson_t *doc, cl_reqdoc *r)
{
	static const char *const reserved[] = { CL_DOC_STORE_KEYS };
	const char *receipt; /* checked, read from the document by its users */
	bson_iter_t it, arr;
	const char *what;
	size_t i;

	memset(r, 0, sizeof *r);
	r->doc = doc;
	what = "a valid document";
	if (doc == NULL || !bson_iter_init(&it, doc))
		goto err;
	what = "keys and values every store can hold";
	if (!portable(doc))
		goto err;
	what = "no outbox, email_lc, confirmed_ms or log_state key (reserved)";
	for (i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
		if (bson_iter_init_find(&it, doc, reserved[i]))
			goto err;
	what = "a valid token";
	if (!top_text(doc, CL_DOC_TOKEN, CL_REQDOC_TOKEN_MAX, &r->token))
		goto err;
	what = "a valid reference";
	if (!top_text(doc, CL_DOC_REFERENCE, 0, &r->reference))
		goto err;
	what = "a valid idempotency_key";
	if (!top_text(doc, CL_DOC_IDEMPOTENCY_KEY, 0, &r->idempotency_key))
		goto err;
	what = "a valid received_ms";
	if (!bson_iter_init_find(&it, doc, CL_DOC_RECEIVED_MS) ||
	    !(BSON_ITER_HOLDS_INT64(&it) || BSON_ITER_HOLDS_INT32(&it)))
		goto err;
	r->received_ms = bson_iter_as_int64(&it);
	what = "valid attachments";
	if (bson_iter_init_find(&it, doc, CL_DOC_ATTACHMENTS) &&
	    (!BSON_ITER_HOLDS_ARRAY(&it) || !bson_iter_recurse(&it, &arr) ||
		blobs_parse(arr, r) != CL_OK))
		goto err;
	what = "valid notifications";
	if (bson_iter_init_find(&it, doc, CL_DOC_NOTIFICATIONS) &&
	    (!BSON_ITER_HOLDS_ARRAY(&it) || !bson_iter_recurse(&it, &arr) ||
		notes_parse(arr, r->received_ms, 0, 0, &r->notes, &r->nnotes) !=
		    CL_OK))
		goto err;
	what = "a valid log and, with it, a receipt";
	if (bson_iter_init_find(&it, doc, CL_DOC_LOG) &&
	    (!text(&it, 0, &r->log) ||
		!top_text(doc, CL_DOC_RECEIPT, 0, &receipt)))
		goto err;
	return CL_OK;
err:
	cl_reqdoc_free(r);
	r->doc = doc;
	cl_log(CL_LOG_WARN, "store: request document lacks %s", what);
	return CL_EINVAL;
}

/* See reqdoc.h. */
void
cl_reqdoc_free(cl_reqdoc *r)
{
	if (r == NULL)
		return;
	free(r->blob_ids);
	cl_reqdoc_notes_free(r->notes, r->nnotes);
	memset(r, 0, sizeof *r);
}

/* See reqdoc.h. */
cl_err
cl_reqdoc_parse_notes(const bson_t *notes, int64_t due_ms, cl_reqdoc_note **out,
    size_t *n)
{
	bson_iter_t it;

	*out = NULL;
	*n = 0;
	if (notes == NULL || !bson_iter_init(&it, notes) || !portable(notes) ||
	    notes_parse(it, due_ms, 1, CL_REQDOC_NOTE_TO_MAX, out, n) !=
		CL_OK ||
	    *n == 0) {
		cl_reqdoc_notes_free(*out, *n);
		*out = NULL;
		*n = 0;
		cl_log(CL_LOG_WARN,
		    "store: notifications to queue are not "
		    "shaped as a document's");
		return CL_EINVAL;
	}
	return CL_OK;
}

/* See reqdoc.h. */
void
cl_reqdoc_notes_free(cl_reqdoc_note *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i].to);
	free(v);
}

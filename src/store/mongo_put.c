/*
 * mongo_put.c: request documents in the MongoDB store: the checked,
 * durable insert that links a request's blobs, look-up by a unique key, and
 * the counts (all requests, and those from one address since a time).
 *
 * Addresses compare without regard to the case of ASCII letters: put adds
 * a top-level email_lc, the normalised fields.email (cl_store_email_norm),
 * which the count matches on and readers never see.  The store does it
 * rather than its callers, so that the count cannot miss a request whose
 * caller forgot to normalise, and the stored fields stay exactly as sent.
 */
#include <stdlib.h>
#include <string.h>

#include "callin/alloc.h"
#include "callin/log.h"
#include "mongo_impl.h"

/*
 * Whether it holds a non-empty string without NUL bytes, shorter than max
 * bytes (0: any length).  Cannot fail.
 */
static bool
mg_is_text(const bson_iter_t *it, size_t max)
{
	const char *s;
	uint32_t len;

	if (!BSON_ITER_HOLDS_UTF8(it))
		return false;
	s = bson_iter_utf8(it, &len);
	return len > 0 && memchr(s, '\0', len) == NULL &&
	    (max == 0 || len < max);
}

/*
 * Check the element attachments[] it stands on and add its blob id to ids
 * (which has room for it).  Fails with CL_EINVAL when it is not a document
 * with a blob_id string, or names a blob already listed.
 */
static cl_err
mg_check_attachment(const bson_iter_t *elem, const char **ids, size_t *n)
{
	bson_iter_t it;
	const char *id;
	size_t i;

	if (!BSON_ITER_HOLDS_DOCUMENT(elem) || !bson_iter_recurse(elem, &it) ||
	    !bson_iter_find(&it, "blob_id") || !mg_is_text(&it, CL_BLOB_ID_MAX))
		return CL_EINVAL;
	id = bson_iter_utf8(&it, NULL);
	for (i = 0; i < *n; i++)
		if (strcmp(ids[i], id) == 0)
			return CL_EINVAL;
	ids[(*n)++] = id;
	return CL_OK;
}

/*
 * Check the keys of doc that the store relies on, exactly as the SQLite
 * backend does (so that neither refuses what the other takes): token,
 * reference and idempotency_key non-empty strings (token < CL_TOKEN_MAX),
 * received_ms an integer, attachments (when present) an array of documents
 * with a blob_id string each.  Collect those blob ids into *idsp
 * (allocated here, pointing into doc; the caller frees the array) and *np.
 * Fails with CL_EINVAL, logged; *idsp is then NULL.
 */
static cl_err
mg_check_doc(const bson_t *doc, const char ***idsp, size_t *np)
{
	const char **ids = NULL;
	const char *what;
	bson_iter_t it, att;
	size_t n = 0, cap;

	*idsp = NULL;
	*np = 0;
	what = "keys and values every store can hold";
	if (!cl_store_doc_portable(doc))
		goto err;
	what = "a valid token";
	if (!bson_iter_init_find(&it, doc, "token") ||
	    !mg_is_text(&it, CL_TOKEN_MAX))
		goto err;
	what = "a valid reference";
	if (!bson_iter_init_find(&it, doc, "reference") || !mg_is_text(&it, 0))
		goto err;
	what = "a valid idempotency_key";
	if (!bson_iter_init_find(&it, doc, "idempotency_key") ||
	    !mg_is_text(&it, 0))
		goto err;
	what = "a valid received_ms";
	if (!bson_iter_init_find(&it, doc, "received_ms") ||
	    !(BSON_ITER_HOLDS_INT64(&it) || BSON_ITER_HOLDS_INT32(&it)))
		goto err;
	what = "a valid attachments";
	if (!bson_iter_init_find(&it, doc, "attachments"))
		return CL_OK;
	if (!BSON_ITER_HOLDS_ARRAY(&it) || !bson_iter_recurse(&it, &att))
		goto err;
	for (cap = 0; bson_iter_next(&att); cap++)
		;
	ids = cl_calloc(cap, sizeof *ids);
	(void)bson_iter_recurse(&it, &att);
	while (bson_iter_next(&att))
		if (mg_check_attachment(&att, ids, &n) != CL_OK)
			goto err;
	*idsp = ids;
	*np = n;
	return CL_OK;
err:
	free(ids);
	cl_log(CL_LOG_WARN, "store: request document lacks %s", what);
	return CL_EINVAL;
}

/*
 * Check that the n blobs ids all exist in attachments.files (one find with
 * $in) and that no stored request references any of them.  Fails with
 * CL_EINVAL when one is malformed, unknown or linked, CL_EUNAVAIL.
 */
static cl_err
mg_check_blobs(struct mg_store *st, const char *const *ids, size_t n)
{
	bson_t filter = BSON_INITIALIZER, opts = BSON_INITIALIZER, sub, in;
	mongoc_cursor_t *cur = NULL;
	const bson_t *doc;
	bson_error_t err;
	bson_oid_t oid;
	char key[16];
	const char *k;
	size_t i, found = 0;
	bool linked;
	cl_err rc = CL_OK;

	BSON_APPEND_DOCUMENT_BEGIN(&filter, "_id", &sub);
	BSON_APPEND_ARRAY_BEGIN(&sub, "$in", &in);
	for (i = 0; i < n; i++) {
		if (!mg_parse_id(ids[i], &oid))
			break;
		bson_uint32_to_string((uint32_t)i, &k, key, sizeof key);
		bson_append_oid(&in, k, -1, &oid);
	}
	bson_append_array_end(&sub, &in);
	bson_append_document_end(&filter, &sub);
	if (i < n) {
		cl_log(CL_LOG_WARN, "store: request names a malformed blob id");
		rc = CL_EINVAL;
		goto err;
	}
	BSON_APPEND_DOCUMENT_BEGIN(&opts, "projection", &sub);
	BSON_APPEND_INT32(&sub, "_id", 1);
	bson_append_document_end(&opts, &sub);

	cur = mongoc_collection_find_with_opts(st->files, &filter, &opts, NULL);
	while (mongoc_cursor_next(cur, &doc))
		found++;
	if (mongoc_cursor_error(cur, &err)) {
		rc = mg_error(&err, "find blobs");
		goto err;
	}
	if (found != n) {
		cl_log(CL_LOG_WARN, "store: request names an unknown blob");
		rc = CL_EINVAL;
		goto err;
	}
	if ((rc = mg_referenced(st, ids, n, &linked)) != CL_OK)
		goto err;
	if (linked) {
		cl_log(CL_LOG_WARN, "store: request names a linked blob");
		rc = CL_EINVAL;
		goto err;
	}
err:
	mongoc_cursor_destroy(cur);
	bson_destroy(&filter);
	bson_destroy(&opts);
	return rc;
}

/*
 * Look for stored requests that share doc's idempotency key, reference or
 * token (one find, $or over the three unique indexes).  *found tells
 * whether there is one; existing (if not NULL) receives the token of the
 * one with the same idempotency key, "" when none has it.  Fails with
 * CL_EUNAVAIL.
 */
static cl_err
mg_collision(struct mg_store *st, const bson_t *doc, char *existing,
    bool *found)
{
	static const char *const keys[] = {
		"idempotency_key", "reference", "token",
	};
	bson_t filter = BSON_INITIALIZER, opts = BSON_INITIALIZER, arr, el;
	mongoc_cursor_t *cur = NULL;
	const bson_t *hit;
	bson_iter_t it, mine;
	bson_error_t err;
	char key[16];
	const char *k;
	size_t i;
	cl_err rc = CL_OK;

	*found = false;
	if (existing != NULL)
		existing[0] = '\0';
	BSON_APPEND_ARRAY_BEGIN(&filter, "$or", &arr);
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		(void)bson_iter_init_find(&it, doc, keys[i]);
		bson_uint32_to_string((uint32_t)i, &k, key, sizeof key);
		bson_append_document_begin(&arr, k, -1, &el);
		BSON_APPEND_VALUE(&el, keys[i], bson_iter_value(&it));
		bson_append_document_end(&arr, &el);
	}
	bson_append_array_end(&filter, &arr);
	BSON_APPEND_DOCUMENT_BEGIN(&opts, "projection", &el);
	BSON_APPEND_INT32(&el, "token", 1);
	BSON_APPEND_INT32(&el, "idempotency_key", 1);
	BSON_APPEND_INT32(&el, "_id", 0);
	bson_append_document_end(&opts, &el);

	(void)bson_iter_init_find(&mine, doc, "idempotency_key");
	cur = mongoc_collection_find_with_opts(st->requests, &filter, &opts,
	    NULL);
	while (mongoc_cursor_next(cur, &hit)) {
		*found = true;
		if (existing != NULL &&
		    bson_iter_init_find(&it, hit, "idempotency_key") &&
		    BSON_ITER_HOLDS_UTF8(&it) &&
		    strcmp(bson_iter_utf8(&it, NULL),
		    bson_iter_utf8(&mine, NULL)) == 0 &&
		    bson_iter_init_find(&it, hit, "token") &&
		    BSON_ITER_HOLDS_UTF8(&it))
			bson_strncpy(existing, bson_iter_utf8(&it, NULL),
			    CL_TOKEN_MAX);
	}
	if (mongoc_cursor_error(cur, &err)) {
		rc = mg_error(&err, "find duplicate");
		goto err;
	}
err:
	mongoc_cursor_destroy(cur);
	bson_destroy(&filter);
	bson_destroy(&opts);
	return rc;
}

/*
 * For cl_store_put(): add email_lc, doc's normalised fields.email, to the
 * document to insert: *stored (a copy of doc is made when it is NULL).
 * Nothing is added when doc has no address.  Fails with CL_EINVAL, logged,
 * for a document that already has an email_lc or confirmed_ms key
 * (reserved); *stored is
 * then left as it was.
 */
static cl_err
mg_email_doc(const bson_t *doc, bson_t **stored)
{
	bson_iter_t it;
	char *email;

	if (bson_iter_init_find(&it, doc, "email_lc") ||
	    bson_iter_init_find(&it, doc, "confirmed_ms")) {
		cl_log(CL_LOG_WARN, "store: request document has an email_lc "
		    "or confirmed_ms key (reserved)");
		return CL_EINVAL;
	}
	if ((email = cl_store_doc_email(doc)) == NULL)
		return CL_OK;
	if (*stored == NULL)
		*stored = bson_copy(doc);
	BSON_APPEND_UTF8(*stored, "email_lc", email);
	free(email);
	return CL_OK;
}

/*
 * Store the request document doc with one insert (w:"majority", j:true),
 * after checking that each blob it names exists and no request references
 * it.  The driver adds an ObjectId _id, mg_outbox_doc() the outbox
 * state of the notifications and mg_email_doc() the normalised address;
 * the rest is kept as given.  Fails
 * with CL_EDUP when a stored request shares the idempotency key (existing
 * gets its token), the reference or the token (existing ""), checked before
 * the blobs as in the SQLite backend; CL_EINVAL for a missing key, a
 * malformed notification, an unknown or linked blob, or a document the
 * driver refuses; CL_EUNAVAIL
 * when the store cannot be reached or refuses the write (then nothing is
 * stored, except after a write concern timeout: a retry with the same
 * idempotency key then gives CL_EDUP and the token).
 */
cl_err
mg_put(cl_store *base, const bson_t *doc, char *existing)
{
	struct mg_store *st = (struct mg_store *)base;
	const char **ids = NULL;
	bson_t *stored = NULL;
	bson_error_t err;
	bool found;
	size_t n;
	cl_err rc;

	if ((rc = mg_check_doc(doc, &ids, &n)) != CL_OK ||
	    (rc = mg_outbox_doc(doc, &stored)) != CL_OK ||
	    (rc = mg_email_doc(doc, &stored)) != CL_OK ||
	    (rc = mg_ready(st)) != CL_OK)
		goto err;
	if (n > 0 && (rc = mg_check_blobs(st, ids, n)) != CL_OK) {
		/* A duplicate wins over a bad blob, as with SQLite. */
		if (rc == CL_EINVAL &&
		    (rc = mg_collision(st, doc, existing, &found)) == CL_OK)
			rc = found ? CL_EDUP : CL_EINVAL;
		goto err;
	}
	if (!mongoc_collection_insert_one(st->requests, stored != NULL ?
	    stored : doc, st->wopts, NULL, &err)) {
		if ((rc = mg_error(&err, "insert request")) == CL_EDUP &&
		    (rc = mg_collision(st, doc, existing, &found)) == CL_OK)
			rc = CL_EDUP;
		goto err;
	}
err:
	bson_destroy(stored);
	free(ids);
	return rc;
}

/*
 * Find the request whose key equals value and copy it, without the _id,
 * outbox, email_lc and confirmed_ms the store added, into out.  Fails with CL_EINVAL for
 * an unknown key kind, CL_ENOTFOUND (also for a NULL value), CL_EUNAVAIL;
 * out is then an empty document with nothing to free.
 */
cl_err
mg_get(cl_store *base, cl_store_key key, const char *value, bson_t *out)
{
	struct mg_store *st = (struct mg_store *)base;
	bson_t filter = BSON_INITIALIZER, opts = BSON_INITIALIZER, proj;
	mongoc_cursor_t *cur = NULL;
	const bson_t *doc;
	bson_error_t err;
	const char *field;
	cl_err rc = CL_OK;

	bson_init(out);
	switch (key) {
	case CL_KEY_TOKEN:
		field = "token";
		break;
	case CL_KEY_REFERENCE:
		field = "reference";
		break;
	case CL_KEY_IDEMPOTENCY:
		field = "idempotency_key";
		break;
	default:
		field = NULL;
		break;
	}
	if (field == NULL) {
		rc = CL_EINVAL;
		goto err;
	}
	if (value == NULL) {
		rc = CL_ENOTFOUND;
		goto err;
	}
	if ((rc = mg_ready(st)) != CL_OK)
		goto err;
	BSON_APPEND_UTF8(&filter, field, value);
	BSON_APPEND_INT64(&opts, "limit", 1);
	BSON_APPEND_DOCUMENT_BEGIN(&opts, "projection", &proj);
	BSON_APPEND_INT32(&proj, "_id", 0);
	bson_append_document_end(&opts, &proj);

	cur = mongoc_collection_find_with_opts(st->requests, &filter, &opts,
	    NULL);
	if (mongoc_cursor_next(cur, &doc))
		bson_copy_to_excluding_noinit(doc, out, "outbox", "email_lc",
		    "confirmed_ms", NULL);
	else if (mongoc_cursor_error(cur, &err))
		rc = mg_error(&err, "find request");
	else
		rc = CL_ENOTFOUND;
err:
	mongoc_cursor_destroy(cur);
	bson_destroy(&filter);
	bson_destroy(&opts);
	return rc;
}

/*
 * Count the stored requests into *n (an exact count, countDocuments).
 * Fails with CL_EUNAVAIL.
 */
cl_err
mg_count(cl_store *base, int64_t *n)
{
	struct mg_store *st = (struct mg_store *)base;
	bson_t filter = BSON_INITIALIZER;
	bson_error_t err;
	int64_t c;
	cl_err rc;

	*n = 0;
	if ((rc = mg_ready(st)) != CL_OK)
		goto err;
	if ((c = mongoc_collection_count_documents(st->requests, &filter, NULL,
	    NULL, NULL, &err)) < 0) {
		rc = mg_error(&err, "count requests");
		goto err;
	}
	*n = c;
err:
	bson_destroy(&filter);
	return rc;
}

/*
 * Count into *n the requests whose email_lc equals email (already
 * normalised) and whose received_ms is at or after since_ms: an exact
 * count (countDocuments, the server's default read concern) on the
 * {email_lc, received_ms} index.  Fails with CL_EUNAVAIL.
 */
cl_err
mg_count_by_email(cl_store *base, const char *email, int64_t since_ms,
    int64_t *n)
{
	struct mg_store *st = (struct mg_store *)base;
	bson_t *filter;
	bson_error_t err;
	int64_t c;
	cl_err rc;

	*n = 0;
	filter = BCON_NEW("email_lc", BCON_UTF8(email),
	    "received_ms", "{", "$gte", BCON_INT64(since_ms), "}");
	if ((rc = mg_ready(st)) != CL_OK)
		goto err;
	if ((c = mongoc_collection_count_documents(st->requests, filter, NULL,
	    NULL, NULL, &err)) < 0) {
		rc = mg_error(&err, "count requests by email");
		goto err;
	}
	*n = c;
err:
	bson_destroy(filter);
	return rc;
}

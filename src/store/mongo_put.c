/*
 * mongo_put.c: request documents in the MongoDB store: the checked,
 * durable insert that links a request's blobs, look-up by a unique key, and
 * the counts (all requests, and those from one address since a time).
 *
 * Addresses compare without regard to the case of ASCII letters: put adds
 * a top-level email_lc, the normalised fields.email (st_email_norm),
 * which the count matches on and readers never see.  The store does it
 * rather than its callers, so that the count cannot miss a request whose
 * caller forgot to normalise, and the stored fields stay exactly as sent.
 */
#include <stdlib.h>
#include <string.h>

#include "callin/alloc.h"
#include "callin/err.h"
#include "callin/log.h"
#include "mongo_impl.h"

/*
 * Check that the n blobs ids all exist in attachments.files (one find with
 * $in) and that no stored request references any of them.  Fails with
 * CL_EINVAL when one is malformed, unknown or linked, CL_EUNAVAIL.
 */
static cl_err
mg_check_blobs(struct mg_store *st, const char *const *ids, size_t n)
{
	bson_t filter = BSON_INITIALIZER, opts = BSON_INITIALIZER, sub;
	mongoc_cursor_t *cur = NULL;
	const bson_t *doc;
	bson_error_t err;
	bson_oid_t *oids;
	size_t i, found = 0;
	bool linked;
	cl_err rc = CL_OK;

	oids = cl_calloc(n + 1, sizeof *oids);
	for (i = 0; i < n; i++)
		if (!mg_parse_id(ids[i], &oids[i]))
			break;
	mg_append_in(&filter, "_id", NULL, oids, i);
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
	free(oids);
	return rc;
}

/*
 * Look for stored requests that share r's idempotency key, reference or
 * token (one find, $or over the three unique indexes).  *found tells
 * whether there is one; existing (if not NULL) receives the token of the
 * one with the same idempotency key, "" when none has it.  Fails with
 * CL_EUNAVAIL.
 */
static cl_err
mg_collision(struct mg_store *st, const cl_reqdoc *r, char *existing,
    bool *found)
{
	const char *const keys[] = {
		CL_DOC_IDEMPOTENCY_KEY,
		CL_DOC_REFERENCE,
		CL_DOC_TOKEN,
	};
	const char *const values[] = {
		r->idempotency_key,
		r->reference,
		r->token,
	};
	bson_t filter = BSON_INITIALIZER, opts = BSON_INITIALIZER, arr, el;
	mongoc_cursor_t *cur = NULL;
	const bson_t *hit;
	bson_error_t err;
	char key[16];
	const char *k, *idem, *token;
	size_t i;
	cl_err rc = CL_OK;

	*found = false;
	if (existing != NULL)
		existing[0] = '\0';
	BSON_APPEND_ARRAY_BEGIN(&filter, "$or", &arr);
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		bson_uint32_to_string((uint32_t)i, &k, key, sizeof key);
		bson_append_document_begin(&arr, k, -1, &el);
		BSON_APPEND_UTF8(&el, keys[i], values[i]);
		bson_append_document_end(&arr, &el);
	}
	bson_append_array_end(&filter, &arr);
	BSON_APPEND_DOCUMENT_BEGIN(&opts, "projection", &el);
	BSON_APPEND_INT32(&el, CL_DOC_TOKEN, 1);
	BSON_APPEND_INT32(&el, CL_DOC_IDEMPOTENCY_KEY, 1);
	BSON_APPEND_INT32(&el, "_id", 0);
	bson_append_document_end(&opts, &el);

	cur = mongoc_collection_find_with_opts(st->requests, &filter, &opts,
	    NULL);
	while (mongoc_cursor_next(cur, &hit)) {
		*found = true;
		idem = cl_reqdoc_str(hit, CL_DOC_IDEMPOTENCY_KEY, NULL, NULL);
		token = cl_reqdoc_str(hit, CL_DOC_TOKEN, NULL, NULL);
		if (existing != NULL && idem != NULL && token != NULL &&
		    strcmp(idem, r->idempotency_key) == 0)
			bson_strncpy(existing, token, CL_TOKEN_MAX);
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
 * Store the checked request p with one insert (w:"majority", j:true),
 * after checking that each blob it names exists and no request references
 * it.  The driver adds an ObjectId _id; the document inserted is r's with,
 * when it has notifications, the outbox array (mg_outbox_append) and, when
 * it has an address, email_lc, its normalised fields.email; the rest is
 * kept as given.  Sets and returns p->rc: CL_EDUP when a stored request
 * shares the idempotency key (existing gets its token), the reference or
 * the token (existing ""), which wins over a bad blob as in the SQLite
 * backend; CL_EINVAL for an unknown or linked blob or a document the
 * driver refuses; CL_EUNAVAIL when the store cannot be reached or refuses
 * the write (then nothing is stored, except after a write concern timeout:
 * a retry with the same idempotency key then gives CL_EDUP and the token).
 */
cl_err
mg_put(cl_store *base, struct st_put *p)
{
	struct mg_store *st = (struct mg_store *)base;
	const cl_reqdoc *r = &p->req;
	bson_t *stored = NULL;
	bson_error_t err;
	bool found;
	cl_err rc;

	if ((rc = mg_ready(st)) != CL_OK)
		goto err;
	if (r->nblobs > 0 &&
	    (rc = mg_check_blobs(st, r->blob_ids, r->nblobs)) != CL_OK) {
		/* A duplicate wins over a bad blob, as with SQLite. */
		if (rc == CL_EINVAL &&
		    (rc = mg_collision(st, r, p->existing_token, &found)) ==
			CL_OK)
			rc = found ? CL_EDUP : CL_EINVAL;
		goto err;
	}
	if (r->nnotes > 0 || p->email != NULL || r->log != NULL) {
		stored = bson_copy(r->doc);
		if (r->nnotes > 0)
			mg_outbox_append(r, stored);
		if (r->log != NULL)
			mg_log_mark(stored);
		if (p->email != NULL)
			BSON_APPEND_UTF8(stored, CL_DOC_EMAIL_LC, p->email);
	}
	if (!mongoc_collection_insert_one(st->requests,
		stored != NULL ? stored : r->doc, st->wopts, NULL, &err)) {
		if ((rc = mg_error(&err, "insert request")) == CL_EDUP &&
		    (rc = mg_collision(st, r, p->existing_token, &found)) ==
			CL_OK)
			rc = CL_EDUP;
		goto err;
	}
err:
	bson_destroy(stored);
	return p->rc = rc;
}

/*
 * Find the request whose key (checked by store.c) equals value and copy
 * it, without the _id, outbox, email_lc, confirmed_ms and log_state the
 * store added,
 * into out (initialised by store.c).  Fails with CL_ENOTFOUND, CL_EUNAVAIL.
 */
cl_err
mg_get(cl_store *base, cl_store_key key, const char *value, bson_t *out)
{
	struct mg_store *st = (struct mg_store *)base;
	bson_t filter = BSON_INITIALIZER, opts = BSON_INITIALIZER, proj;
	mongoc_cursor_t *cur = NULL;
	const bson_t *doc;
	bson_error_t err;
	static const char *const by_key[] = {
		[CL_KEY_TOKEN] = CL_DOC_TOKEN,
		[CL_KEY_REFERENCE] = CL_DOC_REFERENCE,
		[CL_KEY_IDEMPOTENCY] = CL_DOC_IDEMPOTENCY_KEY,
	};
	cl_err rc = CL_OK;

	CL_ASSERT(
	    (size_t)key < sizeof by_key / sizeof by_key[0] && value != NULL);
	if ((rc = mg_ready(st)) != CL_OK)
		goto err;
	BSON_APPEND_UTF8(&filter, by_key[key], value);
	BSON_APPEND_INT64(&opts, "limit", 1);
	BSON_APPEND_DOCUMENT_BEGIN(&opts, "projection", &proj);
	BSON_APPEND_INT32(&proj, "_id", 0);
	bson_append_document_end(&opts, &proj);

	cur = mongoc_collection_find_with_opts(st->requests, &filter, &opts,
	    NULL);
	if (mongoc_cursor_next(cur, &doc))
		bson_copy_to_excluding_noinit(doc, out, CL_DOC_STORE_KEYS,
		    NULL);
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
	filter = BCON_NEW(CL_DOC_EMAIL_LC, BCON_UTF8(email), CL_DOC_RECEIVED_MS,
	    "{", "$gte", BCON_INT64(since_ms), "}");
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

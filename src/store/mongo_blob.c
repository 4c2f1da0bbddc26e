/*
 * mongo_blob.c: attachments of the MongoDB store, kept in the GridFS bucket
 * "attachments": streamed upload, abort, delete, read, and the sweep of
 * blobs no request references.
 *
 * Two driver quirks (mongo-c-driver 1.23.1) shape the upload:
 *   - a chunk insert that fails inside mongoc_stream_write() is not reported
 *     by the write itself, only by mongoc_gridfs_bucket_stream_error(), so
 *     that is checked after every write;
 *   - at close the driver inserts the final partial chunk, ignores its
 *     result, then inserts the files document, whose success clears the
 *     chunk's error: close returns 0 for a file missing its last chunk.
 *     mg_blob_finish() therefore checks that chunk is stored.
 */
#include <stdlib.h>
#include <string.h>

#include "callin/alloc.h"
#include "callin/log.h"
#include "mongo_impl.h"

#define MG_READ_BUF (64 * 1024)

/* Set v to the ObjectId oid.  Cannot fail. */
static void
mg_oid_value(bson_value_t *v, const bson_oid_t *oid)
{
	memset(v, 0, sizeof *v);
	v->value_type = BSON_TYPE_OID;
	bson_oid_copy(oid, &v->value.v_oid);
}

/*
 * Remove the n GridFS files ids: their files documents first, then their
 * chunks (so that a half-done removal leaves orphan chunks, which the sweep
 * finds).  *deleted (if not NULL) gets how many files documents went.
 * Fails with CL_EUNAVAIL.
 */
static cl_err
mg_remove(struct mg_store *st, const bson_oid_t *ids, size_t n,
    int64_t *deleted)
{
	bson_t files = BSON_INITIALIZER, chunks = BSON_INITIALIZER, reply;
	bson_iter_t it;
	bson_error_t err;
	cl_err rc = CL_OK;

	mg_append_in(&files, "_id", NULL, ids, n);
	mg_append_in(&chunks, "files_id", NULL, ids, n);

	if (!mongoc_collection_delete_many(st->files, &files, st->wopts, &reply,
		&err)) {
		bson_destroy(&reply);
		rc = mg_error(&err, "delete files");
		goto err;
	}
	if (deleted != NULL)
		*deleted = bson_iter_init_find(&it, &reply, "deletedCount") ?
		    bson_iter_as_int64(&it) :
		    0;
	bson_destroy(&reply);
	if (!mongoc_collection_delete_many(st->chunks, &chunks, st->wopts, NULL,
		&err)) {
		rc = mg_error(&err, "delete chunks");
		goto err;
	}
err:
	bson_destroy(&files);
	bson_destroy(&chunks);
	return rc;
}

/* Free the writer b (its stream must be gone).  Cannot fail. */
static void
mg_blob_free(struct mg_blob *b)
{
	bson_value_destroy(&b->id);
	free(b);
}

/*
 * Start a GridFS upload named name, with metadata {state: "pending",
 * created_ms}.  Connects (and creates the indexes) on a handle's first use,
 * so an unreachable store fails here, before any body is read.  Fails with
 * CL_EINVAL for a NULL name, CL_EUNAVAIL.
 */
cl_err
mg_blob_open(cl_store *base, const char *name, cl_blob **out)
{
	struct mg_store *st = (struct mg_store *)base;
	struct mg_blob *b = NULL;
	bson_t opts = BSON_INITIALIZER, meta;
	bson_error_t err;
	cl_err rc;

	*out = NULL;
	if (name == NULL) {
		rc = CL_EINVAL;
		goto err;
	}
	if ((rc = mg_ready(st)) != CL_OK)
		goto err;
	BSON_APPEND_DOCUMENT_BEGIN(&opts, "metadata", &meta);
	BSON_APPEND_UTF8(&meta, "state", "pending");
	BSON_APPEND_INT64(&meta, "created_ms", cl_now_ms());
	bson_append_document_end(&opts, &meta);

	b = cl_calloc(1, sizeof *b);
	b->base.ops = st->base.ops;
	b->st = st;
	if ((b->stream = mongoc_gridfs_bucket_open_upload_stream(st->bucket,
		 name, &opts, &b->id, &err)) == NULL) {
		rc = mg_error(&err, "open upload");
		goto err;
	}
	bson_destroy(&opts);
	*out = &b->base;
	return CL_OK;
err:
	free(b);
	bson_destroy(&opts);
	return rc;
}

/*
 * Append n bytes to the upload, checking the stream's error after every
 * write (the driver does not report a failed chunk insert otherwise).
 * No write goes past the end of the chunk being filled: when a chunk's
 * insert fails, libmongoc's GridFS writev (1.23, and still upstream) keeps
 * the full buffer and loops inserting it again, without end while the
 * server is gone, unless the insert came on the last byte of the write.
 * Fails with CL_EUNAVAIL; the blob must then be aborted.
 */
cl_err
mg_blob_write(cl_blob *base, const void *p, size_t n)
{
	struct mg_blob *b = (struct mg_blob *)base;
	const char *s = p;
	bson_error_t err;
	ssize_t w;
	size_t len;
	cl_err rc;

	if (b->failed) {
		rc = CL_EUNAVAIL;
		goto err;
	}
	while (n > 0) {
		/* Up to the end of the current chunk (see above). */
		len = MG_CHUNK_SIZE - (size_t)(b->size % MG_CHUNK_SIZE);
		if (len > n)
			len = n;
		w = mongoc_stream_write(b->stream, (void *)s, len, 0);
		if (mongoc_gridfs_bucket_stream_error(b->stream, &err)) {
			rc = mg_error(&err, "upload chunk");
			goto err;
		}
		if (w != (ssize_t)len) {
			cl_log(CL_LOG_ERROR,
			    "store: GridFS upload wrote %zd "
			    "of %zu bytes",
			    w, len);
			rc = CL_EUNAVAIL;
			goto err;
		}
		s += len;
		n -= len;
		b->size += (int64_t)len;
	}
	return CL_OK;
err:
	b->failed = true;
	return rc;
}

/*
 * Check that the last chunk of the closed upload b is stored (see the note
 * at the top).  A file whose size is a multiple of the chunk size had all
 * its chunks written, and checked, by mg_blob_write().  Fails with
 * CL_EUNAVAIL when the chunk is missing or the store cannot answer.
 */
static cl_err
mg_blob_verify(struct mg_blob *b)
{
	bson_t filter = BSON_INITIALIZER, opts = BSON_INITIALIZER, proj;
	mongoc_cursor_t *cur = NULL;
	const bson_t *doc;
	bson_error_t err;
	cl_err rc = CL_OK;

	if (b->size % MG_CHUNK_SIZE == 0)
		goto err;
	BSON_APPEND_VALUE(&filter, "files_id", &b->id);
	BSON_APPEND_INT32(&filter, "n", (int32_t)(b->size / MG_CHUNK_SIZE));
	BSON_APPEND_INT64(&opts, "limit", 1);
	BSON_APPEND_DOCUMENT_BEGIN(&opts, "projection", &proj);
	BSON_APPEND_INT32(&proj, "_id", 1);
	bson_append_document_end(&opts, &proj);
	cur = mongoc_collection_find_with_opts(b->st->chunks, &filter, &opts,
	    NULL);
	if (!mongoc_cursor_next(cur, &doc)) {
		if (mongoc_cursor_error(cur, &err))
			rc = mg_error(&err, "check last chunk");
		else {
			cl_log(CL_LOG_ERROR,
			    "store: GridFS upload lost its "
			    "last chunk");
			rc = CL_EUNAVAIL;
		}
		goto err;
	}
err:
	mongoc_cursor_destroy(cur);
	bson_destroy(&filter);
	bson_destroy(&opts);
	return rc;
}

/*
 * Finish the upload: close the stream (which writes the last chunk and the
 * files document), check it, copy the ObjectId's hex into id and free b.
 * On failure remove whatever of the file reached the store (files document
 * and chunks; what cannot be removed now is left to the sweep) and free b.
 * Fails with CL_EUNAVAIL (or CL_EIO for a corrupt file).
 */
cl_err
mg_blob_finish(cl_blob *base, char *id)
{
	struct mg_blob *b = (struct mg_blob *)base;
	bson_error_t err;
	cl_err rc;

	id[0] = '\0';
	if (b->failed) {
		mg_blob_abort(base);
		return CL_EUNAVAIL;
	}
	if (mongoc_stream_close(b->stream) != 0) {
		if (mongoc_gridfs_bucket_stream_error(b->stream, &err))
			rc = mg_error(&err, "finish upload");
		else
			rc = CL_EUNAVAIL;
		goto err;
	}
	if (mongoc_gridfs_bucket_stream_error(b->stream, &err)) {
		rc = mg_error(&err, "finish upload");
		goto err;
	}
	if ((rc = mg_blob_verify(b)) != CL_OK)
		goto err;
	mongoc_stream_destroy(b->stream);
	bson_oid_to_string(&b->id.value.v_oid, id);
	mg_blob_free(b);
	return CL_OK;
err:
	/* Closing again after a failed close inserts nothing. */
	mongoc_stream_destroy(b->stream);
	if (mg_remove(b->st, &b->id.value.v_oid, 1, NULL) != CL_OK)
		cl_log(CL_LOG_WARN, "store: failed upload left for the sweep");
	mg_blob_free(b);
	return rc;
}

/*
 * Abandon the upload: delete the chunks written so far (the driver's
 * abort_upload, which also stops close from writing a files document) and
 * free b.  Chunks that cannot be deleted now are left to the sweep.
 * Cannot fail.
 */
void
mg_blob_abort(cl_blob *base)
{
	struct mg_blob *b = (struct mg_blob *)base;
	bson_error_t err;

	if (!mongoc_gridfs_bucket_abort_upload(b->stream)) {
		if (mongoc_gridfs_bucket_stream_error(b->stream, &err))
			(void)mg_error(&err, "abort upload");
		cl_log(CL_LOG_WARN, "store: aborted upload left for the sweep");
	}
	mongoc_stream_destroy(b->stream);
	mg_blob_free(b);
}

/*
 * Parse the blob id into *oid and set *ref to whether a stored request
 * references it.  Fails with CL_ENOTFOUND for a malformed id, CL_EUNAVAIL.
 */
static cl_err
mg_blob_ref(struct mg_store *st, const char *id, bson_oid_t *oid, bool *ref)
{
	cl_err rc;

	if (!mg_parse_id(id, oid))
		return CL_ENOTFOUND;
	if ((rc = mg_ready(st)) != CL_OK)
		return rc;
	return mg_referenced(st, &id, 1, ref);
}

/*
 * Delete the finished blob id unless a request references it.  Fails with
 * CL_ENOTFOUND for a malformed or unknown id, CL_EINVAL when referenced,
 * CL_EUNAVAIL.
 */
cl_err
mg_blob_delete(cl_store *base, const char *id)
{
	struct mg_store *st = (struct mg_store *)base;
	bson_oid_t oid;
	int64_t deleted = 0;
	bool ref;
	cl_err rc;

	if ((rc = mg_blob_ref(st, id, &oid, &ref)) != CL_OK)
		goto err;
	if (ref) {
		rc = CL_EINVAL;
		goto err;
	}
	if ((rc = mg_remove(st, &oid, 1, &deleted)) != CL_OK)
		goto err;
	if (deleted == 0)
		rc = CL_ENOTFOUND;
err:
	return rc;
}

/*
 * Stream the bytes of the referenced blob id to sink.  Fails with
 * CL_ENOTFOUND for a malformed, unknown or unreferenced id, the sink's error
 * as is, CL_EIO for a corrupt file, CL_EUNAVAIL.
 */
cl_err
mg_blob_read(cl_store *base, const char *id, cl_store_sink sink, void *arg)
{
	struct mg_store *st = (struct mg_store *)base;
	mongoc_stream_t *s = NULL;
	unsigned char *buf = NULL;
	bson_value_t val;
	bson_error_t err;
	bson_oid_t oid;
	ssize_t r;
	bool ref;
	cl_err rc;

	if ((rc = mg_blob_ref(st, id, &oid, &ref)) != CL_OK)
		goto err;
	if (!ref) {
		rc = CL_ENOTFOUND;
		goto err;
	}
	mg_oid_value(&val, &oid);
	if ((s = mongoc_gridfs_bucket_open_download_stream(st->bucket, &val,
		 &err)) == NULL) {
		rc = mg_error(&err, "open download");
		goto err;
	}
	buf = cl_malloc(MG_READ_BUF);
	for (;;) {
		r = mongoc_stream_read(s, buf, MG_READ_BUF, 1, 0);
		if (mongoc_gridfs_bucket_stream_error(s, &err)) {
			rc = mg_error(&err, "download");
			goto err;
		}
		if (r < 0) {
			rc = CL_EIO;
			goto err;
		}
		if (r == 0)
			break;
		if ((rc = sink(arg, buf, (size_t)r)) != CL_OK)
			goto err;
	}
err:
	free(buf);
	if (s != NULL)
		mongoc_stream_destroy(s);
	return rc;
}

/*
 * Look at the n pending files ids: mark those a request references
 * "linked" (so later sweeps skip them) and remove the others, adding how
 * many went to *removed.  Fails with CL_EUNAVAIL.
 */
static cl_err
mg_sweep_batch(struct mg_store *st, const bson_oid_t *ids, size_t n,
    int64_t *removed)
{
	char hex[MG_BATCH][25];
	const char *hexp[MG_BATCH];
	bool linked[MG_BATCH] = { false };
	bson_oid_t keep[MG_BATCH], drop[MG_BATCH];
	size_t i, nkeep = 0, ndrop = 0;
	bson_t filter = BSON_INITIALIZER, opts = BSON_INITIALIZER;
	bson_t update = BSON_INITIALIZER, sub;
	bson_iter_t it, att, el;
	mongoc_cursor_t *cur = NULL;
	const bson_t *doc;
	bson_error_t err;
	const char *bid;
	int64_t deleted;
	cl_err rc = CL_OK;

	for (i = 0; i < n; i++) {
		bson_oid_to_string(&ids[i], hex[i]);
		hexp[i] = hex[i];
	}
	mg_append_in(&filter, MG_BLOB_REF, hexp, NULL, n);
	BSON_APPEND_DOCUMENT_BEGIN(&opts, "projection", &sub);
	BSON_APPEND_INT32(&sub, MG_BLOB_REF, 1);
	BSON_APPEND_INT32(&sub, "_id", 0);
	bson_append_document_end(&opts, &sub);

	cur = mongoc_collection_find_with_opts(st->requests, &filter, &opts,
	    NULL);
	while (mongoc_cursor_next(cur, &doc)) {
		if (!bson_iter_init_find(&it, doc, CL_DOC_ATTACHMENTS) ||
		    !BSON_ITER_HOLDS_ARRAY(&it) ||
		    !bson_iter_recurse(&it, &att))
			continue;
		while (bson_iter_next(&att)) {
			if (!BSON_ITER_HOLDS_DOCUMENT(&att) ||
			    !bson_iter_recurse(&att, &el) ||
			    !bson_iter_find(&el, CL_DOC_ATT_BLOB_ID) ||
			    !BSON_ITER_HOLDS_UTF8(&el))
				continue;
			bid = bson_iter_utf8(&el, NULL);
			for (i = 0; i < n; i++)
				if (strcmp(bid, hex[i]) == 0)
					linked[i] = true;
		}
	}
	if (mongoc_cursor_error(cur, &err)) {
		rc = mg_error(&err, "sweep: find requests");
		goto err;
	}
	for (i = 0; i < n; i++) {
		if (linked[i])
			bson_oid_copy(&ids[i], &keep[nkeep++]);
		else
			bson_oid_copy(&ids[i], &drop[ndrop++]);
	}

	if (nkeep > 0) {
		bson_reinit(&filter);
		mg_append_in(&filter, "_id", NULL, keep, nkeep);
		BSON_APPEND_DOCUMENT_BEGIN(&update, "$set", &sub);
		BSON_APPEND_UTF8(&sub, "metadata.state", "linked");
		bson_append_document_end(&update, &sub);
		if (!mongoc_collection_update_many(st->files, &filter, &update,
			st->wopts, NULL, &err)) {
			rc = mg_error(&err, "sweep: mark linked");
			goto err;
		}
	}
	if (ndrop > 0) {
		if ((rc = mg_remove(st, drop, ndrop, &deleted)) != CL_OK)
			goto err;
		*removed += deleted;
	}
err:
	mongoc_cursor_destroy(cur);
	bson_destroy(&filter);
	bson_destroy(&opts);
	bson_destroy(&update);
	return rc;
}

/*
 * Run the find filter/opts on coll and hand the ObjectIds at field of what
 * it yields to batch, MG_BATCH at a time (the last batch shorter), with
 * removed.  Fails with CL_EUNAVAIL (logged with what) or as batch fails.
 */
static cl_err
mg_sweep_ids(struct mg_store *st, mongoc_collection_t *coll,
    const bson_t *filter, const bson_t *opts, const char *field,
    cl_err (*batch)(struct mg_store *, const bson_oid_t *, size_t, int64_t *),
    int64_t *removed, const char *what)
{
	bson_oid_t ids[MG_BATCH];
	mongoc_cursor_t *cur;
	const bson_t *doc;
	bson_error_t err;
	bson_iter_t it;
	size_t n = 0;
	cl_err rc = CL_OK;

	cur = mongoc_collection_find_with_opts(coll, filter, opts, NULL);
	while (mongoc_cursor_next(cur, &doc)) {
		if (!bson_iter_init_find(&it, doc, field) ||
		    !BSON_ITER_HOLDS_OID(&it))
			continue;
		bson_oid_copy(bson_iter_oid(&it), &ids[n++]);
		if (n == MG_BATCH) {
			if ((rc = batch(st, ids, n, removed)) != CL_OK)
				goto err;
			n = 0;
		}
	}
	if (mongoc_cursor_error(cur, &err)) {
		rc = mg_error(&err, what);
		goto err;
	}
	if (n > 0)
		rc = batch(st, ids, n, removed);
err:
	mongoc_cursor_destroy(cur);
	return rc;
}

/*
 * Sweep pass 1: every files document still "pending" and created before
 * older_than_ms goes through mg_sweep_batch(), MG_BATCH at a time.  Fails
 * with CL_EUNAVAIL.
 */
static cl_err
mg_sweep_files(struct mg_store *st, int64_t older_than_ms, int64_t *removed)
{
	bson_t filter = BSON_INITIALIZER, opts = BSON_INITIALIZER, sub;
	cl_err rc;

	BSON_APPEND_UTF8(&filter, "metadata.state", "pending");
	BSON_APPEND_DOCUMENT_BEGIN(&filter, "metadata.created_ms", &sub);
	BSON_APPEND_INT64(&sub, "$lt", older_than_ms);
	bson_append_document_end(&filter, &sub);
	BSON_APPEND_DOCUMENT_BEGIN(&opts, "projection", &sub);
	BSON_APPEND_INT32(&sub, "_id", 1);
	bson_append_document_end(&opts, &sub);

	rc = mg_sweep_ids(st, st->files, &filter, &opts, "_id", mg_sweep_batch,
	    removed, "sweep: find files");
	bson_destroy(&filter);
	bson_destroy(&opts);
	return rc;
}

/*
 * Of the n files ids whose chunk 0 exists, remove the chunks of those that
 * have no files document, adding how many to *removed.  Fails with
 * CL_EUNAVAIL.
 */
static cl_err
mg_orphan_batch(struct mg_store *st, const bson_oid_t *ids, size_t n,
    int64_t *removed)
{
	bson_t filter = BSON_INITIALIZER, opts = BSON_INITIALIZER, sub;
	bool present[MG_BATCH] = { false };
	bson_oid_t drop[MG_BATCH];
	mongoc_cursor_t *cur = NULL;
	const bson_t *doc;
	bson_error_t err;
	bson_iter_t it;
	size_t i, ndrop = 0;
	cl_err rc = CL_OK;

	mg_append_in(&filter, "_id", NULL, ids, n);
	BSON_APPEND_DOCUMENT_BEGIN(&opts, "projection", &sub);
	BSON_APPEND_INT32(&sub, "_id", 1);
	bson_append_document_end(&opts, &sub);

	cur = mongoc_collection_find_with_opts(st->files, &filter, &opts, NULL);
	while (mongoc_cursor_next(cur, &doc)) {
		if (!bson_iter_init_find(&it, doc, "_id") ||
		    !BSON_ITER_HOLDS_OID(&it))
			continue;
		for (i = 0; i < n; i++)
			if (bson_oid_equal(bson_iter_oid(&it), &ids[i]))
				present[i] = true;
	}
	if (mongoc_cursor_error(cur, &err)) {
		rc = mg_error(&err, "sweep: find orphans' files");
		goto err;
	}
	for (i = 0; i < n; i++)
		if (!present[i])
			bson_oid_copy(&ids[i], &drop[ndrop++]);
	if (ndrop == 0)
		goto err;

	bson_reinit(&filter);
	mg_append_in(&filter, "files_id", NULL, drop, ndrop);
	if (!mongoc_collection_delete_many(st->chunks, &filter, st->wopts, NULL,
		&err)) {
		rc = mg_error(&err, "sweep: delete orphan chunks");
		goto err;
	}
	*removed += (int64_t)ndrop;
err:
	mongoc_cursor_destroy(cur);
	bson_destroy(&filter);
	bson_destroy(&opts);
	return rc;
}

/*
 * Sweep pass 2: chunks with no files document, left by an upload whose
 * process died or whose clean-up failed.  Candidates are chunk 0 of files
 * whose ObjectId (its first 4 bytes: creation time in seconds) is older
 * than older_than_ms; the query is covered by the files_id_1_n_1 index.
 * Fails with CL_EUNAVAIL.
 */
static cl_err
mg_sweep_chunks(struct mg_store *st, int64_t older_than_ms, int64_t *removed)
{
	bson_t filter = BSON_INITIALIZER, opts = BSON_INITIALIZER, sub;
	bson_oid_t bound;
	uint8_t raw[12] = { 0 };
	uint32_t secs;
	cl_err rc = CL_OK;

	if (older_than_ms <= 0)
		goto err;
	secs = older_than_ms / 1000 > UINT32_MAX ?
	    UINT32_MAX :
	    (uint32_t)(older_than_ms / 1000);
	raw[0] = (uint8_t)(secs >> 24);
	raw[1] = (uint8_t)(secs >> 16);
	raw[2] = (uint8_t)(secs >> 8);
	raw[3] = (uint8_t)secs;
	bson_oid_init_from_data(&bound, raw);

	BSON_APPEND_DOCUMENT_BEGIN(&filter, "files_id", &sub);
	BSON_APPEND_OID(&sub, "$lt", &bound);
	bson_append_document_end(&filter, &sub);
	BSON_APPEND_INT32(&filter, "n", 0);
	BSON_APPEND_DOCUMENT_BEGIN(&opts, "projection", &sub);
	BSON_APPEND_INT32(&sub, "files_id", 1);
	BSON_APPEND_INT32(&sub, "_id", 0);
	bson_append_document_end(&opts, &sub);

	rc = mg_sweep_ids(st, st->chunks, &filter, &opts, "files_id",
	    mg_orphan_batch, removed, "sweep: find chunks");
err:
	bson_destroy(&filter);
	bson_destroy(&opts);
	return rc;
}

/*
 * Remove the blobs no request references that were started before
 * older_than_ms: pending files (pass 1) and orphan chunks (pass 2).  A blob
 * must not be linked while a sweep that could see it runs: callers pass a
 * bound far older than any submission in flight.  *removed gets how many
 * blobs went.  Fails with CL_EUNAVAIL (*removed then counts what went).
 */
cl_err
mg_sweep(cl_store *base, int64_t older_than_ms, int64_t *removed)
{
	struct mg_store *st = (struct mg_store *)base;
	cl_err rc;

	*removed = 0;
	if ((rc = mg_ready(st)) != CL_OK ||
	    (rc = mg_sweep_files(st, older_than_ms, removed)) != CL_OK ||
	    (rc = mg_sweep_chunks(st, older_than_ms, removed)) != CL_OK)
		goto err;
err:
	return rc;
}

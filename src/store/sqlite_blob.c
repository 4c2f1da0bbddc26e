/*
 * sqlite_blob.c: attachments in the SQLite store.
 *
 * A blob is a row of blobs (name, created_ms, size, request_token) and its
 * bytes in rows of blob_chunks of SQ_CHUNK bytes each (the last one
 * shorter).  The blob row is inserted when writing starts, with size NULL
 * until cl_blob_finish() and request_token NULL until cl_store_put() links
 * it; readers only see linked blobs, and cl_store_sweep() removes unlinked
 * ones, also those of a writer that died half way.
 *
 * Chunks are written as they fill, each in its own short autocommit
 * transaction, so a 25 MiB upload holds at most one chunk in memory and
 * never holds the write lock for long.  These writes run at
 * synchronous=NORMAL: a WAL commit is then not fsynced by itself, but the
 * WAL is one append-only file, and the synchronous=FULL commit of the
 * request that links the blob (cl_store_put, necessarily later) fsyncs the
 * whole WAL, chunk frames included; a checkpoint in between syncs the WAL
 * before copying it and the database after.  A power cut before that commit
 * can only lose blobs that no acknowledged request references.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "callin/alloc.h"
#include "callin/log.h"
#include "sqlite_impl.h"

/* Fill id with 128 random bits as 32 lower-case hex digits.  CL_ECRYPTO. */
static cl_err
blob_new_id(char id[CL_BLOB_ID_MAX])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char r[16];
	size_t i;

	if (RAND_bytes(r, sizeof r) != 1) {
		cl_log(CL_LOG_ERROR, "store: RAND_bytes failed");
		return CL_ECRYPTO;
	}
	for (i = 0; i < sizeof r; i++) {
		id[2 * i] = hex[r[i] >> 4];
		id[2 * i + 1] = hex[r[i] & 0xf];
	}
	id[2 * sizeof r] = '\0';
	return CL_OK;
}

/*
 * Start a blob called name: insert its row (unlinked, unfinished).  Fails
 * with CL_EUNAVAIL; *out is then untouched.
 */
cl_err
sq_blob_open(cl_store *st, const char *name, cl_blob **out)
{
	struct sq_store *s = (struct sq_store *)st;
	struct sq_blob *b;
	sqlite3_stmt *stmt = NULL;
	cl_err rc;
	int src;

	b = cl_calloc(1, sizeof *b);
	b->base.ops = st->ops;
	b->st = s;
	if (blob_new_id(b->id) != CL_OK) {
		rc = CL_EUNAVAIL;
		goto err;
	}
	if ((rc = sq_prepare(s, SQ_SYNC_LEVEL_NORMAL, SQ_BLOB_INSERT, &stmt)) !=
	    CL_OK)
		goto err;
	sqlite3_bind_text(stmt, 1, b->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, cl_now_ms());
	if ((src = sqlite3_step(stmt)) != SQLITE_DONE) {
		rc = sq_error(s, src, "insert blob");
		goto err;
	}
	sqlite3_reset(stmt);
	*out = &b->base;
	return CL_OK;
err:
	if (stmt != NULL)
		sqlite3_reset(stmt);
	free(b);
	return rc;
}

/*
 * Write chunk number b->seq of the blob from the n bytes at p, in its own
 * transaction.  Fails with CL_EUNAVAIL.
 */
static cl_err
blob_put_chunk(struct sq_blob *b, const void *p, size_t n)
{
	struct sq_store *s = b->st;
	sqlite3_stmt *stmt = NULL;
	cl_err rc;
	int src;

	if ((rc = sq_prepare(s, SQ_SYNC_LEVEL_NORMAL, SQ_CHUNK_INSERT,
		 &stmt)) != CL_OK)
		goto err;
	sqlite3_bind_text(stmt, 1, b->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, b->seq);
	sqlite3_bind_blob(stmt, 3, p, (int)n, SQLITE_STATIC);
	if ((src = sqlite3_step(stmt)) != SQLITE_DONE) {
		rc = sq_error(s, src, "insert blob chunk");
		goto err;
	}
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	b->seq++;
	return CL_OK;
err:
	if (stmt != NULL) {
		sqlite3_reset(stmt);
		sqlite3_clear_bindings(stmt);
	}
	return rc;
}

/*
 * Append n bytes to the blob, writing each chunk as it fills (whole chunks
 * of a large write go straight from p).  Fails with CL_EUNAVAIL, and keeps
 * failing: the blob must then be aborted or finished (which removes it).
 */
cl_err
sq_blob_write(cl_blob *bb, const void *p, size_t n)
{
	struct sq_blob *b = (struct sq_blob *)bb;
	const unsigned char *cp = p;
	size_t take;
	cl_err rc;

	if (b->failed != CL_OK)
		return b->failed;
	while (n > 0) {
		if (b->fill == 0 && n >= SQ_CHUNK) {
			if ((rc = blob_put_chunk(b, cp, SQ_CHUNK)) != CL_OK)
				goto err;
			take = SQ_CHUNK;
		} else {
			if (b->chunk == NULL)
				b->chunk = cl_malloc(SQ_CHUNK);
			take = SQ_CHUNK - b->fill;
			if (take > n)
				take = n;
			memcpy(b->chunk + b->fill, cp, take);
			b->fill += take;
			if (b->fill == SQ_CHUNK) {
				rc = blob_put_chunk(b, b->chunk, SQ_CHUNK);
				if (rc != CL_OK)
					goto err;
				b->fill = 0;
			}
		}
		cp += take;
		n -= take;
		b->size += (int64_t)take;
	}
	return CL_OK;
err:
	b->failed = rc;
	return rc;
}

/*
 * Delete the unlinked blob id and its chunks (ON DELETE CASCADE) in one
 * statement; *gone is how many blob rows went (0 or 1).  Fails with
 * CL_EUNAVAIL.
 */
static cl_err
blob_remove(struct sq_store *s, const char *id, int *gone)
{
	sqlite3_stmt *stmt = NULL;
	cl_err rc;
	int src;

	*gone = 0;
	if ((rc = sq_prepare(s, SQ_SYNC_LEVEL_NORMAL, SQ_BLOB_REMOVE, &stmt)) !=
	    CL_OK)
		goto err;
	sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
	if ((src = sqlite3_step(stmt)) != SQLITE_DONE) {
		rc = sq_error(s, src, "delete blob");
		goto err;
	}
	*gone = sqlite3_changes(s->db);
	rc = CL_OK;
err:
	if (stmt != NULL)
		sqlite3_reset(stmt);
	return rc;
}

/* Free the writer.  Cannot fail. */
static void
blob_free(struct sq_blob *b)
{
	free(b->chunk);
	free(b);
}

/*
 * Remove what the writer wrote and free it.  Cannot fail: a blob that
 * cannot be removed now stays unlinked and cl_store_sweep() removes it.
 */
static void
blob_discard(struct sq_blob *b)
{
	int gone;

	if (blob_remove(b->st, b->id, &gone) != CL_OK)
		cl_log(CL_LOG_WARN, "store: blob %s left for the sweeper",
		    b->id);
	blob_free(b);
}

/*
 * Write the last partial chunk, record the size, copy the id and free the
 * writer.  On failure (also an earlier write error) the blob is removed
 * and the writer freed; fails with CL_EUNAVAIL.
 */
cl_err
sq_blob_finish(cl_blob *bb, char *id)
{
	struct sq_blob *b = (struct sq_blob *)bb;
	struct sq_store *s = b->st;
	sqlite3_stmt *stmt = NULL;
	cl_err rc;
	int src;

	if ((rc = b->failed) != CL_OK)
		goto err;
	if (b->fill > 0 && (rc = blob_put_chunk(b, b->chunk, b->fill)) != CL_OK)
		goto err;
	if ((rc = sq_prepare(s, SQ_SYNC_LEVEL_NORMAL, SQ_BLOB_FINISH, &stmt)) !=
	    CL_OK)
		goto err;
	sqlite3_bind_text(stmt, 1, b->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, b->size);
	if ((src = sqlite3_step(stmt)) != SQLITE_DONE) {
		rc = sq_error(s, src, "finish blob");
		goto err;
	}
	if (sqlite3_changes(s->db) != 1) {
		cl_log(CL_LOG_ERROR,
		    "store: blob %s vanished while written "
		    "(swept?)",
		    b->id);
		rc = CL_EUNAVAIL;
		goto err;
	}
	sqlite3_reset(stmt);
	memcpy(id, b->id, strlen(b->id) + 1);
	blob_free(b);
	return CL_OK;
err:
	if (stmt != NULL)
		sqlite3_reset(stmt);
	blob_discard(b);
	return rc;
}

/* Remove what was written and free the writer.  Cannot fail. */
void
sq_blob_abort(cl_blob *bb)
{
	blob_discard((struct sq_blob *)bb);
}

/*
 * Delete the unlinked blob id.  Fails with CL_ENOTFOUND (no such blob),
 * CL_EINVAL (a stored request references it), CL_EUNAVAIL.
 */
cl_err
sq_blob_delete(cl_store *st, const char *id)
{
	struct sq_store *s = (struct sq_store *)st;
	sqlite3_stmt *stmt = NULL;
	cl_err rc;
	int gone, src;

	if ((rc = blob_remove(s, id, &gone)) != CL_OK)
		goto err;
	if (gone)
		return CL_OK;
	if ((rc = sq_stmt(s, SQ_BLOB_STATE, &stmt)) != CL_OK)
		goto err;
	sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
	src = sqlite3_step(stmt);
	if (src == SQLITE_ROW)
		rc = CL_EINVAL;
	else if (src == SQLITE_DONE)
		rc = CL_ENOTFOUND;
	else
		rc = sq_error(s, src, "look up blob");
err:
	if (stmt != NULL)
		sqlite3_reset(stmt);
	return rc;
}

/*
 * Look up blob id: *size its size and *linked whether a request references
 * it; CL_ENOTFOUND for no such (or an unfinished) blob, CL_EUNAVAIL.
 */
static cl_err
blob_state(struct sq_store *s, const char *id, int64_t *size, int *linked)
{
	sqlite3_stmt *stmt = NULL;
	cl_err rc;
	int src;

	if ((rc = sq_stmt(s, SQ_BLOB_STATE, &stmt)) != CL_OK)
		goto err;
	sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
	src = sqlite3_step(stmt);
	if (src == SQLITE_DONE ||
	    (src == SQLITE_ROW &&
		sqlite3_column_type(stmt, 0) == SQLITE_NULL)) {
		rc = CL_ENOTFOUND;
		goto err;
	}
	if (src != SQLITE_ROW) {
		rc = sq_error(s, src, "look up blob");
		goto err;
	}
	*size = sqlite3_column_int64(stmt, 0);
	*linked = sqlite3_column_type(stmt, 1) != SQLITE_NULL;
	rc = CL_OK;
err:
	if (stmt != NULL)
		sqlite3_reset(stmt);
	return rc;
}

/*
 * Stream the linked blob id to sink, one chunk per call, each chunk read in
 * its own short read transaction (a linked blob never changes), so a slow
 * sink holds nothing open between chunks.  Fails with CL_ENOTFOUND for an
 * unknown or unlinked blob, the sink's error, or CL_EUNAVAIL (also for
 * chunks missing from a blob).
 */
cl_err
sq_blob_read(cl_store *st, const char *id, cl_store_sink sink, void *arg)
{
	struct sq_store *s = (struct sq_store *)st;
	sqlite3_stmt *stmt = NULL;
	int64_t size = 0, done, seq;
	int linked = 0, n, src;
	cl_err rc;

	if ((rc = sq_ready(s)) != CL_OK)
		goto err;
	if ((rc = blob_state(s, id, &size, &linked)) != CL_OK)
		goto err;
	if (!linked) {
		rc = CL_ENOTFOUND;
		goto err;
	}
	for (done = 0, seq = 0; done < size; seq++) {
		if ((rc = sq_stmt(s, SQ_CHUNK_SELECT, &stmt)) != CL_OK)
			goto err;
		sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(stmt, 2, seq);
		if ((src = sqlite3_step(stmt)) == SQLITE_DONE) {
			cl_log(CL_LOG_ERROR, "store: blob %s lacks chunk %lld",
			    id, (long long)seq);
			rc = CL_EUNAVAIL;
			goto err;
		}
		if (src != SQLITE_ROW) {
			rc = sq_error(s, src, "read blob chunk");
			goto err;
		}
		n = sqlite3_column_bytes(stmt, 0);
		if (n <= 0 || n > size - done) {
			cl_log(CL_LOG_ERROR,
			    "store: blob %s chunk %lld has a "
			    "bad size",
			    id, (long long)seq);
			rc = CL_EUNAVAIL;
			goto err;
		}
		if ((rc = sink(arg, sqlite3_column_blob(stmt, 0), (size_t)n)) !=
		    CL_OK)
			goto err;
		done += n;
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
 * Remove unlinked blobs started before older_than_ms, a few per
 * transaction so that writers are never kept waiting long; *removed is how
 * many.  Fails with CL_EUNAVAIL (*removed then counts those already gone).
 */
cl_err
sq_sweep(cl_store *st, int64_t older_than_ms, int64_t *removed)
{
	struct sq_store *s = (struct sq_store *)st;
	sqlite3_stmt *stmt = NULL;
	cl_err rc;
	int n, src;

	*removed = 0;
	if ((rc = sq_ready(s)) != CL_OK)
		goto err;
	if ((rc = sq_sync(s, SQ_SYNC_LEVEL_NORMAL)) != CL_OK)
		goto err;
	do {
		if ((rc = sq_stmt(s, SQ_SWEEP, &stmt)) != CL_OK)
			goto err;
		sqlite3_bind_int64(stmt, 1, older_than_ms);
		if ((src = sqlite3_step(stmt)) != SQLITE_DONE) {
			rc = sq_error(s, src, "sweep blobs");
			goto err;
		}
		n = sqlite3_changes(s->db);
		*removed += n;
		sqlite3_reset(stmt);
		stmt = NULL;
	} while (n > 0);
	return CL_OK;
err:
	if (stmt != NULL)
		sqlite3_reset(stmt);
	return rc;
}

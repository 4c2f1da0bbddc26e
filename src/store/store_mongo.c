/*
 * store_mongo.c: the MongoDB store backend: opening a handle (URI defaults,
 * client pool, driver logging), the lazy connection and index set-up, error
 * mapping, ping, and the ops table.  See mongo_impl.h for the layout.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "callin/alloc.h"
#include "callin/err.h"
#include "callin/log.h"
#include "mongo_impl.h"

static void mg_close(cl_store *);
static cl_err mg_ping(cl_store *);

static const struct cl_store_ops mg_ops = {
	.close = mg_close,
	.ping = mg_ping,
	.blob_open = mg_blob_open,
	.blob_write = mg_blob_write,
	.blob_finish = mg_blob_finish,
	.blob_abort = mg_blob_abort,
	.blob_delete = mg_blob_delete,
	.blob_read = mg_blob_read,
	.put = mg_put,
	.get = mg_get,
	.count = mg_count,
	.count_by_email = mg_count_by_email,
	.sweep = mg_sweep,
	.outbox_claim = mg_outbox_claim,
	.outbox_sent = mg_outbox_sent,
	.outbox_failed = mg_outbox_failed,
	.outbox_stats = mg_outbox_stats,
	.confirm = mg_confirm,
	.confirmed = mg_confirmed,
	.log_pending = mg_log_pending,
	.log_state = mg_log_state,
	.log_append = mg_log_append,
	.log_entries = mg_log_entries,
	.log_queue = mg_log_queue,
};

static pthread_once_t mg_log_once = PTHREAD_ONCE_INIT;

/*
 * Driver log handler: lines at WARNING and above go to cl_log, the rest
 * (the default handler would print DEBUG chatter) is dropped, and so is the
 * warning that a server without sessions (FerretDB) refused the
 * endSessions a closing pool sends: it would come once per worker exit.
 * Runs on the driver's monitor threads too.  Cannot fail.
 */
static void
mg_log(mongoc_log_level_t level, const char *domain, const char *message,
    void *arg)
{
	(void)arg;
	switch (level) {
	case MONGOC_LOG_LEVEL_ERROR:
	case MONGOC_LOG_LEVEL_CRITICAL:
		cl_log(CL_LOG_ERROR, "mongoc %s: %s", domain, message);
		break;
	case MONGOC_LOG_LEVEL_WARNING:
		if (strstr(message, "\"endSessions\"") == NULL)
			cl_log(CL_LOG_WARN, "mongoc %s: %s", domain, message);
		break;
	default: break;
	}
}

/* Install mg_log as the process-wide driver log handler.  Cannot fail. */
static void
mg_log_install(void)
{
	mongoc_log_set_handler(mg_log, NULL);
}

/*
 * Set the int32 URI option key to ms unless the URI already sets it.
 * Fails with CL_ECONFIG when the driver refuses the option.
 */
static cl_err
mg_uri_default(mongoc_uri_t *uri, const char *key, int32_t ms)
{
	if (mongoc_uri_has_option(uri, key))
		return CL_OK;
	if (!mongoc_uri_set_option_as_int32(uri, key, ms)) {
		cl_log(CL_LOG_ERROR, "store: cannot set MongoDB option %s",
		    key);
		return CL_ECONFIG;
	}
	return CL_OK;
}

/*
 * Open a MongoDB store for the mongodb:// (or mongodb+srv://) URI spec.  No
 * server is contacted here: the first operation connects and creates the
 * indexes.  Create the handle in the process that uses it, after any fork()
 * (a client pool does not survive fork).  Timeouts the URI leaves unset are
 * lowered so that an unreachable server fails an operation within seconds:
 * serverSelectionTimeoutMS and connectTimeoutMS 2000, socketTimeoutMS 10000,
 * waitQueueTimeoutMS 2000.  Fails with CL_ECONFIG for a URI the driver
 * rejects; *out is then NULL.
 */
cl_err
cl_store_mongo_open(const char *spec, cl_store **out)
{
	struct mg_store *st;
	const mongoc_write_concern_t *uwc;
	bson_error_t err;
	const char *db;
	int64_t wtimeout;
	cl_err rc;

	*out = NULL;
	pthread_once(&mg_log_once, mg_log_install);
	st = cl_calloc(1, sizeof *st);
	st->base.ops = &mg_ops;
	st->wopts = bson_new();

	if ((st->uri = mongoc_uri_new_with_error(spec, &err)) == NULL) {
		cl_log(CL_LOG_ERROR, "store: bad MongoDB URI: %s", err.message);
		rc = CL_ECONFIG;
		goto err;
	}
	if ((rc = mg_uri_default(st->uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS,
		 MG_SERVER_SELECTION_MS)) != CL_OK ||
	    (rc = mg_uri_default(st->uri, MONGOC_URI_CONNECTTIMEOUTMS,
		 MG_CONNECT_MS)) != CL_OK ||
	    (rc = mg_uri_default(st->uri, MONGOC_URI_SOCKETTIMEOUTMS,
		 MG_SOCKET_MS)) != CL_OK ||
	    (rc = mg_uri_default(st->uri, MONGOC_URI_WAITQUEUETIMEOUTMS,
		 MG_WAIT_QUEUE_MS)) != CL_OK)
		goto err;
	if (mongoc_uri_get_appname(st->uri) == NULL &&
	    !mongoc_uri_set_appname(st->uri, "callin")) {
		rc = CL_ECONFIG;
		goto err;
	}
	db = mongoc_uri_get_database(st->uri);
	st->dbname = cl_strdup(db != NULL && *db != '\0' ? db : MG_DEFAULT_DB);

	/* w:"majority", j:true for every write, with the URI's wtimeoutMS. */
	uwc = mongoc_uri_get_write_concern(st->uri);
	wtimeout = uwc != NULL ? mongoc_write_concern_get_wtimeout_int64(uwc) :
				 0;
	st->wc = mongoc_write_concern_new();
	mongoc_write_concern_set_wmajority(st->wc, 0);
	if (wtimeout > 0)
		mongoc_write_concern_set_wtimeout_int64(st->wc, wtimeout);
	mongoc_write_concern_set_journal(st->wc, true);
	if (!mongoc_write_concern_append(st->wc, st->wopts)) {
		rc = CL_ECONFIG;
		goto err;
	}

	if ((st->pool = mongoc_client_pool_new_with_error(st->uri, &err)) ==
	    NULL) {
		cl_log(CL_LOG_ERROR, "store: MongoDB pool: %s", err.message);
		rc = CL_ECONFIG;
		goto err;
	}
	if (!mongoc_client_pool_set_error_api(st->pool,
		MONGOC_ERROR_API_VERSION_2)) {
		rc = CL_ECONFIG;
		goto err;
	}
	*out = &st->base;
	return CL_OK;
err:
	mg_close(&st->base);
	return rc;
}

/*
 * Release what mg_client() made (the GridFS bucket, the collection and
 * database objects) and give the client back to the pool, leaving the
 * handle as before its first mg_client().  Cannot fail.
 */
static void
mg_client_drop(struct mg_store *st)
{
	mongoc_gridfs_bucket_destroy(st->bucket);
	mongoc_collection_destroy(st->chunks);
	mongoc_collection_destroy(st->files);
	mongoc_collection_destroy(st->requests);
	mongoc_collection_destroy(st->log_entries);
	mongoc_collection_destroy(st->log_state);
	mongoc_database_destroy(st->db);
	if (st->client != NULL)
		mongoc_client_pool_push(st->pool, st->client);
	st->bucket = NULL;
	st->chunks = st->files = st->requests = NULL;
	st->log_entries = st->log_state = NULL;
	st->db = NULL;
	st->client = NULL;
}

/*
 * Close the store: release the driver objects, give the client back and
 * destroy the pool (which joins its monitor threads).  Every blob writer of
 * the handle must be finished or aborted first.  Cannot fail.
 */
static void
mg_close(cl_store *base)
{
	struct mg_store *st = (struct mg_store *)base;

	mg_client_drop(st);
	mongoc_client_pool_destroy(st->pool);
	mongoc_write_concern_destroy(st->wc);
	bson_destroy(st->wopts);
	mongoc_uri_destroy(st->uri);
	free(st->dbname);
	free(st);
}

/*
 * Pop the handle's client from the pool, once, and make the database,
 * collection and GridFS bucket objects.  Does no I/O.  Fails with
 * CL_EUNAVAIL when the pool has no client to give within waitQueueTimeoutMS.
 */
cl_err
mg_client(struct mg_store *st)
{
	bson_t bopts = BSON_INITIALIZER;
	bson_error_t err;
	cl_err rc;

	if (st->client != NULL)
		return CL_OK;
	if ((st->client = mongoc_client_pool_pop(st->pool)) == NULL) {
		cl_log(CL_LOG_ERROR,
		    "store: no MongoDB client free in the "
		    "pool");
		rc = CL_EUNAVAIL;
		goto err;
	}
	st->db = mongoc_client_get_database(st->client, st->dbname);
	mongoc_database_set_write_concern(st->db, st->wc);
	st->requests = mongoc_database_get_collection(st->db, MG_REQUESTS);
	st->files = mongoc_database_get_collection(st->db, MG_FILES);
	st->chunks = mongoc_database_get_collection(st->db, MG_CHUNKS);
	st->log_entries = mongoc_database_get_collection(st->db,
	    MG_LOG_ENTRIES);
	st->log_state = mongoc_database_get_collection(st->db, MG_LOG_STATE);

	BSON_APPEND_UTF8(&bopts, "bucketName", MG_BUCKET);
	BSON_APPEND_INT32(&bopts, "chunkSizeBytes", MG_CHUNK_SIZE);
	if (!mongoc_write_concern_append(st->wc, &bopts)) {
		rc = CL_ECONFIG;
		goto err;
	}
	if ((st->bucket = mongoc_gridfs_bucket_new(st->db, &bopts, NULL,
		 &err)) == NULL) {
		rc = mg_error(&err, "GridFS bucket");
		goto err;
	}
	bson_destroy(&bopts);
	return CL_OK;
err:
	bson_destroy(&bopts);
	mg_client_drop(st);
	return rc;
}

/*
 * Run createIndexes for the collection coll once per index of the array
 * indexes (given as a BCON-built document): FerretDB 1.24 drops the
 * connection (an index out of range in its createIndexes) when one command
 * names two or more indexes that already exist.  Fails as mg_error() maps
 * the driver's error.
 */
static cl_err
mg_create_indexes(struct mg_store *st, const char *coll, bson_t *indexes)
{
	bson_t cmd, one, index;
	bson_iter_t it;
	bson_error_t err;
	const uint8_t *data;
	uint32_t len;
	cl_err rc = CL_OK;

	if (!bson_iter_init(&it, indexes))
		return CL_EINVAL;
	while (rc == CL_OK && bson_iter_next(&it)) {
		CL_ASSERT(BSON_ITER_HOLDS_DOCUMENT(&it));
		bson_iter_document(&it, &len, &data);
		if (!bson_init_static(&index, data, len))
			return CL_EINVAL;
		bson_init(&cmd);
		BSON_APPEND_UTF8(&cmd, "createIndexes", coll);
		BSON_APPEND_ARRAY_BEGIN(&cmd, "indexes", &one);
		bson_append_document(&one, "0", 1, &index);
		bson_append_array_end(&cmd, &one);
		if (!mongoc_database_write_command_with_opts(st->db, &cmd,
			st->wopts, NULL, &err))
			rc = mg_error(&err, "createIndexes");
		bson_destroy(&cmd);
	}
	return rc;
}

/*
 * Make the handle ready for an operation: the client (mg_client) and, the
 * first time it succeeds, the indexes of requests and of the GridFS bucket
 * (idempotent createIndexes).  The driver also checks the GridFS indexes on
 * the first write of each bucket object (find, then listIndexes on files
 * and chunks): keeping one bucket per handle keeps that to once per handle.
 * Fails with CL_EUNAVAIL when the server cannot be reached or refuses.
 */
cl_err
mg_ready(struct mg_store *st)
{
	bson_t *req = NULL, *files = NULL, *chunks = NULL, *entries = NULL;
	cl_err rc;

	if ((rc = mg_client(st)) != CL_OK)
		goto err;
	if (st->indexed)
		return CL_OK;
	req = BCON_NEW("0", "{", "key", "{", CL_DOC_REFERENCE, BCON_INT32(1),
	    "}", "name", BCON_UTF8("reference_1"), "unique", BCON_BOOL(true),
	    "}", "1", "{", "key", "{", CL_DOC_IDEMPOTENCY_KEY, BCON_INT32(1),
	    "}", "name", BCON_UTF8("idempotency_key_1"), "unique",
	    BCON_BOOL(true), "}", "2", "{", "key", "{", CL_DOC_TOKEN,
	    BCON_INT32(1), "}", "name", BCON_UTF8("token_1"), "unique",
	    BCON_BOOL(true), "}", "3", "{", "key", "{", MG_BLOB_REF,
	    BCON_INT32(1), "}", "name", BCON_UTF8("attachments.blob_id_1"), "}",
	    "4", "{", "key", "{", "outbox.status", BCON_INT32(1),
	    "outbox.due_ms", BCON_INT32(1), "}", "name",
	    BCON_UTF8("outbox.status_1_outbox.due_ms_1"), "}", "5", "{", "key",
	    "{", CL_DOC_EMAIL_LC, BCON_INT32(1), CL_DOC_RECEIVED_MS,
	    BCON_INT32(1), "}", "name", BCON_UTF8("email_lc_1_received_ms_1"),
	    "}", "6", "{", "key", "{", CL_DOC_LOG_STATE, BCON_INT32(1),
	    CL_DOC_RECEIVED_MS, BCON_INT32(1), "}", "name",
	    BCON_UTF8("log_state_1_received_ms_1"), "}");
	entries = BCON_NEW("0", "{", "key", "{", "token", BCON_INT32(1), "}",
	    "name", BCON_UTF8("token_1"), "}");
	files = BCON_NEW("0", "{", "key", "{", "filename", BCON_INT32(1),
	    "uploadDate", BCON_INT32(1), "}", "name",
	    BCON_UTF8("filename_1_uploadDate_1"), "}", "1", "{", "key", "{",
	    "metadata.state", BCON_INT32(1), "metadata.created_ms",
	    BCON_INT32(1), "}", "name",
	    BCON_UTF8("metadata.state_1_metadata.created_ms_1"), "}");
	chunks = BCON_NEW("0", "{", "key", "{", "files_id", BCON_INT32(1), "n",
	    BCON_INT32(1), "}", "name", BCON_UTF8("files_id_1_n_1"), "unique",
	    BCON_BOOL(true), "}");
	if ((rc = mg_create_indexes(st, MG_REQUESTS, req)) != CL_OK ||
	    (rc = mg_create_indexes(st, MG_FILES, files)) != CL_OK ||
	    (rc = mg_create_indexes(st, MG_CHUNKS, chunks)) != CL_OK ||
	    (rc = mg_create_indexes(st, MG_LOG_ENTRIES, entries)) != CL_OK)
		goto err;
	st->indexed = true;
err:
	bson_destroy(entries);
	bson_destroy(req);
	bson_destroy(files);
	bson_destroy(chunks);
	return rc;
}

/*
 * Map a driver error to a cl_err and log it when it is not an expected
 * outcome.  what names the operation for the log.  Duplicate key (11000)
 * gives CL_EDUP, a missing GridFS file CL_ENOTFOUND, a document the driver
 * refuses to send CL_EINVAL, a corrupt GridFS file CL_EIO; everything else
 * (server selection timeout 13053, network, write concern and server errors)
 * means the store did not do it: CL_EUNAVAIL.
 */
cl_err
mg_error(const bson_error_t *e, const char *what)
{
	if (e->domain == MONGOC_ERROR_SERVER &&
	    e->code == MONGOC_ERROR_DUPLICATE_KEY)
		return CL_EDUP;
	if (e->domain == MONGOC_ERROR_GRIDFS &&
	    e->code == MONGOC_ERROR_GRIDFS_BUCKET_FILE_NOT_FOUND)
		return CL_ENOTFOUND;
	if ((e->domain == MONGOC_ERROR_COMMAND &&
		e->code == MONGOC_ERROR_COMMAND_INVALID_ARG) ||
	    e->domain == MONGOC_ERROR_BSON) {
		cl_log(CL_LOG_WARN, "store: MongoDB %s refused: %s", what,
		    e->message);
		return CL_EINVAL;
	}
	if (e->domain == MONGOC_ERROR_GRIDFS &&
	    (e->code == MONGOC_ERROR_GRIDFS_CORRUPT ||
		e->code == MONGOC_ERROR_GRIDFS_CHUNK_MISSING)) {
		cl_log(CL_LOG_ERROR, "store: MongoDB %s: %s", what, e->message);
		return CL_EIO;
	}
	cl_log(CL_LOG_ERROR,
	    "store: MongoDB %s failed: %s (domain %u, "
	    "code %u)",
	    what, e->message, e->domain, e->code);
	return CL_EUNAVAIL;
}

/*
 * Parse the blob id s (24 lower-case hex digits) into oid.  Returns false,
 * leaving oid undefined, for anything else.
 */
bool
mg_parse_id(const char *s, bson_oid_t *oid)
{
	size_t i;

	if (s == NULL || strlen(s) != 24)
		return false;
	for (i = 0; i < 24; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
			(s[i] >= 'a' && s[i] <= 'f')))
			return false;
	bson_oid_init_from_string(oid, s);
	return true;
}

/*
 * Set *yes to whether some stored request references one of the n blob ids
 * (find on requests {"attachments.blob_id": {$in: ids}}, limit 1).  Fails
 * with CL_EUNAVAIL when the store cannot answer.
 */
cl_err
mg_referenced(struct mg_store *st, const char *const *ids, size_t n, bool *yes)
{
	bson_t filter = BSON_INITIALIZER, field, opts = BSON_INITIALIZER;
	mongoc_cursor_t *cur = NULL;
	const bson_t *doc;
	bson_error_t err;
	cl_err rc = CL_OK;

	*yes = false;
	mg_append_in(&filter, MG_BLOB_REF, ids, NULL, n);
	BSON_APPEND_INT64(&opts, "limit", 1);
	BSON_APPEND_DOCUMENT_BEGIN(&opts, "projection", &field);
	BSON_APPEND_INT32(&field, "_id", 1);
	bson_append_document_end(&opts, &field);

	cur = mongoc_collection_find_with_opts(st->requests, &filter, &opts,
	    NULL);
	if (mongoc_cursor_next(cur, &doc))
		*yes = true;
	else if (mongoc_cursor_error(cur, &err)) {
		rc = mg_error(&err, "find requests by blob");
		goto err;
	}
err:
	mongoc_cursor_destroy(cur);
	bson_destroy(&filter);
	bson_destroy(&opts);
	return rc;
}

/*
 * Check the server answers {ping: 1} on admin.  Does not create indexes.
 * Fails with CL_EUNAVAIL.
 */
static cl_err
mg_ping(cl_store *base)
{
	struct mg_store *st = (struct mg_store *)base;
	bson_t cmd = BSON_INITIALIZER, reply;
	bson_error_t err;
	cl_err rc;

	if ((rc = mg_client(st)) != CL_OK)
		goto err;
	BSON_APPEND_INT32(&cmd, "ping", 1);
	if (!mongoc_client_command_simple(st->client, "admin", &cmd, NULL,
		&reply, &err)) {
		bson_destroy(&reply);
		rc = mg_error(&err, "ping");
		goto err;
	}
	bson_destroy(&reply);
err:
	bson_destroy(&cmd);
	return rc;
}

/* See mongo_impl.h. */
void
mg_append_in(bson_t *doc, const char *field, const char *const *strs,
    const bson_oid_t *oids, size_t n)
{
	bson_t sub, in;
	char key[16];
	const char *k;
	size_t i;

	CL_ASSERT((strs == NULL) != (oids == NULL));
	BSON_APPEND_DOCUMENT_BEGIN(doc, field, &sub);
	BSON_APPEND_ARRAY_BEGIN(&sub, "$in", &in);
	for (i = 0; i < n; i++) {
		bson_uint32_to_string((uint32_t)i, &k, key, sizeof key);
		if (strs != NULL)
			bson_append_utf8(&in, k, -1, strs[i], -1);
		else
			bson_append_oid(&in, k, -1, &oids[i]);
	}
	bson_append_array_end(&sub, &in);
	bson_append_document_end(doc, &sub);
}

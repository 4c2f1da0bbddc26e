/*
 * mongo_impl.h: the MongoDB store backend's private parts, shared by
 * store_mongo.c (handle, connection, errors, indexes), mongo_blob.c
 * (attachments in GridFS, sweep), mongo_put.c (request documents) and
 * mongo_outbox.c (the notifications' state, claims and reports).
 *
 * One handle owns one mongoc_client_pool_t and, from its first operation on,
 * one client popped from it together with the database, collection and
 * GridFS bucket objects made from that client.  mongo-c-driver objects are
 * single-threaded and a pool does not survive fork(), so a handle is opened
 * in the process (worker) and thread that uses it, after any fork.
 *
 * Layout in the database (the URI's, default "callin"):
 *   requests            one document per request as given to cl_store_put(),
 *                       plus the _id the driver adds; unique indexes on
 *                       reference, idempotency_key and token, and a plain one
 *                       on attachments.blob_id (what "referenced" looks up);
 *                       a request with notifications also carries the
 *                       outbox array (their state, see mongo_outbox.c),
 *                       indexed on {outbox.status, outbox.due_ms}; a
 *                       request whose fields.email is a string also
 *                       carries email_lc, that address normalised
 *                       (st_email_norm), indexed on {email_lc,
 *                       received_ms} for cl_store_count_by_email();
 *                       readers never see outbox or email_lc; a request
 *                       queued for the log carries log_state (see
 *                       mongo_log.c, which also keeps log_entries and
 *                       log_state);
 *   attachments.files   GridFS bucket "attachments", 1 MiB chunks; each file
 *   attachments.chunks  carries metadata {state, created_ms}: "pending" from
 *                       the upload on, "linked" once a sweep has seen a
 *                       request reference it (so later sweeps skip it; an
 *                       index on both serves the sweep).
 * A blob id is the GridFS file's ObjectId in hex.  A blob is referenced when
 * some request's attachments.blob_id equals its id.
 *
 * Every write uses w:"majority", j:true (with the URI's wtimeoutMS if set).
 *
 * Debian's libmongoc initialises itself in a constructor, before main(), and
 * then creates /dev/shm/mongoc-<pid> (left behind by a process killed with
 * SIGKILL) unless MONGOC_DISABLE_SHM is in the environment: set it where a
 * process is started; setting it from here would be too late.
 */
#ifndef CALLIN_MONGO_IMPL_H
#define CALLIN_MONGO_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include <mongoc/mongoc.h>

#include "callin/clock.h"
#include "store_impl.h"

#define MG_DEFAULT_DB "callin"
#define MG_REQUESTS "requests"
#define MG_BUCKET "attachments"
#define MG_FILES "attachments.files"
#define MG_CHUNKS "attachments.chunks"
#define MG_LOG_ENTRIES "log_entries" /* the log (mongo_log.c) */
#define MG_LOG_STATE "log_state"
#define MG_CHUNK_SIZE (1024 * 1024) /* GridFS chunkSizeBytes */
#define MG_BATCH 100		    /* ids per $in query in sweep */
/* The path of the blob ids a request references. */
#define MG_BLOB_REF CL_DOC_ATTACHMENTS "." CL_DOC_ATT_BLOB_ID

/* Timeouts applied when the URI does not set them (milliseconds). */
#define MG_SERVER_SELECTION_MS 2000
#define MG_CONNECT_MS 2000
#define MG_SOCKET_MS 10000
#define MG_WAIT_QUEUE_MS 2000

struct mg_store {
	struct cl_store base; /* ops; must come first */
	mongoc_uri_t *uri;
	mongoc_client_pool_t *pool;
	char *dbname;
	mongoc_write_concern_t *wc; /* majority + journal */
	/* { writeConcern: wc }; on the heap: bson_t wants 128-byte alignment */
	bson_t *wopts;
	/* Made on first use by mg_ready(), from one popped client. */
	mongoc_client_t *client;
	mongoc_database_t *db;
	mongoc_collection_t *requests;
	mongoc_collection_t *files;
	mongoc_collection_t *chunks;
	mongoc_collection_t *log_entries; /* the transparency log's */
	mongoc_collection_t *log_state;
	mongoc_gridfs_bucket_t *bucket;
	bool indexed; /* our indexes exist */
};

struct mg_blob {
	struct cl_blob base; /* ops; must come first */
	struct mg_store *st;
	mongoc_stream_t *stream; /* GridFS upload stream */
	bson_value_t id;	 /* the file's ObjectId */
	int64_t size;		 /* bytes written so far */
	bool failed;		 /* finish must fail */
};

/* store_mongo.c */
cl_err mg_client(struct mg_store *);
cl_err mg_ready(struct mg_store *);
cl_err mg_error(const bson_error_t *, const char *);
bool mg_parse_id(const char *, bson_oid_t *);
cl_err mg_referenced(struct mg_store *, const char *const *, size_t, bool *);
/*
 * Append to doc the key field holding {$in: [...]} of the n strings strs
 * or, when strs is NULL, the n ObjectIds oids.  Cannot fail.
 */
void mg_append_in(bson_t *, const char *, const char *const *,
    const bson_oid_t *, size_t);

/* mongo_blob.c */
cl_err mg_blob_open(cl_store *, const char *, cl_blob **);
cl_err mg_blob_write(cl_blob *, const void *, size_t);
cl_err mg_blob_finish(cl_blob *, char *);
void mg_blob_abort(cl_blob *);
cl_err mg_blob_delete(cl_store *, const char *);
cl_err mg_blob_read(cl_store *, const char *, cl_store_sink, void *);
cl_err mg_sweep(cl_store *, int64_t, int64_t *);

/* mongo_put.c */
cl_err mg_put(cl_store *, struct st_put *);
cl_err mg_get(cl_store *, cl_store_key, const char *, bson_t *);
cl_err mg_count(cl_store *, int64_t *);
cl_err mg_count_by_email(cl_store *, const char *, int64_t, int64_t *);

/* mongo_outbox.c */
void mg_outbox_append(const cl_reqdoc *, bson_t *);
cl_err mg_outbox_claim(cl_store *, int64_t, int64_t, const char *, size_t,
    cl_notification **, size_t *);
cl_err mg_outbox_sent(cl_store *, const char *, const char *, int64_t);
cl_err mg_outbox_failed(cl_store *, const char *, const char *, int, int64_t,
    const char *);
cl_err mg_outbox_stats(cl_store *, int64_t, cl_outbox_stats *);
cl_err mg_confirm(cl_store *, const char *, int64_t, const cl_reqdoc_note *,
    size_t);
cl_err mg_confirmed(cl_store *, const char *, int64_t *);

/* mongo_log.c */
void mg_log_mark(bson_t *);
cl_err mg_log_pending(cl_store *, size_t, cl_store_pending **, size_t *);
cl_err mg_log_state(cl_store *, cl_store_logstate *);
cl_err mg_log_append(cl_store *, const cl_store_logstate *,
    const cl_store_logstate *, const cl_store_entry *, size_t);
cl_err mg_log_entries(cl_store *, int64_t, int64_t, cl_store_entry **,
    size_t *);
cl_err mg_log_queue(cl_store *, int64_t *, int64_t *);

#endif /* CALLIN_MONGO_IMPL_H */

/*
 * store_test.h: what the store conformance suite's files share: the backend
 * under test, a fresh store per test, request documents and blobs.
 * Everything here goes through the public store.h API only.
 */
#ifndef CALLIN_STORE_TEST_H
#define CALLIN_STORE_TEST_H

#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "callin/buf.h"
#include "callin/store.h"

/* The run: which backend, and where its stores go. */
struct t_env {
	int sqlite;	 /* else mongodb */
	char dir[512];	 /* sqlite: the run's temp directory */
	char *mongo_uri; /* mongodb: MONGODB_URI */
	char run_id[64]; /* unique per run */
	unsigned serial; /* stores made so far */
};
extern struct t_env t_env;

/* One test's fresh store. */
struct t_case {
	cl_store *st;
	char spec[PATH_MAX + 16]; /* what cl_store_open() got */
	char path[PATH_MAX];	  /* sqlite: the database file */
};

/* Unique keys of one request. */
struct t_keys {
	char token[CL_TOKEN_MAX];
	char reference[32];
	char idem[64];
	int64_t received_ms;
};

/* Make a new unique store spec (and, for sqlite, its file path). */
void t_new_spec(struct t_case *);
/* cmocka setup/teardown: a fresh open store in *state. */
int t_setup(void **);
int t_teardown(void **);

/* Milliseconds since the epoch. */
int64_t t_now_ms(void);
/* n random bytes. */
void t_random(void *, size_t);
/* Fresh random keys. */
void t_keys_new(struct t_keys *);
/*
 * A complete request document for k, whose attachments name the n blob
 * ids, with two notifications when notes is set.
 */
void t_doc(bson_t *, const struct t_keys *, const char *const *, size_t, int);
/*
 * t_doc() with fields.email set to email (any string), no attachments and
 * two notifications.
 */
void t_doc_email(bson_t *, const struct t_keys *, const char *);
/*
 * Store a request from email received at received_ms (fresh keys into
 * *k); returns cl_store_put()'s rc.
 */
cl_err t_put_email(cl_store *, struct t_keys *, const char *, int64_t);
/* cl_store_count_by_email(), which must succeed. */
int64_t t_count_email(cl_store *, const char *, int64_t);
/* Store data as one blob written in pieces of step bytes (0: at once). */
void t_blob(cl_store *, const void *, size_t, size_t, char[CL_BLOB_ID_MAX]);
/* Read blob id into out (reset first); returns cl_store_blob_read()'s rc. */
cl_err t_read(cl_store *, const char *, cl_buf *);
/* The number of stored requests. */
int64_t t_count(cl_store *);
/* Store a request with no attachments; returns cl_store_put()'s rc. */
cl_err t_put_simple(cl_store *, struct t_keys *);

/* Whether the MongoDB server under test is FerretDB. */
int t_is_ferretdb(void);

/* The sqlite-only group (sqlite_only.c); returns the number of failures. */
int t_sqlite_group(void);
/* The outbox groups (outbox.c); returns the number of failures. */
int t_outbox_group(void);
/* The argument errors (args.c); returns the number of failures. */
int t_args_group(void);
/* The transparency log (log.c); returns the number of failures. */
int t_log_group(void);

#endif /* CALLIN_STORE_TEST_H */

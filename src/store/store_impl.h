/*
 * store_impl.h: what a store backend provides (private to src/store/).
 * Each backend fills a cl_store_ops table; struct cl_store and struct cl_blob
 * begin with a pointer to it so store.c can dispatch.
 */
#ifndef CALLIN_STORE_IMPL_H
#define CALLIN_STORE_IMPL_H

#include "callin/reqdoc.h"
#include "callin/store.h"
#include "store_common.h"

/*
 * One request for a backend's put, checked by store.c: the document's
 * typed view, its normalised address, the per-address limit of a batch
 * item (email_max 0: none) and where the outcome goes.  The backend sets
 * rc (CL_OK, CL_EINVAL for a blob that is unknown or linked, CL_EDUP,
 * CL_ELIMIT, CL_EUNAVAIL) and, on CL_EDUP, existing_token (when not NULL,
 * CL_TOKEN_MAX bytes; "" for a clash on the reference or token); store.c
 * has set both to CL_EUNAVAIL and "" first.
 */
struct st_put {
	cl_reqdoc req;
	char *email; /* NULL when the document has none */
	int64_t email_max;
	int64_t email_since_ms;
	cl_err rc;
	char *existing_token;
};

/*
 * What a backend provides.  store.c checks every argument as store.h says
 * before calling one (non-NULL strings and outputs, outputs reset), so the
 * backends do not check again.
 */
struct cl_store_ops {
	void (*close)(cl_store *);
	cl_err (*ping)(cl_store *);
	cl_err (*blob_open)(cl_store *, const char *, cl_blob **);
	cl_err (*blob_write)(cl_blob *, const void *, size_t);
	cl_err (*blob_finish)(cl_blob *, char *);
	void (*blob_abort)(cl_blob *);
	cl_err (*blob_delete)(cl_store *, const char *);
	cl_err (*blob_read)(cl_store *, const char *, cl_store_sink, void *);
	/* Sets and returns p->rc. */
	cl_err (*put)(cl_store *, struct st_put *p);
	/* NULL: store.c puts one by one, counting each address first. */
	cl_err (*put_batch)(cl_store *, struct st_put *, size_t);
	/* NULL: every write is durable by itself (cl_store_sync is a no-op). */
	void (*defer_sync)(cl_store *);
	cl_err (*sync)(cl_store *);
	void (*checkpoint)(cl_store *);
	cl_err (*get)(cl_store *, cl_store_key, const char *, bson_t *);
	cl_err (*count)(cl_store *, int64_t *);
	/* email is already normalised (st_email_norm), never empty. */
	cl_err (*count_by_email)(cl_store *, const char *, int64_t, int64_t *);
	cl_err (*sweep)(cl_store *, int64_t, int64_t *);
	/* The outbox; store.c has checked the arguments and reset outputs. */
	cl_err (*outbox_claim)(cl_store *, int64_t, int64_t, const char *,
	    size_t, cl_notification **, size_t *);
	cl_err (*outbox_sent)(cl_store *, const char *, const char *, int64_t);
	/* final: 1 failed for good, 0 due again (a try counted), -1 due
	   again without counting a try (cl_store_outbox_defer). */
	cl_err (*outbox_failed)(cl_store *, const char *, const char *, int,
	    int64_t, const char *);
	cl_err (*outbox_stats)(cl_store *, int64_t, cl_outbox_stats *);
	/* The n notes are checked (cl_reqdoc_parse_notes), n >= 1. */
	cl_err (*confirm)(cl_store *, const char *, int64_t,
	    const cl_reqdoc_note *, size_t);
	cl_err (*confirmed)(cl_store *, const char *, int64_t *);
	/* The log; store.c has checked the arguments and reset outputs. */
	cl_err (
	    *log_pending)(cl_store *, size_t, cl_store_pending **, size_t *);
	cl_err (*log_state)(cl_store *, cl_store_logstate *);
	cl_err (*log_append)(cl_store *, const cl_store_logstate *,
	    const cl_store_logstate *, const cl_store_entry *, size_t);
	cl_err (*log_entries)(cl_store *, int64_t, int64_t, cl_store_entry **,
	    size_t *);
	cl_err (*log_queue)(cl_store *, int64_t *, int64_t *);
};

/* The first member of every backend's store and blob structs. */
struct cl_store {
	const struct cl_store_ops *ops;
};
struct cl_blob {
	const struct cl_store_ops *ops;
};

/*
 * Backend constructors, called by cl_store_open() with the part of the spec
 * after "sqlite:" (a path) or the whole mongodb:// URI.  Same contract as
 * cl_store_open().
 */
cl_err cl_store_sqlite_open(const char *path, cl_store **out);
cl_err cl_store_mongo_open(const char *uri, cl_store **out);

#endif /* CALLIN_STORE_IMPL_H */

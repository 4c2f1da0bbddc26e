/*
 * store_impl.h: what a store backend provides (private to src/store/).
 * Each backend fills a cl_store_ops table; struct cl_store and struct cl_blob
 * begin with a pointer to it so store.c can dispatch.
 */
#ifndef CALLIN_STORE_IMPL_H
#define CALLIN_STORE_IMPL_H

#include "callin/store.h"

struct cl_store_ops {
	void	(*close)(cl_store *);
	cl_err	(*ping)(cl_store *);
	cl_err	(*blob_open)(cl_store *, const char *, cl_blob **);
	cl_err	(*blob_write)(cl_blob *, const void *, size_t);
	cl_err	(*blob_finish)(cl_blob *, char *);
	void	(*blob_abort)(cl_blob *);
	cl_err	(*blob_delete)(cl_store *, const char *);
	cl_err	(*blob_read)(cl_store *, const char *, cl_store_sink, void *);
	cl_err	(*put)(cl_store *, const bson_t *, char *);
	/* NULL: store.c puts one by one, counting each address first. */
	cl_err	(*put_batch)(cl_store *, cl_store_put_item *, size_t);
	/* NULL: every write is durable by itself (cl_store_sync is a no-op). */
	void	(*defer_sync)(cl_store *);
	cl_err	(*sync)(cl_store *);
	void	(*checkpoint)(cl_store *);
	cl_err	(*get)(cl_store *, cl_store_key, const char *, bson_t *);
	cl_err	(*count)(cl_store *, int64_t *);
	/* email is already normalised (cl_store_email_norm), never empty. */
	cl_err	(*count_by_email)(cl_store *, const char *, int64_t,
		    int64_t *);
	cl_err	(*sweep)(cl_store *, int64_t, int64_t *);
	/* The outbox; store.c has checked the arguments and reset outputs. */
	cl_err	(*outbox_claim)(cl_store *, int64_t, int64_t, const char *,
		    size_t, cl_notification **, size_t *);
	cl_err	(*outbox_sent)(cl_store *, const char *, const char *,
		    int64_t);
	cl_err	(*outbox_failed)(cl_store *, const char *, const char *, int,
		    int64_t, const char *);
	cl_err	(*outbox_stats)(cl_store *, int64_t, cl_outbox_stats *);
	/* store.c has checked that token and notes are not NULL. */
	cl_err	(*confirm)(cl_store *, const char *, int64_t, const bson_t *);
	cl_err	(*confirmed)(cl_store *, const char *, int64_t *);
};

/* The first member of every backend's store and blob structs. */
struct cl_store { const struct cl_store_ops *ops; };
struct cl_blob { const struct cl_store_ops *ops; };

/*
 * The normalised form of the n bytes of the address s, in which the store
 * keeps and compares fields.email: ASCII letters in lower case, every other
 * byte as it is (the form accepts ASCII addresses only), and a "+tag" at
 * the end of the part before the last '@' removed ("Alex+x@Example.org"
 * is "alex@example.org"), so that one mailbox counts as one address.  Returns a string
 * to free(), or NULL when s is empty or holds a NUL byte (no address).
 */
char	*cl_store_email_norm(const char *s, size_t n);

/*
 * The normalised fields.email of the request document doc (a string to
 * free()), or NULL when it has none: no fields document, no email key, not
 * a string, or an address cl_store_email_norm() refuses.  Cannot fail.
 */
char	*cl_store_doc_email(const bson_t *doc);

/*
 * Whether every key and value of doc, at any depth, can be stored by every
 * backend alike (MongoDB, FerretDB and SQLite): no key that is empty,
 * holds a '.' or starts with '$'; no string holding a NUL byte; no array
 * directly inside an array; no NaN or infinite double.  The request
 * document's keys come from the form's field table, never from what a
 * client sent, so this refuses only a caller's mistake.  Both backends
 * call it from their document check and refuse with CL_EINVAL.  Cannot
 * fail.
 */
bool	cl_store_doc_portable(const bson_t *doc);

/*
 * Backend constructors, called by cl_store_open() with the part of the spec
 * after "sqlite:" (a path) or the whole mongodb:// URI.  Same contract as
 * cl_store_open().
 */
cl_err cl_store_sqlite_open(const char *path, cl_store **out);
cl_err cl_store_mongo_open(const char *uri, cl_store **out);

#endif /* CALLIN_STORE_IMPL_H */

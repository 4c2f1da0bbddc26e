/* store.c: picks the backend named by the store setting and dispatches to it. */
#include <string.h>

#include "callin/log.h"
#include "store_impl.h"

cl_err
cl_store_open(const char *spec, cl_store **out)
{
	*out = NULL;
	if (spec == NULL)
		return CL_ECONFIG;
	if (strncmp(spec, "sqlite:", 7) == 0 && spec[7] != '\0')
		return cl_store_sqlite_open(spec + 7, out);
	if (strncmp(spec, "mongodb://", 10) == 0 ||
	    strncmp(spec, "mongodb+srv://", 14) == 0)
		return cl_store_mongo_open(spec, out);
	cl_log(CL_LOG_ERROR, "store: unknown scheme in \"%s\"", spec);
	return CL_ECONFIG;
}

void
cl_store_close(cl_store *st)
{
	if (st != NULL)
		st->ops->close(st);
}

cl_err
cl_store_ping(cl_store *st)
{
	return st->ops->ping(st);
}

cl_err
cl_store_blob_open(cl_store *st, const char *name, cl_blob **out)
{
	*out = NULL;
	return st->ops->blob_open(st, name, out);
}

cl_err
cl_blob_write(cl_blob *b, const void *p, size_t n)
{
	return b->ops->blob_write(b, p, n);
}

cl_err
cl_blob_finish(cl_blob *b, char id[CL_BLOB_ID_MAX])
{
	return b->ops->blob_finish(b, id);
}

void
cl_blob_abort(cl_blob *b)
{
	if (b != NULL)
		b->ops->blob_abort(b);
}

cl_err
cl_store_blob_delete(cl_store *st, const char *id)
{
	return st->ops->blob_delete(st, id);
}

cl_err
cl_store_blob_read(cl_store *st, const char *id, cl_store_sink sink, void *arg)
{
	return st->ops->blob_read(st, id, sink, arg);
}

cl_err
cl_store_put(cl_store *st, const bson_t *doc, char *existing_token)
{
	if (existing_token != NULL)
		existing_token[0] = '\0';
	return st->ops->put(st, doc, existing_token);
}

cl_err
cl_store_get(cl_store *st, cl_store_key key, const char *value, bson_t *out)
{
	return st->ops->get(st, key, value, out);
}

cl_err
cl_store_count(cl_store *st, int64_t *n)
{
	return st->ops->count(st, n);
}

cl_err
cl_store_sweep(cl_store *st, int64_t older_than_ms, int64_t *removed)
{
	int64_t dummy;

	return st->ops->sweep(st, older_than_ms, removed ? removed : &dummy);
}

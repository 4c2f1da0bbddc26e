/*
 * read.c: reading values out of a stored request document (reqdoc.h),
 * with defaults instead of errors.
 */
#include <string.h>

#include "callin/reqdoc.h"

/* See reqdoc.h. */
const char *
cl_reqdoc_str(const bson_t *doc, const char *path, const char *def, size_t *len)
{
	bson_iter_t it, sub;
	const char *s = def;
	uint32_t n;

	if (bson_iter_init(&it, doc) &&
	    bson_iter_find_descendant(&it, path, &sub) &&
	    BSON_ITER_HOLDS_UTF8(&sub)) {
		s = bson_iter_utf8(&sub, &n);
		if (len != NULL)
			*len = n;
		return s;
	}
	if (len != NULL)
		*len = def != NULL ? strlen(def) : 0;
	return s;
}

/* See reqdoc.h. */
int64_t
cl_reqdoc_int(const bson_t *doc, const char *path, int64_t def)
{
	bson_iter_t it, sub;

	if (bson_iter_init(&it, doc) &&
	    bson_iter_find_descendant(&it, path, &sub) &&
	    (BSON_ITER_HOLDS_INT64(&sub) || BSON_ITER_HOLDS_INT32(&sub)))
		return bson_iter_as_int64(&sub);
	return def;
}

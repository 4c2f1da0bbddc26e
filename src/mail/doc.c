/*
 * doc.c: reading values out of a request document for messages, with
 * defaults instead of errors: a message says "(not given)" rather than
 * fail over one odd value.
 */
#include "mail_int.h"

const char *
mail_doc_str(const bson_t *doc, const char *key, size_t *len)
{
	bson_iter_t it;
	uint32_t n = 0;
	const char *s = "";

	if (bson_iter_init(&it, doc) && bson_iter_find_descendant(&it, key,
	    &it) && BSON_ITER_HOLDS_UTF8(&it))
		s = bson_iter_utf8(&it, &n);
	else
		n = 0;
	if (len != NULL)
		*len = n;
	return s;
}

int64_t
mail_doc_int(const bson_t *doc, const char *key, int64_t def)
{
	bson_iter_t it;

	if (bson_iter_init(&it, doc) && bson_iter_find_descendant(&it, key,
	    &it) && (BSON_ITER_HOLDS_INT64(&it) || BSON_ITER_HOLDS_INT32(&it)))
		return bson_iter_as_int64(&it);
	return def;
}

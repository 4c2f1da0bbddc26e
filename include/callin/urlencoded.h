/*
 * urlencoded.h: application/x-www-form-urlencoded bodies and query strings.
 */
#ifndef CALLIN_URLENCODED_H
#define CALLIN_URLENCODED_H

#include <stddef.h>

#include "callin/err.h"

/*
 * Called once per name/value pair, in order.  name and value are decoded,
 * may hold any bytes (NUL included: use the lengths), are NUL-terminated
 * after their length and valid only during the call.  A non-CL_OK return
 * stops the parse and is returned by cl_urlencoded_parse.
 */
typedef cl_err (*cl_urlencoded_cb)(void *arg, const char *name,
    size_t name_len, const char *value, size_t value_len);

/*
 * Split the n bytes at s (NULL is fine when n is 0) on '&', each pair on its
 * first '=' (a pair without '=' has an empty value; an empty pair, as in
 * "a&&b", is skipped), decode '+' as a space and %XX (hex digits of either
 * case) as a byte, and call cb(arg, ...) for each pair.  Fails with
 * CL_EPARSE on a '%' not followed by two hex digits, in which case no call is
 * made, or with the first non-CL_OK value cb returns.
 */
cl_err	cl_urlencoded_parse(const char *s, size_t n, cl_urlencoded_cb cb,
	    void *arg);

#endif /* CALLIN_URLENCODED_H */

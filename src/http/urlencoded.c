/* urlencoded.c: application/x-www-form-urlencoded decoding. */
#include <stdlib.h>
#include <string.h>

#include "callin/alloc.h"
#include "callin/urlencoded.h"

/* Return the value of hex digit c, or -1 when it is not one.  Cannot fail. */
static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Check that every '%' of the n bytes at s starts a %XX escape.  Fails with
 * CL_EPARSE otherwise.
 */
static cl_err
check_escapes(const char *s, size_t n)
{
	const char *end = s + n;

	while ((s = memchr(s, '%', (size_t)(end - s))) != NULL) {
		if (end - s < 3 || hexval((unsigned char)s[1]) < 0 ||
		    hexval((unsigned char)s[2]) < 0)
			return CL_EPARSE;
		s += 3;
	}
	return CL_OK;
}

/*
 * Decode the n bytes at s ('+' to space, %XX to a byte; escapes already
 * checked) into out, which has room for n + 1 bytes, and NUL-terminate it.
 * Returns the decoded length.  Cannot fail.
 */
static size_t
decode(const char *s, size_t n, char *out)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '+')
			out[o++] = ' ';
		else if (s[i] == '%') {
			out[o++] = (char)(hexval((unsigned char)s[i + 1]) * 16 +
			    hexval((unsigned char)s[i + 2]));
			i += 2;
		} else
			out[o++] = s[i];
	}
	out[o] = '\0';
	return o;
}

cl_err
cl_urlencoded_parse(const char *s, size_t n, cl_urlencoded_cb cb, void *arg)
{
	const char *end, *amp, *eq;
	char *buf = NULL, *val;
	size_t plen, nlen, vlen;
	cl_err rc;

	if (n == 0)
		return CL_OK;
	if ((rc = check_escapes(s, n)) != CL_OK)
		goto err;
	/* Room for the longest pair, decoded, as name NUL value NUL. */
	buf = cl_malloc(n + 2);
	for (end = s + n; s < end; s = amp + 1) {
		if ((amp = memchr(s, '&', (size_t)(end - s))) == NULL)
			amp = end;
		plen = (size_t)(amp - s);
		if (plen == 0)
			continue;
		if ((eq = memchr(s, '=', plen)) == NULL)
			eq = amp;
		nlen = decode(s, (size_t)(eq - s), buf);
		val = buf + nlen + 1;
		vlen = eq < amp ? decode(eq + 1, (size_t)(amp - eq - 1), val) :
		    decode(eq, 0, val);
		if ((rc = cb(arg, buf, nlen, val, vlen)) != CL_OK)
			goto err;
		if (amp == end)
			break;
	}
	rc = CL_OK;
err:
	free(buf);
	return rc;
}

/*
 * multipart.h: a streaming multipart/form-data parser (RFC 7578, RFC 2046).
 *
 * Push style: feed the request body in pieces of any size; the parser calls
 * back at the start of each part (with its field name, file name and
 * content type), with the part's body bytes as soon as they cannot be the
 * start of a delimiter, and at the end of each part.  It never holds the
 * body: its memory is one part-header block (CL_MP_HEADER_MAX) plus a
 * lookbehind of at most the delimiter length and CL_MP_PAD_MAX bytes of
 * transport padding, whatever the size of the body.
 *
 * A delimiter is CRLF "--" boundary followed by CRLF, by "--" (the close
 * delimiter) or by transport padding (spaces and tabs) then CRLF; the first
 * one may also start the body without the CRLF.  Anything else, including
 * "--boundary" not preceded by CRLF, is data.  The preamble before the first
 * delimiter and the epilogue after the close delimiter are ignored.
 *
 * Part headers must end in CRLF (a bare CR or LF is malformed), need a
 * Content-Disposition of type form-data with a non-empty name parameter, and
 * may carry a filename parameter and a Content-Type; other headers are
 * checked for syntax and ignored.  Parameter values are tokens or quoted
 * strings, in which a backslash escapes a following '"' or '\' and is kept
 * as itself before any other byte (so "C:\dir\f.txt" as old browsers send
 * it survives).  Malformed input is CL_EPARSE; an exceeded limit (header
 * block size, header line count, name length) is CL_ETOOBIG.
 */
#ifndef CALLIN_MULTIPART_H
#define CALLIN_MULTIPART_H

#include <stddef.h>

#include "callin/err.h"

#define CL_MP_BOUNDARY_MAX 70 /* RFC 2046 limit on a boundary */
#define CL_MP_HEADER_MAX \
	8192 /* bytes in one part's header block, CRLFs included */
#define CL_MP_HEADER_LINES 16 /* header lines in one part */
#define CL_MP_NAME_MAX 200    /* bytes in a field name, decoded */
#define CL_MP_PAD_MAX 64      /* transport padding after a boundary */

typedef struct cl_mp_parser cl_mp_parser;

typedef struct cl_mp_callbacks {
	/*
	 * A part starts.  name is the form field name (never NULL, never
	 * empty); filename is NULL when the part has no filename parameter
	 * (a plain field) and the raw, unsanitised file name otherwise ("" when
	 * the browser sent filename="" for an empty file input); content_type
	 * is the part's Content-Type, trimmed, or NULL when absent.  The
	 * strings are valid only during the call.
	 */
	cl_err (*part_begin)(void *arg, const char *name, const char *filename,
	    const char *content_type);
	/* Body bytes of the current part (n > 0), split in any way. */
	cl_err (*part_data)(void *arg, const void *p, size_t n);
	/* The current part ended (its delimiter was seen). */
	cl_err (*part_end)(void *arg);
} cl_mp_callbacks;

/*
 * Extract the boundary parameter of a CONTENT_TYPE value such as
 * "multipart/form-data; boundary=xyz" (type, subtype and parameter names
 * case-insensitive, the value a token or a quoted string) into out, NUL
 * terminated.  Fails with CL_EPARSE when content_type is NULL, not
 * multipart/form-data, or malformed, or when the boundary is missing, empty,
 * longer than CL_MP_BOUNDARY_MAX, ends in a space or holds a byte RFC 2046
 * does not allow; CL_EINVAL when out cannot hold it (outlen of
 * CL_MP_BOUNDARY_MAX + 1 always can).  out is "" on failure when outlen > 0.
 */
cl_err cl_mp_boundary(const char *content_type, char *out, size_t outlen);

/*
 * Create a parser for bodies delimited by boundary (as given by
 * cl_mp_boundary), calling cb's functions with arg.  Cannot fail: a boundary
 * that cl_mp_boundary would refuse gives a parser whose feeds return
 * CL_EINVAL.
 */
cl_mp_parser *cl_mp_new(const char *boundary, const cl_mp_callbacks *cb,
    void *arg);

/*
 * Parse the next n bytes of the body; any split is fine, including one inside
 * a boundary or a CRLF.  Returns CL_EPARSE on malformed input, CL_ETOOBIG
 * when a limit is exceeded, or the first non-CL_OK value a callback
 * returned; after any error the parser is dead and every later call returns
 * the same error.  Bytes after the close delimiter are ignored.
 */
cl_err cl_mp_feed(cl_mp_parser *p, const void *data, size_t n);

/*
 * Declare the end of the body.  Returns CL_OK when the close delimiter was
 * seen, the parser's error if it is dead, and CL_EPARSE otherwise (a
 * truncated body); a part open at that point is not ended.
 */
cl_err cl_mp_finish(cl_mp_parser *p);

/* Release the parser; NULL is fine.  Cannot fail. */
void cl_mp_free(cl_mp_parser *p);

#endif /* CALLIN_MULTIPART_H */

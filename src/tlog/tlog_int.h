/* tlog_int.h: what the files of the tlog module share. */
#ifndef CALLIN_TLOG_INT_H
#define CALLIN_TLOG_INT_H

#include <stddef.h>
#include <stdint.h>

#include "callin/buf.h"
#include "callin/err.h"
#include "callin/tlog.h"

#define CL_TLOG_B64_HASH 44 /* base64 characters of a 32-byte hash */

/* Append the standard padded base64 (RFC 4648 §4) of n bytes.  Cannot fail. */
void cl_tlog_b64_add(cl_buf *out, const void *p, size_t n);
/*
 * Decode the canonical padded base64 of the slen characters at s into out
 * (room for cap bytes); *n gets the bytes decoded.  CL_EPARSE for any other
 * text (bad length, character or padding, non-zero pad bits) or more than
 * cap bytes.
 */
cl_err cl_tlog_b64_decode(const char *s, size_t slen, unsigned char *out,
    size_t cap, size_t *n);
/*
 * Whether the n bytes at s are a key name: non-empty valid UTF-8 with no
 * space, no control character and no '+'.  Cannot fail.
 */
int cl_tlog_name_valid(const char *s, size_t n);
/* Key ID of name, type and the Ed25519 key (signed-note).  Cannot fail. */
uint32_t cl_tlog_key_id(const char *name, unsigned char type,
    const unsigned char key[32]);
/*
 * Parse the slen characters at s as a decimal without leading zeros (only
 * "0" itself starts with 0) of at most 2^63-1 into *v.  CL_EPARSE when not.
 */
cl_err cl_tlog_parse_u63(const char *s, size_t slen, int64_t *v);
/*
 * Whether the n bytes at s are a note text: non-empty, ending in LF, valid
 * UTF-8, with no control character other than LF.  Cannot fail.
 */
int cl_tlog_text_valid(const char *s, size_t n);

#endif /* CALLIN_TLOG_INT_H */

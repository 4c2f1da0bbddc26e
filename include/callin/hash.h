/*
 * hash.h: SHA-256 (OpenSSL) in one call or streamed, and lower-case hex.
 *
 * Hashing cannot fail for valid arguments: OpenSSL only fails here when it
 * cannot allocate, and like the allocation wrappers these functions then log
 * and abort().
 */
#ifndef CALLIN_HASH_H
#define CALLIN_HASH_H

#include <stddef.h>

#include "callin/err.h"

#define CL_SHA256_LEN 32		      /* digest bytes */
#define CL_SHA256_HEX (2 * CL_SHA256_LEN + 1) /* hex digits and a NUL */

typedef struct cl_sha256_ctx cl_sha256_ctx; /* a digest in progress */

/* Hash n bytes of p into out.  Cannot fail. */
void cl_sha256(const void *p, size_t n, unsigned char out[CL_SHA256_LEN]);

/* Start a streamed digest.  Cannot fail (never returns NULL). */
cl_sha256_ctx *cl_sha256_new(void);
/* Add n bytes of p to the digest.  Cannot fail. */
void cl_sha256_update(cl_sha256_ctx *ctx, const void *p, size_t n);
/* Write the digest to out and free ctx.  Cannot fail. */
void cl_sha256_final(cl_sha256_ctx *ctx, unsigned char out[CL_SHA256_LEN]);
/* Free a digest that will not be finished.  NULL is fine.  Cannot fail. */
void cl_sha256_free(cl_sha256_ctx *ctx);

/*
 * Write n bytes of p as 2n lower-case hex digits and a NUL to out (which
 * holds 2n + 1 bytes).  Cannot fail.
 */
void cl_hex(const unsigned char *p, size_t n, char *out);

/*
 * Decode the slen characters of s, which must be exactly 2n lower-case hex
 * digits, into n bytes of out.  Fails with CL_EPARSE (out then undefined) for
 * any other length or character, upper-case digits included.
 */
cl_err cl_unhex(const char *s, size_t slen, unsigned char *out, size_t n);

#endif /* CALLIN_HASH_H */

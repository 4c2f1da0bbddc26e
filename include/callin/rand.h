/*
 * rand.h: random tokens from OpenSSL's CSPRNG, and base64url (RFC 4648 §5,
 * without padding) to write them.
 */
#ifndef CALLIN_RAND_H
#define CALLIN_RAND_H

#include <stddef.h>

#include "callin/err.h"

/* Characters of base64url without padding for n bytes (not counting NUL). */
#define CL_B64URL_LEN(n) (((n)*4 + 2) / 3)

#define CL_RANDOM_TOKEN_BYTES_MAX 32 /* most bytes in a random token */
/* Room for any random token, with its NUL (43 + 1). */
#define CL_RANDOM_TOKEN_MAX (CL_B64URL_LEN(CL_RANDOM_TOKEN_BYTES_MAX) + 1)

/*
 * Fill p with n bytes from the CSPRNG.  CL_ECRYPTO when OpenSSL cannot (its
 * generator is not seeded); p is then zeroed.
 */
cl_err cl_random_bytes(void *p, size_t n);

/*
 * Write into out (CL_RANDOM_TOKEN_MAX bytes) the base64url of nbytes fresh
 * random bytes, NUL-terminated: 16 bytes (128 bits) give 22 characters.
 * CL_EINVAL when nbytes is 0 or above CL_RANDOM_TOKEN_BYTES_MAX, CL_ECRYPTO
 * when the CSPRNG fails; out is then "".
 */
cl_err cl_random_token(char *out, size_t nbytes);

/*
 * Write the base64url of the n bytes at p into out, which must hold
 * CL_B64URL_LEN(n) + 1 bytes, and NUL-terminate it.  Cannot fail.
 */
void cl_b64url_encode(const void *p, size_t n, char *out);

/* The number of base64url characters at the start of s.  Cannot fail. */
size_t cl_b64url_span(const char *s);

/*
 * Decode the base64url string s (len characters, no padding, no white
 * space) into out, which holds outcap bytes; *outlen gets the byte count.
 * CL_EPARSE for a character outside the alphabet, an impossible length or
 * non-zero spare bits (so each byte string has one encoding only);
 * CL_ETOOBIG when out is too small.
 */
cl_err cl_b64url_decode(const char *s, size_t len, unsigned char *out,
    size_t outcap, size_t *outlen);

#endif /* CALLIN_RAND_H */

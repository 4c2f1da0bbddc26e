/*
 * csrf.h: the form's stateless anti-forgery token.
 *
 *   token = base64url( nonce || issued || mac )              75 characters
 *   nonce  = 16 random bytes
 *   issued = the issuing time, 8 bytes, big-endian seconds since the epoch
 *   mac    = HMAC-SHA256(secret, "callin-form-v1" || nonce || issued)
 *
 * Every worker and host that shares the secret (form_secret_file) can check
 * any other's tokens; nothing is stored.  A token is accepted from 60 s
 * before its issuing time (clock skew between hosts) until max_age seconds
 * after it.  The token is not bound to a browser (the form has no session
 * or cookie): it proves that the form was fetched from us recently, not by
 * whom.
 *
 * The form's idempotency key is issued with its token: it is the nonce,
 * base64url (22 characters), so a key that was not issued with the token
 * beside it is refused (cl_csrf_key gives the one that was).  One form's
 * hidden inputs copied for many people therefore make one request at most.
 *
 * Random tokens (the receipt token) come from rand.h, included here for the
 * pages that issue both.
 */
#ifndef CALLIN_CSRF_H
#define CALLIN_CSRF_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "callin/err.h"
#include "callin/rand.h"

#define CL_CSRF_TOKEN_LEN 75  /* characters of a token */
#define CL_CSRF_TOKEN_MAX 76  /* room for a token and its NUL */
#define CL_CSRF_SECRET_MIN 32 /* fewest bytes in a secret */
#define CL_CSRF_SKEW 60	      /* seconds a token may be early */
#define CL_CSRF_KEY_LEN 22    /* characters of an idempotency key */
#define CL_CSRF_KEY_MAX 23    /* room for a key and its NUL */

/*
 * Write a fresh token issued at now into out.  CL_EINVAL for a secret
 * shorter than CL_CSRF_SECRET_MIN, CL_ECRYPTO when the CSPRNG or HMAC fails;
 * out is "" on failure.
 */
cl_err cl_csrf_issue(const void *secret, size_t secret_len, time_t now,
    char out[CL_CSRF_TOKEN_MAX]);

/*
 * Check that token was issued with secret and is still valid at now:
 *   CL_OK       genuine, issued no more than max_age_s seconds before now
 *               and no more than CL_CSRF_SKEW seconds after it;
 *   CL_EVERIFY  malformed or forged (wrong length or characters, a MAC that
 *               does not match: compared in constant time);
 *   CL_EINVAL   genuine but expired, or issued too far in the future (the
 *               form should be shown again with a fresh token).
 */
cl_err cl_csrf_check(const void *secret, size_t secret_len, const char *token,
    time_t now, int64_t max_age_s);

/*
 * Write into key the idempotency key issued with token (its nonce,
 * base64url).  CL_EVERIFY for a malformed token (key is then "").  Says
 * nothing of the token's MAC: check that with cl_csrf_check().
 */
cl_err cl_csrf_key(const char *token, char key[CL_CSRF_KEY_MAX]);
/*
 * Read the secret in the file path into buf, whose size is *len on entry;
 * *len is the secret's length on success.  All the file's bytes are the
 * secret (a trailing newline too).  Refuses, with CL_ECONFIG and one line
 * in errbuf: a file that cannot be opened or read, that is not a regular
 * file, that group or others may access (mode & 077), or that holds fewer
 * than CL_CSRF_SECRET_MIN or more than *len bytes.
 */
cl_err cl_csrf_load_secret(const char *path, unsigned char *buf, size_t *len,
    char *errbuf, size_t errlen);

#endif /* CALLIN_CSRF_H */

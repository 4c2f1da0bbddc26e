/*
 * anchor_int.h: what the anchor module's files share: one HTTP POST with a
 * time limit (libcurl), and the token check both TSA calls make.
 */
#ifndef CALLIN_ANCHOR_INT_H
#define CALLIN_ANCHOR_INT_H

#include <openssl/pkcs7.h>
#include <openssl/ts.h>

#include "callin/anchor.h"

#define ANCHOR_REPLY_MAX (256 * 1024) /* most bytes of a reply read */

/* What a server answered. */
struct anchor_reply {
	long status;	 /* HTTP status */
	char ctype[128]; /* its Content-Type, "" when none */
	cl_buf body;	 /* its body (at most ANCHOR_REPLY_MAX bytes) */
};

/*
 * POST the n bytes of body as ctype to url (http:// or https:// only, no
 * redirects, the system's CAs) within timeout_ms, asking for accept, into
 * r (the caller frees r->body).  Any status is CL_OK.  CL_EUNAVAIL with
 * why set when url is not http(s), the server cannot be reached, the time
 * runs out or the reply is longer than ANCHOR_REPLY_MAX.
 */
cl_err anchor_post(const char *url, const char *ctype, const char *accept,
    const void *body, size_t n, long timeout_ms, struct anchor_reply *r,
    char *why, size_t whylen);

/*
 * Check token (its TSTInfo tst) over the n bytes of data against the roots
 * in ca_file at the token's own genTime, and, when nonce is not NULL, that
 * the token echoes it: cl_tsa_verify()'s checks after the status.  Sets
 * chk->gen_time; CL_EVERIFY or CL_ECONFIG with chk->why.
 */
cl_err anchor_tsa_check(PKCS7 *token, TS_TST_INFO *tst, const void *data,
    size_t n, const char *ca_file, const ASN1_INTEGER *nonce,
    cl_tsa_check *chk);

/*
 * Parse the DER reply (or bare token when token_only) at der into *resp
 * or *token (the other NULL): the whole of len bytes, nothing after.
 * CL_EPARSE when it is not one.
 */
cl_err anchor_tsa_parse(const void *der, size_t len, int token_only,
    TS_RESP **resp, PKCS7 **token);

/*
 * The status of resp: CL_OK when granted (or granted with modifications)
 * and it holds a token, else CL_EVERIFY with why naming the status, the
 * authority's text and its failure bits.
 */
cl_err anchor_tsa_granted(TS_RESP *resp, char *why, size_t whylen);

/*
 * Write into why (whylen bytes) prefix, ": " and what OpenSSL's error
 * queue says (its first reason and any data it gave), then clear the
 * queue.  Cannot fail.
 */
void anchor_ossl_why(char *why, size_t whylen, const char *prefix);

#endif /* CALLIN_ANCHOR_INT_H */

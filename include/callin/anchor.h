/*
 * anchor.h: what ties a checkpoint to time and to others (DESIGN.md §9):
 * RFC 3161 time-stamp tokens from the authorities in tsa_urls, and
 * cosignatures from the witnesses in log_witnesses (c2sp.org/tlog-witness
 * add-checkpoint).  Each call has a time limit and never retries by
 * itself: the sequencer calls again at its next anchor.
 */
#ifndef CALLIN_ANCHOR_H
#define CALLIN_ANCHOR_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "callin/buf.h"
#include "callin/err.h"
#include "callin/tlog.h"

#define CL_TSA_NAME_MAX 32 /* "[a-z0-9-]{1,31}", with its NUL */

/* What checking a time-stamp token found. */
typedef struct cl_tsa_check {
	time_t gen_time; /* the token's genTime */
	char why[200];	 /* on failure: what did not hold */
} cl_tsa_check;

/*
 * Ask the authority at url (http or https) for a time-stamp over the n
 * bytes of data (a checkpoint's note text): SHA-256, a fresh 64-bit nonce,
 * certReq, POSTed as application/timestamp-query within timeout_ms.  The
 * reply must be 200, application/timestamp-reply, granted, and pass
 * cl_tsa_verify() with the nonce against the roots in ca_file; then its
 * DER TimeStampResp is appended to out and chk says its genTime.
 * CL_EUNAVAIL when the authority cannot be reached or answers otherwise
 * (chk->why says how); CL_EVERIFY when its token does not check.
 */
cl_err cl_tsa_request(const char *url, const char *ca_file, const void *data,
    size_t n, long timeout_ms, cl_buf *out, cl_tsa_check *chk);

/*
 * Check the DER TimeStampResp (or bare TimeStampToken when token_only) at
 * der (len bytes) over the n bytes of data: status granted, the imprint is
 * SHA-256 of data, the signature, ESSCertIDv2 to the signer certificate,
 * whose chain leads to a root in ca_file with the timeStamping purpose,
 * valid at the token's own genTime (not now: a good token outlives its
 * certificate).  CL_EVERIFY with chk->why naming the first check that
 * failed; CL_EPARSE when der is not a reply; CL_ECONFIG when ca_file cannot
 * be read.
 */
cl_err cl_tsa_verify(const void *der, size_t len, int token_only,
    const void *data, size_t n, const char *ca_file, cl_tsa_check *chk);

/* A witness, from log_witnesses: its cosignature key and where to ask. */
typedef struct cl_witness {
	cl_tlog_verifier key; /* type 0x04 */
	char url[512];	      /* submission prefix, no trailing '/' */
	int64_t size;	      /* the size it has last cosigned, -1 unknown */
} cl_witness;

/*
 * Parse log_witnesses: comma-separated "<vkey> <url>" items (a vkey of
 * type 0x04) into a new array *out of *n.  CL_ECONFIG naming the bad item
 * in err; an empty list is none.
 */
cl_err cl_witness_list_parse(const char *list, cl_witness **out, size_t *n,
    char *err, size_t errlen);

/*
 * Ask w to cosign the signed checkpoint note cp (n bytes) of the tree of
 * size size: POST <url>/add-checkpoint with "old <w->size>", the
 * consistency proof from w->size to size read through rd, a blank line and
 * cp.  On 409 the witness's size is read from the body (text/x.tlog.size)
 * into w->size and the call is made once more.  On success the witness's
 * cosignature lines are appended to sigs (each checked with w->key against
 * the checkpoint text) and w->size becomes size.  CL_EUNAVAIL when it
 * cannot be reached, times out or refuses (403, 404, 422: why says which);
 * CL_EVERIFY when its cosignature does not verify.
 */
cl_err cl_witness_add(cl_witness *w, const char *cp, size_t n, int64_t size,
    cl_tlog_reader rd, void *arg, long timeout_ms, cl_buf *sigs, char *why,
    size_t whylen);

#endif /* CALLIN_ANCHOR_H */

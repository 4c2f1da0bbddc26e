/*
 * proofs.h: where callin-logd publishes the proof files of a receipt
 * (DESIGN.md §9): <log_dir>/proofs/<hex SHA-256 of receipt.txt>.tlog-proof
 * (c2sp.org/tlog-proof@v1 against an anchor checkpoint) and .tsr (the
 * RFC 3161 reply over that checkpoint's note text), public under
 * /log/proofs/ and private under /receipt/{token}/.  Files appear once and
 * never change, so a reader needs no lock.
 */
#ifndef CALLIN_PROOFS_H
#define CALLIN_PROOFS_H

#include <stddef.h>

#include "callin/buf.h"
#include "callin/err.h"
#include "callin/hash.h"

#define CL_PROOF_TLOG "tlog-proof" /* the inclusion proof's extension */
#define CL_PROOF_TSR "tsr"	   /* the first TSA's token's extension */
#define CL_PROOF_MAX (64 * 1024)   /* largest proof file read */

/*
 * Write the name of the n bytes of receipt.txt at receipt among the
 * proofs: the lower-case hex of their SHA-256.  Cannot fail.
 */
void cl_proof_name(const char *receipt, size_t n, char hex[CL_SHA256_HEX]);

/*
 * Write "proofs/<hex>.<ext>" into out (outlen bytes): the file ext of the
 * receipt named hex, relative to log_dir.  CL_ETOOBIG when it does not fit.
 */
cl_err cl_proof_rel(const char *hex, const char *ext, char *out, size_t outlen);

/*
 * Write "<log_dir>/proofs/<name>.<ext>" into out (outlen bytes).
 * CL_ETOOBIG when it does not fit.
 */
cl_err cl_proof_path(const char *log_dir, const char *receipt, size_t n,
    const char *ext, char *out, size_t outlen);

/*
 * Append the proof file ext of the receipt to out (at most CL_PROOF_MAX
 * bytes).  CL_ENOTFOUND when it does not exist (not yet: the anchor that
 * covers the receipt is not cut), CL_ETOOBIG when it is larger, CL_EIO
 * when it cannot be read (logged); out is unchanged on failure.
 */
cl_err cl_proof_read(const char *log_dir, const char *receipt, size_t n,
    const char *ext, cl_buf *out);

#endif /* CALLIN_PROOFS_H */

/*
 * proof.h: checking what a requester holds beside receipt.txt (DESIGN.md
 * §9), one way for /verify and callin-verify alike: receipt.tlog-proof
 * (c2sp.org/tlog-proof@v1 against an anchor checkpoint) and checkpoint.tsr
 * (an RFC 3161 reply over that checkpoint's note text).  Nothing is
 * accepted before the checkpoint verifies with the log's key and names the
 * log's origin (tlog-notes §4.1): an inclusion proof against an unchecked
 * checkpoint proves nothing.
 *
 * The checks, each passed, failed or not made (what is needed was not
 * given), in this order:
 *   checkpoint  the proof's checkpoint is signed by the log key, its origin
 *               is the key's name and the receipt's log line (if it has one)
 *   inclusion   the receipt's entry (cl_tlog_entry over receipt.txt in its
 *               LF form) is record <index> of that checkpoint's tree
 *   witnesses   at least one of the known witnesses cosigned it
 *               (cosignature/v1), and no known witness's line fails
 *   timestamp   the token is over the checkpoint's note text and valid at
 *               its own genTime under the given TSA roots
 *   time        the receipt's received time is no later than genTime
 */
#ifndef CALLIN_PROOF_H
#define CALLIN_PROOF_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "callin/err.h"
#include "callin/receipt.h"
#include "callin/tlog.h"

enum cl_proof_id {
	CL_PROOF_CHECKPOINT,
	CL_PROOF_INCLUSION,
	CL_PROOF_WITNESSES,
	CL_PROOF_TIMESTAMP,
	CL_PROOF_TIME,
	CL_PROOF__MAX
};

/* One check's outcome. */
typedef struct cl_proof_item {
	int made;	  /* 0: not made (detail says why) */
	int ok;		  /* made: passed */
	char detail[240]; /* what was found, one line */
} cl_proof_item;

/* What checking a proof (and token) found. */
typedef struct cl_proof_result {
	cl_proof_item items[CL_PROOF__MAX];
	int64_t index; /* the record's index in the log */
} cl_proof_result;

/* What to check against. */
typedef struct cl_proof_keys {
	const cl_tlog_verifier *log;	   /* the log's key (type 0x01) */
	const cl_tlog_verifier *witnesses; /* known witnesses (type 0x04) */
	size_t nwitnesses;
	const char *tsa_ca_file; /* the TSAs' roots; NULL: no token check */
} cl_proof_keys;

/* The check's name for people: "checkpoint", "log inclusion", ... */
const char *cl_proof_name_of(enum cl_proof_id id);

/*
 * Check the tlog-proof at proof (plen bytes) and, when tsr is not NULL,
 * the TimeStampResp at tsr (tlen bytes) for the parsed receipt r, against
 * keys, into res.  CL_OK when every check given what it needs was made
 * (some may have failed: res says which); CL_EPARSE with
 * res->items[CL_PROOF_CHECKPOINT].detail saying why when the proof is not
 * a tlog-proof with a signed checkpoint at all, or the token is not a
 * TimeStampResp (then in items[CL_PROOF_TIMESTAMP].detail); CL_ECONFIG
 * when the TSA roots cannot be read.
 */
cl_err cl_proof_check(const cl_receipt *r, const char *proof, size_t plen,
    const void *tsr, size_t tlen, const cl_proof_keys *keys,
    cl_proof_result *res);

/*
 * Whether every check of res that was made passed, and the checkpoint and
 * inclusion were made.  Cannot fail.
 */
int cl_proof_passed(const cl_proof_result *res);

/*
 * The item whose detail says why cl_proof_check() did not return CL_OK
 * (the token's when it was checked, else the checkpoint's).  Cannot fail.
 */
enum cl_proof_id cl_proof_refused(const cl_proof_result *res);

#endif /* CALLIN_PROOF_H */

/*
 * fuzz_tlog_common.h: the keys the tlog fuzz targets check against: the
 * unit tests' TEST KEY A as the log "example.org/intake/log" and TEST KEY B
 * as the witness "witness.example/w1" (tests/unit/test_receipt_fixtures.h),
 * whose real checkpoints, cosignatures and proofs are the seed corpora.
 */
#ifndef FUZZ_TLOG_COMMON_H
#define FUZZ_TLOG_COMMON_H

#include <stdlib.h>

#include "callin/tlog.h"

#define FUZZ_LOG_VKEY \
	"example.org/intake/log+06095ebf+" \
	"AW3mPruGq9HWVJL0j/FAtT6AamFuSdjVKA/mKxojf+jG"
#define FUZZ_WITNESS_VKEY \
	"witness.example/w1+bc579128+BLvOC7U1tjf7t03PGfvPQs+sRg1vpll4i2JMOME6rU/K"

/* Parse the two keys into k[0] (log) and k[1] (witness); abort if not. */
static inline void
fuzz_tlog_keys(cl_tlog_verifier k[2])
{
	if (cl_tlog_vkey_parse(FUZZ_LOG_VKEY, &k[0]) != CL_OK ||
	    cl_tlog_vkey_parse(FUZZ_WITNESS_VKEY, &k[1]) != CL_OK)
		abort();
}

#endif /* FUZZ_TLOG_COMMON_H */

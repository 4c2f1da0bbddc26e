/*
 * fuzz_tlog_common.h: the keys the tlog fuzz targets check against: the
 * unit tests' TEST KEY A as the log "example.org/intake/log" and TEST KEY B
 * as the witness "witness.example/w1" (tests/unit/test_receipt_fixtures.h),
 * whose real checkpoints, cosignatures and proofs are the seed corpora.
 */
#ifndef FUZZ_TLOG_COMMON_H
#define FUZZ_TLOG_COMMON_H

#include <stdint.h>
#include <stdlib.h>

#include "callin/tlog.h"

#define FUZZ_LOG_VKEY \
	"example.org/intake/log+06095ebf+" \
	"AW3mPruGq9HWVJL0j/FAtT6AamFuSdjVKA/mKxojf+jG"
#define FUZZ_WITNESS_VKEY \
	"witness.example/w1+bc579128+BLvOC7U1tjf7t03PGfvPQs+sRg1vpll4i2JMOME6rU/K"

/* The log's key (keys[0]) and the witness's (keys[1]). */
static cl_tlog_verifier keys[2];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parse the two keys; abort if they do not parse. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (cl_tlog_vkey_parse(FUZZ_LOG_VKEY, &keys[0]) != CL_OK ||
	    cl_tlog_vkey_parse(FUZZ_WITNESS_VKEY, &keys[1]) != CL_OK)
		abort();
	return 0;
}

#endif /* FUZZ_TLOG_COMMON_H */

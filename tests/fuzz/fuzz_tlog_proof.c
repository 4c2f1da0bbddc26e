/*
 * fuzz_tlog_proof: libFuzzer target for the tlog-proof parser and the
 * whole proof check (cl_tlog_proof_parse, cl_tlog_proof_check) against the
 * log key of fuzz_tlog_common.h and the receipt the seed proofs are for.
 * A proof that parses points inside its input and, without an "extra"
 * line, formats back to the same bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_tlog_common.h"

/* Record 3 of `tlog_tool build DIR example.org/intake/log KEY_A 5`. */
static const char receipt[] = "callin-receipt-v1\nreference: TEST-3\n";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char proof[CL_TLOG_PROOF_MAX][CL_TLOG_HASH];
	const char *text = (const char *)data, *cp, *why;
	cl_buf b = CL_BUF_INIT;
	cl_tlog_checkpoint c;
	size_t np, cplen, tl;
	int64_t index;
	cl_err rc;

	if (cl_tlog_proof_parse(text, size, &index, proof, &np, &cp, &cplen) ==
	    CL_OK) {
		if (np > CL_TLOG_PROOF_MAX || index < 0 || cplen == 0 ||
		    cp < text || cp + cplen != text + size)
			abort();
		if (size > 29 && memcmp(text + 23, "extra ", 6) != 0) {
			cl_tlog_proof_format(index,
			    (const unsigned char(*)[CL_TLOG_HASH])proof, np, cp,
			    cplen, &b);
			if (b.len != size || memcmp(b.data, text, size) != 0)
				abort();
			cl_buf_free(&b);
		}
	} else if (cp != NULL || np != 0)
		abort();
	rc = cl_tlog_proof_check(&keys[0], text, size, receipt,
	    sizeof receipt - 1, &index, &c, &cp, &cplen, &tl, &why);
	if ((rc == CL_OK) != (*why == '\0') ||
	    (rc == CL_OK && (tl == 0 || tl >= cplen)) ||
	    (rc != CL_OK && rc != CL_EPARSE && rc != CL_EVERIFY))
		abort();
	return 0;
}

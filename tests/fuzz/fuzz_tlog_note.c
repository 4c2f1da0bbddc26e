/*
 * fuzz_tlog_note: libFuzzer target for the signed-note parser and
 * verifier (cl_tlog_note_open) with the log's key and a witness's
 * cosignature key (fuzz_tlog_common.h).  A note that opens must split at
 * a blank line; one that does not opens with no key marked good.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_tlog_common.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *note = (const char *)data;
	uint64_t when[2];
	size_t tlen;
	int ok[2];
	cl_err rc;

	rc = cl_tlog_note_open(note, size, keys, 2, &tlen, ok, when);
	if (rc != CL_OK) {
		if ((rc != CL_EPARSE && rc != CL_EVERIFY) || ok[0] || ok[1] ||
		    tlen != 0)
			abort();
		return 0;
	}
	/* The text ends in LF and a blank line follows it. */
	if (tlen == 0 || tlen + 1 >= size || note[tlen - 1] != '\n' ||
	    note[tlen] != '\n' || note[size - 1] != '\n' ||
	    (ok[0] && when[0] != 0) || (!ok[1] && when[1] != 0))
		abort();
	return 0;
}

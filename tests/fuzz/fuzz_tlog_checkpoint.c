/*
 * fuzz_tlog_checkpoint: libFuzzer target for the checkpoint text parser
 * (cl_tlog_checkpoint_parse) and the verifier-key parser.  A checkpoint
 * that parses must format back to exactly the same bytes (one form only);
 * so must a verifier key's name and ID.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callin/tlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cl_buf b = CL_BUF_INIT;
	cl_tlog_checkpoint c;
	cl_tlog_verifier v;
	char *s, head[CL_TLOG_ORIGIN_MAX + 16];

	if (cl_tlog_checkpoint_parse((const char *)data, size, &c) == CL_OK) {
		cl_tlog_checkpoint_text(&c, &b);
		if (b.len != size || memcmp(b.data, data, size) != 0)
			abort();
		cl_buf_free(&b);
	} else if (c.origin[0] != '\0' || c.size != 0)
		abort();
	/* The same bytes as a verifier key (a string). */
	s = malloc(size + 1);
	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	if (cl_tlog_vkey_parse(s, &v) == CL_OK) {
		snprintf(head, sizeof head, "%s+%08" PRIx32 "+", v.name, v.id);
		if (strncmp(s, head, strlen(head)) != 0 ||
		    (v.type != 0x01 && v.type != 0x04) ||
		    !cl_tlog_name_ok(v.name))
			abort();
	} else if (v.name[0] != '\0')
		abort();
	free(s);
	return 0;
}

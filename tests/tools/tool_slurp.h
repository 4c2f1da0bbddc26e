/*
 * tool_slurp.h: reading a whole input file, for the test tools in
 * tests/tools/ (each a program of its own; this is their one copy).
 */
#ifndef CALLIN_TOOL_SLURP_H
#define CALLIN_TOOL_SLURP_H

#include <stdio.h>
#include <stdlib.h>

#include "callin/buf.h"

/* Read all of path into b.  Exits 2 with a message when it cannot. */
static void
slurp(const char *path, cl_buf *b)
{
	char chunk[65536];
	size_t n;
	FILE *f;

	if ((f = fopen(path, "rb")) == NULL) {
		perror(path);
		exit(2);
	}
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		cl_buf_add(b, chunk, n);
	fclose(f);
	cl_buf_add(b, "", 0);
}

#endif /* CALLIN_TOOL_SLURP_H */

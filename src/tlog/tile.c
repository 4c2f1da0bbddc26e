/* tile.c: c2sp.org/tlog-tiles paths, hash tiles and entry bundles. */
#include <stdio.h>

#include "tlog_int.h"

#define TILE_HEIGHT 8 /* tree levels a tile spans (C2SP) */

/* Path of tile n at level (-1: entries) with width hashes.  Cannot fail. */
void
cl_tlog_tile_path(int level, int64_t n, int width, char out[CL_TLOG_PATH_MAX])
{
	int group[7], ng = 0, len;

	CL_ASSERT(
	    level >= -1 && n >= 0 && width >= 1 && width <= CL_TLOG_TILE_WIDTH);
	/* "x001/x234/067": groups of three digits, all but the last x'ed. */
	do {
		group[ng++] = (int)(n % 1000);
		n /= 1000;
	} while (n > 0);
	if (level < 0)
		len = snprintf(out, CL_TLOG_PATH_MAX, "tile/entries/");
	else
		len = snprintf(out, CL_TLOG_PATH_MAX, "tile/%d/", level);
	while (--ng > 0)
		len += snprintf(out + len, CL_TLOG_PATH_MAX - (size_t)len,
		    "x%03d/", group[ng]);
	len += snprintf(out + len, CL_TLOG_PATH_MAX - (size_t)len, "%03d",
	    group[0]);
	if (width != CL_TLOG_TILE_WIDTH)
		len += snprintf(out + len, CL_TLOG_PATH_MAX - (size_t)len,
		    ".p/%d", width);
	CL_ASSERT(len > 0 && len < CL_TLOG_PATH_MAX);
}

/* Append the hashes of tile n at level of the tree of size size. */
cl_err
cl_tlog_tile(int level, int64_t n, int64_t size, cl_tlog_reader rd, void *arg,
    cl_buf *out, int *width)
{
	unsigned char h[CL_TLOG_HASH];
	int64_t have, w, i;
	int lv = TILE_HEIGHT * level;
	cl_err rc;

	*width = 0;
	if (level < 0 || lv >= 63 || n < 0 || size < 0 ||
	    n > (INT64_MAX >> lv) / CL_TLOG_TILE_WIDTH)
		return CL_EINVAL;
	/* The complete subtrees of tree level lv that size holds. */
	have = (size >> lv) - n * CL_TLOG_TILE_WIDTH;
	if (have <= 0)
		return CL_EINVAL;
	w = have < CL_TLOG_TILE_WIDTH ? have : CL_TLOG_TILE_WIDTH;
	for (i = 0; i < w; i++) {
		rc = rd(arg,
		    cl_tlog_stored_index(lv, n * CL_TLOG_TILE_WIDTH + i), h);
		if (rc != CL_OK)
			return rc;
		cl_buf_add(out, h, sizeof h);
	}
	*width = (int)w;
	return CL_OK;
}

/* Append one entry, uint16 big-endian length first.  Cannot fail. */
void
cl_tlog_bundle_add(cl_buf *bundle, const void *entry, size_t n)
{
	unsigned char len[2];

	CL_ASSERT(n <= 0xffff);
	len[0] = (unsigned char)(n >> 8);
	len[1] = (unsigned char)n;
	cl_buf_add(bundle, len, 2);
	cl_buf_add(bundle, entry, n);
}

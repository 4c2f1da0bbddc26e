/*
 * publish.c: the files callin-logd publishes under log_dir, each replaced
 * atomically and durably (cl_write_file_atomic), directories made as
 * needed: the tiles and entry bundles a growth of the tree touches.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callin/log.h"
#include "callin/writefile.h"
#include "logd_int.h"

/* log_dir/rel into out (n bytes).  CL_EIO when it does not fit. */
cl_err
ld_path(const cl_logd *d, const char *rel, char *out, size_t n)
{
	if (snprintf(out, n, "%s/%s", d->dir, rel) >= (int)n) {
		cl_log(CL_LOG_ERROR, "logd: path too long under %s", d->dir);
		return CL_EIO;
	}
	return CL_OK;
}

/*
 * Write the n bytes at p as log_dir/rel (mode 0644), making its
 * directory first.  CL_EIO.
 */
cl_err
ld_write(const cl_logd *d, const char *rel, const void *p, size_t n)
{
	char path[PATH_MAX];
	char *slash;
	cl_err rc;

	if ((rc = ld_path(d, rel, path, sizeof path)) != CL_OK)
		return rc;
	slash = strrchr(path, '/');
	CL_ASSERT(slash != NULL);
	*slash = '\0';
	rc = cl_mkdirs(path, 0755);
	*slash = '/';
	if (rc != CL_OK)
		return rc;
	return cl_write_file_atomic(path, p, n, 0644);
}

/*
 * Write the bundle of entries tile n of the tree of size size: its
 * entries read from the store.  CL_EUNAVAIL, CL_EIO.
 */
static cl_err
bundle(cl_logd *d, int64_t n, int64_t size)
{
	cl_store_entry *v = NULL;
	cl_buf b = CL_BUF_INIT;
	char rel[CL_TLOG_PATH_MAX];
	int64_t start = n * CL_TLOG_TILE_WIDTH, w;
	size_t k = 0, i;
	cl_err rc;

	w = size - start < CL_TLOG_TILE_WIDTH ? size - start :
						CL_TLOG_TILE_WIDTH;
	if ((rc = cl_store_log_entries(d->st, start, start + w, &v, &k)) !=
	    CL_OK)
		goto err;
	for (i = 0; i < k; i++)
		cl_tlog_bundle_add(&b, v[i].entry, v[i].len);
	cl_tlog_tile_path(-1, n, (int)w, rel);
	rc = ld_write(d, rel, b.data, b.len);
err:
	cl_store_entries_free(v, k);
	cl_buf_free(&b);
	return rc;
}

/*
 * Write every tile and bundle that the growth of the tree from old to
 * size records makes or changes (a partial tile of the new width, or the
 * full one), read from the stored hashes and the store's entries.
 * CL_EUNAVAIL, CL_EIO.
 */
cl_err
ld_publish_tiles(cl_logd *d, int64_t old, int64_t size)
{
	cl_buf b = CL_BUF_INIT;
	char rel[CL_TLOG_PATH_MAX];
	int64_t cnew, cold, n;
	int level, width;
	cl_err rc = CL_OK;

	CL_ASSERT(old < size);
	for (level = 0; level < 8; level++) {
		cnew = size >> (8 * level);
		cold = old >> (8 * level);
		if (cnew == 0)
			break;
		if (cnew == cold)
			continue;
		for (n = cold / CL_TLOG_TILE_WIDTH;
		     n <= (cnew - 1) / CL_TLOG_TILE_WIDTH; n++) {
			cl_buf_reset(&b);
			if ((rc = cl_tlog_tile(level, n, size, ld_hashes_read,
				 &d->h, &b, &width)) != CL_OK)
				goto err;
			cl_tlog_tile_path(level, n, width, rel);
			if ((rc = ld_write(d, rel, b.data, b.len)) != CL_OK)
				goto err;
		}
	}
	for (n = old / CL_TLOG_TILE_WIDTH; n <= (size - 1) / CL_TLOG_TILE_WIDTH;
	     n++)
		if ((rc = bundle(d, n, size)) != CL_OK)
			goto err;
err:
	cl_buf_free(&b);
	return rc;
}

/*
 * hashes.c: the tree's stored hashes (tlog.StoredHashIndex order), kept in
 * memory for the sequencer and appended to .state/hashes after each
 * append to the store, so that the anchor thread reads them with pread()
 * and a restart need not hash every entry again.  The file is derived
 * data: the sequencer checks it against the store's state on start and
 * brings it up to date from the store's entries.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "callin/alloc.h"
#include "callin/log.h"
#include "logd_int.h"

/*
 * Open (creating) the file path and read its whole hashes into h (a
 * partial hash at its end is dropped).  CL_EIO when it cannot be read.
 */
cl_err
ld_hashes_open(const char *path, struct ld_hashes *h)
{
	struct stat sb;
	ssize_t r;
	size_t got = 0, want;

	memset(h, 0, sizeof *h);
	if ((h->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0 ||
	    fstat(h->fd, &sb) != 0)
		goto err;
	h->n = (int64_t)sb.st_size / CL_TLOG_HASH;
	h->cap = h->n > 1024 ? h->n : 1024;
	h->v = cl_malloc((size_t)h->cap * CL_TLOG_HASH);
	want = (size_t)h->n * CL_TLOG_HASH;
	while (got < want) {
		r = pread(h->fd, h->v + got, want - got, (off_t)got);
		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			goto err;
		}
		got += (size_t)r;
	}
	h->synced = h->n;
	return CL_OK;
err:
	cl_log(CL_LOG_ERROR, "logd: cannot read %s: %s", path, strerror(errno));
	return CL_EIO;
}

/* Close the file and free the memory.  Cannot fail. */
void
ld_hashes_close(struct ld_hashes *h)
{
	if (h->fd > 0)
		close(h->fd);
	free(h->v);
	memset(h, 0, sizeof *h);
}

/* cl_tlog_reader over the memory (arg: struct ld_hashes). */
cl_err
ld_hashes_read(void *arg, int64_t index, unsigned char out[CL_TLOG_HASH])
{
	struct ld_hashes *h = arg;

	if (index < 0 || index >= h->n)
		return CL_EIO;
	memcpy(out, h->v + index * CL_TLOG_HASH, CL_TLOG_HASH);
	return CL_OK;
}

/*
 * cl_tlog_reader over the file (arg: a pointer to its descriptor), for
 * the anchor thread: hashes in the file never change.
 */
cl_err
ld_hashes_pread(void *arg, int64_t index, unsigned char out[CL_TLOG_HASH])
{
	const int *fd = arg;

	if (index < 0 ||
	    pread(*fd, out, CL_TLOG_HASH, (off_t)index * CL_TLOG_HASH) !=
		CL_TLOG_HASH)
		return CL_EIO;
	return CL_OK;
}

/*
 * Add record n (the tree has n records) with the len bytes of entry: its
 * leaf hash and the subtrees it completes, in memory.  Fails as
 * cl_tlog_stored_hashes().
 */
cl_err
ld_hashes_add(struct ld_hashes *h, int64_t n, const char *entry, size_t len)
{
	unsigned char leaf[CL_TLOG_HASH], out[64][CL_TLOG_HASH];
	size_t k, i;
	cl_err rc;

	CL_ASSERT(h->n == cl_tlog_stored_count(n));
	cl_tlog_leaf_hash(entry, len, leaf);
	if ((rc = cl_tlog_stored_hashes(n, leaf, ld_hashes_read, h, out, &k)) !=
	    CL_OK)
		return rc;
	if (h->n + (int64_t)k > h->cap) {
		h->cap = (h->n + (int64_t)k) * 2;
		h->v = cl_realloc(h->v, (size_t)h->cap * CL_TLOG_HASH);
	}
	for (i = 0; i < k; i++)
		memcpy(h->v + (h->n + (int64_t)i) * CL_TLOG_HASH, out[i],
		    CL_TLOG_HASH);
	h->n += (int64_t)k;
	return CL_OK;
}

/*
 * Write the hashes added since the last sync to the file (cutting it to
 * that length first) and fdatasync it.  CL_EIO.
 */
cl_err
ld_hashes_sync(struct ld_hashes *h)
{
	size_t off, want;
	ssize_t w;

	if (ftruncate(h->fd, (off_t)h->synced * CL_TLOG_HASH) != 0)
		goto err;
	off = (size_t)h->synced * CL_TLOG_HASH;
	want = (size_t)h->n * CL_TLOG_HASH;
	while (off < want) {
		w = pwrite(h->fd, h->v + off, want - off, (off_t)off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			goto err;
		}
		off += (size_t)w;
	}
	if (fdatasync(h->fd) != 0)
		goto err;
	h->synced = h->n;
	return CL_OK;
err:
	cl_log(CL_LOG_ERROR, "logd: cannot write the stored hashes: %s",
	    strerror(errno));
	return CL_EIO;
}

/* The records whose stored hashes are all in h.  Cannot fail. */
int64_t
ld_hashes_records(const struct ld_hashes *h)
{
	int64_t lo = 0, hi = h->n, mid;

	/* The largest r with cl_tlog_stored_count(r) <= h->n. */
	while (lo < hi) {
		mid = lo + (hi - lo + 1) / 2;
		if (cl_tlog_stored_count(mid) <= h->n)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

/*
 * Drop the hashes of records from records on, in memory (and, at the next
 * sync, in the file).  Cannot fail.
 */
void
ld_hashes_truncate(struct ld_hashes *h, int64_t records)
{
	int64_t n = cl_tlog_stored_count(records);

	if (n < h->n)
		h->n = n;
	if (h->synced > h->n)
		h->synced = h->n;
}

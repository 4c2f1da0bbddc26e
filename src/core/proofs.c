/* proofs.c: the paths and the reading of a receipt's proof files. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "callin/log.h"
#include "callin/proofs.h"

void
cl_proof_name(const char *receipt, size_t n, char hex[CL_SHA256_HEX])
{
	unsigned char md[CL_SHA256_LEN];

	cl_sha256(receipt, n, md);
	cl_hex(md, sizeof md, hex);
}

cl_err
cl_proof_rel(const char *hex, const char *ext, char *out, size_t outlen)
{
	int w = snprintf(out, outlen, "proofs/%s.%s", hex, ext);

	return w < 0 || (size_t)w >= outlen ? CL_ETOOBIG : CL_OK;
}

cl_err
cl_proof_path(const char *log_dir, const char *receipt, size_t n,
    const char *ext, char *out, size_t outlen)
{
	char hex[CL_SHA256_HEX], rel[CL_SHA256_HEX + 64];
	int w;

	cl_proof_name(receipt, n, hex);
	if (cl_proof_rel(hex, ext, rel, sizeof rel) != CL_OK)
		return CL_ETOOBIG;
	w = snprintf(out, outlen, "%s/%s", log_dir, rel);
	if (w < 0 || (size_t)w >= outlen)
		return CL_ETOOBIG;
	return CL_OK;
}

cl_err
cl_proof_read(const char *log_dir, const char *receipt, size_t n,
    const char *ext, cl_buf *out)
{
	char path[4096], chunk[8192];
	size_t start = out->len;
	struct stat st;
	ssize_t got;
	int fd = -1;
	cl_err rc;

	if ((rc = cl_proof_path(log_dir, receipt, n, ext, path, sizeof path)) !=
	    CL_OK)
		return rc;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		if (errno == ENOENT)
			return CL_ENOTFOUND;
		rc = CL_EIO;
		goto err;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = CL_EIO;
		goto err;
	}
	if (st.st_size > CL_PROOF_MAX) {
		rc = CL_ETOOBIG;
		goto err;
	}
	while ((got = read(fd, chunk, sizeof chunk)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = CL_EIO;
			goto err;
		}
		if (out->len - start + (size_t)got > CL_PROOF_MAX) {
			rc = CL_ETOOBIG;
			goto err;
		}
		cl_buf_add(out, chunk, (size_t)got);
	}
	close(fd);
	return CL_OK;
err:
	if (rc == CL_EIO)
		cl_log(CL_LOG_ERROR, "proofs: cannot read %s: %s", path,
		    strerror(errno));
	if (fd >= 0)
		close(fd);
	out->len = start;
	if (out->data != NULL)
		out->data[start] = '\0';
	return rc;
}

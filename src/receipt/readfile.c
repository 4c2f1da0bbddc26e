/* readfile.c: read a small key file whole, with its mode. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "callin/alloc.h"
#include "receipt_int.h"

/*
 * Read the regular file path (at most CL_KEYFILE_MAX bytes) into a new
 * NUL-terminated buffer *out (the caller frees it) of *len bytes and give
 * its st_mode in *mode.  Fails with CL_EIO, *out NULL and one line naming
 * path in errbuf when it cannot be opened or read, is not a regular file or
 * is too large.
 */
cl_err
cl_rcpt_read_file(const char *path, char **out, size_t *len, unsigned *mode,
    char *errbuf, size_t errlen)
{
	struct stat st;
	char *data = NULL;
	size_t got = 0;
	int fd = -1;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		snprintf(errbuf, errlen, "%s: cannot open: %s", path,
		    strerror(errno));
		goto err;
	}
	if (fstat(fd, &st) != 0) {
		snprintf(errbuf, errlen, "%s: cannot stat: %s", path,
		    strerror(errno));
		goto err;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(errbuf, errlen, "%s: not a regular file", path);
		goto err;
	}
	if (st.st_size > CL_KEYFILE_MAX) {
		snprintf(errbuf, errlen, "%s: larger than %d bytes, not a key",
		    path, CL_KEYFILE_MAX);
		goto err;
	}
	data = cl_malloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, data + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(errbuf, errlen, "%s: cannot read: %s", path,
			    strerror(errno));
			goto err;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	data[got] = '\0';
	close(fd);
	*out = data;
	*len = got;
	*mode = (unsigned)st.st_mode;
	return CL_OK;
err:
	if (fd >= 0)
		close(fd);
	if (data != NULL) {
		OPENSSL_cleanse(data, got);	/* it may be a private key */
		free(data);
	}
	return CL_EIO;
}

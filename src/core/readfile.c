/* readfile.c: read a small configuration file whole (see readfile.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "callin/readfile.h"

cl_err
cl_read_file(const char *path, int flags, unsigned char *buf, size_t cap,
    size_t *len, unsigned *mode, char *err, size_t errlen)
{
	struct stat st;
	size_t got = 0;
	ssize_t n;
	int fd = -1;

	*len = 0;
	if (path == NULL || path[0] == '\0') {
		snprintf(err, errlen, "not set");
		goto err;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) ==
	    -1) {
		snprintf(err, errlen, "%s: cannot open: %s", path,
		    strerror(errno));
		goto err;
	}
	if (fstat(fd, &st) == -1) {
		snprintf(err, errlen, "%s: cannot stat: %s", path,
		    strerror(errno));
		goto err;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		goto err;
	}
	if ((flags & CL_READ_PRIVATE) && (st.st_mode & 077)) {
		snprintf(err, errlen,
		    "%s: group or others may access it "
		    "(mode %04o); chmod 600 it",
		    path, (unsigned)(st.st_mode & 07777));
		goto err;
	}
	for (;;) {
		unsigned char extra;

		/* Read a byte past the room to tell a file that is too big. */
		if (got == cap)
			n = read(fd, &extra, 1);
		else
			n = read(fd, buf + got, cap - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(err, errlen, "%s: cannot read: %s", path,
			    strerror(errno));
			goto err;
		}
		if (n == 0)
			break;
		if (got == cap) {
			snprintf(err, errlen,
			    "%s: more than %zu bytes; is it "
			    "the right file?",
			    path, cap);
			goto err;
		}
		got += (size_t)n;
	}
	close(fd);
	*len = got;
	if (mode != NULL)
		*mode = (unsigned)st.st_mode;
	return CL_OK;
err:
	if (fd != -1)
		close(fd);
	if (buf != NULL && cap > 0)
		OPENSSL_cleanse(buf, cap);
	return CL_ECONFIG;
}

int
cl_pem_no_passphrase(char *buf, int size, int rwflag, void *arg)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)arg;
	return -1;
}

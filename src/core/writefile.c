/*
 * writefile.c: atomic file replacement and mkdir -p (see writefile.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "callin/log.h"
#include "callin/writefile.h"

/* fsync the directory holding path.  CL_EIO when it cannot. */
static cl_err
sync_dir(const char *path)
{
	char dir[PATH_MAX];
	char *slash;
	int fd, ok;

	if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir)
		return CL_EIO;
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, sizeof dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return CL_EIO;
	ok = fsync(fd) == 0;
	close(fd);
	return ok ? CL_OK : CL_EIO;
}

cl_err
cl_write_file_atomic(const char *path, const void *p, size_t n, mode_t mode)
{
	char tmp[PATH_MAX];
	const char *c = p;
	ssize_t w;
	int fd = -1;

	if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >=
	    (int)sizeof tmp)
		goto err;
	/* mode itself, whatever the umask: fchmod after open */
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0 || fchmod(fd, mode) != 0)
		goto err;
	while (n > 0) {
		if ((w = write(fd, c, n)) < 0) {
			if (errno == EINTR)
				continue;
			goto err;
		}
		c += w;
		n -= (size_t)w;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		fd = -1;
		goto err;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto err;
	if (sync_dir(path) != CL_OK)
		goto err;
	return CL_OK;
err:
	cl_log(CL_LOG_ERROR, "cannot write %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return CL_EIO;
}

/*
 * Make the directory path with exactly mode (the umask does not apply);
 * one that exists is left as it is.  CL_EIO (errno set) when it cannot.
 */
static cl_err
make_dir(const char *path, mode_t mode)
{
	if (mkdir(path, mode) != 0)
		return errno == EEXIST ? CL_OK : CL_EIO;
	return chmod(path, mode) == 0 ? CL_OK : CL_EIO;
}

cl_err
cl_mkdirs(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	char *s;

	if (make_dir(path, mode) == CL_OK) /* it is there, or only it was not */
		return CL_OK;
	if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
		goto err;
	for (s = buf + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (make_dir(buf, mode) != CL_OK)
			goto err;
		*s = '/';
	}
	if (make_dir(buf, mode) != CL_OK)
		goto err;
	return CL_OK;
err:
	cl_log(CL_LOG_ERROR, "cannot make the directory %s: %s", path,
	    strerror(errno));
	return CL_EIO;
}

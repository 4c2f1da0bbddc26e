/*
 * writefile.h: replacing a file so that a crash leaves either the old or
 * the new one, whole, and the new one durable once the call returns.
 */
#ifndef CALLIN_WRITEFILE_H
#define CALLIN_WRITEFILE_H

#include <stddef.h>
#include <sys/types.h>

#include "callin/err.h"

/*
 * Write the n bytes at p to path with mode (exactly: the process's umask
 * does not apply): a temporary file beside it (path.tmp.<pid>), fsync,
 * rename over path, fsync of the directory.  The directory must exist.
 * CL_EIO (logged with the path) when any step fails; the temporary file
 * is removed then.
 */
cl_err cl_write_file_atomic(const char *path, const void *p, size_t n,
    mode_t mode);

/*
 * Create the directory path and its missing parents with mode (like
 * mkdir -p; exactly mode, whatever the umask; existing ones keep theirs).
 * CL_EIO (logged) when one cannot be made.
 */
cl_err cl_mkdirs(const char *path, mode_t mode);

#endif /* CALLIN_WRITEFILE_H */

/*
 * disk.h: free space under data_dir, checked before a submission is taken
 * (min_free_bytes) and by /healthz.  One statvfs call: cheap enough for
 * every request.
 */
#ifndef CALLIN_DISK_H
#define CALLIN_DISK_H

#include <stdint.h>

#include "callin/config.h"
#include "callin/err.h"

/*
 * Set *avail to the bytes that unprivileged writers may still use on the
 * file system holding dir (statvfs f_bavail * f_frsize).  CL_EIO when
 * statvfs fails (dir missing, unreadable).
 */
cl_err cl_disk_avail(const char *dir, int64_t *avail);

/*
 * Return 1 when free space under cfg->data_dir is below cfg->min_free_bytes
 * (never when that is 0), or cannot be found (then *avail is -1), else 0.
 * *avail receives the free bytes when they were looked up, -1 otherwise.
 * Cannot fail.
 */
int cl_disk_low(const cl_config *cfg, int64_t *avail);

#endif /* CALLIN_DISK_H */

/* disk.c: free space on the file system under a folder (statvfs). */
#include <sys/statvfs.h>

#include "callin/disk.h"

cl_err
cl_disk_avail(const char *dir, int64_t *avail)
{
	struct statvfs st;

	if (statvfs(dir, &st) != 0)
		return CL_EIO;
	*avail = (int64_t)st.f_bavail * (int64_t)st.f_frsize;
	return CL_OK;
}

int
cl_disk_low(const cl_config *cfg, int64_t *avail)
{
	*avail = -1;
	if (cfg->min_free_bytes == 0)
		return 0;
	if (cl_disk_avail(cfg->data_dir, avail) != CL_OK) {
		*avail = -1;
		return 1;
	}
	return *avail < cfg->min_free_bytes;
}

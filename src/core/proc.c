/* proc.c: private files and no core dumps, for every program (proc.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "callin/proc.h"

/* Core file size limit 0, soft and hard (it cannot be raised again). */
static cl_err
no_core(char *err, size_t errlen)
{
	struct rlimit none = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &none) != 0) {
		snprintf(err, errlen,
		    "cannot turn core dumps off: setrlimit: %s",
		    strerror(errno));
		return CL_EIO;
	}
	return CL_OK;
}

cl_err
cl_proc_no_dumps(char *err, size_t errlen)
{
	cl_err rc;

	if ((rc = no_core(err, errlen)) != CL_OK)
		return rc;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
		snprintf(err, errlen, "cannot turn core dumps off: prctl: %s",
		    strerror(errno));
		return CL_EIO;
	}
	return CL_OK;
}

cl_err
cl_proc_start(int secrets, char *err, size_t errlen)
{
	umask(077);
	return secrets ? cl_proc_no_dumps(err, errlen) : no_core(err, errlen);
}

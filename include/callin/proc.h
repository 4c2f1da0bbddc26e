/*
 * proc.h: what every program does first to its own process: files it
 * creates are private (umask 077) and it never leaves a core dump.
 */
#ifndef CALLIN_PROC_H
#define CALLIN_PROC_H

#include <stddef.h>

#include "callin/err.h"

/*
 * Call first in main().  Sets the umask to 077 (every file or folder made
 * without an explicit mode is 0600/0700, and explicit modes lose their
 * group and other bits), sets the core file size limit, soft and hard, to
 * 0, and when secrets is non-zero also makes the process non-dumpable
 * (cl_proc_no_dumps).  CL_EIO with one line in err (errlen bytes) when the
 * kernel refuses either.
 */
cl_err cl_proc_start(int secrets, char *err, size_t errlen);

/*
 * For a process that holds a secret (a key, the form secret, a password):
 * core file size limit 0 and PR_SET_DUMPABLE 0, which also stops other
 * processes of the same user from ptrace(2)-attaching to it or reading its
 * /proc/PID/mem, environ or fd/.  Both are inherited by fork(2).  CL_EIO
 * with one line in err when the kernel refuses.
 */
cl_err cl_proc_no_dumps(char *err, size_t errlen);

#endif /* CALLIN_PROC_H */

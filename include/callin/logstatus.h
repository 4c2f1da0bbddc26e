/*
 * logstatus.h: callin-logd's status file (log_dir/.state/status), which
 * the workers' /metrics and /healthz read.  One "name value" line per
 * figure, value a decimal integer; a name is [a-z_]+, optionally followed
 * by one label {tsa="<name>"} or {witness="<n>"} (the failure counters).
 * /metrics shows each line with "callin_log_" before it.
 */
#ifndef CALLIN_LOGSTATUS_H
#define CALLIN_LOGSTATUS_H

#include <stddef.h>
#include <stdint.h>

#include "callin/buf.h"
#include "callin/err.h"

typedef struct cl_logstatus {
	int64_t unanchored_ms; /* since when an entry waits for an anchor
				  covering it, 0 when none does (/healthz) */
	cl_buf lines;	       /* every line as read, for /metrics */
} cl_logstatus;

/*
 * Read the status file at path into *s (free with cl_logstatus_free):
 * unanchored_ms, and every well-formed line into s->lines.
 * CL_ENOTFOUND when there is no such file, CL_EIO when it cannot be read;
 * *s is zero then.
 */
cl_err cl_logstatus_read(const char *path, cl_logstatus *s);

/* Free what *s holds.  Cannot fail. */
void cl_logstatus_free(cl_logstatus *s);

#endif /* CALLIN_LOGSTATUS_H */

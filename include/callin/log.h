/*
 * log.h: JSON-lines logging on stderr.  Each line carries a timestamp, level,
 * process id, the current request id (when one is set) and the message.
 */
#ifndef CALLIN_LOG_H
#define CALLIN_LOG_H

typedef enum cl_log_level {
	CL_LOG_DEBUG, /* not written: the lowest level written is info */
	CL_LOG_INFO,
	CL_LOG_WARN,
	CL_LOG_ERROR,
} cl_log_level;

/* Set (or clear, with NULL) the request id added to each line.  Cannot fail. */
void cl_log_set_request_id(const char *id);
/* Write one JSON line; the message is escaped.  Cannot fail (a failed write is ignored). */
void cl_log(cl_log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#include <stddef.h>

/*
 * Write into out (n bytes, n > 0) the URI uri with the password of its
 * user information, if any, replaced by "…" ("mongodb://u:…@host/db"),
 * for a log line or an error message; truncated to fit.  Cannot fail.
 */
void cl_log_redact_uri(const char *uri, char *out, size_t n);

/*
 * Write into out (n bytes, n > 0) the request path with its secrets
 * replaced by "…": the token of "/receipt/<token>[/<file>]" and the code
 * of "/confirm/<reference>/<code>"; other paths as they are; truncated to
 * fit.  Cannot fail.
 */
void cl_log_redact_path(const char *path, char *out, size_t n);

#endif /* CALLIN_LOG_H */

/*
 * log.h: JSON-lines logging on stderr.  Each line carries a timestamp, level,
 * process id, the current request id (when one is set) and the message.
 */
#ifndef CALLIN_LOG_H
#define CALLIN_LOG_H

typedef enum cl_log_level {
	CL_LOG_DEBUG,
	CL_LOG_INFO,
	CL_LOG_WARN,
	CL_LOG_ERROR,
} cl_log_level;

/* Set the lowest level written (default CL_LOG_INFO).  Cannot fail. */
void cl_log_set_level(cl_log_level lvl);
/* Set (or clear, with NULL) the request id added to each line.  Cannot fail. */
void cl_log_set_request_id(const char *id);
/* Write one JSON line; the message is escaped.  Cannot fail (a failed write is ignored). */
void cl_log(cl_log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif /* CALLIN_LOG_H */

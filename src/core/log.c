/* log.c: JSON-lines logging on stderr. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "callin/buf.h"
#include "callin/err.h"
#include "callin/log.h"
#include "callin/rand.h"

static char request_id[64];

static const char *const level_names[] = { "debug", "info", "warn", "error" };

void
cl_log_set_request_id(const char *id)
{
	if (id == NULL)
		request_id[0] = '\0';
	else
		snprintf(request_id, sizeof request_id, "%s", id);
}

void
cl_log(cl_log_level lvl, const char *fmt, ...)
{
	char msg[2048], ts[32];
	struct timespec now;
	struct tm tm;
	cl_buf b = CL_BUF_INIT;
	va_list ap;

	CL_ASSERT((unsigned)lvl <= CL_LOG_ERROR);
	if (lvl == CL_LOG_DEBUG)
		return; /* the lowest level written is info */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
	cl_buf_printf(&b, "{\"ts\":\"%s.%03ldZ\",\"level\":\"%s\",\"pid\":%ld",
	    ts, now.tv_nsec / 1000000, level_names[lvl], (long)getpid());
	if (request_id[0] != '\0') {
		cl_buf_puts(&b, ",\"request_id\":\"");
		cl_buf_json(&b, request_id, strlen(request_id));
		cl_buf_putc(&b, '"');
	}
	cl_buf_puts(&b, ",\"msg\":\"");
	cl_buf_json(&b, msg, strlen(msg));
	cl_buf_puts(&b, "\"}\n");
	if (write(STDERR_FILENO, b.data, b.len) < 0) {
		/* nothing sensible to do when stderr is gone */
	}
	cl_buf_free(&b);
}

void
cl_log_redact_uri(const char *uri, char *out, size_t n)
{
	const char *auth, *end, *at = NULL, *colon, *p;

	CL_ASSERT(n > 0);
	auth = strstr(uri, "://");
	if (auth == NULL) {
		snprintf(out, n, "%s", uri);
		return;
	}
	auth += 3;
	end = auth + strcspn(auth, "/?#");
	for (p = auth; p < end; p++) /* the last '@' ends the user info */
		if (*p == '@')
			at = p;
	colon = at != NULL ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
	if (colon == NULL)
		snprintf(out, n, "%s", uri);
	else
		snprintf(out, n, "%.*s:\u2026%s", (int)(colon - uri), uri, at);
}

void
cl_log_redact_path(const char *path, char *out, size_t n)
{
	const char *rest;
	size_t ref;

	CL_ASSERT(n > 0);
	if (strncmp(path, "/receipt/", 9) == 0) {
		/* The file after the token is safe to name; nothing else is. */
		rest = strchr(path + 9, '/');
		if (rest != NULL && strcmp(rest, "/receipt.txt") != 0 &&
		    strcmp(rest, "/copy.json") != 0)
			rest = "/\u2026";
		snprintf(out, n, "/receipt/\u2026%s", rest != NULL ? rest : "");
	} else if (strncmp(path, "/confirm/", 9) == 0) {
		ref = cl_b64url_span(path + 9);
		snprintf(out, n, "/confirm/%.*s%s\u2026", (int)ref, path + 9,
		    ref > 0 && path[9 + ref] == '/' ? "/" : "");
	} else
		snprintf(out, n, "%s", path);
}

/*
 * logstatus.c: reading callin-logd's status file (see logstatus.h); logd
 * writes it with cl_write_file_atomic().
 */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "callin/logstatus.h"
#include "callin/readfile.h"

#define STATUS_MAX 16384

/* Whether the n bytes at p are a name with an optional label. */
static int
good_name(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && (islower((unsigned char)p[i]) || p[i] == '_'))
		i++;
	if (i == 0)
		return 0;
	if (i == n)
		return 1;
	if (p[i] != '{' || p[n - 1] != '}')
		return 0;
	for (i++; i < n - 1; i++)
		if (!isalnum((unsigned char)p[i]) &&
		    strchr("_-=\"", p[i]) == NULL)
			return 0;
	return 1;
}

cl_err
cl_logstatus_read(const char *path, cl_logstatus *s)
{
	static const char unanchored[] = "unanchored_ms";
	unsigned char *buf;
	const char *line, *end, *sp, *nl;
	char *e, err[256];
	size_t n;
	long long v;
	cl_err rc;

	memset(s, 0, sizeof *s);
	buf = malloc(STATUS_MAX);
	if (buf == NULL)
		return CL_ENOMEM;
	if (access(path, F_OK) != 0 && errno == ENOENT) {
		free(buf);
		return CL_ENOTFOUND;
	}
	if ((rc = cl_read_file(path, 0, buf, STATUS_MAX - 1, &n, NULL, err,
		 sizeof err)) != CL_OK) {
		free(buf);
		return CL_EIO;
	}
	buf[n] = '\0';
	end = (const char *)buf + n;
	for (line = (const char *)buf; line < end; line = nl + 1) {
		if ((nl = memchr(line, '\n', (size_t)(end - line))) == NULL)
			break;
		if ((sp = memchr(line, ' ', (size_t)(nl - line))) == NULL ||
		    !good_name(line, (size_t)(sp - line)))
			continue;
		v = strtoll(sp + 1, &e, 10);
		if (e != nl || e == sp + 1)
			continue;
		cl_buf_add(&s->lines, line, (size_t)(nl - line) + 1);
		if ((size_t)(sp - line) == sizeof unanchored - 1 &&
		    memcmp(line, unanchored, sizeof unanchored - 1) == 0)
			s->unanchored_ms = v;
	}
	free(buf);
	return CL_OK;
}

void
cl_logstatus_free(cl_logstatus *s)
{
	cl_buf_free(&s->lines);
	memset(s, 0, sizeof *s);
}

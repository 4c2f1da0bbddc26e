/* err.c: descriptions of the project's error codes, and failed asserts. */
#include <stdio.h>
#include <stdlib.h>

#include "callin/err.h"

static const char *const descriptions[CL_ERR__MAX] = {
	"success",		      /* CL_OK */
	"out of memory",	      /* CL_ENOMEM */
	"invalid argument",	      /* CL_EINVAL */
	"malformed input",	      /* CL_EPARSE */
	"limit exceeded",	      /* CL_ETOOBIG */
	"content type not accepted",  /* CL_ETYPE */
	"input/output error",	      /* CL_EIO */
	"service unavailable",	      /* CL_EUNAVAIL */
	"duplicate key",	      /* CL_EDUP */
	"not found",		      /* CL_ENOTFOUND */
	"cryptographic failure",      /* CL_ECRYPTO */
	"configuration error",	      /* CL_ECONFIG */
	"verification failed",	      /* CL_EVERIFY */
	"peer closed the connection", /* CL_ECLOSED */
	"quota used up",	      /* CL_ELIMIT */
};

const char *
cl_strerror(cl_err rc)
{
	if ((unsigned)rc >= CL_ERR__MAX)
		return "unknown error";
	return descriptions[rc];
}

void
cl_assert_fail(const char *expr, const char *file, int line)
{
	/* Not cl_log: the expression is source text, written as it is. */
	fprintf(stderr,
	    "{\"level\":\"fatal\",\"msg\":\"assertion failed: "
	    "%s:%d\",\"expr\":\"",
	    file, line);
	for (; *expr != '\0'; expr++)
		fprintf(stderr, *expr == '"' || *expr == '\\' ? "\\%c" : "%c",
		    *expr);
	fprintf(stderr, "\"}\n");
	abort();
}

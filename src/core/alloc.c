/* alloc.c: allocation wrappers that abort on exhaustion. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callin/alloc.h"

static void
oom(size_t n)
{
	fprintf(stderr,
	    "{\"level\":\"fatal\",\"msg\":\"out of memory allocating %zu bytes\"}\n",
	    n);
	abort();
}

void *
cl_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		oom(n);
	return p;
}

void *
cl_calloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);

	if (p == NULL)
		oom(n * sz);
	return p;
}

void *
cl_realloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		oom(n);
	return q;
}

char *
cl_strndup(const char *s, size_t n)
{
	char *d = cl_malloc(n + 1);

	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

char *
cl_strdup(const char *s)
{
	return s == NULL ? NULL : cl_strndup(s, strlen(s));
}

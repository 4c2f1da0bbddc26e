/*
 * alloc.h: checked allocation.  Like Redis' zmalloc, these never return NULL:
 * on exhaustion they log "out of memory" and abort(), so callers need no
 * allocation-failure paths.
 */
#ifndef CALLIN_ALLOC_H
#define CALLIN_ALLOC_H

#include <stddef.h>

/* Allocate n bytes (n may be 0).  Cannot fail: aborts on exhaustion. */
void *cl_malloc(size_t n);
/* Allocate n zeroed elements of size sz.  Cannot fail: aborts on exhaustion or overflow. */
void *cl_calloc(size_t n, size_t sz);
/* Resize p to n bytes.  Cannot fail: aborts on exhaustion. */
void *cl_realloc(void *p, size_t n);
/* Duplicate the string s (NULL gives NULL).  Cannot fail: aborts on exhaustion. */
char *cl_strdup(const char *s);
/* Duplicate n bytes of s and add a NUL.  Cannot fail: aborts on exhaustion. */
char *cl_strndup(const char *s, size_t n);

#endif /* CALLIN_ALLOC_H */

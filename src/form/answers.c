/* answers.c: the ordered multimap of text answers received from the form. */
#include <stdlib.h>
#include <string.h>

#include "callin/alloc.h"
#include "callin/form.h"

void
cl_answers_add(cl_answers *a, const char *name, const char *value, size_t len)
{
	cl_answer *e;

	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 16;
		a->v = cl_realloc(a->v, a->cap * sizeof(a->v[0]));
	}
	e = &a->v[a->n++];
	e->name = cl_strdup(name);
	if (value == NULL) {
		value = "";
		len = 0;
	}
	e->value = cl_strndup(value, len);
	e->len = len;
}

const cl_answer *
cl_answers_find(const cl_answers *a, const char *name)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i].name, name) == 0)
			return &a->v[i];
	return NULL;
}

const char *
cl_answers_get(const cl_answers *a, const char *name)
{
	const cl_answer *e = cl_answers_find(a, name);

	return e != NULL ? e->value : NULL;
}

size_t
cl_answers_count(const cl_answers *a, const char *name)
{
	size_t i, n = 0;

	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i].name, name) == 0)
			n++;
	return n;
}

int
cl_answers_has(const cl_answers *a, const char *name, const char *value)
{
	size_t i, len = strlen(value);

	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i].name, name) == 0 && a->v[i].len == len &&
		    memcmp(a->v[i].value, value, len) == 0)
			return 1;
	return 0;
}

void
cl_answers_free(cl_answers *a)
{
	size_t i;

	for (i = 0; i < a->n; i++) {
		free(a->v[i].name);
		free(a->v[i].value);
	}
	free(a->v);
	a->v = NULL;
	a->n = a->cap = 0;
}

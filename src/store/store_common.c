/*
 * store_common.c: what the store's front and both backends share (see
 * store_common.h): the normalised address and the notifications' memory.
 */
#include <stdlib.h>
#include <string.h>

#include "callin/alloc.h"
#include "callin/log.h"
#include "callin/reqdoc.h"
#include "store_common.h"

/* See store_common.h. */
char *
st_email_norm(const char *s, size_t n)
{
	const char *at = NULL, *plus;
	char *out;
	size_t i, o = 0;

	if (n == 0 || memchr(s, '\0', n) != NULL)
		return NULL;
	for (i = n; i-- > 0;)
		if (s[i] == '@') {
			at = s + i;
			break;
		}
	/* "local+tag@domain": the tag goes; a leading '+' is not a tag. */
	plus = at != NULL && at > s ? memchr(s + 1, '+', (size_t)(at - s) - 1) :
				      NULL;
	out = cl_malloc(n + 1);
	for (i = 0; i < n; i++) {
		if (plus != NULL && s + i >= plus && s + i < at)
			continue;
		out[o++] = s[i] >= 'A' && s[i] <= 'Z' ?
		    (char)(s[i] - 'A' + 'a') :
		    s[i];
	}
	out[o] = '\0';
	return out;
}

/* See store_common.h. */
char *
st_doc_email(const bson_t *doc)
{
	const char *s;
	size_t n;

	if ((s = cl_reqdoc_str(doc, CL_DOC_EMAIL, NULL, &n)) == NULL)
		return NULL;
	return st_email_norm(s, n);
}

/* See store_common.h. */
void
st_note_add_to(cl_notification *n, const char *s)
{
	/* Grow in powers of two from 4: nto is the count so far. */
	if (n->nto == 0 || (n->nto >= 4 && (n->nto & (n->nto - 1)) == 0))
		n->to = cl_realloc(n->to,
		    (n->nto < 4 ? 4 : n->nto * 2) * sizeof *n->to);
	n->to[n->nto++] = cl_strdup(s);
}

/* See store_common.h. */
void
st_note_clear(cl_notification *n)
{
	size_t i;

	free(n->kind);
	for (i = 0; i < n->nto; i++)
		free(n->to[i]);
	free(n->to);
	if (n->request != NULL)
		bson_destroy(n->request);
	memset(n, 0, sizeof *n);
}

/* See store_common.h. */
void
st_notes_free(cl_notification *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		st_note_clear(&v[i]);
	free(v);
}

int
st_log_state_is(const cl_store_logstate *cur, const cl_store_logstate *old)
{
	if (cur->size == old->size &&
	    memcmp(cur->root, old->root, CL_STORE_LOG_HASH) == 0)
		return 1;
	cl_log(CL_LOG_WARN,
	    "store: the log state (size %lld) is not the one the append "
	    "began from (size %lld): another sequencer?",
	    (long long)cur->size, (long long)old->size);
	return 0;
}

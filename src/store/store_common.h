/*
 * store_common.h: helpers the store's front (store.c) and both backends
 * share, in store_common.c, which sits below all of them and calls none
 * (private to src/store/).
 */
#ifndef CALLIN_STORE_COMMON_H
#define CALLIN_STORE_COMMON_H

#include <stddef.h>

#include "callin/store.h"

/*
 * The normalised form of the n bytes of the address s, in which the store
 * keeps and compares fields.email: ASCII letters in lower case, every other
 * byte as it is (the form accepts ASCII addresses only), and a "+tag" at
 * the end of the part before the last '@' removed ("Alex+x@Example.org"
 * is "alex@example.org"), so that one mailbox counts as one address.  Returns a string
 * to free(), or NULL when s is empty or holds a NUL byte (no address).
 */
char *st_email_norm(const char *s, size_t n);

/*
 * The normalised fields.email of the request document doc (a string to
 * free()), or NULL when it has none: no fields document, no email key, not
 * a string, or an address st_email_norm() refuses.  Cannot fail.
 */
char *st_doc_email(const bson_t *doc);

/* Append a copy of the address s to n's recipients.  Cannot fail. */
void st_note_add_to(cl_notification *n, const char *s);

/* Free what n holds, not n itself, and zero it.  Cannot fail. */
void st_note_clear(cl_notification *n);

/* Free the n notifications of v and v itself.  NULL is fine.  Cannot fail. */
void st_notes_free(cl_notification *v, size_t n);

/*
 * Whether the log state cur is old (same size and root), for an append's
 * compare-and-swap; when not, logs that another sequencer may be at work.
 * Cannot fail.
 */
int st_log_state_is(const cl_store_logstate *cur, const cl_store_logstate *old);

#endif /* CALLIN_STORE_COMMON_H */

/*
 * mail_int.h: what the mail module's files share and nobody else uses.
 */
#ifndef CALLIN_MAIL_INT_H
#define CALLIN_MAIL_INT_H

#include <stddef.h>
#include <stdint.h>

#include <bson/bson.h>

/*
 * Return the string under key (a dotted path such as "fields.email") of
 * doc, its length in *len if len is not NULL; "" (length 0) when it is
 * missing or not a string.  Cannot fail.
 */
const char	*mail_doc_str(const bson_t *doc, const char *key, size_t *len);

/* Return the integer under key of doc, or def when missing.  Cannot fail. */
int64_t		 mail_doc_int(const bson_t *doc, const char *key, int64_t def);

/*
 * Whether a notification of kind is one that confirming the requester's
 * address queues ("address_confirmed", "staff_confirmed"), sent only with
 * a confirmation time.  Cannot fail.
 */
int		 mail_kind_after_confirm(const char *kind);

#endif /* CALLIN_MAIL_INT_H */

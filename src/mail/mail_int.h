/*
 * mail_int.h: what the mail module's files share and nobody else uses.
 */
#ifndef CALLIN_MAIL_INT_H
#define CALLIN_MAIL_INT_H

#include <stddef.h>
#include <stdint.h>

#include <bson/bson.h>

#include "callin/reqdoc.h"

/*
 * Whether a notification of kind is one that confirming the requester's
 * address queues ("address_confirmed", "staff_confirmed"), sent only with
 * a confirmation time.  Cannot fail.
 */
int mail_kind_after_confirm(const char *kind);

/*
 * Whether a notification of kind waits (up to log_proof_wait) for its
 * receipt's log proof, to attach it: the requester's first email,
 * "confirmation".  Cannot fail.
 */
int mail_kind_waits_for_proof(const char *kind);

#endif /* CALLIN_MAIL_INT_H */

/*
 * mailer.h: delivering the outbox.  cl_smtp sends built messages (mail.h)
 * to the relay with libcurl, one easy handle, so one connection, reused for
 * a batch.  cl_mailer claims due notifications from the store with a lease,
 * builds and sends each, and records the result: sent, retry later on the
 * schedule, or failed for good.
 *
 * Delivery is at least once.  A mailer killed after the relay accepted a
 * message but before the store recorded it leaves the notification leased;
 * after the lease another claim sends it again, with the same Message-ID.
 * So each crash can add at most one copy of each message it had in flight
 * (at most one: a mailer sends one message at a time).
 */
#ifndef CALLIN_MAILER_H
#define CALLIN_MAILER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "callin/config.h"
#include "callin/mail.h"
#include "callin/store.h"

/* ------------------------------------------------------------------ */
/* SMTP (smtp.c).                                                      */

typedef struct cl_smtp cl_smtp;

/* What became of one message. */
typedef struct cl_smtp_result {
	long code;	/* the relay's last reply code, 0 if none */
	int relay_down; /* the relay could not be reached or talked
				   to: the next message would fare the same */
	char why[512];	/* reason for a failure, "" when sent */
} cl_smtp_result;

/*
 * Set up sending for cfg: smtp_url (smtp:// with STARTTLS required when
 * smtp_user is set or mail_require_tls is 1, never "try"; or smtps://),
 * AUTH as smtp_user with the password in smtp_password_file (one trailing
 * newline dropped; refused when group or others may read it), smtp_ca_file
 * as the CA bundle, the connect and total timeouts.  On success *out is the
 * sender.  CL_ECONFIG with one line naming the key in err when a setting
 * cannot be used; CL_ENOMEM when libcurl cannot start.
 */
cl_err cl_smtp_open(const cl_config *cfg, cl_smtp **out, char *err,
    size_t errlen);

/*
 * Send msg in one SMTP transaction to all its recipients (a refused
 * recipient fails the whole message).  Returns CL_OK when the relay
 * accepted it (250); CL_EUNAVAIL for a temporary failure worth a retry (a
 * 4xx reply, connection failure, timeout, TLS failure or refusal, relay
 * authentication problem); CL_EINVAL for a permanent 5xx reply about the
 * message.  res says more.
 */
cl_err cl_smtp_send(cl_smtp *s, const cl_mail_msg *msg, cl_smtp_result *res);

/*
 * Close the connection (QUIT) while idle, so the relay need not keep it;
 * the next send opens a new one.  Cannot fail.
 */
void cl_smtp_hangup(cl_smtp *s);

/* Close the connection (QUIT) and free s.  NULL is fine.  Cannot fail. */
void cl_smtp_close(cl_smtp *s);

/* ------------------------------------------------------------------ */
/* The claim, send, record loop (mailer.c).                            */

typedef struct cl_mailer cl_mailer;

/* Counts of what happened, summed over batches. */
typedef struct cl_mailer_counts {
	uint64_t claimed;
	uint64_t sent;
	uint64_t retried;  /* temporary failures, due again later */
	uint64_t failed;   /* given up */
	uint64_t released; /* handed back unsent (stopping) */
	uint64_t deferred; /* handed back to wait for a log proof */
} cl_mailer_counts;

/*
 * Make a mailer that claims from st as owner, with the settings of cfg
 * (checked here: mail_from, staff_alert_to, mail_retry_schedule, the lease
 * against the timeouts, and what cl_smtp_open checks).  On success *out is
 * the mailer.  CL_ECONFIG with one line naming the key in err.
 */
cl_err cl_mailer_new(const cl_config *cfg, cl_store *st, const char *owner,
    cl_mailer **out, char *err, size_t errlen);

/*
 * Claim one batch (up to mail_batch notifications due now) and deliver
 * it: build, send, and record each.  Between messages, stop is read: once
 * it is non-zero, the notifications not yet tried are handed back (due
 * again now) and the call returns.  *claimed (if not NULL) gets how many
 * were claimed; counts grow.  CL_EUNAVAIL when the store cannot answer.
 */
cl_err cl_mailer_batch(cl_mailer *m, const volatile sig_atomic_t *stop,
    size_t *claimed);

/* The counts so far.  Cannot fail. */
const cl_mailer_counts *cl_mailer_counts_get(const cl_mailer *m);

/* Close the SMTP connection and free m (not the store).  NULL is fine. */
void cl_mailer_free(cl_mailer *m);

#endif /* CALLIN_MAILER_H */

/*
 * mail.h: the e-mail messages of DESIGN.md §3 "Email", as data, and the
 * pieces they are made of.  Nothing here talks SMTP (mailer.h does): a
 * notification from the outbox is turned into a cl_mail_msg, whose envelope,
 * header lines and MIME parts are already checked, encoded and safe to hand
 * to libcurl as they are.
 *
 * Safety rules, decided here and applied by every function below:
 *   - an envelope address is a strict ASCII addr-spec (cl_email_valid);
 *     a message whose sender or recipients are not is refused, never sent;
 *   - header values never carry a control character: CR, LF, TAB and every
 *     other C0/C1 control from the input become spaces, non-ASCII text
 *     becomes RFC 2047 encoded-words, and lines are folded at 78 columns;
 *   - attachment file names become a safe ASCII subset (libcurl 7.88 writes
 *     them into a quoted MIME parameter without escaping CR or LF, and has
 *     no RFC 2231), content types a token/token or application/octet-stream;
 *   - bodies are UTF-8 text with CRLF line ends (sent quoted-printable), so
 *     nothing a user types can end a MIME part or the SMTP DATA phase.
 */
#ifndef CALLIN_MAIL_H
#define CALLIN_MAIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "callin/buf.h"
#include "callin/email.h"
#include "callin/err.h"
#include "callin/store.h"

#define CL_MAIL_MSGID_MAX (CL_EMAIL_ADDR_MAX + 64)
#define CL_MAIL_FILENAME_MAX 80 /* longest attachment name, with NUL */

/* ------------------------------------------------------------------ */
/* Addresses (address.c).                                              */

/* The sender, from the mail_from setting. */
typedef struct cl_mail_from {
	char addr[CL_EMAIL_ADDR_MAX]; /* addr-spec, valid */
	char *header;		      /* From: value, encoded */
	char *domain;		      /* in addr, after the '@' */
} cl_mail_from;

/*
 * Parse mail_from ("addr@example.org" or "Display Name <addr@example.org>")
 * into out, the display name encoded for a header (quoted or RFC 2047).
 * CL_EINVAL with a reason in err when the address is not valid or the text
 * around it is malformed.  Free out with cl_mail_from_free() on success.
 */
cl_err cl_mail_from_parse(const char *mail_from, cl_mail_from *out, char *err,
    size_t errlen);

/* Free what cl_mail_from_parse() allocated.  Cannot fail. */
void cl_mail_from_free(cl_mail_from *from);

/*
 * Check every address of the comma-separated list (spaces around each
 * ignored, empty items skipped): CL_EINVAL naming the first bad one in err,
 * or when there is none at all.
 */
cl_err cl_mail_addr_list_check(const char *list, char *err, size_t errlen);

/* ------------------------------------------------------------------ */
/* Encoding (encode.c).                                                */

/*
 * Append the header line "name: value" (no final CRLF) to out: controls in
 * value become spaces (runs of white space one space, none at either end),
 * runs of words that are not plain ASCII (or that look like encoded-words)
 * become RFC 2047 "B" encoded-words of at most 75 characters cut between
 * UTF-8 characters (invalid UTF-8 becomes U+FFFD), and the line is folded
 * with CRLF SP before a word that would pass column 78 (an ASCII word
 * longer than that stays whole).  name must be a plain header name.
 * Cannot fail.
 */
void cl_mail_header(cl_buf *out, const char *name, const char *value);

/*
 * Append the n bytes of text s to out with every line end (CRLF, CR or LF)
 * made CRLF, control characters other than TAB replaced by U+FFFD and
 * invalid UTF-8 replaced by U+FFFD.  Cannot fail.
 */
void cl_mail_text(cl_buf *out, const char *s, size_t n);

/*
 * Write to out (CL_MAIL_FILENAME_MAX bytes) a safe attachment file name
 * made from name: letters, digits, '.', '-', '_' and '+' kept, runs of
 * anything else (non-ASCII, spaces, quotes, slashes, controls) become one
 * '_', no leading dot, at most CL_MAIL_FILENAME_MAX - 1 characters keeping
 * the extension, "attachment" when nothing is left.  Cannot fail.
 */
void cl_mail_filename(const char *name, char *out);

/*
 * Return 1 if type is a plain MIME type "type/subtype" of token characters
 * (at most 127 characters, no parameters), else 0.  Cannot fail.
 */
int cl_mail_content_type_ok(const char *type);

/* ------------------------------------------------------------------ */
/* Messages (message.c, body.c).                                        */

/* Loads the bytes of an attachment's blob into out (which it appends to). */
typedef cl_err (*cl_mail_blob_fn)(void *arg, const char *blob_id, cl_buf *out);

/* What building a message needs besides the notification. */
typedef struct cl_mail_ctx {
	const cl_mail_from *from;
	const char *public_base_url; /* links in the confirmation */
	int64_t confirm_max_age;     /* seconds the confirm link works */
	int64_t attach_max;	     /* mail_attach_max_bytes */
	cl_mail_blob_fn load;	     /* attachment bytes */
	void *load_arg;
	const char *log_dir; /* the log's proofs (proofs.h) */
} cl_mail_ctx;

/* What a requester's email says of the log proof of their receipt. */
typedef enum cl_mail_proof {
	CL_MAIL_PROOF_NONE,	/* the receipt promises no log */
	CL_MAIL_PROOF_LINK,	/* not ready yet: the public address given */
	CL_MAIL_PROOF_ATTACHED, /* receipt.tlog-proof attached (no token) */
	CL_MAIL_PROOF_ATTACHED_TSR, /* and checkpoint.tsr */
} cl_mail_proof;

typedef struct cl_mail_part {
	char *type;	/* Content-Type value */
	char *filename; /* safe file name; NULL for the text body */
	cl_buf data;	/* the bytes; the body is CRLF UTF-8 text */
} cl_mail_part;

typedef struct cl_mail_msg {
	char message_id[CL_MAIL_MSGID_MAX];   /* "<...@...>" */
	char env_from[CL_EMAIL_ADDR_MAX + 2]; /* "<addr>" */
	char **rcpt; /* "<addr>" each, valid, no duplicates */
	size_t nrcpt;
	char **headers; /* whole header lines, folded, no CRLF
					   at the end: Date, Message-ID, From,
					   To, Subject, Auto-Submitted */
	size_t nheaders;
	cl_mail_part *parts; /* the text body first */
	size_t nparts;
} cl_mail_msg;

#define CL_MAIL_MSG_INIT \
	{ \
		"", "", NULL, 0, NULL, 0, NULL, 0 \
	}

/*
 * Build into msg (which the caller set to CL_MAIL_MSG_INIT) the message for
 * notification n dated now: a "staff_alert" (every answer, the files
 * attached while their total is <= attach_max, else listed) or a
 * "confirmation" (reference, received time, what happens next, link,
 * receipt.txt and copy.json; when the receipt promises the log, its proof
 * files from log_dir attached if they exist, else the public address
 * where the proof will be).  The Message-ID is
 * <REFERENCE.KIND@domain-of-mail_from>, the same on every try.  Fails with
 *   CL_EINVAL    the notification cannot be sent safely or is malformed
 *                (unknown kind, bad reference, no valid recipient, a bad
 *                recipient address, missing receipt): never worth a retry;
 *   CL_EUNAVAIL  an attachment could not be loaded now: retry later;
 * with a reason in why (whylen bytes).  msg is freed on failure.
 */
cl_err cl_mail_build(const cl_mail_ctx *ctx, const cl_notification *n,
    time_t now, cl_mail_msg *msg, char *why, size_t whylen);

/* Free msg and leave it as CL_MAIL_MSG_INIT.  Cannot fail. */
void cl_mail_msg_free(cl_mail_msg *msg);

/*
 * Append to out the plain-text body (CRLF) of the staff alert about the
 * request document req: reference, received time, whether the requester
 * confirmed their address (confirmed_ms, 0 if not yet), every answer under
 * its label in page order (choices by their labels, several lines
 * indented), then files, the CRLF text that lists the attachments.  Cannot
 * fail.
 */
void cl_mail_body_staff(const bson_t *req, int64_t confirmed_ms,
    const char *files, cl_buf *out);

/*
 * Append to out the plain-text body (CRLF) of the short note to staff that
 * the requester of req confirmed their address at confirmed_ms.  Cannot
 * fail.
 */
void cl_mail_body_staff_confirmed(const bson_t *req, int64_t confirmed_ms,
    cl_buf *out);

/*
 * Append to out the plain-text body (CRLF) of the requester's first email
 * about the request document req: reference, time, what happens next, the
 * attached receipt, what proof says of the log proof (attached, or the
 * public address under public_base_url where it will be), and the link
 * under public_base_url that confirms the address, with the time it stops
 * working (confirm_max_age seconds after the request).  No answer is
 * echoed and no private link is given to the address the requester typed
 * before they confirm it.  Cannot fail.
 */
void cl_mail_body_confirmation(const bson_t *req, const char *public_base_url,
    int64_t confirm_max_age, cl_mail_proof proof, cl_buf *out);

/*
 * Append to out the plain-text body (CRLF) of the email sent once the
 * requester confirmed their address: the attached receipt and copy (and
 * proof files, as proof says), and the private link to the confirmation
 * under public_base_url.  Cannot fail.
 */
void cl_mail_body_address_confirmed(const bson_t *req,
    const char *public_base_url, cl_mail_proof proof, cl_buf *out);

/* ------------------------------------------------------------------ */
/* Retry schedule (schedule.c).                                         */

#define CL_MAIL_SCHEDULE_MAX 32

typedef struct cl_mail_schedule {
	int64_t delay_ms[CL_MAIL_SCHEDULE_MAX]; /* before try 2, 3, ... */
	size_t n;				/* the last repeats */
	int64_t give_up_ms; /* no try later than this after receipt */
} cl_mail_schedule;

/*
 * Parse spec, a comma-separated list of delays, each a whole number with a
 * unit s, m, h or d ("1m,2m,4m,8m,16m,32m,1h"; the last repeats), and the
 * give-up time give_up_s (seconds after the request was received) into
 * out.  CL_EINVAL with a reason in err when malformed, empty, longer than
 * CL_MAIL_SCHEDULE_MAX, or a delay is 0 or over 7 days.
 */
cl_err cl_mail_schedule_parse(const char *spec, int64_t give_up_s,
    cl_mail_schedule *out, char *err, size_t errlen);

/*
 * After a failed try at now_ms of a notification that had failed failures
 * times before (0 for the first try) and whose request was received at
 * first_ms: set *retry_ms to when to try again and return 1, or return 0
 * when the schedule is exhausted (now_ms is at or past first_ms +
 * give_up_ms).  The delay is the schedule's entry for this try plus a
 * jitter of up to a fifth of it, from rnd; the last retry is at the give-up
 * time itself.  Cannot fail.
 */
int cl_mail_schedule_next(const cl_mail_schedule *s, int failures,
    int64_t first_ms, int64_t now_ms, uint32_t rnd, int64_t *retry_ms);

#endif /* CALLIN_MAIL_H */

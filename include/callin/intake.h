/*
 * intake.h: reading a submitted form.  The multipart body is streamed from
 * the worker's FastCGI input through the parser: text parts become answers,
 * each file part is checked while it arrives (limits, content type from its
 * first bytes, SHA-256) and written straight into the store as a blob, so no
 * body is ever held whole in memory.
 */
#ifndef CALLIN_INTAKE_H
#define CALLIN_INTAKE_H

#include <stdint.h>

#include "callin/form.h"
#include "callin/hash.h"
#include "callin/http.h"
#include "callin/store.h"
#include "callin/svc.h"

#define CL_UPLOAD_NAME_MAX 128 /* sanitised file name, with its NUL */

typedef struct cl_upload {
	char name[CL_UPLOAD_NAME_MAX]; /* sanitised */
	const char *content_type;      /* from the bytes (static string) */
	int64_t size;
	char sha256[CL_SHA256_HEX];
	char blob_id[CL_BLOB_ID_MAX]; /* "" until stored */
} cl_upload;

typedef struct cl_intake {
	cl_answers answers; /* text parts, in order received */
	cl_upload *files;   /* files stored as blobs */
	size_t nfiles;
	size_t nchosen;	      /* file parts with a name (some refused) */
	char file_error[320]; /* first problem with a file, "" if none */
	int honeypot;	      /* the hidden "website" field was filled */
} cl_intake;

#define CL_INTAKE_INIT \
	{ \
		CL_ANSWERS_INIT, NULL, 0, 0, "", 0 \
	}

/*
 * Read the body of req (multipart/form-data) into in.  Returns CL_OK when
 * the body was read whole: in->file_error tells whether a file was refused.
 * Fails with CL_EPARSE (not multipart, malformed or truncated), CL_ETOOBIG
 * (too many parts or text), CL_EIO (the client went away) or CL_EUNAVAIL
 * (the store refused a blob); on failure no blob of this body is left.
 */
cl_err cl_intake_read(cl_svc *app, cl_http_req *req, cl_intake *in);

/*
 * Build in doc (initialised here; bson_destroy it on success) the request
 * document of the accepted intake in: token, reference, idempotency key,
 * the answers' fingerprint, received time, every answer, the attachments, the submission copy and its
 * receipt signed by the signer,
 * and the notifications (staff alert, requester confirmation).  CL_EUNAVAIL
 * when the signer is down; CL_ECRYPTO or CL_EINVAL when the copy or receipt
 * cannot be made (doc is then not initialised).
 */
cl_err cl_intake_build(cl_svc *app, const cl_intake *in, const char *token,
    const char *reference, const char *idempotency_key, bson_t *doc);

/*
 * Write into hex the fingerprint of the accepted intake in (normalised):
 * the SHA-256, lower-case hex, of its answers as the request document
 * keeps them and of each file's name and SHA-256.  Two sendings of one
 * form have one fingerprint exactly when their answers and files are the
 * same; cl_intake_build() keeps it as "answers_sha256".  Cannot fail.
 */
void cl_intake_fingerprint(const cl_intake *in, char hex[CL_SHA256_HEX]);

/* Random bytes in a request's address confirmation code (22 characters). */
#define CL_CONFIRM_CODE_BYTES 16

/*
 * Into notes (initialised here; bson_destroy it), the notifications that
 * confirming the address email sends, shaped for cl_store_confirm(): the
 * copy and private link to email ("address_confirmed") and a short note to
 * cfg's staff_alert_to ("staff_confirmed").  Cannot fail.
 */
void cl_intake_confirm_notes(const cl_config *cfg, const char *email,
    bson_t *notes);

/* What a link to confirm an address comes to (cl_intake_confirm). */
typedef enum cl_confirm_outcome {
	CL_CONFIRM_PENDING, /* a good link, not confirmed yet (check only) */
	CL_CONFIRM_DONE,    /* confirmed by this call: messages queued */
	CL_CONFIRM_ALREADY, /* confirmed before: nothing more queued */
	CL_CONFIRM_EXPIRED, /* older than confirm_max_age: nothing queued */
	CL_CONFIRM_UNKNOWN, /* no such reference, or not its code */
} cl_confirm_outcome;

/*
 * Decide the link to confirm the address of the request with reference
 * and its confirm_code code at now_ms, and when commit is set and the link
 * is good and pending, confirm it (cl_store_confirm with
 * cl_intake_confirm_notes).  The code is compared in constant time.
 * Returns CL_OK with *out set, or CL_EUNAVAIL when the store cannot say or
 * write (nothing confirmed).
 */
cl_err cl_intake_confirm(cl_svc *app, const char *reference, const char *code,
    int commit, int64_t now_ms, cl_confirm_outcome *out);
/*
 * Append to fields (a document) every form field's answer in a, as the
 * request document and copy.json keep them: "" or [] for one not given.
 * Cannot fail.
 */
void cl_intake_fields(const cl_answers *a, bson_t *fields);

/* Delete the blobs in stored (after a rejection).  Cannot fail (logs). */
void cl_intake_discard(cl_svc *app, cl_intake *in);

/* Free in (not its blobs).  Cannot fail. */
void cl_intake_free(cl_intake *in);

/* What one POST /request came to (cl_intake_submit). */
typedef enum cl_submit_outcome {
	CL_SUBMIT_STORED, /* stored now: token is its confirmation */
	CL_SUBMIT_REPLAY, /* this form again, same answers: token is the first's */
	CL_SUBMIT_REUSED, /* a form already sent, other answers: nothing stored */
	CL_SUBMIT_HONEYPOT, /* a bot filled the hidden field: nothing stored */
	CL_SUBMIT_INVALID,  /* answers or files refused: errs says why */
	CL_SUBMIT_FORGED, /* anti-forgery token or key missing, forged, expired */
	CL_SUBMIT_MALFORMED,   /* the body could not be read */
	CL_SUBMIT_TOO_LARGE,   /* the body is over the limits */
	CL_SUBMIT_EMAIL_LIMIT, /* the address is at max_requests_per_email */
	CL_SUBMIT_UNAVAILABLE, /* disk low, store or signer down: try again */
	CL_SUBMIT_FAILED, /* the token, reference or receipt cannot be made */
} cl_submit_outcome;

/* One submission as cl_intake_submit() leaves it for the response. */
typedef struct cl_submission {
	cl_intake in;		  /* what was read (the 422 page shows it) */
	cl_form_errors errs;	  /* CL_SUBMIT_INVALID: the errors */
	char token[CL_TOKEN_MAX]; /* STORED, REPLAY: the request's */
} cl_submission;

#define CL_SUBMISSION_INIT \
	{ \
		CL_INTAKE_INIT, CL_FORM_ERRORS_INIT, "" \
	}

/*
 * Decide the POST /request req: refuse it before reading when data_dir is
 * below min_free_bytes; read the body into s (files stored as they
 * arrive); check the anti-forgery token and that the idempotency key is
 * the one issued with it; answer a key already stored as a replay (same
 * fingerprint) or a reuse; validate; then build, sign and store the
 * request with the per-email limit applied inside the durable write (a
 * fresh token and reference after a collision).  Every outcome but
 * CL_SUBMIT_STORED leaves no file of this body in the store, and each is
 * counted in the rejection metrics and logged.  Cannot fail: the outcome
 * says what happened.  Free s with cl_submission_free().
 */
cl_submit_outcome cl_intake_submit(cl_svc *app, cl_http_req *req,
    cl_submission *s);

/* Free what cl_intake_submit() left in s (not its blobs).  Cannot fail. */
void cl_submission_free(cl_submission *s);

#endif /* CALLIN_INTAKE_H */

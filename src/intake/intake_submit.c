/*
 * intake_submit.c: the decision on one POST /request (cl_intake_submit).
 * Reads the body (files go to the store as they arrive), checks the
 * anti-forgery token and the idempotency key, validates the answers, then
 * makes the request real with one durable write (which also applies the
 * per-email limit).  Whatever goes wrong before that write removes the
 * files already stored.  The pages turn the outcome into a response.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "callin/clock.h"
#include "callin/csrf.h"
#include "callin/disk.h"
#include "callin/intake.h"
#include "callin/log.h"
#include "callin/metrics.h"
#include "callin/rand.h"
#include "callin/reference.h"
#include "callin/reqdoc.h"

#define PUT_TRIES 5 /* fresh reference and token after a collision */

/*
 * Decide a form whose idempotency key the stored request existing holds
 * already: the same answers and files again (a double click, a re-sent
 * POST) are CL_SUBMIT_REPLAY of its token; other answers (one form's hidden
 * inputs copied for another person) are CL_SUBMIT_REUSED.  Cannot fail.
 */
static cl_submit_outcome
replay(const cl_intake *in, const bson_t *existing, char token[CL_TOKEN_MAX])
{
	char mine[CL_SHA256_HEX];
	const char *tok = cl_reqdoc_str(existing, CL_DOC_TOKEN, NULL, NULL);
	const char *theirs = cl_reqdoc_str(existing, CL_DOC_ANSWERS_SHA256,
	    NULL, NULL);

	cl_intake_fingerprint(in, mine);
	if (tok != NULL && theirs != NULL && strcmp(mine, theirs) == 0 &&
	    strlen(tok) < CL_TOKEN_MAX) {
		cl_metrics_reject(CL_R_REPLAY);
		snprintf(token, CL_TOKEN_MAX, "%s", tok);
		return CL_SUBMIT_REPLAY;
	}
	cl_log(CL_LOG_WARN,
	    "intake: a form already sent came back with other "
	    "answers; nothing stored");
	cl_metrics_reject(CL_R_FORM_REUSED);
	return CL_SUBMIT_REUSED;
}

/*
 * Store the accepted request in s (fresh token and reference on a
 * collision) under the idempotency key idem.  The per-email limit (at most
 * max_requests_per_email requests from one address, compared as the store
 * normalises it, in the last email_limit_window seconds; either setting 0
 * turns it off) is applied inside the durable write, so two requests from
 * one address racing through different workers cannot both pass it on
 * SQLite.  Returns CL_SUBMIT_STORED with s->token, a replay outcome when
 * the same form raced in through another worker, CL_SUBMIT_EMAIL_LIMIT,
 * CL_SUBMIT_UNAVAILABLE (store or signer) or CL_SUBMIT_FAILED (the token,
 * reference or receipt cannot be made: the random generator failed, or the
 * signer refused).  The files are discarded unless stored.
 */
static cl_submit_outcome
accept(cl_svc *app, cl_submission *s, const char *idem)
{
	const cl_config *cfg = app->cfg;
	cl_intake *in = &s->in;
	char reference[CL_REFERENCE_MAX], existing[CL_TOKEN_MAX];
	int64_t limit = cfg->email_limit_window > 0 ?
	    cfg->max_requests_per_email :
	    0;
	int64_t since = cl_now_ms() - cfg->email_limit_window * 1000;
	cl_submit_outcome out;
	cl_err rc = CL_EDUP;
	bson_t doc;

	for (int i = 0; i < PUT_TRIES && rc == CL_EDUP; i++) {
		if ((rc = cl_random_token(s->token, 16)) != CL_OK ||
		    (rc = cl_reference_new(reference)) != CL_OK ||
		    (rc = cl_intake_build(app, in, s->token, reference, idem,
			 &doc)) != CL_OK) {
			if (rc == CL_EUNAVAIL)
				goto unavailable;
			cl_log(CL_LOG_ERROR,
			    "intake: cannot make the token, "
			    "reference or receipt: %s; nothing stored",
			    cl_strerror(rc));
			out = CL_SUBMIT_FAILED;
			goto discard;
		}
		rc = cl_svc_commit(app, &doc, limit, since, existing);
		bson_destroy(&doc);
		if (rc == CL_EDUP && existing[0] != '\0') {
			/* The form was sent twice at once: answer as its first. */
			if ((rc = cl_store_get(app->store, CL_KEY_TOKEN,
				 existing, &doc)) != CL_OK)
				goto unavailable;
			out = replay(in, &doc, s->token);
			bson_destroy(&doc);
			goto discard;
		}
	}
	if (rc == CL_OK) {
		int64_t bytes = 0;

		for (size_t i = 0; i < in->nfiles; i++)
			bytes += in->files[i].size;
		cl_metrics_add(CL_C_STORED, 1);
		cl_metrics_add(CL_C_UPLOAD_BYTES, bytes);
		cl_metrics_store_write(1, cl_now_ms());
		cl_log(CL_LOG_INFO, "intake: stored %s with %zu files",
		    reference, in->nfiles);
		return CL_SUBMIT_STORED;
	}
	if (rc == CL_ELIMIT) {
		cl_log(CL_LOG_WARN,
		    "intake: email address at its limit (%lld in "
		    "%lld s); nothing stored",
		    (long long)cfg->max_requests_per_email,
		    (long long)cfg->email_limit_window);
		cl_metrics_reject(CL_R_EMAIL_LIMIT);
		out = CL_SUBMIT_EMAIL_LIMIT;
		goto discard;
	}
	if (rc == CL_EUNAVAIL)
		cl_metrics_store_write(0, cl_now_ms());
unavailable:
	cl_log(CL_LOG_ERROR, "intake: request not stored: %s", cl_strerror(rc));
	cl_metrics_reject(CL_R_UNAVAILABLE);
	out = rc == CL_EUNAVAIL ? CL_SUBMIT_UNAVAILABLE : CL_SUBMIT_FAILED;
discard:
	if (out != CL_SUBMIT_REPLAY)
		s->token[0] = '\0';
	cl_intake_discard(app, in);
	return out;
}

/*
 * Check the anti-forgery token of the answers in s and that the
 * idempotency key is the one issued with it, into key.  Cannot fail:
 * returns 1 when both hold.
 */
static int
form_genuine(cl_svc *app, const cl_submission *s, char key[CL_CSRF_KEY_MAX])
{
	const char *csrf = cl_answers_get(&s->in.answers, "csrf_token");
	const char *idem = cl_answers_get(&s->in.answers, "idempotency_key");

	return csrf != NULL && idem != NULL &&
	    cl_csrf_check(app->form_secret, app->form_secret_len, csrf,
		time(NULL), app->cfg->form_token_max_age) == CL_OK &&
	    cl_csrf_key(csrf, key) == CL_OK && strcmp(idem, key) == 0;
}

cl_submit_outcome
cl_intake_submit(cl_svc *app, cl_http_req *req, cl_submission *s)
{
	char key[CL_CSRF_KEY_MAX];
	bson_t existing;
	int64_t avail;
	cl_err rc;

	/* Files are stored as they arrive: refuse before any is written. */
	if (cl_disk_low(app->cfg, &avail)) {
		cl_log(CL_LOG_ERROR,
		    "intake: %lld bytes free under data_dir, "
		    "below min_free_bytes (%lld); nothing stored",
		    (long long)avail, (long long)app->cfg->min_free_bytes);
		if (cl_http_drain(req) != CL_OK)
			cl_log(CL_LOG_INFO, "intake: the client went away");
		cl_metrics_reject(CL_R_DISK_LOW);
		return CL_SUBMIT_UNAVAILABLE;
	}
	switch ((rc = cl_intake_read(app, req, &s->in))) {
	case CL_OK: break;
	case CL_ETOOBIG:
		cl_metrics_reject(CL_R_TOO_LARGE);
		return CL_SUBMIT_TOO_LARGE;
	case CL_EUNAVAIL:
		cl_metrics_reject(CL_R_UNAVAILABLE);
		cl_metrics_store_write(0, cl_now_ms());
		return CL_SUBMIT_UNAVAILABLE;
	default:
		cl_log(CL_LOG_WARN, "intake: unreadable body: %s",
		    cl_strerror(rc));
		cl_metrics_reject(CL_R_MALFORMED);
		return CL_SUBMIT_MALFORMED;
	}
	if (!form_genuine(app, s, key)) {
		cl_log(CL_LOG_WARN,
		    "intake: anti-forgery check failed; nothing "
		    "stored");
		cl_intake_discard(app, &s->in);
		cl_metrics_reject(CL_R_FORGERY);
		return CL_SUBMIT_FORGED;
	}
	cl_form_normalise(&s->in.answers);
	rc = cl_store_get(app->store, CL_KEY_IDEMPOTENCY, key, &existing);
	if (rc == CL_OK) {
		/* replay() fingerprints the files: discard after. */
		cl_submit_outcome out = replay(&s->in, &existing, s->token);

		bson_destroy(&existing);
		cl_intake_discard(app, &s->in);
		return out;
	}
	if (rc != CL_ENOTFOUND) {
		cl_intake_discard(app, &s->in);
		cl_metrics_reject(CL_R_UNAVAILABLE);
		return CL_SUBMIT_UNAVAILABLE;
	}
	cl_form_validate(&s->in.answers, time(NULL), &s->errs);
	if (s->in.file_error[0] != '\0')
		cl_form_errors_add(&s->errs, CL_F_ATTACHMENTS, CL_FE_ATTACHMENT,
		    s->in.file_error);
	if (s->errs.n > 0) {
		cl_intake_discard(app, &s->in);
		cl_metrics_reject(CL_R_INVALID);
		return CL_SUBMIT_INVALID;
	}
	if (s->in.honeypot) {
		/* After every check a real form passes, so a bot's mistakes
		 * get the same errors as anyone's. */
		cl_intake_discard(app, &s->in);
		cl_metrics_reject(CL_R_HONEYPOT);
		cl_log(CL_LOG_WARN, "intake: honeypot filled; nothing stored");
		return CL_SUBMIT_HONEYPOT;
	}
	return accept(app, s, key);
}

void
cl_submission_free(cl_submission *s)
{
	cl_form_errors_free(&s->errs);
	cl_intake_free(&s->in);
}

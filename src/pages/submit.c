/*
 * submit.c: POST /request.  Reads the body (files go to the store as they
 * arrive), checks the anti-forgery token and the idempotency key,
 * validates the answers, then makes the request real with one durable
 * write (which also applies the per-email limit) and redirects to its
 * confirmation; a form that filled the honeypot gets a decoy confirmation
 * instead, indistinguishable from a real one (decoy.c).
 * Whatever goes wrong before that write removes the files already stored,
 * and the page says the request was not submitted.
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
#include "callin/page.h"
#include "callin/reference.h"

#define PUT_TRIES	5	/* fresh reference and token after a collision */

/*
 * Redirect to the confirmation of token; a token unfit for a header (never
 * one we made) gets the 500 page instead.  Cannot fail.
 */
static void
to_confirmation(cl_http_req *req, const char *token)
{
	char loc[CL_TOKEN_MAX + 16];

	snprintf(loc, sizeof loc, "/receipt/%s", token);
	if (cl_http_redirect(req, loc) == CL_EINVAL)
		cl_page_error(req, 500, NULL);
}

/*
 * Answer a form whose idempotency key is stored already, by the request
 * existing that holds it: the same answers and files again (a double click,
 * a re-sent POST) land on its confirmation; other answers (one form's
 * hidden inputs copied for another person) get the 409 page saying the
 * form was already sent, with nothing of that request.  Cannot fail.
 */
static void
replay(cl_http_req *req, const cl_intake *in, const bson_t *existing)
{
	char mine[CL_SHA256_HEX];
	const char *token = NULL, *theirs = NULL;
	bson_iter_t it;

	cl_intake_fingerprint(in, mine);
	if (bson_iter_init_find(&it, existing, "token") && BSON_ITER_HOLDS_UTF8(&it))
		token = bson_iter_utf8(&it, NULL);
	if (bson_iter_init_find(&it, existing, "answers_sha256") && BSON_ITER_HOLDS_UTF8(&it))
		theirs = bson_iter_utf8(&it, NULL);
	if (token != NULL && theirs != NULL && strcmp(mine, theirs) == 0) {
		cl_metrics_reject(CL_R_REPLAY);
		to_confirmation(req, token);
		return;
	}
	cl_log(CL_LOG_WARN, "intake: a form already sent came back with other answers; "
	    "nothing stored");
	cl_metrics_reject(CL_R_FORM_REUSED);
	cl_page_error(req, 409, NULL);
}

/*
 * Answer 422 with the form, the answers kept, the errors shown and a fresh
 * anti-forgery token and idempotency key.
 */
static void
reject(cl_app *app, cl_http_req *req, const cl_intake *in,
    const cl_form_errors *errs)
{
	char csrf[CL_CSRF_TOKEN_MAX], idem[CL_CSRF_KEY_MAX];
	cl_buf page = CL_BUF_INIT;

	/* Nothing was stored: the corrected form is a fresh one. */
	if (cl_csrf_issue(app->form_secret, app->form_secret_len, time(NULL), csrf) != CL_OK ||
	    cl_csrf_key(csrf, idem) != CL_OK) {
		cl_log(CL_LOG_ERROR, "intake: the random generator failed");
		cl_page_error(req, 500, NULL);
		return;
	}
	if (cl_form_page_render(app, &in->answers, errs, in->nchosen > 0, csrf, idem,
	    &page) == CL_OK)
		cl_page_send(req, 422, &page);
	else
		cl_page_error(req, 500, NULL);
	cl_buf_free(&page);
}

/*
 * Store the accepted request (fresh token and reference on a collision) and
 * redirect to its confirmation.  The per-email limit (at most
 * max_requests_per_email requests from one address, compared as the store
 * normalises it, in the last email_limit_window seconds; either setting 0
 * turns it off) is applied inside the durable write, so two requests from
 * one address racing through different workers cannot both pass it on
 * SQLite.  Sends the 429 page at the limit, the 503 page when the store or
 * the signer is unavailable, the 500 page when the token, reference or
 * receipt cannot be made (the random generator failed, or the signer
 * refused: not the store's fault).
 */
static void
accept(cl_app *app, cl_http_req *req, cl_intake *in, const char *idem)
{
	const cl_config *cfg = app->cfg;
	char token[CL_RANDOM_TOKEN_MAX], reference[CL_REFERENCE_MAX];
	char existing[CL_TOKEN_MAX];
	int64_t limit = cfg->email_limit_window > 0 ? cfg->max_requests_per_email : 0;
	int64_t since = cl_now_ms() - cfg->email_limit_window * 1000;
	cl_err rc = CL_EDUP;
	bson_t doc;

	for (int i = 0; i < PUT_TRIES && rc == CL_EDUP; i++) {
		if ((rc = cl_random_token(token, 16)) != CL_OK ||
		    (rc = cl_reference_new(reference)) != CL_OK ||
		    (rc = cl_intake_build(app, in, token, reference, idem, &doc)) != CL_OK) {
			if (rc == CL_EUNAVAIL)
				goto unavailable;
			cl_log(CL_LOG_ERROR, "intake: cannot make the token, reference or receipt: %s; "
			    "nothing stored", cl_strerror(rc));
			cl_intake_discard(app, in);
			cl_page_error(req, 500, NULL);
			return;
		}
		rc = cl_app_commit(app, &doc, limit, since, existing);
		bson_destroy(&doc);
		if (rc == CL_EDUP && existing[0] != '\0') {
			/* The form was sent twice at once: answer as its first. */
			if ((rc = cl_store_get(app->store, CL_KEY_TOKEN, existing, &doc)) != CL_OK)
				goto unavailable;
			replay(req, in, &doc);
			bson_destroy(&doc);
			cl_intake_discard(app, in);
			return;
		}
	}
	if (rc == CL_OK) {
		int64_t bytes = 0;

		for (size_t i = 0; i < in->nfiles; i++)
			bytes += in->files[i].size;
		cl_metrics_add(CL_C_STORED, 1);
		cl_metrics_add(CL_C_UPLOAD_BYTES, bytes);
		cl_metrics_store_write(1, cl_now_ms());
		cl_log(CL_LOG_INFO, "intake: stored %s with %zu files", reference, in->nfiles);
		to_confirmation(req, token);
		return;
	}
	if (rc == CL_ELIMIT) {
		cl_log(CL_LOG_WARN, "intake: email address at its limit (%lld in %lld s); "
		    "nothing stored", (long long)cfg->max_requests_per_email,
		    (long long)cfg->email_limit_window);
		cl_intake_discard(app, in);
		cl_metrics_reject(CL_R_EMAIL_LIMIT);
		cl_page_email_limit(req, cfg->max_requests_per_email, cfg->email_limit_window);
		return;
	}
	if (rc == CL_EUNAVAIL)
		cl_metrics_store_write(0, cl_now_ms());
unavailable:
	cl_log(CL_LOG_ERROR, "intake: request not stored: %s", cl_strerror(rc));
	cl_intake_discard(app, in);
	cl_metrics_reject(CL_R_UNAVAILABLE);
	cl_page_error(req, rc == CL_EUNAVAIL ? 503 : 500, NULL);
}

/*
 * Answer a form whose hidden honeypot field was filled (a bot) as accept()
 * answers a real one, so the bot cannot tell: a 303 to the confirmation of
 * a decoy token, whose pages answer like a real request's (decoy.c), or
 * the 503 page when the signer is down.  Nothing is stored, nothing mailed.
 * It comes after every check a real form passes, so a bot's mistakes get
 * the same errors as anyone's.  Cannot fail.
 */
static void
decoy(cl_app *app, cl_http_req *req, cl_intake *in)
{
	char token[CL_RANDOM_TOKEN_MAX];
	cl_err rc;

	cl_intake_discard(app, in);
	cl_metrics_reject(CL_R_HONEYPOT);
	if ((rc = cl_decoy_new(app, token)) == CL_OK) {
		cl_log(CL_LOG_WARN, "intake: honeypot filled; nothing stored");
		to_confirmation(req, token);
		return;
	}
	cl_log(CL_LOG_ERROR, "intake: honeypot filled; no decoy: %s", cl_strerror(rc));
	cl_page_error(req, rc == CL_EUNAVAIL ? 503 : 500, NULL);
}

void
cl_page_submit(cl_app *app, cl_http_req *req)
{
	cl_intake in = CL_INTAKE_INIT;
	cl_form_errors errs = CL_FORM_ERRORS_INIT;
	char key[CL_CSRF_KEY_MAX];
	const char *csrf, *idem;
	bson_t existing;
	int64_t avail;
	cl_err rc;

	/* Files are stored as they arrive: refuse before any is written. */
	if (cl_disk_low(app->cfg, &avail)) {
		cl_log(CL_LOG_ERROR, "intake: %lld bytes free under data_dir, below "
		    "min_free_bytes (%lld); nothing stored", (long long)avail,
		    (long long)app->cfg->min_free_bytes);
		(void)cl_http_drain(req);
		cl_metrics_reject(CL_R_DISK_LOW);
		cl_page_error(req, 503, NULL);
		goto done;
	}
	rc = cl_intake_read(app, req, &in);
	switch (rc) {
	case CL_OK:
		break;
	case CL_ETOOBIG:
		cl_metrics_reject(CL_R_TOO_LARGE);
		cl_page_error_for(app, req, 413, NULL);
		goto done;
	case CL_EUNAVAIL:
		cl_metrics_reject(CL_R_UNAVAILABLE);
		cl_metrics_store_write(0, cl_now_ms());
		cl_page_error(req, 503, NULL);
		goto done;
	default:
		cl_log(CL_LOG_WARN, "intake: unreadable body: %s", cl_strerror(rc));
		cl_metrics_reject(CL_R_MALFORMED);
		cl_page_error(req, 400, "The form could not be read. This can happen if the "
		    "upload was interrupted.");
		goto done;
	}
	csrf = cl_answers_get(&in.answers, "csrf_token");
	idem = cl_answers_get(&in.answers, "idempotency_key");
	/* The key must be the one issued with the token. */
	if (csrf == NULL || idem == NULL || cl_csrf_check(app->form_secret, app->form_secret_len,
	    csrf, time(NULL), app->cfg->form_token_max_age) != CL_OK ||
	    cl_csrf_key(csrf, key) != CL_OK || strcmp(idem, key) != 0) {
		cl_log(CL_LOG_WARN, "intake: anti-forgery check failed; nothing stored");
		cl_intake_discard(app, &in);
		cl_metrics_reject(CL_R_FORGERY);
		cl_page_error(req, 403, NULL);
		goto done;
	}
	cl_form_normalise(&in.answers);
	rc = cl_store_get(app->store, CL_KEY_IDEMPOTENCY, key, &existing);
	if (rc == CL_OK) {
		replay(req, &in, &existing);	/* fingerprints the files: discard after */
		bson_destroy(&existing);
		cl_intake_discard(app, &in);
		goto done;
	} else if (rc != CL_ENOTFOUND) {
		cl_intake_discard(app, &in);
		cl_metrics_reject(CL_R_UNAVAILABLE);
		cl_page_error(req, 503, NULL);
		goto done;
	}
	cl_form_validate(&in.answers, time(NULL), &errs);
	if (in.file_error[0] != '\0')
		cl_form_errors_add(&errs, CL_F_ATTACHMENTS, CL_FE_ATTACHMENT, in.file_error);
	if (errs.n > 0) {
		cl_intake_discard(app, &in);
		cl_metrics_reject(CL_R_INVALID);
		reject(app, req, &in, &errs);
		goto done;
	}
	if (in.honeypot)
		decoy(app, req, &in);
	else
		accept(app, req, &in, key);
done:
	cl_form_errors_free(&errs);
	cl_intake_free(&in);
}

/*
 * submit.c: POST /request.  cl_intake_submit() decides; this turns its
 * outcome into the response: a 303 to the confirmation of the request
 * stored (or of the first one, for a form sent again), the form again with
 * its errors (422), a decoy confirmation for a bot that filled the
 * honeypot, indistinguishable from a real one (decoy.c), or the error page
 * that says the request was not submitted.
 */
#include <stdio.h>
#include <time.h>

#include "callin/csrf.h"
#include "callin/intake.h"
#include "callin/log.h"
#include "callin/page.h"

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
 * Answer 422 with the form, the answers kept, the errors shown and a fresh
 * anti-forgery token and idempotency key (nothing was stored: the
 * corrected form is a fresh one).  Cannot fail.
 */
static void
reject(cl_svc *app, cl_http_req *req, const cl_submission *s)
{
	char csrf[CL_CSRF_TOKEN_MAX], idem[CL_CSRF_KEY_MAX];
	cl_buf page = CL_BUF_INIT;

	if (cl_csrf_issue(app->form_secret, app->form_secret_len, time(NULL),
		csrf) != CL_OK ||
	    cl_csrf_key(csrf, idem) != CL_OK) {
		cl_log(CL_LOG_ERROR, "intake: the random generator failed");
		cl_page_error(req, 500, NULL);
		return;
	}
	if (cl_form_page_render(app, &s->in.answers, &s->errs,
		s->in.nchosen > 0, csrf, idem, &page) == CL_OK)
		cl_page_send(req, 422, &page);
	else
		cl_page_error(req, 500, NULL);
	cl_buf_free(&page);
}

/*
 * Answer a bot as a real form is answered: a 303 to the confirmation of a
 * decoy token, whose pages answer like a real request's, or the 503 page
 * when the signer is down.  Nothing is stored, nothing mailed.  Cannot
 * fail.
 */
static void
decoy(cl_svc *app, cl_http_req *req)
{
	char token[CL_RANDOM_TOKEN_MAX];
	cl_err rc;

	if ((rc = cl_decoy_new(app, token)) == CL_OK) {
		to_confirmation(req, token);
		return;
	}
	cl_log(CL_LOG_ERROR, "intake: no decoy: %s", cl_strerror(rc));
	cl_page_error(req, rc == CL_EUNAVAIL ? 503 : 500, NULL);
}

void
cl_page_submit(cl_svc *app, cl_http_req *req)
{
	cl_submission s = CL_SUBMISSION_INIT;

	switch (cl_intake_submit(app, req, &s)) {
	case CL_SUBMIT_STORED:
	case CL_SUBMIT_REPLAY: to_confirmation(req, s.token); break;
	case CL_SUBMIT_REUSED: cl_page_error(req, 409, NULL); break;
	case CL_SUBMIT_HONEYPOT: decoy(app, req); break;
	case CL_SUBMIT_INVALID: reject(app, req, &s); break;
	case CL_SUBMIT_FORGED: cl_page_error(req, 403, NULL); break;
	case CL_SUBMIT_MALFORMED:
		cl_page_error(req, 400,
		    "The form could not be read. This can "
		    "happen if the upload was interrupted.");
		break;
	case CL_SUBMIT_TOO_LARGE: cl_page_error_for(app, req, 413, NULL); break;
	case CL_SUBMIT_EMAIL_LIMIT:
		cl_page_email_limit(req, app->cfg->max_requests_per_email,
		    app->cfg->email_limit_window);
		break;
	case CL_SUBMIT_UNAVAILABLE: cl_page_error(req, 503, NULL); break;
	case CL_SUBMIT_FAILED: cl_page_error(req, 500, NULL); break;
	}
	cl_submission_free(&s);
}

/*
 * page.h: the HTML pages of the service and the handlers that answer with
 * them.  Every page is a template (src/pages/templates/, tmpl.h) that
 * includes the GOV.UK layout's partials and escapes every value; the C code
 * only builds the data.  Each page's HTML comes from a cl_page_*_html()
 * function that fails with CL_EINVAL (logged) when its template does, so
 * a unit test can render every page in every state.
 */
#ifndef CALLIN_PAGE_H
#define CALLIN_PAGE_H

#include "callin/buf.h"
#include "callin/http.h"
#include "callin/intake.h"
#include "callin/receipt.h"
#include "callin/svc.h"

struct cl_config;
struct cl_tmpl;

/*
 * Render the page template tmpl with d into out, giving d what the layout
 * partials read: the page's title (which gets "Error: " first when
 * has_error) and has_error.  CL_EINVAL (logged) when the template fails.
 */
cl_err cl_page_build(cl_buf *out, const char *tmpl, const char *title,
    int has_error, struct cl_tmpl *d);

/*
 * Send the styled page for an error status (400, 403, 404, 405, 409 (a
 * form already sent with other answers), 410 (a link that expired), 413, 422 is not one: the form
 * shows those, 429, 500, 503).  detail (plain text, may be
 * NULL) adds a sentence.  A POST /request answered with any of them, here
 * or by nginx through /_error/, says the request was not submitted.
 * The 413 page names the limits of the configuration when sent with
 * cl_page_error_for() and an app (app may be NULL: none named).  When the
 * page cannot be made a plain-text 500 is sent.  Cannot fail.
 */
void cl_page_error(cl_http_req *req, int status, const char *detail);
void cl_page_error_for(const cl_svc *app, cl_http_req *req, int status,
    const char *detail);

/*
 * The HTML of the error page for status (as cl_page_error) into out: the
 * limits of cfg (may be NULL) in the 413 page, the warning that the request
 * was not submitted when submit.  CL_EINVAL when the template fails.
 */
cl_err cl_page_error_html(cl_buf *out, const struct cl_config *cfg, int status,
    int submit, const char *detail);

/*
 * Send the 429 page for a POST /request refused because its email address
 * has sent max requests in the last window seconds (both > 0): not
 * submitted, the limit, when to try again, and to make contact another way
 * meanwhile.  Cannot fail.
 */
void cl_page_email_limit(cl_http_req *req, int64_t max, int64_t window);
/* Its HTML into out.  CL_EINVAL when the template fails. */
cl_err cl_page_email_limit_html(cl_buf *out, int64_t max, int64_t window);

/* Send the 405 page with an Allow header listing allow.  Cannot fail. */
void cl_page_method_not_allowed(cl_http_req *req, const char *allow);

/* Send an HTML page with status.  Cannot fail (a gone client is ignored). */
void cl_page_send(cl_http_req *req, int status, const cl_buf *html);

/*
 * Look up the stored request with token into doc (bson_destroy it on
 * success).  On failure the 404 or 503 page has been sent and CL_ENOTFOUND
 * or CL_EUNAVAIL is returned.
 */
cl_err cl_page_lookup(cl_svc *app, cl_http_req *req, const char *token,
    bson_t *doc);

/*
 * The honeypot's decoy confirmation (decoy.c).  cl_decoy_new() writes into
 * token (CL_RANDOM_TOKEN_MAX bytes) a fresh decoy token, received now, after
 * asking the signer as a real request does: CL_EUNAVAIL when it is down,
 * CL_ECRYPTO when OpenSSL fails.  cl_decoy_find() builds into doc
 * (bson_destroy it on success) the request document a decoy token stands
 * for, with the fields the confirmation pages read; nothing is stored
 * anywhere.  CL_ENOTFOUND when token is not a decoy's.
 */
cl_err cl_decoy_new(cl_svc *app, char *token);
cl_err cl_decoy_find(cl_svc *app, const char *token, bson_t *doc);

struct cl_answers;
struct cl_form_errors;

/*
 * Render the request form into page: answers written back (NULL for a fresh
 * form), errors in a summary and inline (NULL for none), a note asking for
 * the files again when files_dropped, and the hidden anti-forgery token and
 * idempotency key.  CL_EINVAL when the template fails.
 */
cl_err cl_form_page_render(const cl_svc *app, const struct cl_answers *answers,
    const struct cl_form_errors *errs, int files_dropped,
    const char *csrf_token, const char *idempotency_key, cl_buf *page);

/* The start page's HTML, with app's limits.  CL_EINVAL as above. */
cl_err cl_page_start_html(const cl_svc *app, cl_buf *out);

/*
 * The confirmation page's HTML for a request (reference, received time in
 * RFC 3339, private token, receipt text, the log origin its receipt
 * promises or "" for none, and whether its proof is published yet).
 * CL_EINVAL as above.
 */
cl_err cl_page_confirmation_html(cl_buf *out, const char *reference,
    const char *received, const char *token, const char *receipt,
    const char *log, int proof);

/*
 * The HTML of the address-confirmation page for outcome (pending, done or
 * already; CL_EINVAL for the others, which are error pages).
 */
cl_err cl_page_confirm_html(cl_buf *out, cl_confirm_outcome outcome,
    const char *reference, const char *code);

#define CL_VERIFY_CHECKS 8 /* signature, on file, copy, 5 of the log */

typedef struct cl_verify_check {
	const char *id; /* "signature", "on-file", "copy", "log-checkpoint",
			   "log-inclusion", "log-witnesses", "log-timestamp",
			   "log-time" */
	int ok;
	const char *text;
	char detail[256]; /* "" for none */
} cl_verify_check;

typedef struct cl_verify_result {
	cl_verdict verdict;
	const char *reason;    /* unreadable: why */
	const char *reference; /* readable: the receipt's */
	const char *received;  /* readable: RFC 3339 */
	cl_verify_check checks[CL_VERIFY_CHECKS];
	size_t nchecks;
} cl_verify_result;

/*
 * The /verify page's HTML: the result panel of res (NULL: none, the page
 * of a GET), then the form.  CL_EINVAL as above.
 */
cl_err cl_page_verify_html(cl_buf *out, const cl_verify_result *res);

/* Handlers: each answers one route.  None can fail: errors become pages. */
void cl_page_start(cl_svc *app, cl_http_req *req);
void cl_page_form(cl_svc *app, cl_http_req *req);
void cl_page_submit(cl_svc *app, cl_http_req *req);
void cl_page_confirmation(cl_svc *app, cl_http_req *req, const char *token);
void cl_page_receipt_file(cl_svc *app, cl_http_req *req, const char *token,
    const char *file);
/*
 * Whether file names one of a request's files (receipt.txt, copy.json,
 * receipt.tlog-proof, checkpoint.tsr), the only ones the handler above
 * serves.  Cannot fail.
 */
int cl_page_receipt_file_known(const char *file);
/*
 * The link that confirms a requester's address: with post 0 a page with a
 * button (nothing changes), with post 1 the confirmation; 404 for an
 * unknown reference or code, 410 once confirm_max_age has passed, 503 when
 * the store cannot answer.  Cannot fail.
 */
void cl_page_confirm_address(cl_svc *app, cl_http_req *req,
    const char *reference, const char *code, int post);
void cl_page_verify(cl_svc *app, cl_http_req *req);
void cl_page_keys(cl_svc *app, cl_http_req *req, const char *id);
void cl_page_healthz(cl_svc *app, cl_http_req *req);
void cl_page_metrics(cl_svc *app, cl_http_req *req,
    const char *const *route_names, size_t nroutes);

#endif /* CALLIN_PAGE_H */

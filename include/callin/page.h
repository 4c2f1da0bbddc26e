/*
 * page.h: the HTML pages of the service and the handlers that answer with
 * them.  Every page goes through cl_page_render() (the GOV.UK layout) and
 * every user-supplied string through escaping (tmpl.h, cl_buf_html).
 */
#ifndef CALLIN_PAGE_H
#define CALLIN_PAGE_H

#include "callin/buf.h"
#include "callin/http.h"
#include "callin/svc.h"

/*
 * Wrap content (HTML) in the GOV.UK layout; the title gets "Error: " first
 * when has_error.  before_content (HTML, may be NULL) goes above <main>, for
 * a back link.  Cannot fail.
 */
void cl_page_render(cl_buf *out, const char *title, int has_error,
    const char *before_content, const char *content);

/*
 * Send the styled page for an error status (400, 403, 404, 405, 409 (a
 * form already sent with other answers), 410 (a link that expired), 413, 422 is not one: the form
 * shows those, 429, 500, 503).  detail (plain text, may be
 * NULL) adds a sentence.  A POST /request answered with any of them, here
 * or by nginx through /_error/, says the request was not submitted.
 * Cannot fail.
 */
void cl_page_error(cl_http_req *req, int status, const char *detail);

/*
 * Send the 429 page for a POST /request refused because its email address
 * has sent max requests in the last window seconds (both > 0): not
 * submitted, the limit, when to try again, and to make contact another way
 * meanwhile.  Cannot fail.
 */
void cl_page_email_limit(cl_http_req *req, int64_t max, int64_t window);

/* Send the 405 page with an Allow header listing allow.  Cannot fail. */
void cl_page_method_not_allowed(cl_http_req *req, const char *allow);

/* Send an HTML page with status.  Cannot fail (a gone client is ignored). */
void cl_page_send(cl_http_req *req, int status, const cl_buf *html);

/*
 * Look up the stored request with token into doc (bson_destroy it on
 * success).  On failure the 404 or 503 page has been sent and CL_ENOTFOUND
 * or CL_EUNAVAIL is returned.
 */
cl_err cl_page_lookup(cl_svc *app, cl_http_req *req, const char *token, bson_t *doc);

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
 * idempotency key.  Cannot fail.
 */
void cl_form_page_render(const cl_svc *app, const struct cl_answers *answers,
    const struct cl_form_errors *errs, int files_dropped,
    const char *csrf_token, const char *idempotency_key, cl_buf *page);

/* Handlers: each answers one route.  None can fail: errors become pages. */
void cl_page_start(cl_svc *app, cl_http_req *req);
void cl_page_form(cl_svc *app, cl_http_req *req);
void cl_page_submit(cl_svc *app, cl_http_req *req);
void cl_page_confirmation(cl_svc *app, cl_http_req *req, const char *token);
void cl_page_receipt_file(cl_svc *app, cl_http_req *req, const char *token, const char *file);
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

/*
 * confirmation.c: GET /receipt/{token} — the confirmation page: reference,
 * time received, what happens next, and the signed receipt explained.
 * receipt_link_days after the request was received, the page and copy.json
 * answer 410 "this link has expired"; receipt.txt keeps working.
 */
#include <stdio.h>
#include <string.h>

#include "callin/clock.h"
#include "callin/date.h"
#include "callin/log.h"
#include "callin/page.h"
#include "callin/reference.h"
#include "callin/reqdoc.h"
#include "callin/tmpl.h"

cl_err
cl_page_confirmation_html(cl_buf *out, const char *reference,
    const char *received, const char *token, const char *receipt)
{
	cl_tmpl *d = cl_tmpl_new();
	char when[64];
	cl_err rc;

	cl_date_human_iso(received, when, sizeof when);
	cl_tmpl_set(d, "reference", reference);
	cl_tmpl_set(d, "received", received);
	cl_tmpl_set(d, "received_text", when);
	cl_tmpl_set(d, "token", token);
	cl_tmpl_set(d, "receipt", receipt);
	rc = cl_page_build(out, "confirmation", "Request sent", 0, d);
	cl_tmpl_free(d);
	return rc;
}

/* The string at key of doc, or "" when absent. */
#define doc_str(doc, key) cl_reqdoc_str((doc), (key), "", NULL)

/*
 * Look up the request with token for a page (a honeypot's decoy token
 * stands for its decoy, after the same store lookup); on failure the error
 * page has been sent and CL_ENOTFOUND or CL_EUNAVAIL is returned.
 */
cl_err
cl_page_lookup(cl_svc *app, cl_http_req *req, const char *token, bson_t *doc)
{
	cl_err rc = cl_store_get(app->store, CL_KEY_TOKEN, token, doc);

	if (rc == CL_ENOTFOUND)
		rc = cl_decoy_find(app, token, doc);
	if (rc == CL_ENOTFOUND)
		cl_page_error(req, 404, NULL);
	else if (rc != CL_OK) {
		cl_log(CL_LOG_ERROR, "confirmation: store: %s",
		    cl_strerror(rc));
		cl_page_error(req, 503, NULL);
	}
	return rc;
}

/*
 * Whether the private link of the request doc has expired: received
 * (received_ms) more than receipt_link_days ago.  A document without a
 * received time has expired.  Cannot fail.
 */
static int
expired(const cl_svc *app, const bson_t *doc)
{
	int64_t ms = cl_reqdoc_int(doc, CL_DOC_RECEIVED_MS, -1);

	if (ms < 0)
		return 1;
	return cl_now_ms() - ms > app->cfg->receipt_link_days * 86400000;
}

void
cl_page_confirmation(cl_svc *app, cl_http_req *req, const char *token)
{
	cl_buf page = CL_BUF_INIT;
	bson_t doc;

	if (cl_page_lookup(app, req, token, &doc) != CL_OK)
		return;
	if (expired(app, &doc)) {
		bson_destroy(&doc);
		cl_page_error(req, 410,
		    "The private link to this request's "
		    "confirmation page and its copy of the answers has expired.");
		return;
	}
	if (cl_page_confirmation_html(&page, doc_str(&doc, CL_DOC_REFERENCE),
		doc_str(&doc, CL_DOC_RECEIVED), token,
		doc_str(&doc, CL_DOC_RECEIPT)) == CL_OK)
		cl_page_send(req, 200, &page);
	else
		cl_page_error(req, 500, NULL);
	bson_destroy(&doc);
	cl_buf_free(&page);
}

void
cl_page_receipt_file(cl_svc *app, cl_http_req *req, const char *token,
    const char *file)
{
	int is_receipt = strcmp(file, "receipt.txt") == 0;
	const char *body, *ref;
	cl_buf h = CL_BUF_INIT;
	bson_t doc;

	if (cl_page_lookup(app, req, token, &doc) != CL_OK)
		return;
	/* receipt.txt holds no personal data and is the requester's proof. */
	if (!is_receipt && expired(app, &doc)) {
		bson_destroy(&doc);
		cl_page_error(req, 410,
		    "The private link to this request's "
		    "confirmation page and its copy of the answers has expired.");
		return;
	}
	body = doc_str(&doc, is_receipt ? CL_DOC_RECEIPT : CL_DOC_COPY_JSON);
	ref = doc_str(&doc, CL_DOC_REFERENCE);
	if (!cl_reference_valid(
		ref)) /* only a well-formed reference in a header */
		ref = "callin";
	cl_buf_printf(&h,
	    "Content-Disposition: attachment; filename=\"%s-%s\"\r\n"
	    "Cache-Control: private, no-store\r\n",
	    ref, file);
	(void)cl_http_send(req, 200,
	    is_receipt ? "text/plain; charset=utf-8" : "application/json",
	    h.data, body, strlen(body));
	bson_destroy(&doc);
	cl_buf_free(&h);
}

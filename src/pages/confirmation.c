/*
 * confirmation.c: GET /receipt/{token} — the confirmation page: reference,
 * time received, what happens next, and the signed receipt explained.
 * receipt_link_days after the request was received, the page and copy.json
 * answer 410 "this link has expired"; receipt.txt keeps working.
 */
#include <stdio.h>
#include <string.h>

#include "callin/clock.h"
#include "callin/log.h"
#include "callin/page.h"
#include "callin/reference.h"
#include "callin/reqdoc.h"
#include "callin/tmpl.h"

static const char confirmation_html[] =
	"<div class=\"govuk-panel govuk-panel--confirmation\">\n"
	"<h1 class=\"govuk-panel__title\">Request sent</h1>\n"
	"<div class=\"govuk-panel__body\">Your reference number<br><strong id=\"reference\">{{reference}}</strong></div>\n"
	"</div>\n"
	"<p class=\"govuk-body\">We received your request on <time id=\"received\" datetime=\"{{received}}\">{{received_text}}</time>.</p>\n"
	"<p class=\"govuk-body\" id=\"email-note\">We are sending a confirmation to the email address you gave, with your receipt attached. It should arrive within a few minutes. "
	"It has a link to confirm that the address is yours: once you confirm, we also email you a copy of your answers and this page's address.</p>\n"
	"<h2 class=\"govuk-heading-m\">What happens next</h2>\n"
	"<p class=\"govuk-body\">The Department of Health and Social Care will consider your request. "
	"It may contact the NHS commissioning body and others involved, and may ask the Independent "
	"Reconfiguration Panel for advice. There is no set time for a decision: it can take several months.</p>\n"
	"<p class=\"govuk-body\">Quote your reference number {{reference}} if you contact us about this request.</p>\n"
	"<h2 class=\"govuk-heading-m\">Your signed receipt</h2>\n"
	"<p class=\"govuk-body\">Your receipt proves that we received your request at this time and exactly what it said. "
	"It is signed by the service with a published key, so you or anyone else can check it later without having to trust us.</p>\n"
	"<p class=\"govuk-body\">Keep both files safe:</p>\n"
	"<ul class=\"govuk-list govuk-list--bullet\">\n"
	"<li><a class=\"govuk-link\" href=\"/receipt/{{token}}/receipt.txt\" download>Download your receipt (receipt.txt)</a>: "
	"it contains no personal details, so you can share or publish it</li>\n"
	"<li><a class=\"govuk-link\" href=\"/receipt/{{token}}/copy.json\" download>Download a copy of your request (copy.json)</a>: "
	"every answer you gave and a fingerprint of each file; the receipt fingerprints this copy</li>\n"
	"</ul>\n"
	"<p class=\"govuk-body\">To check a receipt, use <a class=\"govuk-link\" href=\"/verify\">check a receipt</a>, "
	"our free <code>callin-verify</code> tool, or the <code>openssl</code> commands in the service's documentation.</p>\n"
	"<details class=\"govuk-details\">\n"
	"<summary class=\"govuk-details__summary\"><span class=\"govuk-details__summary-text\">Show the receipt</span></summary>\n"
	"<div class=\"govuk-details__text\"><pre id=\"receipt-text\">{{receipt}}</pre></div>\n"
	"</details>\n"
	"<p class=\"govuk-body\">This page's address is private to you: keep it if you want to download the files again.</p>\n";

/* The string at key of doc, or "" when absent. */
#define doc_str(doc, key)	cl_reqdoc_str((doc), (key), "", NULL)

/*
 * Look up the request with token for a page (a honeypot's decoy token
 * stands for its decoy, after the same store lookup); on failure the error
 * page has been sent and CL_ENOTFOUND or CL_EUNAVAIL is returned.
 */
cl_err
cl_page_lookup(cl_app *app, cl_http_req *req, const char *token, bson_t *doc)
{
	cl_err rc = cl_store_get(app->store, CL_KEY_TOKEN, token, doc);

	if (rc == CL_ENOTFOUND)
		rc = cl_decoy_find(app, token, doc);
	if (rc == CL_ENOTFOUND)
		cl_page_error(req, 404, NULL);
	else if (rc != CL_OK) {
		cl_log(CL_LOG_ERROR, "confirmation: store: %s", cl_strerror(rc));
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
expired(const cl_app *app, const bson_t *doc)
{
	int64_t ms = cl_reqdoc_int(doc, CL_DOC_RECEIVED_MS, -1);

	if (ms < 0)
		return 1;
	return cl_now_ms() - ms > app->cfg->receipt_link_days * 86400000;
}

void
cl_page_confirmation(cl_app *app, cl_http_req *req, const char *token)
{
	cl_buf content = CL_BUF_INIT, page = CL_BUF_INIT;
	char when[64];
	bson_t doc;

	if (cl_page_lookup(app, req, token, &doc) != CL_OK)
		return;
	if (expired(app, &doc)) {
		bson_destroy(&doc);
		cl_page_error(req, 410, "The private link to this request's "
		    "confirmation page and its copy of the answers has expired.");
		return;
	}
	cl_page_time(doc_str(&doc, CL_DOC_RECEIVED), when, sizeof when);
	cl_tmpl_var vars[] = {
		{ "reference", doc_str(&doc, CL_DOC_REFERENCE) },
		{ "received", doc_str(&doc, CL_DOC_RECEIVED) },
		{ "received_text", when },
		{ "token", token },
		{ "receipt", doc_str(&doc, CL_DOC_RECEIPT) },
		{ NULL, NULL },
	};
	(void)cl_tmpl_render(&content, confirmation_html, vars);
	cl_page_render(&page, "Request sent", 0, NULL, cl_buf_str(&content));
	cl_page_send(req, 200, &page);
	bson_destroy(&doc);
	cl_buf_free(&content);
	cl_buf_free(&page);
}

void
cl_page_receipt_file(cl_app *app, cl_http_req *req, const char *token, const char *file)
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
		cl_page_error(req, 410, "The private link to this request's "
		    "confirmation page and its copy of the answers has expired.");
		return;
	}
	body = doc_str(&doc, is_receipt ? CL_DOC_RECEIPT : CL_DOC_COPY_JSON);
	ref = doc_str(&doc, CL_DOC_REFERENCE);
	if (!cl_reference_valid(ref))	/* only a well-formed reference in a header */
		ref = "callin";
	cl_buf_printf(&h, "Content-Disposition: attachment; filename=\"%s-%s\"\r\n"
	    "Cache-Control: private, no-store\r\n", ref, file);
	(void)cl_http_send(req, 200, is_receipt ? "text/plain; charset=utf-8" :
	    "application/json", h.data, body, strlen(body));
	bson_destroy(&doc);
	cl_buf_free(&h);
}

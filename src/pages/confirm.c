/*
 * confirm.c: GET and POST /confirm/{reference}/{code} — the link in the
 * requester's first email.  The GET shows a button and changes nothing (a
 * mail scanner that follows links confirms nothing); the POST confirms the
 * address (cl_intake_confirm), which sends the copy and the private link.
 * No page here shows anything of the request but its reference.
 */
#include <stdio.h>
#include <string.h>

#include "callin/clock.h"
#include "callin/intake.h"
#include "callin/log.h"
#include "callin/page.h"
#include "callin/tmpl.h"

static const char pending_html[] =
	"<h1 class=\"govuk-heading-l\">Confirm your email address</h1>\n"
	"<p class=\"govuk-body\">Reference number <strong id=\"reference\">{{reference}}</strong></p>\n"
	"<p class=\"govuk-body\">Confirm that the email address you gave with this request is yours. "
	"We will then email you a copy of your answers (copy.json) and the private link to your "
	"confirmation page.</p>\n"
	"<form method=\"post\" action=\"/confirm/{{reference}}/{{code}}\" novalidate>\n"
	"<button type=\"submit\" class=\"govuk-button\" data-module=\"govuk-button\" id=\"confirm\">"
	"Confirm my email address</button>\n"
	"</form>\n"
	"<p class=\"govuk-body\">If you did not make this request, you do not need to do anything: "
	"nothing more will be sent to you.</p>\n";

static const char done_html[] =
	"<div class=\"govuk-panel govuk-panel--confirmation\">\n"
	"<h1 class=\"govuk-panel__title\">Email address confirmed</h1>\n"
	"<div class=\"govuk-panel__body\">Reference number<br><strong id=\"reference\">{{reference}}</strong></div>\n"
	"</div>\n"
	"<p class=\"govuk-body\" data-outcome=\"confirmed\">We are emailing you a copy of your answers "
	"(copy.json) and the private link to your confirmation page. It should arrive within a few "
	"minutes.</p>\n";

static const char already_html[] =
	"<h1 class=\"govuk-heading-l\">Your email address is already confirmed</h1>\n"
	"<p class=\"govuk-body\">Reference number <strong id=\"reference\">{{reference}}</strong></p>\n"
	"<p class=\"govuk-body\" data-outcome=\"already-confirmed\">We emailed you a copy of your "
	"answers and the private link to your confirmation page when you confirmed. If it has not "
	"arrived, check your spam or junk folder.</p>\n";

/* Render the template html for reference and code and send it with 200. */
static void
send_outcome(cl_http_req *req, const char *title, const char *html,
    const char *reference, const char *code)
{
	cl_buf content = CL_BUF_INIT, page = CL_BUF_INIT;
	cl_tmpl_var vars[] = {
		{ "reference", reference },
		{ "code", code },
		{ NULL, NULL },
	};

	if (cl_tmpl_render(&content, html, vars) != CL_OK)
		cl_page_error(req, 500, NULL);
	else {
		cl_page_render(&page, title, 0, NULL, cl_buf_str(&content));
		cl_page_send(req, 200, &page);
	}
	cl_buf_free(&content);
	cl_buf_free(&page);
}

void
cl_page_confirm_address(cl_svc *app, cl_http_req *req, const char *reference,
    const char *code, int post)
{
	cl_confirm_outcome out;

	if (cl_intake_confirm(app, reference, code, post, cl_now_ms(), &out) !=
	    CL_OK) {
		cl_page_error(req, 503, NULL);
		return;
	}
	switch (out) {
	case CL_CONFIRM_PENDING:
		send_outcome(req, "Confirm your email address", pending_html,
		    reference, code);
		break;
	case CL_CONFIRM_DONE:
		send_outcome(req, "Email address confirmed", done_html,
		    reference, code);
		break;
	case CL_CONFIRM_ALREADY:
		send_outcome(req, "Your email address is already confirmed",
		    already_html, reference, code);
		break;
	case CL_CONFIRM_EXPIRED:
		cl_page_error(req, 410, "The link to confirm your email address "
		    "has expired, so we will not send you a copy of your answers "
		    "by email.");
		break;
	default:
		cl_page_error(req, 404, NULL);
		break;
	}
}

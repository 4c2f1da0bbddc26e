/*
 * confirm.c: GET and POST /confirm/{reference}/{code} — the link in the
 * requester's first email.  The GET shows a button and changes nothing (a
 * mail scanner that follows links confirms nothing); the POST confirms the
 * address (cl_intake_confirm), which sends the copy and the private link.
 * No page here shows anything of the request but its reference.
 */

#include "callin/clock.h"
#include "callin/intake.h"
#include "callin/page.h"
#include "callin/tmpl.h"

cl_err
cl_page_confirm_html(cl_buf *out, cl_confirm_outcome outcome,
    const char *reference, const char *code)
{
	static const struct {
		const char *tmpl, *title;
	} pages[] = {
		[CL_CONFIRM_PENDING] = { "confirm_pending",
		    "Confirm your email address" },
		[CL_CONFIRM_DONE] = { "confirm_done",
		    "Email address confirmed" },
		[CL_CONFIRM_ALREADY] = { "confirm_already",
		    "Your email address is already confirmed" },
	};
	cl_tmpl *d;
	cl_err rc;

	if ((size_t)outcome >= sizeof pages / sizeof pages[0] ||
	    pages[outcome].tmpl == NULL)
		return CL_EINVAL;
	d = cl_tmpl_new();
	cl_tmpl_set(d, "reference", reference);
	cl_tmpl_set(d, "code", code);
	rc = cl_page_build(out, pages[outcome].tmpl, pages[outcome].title, 0,
	    d);
	cl_tmpl_free(d);
	return rc;
}

/* Send the page of outcome with 200; the 500 page when it cannot be made. */
static void
send_outcome(cl_http_req *req, cl_confirm_outcome outcome,
    const char *reference, const char *code)
{
	cl_buf page = CL_BUF_INIT;

	if (cl_page_confirm_html(&page, outcome, reference, code) == CL_OK)
		cl_page_send(req, 200, &page);
	else
		cl_page_error(req, 500, NULL);
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
	case CL_CONFIRM_DONE:
	case CL_CONFIRM_ALREADY: send_outcome(req, out, reference, code); break;
	case CL_CONFIRM_EXPIRED:
		cl_page_error(req, 410,
		    "The link to confirm your email address "
		    "has expired, so we will not send you a copy of your answers "
		    "by email.");
		break;
	default: cl_page_error(req, 404, NULL); break;
	}
}

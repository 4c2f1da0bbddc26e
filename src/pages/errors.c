/*
 * errors.c: the styled error pages, one table entry per status, and the
 * 429 page of the per-email limit.
 */
#include <stdint.h>
#include <string.h>

#include "callin/log.h"
#include "callin/page.h"

struct error_page {
	int		 status;
	const char	*title;
	const char	*body;	/* HTML, no user input */
};

static const struct error_page pages[] = {
	{ 400, "Sorry, we could not read what was sent",
	  "<p class=\"govuk-body\">The information sent to us was incomplete or not in a form we could read.</p>" },
	{ 403, "Your form has expired or could not be checked",
	  "<p class=\"govuk-body\">For your security, forms can only be sent from this website and expire after a day.</p>" },
	{ 404, "Page not found",
	  "<p class=\"govuk-body\">If you typed the web address, check it is correct.</p>"
	  "<p class=\"govuk-body\">If you pasted the web address, check you copied the entire address.</p>" },
	{ 405, "This page cannot be used like that",
	  "<p class=\"govuk-body\">The page exists, but not for this kind of request.</p>" },
	{ 409, "This form has already been sent",
	  "<p class=\"govuk-body\">A request was sent with this form before, with different answers. "
	  "Each form can be sent once, so we have not kept what you sent now.</p>"
	  "<p class=\"govuk-body\">If you copied the form from another website, fill in a "
	  "fresh form on this one instead.</p>" },
	{ 410, "This link has expired",
	  "<p class=\"govuk-body\">Links we send only work for a limited time after the request was sent, "
	  "and that time has passed.</p>"
	  "<p class=\"govuk-body\">We still have the request. The receipt we sent you can still be "
	  "<a class=\"govuk-link\" href=\"/verify\">checked</a>; quote its reference number if you contact us.</p>" },
	{ 413, "What you sent is too large",
	  "<p class=\"govuk-body\">Each file must be 10MB or smaller, and all files together 25MB or smaller.</p>" },
	{ 429, "Too many requests",
	  "<p class=\"govuk-body\">Too many requests have been sent to this service in a short time, "
	  "from your connection or from everyone together. Wait a minute, then try again.</p>" },
	{ 500, "Sorry, there is a problem with the service",
	  "<p class=\"govuk-body\">Try again later.</p>" },
	{ 503, "Sorry, the service is unavailable",
	  "<p class=\"govuk-body\">We cannot save requests at the moment. Try again in a few minutes.</p>" },
};

/*
 * The per-email limit's 429 (the table's 429 is nginx's rate limits, per
 * client and global).  The page says the request was not submitted, as for any failed
 * POST /request, then the limit and when to try again (added by
 * cl_page_email_limit), then this.
 */
static const struct error_page email_limit = {
	429, "You cannot send more requests from this email address for now",
	"<p class=\"govuk-body\">Requests you sent before are not affected: we have them, "
	"and you do not need to send them again.</p>"
	"<p class=\"govuk-body\">If you cannot wait, contact the Department of Health and "
	"Social Care another way, for example by post, and give the reference numbers "
	"of the requests you have already sent.</p>"
};

/* Send html with status and extra header lines (may be NULL). */
static void
send_page(cl_http_req *req, int status, const cl_buf *html, const char *extra)
{
	cl_buf h = CL_BUF_INIT;

	cl_buf_puts(&h, "Cache-Control: no-store\r\n");
	if (status == 503)
		cl_buf_puts(&h, "Retry-After: 60\r\n");
	if (extra != NULL)
		cl_buf_puts(&h, extra);
	if (cl_http_send(req, status, "text/html; charset=utf-8", h.data,
	    cl_buf_str(html), html->len) != CL_OK)
		cl_log(CL_LOG_INFO, "client went away before the response was sent");
	cl_buf_free(&h);
}

void
cl_page_send(cl_http_req *req, int status, const cl_buf *html)
{
	send_page(req, status, html, NULL);
}

/* The table's entry for status; that of 500 when it has none.  Cannot fail. */
static const struct error_page *
page_for(int status)
{
	for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++)
		if (pages[i].status == status)
			return &pages[i];
	return status == 500 ? &pages[0] : page_for(500);
}

/*
 * Send the error page e, with detail (plain text, may be NULL) and then
 * html (may be NULL) above its body, and extra header lines (may be NULL).
 * Cannot fail.
 */
static void
error_page(cl_http_req *req, const struct error_page *e, const char *detail,
    const char *html, const char *extra)
{
	cl_buf body = CL_BUF_INIT, page = CL_BUF_INIT;
	const char *orig = cl_http_param(req, "ORIGINAL_URI");
	/* A failed POST /request, answered here or by nginx via /_error/. */
	int submit = (strcmp(req->method, "POST") == 0 &&
	    strcmp(req->path, "/request") == 0) ||
	    (strncmp(req->path, "/_error/", 8) == 0 &&
	    strncmp(orig, "/request", 8) == 0 && (orig[8] == '\0' || orig[8] == '?'));

	cl_buf_puts(&body, "<h1 class=\"govuk-heading-l\">");
	cl_buf_html(&body, e->title);
	cl_buf_puts(&body, "</h1>\n");
	if (submit)
		cl_buf_puts(&body, "<div class=\"govuk-warning-text\" data-outcome=\"not-submitted\">"
		    "<span class=\"govuk-warning-text__icon\" aria-hidden=\"true\">!</span>"
		    "<strong class=\"govuk-warning-text__text\">"
		    "<span class=\"govuk-visually-hidden\">Warning</span>"
		    "Your request has not been submitted. Nothing you entered has been kept.</strong></div>\n");
	if (detail != NULL) {
		cl_buf_puts(&body, "<p class=\"govuk-body\">");
		cl_buf_html(&body, detail);
		cl_buf_puts(&body, "</p>\n");
	}
	if (html != NULL)
		cl_buf_puts(&body, html);
	cl_buf_puts(&body, e->body);
	/* Sending the form again cannot help with the per-email limit. */
	if (submit && e != &email_limit)
		cl_buf_puts(&body, "\n<p class=\"govuk-body\"><a class=\"govuk-link\" href=\"/request\">"
		    "Go back to the form and send your request again</a>.</p>");
	else
		cl_buf_puts(&body, "\n<p class=\"govuk-body\"><a class=\"govuk-link\" href=\"/\">"
		    "Go to the start page</a>.</p>");
	cl_page_render(&page, e->title, 0, NULL, cl_buf_str(&body));
	send_page(req, e->status, &page, extra);
	cl_buf_free(&body);
	cl_buf_free(&page);
}

void
cl_page_error(cl_http_req *req, int status, const char *detail)
{
	error_page(req, page_for(status), detail, NULL, NULL);
}

/*
 * Append the duration of s seconds (> 0) in words: whole days when more
 * than one, else hours, minutes or seconds ("24 hours", "7 days", "90
 * minutes").  Cannot fail.
 */
static void
duration(cl_buf *out, int64_t s)
{
	static const struct { int64_t unit; const char *name; } units[] = {
		{ 86400, "day" }, { 3600, "hour" }, { 60, "minute" }, { 1, "second" },
	};
	size_t i = 0;

	if (s <= 86400)
		i = 1;
	while (s % units[i].unit != 0)
		i++;
	cl_buf_printf(out, "%lld %s%s", (long long)(s / units[i].unit), units[i].name,
	    s == units[i].unit ? "" : "s");
}

void
cl_page_email_limit(cl_http_req *req, int64_t max, int64_t window)
{
	cl_buf before = CL_BUF_INIT;

	cl_buf_printf(&before, "<p class=\"govuk-body\">This email address has already sent "
	    "the maximum number of requests we accept from one address for now: %lld in ",
	    (long long)max);
	duration(&before, window);
	cl_buf_puts(&before, ".</p>\n<p class=\"govuk-body\">");
	if (window == 86400)
		cl_buf_puts(&before, "Try again tomorrow.");
	else {
		cl_buf_puts(&before, "Try again in ");
		duration(&before, window);
		cl_buf_puts(&before, ".");
	}
	cl_buf_puts(&before, "</p>\n");
	error_page(req, &email_limit, NULL, cl_buf_str(&before), NULL);
	cl_buf_free(&before);
}

void
cl_page_method_not_allowed(cl_http_req *req, const char *allow)
{
	cl_buf h = CL_BUF_INIT;

	cl_buf_printf(&h, "Allow: %s\r\n", allow);
	error_page(req, page_for(405), NULL, NULL, h.data);
	cl_buf_free(&h);
}

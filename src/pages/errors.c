/*
 * errors.c: the styled error pages, one table entry (title, template) per
 * status, and the 429 page of the per-email limit.
 */
#include <stdint.h>
#include <string.h>

#include "callin/attach.h"
#include "callin/config.h"
#include "callin/log.h"
#include "callin/page.h"
#include "callin/tmpl.h"

struct error_page {
	int status;
	const char *title;
	const char *tmpl; /* templates/<tmpl>.html */
};

static const struct error_page pages[] = {
	{ 400, "Sorry, we could not read what was sent", "error_400" },
	{ 403, "Your form has expired or could not be checked", "error_403" },
	{ 404, "Page not found", "error_404" },
	{ 405, "This page cannot be used like that", "error_405" },
	{ 409, "This form has already been sent", "error_409" },
	{ 410, "This link has expired", "error_410" },
	{ 413, "What you sent is too large", "error_413" },
	{ 429, "Too many requests", "error_429" },
	{ 500, "Sorry, there is a problem with the service", "error_500" },
	{ 503, "Sorry, the service is unavailable", "error_503" },
};

/*
 * The per-email limit's 429 (the table's 429 is nginx's rate limits, per
 * client and global).  The page says the request was not submitted, as for
 * any failed POST /request, then the limit and when to try again.
 */
static const struct error_page email_limit = { 429,
	"You cannot send more requests from this email address for now",
	"email_limit" };

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
		cl_log(CL_LOG_INFO,
		    "client went away before the response was sent");
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
 * Whether req is a failed POST /request, answered here or by nginx via
 * /_error/.  Cannot fail.
 */
static int
is_submit(cl_http_req *req)
{
	const char *orig = cl_http_param(req, "ORIGINAL_URI");

	return (strcmp(req->method, "POST") == 0 &&
		   strcmp(req->path, "/request") == 0) ||
	    (strncmp(req->path, "/_error/", 8) == 0 &&
		strncmp(orig, "/request", 8) == 0 &&
		(orig[8] == '\0' || orig[8] == '?'));
}

/*
 * Render the error page e into out with d (which gets the page's common
 * values): the warning when submit, detail (plain text, may be NULL).
 * CL_EINVAL (logged) when its template fails.
 */
static cl_err
error_html(cl_buf *out, const struct error_page *e, int submit,
    const char *detail, cl_tmpl *d)
{
	cl_tmpl_flag(d, "submit", submit);
	cl_tmpl_set(d, "detail", detail);
	/* Sending the form again cannot help with the per-email limit. */
	cl_tmpl_flag(d, "again", submit && e != &email_limit);
	return cl_page_build(out, e->tmpl, e->title, 0, d);
}

/*
 * Send the page in html with e's status, or when it could not be made
 * (rc) a plain 500: the templates failed, so no page can be trusted.
 * Cannot fail.
 */
static void
send_error(cl_http_req *req, const struct error_page *e, cl_err rc,
    const cl_buf *html, const char *extra)
{
	static const char plain[] =
	    "Sorry, there is a problem with the service.\n";

	if (rc == CL_OK) {
		send_page(req, e->status, html, extra);
		return;
	}
	if (cl_http_send(req, 500, "text/plain; charset=utf-8",
		"Cache-Control: no-store\r\n", plain,
		sizeof plain - 1) != CL_OK)
		cl_log(CL_LOG_INFO,
		    "client went away before the response was sent");
}

cl_err
cl_page_error_html(cl_buf *out, const cl_config *cfg, int status, int submit,
    const char *detail)
{
	const struct error_page *e = page_for(status);
	cl_tmpl *d = cl_tmpl_new();
	cl_buf size = CL_BUF_INIT;
	cl_err rc;

	cl_tmpl_flag(d, "limits", cfg != NULL);
	if (cfg != NULL) {
		cl_attach_size(&size, cfg->max_file_bytes);
		cl_tmpl_set(d, "max_file", cl_buf_str(&size));
		cl_buf_reset(&size);
		cl_attach_size(&size, cfg->max_total_bytes);
		cl_tmpl_set(d, "max_total", cl_buf_str(&size));
		cl_tmpl_flag(d, "together",
		    cfg->max_files > 1 &&
			cfg->max_total_bytes <
			    cfg->max_files * cfg->max_file_bytes);
	}
	rc = error_html(out, e, submit, detail, d);
	cl_tmpl_free(d);
	cl_buf_free(&size);
	return rc;
}

void
cl_page_error_for(const cl_svc *app, cl_http_req *req, int status,
    const char *detail)
{
	cl_buf page = CL_BUF_INIT;
	cl_err rc;

	rc = cl_page_error_html(&page, app ? app->cfg : NULL, status,
	    is_submit(req), detail);
	send_error(req, page_for(status), rc, &page, NULL);
	cl_buf_free(&page);
}

void
cl_page_error(cl_http_req *req, int status, const char *detail)
{
	cl_page_error_for(NULL, req, status, detail);
}

/*
 * Append the duration of s seconds (> 0) in words: whole days when more
 * than one, else hours, minutes or seconds ("24 hours", "7 days", "90
 * minutes").  Cannot fail.
 */
static void
duration(cl_buf *out, int64_t s)
{
	static const struct {
		int64_t unit;
		const char *name;
	} units[] = {
		{ 86400, "day" },
		{ 3600, "hour" },
		{ 60, "minute" },
		{ 1, "second" },
	};
	size_t i = 0;

	if (s <= 86400)
		i = 1;
	while (s % units[i].unit != 0)
		i++;
	cl_buf_printf(out, "%lld %s%s", (long long)(s / units[i].unit),
	    units[i].name, s == units[i].unit ? "" : "s");
}

cl_err
cl_page_email_limit_html(cl_buf *out, int64_t max, int64_t window)
{
	cl_tmpl *d = cl_tmpl_new();
	cl_buf w = CL_BUF_INIT;
	cl_err rc;

	duration(&w, window);
	cl_tmpl_setf(d, "max", "%lld", (long long)max);
	cl_tmpl_set(d, "window", cl_buf_str(&w));
	cl_tmpl_flag(d, "tomorrow", window == 86400);
	rc = error_html(out, &email_limit, 1, NULL, d);
	cl_tmpl_free(d);
	cl_buf_free(&w);
	return rc;
}

void
cl_page_email_limit(cl_http_req *req, int64_t max, int64_t window)
{
	cl_buf page = CL_BUF_INIT;
	cl_err rc;

	rc = cl_page_email_limit_html(&page, max, window);
	send_error(req, &email_limit, rc, &page, NULL);
	cl_buf_free(&page);
}

void
cl_page_method_not_allowed(cl_http_req *req, const char *allow)
{
	cl_buf h = CL_BUF_INIT, page = CL_BUF_INIT;
	cl_err rc;

	cl_buf_printf(&h, "Allow: %s\r\n", allow);
	rc = cl_page_error_html(&page, NULL, 405, is_submit(req), NULL);
	send_error(req, page_for(405), rc, &page, h.data);
	cl_buf_free(&h);
	cl_buf_free(&page);
}

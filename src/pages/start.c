/* start.c: GET / — what a call-in request is, who may make one, Start now. */
#include "callin/config.h"
#include "callin/page.h"
#include "callin/tmpl.h"

cl_err
cl_page_start_html(const cl_svc *app, cl_buf *out)
{
	cl_tmpl *d = cl_tmpl_new();
	int64_t n = app->cfg->max_files;
	cl_err rc;

	cl_tmpl_flag(d, "attach", n > 0);
	cl_tmpl_setf(d, "max_files", "%lld file%s", (long long)n,
	    n == 1 ? "" : "s");
	rc = cl_page_build(out, "start",
	    "Ask for an NHS change to be called in", 0, d);
	cl_tmpl_free(d);
	return rc;
}

void
cl_page_start(cl_svc *app, cl_http_req *req)
{
	cl_buf page = CL_BUF_INIT;

	if (cl_page_start_html(app, &page) == CL_OK)
		cl_page_send(req, 200, &page);
	else
		cl_page_error(req, 500, NULL);
	cl_buf_free(&page);
}

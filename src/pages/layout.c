/*
 * layout.c: the data of the GOV.UK page template around every page (the
 * partials templates/head.html, header.html and footer.html: head, skip
 * link, header with the service name, main column, footer; markup generated
 * from GOV.UK Frontend's template.njk, the version in package.json), and
 * times in words.
 */
#include <stdio.h>

#include "callin/page.h"
#include "callin/tmpl.h"

cl_err
cl_page_build(cl_buf *out, const char *tmpl, const char *title, int has_error,
    cl_tmpl *d)
{
	cl_tmpl_set(d, "title", title);
	cl_tmpl_flag(d, "has_error", has_error);
	return cl_tmpl_render(out, tmpl, d);
}

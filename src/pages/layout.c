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

void
cl_page_time(const char *iso, char *out, size_t n)
{
	static const char *const months[] = { "January", "February", "March",
	    "April", "May", "June", "July", "August", "September", "October",
	    "November", "December" };
	int y, mo, d, h, mi, s;

	if (sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2dZ", &y, &mo, &d, &h, &mi, &s) == 6 &&
	    mo >= 1 && mo <= 12)
		snprintf(out, n, "%d %s %d at %02d:%02d:%02d UTC", d, months[mo - 1], y, h, mi, s);
	else
		snprintf(out, n, "%s", iso);
}

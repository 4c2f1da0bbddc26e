/* tmpl.c: {{escaped}} and {{{raw}}} substitution into HTML templates. */
#include <string.h>

#include "callin/log.h"
#include "callin/tmpl.h"

static const char *
lookup(const cl_tmpl_var *vars, const char *name, size_t n, int *found)
{
	for (; vars->name != NULL; vars++)
		if (strlen(vars->name) == n && memcmp(vars->name, name, n) == 0) {
			*found = 1;
			return vars->value ? vars->value : "";
		}
	*found = 0;
	return "";
}

cl_err
cl_tmpl_render(cl_buf *out, const char *tmpl, const cl_tmpl_var *vars)
{
	const char *p = tmpl, *open;
	cl_err rc = CL_OK;

	while ((open = strstr(p, "{{")) != NULL) {
		int raw = open[2] == '{', found;
		const char *name = open + (raw ? 3 : 2);
		const char *close = strstr(name, raw ? "}}}" : "}}");
		const char *v;

		if (close == NULL)
			break;
		cl_buf_add(out, p, (size_t)(open - p));
		v = lookup(vars, name, (size_t)(close - name), &found);
		if (!found) {
			cl_log(CL_LOG_ERROR, "template: no variable %.*s",
			    (int)(close - name), name);
			rc = CL_EINVAL;
		}
		if (raw)
			cl_buf_puts(out, v);
		else
			cl_buf_html(out, v);
		p = close + (raw ? 3 : 2);
	}
	cl_buf_puts(out, p);
	return rc;
}

/*
 * tmpl.h: HTML templates that escape by default.  In a template, {{name}} is
 * replaced by the variable's value HTML-escaped; {{{name}}} by the value as
 * is, for HTML that this program built itself (every user-supplied string in
 * it was escaped when it was built).
 */
#ifndef CALLIN_TMPL_H
#define CALLIN_TMPL_H

#include "callin/buf.h"
#include "callin/err.h"

typedef struct cl_tmpl_var {
	const char	*name;
	const char	*value;		/* NULL renders as "" */
} cl_tmpl_var;

/*
 * Append tmpl rendered with vars (an array ending with a { NULL, NULL }
 * entry) to out.  A name with no variable is a programming error: it renders
 * as "" and the function returns CL_EINVAL after rendering the rest, so tests
 * catch it.
 */
cl_err cl_tmpl_render(cl_buf *out, const char *tmpl, const cl_tmpl_var *vars);

#endif /* CALLIN_TMPL_H */

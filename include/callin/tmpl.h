/*
 * tmpl.h: HTML templates that escape by default, mustache-style and small.
 *
 * A page's C code builds data (a cl_tmpl: named strings, flags and lists of
 * records) and never markup; the markup is in the files src/pages/templates/NAME.html,
 * embedded into the program at build time (cmake/embed_templates.cmake).
 * In a template:
 *   {{name}}            the string name, HTML-escaped (& < > " ')
 *   {{{name}}}          the string name as it is: only for HTML a template
 *                       rendered, never for anything a user sent
 *   {{#name}}...{{/name}}  a list: the body once per record (a record's
 *                       names hide the enclosing ones); a flag or a string:
 *                       the body once when set or not empty
 *   {{^name}}...{{/name}}  the body once when name is an empty list, a
 *                       flag not set or an empty string
 *   {{>name}}           the template name (a partial), with the same data
 *   {{! text }}         nothing (a comment)
 * A name is looked up in the innermost record first, then outwards.  A tag
 * other than {{name}} and {{{name}}} alone on its line takes the whole line
 * with it (its newline too), so sections and partials can stand on lines of
 * their own without adding blank lines.
 */
#ifndef CALLIN_TMPL_H
#define CALLIN_TMPL_H

#include "callin/buf.h"
#include "callin/err.h"

typedef struct cl_tmpl cl_tmpl; /* a record of named values */

typedef struct cl_tmpl_file {
	const char *name; /* "form" for templates/form.html */
	const char *text;
} cl_tmpl_file;

/* The embedded templates, ending with a { NULL, NULL } entry. */
extern const cl_tmpl_file cl_tmpl_files[];

/* A new empty record (free it with cl_tmpl_free).  Cannot fail. */
cl_tmpl *cl_tmpl_new(void);

/* Free d and every record in its lists.  NULL is fine.  Cannot fail. */
void cl_tmpl_free(cl_tmpl *d);

/*
 * Set name in d to a copy of the string value (NULL is ""), to a
 * printf-formatted string, or to the flag on (0 or not).  A name set again
 * takes the new value.  Cannot fail.
 */
void cl_tmpl_set(cl_tmpl *d, const char *name, const char *value);
void cl_tmpl_setf(cl_tmpl *d, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void cl_tmpl_flag(cl_tmpl *d, const char *name, int on);

/*
 * Make name in d a list (empty when it was not one) and return it a new
 * record at its end, for the caller to fill; cl_tmpl_list() makes the list
 * only, so that an empty one is a value too.  The records belong to d.
 * Cannot fail.
 */
cl_tmpl *cl_tmpl_add(cl_tmpl *d, const char *name);
void cl_tmpl_list(cl_tmpl *d, const char *name);

/*
 * Append the embedded template name rendered with d to out.  CL_EINVAL,
 * logged with cl_log naming the template and the fault, for an unknown
 * template or partial, a name with no value (or a list or flag where a
 * string is wanted), a section not closed or closed by another name, a tag
 * not closed, or partials nested too deep; out then holds what was
 * rendered before the fault and must not be sent.
 */
cl_err cl_tmpl_render(cl_buf *out, const char *name, const cl_tmpl *d);

/*
 * As cl_tmpl_render() for the template text (called name in messages),
 * its partials looked up in files (ending with a { NULL, NULL } entry).
 */
cl_err cl_tmpl_render_text(cl_buf *out, const char *name, const char *text,
    const cl_tmpl *d, const cl_tmpl_file *files);

#endif /* CALLIN_TMPL_H */

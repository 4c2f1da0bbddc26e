/*
 * tmpl.c: the template engine of tmpl.h: the data records, and a renderer
 * that walks the template text, tag by tag, with a stack of records.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callin/alloc.h"
#include "callin/err.h"
#include "callin/log.h"
#include "callin/tmpl.h"

#define DEPTH_MAX 16 /* nested sections and partials */

enum kind { V_STR, V_FLAG, V_LIST };

struct value {
	char *name;
	enum kind kind;
	char *str;	 /* V_STR */
	int on;		 /* V_FLAG */
	cl_tmpl **items; /* V_LIST */
	size_t nitems, cap;
};

struct cl_tmpl {
	struct value *v;
	size_t n, cap;
};

cl_tmpl *
cl_tmpl_new(void)
{
	return cl_calloc(1, sizeof(cl_tmpl));
}

/* Free what value v holds, leaving its name.  Cannot fail. */
static void
value_clear(struct value *v)
{
	for (size_t i = 0; i < v->nitems; i++)
		cl_tmpl_free(v->items[i]);
	free(v->items);
	free(v->str);
	v->items = NULL;
	v->nitems = v->cap = 0;
	v->str = NULL;
}

void
cl_tmpl_free(cl_tmpl *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->n; i++) {
		value_clear(&d->v[i]);
		free(d->v[i].name);
	}
	free(d->v);
	free(d);
}

/* The value called name in d (a new empty one when none).  Cannot fail. */
static struct value *
slot(cl_tmpl *d, const char *name)
{
	CL_ASSERT(d != NULL && name != NULL);
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->v[i].name, name) == 0)
			return &d->v[i];
	if (d->n == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 8;
		d->v = cl_realloc(d->v, d->cap * sizeof d->v[0]);
	}
	memset(&d->v[d->n], 0, sizeof d->v[0]);
	d->v[d->n].name = cl_strdup(name);
	return &d->v[d->n++];
}

void
cl_tmpl_set(cl_tmpl *d, const char *name, const char *value)
{
	struct value *v = slot(d, name);
	char *s = cl_strdup(value ? value : ""); /* value may be v->str */

	value_clear(v);
	v->kind = V_STR;
	v->str = s;
}

void
cl_tmpl_setf(cl_tmpl *d, const char *name, const char *fmt, ...)
{
	cl_buf b = CL_BUF_INIT;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	CL_ASSERT(n >= 0);
	b.data = cl_malloc((size_t)n + 1);
	va_start(ap, fmt);
	(void)vsnprintf(b.data, (size_t)n + 1, fmt, ap);
	va_end(ap);
	cl_tmpl_set(d, name, b.data);
	free(b.data);
}

void
cl_tmpl_flag(cl_tmpl *d, const char *name, int on)
{
	struct value *v = slot(d, name);

	value_clear(v);
	v->kind = V_FLAG;
	v->on = on != 0;
}

void
cl_tmpl_list(cl_tmpl *d, const char *name)
{
	struct value *v = slot(d, name);

	if (v->kind != V_LIST) {
		value_clear(v);
		v->kind = V_LIST;
	}
}

cl_tmpl *
cl_tmpl_add(cl_tmpl *d, const char *name)
{
	struct value *v;

	cl_tmpl_list(d, name);
	v = slot(d, name);
	if (v->nitems == v->cap) {
		v->cap = v->cap ? 2 * v->cap : 8;
		v->items = cl_realloc(v->items, v->cap * sizeof v->items[0]);
	}
	return v->items[v->nitems++] = cl_tmpl_new();
}

/* ------------------------------------------------------------------ */
/* Rendering.                                                          */

/* One rendering: where it writes, the partials, and the record stack. */
struct render {
	cl_buf *out;
	const cl_tmpl_file *files;
	const cl_tmpl *stack[DEPTH_MAX + 1];
	size_t depth; /* records on the stack */
	size_t nest;  /* sections and partials open */
};

/* A template being rendered: its name and whole text, for messages. */
struct text {
	const char *name;
	const char *base;
};

/* One tag: {{...}}. */
struct tag {
	const char *open;  /* its "{{" */
	const char *after; /* just past its closing braces */
	char sigil;	   /* '#', '^', '/', '>', '!', '{' or 0 */
	const char *name;  /* trimmed */
	size_t len;
	const char *text_end; /* where the text before it ends */
	const char *resume;   /* where the text after it starts */
};

/* Log the fault msg (about the n bytes at what) in template t.  CL_EINVAL. */
static cl_err
fault(const struct text *t, const char *msg, const char *what, size_t n)
{
	cl_log(CL_LOG_ERROR, "template %s: %s%s%.*s", t->name, msg,
	    n ? " " : "", (int)n, what);
	return CL_EINVAL;
}

/*
 * Find the next tag in [p, end) of t into tg.  0 when there is none; -1
 * (logged) when one is not closed.  A standalone tag (not a variable, alone
 * on its line with blanks only) takes its line: text_end is the line's
 * start and resume the start of the next line.
 */
static int
next_tag(const struct text *t, const char *p, const char *end, struct tag *tg)
{
	const char *from = p, *close, *name, *ls, *le;
	size_t closelen;

	tg->open = NULL;
	for (; p + 1 < end; p++)
		if (p[0] == '{' && p[1] == '{') {
			tg->open = p;
			break;
		}
	if (tg->open == NULL)
		return 0;
	name = tg->open + 2;
	tg->sigil = name < end && strchr("#^/>!{", *name) != NULL ? *name : 0;
	if (tg->sigil)
		name++;
	closelen = tg->sigil == '{' ? 3 : 2;
	for (close = name; close + closelen <= end; close++)
		if (strncmp(close, "}}}", closelen) == 0)
			break;
	if (close + closelen > end) {
		fault(t, "tag not closed:", tg->open,
		    (size_t)(end - tg->open) > 40 ? 40 :
						    (size_t)(end - tg->open));
		return -1;
	}
	tg->after = close + closelen;
	while (name < close && (*name == ' ' || *name == '\t'))
		name++;
	while (close > name && (close[-1] == ' ' || close[-1] == '\t'))
		close--;
	tg->name = name;
	tg->len = (size_t)(close - name);
	tg->text_end = tg->open;
	tg->resume = tg->after;
	if (tg->sigil == 0 || tg->sigil == '{')
		return 1;
	for (ls = tg->open; ls > from && (ls[-1] == ' ' || ls[-1] == '\t');
	     ls--)
		;
	if (ls > t->base && ls[-1] != '\n')
		return 1;
	for (le = tg->after; *le == ' ' || *le == '\t'; le++)
		;
	if (*le != '\n' && *le != '\0')
		return 1;
	tg->text_end = ls;
	tg->resume = *le == '\n' ? le + 1 : le;
	return 1;
}

/* The value called name (n bytes), innermost record first, or NULL. */
static const struct value *
lookup(const struct render *r, const char *name, size_t n)
{
	for (size_t i = r->depth; i-- > 0;) {
		const cl_tmpl *d = r->stack[i];

		for (size_t j = 0; j < d->n; j++)
			if (strlen(d->v[j].name) == n &&
			    memcmp(d->v[j].name, name, n) == 0)
				return &d->v[j];
	}
	return NULL;
}

/* Whether v counts as set for a section.  Cannot fail. */
static int
truthy(const struct value *v)
{
	switch (v->kind) {
	case V_STR: return v->str[0] != '\0';
	case V_FLAG: return v->on;
	default: return v->nitems > 0;
	}
}

static cl_err render_span(struct render *, const struct text *, const char *,
    const char *);

/* Render the template file called name (n bytes) as a partial. */
static cl_err
partial(struct render *r, const struct text *t, const char *name, size_t n)
{
	struct text pt;
	char pname[64];
	cl_err rc;

	for (const cl_tmpl_file *f = r->files; f->name != NULL; f++)
		if (strlen(f->name) == n && memcmp(f->name, name, n) == 0) {
			if (r->nest == DEPTH_MAX)
				return fault(t, "partials nested too deep at",
				    name, n);
			snprintf(pname, sizeof pname, "%s", f->name);
			pt.name = pname;
			pt.base = f->text;
			r->nest++;
			rc = render_span(r, &pt, f->text,
			    f->text + strlen(f->text));
			r->nest--;
			return rc;
		}
	return fault(t, "no partial", name, n);
}

/*
 * Render the section opened by tg (its body runs from tg->resume to the
 * tag that closes it), and set *next past the closing tag.
 */
static cl_err
section(struct render *r, const struct text *t, const struct tag *tg,
    const char *end, const char **next)
{
	const struct value *v;
	const char *p = tg->resume;
	struct tag c;
	size_t open = 1;
	int found;
	cl_err rc = CL_OK;

	while ((found = next_tag(t, p, end, &c)) == 1) {
		if (c.sigil == '#' || c.sigil == '^')
			open++;
		else if (c.sigil == '/' && --open == 0)
			break;
		p = c.resume;
	}
	if (found != 1)
		return found < 0 ?
		    CL_EINVAL :
		    fault(t, "section not closed:", tg->name, tg->len);
	if (c.len != tg->len || memcmp(c.name, tg->name, c.len) != 0)
		return fault(t, "section closed by another name:", c.name,
		    c.len);
	*next = c.resume;
	if ((v = lookup(r, tg->name, tg->len)) == NULL)
		return fault(t, "no value", tg->name, tg->len);
	if (r->nest == DEPTH_MAX)
		return fault(t, "sections nested too deep at", tg->name,
		    tg->len);
	r->nest++;
	if (tg->sigil == '^') {
		if (!truthy(v))
			rc = render_span(r, t, tg->resume, c.text_end);
	} else if (v->kind != V_LIST) {
		if (truthy(v))
			rc = render_span(r, t, tg->resume, c.text_end);
	} else
		for (size_t i = 0; i < v->nitems && rc == CL_OK; i++) {
			r->stack[r->depth++] = v->items[i];
			rc = render_span(r, t, tg->resume, c.text_end);
			r->depth--;
		}
	r->nest--;
	return rc;
}

/* Render [p, end) of the template t.  CL_EINVAL (logged) on a fault. */
static cl_err
render_span(struct render *r, const struct text *t, const char *p,
    const char *end)
{
	const struct value *v;
	struct tag tg;
	int found;
	cl_err rc;

	while ((found = next_tag(t, p, end, &tg)) == 1) {
		cl_buf_add(r->out, p, (size_t)(tg.text_end - p));
		p = tg.resume;
		switch (tg.sigil) {
		case '!': break;
		case '/':
			return fault(t, "section closed but not open:", tg.name,
			    tg.len);
		case '>':
			if ((rc = partial(r, t, tg.name, tg.len)) != CL_OK)
				return rc;
			break;
		case '#':
		case '^':
			if ((rc = section(r, t, &tg, end, &p)) != CL_OK)
				return rc;
			break;
		default:
			if ((v = lookup(r, tg.name, tg.len)) == NULL)
				return fault(t, "no value", tg.name, tg.len);
			if (v->kind != V_STR)
				return fault(t, "not a string:", tg.name,
				    tg.len);
			if (tg.sigil == '{')
				cl_buf_puts(r->out, v->str);
			else
				cl_buf_html(r->out, v->str);
			break;
		}
	}
	if (found < 0)
		return CL_EINVAL;
	cl_buf_add(r->out, p, (size_t)(end - p));
	return CL_OK;
}

cl_err
cl_tmpl_render_text(cl_buf *out, const char *name, const char *text,
    const cl_tmpl *d, const cl_tmpl_file *files)
{
	struct render r = { .out = out, .files = files, .depth = 1 };
	struct text t = { name, text };

	CL_ASSERT(out != NULL && text != NULL && d != NULL && files != NULL);
	r.stack[0] = d;
	return render_span(&r, &t, text, text + strlen(text));
}

cl_err
cl_tmpl_render(cl_buf *out, const char *name, const cl_tmpl *d)
{
	for (const cl_tmpl_file *f = cl_tmpl_files; f->name != NULL; f++)
		if (strcmp(f->name, name) == 0)
			return cl_tmpl_render_text(out, name, f->text, d,
			    cl_tmpl_files);
	cl_log(CL_LOG_ERROR, "template %s: no such template", name);
	return CL_EINVAL;
}

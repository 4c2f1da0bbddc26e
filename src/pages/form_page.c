/*
 * form_page.c: GET /request and the re-rendered form after a rejected POST.
 * The form's data come from the field table (form.h), its GOV.UK Frontend
 * markup from templates/form.html and the component partials; answers are
 * written back escaped; each error appears in the error summary (linking to
 * its input) and inline above its input.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "callin/attach.h"
#include "callin/csrf.h"
#include "callin/form.h"
#include "callin/log.h"
#include "callin/page.h"
#include "callin/tmpl.h"

/* State of one rendering. */
struct render {
	const cl_answers *answers;  /* NULL on a fresh form */
	const cl_form_errors *errs; /* NULL when none */
};

/* The first answer called name, or "" (a fresh form has none). */
static const char *
answer(const struct render *r, const char *name)
{
	const char *v = r->answers ? cl_answers_get(r->answers, name) : NULL;

	return v ? v : "";
}

/*
 * Set in fd what every field's templates read: its name, label, hint,
 * kind (one flag per template), error and the ids its aria-describedby
 * lists (extra's first, e.g. "info" for name-info; "" for none).
 */
static void
field_common(const struct render *r, cl_tmpl *fd, const cl_field *f,
    const char *extra)
{
	const cl_form_error *e = r->errs ?
	    cl_form_error_find(r->errs, f->name) :
	    NULL;
	cl_buf ids = CL_BUF_INIT;

	cl_tmpl_set(fd, "name", f->name);
	cl_tmpl_set(fd, "label", f->label);
	cl_tmpl_set(fd, "hint", f->hint);
	cl_tmpl_flag(fd, "text",
	    f->kind == CL_KIND_TEXT || f->kind == CL_KIND_EMAIL ||
		f->kind == CL_KIND_TEL);
	cl_tmpl_flag(fd, "textarea", f->kind == CL_KIND_TEXTAREA);
	cl_tmpl_flag(fd, "choices",
	    f->kind == CL_KIND_RADIO || f->kind == CL_KIND_CHECKBOXES ||
		f->kind == CL_KIND_CHECKBOX);
	cl_tmpl_flag(fd, "select", f->kind == CL_KIND_SELECT);
	cl_tmpl_flag(fd, "date", f->kind == CL_KIND_DATE);
	cl_tmpl_flag(fd, "file", f->kind == CL_KIND_FILE);
	cl_tmpl_flag(fd, "error", e != NULL);
	cl_tmpl_set(fd, "message", e ? e->message : "");
	if (extra)
		cl_buf_printf(&ids, "%s-%s ", f->name, extra);
	if (f->hint)
		cl_buf_printf(&ids, "%s-hint ", f->name);
	if (e)
		cl_buf_printf(&ids, "%s-error", f->name);
	if (ids.len > 0 && ids.data[ids.len - 1] == ' ')
		ids.data[--ids.len] = '\0';
	cl_tmpl_set(fd, "describedby", cl_buf_str(&ids));
	cl_buf_free(&ids);
}

/* A one-line text, email or telephone input. */
static void
text_data(const struct render *r, cl_tmpl *fd, const cl_field *f)
{
	field_common(r, fd, f, NULL);
	cl_tmpl_set(fd, "type",
	    f->kind == CL_KIND_EMAIL   ? "email" :
		f->kind == CL_KIND_TEL ? "tel" :
					 "text");
	if (f->width)
		cl_tmpl_setf(fd, "width", "%u", f->width);
	else
		cl_tmpl_set(fd, "width", "");
	cl_tmpl_set(fd, "value", answer(r, f->name));
	cl_tmpl_set(fd, "autocomplete", f->autocomplete);
	cl_tmpl_flag(fd, "spellcheck_off", f->spellcheck_off);
}

/* A textarea with GOV.UK's character count. */
static void
textarea_data(const struct render *r, cl_tmpl *fd, const cl_field *f)
{
	field_common(r, fd, f, "info");
	cl_tmpl_setf(fd, "max_chars", "%zu", f->max_chars);
	cl_tmpl_set(fd, "value", answer(r, f->name));
}

/* Radios, checkboxes and the single declaration checkbox. */
static void
choices_data(const struct render *r, cl_field_id id, cl_tmpl *fd,
    const cl_field *f)
{
	char iid[CL_INPUT_ID_MAX];

	field_common(r, fd, f, NULL);
	cl_tmpl_set(fd, "cls",
	    f->kind == CL_KIND_RADIO ? "radios" : "checkboxes");
	cl_tmpl_set(fd, "input_type",
	    f->kind == CL_KIND_RADIO ? "radio" : "checkbox");
	cl_tmpl_flag(fd, "single", f->kind == CL_KIND_CHECKBOX);
	cl_tmpl_list(fd, "options");
	for (size_t i = 0; i < f->noptions; i++) {
		const cl_option *o = &f->options[i];
		cl_tmpl *od = cl_tmpl_add(fd, "options");

		cl_field_input_id(id, i, iid);
		cl_tmpl_set(od, "id", iid);
		cl_tmpl_set(od, "value", o->value);
		cl_tmpl_flag(od, "checked",
		    r->answers &&
			cl_answers_has(r->answers, f->name, o->value));
		cl_tmpl_set(od, "option_label", o->label);
		cl_tmpl_set(od, "item_hint", o->hint);
	}
}

/* A select, its options in runs of one option group. */
static void
select_data(const struct render *r, cl_tmpl *fd, const cl_field *f)
{
	const char *chosen = answer(r, f->name);
	cl_tmpl *gd = NULL;

	field_common(r, fd, f, NULL);
	cl_tmpl_list(fd, "groups");
	for (size_t i = 0; i < f->noptions; i++) {
		const cl_option *o = &f->options[i];
		const cl_option *prev = i > 0 ? &f->options[i - 1] : NULL;
		cl_tmpl *od;

		if (gd == NULL || (o->group == NULL) != (prev->group == NULL) ||
		    (o->group && strcmp(o->group, prev->group) != 0)) {
			gd = cl_tmpl_add(fd, "groups");
			cl_tmpl_set(gd, "group", o->group);
			cl_tmpl_list(gd, "options");
		}
		od = cl_tmpl_add(gd, "options");
		cl_tmpl_set(od, "value", o->value);
		cl_tmpl_flag(od, "selected", strcmp(chosen, o->value) == 0);
		cl_tmpl_set(od, "option_label", o->label);
	}
}

/* A GOV.UK date input: day, month, year. */
static void
date_data(const struct render *r, cl_field_id id, cl_tmpl *fd,
    const cl_field *f)
{
	static const char *const labels[CL_DATE__MAX] = { "Day", "Month",
		"Year" };
	const cl_form_error *e = r->errs ?
	    cl_form_error_find(r->errs, f->name) :
	    NULL;
	char iid[CL_INPUT_ID_MAX];

	field_common(r, fd, f, NULL);
	cl_tmpl_list(fd, "parts");
	for (int i = 0; i < CL_DATE__MAX; i++) {
		cl_tmpl *pd = cl_tmpl_add(fd, "parts");

		cl_field_input_id(id, (size_t)i, iid);
		cl_tmpl_set(pd, "id", iid);
		cl_tmpl_set(pd, "part_label", labels[i]);
		cl_tmpl_set(pd, "width", i == CL_DATE_YEAR ? "4" : "2");
		cl_tmpl_flag(pd, "bad",
		    e && (e->parts == 0 || (e->parts & (1u << i))));
		cl_tmpl_set(pd, "value", answer(r, iid));
	}
}

/* One field's record, by its kind. */
static void
field_data(const struct render *r, cl_field_id id, cl_tmpl *fd)
{
	const cl_field *f = cl_field_get(id);

	switch (f->kind) {
	case CL_KIND_TEXT:
	case CL_KIND_EMAIL:
	case CL_KIND_TEL: text_data(r, fd, f); break;
	case CL_KIND_TEXTAREA: textarea_data(r, fd, f); break;
	case CL_KIND_RADIO:
	case CL_KIND_CHECKBOXES:
	case CL_KIND_CHECKBOX: choices_data(r, id, fd, f); break;
	case CL_KIND_SELECT: select_data(r, fd, f); break;
	case CL_KIND_DATE: date_data(r, id, fd, f); break;
	case CL_KIND_FILE:
		field_common(r, fd, f, NULL);
		cl_tmpl_set(fd, "accept", cl_attach_accept());
		break;
	default: field_common(r, fd, f, NULL); break;
	}
}

cl_err
cl_form_page_render(const cl_svc *app, const cl_answers *answers,
    const cl_form_errors *errs, int files_dropped, const char *csrf_token,
    const char *idempotency_key, cl_buf *page)
{
	struct render r = { answers, errs };
	cl_tmpl *d = cl_tmpl_new(), *sd = NULL;
	int section = -1;
	cl_err rc;

	(void)app;
	cl_tmpl_list(d, "errors");
	for (size_t i = 0; errs != NULL && i < errs->n; i++) {
		cl_tmpl *ed = cl_tmpl_add(d, "errors");

		cl_tmpl_set(ed, "anchor", errs->v[i].anchor);
		cl_tmpl_set(ed, "message", errs->v[i].message);
	}
	cl_tmpl_flag(d, "files_dropped", files_dropped);
	cl_tmpl_set(d, "csrf_token", csrf_token);
	cl_tmpl_set(d, "idempotency_key", idempotency_key);
	cl_tmpl_list(d, "sections");
	for (cl_field_id id = 0; id < CL_F__MAX; id++) {
		const cl_field *f = cl_field_get(id);

		if ((int)f->section != section) {
			section = (int)f->section;
			sd = cl_tmpl_add(d, "sections");
			cl_tmpl_set(sd, "section_title",
			    cl_sections[section].title);
			cl_tmpl_set(sd, "intro", cl_sections[section].intro);
			cl_tmpl_list(sd, "fields");
		}
		field_data(&r, id, cl_tmpl_add(sd, "fields"));
	}
	rc = cl_page_build(page, "form",
	    "Ask for an NHS change to be called in",
	    errs != NULL && errs->n > 0, d);
	cl_tmpl_free(d);
	return rc;
}

/*
 * The fresh form is the same for every visitor but for its two hidden
 * tokens: render it once per worker with markers where the tokens go, then
 * answer each GET by splicing fresh tokens between the cached pieces.
 */
#define CSRF_MARK "\x01csrf\x01"
#define IDEM_MARK "\x01idem\x01"

static cl_buf form_cache;
static size_t csrf_at, idem_at; /* marker offsets in form_cache */

/*
 * Render the cached fresh form.  CL_EINVAL (logged) when its template
 * fails; nothing is cached then.
 */
static cl_err
cache_form(const cl_svc *app)
{
	cl_err rc;

	if ((rc = cl_form_page_render(app, NULL, NULL, 0, CSRF_MARK, IDEM_MARK,
		 &form_cache)) != CL_OK) {
		cl_buf_free(&form_cache);
		return rc;
	}
	csrf_at = (size_t)(strstr(form_cache.data, CSRF_MARK) -
	    form_cache.data);
	idem_at = (size_t)(strstr(form_cache.data, IDEM_MARK) -
	    form_cache.data);
	return CL_OK;
}

void
cl_page_form(cl_svc *app, cl_http_req *req)
{
	char csrf[CL_CSRF_TOKEN_MAX], idem[CL_CSRF_KEY_MAX];
	const char *c;
	size_t after_csrf, after_idem;

	if (cl_csrf_issue(app->form_secret, app->form_secret_len, time(NULL),
		csrf) != CL_OK ||
	    cl_csrf_key(csrf, idem) != CL_OK) {
		cl_log(CL_LOG_ERROR, "form: the random generator failed");
		cl_page_error(req, 500, NULL);
		return;
	}
	if (form_cache.data == NULL && cache_form(app) != CL_OK) {
		cl_page_error(req, 500, NULL);
		return;
	}
	c = form_cache.data;
	after_csrf = csrf_at + strlen(CSRF_MARK);
	after_idem = idem_at + strlen(IDEM_MARK);
	struct iovec parts[] = {
		{ (void *)(uintptr_t)c, csrf_at },
		{ csrf, strlen(csrf) },
		{ (void *)(uintptr_t)(c + after_csrf), idem_at - after_csrf },
		{ idem, strlen(idem) },
		{ (void *)(uintptr_t)(c + after_idem),
		    form_cache.len - after_idem },
	};
	if (cl_http_sendv(req, 200, "text/html; charset=utf-8",
		"Cache-Control: no-store\r\n", parts, 5) != CL_OK)
		cl_log(CL_LOG_INFO,
		    "client went away before the response was sent");
}

/*
 * form_page.c: GET /request and the re-rendered form after a rejected POST.
 * The form is rendered from the field table (form.h) in GOV.UK Frontend
 * markup; answers are written back escaped; each error appears in the error
 * summary (linking to its input) and inline above its input.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "callin/csrf.h"
#include "callin/form.h"
#include "callin/log.h"
#include "callin/page.h"

/* State of one rendering. */
struct render {
	cl_buf			*out;
	const cl_answers	*answers;	/* NULL on a fresh form */
	const cl_form_errors	*errs;		/* NULL when none */
	int			 files_dropped;	/* the user must choose files again */
	const cl_svc		*app;
};

/* The first answer called name, or "" (a fresh form has none). */
static const char *
answer(const struct render *r, const char *name)
{
	const char *v = r->answers ? cl_answers_get(r->answers, name) : NULL;

	return v ? v : "";
}

/* The error on the field called name, or NULL. */
static const cl_form_error *
error_of(const struct render *r, const char *name)
{
	return r->errs ? cl_form_error_find(r->errs, name) : NULL;
}

/* Open a form group: its error class when e, extra classes and attributes. */
static void
group_open(struct render *r, const cl_form_error *e, const char *extra_class,
    const char *extra_attrs)
{
	cl_buf_printf(r->out, "<div class=\"govuk-form-group%s%s\"%s>\n",
	    e ? " govuk-form-group--error" : "", extra_class ? extra_class : "",
	    extra_attrs ? extra_attrs : "");
}

/* The hint under a label, when the field has one. */
static void
hint(struct render *r, const char *name, const char *text)
{
	if (text == NULL)
		return;
	cl_buf_printf(r->out, "<div id=\"%s-hint\" class=\"govuk-hint\">", name);
	cl_buf_html(r->out, text);
	cl_buf_puts(r->out, "</div>\n");
}

/* The inline error message of a field in error. */
static void
error_message(struct render *r, const char *name, const cl_form_error *e)
{
	if (e == NULL)
		return;
	cl_buf_printf(r->out, "<p id=\"%s-error\" class=\"govuk-error-message\">"
	    "<span class=\"govuk-visually-hidden\">Error:</span> ", name);
	cl_buf_html(r->out, e->message);
	cl_buf_puts(r->out, "</p>\n");
}

/* aria-describedby listing the hint and error (and extra id) that exist. */
static void
described_by(struct render *r, const cl_field *f, const cl_form_error *e,
    const char *extra)
{
	if (f->hint == NULL && e == NULL && extra == NULL)
		return;
	cl_buf_puts(r->out, " aria-describedby=\"");
	if (extra)
		cl_buf_printf(r->out, "%s-%s ", f->name, extra);
	if (f->hint)
		cl_buf_printf(r->out, "%s-hint ", f->name);
	if (e)
		cl_buf_printf(r->out, "%s-error", f->name);
	if (r->out->data[r->out->len - 1] == ' ')
		r->out->data[--r->out->len] = '\0';
	cl_buf_putc(r->out, '"');
}

/* The label of a one-input field. */
static void
label(struct render *r, const cl_field *f)
{
	cl_buf_printf(r->out, "<label class=\"govuk-label govuk-label--s\" for=\"%s\">", f->name);
	cl_buf_html(r->out, f->label);
	cl_buf_puts(r->out, "</label>\n");
}

/* A one-line text, email or telephone input. */
static void
render_text(struct render *r, const cl_field *f)
{
	const cl_form_error *e = error_of(r, f->name);
	const char *type = f->kind == CL_KIND_EMAIL ? "email" :
	    f->kind == CL_KIND_TEL ? "tel" : "text";

	group_open(r, e, NULL, NULL);
	label(r, f);
	hint(r, f->name, f->hint);
	error_message(r, f->name, e);
	cl_buf_printf(r->out, "<input class=\"govuk-input%s", e ? " govuk-input--error" : "");
	if (f->width)
		cl_buf_printf(r->out, " govuk-input--width-%u", f->width);
	cl_buf_printf(r->out, "\" id=\"%s\" name=\"%s\" type=\"%s\" value=\"", f->name, f->name, type);
	cl_buf_html(r->out, answer(r, f->name));
	cl_buf_putc(r->out, '"');
	described_by(r, f, e, NULL);
	if (f->autocomplete)
		cl_buf_printf(r->out, " autocomplete=\"%s\"", f->autocomplete);
	if (f->spellcheck_off)
		cl_buf_puts(r->out, " spellcheck=\"false\"");
	cl_buf_puts(r->out, ">\n</div>\n");
}

/* A textarea with GOV.UK's character count. */
static void
render_textarea(struct render *r, const cl_field *f)
{
	const cl_form_error *e = error_of(r, f->name);
	char attrs[96];

	snprintf(attrs, sizeof attrs, " data-module=\"govuk-character-count\" data-maxlength=\"%zu\"",
	    f->max_chars);
	group_open(r, e, " govuk-character-count", attrs);
	label(r, f);
	hint(r, f->name, f->hint);
	error_message(r, f->name, e);
	cl_buf_printf(r->out, "<textarea class=\"govuk-textarea govuk-js-character-count%s\" "
	    "id=\"%s\" name=\"%s\" rows=\"6\"", e ? " govuk-textarea--error" : "", f->name, f->name);
	described_by(r, f, e, "info");
	cl_buf_puts(r->out, ">");
	cl_buf_html(r->out, answer(r, f->name));
	cl_buf_printf(r->out, "</textarea>\n<div id=\"%s-info\" class=\"govuk-hint govuk-character-count__message\">"
	    "You can enter up to %zu characters</div>\n</div>\n", f->name, f->max_chars);
}

/* Radios, checkboxes and the single declaration checkbox. */
static void
render_choices(struct render *r, cl_field_id id, const cl_field *f)
{
	const cl_form_error *e = error_of(r, f->name);
	int radio = f->kind == CL_KIND_RADIO;
	const char *cls = radio ? "radios" : "checkboxes";
	char iid[CL_INPUT_ID_MAX];
	/*
	 * A single declaration box (CL_KIND_CHECKBOX) is its own question: its
	 * label is the field's label, so a fieldset legend showed the sentence
	 * twice and screen readers announced it twice (group name, then label).
	 * As GOV.UK Frontend's checkboxes without a fieldset do, it has no
	 * fieldset and the input itself carries the hint and error ids.
	 * (Declarations have no per-option hint.)
	 */
	int single = f->kind == CL_KIND_CHECKBOX;

	group_open(r, e, NULL, NULL);
	if (!single) {
		cl_buf_puts(r->out, "<fieldset class=\"govuk-fieldset\"");
		described_by(r, f, e, NULL);
		cl_buf_puts(r->out, ">\n<legend class=\"govuk-fieldset__legend govuk-fieldset__legend--s\">");
		cl_buf_html(r->out, f->label);
		cl_buf_puts(r->out, "</legend>\n");
	}
	hint(r, f->name, f->hint);
	error_message(r, f->name, e);
	cl_buf_printf(r->out, "<div class=\"govuk-%s\" data-module=\"govuk-%s\">\n", cls, cls);
	for (size_t i = 0; i < f->noptions; i++) {
		const cl_option *o = &f->options[i];
		int on = r->answers && cl_answers_has(r->answers, f->name, o->value);

		cl_field_input_id(id, i, iid);
		cl_buf_printf(r->out, "<div class=\"govuk-%s__item\">\n"
		    "<input class=\"govuk-%s__input\" id=\"%s\" name=\"%s\" type=\"%s\" value=\"",
		    cls, cls, iid, f->name, radio ? "radio" : "checkbox");
		cl_buf_html(r->out, o->value);
		cl_buf_printf(r->out, "\"%s", on ? " checked" : "");
		if (single)
			described_by(r, f, e, NULL);
		else if (o->hint)
			cl_buf_printf(r->out, " aria-describedby=\"%s-item-hint\"", iid);
		cl_buf_printf(r->out, ">\n<label class=\"govuk-label govuk-%s__label\" for=\"%s\">", cls, iid);
		cl_buf_html(r->out, o->label);
		cl_buf_puts(r->out, "</label>\n");
		if (o->hint) {
			cl_buf_printf(r->out, "<div id=\"%s-item-hint\" class=\"govuk-hint govuk-%s__hint\">", iid, cls);
			cl_buf_html(r->out, o->hint);
			cl_buf_puts(r->out, "</div>\n");
		}
		cl_buf_puts(r->out, "</div>\n");
	}
	cl_buf_puts(r->out, single ? "</div>\n</div>\n" : "</div>\n</fieldset>\n</div>\n");
}

/* A select, with option groups as the table gives them. */
static void
render_select(struct render *r, const cl_field *f)
{
	const cl_form_error *e = error_of(r, f->name);
	const char *chosen = answer(r, f->name), *group = NULL;

	group_open(r, e, NULL, NULL);
	label(r, f);
	hint(r, f->name, f->hint);
	error_message(r, f->name, e);
	cl_buf_printf(r->out, "<select class=\"govuk-select%s\" id=\"%s\" name=\"%s\"",
	    e ? " govuk-select--error" : "", f->name, f->name);
	described_by(r, f, e, NULL);
	cl_buf_puts(r->out, ">\n<option value=\"\">Choose one</option>\n");
	for (size_t i = 0; i < f->noptions; i++) {
		const cl_option *o = &f->options[i];

		if ((o->group == NULL) != (group == NULL) ||
		    (o->group && group && strcmp(o->group, group) != 0)) {
			if (group)
				cl_buf_puts(r->out, "</optgroup>\n");
			if (o->group) {
				cl_buf_puts(r->out, "<optgroup label=\"");
				cl_buf_html(r->out, o->group);
				cl_buf_puts(r->out, "\">\n");
			}
			group = o->group;
		}
		cl_buf_puts(r->out, "<option value=\"");
		cl_buf_html(r->out, o->value);
		cl_buf_printf(r->out, "\"%s>", strcmp(chosen, o->value) == 0 ? " selected" : "");
		cl_buf_html(r->out, o->label);
		cl_buf_puts(r->out, "</option>\n");
	}
	if (group)
		cl_buf_puts(r->out, "</optgroup>\n");
	cl_buf_puts(r->out, "</select>\n</div>\n");
}

/* A GOV.UK date input: day, month, year. */
static void
render_date(struct render *r, cl_field_id id, const cl_field *f)
{
	static const char *const labels[CL_DATE__MAX] = { "Day", "Month", "Year" };
	const cl_form_error *e = error_of(r, f->name);
	char iid[CL_INPUT_ID_MAX];

	group_open(r, e, NULL, NULL);
	cl_buf_puts(r->out, "<fieldset class=\"govuk-fieldset\" role=\"group\"");
	described_by(r, f, e, NULL);
	cl_buf_puts(r->out, ">\n<legend class=\"govuk-fieldset__legend govuk-fieldset__legend--s\">");
	cl_buf_html(r->out, f->label);
	cl_buf_puts(r->out, "</legend>\n");
	hint(r, f->name, f->hint);
	error_message(r, f->name, e);
	cl_buf_printf(r->out, "<div class=\"govuk-date-input\" id=\"%s\">\n", f->name);
	for (int i = 0; i < CL_DATE__MAX; i++) {
		int bad = e && (e->parts == 0 || (e->parts & (1u << i)));

		cl_field_input_id(id, (size_t)i, iid);
		cl_buf_printf(r->out, "<div class=\"govuk-date-input__item\">\n<div class=\"govuk-form-group\">\n"
		    "<label class=\"govuk-label govuk-date-input__label\" for=\"%s\">%s</label>\n"
		    "<input class=\"govuk-input govuk-date-input__input govuk-input--width-%d%s\" "
		    "id=\"%s\" name=\"%s\" type=\"text\" inputmode=\"numeric\" value=\"",
		    iid, labels[i], i == CL_DATE_YEAR ? 4 : 2, bad ? " govuk-input--error" : "", iid, iid);
		cl_buf_html(r->out, answer(r, iid));
		cl_buf_puts(r->out, "\">\n</div>\n</div>\n");
	}
	cl_buf_puts(r->out, "</div>\n</fieldset>\n</div>\n");
}

/* The file input, and the note asking for files again after a 422. */
static void
render_file(struct render *r, const cl_field *f)
{
	const cl_form_error *e = error_of(r, f->name);

	group_open(r, e, NULL, NULL);
	label(r, f);
	hint(r, f->name, f->hint);
	if (r->files_dropped)
		cl_buf_puts(r->out, "<div class=\"govuk-inset-text\" id=\"attachments-again\">"
		    "Choose your files again. For your security, files are not kept when "
		    "something on the form needs correcting.</div>\n");
	error_message(r, f->name, e);
	cl_buf_printf(r->out, "<input class=\"govuk-file-upload%s\" id=\"%s\" name=\"%s\" type=\"file\" multiple "
	    "accept=\".pdf,.docx,.xlsx,.odt,.ods,.png,.jpg,.jpeg,.txt,.csv\"",
	    e ? " govuk-file-upload--error" : "", f->name, f->name);
	described_by(r, f, e, NULL);
	cl_buf_puts(r->out, ">\n</div>\n");
}

/* One field, by its kind. */
static void
render_field(struct render *r, cl_field_id id)
{
	const cl_field *f = cl_field_get(id);

	switch (f->kind) {
	case CL_KIND_TEXT:
	case CL_KIND_EMAIL:
	case CL_KIND_TEL:	render_text(r, f); break;
	case CL_KIND_TEXTAREA:	render_textarea(r, f); break;
	case CL_KIND_RADIO:
	case CL_KIND_CHECKBOXES:
	case CL_KIND_CHECKBOX:	render_choices(r, id, f); break;
	case CL_KIND_SELECT:	render_select(r, f); break;
	case CL_KIND_DATE:	render_date(r, id, f); break;
	case CL_KIND_FILE:	render_file(r, f); break;
	default:		break;
	}
}

/* The GOV.UK error summary linking to each field in error. */
static void
error_summary(struct render *r)
{
	if (r->errs == NULL || r->errs->n == 0)
		return;
	cl_buf_puts(r->out, "<div class=\"govuk-error-summary\" data-module=\"govuk-error-summary\">\n"
	    "<div role=\"alert\">\n<h2 class=\"govuk-error-summary__title\">There is a problem</h2>\n"
	    "<div class=\"govuk-error-summary__body\">\n<ul class=\"govuk-list govuk-error-summary__list\">\n");
	for (size_t i = 0; i < r->errs->n; i++) {
		cl_buf_printf(r->out, "<li><a href=\"#%s\">", r->errs->v[i].anchor);
		cl_buf_html(r->out, r->errs->v[i].message);
		cl_buf_puts(r->out, "</a></li>\n");
	}
	cl_buf_puts(r->out, "</ul>\n</div>\n</div>\n</div>\n");
}

void
cl_form_page_render(const cl_svc *app, const cl_answers *answers,
    const cl_form_errors *errs, int files_dropped, const char *csrf_token,
    const char *idempotency_key, cl_buf *page)
{
	cl_buf content = CL_BUF_INIT;
	struct render r = { &content, answers, errs, files_dropped, app };
	int section = -1;

	error_summary(&r);
	cl_buf_puts(&content, "<h1 class=\"govuk-heading-xl\">Ask for an NHS change to be called in</h1>\n"
	    "<p class=\"govuk-body\">All questions are required unless they say they are optional.</p>\n"
	    "<form method=\"post\" action=\"/request\" enctype=\"multipart/form-data\" novalidate>\n");
	cl_buf_puts(&content, "<input type=\"hidden\" name=\"csrf_token\" value=\"");
	cl_buf_html(&content, csrf_token);
	cl_buf_puts(&content, "\">\n<input type=\"hidden\" name=\"idempotency_key\" value=\"");
	cl_buf_html(&content, idempotency_key);
	cl_buf_puts(&content, "\">\n");
	for (cl_field_id id = 0; id < CL_F__MAX; id++) {
		const cl_field *f = cl_field_get(id);

		if ((int)f->section != section) {
			section = (int)f->section;
			cl_buf_puts(&content, "<h2 class=\"govuk-heading-l\">");
			cl_buf_html(&content, cl_sections[section].title);
			cl_buf_puts(&content, "</h2>\n");
			if (cl_sections[section].intro) {
				cl_buf_puts(&content, "<p class=\"govuk-body\">");
				cl_buf_html(&content, cl_sections[section].intro);
				cl_buf_puts(&content, "</p>\n");
			}
		}
		render_field(&r, id);
	}
	/* A field people never see: a bot that fills it is not stored. */
	cl_buf_puts(&content, "<div class=\"govuk-visually-hidden\" aria-hidden=\"true\">\n"
	    "<label for=\"website\">Leave this empty</label>\n"
	    "<input id=\"website\" name=\"website\" type=\"text\" tabindex=\"-1\" autocomplete=\"off\">\n"
	    "</div>\n");
	cl_buf_puts(&content, "<button type=\"submit\" class=\"govuk-button\" data-module=\"govuk-button\" "
	    "data-prevent-double-click=\"true\">Send request</button>\n</form>\n");
	cl_page_render(page, "Ask for an NHS change to be called in",
	    errs != NULL && errs->n > 0, NULL, cl_buf_str(&content));
	cl_buf_free(&content);
}

/*
 * The fresh form is the same for every visitor but for its two hidden
 * tokens: render it once per worker with markers where the tokens go, then
 * answer each GET by splicing fresh tokens between the cached pieces.
 */
#define CSRF_MARK	"\x01csrf\x01"
#define IDEM_MARK	"\x01idem\x01"

static cl_buf	form_cache;
static size_t	csrf_at, idem_at;	/* marker offsets in form_cache */

/* Render the cached fresh form.  Cannot fail. */
static void
cache_form(const cl_svc *app)
{
	cl_form_page_render(app, NULL, NULL, 0, CSRF_MARK, IDEM_MARK, &form_cache);
	csrf_at = (size_t)(strstr(form_cache.data, CSRF_MARK) - form_cache.data);
	idem_at = (size_t)(strstr(form_cache.data, IDEM_MARK) - form_cache.data);
}

void
cl_page_form(cl_svc *app, cl_http_req *req)
{
	char csrf[CL_CSRF_TOKEN_MAX], idem[CL_CSRF_KEY_MAX];
	const char *c;
	size_t after_csrf, after_idem;

	if (cl_csrf_issue(app->form_secret, app->form_secret_len, time(NULL), csrf) != CL_OK ||
	    cl_csrf_key(csrf, idem) != CL_OK) {
		cl_log(CL_LOG_ERROR, "form: the random generator failed");
		cl_page_error(req, 500, NULL);
		return;
	}
	if (form_cache.data == NULL)
		cache_form(app);
	c = form_cache.data;
	after_csrf = csrf_at + strlen(CSRF_MARK);
	after_idem = idem_at + strlen(IDEM_MARK);
	struct iovec parts[] = {
		{ (void *)(uintptr_t)c, csrf_at },
		{ csrf, strlen(csrf) },
		{ (void *)(uintptr_t)(c + after_csrf), idem_at - after_csrf },
		{ idem, strlen(idem) },
		{ (void *)(uintptr_t)(c + after_idem), form_cache.len - after_idem },
	};
	if (cl_http_sendv(req, 200, "text/html; charset=utf-8", "Cache-Control: no-store\r\n",
	    parts, 5) != CL_OK)
		cl_log(CL_LOG_INFO, "client went away before the response was sent");
}

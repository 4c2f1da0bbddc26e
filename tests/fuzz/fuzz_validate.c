/*
 * fuzz_validate.c: libFuzzer target for the form validator.
 *
 * The input is a list of answers: records end with '\n', and in each the
 * name ends at the first NUL and the value is the rest, where the two-byte
 * escapes "\n" and "\0" (backslash, letter) stand for LF and NUL so values
 * can hold them too.  An input that starts with '@' and a byte b is
 * judged (b - 128) * 37 days away from 15 June 2024 (+-13 years).
 *
 * Checked: no crash, leak or undefined behaviour; every error is well
 * formed and in page order; when the answers are valid, what the rules
 * promise holds of them; normalising does not change the verdict.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "callin/form.h"
#include "callin/utf8.h"

#define NOW ((time_t)1718452800) /* 2024-06-15T12:00:00Z */

/* Die loudly: libFuzzer reports the input. */
#define CHECK(cond) \
	do { \
		if (!(cond)) \
			abort(); \
	} while (0)

/* Undo the "\n" and "\0" escapes in place; return the new length. */
static size_t
unescape(char *s, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n &&
		    (s[i + 1] == 'n' || s[i + 1] == '0')) {
			s[o++] = s[i + 1] == 'n' ? '\n' : '\0';
			i++;
		} else
			s[o++] = s[i];
	}
	return o;
}

/* Parse data into answers. */
static void
parse(const uint8_t *data, size_t size, cl_answers *a)
{
	char *copy = malloc(size + 1), *p, *end, *nl, *nul;

	if (copy == NULL)
		abort();
	memcpy(copy, data, size);
	copy[size] = '\0';
	for (p = copy, end = copy + size; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if ((nul = memchr(p, '\0', (size_t)(nl - p))) == NULL)
			continue;
		*nl = '\0';
		cl_answers_add(a, p, nul + 1,
		    unescape(nul + 1, (size_t)(nl - nul - 1)));
	}
	free(copy);
}

/* The one answer called name: present exactly once. */
static const cl_answer *
once(const cl_answers *a, const char *name)
{
	CHECK(cl_answers_count(a, name) == 1);
	return cl_answers_find(a, name);
}

/* Return 1 if the value is one of field f's options. */
static int
is_option(cl_field_id f, const cl_answer *e)
{
	size_t i;

	for (i = 0; i < cl_fields[f].noptions; i++)
		if (strlen(cl_fields[f].options[i].value) == e->len &&
		    memcmp(cl_fields[f].options[i].value, e->value, e->len) ==
			0)
			return 1;
	return 0;
}

/* What a valid form promises; lengths once trimmed (normalised). */
static void
check_valid(const cl_answers *a, int normalised)
{
	const cl_answer *stage, *e;
	int decided;
	size_t f, i, j;

	for (f = 0; f < CL_F__MAX; f++) {
		const cl_field *fd = &cl_fields[f];

		switch (fd->kind) {
		case CL_KIND_TEXT:
		case CL_KIND_TEXTAREA:
		case CL_KIND_EMAIL:
		case CL_KIND_TEL:
			CHECK(cl_answers_count(a, fd->name) <= 1);
			if ((e = cl_answers_find(a, fd->name)) == NULL)
				break;
			CHECK(cl_utf8_valid(e->value, e->len));
			for (i = 0; i < e->len; i++) {
				unsigned char c = (unsigned char)e->value[i];

				CHECK(c != 0 && c != 0x7F);
				if (fd->kind != CL_KIND_TEXTAREA)
					CHECK(c >= 0x20);
				else
					CHECK(c >= 0x20 || c == '\t' ||
					    c == '\r' || c == '\n');
			}
			/* CR LF pairs count as one. */
			if (normalised)
				CHECK(cl_utf8_chars(e->value, e->len) <=
				    2 * fd->max_chars);
			if (fd->kind == CL_KIND_EMAIL)
				CHECK(memchr(e->value, '@', e->len) != NULL);
			break;
		case CL_KIND_RADIO:
		case CL_KIND_SELECT:
		case CL_KIND_CHECKBOX:
			CHECK(is_option((cl_field_id)f, once(a, fd->name)));
			break;
		case CL_KIND_CHECKBOXES:
			CHECK(cl_answers_count(a, fd->name) >= 1);
			for (i = 0; i < a->n; i++) {
				if (strcmp(a->v[i].name, fd->name) != 0)
					continue;
				CHECK(is_option((cl_field_id)f, &a->v[i]));
				for (j = i + 1; j < a->n; j++)
					CHECK(strcmp(a->v[j].name, fd->name) !=
						0 ||
					    strcmp(a->v[j].value,
						a->v[i].value) != 0);
			}
			break;
		default: break;
		}
	}
	stage = once(a, "proposal_stage");
	decided = strcmp(stage->value, "decision_made") == 0 ||
	    strcmp(stage->value, "implementing") == 0 ||
	    strcmp(stage->value, "implemented") == 0;
	if (decided) {
		static const char *const parts[] = { "decision_date-day",
			"decision_date-month", "decision_date-year" };

		for (i = 0; i < 3; i++) {
			e = once(a, parts[i]);
			CHECK(strspn(e->value, " 0123456789") == e->len);
		}
	} else
		CHECK(!cl_answers_has(a, "grounds", "best_interests"));
	if (strcmp(once(a, "requester_type")->value, "individual") != 0)
		CHECK(cl_answers_find(a, "organisation") != NULL);
}

/* Every error is well formed, at most one per field from the validator,
 * in page order. */
static void
check_errors(const cl_form_errors *errs)
{
	size_t i;

	for (i = 0; i < errs->n; i++) {
		const cl_form_error *e = &errs->v[i];

		CHECK(e->field < CL_F__MAX);
		CHECK(strcmp(e->name, cl_fields[e->field].name) == 0);
		CHECK(e->kind < CL_FE__MAX);
		CHECK(e->message != NULL && e->message[0] != '\0');
		CHECK(strncmp(e->anchor, e->name, strlen(e->name)) == 0);
		CHECK(i == 0 || errs->v[i - 1].field < e->field);
		CHECK(cl_form_error_find(errs, e->name) == e);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cl_answers a = CL_ANSWERS_INIT;
	cl_form_errors errs = CL_FORM_ERRORS_INIT, again = CL_FORM_ERRORS_INIT;
	time_t now = NOW;

	if (size >= 2 && data[0] == '@') {
		now += ((time_t)data[1] - 128) * 37 * 86400;
		data += 2;
		size -= 2;
	}
	parse(data, size, &a);
	CHECK(cl_form_validate(&a, now, &errs) == CL_OK);
	check_errors(&errs);
	if (errs.n == 0)
		check_valid(&a, 0);
	/* Normalising trims only what validation ignores. */
	cl_form_normalise(&a);
	CHECK(cl_form_validate(&a, now, &again) == CL_OK);
	CHECK(again.n == errs.n);
	if (again.n == 0)
		check_valid(&a, 1);
	cl_form_errors_free(&again);
	cl_form_errors_free(&errs);
	cl_answers_free(&a);
	return 0;
}

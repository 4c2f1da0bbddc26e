/*
 * test_form_helpers.h: a valid set of answers and assertions on errors,
 * shared by the form tests.
 */
#ifndef TEST_FORM_HELPERS_H
#define TEST_FORM_HELPERS_H

#include <string.h>
#include <time.h>

#include "callin/form.h"

/* 2024-06-15T12:00:00Z, a Saturday in British Summer Time. */
#define NOW ((time_t)1718452800)

struct kv {
	const char *name;
	const char *value;
};

/* A complete, valid request (and two hidden fields the validator ignores). */
static const struct kv valid_set[] = {
	{ "csrf_token", "ignored-by-the-validator" },
	{ "idempotency_key", "also-ignored" },
	{ "requester_type", "campaign_group" },
	{ "full_name", "Jane Smith" },
	{ "organisation", "Save Our Stroke Unit" },
	{ "role", "Chair" },
	{ "email", "jane.smith@example.org" },
	{ "phone", "+44 (0)1632 960-001" },
	{ "proposal_title",
	    "Closing the stroke unit at Yeovil District Hospital" },
	{ "commissioner", "icb-somerset" },
	{ "services_affected",
	    "Hyper-acute stroke unit, Yeovil District "
	    "Hospital.\r\nPatients from South Somerset." },
	{ "change_description",
	    "Stroke patients would be taken to Taunton "
	    "or Dorchester instead." },
	{ "proposal_stage", "decision_made" },
	{ "decision_date-day", "27" },
	{ "decision_date-month", "3" },
	{ "decision_date-year", "2024" },
	{ "grounds", "process" },
	{ "grounds", "best_interests" },
	{ "grounds_statement",
	    "The consultation lasted three weeks.\r\n\r\n"
	    "\tTravel times would rise by 40 minutes." },
	{ "local_resolution",
	    "Wrote to the ICB on 9 January 2024; no reply. "
	    "Met the trust on 13 February." },
	{ "declaration_accurate", "yes" },
	{ "declaration_sharing", "yes" },
};

/* Fill a with the valid set, leaving out the names given (NULL-ended). */
static inline void
valid_except(cl_answers *a, ...)
{
	const char *skip[16];
	size_t i, j, n = 0;
	va_list ap;

	va_start(ap, a);
	while (n < 16 && (skip[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	for (i = 0; i < sizeof valid_set / sizeof valid_set[0]; i++) {
		for (j = 0; j < n; j++)
			if (strcmp(skip[j], valid_set[i].name) == 0)
				break;
		if (j == n)
			cl_answers_add(a, valid_set[i].name, valid_set[i].value,
			    strlen(valid_set[i].value));
	}
}

/* Add a C string answer. */
static inline void
add(cl_answers *a, const char *name, const char *value)
{
	cl_answers_add(a, name, value, strlen(value));
}

/* Validate a at now into a fresh errs. */
static inline void
check_at(const cl_answers *a, time_t now, cl_form_errors *errs)
{
	*errs = (cl_form_errors)CL_FORM_ERRORS_INIT;
	assert_int_equal(cl_form_validate(a, now, errs), CL_OK);
}

/* Print the errors, to make failures readable. */
static inline void
dump(const cl_form_errors *errs)
{
	size_t i;

	for (i = 0; i < errs->n; i++)
		print_message("  error %zu: %s #%s: %s\n", i, errs->v[i].name,
		    errs->v[i].anchor, errs->v[i].message);
}

/* Assert errs holds exactly one error: on field, linking to anchor, saying
 * message (when not NULL). */
static inline void
expect_one(const cl_form_errors *errs, const char *field, const char *anchor,
    const char *message)
{
	if (errs->n != 1)
		dump(errs);
	assert_int_equal(errs->n, 1);
	assert_string_equal(errs->v[0].name, field);
	assert_string_equal(errs->v[0].anchor, anchor);
	if (message != NULL)
		assert_string_equal(errs->v[0].message, message);
}

/* Assert errs is empty. */
static inline void
expect_none(const cl_form_errors *errs)
{
	if (errs->n != 0)
		dump(errs);
	assert_int_equal(errs->n, 0);
}

/* Validate the valid set with field name replaced by value (len bytes) and
 * expect one error on it with message; a NULL message expects none. */
static inline void
judge(const char *name, const char *value, size_t len, const char *message)
{
	cl_answers a = CL_ANSWERS_INIT;
	cl_form_errors errs;
	cl_field_id f = cl_field_lookup(name);
	char anchor[CL_INPUT_ID_MAX];

	valid_except(&a, name, NULL);
	cl_answers_add(&a, name, value, len);
	check_at(&a, NOW, &errs);
	if (message == NULL)
		expect_none(&errs);
	else {
		assert_int_not_equal(f, CL_F__MAX);
		if (cl_fields[f].kind == CL_KIND_DATE)
			snprintf(anchor, sizeof anchor, "%s", name);
		else
			cl_field_input_id(f, 0, anchor);
		expect_one(&errs, cl_fields[f].name, anchor, message);
	}
	cl_form_errors_free(&errs);
	cl_answers_free(&a);
}

#endif /* TEST_FORM_HELPERS_H */

/*
 * test_form_commissioners.c: the commissioner field's compiled-in options
 * agree, row for row, with conf/commissioners.tsv (slug, name, kind), and
 * end with "I don't know".
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "callin/form.h"

/* Open conf/commissioners.tsv of the source tree. */
static FILE *
open_tsv(void)
{
	const char *dir = getenv("CALLIN_SOURCE_DIR");
	char path[4096];
	FILE *f;

	if (dir == NULL)
		dir = CALLIN_SOURCE_DIR;
	snprintf(path, sizeof path, "%s/conf/commissioners.tsv", dir);
	if ((f = fopen(path, "r")) == NULL)
		fail_msg("cannot open %s", path);
	return f;
}

/* The option group of the file's kind: NHS England or an ICB. */
static const char *
group_of(const char *kind)
{
	if (strcmp(kind, "nhs_england") == 0)
		return "NHS England";
	assert_string_equal(kind, "icb");
	return "Integrated care boards";
}

static void
test_matches_tsv(void **state)
{
	char line[1024], *slug, *name, *kind, *nl;
	size_t row = 0;
	FILE *f = open_tsv();

	(void)state;
	assert_non_null(fgets(line, sizeof line, f));
	assert_string_equal(line, "slug\tname\tkind\n");
	while (fgets(line, sizeof line, f) != NULL) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl = '\0';
		slug = line;
		assert_non_null(name = strchr(slug, '\t'));
		*name++ = '\0';
		assert_non_null(kind = strchr(name, '\t'));
		*kind++ = '\0';
		assert_null(strchr(kind, '\t'));
		if (row >= CL_NCOMMISSIONERS)
			fail_msg("conf/commissioners.tsv has more rows than "
				 "src/form/commissioners.c: add %s",
			    slug);
		assert_string_equal(cl_commissioner_options[row].value, slug);
		assert_string_equal(cl_commissioner_options[row].label, name);
		assert_string_equal(cl_commissioner_options[row].group,
		    group_of(kind));
		row++;
	}
	fclose(f);
	assert_int_equal(row, CL_NCOMMISSIONERS);
}

static void
test_options(void **state)
{
	size_t i, j, icbs = 0;

	(void)state;
	for (i = 0; i < CL_NCOMMISSIONERS; i++) {
		const cl_option *o = &cl_commissioner_options[i];

		assert_null(o->hint);
		assert_non_null(o->group);
		if (strcmp(o->group, "Integrated care boards") == 0) {
			icbs++;
			assert_true(strncmp(o->value, "icb-", 4) == 0);
		} else
			assert_string_equal(o->group, "NHS England");
		/* Slugs are plain: lower-case letters, digits, hyphens. */
		assert_int_equal(strspn(o->value,
				     "abcdefghijklmnopqrstuvwxyz0123456789-"),
		    strlen(o->value));
		for (j = 0; j < i; j++)
			assert_string_not_equal(o->value,
			    cl_commissioner_options[j].value);
	}
	assert_int_equal(icbs, 42);
	assert_string_equal(cl_commissioner_options[CL_NCOMMISSIONERS].value,
	    "dont_know");
	assert_string_equal(cl_commissioner_options[CL_NCOMMISSIONERS].label,
	    "I don't know");
	assert_null(cl_commissioner_options[CL_NCOMMISSIONERS].group);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matches_tsv),
		cmocka_unit_test(test_options),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

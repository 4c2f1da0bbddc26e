/*
 * test_form_commissioners.c: the compiled-in commissioners agree, row for
 * row, with conf/commissioners.tsv (slug, name, kind), and the select's
 * options follow them.
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
			    "src/form/commissioners.c: add %s", slug);
		assert_string_equal(cl_commissioners[row].slug, slug);
		assert_string_equal(cl_commissioners[row].name, name);
		assert_string_equal(cl_commissioners[row].kind, kind);
		row++;
	}
	fclose(f);
	assert_int_equal(row, CL_NCOMMISSIONERS);
}

static void
test_options_follow(void **state)
{
	size_t i, j, icbs = 0;

	(void)state;
	for (i = 0; i < CL_NCOMMISSIONERS; i++) {
		const cl_commissioner *c = &cl_commissioners[i];
		const cl_option *o = &cl_commissioner_options[i];

		assert_string_equal(o->value, c->slug);
		assert_string_equal(o->label, c->name);
		assert_null(o->hint);
		if (strcmp(c->kind, "icb") == 0) {
			icbs++;
			assert_string_equal(o->group, "Integrated care boards");
			assert_true(strncmp(c->slug, "icb-", 4) == 0);
		} else {
			assert_string_equal(c->kind, "nhs_england");
			assert_string_equal(o->group, "NHS England");
		}
		/* Slugs are plain: lower-case letters, digits, hyphens. */
		assert_int_equal(strspn(c->slug,
		    "abcdefghijklmnopqrstuvwxyz0123456789-"), strlen(c->slug));
		for (j = 0; j < i; j++)
			assert_string_not_equal(c->slug, cl_commissioners[j].slug);
		assert_string_equal(cl_commissioner_name(c->slug), c->name);
	}
	assert_int_equal(icbs, 42);
	assert_string_equal(cl_commissioner_options[CL_NCOMMISSIONERS].value,
	    "dont_know");
	assert_string_equal(cl_commissioner_name("dont_know"), "I don't know");
	assert_null(cl_commissioner_name("icb-atlantis"));
	assert_null(cl_commissioner_name(""));
	assert_string_equal(cl_commissioner_name("icb-devon"),
	    "NHS Devon Integrated Care Board");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matches_tsv),
		cmocka_unit_test(test_options_follow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_tmpl.c: the template engine (tmpl.h): escaping by default, raw
 * output, sections over lists, flags and strings, inverted sections,
 * partials, nested lists looking names up outwards, standalone lines, and
 * every fault it reports.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "callin/tmpl.h"

static const cl_tmpl_file files[] = {
	{ "item", "<li>{{name}}</li>\n" },
	{ "wrap", "[{{>item}}]" },
	{ "loop", "{{>loop}}" },
	{ NULL, NULL },
};

/* Render text with d; the output, or NULL when it failed (*rc set). */
static char *
render(const char *text, const cl_tmpl *d, cl_err *rc)
{
	cl_buf out = CL_BUF_INIT;

	*rc = cl_tmpl_render_text(&out, "test", text, d, files);
	if (*rc != CL_OK) {
		cl_buf_free(&out);
		return NULL;
	}
	return out.data ? out.data : calloc(1, 1);
}

/* Assert text renders with d to want. */
static void
renders(const char *text, const cl_tmpl *d, const char *want)
{
	cl_err rc;
	char *got = render(text, d, &rc);

	assert_int_equal(rc, CL_OK);
	assert_string_equal(got, want);
	free(got);
}

/* Assert text fails with CL_EINVAL. */
static void
fails(const char *text, const cl_tmpl *d)
{
	cl_err rc;
	char *got = render(text, d, &rc);

	assert_null(got);
	assert_int_equal(rc, CL_EINVAL);
}

static void
test_escapes_by_default(void **state)
{
	cl_tmpl *d = cl_tmpl_new();

	(void)state;
	cl_tmpl_set(d, "v", "<a href=\"x\" title='y'>&amp;</a>");
	renders("{{v}}", d,
	    "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;");
	renders("{{ v }}", d,
	    "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;");
	renders("{{{v}}}", d, "<a href=\"x\" title='y'>&amp;</a>");
	cl_tmpl_set(d, "v", NULL);
	renders("a{{v}}b", d, "ab");
	cl_tmpl_setf(d, "v", "%d-%s", 7, "<x>");
	renders("{{v}}", d, "7-&lt;x&gt;");
	renders("no tags { } }} {", d, "no tags { } }} {");
	cl_tmpl_free(d);
}

static void
test_sections(void **state)
{
	cl_tmpl *d = cl_tmpl_new();

	(void)state;
	cl_tmpl_flag(d, "on", 1);
	cl_tmpl_flag(d, "off", 0);
	cl_tmpl_set(d, "s", "x");
	cl_tmpl_set(d, "empty", "");
	cl_tmpl_list(d, "none");
	renders(
	    "{{#on}}A{{/on}}{{#off}}B{{/off}}{{#s}}C{{s}}{{/s}}{{#empty}}D{{/empty}}"
	    "{{#none}}E{{/none}}",
	    d, "ACx");
	renders(
	    "{{^on}}A{{/on}}{{^off}}B{{/off}}{{^s}}C{{/s}}{{^empty}}D{{/empty}}"
	    "{{^none}}E{{/none}}",
	    d, "BDE");
	/* A flag set again takes the new value; so does a name of another kind. */
	cl_tmpl_flag(d, "on", 0);
	cl_tmpl_set(d, "none", "now a string");
	renders("{{#on}}A{{/on}}{{none}}", d, "now a string");
	/* Nested sections of the same name close in order. */
	cl_tmpl_flag(d, "on", 1);
	renders("{{#on}}1{{#on}}2{{/on}}3{{/on}}", d, "123");
	cl_tmpl_free(d);
}

static void
test_lists_nest_and_look_outwards(void **state)
{
	cl_tmpl *d = cl_tmpl_new(), *g, *i;

	(void)state;
	cl_tmpl_set(d, "cls", "c");
	cl_tmpl_set(d, "name", "outer");
	g = cl_tmpl_add(d, "groups");
	cl_tmpl_set(g, "name", "g1");
	cl_tmpl_set(cl_tmpl_add(g, "items"), "name", "a&b");
	i = cl_tmpl_add(g, "items");
	cl_tmpl_set(i, "name", "b");
	g = cl_tmpl_add(d, "groups");
	cl_tmpl_set(g, "name", "g2");
	cl_tmpl_list(g, "items");
	renders(
	    "{{#groups}}{{name}}:{{#items}}{{cls}}/{{name}};{{/items}}{{^items}}-{{/items}} "
	    "{{/groups}}{{name}}",
	    d, "g1:c/a&amp;b;c/b; g2:- outer");
	cl_tmpl_free(d);
}

static void
test_partials_and_standalone_lines(void **state)
{
	cl_tmpl *d = cl_tmpl_new();

	(void)state;
	cl_tmpl_set(d, "name", "x<");
	cl_tmpl_flag(d, "on", 1);
	cl_tmpl_set(cl_tmpl_add(d, "list"), "name", "1");
	cl_tmpl_set(cl_tmpl_add(d, "list"), "name", "2");
	renders("{{>wrap}}", d, "[<li>x&lt;</li>\n]");
	/* Section, partial and comment tags alone on a line take the line. */
	renders(
	    "<ul>\n{{#list}}\n  {{>item}}\n{{/list}}\n{{! a comment\nover lines }}\n</ul>\n",
	    d, "<ul>\n<li>1</li>\n<li>2</li>\n</ul>\n");
	/* Not alone on the line: only the tag goes. */
	renders("a {{#on}}b{{/on}} c\n{{! c }}x\n", d, "a b c\nx\n");
	/* A variable alone on its line keeps the line. */
	renders("{{name}}\n", d, "x&lt;\n");
	/* The end of the template ends a line too. */
	renders("a\n{{#on}}\nb\n{{/on}}", d, "a\nb\n");
	cl_tmpl_free(d);
}

static void
test_faults(void **state)
{
	cl_tmpl *d = cl_tmpl_new();
	cl_buf out = CL_BUF_INIT;

	(void)state;
	cl_tmpl_set(d, "s", "x");
	cl_tmpl_flag(d, "f", 1);
	cl_tmpl_list(d, "l");
	fails("{{missing}}", d);
	fails("{{{missing}}}", d);
	fails("{{#missing}}x{{/missing}}", d);
	fails("{{^missing}}x{{/missing}}", d);
	fails("{{f}}", d);		 /* a flag is not a string */
	fails("{{l}}", d);		 /* nor is a list */
	fails("{{#f}}x", d);		 /* section not closed */
	fails("{{#f}}x{{/s}}", d);	 /* closed by another name */
	fails("{{#f}}{{#s}}x{{/f}}", d); /* closed out of order */
	fails("x{{/f}}", d);		 /* closed but not open */
	fails("{{s", d);		 /* tag not closed */
	fails("{{{s}}", d);
	fails("{{>nope}}", d);		     /* no such partial */
	fails("{{>loop}}", d);		     /* partials nested too deep */
	fails("{{#f}}{{missing}}{{/f}}", d); /* inside a section too */
	/* A section that is not shown looks nothing up inside. */
	renders("{{^f}}{{missing}}{{/f}}", d, "");
	assert_int_equal(cl_tmpl_render(&out, "no-such-template", d),
	    CL_EINVAL);
	cl_buf_free(&out);
	cl_tmpl_free(d);
	cl_tmpl_free(NULL);
}

/* Every embedded template has a name and text, and names are unique. */
static void
test_embedded_table(void **state)
{
	size_t n = 0;

	(void)state;
	for (const cl_tmpl_file *f = cl_tmpl_files; f->name != NULL; f++, n++) {
		assert_non_null(f->text);
		for (const cl_tmpl_file *g = cl_tmpl_files; g != f; g++)
			assert_string_not_equal(f->name, g->name);
	}
	assert_true(n >= 30);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escapes_by_default),
		cmocka_unit_test(test_sections),
		cmocka_unit_test(test_lists_nest_and_look_outwards),
		cmocka_unit_test(test_partials_and_standalone_lines),
		cmocka_unit_test(test_faults),
		cmocka_unit_test(test_embedded_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

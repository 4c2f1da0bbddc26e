/*
 * test_form_validate.c: the form's validation rules (DESIGN.md §3), one test
 * per rule, each refusal with its own message.  Dates are in
 * test_form_dates.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "callin/buf.h"
#include "callin/form.h"
#include "test_form_helpers.h"

#define S(lit) lit, sizeof(lit) - 1

/* The one-line and multi-line text fields and their limits. */
static const struct {
	const char *name;
	size_t max;
	int multiline;
} texts[] = {
	{ "full_name", 100, 0 },
	{ "organisation", 150, 0 },
	{ "role", 150, 0 },
	{ "proposal_title", 150, 0 },
	{ "services_affected", 2000, 1 },
	{ "change_description", 5000, 1 },
	{ "grounds_statement", 10000, 1 },
	{ "local_resolution", 10000, 1 },
};
#define NTEXTS (sizeof texts / sizeof texts[0])

/* Return n copies of the UTF-8 character c. */
static char *
repeat(const char *c, size_t n)
{
	cl_buf b = CL_BUF_INIT;
	size_t i;

	for (i = 0; i < n; i++)
		cl_buf_puts(&b, c);
	return b.data != NULL ? b.data : calloc(1, 1);
}

/* The first message on the field called name, or NULL. */
static const char *
message_for(const cl_form_errors *errs, const char *name)
{
	const cl_form_error *e = cl_form_error_find(errs, name);

	return e != NULL ? e->message : NULL;
}

static void
test_valid_full_set(void **state)
{
	cl_answers a = CL_ANSWERS_INIT;
	cl_form_errors errs;

	(void)state;
	valid_except(&a, NULL);
	check_at(&a, NOW, &errs);
	expect_none(&errs);
	cl_form_errors_free(&errs);
	cl_answers_free(&a);
}

/* An individual, no optional answers, before any decision. */
static void
test_valid_minimal_individual(void **state)
{
	cl_answers a = CL_ANSWERS_INIT;
	cl_form_errors errs;

	(void)state;
	add(&a, "requester_type", "individual");
	add(&a, "full_name", "Li Wei");
	add(&a, "email", "li@example.com");
	add(&a, "proposal_title", "Ward closure");
	add(&a, "commissioner", "dont_know");
	add(&a, "services_affected", "Ward 7");
	add(&a, "change_description", "Close it");
	add(&a, "proposal_stage", "consultation");
	add(&a, "grounds", "process");
	add(&a, "grounds_statement", "Too short a consultation");
	add(&a, "local_resolution", "Wrote to the ICB");
	add(&a, "declaration_accurate", "yes");
	add(&a, "declaration_sharing", "yes");
	/* What a browser sends for empty inputs. */
	add(&a, "organisation", "");
	add(&a, "role", "");
	add(&a, "phone", "");
	add(&a, "decision_date-day", "");
	add(&a, "decision_date-month", "");
	add(&a, "decision_date-year", "");
	check_at(&a, NOW, &errs);
	expect_none(&errs);
	cl_form_errors_free(&errs);
	cl_answers_free(&a);
}

/* Each required field, left out, gets its own message. */
static void
test_missing_each_required(void **state)
{
	static const struct {
		const char *name, *anchor, *message;
	} cases[] = {
		{ "requester_type", "requester_type",
		    "Select who you are making this request as" },
		{ "full_name", "full_name", "Enter your full name" },
		{ "organisation", "organisation",
		    "Enter the name of your organisation" },
		{ "email", "email", "Enter your email address" },
		{ "proposal_title", "proposal_title",
		    "Enter the name of the proposal" },
		{ "commissioner", "commissioner",
		    "Select which NHS body is responsible for the proposal" },
		{ "services_affected", "services_affected",
		    "Enter which services and places are affected" },
		{ "change_description", "change_description",
		    "Enter a description of the proposed change" },
		{ "grounds_statement", "grounds_statement",
		    "Explain how the proposal meets the reasons you selected" },
		{ "local_resolution", "local_resolution",
		    "Enter what you have done to resolve your concerns locally" },
		{ "grounds", "grounds",
		    "Select why you are asking for the proposal to be called in" },
		{ "declaration_accurate", "declaration_accurate",
		    "Select the box to confirm that the information in this "
		    "request is accurate" },
		{ "declaration_sharing", "declaration_sharing",
		    "Select the box to confirm that you understand who your "
		    "request may be shared with" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cl_answers a = CL_ANSWERS_INIT;
		cl_form_errors errs;

		/* Left out entirely. */
		valid_except(&a, cases[i].name, NULL);
		check_at(&a, NOW, &errs);
		expect_one(&errs, cases[i].name, cases[i].anchor,
		    cases[i].message);
		assert_int_equal(errs.v[0].kind, CL_FE_MISSING);
		cl_form_errors_free(&errs);
		/* Sent empty, as browsers do for text. */
		if (strcmp(cases[i].name, "grounds") != 0) {
			add(&a, cases[i].name, "");
			check_at(&a, NOW, &errs);
			expect_one(&errs, cases[i].name, cases[i].anchor,
			    cases[i].message);
			cl_form_errors_free(&errs);
		}
		cl_answers_free(&a);
	}
}

/* Optional fields may be left out. */
static void
test_optional_fields(void **state)
{
	cl_answers a = CL_ANSWERS_INIT;
	cl_form_errors errs;

	(void)state;
	valid_except(&a, "role", "phone", NULL);
	check_at(&a, NOW, &errs);
	expect_none(&errs);
	cl_form_errors_free(&errs);
	cl_answers_free(&a);
}

/* White space alone is no answer; around an answer it is ignored. */
static void
test_whitespace(void **state)
{
	(void)state;
	judge("full_name", S("   "), "Enter your full name");
	judge("grounds_statement", S(" \r\n\t \r\n"),
	    "Explain how the proposal meets the reasons you selected");
	judge("full_name", S("  Jane Smith  "), NULL);
	judge("email", S(" jane@example.org "), NULL);
	/* A tab is not trimmed from one line: it is refused. */
	judge("full_name", S("Jane Smith\t"),
	    "Full name must not "
	    "include line breaks or other special characters");
}

static void
test_organisation_unless_individual(void **state)
{
	static const char *const types[] = { "clinician",
		"elected_representative", "local_authority", "campaign_group",
		"nhs_body", "other" };
	cl_answers a;
	cl_form_errors errs;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof types / sizeof types[0]; i++) {
		a = (cl_answers)CL_ANSWERS_INIT;
		valid_except(&a, "requester_type", "organisation", NULL);
		add(&a, "requester_type", types[i]);
		check_at(&a, NOW, &errs);
		expect_one(&errs, "organisation", "organisation",
		    "Enter the name of your organisation");
		cl_form_errors_free(&errs);
		cl_answers_free(&a);
	}
	/* An individual need not give one, but may. */
	a = (cl_answers)CL_ANSWERS_INIT;
	valid_except(&a, "requester_type", "organisation", NULL);
	add(&a, "requester_type", "individual");
	check_at(&a, NOW, &errs);
	expect_none(&errs);
	cl_form_errors_free(&errs);
	add(&a, "organisation", "Residents' association");
	check_at(&a, NOW, &errs);
	expect_none(&errs);
	cl_form_errors_free(&errs);
	cl_answers_free(&a);
	/* No requester type: only that is reported, not the organisation. */
	a = (cl_answers)CL_ANSWERS_INIT;
	valid_except(&a, "requester_type", "organisation", NULL);
	check_at(&a, NOW, &errs);
	expect_one(&errs, "requester_type", "requester_type", NULL);
	cl_form_errors_free(&errs);
	cl_answers_free(&a);
}

/* Radios and selects take only their options' values. */
static void
test_choice_values(void **state)
{
	static const char *const types[] = { "individual", "clinician",
		"elected_representative", "local_authority", "campaign_group",
		"nhs_body", "other" };
	static const char *const stages[] = { "pre_consultation",
		"consultation", "decision_made", "implementing", "implemented",
		"temporary_change" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof types / sizeof types[0]; i++)
		judge("requester_type", types[i], strlen(types[i]), NULL);
	judge("requester_type", S("admin"),
	    "Select who you are making this request as");
	judge("requester_type", S("Individual"),
	    "Select who you are making this request as");
	judge("requester_type", S("individual "),
	    "Select who you are making this request as");
	judge("requester_type", S("individual\0x"),
	    "Select who you are making this request as");
	for (i = 0; i < sizeof stages / sizeof stages[0]; i++) {
		cl_answers a = CL_ANSWERS_INIT;
		cl_form_errors errs;

		valid_except(&a, "proposal_stage", "grounds", NULL);
		add(&a, "proposal_stage", stages[i]);
		add(&a, "grounds", "process");
		check_at(&a, NOW, &errs);
		expect_none(&errs);
		cl_form_errors_free(&errs);
		cl_answers_free(&a);
	}
	judge("proposal_stage", S("decided"),
	    "Select what stage the proposal is at");
	judge("commissioner", S("icb-atlantis"),
	    "Select which NHS body is responsible for the proposal");
	judge("commissioner", S("NHS Devon Integrated Care Board"),
	    "Select which NHS body is responsible for the proposal");
}

/* Every commissioner slug and "dont_know" is a valid answer. */
static void
test_commissioner_options(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < CL_NCOMMISSIONERS; i++)
		judge("commissioner", cl_commissioner_options[i].value,
		    strlen(cl_commissioner_options[i].value), NULL);
	judge("commissioner", S("dont_know"), NULL);
}

/* Exactly the limit passes, one more fails, counted in characters. */
static void
test_length_boundaries(void **state)
{
	static const char *const chars[] = { "a", "\xC3\xA9", "\xE2\x80\x93",
		"\xF0\x9F\x98\x80" };
	char msg[200], *over;
	size_t i, c;

	(void)state;
	for (i = 0; i < NTEXTS; i++) {
		const cl_field *f = cl_field_get(
		    cl_field_lookup(texts[i].name));

		assert_int_equal(f->max_chars, texts[i].max);
		snprintf(msg, sizeof msg, "%s", f->msg[CL_FE_TOO_LONG]);
		for (c = 0; c < sizeof chars / sizeof chars[0]; c++) {
			char *ok = repeat(chars[c], texts[i].max);

			over = repeat(chars[c], texts[i].max + 1);

			judge(texts[i].name, ok, strlen(ok), NULL);
			judge(texts[i].name, over, strlen(over), msg);
			free(ok);
			free(over);
		}
	}
	/* The messages, word for word. */
	over = repeat("x", 2001);
	judge("full_name", over, 101,
	    "Full name must be 100 characters or fewer");
	judge("services_affected", over, 2001,
	    "Services and places affected must be 2,000 characters or fewer");
	free(over);
}

/* Email and phone limits. */
static void
test_email_phone_length(void **state)
{
	char email[300], phone[40];

	(void)state;
	/* 64 + 1 + 189 = 254 characters. */
	memset(email, 'a', 64);
	email[64] = '@';
	memset(email + 65, 'b', 189);
	memcpy(email + 65 + 60, ".", 1);
	memcpy(email + 65 + 121, ".", 1);
	memcpy(email + 254 - 4, ".org", 5);
	assert_int_equal(strlen(email), 254);
	judge("email", email, 254, NULL);
	memmove(email + 1, email, 255);
	email[0] = 'a';
	/* 255 characters (and a local part of 65). */
	judge("email", email, 255,
	    "Email address must be 254 characters or fewer");
	memset(phone, '1', 30);
	judge("phone", phone, 30, NULL);
	memset(phone, '1', 31);
	judge("phone", phone, 31,
	    "Telephone number must be 30 characters or fewer");
}

/* A CR LF pair, as browsers send a line break, counts as one character. */
static void
test_crlf_counts_as_one(void **state)
{
	cl_buf b = CL_BUF_INIT;
	size_t i;

	(void)state;
	/* 999 * ("x" CR LF) + "yz" = 2000 characters in 2999 bytes. */
	for (i = 0; i < 999; i++)
		cl_buf_puts(&b, "x\r\n");
	cl_buf_puts(&b, "yz");
	judge("services_affected", b.data, b.len, NULL);
	cl_buf_putc(&b, '!');
	judge("services_affected", b.data, b.len,
	    "Services and places affected must be 2,000 characters or fewer");
	/* A lone CR or LF counts as one too. */
	cl_buf_reset(&b);
	for (i = 0; i < 1000; i++)
		cl_buf_puts(&b, "x\n");
	cl_buf_puts(&b, "y");
	judge("services_affected", b.data, b.len,
	    "Services and places affected must be 2,000 characters or fewer");
	cl_buf_free(&b);
}

/* Invalid UTF-8 in any text field is refused with its own message. */
static void
test_invalid_utf8(void **state)
{
	static const char *const bad[] = { "caf\xE9", "\xC0\xAF",
		"\xED\xA0\x80", "ok\xF4\x90\x80\x80", "\x80", "trunc\xE2\x82" };
	static const char *const fields[] = { "full_name", "organisation",
		"role", "email", "phone", "proposal_title", "services_affected",
		"change_description", "grounds_statement", "local_resolution" };
	char msg[200];
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		const cl_field *f = cl_field_get(cl_field_lookup(fields[i]));

		snprintf(msg, sizeof msg, "%s", f->msg[CL_FE_ENCODING]);
		assert_non_null(strstr(msg, "unreadable characters"));
		for (j = 0; j < sizeof bad / sizeof bad[0]; j++)
			judge(fields[i], bad[j], strlen(bad[j]), msg);
	}
	judge("full_name", S("caf\xE9"),
	    "Full name must not include unreadable characters");
	/* Choices: not an option. */
	judge("requester_type", S("individu\xE9"),
	    "Select who you are making this request as");
}

/* One-line fields refuse every control character. */
static void
test_control_one_line(void **state)
{
	static const char *const bad[] = { "a\rb", "a\nb", "a\r\nb", "a\0b",
		"a\tb", "a\x1b[31mb",
		"a\x7f"
		"b",
		"a\xC2\x85"
		"b",
		"a\xC2\x9B"
		"b",
		"a\x01",
		"\x0b"
		"a",
		"Evil\r\nBcc: x@example.com" };
	static const char *const fields[] = { "full_name", "organisation",
		"role", "email", "phone", "proposal_title" };
	char msg[200];
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		const cl_field *f = cl_field_get(cl_field_lookup(fields[i]));

		snprintf(msg, sizeof msg, "%s", f->msg[CL_FE_CONTROL]);
		for (j = 0; j < sizeof bad / sizeof bad[0]; j++) {
			size_t len = strlen(bad[j]);

			if (j == 3) /* "a\0b" */
				len = 3;
			judge(fields[i], bad[j], len, msg);
		}
	}
	judge("proposal_title", S("Closure\r\nBcc: x@example.com"),
	    "Name of the proposal must not include line breaks or other "
	    "special characters");
	/* Other characters are fine, markup included: it is escaped on
	 * output, never refused. */
	judge("full_name", S("Zo\xC3\xAB O'Brien-\xE6\x9D\x8E <b>"), NULL);
}

/*
 * One-line fields refuse invisible and direction-changing characters with
 * their own message; ZWNJ and ZWJ (Persian, Indic spelling) and visible
 * neighbours of the list (U+202F, U+2027, U+2070) are fine.
 */
static void
test_hidden_one_line(void **state)
{
	static const char *const bad[] = {
		"a\xE2\x80\xAA"
		"b",
		"a\xE2\x80\xAB"
		"b",
		"a\xE2\x80\xAC"
		"b",
		"a\xE2\x80\xAD"
		"b",
		"evil\xE2\x80\xAE"
		"gpj.exe", /* U+202A..E */
		"a\xE2\x81\xA6"
		"b",
		"a\xE2\x81\xA7"
		"b",
		"a\xE2\x81\xA8"
		"b",
		"a\xE2\x81\xA9"
		"b", /* U+2066..9 */
		"a\xE2\x80\x8B"
		"b",
		"a\xE2\x80\x8E"
		"b",
		"a\xE2\x80\x8F"
		"b",
		"a\xE2\x81\xA0"
		"b",
		"a\xE2\x81\xA4"
		"b", /* U+2060, 2064 */
		"\xEF\xBB\xBF"
		"a",
		"a\xC2\xAD"
		"b",
		"a\xD8\x9C"
		"b", /* FEFF AD 61C */
		"a\xE1\xA0\x8E"
		"b",
		"a\xE2\x80\xA8"
		"b",
		"a\xE2\x80\xA9"
		"b",
		"\xE3\x85\xA4",
		"a\xF3\xA0\x80\x81"
		"b",
		"a\xF3\xA0\x81\xBF"
		"b",
	};
	static const char *const fields[] = { "full_name", "organisation",
		"role", "email", "phone", "proposal_title" };
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		const cl_field *f = cl_field_get(cl_field_lookup(fields[i]));

		assert_non_null(f->msg[CL_FE_HIDDEN]);
		for (j = 0; j < sizeof bad / sizeof bad[0]; j++)
			judge(fields[i], bad[j], strlen(bad[j]),
			    f->msg[CL_FE_HIDDEN]);
	}
	judge("full_name",
	    S("Jane\xE2\x80\xAE"
	      "htimS"),
	    "Full name must not include invisible characters or characters "
	    "that change the direction of text");
	judge("full_name",
	    S("\xD9\x85\xDB\x8C\xE2\x80\x8C\xD8\xAE\xD9\x88\xD8\xA7\xD9\x87\xD9\x85"),
	    NULL);
	judge("full_name", S("\xE0\xB4\xA8\xE0\xB5\x8D\xE2\x80\x8D"), NULL);
	judge("full_name",
	    S("a\xE2\x80\xAF"
	      "b\xE2\x80\xA7"
	      "c\xE2\x81\xB0"),
	    NULL);
}

/* Multi-line answers keep direction marks, soft hyphens and the like. */
static void
test_hidden_multi_line_kept(void **state)
{
	(void)state;
	for (size_t i = 0; i < NTEXTS; i++)
		if (texts[i].multiline)
			judge(texts[i].name,
			    S("\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D"
			      "\xE2\x80\x8F (2024)\r\nco\xC2\xAD"
			      "operate\xE2\x80\xAE"
			      "x"),
			    NULL);
}

/* Multi-line fields take TAB, CR and LF, and refuse other controls. */
static void
test_control_multi_line(void **state)
{
	static const char *const bad[] = { "a\0b",
		"a\x01"
		"b",
		"a\x0b"
		"b",
		"a\x0c"
		"b",
		"a\x1b"
		"b",
		"a\x7f"
		"b",
		"a\xC2\x85"
		"b" };
	size_t i, j, len;

	(void)state;
	for (i = 0; i < NTEXTS; i++) {
		const cl_field *f;

		if (!texts[i].multiline)
			continue;
		f = cl_field_get(cl_field_lookup(texts[i].name));
		judge(texts[i].name, S("line 1\r\nline 2\n\tline 3\rend"),
		    NULL);
		for (j = 0; j < sizeof bad / sizeof bad[0]; j++) {
			len = j == 0 ? 3 : strlen(bad[j]);
			judge(texts[i].name, bad[j], len,
			    f->msg[CL_FE_CONTROL]);
		}
	}
	judge("local_resolution", S("Page 1\x0cPage 2"),
	    "What you have done locally must not include hidden control "
	    "characters, which can come from text copied from a PDF");
}

static void
test_email_format(void **state)
{
	static const char *const good[] = {
		"name@example.com",
		"first.last@example.co.uk",
		"o'brien+callin@mail.example.org",
		"x@a.io",
		"UPPER@EXAMPLE.COM",
		"a-b_c@sub-domain.example.com",
		"1234@123.example",
		"user@xn--bcher-kva.example",
		"!#$%&'*+-/=?^_`{|}~@example.com",
	};
	static const char *const bad[] = {
		"plainaddress",
		"@example.com",
		"name@",
		"name@example",
		"name@@example.com",
		"na@me@example.com",
		"name@.example.com",
		"name@example..com",
		"name@example.com.",
		".name@example.com",
		"name.@example.com",
		"na..me@example.com",
		"name@-example.com",
		"name@example-.com",
		"na me@example.com",
		"name@exa mple.com",
		"<name@example.com>",
		"name@example.com>",
		"Name <n@example.com>",
		"\"quoted\"@example.com",
		"name@[192.0.2.1]",
		"name@192.0.2.1",
		"name(comment)@example.com",
		"n\xC3\xA4me@example.com",
		"name@ex\xC3\xA4mple.com",
		"name@example.c_m",
		"a,b@example.com",
		"a;b@example.com",
		"name@example.com,other@example.com",
	};
	const char *msg = "Enter an email address in the correct format, "
			  "like name@example.com";
	char local[80];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof good / sizeof good[0]; i++)
		judge("email", good[i], strlen(good[i]), NULL);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		judge("email", bad[i], strlen(bad[i]), msg);
	/* Local part: 64 fine, 65 not.  Label: 63 fine, 64 not. */
	memset(local, 'a', 64);
	memcpy(local + 64, "@example.com", 13);
	judge("email", local, strlen(local), NULL);
	memset(local, 'a', 65);
	memcpy(local + 65, "@example.com", 13);
	judge("email", local, strlen(local), msg);
	memcpy(local, "a@", 2);
	memset(local + 2, 'b', 63);
	memcpy(local + 65, ".com", 5);
	judge("email", local, strlen(local), NULL);
	memset(local + 2, 'b', 64);
	memcpy(local + 66, ".com", 5);
	judge("email", local, strlen(local), msg);
}

static void
test_phone_format(void **state)
{
	static const char *const good[] = { "01632 960 001", "07700 900 982",
		"+44 808 157 0192", "(01632) 960-001", "999" };
	static const char *const bad[] = { "call me", "01632 960 001 ext 2",
		"+", "()-", "01632.960.001", "01632/960001",
		"+44\xC2\xA0"
		"808" };
	const char *msg = "Enter a telephone number, like 01632 960 001, "
			  "07700 900 982 or +44 808 157 0192";
	size_t i;

	(void)state;
	for (i = 0; i < sizeof good / sizeof good[0]; i++)
		judge("phone", good[i], strlen(good[i]), NULL);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		judge("phone", bad[i], strlen(bad[i]), msg);
}

/* Each field may come once; a second copy is refused, whatever it says. */
static void
test_repeated_fields(void **state)
{
	static const struct {
		const char *name, *value, *message;
	} cases[] = {
		{ "full_name", "Jane Smith",
		    "Full name must only be given once" },
		{ "email", "other@example.org",
		    "Email address must only be given once" },
		{ "requester_type", "individual",
		    "Select who you are making this request as" },
		{ "commissioner", "icb-somerset",
		    "Select which NHS body is responsible for the proposal" },
		{ "local_resolution", "More",
		    "What you have done locally must only be given once" },
		{ "declaration_accurate", "yes",
		    "Select the box to confirm that the information in this "
		    "request is accurate" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cl_answers a = CL_ANSWERS_INIT;
		cl_form_errors errs;

		valid_except(&a, NULL);
		add(&a, cases[i].name, cases[i].value);
		check_at(&a, NOW, &errs);
		expect_one(&errs, cases[i].name, cases[i].name,
		    cases[i].message);
		assert_int_equal(errs.v[0].kind, CL_FE_REPEATED);
		cl_form_errors_free(&errs);
		cl_answers_free(&a);
	}
}

static void
test_grounds(void **state)
{
	cl_answers a;
	cl_form_errors errs;

	(void)state;
	/* Each alone is fine after a decision. */
	a = (cl_answers)CL_ANSWERS_INIT;
	valid_except(&a, "grounds", NULL);
	add(&a, "grounds", "best_interests");
	check_at(&a, NOW, &errs);
	expect_none(&errs);
	cl_form_errors_free(&errs);
	cl_answers_free(&a);
	/* An unknown value. */
	a = (cl_answers)CL_ANSWERS_INIT;
	valid_except(&a, NULL);
	add(&a, "grounds", "vibes");
	check_at(&a, NOW, &errs);
	expect_one(&errs, "grounds", "grounds",
	    "Select why you are asking for the proposal to be called in");
	assert_int_equal(errs.v[0].kind, CL_FE_INVALID);
	cl_form_errors_free(&errs);
	cl_answers_free(&a);
	/* The same value twice. */
	a = (cl_answers)CL_ANSWERS_INIT;
	valid_except(&a, NULL);
	add(&a, "grounds", "process");
	check_at(&a, NOW, &errs);
	expect_one(&errs, "grounds", "grounds", "Select each reason only once");
	cl_form_errors_free(&errs);
	cl_answers_free(&a);
}

/* best_interests only when a decision has been made. */
static void
test_best_interests_needs_decision(void **state)
{
	static const char *const before[] = { "pre_consultation",
		"consultation", "temporary_change" };
	static const char *const after[] = { "decision_made", "implementing",
		"implemented" };
	cl_answers a;
	cl_form_errors errs;
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		a = (cl_answers)CL_ANSWERS_INIT;
		valid_except(&a, "proposal_stage", "decision_date-day",
		    "decision_date-month", "decision_date-year", NULL);
		add(&a, "proposal_stage", before[i]);
		check_at(&a, NOW, &errs);
		expect_one(&errs, "grounds", "grounds",
		    "Select best interests only if a decision has been made");
		assert_int_equal(errs.v[0].kind, CL_FE_NOT_ALLOWED);
		cl_form_errors_free(&errs);
		cl_answers_free(&a);

		a = (cl_answers)CL_ANSWERS_INIT;
		valid_except(&a, "proposal_stage", NULL);
		add(&a, "proposal_stage", after[i]);
		check_at(&a, NOW, &errs);
		expect_none(&errs);
		cl_form_errors_free(&errs);
		cl_answers_free(&a);
	}
	/* No stage chosen: only the stage is reported. */
	a = (cl_answers)CL_ANSWERS_INIT;
	valid_except(&a, "proposal_stage", "decision_date-day",
	    "decision_date-month", "decision_date-year", NULL);
	check_at(&a, NOW, &errs);
	expect_one(&errs, "proposal_stage", "proposal_stage",
	    "Select what stage the proposal is at");
	cl_form_errors_free(&errs);
	cl_answers_free(&a);
}

static void
test_declarations(void **state)
{
	(void)state;
	judge("declaration_accurate", S("no"),
	    "Select the box to "
	    "confirm that the information in this request is accurate");
	judge("declaration_accurate", S("on"),
	    "Select the box to "
	    "confirm that the information in this request is accurate");
	judge("declaration_sharing", S("YES"),
	    "Select the box to "
	    "confirm that you understand who your request may be shared with");
	judge("declaration_sharing", S("yes"), NULL);
}

/* Names the form does not have are the caller's business. */
static void
test_unknown_names_ignored(void **state)
{
	cl_answers a = CL_ANSWERS_INIT;
	cl_form_errors errs;

	(void)state;
	valid_except(&a, NULL);
	add(&a, "website", "");
	add(&a, "csrf_token", "again");
	cl_answers_add(&a, "junk", "\xFF\0\r\n", 4);
	add(&a, "decision_date-hour", "12");
	add(&a, "grounds_x", "process");
	check_at(&a, NOW, &errs);
	expect_none(&errs);
	cl_form_errors_free(&errs);
	cl_answers_free(&a);
}

/* Several errors come in page order, each linking to its input. */
static void
test_errors_in_page_order(void **state)
{
	static const char *const order[][2] = {
		{ "requester_type", "requester_type" },
		{ "email", "email" },
		{ "proposal_stage", "proposal_stage" },
		{ "decision_date", "decision_date-month" },
		{ "grounds", "grounds" },
		{ "local_resolution", "local_resolution" },
		{ "declaration_sharing", "declaration_sharing" },
	};
	cl_answers a = CL_ANSWERS_INIT;
	cl_form_errors errs;
	size_t i;

	(void)state;
	/* Added in reverse page order on purpose. */
	add(&a, "declaration_accurate", "yes");
	add(&a, "grounds", "nonsense");
	add(&a, "grounds_statement", "Because");
	add(&a, "decision_date-day", "1");
	add(&a, "decision_date-year", "2024");
	add(&a, "proposal_stage", "later");
	add(&a, "change_description", "x");
	add(&a, "services_affected", "x");
	add(&a, "commissioner", "icb-devon");
	add(&a, "proposal_title", "x");
	add(&a, "email", "not an email");
	add(&a, "full_name", "A");
	check_at(&a, NOW, &errs);
	if (errs.n != sizeof order / sizeof order[0])
		dump(&errs);
	assert_int_equal(errs.n, sizeof order / sizeof order[0]);
	for (i = 0; i < errs.n; i++) {
		assert_string_equal(errs.v[i].name, order[i][0]);
		assert_string_equal(errs.v[i].anchor, order[i][1]);
		assert_true(i == 0 || errs.v[i - 1].field < errs.v[i].field);
	}
	/* The stage is invalid, so the date is judged only as entered: it
	 * lacks a month. */
	assert_string_equal(message_for(&errs, "decision_date"),
	    "Date of the decision must include a month");
	assert_string_equal(message_for(&errs, "email"),
	    "Enter an email address in the correct format, like "
	    "name@example.com");
	assert_null(message_for(&errs, "full_name"));
	assert_null(message_for(&errs, "no_such_field"));
	assert_non_null(cl_form_error_find(&errs, "grounds"));
	cl_form_errors_free(&errs);
	assert_int_equal(errs.n, 0);
	assert_null(errs.v);
	cl_answers_free(&a);
}

/* Errors added by the caller (attachments) take their place in the page. */
static void
test_errors_add(void **state)
{
	cl_answers a = CL_ANSWERS_INIT;
	cl_form_errors errs = CL_FORM_ERRORS_INIT;

	(void)state;
	cl_form_errors_add(&errs, CL_F_ATTACHMENTS, CL_FE_ATTACHMENT,
	    "The selected file must be smaller than 10MB");
	valid_except(&a, "full_name", "declaration_sharing", NULL);
	assert_int_equal(cl_form_validate(&a, NOW, &errs), CL_OK);
	assert_int_equal(errs.n, 3);
	assert_string_equal(errs.v[0].name, "full_name");
	assert_string_equal(errs.v[1].name, "attachments");
	assert_string_equal(errs.v[1].anchor, "attachments");
	assert_int_equal(errs.v[1].kind, CL_FE_ATTACHMENT);
	assert_string_equal(errs.v[1].message,
	    "The selected file must be smaller than 10MB");
	assert_string_equal(errs.v[2].name, "declaration_sharing");
	/* A second on the same field goes after the first. */
	cl_form_errors_add(&errs, CL_F_ATTACHMENTS, CL_FE_ATTACHMENT, "second");
	assert_string_equal(errs.v[2].message, "second");
	assert_string_equal(message_for(&errs, "attachments"),
	    "The selected file must be smaller than 10MB");
	cl_form_errors_free(&errs);
	cl_answers_free(&a);
}

static void
test_null_arguments(void **state)
{
	cl_answers a = CL_ANSWERS_INIT;
	cl_form_errors errs = CL_FORM_ERRORS_INIT;

	(void)state;
	assert_int_equal(cl_form_validate(NULL, NOW, &errs), CL_EINVAL);
	assert_int_equal(cl_form_validate(&a, NOW, NULL), CL_EINVAL);
	/* Nothing at all: one error per required field, nothing else. */
	assert_int_equal(cl_form_validate(&a, NOW, &errs), CL_OK);
	assert_int_equal(errs.n, 13);
	cl_form_errors_free(&errs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_full_set),
		cmocka_unit_test(test_valid_minimal_individual),
		cmocka_unit_test(test_missing_each_required),
		cmocka_unit_test(test_optional_fields),
		cmocka_unit_test(test_whitespace),
		cmocka_unit_test(test_organisation_unless_individual),
		cmocka_unit_test(test_choice_values),
		cmocka_unit_test(test_commissioner_options),
		cmocka_unit_test(test_length_boundaries),
		cmocka_unit_test(test_email_phone_length),
		cmocka_unit_test(test_crlf_counts_as_one),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_control_one_line),
		cmocka_unit_test(test_control_multi_line),
		cmocka_unit_test(test_hidden_one_line),
		cmocka_unit_test(test_hidden_multi_line_kept),
		cmocka_unit_test(test_email_format),
		cmocka_unit_test(test_phone_format),
		cmocka_unit_test(test_repeated_fields),
		cmocka_unit_test(test_grounds),
		cmocka_unit_test(test_best_interests_needs_decision),
		cmocka_unit_test(test_declarations),
		cmocka_unit_test(test_unknown_names_ignored),
		cmocka_unit_test(test_errors_in_page_order),
		cmocka_unit_test(test_errors_add),
		cmocka_unit_test(test_null_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_pages_render.c: every page renders from its templates in every
 * state (fresh form, form with every error and with answers written back,
 * each error page with and without the not-submitted warning, detail and
 * configuration, the per-email limit, start, confirmation, the three
 * address-confirmation pages, /verify with each verdict) with no fault: a
 * template that names a value the page's code does not give fails here.
 * Every template is either such a page or a partial one of them uses; the
 * limits in the copy are the configuration's; every value is escaped.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "callin/config.h"
#include "callin/form.h"
#include "callin/page.h"
#include "callin/tmpl.h"

static const int statuses[] = { 400, 403, 404, 405, 409, 410, 413, 429, 500,
	503 };

/* A configuration with the limits given (the rest zero). */
static cl_config
limits(int64_t files, int64_t file_bytes, int64_t total_bytes)
{
	cl_config c;

	memset(&c, 0, sizeof c);
	c.max_files = files;
	c.max_file_bytes = file_bytes;
	c.max_total_bytes = total_bytes;
	return c;
}

/* Assert html is a whole page, every tag resolved; free it. */
static void
whole_page(cl_buf *html, const char *title)
{
	char t[256];

	snprintf(t, sizeof t, "<title>%s – ", title);
	assert_non_null(strstr(cl_buf_str(html), "<!DOCTYPE html>\n"));
	assert_non_null(strstr(cl_buf_str(html), t));
	assert_non_null(strstr(cl_buf_str(html), "</html>\n"));
	assert_null(strstr(cl_buf_str(html), "{{"));
	assert_null(strstr(cl_buf_str(html), "}}"));
	cl_buf_reset(html);
}

/* Assert the page in b holds want. */
static void
has(const cl_buf *b, const char *want)
{
	if (strstr(cl_buf_str(b), want) == NULL)
		fail_msg("page lacks %s", want);
}

static void
test_form_fresh(void **state)
{
	cl_config cfg = limits(10, 10 << 20, 25 << 20);
	cl_svc app = { .cfg = &cfg };
	cl_buf b = CL_BUF_INIT;

	(void)state;
	assert_int_equal(cl_form_page_render(&app, NULL, NULL, 0, "tok<",
			     "key&", &b),
	    CL_OK);
	has(&b, "name=\"csrf_token\" value=\"tok&lt;\"");
	has(&b, "name=\"idempotency_key\" value=\"key&amp;\"");
	has(&b,
	    "accept=\".pdf,.docx,.xlsx,.odt,.ods,.png,.jpg,.jpeg,.txt,.csv\"");
	assert_null(strstr(b.data, "govuk-error-summary"));
	assert_null(strstr(b.data, "attachments-again"));
	for (cl_field_id id = 0; id < CL_F__MAX; id++) {
		char iid[CL_INPUT_ID_MAX], want[128];

		cl_field_input_id(id, 0, iid);
		snprintf(want, sizeof want, "id=\"%s\"", iid);
		has(&b, want);
	}
	whole_page(&b, "Ask for an NHS change to be called in");
	cl_buf_free(&b);
}

static void
test_form_with_every_error_and_answers(void **state)
{
	cl_config cfg = limits(10, 10 << 20, 25 << 20);
	cl_svc app = { .cfg = &cfg };
	cl_answers a = CL_ANSWERS_INIT;
	cl_form_errors errs = CL_FORM_ERRORS_INIT;
	cl_buf b = CL_BUF_INIT;
	const char *hostile = "<script>\"&'";

	(void)state;
	/* Empty answers: every required field in error. */
	cl_form_errors_add(&errs, CL_F_ATTACHMENTS, CL_FE_ATTACHMENT,
	    "Bad <file>");
	assert_int_equal(cl_form_validate(&a, time(NULL), &errs), CL_OK);
	assert_true(errs.n > 5);
	assert_int_equal(cl_form_page_render(&app, &a, &errs, 1, "t", "k", &b),
	    CL_OK);
	has(&b, "<title>Error: Ask for an NHS change");
	has(&b,
	    "<h2 class=\"govuk-error-summary__title\">There is a problem</h2>");
	has(&b, "Bad &lt;file&gt;");
	has(&b, "id=\"attachments-again\"");
	for (size_t i = 0; i < errs.n; i++) {
		char want[CL_INPUT_ID_MAX + 32];

		snprintf(want, sizeof want, "<li><a href=\"#%s\">",
		    errs.v[i].anchor);
		has(&b, want);
		snprintf(want, sizeof want, "id=\"%s-error\"", errs.v[i].name);
		has(&b, want);
	}
	whole_page(&b, "Error: Ask for an NHS change to be called in");
	cl_form_errors_free(&errs);

	/* Answers written back, escaped: text, textarea, choices, select, date. */
	cl_answers_add(&a, "full_name", hostile, strlen(hostile));
	cl_answers_add(&a, "services_affected", hostile, strlen(hostile));
	cl_answers_add(&a, "requester_type", "individual", 10);
	cl_answers_add(&a, "grounds", "process", 7);
	cl_answers_add(&a, "commissioner", "icb-surrey-heartlands", 21);
	cl_answers_add(&a, "decision_date-day", "40", 2);
	cl_answers_add(&a, "declaration_accurate", "yes", 3);
	assert_int_equal(cl_form_validate(&a, time(NULL), &errs), CL_OK);
	assert_int_equal(cl_form_page_render(&app, &a, &errs, 0, "t", "k", &b),
	    CL_OK);
	has(&b, "value=\"&lt;script&gt;&quot;&amp;&#39;\"");
	has(&b, ">&lt;script&gt;&quot;&amp;&#39;</textarea>");
	has(&b, "value=\"individual\" checked");
	has(&b, "value=\"process\" checked");
	has(&b, "value=\"icb-surrey-heartlands\" selected>");
	has(&b, "value=\"40\"");
	has(&b, "<optgroup label=\"");
	assert_null(strstr(b.data, hostile));
	whole_page(&b, "Error: Ask for an NHS change to be called in");
	cl_form_errors_free(&errs);
	cl_answers_free(&a);
	cl_buf_free(&b);
}

static void
test_error_pages(void **state)
{
	cl_config cfg;
	char err[256];
	cl_buf b = CL_BUF_INIT;

	(void)state;
	assert_int_equal(cl_config_load(NULL, &cfg, err, sizeof err), CL_OK);
	for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
		for (int submit = 0; submit < 2; submit++)
			for (int withcfg = 0; withcfg < 2; withcfg++) {
				assert_int_equal(cl_page_error_html(&b,
						     withcfg ? &cfg : NULL,
						     statuses[i], submit,
						     withcfg ? "A <detail>." :
							       NULL),
				    CL_OK);
				if (submit)
					has(&b,
					    "data-outcome=\"not-submitted\"");
				else
					assert_null(
					    strstr(b.data, "not-submitted"));
				has(&b,
				    submit ?
					"href=\"/request\">Go back to the form" :
					"href=\"/\">Go to the start page");
				if (withcfg)
					has(&b,
					    "<p class=\"govuk-body\">A &lt;detail&gt;.</p>");
				if (statuses[i] == 413 && withcfg)
					has(&b,
					    "Each file must be 10MB or smaller, and all "
					    "files together 25MB or smaller.");
				b.len = 0;
			}
	/* A status without a page of its own gets the 500 page. */
	assert_int_equal(cl_page_error_html(&b, NULL, 418, 0, NULL), CL_OK);
	whole_page(&b, "Sorry, there is a problem with the service");
	cl_config_free(&cfg);
	cl_buf_free(&b);
}

/* The copy's limits are the configuration's, never fixed numbers. */
static void
test_limits_come_from_the_configuration(void **state)
{
	cl_config cfg = limits(3, 2 << 20, 5 << 20);
	cl_svc app = { .cfg = &cfg };
	cl_buf b = CL_BUF_INIT;

	(void)state;
	assert_int_equal(cl_page_error_html(&b, &cfg, 413, 1, NULL), CL_OK);
	has(&b,
	    "Each file must be 2MB or smaller, and all files together 5MB or smaller.");
	assert_null(strstr(b.data, "10MB"));
	b.len = 0;
	cfg = limits(2, 512 * 1024, 1 << 20); /* the total cannot be reached */
	assert_int_equal(cl_page_error_html(&b, &cfg, 413, 1, NULL), CL_OK);
	has(&b, "Each file must be 512KB or smaller.</p>");
	b.len = 0;
	cfg = limits(3, 2 << 20, 5 << 20);
	assert_int_equal(cl_page_start_html(&app, &b), CL_OK);
	has(&b, "You can attach up to 3 files as evidence");
	assert_null(strstr(b.data, "10 files"));
	whole_page(&b, "Ask for an NHS change to be called in");
	cfg.max_files = 1;
	assert_int_equal(cl_page_start_html(&app, &b), CL_OK);
	has(&b, "You can attach up to 1 file as evidence");
	cl_buf_reset(&b);
	/* cppcheck-suppress redundantAssignment ; app.cfg points to cfg */
	cfg.max_files = 0;
	assert_int_equal(cl_page_start_html(&app, &b), CL_OK);
	assert_null(strstr(b.data, "You can attach"));
	cl_buf_free(&b);
}

static void
test_email_limit(void **state)
{
	cl_buf b = CL_BUF_INIT;

	(void)state;
	assert_int_equal(cl_page_email_limit_html(&b, 3, 86400), CL_OK);
	has(&b,
	    "for now: 3 in 24 hours.</p>\n<p class=\"govuk-body\">Try again tomorrow.</p>");
	has(&b, "data-outcome=\"not-submitted\"");
	has(&b, "href=\"/\">Go to the start page");
	assert_null(strstr(b.data, "Go back to the form"));
	whole_page(&b,
	    "You cannot send more requests from this email address for now");
	assert_int_equal(cl_page_email_limit_html(&b, 5, 7 * 86400), CL_OK);
	has(&b,
	    "for now: 5 in 7 days.</p>\n<p class=\"govuk-body\">Try again in 7 days.</p>");
	cl_buf_free(&b);
}

static void
test_confirmation_pages(void **state)
{
	cl_buf b = CL_BUF_INIT;

	(void)state;
	assert_int_equal(cl_page_confirmation_html(&b, "CIR-2345-6789",
			     "2026-11-23T14:05:09Z", "tok_en",
			     "callin-receipt-v1\n<x>&\n", "", 0),
	    CL_OK);
	assert_null(strstr(b.data, "log-proof"));
	has(&b, "<strong id=\"reference\">CIR-2345-6789</strong>");
	has(&b,
	    "datetime=\"2026-11-23T14:05:09Z\">23 November 2026 at 14:05:09 UTC</time>");
	has(&b, "href=\"/receipt/tok_en/receipt.txt\"");
	has(&b,
	    "<pre id=\"receipt-text\">callin-receipt-v1\n&lt;x&gt;&amp;\n</pre>");
	whole_page(&b, "Request sent");
	/* A receipt that promises the log: pending, then the two files. */
	assert_int_equal(cl_page_confirmation_html(&b, "CIR-2345-6789",
			     "2026-11-23T14:05:09Z", "tok_en", "r",
			     "ex.org/log", 0),
	    CL_OK);
	has(&b, "data-proof=\"pending\"");
	has(&b, "within a few minutes");
	assert_null(strstr(b.data, "receipt.tlog-proof"));
	whole_page(&b, "Request sent");
	assert_int_equal(cl_page_confirmation_html(&b, "CIR-2345-6789",
			     "2026-11-23T14:05:09Z", "tok_en", "r",
			     "ex.org/log", 1),
	    CL_OK);
	has(&b, "data-proof=\"ready\"");
	has(&b, "our public log (ex.org/log)");
	has(&b, "href=\"/receipt/tok_en/receipt.tlog-proof\"");
	has(&b, "href=\"/receipt/tok_en/checkpoint.tsr\"");
	has(&b, "cannot have been received later than the time");
	whole_page(&b, "Request sent");
	assert_int_equal(cl_page_confirm_html(&b, CL_CONFIRM_PENDING,
			     "CIR-2345-6789", "c0de"),
	    CL_OK);
	has(&b, "action=\"/confirm/CIR-2345-6789/c0de\"");
	whole_page(&b, "Confirm your email address");
	assert_int_equal(cl_page_confirm_html(&b, CL_CONFIRM_DONE,
			     "CIR-2345-6789", "c0de"),
	    CL_OK);
	has(&b, "data-outcome=\"confirmed\"");
	whole_page(&b, "Email address confirmed");
	assert_int_equal(cl_page_confirm_html(&b, CL_CONFIRM_ALREADY,
			     "CIR-2345-6789", "c0de"),
	    CL_OK);
	has(&b, "data-outcome=\"already-confirmed\"");
	whole_page(&b, "Your email address is already confirmed");
	assert_int_equal(cl_page_confirm_html(&b, CL_CONFIRM_EXPIRED, "r", "c"),
	    CL_EINVAL);
	assert_int_equal(cl_page_confirm_html(&b, CL_CONFIRM_UNKNOWN, "r", "c"),
	    CL_EINVAL);
	cl_buf_free(&b);
}

static void
test_verify_pages(void **state)
{
	static cl_verify_result r;
	cl_buf b = CL_BUF_INIT;

	(void)state;
	assert_int_equal(cl_page_verify_html(&b, NULL), CL_OK);
	assert_null(strstr(b.data, "data-verdict"));
	has(&b, "<h1 class=\"govuk-heading-xl\">Check a receipt</h1>");
	whole_page(&b, "Check a receipt");

	memset(&r, 0, sizeof r);
	r.verdict = CL_VERDICT_UNREADABLE;
	r.reason = "line 1: <bad>";
	assert_int_equal(cl_page_verify_html(&b, &r), CL_OK);
	has(&b, "data-verdict=\"unreadable\"");
	has(&b, "<p class=\"govuk-body\">line 1: &lt;bad&gt;</p>");
	whole_page(&b, "Check a receipt");

	memset(&r, 0, sizeof r);
	r.verdict = CL_VERDICT_VALID;
	r.reference = "CIR-2345-6789";
	r.received = "2026-11-23T14:05:09Z";
	r.checks[0] = (cl_verify_check){ "signature", 1, "Signed", "(key k)." };
	r.checks[1] = (cl_verify_check){ "on-file", 1, "On file", "" };
	r.checks[2] = (cl_verify_check){ "copy", 1, "Copy", "" };
	r.nchecks = 3;
	assert_int_equal(cl_page_verify_html(&b, &r), CL_OK);
	has(&b, "govuk-notification-banner--success");
	has(&b, "data-verdict=\"valid\"");
	has(&b, "This receipt is valid</p>");
	has(&b,
	    "Reference CIR-2345-6789, received 23 November 2026 at 14:05:09 UTC.");
	has(&b,
	    "<li id=\"check-signature\" data-ok=\"yes\"><strong aria-hidden=\"true\">&#10003;"
	    "</strong> <span class=\"govuk-visually-hidden\">Passed:</span>Signed (key k).</li>");
	has(&b, "<li id=\"check-copy\" data-ok=\"yes\">");
	whole_page(&b, "Check a receipt");

	r.verdict = CL_VERDICT_INVALID;
	r.checks[1].ok = 0;
	assert_int_equal(cl_page_verify_html(&b, &r), CL_OK);
	has(&b, "data-verdict=\"invalid\"");
	has(&b, "This receipt is not valid</p>");
	has(&b,
	    "<li id=\"check-on-file\" data-ok=\"no\"><strong aria-hidden=\"true\">&#10007;"
	    "</strong> <span class=\"govuk-visually-hidden\">Failed:</span>On file</li>");
	assert_null(strstr(b.data, "--success"));
	whole_page(&b, "Check a receipt");
	cl_buf_free(&b);
}

/*
 * The templates the tests above render as pages; every other template must
 * be a partial of some template, so none goes untested.
 */
static void
test_every_template_is_used(void **state)
{
	static const char *const pages[] = {
		"form",
		"start",
		"confirmation",
		"confirm_pending",
		"confirm_done",
		"confirm_already",
		"verify",
		"email_limit",
		"error_400",
		"error_403",
		"error_404",
		"error_405",
		"error_409",
		"error_410",
		"error_413",
		"error_429",
		"error_500",
		"error_503",
	};

	(void)state;
	for (const cl_tmpl_file *f = cl_tmpl_files; f->name != NULL; f++) {
		char tag[80];
		int used = 0;

		for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++)
			used |= strcmp(pages[i], f->name) == 0;
		snprintf(tag, sizeof tag, "{{>%s}}", f->name);
		for (const cl_tmpl_file *g = cl_tmpl_files;
		     g->name != NULL && !used; g++)
			used = strstr(g->text, tag) != NULL;
		if (!used)
			fail_msg(
			    "template %s is neither a page nor a partial in use",
			    f->name);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_form_fresh),
		cmocka_unit_test(test_form_with_every_error_and_answers),
		cmocka_unit_test(test_error_pages),
		cmocka_unit_test(test_limits_come_from_the_configuration),
		cmocka_unit_test(test_email_limit),
		cmocka_unit_test(test_confirmation_pages),
		cmocka_unit_test(test_verify_pages),
		cmocka_unit_test(test_every_template_is_used),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

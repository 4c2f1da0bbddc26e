/*
 * test_form.c: the answers multimap, the field table the page is rendered
 * from, input ids and normalisation.
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

static void
test_answers(void **state)
{
	cl_answers a = CL_ANSWERS_INIT;
	const cl_answer *e;
	size_t i;

	(void)state;
	assert_null(cl_answers_get(&a, "x"));
	assert_int_equal(cl_answers_count(&a, "x"), 0);
	cl_answers_add(&a, "grounds", "process", 7);
	cl_answers_add(&a, "full_name", "Jane", 4);
	cl_answers_add(&a, "grounds", "best_interests", 14);
	cl_answers_add(&a, "bin", "a\0b", 3);
	cl_answers_add(&a, "empty", NULL, 0);
	/* Many, to make it grow. */
	for (i = 0; i < 100; i++)
		cl_answers_add(&a, "n", "v", 1);
	assert_int_equal(a.n, 105);
	assert_string_equal(cl_answers_get(&a, "grounds"), "process");
	assert_string_equal(cl_answers_get(&a, "full_name"), "Jane");
	assert_int_equal(cl_answers_count(&a, "grounds"), 2);
	assert_int_equal(cl_answers_count(&a, "n"), 100);
	assert_true(cl_answers_has(&a, "grounds", "best_interests"));
	assert_false(cl_answers_has(&a, "grounds", "best"));
	assert_false(cl_answers_has(&a, "full_name", "process"));
	assert_false(cl_answers_has(&a, "bin", "a"));
	e = cl_answers_find(&a, "bin");
	assert_non_null(e);
	assert_int_equal(e->len, 3);
	assert_memory_equal(e->value, "a\0b", 4); /* and a final NUL */
	assert_string_equal(cl_answers_get(&a, "empty"), "");
	assert_null(cl_answers_find(&a, "Grounds"));
	/* Copies, not references. */
	{
		char name[] = "tmp", value[] = "abc";

		cl_answers_add(&a, name, value, 3);
		/* cppcheck-suppress unreadVariable ; the answers must not see it */
		name[0] = 'X';
		/* cppcheck-suppress unreadVariable ; the answers must not see it */
		value[0] = 'X';
		assert_string_equal(cl_answers_get(&a, "tmp"), "abc");
	}
	cl_answers_free(&a);
	assert_int_equal(a.n, 0);
	assert_null(a.v);
	cl_answers_add(&a, "again", "ok", 2);
	assert_string_equal(cl_answers_get(&a, "again"), "ok");
	cl_answers_free(&a);
}

/* The fields of DESIGN.md §3, in page order and sections. */
static void
test_table_matches_design(void **state)
{
	static const struct {
		const char *name;
		cl_field_kind kind;
		cl_section_id section;
		cl_req req;
		size_t max;
	} want[CL_F__MAX] = {
		{ "requester_type", CL_KIND_RADIO, CL_SEC_ABOUT_YOU,
		    CL_REQ_ALWAYS, 0 },
		{ "full_name", CL_KIND_TEXT, CL_SEC_ABOUT_YOU, CL_REQ_ALWAYS,
		    100 },
		{ "organisation", CL_KIND_TEXT, CL_SEC_ABOUT_YOU,
		    CL_REQ_UNLESS_INDIVIDUAL, 150 },
		{ "role", CL_KIND_TEXT, CL_SEC_ABOUT_YOU, CL_REQ_NEVER, 150 },
		{ "email", CL_KIND_EMAIL, CL_SEC_ABOUT_YOU, CL_REQ_ALWAYS,
		    254 },
		{ "phone", CL_KIND_TEL, CL_SEC_ABOUT_YOU, CL_REQ_NEVER, 30 },
		{ "proposal_title", CL_KIND_TEXT, CL_SEC_PROPOSAL,
		    CL_REQ_ALWAYS, 150 },
		{ "commissioner", CL_KIND_SELECT, CL_SEC_PROPOSAL,
		    CL_REQ_ALWAYS, 0 },
		{ "services_affected", CL_KIND_TEXTAREA, CL_SEC_PROPOSAL,
		    CL_REQ_ALWAYS, 2000 },
		{ "change_description", CL_KIND_TEXTAREA, CL_SEC_PROPOSAL,
		    CL_REQ_ALWAYS, 5000 },
		{ "proposal_stage", CL_KIND_RADIO, CL_SEC_PROPOSAL,
		    CL_REQ_ALWAYS, 0 },
		{ "decision_date", CL_KIND_DATE, CL_SEC_PROPOSAL,
		    CL_REQ_WHEN_DECIDED, 0 },
		{ "grounds", CL_KIND_CHECKBOXES, CL_SEC_GROUNDS, CL_REQ_ALWAYS,
		    0 },
		{ "grounds_statement", CL_KIND_TEXTAREA, CL_SEC_GROUNDS,
		    CL_REQ_ALWAYS, 10000 },
		{ "local_resolution", CL_KIND_TEXTAREA, CL_SEC_LOCAL_RESOLUTION,
		    CL_REQ_ALWAYS, 10000 },
		{ "attachments", CL_KIND_FILE, CL_SEC_EVIDENCE, CL_REQ_NEVER,
		    0 },
		{ "declaration_accurate", CL_KIND_CHECKBOX, CL_SEC_DECLARATIONS,
		    CL_REQ_ALWAYS, 0 },
		{ "declaration_sharing", CL_KIND_CHECKBOX, CL_SEC_DECLARATIONS,
		    CL_REQ_ALWAYS, 0 },
	};
	size_t f;

	(void)state;
	for (f = 0; f < CL_F__MAX; f++) {
		const cl_field *fd = cl_field_get((cl_field_id)f);

		assert_ptr_equal(fd, &cl_fields[f]);
		assert_string_equal(fd->name, want[f].name);
		assert_int_equal(fd->kind, want[f].kind);
		assert_int_equal(fd->section, want[f].section);
		assert_int_equal(fd->req, want[f].req);
		assert_int_equal(fd->max_chars, want[f].max);
		assert_non_null(fd->label);
		assert_true(fd->label[0] != '\0');
		assert_int_equal(cl_field_lookup(fd->name),
		    fd->kind == CL_KIND_DATE ? CL_F__MAX : f);
	}
	for (f = 0; f < CL_SEC__MAX; f++) {
		assert_non_null(cl_sections[f].title);
		assert_true(cl_sections[f].title[0] != '\0');
	}
	assert_string_equal(cl_sections[CL_SEC_ABOUT_YOU].title, "About you");
	assert_string_equal(cl_sections[CL_SEC_PROPOSAL].title, "The proposal");
	assert_string_equal(cl_sections[CL_SEC_GROUNDS].title, "Grounds");
	assert_string_equal(cl_sections[CL_SEC_LOCAL_RESOLUTION].title,
	    "Local resolution");
	assert_string_equal(cl_sections[CL_SEC_EVIDENCE].title, "Evidence");
	assert_string_equal(cl_sections[CL_SEC_DECLARATIONS].title,
	    "Declarations");
	/* Local resolution comes first: the page says so. */
	assert_non_null(
	    strstr(cl_sections[CL_SEC_LOCAL_RESOLUTION].intro, "locally"));
	assert_non_null(strstr(cl_fields[CL_F_LOCAL_RESOLUTION].hint,
	    "who you contacted, when, and what happened"));
}

/* Options: the values of DESIGN.md, the labels the public reads. */
static void
test_options(void **state)
{
	static const char *const types[][2] = {
		{ "individual", "As an individual" },
		{ "clinician", "As a GP or other clinician" },
		{ "elected_representative",
		    "As an MP, councillor or other elected representative" },
		{ "local_authority",
		    "For a local authority or health scrutiny committee" },
		{ "campaign_group", "For a campaign or patient group" },
		{ "nhs_body", "For an NHS body" },
		{ "other", "Other" },
	};
	static const char *const stages[][2] = {
		{ "pre_consultation",
		    "Options are being developed, before consultation" },
		{ "consultation",
		    "Public consultation is open or has happened" },
		{ "decision_made", "A decision has been made" },
		{ "implementing", "The change is being implemented" },
		{ "implemented", "The change has been implemented" },
		{ "temporary_change", "A temporary or emergency change" },
	};
	static const char *const grounds[][2] = {
		{ "process",
		    "Concerns about the process (for example, whether "
		    "public consultation was adequate)" },
		{ "best_interests",
		    "A decision has been made that is not in "
		    "the best interests of the health service in the area" },
	};
	const cl_field *f;
	size_t i, j;

	(void)state;
	f = &cl_fields[CL_F_REQUESTER_TYPE];
	assert_int_equal(f->noptions, 7);
	for (i = 0; i < 7; i++) {
		assert_string_equal(f->options[i].value, types[i][0]);
		assert_string_equal(f->options[i].label, types[i][1]);
	}
	f = &cl_fields[CL_F_PROPOSAL_STAGE];
	assert_int_equal(f->noptions, 6);
	for (i = 0; i < 6; i++) {
		assert_string_equal(f->options[i].value, stages[i][0]);
		assert_string_equal(f->options[i].label, stages[i][1]);
	}
	f = &cl_fields[CL_F_GROUNDS];
	assert_int_equal(f->noptions, 2);
	for (i = 0; i < 2; i++) {
		assert_string_equal(f->options[i].value, grounds[i][0]);
		assert_string_equal(f->options[i].label, grounds[i][1]);
	}
	f = &cl_fields[CL_F_COMMISSIONER];
	assert_int_equal(f->noptions, CL_NCOMMISSIONERS + 1);
	assert_string_equal(f->options[f->noptions - 1].value, "dont_know");
	assert_string_equal(f->options[f->noptions - 1].label, "I don't know");
	assert_string_equal(cl_fields[CL_F_DECLARATION_ACCURATE]
				.options[0]
				.value,
	    "yes");
	assert_string_equal(cl_fields[CL_F_DECLARATION_SHARING]
				.options[0]
				.value,
	    "yes");
	/* Every choice field has options with unique values and labels. */
	for (i = 0; i < CL_F__MAX; i++) {
		f = &cl_fields[i];
		switch (f->kind) {
		case CL_KIND_RADIO:
		case CL_KIND_CHECKBOXES:
		case CL_KIND_SELECT:
		case CL_KIND_CHECKBOX: assert_true(f->noptions > 0); break;
		default: assert_int_equal(f->noptions, 0); continue;
		}
		for (j = 0; j < f->noptions; j++) {
			size_t k;

			assert_non_null(f->options[j].value);
			assert_non_null(f->options[j].label);
			for (k = 0; k < j; k++)
				assert_string_not_equal(f->options[j].value,
				    f->options[k].value);
		}
	}
}

/* Each kind of field has a message for each way the validator can refuse
 * it, and limits in messages agree with the table. */
static void
test_messages_complete(void **state)
{
	static const cl_ferr text[] = { CL_FE_TOO_LONG, CL_FE_ENCODING,
		CL_FE_CONTROL, CL_FE_REPEATED };
	static const cl_ferr choice[] = { CL_FE_MISSING, CL_FE_INVALID,
		CL_FE_REPEATED };
	char max[64];
	size_t f, k;

	(void)state;
	for (f = 0; f < CL_F__MAX; f++) {
		const cl_field *fd = &cl_fields[f];

		switch (fd->kind) {
		case CL_KIND_TEXT:
		case CL_KIND_TEXTAREA:
		case CL_KIND_EMAIL:
		case CL_KIND_TEL:
			for (k = 0; k < sizeof text / sizeof text[0]; k++)
				assert_non_null(fd->msg[text[k]]);
			if (fd->req != CL_REQ_NEVER)
				assert_non_null(fd->msg[CL_FE_MISSING]);
			if (fd->kind != CL_KIND_TEXTAREA)
				assert_non_null(fd->msg[CL_FE_HIDDEN]);
			if (fd->kind == CL_KIND_EMAIL ||
			    fd->kind == CL_KIND_TEL)
				assert_non_null(fd->msg[CL_FE_INVALID]);
			/* "2,000 characters or fewer" for 2000. */
			if (fd->max_chars >= 1000)
				snprintf(max, sizeof max,
				    "%zu,%03zu characters",
				    fd->max_chars / 1000, fd->max_chars % 1000);
			else
				snprintf(max, sizeof max, "%zu characters",
				    fd->max_chars);
			assert_non_null(strstr(fd->msg[CL_FE_TOO_LONG], max));
			break;
		case CL_KIND_RADIO:
		case CL_KIND_SELECT:
		case CL_KIND_CHECKBOX:
		case CL_KIND_CHECKBOXES:
			for (k = 0; k < sizeof choice / sizeof choice[0]; k++)
				assert_non_null(fd->msg[choice[k]]);
			assert_true(
			    strncmp(fd->msg[CL_FE_MISSING], "Select ", 7) == 0);
			break;
		case CL_KIND_DATE:
			for (k = 0; k < CL_FE__MAX; k++)
				if (k != CL_FE_TOO_LONG && k != CL_FE_INVALID &&
				    k != CL_FE_NOT_ALLOWED &&
				    k != CL_FE_ATTACHMENT)
					assert_non_null(fd->msg[k]);
			break;
		default: break;
		}
		/* GOV.UK style: no full stop at the end of a message. */
		for (k = 0; k < CL_FE__MAX; k++)
			if (fd->msg[k] != NULL)
				assert_true(
				    fd->msg[k][strlen(fd->msg[k]) - 1] != '.');
	}
	assert_non_null(cl_fields[CL_F_GROUNDS].msg[CL_FE_NOT_ALLOWED]);
}

static void
test_lookup(void **state)
{
	(void)state;
	assert_int_equal(cl_field_lookup("full_name"), CL_F_FULL_NAME);
	assert_int_equal(cl_field_lookup("grounds"), CL_F_GROUNDS);
	assert_int_equal(cl_field_lookup("decision_date-day"),
	    CL_F_DECISION_DATE);
	assert_int_equal(cl_field_lookup("decision_date-month"),
	    CL_F_DECISION_DATE);
	assert_int_equal(cl_field_lookup("decision_date-year"),
	    CL_F_DECISION_DATE);
	assert_int_equal(cl_field_lookup("decision_date"), CL_F__MAX);
	assert_int_equal(cl_field_lookup("decision_date-hour"), CL_F__MAX);
	assert_int_equal(cl_field_lookup("decision_date-"), CL_F__MAX);
	assert_int_equal(cl_field_lookup("csrf_token"), CL_F__MAX);
	assert_int_equal(cl_field_lookup(""), CL_F__MAX);
	assert_int_equal(cl_field_lookup("Full_name"), CL_F__MAX);
	assert_int_equal(cl_field_lookup("attachments"), CL_F_ATTACHMENTS);
	assert_int_equal(cl_field_lookup("idempotency_key"), CL_F__MAX);
	assert_true(cl_field_is_text(CL_F_EMAIL));
	assert_false(cl_field_is_text(CL_F_GROUNDS_STATEMENT));
}

/* The id scheme of GOV.UK Frontend's macros. */
static void
test_input_ids(void **state)
{
	char id[CL_INPUT_ID_MAX];

	(void)state;
	cl_field_input_id(CL_F_FULL_NAME, 0, id);
	assert_string_equal(id, "full_name");
	cl_field_input_id(CL_F_LOCAL_RESOLUTION, 0, id);
	assert_string_equal(id, "local_resolution");
	cl_field_input_id(CL_F_COMMISSIONER, 0, id);
	assert_string_equal(id, "commissioner");
	cl_field_input_id(CL_F_ATTACHMENTS, 0, id);
	assert_string_equal(id, "attachments");
	cl_field_input_id(CL_F_DECLARATION_SHARING, 0, id);
	assert_string_equal(id, "declaration_sharing");
	cl_field_input_id(CL_F_REQUESTER_TYPE, 0, id);
	assert_string_equal(id, "requester_type");
	cl_field_input_id(CL_F_REQUESTER_TYPE, 1, id);
	assert_string_equal(id, "requester_type-2");
	cl_field_input_id(CL_F_REQUESTER_TYPE, 6, id);
	assert_string_equal(id, "requester_type-7");
	cl_field_input_id(CL_F_GROUNDS, 1, id);
	assert_string_equal(id, "grounds-2");
	cl_field_input_id(CL_F_DECISION_DATE, CL_DATE_DAY, id);
	assert_string_equal(id, "decision_date-day");
	cl_field_input_id(CL_F_DECISION_DATE, CL_DATE_MONTH, id);
	assert_string_equal(id, "decision_date-month");
	cl_field_input_id(CL_F_DECISION_DATE, CL_DATE_YEAR, id);
	assert_string_equal(id, "decision_date-year");
	/* Ids are unique across the page. */
	{
		char all[200][CL_INPUT_ID_MAX];
		size_t n = 0, f, i, j, k;

		for (f = 0; f < CL_F__MAX; f++) {
			const cl_field *fd = &cl_fields[f];
			size_t inputs = fd->kind == CL_KIND_DATE ?
			    CL_DATE__MAX :
			    fd->kind == CL_KIND_RADIO ||
				fd->kind == CL_KIND_CHECKBOXES ?
			    fd->noptions :
			    1;

			for (i = 0; i < inputs; i++)
				cl_field_input_id((cl_field_id)f, i, all[n++]);
		}
		for (j = 0; j < n; j++)
			for (k = 0; k < j; k++)
				assert_string_not_equal(all[j], all[k]);
	}
}

/* Trimming: one-line fields lose spaces, multi-line ones line breaks too;
 * choices and unknown names stay as sent. */
static void
test_normalise(void **state)
{
	cl_answers a = CL_ANSWERS_INIT;

	(void)state;
	cl_answers_add(&a, "full_name", "  Jane  Smith ", 14);
	cl_answers_add(&a, "phone", "\t0123 ", 6);
	cl_answers_add(&a, "grounds_statement", "\r\n\t Text\r\nmore \r\n", 17);
	cl_answers_add(&a, "decision_date-day", " 3 ", 3);
	cl_answers_add(&a, "requester_type", " individual", 11);
	cl_answers_add(&a, "csrf_token", " tok ", 5);
	cl_answers_add(&a, "role", "   ", 3);
	cl_form_normalise(&a);
	assert_string_equal(a.v[0].value, "Jane  Smith");
	assert_int_equal(a.v[0].len, 11);
	assert_string_equal(a.v[1].value, "\t0123");
	assert_string_equal(a.v[2].value, "Text\r\nmore");
	assert_int_equal(a.v[2].len, 10);
	assert_string_equal(a.v[3].value, "3");
	assert_string_equal(a.v[4].value, " individual");
	assert_string_equal(a.v[5].value, " tok ");
	assert_string_equal(a.v[6].value, "");
	assert_int_equal(a.v[6].len, 0);
	cl_answers_free(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answers),
		cmocka_unit_test(test_table_matches_design),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_messages_complete),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_input_ids),
		cmocka_unit_test(test_normalise),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_mail_message.c: whole messages built from request documents: the
 * staff alert (every answer, files attached or listed, a file that cannot be
 * read), the confirmation (link, receipt.txt and copy.json, no answer
 * echoed), stable Message-IDs, hostile answers, and refusals.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "callin/hash.h"
#include "callin/mail.h"
#include "callin/reference.h"

#define NOW ((time_t)1795442709) /* Mon, 23 Nov 2026 14:05:09 +0000 */

static const char file1[] = "%PDF-1.4 first file\r\n.\r\n--boundary\n";
static const char file2[] = "second,file\nwith,\"quotes\"\n";

struct fixture {
	char ref[CL_REFERENCE_MAX];
	bson_t doc;
	cl_mail_from from;
	cl_mail_ctx ctx;
	int loads;
	cl_err load_rc; /* what the loader answers */
	int corrupt;	/* loader gives wrong bytes */
};

static cl_err
loader(void *arg, const char *blob_id, cl_buf *out)
{
	struct fixture *f = arg;

	f->loads++;
	if (f->load_rc != CL_OK)
		return f->load_rc;
	if (strcmp(blob_id, "blob-1") == 0)
		cl_buf_add(out, file1, sizeof file1 - 1);
	else if (strcmp(blob_id, "blob-2") == 0)
		cl_buf_add(out, f->corrupt ? "x" : file2,
		    f->corrupt ? 1 : sizeof file2 - 1);
	else
		return CL_ENOTFOUND;
	return CL_OK;
}

static void
add_file(bson_t *arr, const char *key, const char *blob, const char *name,
    const char *type, const char *data, size_t len)
{
	unsigned char md[CL_SHA256_LEN];
	char hex[CL_SHA256_HEX];
	bson_t d;

	cl_sha256(data, len, md);
	cl_hex(md, sizeof md, hex);
	bson_append_document_begin(arr, key, -1, &d);
	BSON_APPEND_UTF8(&d, "blob_id", blob);
	BSON_APPEND_UTF8(&d, "name", name);
	BSON_APPEND_UTF8(&d, "content_type", type);
	BSON_APPEND_INT64(&d, "size", (int64_t)len);
	BSON_APPEND_UTF8(&d, "sha256", hex);
	bson_append_document_end(arr, &d);
}

/* A request document like the intake builds, with hostile answers. */
static void
make_doc(struct fixture *f, const char *title)
{
	bson_t fields, arr;

	bson_init(&f->doc);
	BSON_APPEND_UTF8(&f->doc, "token", "AAAAAAAAAAAAAAAAAAAAAA_-x");
	BSON_APPEND_UTF8(&f->doc, "reference", f->ref);
	BSON_APPEND_UTF8(&f->doc, "received", "2026-11-23T14:05:09Z");
	BSON_APPEND_INT64(&f->doc, "received_ms", INT64_C(1795442709000));
	BSON_APPEND_UTF8(&f->doc, "confirm_code", "CCCCCCCCCCCCCCCCCCCCCw");
	bson_append_document_begin(&f->doc, "fields", -1, &fields);
	BSON_APPEND_UTF8(&fields, "requester_type", "campaign_group");
	BSON_APPEND_UTF8(&fields, "full_name", "Alex Example");
	BSON_APPEND_UTF8(&fields, "organisation", "Save Example General");
	BSON_APPEND_UTF8(&fields, "role", "");
	BSON_APPEND_UTF8(&fields, "email", "alex@example.org");
	BSON_APPEND_UTF8(&fields, "phone", "");
	BSON_APPEND_UTF8(&fields, "proposal_title", title);
	BSON_APPEND_UTF8(&fields, "commissioner", "icb-surrey-heartlands");
	BSON_APPEND_UTF8(&fields, "services_affected",
	    "Maternity\r\nBcc: "
	    "evil@example.com\r\n.\r\n--boundary\nline four");
	BSON_APPEND_UTF8(&fields, "change_description",
	    "Births would move "
	    "40 miles away \xe2\x80\x94 caf\xc3\xa9.");
	BSON_APPEND_UTF8(&fields, "proposal_stage", "decision_made");
	BSON_APPEND_UTF8(&fields, "decision_date", "2026-03-12");
	bson_append_array_begin(&fields, "grounds", -1, &arr);
	BSON_APPEND_UTF8(&arr, "0", "process");
	BSON_APPEND_UTF8(&arr, "1", "best_interests");
	bson_append_array_end(&fields, &arr);
	BSON_APPEND_UTF8(&fields, "grounds_statement",
	    "Two weeks\nover a "
	    "holiday.");
	BSON_APPEND_UTF8(&fields, "local_resolution", "Wrote to the ICB.");
	BSON_APPEND_UTF8(&fields, "declaration_accurate", "yes");
	BSON_APPEND_UTF8(&fields, "declaration_sharing", "yes");
	bson_append_document_end(&f->doc, &fields);
	bson_append_array_begin(&f->doc, "attachments", -1, &arr);
	add_file(&arr, "0", "blob-1",
	    "Minutes \"3\"\r\nBcc: x@evil.example.pdf", "application/pdf",
	    file1, sizeof file1 - 1);
	add_file(&arr, "1", "blob-2", "d\xc3\xa9penses.csv", "text/csv\r\nX: y",
	    file2, sizeof file2 - 1);
	bson_append_array_end(&f->doc, &arr);
	BSON_APPEND_UTF8(&f->doc, "copy_json",
	    "{\"format\":\"callin-copy-v1\"}");
	BSON_APPEND_UTF8(&f->doc, "receipt",
	    "callin-receipt-v1\nreference: x\n");
	BSON_APPEND_UTF8(&f->doc, "key_id", "0123456789abcdef");
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	char err[128];

	assert_int_equal(cl_reference_new(f->ref), CL_OK);
	assert_int_equal(cl_mail_from_parse("Call-in requests "
					    "<callin@dhsc.example.gov.uk>",
			     &f->from, err, sizeof err),
	    CL_OK);
	f->ctx.from = &f->from;
	f->ctx.public_base_url = "https://callin.example.gov.uk/";
	f->ctx.attach_max = 1024;
	f->ctx.confirm_max_age = 604800;
	f->ctx.load = loader;
	f->ctx.load_arg = f;
	make_doc(f, "Closure of the maternity unit");
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	bson_destroy(&f->doc);
	cl_mail_from_free(&f->from);
	free(f);
	return 0;
}

static cl_notification
note(struct fixture *f, const char *kind, char **to, size_t nto)
{
	cl_notification n;

	memset(&n, 0, sizeof n);
	strcpy(n.id, "1");
	n.kind = (char *)kind;
	n.to = to;
	n.nto = nto;
	n.request = &f->doc;
	return n;
}

static const char *
header(const cl_mail_msg *m, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < m->nheaders; i++)
		if (strncmp(m->headers[i], name, n) == 0 &&
		    m->headers[i][n] == ':')
			return m->headers[i] + n + 2;
	return NULL;
}

/* No CR or LF in s except folds (CR LF SP). */
static void
assert_folds_only(const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\r')
			assert_memory_equal(s, "\r\n ", 3);
		if (*s == '\n')
			assert_int_equal(s[-1], '\r');
	}
}

/* Every line break of the body is CRLF. */
static void
assert_crlf(const cl_buf *b)
{
	size_t i;

	for (i = 0; i < b->len; i++) {
		if (b->data[i] == '\n')
			assert_true(i > 0 && b->data[i - 1] == '\r');
		if (b->data[i] == '\r')
			assert_true(i + 1 < b->len && b->data[i + 1] == '\n');
	}
}

static void
test_staff_alert(void **state)
{
	struct fixture *f = *state;
	char *to[] = { "staff@example.gov.uk", "Staff@Example.gov.uk",
		"second@example.gov.uk" };
	cl_notification n = note(f, "staff_alert", to, 3);
	cl_mail_msg m = CL_MAIL_MSG_INIT;
	char why[256], expect[128];
	const char *body;
	size_t i;

	assert_int_equal(cl_mail_build(&f->ctx, &n, NOW, &m, why, sizeof why),
	    CL_OK);
	snprintf(expect, sizeof expect, "<%s.staff_alert@dhsc.example.gov.uk>",
	    f->ref);
	assert_string_equal(m.message_id, expect);
	assert_string_equal(m.env_from, "<callin@dhsc.example.gov.uk>");
	assert_int_equal(m.nrcpt, 2); /* the duplicate dropped */
	assert_string_equal(m.rcpt[0], "<staff@example.gov.uk>");
	assert_string_equal(m.rcpt[1], "<second@example.gov.uk>");
	assert_string_equal(header(&m, "Date"),
	    "Mon, 23 Nov 2026 14:05:09 +0000");
	assert_string_equal(header(&m, "Message-ID"), expect);
	assert_string_equal(header(&m, "From"),
	    "Call-in requests <callin@dhsc.example.gov.uk>");
	assert_string_equal(header(&m, "To"),
	    "staff@example.gov.uk, second@example.gov.uk");
	snprintf(expect, sizeof expect,
	    "New call-in request %s: Closure of "
	    "the maternity unit",
	    f->ref);
	assert_string_equal(header(&m, "Subject"), expect);
	assert_null(header(&m, "Bcc"));
	for (i = 0; i < m.nheaders; i++)
		assert_folds_only(m.headers[i]);

	assert_int_equal(m.nparts, 3);
	assert_string_equal(m.parts[0].type, "text/plain; charset=UTF-8");
	assert_null(m.parts[0].filename);
	assert_crlf(&m.parts[0].data);
	body = cl_buf_str(&m.parts[0].data);
	assert_non_null(strstr(body, f->ref));
	assert_non_null(
	    strstr(body, "Received: 23 November 2026 at 14:05:09 UTC"));
	assert_non_null(strstr(body, "\r\nAbout you\r\n---------\r\n"));
	assert_non_null(strstr(body,
	    "Who are you making this request as? "
	    "For a campaign or patient group\r\n"));
	assert_non_null(strstr(body, "\r\nFull name: Alex Example\r\n"));
	assert_non_null(
	    strstr(body, "\r\nYour role (optional): (not given)\r\n"));
	assert_non_null(strstr(body, "NHS Surrey Heartlands"));
	assert_non_null(
	    strstr(body, "When was the decision made? 12 March 2026"));
	assert_non_null(strstr(body,
	    "called in?\r\n    - Concerns about the "
	    "process"));
	/* A multi-line answer is indented, its lines and all. */
	assert_non_null(strstr(body,
	    "Which services and places are affected?"
	    "\r\n    Maternity\r\n    Bcc: evil@example.com\r\n    .\r\n"
	    "    --boundary\r\n    line four\r\n"));
	assert_null(strstr(body, "\r\nBcc:"));
	assert_non_null(strstr(body, "caf\xc3\xa9"));
	assert_non_null(strstr(body, "2 files, "));
	assert_non_null(strstr(body, "attached to this email"));
	assert_non_null(strstr(body, "d\xc3\xa9penses.csv\r\n"));
	assert_non_null(
	    strstr(body, "attached as Minutes_3_Bcc_x_evil.example.pdf"));

	assert_string_equal(m.parts[1].type, "application/pdf");
	assert_string_equal(m.parts[1].filename,
	    "Minutes_3_Bcc_x_evil.example.pdf");
	assert_int_equal(m.parts[1].data.len, sizeof file1 - 1);
	assert_memory_equal(m.parts[1].data.data, file1, sizeof file1 - 1);
	/* A content type with a line break in it is not used. */
	assert_string_equal(m.parts[2].type, "application/octet-stream");
	assert_string_equal(m.parts[2].filename, "d_penses.csv");
	assert_memory_equal(m.parts[2].data.data, file2, sizeof file2 - 1);
	cl_mail_msg_free(&m);

	/* A retry makes the same Message-ID. */
	assert_int_equal(cl_mail_build(&f->ctx, &n, NOW + 3600, &m, why,
			     sizeof why),
	    CL_OK);
	snprintf(expect, sizeof expect, "<%s.staff_alert@dhsc.example.gov.uk>",
	    f->ref);
	assert_string_equal(m.message_id, expect);
	cl_mail_msg_free(&m);
}

static void
test_staff_alert_too_big(void **state)
{
	struct fixture *f = *state;
	char *to[] = { "staff@example.gov.uk" };
	cl_notification n = note(f, "staff_alert", to, 1);
	cl_mail_msg m = CL_MAIL_MSG_INIT;
	char why[256];
	const char *body;

	f->ctx.attach_max = 10;
	assert_int_equal(cl_mail_build(&f->ctx, &n, NOW, &m, why, sizeof why),
	    CL_OK);
	assert_int_equal(f->loads, 0);
	assert_int_equal(m.nparts, 1);
	body = cl_buf_str(&m.parts[0].data);
	assert_non_null(strstr(body,
	    "too large to attach (the limit is 10 "
	    "bytes)"));
	assert_non_null(strstr(body, "SHA-256 "));
	/* A file name is listed on one line, whatever it holds. */
	assert_non_null(strstr(body,
	    "\r\n    Minutes \"3\" Bcc: "
	    "x@evil.example.pdf\r\n"));
	cl_mail_msg_free(&m);
}

static void
test_staff_alert_unreadable(void **state)
{
	struct fixture *f = *state;
	char *to[] = { "staff@example.gov.uk" };
	cl_notification n = note(f, "staff_alert", to, 1);
	cl_mail_msg m = CL_MAIL_MSG_INIT;
	char why[256];

	/* The store is down: retry later. */
	f->load_rc = CL_EUNAVAIL;
	assert_int_equal(cl_mail_build(&f->ctx, &n, NOW, &m, why, sizeof why),
	    CL_EUNAVAIL);
	assert_int_equal(m.nparts, 0);
	/* A file that does not match its hash is listed, not attached. */
	f->load_rc = CL_OK;
	f->corrupt = 1;
	assert_int_equal(cl_mail_build(&f->ctx, &n, NOW, &m, why, sizeof why),
	    CL_OK);
	assert_int_equal(m.nparts, 2);
	assert_non_null(strstr(cl_buf_str(&m.parts[0].data),
	    "not attached: "
	    "the stored file does not match"));
	cl_mail_msg_free(&m);
}

static void
test_confirmation(void **state)
{
	struct fixture *f = *state;
	char *to[] = { "alex@example.org" };
	cl_notification n = note(f, "confirmation", to, 1);
	cl_mail_msg m = CL_MAIL_MSG_INIT;
	char why[256], expect[128];
	const char *body;

	assert_int_equal(cl_mail_build(&f->ctx, &n, NOW, &m, why, sizeof why),
	    CL_OK);
	snprintf(expect, sizeof expect, "<%s.confirmation@dhsc.example.gov.uk>",
	    f->ref);
	assert_string_equal(m.message_id, expect);
	snprintf(expect, sizeof expect, "Your call-in request %s", f->ref);
	assert_string_equal(header(&m, "Subject"), expect);
	assert_string_equal(header(&m, "To"), "alex@example.org");
	assert_int_equal(f->loads, 0);
	assert_int_equal(m.nparts, 2);
	body = cl_buf_str(&m.parts[0].data);
	assert_crlf(&m.parts[0].data);
	assert_non_null(strstr(body, "Reference: "));
	assert_non_null(strstr(body, f->ref));
	assert_non_null(strstr(body, "What happens next"));
	/* Before the address is confirmed: a link to confirm it, and neither
	   the private link nor the copy of the answers. */
	snprintf(expect, sizeof expect,
	    "https://callin.example.gov.uk/confirm/"
	    "%s/CCCCCCCCCCCCCCCCCCCCCw\r\n",
	    f->ref);
	assert_non_null(strstr(body, expect));
	assert_non_null(strstr(body,
	    "The link works until 30 November 2026 "
	    "at 14:05:09 UTC"));
	assert_null(strstr(body, "AAAAAAAAAAAAAAAAAAAAAA_-x"));
	assert_null(strstr(body, "/receipt/"));
	/* Nothing the requester typed comes back to the address typed. */
	assert_null(strstr(body, "maternity"));
	assert_null(strstr(body, "Alex"));
	assert_string_equal(m.parts[1].filename, "receipt.txt");
	assert_string_equal(m.parts[1].data.data,
	    "callin-receipt-v1\n"
	    "reference: x\n");
	cl_mail_msg_free(&m);
}

/*
 * Once the address is confirmed: the copy, the receipt and the private
 * link to the requester, a short note to staff; neither without a
 * confirmation time.
 */
static void
test_after_confirmation(void **state)
{
	struct fixture *f = *state;
	char *to[] = { "alex@example.org" },
	     *staff[] = { "staff@example.gov.uk" };
	cl_notification n = note(f, "address_confirmed", to, 1);
	cl_notification s = note(f, "staff_confirmed", staff, 1);
	cl_mail_msg m = CL_MAIL_MSG_INIT;
	char why[256], expect[128];
	const char *body;

	assert_int_equal(cl_mail_build(&f->ctx, &n, NOW, &m, why, sizeof why),
	    CL_EINVAL);
	assert_string_equal(why, "the address was not confirmed");
	assert_int_equal(cl_mail_build(&f->ctx, &s, NOW, &m, why, sizeof why),
	    CL_EINVAL);
	n.confirmed_ms = s.confirmed_ms = INT64_C(1795442709000) + 3600000;

	assert_int_equal(cl_mail_build(&f->ctx, &n, NOW, &m, why, sizeof why),
	    CL_OK);
	snprintf(expect, sizeof expect,
	    "<%s.address_confirmed@dhsc.example."
	    "gov.uk>",
	    f->ref);
	assert_string_equal(m.message_id, expect);
	snprintf(expect, sizeof expect, "Your call-in request %s: your copy",
	    f->ref);
	assert_string_equal(header(&m, "Subject"), expect);
	body = cl_buf_str(&m.parts[0].data);
	assert_crlf(&m.parts[0].data);
	assert_non_null(strstr(body,
	    "https://callin.example.gov.uk/receipt/"
	    "AAAAAAAAAAAAAAAAAAAAAA_-x\r\n"));
	assert_null(strstr(body, "Alex"));
	assert_int_equal(m.nparts, 3);
	assert_string_equal(m.parts[1].filename, "receipt.txt");
	assert_string_equal(m.parts[2].filename, "copy.json");
	assert_string_equal(m.parts[2].type, "application/json");
	cl_mail_msg_free(&m);

	assert_int_equal(cl_mail_build(&f->ctx, &s, NOW, &m, why, sizeof why),
	    CL_OK);
	assert_int_equal(m.nparts, 1);
	body = cl_buf_str(&m.parts[0].data);
	snprintf(expect, sizeof expect,
	    "The requester of call-in request %s "
	    "confirmed their email address on 23 November 2026 at 15:05:09 UTC",
	    f->ref);
	assert_non_null(strstr(body, expect));
	assert_null(strstr(body, "alex@example.org"));
	assert_null(strstr(body, "AAAAAAAAAAAAAAAAAAAAAA_-x"));
	cl_mail_msg_free(&m);
}

static void
test_subject_hostile(void **state)
{
	struct fixture *f = *state;
	char *to[] = { "staff@example.gov.uk" };
	cl_notification n;
	cl_mail_msg m = CL_MAIL_MSG_INIT;
	char why[256];
	const char *s;

	bson_destroy(&f->doc);
	make_doc(f,
	    "Unit\r\nBcc: evil@example.com\r\nContent-Type: text/html"
	    "\r\n\r\n<b>x</b> \xc3\xa9t\xc3\xa9 =?UTF-8?B?QmNj?= \x00 tail");
	n = note(f, "staff_alert", to, 1);
	assert_int_equal(cl_mail_build(&f->ctx, &n, NOW, &m, why, sizeof why),
	    CL_OK);
	s = header(&m, "Subject");
	assert_folds_only(s);
	assert_null(strstr(s, "\r\nBcc"));
	assert_null(strstr(s, "\r\nContent-Type"));
	assert_null(strstr(s, "QmNj?= ")); /* re-encoded, not passed on */
	cl_mail_msg_free(&m);
}

static void
test_refusals(void **state)
{
	struct fixture *f = *state;
	char *bad[] = { "alex@example.org>\r\nRCPT TO:<evil@example.com" };
	char *spaced[] = { "alex @example.org" };
	char *ok[] = { "alex@example.org" };
	cl_notification n;
	cl_mail_msg m = CL_MAIL_MSG_INIT;
	char why[256];

	n = note(f, "confirmation", bad, 1);
	assert_int_equal(cl_mail_build(&f->ctx, &n, NOW, &m, why, sizeof why),
	    CL_EINVAL);
	assert_null(strstr(why, "evil")); /* not echoed into logs */
	assert_int_equal(m.nrcpt, 0);
	n = note(f, "confirmation", spaced, 1);
	assert_int_equal(cl_mail_build(&f->ctx, &n, NOW, &m, why, sizeof why),
	    CL_EINVAL);
	n = note(f, "confirmation", ok, 0);
	assert_int_equal(cl_mail_build(&f->ctx, &n, NOW, &m, why, sizeof why),
	    CL_EINVAL);
	n = note(f, "newsletter", ok, 1);
	assert_int_equal(cl_mail_build(&f->ctx, &n, NOW, &m, why, sizeof why),
	    CL_EINVAL);
	n = note(f, NULL, ok, 1);
	assert_int_equal(cl_mail_build(&f->ctx, &n, NOW, &m, why, sizeof why),
	    CL_EINVAL);
	/* A reference that is not one (it goes into the Message-ID). */
	bson_destroy(&f->doc);
	strcpy(f->ref, "CIR-AAAA>\r\nX");
	make_doc(f, "t");
	n = note(f, "confirmation", ok, 1);
	assert_int_equal(cl_mail_build(&f->ctx, &n, NOW, &m, why, sizeof why),
	    CL_EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_staff_alert, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_staff_alert_too_big, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_staff_alert_unreadable,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_after_confirmation, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_confirmation, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_subject_hostile, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

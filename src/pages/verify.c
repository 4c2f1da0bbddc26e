/*
 * verify.c: GET and POST /verify.  Anyone pastes or uploads a receipt
 * (optionally with the copy.json it commits to) and learns whether the
 * signature is valid and by which published key, whether the request is on
 * file and its stored copy still matches, and whether the given copy matches.
 * The result panel carries data-verdict="valid", "invalid" or "unreadable".
 */
#include <stdio.h>
#include <string.h>

#include "callin/date.h"
#include "callin/form.h"
#include "callin/hash.h"
#include "callin/log.h"
#include "callin/multipart.h"
#include "callin/page.h"
#include "callin/receipt.h"

#define VERIFY_PART_MAX	(1024 * 1024)	/* a receipt or a copy.json */
#define VERIFY_BODY_MAX	(4 * 1024 * 1024)

struct vform {
	cl_answers	 fields;	/* receipt, receipt_file, copy_file */
	char		 name[CL_MP_NAME_MAX + 1];
	cl_buf		 value;
	int		 keep;
};

/* Multipart callback: keep only the receipt and copy parts.  Cannot fail. */
static cl_err
v_begin(void *arg, const char *name, const char *filename, const char *ctype)
{
	struct vform *v = arg;

	(void)filename;
	(void)ctype;
	snprintf(v->name, sizeof v->name, "%s", name);
	v->keep = strcmp(name, "receipt") == 0 || strcmp(name, "receipt_file") == 0 ||
	    strcmp(name, "copy_file") == 0;
	cl_buf_reset(&v->value);
	return CL_OK;
}

/* Multipart callback: collect a kept part; CL_ETOOBIG past VERIFY_PART_MAX. */
static cl_err
v_data(void *arg, const void *p, size_t n)
{
	struct vform *v = arg;

	if (!v->keep)
		return CL_OK;
	if (v->value.len + n > VERIFY_PART_MAX)
		return CL_ETOOBIG;
	cl_buf_add(&v->value, p, n);
	return CL_OK;
}

/* Multipart callback: store a kept, non-empty part.  Cannot fail. */
static cl_err
v_end(void *arg)
{
	struct vform *v = arg;

	if (v->keep && v->value.len > 0)
		cl_answers_add(&v->fields, v->name, cl_buf_str(&v->value), v->value.len);
	return CL_OK;
}

static const cl_mp_callbacks vcallbacks = { v_begin, v_data, v_end };

/* One line of the result list. */
static void
check_line(cl_buf *out, const char *id, int ok, const char *text, const char *detail)
{
	cl_buf_printf(out, "<li id=\"check-%s\" data-ok=\"%s\"><strong aria-hidden=\"true\">%s</strong> "
	    "<span class=\"govuk-visually-hidden\">%s</span>",
	    id, ok ? "yes" : "no", ok ? "&#10003;" : "&#10007;", ok ? "Passed:" : "Failed:");
	cl_buf_html(out, text);
	if (detail) {
		cl_buf_puts(out, " ");
		cl_buf_html(out, detail);
	}
	cl_buf_puts(out, "</li>\n");
}

/* The stored copy of reference, hashed.  1 when on file and hashed. */
static int
stored_copy_hash(cl_svc *app, const char *reference, unsigned char out[CL_SHA256_LEN],
    int *unavailable)
{
	bson_t doc;
	bson_iter_t it;
	uint32_t len;
	cl_err rc;

	*unavailable = 0;
	rc = cl_store_get(app->store, CL_KEY_REFERENCE, reference, &doc);
	if (rc != CL_OK) {
		*unavailable = rc != CL_ENOTFOUND;
		return 0;
	}
	if (bson_iter_init_find(&it, &doc, "copy_json") && BSON_ITER_HOLDS_UTF8(&it)) {
		const char *s = bson_iter_utf8(&it, &len);
		cl_sha256(s, len, out);
		bson_destroy(&doc);
		return 1;
	}
	bson_destroy(&doc);
	return 0;
}

/*
 * Check the receipt text (and the copy, when given) and write the result
 * panel into out.  Returns the verdict ("valid": a good signature by a
 * published key, the request on file with its stored copy unaltered, and
 * the given copy the one committed to; "invalid"; "unreadable"), or NULL,
 * with nothing written, when the store could not be asked.
 */
static const char *
judge(cl_svc *app, const cl_answer *receipt, const cl_answer *copy, cl_buf *out)
{
	static cl_receipt r;	/* large: keep it off the stack */
	unsigned char h[CL_SHA256_LEN];
	cl_buf list = CL_BUF_INIT;
	const char *verdict = "valid";
	char line[256], when[64];
	int unavailable;
	cl_err rc;

	if (receipt == NULL || cl_receipt_parse(receipt->value, receipt->len, &r) != CL_OK) {
		cl_buf_puts(out, "<div class=\"govuk-notification-banner\" role=\"alert\" tabindex=\"-1\" "
		    "data-module=\"govuk-notification-banner\" "
		    "aria-labelledby=\"verdict-title\" data-verdict=\"unreadable\" id=\"verdict\">\n"
		    "<div class=\"govuk-notification-banner__header\"><h2 class=\"govuk-notification-banner__title\" "
		    "id=\"verdict-title\">Result</h2></div>\n<div class=\"govuk-notification-banner__content\">\n"
		    "<p class=\"govuk-notification-banner__heading\">This is not a receipt we can read</p>\n"
		    "<p class=\"govuk-body\">");
		cl_buf_html(out, receipt == NULL ? "Paste a receipt or choose a receipt file." : r.reason);
		cl_buf_puts(out, "</p>\n</div>\n</div>\n");
		return "unreadable";
	}
	rc = cl_receipt_verify(&r, app->keyring);
	if (rc == CL_OK) {
		snprintf(line, sizeof line, "(key %s, published at /receipt-keys/%s.pem).", r.key_id, r.key_id);
		check_line(&list, "signature", 1, "The signature is valid: this receipt was issued by this service", line);
	} else {
		verdict = "invalid";
		check_line(&list, "signature", 0, rc == CL_ENOTFOUND ?
		    "The receipt names a key this service has never published." :
		    "The signature does not match: the receipt has been changed or was not issued by this service.", NULL);
	}
	if (rc == CL_OK) {
		if (stored_copy_hash(app, r.reference, h, &unavailable)) {
			int same = memcmp(h, r.commitment, sizeof h) == 0;
			check_line(&list, "on-file", same, same ?
			    "The request is on file and unaltered: its stored copy still matches the receipt." :
			    "The request is on file, but its stored copy no longer matches the receipt.", NULL);
			if (!same)
				verdict = "invalid";
		} else if (unavailable) {
			/* Nothing is judged without the stored copy. */
			cl_buf_free(&list);
			return NULL;
		} else {
			check_line(&list, "on-file", 0,
			    "No request with this reference is on file.", NULL);
			verdict = "invalid";
		}
	}
	if (copy != NULL) {
		int same;

		cl_sha256(copy->value, copy->len, h);
		same = memcmp(h, r.commitment, sizeof h) == 0;
		check_line(&list, "copy", same, same ?
		    "The copy you gave is exactly the one this receipt commits to." :
		    "The copy you gave is not the one this receipt commits to.", NULL);
		if (!same)
			verdict = "invalid";
	}
	cl_buf_printf(out, "<div class=\"govuk-notification-banner%s\" role=\"alert\" tabindex=\"-1\" "
	    "data-module=\"govuk-notification-banner\" "
	    "aria-labelledby=\"verdict-title\" data-verdict=\"%s\" id=\"verdict\">\n"
	    "<div class=\"govuk-notification-banner__header\"><h2 class=\"govuk-notification-banner__title\" "
	    "id=\"verdict-title\">Result</h2></div>\n<div class=\"govuk-notification-banner__content\">\n"
	    "<p class=\"govuk-notification-banner__heading\">%s</p>\n",
	    strcmp(verdict, "valid") == 0 ? " govuk-notification-banner--success" : "", verdict,
	    strcmp(verdict, "valid") == 0 ? "This receipt is valid" : "This receipt is not valid");
	cl_date_human_iso(r.received, when, sizeof when);
	cl_buf_puts(out, "<p class=\"govuk-body\">Reference ");
	cl_buf_html(out, r.reference);
	cl_buf_puts(out, ", received ");
	cl_buf_html(out, when);
	cl_buf_puts(out, ".</p>\n<ul class=\"govuk-list\">\n");
	cl_buf_puts(out, cl_buf_str(&list));
	cl_buf_puts(out, "</ul>\n</div>\n</div>\n");
	cl_buf_free(&list);
	return verdict;
}

static const char verify_form[] =
	"<h1 class=\"govuk-heading-xl\">Check a receipt</h1>\n"
	"<p class=\"govuk-body\">Check that a receipt for a call-in request was issued by this service, "
	"that it has not been changed, and that the request is on file as it was sent.</p>\n"
	"<form method=\"post\" action=\"/verify\" enctype=\"multipart/form-data\" novalidate>\n"
	"<div class=\"govuk-form-group\">\n<label class=\"govuk-label govuk-label--s\" for=\"receipt\">Paste the receipt</label>\n"
	"<div id=\"receipt-hint\" class=\"govuk-hint\">It starts with callin-receipt-v1</div>\n"
	"<textarea class=\"govuk-textarea\" id=\"receipt\" name=\"receipt\" rows=\"7\" spellcheck=\"false\" "
	"aria-describedby=\"receipt-hint\"></textarea>\n</div>\n"
	"<div class=\"govuk-form-group\">\n<label class=\"govuk-label govuk-label--s\" for=\"receipt_file\">Or choose the receipt file</label>\n"
	"<input class=\"govuk-file-upload\" id=\"receipt_file\" name=\"receipt_file\" type=\"file\" accept=\".txt\">\n</div>\n"
	"<div class=\"govuk-form-group\">\n<label class=\"govuk-label govuk-label--s\" for=\"copy_file\">The copy of the request (optional)</label>\n"
	"<div id=\"copy_file-hint\" class=\"govuk-hint\">The copy.json file you downloaded with the receipt</div>\n"
	"<input class=\"govuk-file-upload\" id=\"copy_file\" name=\"copy_file\" type=\"file\" accept=\".json\" "
	"aria-describedby=\"copy_file-hint\">\n</div>\n"
	"<button type=\"submit\" class=\"govuk-button\" data-module=\"govuk-button\">Check receipt</button>\n</form>\n"
	"<p class=\"govuk-body\">Receipts are signed with the keys published at "
	"<a class=\"govuk-link\" href=\"/receipt-keys\">/receipt-keys</a>; you can also check them offline.</p>\n";

void
cl_page_verify(cl_svc *app, cl_http_req *req)
{
	struct vform v = { CL_ANSWERS_INIT, "", CL_BUF_INIT, 0 };
	cl_buf content = CL_BUF_INIT, page = CL_BUF_INIT;
	int status = 200;

	if (strcmp(req->method, "POST") == 0) {
		const cl_answer *receipt;
		cl_err rc = cl_http_read_form(req, &vcallbacks, &v, VERIFY_BODY_MAX);

		if (rc != CL_OK) {
			cl_page_error(req, rc == CL_ETOOBIG ? 413 : 400, NULL);
			goto done;
		}
		receipt = cl_answers_find(&v.fields, "receipt_file");
		if (receipt == NULL)
			receipt = cl_answers_find(&v.fields, "receipt");
		if (judge(app, receipt, cl_answers_find(&v.fields, "copy_file"), &content) == NULL) {
			cl_page_error(req, 503, "We could not look up the request to check it "
			    "against the receipt. Try again in a few minutes.");
			goto done;
		}
	}
	cl_buf_puts(&content, verify_form);
	cl_page_render(&page, "Check a receipt", 0, NULL, cl_buf_str(&content));
	cl_page_send(req, status, &page);
done:
	cl_answers_free(&v.fields);
	cl_buf_free(&v.value);
	cl_buf_free(&content);
	cl_buf_free(&page);
}

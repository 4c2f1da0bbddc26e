/*
 * body.c: the plain-text bodies of the two messages.  Text is UTF-8 with
 * CRLF line ends; every user answer goes through cl_mail_text() and is
 * indented when it spans lines, so no answer can start a line that looks
 * like one of ours.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callin/date.h"
#include "callin/form.h"
#include "callin/mail.h"
#include "callin/proofs.h"
#include "callin/rand.h"
#include "mail_int.h"

#define INDENT "    "

/* Append a heading line and its underline. */
static void
heading(cl_buf *out, const char *title)
{
	size_t n = strlen(title);

	cl_buf_printf(out, "\r\n%s\r\n", title);
	while (n-- > 0)
		cl_buf_putc(out, '-');
	cl_buf_puts(out, "\r\n");
}

/* The label of option value v of field f, or v itself when unknown. */
static const char *
option_label(const cl_field *f, const char *v)
{
	size_t i;

	for (i = 0; i < f->noptions; i++)
		if (strcmp(f->options[i].value, v) == 0)
			return f->options[i].label;
	return v;
}

/*
 * Append "label: value" when the value is one line, else the label on its
 * own line and each line of the value indented.  A label that ends in '?'
 * takes no colon.
 */
static void
answer(cl_buf *out, const char *label, const char *v, size_t n)
{
	cl_buf text = CL_BUF_INIT;
	const char *p, *e, *nl;
	size_t ll = strlen(label);
	const char *sep = ll > 0 && label[ll - 1] == '?' ? " " : ": ";

	if (n == 0) {
		cl_buf_printf(out, "%s%s(not given)\r\n", label, sep);
		return;
	}
	cl_mail_text(&text, v, n);
	if (memmem(text.data, text.len, "\r\n", 2) == NULL) {
		cl_buf_printf(out, "%s%s", label, sep);
		cl_buf_add(out, text.data, text.len);
		cl_buf_puts(out, "\r\n");
		cl_buf_free(&text);
		return;
	}
	cl_buf_printf(out, "%s\r\n", label);
	for (p = text.data, e = p + text.len; p < e; p = nl + 2) {
		if ((nl = memmem(p, (size_t)(e - p), "\r\n", 2)) == NULL)
			nl = e;
		if (nl > p) {
			cl_buf_puts(out, INDENT);
			cl_buf_add(out, p, (size_t)(nl - p));
		}
		cl_buf_puts(out, "\r\n");
		if (nl == e)
			break;
	}
	cl_buf_free(&text);
}

/* Append the answer to checkboxes field f: each chosen label on a line. */
static void
answer_list(cl_buf *out, const cl_field *f, const bson_t *req)
{
	char path[96];
	bson_iter_t it, arr;
	const char *v;
	uint32_t n;
	int any = 0;

	snprintf(path, sizeof path, CL_DOC_FIELDS ".%s", f->name);
	if (bson_iter_init(&it, req) &&
	    bson_iter_find_descendant(&it, path, &it) &&
	    BSON_ITER_HOLDS_ARRAY(&it) && bson_iter_recurse(&it, &arr)) {
		while (bson_iter_next(&arr)) {
			if (!BSON_ITER_HOLDS_UTF8(&arr))
				continue;
			v = bson_iter_utf8(&arr, &n);
			if (!any)
				cl_buf_printf(out, "%s\r\n", f->label);
			any = 1;
			cl_buf_puts(out, INDENT "- ");
			v = option_label(f, v);
			cl_mail_text(out, v, strlen(v));
			cl_buf_puts(out, "\r\n");
		}
	}
	if (!any)
		answer(out, f->label, "", 0);
}

/* Append the answer to field f as people read it. */
static void
field_answer(cl_buf *out, const cl_field *f, const bson_t *req)
{
	char path[96], date[64];
	const char *v;
	size_t n;

	snprintf(path, sizeof path, CL_DOC_FIELDS ".%s", f->name);
	v = cl_reqdoc_str(req, path, "", &n);
	switch (f->kind) {
	case CL_KIND_CHECKBOXES: answer_list(out, f, req); return;
	case CL_KIND_RADIO:
	case CL_KIND_SELECT:
		if (n > 0)
			v = option_label(f, v);
		n = strlen(v);
		break;
	case CL_KIND_CHECKBOX:
		v = strcmp(v, "yes") == 0 ? "Yes" : "No";
		n = strlen(v);
		break;
	case CL_KIND_DATE:
		if (n > 0) {
			cl_date_human_day(v, date, sizeof date);
			v = date;
			n = strlen(v);
		}
		break;
	default: break;
	}
	answer(out, f->label, v, n);
}

/* Append "Reference: ..." and "Received: ..." lines. */
static void
reference_lines(const bson_t *req, cl_buf *out)
{
	char when[64];
	int64_t ms = cl_reqdoc_int(req, CL_DOC_RECEIVED_MS, -1);

	cl_buf_printf(out, "Reference: %s\r\n",
	    cl_reqdoc_str(req, CL_DOC_REFERENCE, "", NULL));
	if (ms >= 0)
		cl_date_human(ms, when, sizeof when);
	else
		snprintf(when, sizeof when, "%s",
		    cl_reqdoc_str(req, CL_DOC_RECEIVED, "", NULL));
	cl_buf_printf(out, "Received: %s\r\n", when);
}

void
cl_mail_body_staff(const bson_t *req, int64_t confirmed_ms, const char *files,
    cl_buf *out)
{
	cl_section_id sec = CL_SEC__MAX;
	cl_field_id id;
	char when[64];

	cl_buf_puts(out, "A new call-in request has been received.\r\n\r\n");
	reference_lines(req, out);
	if (confirmed_ms > 0) {
		cl_date_human(confirmed_ms, when, sizeof when);
		cl_buf_printf(out,
		    "Requester's email address confirmed: yes, "
		    "on %s\r\n",
		    when);
	} else
		cl_buf_puts(out,
		    "Requester's email address confirmed: not yet "
		    "(they have been sent a link to confirm it; you will get a "
		    "short note when they do)\r\n");
	for (id = 0; id < CL_F__MAX; id++) {
		const cl_field *f = cl_field_get(id);

		if (f->kind == CL_KIND_FILE)
			continue;
		if (f->section != sec) {
			sec = f->section;
			heading(out, cl_sections[sec].title);
		}
		field_answer(out, f, req);
	}
	heading(out, "Files");
	cl_buf_puts(out, files);
	cl_buf_printf(out,
	    "\r\n-- \r\nSent by the call-in request service. "
	    "The receipt of this request was signed with key %s.\r\n",
	    cl_reqdoc_str(req, CL_DOC_KEY_ID, "", NULL));
}

void
cl_mail_body_staff_confirmed(const bson_t *req, int64_t confirmed_ms,
    cl_buf *out)
{
	char when[64];

	cl_date_human(confirmed_ms, when, sizeof when);
	cl_buf_printf(out,
	    "The requester of call-in request %s confirmed "
	    "their email address on %s.\r\n\r\n",
	    cl_reqdoc_str(req, CL_DOC_REFERENCE, "", NULL), when);
	reference_lines(req, out);
	cl_buf_puts(out, "\r\n-- \r\nSent by the call-in request service.\r\n");
}

/* Return 1 if s is base64url of a sane length (a token or a code). */
static int
b64url_ok(const char *s)
{
	size_t n = cl_b64url_span(s);

	return n >= 16 && n < 128 && s[n] == '\0';
}

/* The n bytes of the base URL without its trailing slashes. */
static size_t
base_len(const char *public_base_url)
{
	size_t n = strlen(public_base_url);

	while (n > 0 && public_base_url[n - 1] == '/')
		n--;
	return n;
}

/*
 * The paragraph on the log proof of req's receipt, as proof says: what the
 * attached files add, or the public address where the proof will be
 * (never the private page: this address may not be the requester's).
 */
static void
proof_lines(const bson_t *req, const char *public_base_url, cl_mail_proof proof,
    cl_buf *out)
{
	const char *receipt;
	char hex[CL_SHA256_HEX];
	size_t n = 0;

	if (proof == CL_MAIL_PROOF_NONE)
		return;
	heading(out, "Proof that your receipt is in the public log");
	if (proof != CL_MAIL_PROOF_LINK) {
		cl_buf_puts(out,
		    "receipt.tlog-proof is attached. Keep it with your "
		    "receipt. It proves that your receipt is in our public "
		    "append-only log, which independent witnesses check, so it "
		    "cannot later be removed or changed without that "
		    "showing.\r\n");
		if (proof == CL_MAIL_PROOF_ATTACHED_TSR)
			cl_buf_puts(out,
			    "checkpoint.tsr is attached too. It is from an "
			    "independent timestamp authority, which saw the log "
			    "when it already held your receipt: your request "
			    "cannot have been received later than that "
			    "time.\r\n");
		return;
	}
	receipt = cl_reqdoc_str(req, CL_DOC_RECEIPT, "", &n);
	cl_proof_name(receipt, n, hex);
	cl_buf_puts(out,
	    "Your receipt will be added to our public append-only log, "
	    "which independent witnesses check. The proof that it is there, "
	    "with an independent timestamp, will be published at:\r\n");
	cl_buf_add(out, public_base_url, base_len(public_base_url));
	cl_buf_printf(out, "/log/proofs/%s.%s\r\n", hex, CL_PROOF_TLOG);
	cl_buf_printf(out,
	    "and the timestamp at the same address ending .%s.\r\n",
	    CL_PROOF_TSR);
}

/* The closing lines of every email to the requester. */
static void
requester_footer(cl_buf *out, const char *public_base_url)
{
	cl_buf_puts(out, "\r\nTo check a receipt, go to ");
	cl_buf_add(out, public_base_url, base_len(public_base_url));
	cl_buf_puts(out, "/verify\r\n");
	cl_buf_puts(out,
	    "\r\nIf you did not make this request, someone may have "
	    "typed your email address by mistake: you do not need to do "
	    "anything.\r\n\r\n-- \r\nSent automatically by the call-in request "
	    "service.\r\n");
}

void
cl_mail_body_confirmation(const bson_t *req, const char *public_base_url,
    int64_t confirm_max_age, cl_mail_proof proof, cl_buf *out)
{
	const char *code = cl_reqdoc_str(req, CL_DOC_CONFIRM_CODE, "", NULL);
	const char *ref = cl_reqdoc_str(req, CL_DOC_REFERENCE, "", NULL);
	int64_t ms = cl_reqdoc_int(req, CL_DOC_RECEIVED_MS, -1);
	char until[64];

	cl_buf_puts(out,
	    "We have received your request to call in a proposal "
	    "to change NHS services.\r\n\r\n");
	reference_lines(req, out);
	heading(out, "What happens next");
	cl_buf_puts(out,
	    "The Department of Health and Social Care will "
	    "consider your request. It may contact the NHS commissioning body "
	    "and others involved, and may ask the Independent Reconfiguration "
	    "Panel for advice. There is no set time for a decision: it can "
	    "take several months.\r\n\r\n");
	cl_buf_printf(out,
	    "Quote your reference number %s if you contact us "
	    "about this request.\r\n",
	    ref);
	heading(out, "Your signed receipt");
	cl_buf_puts(out,
	    "receipt.txt is attached. Keep it safe. It proves that "
	    "we received your request at this time and exactly what it said. "
	    "It is signed with a published key, so anyone can check it later "
	    "without having to trust us. It contains no personal details, so "
	    "you can share it.\r\n");
	proof_lines(req, public_base_url, proof, out);
	if (b64url_ok(code) && ms >= 0) {
		heading(out, "Confirm your email address");
		cl_buf_puts(out,
		    "We will email you a copy of your answers "
		    "(copy.json, which the receipt fingerprints) and the private "
		    "link to your confirmation once you confirm that this "
		    "address is yours. Open this link and select the button on "
		    "the page:\r\n");
		cl_buf_add(out, public_base_url, base_len(public_base_url));
		cl_buf_printf(out, "/confirm/%s/%s\r\n", ref, code);
		cl_date_human(ms + confirm_max_age * 1000, until, sizeof until);
		cl_buf_printf(out, "The link works until %s.\r\n", until);
	}
	requester_footer(out, public_base_url);
}

void
cl_mail_body_address_confirmed(const bson_t *req, const char *public_base_url,
    cl_mail_proof proof, cl_buf *out)
{
	const char *token = cl_reqdoc_str(req, CL_DOC_TOKEN, "", NULL);

	cl_buf_puts(out,
	    "Thank you for confirming your email address.\r\n\r\n");
	reference_lines(req, out);
	heading(out, "Your signed receipt and your answers");
	cl_buf_puts(out,
	    "Two files are attached. Keep them safe.\r\n\r\n"
	    "- receipt.txt proves that we received your request at this time "
	    "and exactly what it said. It is signed with a published key, so "
	    "anyone can check it later without having to trust us. It contains "
	    "no personal details, so you can share it.\r\n"
	    "- copy.json is a copy of every answer you gave and a fingerprint "
	    "of each file. The receipt fingerprints this copy.\r\n");
	proof_lines(req, public_base_url, proof, out);
	if (b64url_ok(token)) {
		cl_buf_puts(out,
		    "\r\nYou can see your confirmation and download "
		    "both files again at:\r\n");
		cl_buf_add(out, public_base_url, base_len(public_base_url));
		cl_buf_printf(out, "/receipt/%s\r\n", token);
		cl_buf_puts(out, "This link is private to you.\r\n");
	}
	requester_footer(out, public_base_url);
}

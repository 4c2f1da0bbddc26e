/*
 * message.c: a notification from the outbox made into a message: envelope,
 * header lines and MIME parts (DESIGN.md §3 "Email").  Everything that
 * comes from a user or the store is checked or encoded here, so smtp.c can
 * hand the result to libcurl as it is.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "callin/alloc.h"
#include "callin/date.h"
#include "callin/hash.h"
#include "callin/mail.h"
#include "callin/proofs.h"
#include "callin/reference.h"
#include "mail_int.h"

#define INDENT "    "

/* Append a part to msg and return its index. */
static size_t
add_part(cl_mail_msg *msg, const char *type, const char *filename)
{
	cl_mail_part *p;

	msg->parts = cl_realloc(msg->parts,
	    (msg->nparts + 1) * sizeof *msg->parts);
	p = &msg->parts[msg->nparts];
	memset(p, 0, sizeof *p);
	p->type = cl_strdup(type);
	p->filename = filename != NULL ? cl_strdup(filename) : NULL;
	return msg->nparts++;
}

/* Remove the last part of msg. */
static void
drop_last_part(cl_mail_msg *msg)
{
	cl_mail_part *p = &msg->parts[--msg->nparts];

	free(p->type);
	free(p->filename);
	cl_buf_free(&p->data);
}

/* Append the header line "name: value", encoded and folded. */
static void
add_header(cl_mail_msg *msg, const char *name, const char *value)
{
	cl_buf line = CL_BUF_INIT;

	cl_mail_header(&line, name, value);
	msg->headers = cl_realloc(msg->headers,
	    (msg->nheaders + 1) * sizeof *msg->headers);
	msg->headers[msg->nheaders++] = line.data;
}

/* Same, for a header value that is ours and plain (no encoding). */
static void
add_raw_header(cl_mail_msg *msg, const char *name, const char *value)
{
	cl_buf line = CL_BUF_INIT;

	cl_buf_printf(&line, "%s: %s", name, value);
	msg->headers = cl_realloc(msg->headers,
	    (msg->nheaders + 1) * sizeof *msg->headers);
	msg->headers[msg->nheaders++] = line.data;
}

/*
 * Set the envelope recipients from n->to, each checked, duplicates
 * dropped, and the To header listing them.  CL_EINVAL naming a bad
 * address, or when there is none.
 */
static cl_err
add_recipients(cl_mail_msg *msg, const cl_notification *n, char *why,
    size_t whylen)
{
	cl_buf to = CL_BUF_INIT;
	size_t i, j, len;
	char *r;

	for (i = 0; i < n->nto; i++) {
		if (!cl_email_valid(n->to[i])) {
			/* Say where, not what: the address may hold anything. */
			snprintf(why, whylen,
			    "recipient %zu is not a plain "
			    "e-mail address; refusing to send",
			    i + 1);
			cl_buf_free(&to);
			return CL_EINVAL;
		}
		len = strlen(n->to[i]);
		for (j = 0; j < msg->nrcpt; j++)
			if (strlen(msg->rcpt[j]) == len + 2 &&
			    strncasecmp(msg->rcpt[j] + 1, n->to[i], len) == 0)
				break;
		if (j < msg->nrcpt)
			continue;
		r = cl_malloc(len + 3);
		snprintf(r, len + 3, "<%s>", n->to[i]);
		msg->rcpt = cl_realloc(msg->rcpt,
		    (msg->nrcpt + 1) * sizeof *msg->rcpt);
		msg->rcpt[msg->nrcpt++] = r;
		if (to.len > 0)
			cl_buf_puts(&to, ", ");
		cl_buf_puts(&to, n->to[i]);
	}
	if (msg->nrcpt == 0) {
		snprintf(why, whylen, "no recipient");
		cl_buf_free(&to);
		return CL_EINVAL;
	}
	add_header(msg, "To", cl_buf_str(&to));
	cl_buf_free(&to);
	return CL_OK;
}

/* One attachment as the request document lists it. */
struct file {
	const char *name, *type, *sha256, *blob_id;
	size_t name_len;
	int64_t size;
};

/* Read the attachment entry at it into f.  0 when it is malformed. */
static int
read_file_entry(bson_iter_t *it, struct file *f)
{
	bson_t d;
	const uint8_t *data;
	uint32_t len;

	if (!BSON_ITER_HOLDS_DOCUMENT(it))
		return 0;
	bson_iter_document(it, &len, &data);
	if (!bson_init_static(&d, data, len))
		return 0;
	f->name = cl_reqdoc_str(&d, CL_DOC_ATT_NAME, "", &f->name_len);
	f->type = cl_reqdoc_str(&d, CL_DOC_ATT_CONTENT_TYPE, "", NULL);
	f->sha256 = cl_reqdoc_str(&d, CL_DOC_ATT_SHA256, "", NULL);
	f->blob_id = cl_reqdoc_str(&d, CL_DOC_ATT_BLOB_ID, "", NULL);
	f->size = cl_reqdoc_int(&d, CL_DOC_ATT_SIZE, -1);
	return f->size >= 0;
}

/* Append the n bytes of s as text on one line: line breaks become spaces. */
static void
one_line(cl_buf *out, const char *s, size_t n)
{
	cl_buf t = CL_BUF_INIT;
	size_t i;

	cl_mail_text(&t, s, n);
	for (i = 0; i < t.len; i++) {
		if (t.data[i] == '\r' && t.data[i + 1] == '\n')
			i++;
		cl_buf_putc(out, t.data[i] == '\n' ? ' ' : t.data[i]);
	}
	cl_buf_free(&t);
}

/* Return 1 if hex is 64 lower-case hex digits. */
static int
sha256_hex_ok(const char *hex)
{
	return strlen(hex) == 64 && strspn(hex, "0123456789abcdef") == 64;
}

/*
 * Load the bytes of f into a new attachment part of msg, checked against
 * its size and SHA-256.  CL_OK when attached; CL_EUNAVAIL when the store
 * cannot answer now; another code, with a note for the list in note, when
 * this file cannot be attached (the part is dropped).
 */
static cl_err
attach_file(const cl_mail_ctx *ctx, const struct file *f, cl_mail_msg *msg,
    char *note, size_t notelen)
{
	unsigned char md[CL_SHA256_LEN];
	char hex[CL_SHA256_HEX], safe[CL_MAIL_FILENAME_MAX];
	cl_mail_part *p;
	size_t i;
	cl_err rc;

	cl_mail_filename(f->name, safe);
	i = add_part(msg,
	    cl_mail_content_type_ok(f->type) ? f->type :
					       "application/octet-stream",
	    safe);
	p = &msg->parts[i];
	if ((rc = ctx->load(ctx->load_arg, f->blob_id, &p->data)) != CL_OK) {
		snprintf(note, notelen,
		    "not attached: it could not be read "
		    "(%s)",
		    cl_strerror(rc));
		goto err;
	}
	cl_sha256(p->data.data, p->data.len, md);
	cl_hex(md, sizeof md, hex);
	if ((int64_t)p->data.len != f->size || strcmp(hex, f->sha256) != 0) {
		snprintf(note, notelen,
		    "not attached: the stored file does "
		    "not match its size and SHA-256");
		rc = CL_EVERIFY;
		goto err;
	}
	snprintf(note, notelen, "attached as %s", safe);
	return CL_OK;
err:
	drop_last_part(msg);
	return rc;
}

/*
 * Attach the request's files to msg while their total is at most
 * attach_max, and write their list (name, size, SHA-256, whether attached)
 * to list.  CL_EUNAVAIL when the store could not give a file now.
 */
static cl_err
staff_files(const cl_mail_ctx *ctx, const bson_t *req, cl_mail_msg *msg,
    cl_buf *list)
{
	bson_iter_t it, arr;
	struct file f;
	char note[160];
	int64_t total = 0;
	size_t count = 0;
	int attach;
	cl_err rc;

	if (bson_iter_init_find(&it, req, CL_DOC_ATTACHMENTS) &&
	    BSON_ITER_HOLDS_ARRAY(&it) && bson_iter_recurse(&it, &arr))
		while (bson_iter_next(&arr))
			if (read_file_entry(&arr, &f)) {
				count++;
				total += f.size;
			}
	if (count == 0) {
		cl_buf_puts(list, "No files were uploaded.\r\n");
		return CL_OK;
	}
	attach = ctx->load != NULL && total <= ctx->attach_max;
	if (attach)
		cl_buf_printf(list,
		    "%zu file%s, %" PRId64 " bytes in all, "
		    "attached to this email:\r\n",
		    count, count == 1 ? "" : "s", total);
	else
		cl_buf_printf(list,
		    "%zu file%s, %" PRId64 " bytes in all: too "
		    "large to attach (the limit is %" PRId64 " bytes).\r\nThey "
		    "are stored with the request:\r\n",
		    count, count == 1 ? "" : "s", total, ctx->attach_max);
	bson_iter_recurse(&it, &arr);
	while (bson_iter_next(&arr)) {
		if (!read_file_entry(&arr, &f))
			continue;
		note[0] = '\0';
		if (attach &&
		    (rc = attach_file(ctx, &f, msg, note, sizeof note)) ==
			CL_EUNAVAIL)
			return rc;
		cl_buf_puts(list, "\r\n" INDENT);
		one_line(list, f.name, f.name_len);
		cl_buf_printf(list,
		    "\r\n" INDENT INDENT "%" PRId64 " bytes, "
		    "SHA-256 %s\r\n",
		    f.size, sha256_hex_ok(f.sha256) ? f.sha256 : "(unknown)");
		if (note[0] != '\0')
			cl_buf_printf(list, INDENT INDENT "%s\r\n", note);
	}
	return CL_OK;
}

/* Attach the document's string key as filename, if it is there. */
static void
attach_string(cl_mail_msg *msg, const bson_t *req, const char *key,
    const char *type, const char *filename)
{
	const char *s;
	size_t n, i;

	s = cl_reqdoc_str(req, key, "", &n);
	if (n == 0)
		return;
	i = add_part(msg, type, filename);
	cl_buf_add(&msg->parts[i].data, s, n);
}

/*
 * Read the log proof files of req's receipt into proof and tsr when it
 * promises the log and ctx has a log_dir; *what gets what the email can
 * say of them.  CL_EUNAVAIL when one exists but cannot be read now.
 */
static cl_err
read_proofs(const cl_mail_ctx *ctx, const bson_t *req, cl_buf *proof,
    cl_buf *tsr, cl_mail_proof *what)
{
	const char *receipt;
	size_t n = 0;
	cl_err rc;

	*what = CL_MAIL_PROOF_NONE;
	if (ctx->log_dir == NULL ||
	    cl_reqdoc_str(req, CL_DOC_LOG, "", NULL)[0] == '\0')
		return CL_OK;
	*what = CL_MAIL_PROOF_LINK;
	receipt = cl_reqdoc_str(req, CL_DOC_RECEIPT, "", &n);
	rc = cl_proof_read(ctx->log_dir, receipt, n, CL_PROOF_TLOG, proof);
	if (rc == CL_ENOTFOUND)
		return CL_OK;
	if (rc != CL_OK)
		return CL_EUNAVAIL;
	*what = CL_MAIL_PROOF_ATTACHED;
	rc = cl_proof_read(ctx->log_dir, receipt, n, CL_PROOF_TSR, tsr);
	if (rc == CL_OK)
		*what = CL_MAIL_PROOF_ATTACHED_TSR;
	else if (rc != CL_ENOTFOUND)
		return CL_EUNAVAIL;
	return CL_OK;
}

/* Attach the proof files read_proofs() read, as what says.  Cannot fail. */
static void
attach_proofs(cl_mail_msg *msg, cl_mail_proof what, const cl_buf *proof,
    const cl_buf *tsr)
{
	size_t i;

	if (what == CL_MAIL_PROOF_NONE || what == CL_MAIL_PROOF_LINK)
		return;
	i = add_part(msg, "text/plain; charset=UTF-8", "receipt.tlog-proof");
	cl_buf_add(&msg->parts[i].data, proof->data, proof->len);
	if (what != CL_MAIL_PROOF_ATTACHED_TSR)
		return;
	i = add_part(msg, "application/timestamp-reply", "checkpoint.tsr");
	cl_buf_add(&msg->parts[i].data, tsr->data, tsr->len);
}

/* The kinds of notification, as the outbox names them. */
enum kind { K_STAFF, K_CONFIRMATION, K_ADDRESS_CONFIRMED, K_STAFF_CONFIRMED };
static const char *const kinds[] = {
	[K_STAFF] = "staff_alert",
	[K_CONFIRMATION] = "confirmation",
	[K_ADDRESS_CONFIRMED] = "address_confirmed",
	[K_STAFF_CONFIRMED] = "staff_confirmed",
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

int
mail_kind_waits_for_proof(const char *kind)
{
	return kind != NULL && strcmp(kind, kinds[K_CONFIRMATION]) == 0;
}

int
mail_kind_after_confirm(const char *kind)
{
	return kind != NULL &&
	    (strcmp(kind, kinds[K_ADDRESS_CONFIRMED]) == 0 ||
		strcmp(kind, kinds[K_STAFF_CONFIRMED]) == 0);
}

cl_err
cl_mail_build(const cl_mail_ctx *ctx, const cl_notification *n, time_t now,
    cl_mail_msg *msg, char *why, size_t whylen)
{
	const bson_t *req = n->request;
	cl_buf subject = CL_BUF_INIT, files = CL_BUF_INIT, *body;
	cl_buf proof = CL_BUF_INIT, tsr = CL_BUF_INIT;
	cl_mail_proof what = CL_MAIL_PROOF_NONE;
	char date[CL_DATE_RFC5322_MAX];
	const char *ref, *title;
	size_t tlen, k;
	cl_err rc = CL_EINVAL;

	if (req == NULL) {
		snprintf(why, whylen, "no request document");
		goto err;
	}
	for (k = 0; k < NKINDS; k++)
		if (n->kind != NULL && strcmp(n->kind, kinds[k]) == 0)
			break;
	if (k == NKINDS) {
		snprintf(why, whylen, "unknown kind of notification");
		goto err;
	}
	if (mail_kind_after_confirm(n->kind) && n->confirmed_ms <= 0) {
		snprintf(why, whylen, "the address was not confirmed");
		goto err;
	}
	ref = cl_reqdoc_str(req, CL_DOC_REFERENCE, "", NULL);
	if (!cl_reference_valid(ref)) {
		snprintf(why, whylen, "the request has no valid reference");
		goto err;
	}
	snprintf(msg->message_id, sizeof msg->message_id, "<%s.%s@%s>", ref,
	    n->kind, ctx->from->domain);
	snprintf(msg->env_from, sizeof msg->env_from, "<%s>", ctx->from->addr);

	cl_date_rfc5322(now, date);
	add_raw_header(msg, "Date", date);
	add_raw_header(msg, "Message-ID", msg->message_id);
	add_raw_header(msg, "From", ctx->from->header);
	if ((rc = add_recipients(msg, n, why, whylen)) != CL_OK)
		goto err;
	switch (k) {
	case K_STAFF:
		title = cl_reqdoc_str(req, CL_DOC_FIELDS ".proposal_title", "",
		    &tlen);
		cl_buf_printf(&subject, "New call-in request %s: ", ref);
		cl_buf_add(&subject, title, strnlen(title, tlen));
		break;
	case K_STAFF_CONFIRMED:
		cl_buf_printf(&subject,
		    "Call-in request %s: the requester "
		    "confirmed their email address",
		    ref);
		break;
	case K_CONFIRMATION:
		cl_buf_printf(&subject, "Your call-in request %s", ref);
		break;
	default:
		cl_buf_printf(&subject, "Your call-in request %s: your copy",
		    ref);
		break;
	}
	add_header(msg, "Subject", cl_buf_str(&subject));
	add_raw_header(msg, "Auto-Submitted", "auto-generated");

	if ((k == K_CONFIRMATION || k == K_ADDRESS_CONFIRMED) &&
	    (rc = read_proofs(ctx, req, &proof, &tsr, &what)) != CL_OK) {
		snprintf(why, whylen, "the log proof cannot be read now");
		goto err;
	}
	add_part(msg, "text/plain; charset=UTF-8", NULL);
	body = &msg->parts[0].data;
	switch (k) {
	case K_STAFF:
		if ((rc = staff_files(ctx, req, msg, &files)) != CL_OK) {
			snprintf(why, whylen,
			    "an attachment cannot be read "
			    "now: %s",
			    cl_strerror(rc));
			goto err;
		}
		body = &msg->parts[0].data; /* parts may have moved */
		cl_mail_body_staff(req, n->confirmed_ms, cl_buf_str(&files),
		    body);
		break;
	case K_STAFF_CONFIRMED:
		cl_mail_body_staff_confirmed(req, n->confirmed_ms, body);
		break;
	case K_CONFIRMATION:
		/* Before the address is confirmed: nothing personal. */
		cl_mail_body_confirmation(req, ctx->public_base_url,
		    ctx->confirm_max_age, what, body);
		attach_string(msg, req, CL_DOC_RECEIPT,
		    "text/plain; charset=UTF-8", "receipt.txt");
		attach_proofs(msg, what, &proof, &tsr);
		break;
	default:
		cl_mail_body_address_confirmed(req, ctx->public_base_url, what,
		    body);
		attach_string(msg, req, CL_DOC_RECEIPT,
		    "text/plain; charset=UTF-8", "receipt.txt");
		attach_string(msg, req, CL_DOC_COPY_JSON, "application/json",
		    "copy.json");
		attach_proofs(msg, what, &proof, &tsr);
		break;
	}
	rc = CL_OK;
err:
	if (rc != CL_OK)
		cl_mail_msg_free(msg);
	cl_buf_free(&subject);
	cl_buf_free(&files);
	cl_buf_free(&proof);
	cl_buf_free(&tsr);
	return rc;
}

void
cl_mail_msg_free(cl_mail_msg *msg)
{
	size_t i;

	for (i = 0; i < msg->nrcpt; i++)
		free(msg->rcpt[i]);
	for (i = 0; i < msg->nheaders; i++)
		free(msg->headers[i]);
	for (i = 0; i < msg->nparts; i++) {
		free(msg->parts[i].type);
		free(msg->parts[i].filename);
		cl_buf_free(&msg->parts[i].data);
	}
	free(msg->rcpt);
	free(msg->headers);
	free(msg->parts);
	memset(msg, 0, sizeof *msg);
}

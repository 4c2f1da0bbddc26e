/*
 * intake_doc.c: turn accepted answers and files into the request document
 * that the store keeps: the answers, the attachments, the submission copy
 * and its signed receipt, and the notifications to send.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "callin/clock.h"
#include "callin/err.h"
#include "callin/intake.h"
#include "callin/log.h"
#include "callin/rand.h"
#include "callin/receipt.h"
#include "callin/reqdoc.h"

/* Append the answers of every form field to fields, in page order. */
static void
append_fields(const cl_answers *a, bson_t *fields)
{
	char key[CL_INPUT_ID_MAX], date[16];

	for (cl_field_id id = 0; id < CL_F__MAX; id++) {
		const cl_field *f = cl_field_get(id);
		const char *v;

		switch (f->kind) {
		case CL_KIND_FILE: break;
		case CL_KIND_CHECKBOXES: {
			bson_t arr;
			uint32_t n = 0;

			bson_append_array_begin(fields, f->name, -1, &arr);
			for (size_t i = 0; i < a->n; i++)
				if (strcmp(a->v[i].name, f->name) == 0) {
					snprintf(key, sizeof key, "%u", n++);
					bson_append_utf8(&arr, key, -1,
					    a->v[i].value, (int)a->v[i].len);
				}
			bson_append_array_end(fields, &arr);
			break;
		}
		case CL_KIND_DATE: {
			const char *p[CL_DATE__MAX];

			for (int i = 0; i < CL_DATE__MAX; i++) {
				cl_field_input_id(id, (size_t)i, key);
				p[i] = cl_answers_get(a, key);
			}
			date[0] = '\0';
			if (p[0] && p[1] && p[2] && p[0][0] && p[1][0] &&
			    p[2][0])
				snprintf(date, sizeof date, "%04d-%02d-%02d",
				    atoi(p[2]), atoi(p[1]), atoi(p[0]));
			BSON_APPEND_UTF8(fields, f->name, date);
			break;
		}
		default:
			v = cl_answers_get(a, f->name);
			BSON_APPEND_UTF8(fields, f->name, v ? v : "");
			break;
		}
	}
}

void
cl_intake_fields(const cl_answers *a, bson_t *fields)
{
	append_fields(a, fields);
}

/* Append one document per stored file (blob id, name, type, size, hash). */
static void
append_attachments(const cl_intake *in, bson_t *arr)
{
	char key[24];

	for (size_t i = 0; i < in->nfiles; i++) {
		const cl_upload *u = &in->files[i];
		bson_t d;

		snprintf(key, sizeof key, "%zu", i);
		bson_append_document_begin(arr, key, -1, &d);
		BSON_APPEND_UTF8(&d, CL_DOC_ATT_BLOB_ID, u->blob_id);
		BSON_APPEND_UTF8(&d, CL_DOC_ATT_NAME, u->name);
		BSON_APPEND_UTF8(&d, CL_DOC_ATT_CONTENT_TYPE, u->content_type);
		BSON_APPEND_INT64(&d, CL_DOC_ATT_SIZE, u->size);
		BSON_APPEND_UTF8(&d, CL_DOC_ATT_SHA256, u->sha256);
		bson_append_document_end(arr, &d);
	}
}

void
cl_intake_fingerprint(const cl_intake *in, char hex[CL_SHA256_HEX])
{
	static const char context[] = "callin-answers-v1";
	unsigned char md[CL_SHA256_LEN];
	bson_t fields = BSON_INITIALIZER;
	cl_sha256_ctx *ctx = cl_sha256_new();

	append_fields(&in->answers, &fields);
	cl_sha256_update(ctx, context, sizeof context);
	cl_sha256_update(ctx, bson_get_data(&fields), fields.len);
	for (size_t i = 0; i < in->nfiles; i++) {
		const cl_upload *u = &in->files[i];

		/* Names hold no NUL: each ends where its terminator is hashed. */
		cl_sha256_update(ctx, u->name, strlen(u->name) + 1);
		cl_sha256_update(ctx, u->sha256, strlen(u->sha256) + 1);
	}
	cl_sha256_final(ctx, md);
	cl_hex(md, sizeof md, hex);
	bson_destroy(&fields);
}

/*
 * Append to the array to each address of the comma-separated list, spaces
 * and tabs around it trimmed, empty entries skipped.  Cannot fail.
 */
static void
append_addresses(bson_t *to, const char *list)
{
	const char *p = list;
	char key[24];
	uint32_t k = 0;

	while (*p) {
		size_t len = strcspn(p, ",");
		const char *s = p, *e = p + len;

		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (e > s) {
			snprintf(key, sizeof key, "%u", k++);
			bson_append_utf8(to, key, -1, s, (int)(e - s));
		}
		p += len + (p[len] == ',');
	}
}

/* Append to arr, at index key, a notification of kind to one address. */
static void
append_note(bson_t *arr, const char *key, const char *kind, const char *addr,
    const char *list)
{
	bson_t n, to;

	CL_ASSERT((addr == NULL) != (list == NULL));
	bson_append_document_begin(arr, key, -1, &n);
	BSON_APPEND_UTF8(&n, CL_DOC_NOTE_KIND, kind);
	bson_append_array_begin(&n, CL_DOC_NOTE_TO, -1, &to);
	if (addr != NULL)
		BSON_APPEND_UTF8(&to, "0", addr);
	else
		append_addresses(&to, list);
	bson_append_array_end(&n, &to);
	bson_append_document_end(arr, &n);
}

/* One notification per message: the staff alert and the confirmation. */
static void
append_notifications(const cl_config *cfg, const cl_answers *a, bson_t *doc)
{
	bson_t arr;

	bson_append_array_begin(doc, CL_DOC_NOTIFICATIONS, -1, &arr);
	append_note(&arr, "0", "staff_alert", NULL, cfg->staff_alert_to);
	append_note(&arr, "1", "confirmation", cl_answers_get(a, "email"),
	    NULL);
	bson_append_array_end(doc, &arr);
}

void
cl_intake_confirm_notes(const cl_config *cfg, const char *email, bson_t *notes)
{
	bson_init(notes);
	append_note(notes, "0", "address_confirmed", email, NULL);
	append_note(notes, "1", "staff_confirmed", NULL, cfg->staff_alert_to);
}

cl_err
cl_intake_build(cl_svc *app, const cl_intake *in, const char *token,
    const char *reference, const char *idempotency_key, bson_t *doc)
{
	unsigned char salt[CL_SALT_LEN], commitment[CL_SHA256_LEN];
	cl_buf copy = CL_BUF_INIT, body = CL_BUF_INIT, receipt = CL_BUF_INIT;
	static cl_receipt parsed; /* 4 KiB: not on the stack */
	bson_t fields = BSON_INITIALIZER, atts = BSON_INITIALIZER, arr;
	int64_t now_ms = cl_now_ms();
	time_t now = (time_t)(now_ms / 1000);
	struct tm tm;
	char received[32], fingerprint[CL_SHA256_HEX];
	char code[CL_RANDOM_TOKEN_MAX];
	cl_err rc;

	gmtime_r(&now, &tm);
	strftime(received, sizeof received, "%Y-%m-%dT%H:%M:%SZ", &tm);
	append_fields(&in->answers, &fields);
	bson_append_array_begin(&atts, "a", -1, &arr);
	append_attachments(in, &arr);
	bson_append_array_end(&atts, &arr);
	if ((rc = cl_random_token(code, CL_CONFIRM_CODE_BYTES)) != CL_OK ||
	    (rc = cl_copy_salt(salt)) != CL_OK ||
	    (rc = cl_copy_build(reference, received, salt, &fields, &arr,
		 &copy)) != CL_OK)
		goto err;
	cl_sha256(copy.data, copy.len, commitment);
	if ((rc = cl_receipt_body(reference, received, commitment,
		 app->cfg->log_origin, &body)) != CL_OK ||
	    (rc = cl_svc_sign(app, &body, &receipt)) != CL_OK)
		goto err;
	/* The signer's answer must be a receipt of this very body. */
	if (cl_receipt_parse(receipt.data, receipt.len, &parsed) != CL_OK ||
	    parsed.signed_len <= body.len ||
	    memcmp(receipt.data, body.data, body.len) != 0) {
		cl_log(CL_LOG_ERROR,
		    "intake: the signer's answer is not a receipt "
		    "of the body sent");
		rc = CL_ECRYPTO;
		goto err;
	}

	bson_init(doc);
	BSON_APPEND_UTF8(doc, CL_DOC_TOKEN, token);
	BSON_APPEND_UTF8(doc, CL_DOC_REFERENCE, reference);
	BSON_APPEND_UTF8(doc, CL_DOC_IDEMPOTENCY_KEY, idempotency_key);
	cl_intake_fingerprint(in, fingerprint);
	BSON_APPEND_UTF8(doc, CL_DOC_ANSWERS_SHA256, fingerprint);
	BSON_APPEND_UTF8(doc, CL_DOC_RECEIVED, received);
	BSON_APPEND_INT64(doc, CL_DOC_RECEIVED_MS, now_ms);
	BSON_APPEND_DOCUMENT(doc, CL_DOC_FIELDS, &fields);
	BSON_APPEND_ARRAY(doc, CL_DOC_ATTACHMENTS, &arr);
	BSON_APPEND_UTF8(doc, CL_DOC_COPY_JSON, cl_buf_str(&copy));
	BSON_APPEND_UTF8(doc, CL_DOC_RECEIPT, cl_buf_str(&receipt));
	BSON_APPEND_UTF8(doc, CL_DOC_KEY_ID, parsed.key_id);
	/* Its receipt promises the log: the store queues it for callin-logd. */
	if (parsed.log[0] != '\0')
		BSON_APPEND_UTF8(doc, CL_DOC_LOG, parsed.log);
	BSON_APPEND_UTF8(doc, CL_DOC_CONFIRM_CODE, code);
	append_notifications(app->cfg, &in->answers, doc);
	rc = CL_OK;
err:
	if (rc != CL_OK && rc != CL_EUNAVAIL)
		cl_log(CL_LOG_ERROR, "intake: cannot build the receipt: %s",
		    cl_strerror(rc));
	bson_destroy(&fields);
	bson_destroy(&atts);
	cl_buf_free(&copy);
	cl_buf_free(&body);
	cl_buf_free(&receipt);
	return rc;
}

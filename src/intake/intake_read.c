/*
 * intake_read.c: stream a multipart body into answers and stored blobs,
 * checking each file while it arrives.  Memory per request stays bounded:
 * one read buffer, the first CL_SNIFF_BYTES of the current file (to tell its
 * type), and the text answers (capped).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callin/alloc.h"
#include "callin/attach.h"
#include "callin/intake.h"
#include "callin/log.h"
#include "callin/multipart.h"
#include "callin/utf8.h"

#define TEXT_PART_MAX (64 * 1024)   /* bytes in one text answer */
#define TEXT_TOTAL_MAX (512 * 1024) /* bytes in all text answers */
#define PARTS_MAX 300		    /* parts in one body */

enum part_kind { P_NONE, P_TEXT, P_FILE, P_SKIP };

struct intake_state {
	cl_svc *app;
	cl_intake *in;
	enum part_kind kind;
	char name[CL_MP_NAME_MAX + 1];
	cl_buf text;
	size_t text_total;
	size_t parts;
	/* the file being received */
	cl_upload cur;
	cl_blob *blob;
	cl_sha256_ctx *sha;
	unsigned char *head; /* first bytes, until the type is known */
	size_t headlen;
	int is_text; /* a text type: every byte must be UTF-8 */
	cl_utf8_stream utf8;
	int64_t total_bytes; /* of all files */
};

/* Record the first problem with the files (later ones are not shown). */
static void
file_error(struct intake_state *s, const char *fmt, const char *name)
{
	if (s->in->file_error[0] == '\0')
		snprintf(s->in->file_error, sizeof s->in->file_error, fmt,
		    name);
}

/* Drop the current file: abort its blob and skip the rest of its part. */
static void
drop_file(struct intake_state *s)
{
	cl_blob_abort(s->blob);
	s->blob = NULL;
	cl_sha256_free(s->sha);
	s->sha = NULL;
	s->kind = P_SKIP;
}

/*
 * The first bytes of the file are in s->head: tell its type, and if we take
 * it, open its blob and write them.  CL_EUNAVAIL when the store refuses.
 */
static cl_err
start_blob(struct intake_state *s)
{
	cl_err rc;

	rc = cl_sniff(s->app->sniffer, s->head, s->headlen,
	    &s->cur.content_type);
	if (rc != CL_OK) {
		file_error(s,
		    rc == CL_EPARSE ?
			"\xe2\x80\x9c%s\xe2\x80\x9d must be saved as UTF-8 text" :
			"\xe2\x80\x9c%s\xe2\x80\x9d must be a PDF, DOCX, XLSX, ODT, ODS, "
			"PNG, JPEG, TXT or CSV file",
		    s->cur.name);
		drop_file(s);
		return CL_OK;
	}
	/* Text beyond what the sniffer saw must be UTF-8 too. */
	s->is_text = cl_attach_is_text(s->cur.content_type);
	cl_utf8_stream_init(&s->utf8);
	if (s->is_text)
		cl_utf8_stream_feed(&s->utf8, s->head, s->headlen);
	if ((rc = cl_store_blob_open(s->app->store, s->cur.name, &s->blob)) !=
		CL_OK ||
	    (rc = cl_blob_write(s->blob, s->head, s->headlen)) != CL_OK)
		return rc;
	return CL_OK;
}

/*
 * Multipart callback: a part starts.  A text part is collected; a file part
 * of the attachments input is checked and stored (unless too many files or
 * an earlier refusal); anything else is skipped.  CL_ETOOBIG past PARTS_MAX
 * parts, which makes the whole read fail.
 */
static cl_err
on_begin(void *arg, const char *name, const char *filename, const char *ctype)
{
	struct intake_state *s = arg;
	const cl_config *cfg = s->app->cfg;

	(void)ctype; /* the browser's guess: we go by the bytes */
	if (++s->parts > PARTS_MAX)
		return CL_ETOOBIG;
	snprintf(s->name, sizeof s->name, "%s", name);
	cl_buf_reset(&s->text);
	if (filename == NULL) {
		s->kind = P_TEXT;
		return CL_OK;
	}
	s->kind = P_SKIP;
	if (strcmp(name, "attachments") != 0 || filename[0] == '\0')
		return CL_OK; /* not our file input, or no file chosen */
	if ((int64_t)++s->in->nchosen > cfg->max_files) {
		char n[32];

		snprintf(n, sizeof n, "%lld", (long long)cfg->max_files);
		file_error(s, "Select up to %s files", n);
		return CL_OK;
	}
	if (s->in->file_error[0] != '\0')
		return CL_OK; /* already refused: store no more */
	memset(&s->cur, 0, sizeof s->cur);
	cl_attach_sanitise_name(filename, s->cur.name, sizeof s->cur.name);
	s->sha = cl_sha256_new();
	s->headlen = 0;
	s->kind = P_FILE;
	return CL_OK;
}

/*
 * Multipart callback: body bytes of the current part.  Text is capped
 * (CL_ETOOBIG fails the read); a file is size-checked, hashed, sniffed from
 * its first bytes and written to its blob (a store error fails the read); a
 * refused file is dropped and recorded in file_error, and the read goes on.
 */
static cl_err
on_data(void *arg, const void *p, size_t n)
{
	struct intake_state *s = arg;
	const cl_config *cfg = s->app->cfg;
	cl_err rc;

	switch (s->kind) {
	case P_TEXT:
		s->text_total += n;
		if (s->text.len + n > TEXT_PART_MAX ||
		    s->text_total > TEXT_TOTAL_MAX)
			return CL_ETOOBIG;
		cl_buf_add(&s->text, p, n);
		return CL_OK;
	case P_FILE: break;
	default: return CL_OK;
	}
	s->cur.size += (int64_t)n;
	s->total_bytes += (int64_t)n;
	if (s->cur.size > cfg->max_file_bytes) {
		char msg[64];

		snprintf(msg, sizeof msg, "%lldMB",
		    (long long)(cfg->max_file_bytes >> 20));
		file_error(s, "The selected file must be smaller than %s", msg);
		drop_file(s);
		return CL_OK;
	}
	if (s->total_bytes > cfg->max_total_bytes) {
		char msg[64];

		snprintf(msg, sizeof msg, "%lldMB",
		    (long long)(cfg->max_total_bytes >> 20));
		file_error(s,
		    "The selected files must be %s or smaller in total", msg);
		drop_file(s);
		return CL_OK;
	}
	cl_sha256_update(s->sha, p, n);
	if (s->blob == NULL) {
		size_t take = CL_SNIFF_BYTES - s->headlen;

		if (take > n)
			take = n;
		memcpy(s->head + s->headlen, p, take);
		s->headlen += take;
		p = (const char *)p + take;
		n -= take;
		if (s->headlen < CL_SNIFF_BYTES)
			return CL_OK;
		if ((rc = start_blob(s)) != CL_OK || s->kind != P_FILE)
			return rc;
	}
	if (n == 0)
		return CL_OK;
	if (s->is_text)
		cl_utf8_stream_feed(&s->utf8, p, n);
	return cl_blob_write(s->blob, p, n);
}

/*
 * Multipart callback: the current part ended.  A text part becomes an
 * answer; a file is checked (empty, UTF-8) and its blob finished and kept.
 * A store error finishing the blob fails the read.
 */
static cl_err
on_end(void *arg)
{
	struct intake_state *s = arg;
	unsigned char digest[CL_SHA256_LEN];
	cl_err rc;

	if (s->kind == P_TEXT) {
		cl_answers_add(&s->in->answers, s->name, cl_buf_str(&s->text),
		    s->text.len);
		if (strcmp(s->name, "website") == 0 && s->text.len > 0)
			s->in->honeypot = 1;
	} else if (s->kind == P_FILE) {
		if (s->cur.size == 0) {
			file_error(s,
			    "The selected file \xe2\x80\x9c%s\xe2\x80\x9d is empty",
			    s->cur.name);
			drop_file(s);
		} else if (s->blob == NULL && (rc = start_blob(s)) != CL_OK)
			return rc;
		if (s->kind == P_FILE && s->is_text &&
		    !cl_utf8_stream_done(&s->utf8)) {
			file_error(s,
			    "\xe2\x80\x9c%s\xe2\x80\x9d must be saved as UTF-8 text",
			    s->cur.name);
			drop_file(s);
		}
	}
	if (s->kind == P_FILE) {
		cl_sha256_final(s->sha, digest);
		s->sha = NULL;
		cl_hex(digest, sizeof digest, s->cur.sha256);
		rc = cl_blob_finish(s->blob, s->cur.blob_id);
		s->blob = NULL;
		if (rc != CL_OK)
			return rc;
		s->in->files = cl_realloc(s->in->files,
		    (s->in->nfiles + 1) * sizeof *s->in->files);
		s->in->files[s->in->nfiles++] = s->cur;
	}
	s->kind = P_NONE;
	return CL_OK;
}

static const cl_mp_callbacks callbacks = { on_begin, on_data, on_end };

cl_err
cl_intake_read(cl_svc *app, cl_http_req *req, cl_intake *in)
{
	struct intake_state s;
	int64_t cap = app->cfg->max_total_bytes + TEXT_TOTAL_MAX + 65536;
	cl_err rc;

	memset(&s, 0, sizeof s);
	s.app = app;
	s.in = in;
	s.head = cl_malloc(CL_SNIFF_BYTES);
	if ((rc = cl_http_read_form(req, &callbacks, &s, cap)) != CL_OK)
		goto err;
	goto done;
err:
	cl_blob_abort(s.blob);
	s.blob = NULL;
	cl_intake_discard(app, in);
done:
	cl_sha256_free(s.sha);
	cl_buf_free(&s.text);
	free(s.head);
	return rc;
}

void
cl_intake_discard(cl_svc *app, cl_intake *in)
{
	for (size_t i = 0; i < in->nfiles; i++) {
		cl_err rc = cl_store_blob_delete(app->store,
		    in->files[i].blob_id);

		if (rc != CL_OK)
			cl_log(CL_LOG_WARN,
			    "intake: blob %s left for the sweeper: %s",
			    in->files[i].blob_id, cl_strerror(rc));
	}
	in->nfiles = 0;
}

void
cl_intake_free(cl_intake *in)
{
	cl_answers_free(&in->answers);
	free(in->files);
	in->files = NULL;
	in->nfiles = 0;
}

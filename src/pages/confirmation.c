/*
 * confirmation.c: GET /receipt/{token} — the confirmation page: reference,
 * time received, what happens next, and the signed receipt explained —
 * and its files: receipt.txt, copy.json, and once the log has anchored the
 * receipt, receipt.tlog-proof and checkpoint.tsr (read from
 * log_dir/proofs/, see proofs.h).  receipt_link_days after the request was
 * received, the page and copy.json answer 410 "this link has expired";
 * receipt.txt and the proof files (no personal data) keep working.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "callin/clock.h"
#include "callin/date.h"
#include "callin/log.h"
#include "callin/page.h"
#include "callin/proofs.h"
#include "callin/reference.h"
#include "callin/reqdoc.h"
#include "callin/tmpl.h"

cl_err
cl_page_confirmation_html(cl_buf *out, const char *reference,
    const char *received, const char *token, const char *receipt,
    const char *log, int proof)
{
	cl_tmpl *d = cl_tmpl_new();
	char when[64];
	cl_err rc;

	cl_date_human_iso(received, when, sizeof when);
	cl_tmpl_set(d, "log", log);
	cl_tmpl_flag(d, "proof", proof);
	cl_tmpl_set(d, "reference", reference);
	cl_tmpl_set(d, "received", received);
	cl_tmpl_set(d, "received_text", when);
	cl_tmpl_set(d, "token", token);
	cl_tmpl_set(d, "receipt", receipt);
	rc = cl_page_build(out, "confirmation", "Request sent", 0, d);
	cl_tmpl_free(d);
	return rc;
}

/* The string at key of doc, or "" when absent. */
#define doc_str(doc, key) cl_reqdoc_str((doc), (key), "", NULL)

/*
 * Look up the request with token for a page (a honeypot's decoy token
 * stands for its decoy, after the same store lookup); on failure the error
 * page has been sent and CL_ENOTFOUND or CL_EUNAVAIL is returned.
 */
cl_err
cl_page_lookup(cl_svc *app, cl_http_req *req, const char *token, bson_t *doc)
{
	cl_err rc = cl_store_get(app->store, CL_KEY_TOKEN, token, doc);

	if (rc == CL_ENOTFOUND)
		rc = cl_decoy_find(app, token, doc);
	if (rc == CL_ENOTFOUND)
		cl_page_error(req, 404, NULL);
	else if (rc != CL_OK) {
		cl_log(CL_LOG_ERROR, "confirmation: store: %s",
		    cl_strerror(rc));
		cl_page_error(req, 503, NULL);
	}
	return rc;
}

/*
 * Whether the private link of the request doc has expired: received
 * (received_ms) more than receipt_link_days ago.  A document without a
 * received time has expired.  Cannot fail.
 */
static int
expired(const cl_svc *app, const bson_t *doc)
{
	int64_t ms = cl_reqdoc_int(doc, CL_DOC_RECEIVED_MS, -1);

	if (ms < 0)
		return 1;
	return cl_now_ms() - ms > app->cfg->receipt_link_days * 86400000;
}

/*
 * Whether the proof of the request doc's receipt is published (in
 * log_dir/proofs/).  Cannot fail: unreadable counts as not yet.
 */
static int
has_proof(const cl_svc *app, const bson_t *doc)
{
	char path[4096];
	size_t n = 0;
	const char *receipt = cl_reqdoc_str(doc, CL_DOC_RECEIPT, "", &n);

	if (doc_str(doc, CL_DOC_LOG)[0] == '\0' ||
	    cl_proof_path(app->cfg->log_dir, receipt, n, CL_PROOF_TLOG, path,
		sizeof path) != CL_OK)
		return 0;
	return access(path, R_OK) == 0;
}

void
cl_page_confirmation(cl_svc *app, cl_http_req *req, const char *token)
{
	cl_buf page = CL_BUF_INIT;
	bson_t doc;

	if (cl_page_lookup(app, req, token, &doc) != CL_OK)
		return;
	if (expired(app, &doc)) {
		bson_destroy(&doc);
		cl_page_error(req, 410,
		    "The private link to this request's "
		    "confirmation page and its copy of the answers has expired.");
		return;
	}
	if (cl_page_confirmation_html(&page, doc_str(&doc, CL_DOC_REFERENCE),
		doc_str(&doc, CL_DOC_RECEIVED), token,
		doc_str(&doc, CL_DOC_RECEIPT), doc_str(&doc, CL_DOC_LOG),
		has_proof(app, &doc)) == CL_OK)
		cl_page_send(req, 200, &page);
	else
		cl_page_error(req, 500, NULL);
	bson_destroy(&doc);
	cl_buf_free(&page);
}

/* A file of the confirmation: its name, content type, and what it is. */
struct rfile {
	const char *name;
	const char *type;
	int personal;	 /* answers in it: gone with the private link */
	const char *key; /* the document's string, or NULL */
	const char *ext; /* else the proof file's extension */
};

static const struct rfile rfiles[] = {
	{ "receipt.txt", "text/plain; charset=utf-8", 0, CL_DOC_RECEIPT, NULL },
	{ "copy.json", "application/json", 1, CL_DOC_COPY_JSON, NULL },
	{ "receipt.tlog-proof", "text/plain; charset=utf-8", 0, NULL,
	    CL_PROOF_TLOG },
	{ "checkpoint.tsr", "application/timestamp-reply", 0, NULL,
	    CL_PROOF_TSR },
};

/* The entry of rfiles named file, NULL when none.  Cannot fail. */
static const struct rfile *
rfile_of(const char *file)
{
	for (size_t i = 0; i < sizeof rfiles / sizeof rfiles[0]; i++)
		if (strcmp(file, rfiles[i].name) == 0)
			return &rfiles[i];
	return NULL;
}

int
cl_page_receipt_file_known(const char *file)
{
	return rfile_of(file) != NULL;
}

void
cl_page_receipt_file(cl_svc *app, cl_http_req *req, const char *token,
    const char *file)
{
	const struct rfile *f = rfile_of(file);
	const char *ref, *receipt, *data;
	cl_buf h = CL_BUF_INIT, body = CL_BUF_INIT;
	size_t n = 0, len;
	bson_t doc;
	cl_err rc;

	CL_ASSERT(f != NULL); /* the router names only these */
	if (cl_page_lookup(app, req, token, &doc) != CL_OK)
		return;
	/* receipt.txt and its proofs hold no personal data: they stay. */
	if (f->personal && expired(app, &doc)) {
		cl_page_error(req, 410,
		    "The private link to this request's "
		    "confirmation page and its copy of the answers has expired.");
		goto done;
	}
	if (f->key != NULL) { /* sent from the document itself */
		data = doc_str(&doc, f->key);
		len = strlen(data);
	} else {
		receipt = cl_reqdoc_str(&doc, CL_DOC_RECEIPT, "", &n);
		rc = doc_str(&doc, CL_DOC_LOG)[0] == '\0' ?
		    CL_ENOTFOUND :
		    cl_proof_read(app->cfg->log_dir, receipt, n, f->ext, &body);
		if (rc == CL_ENOTFOUND) {
			cl_page_error(req, 404,
			    "The proof that your receipt is in the public "
			    "log is not ready yet. It usually appears within "
			    "a few minutes of the request.");
			goto done;
		}
		if (rc != CL_OK) {
			cl_page_error(req, 503, NULL);
			goto done;
		}
		data = cl_buf_str(&body);
		len = body.len;
	}
	ref = doc_str(&doc, CL_DOC_REFERENCE);
	if (!cl_reference_valid(ref)) /* only a well-formed one in a header */
		ref = "callin";
	cl_buf_printf(&h,
	    "Content-Disposition: attachment; filename=\"%s-%s\"\r\n"
	    "Cache-Control: private, no-store\r\n",
	    ref, f->name);
	(void)cl_http_send(req, 200, f->type, h.data, data, len);
done:
	bson_destroy(&doc);
	cl_buf_free(&h);
	cl_buf_free(&body);
}

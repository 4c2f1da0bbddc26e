/*
 * verify.c: GET and POST /verify.  Anyone pastes or uploads a receipt
 * (optionally with the copy.json it commits to) and learns whether the
 * signature is valid and by which published key, whether the request is on
 * file and its stored copy still matches, and whether the given copy matches;
 * with the receipt's log proof (proof_file) and time-stamp token (tsr_file),
 * each check of proof.h against the log key published in log_dir/log.vkey,
 * the witnesses of log_witnesses and the roots of tsa_ca_file.
 * The result panel (templates/verdict.html) carries data-verdict="valid",
 * "invalid" or "unreadable".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callin/date.h"
#include "callin/err.h"
#include "callin/form.h"
#include "callin/hash.h"
#include "callin/log.h"
#include "callin/multipart.h"
#include "callin/anchor.h"
#include "callin/page.h"
#include "callin/proof.h"
#include "callin/receipt.h"
#include "callin/reqdoc.h"
#include "callin/tmpl.h"

#define VERIFY_PART_MAX (1024 * 1024) /* a receipt or a copy.json */
#define VERIFY_BODY_MAX (4 * 1024 * 1024)

struct vform {
	cl_answers fields; /* receipt, receipt_file, copy_file, proof_file,
			      tsr_file */
	char name[CL_MP_NAME_MAX + 1];
	cl_buf value;
	int keep;
};

/* Multipart callback: keep only the receipt and copy parts.  Cannot fail. */
static cl_err
v_begin(void *arg, const char *name, const char *filename, const char *ctype)
{
	struct vform *v = arg;

	(void)filename;
	(void)ctype;
	snprintf(v->name, sizeof v->name, "%s", name);
	v->keep = strcmp(name, "receipt") == 0 ||
	    strcmp(name, "receipt_file") == 0 ||
	    strcmp(name, "copy_file") == 0 || strcmp(name, "proof_file") == 0 ||
	    strcmp(name, "tsr_file") == 0;
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
		cl_answers_add(&v->fields, v->name, cl_buf_str(&v->value),
		    v->value.len);
	return CL_OK;
}

static const cl_mp_callbacks vcallbacks = { v_begin, v_data, v_end };

/* Add a line to the result list of res.  Cannot fail. */
static void
check_line(cl_verify_result *res, const char *id, int ok, const char *text,
    const char *detail)
{
	cl_verify_check *c = &res->checks[res->nchecks++];

	CL_ASSERT(res->nchecks <= CL_VERIFY_CHECKS);
	c->id = id;
	c->ok = ok;
	c->text = text;
	snprintf(c->detail, sizeof c->detail, "%s", detail ? detail : "");
}

/* The stored copy of reference, hashed.  1 when on file and hashed. */
static int
stored_copy_hash(cl_svc *app, const char *reference,
    unsigned char out[CL_SHA256_LEN], int *unavailable)
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
	if (bson_iter_init_find(&it, &doc, CL_DOC_COPY_JSON) &&
	    BSON_ITER_HOLDS_UTF8(&it)) {
		const char *s = bson_iter_utf8(&it, &len);
		cl_sha256(s, len, out);
		bson_destroy(&doc);
		return 1;
	}
	bson_destroy(&doc);
	return 0;
}

/* What each log check says on the page, passed and failed. */
static const struct {
	const char *id, *pass, *fail;
} log_lines[CL_PROOF__MAX] = {
	[CL_PROOF_CHECKPOINT] = { "log-checkpoint",
	    "The proof's checkpoint is signed with this service's log key.",
	    "The proof's checkpoint is not this service's log:" },
	[CL_PROOF_INCLUSION] = { "log-inclusion",
	    "The receipt is in the public log.",
	    "The proof does not show this receipt in the log:" },
	[CL_PROOF_WITNESSES] = { "log-witnesses",
	    "Independent witnesses cosigned the log at that size.",
	    "The witnesses' cosignatures do not check:" },
	[CL_PROOF_TIMESTAMP] = { "log-timestamp",
	    "An independent timestamp authority saw the log at that size.",
	    "The timestamp does not check:" },
	[CL_PROOF_TIME] = { "log-time",
	    "The request was received no later than the timestamp.",
	    "The receipt's time is later than the timestamp:" },
};

/*
 * Read the log's published verifier key (log_dir/log.vkey) into k.
 * CL_ENOTFOUND when there is none (readable), CL_EPARSE when it is not one.
 */
static cl_err
log_key(const cl_svc *app, cl_tlog_verifier *k)
{
	char path[4096], line[CL_TLOG_VKEY_MAX + 2];
	FILE *f;
	int ok;

	snprintf(path, sizeof path, "%s/log.vkey", app->cfg->log_dir);
	if ((f = fopen(path, "r")) == NULL)
		return CL_ENOTFOUND;
	ok = fgets(line, sizeof line, f) != NULL;
	fclose(f);
	if (!ok)
		return CL_EPARSE;
	line[strcspn(line, "\r\n")] = '\0';
	if (cl_tlog_vkey_parse(line, k) != CL_OK || k->type != 0x01)
		return CL_EPARSE;
	return CL_OK;
}

/*
 * Check the log proof (and token, when given) of the parsed receipt r into
 * res: a check line for each check made.  Sets res->verdict (worse only)
 * and res->reason for a proof that cannot be read.  Cannot fail.
 */
static void
judge_log(cl_svc *app, const cl_receipt *r, const cl_answer *proof,
    const cl_answer *tsr, cl_verify_result *res)
{
	static cl_proof_result pr; /* large: keep it off the stack */
	static char why[300];
	cl_tlog_verifier log, wit[CL_TLOG_SIGS_MAX];
	cl_proof_keys keys = { &log, wit, 0, app->cfg->tsa_ca_file };
	cl_witness *ws = NULL;
	char err[256];
	size_t nw = 0;
	cl_err rc;

	if (log_key(app, &log) != CL_OK) {
		res->verdict = CL_VERDICT_INVALID;
		check_line(res, log_lines[CL_PROOF_CHECKPOINT].id, 0,
		    "This service has not published a log key, so the proof "
		    "cannot be checked here.",
		    NULL);
		return;
	}
	/* The witnesses the service asks to cosign (log_witnesses). */
	if (cl_witness_list_parse(app->cfg->log_witnesses, &ws, &nw, err,
		sizeof err) == CL_OK)
		for (size_t i = 0; i < nw && i < CL_TLOG_SIGS_MAX; i++)
			wit[keys.nwitnesses++] = ws[i].key;
	else
		cl_log(CL_LOG_WARN, "verify: config: log_witnesses: %s", err);
	free(ws);
	rc = cl_proof_check(r, proof->value, proof->len,
	    tsr != NULL ? tsr->value : NULL, tsr != NULL ? tsr->len : 0, &keys,
	    &pr);
	if (rc != CL_OK) {
		enum cl_proof_id id = cl_proof_refused(&pr);

		snprintf(why, sizeof why, "%s: %.240s",
		    id == CL_PROOF_TIMESTAMP ? "The timestamp file" :
					       "The proof file",
		    pr.items[id].detail);
		res->verdict = CL_VERDICT_UNREADABLE;
		res->reason = why;
		return;
	}
	for (int i = 0; i < CL_PROOF__MAX; i++) {
		const cl_proof_item *it = &pr.items[i];

		if (!it->made)
			continue;
		check_line(res, log_lines[i].id, it->ok,
		    it->ok ? log_lines[i].pass : log_lines[i].fail, it->detail);
	}
	if (!cl_proof_passed(&pr) && res->verdict < CL_VERDICT_INVALID)
		res->verdict = CL_VERDICT_INVALID;
}

/*
 * Check the receipt text (and the copy, when given) into res: the verdict
 * (valid: a good signature by a published key, the request on file with its
 * stored copy unaltered, and the given copy the one committed to; invalid;
 * unreadable) and the checks made.  CL_EUNAVAIL when the store could not be
 * asked (nothing is judged then).
 */
static cl_err
judge(cl_svc *app, const cl_answer *receipt, const cl_answer *copy,
    const cl_answer *proof, const cl_answer *tsr, cl_verify_result *res)
{
	static cl_receipt r; /* large: keep it off the stack */
	unsigned char h[CL_SHA256_LEN];
	char line[256];
	int unavailable;
	cl_err rc;

	memset(res, 0, sizeof *res);
	res->verdict = CL_VERDICT_VALID;
	if (receipt == NULL ||
	    cl_receipt_parse(receipt->value, receipt->len, &r) != CL_OK) {
		res->verdict = CL_VERDICT_UNREADABLE;
		res->reason = receipt == NULL ?
		    "Paste a receipt or choose a receipt file." :
		    r.reason;
		return CL_OK;
	}
	res->reference = r.reference;
	res->received = r.received;
	rc = cl_receipt_verify(&r, app->keyring);
	if (rc == CL_OK) {
		snprintf(line, sizeof line,
		    "(key %s, published at /receipt-keys/%s.pem).", r.key_id,
		    r.key_id);
		check_line(res, "signature", 1,
		    "The signature is valid: this receipt was issued by this service",
		    line);
	} else {
		res->verdict = CL_VERDICT_INVALID;
		check_line(res, "signature", 0,
		    rc == CL_ENOTFOUND ?
			"The receipt names a key this service has never published." :
			"The signature does not match: the receipt has been changed or was not issued by this service.",
		    NULL);
	}
	if (rc == CL_OK) {
		if (stored_copy_hash(app, r.reference, h, &unavailable)) {
			int same = memcmp(h, r.commitment, sizeof h) == 0;
			check_line(res, "on-file", same,
			    same ?
				"The request is on file and unaltered: its stored copy still matches the receipt." :
				"The request is on file, but its stored copy no longer matches the receipt.",
			    NULL);
			if (!same)
				res->verdict = CL_VERDICT_INVALID;
		} else if (unavailable) {
			/* Nothing is judged without the stored copy. */
			return CL_EUNAVAIL;
		} else {
			check_line(res, "on-file", 0,
			    "No request with this reference is on file.", NULL);
			res->verdict = CL_VERDICT_INVALID;
		}
	}
	if (copy != NULL) {
		int same;

		cl_sha256(copy->value, copy->len, h);
		same = memcmp(h, r.commitment, sizeof h) == 0;
		check_line(res, "copy", same,
		    same ?
			"The copy you gave is exactly the one this receipt commits to." :
			"The copy you gave is not the one this receipt commits to.",
		    NULL);
		if (!same)
			res->verdict = CL_VERDICT_INVALID;
	}
	if (proof != NULL)
		judge_log(app, &r, proof, tsr, res);
	else if (tsr != NULL) {
		res->verdict = CL_VERDICT_UNREADABLE;
		res->reason = "A timestamp is checked with its log proof: "
			      "choose the receipt.tlog-proof file too.";
	}
	return CL_OK;
}

cl_err
cl_page_verify_html(cl_buf *out, const cl_verify_result *res)
{
	cl_tmpl *d = cl_tmpl_new();
	char when[64];
	cl_err rc;

	cl_tmpl_flag(d, "checked", res != NULL);
	if (res != NULL) {
		cl_tmpl_set(d, "verdict", cl_verdict_name(res->verdict));
		cl_tmpl_flag(d, "unreadable",
		    res->verdict == CL_VERDICT_UNREADABLE);
		cl_tmpl_flag(d, "valid", res->verdict == CL_VERDICT_VALID);
		cl_tmpl_set(d, "reason", res->reason);
		cl_tmpl_set(d, "reference", res->reference);
		cl_date_human_iso(res->received ? res->received : "", when,
		    sizeof when);
		cl_tmpl_set(d, "received_text", when);
		cl_tmpl_list(d, "checks");
		for (size_t i = 0; i < res->nchecks; i++) {
			cl_tmpl *c = cl_tmpl_add(d, "checks");

			cl_tmpl_set(c, "id", res->checks[i].id);
			cl_tmpl_flag(c, "ok", res->checks[i].ok);
			cl_tmpl_set(c, "text", res->checks[i].text);
			cl_tmpl_set(c, "detail", res->checks[i].detail);
		}
	}
	rc = cl_page_build(out, "verify", "Check a receipt", 0, d);
	cl_tmpl_free(d);
	return rc;
}

void
cl_page_verify(cl_svc *app, cl_http_req *req)
{
	static cl_verify_result res; /* its details: off the stack */
	struct vform v = { CL_ANSWERS_INIT, "", CL_BUF_INIT, 0 };
	cl_buf page = CL_BUF_INIT;
	int posted = strcmp(req->method, "POST") == 0;

	if (posted) {
		const cl_answer *receipt;
		cl_err rc = cl_http_read_form(req, &vcallbacks, &v,
		    VERIFY_BODY_MAX);

		if (rc != CL_OK) {
			if (rc == CL_ETOOBIG)
				cl_page_error_for(app, req, 413, NULL);
			else
				cl_page_error(req, 400, NULL);
			goto done;
		}
		receipt = cl_answers_find(&v.fields, "receipt_file");
		if (receipt == NULL)
			receipt = cl_answers_find(&v.fields, "receipt");
		if (judge(app, receipt, cl_answers_find(&v.fields, "copy_file"),
			cl_answers_find(&v.fields, "proof_file"),
			cl_answers_find(&v.fields, "tsr_file"),
			&res) != CL_OK) {
			cl_page_error(req, 503,
			    "We could not look up the request to check it "
			    "against the receipt. Try again in a few minutes.");
			goto done;
		}
	}
	if (cl_page_verify_html(&page, posted ? &res : NULL) == CL_OK)
		cl_page_send(req, 200, &page);
	else
		cl_page_error(req, 500, NULL);
done:
	cl_answers_free(&v.fields);
	cl_buf_free(&v.value);
	cl_buf_free(&page);
}

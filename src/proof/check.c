/*
 * check.c: check a receipt's log proof and time-stamp token (proof.h): the
 * checkpoint first (the log's key, its origin), then the inclusion of the
 * receipt's entry, the witnesses' cosignatures, the token at its genTime,
 * and the receipt's time against it.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "callin/anchor.h"
#include "callin/proof.h"

static const char *const names[CL_PROOF__MAX] = {
	[CL_PROOF_CHECKPOINT] = "checkpoint",
	[CL_PROOF_INCLUSION] = "log inclusion",
	[CL_PROOF_WITNESSES] = "witness cosignatures",
	[CL_PROOF_TIMESTAMP] = "timestamp",
	[CL_PROOF_TIME] = "received before timestamp",
};

const char *
cl_proof_name_of(enum cl_proof_id id)
{
	CL_ASSERT(id < CL_PROOF__MAX);
	return names[id];
}

/* Set item id of res: made, ok and a printf detail.  Cannot fail. */
static void set(cl_proof_result *res, enum cl_proof_id id, int made, int ok,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
set(cl_proof_result *res, enum cl_proof_id id, int made, int ok,
    const char *fmt, ...)
{
	cl_proof_item *it = &res->items[id];
	va_list ap;

	it->made = made;
	it->ok = made && ok;
	va_start(ap, fmt);
	vsnprintf(it->detail, sizeof it->detail, fmt, ap);
	va_end(ap);
}

/*
 * Open the signed checkpoint cp (n bytes) with the one key k: 1 when its
 * line verifies, 0 when it has none, -1 when one does not verify or the
 * note is malformed.
 */
static int
signed_by(const char *cp, size_t n, const cl_tlog_verifier *k)
{
	size_t text_len;
	int ok = 0;
	cl_err rc = cl_tlog_note_open(cp, n, k, 1, &text_len, &ok, NULL);

	if (rc != CL_OK)
		return -1;
	return ok ? 1 : 0;
}

/* Check the known witnesses' cosignatures on cp into res.  Cannot fail. */
static void
check_witnesses(const char *cp, size_t n, const cl_proof_keys *keys,
    cl_proof_result *res)
{
	size_t good = 0, bad = 0;
	char badname[CL_TLOG_ORIGIN_MAX] = "";

	if (keys->nwitnesses == 0) {
		set(res, CL_PROOF_WITNESSES, 0, 0,
		    "not checked: no witness keys given");
		return;
	}
	for (size_t i = 0; i < keys->nwitnesses; i++) {
		switch (signed_by(cp, n, &keys->witnesses[i])) {
		case 1: good++; break;
		case 0: break;
		default:
			if (bad++ == 0)
				snprintf(badname, sizeof badname, "%s",
				    keys->witnesses[i].name);
			break;
		}
	}
	if (bad > 0)
		set(res, CL_PROOF_WITNESSES, 1, 0,
		    "the cosignature of %s does not verify", badname);
	else if (good == 0)
		set(res, CL_PROOF_WITNESSES, 1, 0,
		    "none of the %zu known witnesses cosigned the checkpoint",
		    keys->nwitnesses);
	else
		set(res, CL_PROOF_WITNESSES, 1, 1,
		    "cosigned by %zu of %zu known witnesses", good,
		    keys->nwitnesses);
}

/*
 * Check the token tsr over the note text, and the receipt's time against
 * its genTime, into res.  CL_EPARSE when it is not a reply, CL_ECONFIG
 * when the roots cannot be read; else CL_OK.
 */
static cl_err
check_token(const cl_receipt *r, const void *tsr, size_t tlen, const char *text,
    size_t text_len, const cl_proof_keys *keys, cl_proof_result *res)
{
	cl_tsa_check chk;
	struct tm tm;
	char when[32];
	int64_t rcv;
	cl_err rc;

	if (tsr == NULL) {
		set(res, CL_PROOF_TIMESTAMP, 0, 0,
		    "not checked: no token given");
		set(res, CL_PROOF_TIME, 0, 0, "not checked: no token given");
		return CL_OK;
	}
	if (keys->tsa_ca_file == NULL || keys->tsa_ca_file[0] == '\0') {
		set(res, CL_PROOF_TIMESTAMP, 0, 0,
		    "not checked: no timestamp authority roots given");
		set(res, CL_PROOF_TIME, 0, 0, "not checked: no timestamp");
		return CL_OK;
	}
	memset(&chk, 0, sizeof chk);
	rc = cl_tsa_verify(tsr, tlen, 0, text, text_len, keys->tsa_ca_file,
	    &chk);
	if (rc == CL_EPARSE || rc == CL_ECONFIG) {
		set(res, CL_PROOF_TIMESTAMP, 1, 0, "%s",
		    rc == CL_EPARSE ? "not an RFC 3161 time-stamp reply" :
				      chk.why);
		set(res, CL_PROOF_TIME, 0, 0, "not checked: no timestamp");
		return rc;
	}
	if (rc != CL_OK) {
		set(res, CL_PROOF_TIMESTAMP, 1, 0, "%s", chk.why);
		set(res, CL_PROOF_TIME, 0, 0,
		    "not checked: no valid timestamp");
		return CL_OK;
	}
	gmtime_r(&chk.gen_time, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	set(res, CL_PROOF_TIMESTAMP, 1, 1,
	    "the authority saw this checkpoint at %s (genTime), valid then",
	    when);
	rcv = cl_receipt_received_epoch(r->received);
	set(res, CL_PROOF_TIME, 1, rcv <= (int64_t)chk.gen_time,
	    rcv <= (int64_t)chk.gen_time ?
		"received %s, no later than the timestamp %s" :
		"received %s is LATER than the timestamp %s: the receipt's "
		"time is false",
	    r->received, when);
	return CL_OK;
}

/*
 * Fill the checkpoint and inclusion items from what cl_tlog_proof_check()
 * said (rc, c, why) and the receipt's log line.  Returns whether the
 * checkpoint passed.
 */
static int
judge_tree(const cl_receipt *r, const cl_proof_keys *keys, cl_err rc,
    const cl_tlog_checkpoint *c, const char *why, cl_proof_result *res)
{
	const cl_tlog_verifier *k = keys->log;
	/* Its origin is the key's only once the signature has verified. */
	int signed_ok = c->origin[0] != '\0' && strcmp(c->origin, k->name) == 0;

	if (!signed_ok) {
		if (c->origin[0] != '\0')
			set(res, CL_PROOF_CHECKPOINT, 1, 0,
			    "the checkpoint is of the log \"%s\", not %s",
			    c->origin, k->name);
		else
			set(res, CL_PROOF_CHECKPOINT, 1, 0,
			    "%s %s+%08" PRIx32 " (changed, forged or another "
			    "log's)",
			    why, k->name, k->id);
		set(res, CL_PROOF_INCLUSION, 0, 0,
		    "not checked: the checkpoint is not the log's");
		return 0;
	}
	if (r->log[0] != '\0' && strcmp(r->log, c->origin) != 0) {
		set(res, CL_PROOF_CHECKPOINT, 1, 0,
		    "the receipt promises the log \"%s\", the proof is of %s",
		    r->log, c->origin);
		set(res, CL_PROOF_INCLUSION, 0, 0,
		    "not checked: the checkpoint is not the log's");
		return 0;
	}
	set(res, CL_PROOF_CHECKPOINT, 1, 1,
	    "signed by the log key of %s, tree size %" PRId64, c->origin,
	    c->size);
	if (rc == CL_OK)
		set(res, CL_PROOF_INCLUSION, 1, 1,
		    "the receipt is record %" PRId64 " of the log's %" PRId64,
		    res->index, c->size);
	else
		set(res, CL_PROOF_INCLUSION, 1, 0,
		    "this receipt is not record %" PRId64 " of the log of "
		    "size %" PRId64 ": the proof is for another receipt or was "
		    "changed",
		    res->index, c->size);
	return 1;
}

cl_err
cl_proof_check(const cl_receipt *r, const char *proof, size_t plen,
    const void *tsr, size_t tlen, const cl_proof_keys *keys,
    cl_proof_result *res)
{
	cl_tlog_checkpoint c;
	const char *cp = NULL, *why = "";
	size_t cp_len = 0, text_len = 0;
	cl_err rc;

	CL_ASSERT(keys != NULL && keys->log != NULL);
	memset(res, 0, sizeof *res);
	res->index = -1;
	for (int i = 0; i < CL_PROOF__MAX; i++)
		set(res, (enum cl_proof_id)i, 0, 0, "not checked");
	/* The entry is of receipt.txt as served: its LF form. */
	rc = cl_tlog_proof_check(keys->log, proof, plen, r->text,
	    strlen(r->text), &res->index, &c, &cp, &cp_len, &text_len, &why);
	if (rc == CL_EPARSE) {
		set(res, CL_PROOF_CHECKPOINT, 1, 0, "%s", why);
		return CL_EPARSE;
	}
	if (!judge_tree(r, keys, rc, &c, why, res))
		return CL_OK;
	check_witnesses(cp, cp_len, keys, res);
	return check_token(r, tsr, tlen, cp, text_len, keys, res);
}

enum cl_proof_id
cl_proof_refused(const cl_proof_result *res)
{
	return res->items[CL_PROOF_TIMESTAMP].made ? CL_PROOF_TIMESTAMP :
						     CL_PROOF_CHECKPOINT;
}

int
cl_proof_passed(const cl_proof_result *res)
{
	if (!res->items[CL_PROOF_CHECKPOINT].ok ||
	    !res->items[CL_PROOF_INCLUSION].ok)
		return 0;
	for (int i = 0; i < CL_PROOF__MAX; i++)
		if (res->items[i].made && !res->items[i].ok)
			return 0;
	return 1;
}

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
 * note is malformed.  *text_len gets the note text's length.
 */
static int
signed_by(const char *cp, size_t n, const cl_tlog_verifier *k, size_t *text_len,
    uint64_t *when)
{
	int ok = 0;
	cl_err rc = cl_tlog_note_open(cp, n, k, 1, text_len, &ok, when);

	if (rc != CL_OK)
		return -1;
	return ok ? 1 : 0;
}

/*
 * Check the checkpoint note cp (n bytes) with the log key: signature,
 * text, origin.  Fills the checkpoint item and *c, *text_len.  CL_EPARSE
 * when it is not a signed note; else CL_OK (the item may have failed:
 * *good says whether it passed).
 */
static cl_err
check_checkpoint(const cl_receipt *r, const char *cp, size_t n,
    const cl_proof_keys *keys, cl_tlog_checkpoint *c, size_t *text_len,
    int *good, cl_proof_result *res)
{
	uint64_t when = 0;
	int by, none = 0;

	*good = 0;
	by = signed_by(cp, n, keys->log, text_len, &when);
	if (by < 0 &&
	    cl_tlog_note_open(cp, n, keys->log, 0, text_len, &none, NULL) !=
		CL_OK) {
		set(res, CL_PROOF_CHECKPOINT, 1, 0,
		    "the proof holds no signed checkpoint note");
		return CL_EPARSE;
	}
	if (cl_tlog_checkpoint_parse(cp, *text_len, c) != CL_OK) {
		set(res, CL_PROOF_CHECKPOINT, 1, 0,
		    "the proof's checkpoint is not a checkpoint (origin, "
		    "size, root hash)");
		return CL_EPARSE;
	}
	if (by < 0)
		set(res, CL_PROOF_CHECKPOINT, 1, 0,
		    "the checkpoint's signature by %s does not verify: it was "
		    "changed or forged",
		    keys->log->name);
	else if (by == 0)
		set(res, CL_PROOF_CHECKPOINT, 1, 0,
		    "the checkpoint is not signed by the log key %s+%08" PRIx32,
		    keys->log->name, keys->log->id);
	else if (strcmp(c->origin, keys->log->name) != 0)
		set(res, CL_PROOF_CHECKPOINT, 1, 0,
		    "the checkpoint is of the log \"%s\", not %s", c->origin,
		    keys->log->name);
	else if (r->log[0] != '\0' && strcmp(r->log, c->origin) != 0)
		set(res, CL_PROOF_CHECKPOINT, 1, 0,
		    "the receipt promises the log \"%s\", the proof is of %s",
		    r->log, c->origin);
	else {
		set(res, CL_PROOF_CHECKPOINT, 1, 1,
		    "signed by the log key of %s, tree size %" PRId64,
		    c->origin, c->size);
		*good = 1;
	}
	return CL_OK;
}

/* Check the known witnesses' cosignatures on cp into res.  Cannot fail. */
static void
check_witnesses(const char *cp, size_t n, const cl_proof_keys *keys,
    cl_proof_result *res)
{
	size_t good = 0, bad = 0, tl;
	char badname[CL_TLOG_ORIGIN_MAX] = "";
	uint64_t when;

	if (keys->nwitnesses == 0) {
		set(res, CL_PROOF_WITNESSES, 0, 0,
		    "not checked: no witness keys given");
		return;
	}
	for (size_t i = 0; i < keys->nwitnesses; i++) {
		when = 0;
		switch (signed_by(cp, n, &keys->witnesses[i], &tl, &when)) {
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
	res->gen_time = chk.gen_time;
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

cl_err
cl_proof_check(const cl_receipt *r, const char *proof, size_t plen,
    const void *tsr, size_t tlen, const cl_proof_keys *keys,
    cl_proof_result *res)
{
	unsigned char hashes[CL_TLOG_PROOF_MAX][CL_TLOG_HASH];
	unsigned char leaf[CL_TLOG_HASH];
	char entry[CL_TLOG_ENTRY_LEN + 1];
	cl_tlog_checkpoint c;
	const char *cp = NULL;
	size_t np = 0, cp_len = 0, text_len = 0;
	int good;
	cl_err rc;

	CL_ASSERT(keys != NULL && keys->log != NULL);
	memset(res, 0, sizeof *res);
	res->index = res->size = -1;
	for (int i = 0; i < CL_PROOF__MAX; i++)
		set(res, (enum cl_proof_id)i, 0, 0, "not checked");
	if (cl_tlog_proof_parse(proof, plen, &res->index, hashes, &np, &cp,
		&cp_len) != CL_OK) {
		set(res, CL_PROOF_CHECKPOINT, 1, 0,
		    "not a c2sp.org/tlog-proof@v1 file");
		return CL_EPARSE;
	}
	if ((rc = check_checkpoint(r, cp, cp_len, keys, &c, &text_len, &good,
		 res)) != CL_OK)
		return rc;
	res->size = c.size;
	if (!good) {
		set(res, CL_PROOF_INCLUSION, 0, 0,
		    "not checked: the checkpoint is not the log's");
		return CL_OK;
	}
	/* The entry of the receipt as served: its LF form. */
	cl_tlog_entry(r->text, strlen(r->text), entry);
	cl_tlog_leaf_hash(entry, CL_TLOG_ENTRY_LEN, leaf);
	if (res->index < 0 || res->index >= c.size)
		set(res, CL_PROOF_INCLUSION, 1, 0,
		    "index %" PRId64 " is outside the tree of size %" PRId64,
		    res->index, c.size);
	else if (cl_tlog_check_record((const unsigned char(*)[CL_TLOG_HASH])
					  hashes,
		     np, c.size, c.root, res->index, leaf) != CL_OK)
		set(res, CL_PROOF_INCLUSION, 1, 0,
		    "this receipt is not record %" PRId64 " of the log: the "
		    "proof is for another receipt or was changed",
		    res->index);
	else
		set(res, CL_PROOF_INCLUSION, 1, 1,
		    "the receipt is record %" PRId64 " of the log's %" PRId64,
		    res->index, c.size);
	check_witnesses(cp, cp_len, keys, res);
	return check_token(r, tsr, tlen, cp, text_len, keys, res);
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

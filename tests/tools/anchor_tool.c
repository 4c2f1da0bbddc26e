/*
 * anchor_tool: drive the anchor module from the tests (not installed).
 *
 *	anchor_tool tsa-request URL CA_FILE DATA_FILE TIMEOUT_MS OUT.tsr
 *	    cl_tsa_request() over the bytes of DATA_FILE; on success the DER
 *	    reply goes to OUT.tsr.
 *	anchor_tool tsa-verify [--token] TSR_FILE DATA_FILE CA_FILE
 *	    cl_tsa_verify() (--token: TSR_FILE is a bare TimeStampToken).
 *	anchor_tool log-vkey LOG_KEY.pem ORIGIN
 *	    prints the log key's verifier key.
 *	anchor_tool witness-add LOG_KEY.pem ORIGIN SEED SIZE WITNESS OLD
 *	    TIMEOUT_MS OUT
 *	    builds in memory the log of SIZE entries made from SEED (entry i
 *	    is the log entry of the text "<SEED> <i>"), signs its checkpoint
 *	    and asks the witness WITNESS ("<vkey> <url>", as log_witnesses),
 *	    believed to be at size OLD (-1: unknown), to cosign it with
 *	    cl_witness_add(); on success OUT gets the checkpoint with the
 *	    cosignature lines appended.
 *	anchor_tool witness-list LIST
 *	    cl_witness_list_parse(): one line "<name> <id> <url>" a witness.
 *
 * Prints one line: "ok genTime=<POSIX seconds>" (TSA) or "ok" and exits
 * 0, or "<error name>: <why>" (EVERIFY, EUNAVAIL, EPARSE, ECONFIG, ...)
 * and exits 1; witness-add then prints "witness_size=<w->size>"; exits 2
 * for bad usage or a file it cannot read or write.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callin/anchor.h"

#include "tool_slurp.h"

static const char *const names[CL_ERR__MAX] = { "OK", "ENOMEM", "EINVAL",
	"EPARSE", "ETOOBIG", "ETYPE", "EIO", "EUNAVAIL", "EDUP", "ENOTFOUND",
	"ECRYPTO", "ECONFIG", "EVERIFY", "ECLOSED", "ELIMIT" };

/* Print the result line and return the exit status. */
static int
report(cl_err rc, const char *why, time_t gen)
{
	if (rc == CL_OK) {
		printf("ok genTime=%lld\n", (long long)gen);
		return 0;
	}
	printf("%s: %s\n", rc < CL_ERR__MAX ? names[rc] : "?", why);
	return 1;
}

static int
tsa_request(char **argv)
{
	cl_buf data = CL_BUF_INIT, out = CL_BUF_INIT;
	cl_tsa_check chk;
	FILE *f;
	cl_err rc;
	int st;

	slurp(argv[4], &data);
	rc = cl_tsa_request(argv[2], argv[3], data.data, data.len,
	    strtol(argv[5], NULL, 10), &out, &chk);
	if (rc == CL_OK) {
		if ((f = fopen(argv[6], "wb")) == NULL ||
		    fwrite(out.data, 1, out.len, f) != out.len ||
		    fclose(f) != 0) {
			perror(argv[6]);
			exit(2);
		}
	}
	st = report(rc, chk.why, chk.gen_time);
	cl_buf_free(&data);
	cl_buf_free(&out);
	return st;
}

static int
tsa_verify(int argc, char **argv)
{
	cl_buf der = CL_BUF_INIT, data = CL_BUF_INIT;
	int token = argc == 6 && strcmp(argv[2], "--token") == 0;
	cl_tsa_check chk;
	cl_err rc;
	int st;

	if (argc != 5 + token) {
		fprintf(stderr,
		    "usage: anchor_tool tsa-verify [--token] TSR DATA CA\n");
		return 2;
	}
	argv += token;
	slurp(argv[2], &der);
	slurp(argv[3], &data);
	rc = cl_tsa_verify(der.data, der.len, token, data.data, data.len,
	    argv[4], &chk);
	st = report(rc, chk.why, chk.gen_time);
	cl_buf_free(&der);
	cl_buf_free(&data);
	return st;
}

/* The log's stored hashes, in memory. */
struct hashes {
	unsigned char (*h)[CL_TLOG_HASH];
	int64_t n;
};

static cl_err
read_hash(void *arg, int64_t index, unsigned char out[CL_TLOG_HASH])
{
	struct hashes *hs = arg;

	if (index < 0 || index >= hs->n)
		return CL_ENOTFOUND;
	memcpy(out, hs->h[index], CL_TLOG_HASH);
	return CL_OK;
}

/* Load the log key or exit 2. */
static cl_tlog_signer *
load_signer(const char *path, const char *origin)
{
	cl_tlog_signer *s;
	char err[300];

	if (cl_tlog_signer_load(path, origin, &s, err, sizeof err) != CL_OK) {
		fprintf(stderr, "%s\n", err);
		exit(2);
	}
	return s;
}

static int
log_vkey(char **argv)
{
	cl_tlog_signer *s = load_signer(argv[2], argv[3]);
	char vkey[CL_TLOG_VKEY_MAX];

	cl_tlog_signer_vkey(s, vkey);
	printf("%s\n", vkey);
	cl_tlog_signer_free(s);
	return 0;
}

/*
 * Build the log of size entries from seed into hs and its signed
 * checkpoint into cp.  Exits 2 when the library fails.
 */
static void
build_log(const cl_tlog_signer *s, const char *origin, const char *seed,
    int64_t size, struct hashes *hs, cl_buf *cp)
{
	unsigned char leaf[CL_TLOG_HASH], out[64][CL_TLOG_HASH];
	char entry[CL_TLOG_ENTRY_LEN + 1], rec[128];
	cl_tlog_checkpoint c;
	cl_buf text = CL_BUF_INIT;
	size_t nout, k;
	int64_t i;

	hs->h = malloc((size_t)cl_tlog_stored_count(size) * CL_TLOG_HASH + 1);
	hs->n = 0;
	for (i = 0; i < size; i++) {
		snprintf(rec, sizeof rec, "%s %lld", seed, (long long)i);
		cl_tlog_entry(rec, strlen(rec), entry);
		cl_tlog_leaf_hash(entry, CL_TLOG_ENTRY_LEN, leaf);
		if (cl_tlog_stored_hashes(i, leaf, read_hash, hs, out, &nout) !=
		    CL_OK)
			exit(2);
		for (k = 0; k < nout; k++)
			memcpy(hs->h[hs->n++], out[k], CL_TLOG_HASH);
	}
	memset(&c, 0, sizeof c);
	snprintf(c.origin, sizeof c.origin, "%s", origin);
	c.size = size;
	if (cl_tlog_tree_hash(size, read_hash, hs, c.root) != CL_OK)
		exit(2);
	cl_tlog_checkpoint_text(&c, &text);
	if (cl_tlog_note_sign(s, text.data, text.len, cp) != CL_OK)
		exit(2);
	cl_buf_free(&text);
}

static int
witness_add(char **argv)
{
	cl_tlog_signer *s = load_signer(argv[2], argv[3]);
	cl_buf cp = CL_BUF_INIT, sigs = CL_BUF_INIT;
	int64_t size = strtoll(argv[5], NULL, 10);
	struct hashes hs;
	cl_witness *w;
	char why[300];
	size_t n;
	FILE *f;
	cl_err rc;
	int st;

	if (cl_witness_list_parse(argv[6], &w, &n, why, sizeof why) != CL_OK ||
	    n != 1) {
		fprintf(stderr, "WITNESS: %s\n", n != 1 ? "not one" : why);
		return 2;
	}
	build_log(s, argv[3], argv[4], size, &hs, &cp);
	w->size = strtoll(argv[7], NULL, 10);
	rc = cl_witness_add(w, cp.data, cp.len, size, read_hash, &hs,
	    strtol(argv[8], NULL, 10), &sigs, why, sizeof why);
	if (rc == CL_OK) {
		if ((f = fopen(argv[9], "wb")) == NULL ||
		    fwrite(cp.data, 1, cp.len, f) != cp.len ||
		    fwrite(sigs.data, 1, sigs.len, f) != sigs.len ||
		    fclose(f) != 0) {
			perror(argv[9]);
			exit(2);
		}
		printf("ok\n");
		st = 0;
	} else
		st = report(rc, why, 0);
	printf("witness_size=%lld\n", (long long)w->size);
	free(w);
	free(hs.h);
	cl_buf_free(&cp);
	cl_buf_free(&sigs);
	cl_tlog_signer_free(s);
	return st;
}

static int
witness_list(char **argv)
{
	cl_witness *w;
	char err[300];
	size_t n, i;

	if (cl_witness_list_parse(argv[2], &w, &n, err, sizeof err) != CL_OK)
		return report(CL_ECONFIG, err, 0);
	for (i = 0; i < n; i++)
		printf("%s %08x %s %lld\n", w[i].key.name,
		    (unsigned)w[i].key.id, w[i].url, (long long)w[i].size);
	free(w);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 7 && strcmp(argv[1], "tsa-request") == 0)
		return tsa_request(argv);
	if (argc >= 5 && strcmp(argv[1], "tsa-verify") == 0)
		return tsa_verify(argc, argv);
	if (argc == 4 && strcmp(argv[1], "log-vkey") == 0)
		return log_vkey(argv);
	if (argc == 10 && strcmp(argv[1], "witness-add") == 0)
		return witness_add(argv);
	if (argc == 3 && strcmp(argv[1], "witness-list") == 0)
		return witness_list(argv);
	fprintf(stderr,
	    "usage: anchor_tool tsa-request URL CA DATA TIMEOUT_MS OUT\n"
	    "       anchor_tool tsa-verify [--token] TSR DATA CA\n"
	    "       anchor_tool log-vkey LOG_KEY ORIGIN\n"
	    "       anchor_tool witness-add LOG_KEY ORIGIN SEED SIZE WITNESS "
	    "OLD TIMEOUT_MS OUT\n"
	    "       anchor_tool witness-list LIST\n");
	return 2;
}

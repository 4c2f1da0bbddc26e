/*
 * proof_tool: publish the log proofs of given receipts as callin-logd does
 * (log.vkey, checkpoint, proofs/<hex>.tlog-proof), from a log of their
 * entries among padding entries, with the tlog library; for the tests of
 * the requester's side before (and beside) the sequencer.  Not installed.
 *
 *	proof_tool LOGKEY.pem ORIGIN OUTDIR PAD receipt.txt ...
 *	    the log holds PAD padding entries, then each receipt's entry,
 *	    then PAD more; prints the checkpoint's size and, per receipt,
 *	    its index and proof path.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "callin/hash.h"
#include "callin/proofs.h"
#include "callin/tlog.h"
#include "tool_slurp.h"

#define MAX_HASHES (1 << 16)

static unsigned char stored[MAX_HASHES][CL_TLOG_HASH];
static int64_t nstored;

/* cl_tlog_reader over the stored hashes.  CL_EINVAL past the end. */
static cl_err
reader(void *arg, int64_t index, unsigned char out[CL_TLOG_HASH])
{
	(void)arg;
	if (index < 0 || index >= nstored)
		return CL_EINVAL;
	memcpy(out, stored[index], CL_TLOG_HASH);
	return CL_OK;
}

/* Add the entry of the n bytes of receipt text as record *size.  Exits. */
static void
add(const void *text, size_t n, int64_t *size)
{
	unsigned char leaf[CL_TLOG_HASH], out[64][CL_TLOG_HASH];
	char entry[CL_TLOG_ENTRY_LEN + 1];
	size_t k = 0;

	cl_tlog_entry(text, n, entry);
	cl_tlog_leaf_hash(entry, CL_TLOG_ENTRY_LEN, leaf);
	if (cl_tlog_stored_hashes(*size, leaf, reader, NULL, out, &k) !=
		CL_OK ||
	    nstored + (int64_t)k > MAX_HASHES) {
		fprintf(stderr, "proof_tool: cannot add record %lld\n",
		    (long long)*size);
		exit(1);
	}
	memcpy(stored[nstored], out, k * CL_TLOG_HASH);
	nstored += (int64_t)k;
	(*size)++;
}

/* Write the n bytes of p to path.  Exits when it cannot. */
static void
put(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

int
main(int argc, char *argv[])
{
	cl_buf text = CL_BUF_INIT, cp = CL_BUF_INIT, pf = CL_BUF_INIT;
	unsigned char proof[CL_TLOG_PROOF_MAX][CL_TLOG_HASH];
	char vkey[CL_TLOG_VKEY_MAX], path[4096], err[256], pad[64];
	cl_tlog_checkpoint c;
	cl_tlog_signer *s = NULL;
	int64_t size = 0, *index;
	cl_buf *receipts;
	size_t np;
	int nr, npad;

	if (argc < 6) {
		fprintf(stderr,
		    "usage: proof_tool LOGKEY.pem ORIGIN OUTDIR PAD "
		    "receipt.txt ...\n");
		return 2;
	}
	if (cl_tlog_signer_load(argv[1], argv[2], &s, err, sizeof err) !=
	    CL_OK) {
		fprintf(stderr, "proof_tool: %s\n", err);
		return 2;
	}
	npad = atoi(argv[4]);
	nr = argc - 5;
	receipts = calloc((size_t)nr, sizeof *receipts);
	index = calloc((size_t)nr, sizeof *index);
	for (int i = 0; i < npad; i++) {
		snprintf(pad, sizeof pad, "padding receipt %d\n", i);
		add(pad, strlen(pad), &size);
	}
	for (int i = 0; i < nr; i++) {
		slurp(argv[5 + i], &receipts[i]);
		index[i] = size;
		add(receipts[i].data, receipts[i].len, &size);
	}
	for (int i = 0; i < npad; i++) {
		snprintf(pad, sizeof pad, "padding receipt after %d\n", i);
		add(pad, strlen(pad), &size);
	}
	snprintf(c.origin, sizeof c.origin, "%s", argv[2]);
	c.size = size;
	if (cl_tlog_tree_hash(size, reader, NULL, c.root) != CL_OK)
		return 1;
	cl_tlog_checkpoint_text(&c, &text);
	if (cl_tlog_note_sign(s, text.data, text.len, &cp) != CL_OK)
		return 1;
	snprintf(path, sizeof path, "%s/proofs", argv[3]);
	mkdir(argv[3], 0755);
	mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/checkpoint", argv[3]);
	put(path, cp.data, cp.len);
	cl_tlog_signer_vkey(s, vkey);
	snprintf(path, sizeof path, "%s/log.vkey", argv[3]);
	cl_buf_reset(&text);
	cl_buf_printf(&text, "%s\n", vkey);
	put(path, text.data, text.len);
	printf("size %lld\n", (long long)size);
	for (int i = 0; i < nr; i++) {
		if (cl_tlog_prove_record(size, index[i], reader, NULL, proof,
			&np) != CL_OK)
			return 1;
		cl_buf_reset(&pf);
		cl_tlog_proof_format(index[i],
		    (const unsigned char(*)[CL_TLOG_HASH])proof, np, cp.data,
		    cp.len, &pf);
		if (cl_proof_path(argv[3], receipts[i].data, receipts[i].len,
			CL_PROOF_TLOG, path, sizeof path) != CL_OK)
			return 1;
		put(path, pf.data, pf.len);
		printf("%lld %s\n", (long long)index[i], path);
		cl_buf_free(&receipts[i]);
	}
	free(receipts);
	free(index);
	cl_buf_free(&text);
	cl_buf_free(&cp);
	cl_buf_free(&pf);
	cl_tlog_signer_free(s);
	return 0;
}

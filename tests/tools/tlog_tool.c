/*
 * tlog_tool: build a transparency log with the tlog module, and check
 * logs and proofs with it, for the tests (not installed); what it builds
 * is checked by tlogcheck (golang.org/x/mod), and what tlogcheck makes is
 * checked here.
 *
 *	tlog_tool build DIR ORIGIN KEY.pem SIZE...
 *	    grows a log in DIR to each SIZE in turn (increasing): tiles and
 *	    bundles (only those that changed), checkpoint (also kept as
 *	    checkpoint.<SIZE>), log.vkey; then for every record up to 1000
 *	    records (else a sample: the first, the last and every 997th) its
 *	    receipts/<i>.txt and proofs/<hex SHA-256 of it>.tlog-proof against
 *	    the last checkpoint.  TLOG_TOOL_VARIANT=<text> in the environment
 *	    changes every receipt: another log (a fork, with the same key).
 *	tlog_tool verify VKEY PROOF RECEIPT        prints "<index> <size>"
 *	tlog_tool checkpoint VKEY CP               prints "<size> <base64 root>"
 *	tlog_tool consistency VKEY OLD_CP NEW_CP PROOF
 *	    PROOF: the consistency proof, one base64 hash a line
 *	tlog_tool cosig VKEY CP                    prints the cosignature's time
 *
 * VKEY is a verifier key or a file holding one.  Exit 0 when it holds, 1
 * with a line on stderr when it does not, 2 on a usage or I/O error.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "callin/alloc.h"
#include "callin/hash.h"
#include "callin/tlog.h"
#include "tool_slurp.h"

typedef struct hashes {
	unsigned char (*h)[CL_TLOG_HASH];
	int64_t n, cap;
} hashes;

/* Write n bytes of p to dir/name, making the folders.  Exits 2 if not. */
static void
put(const char *dir, const char *name, const void *p, size_t n)
{
	cl_buf path = CL_BUF_INIT;
	char *s;
	FILE *f;

	cl_buf_printf(&path, "%s/%s", dir, name);
	for (s = path.data + strlen(dir) + 1; (s = strchr(s, '/')) != NULL;
	     s++) {
		*s = '\0';
		if (mkdir(path.data, 0755) != 0 && errno != EEXIST) {
			perror(path.data);
			exit(2);
		}
		*s = '/';
	}
	if ((f = fopen(path.data, "wb")) == NULL || fwrite(p, 1, n, f) != n ||
	    fclose(f) != 0) {
		perror(path.data);
		exit(2);
	}
	cl_buf_free(&path);
}

static cl_err
mem_read(void *arg, int64_t index, unsigned char out[CL_TLOG_HASH])
{
	hashes *t = arg;

	if (index < 0 || index >= t->n)
		return CL_ENOTFOUND;
	memcpy(out, t->h[index], CL_TLOG_HASH);
	return CL_OK;
}

/*
 * The receipt.txt of record i (TLOG_TOOL_VARIANT in the environment makes
 * another log: a fork of the same key).
 */
static void
receipt_of(int64_t i, cl_buf *out)
{
	const char *v = getenv("TLOG_TOOL_VARIANT");

	cl_buf_reset(out);
	cl_buf_printf(out, "callin-receipt-v1\nreference: TEST-%" PRId64 "%s\n",
	    i, v != NULL ? v : "");
}

/* Whether record i of a log of size records gets its files (a sample). */
static int
sampled(int64_t i, int64_t size)
{
	return size <= 1000 || i == 0 || i == size - 1 || i % 997 == 0;
}

/* The verifier key in s, or in the file s names. */
static void
vkey_of(const char *s, cl_tlog_verifier *v)
{
	cl_buf b = CL_BUF_INIT;

	if (cl_tlog_vkey_parse(s, v) == CL_OK)
		return;
	slurp(s, &b);
	if (b.len > 0 && b.data[b.len - 1] == '\n')
		b.data[--b.len] = '\0';
	if (cl_tlog_vkey_parse(b.data, v) != CL_OK) {
		fprintf(stderr, "tlog_tool: %s: not a verifier key\n", s);
		exit(2);
	}
	cl_buf_free(&b);
}

/* Write the tiles of level (-1: bundles) that differ from size old to size. */
static void
write_tiles(const char *dir, hashes *t, int level, int64_t old, int64_t size)
{
	char path[CL_TLOG_PATH_MAX], e[CL_TLOG_ENTRY_LEN + 1];
	cl_buf b = CL_BUF_INIT, r = CL_BUF_INIT;
	int64_t shift = level < 0 ? 0 : 8 * level, oc = old >> shift,
		nc = size >> shift, n, i, ow, nw;
	int w;

	for (n = oc / 256; n * 256 < nc; n++) {
		nw = nc - n * 256 < 256 ? nc - n * 256 : 256;
		ow = oc - n * 256 < 0 ?
		    0 :
		    (oc - n * 256 < 256 ? oc - n * 256 : 256);
		if (nw == ow)
			continue;
		cl_buf_reset(&b);
		if (level < 0) {
			for (i = n * 256; i < n * 256 + nw; i++) {
				receipt_of(i, &r);
				cl_tlog_entry(r.data, r.len, e);
				cl_tlog_bundle_add(&b, e, CL_TLOG_ENTRY_LEN);
			}
			w = (int)nw;
		} else if (cl_tlog_tile(level, n, size, mem_read, t, &b, &w) !=
		    CL_OK) {
			fprintf(stderr,
			    "tlog_tool: tile %d/%" PRId64 " failed\n", level,
			    n);
			exit(2);
		}
		cl_tlog_tile_path(level, n, w, path);
		put(dir, path, b.data, b.len);
	}
	cl_buf_free(&b);
	cl_buf_free(&r);
}

static int
build(int argc, char **argv)
{
	const char *dir = argv[2], *origin = argv[3];
	unsigned char out[64][CL_TLOG_HASH], leaf[CL_TLOG_HASH], md[32],
	    proof[CL_TLOG_PROOF_MAX][CL_TLOG_HASH];
	char err[512], e[CL_TLOG_ENTRY_LEN + 1], vkey[CL_TLOG_VKEY_MAX],
	    name[128], hex[CL_SHA256_HEX];
	cl_buf r = CL_BUF_INIT, text = CL_BUF_INIT, cp = CL_BUF_INIT,
	       f = CL_BUF_INIT;
	cl_tlog_signer *s = NULL;
	cl_tlog_checkpoint c;
	hashes t = { NULL, 0, 0 };
	int64_t size = 0, want, i;
	size_t n, k, np;
	int a, level;

	if (cl_tlog_signer_load(argv[4], origin, &s, err, sizeof err) !=
	    CL_OK) {
		fprintf(stderr, "tlog_tool: %s\n", err);
		return 2;
	}
	mkdir(dir, 0755);
	cl_tlog_signer_vkey(s, vkey);
	cl_buf_printf(&f, "%s\n", vkey);
	put(dir, "log.vkey", f.data, f.len);
	for (a = 5; a < argc; a++) {
		want = strtoll(argv[a], NULL, 10);
		if (want < size) {
			fprintf(stderr, "tlog_tool: sizes must grow\n");
			return 2;
		}
		for (i = size; i < want; i++) {
			receipt_of(i, &r);
			cl_tlog_entry(r.data, r.len, e);
			cl_tlog_leaf_hash(e, CL_TLOG_ENTRY_LEN, leaf);
			if (cl_tlog_stored_hashes(i, leaf, mem_read, &t, out,
				&n) != CL_OK)
				return 2;
			if (t.n + (int64_t)n > t.cap) {
				t.cap = 2 * t.cap + 64;
				t.h = cl_realloc(t.h,
				    (size_t)t.cap * CL_TLOG_HASH);
			}
			for (k = 0; k < n; k++)
				memcpy(t.h[t.n++], out[k], CL_TLOG_HASH);
		}
		/* Bundles and tiles first, the checkpoint last. */
		write_tiles(dir, &t, -1, size, want);
		for (level = 0; (want >> (8 * level)) > 0; level++)
			write_tiles(dir, &t, level, size, want);
		memset(&c, 0, sizeof c);
		snprintf(c.origin, sizeof c.origin, "%s", origin);
		c.size = want;
		if (cl_tlog_tree_hash(want, mem_read, &t, c.root) != CL_OK)
			return 2;
		cl_buf_reset(&text);
		cl_buf_reset(&cp);
		cl_tlog_checkpoint_text(&c, &text);
		if (cl_tlog_note_sign(s, text.data, text.len, &cp) != CL_OK)
			return 2;
		snprintf(name, sizeof name, "checkpoint.%" PRId64, want);
		put(dir, name, cp.data, cp.len);
		put(dir, "checkpoint", cp.data, cp.len);
		size = want;
	}
	for (i = 0; i < size; i++) {
		if (!sampled(i, size))
			continue;
		receipt_of(i, &r);
		snprintf(name, sizeof name, "receipts/%" PRId64 ".txt", i);
		put(dir, name, r.data, r.len);
		if (cl_tlog_prove_record(size, i, mem_read, &t, proof, &np) !=
		    CL_OK)
			return 2;
		cl_buf_reset(&f);
		cl_tlog_proof_format(i, (const unsigned char(*)[32])proof, np,
		    cp.data, cp.len, &f);
		cl_sha256(r.data, r.len, md);
		cl_hex(md, sizeof md, hex);
		snprintf(name, sizeof name, "proofs/%s.tlog-proof", hex);
		put(dir, name, f.data, f.len);
	}
	printf("%" PRId64 "\n", size);
	cl_tlog_signer_free(s);
	free(t.h);
	cl_buf_free(&r);
	cl_buf_free(&text);
	cl_buf_free(&cp);
	cl_buf_free(&f);
	return 0;
}

/* Open the checkpoint file path with v into c.  Exits 1 when it fails. */
static void
open_cp(const cl_tlog_verifier *v, const char *path, cl_tlog_checkpoint *c)
{
	cl_buf b = CL_BUF_INIT;
	size_t tlen;
	int ok;
	cl_err rc;

	const char *why = NULL;

	slurp(path, &b);
	rc = cl_tlog_note_open(b.data, b.len, v, 1, &tlen, &ok, NULL);
	if (rc != CL_OK || !ok)
		why = rc == CL_EPARSE ? "not a signed note" :
					"not signed by the log key";
	else if (cl_tlog_checkpoint_parse(b.data, tlen, c) != CL_OK)
		why = "not a checkpoint";
	else if (strcmp(c->origin, v->name) != 0)
		why = "origin is not the key's name";
	cl_buf_free(&b);
	if (why != NULL) {
		fprintf(stderr, "tlog_tool: %s: %s\n", path, why);
		exit(1);
	}
}

static int
verify(char **argv)
{
	cl_buf proof = CL_BUF_INIT, receipt = CL_BUF_INIT;
	cl_tlog_checkpoint c;
	cl_tlog_verifier v;
	const char *cp, *why;
	size_t cplen, tl;
	int64_t index;
	int rc = 0;

	vkey_of(argv[2], &v);
	slurp(argv[3], &proof);
	slurp(argv[4], &receipt);
	if (cl_tlog_proof_check(&v, proof.data, proof.len, receipt.data,
		receipt.len, &index, &c, &cp, &cplen, &tl, &why) != CL_OK) {
		fprintf(stderr, "tlog_tool: refused: %s\n", why);
		rc = 1;
	} else
		printf("%" PRId64 " %" PRId64 "\n", index, c.size);
	cl_buf_free(&proof);
	cl_buf_free(&receipt);
	return rc;
}

static int
checkpoint(char **argv)
{
	cl_tlog_checkpoint c;
	cl_tlog_verifier v;
	cl_buf b = CL_BUF_INIT;

	vkey_of(argv[2], &v);
	open_cp(&v, argv[3], &c);
	/* "<origin>\n<size>\n<root>\n": print the last two lines' words. */
	cl_tlog_checkpoint_text(&c, &b);
	printf("%" PRId64 " %s", c.size,
	    strchr(strchr(b.data, '\n') + 1, '\n') + 1);
	cl_buf_free(&b);
	return 0;
}

static int
consistency(char **argv)
{
	unsigned char proof[CL_TLOG_PROOF_MAX][CL_TLOG_HASH];
	cl_tlog_checkpoint o, c;
	cl_tlog_verifier v;
	cl_buf b = CL_BUF_INIT, line = CL_BUF_INIT, cpb = CL_BUF_INIT;
	const char *p, *eol, *cp;
	size_t np = 0, cplen, k;
	int64_t index;
	int rc = 0;

	vkey_of(argv[2], &v);
	open_cp(&v, argv[3], &o);
	open_cp(&v, argv[4], &c);
	slurp(argv[5], &b);
	slurp(argv[4], &cpb);
	/* Each hash line parsed as a proof file's hash line would be. */
	for (p = b.data; p < b.data + b.len; p = eol + 1) {
		if ((eol = strchr(p, '\n')) == NULL || np == CL_TLOG_PROOF_MAX)
			goto bad;
		cl_buf_reset(&line);
		cl_buf_printf(&line,
		    "c2sp.org/tlog-proof@v1\nindex 0\n%.*s\n\n", (int)(eol - p),
		    p);
		cl_buf_add(&line, cpb.data, cpb.len);
		if (cl_tlog_proof_parse(line.data, line.len, &index, &proof[np],
			&k, &cp, &cplen) != CL_OK ||
		    k != 1)
			goto bad;
		np++;
	}
	if (cl_tlog_check_tree((const unsigned char(*)[32])proof, np, c.size,
		c.root, o.size, o.root) != CL_OK) {
		fprintf(stderr,
		    "tlog_tool: refused: size %" PRId64 " is not a prefix of "
		    "size %" PRId64 "\n",
		    o.size, c.size);
		rc = 1;
	} else
		printf("%" PRId64 " %" PRId64 "\n", o.size, c.size);
	goto out;
bad:
	fprintf(stderr, "tlog_tool: %s: not a consistency proof\n", argv[5]);
	rc = 1;
out:
	cl_buf_free(&b);
	cl_buf_free(&line);
	cl_buf_free(&cpb);
	return rc;
}

static int
cosig(char **argv)
{
	cl_tlog_checkpoint c;
	cl_tlog_verifier v;
	cl_buf b = CL_BUF_INIT;
	uint64_t when = 0;
	size_t tlen;
	int ok = 0;

	vkey_of(argv[2], &v);
	slurp(argv[3], &b);
	if (v.type != 0x04 ||
	    cl_tlog_note_open(b.data, b.len, &v, 1, &tlen, &ok, &when) !=
		CL_OK ||
	    !ok || cl_tlog_checkpoint_parse(b.data, tlen, &c) != CL_OK) {
		fprintf(stderr, "tlog_tool: refused: no good cosignature\n");
		ok = 0;
	} else
		printf("%" PRIu64 "\n", when);
	cl_buf_free(&b);
	return ok ? 0 : 1;
}

int
main(int argc, char **argv)
{
	if (argc >= 6 && strcmp(argv[1], "build") == 0)
		return build(argc, argv);
	if (argc == 5 && strcmp(argv[1], "verify") == 0)
		return verify(argv);
	if (argc == 4 && strcmp(argv[1], "checkpoint") == 0)
		return checkpoint(argv);
	if (argc == 6 && strcmp(argv[1], "consistency") == 0)
		return consistency(argv);
	if (argc == 4 && strcmp(argv[1], "cosig") == 0)
		return cosig(argv);
	fprintf(stderr,
	    "usage: tlog_tool build|verify|checkpoint|consistency|"
	    "cosig ARGS (see the source)\n");
	return 2;
}

/* proof.c: c2sp.org/tlog-proof@v1 files. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "callin/alloc.h"
#include "tlog_int.h"

static const char header[] = "c2sp.org/tlog-proof@v1\n";

/* Append the tlog-proof of record index against the signed note cp. */
void
cl_tlog_proof_format(int64_t index, const unsigned char proof[][CL_TLOG_HASH],
    size_t np, const char *cp, size_t n, cl_buf *out)
{
	size_t i;

	CL_ASSERT(index >= 0 && np <= CL_TLOG_PROOF_MAX);
	cl_buf_puts(out, header);
	cl_buf_printf(out, "index %" PRId64 "\n", index);
	for (i = 0; i < np; i++) {
		cl_tlog_b64_add(out, proof[i], CL_TLOG_HASH);
		cl_buf_putc(out, '\n');
	}
	cl_buf_putc(out, '\n');
	cl_buf_add(out, cp, n);
}

/* Parse a tlog-proof file.  CL_EPARSE when it is not one. */
cl_err
cl_tlog_proof_parse(const char *text, size_t n, int64_t *index,
    unsigned char proof[][CL_TLOG_HASH], size_t *np, const char **cp,
    size_t *cp_len)
{
	const char *p = text, *end = text + n, *eol;
	unsigned char *extra;
	size_t len;
	cl_err rc;

	*index = 0;
	*np = 0;
	*cp = NULL;
	*cp_len = 0;
	if (n < sizeof header - 1 || memcmp(p, header, sizeof header - 1) != 0)
		return CL_EPARSE;
	p += sizeof header - 1;
	if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
		return CL_EPARSE;
	if ((size_t)(eol - p) > 6 && memcmp(p, "extra ", 6) == 0) {
		/* Unauthenticated data: only its form is checked. */
		extra = cl_malloc((size_t)(eol - p));
		rc = cl_tlog_b64_decode(p + 6, (size_t)(eol - p - 6), extra,
		    (size_t)(eol - p), &len);
		free(extra);
		if (rc != CL_OK)
			return CL_EPARSE;
		p = eol + 1;
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			return CL_EPARSE;
	}
	if ((size_t)(eol - p) < 7 || memcmp(p, "index ", 6) != 0 ||
	    cl_tlog_parse_u63(p + 6, (size_t)(eol - p - 6), index) != CL_OK)
		goto bad;
	for (p = eol + 1;; p = eol + 1) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			goto bad;
		if (eol == p)
			break; /* the blank line before the checkpoint */
		if (*np == CL_TLOG_PROOF_MAX ||
		    cl_tlog_b64_decode(p, (size_t)(eol - p), proof[*np],
			CL_TLOG_HASH, &len) != CL_OK ||
		    len != CL_TLOG_HASH)
			goto bad;
		(*np)++;
	}
	if (eol + 1 == end)
		goto bad;
	*cp = eol + 1;
	*cp_len = (size_t)(end - *cp);
	return CL_OK;
bad:
	*index = 0;
	*np = 0;
	return CL_EPARSE;
}

/* Check a tlog-proof for a receipt against the log's key. */
cl_err
cl_tlog_proof_check(const cl_tlog_verifier *log, const char *text, size_t n,
    const void *receipt, size_t rn, int64_t *index, cl_tlog_checkpoint *c,
    const char **cp, size_t *cp_len, size_t *text_len, const char **why)
{
	unsigned char proof[CL_TLOG_PROOF_MAX][CL_TLOG_HASH],
	    leaf[CL_TLOG_HASH];
	char entry[CL_TLOG_ENTRY_LEN + 1];
	size_t np;
	int ok = 0;
	cl_err rc;

	memset(c, 0, sizeof *c);
	*why = "";
	if (cl_tlog_proof_parse(text, n, index, proof, &np, cp, cp_len) !=
	    CL_OK) {
		*why = "not a c2sp.org/tlog-proof@v1 file";
		return CL_EPARSE;
	}
	*text_len = 0;
	rc = cl_tlog_note_open(*cp, *cp_len, log, 1, text_len, &ok, NULL);
	if (rc == CL_EPARSE) {
		*why = "its checkpoint is not a signed note";
		return CL_EPARSE;
	}
	if (rc != CL_OK || !ok) {
		*why = "its checkpoint is not signed by the log key";
		return CL_EVERIFY;
	}
	if (cl_tlog_checkpoint_parse(*cp, *text_len, c) != CL_OK) {
		*why = "its checkpoint is not a checkpoint";
		return CL_EPARSE;
	}
	if (strcmp(c->origin, log->name) != 0) {
		*why = "its checkpoint is of another log (origin)";
		return CL_EVERIFY;
	}
	cl_tlog_entry(receipt, rn, entry);
	cl_tlog_leaf_hash(entry, CL_TLOG_ENTRY_LEN, leaf);
	if (cl_tlog_check_record((const unsigned char(*)[CL_TLOG_HASH])proof,
		np, c->size, c->root, *index, leaf) != CL_OK) {
		*why = "the receipt's entry is not in the log at that index";
		return CL_EVERIFY;
	}
	return CL_OK;
}

/*
 * callin-verify: check a receipt offline, and optionally the submission copy
 * it commits to, the attached files the copy lists, and the receipt's
 * transparency-log proof and time-stamp token (DESIGN.md §9).
 *
 *	callin-verify [--key PUB.pem|--keys KEYS_DIR] [--log-key VKEY]
 *	    [--witness VKEY ...] [--tsa-ca PEM] [--proof FILE] [--tsr FILE]
 *	    receipt.txt [copy.json [file ...]]
 *
 * Prints one line per check.  Exit 0 when every check passes, 1 when one
 * fails (bad signature, unknown key, copy or file not matching, a proof or
 * token that does not check), 2 on a usage error or an input that cannot
 * be read or is malformed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <bson/bson.h>

#include "callin/alloc.h"
#include "callin/hash.h"
#include "callin/proc.h"
#include "callin/proof.h"
#include "callin/receipt.h"
#include "callin/tlog.h"

#define COPY_MAX (64 * 1024 * 1024) /* largest copy.json read */


static const char usage[] =
    "usage: callin-verify [--key PUB.pem|--keys KEYS_DIR] [--log-key VKEY]\n"
    "           [--witness VKEY ...] [--tsa-ca PEM] [--proof FILE] "
    "[--tsr FILE]\n"
    "           receipt.txt [copy.json [attachment ...]]\n"
    "  Checks the receipt's form and Ed25519 signature with the given public\n"
    "  key (or any key in KEYS_DIR), then that copy.json matches its\n"
    "  commitment and that each attachment file is listed in copy.json.\n"
    "  With --proof (receipt.tlog-proof) and --log-key (the log's verifier\n"
    "  key, or a file holding it, as /log/log.vkey): that the checkpoint is\n"
    "  the log's and the receipt is in it; with --witness keys, their\n"
    "  cosignatures; with --tsr (checkpoint.tsr) and --tsa-ca (the timestamp\n"
    "  authorities' roots): the token at its genTime, and that the receipt\n"
    "  was received no later.  receipt.txt may be - for standard input.\n"
    "  Exit 0: all valid; 1: something does not match; 2: usage error or an\n"
    "  input that cannot be read or is malformed.\n";

#define MAX_WITNESSES 16

/* The command line. */
struct args {
	const char *key, *log_key, *tsa_ca, *proof, *tsr;
	const char *witness[MAX_WITNESSES];
	int nwitness;
	int first; /* argv index of receipt.txt */
};

/*
 * Read the options of argv into a; a->first is the receipt's index.
 * Returns 0, or -1 for a usage error (an unknown option, one without its
 * value, too many witnesses, no key, no receipt, --proof without
 * --log-key, --tsr without --proof or --tsa-ca).
 */
static int
parse_args(int argc, char *argv[], struct args *a)
{
	static const char *const names[] = { "--key", "--keys", "--log-key",
		"--tsa-ca", "--proof", "--tsr", "--witness" };
	int i = 1;

	memset(a, 0, sizeof *a);
	while (i < argc && strncmp(argv[i], "--", 2) == 0) {
		const char *opt = argv[i], *val = NULL, *eq = strchr(opt, '=');
		size_t olen = eq != NULL ? (size_t)(eq - opt) : strlen(opt);
		size_t k;

		for (k = 0; k < sizeof names / sizeof names[0]; k++)
			if (strlen(names[k]) == olen &&
			    strncmp(names[k], opt, olen) == 0)
				break;
		if (k == sizeof names / sizeof names[0])
			return -1;
		if (eq != NULL)
			val = eq + 1;
		else if (i + 1 < argc)
			val = argv[++i];
		if (val == NULL || *val == '\0')
			return -1;
		i++;
		switch (k) {
		case 0:
		case 1: a->key = val; break;
		case 2: a->log_key = val; break;
		case 3: a->tsa_ca = val; break;
		case 4: a->proof = val; break;
		case 5: a->tsr = val; break;
		default:
			if (a->nwitness == MAX_WITNESSES)
				return -1;
			a->witness[a->nwitness++] = val;
			break;
		}
	}
	a->first = i;
	if (a->key == NULL || i >= argc)
		return -1;
	if ((a->proof != NULL) != (a->log_key != NULL))
		return -1;
	if (a->tsr != NULL && (a->proof == NULL || a->tsa_ca == NULL))
		return -1;
	return 0;
}

/*
 * Read all of path ("-" is stdin), at most max bytes, into a new buffer
 * *out (NUL added) of *len bytes.  CL_EIO with a message printed when it
 * cannot, CL_ETOOBIG when it is larger than max.
 */
static cl_err
slurp(const char *what, const char *path, size_t max, char **out, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	cl_buf b = CL_BUF_INIT;
	char chunk[65536];
	size_t n;

	if (f == NULL) {
		printf("%s: cannot read %s: %s\n", what, path, strerror(errno));
		goto err;
	}
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if (b.len + n > max) {
			printf("%s: %s is larger than %zu bytes\n", what, path,
			    max);
			goto err;
		}
		cl_buf_add(&b, chunk, n);
	}
	if (ferror(f)) {
		printf("%s: cannot read %s: %s\n", what, path, strerror(errno));
		goto err;
	}
	if (f != stdin)
		fclose(f);
	cl_buf_add(&b, "", 0);
	*out = b.data;
	*len = b.len;
	return CL_OK;
err:
	if (f != NULL && f != stdin)
		fclose(f);
	cl_buf_free(&b);
	return CL_EIO;
}

/* SHA-256 of the file path into md.  CL_EIO with a message when unreadable. */
static cl_err
hash_file(const char *path, unsigned char md[CL_SHA256_LEN])
{
	cl_sha256_ctx *ctx = NULL;
	char chunk[65536];
	FILE *f;
	size_t n;

	if ((f = fopen(path, "rb")) == NULL) {
		printf("attachment %s: cannot read: %s\n", path,
		    strerror(errno));
		goto err;
	}
	ctx = cl_sha256_new();
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		cl_sha256_update(ctx, chunk, n);
	if (ferror(f)) {
		printf("attachment %s: cannot read: %s\n", path,
		    strerror(errno));
		goto err;
	}
	fclose(f);
	cl_sha256_final(ctx, md);
	return CL_OK;
err:
	cl_sha256_free(ctx);
	if (f != NULL)
		fclose(f);
	return CL_EIO;
}

/* Print the n bytes of s with anything but printable ASCII as \xNN. */
static void
print_safe(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			putchar(c);
		else
			printf("\\x%02x", c);
	}
}

/*
 * Look for hex among the sha256 values of the attachments array of copy and
 * print the match.  Returns whether it is listed.
 */
static bool
find_attachment(const bson_t *copy, const char *path, const char *hex)
{
	bson_iter_t it, list, doc;
	const char *s;
	uint32_t n;

	if (!bson_iter_init_find(&it, copy, "attachments") ||
	    !BSON_ITER_HOLDS_ARRAY(&it) || !bson_iter_recurse(&it, &list))
		return false;
	while (bson_iter_next(&list)) {
		bson_iter_t v;

		if (!BSON_ITER_HOLDS_DOCUMENT(&list) ||
		    !bson_iter_recurse(&list, &doc))
			continue;
		v = doc;
		if (!bson_iter_find(&v, "sha256") ||
		    !BSON_ITER_HOLDS_UTF8(&v) ||
		    strcmp(bson_iter_utf8(&v, NULL), hex) != 0)
			continue;
		printf("attachment %s: matches sha256 %s (listed as \"", path,
		    hex);
		v = doc;
		if (bson_iter_find(&v, "name") && BSON_ITER_HOLDS_UTF8(&v)) {
			s = bson_iter_utf8(&v, &n);
			print_safe(s, n);
		}
		v = doc;
		printf("\"");
		if (bson_iter_find(&v, "size") &&
		    (BSON_ITER_HOLDS_INT32(&v) || BSON_ITER_HOLDS_INT64(&v)))
			printf(", %lld bytes",
			    (long long)bson_iter_as_int64(&v));
		printf(")\n");
		return true;
	}
	return false;
}

/*
 * Check copy.json at path against the receipt r, then each attachment file
 * against the copy.  Returns the verdict.
 */
static cl_verdict
check_copy(const cl_receipt *r, const char *path, char **files, int nfiles)
{
	unsigned char md[CL_SHA256_LEN];
	char hex[CL_SHA256_HEX];
	bson_error_t berr;
	bson_t *copy = NULL;
	char *text = NULL;
	size_t len = 0;
	cl_verdict verdict = CL_VERDICT_VALID;

	if (slurp("copy.json", path, COPY_MAX, &text, &len) != CL_OK) {
		verdict = CL_VERDICT_UNREADABLE;
		goto out;
	}
	cl_sha256(text, len, md);
	cl_hex(md, sizeof md, hex);
	if (memcmp(md, r->commitment, sizeof md) == 0)
		printf("copy.json: matches commitment sha256:%s\n", hex);
	else {
		printf("copy.json: INVALID: does not match the receipt's "
		       "commitment (its sha256 is %s)\n",
		    hex);
		verdict = CL_VERDICT_INVALID;
	}
	if (nfiles == 0)
		goto out;
	if ((copy = bson_new_from_json((const uint8_t *)text, (ssize_t)len,
		 &berr)) == NULL) {
		printf("copy.json: not JSON (%s); cannot check attachments\n",
		    berr.message);
		verdict = CL_VERDICT_UNREADABLE;
		goto out;
	}
	for (int i = 0; i < nfiles; i++) {
		if (hash_file(files[i], md) != CL_OK) {
			verdict = CL_VERDICT_UNREADABLE;
			goto out;
		}
		cl_hex(md, sizeof md, hex);
		if (!find_attachment(copy, files[i], hex)) {
			printf("attachment %s: INVALID: not listed in "
			       "copy.json (its sha256 is %s)\n",
			    files[i], hex);
			verdict = CL_VERDICT_INVALID;
		}
	}
out:
	if (copy != NULL)
		bson_destroy(copy);
	free(text);
	return verdict;
}

/*
 * Read the verifier key arg (the key itself, or a file holding it on its
 * first line) of type into k.  Prints why and returns CL_EPARSE when it is
 * not one.
 */
static cl_err
load_vkey(const char *what, const char *arg, unsigned char type,
    cl_tlog_verifier *k)
{
	char *text = NULL, *nl;
	struct stat st;
	size_t len = 0;
	cl_err rc;

	if (stat(arg, &st) == 0 && S_ISREG(st.st_mode)) {
		if (slurp(what, arg, CL_TLOG_VKEY_MAX, &text, &len) != CL_OK)
			return CL_EIO;
		if ((nl = strpbrk(text, "\r\n")) != NULL)
			*nl = '\0';
		arg = text;
	}
	rc = cl_tlog_vkey_parse(arg, k);
	if (rc != CL_OK || k->type != type)
		printf("%s: not a %s verifier key "
		       "(<name>+<8 hex>+<base64>)\n",
		    what,
		    type == 0x01 ? "log (Ed25519)" :
				   "witness (cosignature/v1)");
	free(text);
	return rc == CL_OK && k->type == type ? CL_OK : CL_EPARSE;
}

/*
 * Check the receipt r's log proof (and token) as a says: print a line per
 * check and return the verdict.
 */
static cl_verdict
check_log(const cl_receipt *r, const struct args *a)
{
	static cl_proof_result res;
	cl_tlog_verifier log, wit[MAX_WITNESSES];
	cl_proof_keys keys = { &log, wit, (size_t)a->nwitness, a->tsa_ca };
	char *proof = NULL, *tsr = NULL;
	size_t plen = 0, tlen = 0;
	cl_verdict verdict = CL_VERDICT_UNREADABLE;
	cl_err rc;

	if (load_vkey("log key", a->log_key, 0x01, &log) != CL_OK)
		goto out;
	for (int i = 0; i < a->nwitness; i++)
		if (load_vkey("witness key", a->witness[i], 0x04, &wit[i]) !=
		    CL_OK)
			goto out;
	if (slurp("proof", a->proof, 1024 * 1024, &proof, &plen) != CL_OK ||
	    (a->tsr != NULL &&
		slurp("token", a->tsr, 1024 * 1024, &tsr, &tlen) != CL_OK))
		goto out;
	rc = cl_proof_check(r, proof, plen, tsr, tlen, &keys, &res);
	if (rc != CL_OK) {
		enum cl_proof_id id = cl_proof_refused(&res);

		printf("%s: cannot check: %s\n", cl_proof_name_of(id),
		    res.items[id].detail);
		goto out;
	}
	for (int i = 0; i < CL_PROOF__MAX; i++) {
		const cl_proof_item *it = &res.items[i];

		printf("%s: %s%s%s\n", cl_proof_name_of((enum cl_proof_id)i),
		    !it->made  ? "" :
			it->ok ? "valid (" :
				 "INVALID: ",
		    it->detail, it->made && it->ok ? ")" : "");
	}
	verdict = cl_proof_passed(&res) ? CL_VERDICT_VALID : CL_VERDICT_INVALID;
out:
	free(proof);
	free(tsr);
	return verdict;
}

int
main(int argc, char *argv[])
{
	static cl_receipt r;
	struct args a;
	cl_keyring *ring = NULL;
	struct stat st;
	char err[512], *text = NULL;
	size_t len = 0;
	cl_verdict verdict = CL_VERDICT_VALID, v;
	int i;
	cl_err rc;

	/* No secret here (public keys, the user's own files): dumpable, but
	 * no core file with a requester's answers in it. */
	if (cl_proc_start(0, err, sizeof err) != CL_OK) {
		fprintf(stderr, "callin-verify: %s\n", err);
		return CL_VERDICT_UNREADABLE;
	}
	if (argc == 2 &&
	    (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		fputs(usage, stdout);
		return CL_VERDICT_VALID;
	}
	if (parse_args(argc, argv, &a) != 0) {
		fputs(usage, stderr);
		return CL_VERDICT_UNREADABLE;
	}
	i = a.first;
	if (stat(a.key, &st) == 0 && S_ISDIR(st.st_mode))
		rc = cl_keyring_load(a.key, &ring, err, sizeof err);
	else
		rc = cl_keyring_load_file(a.key, &ring, err, sizeof err);
	if (rc != CL_OK) {
		printf("key: %s\n", err);
		verdict = CL_VERDICT_UNREADABLE;
		goto out;
	}
	if (slurp("receipt", argv[i], CL_RECEIPT_MAX, &text, &len) != CL_OK) {
		verdict = CL_VERDICT_UNREADABLE;
		goto out;
	}
	if (cl_receipt_parse(text, len, &r) != CL_OK) {
		printf("receipt: malformed: %s\n", r.reason);
		verdict = CL_VERDICT_UNREADABLE;
		goto out;
	}
	printf("receipt: well-formed (reference %s, received %s%s)\n",
	    r.reference, r.received,
	    r.crlf ? "; CR LF line ends read as LF" : "");
	switch (cl_receipt_verify(&r, ring)) {
	case CL_OK: printf("signature: valid (key %s)\n", r.key_id); break;
	case CL_ENOTFOUND:
		printf("signature: INVALID: signed with key %s, which is not "
		       "among the given keys\n",
		    r.key_id);
		verdict = CL_VERDICT_INVALID;
		break;
	default:
		printf("signature: INVALID: does not verify with key %s\n",
		    r.key_id);
		verdict = CL_VERDICT_INVALID;
		break;
	}
	if (i + 1 < argc) {
		v = check_copy(&r, argv[i + 1], argv + i + 2, argc - i - 2);
		if (v > verdict)
			verdict = v;
	}
	if (a.proof != NULL) {
		v = check_log(&r, &a);
		if (v > verdict)
			verdict = v;
	}
out:
	if (verdict == CL_VERDICT_VALID)
		printf("result: valid\n");
	else if (verdict == CL_VERDICT_INVALID)
		printf("result: INVALID\n");
	else
		printf("result: could not check (unreadable or malformed "
		       "input)\n");
	free(text);
	cl_keyring_free(ring);
	return verdict;
}

/*
 * receipt_tool: build copies and receipts from the command line, for the
 * receipt tests (not installed).
 *
 *	receipt_tool copy REF RECEIVED SALT_HEX input.json > copy.json
 *	    input.json is {"fields":{…},"attachments":[…]} as the store holds
 *	    them; prints cl_copy_build()'s output (no newline added).
 *	receipt_tool sign PRIV.pem REF RECEIVED copy.json [LOG] > receipt.txt
 *	    signs a receipt committing to SHA-256 of copy.json (with the line
 *	    "log: LOG" when LOG is given).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bson/bson.h>

#include "callin/alloc.h"
#include "callin/hash.h"
#include "callin/receipt.h"

#include "tool_slurp.h"

/* Find key in doc as an embedded document or array into out (static). */
static bool
sub(const bson_t *doc, const char *key, bson_t *out)
{
	const uint8_t *data;
	uint32_t len;
	bson_iter_t it;

	if (!bson_iter_init_find(&it, doc, key) ||
	    !(BSON_ITER_HOLDS_DOCUMENT(&it) || BSON_ITER_HOLDS_ARRAY(&it)))
		return false;
	if (BSON_ITER_HOLDS_DOCUMENT(&it))
		bson_iter_document(&it, &len, &data);
	else
		bson_iter_array(&it, &len, &data);
	return bson_init_static(out, data, len);
}

static int
do_copy(char **argv)
{
	unsigned char salt[CL_SALT_LEN];
	cl_buf in = CL_BUF_INIT, out = CL_BUF_INIT;
	bson_t *doc, fields, atts;
	bson_error_t err;
	bool has_atts;

	if (cl_unhex(argv[2], strlen(argv[2]), salt, sizeof salt) != CL_OK) {
		fprintf(stderr, "salt must be 64 lower-case hex digits\n");
		return 2;
	}
	slurp(argv[3], &in);
	if ((doc = bson_new_from_json((const uint8_t *)in.data, (ssize_t)in.len,
		 &err)) == NULL) {
		fprintf(stderr, "%s: %s\n", argv[3], err.message);
		return 2;
	}
	if (!sub(doc, "fields", &fields)) {
		fprintf(stderr, "%s: no fields object\n", argv[3]);
		return 2;
	}
	has_atts = sub(doc, "attachments", &atts);
	if (cl_copy_build(argv[0], argv[1], salt, &fields,
		has_atts ? &atts : NULL, &out) != CL_OK) {
		fprintf(stderr, "cl_copy_build failed\n");
		return 1;
	}
	fwrite(out.data, 1, out.len, stdout);
	bson_destroy(doc);
	cl_buf_free(&in);
	cl_buf_free(&out);
	return 0;
}

static int
do_sign(char **argv, const char *log)
{
	unsigned char md[CL_SHA256_LEN];
	cl_buf copy = CL_BUF_INIT, out = CL_BUF_INIT;
	cl_signer *s;
	char err[512];

	if (cl_signer_load(argv[0], &s, err, sizeof err) != CL_OK) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	slurp(argv[3], &copy);
	cl_sha256(copy.data, copy.len, md);
	if (cl_receipt_sign(s, argv[1], argv[2], md, log, &out) != CL_OK) {
		fprintf(stderr, "cl_receipt_sign failed\n");
		return 1;
	}
	fwrite(out.data, 1, out.len, stdout);
	cl_signer_free(s);
	cl_buf_free(&copy);
	cl_buf_free(&out);
	return 0;
}

int
main(int argc, char *argv[])
{
	if (argc == 6 && strcmp(argv[1], "copy") == 0)
		return do_copy(argv + 2);
	if ((argc == 6 || argc == 7) && strcmp(argv[1], "sign") == 0)
		return do_sign(argv + 2, argc == 7 ? argv[6] : NULL);
	fprintf(stderr,
	    "usage: receipt_tool copy REF RECEIVED SALT_HEX "
	    "input.json\n       receipt_tool sign PRIV.pem REF RECEIVED "
	    "copy.json [LOG]\n");
	return 2;
}

/*
 * mongo_store_client: drive the public store API (include/callin/store.h)
 * from the command line, for the MongoDB wire tests.  Prints one outcome
 * line on stdout and exits 0 on success, 1 on a failed operation, 2 on
 * misuse.
 *
 *   mongo_store_client SPEC ping
 *   mongo_store_client SPEC put FILE [IDEMPOTENCY_KEY [EMAIL]]
 *	stream FILE as one blob, then put a fixed request document linking
 *	it (with fields.email EMAIL when given); on failure delete the blob,
 *	as the service does.  Prints "stored TOKEN", "duplicate TOKEN",
 *	"collision", "unavailable", ...
 *   mongo_store_client SPEC get token|reference|idempotency VALUE
 *	prints the document as relaxed extended JSON
 *   mongo_store_client SPEC count
 *   mongo_store_client SPEC count-email EMAIL SINCE_MS
 *   mongo_store_client SPEC read BLOB_ID	(the bytes go to stdout)
 *   mongo_store_client SPEC delete BLOB_ID
 *   mongo_store_client SPEC sweep OLDER_THAN_MS
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "callin/err.h"
#include "callin/store.h"

#define TOKEN "dG9rZW4tZml4ZWQtZm9yLXdpcmUtdGVzdHM"
#define REFERENCE "CIR-7Q2M-K9X4"
#define IDEMPOTENCY "idem-0001"
#define RECEIVED "2026-11-23T14:05:09Z"
#define RECEIVED_MS INT64_C(1795443909000)

/* The outcome word for rc.  Cannot fail. */
static const char *
outcome(cl_err rc)
{
	switch (rc) {
	case CL_OK: return "ok";
	case CL_EUNAVAIL: return "unavailable";
	case CL_ENOTFOUND: return "notfound";
	case CL_EINVAL: return "invalid";
	case CL_EDUP: return "duplicate";
	case CL_ECONFIG: return "config";
	default: return cl_strerror(rc);
	}
}

/* Print the outcome line for rc and return the exit status.  Cannot fail. */
static int
report(cl_err rc)
{
	printf("%s\n", outcome(rc));
	return rc == CL_OK ? 0 : 1;
}

/* Sink for read: write the bytes to stdout.  Fails with CL_EIO. */
static cl_err
to_stdout(void *arg, const void *p, size_t n)
{
	(void)arg;
	return fwrite(p, 1, n, stdout) == n ? CL_OK : CL_EIO;
}

/*
 * Stream the file path into a new blob, hashing it; on success id, *size
 * and hex (the SHA-256) are set.  Fails with the store's error or CL_EIO.
 */
static cl_err
upload(cl_store *st, const char *path, char id[CL_BLOB_ID_MAX], int64_t *size,
    char hex[65])
{
	static unsigned char buf[64 * 1024];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen, i;
	EVP_MD_CTX *ctx = NULL;
	cl_blob *b = NULL;
	const char *name;
	FILE *fp = NULL;
	size_t n;
	cl_err rc;

	*size = 0;
	if ((fp = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		rc = CL_EIO;
		goto err;
	}
	name = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		rc = CL_ECRYPTO;
		goto err;
	}
	if ((rc = cl_store_blob_open(st, name, &b)) != CL_OK)
		goto err;
	while ((n = fread(buf, 1, sizeof buf, fp)) > 0) {
		EVP_DigestUpdate(ctx, buf, n);
		if ((rc = cl_blob_write(b, buf, n)) != CL_OK)
			goto err;
		*size += (int64_t)n;
	}
	if (ferror(fp)) {
		rc = CL_EIO;
		goto err;
	}
	rc = cl_blob_finish(b, id);
	b = NULL;
	if (rc != CL_OK)
		goto err;
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	for (i = 0; i < mdlen && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
err:
	cl_blob_abort(b);
	EVP_MD_CTX_free(ctx);
	if (fp != NULL)
		fclose(fp);
	return rc;
}

/*
 * put: upload path, then store the fixed request document linking it under
 * the idempotency key idem, with fields.email email unless it is NULL.
 * Returns the exit status.
 */
static int
cmd_put(cl_store *st, const char *path, const char *idem, const char *email)
{
	char id[CL_BLOB_ID_MAX], existing[CL_TOKEN_MAX], hex[65] = "";
	bson_t doc = BSON_INITIALIZER, sub, arr, att;
	int64_t size;
	cl_err rc;

	if ((rc = upload(st, path, id, &size, hex)) != CL_OK)
		return report(rc);

	BSON_APPEND_UTF8(&doc, "token", TOKEN);
	BSON_APPEND_UTF8(&doc, "reference", REFERENCE);
	BSON_APPEND_UTF8(&doc, "idempotency_key", idem);
	BSON_APPEND_UTF8(&doc, "received", RECEIVED);
	BSON_APPEND_INT64(&doc, "received_ms", RECEIVED_MS);
	BSON_APPEND_DOCUMENT_BEGIN(&doc, "fields", &sub);
	BSON_APPEND_UTF8(&sub, "full_name", "Ada Lovelace");
	BSON_APPEND_ARRAY_BEGIN(&sub, "needs", &arr);
	BSON_APPEND_UTF8(&arr, "0", "wheelchair");
	BSON_APPEND_UTF8(&arr, "1", "interpreter");
	bson_append_array_end(&sub, &arr);
	if (email != NULL)
		BSON_APPEND_UTF8(&sub, "email", email);
	bson_append_document_end(&doc, &sub);
	BSON_APPEND_ARRAY_BEGIN(&doc, "attachments", &arr);
	BSON_APPEND_DOCUMENT_BEGIN(&arr, "0", &att);
	BSON_APPEND_UTF8(&att, "blob_id", id);
	BSON_APPEND_UTF8(&att, "name",
	    strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path);
	BSON_APPEND_UTF8(&att, "content_type", "application/pdf");
	BSON_APPEND_INT64(&att, "size", size);
	BSON_APPEND_UTF8(&att, "sha256", hex);
	bson_append_document_end(&arr, &att);
	bson_append_array_end(&doc, &arr);
	BSON_APPEND_UTF8(&doc, "copy_json", "{\"v\":1}");

	rc = cl_store_put(st, &doc, existing);
	bson_destroy(&doc);
	if (rc != CL_OK && cl_store_blob_delete(st, id) != CL_OK)
		fprintf(stderr, "blob %s left for the sweep\n", id);
	if (rc == CL_OK) {
		printf("stored %s\n", TOKEN);
		return 0;
	}
	if (rc == CL_EDUP && existing[0] != '\0')
		printf("duplicate %s\n", existing);
	else if (rc == CL_EDUP)
		printf("collision\n");
	else
		printf("%s\n", outcome(rc));
	return 1;
}

/* get: print the document stored under key. Returns the exit status. */
static int
cmd_get(cl_store *st, const char *which, const char *value)
{
	cl_store_key key;
	bson_t doc;
	char *json;
	cl_err rc;

	if (strcmp(which, "token") == 0)
		key = CL_KEY_TOKEN;
	else if (strcmp(which, "reference") == 0)
		key = CL_KEY_REFERENCE;
	else if (strcmp(which, "idempotency") == 0)
		key = CL_KEY_IDEMPOTENCY;
	else
		return 2;
	if ((rc = cl_store_get(st, key, value, &doc)) != CL_OK)
		return report(rc);
	json = bson_as_relaxed_extended_json(&doc, NULL);
	printf("%s\n", json);
	bson_free(json);
	bson_destroy(&doc);
	return 0;
}

int
main(int argc, char **argv)
{
	cl_store *st = NULL;
	int64_t n;
	cl_err rc;
	int status = 2;

	if (argc < 3)
		goto usage;
	if ((rc = cl_store_open(argv[1], &st)) != CL_OK)
		return report(rc);
	if (strcmp(argv[2], "ping") == 0 && argc == 3)
		status = report(cl_store_ping(st));
	else if (strcmp(argv[2], "put") == 0 && argc >= 4 && argc <= 6)
		status = cmd_put(st, argv[3], argc >= 5 ? argv[4] : IDEMPOTENCY,
		    argc == 6 ? argv[5] : NULL);
	else if (strcmp(argv[2], "get") == 0 && argc == 5)
		status = cmd_get(st, argv[3], argv[4]);
	else if (strcmp(argv[2], "count") == 0 && argc == 3) {
		if ((rc = cl_store_count(st, &n)) == CL_OK) {
			printf("count %" PRId64 "\n", n);
			status = 0;
		} else
			status = report(rc);
	} else if (strcmp(argv[2], "count-email") == 0 && argc == 5) {
		if ((rc = cl_store_count_by_email(st, argv[3],
			 strtoll(argv[4], NULL, 10), &n)) == CL_OK) {
			printf("count %" PRId64 "\n", n);
			status = 0;
		} else
			status = report(rc);
	} else if (strcmp(argv[2], "read") == 0 && argc == 4) {
		rc = cl_store_blob_read(st, argv[3], to_stdout, NULL);
		fflush(stdout);
		fprintf(stderr, "%s\n", outcome(rc));
		status = rc == CL_OK ? 0 : 1;
	} else if (strcmp(argv[2], "delete") == 0 && argc == 4)
		status = report(cl_store_blob_delete(st, argv[3]));
	else if (strcmp(argv[2], "sweep") == 0 && argc == 4) {
		if ((rc = cl_store_sweep(st, strtoll(argv[3], NULL, 10), &n)) ==
		    CL_OK) {
			printf("swept %" PRId64 "\n", n);
			status = 0;
		} else
			status = report(rc);
	}
	cl_store_close(st);
	if (status != 2)
		return status;
usage:
	fprintf(stderr,
	    "usage: mongo_store_client SPEC "
	    "ping|put FILE [KEY [EMAIL]]|get KIND VALUE|count|"
	    "count-email EMAIL MS|read ID|delete ID|sweep MS\n");
	return 2;
}

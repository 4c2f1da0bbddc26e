/*
 * store_cat: read a store through the public store API, for tests.
 *   store_cat SPEC get token|reference|idempotency VALUE   document as JSON
 *   store_cat SPEC blob ID                                 blob bytes
 *   store_cat SPEC count                                   number of requests
 *   store_cat SPEC sweep OLDER_THAN_MS                     blobs removed
 * Exit 0 on success, 1 when not found or unavailable, 2 on usage errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callin/store.h"

static cl_err
to_stdout(void *arg, const void *p, size_t n)
{
	(void)arg;
	return fwrite(p, 1, n, stdout) == n ? CL_OK : CL_EIO;
}

int
main(int argc, char **argv)
{
	cl_store *st = NULL;
	int status = 1;
	cl_err rc;

	if (argc < 3) {
		fprintf(stderr,
		    "usage: store_cat SPEC get|blob|count|sweep ...\n");
		return 2;
	}
	if ((rc = cl_store_open(argv[1], &st)) != CL_OK) {
		fprintf(stderr, "store_cat: open: %s\n", cl_strerror(rc));
		return 1;
	}
	if (strcmp(argv[2], "get") == 0 && argc == 5) {
		cl_store_key key = strcmp(argv[3], "token") == 0 ?
		    CL_KEY_TOKEN :
		    strcmp(argv[3], "reference") == 0 ? CL_KEY_REFERENCE :
							CL_KEY_IDEMPOTENCY;
		bson_t doc;

		if ((rc = cl_store_get(st, key, argv[4], &doc)) == CL_OK) {
			char *json = bson_as_relaxed_extended_json(&doc, NULL);
			printf("%s\n", json);
			bson_free(json);
			bson_destroy(&doc);
			status = 0;
		}
	} else if (strcmp(argv[2], "blob") == 0 && argc == 4) {
		if ((rc = cl_store_blob_read(st, argv[3], to_stdout, NULL)) ==
		    CL_OK)
			status = 0;
	} else if (strcmp(argv[2], "count") == 0) {
		int64_t n;
		if ((rc = cl_store_count(st, &n)) == CL_OK) {
			printf("%lld\n", (long long)n);
			status = 0;
		}
	} else if (strcmp(argv[2], "sweep") == 0 && argc == 4) {
		int64_t n;
		if ((rc = cl_store_sweep(st, strtoll(argv[3], NULL, 10), &n)) ==
		    CL_OK) {
			printf("%lld\n", (long long)n);
			status = 0;
		}
	} else {
		fprintf(stderr, "store_cat: bad arguments\n");
		status = 2;
		rc = CL_EINVAL;
	}
	if (status == 1)
		fprintf(stderr, "store_cat: %s\n", cl_strerror(rc));
	cl_store_close(st);
	return status;
}

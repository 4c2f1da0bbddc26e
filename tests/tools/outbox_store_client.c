/*
 * outbox_store_client: drive the outbox part of the public store API
 * (include/callin/store.h) from the command line, for the MongoDB wire
 * tests (tests/e2e/test_mongo_outbox.py).  Prints its outcome on stdout
 * and exits 0 on success, 1 on a failed operation, 2 on misuse.
 *
 *   outbox_store_client SPEC put
 *	put a fixed request document with two notifications
 *   outbox_store_client SPEC claim NOW_MS LEASE_MS OWNER MAX
 *	prints "claimed N", then per notification a line
 *	"ID KIND ATTEMPTS DUE_MS TO[,TO...]" and the request as relaxed
 *	extended JSON on the next line
 *   outbox_store_client SPEC sent ID OWNER NOW_MS
 *   outbox_store_client SPEC failed ID OWNER retry|final RETRY_MS ERROR
 *   outbox_store_client SPEC stats NOW_MS
 *	prints "due D oldest O sent S failed F"
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callin/err.h"
#include "callin/store.h"

#define TOKEN "dG9rZW4tZml4ZWQtZm9yLXdpcmUtdGVzdHM"
#define REFERENCE "CIR-7Q2M-K9X4"
#define IDEMPOTENCY "idem-0002"
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

/* Parse a decimal int64, or exit 2.  Cannot fail otherwise. */
static int64_t
num(const char *s)
{
	char *end;
	long long v;

	v = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0') {
		fprintf(stderr, "not a number: %s\n", s);
		exit(2);
	}
	return v;
}

/* Put the fixed request with a staff alert and a confirmation. */
static cl_err
put(cl_store *st)
{
	bson_t *doc;
	cl_err rc;

	doc = BCON_NEW("token", BCON_UTF8(TOKEN), "reference",
	    BCON_UTF8(REFERENCE), "idempotency_key", BCON_UTF8(IDEMPOTENCY),
	    "received_ms", BCON_INT64(RECEIVED_MS), "notifications", "[", "{",
	    "kind", BCON_UTF8("staff_alert"), "to", "[",
	    BCON_UTF8("a@example.org"), BCON_UTF8("b@example.org"), "]", "}",
	    "{", "kind", BCON_UTF8("confirmation"), "to", "[",
	    BCON_UTF8("r@example.org"), "]", "due_ms",
	    BCON_INT64(RECEIVED_MS + 5), "}", "]");
	rc = cl_store_put(st, doc, NULL);
	bson_destroy(doc);
	return rc;
}

/* Claim and print what was claimed. */
static cl_err
claim(cl_store *st, char **argv)
{
	cl_notification *v;
	size_t n, i, j;
	char *json;
	cl_err rc;

	rc = cl_store_outbox_claim(st, num(argv[0]), num(argv[1]), argv[2],
	    (size_t)num(argv[3]), &v, &n);
	if (rc != CL_OK)
		return rc;
	printf("claimed %zu\n", n);
	for (i = 0; i < n; i++) {
		printf("%s %s %d %" PRId64 " ", v[i].id, v[i].kind,
		    v[i].attempts, v[i].due_ms);
		for (j = 0; j < v[i].nto; j++)
			printf("%s%s", j > 0 ? "," : "", v[i].to[j]);
		json = bson_as_relaxed_extended_json(v[i].request, NULL);
		printf("\n%s\n", json);
		bson_free(json);
	}
	cl_notifications_free(v, n);
	return CL_OK;
}

int
main(int argc, char **argv)
{
	cl_outbox_stats s;
	cl_store *st = NULL;
	const char *op;
	cl_err rc;
	int status;

	if (argc < 3) {
		fprintf(stderr, "usage: outbox_store_client SPEC OP ARGS...\n");
		return 2;
	}
	op = argv[2];
	if ((rc = cl_store_open(argv[1], &st)) != CL_OK)
		return report(rc);
	if (strcmp(op, "put") == 0 && argc == 3)
		status = report(put(st));
	else if (strcmp(op, "claim") == 0 && argc == 7) {
		if ((rc = claim(st, argv + 3)) != CL_OK)
			status = report(rc);
		else
			status = 0;
	} else if (strcmp(op, "sent") == 0 && argc == 6)
		status = report(
		    cl_store_outbox_sent(st, argv[3], argv[4], num(argv[5])));
	else if (strcmp(op, "failed") == 0 && argc == 8)
		status = report(cl_store_outbox_failed(st, argv[3], argv[4],
		    strcmp(argv[5], "final") == 0, num(argv[6]), argv[7]));
	else if (strcmp(op, "stats") == 0 && argc == 4) {
		if ((rc = cl_store_outbox_stats(st, num(argv[3]), &s)) != CL_OK)
			status = report(rc);
		else {
			printf("due %" PRId64 " oldest %" PRId64
			       " sent %" PRId64 " failed %" PRId64 "\n",
			    s.due, s.oldest_due_ms, s.sent, s.failed);
			status = 0;
		}
	} else {
		fprintf(stderr, "usage: outbox_store_client SPEC OP ARGS...\n");
		status = 2;
	}
	cl_store_close(st);
	return status;
}

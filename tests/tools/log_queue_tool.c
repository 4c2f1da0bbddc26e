/*
 * log_queue_tool: store requests whose receipts promise the log, for the
 * callin-logd tests (tests/e2e/test_logd.py), through the public store
 * API, as intake's put would.
 *
 *   log_queue_tool STORE ORIGIN N
 *
 * Stores N request documents (fresh random keys, received now) with a
 * receipt and the log key ORIGIN, and prints one line per request:
 * "<token> <hex SHA-256 of its receipt>".  Exit 0, or 1 with a line on
 * stderr when the store refuses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callin/clock.h"
#include "callin/hash.h"
#include "callin/rand.h"
#include "callin/store.h"

int
main(int argc, char **argv)
{
	unsigned char rnd[16], sum[CL_SHA256_LEN];
	char token[33], hex[CL_SHA256_HEX], ref[32], idem[40], rcpt[256];
	cl_store *st = NULL;
	bson_t doc;
	long n, i;
	cl_err rc;

	if (argc != 4 || (n = strtol(argv[3], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: log_queue_tool STORE ORIGIN N\n");
		return 2;
	}
	if ((rc = cl_store_open(argv[1], &st)) != CL_OK) {
		fprintf(stderr, "log_queue_tool: %s\n", cl_strerror(rc));
		return 1;
	}
	for (i = 0; i < n; i++) {
		if (cl_random_bytes(rnd, sizeof rnd) != CL_OK)
			return 1;
		cl_hex(rnd, sizeof rnd, token);
		snprintf(ref, sizeof ref, "CIR-%.4s-%.4s", token, token + 4);
		snprintf(idem, sizeof idem, "idem-%s", token);
		snprintf(rcpt, sizeof rcpt,
		    "callin-receipt-v1\nreference: %s\nlog: %s\n"
		    "signature: %s\n",
		    ref, argv[2], token);
		bson_init(&doc);
		BSON_APPEND_UTF8(&doc, "token", token);
		BSON_APPEND_UTF8(&doc, "reference", ref);
		BSON_APPEND_UTF8(&doc, "idempotency_key", idem);
		BSON_APPEND_INT64(&doc, "received_ms", cl_now_ms());
		BSON_APPEND_UTF8(&doc, "receipt", rcpt);
		BSON_APPEND_UTF8(&doc, "log", argv[2]);
		rc = cl_store_put(st, &doc, NULL);
		bson_destroy(&doc);
		if (rc != CL_OK) {
			fprintf(stderr, "log_queue_tool: put: %s\n",
			    cl_strerror(rc));
			cl_store_close(st);
			return 1;
		}
		cl_sha256(rcpt, strlen(rcpt), sum);
		cl_hex(sum, sizeof sum, hex);
		printf("%s %s\n", token, hex);
	}
	cl_store_close(st);
	return 0;
}

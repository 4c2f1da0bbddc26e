/*
 * outbox_tool: fill and inspect a store's outbox through the public store
 * API, for the mail tests and the mailer benchmark.
 *
 *   outbox_tool SPEC put N [options]   store N requests, each with a staff
 *                                      alert and a confirmation; prints
 *                                      each reference on a line
 *       --staff A,B     staff alert recipients (default staff@example.org)
 *       --to ADDR       confirmation recipient, taken as is (default
 *                       requester@example.org): lets a test store what
 *                       the form would refuse
 *       --title TEXT    the proposal title
 *       --file PATH     attach the file (repeatable)
 *       --no-confirm    no confirmation, only the staff alert
 *       --age-days D    received D days ago (default now)
 *       --token         print "REFERENCE TOKEN" on each line
 *   outbox_tool SPEC stats             {"due":..,"oldest_due_ms":..,
 *                                      "sent":..,"failed":..}
 *
 * Exit 0 on success, 1 when the store fails, 2 on usage errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "callin/hash.h"
#include "callin/rand.h"
#include "callin/reference.h"
#include "callin/store.h"

#define MAX_FILES 10

struct opts {
	const char *staff, *to, *title;
	const char *files[MAX_FILES];
	size_t nfiles;
	int confirm;
	long age_days;
	int print_token;
};

/* Milliseconds since the epoch. */
static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Store the file at path as a blob and add its entry to arr as key. */
static cl_err
put_file(cl_store *st, const char *path, const char *key, bson_t *arr)
{
	unsigned char buf[65536], md[CL_SHA256_LEN];
	char id[CL_BLOB_ID_MAX], hex[CL_SHA256_HEX];
	const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	cl_sha256_ctx *h = cl_sha256_new();
	cl_blob *b = NULL;
	int64_t size = 0;
	FILE *f;
	size_t n;
	bson_t d;
	cl_err rc;

	if ((f = fopen(path, "rb")) == NULL) {
		cl_sha256_free(h);
		return CL_EIO;
	}
	if ((rc = cl_store_blob_open(st, name, &b)) != CL_OK)
		goto err;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
		cl_sha256_update(h, buf, n);
		size += (int64_t)n;
		if ((rc = cl_blob_write(b, buf, n)) != CL_OK)
			goto err;
	}
	rc = cl_blob_finish(b, id);
	b = NULL;
	if (rc != CL_OK)
		goto err;
	cl_sha256_final(h, md);
	h = NULL;
	cl_hex(md, sizeof md, hex);
	bson_append_document_begin(arr, key, -1, &d);
	BSON_APPEND_UTF8(&d, "blob_id", id);
	BSON_APPEND_UTF8(&d, "name", name);
	BSON_APPEND_UTF8(&d, "content_type", "application/octet-stream");
	BSON_APPEND_INT64(&d, "size", size);
	BSON_APPEND_UTF8(&d, "sha256", hex);
	bson_append_document_end(arr, &d);
err:
	cl_blob_abort(b);
	cl_sha256_free(h);
	fclose(f);
	return rc;
}

/* Store one request with its notifications; print its reference. */
static cl_err
put_one(cl_store *st, const struct opts *o)
{
	char ref[CL_REFERENCE_MAX], tok[CL_RANDOM_TOKEN_MAX];
	char idem[CL_RANDOM_TOKEN_MAX], key[24], received[32];
	bson_t doc = BSON_INITIALIZER, fields, arr, notes, n, to;
	int64_t ms = now_ms() - (int64_t)o->age_days * 86400000;
	time_t t = (time_t)(ms / 1000);
	const char *p, *e;
	struct tm tm;
	uint32_t k = 0;
	size_t i;
	cl_err rc;

	if ((rc = cl_reference_new(ref)) != CL_OK ||
	    (rc = cl_random_token(tok, 16)) != CL_OK ||
	    (rc = cl_random_token(idem, 16)) != CL_OK)
		goto err;
	gmtime_r(&t, &tm);
	strftime(received, sizeof received, "%Y-%m-%dT%H:%M:%SZ", &tm);
	BSON_APPEND_UTF8(&doc, "token", tok);
	BSON_APPEND_UTF8(&doc, "reference", ref);
	BSON_APPEND_UTF8(&doc, "idempotency_key", idem);
	BSON_APPEND_UTF8(&doc, "received", received);
	BSON_APPEND_INT64(&doc, "received_ms", ms);
	bson_append_document_begin(&doc, "fields", -1, &fields);
	BSON_APPEND_UTF8(&fields, "requester_type", "individual");
	BSON_APPEND_UTF8(&fields, "full_name", "Bench Example");
	BSON_APPEND_UTF8(&fields, "email", o->to);
	BSON_APPEND_UTF8(&fields, "proposal_title", o->title);
	BSON_APPEND_UTF8(&fields, "commissioner", "dont_know");
	BSON_APPEND_UTF8(&fields, "services_affected", "Services\nover lines");
	BSON_APPEND_UTF8(&fields, "change_description", "A change.");
	BSON_APPEND_UTF8(&fields, "proposal_stage", "consultation");
	BSON_APPEND_UTF8(&fields, "decision_date", "");
	bson_append_array_begin(&fields, "grounds", -1, &arr);
	BSON_APPEND_UTF8(&arr, "0", "process");
	bson_append_array_end(&fields, &arr);
	BSON_APPEND_UTF8(&fields, "grounds_statement", "Because.");
	BSON_APPEND_UTF8(&fields, "local_resolution", "Wrote to them.");
	BSON_APPEND_UTF8(&fields, "declaration_accurate", "yes");
	BSON_APPEND_UTF8(&fields, "declaration_sharing", "yes");
	bson_append_document_end(&doc, &fields);
	bson_append_array_begin(&doc, "attachments", -1, &arr);
	for (i = 0; i < o->nfiles; i++) {
		snprintf(key, sizeof key, "%zu", i);
		if ((rc = put_file(st, o->files[i], key, &arr)) != CL_OK)
			goto err;
	}
	bson_append_array_end(&doc, &arr);
	BSON_APPEND_UTF8(&doc, "copy_json", "{\"format\":\"callin-copy-v1\"}");
	BSON_APPEND_UTF8(&doc, "receipt", "callin-receipt-v1\n");
	BSON_APPEND_UTF8(&doc, "key_id", "0000000000000000");
	bson_append_array_begin(&doc, "notifications", -1, &notes);
	bson_append_document_begin(&notes, "0", -1, &n);
	BSON_APPEND_UTF8(&n, "kind", "staff_alert");
	bson_append_array_begin(&n, "to", -1, &to);
	for (p = o->staff; *p != '\0'; p = *e ? e + 1 : e) {
		e = p + strcspn(p, ",");
		snprintf(key, sizeof key, "%u", k++);
		bson_append_utf8(&to, key, -1, p, (int)(e - p));
	}
	bson_append_array_end(&n, &to);
	bson_append_document_end(&notes, &n);
	if (o->confirm) {
		bson_append_document_begin(&notes, "1", -1, &n);
		BSON_APPEND_UTF8(&n, "kind", "confirmation");
		bson_append_array_begin(&n, "to", -1, &to);
		BSON_APPEND_UTF8(&to, "0", o->to);
		bson_append_array_end(&n, &to);
		bson_append_document_end(&notes, &n);
	}
	bson_append_array_end(&doc, &notes);
	if ((rc = cl_store_put(st, &doc, NULL)) != CL_OK)
		goto err;
	if (o->print_token)
		printf("%s %s\n", ref, tok);
	else
		printf("%s\n", ref);
err:
	bson_destroy(&doc);
	return rc;
}

int
main(int argc, char **argv)
{
	struct opts o = { "staff@example.org", "requester@example.org",
		"A proposal", { NULL }, 0, 1, 0, 0 };
	cl_outbox_stats s;
	cl_store *st = NULL;
	long count, i;
	int status = 1, a;
	cl_err rc = CL_OK;

	if (argc < 3)
		goto usage;
	if (strcmp(argv[2], "put") == 0) {
		if (argc < 4 || (count = strtol(argv[3], NULL, 10)) < 1)
			goto usage;
		for (a = 4; a < argc; a++) {
			if (strcmp(argv[a], "--staff") == 0 && a + 1 < argc)
				o.staff = argv[++a];
			else if (strcmp(argv[a], "--to") == 0 && a + 1 < argc)
				o.to = argv[++a];
			else if (strcmp(argv[a], "--title") == 0 &&
			    a + 1 < argc)
				o.title = argv[++a];
			else if (strcmp(argv[a], "--file") == 0 &&
			    a + 1 < argc && o.nfiles < MAX_FILES)
				o.files[o.nfiles++] = argv[++a];
			else if (strcmp(argv[a], "--no-confirm") == 0)
				o.confirm = 0;
			else if (strcmp(argv[a], "--age-days") == 0 &&
			    a + 1 < argc)
				o.age_days = strtol(argv[++a], NULL, 10);
			else if (strcmp(argv[a], "--token") == 0)
				o.print_token = 1;
			else
				goto usage;
		}
		if ((rc = cl_store_open(argv[1], &st)) != CL_OK)
			goto out;
		for (i = 0; i < count && rc == CL_OK; i++)
			rc = put_one(st, &o);
		status = rc == CL_OK ? 0 : 1;
	} else if (strcmp(argv[2], "stats") == 0 && argc == 3) {
		if ((rc = cl_store_open(argv[1], &st)) != CL_OK ||
		    (rc = cl_store_outbox_stats(st, now_ms(), &s)) != CL_OK)
			goto out;
		printf("{\"due\":%lld,\"oldest_due_ms\":%lld,\"sent\":%lld,"
		       "\"failed\":%lld}\n",
		    (long long)s.due, (long long)s.oldest_due_ms,
		    (long long)s.sent, (long long)s.failed);
		status = 0;
	} else
		goto usage;
out:
	if (rc != CL_OK)
		fprintf(stderr, "outbox_tool: %s\n", cl_strerror(rc));
	cl_store_close(st);
	return status;
usage:
	fprintf(stderr,
	    "usage: outbox_tool SPEC put N [--staff A,B] [--to ADDR] "
	    "[--title T] [--file PATH]... [--no-confirm]\n"
	    "           [--age-days D] [--token]\n"
	    "       outbox_tool SPEC stats\n");
	return 2;
}

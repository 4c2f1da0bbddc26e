/*
 * conformance.c: the store conformance suite, one program run once per
 * backend: `store_conformance sqlite` (a fresh file per test in a temp
 * directory) or `store_conformance mongodb` (a fresh database per test in
 * the server MONGODB_URI names; exit 77, skipped, when it is unset).
 *
 * The common group uses only the public store.h API, so both backends must
 * pass it unchanged; sqlite_only.c adds what only a file can show (outbox
 * rows, locks, write errors, read-only files, concurrent opens).
 */
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store_test.h"

#define MIB (1024 * 1024)

/* The store answers a ping and starts empty. */
static void
test_ping(void **state)
{
	struct t_case *c = *state;

	assert_int_equal(cl_store_ping(c->st), CL_OK);
	assert_int_equal(t_count(c->st), 0);
}

/* An unknown scheme is a configuration error, and yields no handle. */
static void
test_open_bad_spec(void **state)
{
	cl_store *st = (cl_store *)state;

	assert_int_equal(cl_store_open("nosuch:/x", &st), CL_ECONFIG);
	assert_null(st);
	st = (cl_store *)state;
	assert_int_equal(cl_store_open("sqlite:", &st), CL_ECONFIG);
	assert_null(st);
}

/* A stored document comes back whole by each of its three keys. */
static void
test_put_get_roundtrip(void **state)
{
	struct t_case *c = *state;
	char ids[2][CL_BLOB_ID_MAX];
	const char *blobs[2] = { ids[0], ids[1] };
	struct t_keys k, other;
	char existing[CL_TOKEN_MAX];
	bson_t doc, got;
	cl_buf b = CL_BUF_INIT;

	t_blob(c->st, "first", 5, 0, ids[0]);
	t_blob(c->st, "second file", 11, 3, ids[1]);
	assert_string_not_equal(ids[0], ids[1]);
	t_keys_new(&k);
	t_doc(&doc, &k, blobs, 2, 1);
	memcpy(existing, "junk", 5);
	assert_int_equal(cl_store_put(c->st, &doc, existing), CL_OK);
	assert_int_equal(t_count(c->st), 1);

	assert_int_equal(cl_store_get(c->st, CL_KEY_TOKEN, k.token, &got),
	    CL_OK);
	assert_true(bson_equal(&doc, &got));
	bson_destroy(&got);
	assert_int_equal(cl_store_get(c->st, CL_KEY_REFERENCE, k.reference,
			     &got),
	    CL_OK);
	assert_true(bson_equal(&doc, &got));
	bson_destroy(&got);
	assert_int_equal(cl_store_get(c->st, CL_KEY_IDEMPOTENCY, k.idem, &got),
	    CL_OK);
	assert_true(bson_equal(&doc, &got));
	bson_destroy(&got);

	/* Keys do not answer for one another, and unknown ones are absent. */
	t_keys_new(&other);
	assert_int_equal(cl_store_get(c->st, CL_KEY_TOKEN, other.token, &got),
	    CL_ENOTFOUND);
	assert_int_equal(cl_store_get(c->st, CL_KEY_REFERENCE, other.reference,
			     &got),
	    CL_ENOTFOUND);
	assert_int_equal(cl_store_get(c->st, CL_KEY_IDEMPOTENCY, other.idem,
			     &got),
	    CL_ENOTFOUND);
	assert_int_equal(cl_store_get(c->st, CL_KEY_TOKEN, k.reference, &got),
	    CL_ENOTFOUND);
	assert_int_equal(cl_store_get(c->st, CL_KEY_REFERENCE, k.token, &got),
	    CL_ENOTFOUND);

	/* The linked blobs are now readable. */
	assert_int_equal(t_read(c->st, ids[0], &b), CL_OK);
	assert_int_equal(b.len, 5);
	assert_memory_equal(b.data, "first", 5);
	assert_int_equal(t_read(c->st, ids[1], &b), CL_OK);
	assert_int_equal(b.len, 11);
	assert_memory_equal(b.data, "second file", 11);

	/* A second request with no attachments and no notifications. */
	bson_destroy(&doc);
	t_doc(&doc, &other, NULL, 0, 0);
	assert_int_equal(cl_store_put(c->st, &doc, NULL), CL_OK);
	assert_int_equal(t_count(c->st), 2);
	assert_int_equal(cl_store_get(c->st, CL_KEY_REFERENCE, other.reference,
			     &got),
	    CL_OK);
	assert_true(bson_equal(&doc, &got));
	bson_destroy(&got);
	bson_destroy(&doc);
	cl_buf_free(&b);
}

/* Store data as a blob written step bytes at a time, link it, read it. */
static void
check_blob(cl_store *st, const unsigned char *data, size_t n, size_t step)
{
	char id[CL_BLOB_ID_MAX];
	const char *blobs[1] = { id };
	struct t_keys k;
	cl_buf b = CL_BUF_INIT;
	bson_t doc;

	t_blob(st, data, n, step, id);
	t_keys_new(&k);
	t_doc(&doc, &k, blobs, 1, 0);
	assert_int_equal(cl_store_put(st, &doc, NULL), CL_OK);
	bson_destroy(&doc);
	assert_int_equal(t_read(st, id, &b), CL_OK);
	assert_int_equal(b.len, n);
	if (n > 0)
		assert_true(memcmp(b.data, data, n) == 0);
	cl_buf_free(&b);
}

/* Several MiB of random bytes in many small writes of varying sizes. */
static void
test_blob_small_writes(void **state)
{
	struct t_case *c = *state;
	size_t n = 3 * MIB + 12345, off, len;
	unsigned char *data, r[2];
	char id[CL_BLOB_ID_MAX];
	const char *blobs[1] = { id };
	struct t_keys k;
	cl_buf b = CL_BUF_INIT;
	cl_blob *w;
	bson_t doc;

	data = malloc(n);
	assert_non_null(data);
	t_random(data, n);
	assert_int_equal(cl_store_blob_open(c->st, "many.bin", &w), CL_OK);
	for (off = 0; off < n; off += len) {
		t_random(r, sizeof r);
		len = 1 + ((size_t)r[0] << 8 | r[1]) % 9000;
		if (len > n - off)
			len = n - off;
		assert_int_equal(cl_blob_write(w, data + off, len), CL_OK);
	}
	assert_int_equal(cl_blob_write(w, data, 0), CL_OK);
	assert_int_equal(cl_blob_finish(w, id), CL_OK);
	t_keys_new(&k);
	t_doc(&doc, &k, blobs, 1, 0);
	assert_int_equal(cl_store_put(c->st, &doc, NULL), CL_OK);
	bson_destroy(&doc);
	assert_int_equal(t_read(c->st, id, &b), CL_OK);
	assert_int_equal(b.len, n);
	assert_true(memcmp(b.data, data, n) == 0);
	cl_buf_free(&b);
	free(data);
}

/* Several MiB in one write, and sizes around common chunk boundaries. */
static void
test_blob_large_write(void **state)
{
	struct t_case *c = *state;
	static const size_t sizes[] = {
		0,
		1,
		255 * 1024 - 1,
		255 * 1024,
		255 * 1024 + 1,
		256 * 1024 - 1,
		256 * 1024,
		256 * 1024 + 1,
		512 * 1024,
	};
	size_t n = 5 * MIB + 7, i;
	unsigned char *data;

	data = malloc(n);
	assert_non_null(data);
	t_random(data, n);
	check_blob(c->st, data, n, 0);
	for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		check_blob(c->st, data + i, sizes[i], 0);
		check_blob(c->st, data + i, sizes[i], 4096);
	}
	free(data);
}

/* A sink that fails after the first call. */
static cl_err
failing_sink(void *arg, const void *p, size_t n)
{
	int *calls = arg;

	(void)p;
	(void)n;
	return ++*calls > 1 ? CL_ECLOSED : CL_OK;
}

/* A sink's error stops the read and comes back as is. */
static void
test_blob_read_sink_error(void **state)
{
	struct t_case *c = *state;
	size_t n = 2 * MIB;
	unsigned char *data;
	char id[CL_BLOB_ID_MAX];
	const char *blobs[1] = { id };
	struct t_keys k;
	bson_t doc;
	int calls = 0;

	data = calloc(1, n);
	assert_non_null(data);
	t_blob(c->st, data, n, 0, id);
	t_keys_new(&k);
	t_doc(&doc, &k, blobs, 1, 0);
	assert_int_equal(cl_store_put(c->st, &doc, NULL), CL_OK);
	bson_destroy(&doc);
	assert_int_equal(cl_store_blob_read(c->st, id, failing_sink, &calls),
	    CL_ECLOSED);
	assert_int_equal(calls, 2);
	/* The store is fine afterwards. */
	assert_int_equal(cl_store_ping(c->st), CL_OK);
	assert_int_equal(t_count(c->st), 1);
	free(data);
}

/* A finished blob no request references is invisible to readers. */
static void
test_blob_unlinked_unreadable(void **state)
{
	struct t_case *c = *state;
	char id[CL_BLOB_ID_MAX], unknown[CL_BLOB_ID_MAX];
	const char *blobs[1] = { id };
	struct t_keys k;
	cl_buf b = CL_BUF_INIT;
	bson_t doc;

	t_blob(c->st, "hidden", 6, 0, id);
	assert_int_equal(t_read(c->st, id, &b), CL_ENOTFOUND);
	assert_int_equal(b.len, 0);
	memcpy(unknown, id, sizeof unknown);
	unknown[0] = unknown[0] == 'a' ? 'b' : 'a';
	assert_int_equal(t_read(c->st, unknown, &b), CL_ENOTFOUND);
	assert_int_equal(t_read(c->st, "no-such-blob", &b), CL_ENOTFOUND);
	t_keys_new(&k);
	t_doc(&doc, &k, blobs, 1, 0);
	assert_int_equal(cl_store_put(c->st, &doc, NULL), CL_OK);
	bson_destroy(&doc);
	assert_int_equal(t_read(c->st, id, &b), CL_OK);
	assert_int_equal(b.len, 6);
	assert_memory_equal(b.data, "hidden", 6);
	cl_buf_free(&b);
}

/* An aborted blob leaves nothing behind, not even for the sweeper. */
static void
test_blob_abort(void **state)
{
	struct t_case *c = *state;
	unsigned char *data;
	int64_t removed = -1;
	cl_blob *w;

	data = calloc(1, MIB);
	assert_non_null(data);
	assert_int_equal(cl_store_blob_open(c->st, "a.bin", &w), CL_OK);
	assert_int_equal(cl_blob_write(w, data, MIB), CL_OK);
	assert_int_equal(cl_blob_write(w, data, 1000), CL_OK);
	cl_blob_abort(w);
	assert_int_equal(cl_store_blob_open(c->st, "b.bin", &w), CL_OK);
	cl_blob_abort(w);
	cl_blob_abort(NULL);
	assert_int_equal(cl_store_sweep(c->st, t_now_ms() + 3600 * 1000,
			     &removed),
	    CL_OK);
	assert_int_equal(removed, 0);
	assert_int_equal(t_count(c->st), 0);
	free(data);
}

/* Unlinked blobs can be deleted, linked ones cannot. */
static void
test_blob_delete(void **state)
{
	struct t_case *c = *state;
	char gone[CL_BLOB_ID_MAX], kept[CL_BLOB_ID_MAX];
	const char *blobs[1];
	struct t_keys k;
	cl_buf b = CL_BUF_INIT;
	bson_t doc;

	t_blob(c->st, "to delete", 9, 0, gone);
	t_blob(c->st, "to keep", 7, 0, kept);
	assert_int_equal(cl_store_blob_delete(c->st, gone), CL_OK);
	assert_int_equal(cl_store_blob_delete(c->st, gone), CL_ENOTFOUND);
	assert_int_equal(cl_store_blob_delete(c->st, "no-such-blob"),
	    CL_ENOTFOUND);
	assert_int_equal(t_read(c->st, gone, &b), CL_ENOTFOUND);

	/* A deleted blob cannot be linked. */
	blobs[0] = gone;
	t_keys_new(&k);
	t_doc(&doc, &k, blobs, 1, 0);
	assert_int_equal(cl_store_put(c->st, &doc, NULL), CL_EINVAL);
	bson_destroy(&doc);
	assert_int_equal(t_count(c->st), 0);

	blobs[0] = kept;
	t_doc(&doc, &k, blobs, 1, 0);
	assert_int_equal(cl_store_put(c->st, &doc, NULL), CL_OK);
	bson_destroy(&doc);
	assert_int_equal(cl_store_blob_delete(c->st, kept), CL_EINVAL);
	assert_int_equal(t_read(c->st, kept, &b), CL_OK);
	assert_int_equal(b.len, 7);
	assert_memory_equal(b.data, "to keep", 7);
	cl_buf_free(&b);
}

/* Put doc expecting CL_EINVAL, then check nothing of k got stored. */
static void
put_invalid(cl_store *st, bson_t *doc, const struct t_keys *k)
{
	bson_t got;

	assert_int_equal(cl_store_put(st, doc, NULL), CL_EINVAL);
	bson_destroy(doc);
	assert_int_equal(cl_store_get(st, CL_KEY_TOKEN, k->token, &got),
	    CL_ENOTFOUND);
	assert_int_equal(cl_store_get(st, CL_KEY_REFERENCE, k->reference, &got),
	    CL_ENOTFOUND);
	assert_int_equal(cl_store_get(st, CL_KEY_IDEMPOTENCY, k->idem, &got),
	    CL_ENOTFOUND);
	assert_int_equal(t_count(st), 0);
}

/* Copy of src without the top-level key skip. */
static void
doc_without(const bson_t *src, const char *skip, bson_t *dst)
{
	bson_init(dst);
	bson_copy_to_excluding_noinit(src, dst, skip, NULL);
}

/* Documents missing a required key, or with it of the wrong type. */
static void
test_put_invalid(void **state)
{
	struct t_case *c = *state;
	static const char *const required[] = {
		"token",
		"reference",
		"idempotency_key",
		"received_ms",
	};
	char id[CL_BLOB_ID_MAX];
	const char *blobs[1] = { id };
	struct t_keys k;
	bson_t full, doc, el, arr;
	cl_buf b = CL_BUF_INIT;
	size_t i;

	t_blob(c->st, "attached", 8, 0, id);
	t_keys_new(&k);
	t_doc(&full, &k, blobs, 1, 1);

	bson_init(&doc);
	put_invalid(c->st, &doc, &k);
	for (i = 0; i < sizeof required / sizeof required[0]; i++) {
		doc_without(&full, required[i], &doc);
		put_invalid(c->st, &doc, &k);
	}
	/* Wrong types. */
	doc_without(&full, "token", &doc);
	BSON_APPEND_INT32(&doc, "token", 42);
	put_invalid(c->st, &doc, &k);
	doc_without(&full, "token", &doc);
	BSON_APPEND_UTF8(&doc, "token", "");
	put_invalid(c->st, &doc, &k);
	doc_without(&full, "received_ms", &doc);
	BSON_APPEND_UTF8(&doc, "received_ms", "1700000000000");
	put_invalid(c->st, &doc, &k);
	doc_without(&full, "attachments", &doc);
	BSON_APPEND_UTF8(&doc, "attachments", id);
	put_invalid(c->st, &doc, &k);
	doc_without(&full, "attachments", &doc);
	BSON_APPEND_ARRAY_BEGIN(&doc, "attachments", &arr);
	BSON_APPEND_DOCUMENT_BEGIN(&arr, "0", &el);
	BSON_APPEND_UTF8(&el, "name", "no id.pdf");
	bson_append_document_end(&arr, &el);
	bson_append_array_end(&doc, &arr);
	put_invalid(c->st, &doc, &k);

	/*
	 * What one of the stores cannot hold, at any depth, is refused by
	 * both: keys with '.' or a leading '$', NUL in a string, an array in
	 * an array, a NaN.
	 */
	{
		static const char *const keys[] = { "a.b", "$where", "" };
		bson_t f, inner;

		for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
			bson_copy_to(&full, &doc);
			BSON_APPEND_DOCUMENT_BEGIN(&doc, "extra", &f);
			BSON_APPEND_UTF8(&f, keys[i], "x");
			bson_append_document_end(&doc, &f);
			put_invalid(c->st, &doc, &k);
		}
		bson_copy_to(&full, &doc);
		BSON_APPEND_DOCUMENT_BEGIN(&doc, "extra", &f);
		bson_append_utf8(&f, "note", -1, "a\0b", 3);
		bson_append_document_end(&doc, &f);
		put_invalid(c->st, &doc, &k);
		bson_copy_to(&full, &doc);
		BSON_APPEND_ARRAY_BEGIN(&doc, "extra", &arr);
		BSON_APPEND_ARRAY_BEGIN(&arr, "0", &inner);
		BSON_APPEND_INT32(&inner, "0", 1);
		bson_append_array_end(&arr, &inner);
		bson_append_array_end(&doc, &arr);
		put_invalid(c->st, &doc, &k);
		bson_copy_to(&full, &doc);
		BSON_APPEND_DOUBLE(&doc, "extra", NAN);
		put_invalid(c->st, &doc, &k);
	}

	/* The blob was never linked: still unreadable, and linkable now. */
	assert_int_equal(t_read(c->st, id, &b), CL_ENOTFOUND);
	assert_int_equal(cl_store_put(c->st, &full, NULL), CL_OK);
	assert_int_equal(t_count(c->st), 1);
	assert_int_equal(t_read(c->st, id, &b), CL_OK);
	assert_int_equal(b.len, 8);
	bson_destroy(&full);
	cl_buf_free(&b);
}

/* A repeated idempotency key gives CL_EDUP and the first token. */
static void
test_put_dup_idempotency(void **state)
{
	struct t_case *c = *state;
	char id1[CL_BLOB_ID_MAX], id2[CL_BLOB_ID_MAX];
	const char *blobs[1];
	char existing[CL_TOKEN_MAX];
	struct t_keys k1, k2;
	cl_buf b = CL_BUF_INIT;
	bson_t doc, got;

	t_blob(c->st, "one", 3, 0, id1);
	t_blob(c->st, "two", 3, 0, id2);
	t_keys_new(&k1);
	blobs[0] = id1;
	t_doc(&doc, &k1, blobs, 1, 1);
	assert_int_equal(cl_store_put(c->st, &doc, NULL), CL_OK);
	bson_destroy(&doc);

	t_keys_new(&k2);
	memcpy(k2.idem, k1.idem, sizeof k2.idem);
	blobs[0] = id2;
	t_doc(&doc, &k2, blobs, 1, 1);
	memset(existing, 'x', sizeof existing);
	assert_int_equal(cl_store_put(c->st, &doc, existing), CL_EDUP);
	assert_string_equal(existing, k1.token);
	assert_int_equal(cl_store_put(c->st, &doc, NULL), CL_EDUP);
	bson_destroy(&doc);

	assert_int_equal(t_count(c->st), 1);
	assert_int_equal(cl_store_get(c->st, CL_KEY_TOKEN, k2.token, &got),
	    CL_ENOTFOUND);
	assert_int_equal(cl_store_get(c->st, CL_KEY_REFERENCE, k2.reference,
			     &got),
	    CL_ENOTFOUND);
	assert_int_equal(cl_store_get(c->st, CL_KEY_IDEMPOTENCY, k1.idem, &got),
	    CL_OK);
	{
		bson_iter_t it;

		assert_true(bson_iter_init_find(&it, &got, "token"));
		assert_string_equal(bson_iter_utf8(&it, NULL), k1.token);
	}
	bson_destroy(&got);
	/* The second request's blob stayed unlinked: unreadable, deletable. */
	assert_int_equal(t_read(c->st, id2, &b), CL_ENOTFOUND);
	assert_int_equal(cl_store_blob_delete(c->st, id2), CL_OK);
	assert_int_equal(t_read(c->st, id1, &b), CL_OK);
	assert_memory_equal(b.data, "one", 3);
	cl_buf_free(&b);
}

/* A reference or token collision gives CL_EDUP with an empty token. */
static void
test_put_key_collision(void **state)
{
	struct t_case *c = *state;
	char id[CL_BLOB_ID_MAX];
	const char *blobs[1] = { id };
	char existing[CL_TOKEN_MAX];
	struct t_keys k1, k2;
	cl_buf b = CL_BUF_INIT;
	bson_t doc, got;

	t_blob(c->st, "blob", 4, 0, id);
	assert_int_equal(t_put_simple(c->st, &k1), CL_OK);

	t_keys_new(&k2);
	memcpy(k2.reference, k1.reference, sizeof k2.reference);
	t_doc(&doc, &k2, blobs, 1, 1);
	memcpy(existing, "stale", 6);
	assert_int_equal(cl_store_put(c->st, &doc, existing), CL_EDUP);
	assert_string_equal(existing, "");
	bson_destroy(&doc);
	assert_int_equal(cl_store_get(c->st, CL_KEY_TOKEN, k2.token, &got),
	    CL_ENOTFOUND);
	assert_int_equal(cl_store_get(c->st, CL_KEY_IDEMPOTENCY, k2.idem, &got),
	    CL_ENOTFOUND);

	t_keys_new(&k2);
	memcpy(k2.token, k1.token, sizeof k2.token);
	t_doc(&doc, &k2, blobs, 1, 1);
	memcpy(existing, "stale", 6);
	assert_int_equal(cl_store_put(c->st, &doc, existing), CL_EDUP);
	assert_string_equal(existing, "");
	bson_destroy(&doc);
	assert_int_equal(cl_store_get(c->st, CL_KEY_REFERENCE, k2.reference,
			     &got),
	    CL_ENOTFOUND);

	assert_int_equal(t_count(c->st), 1);
	assert_int_equal(t_read(c->st, id, &b), CL_ENOTFOUND);
	/* The caller retries with new keys, and the blob links then. */
	t_keys_new(&k2);
	t_doc(&doc, &k2, blobs, 1, 1);
	assert_int_equal(cl_store_put(c->st, &doc, existing), CL_OK);
	bson_destroy(&doc);
	assert_int_equal(t_count(c->st), 2);
	assert_int_equal(t_read(c->st, id, &b), CL_OK);
	cl_buf_free(&b);
}

/* A document naming an unknown blob stores nothing at all. */
static void
test_put_unknown_blob(void **state)
{
	struct t_case *c = *state;
	char good[CL_BLOB_ID_MAX], bad[CL_BLOB_ID_MAX];
	const char *blobs[2] = { good, bad };
	struct t_keys k;
	cl_buf b = CL_BUF_INIT;
	bson_t doc;

	t_blob(c->st, "good", 4, 0, good);
	memcpy(bad, good, sizeof bad);
	bad[1] = bad[1] == '0' ? '1' : '0';
	t_keys_new(&k);
	t_doc(&doc, &k, blobs + 1, 1, 1);
	put_invalid(c->st, &doc, &k);
	/* The good blob first, then the unknown one: all undone. */
	t_doc(&doc, &k, blobs, 2, 1);
	put_invalid(c->st, &doc, &k);
	assert_int_equal(t_read(c->st, good, &b), CL_ENOTFOUND);
	/* The same keys work afterwards: nothing of them was kept. */
	t_doc(&doc, &k, blobs, 1, 1);
	assert_int_equal(cl_store_put(c->st, &doc, NULL), CL_OK);
	bson_destroy(&doc);
	assert_int_equal(t_count(c->st), 1);
	assert_int_equal(t_read(c->st, good, &b), CL_OK);
	cl_buf_free(&b);
}

/* A blob belongs to one request: no other, and not twice in one. */
static void
test_blob_linked_once(void **state)
{
	struct t_case *c = *state;
	char x[CL_BLOB_ID_MAX], y[CL_BLOB_ID_MAX];
	const char *blobs[2];
	struct t_keys k1, k2;
	cl_buf b = CL_BUF_INIT;
	bson_t doc, got;

	t_blob(c->st, "xx", 2, 0, x);
	t_blob(c->st, "yy", 2, 0, y);
	blobs[0] = x;
	t_keys_new(&k1);
	t_doc(&doc, &k1, blobs, 1, 0);
	assert_int_equal(cl_store_put(c->st, &doc, NULL), CL_OK);
	bson_destroy(&doc);

	t_keys_new(&k2);
	blobs[0] = y;
	blobs[1] = x;
	t_doc(&doc, &k2, blobs, 2, 0);
	assert_int_equal(cl_store_put(c->st, &doc, NULL), CL_EINVAL);
	bson_destroy(&doc);
	assert_int_equal(cl_store_get(c->st, CL_KEY_TOKEN, k2.token, &got),
	    CL_ENOTFOUND);
	blobs[1] = y;
	t_doc(&doc, &k2, blobs, 2, 0);
	assert_int_equal(cl_store_put(c->st, &doc, NULL), CL_EINVAL);
	bson_destroy(&doc);
	assert_int_equal(t_count(c->st), 1);
	assert_int_equal(t_read(c->st, y, &b), CL_ENOTFOUND);
	assert_int_equal(t_read(c->st, x, &b), CL_OK);
	assert_memory_equal(b.data, "xx", 2);
	assert_int_equal(cl_store_blob_delete(c->st, x), CL_EINVAL);
	cl_buf_free(&b);
}

/* The sweeper removes old unlinked blobs and never a linked one. */
static void
test_sweep(void **state)
{
	struct t_case *c = *state;
	char linked[CL_BLOB_ID_MAX], loose[CL_BLOB_ID_MAX];
	const char *blobs[1] = { linked };
	unsigned char big[300 * 1024];
	int64_t removed, before;
	struct t_keys k;
	cl_buf b = CL_BUF_INIT;
	bson_t doc;

	t_random(big, sizeof big);
	before = t_now_ms() - 1000;
	t_blob(c->st, big, sizeof big, 0, linked);
	t_blob(c->st, big, sizeof big, 1000, loose);
	t_keys_new(&k);
	t_doc(&doc, &k, blobs, 1, 0);
	assert_int_equal(cl_store_put(c->st, &doc, NULL), CL_OK);
	bson_destroy(&doc);

	/* Nothing was started before a second ago. */
	removed = -1;
	assert_int_equal(cl_store_sweep(c->st, before, &removed), CL_OK);
	assert_int_equal(removed, 0);
	assert_int_equal(cl_store_blob_delete(c->st, "no-such-blob"),
	    CL_ENOTFOUND);
	assert_int_equal(cl_store_sweep(c->st, t_now_ms() + 60000, &removed),
	    CL_OK);
	assert_int_equal(removed, 1);
	assert_int_equal(cl_store_blob_delete(c->st, loose), CL_ENOTFOUND);
	assert_int_equal(cl_store_sweep(c->st, t_now_ms() + 60000, NULL),
	    CL_OK);
	assert_int_equal(cl_store_sweep(c->st, t_now_ms() + 60000, &removed),
	    CL_OK);
	assert_int_equal(removed, 0);
	assert_int_equal(t_read(c->st, linked, &b), CL_OK);
	assert_int_equal(b.len, sizeof big);
	assert_true(memcmp(b.data, big, sizeof big) == 0);
	assert_int_equal(t_count(c->st), 1);
	cl_buf_free(&b);
}

/*
 * Requests counted by email address: the address compares without regard
 * to the case of ASCII letters (other bytes exactly), only requests
 * received at or after the bound count, other addresses and requests
 * without one never do, and the stored documents still come back exactly
 * as they were put, from a get and from an outbox claim.
 */
static void
test_count_by_email(void **state)
{
	struct t_case *c = *state;
	static const char *const alex[] = {
		"Alex@Example.org",
		"alex@example.org",
		"ALEX@EXAMPLE.ORG",
	};
	struct t_keys k, first;
	cl_notification *v;
	bson_t doc, got;
	int64_t t0, n;
	size_t i, nv;

	t0 = t_now_ms();
	assert_int_equal(t_put_email(c->st, &first, alex[0], t0 - 2000), CL_OK);
	assert_int_equal(t_put_email(c->st, &k, alex[1], t0 - 1000), CL_OK);
	assert_int_equal(t_put_email(c->st, &k, alex[2], t0), CL_OK);
	assert_int_equal(t_put_email(c->st, &k, "alex@example.org", 1), CL_OK);
	assert_int_equal(t_put_email(c->st, &k, "sam@example.org", t0), CL_OK);
	assert_int_equal(t_put_email(c->st, &k, "alex@example.org.uk", t0),
	    CL_OK);
	assert_int_equal(t_put_email(c->st, &k, "xalex@example.org", t0),
	    CL_OK);
	assert_int_equal(t_put_email(c->st, &k, "Zo\xc3\xab@example.org", t0),
	    CL_OK);
	assert_int_equal(t_put_simple(c->st, &k), CL_OK);
	assert_int_equal(t_count(c->st), 9);

	for (i = 0; i < 3; i++) {
		assert_int_equal(t_count_email(c->st, alex[i], 0), 4);
		assert_int_equal(t_count_email(c->st, alex[i], t0 - 5000), 3);
		assert_int_equal(t_count_email(c->st, alex[i], t0 - 1000), 2);
		assert_int_equal(t_count_email(c->st, alex[i], t0 - 999), 1);
		assert_int_equal(t_count_email(c->st, alex[i], t0), 1);
		assert_int_equal(t_count_email(c->st, alex[i], t0 + 1), 0);
	}
	assert_int_equal(t_count_email(c->st, "SAM@example.org", t0), 1);
	assert_int_equal(t_count_email(c->st, "nobody@example.org", 0), 0);
	assert_int_equal(t_count_email(c->st, "example.org", 0), 0);
	/* Only ASCII letters fold: the e with diaeresis is the same bytes. */
	assert_int_equal(t_count_email(c->st, "ZO\xc3\xab@EXAMPLE.ORG", 0), 1);
	assert_int_equal(t_count_email(c->st, "ZO\xc3\x8b@EXAMPLE.ORG", 0), 0);

	n = 7;
	assert_int_equal(cl_store_count_by_email(c->st, NULL, 0, &n),
	    CL_EINVAL);
	assert_int_equal(n, 0);
	n = 7;
	assert_int_equal(cl_store_count_by_email(c->st, "", 0, &n), CL_EINVAL);
	assert_int_equal(n, 0);

	/* A "+tag" in the local part goes; a leading '+' is the address. */
	assert_int_equal(t_put_email(c->st, &k, "Sam+News@example.org", t0),
	    CL_OK);
	assert_int_equal(t_put_email(c->st, &k, "sam+a+b@example.org", t0),
	    CL_OK);
	assert_int_equal(t_put_email(c->st, &k, "+sam@example.org", t0), CL_OK);
	assert_int_equal(t_count_email(c->st, "sam@example.org", t0), 3);
	assert_int_equal(t_count_email(c->st, "SAM+other@Example.org", t0), 3);
	assert_int_equal(t_count_email(c->st, "+sam@example.org", t0), 1);
	assert_int_equal(t_count_email(c->st, "+SAM+x@example.org", t0), 1);

	/* A get gives the document back exactly, address as it was sent. */
	t_doc_email(&doc, &first, alex[0]);
	assert_int_equal(cl_store_get(c->st, CL_KEY_TOKEN, first.token, &got),
	    CL_OK);
	assert_true(bson_equal(&doc, &got));
	bson_destroy(&got);
	bson_destroy(&doc);

	/* So do the request documents of claimed notifications. */
	assert_int_equal(cl_store_outbox_claim(c->st, t0 + 60000, 60000, "m1",
			     100, &v, &nv),
	    CL_OK);
	assert_int_equal(nv, 22);
	for (i = 0; i < nv; i++) {
		bson_iter_t it;

		assert_non_null(v[i].request);
		assert_true(bson_iter_init_find(&it, v[i].request, "token"));
		assert_int_equal(cl_store_get(c->st, CL_KEY_TOKEN,
				     bson_iter_utf8(&it, NULL), &got),
		    CL_OK);
		assert_true(bson_equal(v[i].request, &got));
		bson_destroy(&got);
	}
	cl_notifications_free(v, nv);
}

/*
 * A batch: each document gets its own outcome and one refused document
 * (duplicate key, bad document, unknown blob, address at its limit) never
 * fails the others; the limit counts what the batch itself stored first.
 */
static void
test_put_batch(void **state)
{
	struct t_case *c = *state;
	struct t_keys stored, k[7];
	cl_store_put_item v[7];
	const char *ghost[1] = { "no-such-blob" };
	char id[CL_BLOB_ID_MAX];
	const char *blobs[1] = { id };
	bson_t doc[7], got;
	cl_notification *nv;
	size_t nn;
	int64_t t0 = t_now_ms();

	assert_int_equal(t_put_email(c->st, &stored, "alex@example.org", t0),
	    CL_OK);
	t_blob(c->st, "evidence", 8, 0, id);
	for (int i = 0; i < 7; i++)
		t_keys_new(&k[i]);
	k[1] = stored; /* same idempotency key as stored */
	snprintf(k[1].token, sizeof k[1].token, "%s", k[2].token);
	snprintf(k[1].reference, sizeof k[1].reference, "CIR-DUP1-%04d",
	    (int)(t0 % 10000));
	snprintf(k[6].idem, sizeof k[6].idem, "%s", k[0].idem); /* as item 0 */
	t_doc_email(&doc[0], &k[0], "Alex@Example.org");
	t_doc_email(&doc[1], &k[1], "sam@example.org");
	bson_init(&doc[2]); /* no token: a bad document */
	BSON_APPEND_UTF8(&doc[2], "reference", k[2].reference);
	t_doc_email(&doc[3], &k[3], "ALEX@example.org");
	t_doc(&doc[4], &k[4], ghost, 1, 1); /* an unknown blob */
	t_doc(&doc[5], &k[5], blobs, 1, 1);
	t_doc_email(&doc[6], &k[6], "kim@example.org");
	for (int i = 0; i < 7; i++) {
		memset(&v[i], 0, sizeof v[i]);
		v[i].doc = &doc[i];
		v[i].email_max = 2;
		v[i].email_since_ms = t0 - 60000;
	}
	assert_int_equal(cl_store_put_batch(c->st, v, 7), CL_OK);
	assert_int_equal(v[0].rc, CL_OK);
	assert_int_equal(v[1].rc, CL_EDUP);
	assert_string_equal(v[1].existing_token, stored.token);
	assert_int_equal(v[2].rc, CL_EINVAL);
	assert_int_equal(v[3].rc, CL_ELIMIT); /* the batch's item 0 counted */
	assert_int_equal(v[4].rc, CL_EINVAL);
	assert_int_equal(v[5].rc, CL_OK);
	assert_int_equal(v[6].rc, CL_EDUP);
	assert_string_equal(v[6].existing_token, k[0].token);

	/* Stored: the first request, items 0 and 5; nothing of the others. */
	assert_int_equal(t_count(c->st), 3);
	assert_int_equal(t_count_email(c->st, "alex@example.org", 0), 2);
	for (int i = 0; i < 7; i++) {
		cl_err want = i == 0 || i == 5 ? CL_OK : CL_ENOTFOUND;

		if (i == 1 || i == 2)
			continue; /* shares keys with others */
		assert_int_equal(cl_store_get(c->st, CL_KEY_TOKEN, k[i].token,
				     &got),
		    want);
		if (want == CL_OK) {
			assert_true(bson_equal(&doc[i], &got));
			bson_destroy(&got);
		}
	}
	/* Item 5's blob is linked and readable; the outbox has 2 x 3 rows. */
	{
		cl_buf b = CL_BUF_INIT;

		assert_int_equal(t_read(c->st, id, &b), CL_OK);
		assert_int_equal(b.len, 8);
		cl_buf_free(&b);
	}
	assert_int_equal(cl_store_outbox_claim(c->st, t0 + 3600000, 60000, "m",
			     100, &nv, &nn),
	    CL_OK);
	assert_int_equal(nn, 6);
	cl_notifications_free(nv, nn);
	for (int i = 0; i < 7; i++)
		bson_destroy(&doc[i]);
}

/* nftw callback: remove one entry. */
static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest common[] = {
		cmocka_unit_test_setup_teardown(test_ping, t_setup, t_teardown),
		cmocka_unit_test(test_open_bad_spec),
		cmocka_unit_test_setup_teardown(test_put_get_roundtrip, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_blob_small_writes, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_blob_large_write, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_blob_read_sink_error,
		    t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(test_blob_unlinked_unreadable,
		    t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(test_blob_abort, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_blob_delete, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_put_invalid, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_put_dup_idempotency,
		    t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(test_put_key_collision, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_put_unknown_blob, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_blob_linked_once, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_sweep, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_count_by_email, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_put_batch, t_setup,
		    t_teardown),
	};
	const char *uri;
	char group[64];
	int fails;

	if (argc != 2 ||
	    (strcmp(argv[1], "sqlite") != 0 &&
		strcmp(argv[1], "mongodb") != 0)) {
		fprintf(stderr, "usage: store_conformance sqlite|mongodb\n");
		return 2;
	}
	snprintf(t_env.run_id, sizeof t_env.run_id, "callin_conf_%ld_%ld",
	    (long)getpid(), (long)time(NULL));
	if (strcmp(argv[1], "mongodb") == 0) {
		if ((uri = getenv("MONGODB_URI")) == NULL || *uri == '\0') {
			printf("skipped: MONGODB_URI not set\n");
			return 77;
		}
		t_env.mongo_uri = strdup(uri);
	} else {
		const char *tmp = getenv("TMPDIR");

		t_env.sqlite = 1;
		snprintf(t_env.dir, sizeof t_env.dir, "%s/callin-store-XXXXXX",
		    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
		if (mkdtemp(t_env.dir) == NULL) {
			perror("mkdtemp");
			return 1;
		}
	}
	snprintf(group, sizeof group, "store conformance (%s)", argv[1]);
	fails = cmocka_run_group_tests_name(group, common, NULL, NULL);
	fails += t_outbox_group();
	fails += t_args_group();
	fails += t_log_group();
	if (t_env.sqlite) {
		fails += t_sqlite_group();
		if (fails == 0)
			nftw(t_env.dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
		else
			fprintf(stderr, "store files kept in %s\n", t_env.dir);
	}
	free(t_env.mongo_uri);
	return fails == 0 ? 0 : 1;
}

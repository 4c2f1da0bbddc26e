/*
 * args.c: the argument errors of the store conformance suite.  Each call a
 * caller can get wrong gets the one code store.h names for it, whatever the
 * backend (the same test runs on SQLite and on MongoDB/FerretDB), and
 * leaves nothing stored.  The cases where the backends once disagreed are
 * marked "(was: ...)".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_test.h"

#define LEASE 60000 /* ms */

/* Assert that st holds no request and no outbox entry due by far_ms. */
static void
assert_empty(cl_store *st, int64_t far_ms)
{
	cl_notification *v;
	size_t n;

	assert_int_equal(t_count(st), 0);
	assert_int_equal(cl_store_outbox_claim(st, far_ms, LEASE, "probe", 10,
			     &v, &n),
	    CL_OK);
	assert_int_equal(n, 0);
	cl_notifications_free(v, n);
}

/* cl_store_get(): a NULL value is CL_ENOTFOUND (was: CL_EINVAL on SQLite). */
static void
test_args_get(void **state)
{
	struct t_case *c = *state;
	struct t_keys k;
	bson_t got;

	assert_int_equal(t_put_simple(c->st, &k), CL_OK);
	assert_int_equal(cl_store_get(c->st, CL_KEY_TOKEN, NULL, &got),
	    CL_ENOTFOUND);
	assert_int_equal(got.len, 5); /* empty, nothing to free */
	assert_int_equal(cl_store_get(c->st, CL_KEY_REFERENCE, NULL, &got),
	    CL_ENOTFOUND);
	assert_int_equal(cl_store_get(c->st, CL_KEY_IDEMPOTENCY, NULL, &got),
	    CL_ENOTFOUND);
	assert_int_equal(cl_store_get(c->st, CL_KEY_TOKEN, "", &got),
	    CL_ENOTFOUND);
	assert_int_equal(cl_store_get(c->st, (cl_store_key)42, k.token, &got),
	    CL_EINVAL);
	assert_int_equal(got.len, 5);
	assert_int_equal(cl_store_get(c->st, CL_KEY_TOKEN, k.token, &got),
	    CL_OK);
	bson_destroy(&got);
}

/*
 * Blobs: a NULL name is CL_EINVAL (was: stored as "" on SQLite); a NULL,
 * empty or malformed id to delete or read is CL_ENOTFOUND.
 */
static void
test_args_blobs(void **state)
{
	struct t_case *c = *state;
	static const char *const bad[] = { "", "zz",
		"0123456789abcdef01234567x" };
	cl_blob *w = (cl_blob *)&w;
	cl_buf b = CL_BUF_INIT;
	size_t i;

	assert_int_equal(cl_store_blob_open(c->st, NULL, &w), CL_EINVAL);
	assert_null(w);
	assert_int_equal(cl_store_blob_delete(c->st, NULL), CL_ENOTFOUND);
	assert_int_equal(t_read(c->st, NULL, &b), CL_ENOTFOUND);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(cl_store_blob_delete(c->st, bad[i]),
		    CL_ENOTFOUND);
		assert_int_equal(t_read(c->st, bad[i], &b), CL_ENOTFOUND);
	}
	assert_int_equal(b.len, 0);
	cl_buf_free(&b);
}

/*
 * cl_store_put(): a NULL document, one with a reserved key (was: taken by
 * SQLite), one naming a blob twice (was: CL_EDUP on SQLite when its
 * idempotency key was stored, CL_EINVAL on MongoDB) and badly shaped
 * notifications are CL_EINVAL, with nothing stored.
 */
static void
test_args_put(void **state)
{
	struct t_case *c = *state;
	static const char *const reserved[] = {
		"outbox",
		"email_lc",
		"confirmed_ms",
	};
	char id[CL_BLOB_ID_MAX], tok[CL_TOKEN_MAX];
	const char *twice[2] = { id, id };
	struct t_keys k, first;
	bson_t full, doc;
	size_t i;

	assert_int_equal(cl_store_put(c->st, NULL, NULL), CL_EINVAL);
	t_keys_new(&k);
	t_doc(&full, &k, NULL, 0, 1);
	for (i = 0; i < sizeof reserved / sizeof reserved[0]; i++) {
		bson_copy_to(&full, &doc);
		BSON_APPEND_INT64(&doc, reserved[i], 1);
		assert_int_equal(cl_store_put(c->st, &doc, NULL), CL_EINVAL);
		bson_destroy(&doc);
	}
	/* Notifications: not an array, a kind that is empty or missing, a
	 * recipient that is not a string, a bad message_id or due_ms. */
	{
		static const char *const shapes[] = {
			"{\"notifications\": \"x\"}",
			"{\"notifications\": [\"x\"]}",
			"{\"notifications\": [{\"kind\": \"\", \"to\": [\"a@b\"]}]}",
			"{\"notifications\": [{\"to\": [\"a@b\"]}]}",
			"{\"notifications\": [{\"kind\": \"k\"}]}",
			"{\"notifications\": [{\"kind\": \"k\", \"to\": [1]}]}",
			"{\"notifications\": [{\"kind\": \"k\", \"to\": [\"\"]}]}",
			"{\"notifications\": [{\"kind\": \"k\", \"to\": [\"a@b\"], \"message_id\": 7}]}",
			"{\"notifications\": [{\"kind\": \"k\", \"to\": [\"a@b\"], \"due_ms\": \"soon\"}]}",
		};
		bson_t *extra;
		bson_error_t err;

		for (i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
			extra = bson_new_from_json((const uint8_t *)shapes[i],
			    -1, &err);
			assert_non_null(extra);
			bson_init(&doc);
			bson_copy_to_excluding_noinit(&full, &doc,
			    "notifications", NULL);
			assert_true(bson_concat(&doc, extra));
			assert_int_equal(cl_store_put(c->st, &doc, NULL),
			    CL_EINVAL);
			bson_destroy(&doc);
			bson_destroy(extra);
		}
	}
	assert_empty(c->st, k.received_ms + 86400000);

	/* A blob named twice, with an idempotency key already stored. */
	assert_int_equal(t_put_simple(c->st, &first), CL_OK);
	t_blob(c->st, "twice", 5, 0, id);
	t_keys_new(&k);
	snprintf(k.idem, sizeof k.idem, "%s", first.idem);
	t_doc(&doc, &k, twice, 2, 0);
	snprintf(tok, sizeof tok, "untouched");
	assert_int_equal(cl_store_put(c->st, &doc, tok), CL_EINVAL);
	assert_string_equal(tok, "");
	bson_destroy(&doc);
	assert_int_equal(t_count(c->st), 1);

	/* The same document, shaped right, is stored. */
	assert_int_equal(cl_store_put(c->st, &full, NULL), CL_OK);
	assert_int_equal(t_count(c->st), 2);
	bson_destroy(&full);
}

/*
 * cl_store_put_batch(): an item with a NULL document is CL_EINVAL, and
 * the others are stored as if it were not there.
 */
static void
test_args_put_batch(void **state)
{
	struct t_case *c = *state;
	cl_store_put_item v[3];
	struct t_keys k[2];
	bson_t doc[2];

	memset(v, 0, sizeof v);
	t_keys_new(&k[0]);
	t_keys_new(&k[1]);
	t_doc(&doc[0], &k[0], NULL, 0, 1);
	t_doc(&doc[1], &k[1], NULL, 0, 1);
	v[0].doc = &doc[0];
	v[1].doc = NULL;
	v[2].doc = &doc[1];
	assert_int_equal(cl_store_put_batch(c->st, v, 3), CL_OK);
	assert_int_equal(v[0].rc, CL_OK);
	assert_int_equal(v[1].rc, CL_EINVAL);
	assert_int_equal(v[2].rc, CL_OK);
	assert_int_equal(t_count(c->st), 2);
	bson_destroy(&doc[0]);
	bson_destroy(&doc[1]);
}

/* cl_store_count_by_email(): a NULL or empty address is CL_EINVAL, *n 0. */
static void
test_args_count_by_email(void **state)
{
	struct t_case *c = *state;
	int64_t n = 7;

	assert_int_equal(cl_store_count_by_email(c->st, NULL, 0, &n),
	    CL_EINVAL);
	assert_int_equal(n, 0);
	n = 7;
	assert_int_equal(cl_store_count_by_email(c->st, "", 0, &n), CL_EINVAL);
	assert_int_equal(n, 0);
	assert_int_equal(cl_store_count_by_email(c->st, "a@b", 0, &n), CL_OK);
	assert_int_equal(n, 0);
}

/*
 * The outbox: a NULL or empty claim owner and a negative lease are
 * CL_EINVAL, max 0 claims nothing; a NULL, empty or malformed id and a
 * NULL or empty owner of a report are CL_ENOTFOUND and settle nothing.
 */
static void
test_args_outbox(void **state)
{
	struct t_case *c = *state;
	static const char *const bad_ids[] = {
		"",
		"x",
		"0",
		"-1",
		"12:x",
		"0123456789abcdef01234567:",
	};
	cl_notification *v = (cl_notification *)&v;
	struct t_keys k;
	bson_t doc;
	int64_t now;
	size_t n = 9, i;

	t_keys_new(&k);
	t_doc(&doc, &k, NULL, 0, 1);
	assert_int_equal(cl_store_put(c->st, &doc, NULL), CL_OK);
	bson_destroy(&doc);
	now = k.received_ms + 10;

	assert_int_equal(cl_store_outbox_claim(c->st, now, LEASE, NULL, 10, &v,
			     &n),
	    CL_EINVAL);
	assert_null(v);
	assert_int_equal(n, 0);
	assert_int_equal(cl_store_outbox_claim(c->st, now, LEASE, "", 10, &v,
			     &n),
	    CL_EINVAL);
	assert_int_equal(cl_store_outbox_claim(c->st, now, -1, "m1", 10, &v,
			     &n),
	    CL_EINVAL);
	assert_int_equal(cl_store_outbox_claim(c->st, now, LEASE, "m1", 0, &v,
			     &n),
	    CL_OK);
	assert_int_equal(n, 0);

	assert_int_equal(cl_store_outbox_claim(c->st, now, LEASE, "m1", 10, &v,
			     &n),
	    CL_OK);
	assert_int_equal(n, 2);
	assert_int_equal(cl_store_outbox_sent(c->st, NULL, "m1", now),
	    CL_ENOTFOUND);
	assert_int_equal(cl_store_outbox_failed(c->st, NULL, "m1", 0, now, "x"),
	    CL_ENOTFOUND);
	for (i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++) {
		assert_int_equal(cl_store_outbox_sent(c->st, bad_ids[i], "m1",
				     now),
		    CL_ENOTFOUND);
		assert_int_equal(cl_store_outbox_failed(c->st, bad_ids[i], "m1",
				     1, now, NULL),
		    CL_ENOTFOUND);
	}
	assert_int_equal(cl_store_outbox_sent(c->st, v[0].id, NULL, now),
	    CL_ENOTFOUND);
	assert_int_equal(cl_store_outbox_sent(c->st, v[0].id, "", now),
	    CL_ENOTFOUND);
	assert_int_equal(cl_store_outbox_failed(c->st, v[1].id, NULL, 1, now,
			     NULL),
	    CL_ENOTFOUND);
	assert_int_equal(cl_store_outbox_failed(c->st, v[1].id, "", 1, now,
			     NULL),
	    CL_ENOTFOUND);
	/* Nothing was settled: the owner still can, once each. */
	assert_int_equal(cl_store_outbox_sent(c->st, v[0].id, "m1", now),
	    CL_OK);
	assert_int_equal(cl_store_outbox_failed(c->st, v[1].id, "m1", 1, now,
			     NULL),
	    CL_OK);
	assert_int_equal(cl_store_outbox_sent(c->st, v[0].id, "m1", now),
	    CL_ENOTFOUND);
	cl_notifications_free(v, n);
}

/* Notes for cl_store_confirm() from JSON.  Cannot fail (asserts). */
static bson_t *
notes_json(const char *json)
{
	bson_error_t err;
	bson_t *b;

	b = bson_new_from_json((const uint8_t *)json, -1, &err);
	assert_non_null(b);
	return b;
}

/*
 * cl_store_confirm() and cl_store_confirmed(): a NULL or empty token is
 * CL_ENOTFOUND (before the notes are looked at), NULL or badly shaped
 * notes CL_EINVAL, among them a note whose kind or message_id is empty
 * (was: taken by MongoDB); a note's own due_ms is kept (was: ignored by
 * MongoDB).
 */
static void
test_args_confirm(void **state)
{
	struct t_case *c = *state;
	static const char *const bad[] = {
		"{}",
		"{\"0\": {\"kind\": \"\", \"to\": [\"a@b\"]}}",
		"{\"0\": {\"kind\": \"k\", \"to\": []}}",
		"{\"0\": {\"kind\": \"k\", \"to\": [\"\"]}}",
		"{\"0\": {\"kind\": \"k\", \"to\": [\"a@b\"], \"due_ms\": \"x\"}}",
		"{\"0\": {\"kind\": \"k\", \"to\": [\"a@b\"], \"message_id\": \"\"}}",
		"{\"0\": {\"kind\": \"k\", \"to\": [\"a@b\"]}, \"1\": 5}",
	};
	cl_notification *v;
	struct t_keys k;
	bson_t *notes, *good;
	int64_t now, when = 7;
	size_t i, n;

	assert_int_equal(t_put_simple(c->st, &k), CL_OK);
	now = k.received_ms + 10;
	good = notes_json("{\"0\": {\"kind\": \"address_confirmed\", "
			  "\"to\": [\"r@example.org\"]}, \"1\": {\"kind\": "
			  "\"staff_confirmed\", \"to\": [\"s@example.org\"]}}");

	assert_int_equal(cl_store_confirm(c->st, NULL, now, NULL),
	    CL_ENOTFOUND);
	assert_int_equal(cl_store_confirm(c->st, "", now, good), CL_ENOTFOUND);
	assert_int_equal(cl_store_confirmed(c->st, NULL, &when), CL_ENOTFOUND);
	assert_int_equal(when, 0);
	when = 7;
	assert_int_equal(cl_store_confirmed(c->st, "", &when), CL_ENOTFOUND);
	assert_int_equal(when, 0);
	assert_int_equal(cl_store_confirm(c->st, k.token, now, NULL),
	    CL_EINVAL);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		notes = notes_json(bad[i]);
		assert_int_equal(cl_store_confirm(c->st, k.token, now, notes),
		    CL_EINVAL);
		bson_destroy(notes);
	}
	assert_int_equal(cl_store_confirmed(c->st, k.token, &when), CL_OK);
	assert_int_equal(when, 0);

	/* A note due at its own due_ms is claimable then, not before. */
	{
		bson_t own, el, to;

		bson_init(&own);
		BSON_APPEND_DOCUMENT_BEGIN(&own, "0", &el);
		BSON_APPEND_UTF8(&el, "kind", "staff_confirmed");
		BSON_APPEND_ARRAY_BEGIN(&el, "to", &to);
		BSON_APPEND_UTF8(&to, "0", "s@example.org");
		bson_append_array_end(&el, &to);
		BSON_APPEND_INT64(&el, "due_ms", now + 1000);
		bson_append_document_end(&own, &el);
		assert_int_equal(cl_store_confirm(c->st, k.token, now, &own),
		    CL_OK);
		bson_destroy(&own);
	}
	assert_int_equal(cl_store_outbox_claim(c->st, now + 999, LEASE, "m1",
			     10, &v, &n),
	    CL_OK);
	assert_int_equal(n, 0);
	assert_int_equal(cl_store_outbox_claim(c->st, now + 1000, LEASE, "m1",
			     10, &v, &n),
	    CL_OK);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].kind, "staff_confirmed");
	assert_int_equal(v[0].due_ms, now + 1000);
	assert_int_equal(v[0].confirmed_ms, now);
	cl_notifications_free(v, n);
	assert_int_equal(cl_store_confirm(c->st, k.token, now + 1, good),
	    CL_EDUP);
	bson_destroy(good);
}

int
t_args_group(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_args_get, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_args_blobs, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_args_put, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_args_put_batch, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_args_count_by_email,
		    t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(test_args_outbox, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_args_confirm, t_setup,
		    t_teardown),
	};
	char group[64];

	snprintf(group, sizeof group, "store argument errors (%s)",
	    t_env.sqlite ? "sqlite" : "mongodb");
	return cmocka_run_group_tests_name(group, tests, NULL, NULL);
}

/*
 * log.c: the transparency log's part of the store conformance suite: a
 * request whose document names a log is queued in its put (and one that
 * names none is not), the queue in order, the append's compare-and-swap
 * (a lost swap, a token logged twice: nothing changes), the entries read
 * back, and the arguments refused.  The common tests use the public
 * store.h API only and run on both backends; the MongoDB tests at the end
 * make by hand what a crash between the append's writes leaves (a logged
 * request still queued, an entry above the size) and check the next calls
 * put it right.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mongoc/mongoc.h>

#include "store_test.h"

#define ORIGIN "callin.example.gov.uk/log"

/* A request document for k naming the log, with receipt text rcpt. */
static void
log_doc(bson_t *doc, const struct t_keys *k, const char *rcpt)
{
	t_doc(doc, k, NULL, 0, 0);
	BSON_APPEND_UTF8(doc, "receipt", rcpt);
	BSON_APPEND_UTF8(doc, "log", ORIGIN);
}

/* Store a request naming the log, received at ms, its receipt "r<ms>". */
static void
put_logged(cl_store *st, struct t_keys *k, int64_t ms)
{
	char rcpt[64];
	bson_t doc;

	t_keys_new(k);
	k->received_ms = ms;
	snprintf(rcpt, sizeof rcpt, "callin-receipt-v1\nr%lld\n",
	    (long long)ms);
	log_doc(&doc, k, rcpt);
	assert_int_equal(cl_store_put(st, &doc, NULL), CL_OK);
	bson_destroy(&doc);
}

/* The entry and new state of appending the n pending items v to old. */
static void
batch(const cl_store_logstate *old, const cl_store_pending *v, size_t n,
    cl_store_entry *e, cl_store_logstate *next, char *cp, size_t cpmax)
{
	size_t i;

	for (i = 0; i < n; i++) {
		e[i].idx = old->size + (int64_t)i;
		snprintf(e[i].token, CL_TOKEN_MAX, "%s", v[i].token);
		e[i].entry = v[i].receipt; /* any bytes do for the store */
		e[i].len = v[i].receipt_len;
	}
	memset(next, 0, sizeof *next);
	next->size = old->size + (int64_t)n;
	memcpy(next->root, old->root, sizeof next->root);
	next->root[0] ^= (unsigned char)(next->size + 1);
	next->root[31] = (unsigned char)n;
	snprintf(cp, cpmax, ORIGIN "\n%lld\nroot\n\n- sig\n",
	    (long long)next->size);
	next->checkpoint = cp;
	next->checkpoint_len = strlen(cp);
}

/* Queued in the put, oldest first, with the receipt; none without log. */
static void
test_log_queue(void **state)
{
	struct t_case *c = *state;
	struct t_keys k[4], plain;
	cl_store_pending *v;
	int64_t base = t_now_ms(), qn, oldest;
	size_t n, i;

	for (i = 0; i < 3; i++)
		put_logged(c->st, &k[i], base + (int64_t)i * 10);
	assert_int_equal(t_put_simple(c->st, &plain), CL_OK);
	put_logged(c->st, &k[3], base + 30);

	assert_int_equal(cl_store_log_queue(c->st, &qn, &oldest), CL_OK);
	assert_int_equal(qn, 4);
	assert_int_equal(oldest, base);
	assert_int_equal(cl_store_log_pending(c->st, 100, &v, &n), CL_OK);
	assert_int_equal(n, 4);
	for (i = 0; i < 4; i++) {
		char want[64];

		snprintf(want, sizeof want, "callin-receipt-v1\nr%lld\n",
		    (long long)(base + (int64_t)i * 10));
		assert_string_equal(v[i].token, k[i].token);
		assert_string_equal(v[i].receipt, want);
		assert_int_equal(v[i].receipt_len, strlen(want));
		assert_int_equal(v[i].received_ms, base + (int64_t)i * 10);
	}
	cl_store_pending_free(v, n);
	assert_int_equal(cl_store_log_pending(c->st, 2, &v, &n), CL_OK);
	assert_int_equal(n, 2);
	assert_string_equal(v[1].token, k[1].token);
	cl_store_pending_free(v, n);
	assert_int_equal(cl_store_log_pending(c->st, 0, &v, &n), CL_OK);
	assert_int_equal(n, 0);
	assert_null(v);
}

/* A batch put queues its logged documents too. */
static void
test_log_queue_batch(void **state)
{
	struct t_case *c = *state;
	cl_store_put_item items[2];
	struct t_keys k[2];
	cl_store_pending *v;
	bson_t doc[2];
	size_t n;

	memset(items, 0, sizeof items);
	t_keys_new(&k[0]);
	t_keys_new(&k[1]);
	k[1].received_ms = k[0].received_ms + 1;
	log_doc(&doc[0], &k[0], "receipt zero\n");
	t_doc(&doc[1], &k[1], NULL, 0, 0);
	items[0].doc = &doc[0];
	items[1].doc = &doc[1];
	assert_int_equal(cl_store_put_batch(c->st, items, 2), CL_OK);
	assert_int_equal(items[0].rc, CL_OK);
	assert_int_equal(items[1].rc, CL_OK);
	assert_int_equal(cl_store_log_pending(c->st, 10, &v, &n), CL_OK);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].token, k[0].token);
	cl_store_pending_free(v, n);
	bson_destroy(&doc[0]);
	bson_destroy(&doc[1]);
}

/* Check the state is size with the root and checkpoint of next. */
static void
check_state(cl_store *st, const cl_store_logstate *want)
{
	cl_store_logstate s;

	assert_int_equal(cl_store_log_state(st, &s), CL_OK);
	assert_int_equal(s.size, want->size);
	assert_memory_equal(s.root, want->root, sizeof s.root);
	if (want->size == 0)
		assert_null(s.checkpoint);
	else {
		assert_int_equal(s.checkpoint_len, want->checkpoint_len);
		assert_memory_equal(s.checkpoint, want->checkpoint,
		    want->checkpoint_len);
	}
	cl_store_logstate_free(&s);
}

/*
 * Appends: the state swapped, the queue cleared, the entries back in
 * order; a stale old state and an already-logged token change nothing.
 */
static void
test_log_append(void **state)
{
	struct t_case *c = *state;
	cl_store_logstate s0, s1, s2, stale;
	cl_store_entry e[3], *got;
	cl_store_pending *v, *w;
	struct t_keys k[3];
	char cp1[128], cp2[128], cp3[128];
	int64_t base = t_now_ms(), qn, oldest;
	size_t n, m, i;

	assert_int_equal(cl_store_log_state(c->st, &s0), CL_OK);
	assert_int_equal(s0.size, 0);
	assert_null(s0.checkpoint);
	for (i = 0; i < 3; i++)
		put_logged(c->st, &k[i], base + (int64_t)i);

	assert_int_equal(cl_store_log_pending(c->st, 2, &v, &n), CL_OK);
	assert_int_equal(n, 2);
	batch(&s0, v, n, e, &s1, cp1, sizeof cp1);
	assert_int_equal(cl_store_log_append(c->st, &s0, &s1, e, n), CL_OK);
	check_state(c->st, &s1);
	/* The same append again: the state is no longer s0. */
	assert_int_equal(cl_store_log_append(c->st, &s0, &s1, e, n), CL_EDUP);
	check_state(c->st, &s1);
	cl_store_pending_free(v, n);

	assert_int_equal(cl_store_log_queue(c->st, &qn, &oldest), CL_OK);
	assert_int_equal(qn, 1);
	assert_int_equal(oldest, base + 2);
	assert_int_equal(cl_store_log_pending(c->st, 10, &w, &m), CL_OK);
	assert_int_equal(m, 1);
	assert_string_equal(w[0].token, k[2].token);

	/* A stale old state (right size, wrong root): nothing changes. */
	stale = s1;
	stale.root[5] ^= 1;
	batch(&stale, w, m, e, &s2, cp2, sizeof cp2);
	assert_int_equal(cl_store_log_append(c->st, &stale, &s2, e, m),
	    CL_EDUP);
	check_state(c->st, &s1);
	assert_int_equal(cl_store_log_queue(c->st, &qn, &oldest), CL_OK);
	assert_int_equal(qn, 1);

	/* A token already logged (k[0]'s, at index 0): nothing changes. */
	batch(&s1, w, m, e, &s2, cp3, sizeof cp3);
	snprintf(e[0].token, CL_TOKEN_MAX, "%s", k[0].token);
	assert_int_equal(cl_store_log_append(c->st, &s1, &s2, e, m), CL_EDUP);
	check_state(c->st, &s1);

	batch(&s1, w, m, e, &s2, cp2, sizeof cp2);
	assert_int_equal(cl_store_log_append(c->st, &s1, &s2, e, m), CL_OK);
	check_state(c->st, &s2);
	cl_store_pending_free(w, m);
	assert_int_equal(cl_store_log_queue(c->st, &qn, &oldest), CL_OK);
	assert_int_equal(qn, 0);
	assert_int_equal(oldest, 0);

	assert_int_equal(cl_store_log_entries(c->st, 0, 3, &got, &n), CL_OK);
	assert_int_equal(n, 3);
	for (i = 0; i < 3; i++) {
		char want[64];

		snprintf(want, sizeof want, "callin-receipt-v1\nr%lld\n",
		    (long long)(base + (int64_t)i));
		assert_int_equal(got[i].idx, (int64_t)i);
		assert_string_equal(got[i].token, k[i].token);
		assert_int_equal(got[i].len, strlen(want));
		assert_string_equal(got[i].entry, want);
	}
	cl_store_entries_free(got, n);
	assert_int_equal(cl_store_log_entries(c->st, 1, 2, &got, &n), CL_OK);
	assert_int_equal(n, 1);
	assert_string_equal(got[0].token, k[1].token);
	cl_store_entries_free(got, n);
	cl_store_logstate_free(&s0);
}

/* Arguments refused with CL_EINVAL, a missing entry with CL_EIO. */
static void
test_log_args(void **state)
{
	struct t_case *c = *state;
	cl_store_logstate s0, s1;
	cl_store_entry e[1], *got;
	cl_store_pending p;
	char cp[128];
	size_t n;

	memset(&s0, 0, sizeof s0);
	memset(&p, 0, sizeof p);
	snprintf(p.token, sizeof p.token, "tok");
	p.receipt = (char *)"entry";
	p.receipt_len = 5;
	batch(&s0, &p, 1, e, &s1, cp, sizeof cp);
	assert_int_equal(cl_store_log_append(c->st, &s0, &s1, e, 0), CL_EINVAL);
	assert_int_equal(cl_store_log_append(c->st, NULL, &s1, e, 1),
	    CL_EINVAL);
	e[0].idx = 1;
	assert_int_equal(cl_store_log_append(c->st, &s0, &s1, e, 1), CL_EINVAL);
	e[0].idx = 0;
	s1.size = 2;
	assert_int_equal(cl_store_log_append(c->st, &s0, &s1, e, 1), CL_EINVAL);
	s1.size = 1;
	s1.checkpoint = NULL;
	assert_int_equal(cl_store_log_append(c->st, &s0, &s1, e, 1), CL_EINVAL);
	s1.checkpoint = cp;
	e[0].token[0] = '\0';
	assert_int_equal(cl_store_log_append(c->st, &s0, &s1, e, 1), CL_EINVAL);
	check_state(c->st, &s0);

	assert_int_equal(cl_store_log_entries(c->st, -1, 0, &got, &n),
	    CL_EINVAL);
	assert_int_equal(cl_store_log_entries(c->st, 2, 1, &got, &n),
	    CL_EINVAL);
	assert_int_equal(cl_store_log_entries(c->st, 0, 0, &got, &n), CL_OK);
	assert_int_equal(n, 0);
	assert_int_equal(cl_store_log_entries(c->st, 0, 1, &got, &n), CL_EIO);
	assert_int_equal(n, 0);
	assert_null(got);
}

/*
 * The store's own key is refused in a document, a log without a receipt
 * is refused, and a reader never sees what the store keeps.
 */
static void
test_log_document(void **state)
{
	struct t_case *c = *state;
	struct t_keys k;
	bson_t doc, out;
	bson_iter_t it;

	t_keys_new(&k);
	t_doc(&doc, &k, NULL, 0, 0);
	BSON_APPEND_UTF8(&doc, "log_state", "pending");
	assert_int_equal(cl_store_put(c->st, &doc, NULL), CL_EINVAL);
	bson_destroy(&doc);
	t_doc(&doc, &k, NULL, 0, 0);
	BSON_APPEND_UTF8(&doc, "log", ORIGIN);
	assert_int_equal(cl_store_put(c->st, &doc, NULL), CL_EINVAL);
	bson_destroy(&doc);
	t_doc(&doc, &k, NULL, 0, 0);
	BSON_APPEND_UTF8(&doc, "receipt", "r\n");
	BSON_APPEND_UTF8(&doc, "log", "");
	assert_int_equal(cl_store_put(c->st, &doc, NULL), CL_EINVAL);
	bson_destroy(&doc);
	assert_int_equal(t_count(c->st), 0);

	put_logged(c->st, &k, t_now_ms());
	assert_int_equal(cl_store_get(c->st, CL_KEY_TOKEN, k.token, &out),
	    CL_OK);
	assert_false(bson_iter_init_find(&it, &out, "log_state"));
	assert_true(bson_iter_init_find(&it, &out, "log"));
	bson_destroy(&out);
}

/* A client of the test's own MongoDB database (the store spec's). */
static mongoc_client_t *
mongo_side(const struct t_case *c, mongoc_database_t **db)
{
	mongoc_client_t *cl;
	mongoc_uri_t *uri;

	uri = mongoc_uri_new(c->spec);
	assert_non_null(uri);
	cl = mongoc_client_new_from_uri(uri);
	assert_non_null(cl);
	*db = mongoc_client_get_database(cl, mongoc_uri_get_database(uri));
	mongoc_uri_destroy(uri);
	return cl;
}

/*
 * What a crash between an append's swap and the clearing of the queue
 * leaves (a logged request still queued), made by hand: the next pending
 * call clears it and does not return it.  And what a crash before the
 * swap leaves (an entry above the size): the next append replaces it.
 */
static void
test_log_mongo_crash(void **state)
{
	struct t_case *c = *state;
	mongoc_client_t *cl;
	mongoc_database_t *db;
	mongoc_collection_t *req, *ent;
	cl_store_logstate s0, s1, s2;
	cl_store_entry e[2], *got;
	cl_store_pending *v;
	struct t_keys k[2];
	bson_t *filter, *update, *junk;
	bson_error_t err;
	char cp1[128], cp2[128];
	int64_t qn, oldest, base = t_now_ms();
	size_t n;

	cl = mongo_side(c, &db);
	req = mongoc_database_get_collection(db, "requests");
	ent = mongoc_database_get_collection(db, "log_entries");
	put_logged(c->st, &k[0], base);
	assert_int_equal(cl_store_log_state(c->st, &s0), CL_OK);
	assert_int_equal(cl_store_log_pending(c->st, 10, &v, &n), CL_OK);
	assert_int_equal(n, 1);
	batch(&s0, v, n, e, &s1, cp1, sizeof cp1);
	assert_int_equal(cl_store_log_append(c->st, &s0, &s1, e, n), CL_OK);
	cl_store_pending_free(v, n);

	filter = BCON_NEW("token", BCON_UTF8(k[0].token));
	update = BCON_NEW("$set", "{", "log_state", BCON_UTF8("pending"), "}");
	assert_true(mongoc_collection_update_one(req, filter, update, NULL,
	    NULL, &err));
	assert_int_equal(cl_store_log_queue(c->st, &qn, &oldest), CL_OK);
	assert_int_equal(qn, 1);
	assert_int_equal(cl_store_log_pending(c->st, 10, &v, &n), CL_OK);
	assert_int_equal(n, 0);
	assert_int_equal(cl_store_log_queue(c->st, &qn, &oldest), CL_OK);
	assert_int_equal(qn, 0);

	junk = BCON_NEW("_id", BCON_INT64(1), "token", BCON_UTF8("junk"),
	    "entry", BCON_UTF8("junk"));
	assert_true(mongoc_collection_insert_one(ent, junk, NULL, NULL, &err));
	put_logged(c->st, &k[1], base + 1);
	assert_int_equal(cl_store_log_pending(c->st, 10, &v, &n), CL_OK);
	assert_int_equal(n, 1);
	batch(&s1, v, n, e, &s2, cp2, sizeof cp2);
	assert_int_equal(cl_store_log_append(c->st, &s1, &s2, e, n), CL_OK);
	cl_store_pending_free(v, n);
	assert_int_equal(cl_store_log_entries(c->st, 0, 2, &got, &n), CL_OK);
	assert_int_equal(n, 2);
	assert_string_equal(got[1].token, k[1].token);
	cl_store_entries_free(got, n);

	bson_destroy(junk);
	bson_destroy(filter);
	bson_destroy(update);
	mongoc_collection_destroy(req);
	mongoc_collection_destroy(ent);
	mongoc_database_destroy(db);
	mongoc_client_destroy(cl);
	cl_store_logstate_free(&s0);
}

int
t_log_group(void)
{
	const struct CMUnitTest common[] = {
		cmocka_unit_test_setup_teardown(test_log_queue, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_log_queue_batch, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_log_append, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_log_args, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_log_document, t_setup,
		    t_teardown),
	};
	const struct CMUnitTest mongo[] = {
		cmocka_unit_test_setup_teardown(test_log_mongo_crash, t_setup,
		    t_teardown),
	};
	int fails;

	fails = cmocka_run_group_tests_name("store log", common, NULL, NULL);
	if (!t_env.sqlite)
		fails += cmocka_run_group_tests_name("store log mongodb", mongo,
		    NULL, NULL);
	return fails;
}

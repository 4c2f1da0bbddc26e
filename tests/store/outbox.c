/*
 * outbox.c: the outbox part of the store conformance suite: claims with a
 * lease, sent and failed reports guarded by the lease's owner, retries,
 * the counts for metrics, and exclusive claims between handles.  The
 * common tests use only the public store.h API and run on both backends;
 * the SQLite tests at the end add several processes claiming one file at
 * once and the upgrade of files of schema versions 1 and 2.
 *
 * Time is never waited for: every call is given its now_ms, so a lease
 * "expires" by passing a later now.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store_test.h"

#define LEASE 60000 /* ms */
#define NREQ 25	    /* requests in the exclusivity tests */
#define NPROC 4	    /* claiming processes */

/* SQL that turns a file of schema version 4 back into version 3. */
#define UNDO_V7 \
	"DROP TABLE log_pending; DROP TABLE log_entries; DROP TABLE log_state;"
#define UNDO_V6 UNDO_V7 "ALTER TABLE requests DROP COLUMN confirmed_ms;"
#define UNDO_V4 \
	UNDO_V6 "DROP INDEX requests_email;" \
		"ALTER TABLE requests DROP COLUMN email;"

/*
 * Put a request received at received_ms (0: now) with the two
 * notifications of t_doc() (due then and 5 ms later) into *doc and st.
 */
static void
put_two(cl_store *st, struct t_keys *k, int64_t received_ms, bson_t *doc)
{
	t_keys_new(k);
	if (received_ms != 0)
		k->received_ms = received_ms;
	t_doc(doc, k, NULL, 0, 1);
	assert_int_equal(cl_store_put(st, doc, NULL), CL_OK);
}

/* Claim with the given arguments, expecting success; returns the count. */
static size_t
claim(cl_store *st, int64_t now, const char *owner, size_t max,
    cl_notification **v)
{
	size_t n = 99;

	assert_int_equal(cl_store_outbox_claim(st, now, LEASE, owner, max, v,
			     &n),
	    CL_OK);
	assert_true(n <= max);
	if (n == 0)
		assert_null(*v);
	return n;
}

/* How many are claimable at now (claims them for "probe", then frees). */
static size_t
claimable(cl_store *st, int64_t now)
{
	cl_notification *v;
	size_t n;

	n = claim(st, now, "probe", 100, &v);
	cl_notifications_free(v, n);
	return n;
}

/* Check that n is t_doc()'s notification i of the request doc. */
static void
check_note(const cl_notification *n, const bson_t *doc, const struct t_keys *k,
    int i)
{
	assert_true(n->id[0] != '\0');
	assert_non_null(n->request);
	assert_true(bson_equal(n->request, doc));
	if (i == 0) {
		assert_string_equal(n->kind, "staff_alert");
		assert_int_equal(n->nto, 2);
		assert_string_equal(n->to[0], "staff1@example.org");
		assert_string_equal(n->to[1], "staff\"2@example.org");
		assert_int_equal(n->due_ms, k->received_ms);
	} else {
		assert_string_equal(n->kind, "requester_confirmation");
		assert_int_equal(n->nto, 1);
		assert_string_equal(n->to[0], "requester@example.org");
		assert_int_equal(n->due_ms, k->received_ms + 5);
	}
}

/*
 * A put with two notifications yields exactly two claims, oldest first,
 * each with the request document and its recipients; nothing more until
 * the lease runs out, then both again.
 */
static void
test_ob_claim(void **state)
{
	struct t_case *c = *state;
	cl_notification *v, *w;
	struct t_keys k;
	int64_t now;
	bson_t doc;
	size_t n;

	assert_int_equal(claimable(c->st, t_now_ms() + 86400000), 0);
	put_two(c->st, &k, 0, &doc);
	now = k.received_ms + 10;
	n = claim(c->st, now, "m1", 10, &v);
	assert_int_equal(n, 2);
	check_note(&v[0], &doc, &k, 0);
	check_note(&v[1], &doc, &k, 1);
	assert_int_equal(v[0].attempts, 0);
	assert_int_equal(v[1].attempts, 0);
	assert_string_not_equal(v[0].id, v[1].id);

	/* Leased: not for anyone, not even the owner, until it runs out. */
	assert_int_equal(claim(c->st, now, "m2", 10, &w), 0);
	assert_int_equal(claim(c->st, now, "m1", 10, &w), 0);
	assert_int_equal(claim(c->st, now + LEASE - 1, "m2", 10, &w), 0);
	n = claim(c->st, now + LEASE, "m2", 10, &w);
	assert_int_equal(n, 2);
	assert_string_equal(w[0].id, v[0].id);
	assert_string_equal(w[1].id, v[1].id);
	check_note(&w[0], &doc, &k, 0);
	check_note(&w[1], &doc, &k, 1);
	cl_notifications_free(w, n);
	cl_notifications_free(v, 2);
	bson_destroy(&doc);
}

/* Not before due_ms; oldest due first; max caps a claim. */
static void
test_ob_claim_due_and_max(void **state)
{
	struct t_case *c = *state;
	cl_notification *v, junk;
	struct t_keys k, k2;
	bson_t doc, doc2;
	int64_t base;
	size_t n;

	base = t_now_ms();
	/* The later request is stored first: due_ms decides, not the order. */
	put_two(c->st, &k2, base + 100, &doc2);
	put_two(c->st, &k, base, &doc);
	assert_int_equal(claimable(c->st, base - 1), 0);

	/* Only the first notification of the earlier request is due. */
	n = claim(c->st, base + 4, "m1", 10, &v);
	assert_int_equal(n, 1);
	check_note(&v[0], &doc, &k, 0);
	cl_notifications_free(v, n);

	/* max = 1 takes one at a time, oldest first. */
	n = claim(c->st, base + 200, "m1", 1, &v);
	assert_int_equal(n, 1);
	check_note(&v[0], &doc, &k, 1);
	cl_notifications_free(v, n);
	n = claim(c->st, base + 200, "m1", 1, &v);
	assert_int_equal(n, 1);
	check_note(&v[0], &doc2, &k2, 0);
	cl_notifications_free(v, n);
	n = claim(c->st, base + 200, "m1", 5, &v);
	assert_int_equal(n, 1);
	check_note(&v[0], &doc2, &k2, 1);
	cl_notifications_free(v, n);
	assert_int_equal(claimable(c->st, base + 200), 0);

	/* A claim needs an owner; the outputs are reset all the same. */
	n = 7;
	v = &junk;
	assert_int_equal(cl_store_outbox_claim(c->st, base + 200, LEASE, "", 10,
			     &v, &n),
	    CL_EINVAL);
	assert_null(v);
	assert_int_equal(n, 0);
	bson_destroy(&doc);
	bson_destroy(&doc2);
}

/*
 * Sent by the owner of a live lease removes it for good; by anyone else,
 * after the lease lapsed, after another claimer took it over, or twice:
 * CL_ENOTFOUND.  Unknown ids too.
 */
static void
test_ob_sent(void **state)
{
	struct t_case *c = *state;
	cl_notification *v, *w;
	struct t_keys k;
	int64_t now;
	bson_t doc;
	size_t n;

	put_two(c->st, &k, 0, &doc);
	now = k.received_ms + 10;
	assert_int_equal(claim(c->st, now, "m1", 10, &v), 2);
	assert_int_equal(cl_store_outbox_sent(c->st, v[0].id, "m2", now + 1),
	    CL_ENOTFOUND);
	assert_int_equal(cl_store_outbox_sent(c->st, v[0].id, "m1", now + 1),
	    CL_OK);
	assert_int_equal(cl_store_outbox_sent(c->st, v[0].id, "m1", now + 2),
	    CL_ENOTFOUND);
	/* A lease that ran out is no longer the owner's to settle. */
	assert_int_equal(cl_store_outbox_sent(c->st, v[1].id, "m1",
			     now + LEASE),
	    CL_ENOTFOUND);

	/* After the lease, only the second one comes back. */
	n = claim(c->st, now + LEASE, "m2", 10, &w);
	assert_int_equal(n, 1);
	assert_string_equal(w[0].id, v[1].id);
	check_note(&w[0], &doc, &k, 1);
	/* m1's lease was taken over: its report finds nothing. */
	assert_int_equal(cl_store_outbox_sent(c->st, v[1].id, "m1",
			     now + LEASE + 1),
	    CL_ENOTFOUND);
	assert_int_equal(cl_store_outbox_sent(c->st, w[0].id, "m2",
			     now + LEASE + 1),
	    CL_OK);
	assert_int_equal(claimable(c->st, now + 100 * LEASE), 0);

	assert_int_equal(cl_store_outbox_sent(c->st, "424242", "m1", now),
	    CL_ENOTFOUND);
	assert_int_equal(cl_store_outbox_sent(c->st, "nonsense:7", "m1", now),
	    CL_ENOTFOUND);
	assert_int_equal(cl_store_outbox_sent(c->st, "", "m1", now),
	    CL_ENOTFOUND);
	assert_int_equal(cl_store_outbox_sent(c->st, v[0].id, "", now),
	    CL_ENOTFOUND);
	cl_notifications_free(w, n);
	cl_notifications_free(v, 2);
	bson_destroy(&doc);
}

/*
 * A failed try that is not final makes it due again at retry_ms, not
 * before, with attempts + 1; a final one marks it failed, never claimed
 * again.  Both only by the lease's owner, once.
 */
static void
test_ob_failed(void **state)
{
	struct t_case *c = *state;
	cl_notification *v, *w;
	struct t_keys k;
	int64_t now, retry;
	bson_t doc;
	size_t n;

	put_two(c->st, &k, 0, &doc);
	now = k.received_ms + 10;
	retry = now + 1000;
	assert_int_equal(claim(c->st, now, "m1", 10, &v), 2);
	assert_int_equal(cl_store_outbox_failed(c->st, v[0].id, "m2", 0, retry,
			     "421 busy"),
	    CL_ENOTFOUND);
	assert_int_equal(cl_store_outbox_failed(c->st, v[0].id, "m1", 0, retry,
			     "421 busy"),
	    CL_OK);
	/* The same try reported twice, or then as sent: nothing. */
	assert_int_equal(cl_store_outbox_failed(c->st, v[0].id, "m1", 0, retry,
			     "421 busy"),
	    CL_ENOTFOUND);
	assert_int_equal(cl_store_outbox_sent(c->st, v[0].id, "m1", now + 1),
	    CL_ENOTFOUND);

	/* Due again at retry, not before (the other one is still leased). */
	assert_int_equal(claim(c->st, retry - 1, "m2", 10, &w), 0);
	n = claim(c->st, retry, "m2", 10, &w);
	assert_int_equal(n, 1);
	assert_string_equal(w[0].id, v[0].id);
	assert_int_equal(w[0].attempts, 1);
	assert_int_equal(w[0].due_ms, retry);
	assert_true(bson_equal(w[0].request, &doc));
	assert_int_equal(cl_store_outbox_failed(c->st, w[0].id, "m2", 0,
			     retry + 2000, NULL),
	    CL_OK);
	cl_notifications_free(w, n);
	n = claim(c->st, retry + 2000, "m3", 10, &w);
	assert_int_equal(n, 1);
	assert_int_equal(w[0].attempts, 2);

	/* Final: failed for good, and no longer the owner's to settle. */
	assert_int_equal(cl_store_outbox_failed(c->st, w[0].id, "m3", 1, 0,
			     "550 no such user"),
	    CL_OK);
	assert_int_equal(cl_store_outbox_sent(c->st, w[0].id, "m3",
			     retry + 2001),
	    CL_ENOTFOUND);
	assert_int_equal(cl_store_outbox_failed(c->st, w[0].id, "m3", 1, 0,
			     "again"),
	    CL_ENOTFOUND);
	cl_notifications_free(w, n);

	/* The second one, final on m1's live lease. */
	assert_int_equal(cl_store_outbox_failed(c->st, v[1].id, "m1", 1, 0,
			     "550 mailbox unavailable"),
	    CL_OK);
	assert_int_equal(claimable(c->st, now + 1000 * LEASE), 0);
	assert_int_equal(cl_store_outbox_failed(c->st, "31337", "m1", 0, retry,
			     "x"),
	    CL_ENOTFOUND);
	cl_notifications_free(v, 2);
	bson_destroy(&doc);
}

/*
 * A deferral (the mailer waiting for a log proof) makes it due again at
 * due_ms, not before, with attempts unchanged, only by the lease's owner
 * and once; a deferred one is then sent as any other.
 */
static void
test_ob_defer(void **state)
{
	struct t_case *c = *state;
	cl_notification *v, *w;
	struct t_keys k;
	int64_t now, due;
	bson_t doc;
	size_t n;

	put_two(c->st, &k, 0, &doc);
	now = k.received_ms + 10;
	due = now + 1000;
	assert_int_equal(claim(c->st, now, "m1", 10, &v), 2);
	assert_int_equal(cl_store_outbox_defer(c->st, v[0].id, "m2", due,
			     "waiting"),
	    CL_ENOTFOUND);
	assert_int_equal(cl_store_outbox_defer(c->st, v[0].id, "m1", due,
			     "waiting for the log proof"),
	    CL_OK);
	assert_int_equal(cl_store_outbox_defer(c->st, v[0].id, "m1", due, NULL),
	    CL_ENOTFOUND);
	assert_int_equal(cl_store_outbox_defer(c->st, "31337", "m1", due, ""),
	    CL_ENOTFOUND);
	assert_int_equal(cl_store_outbox_defer(c->st, "", "m1", due, ""),
	    CL_ENOTFOUND);
	assert_int_equal(claim(c->st, due - 1, "m2", 10, &w), 0);
	n = claim(c->st, due, "m2", 10, &w);
	assert_int_equal(n, 1);
	assert_string_equal(w[0].id, v[0].id);
	assert_int_equal(w[0].attempts, 0);
	assert_int_equal(w[0].due_ms, due);
	/* Deferred again, then a counted failure: one attempt in all. */
	assert_int_equal(cl_store_outbox_defer(c->st, w[0].id, "m2", due + 5,
			     NULL),
	    CL_OK);
	cl_notifications_free(w, n);
	n = claim(c->st, due + 5, "m3", 10, &w);
	assert_int_equal(n, 1);
	assert_int_equal(w[0].attempts, 0);
	assert_int_equal(cl_store_outbox_failed(c->st, w[0].id, "m3", 0,
			     due + 10, "421"),
	    CL_OK);
	cl_notifications_free(w, n);
	n = claim(c->st, due + 10, "m4", 10, &w);
	assert_int_equal(n, 1);
	assert_int_equal(w[0].attempts, 1);
	assert_int_equal(cl_store_outbox_sent(c->st, w[0].id, "m4", due + 11),
	    CL_OK);
	cl_notifications_free(w, n);
	cl_notifications_free(v, 2);
	bson_destroy(&doc);
}

/*
 * The counts: due (now or later), sent, failed, and the first due time of
 * the oldest pending one: leased or waiting for a retry it keeps counting
 * with the time it first became due, however often it is retried; once
 * sent or failed for good it no longer counts.
 */
static void
test_ob_stats(void **state)
{
	struct t_case *c = *state;
	cl_outbox_stats s;
	cl_notification *v, *w;
	struct t_keys k, k2;
	int64_t now, retry;
	bson_t doc, doc2;
	size_t n;

	memset(&s, 0xff, sizeof s);
	assert_int_equal(cl_store_outbox_stats(c->st, t_now_ms(), &s), CL_OK);
	assert_int_equal(s.due, 0);
	assert_int_equal(s.oldest_due_ms, 0);
	assert_int_equal(s.sent, 0);
	assert_int_equal(s.failed, 0);

	now = t_now_ms();
	put_two(c->st, &k, now, &doc);
	put_two(c->st, &k2, now + 100, &doc2);
	/* Nothing has become due yet. */
	assert_int_equal(cl_store_outbox_stats(c->st, k.received_ms - 1, &s),
	    CL_OK);
	assert_int_equal(s.due, 4);
	assert_int_equal(s.oldest_due_ms, 0);
	now = k2.received_ms + 10;
	assert_int_equal(cl_store_outbox_stats(c->st, now, &s), CL_OK);
	assert_int_equal(s.due, 4);
	assert_int_equal(s.oldest_due_ms, k.received_ms);

	/* Leased ones still count as due, and as the oldest. */
	assert_int_equal(claim(c->st, now, "m1", 10, &v), 4);
	assert_int_equal(cl_store_outbox_stats(c->st, now, &s), CL_OK);
	assert_int_equal(s.due, 4);
	assert_int_equal(s.oldest_due_ms, k.received_ms);

	/*
	 * k's two: one sent, one failed for good, neither counts any more;
	 * k2's first to be retried later still counts as due since it
	 * first was, before k2's second.
	 */
	retry = now + 5000;
	assert_int_equal(cl_store_outbox_sent(c->st, v[0].id, "m1", now),
	    CL_OK);
	assert_int_equal(cl_store_outbox_failed(c->st, v[1].id, "m1", 1, 0,
			     "550"),
	    CL_OK);
	assert_int_equal(cl_store_outbox_failed(c->st, v[2].id, "m1", 0, retry,
			     "421"),
	    CL_OK);
	assert_int_equal(cl_store_outbox_stats(c->st, now, &s), CL_OK);
	assert_int_equal(s.due, 2);
	assert_int_equal(s.oldest_due_ms, k2.received_ms);
	assert_int_equal(s.sent, 1);
	assert_int_equal(s.failed, 1);
	assert_int_equal(cl_store_outbox_sent(c->st, v[3].id, "m1", now),
	    CL_OK);

	/* Only the retry is left, due later: still as old as it was. */
	assert_int_equal(cl_store_outbox_stats(c->st, now, &s), CL_OK);
	assert_int_equal(s.due, 1);
	assert_int_equal(s.oldest_due_ms, k2.received_ms);
	assert_int_equal(s.sent, 2);
	assert_int_equal(s.failed, 1);

	/* Retried again and again, it does not grow younger. */
	n = claim(c->st, retry, "m2", 10, &w);
	assert_int_equal(n, 1);
	assert_string_equal(w[0].id, v[2].id);
	assert_int_equal(w[0].due_ms, retry);
	assert_int_equal(cl_store_outbox_stats(c->st, retry, &s), CL_OK);
	assert_int_equal(s.due, 1);
	assert_int_equal(s.oldest_due_ms, k2.received_ms);
	assert_int_equal(cl_store_outbox_failed(c->st, w[0].id, "m2", 0,
			     retry + 3600000, "421"),
	    CL_OK);
	cl_notifications_free(w, n);
	assert_int_equal(cl_store_outbox_stats(c->st, retry + 1, &s), CL_OK);
	assert_int_equal(s.due, 1);
	assert_int_equal(s.oldest_due_ms, k2.received_ms);

	/* Failed for good: nothing pending, nothing old. */
	n = claim(c->st, retry + 3600000, "m3", 10, &w);
	assert_int_equal(n, 1);
	assert_int_equal(cl_store_outbox_failed(c->st, w[0].id, "m3", 1, 0,
			     "550"),
	    CL_OK);
	cl_notifications_free(w, n);
	assert_int_equal(cl_store_outbox_stats(c->st, retry + 3600000, &s),
	    CL_OK);
	assert_int_equal(s.due, 0);
	assert_int_equal(s.oldest_due_ms, 0);
	assert_int_equal(s.sent, 2);
	assert_int_equal(s.failed, 2);
	cl_notifications_free(v, 4);
	bson_destroy(&doc);
	bson_destroy(&doc2);
}

/* Record the n claimed ids in seen (NREQ * 2 slots), failing on a repeat. */
static void
note_ids(char seen[][CL_BLOB_ID_MAX], size_t *nseen, const cl_notification *v,
    size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < *nseen; j++)
			if (strcmp(seen[j], v[i].id) == 0)
				fail_msg("%s claimed twice", v[i].id);
		assert_true(*nseen < NREQ * 2);
		memcpy(seen[(*nseen)++], v[i].id, CL_BLOB_ID_MAX);
	}
}

/*
 * Two claimers on two handles with the same now take turns until nothing
 * is left: every notification is claimed exactly once.
 */
static void
test_ob_two_handles(void **state)
{
	struct t_case *c = *state;
	char seen[NREQ * 2][CL_BLOB_ID_MAX];
	cl_notification *v;
	struct t_keys k;
	cl_store *other;
	size_t nseen = 0, n, m;
	int64_t now;
	bson_t doc;
	int i;

	for (i = 0; i < NREQ; i++) {
		put_two(c->st, &k, 0, &doc);
		bson_destroy(&doc);
	}
	now = t_now_ms() + 10;
	assert_int_equal(cl_store_open(c->spec, &other), CL_OK);
	do {
		n = claim(c->st, now, "a", 3, &v);
		note_ids(seen, &nseen, v, n);
		cl_notifications_free(v, n);
		m = claim(other, now, "b", 4, &v);
		note_ids(seen, &nseen, v, m);
		cl_notifications_free(v, m);
	} while (n > 0 || m > 0);
	assert_int_equal(nseen, NREQ * 2);
	cl_store_close(other);
}

/*
 * SQLite: NPROC processes claim from one file at the same moment, in a
 * loop, sending what they claim; each writes its ids to a pipe.  The union
 * has every notification exactly once.
 */
static void
test_ob_processes(void **state)
{
	struct t_case *c = *state;
	char seen[NREQ * 2][CL_BLOB_ID_MAX], line[CL_BLOB_ID_MAX + 2];
	cl_notification fake, *v;
	struct t_keys k;
	cl_store *st;
	pid_t pids[NPROC];
	size_t nseen = 0, n, i;
	int64_t now;
	int go[2], ids[2], j, status, fails;
	FILE *in;
	bson_t doc;
	char x, owner[16];

	for (j = 0; j < NREQ; j++) {
		put_two(c->st, &k, 0, &doc);
		bson_destroy(&doc);
	}
	now = t_now_ms() + 10;
	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(ids), 0);
	for (j = 0; j < NPROC; j++) {
		pids[j] = fork();
		assert_true(pids[j] != -1);
		if (pids[j] != 0)
			continue;
		close(go[1]);
		close(ids[0]);
		snprintf(owner, sizeof owner, "proc%d", j);
		if (read(go[0], &x, 1) != 0)
			_exit(2);
		if (cl_store_open(c->spec, &st) != CL_OK)
			_exit(3);
		fails = 0;
		do {
			if (cl_store_outbox_claim(st, now, LEASE, owner, 2, &v,
				&n) != CL_OK)
				_exit(4);
			for (i = 0; i < n; i++) {
				snprintf(line, sizeof line, "%s\n", v[i].id);
				if (write(ids[1], line, strlen(line)) < 0)
					_exit(5);
				if (cl_store_outbox_sent(st, v[i].id, owner,
					now + 1) != CL_OK)
					fails++;
			}
			cl_notifications_free(v, n);
		} while (n > 0);
		cl_store_close(st);
		_exit(fails == 0 ? 0 : 6);
	}
	close(go[0]);
	close(ids[1]);
	close(go[1]); /* go */
	in = fdopen(ids[0], "r");
	assert_non_null(in);
	while (fgets(line, sizeof line, in) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		memset(&fake, 0, sizeof fake);
		snprintf(fake.id, sizeof fake.id, "%s", line);
		note_ids(seen, &nseen, &fake, 1);
	}
	fclose(in);
	for (j = 0; j < NPROC; j++) {
		assert_int_equal(waitpid(pids[j], &status, 0), pids[j]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	assert_int_equal(nseen, NREQ * 2);
	assert_int_equal(claimable(c->st, now + 10 * LEASE), 0);
}

/* Run sql on the file path with a side connection. */
static void
side_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	char *msg = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE,
			     NULL),
	    SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	sqlite3_close(db);
}

/* The single integer the query sql answers on the file path. */
static int64_t
side_int(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *stmt = NULL;
	int64_t v;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
	    SQLITE_OK);
	if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	v = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return v;
}

/*
 * Close c's handle, turn its file back into an older schema with sql, and
 * have NPROC processes open it at once (the first upgrades it, the others
 * wait or find it done); then reopen c's handle.  The file is at schema
 * version 6 after, with the indexes of versions 3 and 4.
 */
static void
downgrade_and_race(struct t_case *c, const char *sql)
{
	cl_store *st;
	pid_t pids[NPROC];
	int go[2], j, status;
	char x;

	cl_store_close(c->st);
	c->st = NULL;
	side_exec(c->path, sql);
	assert_int_equal(pipe(go), 0);
	for (j = 0; j < NPROC; j++) {
		pids[j] = fork();
		assert_true(pids[j] != -1);
		if (pids[j] != 0)
			continue;
		close(go[1]);
		if (read(go[0], &x, 1) != 0)
			_exit(2);
		if (cl_store_open(c->spec, &st) != CL_OK)
			_exit(3);
		cl_store_close(st);
		_exit(0);
	}
	close(go[0]);
	close(go[1]);
	for (j = 0; j < NPROC; j++) {
		assert_int_equal(waitpid(pids[j], &status, 0), pids[j]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	assert_int_equal(side_int(c->path, "PRAGMA user_version"), 7);
	assert_int_equal(
	    side_int(c->path,
		"SELECT count(*) FROM sqlite_schema"
		" WHERE type = 'index' AND name = 'outbox_first_due'"),
	    1);
	assert_int_equal(
	    side_int(c->path,
		"SELECT count(*) FROM sqlite_schema"
		" WHERE type = 'index' AND name = 'requests_email'"),
	    1);
	assert_int_equal(
	    side_int(c->path,
		"SELECT count(*) FROM sqlite_schema"
		" WHERE type = 'index' AND name = 'outbox_request'"),
	    0);
	assert_int_equal(cl_store_open(c->spec, &c->st), CL_OK);
}

/*
 * SQLite: a file of schema version 1 (no owner, sent_ms or first_due_ms)
 * with a queued request is upgraded by the first of several processes
 * opening it at once, and its notifications can then be claimed and sent.
 */
static void
test_ob_upgrade_v1(void **state)
{
	struct t_case *c = *state;
	cl_notification *v;
	cl_outbox_stats s;
	struct t_keys k;
	bson_t doc;
	size_t n;

	put_two(c->st, &k, 0, &doc);
	downgrade_and_race(c,
	    UNDO_V4 "DROP INDEX outbox_first_due;"
		    "ALTER TABLE outbox DROP COLUMN first_due_ms;"
		    "ALTER TABLE outbox DROP COLUMN owner;"
		    "ALTER TABLE outbox DROP COLUMN sent_ms;"
		    "PRAGMA user_version = 1;");
	assert_int_equal(cl_store_outbox_stats(c->st, k.received_ms + 10, &s),
	    CL_OK);
	assert_int_equal(s.due, 2);
	assert_int_equal(s.oldest_due_ms, k.received_ms);
	n = claim(c->st, k.received_ms + 10, "m1", 10, &v);
	assert_int_equal(n, 2);
	check_note(&v[0], &doc, &k, 0);
	assert_int_equal(cl_store_outbox_sent(c->st, v[0].id, "m1",
			     k.received_ms + 11),
	    CL_OK);
	cl_notifications_free(v, n);
	bson_destroy(&doc);
}

/*
 * SQLite: a file of schema version 2 (no first_due_ms) with one
 * notification waiting for a retry and one leased is upgraded by the
 * first of several processes opening it at once: first_due_ms is filled
 * in from due_ms, the best the file knows, and from then on retries no
 * longer move it.
 */
static void
test_ob_upgrade_v2(void **state)
{
	struct t_case *c = *state;
	cl_notification *v, *w;
	cl_outbox_stats s;
	struct t_keys k;
	int64_t now, retry;
	bson_t doc;
	size_t n;

	put_two(c->st, &k, 0, &doc);
	now = k.received_ms + 10;
	retry = now + 1000;
	assert_int_equal(claim(c->st, now, "m1", 10, &v), 2);
	assert_int_equal(cl_store_outbox_failed(c->st, v[0].id, "m1", 0, retry,
			     "421"),
	    CL_OK);
	downgrade_and_race(c,
	    UNDO_V4 "DROP INDEX outbox_first_due;"
		    "ALTER TABLE outbox DROP COLUMN first_due_ms;"
		    "PRAGMA user_version = 2;");
	assert_int_equal(side_int(c->path,
			     "SELECT count(*) FROM outbox"
			     " WHERE first_due_ms = due_ms"),
	    2);

	/* The leased one is the oldest; the retry counts from its due_ms. */
	assert_int_equal(cl_store_outbox_stats(c->st, now, &s), CL_OK);
	assert_int_equal(s.due, 2);
	assert_int_equal(s.oldest_due_ms, k.received_ms + 5);
	assert_int_equal(cl_store_outbox_sent(c->st, v[1].id, "m1", now + 1),
	    CL_OK);
	assert_int_equal(cl_store_outbox_stats(c->st, retry, &s), CL_OK);
	assert_int_equal(s.due, 1);
	assert_int_equal(s.oldest_due_ms, retry);

	/* Retried after the upgrade, it keeps that first due time. */
	n = claim(c->st, retry, "m2", 10, &w);
	assert_int_equal(n, 1);
	assert_string_equal(w[0].id, v[0].id);
	assert_int_equal(w[0].attempts, 1);
	assert_int_equal(cl_store_outbox_failed(c->st, w[0].id, "m2", 0,
			     retry + 5000, "421"),
	    CL_OK);
	assert_int_equal(cl_store_outbox_stats(c->st, retry + 1, &s), CL_OK);
	assert_int_equal(s.due, 1);
	assert_int_equal(s.oldest_due_ms, retry);
	cl_notifications_free(w, n);
	cl_notifications_free(v, 2);
	bson_destroy(&doc);
}

/*
 * SQLite: a file of schema version 3 (no email column) holding requests
 * from one address in several cases, from another, and with none, is
 * upgraded by the first of several processes opening it at once: the
 * column is filled in from the stored documents, normalised, and the
 * count by email sees the old requests and new ones alike.
 */
static void
test_upgrade_v3_email(void **state)
{
	struct t_case *c = *state;
	struct t_keys k;
	int64_t now;

	now = t_now_ms();
	assert_int_equal(t_put_email(c->st, &k, "Alex@Example.ORG", now - 10),
	    CL_OK);
	assert_int_equal(t_put_email(c->st, &k, "alex@example.org", now - 5),
	    CL_OK);
	assert_int_equal(t_put_email(c->st, &k, "sam@example.org", now), CL_OK);
	assert_int_equal(t_put_simple(c->st, &k), CL_OK);
	downgrade_and_race(c, UNDO_V4 "PRAGMA user_version = 3;");
	assert_int_equal(side_int(c->path,
			     "SELECT count(*) FROM requests"
			     " WHERE email = 'alex@example.org'"),
	    2);
	assert_int_equal(side_int(c->path,
			     "SELECT count(*) FROM requests"
			     " WHERE email = 'sam@example.org'"),
	    1);
	assert_int_equal(side_int(c->path,
			     "SELECT count(*) FROM requests"
			     " WHERE email IS NULL"),
	    1);
	assert_int_equal(t_count_email(c->st, "ALEX@example.org", now - 10), 2);
	assert_int_equal(t_count_email(c->st, "alex@example.org", now - 9), 1);
	assert_int_equal(t_put_email(c->st, &k, "ALEX@EXAMPLE.ORG", now + 1),
	    CL_OK);
	assert_int_equal(t_count_email(c->st, "alex@example.org", 0), 3);
}

/*
 * SQLite: a file of schema version 5 (no confirmed_ms; addresses
 * normalised with their "+tag") is upgraded by the first of several
 * processes opening it at once: the tags go from the stored copies, the
 * others are left as they were, and nothing is confirmed.
 */
static void
test_upgrade_v5_tag(void **state)
{
	struct t_case *c = *state;
	struct t_keys k;
	int64_t now, when;

	now = t_now_ms();
	assert_int_equal(t_put_email(c->st, &k, "Alex+News@Example.org", now),
	    CL_OK);
	assert_int_equal(t_put_email(c->st, &k, "alex@example.org", now),
	    CL_OK);
	downgrade_and_race(c,
	    "UPDATE requests SET email = 'alex+news@example.org'"
	    " WHERE email = 'alex@example.org' AND rowid = (SELECT min(rowid)"
	    " FROM requests);" UNDO_V6 "PRAGMA user_version = 5;");
	assert_int_equal(side_int(c->path,
			     "SELECT count(*) FROM requests"
			     " WHERE email = 'alex@example.org'"),
	    2);
	assert_int_equal(t_count_email(c->st, "alex+x@example.org", now), 2);
	assert_int_equal(cl_store_confirmed(c->st, k.token, &when), CL_OK);
	assert_int_equal(when, 0);
}

/* Notes for cl_store_confirm(): kinds[i] to the one address to[i]. */
static void
confirm_notes(bson_t *notes, const char *const *kinds, const char *const *to,
    size_t n)
{
	bson_t el, arr;
	const char *kp;
	char key[16];
	size_t i;

	bson_init(notes);
	for (i = 0; i < n; i++) {
		bson_uint32_to_string((uint32_t)i, &kp, key, sizeof key);
		bson_append_document_begin(notes, kp, -1, &el);
		BSON_APPEND_UTF8(&el, "kind", kinds[i]);
		BSON_APPEND_ARRAY_BEGIN(&el, "to", &arr);
		BSON_APPEND_UTF8(&arr, "0", to[i]);
		bson_append_array_end(&el, &arr);
		bson_append_document_end(notes, &el);
	}
}

/*
 * Confirming an address records the time and queues its notifications,
 * due then, in one write, the first time only; the request document reads
 * back unchanged; claims of the request's notifications carry the time.
 * Unknown tokens and badly shaped notes are refused and change nothing.
 */
static void
test_ob_confirm(void **state)
{
	static const char *const kinds[] = { "address_confirmed",
		"staff_confirmed" };
	static const char *const to[] = { "requester@example.org",
		"staff1@example.org" };
	struct t_case *c = *state;
	cl_notification *v;
	struct t_keys k, other;
	bson_t doc, notes, bad, got;
	int64_t now, when;
	size_t n, i;

	put_two(c->st, &k, 0, &doc);
	put_two(c->st, &other, k.received_ms, &got);
	bson_destroy(&got);
	now = k.received_ms + 10;
	assert_int_equal(cl_store_confirmed(c->st, k.token, &when), CL_OK);
	assert_int_equal(when, 0);
	n = claim(c->st, now, "m1", 10, &v);
	assert_int_equal(n, 4);
	for (i = 0; i < n; i++)
		assert_int_equal(v[i].confirmed_ms, 0);
	for (i = 0; i < n; i++)
		assert_int_equal(cl_store_outbox_sent(c->st, v[i].id, "m1",
				     now),
		    CL_OK);
	cl_notifications_free(v, n);

	/* Refused: nothing recorded, nothing queued. */
	confirm_notes(&notes, kinds, to, 2);
	assert_int_equal(cl_store_confirm(c->st, "no-such-token", now + 1,
			     &notes),
	    CL_ENOTFOUND);
	assert_int_equal(cl_store_confirm(c->st, NULL, now + 1, &notes),
	    CL_ENOTFOUND);
	assert_int_equal(cl_store_confirmed(c->st, "no-such-token", &when),
	    CL_ENOTFOUND);
	assert_int_equal(cl_store_confirm(c->st, k.token, now + 1, NULL),
	    CL_EINVAL);
	bson_init(&bad);
	assert_int_equal(cl_store_confirm(c->st, k.token, now + 1, &bad),
	    CL_EINVAL);
	BSON_APPEND_UTF8(&bad, "0", "address_confirmed");
	assert_int_equal(cl_store_confirm(c->st, k.token, now + 1, &bad),
	    CL_EINVAL);
	bson_destroy(&bad);
	bson_init(&bad);
	BCON_APPEND(&bad, "0", "{", "kind", BCON_UTF8(kinds[0]), "to", "[", "]",
	    "}");
	assert_int_equal(cl_store_confirm(c->st, k.token, now + 1, &bad),
	    CL_EINVAL);
	bson_destroy(&bad);
	assert_int_equal(cl_store_confirmed(c->st, k.token, &when), CL_OK);
	assert_int_equal(when, 0);
	assert_int_equal(claimable(c->st, now + 1), 0);

	/* The first confirmation queues both, due at its time. */
	assert_int_equal(cl_store_confirm(c->st, k.token, now + 1, &notes),
	    CL_OK);
	assert_int_equal(cl_store_confirmed(c->st, k.token, &when), CL_OK);
	assert_int_equal(when, now + 1);
	assert_int_equal(cl_store_confirmed(c->st, other.token, &when), CL_OK);
	assert_int_equal(when, 0);
	assert_int_equal(claimable(c->st, now), 0);
	n = claim(c->st, now + 1, "m1", 10, &v);
	assert_int_equal(n, 2);
	for (i = 0; i < n; i++) {
		size_t j = strcmp(v[i].kind, kinds[0]) == 0 ? 0 : 1;

		assert_string_equal(v[i].kind, kinds[j]);
		assert_int_equal(v[i].nto, 1);
		assert_string_equal(v[i].to[0], to[j]);
		assert_int_equal(v[i].due_ms, now + 1);
		assert_int_equal(v[i].confirmed_ms, now + 1);
		assert_int_equal(v[i].attempts, 0);
		assert_true(bson_equal(v[i].request, &doc));
	}
	assert_string_not_equal(v[0].kind, v[1].kind);

	/* A second confirmation changes nothing and queues nothing. */
	assert_int_equal(cl_store_confirm(c->st, k.token, now + 50, &notes),
	    CL_EDUP);
	assert_int_equal(cl_store_confirmed(c->st, k.token, &when), CL_OK);
	assert_int_equal(when, now + 1);
	for (i = 0; i < n; i++)
		assert_int_equal(cl_store_outbox_sent(c->st, v[i].id, "m1",
				     now + 2),
		    CL_OK);
	cl_notifications_free(v, n);
	assert_int_equal(claimable(c->st, now + 100), 0);

	/* The document reads back as it was put. */
	assert_int_equal(cl_store_get(c->st, CL_KEY_TOKEN, k.token, &got),
	    CL_OK);
	assert_true(bson_equal(&got, &doc));
	bson_destroy(&got);
	bson_destroy(&notes);
	bson_destroy(&doc);
}

int
t_outbox_group(void)
{
	const struct CMUnitTest common[] = {
		cmocka_unit_test_setup_teardown(test_ob_claim, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_ob_claim_due_and_max,
		    t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(test_ob_sent, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_ob_defer, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_ob_failed, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_ob_stats, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_ob_two_handles, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_ob_confirm, t_setup,
		    t_teardown),
	};
	const struct CMUnitTest concurrent[] = {
		cmocka_unit_test_setup_teardown(test_ob_processes, t_setup,
		    t_teardown),
	};
	const struct CMUnitTest sqlite[] = {
		cmocka_unit_test_setup_teardown(test_ob_upgrade_v1, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_ob_upgrade_v2, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_v3_email, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_v5_tag, t_setup,
		    t_teardown),
	};
	int fails;

	fails = cmocka_run_group_tests_name("store outbox", common, NULL, NULL);
	/*
	 * Concurrent claimers need a findAndModify that is atomic on its
	 * document: SQLite and MongoDB have one, FerretDB 1.24 does not.
	 */
	if (t_is_ferretdb())
		printf(
		    "store outbox concurrent: not run on FerretDB, whose "
		    "findAndModify reads then rewrites the document without a "
		    "lock (FerretDB #2168), so two claimers can both win; it "
		    "runs on SQLite and at the wire level "
		    "(tests/e2e/test_mongo_outbox.py checks the findAndModify "
		    "it relies on) and on a MongoDB server "
		    "named by MONGODB_URI\n");
	else
		fails += cmocka_run_group_tests_name("store outbox concurrent",
		    concurrent, NULL, NULL);
	if (t_env.sqlite)
		fails += cmocka_run_group_tests_name("store outbox sqlite",
		    sqlite, NULL, NULL);
	return fails;
}

/*
 * mongo_outbox.c: the outbox of the MongoDB store: the state cl_store_put()
 * adds to a request, claiming due notifications with a lease, recording
 * their outcome, and the counts for metrics and health.
 *
 * A standalone server has no multi-document transactions, and a request
 * and its notifications must be written in one durable step, so the state
 * lives in the request document itself, in a top-level array `outbox`
 * parallel to `notifications` (outbox[i] is the state of notifications[i]):
 *   { status: "due" | "sent" | "failed", due_ms, first_due_ms, attempts,
 *     lease_until_ms, owner ("" when none), and once settled sent_ms or
 *     last_error }
 * A retry moves due_ms on; first_due_ms keeps the due_ms of the put, for
 * the age of the oldest pending notification in the stats.
 * The caller's document is left as it was: `outbox` is appended when the
 * request has notifications, and cl_store_get() and the claimed request
 * documents leave it out, so the key `outbox` is reserved (a document
 * carrying one is refused).  An index {outbox.status: 1, outbox.due_ms: 1}
 * serves the claims.
 *
 * A claim has two steps, both in what MongoDB and FerretDB 1.24 implement
 * alike (FerretDB has neither the positional `$` update operator nor
 * $elemMatch over fields of an embedded document):
 *   1. one find over the requests with a due element (filter on
 *      outbox.status and outbox.due_ms, which the index serves; projection
 *      _id, token and outbox), from which the client picks the elements
 *      claimable now, oldest due_ms first, at most max;
 *   2. per picked element, one findAndModify that names the request by _id
 *      (FerretDB looks up only _id in its SQLite table; any other filter
 *      reads every document) and token, and the element by its index
 *      ("outbox.<i>.status" "due", due_ms and lease_until_ms <= now), and
 *      sets its lease and owner; a null reply means another claimer took
 *      it in between, and the element is skipped.
 * On MongoDB a findAndModify is atomic on its document, so no two
 * claimers can win one element.  FerretDB 1.24 reads, then rewrites, the
 * document without a lock (FerretDB issue #2168), so there two claimers can:
 * the concurrent-claim tests run on MongoDB (or at the wire level) only.
 * Step 1 reads the whole due backlog (small documents, two fields) on
 * every claim.  Reports of sent and
 * failed are updates whose filter names the element, its status "due" and
 * the owner, so a lease another claimer has taken over cannot be settled by
 * the first one (CL_ENOTFOUND).
 *
 * An outbox id is "<_id>:<index>", the request's ObjectId in hex: not its
 * token, which is a secret and must not reach the mailer's log lines.
 * Every write uses w:"majority", j:true.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callin/alloc.h"
#include "callin/err.h"
#include "callin/log.h"
#include "mongo_impl.h"

#define MO_KEY_MAX 64 /* "outbox.<index>.<field>" */

/* Set key to "outbox.<index>.<field>".  Cannot fail. */
static void
mo_key(char key[MO_KEY_MAX], uint32_t index, const char *field)
{
	snprintf(key, MO_KEY_MAX, "outbox.%" PRIu32 ".%s", index, field);
}

/*
 * Append to el the outbox state of a notification that is due at due_ms
 * and was never tried: status, due times, attempts, lease and owner.
 * Cannot fail.
 */
static void
mo_append_due(bson_t *el, int64_t due_ms)
{
	BSON_APPEND_UTF8(el, "status", "due");
	BSON_APPEND_INT64(el, "due_ms", due_ms);
	BSON_APPEND_INT64(el, "first_due_ms", due_ms);
	BSON_APPEND_INT32(el, "attempts", 0);
	BSON_APPEND_INT64(el, "lease_until_ms", 0);
	BSON_APPEND_UTF8(el, "owner", "");
}

/*
 * For cl_store_put(): append to stored, the copy of r's document to
 * insert, the outbox array, one element per notification of r, due at its
 * due_ms (also its first_due_ms) with no lease.  Cannot fail.
 */
void
mg_outbox_append(const cl_reqdoc *r, bson_t *stored)
{
	bson_t arr, el;
	const char *k;
	char key[16];
	size_t i;

	BSON_APPEND_ARRAY_BEGIN(stored, CL_DOC_OUTBOX, &arr);
	for (i = 0; i < r->nnotes; i++) {
		bson_uint32_to_string((uint32_t)i, &k, key, sizeof key);
		bson_append_document_begin(&arr, k, -1, &el);
		mo_append_due(&el, r->notes[i].due_ms);
		bson_append_document_end(&arr, &el);
	}
	bson_append_array_end(stored, &arr);
}

/*
 * Split the outbox id s ("<_id hex>:<index>") into *oid and *index.
 * Fails with CL_ENOTFOUND for anything else: no such notification can
 * exist.
 */
static cl_err
mo_parse_id(const char *s, bson_oid_t *oid, uint32_t *index)
{
	char hex[25];
	const char *colon, *p;
	uint32_t v = 0;

	if ((colon = strrchr(s, ':')) == NULL || colon - s != 24 ||
	    colon[1] == '\0' || strlen(colon + 1) > 6 ||
	    (colon[1] == '0' && colon[2] != '\0'))
		return CL_ENOTFOUND;
	for (p = colon + 1; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return CL_ENOTFOUND;
		v = v * 10 + (uint32_t)(*p - '0');
	}
	memcpy(hex, s, 24);
	hex[24] = '\0';
	if (!mg_parse_id(hex, oid))
		return CL_ENOTFOUND;
	*index = v;
	return CL_OK;
}

/* The integer the iterator stands on, or def when it holds none. */
static int64_t
mo_int(const bson_iter_t *it, int64_t def)
{
	if (BSON_ITER_HOLDS_INT64(it) || BSON_ITER_HOLDS_INT32(it) ||
	    BSON_ITER_HOLDS_DOUBLE(it))
		return bson_iter_as_int64(it);
	return def;
}

/*
 * Whether the outbox element elem (a document iterator) is claimable at
 * now: status "due", due_ms <= now, lease_until_ms <= now.  Sets *due and
 * *attempts from it.  Cannot fail.
 */
static bool
mo_claimable(const bson_iter_t *elem, int64_t now, int64_t *due, int *attempts)
{
	bson_iter_t doc, it;

	if (!BSON_ITER_HOLDS_DOCUMENT(elem) || !bson_iter_recurse(elem, &doc))
		return false;
	it = doc;
	if (!bson_iter_find(&it, "status") || !BSON_ITER_HOLDS_UTF8(&it) ||
	    strcmp(bson_iter_utf8(&it, NULL), "due") != 0)
		return false;
	it = doc;
	if (!bson_iter_find(&it, "due_ms") ||
	    (*due = mo_int(&it, INT64_MAX)) > now)
		return false;
	it = doc;
	if (!bson_iter_find(&it, "lease_until_ms") ||
	    mo_int(&it, INT64_MAX) > now)
		return false;
	it = doc;
	*attempts = bson_iter_find(&it, "attempts") ? (int)mo_int(&it, 0) : 0;
	return true;
}

/*
 * Fill n from the request document doc as it was before its outbox
 * element index was claimed at now: due_ms and attempts from that element,
 * kind and recipients from the element itself when it has them (queued by
 * mg_confirm), else from the notifications element of the same index,
 * confirmed_ms from the document, and the request is doc without _id,
 * outbox, email_lc and confirmed_ms.  Fails with
 * CL_EUNAVAIL, logged, for a document not in the shape cl_store_put()
 * writes or whose element was not claimable; n then holds what was filled.
 */
static cl_err
mo_fill(const bson_t *doc, uint32_t index, int64_t now, cl_notification *n)
{
	bson_iter_t it, arr, note, f, to;
	char oid[25] = "?";
	uint32_t j;

	/* The id names the request by _id: its token is a secret. */
	if (bson_iter_init_find(&it, doc, "_id") && BSON_ITER_HOLDS_OID(&it))
		bson_oid_to_string(bson_iter_oid(&it), oid);
	else
		goto corrupt;
	if (!bson_iter_init_find(&it, doc, CL_DOC_OUTBOX) ||
	    !BSON_ITER_HOLDS_ARRAY(&it) || !bson_iter_recurse(&it, &arr))
		goto corrupt;
	for (j = 0; j <= index; j++)
		if (!bson_iter_next(&arr))
			goto corrupt;
	/* mo_claimable() has seen that arr holds a document. */
	if (!mo_claimable(&arr, now, &n->due_ms, &n->attempts) ||
	    !bson_iter_recurse(&arr, &f))
		goto corrupt;
	if (bson_iter_find(&f, CL_DOC_NOTE_KIND))
		note = arr; /* its own kind and recipients */
	else {
		if (!bson_iter_init_find(&it, doc, CL_DOC_NOTIFICATIONS) ||
		    !BSON_ITER_HOLDS_ARRAY(&it) ||
		    !bson_iter_recurse(&it, &note))
			goto corrupt;
		for (j = 0; j <= index; j++)
			if (!bson_iter_next(&note))
				goto corrupt;
	}
	if (!BSON_ITER_HOLDS_DOCUMENT(&note) || !bson_iter_recurse(&note, &f) ||
	    !bson_iter_find(&f, CL_DOC_NOTE_KIND) || !BSON_ITER_HOLDS_UTF8(&f))
		goto corrupt;
	n->kind = cl_strdup(bson_iter_utf8(&f, NULL));
	if (!bson_iter_recurse(&note, &f) ||
	    !bson_iter_find(&f, CL_DOC_NOTE_TO) || !BSON_ITER_HOLDS_ARRAY(&f) ||
	    !bson_iter_recurse(&f, &to))
		goto corrupt;
	while (bson_iter_next(&to)) {
		if (!BSON_ITER_HOLDS_UTF8(&to))
			goto corrupt;
		st_note_add_to(n, bson_iter_utf8(&to, NULL));
	}
	snprintf(n->id, sizeof n->id, "%s:%" PRIu32, oid, index);
	if (bson_iter_init_find(&it, doc, CL_DOC_CONFIRMED_MS))
		n->confirmed_ms = mo_int(&it, 0);
	n->request = bson_new();
	bson_copy_to_excluding_noinit(doc, n->request, "_id", CL_DOC_STORE_KEYS,
	    NULL);
	return CL_OK;
corrupt:
	cl_log(CL_LOG_ERROR,
	    "store: MongoDB request %s has no claimable "
	    "notification %" PRIu32 " in the expected shape",
	    oid, index);
	return CL_EUNAVAIL;
}

/* An outbox element found claimable by a claim's first step. */
struct mo_pick {
	bson_oid_t oid; /* the request's _id */
	char token[CL_TOKEN_MAX];
	uint32_t index;
	int64_t due_ms;
};

/*
 * Keep (oid, token, index, due_ms) in picks, sorted by due_ms (ties in the
 * order found) and holding at most max of the oldest seen; *np counts them.
 * Cannot fail.
 */
static void
mo_keep(struct mo_pick *picks, size_t max, size_t *np, const bson_oid_t *oid,
    const char *token, uint32_t index, int64_t due_ms)
{
	size_t at;

	CL_ASSERT(*np <= max && max > 0);
	if (*np == max && picks[max - 1].due_ms <= due_ms)
		return;
	if (*np < max)
		(*np)++;
	for (at = *np - 1; at > 0 && picks[at - 1].due_ms > due_ms; at--)
		picks[at] = picks[at - 1];
	bson_oid_copy(oid, &picks[at].oid);
	snprintf(picks[at].token, sizeof picks[at].token, "%s", token);
	picks[at].index = index;
	picks[at].due_ms = due_ms;
}

/*
 * The claim's first step: one find over the requests with an element due
 * by now (projection _id, token and outbox) that keeps in picks the max
 * elements claimable at now with the oldest due_ms (*np of them).  Fails
 * with CL_EUNAVAIL.
 */
static cl_err
mo_pick(struct mg_store *st, int64_t now, size_t max, struct mo_pick *picks,
    size_t *np)
{
	mongoc_cursor_t *cur;
	bson_t *filter, *opts;
	const bson_t *doc;
	bson_iter_t it, arr;
	bson_error_t err;
	const bson_oid_t *oid;
	const char *token;
	uint32_t i, len;
	int64_t due;
	int attempts;
	cl_err rc = CL_OK;

	*np = 0;
	filter = BCON_NEW("outbox.status", BCON_UTF8("due"), "outbox.due_ms",
	    "{", "$lte", BCON_INT64(now), "}");
	opts = BCON_NEW("projection", "{", CL_DOC_TOKEN, BCON_INT32(1),
	    CL_DOC_OUTBOX, BCON_INT32(1), "}");
	cur = mongoc_collection_find_with_opts(st->requests, filter, opts,
	    NULL);
	while (mongoc_cursor_next(cur, &doc)) {
		if (!bson_iter_init_find(&it, doc, "_id") ||
		    !BSON_ITER_HOLDS_OID(&it))
			continue;
		oid = bson_iter_oid(&it);
		if (!bson_iter_init_find(&it, doc, CL_DOC_TOKEN) ||
		    !BSON_ITER_HOLDS_UTF8(&it))
			continue;
		token = bson_iter_utf8(&it, &len);
		if (len >= CL_TOKEN_MAX ||
		    !bson_iter_init_find(&it, doc, CL_DOC_OUTBOX) ||
		    !BSON_ITER_HOLDS_ARRAY(&it) ||
		    !bson_iter_recurse(&it, &arr))
			continue;
		for (i = 0; bson_iter_next(&arr); i++)
			if (mo_claimable(&arr, now, &due, &attempts))
				mo_keep(picks, max, np, oid, token, i, due);
	}
	if (mongoc_cursor_error(cur, &err)) {
		*np = 0;
		rc = mg_error(&err, "find due notifications");
	}
	mongoc_cursor_destroy(cur);
	bson_destroy(filter);
	bson_destroy(opts);
	return rc;
}

/*
 * The claim's second step for pick p: one findAndModify that leases
 * element p->index of request p->token to owner until until if it is
 * still claimable at now, and fills *n from the document as it was; *got
 * tells whether it was still claimable.  Fails with CL_EUNAVAIL.
 */
static cl_err
mo_claim_one(struct mg_store *st, const struct mo_pick *p, int64_t now,
    int64_t until, const char *owner, cl_notification *n, bool *got)
{
	mongoc_find_and_modify_opts_t *opts;
	bson_t *query, *update, reply, value;
	char kstat[MO_KEY_MAX], kdue[MO_KEY_MAX], klease[MO_KEY_MAX];
	char kowner[MO_KEY_MAX];
	bson_iter_t it;
	bson_error_t err;
	const uint8_t *data;
	uint32_t len;
	cl_err rc = CL_OK;

	*got = false;
	mo_key(kstat, p->index, "status");
	mo_key(kdue, p->index, "due_ms");
	mo_key(klease, p->index, "lease_until_ms");
	mo_key(kowner, p->index, "owner");
	query = BCON_NEW("_id", BCON_OID(&p->oid), CL_DOC_TOKEN,
	    BCON_UTF8(p->token), kstat, BCON_UTF8("due"), kdue, "{", "$lte",
	    BCON_INT64(now), "}", klease, "{", "$lte", BCON_INT64(now), "}");
	update = BCON_NEW("$set", "{", klease, BCON_INT64(until), kowner,
	    BCON_UTF8(owner), "}");
	opts = mongoc_find_and_modify_opts_new();
	mongoc_find_and_modify_opts_set_update(opts, update);
	mongoc_find_and_modify_opts_append(opts, st->wopts);
	if (!mongoc_collection_find_and_modify_with_opts(st->requests, query,
		opts, &reply, &err)) {
		rc = mg_error(&err, "claim notification");
		goto err;
	}
	if (bson_iter_init_find(&it, &reply, "value") &&
	    BSON_ITER_HOLDS_DOCUMENT(&it)) {
		bson_iter_document(&it, &len, &data);
		if (!bson_init_static(&value, data, len)) {
			rc = CL_EUNAVAIL;
			goto err;
		}
		*got = true;
		rc = mo_fill(&value, p->index, now, n);
	}
err:
	bson_destroy(&reply);
	mongoc_find_and_modify_opts_destroy(opts);
	bson_destroy(query);
	bson_destroy(update);
	return rc;
}

/*
 * Claim up to max notifications due at now_ms for owner until now_ms +
 * lease_ms, oldest due first, in the two steps at the top of this file.
 * *out and *n receive the claimed ones (NULL and 0 when none).  When a
 * findAndModify fails after others succeeded, those are returned and the
 * failure is logged; what the failed one may have leased waits for its
 * lease to run out.  Fails with CL_EUNAVAIL when none could be claimed.
 */
cl_err
mg_outbox_claim(cl_store *base, int64_t now_ms, int64_t lease_ms,
    const char *owner, size_t max, cl_notification **out, size_t *n)
{
	struct mg_store *st = (struct mg_store *)base;
	struct mo_pick *picks = NULL;
	cl_notification *v = NULL;
	size_t npick = 0, cnt = 0, i;
	bool got;
	cl_err rc;

	CL_ASSERT(max > 0);
	if ((rc = mg_ready(st)) != CL_OK)
		goto err;
	picks = cl_calloc(max, sizeof *picks);
	if ((rc = mo_pick(st, now_ms, max, picks, &npick)) != CL_OK)
		goto err;
	if (npick > 0)
		v = cl_calloc(npick, sizeof *v);
	for (i = 0; i < npick; i++) {
		rc = mo_claim_one(st, &picks[i], now_ms, now_ms + lease_ms,
		    owner, &v[cnt], &got);
		if (rc != CL_OK) {
			st_note_clear(&v[cnt]);
			if (cnt == 0)
				goto err;
			break; /* keep the claims made: they are leased */
		}
		if (got)
			cnt++;
	}
	if (cnt == 0) {
		free(v);
		v = NULL;
	}
	free(picks);
	*out = v;
	*n = cnt;
	return CL_OK;
err:
	free(v);
	free(picks);
	return rc;
}

/*
 * Run one updateOne on requests (w:"majority", j:true) with filter and
 * update, and tell by its matchedCount whether it found the notification.
 * Fails with CL_ENOTFOUND when it matched none, CL_EUNAVAIL.
 */
static cl_err
mo_settle(struct mg_store *st, const bson_t *filter, const bson_t *update,
    const char *what)
{
	bson_t reply;
	bson_iter_t it;
	bson_error_t err;
	cl_err rc = CL_OK;

	if (!mongoc_collection_update_one(st->requests, filter, update,
		st->wopts, &reply, &err)) {
		rc = mg_error(&err, what);
		goto err;
	}
	if (!bson_iter_init_find(&it, &reply, "matchedCount") ||
	    bson_iter_as_int64(&it) != 1)
		rc = CL_ENOTFOUND;
err:
	bson_destroy(&reply);
	return rc;
}

/*
 * Mark notification id sent at now_ms: the update's filter names the
 * request by token and the element by index, with status "due", owner and
 * lease_until_ms > now_ms; it sets status "sent" and sent_ms.  Fails with
 * CL_ENOTFOUND when nothing matches (unknown id, other owner, lapsed lease,
 * settled), CL_EUNAVAIL.
 */
cl_err
mg_outbox_sent(cl_store *base, const char *id, const char *owner,
    int64_t now_ms)
{
	struct mg_store *st = (struct mg_store *)base;
	char kstat[MO_KEY_MAX], kowner[MO_KEY_MAX];
	char klease[MO_KEY_MAX], ksent[MO_KEY_MAX];
	bson_oid_t oid;
	bson_t *filter = NULL, *update = NULL;
	uint32_t i;
	cl_err rc;

	if ((rc = mo_parse_id(id, &oid, &i)) != CL_OK ||
	    (rc = mg_ready(st)) != CL_OK)
		goto err;
	mo_key(kstat, i, "status");
	mo_key(kowner, i, "owner");
	mo_key(klease, i, "lease_until_ms");
	mo_key(ksent, i, "sent_ms");
	filter = BCON_NEW("_id", BCON_OID(&oid), kstat, BCON_UTF8("due"),
	    kowner, BCON_UTF8(owner), klease, "{", "$gt", BCON_INT64(now_ms),
	    "}");
	update = BCON_NEW("$set", "{", kstat, BCON_UTF8("sent"), ksent,
	    BCON_INT64(now_ms), "}");
	rc = mo_settle(st, filter, update, "mark notification sent");
err:
	bson_destroy(filter);
	bson_destroy(update);
	return rc;
}

/*
 * Record a failed try of id by owner: the filter names the element with
 * status "due" and owner; the update adds one to attempts (not for final
 * -1, a deferral, which is otherwise final 0), keeps error in
 * last_error and clears the lease; when final it sets status "failed"
 * (owner kept, for the record), else due_ms retry_ms and owner "", so a
 * second report of the same try finds nothing.  No clock is given, so a
 * lease that lapsed without anyone taking it over still counts as owner's
 * (as with SQLite).  Fails with CL_ENOTFOUND (unknown id, other owner,
 * settled), CL_EUNAVAIL.
 */
cl_err
mg_outbox_failed(cl_store *base, const char *id, const char *owner, int final,
    int64_t retry_ms, const char *error)
{
	struct mg_store *st = (struct mg_store *)base;
	char kstat[MO_KEY_MAX], kowner[MO_KEY_MAX];
	char klease[MO_KEY_MAX], kerr[MO_KEY_MAX], kdue[MO_KEY_MAX];
	bson_oid_t oid;
	char katt[MO_KEY_MAX];
	bson_t *filter = NULL, *update = NULL, set, inc;
	uint32_t i;
	cl_err rc;

	if ((rc = mo_parse_id(id, &oid, &i)) != CL_OK ||
	    (rc = mg_ready(st)) != CL_OK)
		goto err;
	mo_key(kstat, i, "status");
	mo_key(kowner, i, "owner");
	mo_key(klease, i, "lease_until_ms");
	mo_key(kerr, i, "last_error");
	mo_key(kdue, i, "due_ms");
	mo_key(katt, i, "attempts");
	filter = BCON_NEW("_id", BCON_OID(&oid), kstat, BCON_UTF8("due"),
	    kowner, BCON_UTF8(owner));
	update = bson_new();
	BSON_APPEND_DOCUMENT_BEGIN(update, "$set", &set);
	BSON_APPEND_INT64(&set, klease, 0);
	BSON_APPEND_UTF8(&set, kerr, error);
	if (final > 0)
		BSON_APPEND_UTF8(&set, kstat, "failed");
	else {
		BSON_APPEND_INT64(&set, kdue, retry_ms);
		BSON_APPEND_UTF8(&set, kowner, "");
	}
	bson_append_document_end(update, &set);
	if (final >= 0) {
		BSON_APPEND_DOCUMENT_BEGIN(update, "$inc", &inc);
		BSON_APPEND_INT32(&inc, katt, 1);
		bson_append_document_end(update, &inc);
	}
	rc = mo_settle(st, filter, update, "record failed notification");
err:
	bson_destroy(filter);
	bson_destroy(update);
	return rc;
}

/*
 * Run the aggregate pipeline on requests and call each for every document
 * it yields, with arg.  Fails with CL_EUNAVAIL, logged with what.
 */
static cl_err
mo_aggregate(struct mg_store *st, const bson_t *pipeline,
    void (*each)(const bson_t *, void *), void *arg, const char *what)
{
	mongoc_cursor_t *cur;
	const bson_t *doc;
	bson_error_t err;
	cl_err rc = CL_OK;

	cur = mongoc_collection_aggregate(st->requests, MONGOC_QUERY_NONE,
	    pipeline, NULL, NULL);
	while (mongoc_cursor_next(cur, &doc))
		each(doc, arg);
	if (mongoc_cursor_error(cur, &err))
		rc = mg_error(&err, what);
	mongoc_cursor_destroy(cur);
	return rc;
}

/* mo_aggregate's callback for the counts: {_id: status, n}.  Cannot fail. */
static void
mo_count_status(const bson_t *doc, void *arg)
{
	cl_outbox_stats *stats = arg;
	bson_iter_t it;
	const char *status;
	int64_t count;

	if (!bson_iter_init_find(&it, doc, "_id") || !BSON_ITER_HOLDS_UTF8(&it))
		return;
	status = bson_iter_utf8(&it, NULL);
	count = bson_iter_init_find(&it, doc, "n") ? mo_int(&it, 0) : 0;
	if (strcmp(status, "due") == 0)
		stats->due = count;
	else if (strcmp(status, "sent") == 0)
		stats->sent = count;
	else if (strcmp(status, "failed") == 0)
		stats->failed = count;
}

/*
 * mo_aggregate's callback for the oldest: {outbox: {first_due_ms}} into
 * the int64_t arg.  Cannot fail.
 */
static void
mo_oldest(const bson_t *doc, void *arg)
{
	int64_t *oldest = arg;
	bson_iter_t it;

	if (bson_iter_init(&it, doc) &&
	    bson_iter_find_descendant(&it, "outbox.first_due_ms", &it))
		*oldest = mo_int(&it, INT64_MAX);
}

/*
 * Fill *stats with two aggregates over the requests that have an outbox,
 * each $match on outbox.status (the outbox index), $project the outbox and
 * $unwind it: the first groups by status with $sum; the second keeps the
 * elements still due (due now, leased or waiting for a retry), sorts them
 * by first_due_ms and takes one, whose first_due_ms is oldest_due_ms when
 * it is <= now_ms, else 0 (FerretDB 1.24 has no $min accumulator).  The
 * projections keep _id: FerretDB 1.24 drops the connection (a panic in the
 * aggregate) when $unwind follows a projection without it.  The
 * cost grows with the number of requests that ever had notifications.
 * Fails with CL_EUNAVAIL; *stats is then all zero.
 */
cl_err
mg_outbox_stats(cl_store *base, int64_t now_ms, cl_outbox_stats *stats)
{
	struct mg_store *st = (struct mg_store *)base;
	bson_t *counts = NULL, *oldest = NULL;
	int64_t min = INT64_MAX;
	cl_err rc;

	memset(stats, 0, sizeof *stats);
	if ((rc = mg_ready(st)) != CL_OK)
		goto err;
	counts = BCON_NEW("pipeline", "[", "{", "$match", "{", "outbox.status",
	    "{", "$in", "[", BCON_UTF8("due"), BCON_UTF8("sent"),
	    BCON_UTF8("failed"), "]", "}", "}", "}", "{", "$project", "{",
	    "outbox.status", BCON_INT32(1), "}", "}", "{", "$unwind",
	    BCON_UTF8("$outbox"), "}", "{", "$group", "{", "_id",
	    BCON_UTF8("$outbox.status"), "n", "{", "$sum", BCON_INT32(1), "}",
	    "}", "}", "]");
	oldest = BCON_NEW("pipeline", "[", "{", "$match", "{", "outbox.status",
	    BCON_UTF8("due"), "}", "}", "{", "$project", "{", "outbox.status",
	    BCON_INT32(1), "outbox.first_due_ms", BCON_INT32(1), "}", "}", "{",
	    "$unwind", BCON_UTF8("$outbox"), "}", "{", "$match", "{",
	    "outbox.status", BCON_UTF8("due"), "}", "}", "{", "$sort", "{",
	    "outbox.first_due_ms", BCON_INT32(1), "}", "}", "{", "$limit",
	    BCON_INT32(1), "}", "]");
	if ((rc = mo_aggregate(st, counts, mo_count_status, stats,
		 "outbox stats")) != CL_OK ||
	    (rc = mo_aggregate(st, oldest, mo_oldest, &min,
		 "oldest due notification")) != CL_OK) {
		memset(stats, 0, sizeof *stats);
		goto err;
	}
	stats->oldest_due_ms = min <= now_ms ? min : 0;
err:
	bson_destroy(counts);
	bson_destroy(oldest);
	return rc;
}

/*
 * cl_store_confirm(): one updateOne (w:"majority", j:true) on the request
 * with token and no confirmed_ms that sets confirmed_ms and appends to its
 * outbox one element per checked note of v, due at its due_ms, carrying
 * the note's kind and recipients (the document's notifications stay as
 * put).  CL_OK, CL_EDUP (confirmed before), CL_ENOTFOUND, CL_EUNAVAIL.
 */
cl_err
mg_confirm(cl_store *base, const char *token, int64_t now_ms,
    const cl_reqdoc_note *v, size_t n)
{
	struct mg_store *st = (struct mg_store *)base;
	bson_t *filter = NULL, update = BSON_INITIALIZER, set, push, out, each,
	       el;
	bson_t to;
	char key[16];
	const char *k;
	int64_t at;
	size_t i, j;
	cl_err rc;

	if ((rc = mg_ready(st)) != CL_OK)
		goto err;
	filter = BCON_NEW(CL_DOC_TOKEN, BCON_UTF8(token), CL_DOC_CONFIRMED_MS,
	    "{", "$exists", BCON_BOOL(false), "}");
	BSON_APPEND_DOCUMENT_BEGIN(&update, "$set", &set);
	BSON_APPEND_INT64(&set, CL_DOC_CONFIRMED_MS, now_ms);
	bson_append_document_end(&update, &set);
	BSON_APPEND_DOCUMENT_BEGIN(&update, "$push", &push);
	BSON_APPEND_DOCUMENT_BEGIN(&push, CL_DOC_OUTBOX, &out);
	BSON_APPEND_ARRAY_BEGIN(&out, "$each", &each);
	for (i = 0; i < n; i++) {
		bson_uint32_to_string((uint32_t)i, &k, key, sizeof key);
		bson_append_document_begin(&each, k, -1, &el);
		mo_append_due(&el, v[i].due_ms);
		BSON_APPEND_UTF8(&el, CL_DOC_NOTE_KIND, v[i].kind);
		BSON_APPEND_ARRAY_BEGIN(&el, CL_DOC_NOTE_TO, &to);
		for (j = 0; j < v[i].nto; j++) {
			bson_uint32_to_string((uint32_t)j, &k, key, sizeof key);
			bson_append_utf8(&to, k, -1, v[i].to[j], -1);
		}
		bson_append_array_end(&el, &to);
		bson_append_document_end(&each, &el);
	}
	bson_append_array_end(&out, &each);
	bson_append_document_end(&push, &out);
	bson_append_document_end(&update, &push);
	rc = mo_settle(st, filter, &update, "confirm request");
	if (rc == CL_ENOTFOUND &&
	    (rc = mg_confirmed(base, token, &at)) == CL_OK)
		rc = CL_EDUP;
err:
	bson_destroy(filter);
	bson_destroy(&update);
	return rc;
}

/*
 * cl_store_confirmed(): the confirmed_ms of the request with token, 0 when
 * it has none.  Fails with CL_ENOTFOUND, CL_EUNAVAIL.
 */
cl_err
mg_confirmed(cl_store *base, const char *token, int64_t *confirmed_ms)
{
	struct mg_store *st = (struct mg_store *)base;
	bson_t *filter = NULL, *opts = NULL;
	mongoc_cursor_t *cur = NULL;
	const bson_t *doc;
	bson_error_t err;
	bson_iter_t it;
	cl_err rc;

	if ((rc = mg_ready(st)) != CL_OK)
		goto err;
	filter = BCON_NEW(CL_DOC_TOKEN, BCON_UTF8(token));
	opts = BCON_NEW("limit", BCON_INT64(1), "projection", "{", "_id",
	    BCON_INT32(1), CL_DOC_CONFIRMED_MS, BCON_INT32(1), "}");
	cur = mongoc_collection_find_with_opts(st->requests, filter, opts,
	    NULL);
	if (mongoc_cursor_next(cur, &doc)) {
		if (bson_iter_init_find(&it, doc, CL_DOC_CONFIRMED_MS))
			*confirmed_ms = mo_int(&it, 0);
	} else if (mongoc_cursor_error(cur, &err))
		rc = mg_error(&err, "read confirmation");
	else
		rc = CL_ENOTFOUND;
err:
	mongoc_cursor_destroy(cur);
	bson_destroy(filter);
	bson_destroy(opts);
	return rc;
}

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
 * A claim is one findAndModify per notification, each atomic on its
 * document: the filter matches a request with an element due, due_ms come
 * and no live lease ($elemMatch), the update sets that element's lease and
 * owner through the positional operator, and the reply is the document as
 * it was before, in which the first element that matches the $elemMatch is
 * the one the positional operator updated.  The hint makes the server walk
 * the outbox index, so requests come in the order of the oldest due_ms
 * among their due notifications, without sorting the backlog in memory
 * (hint on findAndModify needs MongoDB 4.4 or later).  Reports of sent and
 * failed are updates whose filter names the element, its status "due" and
 * the owner, so a lease another claimer has taken over cannot be settled by
 * the first one (CL_ENOTFOUND).
 *
 * An outbox id is "<token>:<index>", which cl_store_put() makes sure fits.
 * Every write uses w:"majority", j:true.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callin/alloc.h"
#include "callin/log.h"
#include "mongo_impl.h"

#define MO_INDEX	"outbox.status_1_outbox.due_ms_1"
#define MO_KEY_MAX	64	/* "outbox.<index>.<field>" */

/*
 * Whether it holds a non-empty string without NUL bytes (the SQLite
 * backend's rule for notification strings).  Cannot fail.
 */
static bool
mo_is_text(const bson_iter_t *it)
{
	const char *s;
	uint32_t len;

	if (!BSON_ITER_HOLDS_UTF8(it))
		return false;
	s = bson_iter_utf8(it, &len);
	return len > 0 && memchr(s, '\0', len) == NULL;
}

/*
 * Check the notifications[] element it stands on as the SQLite backend
 * does: a document with a kind string, a to array of strings, optionally a
 * message_id string and a due_ms integer.  *due_ms receives its due_ms, or
 * received_ms.  Fails with CL_EINVAL.
 */
static cl_err
mo_check_note(const bson_iter_t *elem, int64_t received_ms, int64_t *due_ms)
{
	bson_iter_t doc, it, to;

	if (!BSON_ITER_HOLDS_DOCUMENT(elem) || !bson_iter_recurse(elem, &doc))
		return CL_EINVAL;
	it = doc;
	if (!bson_iter_find(&it, "kind") || !mo_is_text(&it))
		return CL_EINVAL;
	it = doc;
	if (!bson_iter_find(&it, "to") || !BSON_ITER_HOLDS_ARRAY(&it) ||
	    !bson_iter_recurse(&it, &to))
		return CL_EINVAL;
	while (bson_iter_next(&to))
		if (!mo_is_text(&to))
			return CL_EINVAL;
	it = doc;
	if (bson_iter_find(&it, "message_id") && !mo_is_text(&it))
		return CL_EINVAL;
	*due_ms = received_ms;
	it = doc;
	if (bson_iter_find(&it, "due_ms")) {
		if (!BSON_ITER_HOLDS_INT64(&it) && !BSON_ITER_HOLDS_INT32(&it))
			return CL_EINVAL;
		*due_ms = bson_iter_as_int64(&it);
	}
	return CL_OK;
}

/*
 * For cl_store_put(): check the notifications of doc (already checked by
 * mg_check_doc for token and received_ms) and make in *stored the document
 * to insert, doc with the outbox array appended, every element due at its
 * due_ms (also its first_due_ms) with no lease.  *stored is NULL when doc
 * has no notifications: insert doc itself.  Fails with CL_EINVAL, logged,
 * for a malformed notification, a document that already has an outbox
 * key, or a token too long for the outbox ids; *stored is then NULL.
 */
cl_err
mg_outbox_doc(const bson_t *doc, bson_t **stored)
{
	bson_iter_t it, notes;
	bson_t *out = NULL, arr, el;
	const char *what, *k;
	int64_t received_ms, due_ms;
	char key[16], id[CL_BLOB_ID_MAX];
	uint32_t i, count = 0;
	int len;

	*stored = NULL;
	what = "no outbox key (reserved)";
	if (bson_iter_init_find(&it, doc, "outbox"))
		goto err;
	if (!bson_iter_init_find(&it, doc, "notifications"))
		return CL_OK;
	what = "valid notifications";
	if (!BSON_ITER_HOLDS_ARRAY(&it) || !bson_iter_recurse(&it, &notes))
		goto err;
	(void)bson_iter_init_find(&it, doc, "received_ms");
	received_ms = bson_iter_as_int64(&it);
	while (bson_iter_next(&notes)) {
		if (mo_check_note(&notes, received_ms, &due_ms) != CL_OK)
			goto err;
		count++;
	}
	if (count == 0)
		return CL_OK;
	what = "a token short enough for outbox ids";
	(void)bson_iter_init_find(&it, doc, "token");
	len = snprintf(id, sizeof id, "%s:%" PRIu32,
	    bson_iter_utf8(&it, NULL), count - 1);
	if (len < 0 || (size_t)len >= sizeof id)
		goto err;

	out = bson_copy(doc);
	BSON_APPEND_ARRAY_BEGIN(out, "outbox", &arr);
	(void)bson_iter_init_find(&it, doc, "notifications");
	(void)bson_iter_recurse(&it, &notes);
	for (i = 0; bson_iter_next(&notes); i++) {
		(void)mo_check_note(&notes, received_ms, &due_ms);
		bson_uint32_to_string(i, &k, key, sizeof key);
		bson_append_document_begin(&arr, k, -1, &el);
		BSON_APPEND_UTF8(&el, "status", "due");
		BSON_APPEND_INT64(&el, "due_ms", due_ms);
		BSON_APPEND_INT64(&el, "first_due_ms", due_ms);
		BSON_APPEND_INT32(&el, "attempts", 0);
		BSON_APPEND_INT64(&el, "lease_until_ms", 0);
		BSON_APPEND_UTF8(&el, "owner", "");
		bson_append_document_end(&arr, &el);
	}
	bson_append_array_end(out, &arr);
	*stored = out;
	return CL_OK;
err:
	cl_log(CL_LOG_WARN, "store: request document lacks %s", what);
	return CL_EINVAL;
}

/*
 * Split the outbox id s ("<token>:<index>") into token (CL_TOKEN_MAX
 * bytes) and *index.  Fails with CL_ENOTFOUND for anything else: no such
 * notification can exist.
 */
static cl_err
mo_parse_id(const char *s, char *token, uint32_t *index)
{
	const char *colon, *p;
	uint32_t v = 0;

	if ((colon = strrchr(s, ':')) == NULL || colon == s ||
	    (size_t)(colon - s) >= CL_TOKEN_MAX || colon[1] == '\0' ||
	    strlen(colon + 1) > 6 || (colon[1] == '0' && colon[2] != '\0'))
		return CL_ENOTFOUND;
	for (p = colon + 1; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return CL_ENOTFOUND;
		v = v * 10 + (uint32_t)(*p - '0');
	}
	memcpy(token, s, (size_t)(colon - s));
	token[colon - s] = '\0';
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
mo_claimable(const bson_iter_t *elem, int64_t now, int64_t *due,
    int *attempts)
{
	bson_iter_t doc, it;

	if (!BSON_ITER_HOLDS_DOCUMENT(elem) || !bson_iter_recurse(elem, &doc))
		return false;
	it = doc;
	if (!bson_iter_find(&it, "status") || !BSON_ITER_HOLDS_UTF8(&it) ||
	    strcmp(bson_iter_utf8(&it, NULL), "due") != 0)
		return false;
	it = doc;
	if (!bson_iter_find(&it, "due_ms") || (*due = mo_int(&it, INT64_MAX)) >
	    now)
		return false;
	it = doc;
	if (!bson_iter_find(&it, "lease_until_ms") || mo_int(&it, INT64_MAX) >
	    now)
		return false;
	it = doc;
	*attempts = bson_iter_find(&it, "attempts") ? (int)mo_int(&it, 0) : 0;
	return true;
}

/*
 * Fill n from the request document doc as it was before a claim at now:
 * the notification is the first element of outbox that was claimable (the
 * one the positional update leased); kind and recipients come from the
 * notifications element of the same index, and the request is doc without
 * _id, outbox and email_lc.  Fails with CL_EUNAVAIL, logged, for a document
 * not in the shape cl_store_put() writes; n then holds what was filled.
 */
static cl_err
mo_fill(const bson_t *doc, int64_t now, cl_notification *n)
{
	bson_iter_t it, arr, note, f, to;
	const char *token = "?";
	uint32_t i, j;
	size_t cap = 0;
	bool found = false;

	if (bson_iter_init_find(&it, doc, "token") && BSON_ITER_HOLDS_UTF8(&it))
		token = bson_iter_utf8(&it, NULL);
	if (!bson_iter_init_find(&it, doc, "outbox") ||
	    !BSON_ITER_HOLDS_ARRAY(&it) || !bson_iter_recurse(&it, &arr))
		goto corrupt;
	for (i = 0; bson_iter_next(&arr); i++)
		if ((found = mo_claimable(&arr, now, &n->due_ms,
		    &n->attempts)))
			break;
	if (!found || !bson_iter_init_find(&it, doc, "notifications") ||
	    !BSON_ITER_HOLDS_ARRAY(&it) || !bson_iter_recurse(&it, &note))
		goto corrupt;
	for (j = 0; j <= i; j++)
		if (!bson_iter_next(&note))
			goto corrupt;
	if (!BSON_ITER_HOLDS_DOCUMENT(&note) || !bson_iter_recurse(&note, &f) ||
	    !bson_iter_find(&f, "kind") || !BSON_ITER_HOLDS_UTF8(&f))
		goto corrupt;
	n->kind = cl_strdup(bson_iter_utf8(&f, NULL));
	(void)bson_iter_recurse(&note, &f);
	if (!bson_iter_find(&f, "to") || !BSON_ITER_HOLDS_ARRAY(&f) ||
	    !bson_iter_recurse(&f, &to))
		goto corrupt;
	while (bson_iter_next(&to)) {
		if (!BSON_ITER_HOLDS_UTF8(&to))
			goto corrupt;
		if (n->nto == cap) {
			cap = cap == 0 ? 4 : cap * 2;
			n->to = cl_realloc(n->to, cap * sizeof *n->to);
		}
		n->to[n->nto++] = cl_strdup(bson_iter_utf8(&to, NULL));
	}
	snprintf(n->id, sizeof n->id, "%s:%" PRIu32, token, i);
	n->request = bson_new();
	bson_copy_to_excluding_noinit(doc, n->request, "_id", "outbox",
	    "email_lc", NULL);
	return CL_OK;
corrupt:
	cl_log(CL_LOG_ERROR, "store: MongoDB request %s has no claimable "
	    "notification in the expected shape", token);
	return CL_EUNAVAIL;
}

/*
 * Lease one notification due at now to owner until until with one
 * findAndModify (see the top of this file) and fill *n from it; *got
 * tells whether there was one.  Fails with CL_EUNAVAIL.
 */
static cl_err
mo_claim_one(struct mg_store *st, int64_t now, int64_t until,
    const char *owner, cl_notification *n, bool *got)
{
	mongoc_find_and_modify_opts_t *opts;
	bson_t *query, *update, *extra, reply, value;
	bson_iter_t it;
	bson_error_t err;
	const uint8_t *data;
	uint32_t len;
	cl_err rc = CL_OK;

	*got = false;
	query = BCON_NEW("outbox", "{", "$elemMatch", "{",
	    "status", BCON_UTF8("due"),
	    "due_ms", "{", "$lte", BCON_INT64(now), "}",
	    "lease_until_ms", "{", "$lte", BCON_INT64(now), "}", "}", "}");
	update = BCON_NEW("$set", "{",
	    "outbox.$.lease_until_ms", BCON_INT64(until),
	    "outbox.$.owner", BCON_UTF8(owner), "}");
	extra = bson_copy(st->wopts);
	BSON_APPEND_UTF8(extra, "hint", MO_INDEX);
	opts = mongoc_find_and_modify_opts_new();
	mongoc_find_and_modify_opts_set_update(opts, update);
	mongoc_find_and_modify_opts_append(opts, extra);
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
		rc = mo_fill(&value, now, n);
	}
err:
	bson_destroy(&reply);
	mongoc_find_and_modify_opts_destroy(opts);
	bson_destroy(query);
	bson_destroy(update);
	bson_destroy(extra);
	return rc;
}

/* Free what n holds, not n itself.  Cannot fail. */
static void
mo_clear(cl_notification *n)
{
	size_t i;

	free(n->kind);
	for (i = 0; i < n->nto; i++)
		free(n->to[i]);
	free(n->to);
	if (n->request != NULL)
		bson_destroy(n->request);
	memset(n, 0, sizeof *n);
}

/*
 * Claim up to max notifications due at now_ms for owner until now_ms +
 * lease_ms, one findAndModify each, until one finds nothing.  *out and *n
 * receive the claimed ones (NULL and 0 when none).  When a findAndModify
 * fails after others succeeded, those are returned and the failure is
 * logged; what the failed one may have leased waits for its lease to run
 * out.  Fails with CL_EUNAVAIL when none could be claimed.
 */
cl_err
mg_outbox_claim(cl_store *base, int64_t now_ms, int64_t lease_ms,
    const char *owner, size_t max, cl_notification **out, size_t *n)
{
	struct mg_store *st = (struct mg_store *)base;
	cl_notification *v = NULL;
	size_t cnt = 0, cap = 0;
	bool got = true;
	cl_err rc;

	if ((rc = mg_ready(st)) != CL_OK)
		goto err;
	while (cnt < max && got) {
		if (cnt == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			if (cap > max)
				cap = max;
			v = cl_realloc(v, cap * sizeof *v);
		}
		memset(&v[cnt], 0, sizeof v[cnt]);
		rc = mo_claim_one(st, now_ms, now_ms + lease_ms, owner,
		    &v[cnt], &got);
		if (rc != CL_OK) {
			mo_clear(&v[cnt]);
			if (cnt == 0)
				goto err;
			rc = CL_OK;
			break;
		}
		if (got)
			cnt++;
	}
	if (cnt == 0) {
		free(v);
		v = NULL;
	}
	*out = v;
	*n = cnt;
	return CL_OK;
err:
	free(v);
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

/* Set key to "outbox.<index>.<field>".  Cannot fail. */
static void
mo_key(char key[MO_KEY_MAX], uint32_t index, const char *field)
{
	snprintf(key, MO_KEY_MAX, "outbox.%" PRIu32 ".%s", index, field);
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
	char token[CL_TOKEN_MAX], kstat[MO_KEY_MAX], kowner[MO_KEY_MAX];
	char klease[MO_KEY_MAX], ksent[MO_KEY_MAX];
	bson_t *filter = NULL, *update = NULL;
	uint32_t i;
	cl_err rc;

	if ((rc = mo_parse_id(id, token, &i)) != CL_OK ||
	    (rc = mg_ready(st)) != CL_OK)
		goto err;
	mo_key(kstat, i, "status");
	mo_key(kowner, i, "owner");
	mo_key(klease, i, "lease_until_ms");
	mo_key(ksent, i, "sent_ms");
	filter = BCON_NEW("token", BCON_UTF8(token),
	    kstat, BCON_UTF8("due"), kowner, BCON_UTF8(owner),
	    klease, "{", "$gt", BCON_INT64(now_ms), "}");
	update = BCON_NEW("$set", "{", kstat, BCON_UTF8("sent"),
	    ksent, BCON_INT64(now_ms), "}");
	rc = mo_settle(st, filter, update, "mark notification sent");
err:
	bson_destroy(filter);
	bson_destroy(update);
	return rc;
}

/*
 * Record a failed try of id by owner: the filter names the element with
 * status "due" and owner; the update adds one to attempts, keeps error in
 * last_error and clears the lease; when final it sets status "failed"
 * (owner kept, for the record), else due_ms retry_ms and owner "", so a
 * second report of the same try finds nothing.  No clock is given, so a
 * lease that lapsed without anyone taking it over still counts as owner's
 * (as with SQLite).  Fails with CL_ENOTFOUND (unknown id, other owner,
 * settled), CL_EUNAVAIL.
 */
cl_err
mg_outbox_failed(cl_store *base, const char *id, const char *owner,
    int final, int64_t retry_ms, const char *error)
{
	struct mg_store *st = (struct mg_store *)base;
	char token[CL_TOKEN_MAX], kstat[MO_KEY_MAX], kowner[MO_KEY_MAX];
	char klease[MO_KEY_MAX], kerr[MO_KEY_MAX], kdue[MO_KEY_MAX];
	char katt[MO_KEY_MAX];
	bson_t *filter = NULL, *update = NULL, set, inc;
	uint32_t i;
	cl_err rc;

	if ((rc = mo_parse_id(id, token, &i)) != CL_OK ||
	    (rc = mg_ready(st)) != CL_OK)
		goto err;
	mo_key(kstat, i, "status");
	mo_key(kowner, i, "owner");
	mo_key(klease, i, "lease_until_ms");
	mo_key(kerr, i, "last_error");
	mo_key(kdue, i, "due_ms");
	mo_key(katt, i, "attempts");
	filter = BCON_NEW("token", BCON_UTF8(token),
	    kstat, BCON_UTF8("due"), kowner, BCON_UTF8(owner));
	update = bson_new();
	BSON_APPEND_DOCUMENT_BEGIN(update, "$set", &set);
	BSON_APPEND_INT64(&set, klease, 0);
	BSON_APPEND_UTF8(&set, kerr, error);
	if (final)
		BSON_APPEND_UTF8(&set, kstat, "failed");
	else {
		BSON_APPEND_INT64(&set, kdue, retry_ms);
		BSON_APPEND_UTF8(&set, kowner, "");
	}
	bson_append_document_end(update, &set);
	BSON_APPEND_DOCUMENT_BEGIN(update, "$inc", &inc);
	BSON_APPEND_INT32(&inc, katt, 1);
	bson_append_document_end(update, &inc);
	rc = mo_settle(st, filter, update, "record failed notification");
err:
	bson_destroy(filter);
	bson_destroy(update);
	return rc;
}

/*
 * Fill *stats with one aggregate over the requests that have an outbox:
 * $match on outbox.status (the outbox index), $project the outbox,
 * $unwind it, $group by status counting and taking the smallest
 * first_due_ms.  oldest_due_ms is that of the ones still due (due now,
 * leased or waiting for a retry) when it is <= now_ms, else 0.  The cost
 * grows with the number of requests that ever had notifications.  Fails
 * with CL_EUNAVAIL.
 */
cl_err
mg_outbox_stats(cl_store *base, int64_t now_ms, cl_outbox_stats *stats)
{
	struct mg_store *st = (struct mg_store *)base;
	mongoc_cursor_t *cur = NULL;
	bson_t *pipeline = NULL;
	const bson_t *doc;
	bson_error_t err;
	bson_iter_t it;
	const char *status;
	int64_t count, min;
	cl_err rc;

	if ((rc = mg_ready(st)) != CL_OK)
		goto err;
	pipeline = BCON_NEW("pipeline", "[",
	    "{", "$match", "{", "outbox.status", "{", "$in", "[",
	        BCON_UTF8("due"), BCON_UTF8("sent"), BCON_UTF8("failed"),
	        "]", "}", "}", "}",
	    "{", "$project", "{", "_id", BCON_INT32(0),
	        "outbox.status", BCON_INT32(1),
	        "outbox.first_due_ms", BCON_INT32(1), "}", "}",
	    "{", "$unwind", BCON_UTF8("$outbox"), "}",
	    "{", "$group", "{", "_id", BCON_UTF8("$outbox.status"),
	        "n", "{", "$sum", BCON_INT32(1), "}",
	        "oldest", "{", "$min", BCON_UTF8("$outbox.first_due_ms"), "}",
	        "}", "}",
	    "]");
	cur = mongoc_collection_aggregate(st->requests, MONGOC_QUERY_NONE,
	    pipeline, NULL, NULL);
	while (mongoc_cursor_next(cur, &doc)) {
		if (!bson_iter_init_find(&it, doc, "_id") ||
		    !BSON_ITER_HOLDS_UTF8(&it))
			continue;
		status = bson_iter_utf8(&it, NULL);
		count = bson_iter_init_find(&it, doc, "n") ? mo_int(&it, 0) : 0;
		min = bson_iter_init_find(&it, doc, "oldest") ?
		    mo_int(&it, INT64_MAX) : INT64_MAX;
		if (strcmp(status, "due") == 0) {
			stats->due = count;
			stats->oldest_due_ms = min <= now_ms ? min : 0;
		} else if (strcmp(status, "sent") == 0)
			stats->sent = count;
		else if (strcmp(status, "failed") == 0)
			stats->failed = count;
	}
	if (mongoc_cursor_error(cur, &err)) {
		memset(stats, 0, sizeof *stats);
		rc = mg_error(&err, "outbox stats");
		goto err;
	}
err:
	mongoc_cursor_destroy(cur);
	bson_destroy(pipeline);
	return rc;
}

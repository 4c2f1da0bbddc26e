/*
 * mongo_log.c: the transparency log's part of the MongoDB store (see
 * store.h).  A request queued for the log carries log_state "pending"
 * (indexed with received_ms; readers never see it), set by the put's one
 * insert.  The entries are the documents of log_entries, {_id: idx (int64),
 * entry, token} (token indexed); the state is the one document of
 * log_state, {_id: "state", size, root (hex), checkpoint}.
 *
 * Without a transaction, an append writes in an order that a crash
 * between any two writes cannot make wrong: the entries first (replacing
 * by _id, so leftovers above the state's size from an append that never
 * swapped are overwritten), then the state by compare-and-swap (insert for
 * the first, else an update whose filter is the old size and root), then
 * the queue cleared.  A request still queued whose token is an entry
 * below the state's size was logged: mg_log_pending() clears it instead of
 * returning it.
 */
#include <stdlib.h>
#include <string.h>

#include "callin/alloc.h"
#include "callin/err.h"
#include "callin/hash.h"
#include "callin/log.h"
#include "mongo_impl.h"

#define MG_PENDING "pending"

/* Append log_state "pending" to the document d being stored.  Cannot fail. */
void
mg_log_mark(bson_t *d)
{
	BSON_APPEND_UTF8(d, CL_DOC_LOG_STATE, MG_PENDING);
}

/*
 * Read the state document into *out (zeroed: the empty state when there
 * is none).  Fails with CL_EUNAVAIL, also for a state not shaped as this
 * code writes it.
 */
static cl_err
state_read(struct mg_store *st, cl_store_logstate *out)
{
	mongoc_cursor_t *cur;
	const bson_t *doc;
	bson_t *filter;
	bson_error_t err;
	const char *root, *cp;
	size_t rlen, cplen;
	cl_err rc = CL_OK;

	filter = BCON_NEW("_id", BCON_UTF8("state"));
	cur = mongoc_collection_find_with_opts(st->log_state, filter, NULL,
	    NULL);
	if (mongoc_cursor_next(cur, &doc)) {
		root = cl_reqdoc_str(doc, "root", NULL, &rlen);
		cp = cl_reqdoc_str(doc, "checkpoint", NULL, &cplen);
		out->size = cl_reqdoc_int(doc, "size", -1);
		if (root == NULL || cp == NULL || cplen == 0 || out->size < 1 ||
		    cl_unhex(root, rlen, out->root, CL_STORE_LOG_HASH) !=
			CL_OK) {
			cl_log(CL_LOG_ERROR, "store: the log state is damaged");
			memset(out, 0, sizeof *out);
			rc = CL_EUNAVAIL;
		} else {
			out->checkpoint = cl_strndup(cp, cplen);
			out->checkpoint_len = cplen;
		}
	} else if (mongoc_cursor_error(cur, &err))
		rc = mg_error(&err, "read the log state");
	mongoc_cursor_destroy(cur);
	bson_destroy(filter);
	return rc;
}

/* The state (see store.h) into *out, zeroed by store.c.  CL_EUNAVAIL. */
cl_err
mg_log_state(cl_store *base, cl_store_logstate *out)
{
	struct mg_store *st = (struct mg_store *)base;
	cl_err rc;

	if ((rc = mg_ready(st)) != CL_OK)
		return rc;
	return state_read(st, out);
}

/*
 * Of the n tokens, set logged[i] when tokens[i] is an entry below size
 * (one find, $in on the token index).  Fails with CL_EUNAVAIL.
 */
static cl_err
find_logged(struct mg_store *st, const char *const *tokens, size_t n,
    int64_t size, bool *logged)
{
	mongoc_cursor_t *cur;
	bson_t filter = BSON_INITIALIZER, sub;
	const bson_t *doc;
	bson_error_t err;
	const char *t;
	size_t i;
	cl_err rc = CL_OK;

	mg_append_in(&filter, "token", tokens, NULL, n);
	BSON_APPEND_DOCUMENT_BEGIN(&filter, "_id", &sub);
	BSON_APPEND_INT64(&sub, "$lt", size);
	bson_append_document_end(&filter, &sub);
	cur = mongoc_collection_find_with_opts(st->log_entries, &filter, NULL,
	    NULL);
	while (mongoc_cursor_next(cur, &doc))
		if ((t = cl_reqdoc_str(doc, "token", NULL, NULL)) != NULL)
			for (i = 0; i < n; i++)
				if (strcmp(tokens[i], t) == 0)
					logged[i] = true;
	if (mongoc_cursor_error(cur, &err))
		rc = mg_error(&err, "look up log entries");
	mongoc_cursor_destroy(cur);
	bson_destroy(&filter);
	return rc;
}

/*
 * Take the n requests tokens off the queue (updateMany, $unset
 * log_state).  Fails with CL_EUNAVAIL.
 */
static cl_err
dequeue(struct mg_store *st, const char *const *tokens, size_t n)
{
	bson_t filter = BSON_INITIALIZER;
	bson_t *update;
	bson_error_t err;
	cl_err rc = CL_OK;

	mg_append_in(&filter, CL_DOC_TOKEN, tokens, NULL, n);
	update = BCON_NEW("$unset", "{", CL_DOC_LOG_STATE, BCON_UTF8(""), "}");
	if (!mongoc_collection_update_many(st->requests, &filter, update,
		st->wopts, NULL, &err))
		rc = mg_error(&err, "take requests off the log queue");
	bson_destroy(update);
	bson_destroy(&filter);
	return rc;
}

/*
 * The oldest max queued requests into *out and *n (reset by store.c),
 * ordered by received_ms then _id; those already logged (a crash after an
 * append's swap) are taken off the queue and left out.  Fails with
 * CL_EUNAVAIL.
 */
cl_err
mg_log_pending(cl_store *base, size_t max, cl_store_pending **out, size_t *n)
{
	struct mg_store *st = (struct mg_store *)base;
	cl_store_logstate state;
	mongoc_cursor_t *cur = NULL;
	cl_store_pending *v = NULL;
	const char **tokens = NULL;
	bson_t *filter = NULL, *opts = NULL;
	const bson_t *doc;
	bson_error_t err;
	const char *tok, *rcpt;
	bool *logged = NULL;
	size_t len, i, m = 0, ndone = 0;
	cl_err rc;

	memset(&state, 0, sizeof state);
	if ((rc = mg_ready(st)) != CL_OK)
		goto err;
	filter = BCON_NEW(CL_DOC_LOG_STATE, BCON_UTF8(MG_PENDING));
	opts = BCON_NEW("sort", "{", CL_DOC_RECEIVED_MS, BCON_INT32(1), "_id",
	    BCON_INT32(1), "}", "limit", BCON_INT64((int64_t)max), "projection",
	    "{", CL_DOC_TOKEN, BCON_INT32(1), CL_DOC_RECEIPT, BCON_INT32(1),
	    CL_DOC_RECEIVED_MS, BCON_INT32(1), "}");
	v = cl_calloc(max, sizeof *v);
	cur = mongoc_collection_find_with_opts(st->requests, filter, opts,
	    NULL);
	while (m < max && mongoc_cursor_next(cur, &doc)) {
		tok = cl_reqdoc_str(doc, CL_DOC_TOKEN, NULL, NULL);
		rcpt = cl_reqdoc_str(doc, CL_DOC_RECEIPT, NULL, &len);
		if (tok == NULL || rcpt == NULL || len == 0 ||
		    strlen(tok) >= CL_TOKEN_MAX) {
			cl_log(CL_LOG_ERROR,
			    "store: a request queued for the log has no "
			    "receipt");
			continue;
		}
		snprintf(v[m].token, CL_TOKEN_MAX, "%s", tok);
		v[m].receipt = cl_strndup(rcpt, len);
		v[m].receipt_len = len;
		v[m].received_ms = cl_reqdoc_int(doc, CL_DOC_RECEIVED_MS, 0);
		m++;
	}
	if (mongoc_cursor_error(cur, &err)) {
		rc = mg_error(&err, "read the log queue");
		goto err;
	}
	/* Read after the queue (the state only grows): an idle poll reads
	 * only the queue. */
	if (m > 0 && (rc = state_read(st, &state)) != CL_OK)
		goto err;
	if (m > 0 && state.size > 0) {
		tokens = cl_calloc(m, sizeof *tokens);
		logged = cl_calloc(m, sizeof *logged);
		for (i = 0; i < m; i++)
			tokens[i] = v[i].token;
		if ((rc = find_logged(st, tokens, m, state.size, logged)) !=
		    CL_OK)
			goto err;
		for (i = 0; i < m; i++) /* tokens keeps the logged ones */
			if (logged[i])
				tokens[ndone++] = v[i].token;
		if (ndone > 0 && (rc = dequeue(st, tokens, ndone)) != CL_OK)
			goto err;
	}
	for (i = 0; i < m; i++) {
		if (logged != NULL && logged[i]) {
			free(v[i].receipt);
			continue;
		}
		if (*n != i)
			v[*n] = v[i];
		(*n)++;
	}
	rc = CL_OK;
err:
	if (rc != CL_OK)
		*n = m; /* store.c frees them */
	if (*n == 0 && rc == CL_OK) {
		free(v);
		v = NULL;
	}
	*out = v;
	free(tokens);
	free(logged);
	mongoc_cursor_destroy(cur);
	bson_destroy(filter);
	bson_destroy(opts);
	cl_store_logstate_free(&state);
	return rc;
}

/*
 * Write entry e by its index (replaceOne, upsert).  Fails with
 * CL_EUNAVAIL.
 */
static cl_err
entry_write(struct mg_store *st, const cl_store_entry *e)
{
	bson_t *filter, *doc;
	bson_error_t err;
	bson_t opts = BSON_INITIALIZER;
	cl_err rc = CL_OK;

	filter = BCON_NEW("_id", BCON_INT64(e->idx));
	doc = BCON_NEW("_id", BCON_INT64(e->idx), "token", BCON_UTF8(e->token));
	bson_append_utf8(doc, "entry", -1, e->entry, (int)e->len);
	bson_concat(&opts, st->wopts);
	BSON_APPEND_BOOL(&opts, "upsert", true);
	if (!mongoc_collection_replace_one(st->log_entries, filter, doc, &opts,
		NULL, &err))
		rc = mg_error(&err, "write log entry");
	bson_destroy(&opts);
	bson_destroy(filter);
	bson_destroy(doc);
	return rc;
}

/*
 * Swap the state from old to next: the first insert of the state document
 * when old is empty (a duplicate means another got there first), else an
 * update filtered on old's size and root.  Fails with CL_EDUP when the
 * state was not old, CL_EUNAVAIL.
 */
static cl_err
state_swap(struct mg_store *st, const cl_store_logstate *old,
    const cl_store_logstate *next)
{
	char ohex[CL_SHA256_HEX], nhex[CL_SHA256_HEX];
	bson_t *filter = NULL, *doc = NULL, *update = NULL, reply;
	bson_iter_t it;
	bson_error_t err;
	cl_err rc = CL_OK;

	bson_init(&reply);
	cl_hex(old->root, CL_STORE_LOG_HASH, ohex);
	cl_hex(next->root, CL_STORE_LOG_HASH, nhex);
	if (old->size == 0) {
		doc = BCON_NEW("_id", BCON_UTF8("state"), "size",
		    BCON_INT64(next->size), "root", BCON_UTF8(nhex));
		bson_append_utf8(doc, "checkpoint", -1, next->checkpoint,
		    (int)next->checkpoint_len);
		if (!mongoc_collection_insert_one(st->log_state, doc, st->wopts,
			NULL, &err))
			rc = mg_error(&err, "write the log state");
	} else {
		filter = BCON_NEW("_id", BCON_UTF8("state"), "size",
		    BCON_INT64(old->size), "root", BCON_UTF8(ohex));
		doc = BCON_NEW("size", BCON_INT64(next->size), "root",
		    BCON_UTF8(nhex));
		bson_append_utf8(doc, "checkpoint", -1, next->checkpoint,
		    (int)next->checkpoint_len);
		update = BCON_NEW("$set", BCON_DOCUMENT(doc));
		bson_destroy(&reply);
		if (!mongoc_collection_update_one(st->log_state, filter, update,
			st->wopts, &reply, &err))
			rc = mg_error(&err, "swap the log state");
		else if (!bson_iter_init_find(&it, &reply, "matchedCount") ||
		    bson_iter_as_int64(&it) != 1)
			rc = CL_EDUP;
	}
	if (rc == CL_EDUP)
		cl_log(CL_LOG_WARN,
		    "store: the log state is no longer at size %lld: "
		    "another sequencer?",
		    (long long)old->size);
	bson_destroy(&reply);
	bson_destroy(filter);
	bson_destroy(doc);
	bson_destroy(update);
	return rc;
}

/*
 * Append the checked batch (see store.h and above): the state checked,
 * the tokens checked against the entries, the entries written, the state
 * swapped, the queue cleared (a failure of that last step is logged and
 * left to mg_log_pending()).  Fails with CL_EDUP (the state moved on, or a
 * token is already an entry), CL_EUNAVAIL.
 */
cl_err
mg_log_append(cl_store *base, const cl_store_logstate *old,
    const cl_store_logstate *next, const cl_store_entry *v, size_t n)
{
	struct mg_store *st = (struct mg_store *)base;
	cl_store_logstate cur;
	const char **tokens;
	bool *logged;
	size_t i;
	cl_err rc;

	memset(&cur, 0, sizeof cur);
	tokens = cl_calloc(n, sizeof *tokens);
	logged = cl_calloc(n, sizeof *logged);
	for (i = 0; i < n; i++)
		tokens[i] = v[i].token;
	if ((rc = mg_ready(st)) != CL_OK ||
	    (rc = state_read(st, &cur)) != CL_OK)
		goto err;
	if (!st_log_state_is(&cur, old)) {
		rc = CL_EDUP;
		goto err;
	}
	if (old->size > 0 &&
	    (rc = find_logged(st, tokens, n, old->size, logged)) != CL_OK)
		goto err;
	for (i = 0; i < n; i++)
		if (logged[i]) {
			cl_log(CL_LOG_WARN,
			    "store: log entry: already in the log");
			rc = CL_EDUP;
			goto err;
		}
	for (i = 0; i < n; i++)
		if ((rc = entry_write(st, &v[i])) != CL_OK)
			goto err;
	if ((rc = state_swap(st, old, next)) != CL_OK)
		goto err;
	if (dequeue(st, tokens, n) != CL_OK)
		cl_log(CL_LOG_WARN,
		    "store: logged requests stay queued until the next "
		    "batch clears them");
	rc = CL_OK;
err:
	cl_store_logstate_free(&cur);
	free(tokens);
	free(logged);
	return rc;
}

/*
 * The entries of index from to to - 1, in order, into *out and *n (reset
 * by store.c, which checks that none is missing).  Fails with
 * CL_EUNAVAIL.
 */
cl_err
mg_log_entries(cl_store *base, int64_t from, int64_t to, cl_store_entry **out,
    size_t *n)
{
	struct mg_store *st = (struct mg_store *)base;
	mongoc_cursor_t *cur = NULL;
	bson_t *filter = NULL, *opts = NULL;
	size_t max = (size_t)(to - from), len;
	const bson_t *doc;
	bson_error_t err;
	const char *e, *tok;
	cl_store_entry *v;
	cl_err rc;

	v = cl_calloc(max, sizeof *v);
	*out = v;
	if ((rc = mg_ready(st)) != CL_OK)
		goto err;
	filter = BCON_NEW("_id", "{", "$gte", BCON_INT64(from), "$lt",
	    BCON_INT64(to), "}");
	opts = BCON_NEW("sort", "{", "_id", BCON_INT32(1), "}");
	cur = mongoc_collection_find_with_opts(st->log_entries, filter, opts,
	    NULL);
	while (*n < max && mongoc_cursor_next(cur, &doc)) {
		e = cl_reqdoc_str(doc, "entry", NULL, &len);
		tok = cl_reqdoc_str(doc, "token", NULL, NULL);
		if (e == NULL || len == 0 || tok == NULL ||
		    strlen(tok) >= CL_TOKEN_MAX)
			break; /* store.c reports the gap */
		v[*n].idx = cl_reqdoc_int(doc, "_id", -1);
		snprintf(v[*n].token, CL_TOKEN_MAX, "%s", tok);
		v[*n].entry = cl_strndup(e, len);
		v[*n].len = len;
		(*n)++;
	}
	if (mongoc_cursor_error(cur, &err))
		rc = mg_error(&err, "read log entries");
err:
	mongoc_cursor_destroy(cur);
	bson_destroy(filter);
	bson_destroy(opts);
	return rc;
}

/*
 * The queue's length (countDocuments) and the oldest queued received_ms
 * (find, sorted, limit 1).  Fails with CL_EUNAVAIL.
 */
cl_err
mg_log_queue(cl_store *base, int64_t *n, int64_t *oldest_ms)
{
	struct mg_store *st = (struct mg_store *)base;
	mongoc_cursor_t *cur = NULL;
	bson_t *filter, *opts;
	const bson_t *doc;
	bson_error_t err;
	int64_t c;
	cl_err rc;

	filter = BCON_NEW(CL_DOC_LOG_STATE, BCON_UTF8(MG_PENDING));
	opts = BCON_NEW("sort", "{", CL_DOC_RECEIVED_MS, BCON_INT32(1), "}",
	    "limit", BCON_INT64(1), "projection", "{", CL_DOC_RECEIVED_MS,
	    BCON_INT32(1), "}");
	if ((rc = mg_ready(st)) != CL_OK)
		goto err;
	if ((c = mongoc_collection_count_documents(st->requests, filter, NULL,
		 NULL, NULL, &err)) < 0) {
		rc = mg_error(&err, "count the log queue");
		goto err;
	}
	*n = c;
	if (c == 0)
		goto err;
	cur = mongoc_collection_find_with_opts(st->requests, filter, opts,
	    NULL);
	if (mongoc_cursor_next(cur, &doc))
		*oldest_ms = cl_reqdoc_int(doc, CL_DOC_RECEIVED_MS, 0);
	else if (mongoc_cursor_error(cur, &err))
		rc = mg_error(&err, "find the oldest queued request");
err:
	mongoc_cursor_destroy(cur);
	bson_destroy(filter);
	bson_destroy(opts);
	return rc;
}

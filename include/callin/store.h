/*
 * store.h: durable storage of call-in requests and their attachments.
 *
 * One interface, two backends chosen by the `store` setting:
 *   "sqlite:PATH"   embedded SQLite (WAL, synchronous=FULL), the default;
 *   "mongodb://..." MongoDB through mongo-c-driver (documents + GridFS).
 *
 * A handle belongs to one process and one thread: open it after fork().
 *
 * Lifecycle of a submission:
 *   1. each attachment is streamed in with cl_store_blob_open/_write/_finish,
 *      which returns a blob id.  A finished blob that no request references is
 *      invisible to readers and is removed by cl_store_sweep().
 *   2. cl_store_put() writes the request document and links its blobs in one
 *      durable write (SQLite: one transaction; MongoDB: one insert with
 *      w:majority, j:true).  Either all of it is visible afterwards or none.
 *   3. if step 2 fails, the caller removes its blobs with cl_store_blob_delete().
 *
 * The request document given to cl_store_put() is the one reqdoc.h
 * describes, checked by cl_reqdoc_parse() (the rules are stated there,
 * once, and both backends take exactly what it accepts).  Backends store
 * the whole document and give it back unchanged from cl_store_get().  When
 * fields.email is a string, the store keeps a normalised copy of it (ASCII
 * letters in lower case, a "+tag" between the local part's first character
 * and the last '@' removed, every other byte as it is) for
 * cl_store_count_by_email().  The top-level keys "outbox", "email_lc",
 * "confirmed_ms" and "log_state" are the store's own (the MongoDB backend keeps the outbox
 * state, that normalised copy and the confirmation time in the request
 * document, and hides them from readers): a document carrying one is
 * refused by both backends.
 *
 * Argument errors are decided once, above the backends, so both give the
 * same code for the same call:
 *   - a NULL or unusable key to look something up by (token, reference,
 *     idempotency key, blob id, outbox id, owner of a report): CL_ENOTFOUND,
 *     since no such thing can be stored;
 *   - anything else a caller got wrong (a document or notes not shaped as
 *     reqdoc.h says, a NULL document, a NULL blob name, a NULL or empty
 *     address to count, a NULL or empty claim owner, a negative lease, an
 *     unknown cl_store_key): CL_EINVAL.
 *
 * Errors: CL_EUNAVAIL when the store cannot be reached or written (disk full,
 * read-only, locked past the busy timeout, server selection timed out);
 * CL_EINVAL for a document missing a required key; other codes as noted.
 */
#ifndef CALLIN_STORE_H
#define CALLIN_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <bson/bson.h>

#include "callin/err.h"
#include "callin/reqdoc.h"

typedef struct cl_store cl_store; /* an open store */
typedef struct cl_blob cl_blob;	  /* an attachment being written */

#define CL_BLOB_ID_MAX CL_REQDOC_BLOB_ID_MAX /* longest blob id, with its NUL */
#define CL_TOKEN_MAX CL_REQDOC_TOKEN_MAX     /* longest token, with its NUL */

/* Which unique key cl_store_get() looks up. */
typedef enum cl_store_key {
	CL_KEY_TOKEN,
	CL_KEY_REFERENCE,
	CL_KEY_IDEMPOTENCY,
} cl_store_key;

/* Receives blob bytes from cl_store_blob_read(); return CL_OK to continue. */
typedef cl_err (*cl_store_sink)(void *arg, const void *p, size_t n);

/*
 * Open the store named by spec ("sqlite:PATH" or a mongodb:// URI), creating
 * tables, collections and indexes as needed.  On success *out is the handle.
 * Fails with CL_ECONFIG for an unknown scheme or bad URI, CL_EUNAVAIL when the
 * store cannot be opened; *out is then NULL.  A MongoDB store opens lazily:
 * an unreachable server shows up on the first operation, not here.
 */
cl_err cl_store_open(const char *spec, cl_store **out);

/* Close the store and free everything it holds.  NULL is fine.  Cannot fail. */
void cl_store_close(cl_store *st);

/* Check the store answers (a cheap round trip).  CL_EUNAVAIL when not. */
cl_err cl_store_ping(cl_store *st);

/*
 * Start writing an attachment called name (already sanitised).  On success
 * *out is the writer (else NULL).  Fails with CL_EINVAL for a NULL name,
 * CL_EUNAVAIL.
 */
cl_err cl_store_blob_open(cl_store *st, const char *name, cl_blob **out);

/* Append n bytes to the blob.  On failure the blob must be aborted. */
cl_err cl_blob_write(cl_blob *b, const void *p, size_t n);

/*
 * Finish the blob, copy its id (NUL-terminated, < CL_BLOB_ID_MAX) into id and
 * free the writer.  On failure id is "", everything written is removed and
 * the writer freed as well.  Either way b is gone afterwards.
 */
cl_err cl_blob_finish(cl_blob *b, char id[CL_BLOB_ID_MAX]);

/* Remove what was written and free the writer.  NULL is fine.  Cannot fail. */
void cl_blob_abort(cl_blob *b);

/*
 * Delete a finished blob that no stored request references.  CL_ENOTFOUND
 * when there is no such blob (also for a NULL or malformed id), CL_EINVAL
 * when a request references it.
 */
cl_err cl_store_blob_delete(cl_store *st, const char *id);

/*
 * Stream the bytes of the blob id, referenced by a stored request, to sink in
 * order.  CL_ENOTFOUND for an unknown or unreferenced id (also NULL or
 * malformed); a sink's error is returned as is.
 */
cl_err cl_store_blob_read(cl_store *st, const char *id, cl_store_sink sink,
    void *arg);

/*
 * Store the request document doc (see above) and link the blobs its
 * attachments name, in one durable write.  Fails with:
 *   CL_EDUP       the idempotency key is already stored: existing_token (if
 *                 not NULL, CL_TOKEN_MAX bytes) receives that request's token;
 *                 or the reference or token collides (existing_token is then
 *                 ""), and the caller retries with new ones;
 *   CL_EINVAL     doc is NULL or not shaped as cl_reqdoc_parse() wants (a
 *                 duplicate is not looked for then), or a blob is unknown
 *                 or already linked to another request (a duplicate wins
 *                 over that);
 *   CL_EUNAVAIL   the write did not happen.
 * Nothing is stored when it fails.
 */
cl_err cl_store_put(cl_store *st, const bson_t *doc, char *existing_token);

/*
 * One document of a batch for cl_store_put_batch(): doc, and the per-email
 * limit applied inside the write (email_max requests at most, 0 for none,
 * with the same normalised fields.email and received_ms at or after
 * email_since_ms, counting those stored earlier in the same batch).  The
 * outcome comes back in rc and existing_token.
 */
typedef struct cl_store_put_item {
	const bson_t *doc;
	int64_t email_max;
	int64_t email_since_ms;
	cl_err rc; /* out: as cl_store_put(), or CL_ELIMIT */
	char existing_token[CL_TOKEN_MAX]; /* out: on CL_EDUP */
} cl_store_put_item;

/*
 * Store the n documents of v, each as cl_store_put() would, in one durable
 * write where the backend can (SQLite: one transaction, one fsync; each
 * document under its own savepoint, so one that is refused never fails the
 * others).  Each item gets its own outcome: CL_OK, CL_EDUP (existing_token
 * as for cl_store_put), CL_ELIMIT (the address is at its limit; nothing of
 * it stored), CL_EINVAL, CL_EUNAVAIL.  Returns CL_OK when the write was
 * made, CL_EUNAVAIL when it was not: then no item is stored and every item
 * that would have been has rc CL_EUNAVAIL (one refused by
 * cl_reqdoc_parse() keeps CL_EINVAL).  A backend that cannot batch
 * (MongoDB) writes the items one by one, each durable by itself, and
 * returns CL_EUNAVAIL when any of them got it.
 */
cl_err cl_store_put_batch(cl_store *st, cl_store_put_item *v, size_t n);

/*
 * Let this handle's cl_store_put_batch() commits skip their own fsync
 * (SQLite: commit at synchronous=NORMAL, consistent after a crash but not
 * yet durable) for a single writer that makes them durable in groups with
 * cl_store_sync() and tells nobody of a write before that has returned
 * CL_OK: the committer.  Nothing to do for MongoDB, whose writes are each
 * durable.  Cannot fail.
 */
void cl_store_defer_sync(cl_store *st);

/*
 * Make every commit the handle made before the call durable (SQLite:
 * fdatasync of the WAL).  The one store call that may run in another thread
 * than the handle's, at the same time as its other calls.  CL_EIO when the
 * sync fails: what was committed may not survive a crash.
 */
cl_err cl_store_sync(cl_store *st);

/*
 * For a handle with deferred syncs: move what the commits wrote to their
 * log into the database once the log has grown (SQLite: a passive
 * checkpoint on a connection of its own, instead of SQLite's automatic one
 * inside a commit).  May run in a thread of its own (always the same one),
 * beside the handle's and cl_store_sync()'s.  Nothing to do for MongoDB.  Cannot fail (logs; tried again
 * next time).
 */
void cl_store_checkpoint(cl_store *st);

/*
 * Look up one request by a unique key and copy its document into out
 * (initialised here; the caller calls bson_destroy() on success only).
 * CL_ENOTFOUND when none (also for a NULL value), CL_EINVAL for an unknown
 * key, CL_EUNAVAIL when the store cannot answer.
 */
cl_err cl_store_get(cl_store *st, cl_store_key key, const char *value,
    bson_t *out);

/* Count stored requests into *n.  CL_EUNAVAIL when the store cannot answer. */
cl_err cl_store_count(cl_store *st, int64_t *n);

/*
 * Count into *n the stored requests whose fields.email equals email, ignoring
 * the case of ASCII letters, and whose received_ms is at or after since_ms
 * (an index on the normalised address and received_ms serves it).  *n is 0
 * on failure: CL_EINVAL for a NULL or empty email, CL_EUNAVAIL when the
 * store cannot answer.
 */
cl_err cl_store_count_by_email(cl_store *st, const char *email,
    int64_t since_ms, int64_t *n);

/*
 * Remove blobs that no request references and that were started before
 * older_than_ms (epoch milliseconds); *removed (if not NULL) gets how many.
 */
cl_err cl_store_sweep(cl_store *st, int64_t older_than_ms, int64_t *removed);

/*
 * The outbox.  cl_store_put() queues the document's `notifications` (each
 * { kind: "staff_alert" | "confirmation", to: [addresses] }) in the same
 * durable write, status "due", due at received_ms.  Mailers on any host
 * claim due notifications with a lease, send them, and record the result.
 * A claim is exclusive: until its lease expires no other claim returns it.
 * A mailer that dies mid-send leaves it to be claimed again after the lease.
 */
typedef struct cl_notification {
	char id[CL_BLOB_ID_MAX]; /* the outbox entry's id */
	char *kind;		 /* "staff_alert" or "confirmation" */
	char **to;		 /* recipients */
	size_t nto;
	int attempts;	      /* failed tries so far */
	int64_t due_ms;	      /* when it became due */
	int64_t confirmed_ms; /* when the requester confirmed their
					   address (cl_store_confirm), 0 if
					   not yet */
	bson_t *request;      /* the whole request document */
} cl_notification;

/*
 * The outbox's counts.  A notification is pending while its status is due:
 * due now, leased, or waiting for a retry.  Each keeps the time it first
 * became due (its due_ms at the put), which retries never move, so that
 * oldest_due_ms keeps growing older while mail is not going out, however
 * often it is retried: a health check on now - oldest_due_ms cannot miss
 * a stuck outbox.
 */
typedef struct cl_outbox_stats {
	int64_t due;	       /* pending, whether due now or later */
	int64_t oldest_due_ms; /* smallest first due time of the pending
				   ones when it is <= now_ms, else 0 (none
				   pending, or none due yet) */
	int64_t sent;	       /* sent, all time */
	int64_t failed;	       /* given up, all time */
} cl_outbox_stats;

/*
 * Claim up to max notifications that are due at now_ms (status due, due_ms
 * <= now_ms, no live lease), oldest first, leasing each to owner until
 * now_ms + lease_ms.  *out receives an array of *n claimed notifications
 * (free with cl_notifications_free), possibly empty (max 0 claims nothing).
 * CL_EINVAL for a NULL or empty owner or a negative lease_ms, CL_EUNAVAIL
 * when the store cannot answer.
 */
cl_err cl_store_outbox_claim(cl_store *st, int64_t now_ms, int64_t lease_ms,
    const char *owner, size_t max, cl_notification **out, size_t *n);

/*
 * Record that notification id was sent.  Only the owner of a live lease may
 * do so: CL_ENOTFOUND when id is unknown or no longer leased by owner (also
 * for a NULL or malformed id and a NULL or empty owner).
 */
cl_err cl_store_outbox_sent(cl_store *st, const char *id, const char *owner,
    int64_t now_ms);

/*
 * Record a failed try of id by owner: when final, status "failed"; else
 * due again at retry_ms.  attempts grows by one and error (NULL: "") is kept.
 * CL_ENOTFOUND as for cl_store_outbox_sent().
 */
cl_err cl_store_outbox_failed(cl_store *st, const char *id, const char *owner,
    int final, int64_t retry_ms, const char *error);

/*
 * Hand id back unsent by owner, due again at due_ms, without counting a
 * try (attempts unchanged; why kept as last_error): the mailer waiting for
 * something the message needs (a receipt's log proof).  CL_ENOTFOUND as
 * for cl_store_outbox_sent().
 */
cl_err cl_store_outbox_defer(cl_store *st, const char *id, const char *owner,
    int64_t due_ms, const char *why);

/*
 * Fill *stats (see cl_outbox_stats) for metrics and health at now_ms.
 * CL_EUNAVAIL as above.
 */
cl_err cl_store_outbox_stats(cl_store *st, int64_t now_ms,
    cl_outbox_stats *stats);

/*
 * Record that the requester of the request with token confirmed their
 * email address at now_ms and queue, in the same durable write, the
 * notifications in notes (an array shaped as cl_reqdoc_parse_notes()
 * wants, each due at its due_ms, else at now_ms), the first time only.
 * Returns CL_OK when this call confirmed it; CL_EDUP when it was confirmed
 * before (nothing queued); CL_ENOTFOUND when there is no such request (also
 * for a NULL or empty token, checked first); CL_EINVAL for NULL notes or
 * notes not shaped so; CL_EUNAVAIL when the write did not happen.
 */
cl_err cl_store_confirm(cl_store *st, const char *token, int64_t now_ms,
    const bson_t *notes);
/*
 * Into *confirmed_ms, when the requester of the request with token
 * confirmed their address, 0 if not yet.  CL_ENOTFOUND when there is no
 * such request (also for a NULL token), CL_EUNAVAIL; *confirmed_ms is then
 * 0.
 */
cl_err cl_store_confirmed(cl_store *st, const char *token,
    int64_t *confirmed_ms);
/* Free n notifications from cl_store_outbox_claim().  Cannot fail. */
void cl_notifications_free(cl_notification *v, size_t n);

/*
 * The transparency log (DESIGN.md section 9).  cl_store_put() and
 * cl_store_put_batch() of a document with a log key (its receipt promises
 * the log) queue it for the log in the same durable write (SQLite: a
 * log_pending row, ordered by an autoincrement; MongoDB: log_state
 * "pending" in the request document, ordered by received_ms then _id).
 * The one sequencer (callin-logd) takes them with cl_store_log_pending()
 * and appends them with cl_store_log_append(): the entries, the log's
 * state (size, root, signed checkpoint) by a compare-and-swap on the old
 * (size, root), and the queue cleared.  A lost swap changes nothing.
 * On MongoDB, which has no transaction here, the append writes the entries
 * (by index, replacing leftovers of an append that never swapped) before
 * the swap and clears the queue after it; a queued request whose token is
 * already an entry below the state's size is cleared by
 * cl_store_log_pending(), never returned, so a crash between the writes
 * loses nothing and logs nothing twice.
 */
#define CL_STORE_LOG_HASH 32 /* bytes of a tree hash */

/* A request waiting for the log. */
typedef struct cl_store_pending {
	char token[CL_TOKEN_MAX];
	char *receipt; /* its receipt text, receipt_len bytes (and a NUL) */
	size_t receipt_len;
	int64_t received_ms;
} cl_store_pending;

/* One entry of the log. */
typedef struct cl_store_entry {
	int64_t idx;		  /* 0-based index in the log */
	char token[CL_TOKEN_MAX]; /* the request it logs */
	char *entry;		  /* the entry, len bytes (and a NUL) */
	size_t len;
} cl_store_entry;

/* The log's state: the tree's size and root, and its signed checkpoint. */
typedef struct cl_store_logstate {
	int64_t size;
	unsigned char root[CL_STORE_LOG_HASH];
	char *checkpoint; /* checkpoint_len bytes and a NUL; NULL for size 0 */
	size_t checkpoint_len;
} cl_store_logstate;

/*
 * The oldest (at most max) requests waiting for the log, in order, into a
 * new array *out of *n (free with cl_store_pending_free; empty: NULL, 0).
 * CL_EUNAVAIL when the store cannot answer.
 */
cl_err cl_store_log_pending(cl_store *st, size_t max, cl_store_pending **out,
    size_t *n);
/* Free n pending items.  NULL is fine.  Cannot fail. */
void cl_store_pending_free(cl_store_pending *v, size_t n);

/*
 * The log's state into *out (free with cl_store_logstate_free): size 0, a
 * zero root and no checkpoint before the first append.  CL_EUNAVAIL.
 */
cl_err cl_store_log_state(cl_store *st, cl_store_logstate *out);
/* Free what *s holds.  NULL is fine.  Cannot fail. */
void cl_store_logstate_free(cl_store_logstate *s);

/*
 * Append the n entries v (n >= 1, v[i].idx == old->size + i, tokens of
 * queued requests) with the new state next (next->size == old->size + n,
 * a checkpoint), if the state is still old (same size and root), and clear
 * the requests from the queue, in one durable write where the backend can
 * (SQLite).  CL_EDUP when the state is no longer old or a token is already
 * an entry: nothing changed (the caller reads the state again);
 * CL_EINVAL for arguments not shaped so; CL_EUNAVAIL when the write did
 * not happen (on MongoDB: the swap did not; entries above the state's size
 * may be left, and are replaced by the next append).
 */
cl_err cl_store_log_append(cl_store *st, const cl_store_logstate *old,
    const cl_store_logstate *next, const cl_store_entry *v, size_t n);

/*
 * The entries of index from to to - 1 (0 <= from <= to <= the state's
 * size), in order, into a new array *out of *n (free with
 * cl_store_entries_free).  CL_EINVAL for a bad range; CL_EIO when one is
 * missing; CL_EUNAVAIL.
 */
cl_err cl_store_log_entries(cl_store *st, int64_t from, int64_t to,
    cl_store_entry **out, size_t *n);
/* Free n entries.  NULL is fine.  Cannot fail. */
void cl_store_entries_free(cl_store_entry *v, size_t n);

/*
 * How many requests wait for the log into *n and the received_ms of the
 * oldest into *oldest_ms (0 when none), for metrics and health.
 * CL_EUNAVAIL; both 0 then.
 */
cl_err cl_store_log_queue(cl_store *st, int64_t *n, int64_t *oldest_ms);

#endif /* CALLIN_STORE_H */

/*
 * reqdoc.h: the request document, the one contract between the modules
 * that write a call-in request (intake), keep it (store) and read it back
 * (intake, mail, pages).  This module owns its keys, its rules and the
 * typed view the store takes; nobody else names a key by a string.
 *
 * The document (libbson) as cl_intake_build() makes it:
 *   token            string, >= 128 random bits, base64url (unique)
 *   reference        string, "CIR-XXXX-XXXX"                   (unique)
 *   idempotency_key  string from the form                      (unique)
 *   answers_sha256   string, the answers' fingerprint (64 hex)
 *   received         string, RFC 3339 UTC "2026-11-23T14:05:09Z"
 *   received_ms      int64, milliseconds since the epoch
 *   fields           document: answer name -> string, or array of strings
 *   attachments      array of { blob_id, name, content_type, size (int64),
 *                    sha256 (64 lower-case hex) }, possibly empty
 *   copy_json        string, the submission copy
 *   receipt          string, its signed receipt; key_id the key's id
 *   confirm_code     string, the code of the link that confirms the address
 *   notifications    array of { kind, to: [addresses], message_id?,
 *                    due_ms? }
 *   log              string, the log origin its receipt promises (absent:
 *                    none); the store then queues the request for the log
 * The keys "outbox", "email_lc", "confirmed_ms" and "log_state" are
 * reserved for the store's own use: a document carrying one is refused.
 */
#ifndef CALLIN_REQDOC_H
#define CALLIN_REQDOC_H

#include <stddef.h>
#include <stdint.h>

#include <bson/bson.h>

#include "callin/err.h"

/* Top-level keys. */
#define CL_DOC_TOKEN "token"
#define CL_DOC_REFERENCE "reference"
#define CL_DOC_IDEMPOTENCY_KEY "idempotency_key"
#define CL_DOC_ANSWERS_SHA256 "answers_sha256"
#define CL_DOC_RECEIVED "received"
#define CL_DOC_RECEIVED_MS "received_ms"
#define CL_DOC_FIELDS "fields"
#define CL_DOC_ATTACHMENTS "attachments"
#define CL_DOC_COPY_JSON "copy_json"
#define CL_DOC_RECEIPT "receipt"
#define CL_DOC_KEY_ID "key_id"
#define CL_DOC_CONFIRM_CODE "confirm_code"
#define CL_DOC_NOTIFICATIONS "notifications"
/* The log origin the receipt promises inclusion in (absent: no log). */
#define CL_DOC_LOG "log"
/* The requester's address, a path (see cl_reqdoc_str). */
#define CL_DOC_EMAIL CL_DOC_FIELDS ".email"
/* Keys of an attachments[] element. */
#define CL_DOC_ATT_BLOB_ID "blob_id"
#define CL_DOC_ATT_NAME "name"
#define CL_DOC_ATT_CONTENT_TYPE "content_type"
#define CL_DOC_ATT_SIZE "size"
#define CL_DOC_ATT_SHA256 "sha256"
/* Keys of a notifications[] element. */
#define CL_DOC_NOTE_KIND "kind"
#define CL_DOC_NOTE_TO "to"
#define CL_DOC_NOTE_MESSAGE_ID "message_id"
#define CL_DOC_NOTE_DUE_MS "due_ms"
/* Reserved for the store (see above). */
#define CL_DOC_OUTBOX "outbox"
#define CL_DOC_EMAIL_LC "email_lc"
#define CL_DOC_CONFIRMED_MS "confirmed_ms"
#define CL_DOC_LOG_STATE "log_state"
/* All of them, as a list (for bson_copy_to_excluding and the check). */
#define CL_DOC_STORE_KEYS \
	CL_DOC_OUTBOX, CL_DOC_EMAIL_LC, CL_DOC_CONFIRMED_MS, CL_DOC_LOG_STATE

#define CL_REQDOC_TOKEN_MAX 64	 /* longest token, with its NUL */
#define CL_REQDOC_BLOB_ID_MAX 64 /* longest blob id, with its NUL */
#define CL_REQDOC_NOTE_TO_MAX 65 /* most recipients of a confirm note */

/* One checked notification; the strings point into the document. */
typedef struct cl_reqdoc_note {
	const char *kind; /* non-empty */
	const char **to;  /* nto non-empty addresses */
	size_t nto;
	const char *message_id; /* NULL when absent */
	int64_t due_ms;		/* its due_ms, else the default */
} cl_reqdoc_note;

/*
 * A request document checked by cl_reqdoc_parse(): what the store relies
 * on, typed.  The strings point into doc, which must outlive it.
 */
typedef struct cl_reqdoc {
	const bson_t *doc;
	const char *token;
	const char *reference;
	const char *idempotency_key;
	int64_t received_ms;
	const char **blob_ids; /* attachments' blob ids, each once */
	size_t nblobs;
	cl_reqdoc_note *notes; /* notifications, due by default at
					   received_ms */
	size_t nnotes;
	const char *log; /* the log origin, NULL when none */
} cl_reqdoc;

/*
 * Check the request document doc and fill *out (free with
 * cl_reqdoc_free).  The rules, stated here only:
 *   - every key and value, at any depth, can be held by every store alike
 *     (MongoDB, FerretDB and SQLite): no key that is empty, holds a '.' or
 *     starts with '$'; no string holding a NUL byte; no array directly in
 *     an array; no NaN or infinite double;
 *   - none of the reserved keys;
 *   - token, reference and idempotency_key non-empty strings, the token
 *     shorter than CL_REQDOC_TOKEN_MAX;
 *   - received_ms an int32 or int64;
 *   - attachments, when present, an array of documents each with a
 *     non-empty blob_id string shorter than CL_REQDOC_BLOB_ID_MAX, no id
 *     named twice;
 *   - notifications, when present, an array of documents each with a
 *     non-empty kind string, a to array of non-empty strings, and when
 *     present a non-empty message_id string and an integer due_ms;
 *   - log, when present, a non-empty string, and then receipt a non-empty
 *     string too (the log's entry is made from it).
 * Fails with CL_EINVAL, logged with what is wrong; *out is then empty
 * (cl_reqdoc_free is harmless).
 */
cl_err cl_reqdoc_parse(const bson_t *doc, cl_reqdoc *out);

/* Free what cl_reqdoc_parse() allocated in r (not the document).  NULL is fine. */
void cl_reqdoc_free(cl_reqdoc *r);

/*
 * Check notes, an array of notifications to queue when a requester
 * confirms their address, and fill *out with *n of them, each due at
 * due_ms unless it names its own (free with cl_reqdoc_notes_free): the
 * notifications rule of cl_reqdoc_parse(), and at least one note, each
 * with 1 to CL_REQDOC_NOTE_TO_MAX recipients, every key and value
 * portable.  The strings point into notes.  Fails with CL_EINVAL, logged;
 * *out is then NULL and *n 0.
 */
cl_err cl_reqdoc_parse_notes(const bson_t *notes, int64_t due_ms,
    cl_reqdoc_note **out, size_t *n);

/* Free n notes from cl_reqdoc_parse_notes().  NULL is fine.  Cannot fail. */
void cl_reqdoc_notes_free(cl_reqdoc_note *v, size_t n);

/*
 * Readers' accessors, with defaults instead of errors (a stored document
 * from an older version may lack a key).  path is a key or keys joined by
 * '.' (CL_DOC_EMAIL).
 *
 * cl_reqdoc_str: the string at path, its length in *len (if not NULL);
 * def (and strlen(def), 0 for NULL) when absent or not a string.
 * cl_reqdoc_int: the int32 or int64 at path, def when absent or not one.
 * Cannot fail.
 */
const char *cl_reqdoc_str(const bson_t *doc, const char *path, const char *def,
    size_t *len);
int64_t cl_reqdoc_int(const bson_t *doc, const char *path, int64_t def);

#endif /* CALLIN_REQDOC_H */

/*
 * svc.h: the per-worker service state: everything a request handler needs
 * (configuration, store, published keys, content sniffer, form secret,
 * connections to the signer and the committer), built once per worker
 * process after fork, and the workers' calls to the two helper processes
 * the master runs beside them (app.h has the helpers themselves):
 *
 *   signer     the only process that loads the receipt signing key.  It
 *              answers one call: sign this receipt body (exactly the v1
 *              grammar, cl_receipt_sign_body), giving the whole receipt.
 *   committer  the SQLite store's only writer of requests.  Workers hand it
 *              finished documents; it writes all those waiting in one
 *              transaction with one fsync (group commit) and answers each
 *              with its own outcome.  Not run for a MongoDB store, whose
 *              workers write directly.
 *
 * Workers never hold a private key: the master checks the key in a child
 * process that exits, and only the signer loads it.
 *
 * The calls, as the helpers read them:
 *   sign    a receipt body (at most CL_SIGN_REQ_MAX bytes); the answer is
 *           one byte, a cl_err, then on CL_OK the whole signed receipt.
 *   commit  CL_COMMIT_HDR bytes of limit (int64 email_max, int64
 *           email_since_ms, host order) then the request document's BSON
 *           (at most CL_COMMIT_REQ_MAX bytes in all); the answer is one
 *           byte, the document's cl_err outcome, then on CL_EDUP the token
 *           of the request already holding its idempotency key.
 */
#ifndef CALLIN_SVC_H
#define CALLIN_SVC_H

#include <stdint.h>

#include "callin/config.h"
#include "callin/ipc.h"
#include "callin/store.h"

#define CL_SIGN_REQ_MAX 512		      /* a v1 body is 158 bytes */
#define CL_COMMIT_REQ_MAX (16u * 1024 * 1024) /* a document is < 1 MiB */
#define CL_COMMIT_HDR 16 /* the limit before the document */

struct cl_sniffer;
struct cl_keyring;

typedef struct cl_svc {
	const cl_config *cfg;
	cl_store *store; /* reads; MongoDB: writes too */
	struct cl_sniffer *sniffer;
	struct cl_keyring *keyring;
	cl_ipc_client signer;
	cl_ipc_client committer;
	int use_committer; /* requests go through it */
	unsigned char form_secret[128];
	size_t form_secret_len;
} cl_svc;

/*
 * Build the application for one worker: open the store, load the published
 * keys and the form secret, open the sniffer; hubs[CL_HELPER_SIGNER] and
 * hubs[CL_HELPER_COMMITTER] are the helpers' hubs.  *out is allocated.
 * Fails (logging one line naming the setting) with CL_ECONFIG or
 * CL_EUNAVAIL.
 */
cl_err cl_svc_open(const cl_config *cfg, const int *hubs, void **out);

/*
 * Check at start-up, in the master, that the keys and secrets named in cfg
 * can be loaded, so a bad setting stops the service with one clear line
 * (written to err) before any worker starts.  The private key is loaded in
 * a child process that exits, never in the caller's memory.
 */
cl_err cl_svc_check(const cl_config *cfg, char *err, size_t errlen);

/* Free the application.  NULL is fine.  Cannot fail. */
void cl_svc_free(void *app);

/*
 * Have the signer sign the receipt body (cl_receipt_body) and append the
 * whole receipt to out.  Fails with CL_EUNAVAIL when the signer is down or
 * does not answer (asked again once on a fresh connection if it went away
 * mid-call: signing twice is harmless), or its error (CL_EPARSE for a body
 * out of grammar, CL_ECRYPTO).
 */
cl_err cl_svc_sign(cl_svc *app, const cl_buf *body, cl_buf *out);

/*
 * Store the request document doc with the per-email limit (email_max, 0
 * for none, counted from since_ms) applied inside the write: through the
 * committer for SQLite, directly for MongoDB.  Outcomes as
 * cl_store_put_batch() gives them (CL_OK, CL_EDUP with existing_token,
 * CL_ELIMIT, CL_EINVAL, CL_EUNAVAIL).  When the committer went away after
 * taking the document, the answer comes from the store: asked again on a
 * fresh connection (a duplicate of this very document means it was
 * stored), else looked up by token and, when there, synced to disk before
 * it counts as stored; CL_EUNAVAIL only when it is not there.
 */
cl_err cl_svc_commit(cl_svc *app, const bson_t *doc, int64_t email_max,
    int64_t since_ms, char existing_token[CL_TOKEN_MAX]);

/* Whether cfg's store is written through a committer (SQLite).  Cannot fail. */
int cl_svc_wants_committer(const cl_config *cfg);

#endif /* CALLIN_SVC_H */

/*
 * committer.c: the committer process, the SQLite store's one writer of
 * requests, and the workers' call to it.
 *
 * A call is CL_COMMIT_HDR bytes of limit (int64 email_max, int64
 * email_since_ms, host order) then the request document's BSON.  The answer
 * is one byte, the document's cl_err outcome, then on CL_EDUP the token of
 * the request already holding its idempotency key ("" for another clash).
 * Each round's calls are written by one cl_store_put_batch(): one
 * transaction, one fsync, an outcome each.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "callin/alloc.h"
#include "callin/app.h"
#include "callin/clock.h"
#include "callin/log.h"
#include "callin/metrics.h"
#include "app_int.h"

#define COMMIT_REQ_MAX		(16u * 1024 * 1024)	/* a document is < 1 MiB */
#define COMMIT_TIMEOUT_MS	30000

int
cl_app_wants_committer(const cl_config *cfg)
{
	/* CALLIN_BENCH_DIRECT_COMMIT: the v1 path, for scripts/bench only. */
	return strncmp(cfg->store, "sqlite:", 7) == 0 &&
	    getenv("CALLIN_BENCH_DIRECT_COMMIT") == NULL;
}

/* Write the batch's documents to the store arg and answer each.  Cannot fail. */
static void
commit_batch(void *arg, cl_ipc_msg *v, size_t n)
{
	cl_store *st = arg;
	cl_store_put_item *items = cl_calloc(n, sizeof *items);
	/* bson_t wants its own alignment, beyond what malloc promises. */
	bson_t *docs = aligned_alloc(BSON_ALIGNOF(bson_t), n * sizeof *docs);
	size_t *who = cl_calloc(n, sizeof *who), k = 0;
	double t0;

	if (docs == NULL)
		abort();	/* as cl_malloc does */
	for (size_t i = 0; i < n; i++) {
		cl_buf_putc(&v[i].reply, (char)CL_EINVAL);
		if (v[i].len <= CL_COMMIT_HDR ||
		    !bson_init_static(&docs[k], v[i].req + CL_COMMIT_HDR,
		    v[i].len - CL_COMMIT_HDR)) {
			cl_log(CL_LOG_ERROR, "committer: a call without a document");
			continue;
		}
		memcpy(&items[k].email_max, v[i].req, 8);
		memcpy(&items[k].email_since_ms, v[i].req + 8, 8);
		items[k].doc = &docs[k];
		who[k++] = i;
	}
	if (k > 0) {
		t0 = cl_mono_s();
		if (cl_store_put_batch(st, items, k) != CL_OK)
			cl_log(CL_LOG_ERROR, "committer: a batch of %zu was not written", k);
		cl_metrics_commit(k, cl_mono_s() - t0);
	}
	for (size_t j = 0; j < k; j++) {
		cl_buf *r = &v[who[j]].reply;

		r->data[0] = (char)items[j].rc;
		if (items[j].rc == CL_EDUP)
			cl_buf_puts(r, items[j].existing_token);
	}
	free(items);
	free(docs);
	free(who);
}

void
cl_app_committer_main(const cl_config *cfg, int hub)
{
	cl_store *st = NULL;
	int status = 1;
	cl_err rc;

	if ((rc = cl_store_open(cfg->store, &st)) != CL_OK) {
		cl_log(CL_LOG_ERROR, "committer: config: store: cannot open %s: %s",
		    cfg->store, cl_strerror(rc));
		goto out;
	}
	cl_log(CL_LOG_INFO, "committer: ready");
	cl_metrics_helper_ready(CL_HELPER_COMMITTER, (int)getpid());
	if (cl_app_helper_serve(hub, COMMIT_REQ_MAX, commit_batch, st) == CL_OK)
		status = 0;
out:
	cl_store_close(st);
	exit(status);
}

/*
 * One call to the committer: *rc gets the document's outcome.  Returns the
 * call's own result (cl_ipc_call) and sets *rc only when it is CL_OK.
 */
static cl_err
commit_call(cl_app *app, const cl_buf *msg, cl_err *rc, char *existing_token)
{
	cl_buf reply = CL_BUF_INIT;
	cl_err call;

	call = cl_ipc_call(&app->committer, msg->data, msg->len, &reply,
	    1 + CL_TOKEN_MAX, COMMIT_TIMEOUT_MS);
	if (call == CL_OK && reply.len == 0)
		call = CL_ECLOSED;
	if (call == CL_OK) {
		*rc = (cl_err)(unsigned char)reply.data[0];
		snprintf(existing_token, CL_TOKEN_MAX, "%s", reply.data + 1);
	}
	cl_buf_free(&reply);
	return call;
}

/* Whether the request with token is stored (asked on the read connection). */
static int
stored(cl_app *app, const char *token)
{
	bson_t got;

	if (cl_store_get(app->store, CL_KEY_TOKEN, token, &got) != CL_OK)
		return 0;
	bson_destroy(&got);
	return 1;
}

cl_err
cl_app_commit(cl_app *app, const bson_t *doc, int64_t email_max,
    int64_t since_ms, char existing_token[CL_TOKEN_MAX])
{
	cl_store_put_item it = { .doc = doc, .email_max = email_max,
	    .email_since_ms = since_ms };
	cl_buf msg = CL_BUF_INIT;
	const char *token = NULL;
	bson_iter_t iter;
	cl_err rc = CL_EUNAVAIL, call;

	existing_token[0] = '\0';
	if (!app->use_committer) {
		(void)cl_store_put_batch(app->store, &it, 1);
		memcpy(existing_token, it.existing_token, CL_TOKEN_MAX);
		return it.rc;
	}
	if (bson_iter_init_find(&iter, doc, "token") && BSON_ITER_HOLDS_UTF8(&iter))
		token = bson_iter_utf8(&iter, NULL);
	if (!cl_metrics_helper_up(CL_HELPER_COMMITTER)) {
		cl_log(CL_LOG_ERROR, "intake: the committer is not running");
		goto out;
	}
	cl_buf_add(&msg, &email_max, 8);
	cl_buf_add(&msg, &since_ms, 8);
	cl_buf_add(&msg, bson_get_data(doc), doc->len);
	call = commit_call(app, &msg, &rc, existing_token);
	if (call == CL_ECLOSED && cl_metrics_helper_up(CL_HELPER_COMMITTER)) {
		/* Asked again: if the first call was written, this one is its
		 * duplicate, answered with this very document's token. */
		call = commit_call(app, &msg, &rc, existing_token);
		if (call == CL_OK && rc == CL_EDUP && token != NULL &&
		    strcmp(existing_token, token) == 0) {
			existing_token[0] = '\0';
			rc = CL_OK;
		}
	}
	if (call != CL_OK && token != NULL && stored(app, token)) {
		call = CL_OK;		/* written before the answer was lost */
		rc = CL_OK;
	}
	if (call != CL_OK) {
		cl_log(CL_LOG_ERROR, "intake: the committer did not answer: %s",
		    cl_strerror(call));
		rc = CL_EUNAVAIL;
	}
out:
	cl_buf_free(&msg);
	return rc;
}

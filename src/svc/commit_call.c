/* commit_call.c: a worker's call to the committer process (see svc.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callin/log.h"
#include "callin/metrics.h"
#include "callin/reqdoc.h"
#include "callin/svc.h"

#define COMMIT_TIMEOUT_MS 30000

int
cl_svc_wants_committer(const cl_config *cfg)
{
	/* CALLIN_BENCH_DIRECT_COMMIT: the v1 path, for scripts/bench only. */
	return strncmp(cfg->store, "sqlite:", 7) == 0 &&
	    getenv("CALLIN_BENCH_DIRECT_COMMIT") == NULL;
}

/*
 * One call to the committer: *rc gets the document's outcome.  Returns the
 * call's own result (cl_ipc_call) and sets *rc only when it is CL_OK.
 */
static cl_err
commit_call(cl_svc *app, const cl_buf *msg, cl_err *rc, char *existing_token)
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
stored(cl_svc *app, const char *token)
{
	bson_t got;

	if (cl_store_get(app->store, CL_KEY_TOKEN, token, &got) != CL_OK)
		return 0;
	bson_destroy(&got);
	return 1;
}

cl_err
cl_svc_commit(cl_svc *app, const bson_t *doc, int64_t email_max,
    int64_t since_ms, char existing_token[CL_TOKEN_MAX])
{
	cl_store_put_item it = { .doc = doc,
		.email_max = email_max,
		.email_since_ms = since_ms };
	cl_buf msg = CL_BUF_INIT;
	const char *token = NULL;
	cl_err rc = CL_EUNAVAIL, call;

	existing_token[0] = '\0';
	if (!app->use_committer) {
		/* The item holds the outcome, the call only repeats it. */
		if (cl_store_put_batch(app->store, &it, 1) != CL_OK)
			CL_ASSERT(it.rc != CL_OK);
		memcpy(existing_token, it.existing_token, CL_TOKEN_MAX);
		return it.rc;
	}
	token = cl_reqdoc_str(doc, CL_DOC_TOKEN, NULL, NULL);
	if (!cl_metrics_helper_up(CL_HELPER_COMMITTER)) {
		cl_log(CL_LOG_ERROR, "intake: the committer is not running");
		goto out;
	}
	cl_buf_add(&msg, &email_max, sizeof email_max);
	cl_buf_add(&msg, &since_ms, sizeof since_ms);
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
	/* Written before the answer was lost, maybe not yet synced: sync it. */
	if (call != CL_OK && token != NULL && stored(app, token) &&
	    cl_store_sync(app->store) == CL_OK) {
		call = CL_OK;
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

/*
 * signer.c: the signer process, the only one that loads the receipt
 * signing key, and the workers' call to it.
 *
 * A call is a receipt body (cl_receipt_body: at most SIGN_REQ_MAX bytes);
 * the answer is one byte, a cl_err, then on CL_OK the whole signed receipt.
 * The signer checks nothing but that the body is the v1 grammar byte for
 * byte and that its received time is within SIGN_MAX_SKEW of its own clock
 * (cl_receipt_sign_body), and signs it: a worker taken over by a hostile
 * upload can have receipts signed, but not back-dated ones.
 */
#include <stdlib.h>
#include <unistd.h>

#include "callin/app.h"
#include "callin/clock.h"
#include "callin/log.h"
#include "callin/metrics.h"
#include "callin/proc.h"
#include "callin/receipt.h"
#include "app_int.h"

#define SIGN_REQ_MAX	512	/* a v1 body is 158 bytes */
#define SIGN_TIMEOUT_MS	5000
#define SIGN_MAX_SKEW	120	/* seconds between a body's received time and now */

/* Sign each body of the batch with the signer arg.  Cannot fail. */
static void
sign_batch(void *arg, cl_ipc_msg *v, size_t n)
{
	const cl_signer *s = arg;

	for (size_t i = 0; i < n; i++) {
		cl_err rc;

		cl_buf_putc(&v[i].reply, 0);
		rc = cl_receipt_sign_body(s, (const char *)v[i].req, v[i].len,
		    cl_now_ms() / 1000, SIGN_MAX_SKEW, &v[i].reply);
		if (rc != CL_OK) {
			cl_log(CL_LOG_ERROR, "signer: refused a body: %s", cl_strerror(rc));
			v[i].reply.data[0] = (char)rc;
		}
	}
}

void
cl_app_signer_main(const cl_config *cfg, int hub)
{
	cl_signer *s = NULL;
	char err[400];
	int status = 1;

	/* main() did this already (cl_proc_start); again where the key is. */
	if (cl_proc_no_dumps(err, sizeof err) != CL_OK) {
		cl_log(CL_LOG_ERROR, "signer: %s", err);
		goto out;
	}
	if (cl_signer_load(cfg->signing_key_file, &s, err, sizeof err) != CL_OK) {
		cl_log(CL_LOG_ERROR, "signer: config: signing_key_file: %s", err);
		goto out;
	}
	cl_log(CL_LOG_INFO, "signer: ready with key %s", cl_signer_key_id(s));
	cl_metrics_helper_ready(CL_HELPER_SIGNER, (int)getpid());
	if (cl_app_helper_serve(hub, SIGN_REQ_MAX, sign_batch, s) == CL_OK)
		status = 0;
out:
	cl_signer_free(s);
	exit(status);
}

cl_err
cl_app_sign(cl_app *app, const cl_buf *body, cl_buf *out)
{
	cl_buf reply = CL_BUF_INIT;
	cl_err rc = CL_EUNAVAIL;

	if (!cl_metrics_helper_up(CL_HELPER_SIGNER)) {
		cl_log(CL_LOG_ERROR, "intake: the signer is not running");
		goto err;
	}
	for (int i = 0; i < 2; i++)
		if ((rc = cl_ipc_call(&app->signer, body->data, body->len, &reply,
		    CL_RECEIPT_MAX + 1, SIGN_TIMEOUT_MS)) != CL_ECLOSED)
			break;
	if (rc != CL_OK || reply.len == 0) {
		cl_log(CL_LOG_ERROR, "intake: the signer did not answer: %s",
		    cl_strerror(rc));
		rc = CL_EUNAVAIL;
		goto err;
	}
	if ((rc = (cl_err)(unsigned char)reply.data[0]) != CL_OK)
		goto err;
	cl_buf_add(out, reply.data + 1, reply.len - 1);
err:
	cl_buf_free(&reply);
	return rc;
}

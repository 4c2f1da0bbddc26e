/*
 * signer.c: the signer process, the only one that loads the receipt
 * signing key (svc.h says what a call to it is).  The signer checks nothing but that the body is the v1 grammar byte for
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
#include "callin/svc.h"
#include "app_int.h"

#define SIGN_MAX_SKEW 120 /* seconds between a body's received time and now */

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
			cl_log(CL_LOG_ERROR, "signer: refused a body: %s",
			    cl_strerror(rc));
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
	if (cl_signer_load(cfg->signing_key_file, &s, err, sizeof err) !=
	    CL_OK) {
		cl_log(CL_LOG_ERROR, "signer: config: signing_key_file: %s",
		    err);
		goto out;
	}
	cl_log(CL_LOG_INFO, "signer: ready with key %s", cl_signer_key_id(s));
	cl_metrics_helper_ready(CL_HELPER_SIGNER, (int)getpid());
	if (cl_app_helper_serve(hub, CL_SIGN_REQ_MAX, sign_batch, s) == CL_OK)
		status = 0;
out:
	cl_signer_free(s);
	exit(status);
}

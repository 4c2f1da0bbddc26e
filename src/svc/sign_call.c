/* sign_call.c: a worker's call to the signer process (see svc.h). */
#include "callin/log.h"
#include "callin/metrics.h"
#include "callin/receipt.h"
#include "callin/svc.h"

#define SIGN_TIMEOUT_MS 5000

cl_err
cl_svc_sign(cl_svc *app, const cl_buf *body, cl_buf *out)
{
	cl_buf reply = CL_BUF_INIT;
	cl_err rc = CL_EUNAVAIL;

	if (!cl_metrics_helper_up(CL_HELPER_SIGNER)) {
		cl_log(CL_LOG_ERROR, "intake: the signer is not running");
		goto err;
	}
	for (int i = 0; i < 2; i++)
		if ((rc = cl_ipc_call(&app->signer, body->data, body->len,
			 &reply, CL_RECEIPT_MAX + 1, SIGN_TIMEOUT_MS)) !=
		    CL_ECLOSED)
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

/* request_form.c: stream a request's multipart/form-data body through the parser. */
#include "callin/http.h"

/* One read's worth of body; a worker serves one request at a time. */
static char chunk[64 * 1024];

cl_err
cl_http_read_form(cl_http_req *req, const cl_mp_callbacks *cb, void *arg,
    int64_t cap)
{
	char boundary[CL_MP_BOUNDARY_MAX + 1];
	cl_mp_parser *mp = NULL;
	size_t got;
	cl_err rc;

	if ((rc = cl_mp_boundary(req->content_type, boundary,
		 sizeof boundary)) != CL_OK)
		return rc;
	if (req->content_length > cap)
		return CL_ETOOBIG;
	mp = cl_mp_new(boundary, cb, arg);
	for (;;) {
		if ((rc = cl_http_read(req, chunk, sizeof chunk, &got)) !=
		    CL_OK)
			goto out;
		if (got == 0)
			break;
		if (req->body_read > cap) {
			rc = CL_ETOOBIG;
			goto out;
		}
		if ((rc = cl_mp_feed(mp, chunk, got)) != CL_OK)
			goto out;
	}
	rc = cl_mp_finish(mp);
out:
	cl_mp_free(mp);
	return rc;
}

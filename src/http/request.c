/* request.c: an HTTP request and its response over libfcgi. */
#include <errno.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "callin/http.h"

const char *
cl_http_param(const cl_http_req *req, const char *name)
{
	const char *v = FCGX_GetParam(name, req->fcgi->envp);

	return v ? v : "";
}

void
cl_http_req_init(cl_http_req *req, FCGX_Request *f)
{
	const char *cl;
	char *end;

	memset(req, 0, sizeof *req);
	req->fcgi = f;
	req->method = cl_http_param(req, "REQUEST_METHOD");
	req->path = cl_http_param(req, "DOCUMENT_URI");
	if (req->path[0] == '\0')
		req->path = cl_http_param(req, "SCRIPT_NAME");
	req->query = cl_http_param(req, "QUERY_STRING");
	req->content_type = cl_http_param(req, "CONTENT_TYPE");
	req->request_id = cl_http_param(req, "REQUEST_ID");
	req->remote_addr = cl_http_param(req, "REMOTE_ADDR");
	req->head_only = strcmp(req->method, "HEAD") == 0;
	req->content_length = -1;
	cl = cl_http_param(req, "CONTENT_LENGTH");
	if (cl[0] != '\0') {
		errno = 0;
		long long n = strtoll(cl, &end, 10);
		if (errno == 0 && *end == '\0' && n >= 0)
			req->content_length = n;
	}
}

cl_err
cl_http_read(cl_http_req *req, void *p, size_t n, size_t *got)
{
	int r;

	*got = 0;
	if (n > (1u << 30))
		n = 1u << 30;
	r = FCGX_GetStr(p, (int)n, req->fcgi->in);
	if (r < 0 || FCGX_GetError(req->fcgi->in) != 0)
		return CL_EIO;
	*got = (size_t)r;
	req->body_read += r;
	return CL_OK;
}

cl_err
cl_http_drain(cl_http_req *req)
{
	char chunk[16 * 1024];
	size_t got;
	cl_err rc;

	do {
		if ((rc = cl_http_read(req, chunk, sizeof chunk, &got)) !=
		    CL_OK)
			return rc;
	} while (got > 0);
	return CL_OK;
}

const char *
cl_http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 303: return "See Other";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Unknown";
	}
}

cl_err
cl_http_sendv(cl_http_req *req, int status, const char *content_type,
    const char *extra_headers, const struct iovec *body, int nbody)
{
	FCGX_Stream *out = req->fcgi->out;
	cl_buf head = CL_BUF_INIT;
	cl_err rc = CL_ECLOSED;
	size_t len = 0;

	for (int i = 0; i < nbody; i++)
		len += body[i].iov_len;
	/* libfcgi's own printf knows no %zu: format the head ourselves. */
	req->status = status;
	cl_buf_printf(&head,
	    "Status: %d %s\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\n%s\r\n",
	    status, cl_http_reason(status), content_type, len,
	    extra_headers ? extra_headers : "");
	if (FCGX_PutStr(head.data, (int)head.len, out) != (int)head.len)
		goto out;
	for (int i = 0; !req->head_only && i < nbody; i++)
		if (body[i].iov_len > 0 &&
		    FCGX_PutStr(body[i].iov_base, (int)body[i].iov_len, out) !=
			(int)body[i].iov_len)
			goto out;
	rc = CL_OK;
out:
	cl_buf_free(&head);
	return rc;
}

cl_err
cl_http_send(cl_http_req *req, int status, const char *content_type,
    const char *extra_headers, const void *body, size_t len)
{
	struct iovec one = { (void *)(uintptr_t)body, len };

	return cl_http_sendv(req, status, content_type, extra_headers, &one, 1);
}

cl_err
cl_http_redirect(cl_http_req *req, const char *location)
{
	cl_buf h = CL_BUF_INIT;
	cl_err rc;

	/* Nothing but printable ASCII reaches a header. */
	for (const char *p = location; *p; p++)
		if (*p < 0x21 || *p > 0x7e)
			return CL_EINVAL;
	cl_buf_printf(&h, "Location: %s\r\nCache-Control: no-store\r\n",
	    location);
	rc = cl_http_send(req, 303, "text/plain; charset=utf-8", h.data, "", 0);
	cl_buf_free(&h);
	return rc;
}

/*
 * http.h: one HTTP request as it reaches a worker over FastCGI, and the
 * response written back.  Wraps libfcgi's FCGX_Request; parameters are copied
 * out so nothing dangles after the request ends.
 */
#ifndef CALLIN_HTTP_H
#define CALLIN_HTTP_H

#include <fcgiapp.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "callin/buf.h"
#include "callin/err.h"
#include "callin/multipart.h"

typedef struct cl_http_req {
	FCGX_Request *fcgi;
	const char *method;	  /* "GET", "POST", ... */
	const char *path;	  /* decoded-free path, no query */
	const char *query;	  /* "" when none */
	const char *content_type; /* "" when none */
	int64_t content_length;	  /* -1 when absent or not a number */
	const char *request_id;	  /* nginx $request_id, "" when none */
	const char *remote_addr;
	int64_t body_read; /* bytes of body consumed so far */
	int status;	   /* status sent, 0 before the response */
	int head_only;	   /* HEAD request: headers only */
} cl_http_req;

/*
 * Fill req from the FastCGI request f (parameters point into f's memory and
 * live until the request is finished).  Cannot fail.
 */
void cl_http_req_init(cl_http_req *req, FCGX_Request *f);

/* Return the FastCGI parameter name, or "" when absent.  Cannot fail. */
const char *cl_http_param(const cl_http_req *req, const char *name);

/*
 * Read up to n body bytes into p; *got receives the count (0 at the end of
 * the body).  CL_EIO when the stream failed or the client went away.
 */
cl_err cl_http_read(cl_http_req *req, void *p, size_t n, size_t *got);

/*
 * Read and drop the rest of req's body, for a refusal sent without looking
 * at it (the web server is not cut off while it still sends).  CL_EIO when
 * the client went away.
 */
cl_err cl_http_drain(cl_http_req *req);

/*
 * Read req's multipart/form-data body to its end through the parser, with
 * callbacks cb (arg passed on).  Fails with CL_EPARSE (not multipart,
 * malformed or truncated), CL_ETOOBIG (CONTENT_LENGTH or the bytes read
 * over cap), CL_EIO (the client went away) or a callback's own error.
 */
cl_err cl_http_read_form(cl_http_req *req, const cl_mp_callbacks *cb, void *arg,
    int64_t cap);

/*
 * Send a complete response: status, content type, optional extra header
 * lines (each ending "\r\n", NULL for none) and the body.  Security headers
 * are added by nginx.  CL_ECLOSED when the client went away.
 */
cl_err cl_http_send(cl_http_req *req, int status, const char *content_type,
    const char *extra_headers, const void *body, size_t len);

/*
 * Send a complete response whose body is the nbody pieces of body, in
 * order (no copy into one buffer).  As cl_http_send() otherwise.
 */
cl_err cl_http_sendv(cl_http_req *req, int status, const char *content_type,
    const char *extra_headers, const struct iovec *body, int nbody);

/*
 * Send a 303 See Other to location (a path).  CL_EINVAL, with nothing sent,
 * when location holds anything but printable ASCII (no CR, LF or spaces
 * ever reach a header); CL_ECLOSED as above.
 */
cl_err cl_http_redirect(cl_http_req *req, const char *location);

/* Return the reason phrase for an HTTP status code.  Cannot fail. */
const char *cl_http_reason(int status);

#endif /* CALLIN_HTTP_H */

/*
 * router.c: maps a request's method and path to its handler, one table entry
 * per route.  Unknown paths get the 404 page, known paths with another method
 * the 405 page with an Allow header.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callin/app.h"
#include "callin/clock.h"
#include "callin/log.h"
#include "callin/metrics.h"
#include "callin/page.h"
#include "callin/rand.h"
#include "callin/svc.h"

enum shape {
	EXACT,	    /* path equals pattern */
	TOKEN,	    /* pattern + one segment ("/receipt/" + token) */
	TOKEN_FILE, /* pattern + token + "/" + file */
	PEM,	    /* pattern + id + ".pem" */
	STATUS,	    /* pattern + a 3-digit status (nginx error_page) */
	REF_CODE,   /* pattern + reference + "/" + code */
};

struct route {
	const char *method; /* GET routes answer HEAD too */
	enum shape shape;
	const char *pattern;
	int id;
};

enum {
	R_START,
	R_FORM,
	R_SUBMIT,
	R_CONFIRM,
	R_FILE,
	R_VERIFY_GET,
	R_VERIFY_POST,
	R_KEYS,
	R_KEY_PEM,
	R_HEALTH,
	R_METRICS,
	R_ERROR,
	R_CONFIRM_GET,
	R_CONFIRM_POST
};

static const struct route routes[] = {
	{ "GET", EXACT, "/", R_START },
	{ "GET", EXACT, "/request", R_FORM },
	{ "POST", EXACT, "/request", R_SUBMIT },
	{ "GET", TOKEN, "/receipt/", R_CONFIRM },
	{ "GET", TOKEN_FILE, "/receipt/", R_FILE },
	{ "GET", EXACT, "/verify", R_VERIFY_GET },
	{ "POST", EXACT, "/verify", R_VERIFY_POST },
	{ "GET", EXACT, "/receipt-keys", R_KEYS },
	{ "GET", PEM, "/receipt-keys/", R_KEY_PEM },
	{ "GET", EXACT, "/healthz", R_HEALTH },
	{ "GET", EXACT, "/metrics", R_METRICS },
	{ "GET", STATUS, "/_error/", R_ERROR },
	{ "GET", REF_CODE, "/confirm/", R_CONFIRM_GET },
	{ "POST", REF_CODE, "/confirm/", R_CONFIRM_POST },
};
#define NROUTES (sizeof routes / sizeof routes[0])

/* Route names in metrics, by route id; unmatched paths count as "other". */
static const char *const route_names[] = {
	"start",
	"form",
	"submit",
	"confirmation",
	"receipt_file",
	"verify",
	"verify_post",
	"keys",
	"key_pem",
	"healthz",
	"metrics",
	"error",
	"confirm_address",
	"confirm_address_post",
	"other",
};
#define R_OTHER (sizeof route_names / sizeof route_names[0] - 1)

/*
 * Does path match route r?  On a match, arg receives the token or id and
 * file the file name (both point into path or are "").
 */
static int
match(const struct route *r, const char *path, char *arg, size_t arglen,
    const char **file)
{
	size_t pl = strlen(r->pattern), n;

	*file = "";
	arg[0] = '\0';
	if (r->shape == EXACT)
		return strcmp(path, r->pattern) == 0;
	if (strncmp(path, r->pattern, pl) != 0)
		return 0;
	path += pl;
	n = cl_b64url_span(path);
	if (n == 0 || n >= arglen)
		return 0;
	memcpy(arg, path, n);
	arg[n] = '\0';
	path += n;
	switch (r->shape) {
	case TOKEN: return *path == '\0';
	case TOKEN_FILE:
		if (*path != '/' || !cl_page_receipt_file_known(path + 1))
			return 0;
		*file = path + 1;
		return 1;
	case PEM: return strcmp(path, ".pem") == 0;
	case STATUS:
		return n == 3 && *path == '\0' && arg[0] >= '1' &&
		    arg[0] <= '5' && strspn(arg, "0123456789") == 3;
	case REF_CODE:
		if (*path != '/' || (n = cl_b64url_span(path + 1)) == 0 ||
		    path[1 + n] != '\0')
			return 0;
		*file = path + 1;
		return 1;
	default: return 0;
	}
}

/*
 * Find the route for req's method and path and call its handler; a known
 * path with another method gets 405 with Allow, an unknown one 404.  Counts
 * and logs every request.  Cannot fail.
 */
void
cl_app_handle(void *arg, cl_http_req *req)
{
	cl_svc *app = arg;
	char param[128], allow[64] = "", logged[160];
	const char *file;
	const char *method = req->head_only ? "GET" : req->method;
	unsigned counted = R_OTHER;
	double start = cl_mono_s();

	for (size_t i = 0; i < NROUTES; i++) {
		const struct route *r = &routes[i];

		if (!match(r, req->path, param, sizeof param, &file))
			continue;
		if (strcmp(r->method, method) != 0) {
			size_t l = strlen(allow);
			snprintf(allow + l, sizeof allow - l, "%s%s%s",
			    l ? ", " : "", r->method,
			    strcmp(r->method, "GET") == 0 ? ", HEAD" : "");
			continue;
		}
		counted = (unsigned)r->id;
		switch (r->id) {
		case R_START: cl_page_start(app, req); break;
		case R_FORM: cl_page_form(app, req); break;
		case R_SUBMIT: cl_page_submit(app, req); break;
		case R_CONFIRM: cl_page_confirmation(app, req, param); break;
		case R_FILE: cl_page_receipt_file(app, req, param, file); break;
		case R_VERIFY_GET:
		case R_VERIFY_POST: cl_page_verify(app, req); break;
		case R_KEYS: cl_page_keys(app, req, NULL); break;
		case R_KEY_PEM: cl_page_keys(app, req, param); break;
		case R_HEALTH: cl_page_healthz(app, req); break;
		case R_METRICS:
			cl_page_metrics(app, req, route_names,
			    sizeof route_names / sizeof route_names[0]);
			break;
		case R_ERROR:
			cl_page_error_for(app, req, atoi(param), NULL);
			break;
		case R_CONFIRM_GET:
			cl_page_confirm_address(app, req, param, file, 0);
			break;
		case R_CONFIRM_POST:
			cl_page_confirm_address(app, req, param, file, 1);
			break;
		}
		goto done;
	}
	if (allow[0] != '\0')
		cl_page_method_not_allowed(req, allow);
	else
		cl_page_error(req, 404, NULL);
done:
	cl_metrics_request(counted, req->status, cl_mono_s() - start);
	cl_log_redact_path(req->path, logged, sizeof logged);
	cl_log(CL_LOG_INFO, "%s %s %d", req->method, logged, req->status);
}

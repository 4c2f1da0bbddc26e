/*
 * app.h: the per-worker application: everything a request handler needs
 * (configuration, store, signing key, content sniffer, form secret), built
 * once per worker process after fork, and the route table.
 */
#ifndef CALLIN_APP_H
#define CALLIN_APP_H

#include <stdint.h>

#include "callin/config.h"
#include "callin/http.h"
#include "callin/store.h"

struct cl_sniffer;
struct cl_signer;
struct cl_keyring;

typedef struct cl_app {
	const cl_config		*cfg;
	cl_store		*store;
	struct cl_sniffer	*sniffer;
	struct cl_signer	*signer;
	struct cl_keyring	*keyring;
	unsigned char		 form_secret[128];
	size_t			 form_secret_len;
} cl_app;

/*
 * Build the application for one worker: open the store, load the keys and
 * the form secret, open the sniffer.  *out is allocated.  Fails (logging one
 * line naming the setting) with CL_ECONFIG or CL_EUNAVAIL.
 */
cl_err cl_app_init(const cl_config *cfg, void **out);

/*
 * Check at start-up, in the master, that the keys and secrets named in cfg
 * can be loaded, so a bad setting stops the service with one clear line
 * (written to err) before any worker starts.
 */
cl_err cl_app_check(const cl_config *cfg, char *err, size_t errlen);

/* Free the application.  NULL is fine.  Cannot fail. */
void cl_app_free(void *app);

/* Append the request metrics, labelled with route names.  Cannot fail. */
void cl_app_render_metrics(cl_buf *out);

/* Route one request to its handler; always sends a response.  Cannot fail. */
void cl_app_handle(void *app, cl_http_req *req);

#endif /* CALLIN_APP_H */

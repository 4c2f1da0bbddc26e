/*
 * server.h: the callin-fcgi process model.  A master binds the listening
 * socket (or inherits one on fd 0), forks worker processes that each run a
 * libfcgi accept loop one request at a time, replaces workers that die (with
 * backoff), drains them on SIGTERM/SIGINT and replaces them one by one with a
 * re-read configuration on SIGHUP.
 *
 * Beside the workers it keeps helper processes (the signer, the committer),
 * each serving the workers' calls through its own hub (ipc.h), made before
 * anything is forked: workers get every hub's client end.  A helper that
 * dies is replaced with the same backoff as a worker; on SIGHUP a new one
 * starts with the new configuration and the old one is stopped once the new
 * one is ready; on SIGTERM helpers are stopped after the last worker.
 */
#ifndef CALLIN_SERVER_H
#define CALLIN_SERVER_H

#include <stddef.h>

#include "callin/config.h"
#include "callin/err.h"
#include "callin/http.h"
#include "callin/metrics.h"

/* A helper process the master keeps running beside its workers. */
typedef struct cl_server_helper {
	const char *name;    /* process name: "callin-<name>" */
	cl_helper id;	     /* its readiness slot in metrics.h */
	cl_counter restarts; /* counted when it dies and is replaced */
	/* Whether cfg needs this helper; NULL: always. */
	int (*wanted)(const cl_config *cfg);
	/*
	 * The helper, in its own process: serve the hub's server end fd until
	 * SIGTERM, reporting itself ready (cl_metrics_helper_ready) once it
	 * can serve.  Never returns: exits 0 after SIGTERM, 1 on a failure.
	 */
	void (*main)(const cl_config *cfg, int fd);
} cl_server_helper;

#define CL_SERVER_HELPERS_MAX CL_HELPER__MAX

typedef struct cl_server_hooks {
	/* In the master, on a reloaded configuration: can it be used? */
	cl_err (*check)(const cl_config *cfg, char *err, size_t errlen);
	/*
	 * In each worker after fork: build the per-process state in *app;
	 * hubs[i] is the client end of helpers[i]'s hub.
	 */
	cl_err (
	    *worker_init)(const cl_config *cfg, const int *hubs, void **app);
	/* Answer one request.  Must always send a response. */
	void (*handle)(void *app, cl_http_req *req);
	/* In each worker before it exits.  NULL is fine. */
	void (*worker_fini)(void *app);
	/* The helpers, at most CL_SERVER_HELPERS_MAX. */
	const cl_server_helper *helpers;
	size_t nhelpers;
} cl_server_hooks;

/*
 * Make the listening socket for spec: a unix socket path (created mode 0660,
 * of group group unless that is "", through a rename so it appears complete,
 * replacing a stale one) or host:port (IPv4 or [IPv6]).  *fd is the socket,
 * non-blocking and close-on-exec.  CL_ECONFIG for a bad spec or an unknown
 * group, CL_EIO when it cannot be bound (err gets one line).
 */
cl_err cl_server_listen(const char *spec, const char *group, int *fd, char *err,
    size_t errlen);

/*
 * Run the master until SIGTERM or SIGINT, then drain the workers and return.
 * config_path is re-read on SIGHUP (NULL: environment only); cfg is the
 * configuration already loaded and is owned by the server from now on.
 * Returns CL_OK after a clean stop, CL_EIO when the socket could not be made,
 * CL_ECONFIG (logged) when it is TCP on an address other than loopback
 * without fastcgi_allow_from, or the settings do not fit its kind.
 */
cl_err cl_server_run(const char *config_path, cl_config *cfg,
    const cl_server_hooks *hooks);

#endif /* CALLIN_SERVER_H */

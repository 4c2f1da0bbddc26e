/*
 * worker.c: one worker process: a libfcgi accept loop serving one request at
 * a time.
 *
 * SIGTERM/SIGINT stay blocked except while the worker waits for a connection
 * in ppoll(2), which unblocks them atomically.  So a signal never interrupts
 * a request in flight (libfcgi treats EINTR on read as a failed request): the
 * request finishes, then the worker sees the flag and exits.  The listening
 * socket is non-blocking, so a worker that loses the race for a connection to
 * another gets EAGAIN from FCGX_Accept_r and goes back to waiting.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "callin/log.h"
#include "callin/signals.h"
#include "server_impl.h"

static volatile sig_atomic_t stop;

static void
on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

void
cl_worker_main(int lfd, const cl_config *cfg, const cl_server_hooks *hooks,
    const int *hubs)
{
	sigset_t wait_mask;
	FCGX_Request f;
	cl_http_req req;
	void *app = NULL;
	int64_t served = 0;

	cl_signals_child(on_stop, 1, &wait_mask);

	if (hooks->worker_init(cfg, hubs, &app) != CL_OK) {
		cl_log(CL_LOG_ERROR, "worker: start-up failed");
		_exit(1);
	}
	FCGX_Init();
	FCGX_InitRequest(&f, lfd, 0);
	cl_log(CL_LOG_DEBUG, "worker: ready");

	while (!stop) {
		struct pollfd p = { .fd = lfd, .events = POLLIN };
		int rc = ppoll(&p, 1, NULL, &wait_mask);

		if (rc < 0) {
			if (errno == EINTR)
				continue;
			cl_log(CL_LOG_ERROR, "worker: poll: %s", strerror(errno));
			break;
		}
		rc = FCGX_Accept_r(&f);
		if (rc == -EAGAIN || rc == -EWOULDBLOCK || rc == -EINTR ||
		    rc == -ECONNABORTED)
			continue;
		if (rc < 0) {
			cl_log(CL_LOG_ERROR, "worker: accept failed (%d)", rc);
			break;
		}
		cl_http_req_init(&req, &f);
		cl_log_set_request_id(req.request_id);
		hooks->handle(app, &req);
		cl_log_set_request_id(NULL);
		FCGX_Finish_r(&f);
		if (cfg->max_requests_per_worker > 0 &&
		    ++served >= cfg->max_requests_per_worker) {
			cl_log(CL_LOG_INFO, "worker: recycling after %lld requests",
			    (long long)served);
			break;
		}
	}
	if (hooks->worker_fini != NULL)
		hooks->worker_fini(app);
	FCGX_Free(&f, 0);
	exit(0);
}

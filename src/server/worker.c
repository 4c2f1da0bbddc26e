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
 *
 * With fastcgi_allow_from the worker accepts connections itself and closes
 * one from a peer not in the list before reading a byte of it (libfcgi's
 * own check, FCGI_WEB_SERVER_ADDRS, knows IPv4 only and lets every IPv6
 * peer in); libfcgi then reads the request from the connection handed to
 * it, and is given no listening socket so that it can never accept one
 * unchecked.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "callin/addr.h"
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

/*
 * Accept a connection on lfd and hand it to libfcgi's request f when its
 * peer is in allow; close it at once when not (logged).  Returns 0 when f
 * holds a connection, else a negative errno as FCGX_Accept_r would
 * (-EAGAIN: another worker took it; -ECONNABORTED: refused or gone).
 */
static int
accept_checked(int lfd, FCGX_Request *f, const cl_addr_list *allow)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char peer[64];
	int c, one = 1;

	if (f->ipcFd >= 0)
		return 0; /* kept open after FCGI_KEEP_CONN: checked already */
	if ((c = accept4(lfd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC)) < 0)
		return -errno;
	if (!cl_addr_list_has(allow, (struct sockaddr *)&ss, len)) {
		cl_addr_format((struct sockaddr *)&ss, len, peer, sizeof peer);
		cl_log(CL_LOG_WARN,
		    "worker: closed a FastCGI connection from %s, "
		    "not in fastcgi_allow_from",
		    peer);
		close(c);
		return -ECONNABORTED;
	}
	/* As libfcgi does for its own TCP peers: no Nagle delay on replies. */
	(void)setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	/*
	 * libfcgi 2.4.2 to 2.4.7: FCGX_Accept_r starts with FCGX_Finish_r,
	 * which closes ipcFd unless keepConnection is set, then reads from
	 * an open ipcFd instead of accepting; the begin record it reads sets
	 * keepConnection again from the web server's FCGI_KEEP_CONN flag.
	 */
	f->ipcFd = c;
	f->keepConnection = 1;
	return 0;
}

void
cl_worker_main(int lfd, const cl_config *cfg, const cl_server_hooks *hooks,
    const int *hubs, const cl_addr_list *allow)
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
	FCGX_InitRequest(&f, allow != NULL ? -1 : lfd, 0);
	cl_log(CL_LOG_DEBUG, "worker: ready");

	while (!stop) {
		struct pollfd p = { .fd = lfd, .events = POLLIN };
		int rc = ppoll(&p, 1, NULL, &wait_mask);

		if (rc < 0) {
			if (errno == EINTR)
				continue;
			cl_log(CL_LOG_ERROR, "worker: poll: %s",
			    strerror(errno));
			break;
		}
		rc = allow != NULL ? accept_checked(lfd, &f, allow) : 0;
		if (rc == 0)
			rc = FCGX_Accept_r(&f);
		/* -EBADF with allow: the connection ended before a request
		 * and libfcgi, given no listening socket, could not accept. */
		if (rc == -EAGAIN || rc == -EWOULDBLOCK || rc == -EINTR ||
		    rc == -ECONNABORTED || (allow != NULL && rc == -EBADF))
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
			cl_log(CL_LOG_INFO,
			    "worker: recycling after %lld requests",
			    (long long)served);
			break;
		}
	}
	if (hooks->worker_fini != NULL)
		hooks->worker_fini(app);
	FCGX_Free(&f, 0);
	exit(0);
}

/*
 * helper.c: what the signer and the committer processes share: no core
 * dumps, their signals, and serving their hub.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "callin/log.h"
#include "callin/signals.h"
#include "app_int.h"

static volatile sig_atomic_t stop;

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

void
cl_app_no_dumps(void)
{
	struct rlimit none = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &none) != 0 ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		cl_log(CL_LOG_WARN, "cannot turn core dumps off: %s", strerror(errno));
}

cl_err
cl_app_helper_serve(int hub, size_t max_req, cl_ipc_handler handler, void *arg)
{
	sigset_t wait_mask;

	/* SIGTERM is let in only while waiting for calls; SIGINT ignored. */
	cl_signals_child(on_term, 0, &wait_mask);
	return cl_ipc_serve(hub, max_req, handler, arg, &stop, &wait_mask);
}

/*
 * helper.c: what the signer and the committer processes share: their
 * signals and serving their hub.
 */
#include <signal.h>

#include "callin/signals.h"
#include "app_int.h"

static volatile sig_atomic_t stop;

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

cl_err
cl_app_helper_serve(int hub, size_t max_req, cl_ipc_handler handler, void *arg)
{
	sigset_t wait_mask;

	/* SIGTERM is let in only while waiting for calls; SIGINT ignored. */
	cl_signals_child(on_term, 0, &wait_mask);
	return cl_ipc_serve(hub, max_req, handler, arg, &stop, &wait_mask);
}

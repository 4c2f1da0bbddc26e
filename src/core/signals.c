/* signals.c: the signal set-up of the master's children and of the daemons (signals.h). */
#include <string.h>
#include <time.h>

#include "callin/signals.h"

void
cl_signals_child(void (*on_stop)(int), int sigint_stops, sigset_t *wait_mask)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	if (!sigint_stops)
		sa.sa_handler = SIG_IGN;
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGXFSZ, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	if (sigint_stops)
		sigaddset(&block, SIGINT);
	sigprocmask(SIG_SETMASK, &block, NULL);
	sigemptyset(wait_mask);
}

volatile sig_atomic_t cl_daemon_stop;

/* SIGTERM, SIGINT: the daemon stops after what it is doing. */
static void
on_daemon_stop(int sig)
{
	(void)sig;
	cl_daemon_stop = 1;
}

void
cl_signals_daemon(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_daemon_stop; /* no SA_RESTART: wake from sleeps */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGXFSZ, &sa, NULL);
}

void
cl_nap_ms(int64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000),
		(long)(ms % 1000) * 1000000 };

	if (ms > 0 && !cl_daemon_stop)
		nanosleep(&ts, NULL);
}

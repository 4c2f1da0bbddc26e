/*
 * signals.h: the signal set-up every child of the callin-fcgi master (a
 * worker, a helper) shares: it stops on SIGTERM, but only between two
 * pieces of work, so a signal never interrupts one.
 */
#ifndef CALLIN_SIGNALS_H
#define CALLIN_SIGNALS_H

#include <signal.h>

/*
 * Install on_stop for SIGTERM (and for SIGINT when sigint_stops, else
 * ignore SIGINT), ignore SIGHUP, SIGPIPE and SIGXFSZ (a file size limit
 * must fail the write, not kill the process), restore SIGCHLD, and block
 * the stop signals.  *wait_mask gets the mask to wait with (ppoll), the
 * only time they may arrive.  Cannot fail.
 */
void cl_signals_child(void (*on_stop)(int), int sigint_stops,
    sigset_t *wait_mask);

#endif /* CALLIN_SIGNALS_H */

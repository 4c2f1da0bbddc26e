/*
 * signals.h: the signal set-up every child of the callin-fcgi master (a
 * worker, a helper) shares: it stops on SIGTERM, but only between two
 * pieces of work, so a signal never interrupts one; and the one the
 * standalone daemons (callin-mailer, callin-logd) share: a stop flag that
 * SIGTERM and SIGINT set and that wakes them from their naps.
 */
#ifndef CALLIN_SIGNALS_H
#define CALLIN_SIGNALS_H

#include <signal.h>
#include <stdint.h>

/*
 * Install on_stop for SIGTERM (and for SIGINT when sigint_stops, else
 * ignore SIGINT), ignore SIGHUP, SIGPIPE and SIGXFSZ (a file size limit
 * must fail the write, not kill the process), restore SIGCHLD, and block
 * the stop signals.  *wait_mask gets the mask to wait with (ppoll), the
 * only time they may arrive.  Cannot fail.
 */
void cl_signals_child(void (*on_stop)(int), int sigint_stops,
    sigset_t *wait_mask);

/* Set (to 1) by SIGTERM or SIGINT once cl_signals_daemon() ran. */
extern volatile sig_atomic_t cl_daemon_stop;

/*
 * Make SIGTERM and SIGINT set cl_daemon_stop (without SA_RESTART, so a
 * sleep or a blocking wait wakes), and ignore SIGPIPE and SIGXFSZ (a file
 * size limit must fail the write, not kill the process).  Cannot fail.
 */
void cl_signals_daemon(void);

/* Sleep ms milliseconds, less when a stop signal comes, not at all once
 * cl_daemon_stop is set.  Cannot fail. */
void cl_nap_ms(int64_t ms);

#endif /* CALLIN_SIGNALS_H */

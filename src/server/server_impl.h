/* server_impl.h: what the master and a worker share (private to src/server/). */
#ifndef CALLIN_SERVER_IMPL_H
#define CALLIN_SERVER_IMPL_H

#include "callin/server.h"

/*
 * Run a worker on the listening socket lfd until told to stop, then exit the
 * process.  Never returns.  Exit status 0 after a drain or a recycle, 1 when
 * worker_init failed.
 */
void cl_worker_main(int lfd, const cl_config *cfg, const cl_server_hooks *hooks,
    const int *hubs) __attribute__((noreturn));

#endif /* CALLIN_SERVER_IMPL_H */

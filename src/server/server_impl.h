/* server_impl.h: what the master and a worker share (private to src/server/). */
#ifndef CALLIN_SERVER_IMPL_H
#define CALLIN_SERVER_IMPL_H

#include "callin/addr.h"
#include "callin/server.h"

/*
 * Run a worker on the listening socket lfd until told to stop, then exit the
 * process.  Never returns.  Exit status 0 after a drain or a recycle, 1 when
 * worker_init failed.  allow: the peers it may serve (a TCP socket with
 * fastcgi_allow_from), NULL: whoever can connect.
 */
void cl_worker_main(int lfd, const cl_config *cfg, const cl_server_hooks *hooks,
    const int *hubs, const cl_addr_list *allow) __attribute__((noreturn));

/*
 * Check who can reach the listening socket lfd against cfg: a TCP socket
 * on an address other than loopback needs fastcgi_allow_from, which a unix
 * socket cannot use (nor a TCP socket listen_group).  Fills allow from
 * fastcgi_allow_from.  CL_ECONFIG with one line in err naming the setting.
 */
cl_err cl_server_check_reach(int lfd, const cl_config *cfg, cl_addr_list *allow,
    char *err, size_t errlen);

#endif /* CALLIN_SERVER_IMPL_H */

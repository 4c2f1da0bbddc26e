/* app_int.h: what the app module's files share and nobody else uses. */
#ifndef CALLIN_APP_INT_H
#define CALLIN_APP_INT_H

#include <stddef.h>

#include "callin/ipc.h"

/*
 * Turn core dumps off for this process and the ones it forks (no core
 * file, and no ptrace attach or /proc/PID/mem read by other users): for
 * every process that holds a secret.  Cannot fail (logs).
 */
void	cl_app_no_dumps(void);

/*
 * A helper process's life after its set-up: SIGTERM ends it (after the
 * round under way is answered), SIGINT and SIGHUP are ignored (the master
 * decides when a helper stops), then cl_ipc_serve() on hub with handler.
 * Returns cl_ipc_serve()'s result.
 */
cl_err	cl_app_helper_serve(int hub, size_t max_req, cl_ipc_handler handler,
	    void *arg);

#endif /* CALLIN_APP_INT_H */

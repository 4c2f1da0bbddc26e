/* app_int.h: what the app module's files share and nobody else uses. */
#ifndef CALLIN_APP_INT_H
#define CALLIN_APP_INT_H

#include <stddef.h>

#include "callin/ipc.h"

/*
 * A helper process's life after its set-up: SIGTERM ends it (after the
 * round under way is answered), SIGINT and SIGHUP are ignored (the master
 * decides when a helper stops), then cl_ipc_serve() on hub with handler.
 * Returns cl_ipc_serve()'s result.
 */
cl_err cl_app_helper_serve(int hub, size_t max_req, cl_ipc_handler handler,
    void *arg);

#endif /* CALLIN_APP_INT_H */

/*
 * app.h: the route table that sends each request to its page, and the two
 * helper processes the master runs beside its workers (svc.h says what
 * they do and how workers call them).
 */
#ifndef CALLIN_APP_H
#define CALLIN_APP_H

#include "callin/config.h"
#include "callin/http.h"

/* The signer process (server.h's helper main): never returns. */
void cl_app_signer_main(const cl_config *cfg, int hub)
    __attribute__((noreturn));

/* The committer process (server.h's helper main): never returns. */
void cl_app_committer_main(const cl_config *cfg, int hub)
    __attribute__((noreturn));

/* Route one request to its handler; always sends a response.  Cannot fail. */
void cl_app_handle(void *app, cl_http_req *req);

#endif /* CALLIN_APP_H */

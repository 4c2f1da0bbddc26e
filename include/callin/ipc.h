/*
 * ipc.h: calls from the workers to a helper process of the same master (the
 * signer, the committer), over unix sockets that have no path in the file
 * system, so nothing outside the master's family can reach them.
 *
 * The master makes one hub per helper (a SOCK_DGRAM socketpair) before it
 * forks anything and keeps both ends: the workers inherit the client end,
 * each helper it starts the server end, so a helper restarted after a crash
 * takes over the hub as it is.  A client connects by making a stream
 * socketpair and sending one end over the hub (SCM_RIGHTS); the helper
 * serves calls on it until either side closes it.  A call is one frame
 * each way: a 4-byte length (host order), then that many bytes.  A client
 * has at most one call in flight.
 */
#ifndef CALLIN_IPC_H
#define CALLIN_IPC_H

#include <signal.h>
#include <stddef.h>

#include "callin/buf.h"
#include "callin/err.h"

#define CL_IPC_SERVER 0 /* index of the helper's end of a hub */
#define CL_IPC_CLIENT 1 /* index of the workers' end */

/* Make a hub in fds (close-on-exec).  CL_EIO when the sockets cannot be made. */
cl_err cl_ipc_hub(int fds[2]);

/* A worker's connection to one helper. */
typedef struct cl_ipc_client {
	int hub; /* the hub's client end (not owned) */
	int fd;	 /* the connection, -1 until the first call */
} cl_ipc_client;

/*
 * Send the n bytes of req as one call and wait up to timeout_ms in all for
 * the answer, which replaces the contents of reply.  Connects first when
 * there is no connection.  Fails with CL_EUNAVAIL when no connection could
 * be made or the call could not be sent whole (the helper never saw it; a
 * connection found closed is replaced once first); CL_ECLOSED when the call
 * was sent but no whole answer came, because the helper closed the
 * connection or the time ran out (it may have acted on the call or not);
 * CL_ETOOBIG for an answer over max bytes.  After a failure the connection is closed and the next call makes
 * a new one.
 */
cl_err cl_ipc_call(cl_ipc_client *c, const void *req, size_t n, cl_buf *reply,
    size_t max, int timeout_ms);

/* Close the client's connection, if any.  Cannot fail. */
void cl_ipc_client_close(cl_ipc_client *c);

/* One call in a round, as the server hands it to its handler. */
typedef struct cl_ipc_msg {
	const unsigned char *req; /* the call's bytes */
	size_t len;
	cl_buf reply; /* the handler writes the answer here */
	int fd;	      /* the connection (the server's) */
	int deferred; /* set: the handler answers later */
} cl_ipc_msg;

/*
 * Answer the n calls of v (n >= 1), one answer each in v[i].reply, or
 * later: a handler that sets v[i].deferred takes a dup() of v[i].fd and
 * answers through it with cl_ipc_answer() when it is ready (from any
 * thread).  Until then no other call can come on that connection.  Must
 * answer every call; cannot fail.
 */
typedef void (*cl_ipc_handler)(void *arg, cl_ipc_msg *v, size_t n);

/*
 * Send the n bytes of p as the answer on fd (a dup() of a deferred call's
 * connection) and close fd.  Cannot fail: a client that went away gets
 * nothing.
 */
void cl_ipc_answer(int fd, const void *p, size_t n);

/*
 * Serve calls arriving through the hub's server end until *stop is set.
 * Each round waits (with wait_mask as the signal mask, so signals blocked
 * elsewhere can arrive only while nothing is being done), then reads every
 * connection that has data and hands all calls complete by then, at most
 * one per connection, to handler as one batch, and sends the answers.  So
 * calls that arrive while a round is busy form the next round's batch, and
 * no timer ever delays a lone call.  A connection sending a frame over
 * max_req bytes is closed, and so is one its client closed, dropping a call
 * not yet handed to the handler: nobody waits for its answer.  Returns CL_OK once *stop is set and the round
 * under way has been answered; CL_EIO when waiting fails.
 */
cl_err cl_ipc_serve(int hub, size_t max_req, cl_ipc_handler handler, void *arg,
    const volatile sig_atomic_t *stop, const sigset_t *wait_mask);

#endif /* CALLIN_IPC_H */

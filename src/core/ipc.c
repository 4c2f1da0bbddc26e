/*
 * ipc.c: calls between workers and a helper process over a hub (see
 * ipc.h): connecting by passing a socket over the hub, one length-prefixed
 * frame each way, and the helper's loop that answers calls in batches.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "callin/alloc.h"
#include "callin/clock.h"
#include "callin/err.h"
#include "callin/ipc.h"
#include "callin/log.h"

#define FRAME_HDR 4   /* bytes of the length prefix */
#define REPLY_MS 5000 /* longest wait to hand an answer over */

cl_err
cl_ipc_hub(int fds[2])
{
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, fds) != 0) {
		cl_log(CL_LOG_ERROR, "ipc: socketpair: %s", strerror(errno));
		return CL_EIO;
	}
	return CL_OK;
}

/* Milliseconds left until deadline (monotonic ms), at least 0. */
static int
left_ms(int64_t deadline)
{
	int64_t d = deadline - cl_mono_ms();

	return d > 0 ? (int)d : 0;
}

/*
 * Wait until fd is ready for events or deadline passes.  CL_OK when ready
 * (or hung up: the next read or write tells), CL_EUNAVAIL on time out.
 */
static cl_err
wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	int rc;

	do
		rc = poll(&p, 1, left_ms(deadline));
	while (rc < 0 && errno == EINTR);
	return rc > 0 ? CL_OK : CL_EUNAVAIL;
}

/*
 * Write the n bytes of p to the non-blocking socket fd by deadline.
 * CL_ECLOSED when the peer is gone, CL_EUNAVAIL on time out or another
 * error.
 */
static cl_err
send_all(int fd, const void *p, size_t n, int64_t deadline)
{
	const char *s = p;

	while (n > 0) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w > 0) {
			s += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (wait_fd(fd, POLLOUT, deadline) != CL_OK)
				return CL_EUNAVAIL;
			continue;
		}
		return w < 0 && (errno == EPIPE || errno == ECONNRESET) ?
		    CL_ECLOSED :
		    CL_EUNAVAIL;
	}
	return CL_OK;
}

/* Send the frame of the n bytes of p (see send_all for the errors). */
static cl_err
send_frame(int fd, const void *p, size_t n, int64_t deadline)
{
	uint32_t len = (uint32_t)n;
	cl_err rc;

	if ((rc = send_all(fd, &len, FRAME_HDR, deadline)) != CL_OK)
		return rc;
	return send_all(fd, p, n, deadline);
}

/*
 * Read exactly n bytes from the non-blocking socket fd into p by deadline.
 * CL_ECLOSED at end of stream or a reset, CL_EUNAVAIL on time out.
 */
static cl_err
recv_all(int fd, void *p, size_t n, int64_t deadline)
{
	char *d = p;

	while (n > 0) {
		ssize_t r = recv(fd, d, n, MSG_DONTWAIT);

		if (r > 0) {
			d += r;
			n -= (size_t)r;
			continue;
		}
		if (r == 0)
			return CL_ECLOSED;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (wait_fd(fd, POLLIN, deadline) != CL_OK)
				return CL_EUNAVAIL;
			continue;
		}
		return errno == ECONNRESET ? CL_ECLOSED : CL_EUNAVAIL;
	}
	return CL_OK;
}

/* A one-byte datagram with room for one passed descriptor. */
struct fd_msg {
	struct msghdr mh;
	struct iovec iov;
	char byte;
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
};

/* Make m ready to send or receive.  Cannot fail. */
static void
fd_msg_init(struct fd_msg *m)
{
	memset(m, 0, sizeof *m);
	m->byte = 'c';
	m->iov.iov_base = &m->byte;
	m->iov.iov_len = 1;
	m->mh.msg_iov = &m->iov;
	m->mh.msg_iovlen = 1;
	m->mh.msg_control = m->u.buf;
	m->mh.msg_controllen = sizeof m->u.buf;
}

/*
 * Connect c: a stream socketpair, one end sent over the hub, the other
 * kept (non-blocking).  CL_EUNAVAIL when the sockets cannot be made or the
 * hub takes no more.
 */
static cl_err
hub_connect(cl_ipc_client *c)
{
	struct fd_msg m;
	struct cmsghdr *cm;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0,
		sv) != 0)
		return CL_EUNAVAIL;
	fd_msg_init(&m);
	cm = CMSG_FIRSTHDR(&m.mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &sv[1], sizeof(int));
	if (sendmsg(c->hub, &m.mh, MSG_DONTWAIT | MSG_NOSIGNAL) != 1) {
		cl_log(CL_LOG_ERROR, "ipc: cannot reach the helper: %s",
		    strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return CL_EUNAVAIL;
	}
	close(sv[1]);
	c->fd = sv[0];
	return CL_OK;
}

void
cl_ipc_client_close(cl_ipc_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

cl_err
cl_ipc_call(cl_ipc_client *c, const void *req, size_t n, cl_buf *reply,
    size_t max, int timeout_ms)
{
	int64_t deadline = cl_mono_ms() + timeout_ms;
	int reused = c->fd >= 0;
	uint32_t len;
	cl_err rc;

	cl_buf_reset(reply);
	if (!reused && (rc = hub_connect(c)) != CL_OK)
		goto err;
	rc = send_frame(c->fd, req, n, deadline);
	if (rc == CL_ECLOSED && reused) {
		/* The helper that served this connection is gone and never
		 * saw the call: connect to its successor and send it again. */
		cl_ipc_client_close(c);
		if ((rc = hub_connect(c)) != CL_OK)
			goto err;
		rc = send_frame(c->fd, req, n, deadline);
	}
	if (rc != CL_OK) {
		rc = CL_EUNAVAIL; /* not sent whole: never acted on */
		goto err;
	}
	/* From here on the helper may have acted on the call. */
	if (recv_all(c->fd, &len, FRAME_HDR, deadline) != CL_OK) {
		rc = CL_ECLOSED;
		goto err;
	}
	if (len > max) {
		rc = CL_ETOOBIG;
		goto err;
	}
	cl_buf_add(reply, "", 0);
	if (len > 0) {
		char *tmp = cl_malloc(len);

		rc = recv_all(c->fd, tmp, len, deadline);
		if (rc == CL_OK)
			cl_buf_add(reply, tmp, len);
		free(tmp);
		if (rc != CL_OK) {
			rc = CL_ECLOSED;
			goto err;
		}
	}
	return CL_OK;
err:
	cl_ipc_client_close(c);
	cl_buf_reset(reply);
	return rc;
}

/* --- the helper's side --- */

struct conn {
	int fd;	   /* -1: closed, removed at the end of the round */
	cl_buf in; /* bytes read, not yet answered */
};

struct server {
	struct conn *c;
	size_t n, cap;
};

/* Close connection i (removed later by compact).  Cannot fail. */
static void
conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	cl_buf_free(&c->in);
}

/* Take every connection waiting on the hub.  Cannot fail (logs). */
static void
accept_all(struct server *s, int hub)
{
	for (;;) {
		struct fd_msg m;
		struct cmsghdr *cm;
		int fd = -1;
		ssize_t r;

		fd_msg_init(&m);
		r = recvmsg(hub, &m.mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return; /* EAGAIN: none left */
		cm = CMSG_FIRSTHDR(&m.mh);
		if (cm != NULL && cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SCM_RIGHTS &&
		    cm->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(&fd, CMSG_DATA(cm), sizeof(int));
		if (fd < 0)
			continue; /* a datagram without a socket */
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		if (s->n == s->cap) {
			s->cap = s->cap ? s->cap * 2 : 16;
			s->c = cl_realloc(s->c, s->cap * sizeof *s->c);
		}
		memset(&s->c[s->n], 0, sizeof s->c[s->n]);
		s->c[s->n++].fd = fd;
	}
}

/*
 * Read what connection c has; close it at end of stream, on an error or
 * when it announces a frame over max_req bytes.  Cannot fail.
 */
static void
conn_read(struct conn *c, size_t max_req)
{
	char chunk[65536];
	uint32_t len;

	for (;;) {
		ssize_t r = recv(c->fd, chunk, sizeof chunk, MSG_DONTWAIT);

		if (r > 0) {
			cl_buf_add(&c->in, chunk, (size_t)r);
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		conn_close(c); /* end of stream or error */
		return;
	}
	if (c->in.len >= FRAME_HDR) {
		memcpy(&len, c->in.data, FRAME_HDR);
		/* One call in flight: nothing may follow the first frame. */
		if (len > max_req || c->in.len > FRAME_HDR + (size_t)len) {
			cl_log(CL_LOG_ERROR,
			    "ipc: a call over the limit of %zu "
			    "bytes or a second call in flight; connection "
			    "closed",
			    max_req);
			conn_close(c);
		}
	}
}

/* Whether c holds a whole frame; *len gets its length.  Cannot fail. */
static int
conn_frame(const struct conn *c, uint32_t *len)
{
	if (c->fd < 0 || c->in.len < FRAME_HDR)
		return 0;
	memcpy(len, c->in.data, FRAME_HDR);
	return c->in.len - FRAME_HDR >= *len;
}

/* Drop the first frame of len bytes from c's input.  Cannot fail. */
static void
conn_consume(struct conn *c, uint32_t len)
{
	size_t used = FRAME_HDR + (size_t)len;

	memmove(c->in.data, c->in.data + used, c->in.len - used);
	c->in.len -= used;
	c->in.data[c->in.len] = '\0';
}

/* Remove closed connections from the table.  Cannot fail. */
static void
compact(struct server *s)
{
	size_t j = 0;

	for (size_t i = 0; i < s->n; i++)
		if (s->c[i].fd >= 0)
			s->c[j++] = s->c[i];
	s->n = j;
}

/*
 * One round's batch: every connection with a whole frame, handed to
 * handler, each answer sent back.  Cannot fail (a connection whose answer
 * cannot be sent is closed).
 */
static void
round_batch(struct server *s, cl_ipc_handler handler, void *arg)
{
	cl_ipc_msg *v = cl_calloc(s->n ? s->n : 1, sizeof *v);
	size_t *who = cl_calloc(s->n ? s->n : 1, sizeof *who), k = 0;
	uint32_t len;

	for (size_t i = 0; i < s->n; i++)
		if (conn_frame(&s->c[i], &len)) {
			v[k].req = (const unsigned char *)s->c[i].in.data +
			    FRAME_HDR;
			v[k].len = len;
			v[k].fd = s->c[i].fd;
			who[k++] = i;
		}
	if (k > 0)
		handler(arg, v, k);
	for (size_t j = 0; j < k; j++) {
		struct conn *c = &s->c[who[j]];

		if (v[j].deferred)
			conn_consume(c, (uint32_t)v[j].len);
		else if (send_frame(c->fd,
			     v[j].reply.data ? v[j].reply.data : "",
			     v[j].reply.len, cl_mono_ms() + REPLY_MS) != CL_OK)
			conn_close(c);
		else
			conn_consume(c, (uint32_t)v[j].len);
		cl_buf_free(&v[j].reply);
	}
	free(v);
	free(who);
}

void
cl_ipc_answer(int fd, const void *p, size_t n)
{
	int fl = fcntl(fd, F_GETFL);

	/* A dup() shares the connection's flags: non-blocking. */
	CL_ASSERT(fl >= 0 && (fl & O_NONBLOCK));
	(void)fl;
	(void)send_frame(fd, n > 0 ? p : "", n, cl_mono_ms() + REPLY_MS);
	close(fd);
}

cl_err
cl_ipc_serve(int hub, size_t max_req, cl_ipc_handler handler, void *arg,
    const volatile sig_atomic_t *stop, const sigset_t *wait_mask)
{
	struct server s = { NULL, 0, 0 };
	struct pollfd *p = NULL;
	size_t pcap = 0;
	cl_err rc = CL_OK;

	while (!*stop) {
		size_t had;
		int r;

		if (pcap < s.n + 1) {
			pcap = s.n + 16;
			p = cl_realloc(p, pcap * sizeof *p);
		}
		p[0].fd = hub;
		p[0].events = POLLIN;
		for (size_t i = 0; i < s.n; i++) {
			p[i + 1].fd = s.c[i].fd;
			p[i + 1].events = POLLIN;
		}
		r = ppoll(p, s.n + 1, NULL, wait_mask);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			cl_log(CL_LOG_ERROR, "ipc: poll: %s", strerror(errno));
			rc = CL_EIO;
			break;
		}
		for (size_t i = 0; i < s.n; i++)
			if (p[i + 1].revents != 0)
				conn_read(&s.c[i], max_req);
		had = s.n;
		if (p[0].revents & POLLIN)
			accept_all(&s, hub);
		for (size_t i = had; i < s.n; i++)
			conn_read(&s.c[i], max_req);
		round_batch(&s, handler, arg);
		compact(&s);
	}
	for (size_t i = 0; i < s.n; i++)
		conn_close(&s.c[i]);
	free(s.c);
	free(p);
	return rc;
}

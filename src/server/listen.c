/* listen.c: the listening socket, bound by us rather than FCGX_OpenSocket. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "callin/server.h"

/* Bind a unix socket at path via a temporary name and rename(2). */
static cl_err
listen_unix(const char *path, int *fd, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char tmp[sizeof sa.sun_path];
	int s = -1;

	if (snprintf(tmp, sizeof tmp, "%s.%ld", path, (long)getpid()) >= (int)sizeof tmp ||
	    strlen(path) >= sizeof sa.sun_path) {
		snprintf(err, errlen, "config: listen: socket path too long: %s", path);
		return CL_ECONFIG;
	}
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", tmp);
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0)
		goto err;
	unlink(tmp);
	if (bind(s, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    chmod(tmp, 0660) != 0 || listen(s, 1024) != 0 ||
	    rename(tmp, path) != 0)
		goto err;
	*fd = s;
	return CL_OK;
err:
	snprintf(err, errlen, "listen: cannot bind %s: %s", path, strerror(errno));
	if (s >= 0)
		close(s);
	unlink(tmp);
	return CL_EIO;
}

/* Bind host:port ("[v6]:port" for IPv6). */
static cl_err
listen_tcp(const char *spec, int *fd, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
	struct addrinfo *ai = NULL;
	char host[256];
	const char *colon = strrchr(spec, ':'), *h = spec;
	size_t hl;
	int s = -1, one = 1, gai;

	if (colon == NULL || colon[1] == '\0') {
		snprintf(err, errlen, "config: listen: \"%s\" is neither a socket path nor host:port", spec);
		return CL_ECONFIG;
	}
	hl = (size_t)(colon - spec);
	if (hl >= 2 && spec[0] == '[' && spec[hl - 1] == ']') {
		h = spec + 1;
		hl -= 2;
	}
	if (hl >= sizeof host) {
		snprintf(err, errlen, "config: listen: host name too long");
		return CL_ECONFIG;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	if ((gai = getaddrinfo(hl ? host : NULL, colon + 1, &hints, &ai)) != 0) {
		snprintf(err, errlen, "config: listen: %s: %s", spec, gai_strerror(gai));
		return CL_ECONFIG;
	}
	s = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    bind(s, ai->ai_addr, ai->ai_addrlen) != 0 || listen(s, 1024) != 0) {
		snprintf(err, errlen, "listen: cannot bind %s: %s", spec, strerror(errno));
		if (s >= 0)
			close(s);
		freeaddrinfo(ai);
		return CL_EIO;
	}
	freeaddrinfo(ai);
	*fd = s;
	return CL_OK;
}

cl_err
cl_server_listen(const char *spec, int *fd, char *err, size_t errlen)
{
	*fd = -1;
	if (strncmp(spec, "unix:", 5) == 0)
		return listen_unix(spec + 5, fd, err, errlen);
	if (spec[0] == '/' || spec[0] == '.' || strchr(spec, ':') == NULL)
		return listen_unix(spec, fd, err, errlen);
	return listen_tcp(spec, fd, err, errlen);
}

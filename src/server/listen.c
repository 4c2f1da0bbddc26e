/* listen.c: the listening socket, bound by us rather than FCGX_OpenSocket. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "server_impl.h"

/*
 * Bind a unix socket at path via a temporary name and rename(2), mode 0660
 * and, when group is not "", that group (nginx's: nobody else's).
 */
static cl_err
listen_unix(const char *path, const char *group, int *fd, char *err,
    size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char tmp[sizeof sa.sun_path];
	struct group *gr = NULL;
	int s = -1;

	if (snprintf(tmp, sizeof tmp, "%s.%ld", path, (long)getpid()) >=
		(int)sizeof tmp ||
	    strlen(path) >= sizeof sa.sun_path) {
		snprintf(err, errlen,
		    "config: listen: socket path too long: %s", path);
		return CL_ECONFIG;
	}
	if (group[0] != '\0' && (gr = getgrnam(group)) == NULL) {
		snprintf(err, errlen,
		    "config: listen_group: no group named \"%s\"", group);
		return CL_ECONFIG;
	}
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", tmp);
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		 0)) < 0)
		goto err;
	unlink(tmp);
	if (bind(s, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    chmod(tmp, 0660) != 0 ||
	    (gr != NULL && chown(tmp, (uid_t)-1, gr->gr_gid) != 0) ||
	    listen(s, 1024) != 0 || rename(tmp, path) != 0)
		goto err;
	*fd = s;
	return CL_OK;
err:
	snprintf(err, errlen, "listen: cannot bind %s: %s", path,
	    strerror(errno));
	if (s >= 0)
		close(s);
	unlink(tmp);
	return CL_EIO;
}

/* Bind host:port ("[v6]:port" for IPv6). */
static cl_err
listen_tcp(const char *spec, int *fd, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
		.ai_flags = AI_PASSIVE };
	struct addrinfo *ai = NULL;
	char host[256];
	const char *colon = strrchr(spec, ':'), *h = spec;
	size_t hl;
	int s = -1, one = 1, gai;

	if (colon == NULL || colon[1] == '\0') {
		snprintf(err, errlen,
		    "config: listen: \"%s\" is neither a socket path nor host:port",
		    spec);
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
	if ((gai = getaddrinfo(hl ? host : NULL, colon + 1, &hints, &ai)) !=
	    0) {
		snprintf(err, errlen, "config: listen: %s: %s", spec,
		    gai_strerror(gai));
		return CL_ECONFIG;
	}
	s = socket(ai->ai_family,
	    ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0 ||
	    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    bind(s, ai->ai_addr, ai->ai_addrlen) != 0 || listen(s, 1024) != 0) {
		snprintf(err, errlen, "listen: cannot bind %s: %s", spec,
		    strerror(errno));
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
cl_server_listen(const char *spec, const char *group, int *fd, char *err,
    size_t errlen)
{
	*fd = -1;
	if (strncmp(spec, "unix:", 5) == 0)
		return listen_unix(spec + 5, group, fd, err, errlen);
	if (spec[0] == '/' || spec[0] == '.' || strchr(spec, ':') == NULL)
		return listen_unix(spec, group, fd, err, errlen);
	return listen_tcp(spec, fd, err, errlen);
}

cl_err
cl_server_check_reach(int lfd, const cl_config *cfg, cl_addr_list *allow,
    char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char why[256], addr[64];

	if (cl_addr_list_parse(cfg->fastcgi_allow_from, allow, why,
		sizeof why) != CL_OK) {
		snprintf(err, errlen, "config: fastcgi_allow_from: %s", why);
		return CL_ECONFIG;
	}
	if (getsockname(lfd, (struct sockaddr *)&ss, &len) != 0) {
		snprintf(err, errlen,
		    "listen: cannot read the socket's address: %s",
		    strerror(errno));
		return CL_ECONFIG;
	}
	if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6) {
		if (allow->n > 0) {
			snprintf(err, errlen,
			    "config: fastcgi_allow_from: only for a TCP "
			    "listen; who may use a unix socket is its group's business "
			    "(listen_group)");
			return CL_ECONFIG;
		}
		return CL_OK;
	}
	if (cfg->listen_group[0] != '\0') {
		snprintf(err, errlen,
		    "config: listen_group: only for a unix socket; "
		    "the socket is TCP");
		return CL_ECONFIG;
	}
	if (allow->n == 0 &&
	    !cl_addr_is_loopback((struct sockaddr *)&ss, len)) {
		cl_addr_format((struct sockaddr *)&ss, len, addr, sizeof addr);
		snprintf(err, errlen,
		    "config: listen: %s is not a loopback address: set "
		    "fastcgi_allow_from to the web servers' addresses",
		    addr);
		return CL_ECONFIG;
	}
	return CL_OK;
}

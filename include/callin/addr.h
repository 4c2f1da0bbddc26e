/*
 * addr.h: lists of IP addresses (IPv4 and IPv6 alike), for the FastCGI
 * peers a master accepts (fastcgi_allow_from).  An IPv4-mapped IPv6
 * address (::ffff:a.b.c.d) is the IPv4 address it maps, in a list and in
 * a peer, so an IPv6 socket's IPv4 peers match IPv4 entries.
 */
#ifndef CALLIN_ADDR_H
#define CALLIN_ADDR_H

#include <stddef.h>
#include <sys/socket.h>

#include "callin/err.h"

#define CL_ADDR_LIST_MAX 64

typedef struct cl_addr {
	int family;		 /* AF_INET or AF_INET6 */
	unsigned char bytes[16]; /* 4 or 16 used, network order */
} cl_addr;

typedef struct cl_addr_list {
	size_t n;
	cl_addr v[CL_ADDR_LIST_MAX];
} cl_addr_list;

/*
 * Parse text, addresses separated by commas and/or spaces ("" is the empty
 * list), into out.  CL_ECONFIG with one line in err (errlen bytes) naming
 * the first entry that is not a literal IPv4 or IPv6 address (names, ports,
 * prefixes and zone ids are refused), or saying there are more than
 * CL_ADDR_LIST_MAX.
 */
cl_err cl_addr_list_parse(const char *text, cl_addr_list *out, char *err,
    size_t errlen);

/*
 * Whether the socket address sa (len bytes; AF_INET or AF_INET6, others
 * never match) is in list.  Cannot fail.
 */
int cl_addr_list_has(const cl_addr_list *list, const struct sockaddr *sa,
    socklen_t len);

/*
 * Whether sa is an IP address on the loopback network (127.0.0.0/8, ::1,
 * or ::ffff:127.x.y.z).  0 for other families and for the unspecified
 * address (0.0.0.0, ::), which listens on every interface.  Cannot fail.
 */
int cl_addr_is_loopback(const struct sockaddr *sa, socklen_t len);

/* Write sa as text ("a.b.c.d" or "x:y::z", "?" otherwise) into out. */
void cl_addr_format(const struct sockaddr *sa, socklen_t len, char *out,
    size_t outlen);

#endif /* CALLIN_ADDR_H */

/* addr.c: lists of IP addresses and peer checks (addr.h). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "callin/addr.h"
#include "callin/err.h"

/* a from sa, an IPv4-mapped IPv6 address as IPv4.  0 if not IP. */
static int
from_sockaddr(const struct sockaddr *sa, socklen_t len, cl_addr *a)
{
	memset(a, 0, sizeof *a);
	if (sa->sa_family == AF_INET &&
	    len >= (socklen_t)sizeof(struct sockaddr_in)) {
		a->family = AF_INET;
		memcpy(a->bytes,
		    &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
		    4);
		return 1;
	}
	if (sa->sa_family == AF_INET6 &&
	    len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct in6_addr *in6 =
		    &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(in6)) {
			a->family = AF_INET;
			memcpy(a->bytes, in6->s6_addr + 12, 4);
		} else {
			a->family = AF_INET6;
			memcpy(a->bytes, in6->s6_addr, 16);
		}
		return 1;
	}
	return 0;
}

/* Parse one literal address word (NUL-terminated) into a.  0 if not one. */
static int
parse_one(const char *word, cl_addr *a)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in s4 = { .sin_family = AF_INET };

	if (inet_pton(AF_INET, word, &s4.sin_addr) == 1)
		return from_sockaddr((struct sockaddr *)&s4, sizeof s4, a);
	if (inet_pton(AF_INET6, word, &s6.sin6_addr) == 1)
		return from_sockaddr((struct sockaddr *)&s6, sizeof s6, a);
	return 0;
}

cl_err
cl_addr_list_parse(const char *text, cl_addr_list *out, char *err,
    size_t errlen)
{
	const char *p = text, *sep = ", \t";

	memset(out, 0, sizeof *out);
	while (*(p += strspn(p, sep)) != '\0') {
		size_t n = strcspn(p, sep);
		char word[INET6_ADDRSTRLEN + 1];
		cl_addr a;

		if (n >= sizeof word) {
			snprintf(err, errlen,
			    "\"%.*s\" is not an IPv4 or IPv6 address", 60, p);
			return CL_ECONFIG;
		}
		memcpy(word, p, n);
		word[n] = '\0';
		if (!parse_one(word, &a)) {
			snprintf(err, errlen,
			    "\"%s\" is not an IPv4 or IPv6 address "
			    "(write each web server's address, no names, ports or prefixes)",
			    word);
			return CL_ECONFIG;
		}
		if (out->n == CL_ADDR_LIST_MAX) {
			snprintf(err, errlen, "more than %d addresses",
			    CL_ADDR_LIST_MAX);
			return CL_ECONFIG;
		}
		out->v[out->n++] = a;
		p += n;
	}
	return CL_OK;
}

int
cl_addr_list_has(const cl_addr_list *list, const struct sockaddr *sa,
    socklen_t len)
{
	cl_addr a;

	if (!from_sockaddr(sa, len, &a))
		return 0;
	for (size_t i = 0; i < list->n; i++)
		if (list->v[i].family == a.family &&
		    memcmp(list->v[i].bytes, a.bytes, sizeof a.bytes) == 0)
			return 1;
	return 0;
}

int
cl_addr_is_loopback(const struct sockaddr *sa, socklen_t len)
{
	static const unsigned char one6[16] = { [15] = 1 };
	cl_addr a;

	if (!from_sockaddr(sa, len, &a))
		return 0;
	if (a.family == AF_INET)
		return a.bytes[0] == 127;
	CL_ASSERT(a.family == AF_INET6);
	return memcmp(a.bytes, one6, 16) == 0;
}

void
cl_addr_format(const struct sockaddr *sa, socklen_t len, char *out,
    size_t outlen)
{
	cl_addr a;

	if (!from_sockaddr(sa, len, &a) ||
	    inet_ntop(a.family, a.bytes, out, (socklen_t)outlen) == NULL)
		snprintf(out, outlen, "?");
}

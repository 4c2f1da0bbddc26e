/* test_addr.c: fastcgi_allow_from's address lists, peers and loopback. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "callin/addr.h"

/* A socket address for the literal text (IPv4 or IPv6). */
static socklen_t
sa_of(const char *text, struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof *ss);
	if (inet_pton(AF_INET, text, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		return sizeof *s4;
	}
	assert_int_equal(inet_pton(AF_INET6, text, &s6->sin6_addr), 1);
	s6->sin6_family = AF_INET6;
	return sizeof *s6;
}

static int
has(const cl_addr_list *l, const char *peer)
{
	struct sockaddr_storage ss;
	socklen_t len = sa_of(peer, &ss);

	return cl_addr_list_has(l, (struct sockaddr *)&ss, len);
}

static int
loopback(const char *addr)
{
	struct sockaddr_storage ss;
	socklen_t len = sa_of(addr, &ss);

	return cl_addr_is_loopback((struct sockaddr *)&ss, len);
}

/* IPv4 and IPv6 entries, separators, mapped addresses on either side. */
static void
test_addr_list(void **state)
{
	cl_addr_list l;
	char err[256];

	(void)state;
	assert_int_equal(cl_addr_list_parse("", &l, err, sizeof err), CL_OK);
	assert_int_equal(l.n, 0);
	assert_false(has(&l, "127.0.0.1"));
	assert_int_equal(
	    cl_addr_list_parse(" 10.0.0.5,2001:db8::5 ,\t::ffff:192.0.2.7  ",
		&l, err, sizeof err),
	    CL_OK);
	assert_int_equal(l.n, 3);
	assert_true(has(&l, "10.0.0.5"));
	assert_true(
	    has(&l, "::ffff:10.0.0.5")); /* an IPv6 socket's IPv4 peer */
	assert_true(has(&l, "2001:db8:0::5"));
	assert_true(has(&l, "192.0.2.7")); /* a mapped entry */
	assert_false(has(&l, "10.0.0.6"));
	assert_false(has(&l, "2001:db8::6"));
	assert_false(has(&l, "::10.0.0.5")); /* IPv4-compatible is not mapped */
	assert_false(has(&l, "::"));
}

/* Anything but a literal address is refused, naming it. */
static void
test_addr_list_refused(void **state)
{
	static const char *bad[] = { "example.org", "10.0.0.0/8", "[::1]",
		"10.0.0.1:80", "10.0.0.256", "fe80::1%eth0", "1.2.3", "::1::2",
		"0x7f.0.0.1;", "2001:db8:0:0:0:0:0:0:1" };
	char err[256], text[128], many[512];
	cl_addr_list l;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(text, sizeof text, "127.0.0.1, %s", bad[i]);
		assert_int_equal(cl_addr_list_parse(text, &l, err, sizeof err),
		    CL_ECONFIG);
		assert_non_null(strstr(err, bad[i]));
		assert_non_null(strstr(err, "is not an IPv4 or IPv6 address"));
	}
	many[0] = '\0';
	for (int i = 0; i <= CL_ADDR_LIST_MAX; i++)
		snprintf(many + strlen(many), sizeof many - strlen(many), "%s",
		    i ? " ::1" : "::1");
	assert_true(strlen(many) < sizeof many - 1);
	assert_int_equal(cl_addr_list_parse(many, &l, err, sizeof err),
	    CL_ECONFIG);
	assert_non_null(strstr(err, "more than 64"));
}

/* Loopback is 127/8 and ::1 (and mapped 127/8), not 0.0.0.0 or ::. */
static void
test_addr_loopback(void **state)
{
	(void)state;
	assert_true(loopback("127.0.0.1"));
	assert_true(loopback("127.1.2.3"));
	assert_true(loopback("::1"));
	assert_true(loopback("::ffff:127.0.0.1"));
	assert_false(loopback("0.0.0.0"));
	assert_false(loopback("::"));
	assert_false(loopback("10.0.0.1"));
	assert_false(loopback("128.0.0.1"));
	assert_false(loopback("::2"));
	assert_false(loopback("::ffff:10.0.0.1"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr_list),
		cmocka_unit_test(test_addr_list_refused),
		cmocka_unit_test(test_addr_loopback),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

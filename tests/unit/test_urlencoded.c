/* test_urlencoded.c: application/x-www-form-urlencoded decoding. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "callin/buf.h"
#include "callin/urlencoded.h"

struct rec {
	cl_buf	 log;		/* "[name=value]" per call, raw bytes */
	int	 calls;
	int	 fail_at;	/* call number that returns fail_rc; 0: none */
	cl_err	 fail_rc;
};

static cl_err
on_pair(void *arg, const char *name, size_t nlen, const char *value,
    size_t vlen)
{
	struct rec *r = arg;

	/* Both strings are NUL-terminated after their length. */
	assert_int_equal(name[nlen], '\0');
	assert_int_equal(value[vlen], '\0');
	r->calls++;
	cl_buf_putc(&r->log, '[');
	cl_buf_add(&r->log, name, nlen);
	cl_buf_putc(&r->log, '=');
	cl_buf_add(&r->log, value, vlen);
	cl_buf_putc(&r->log, ']');
	return r->calls == r->fail_at ? r->fail_rc : CL_OK;
}

/* Parse s (n bytes) and check the result code and the transcript (elen bytes). */
static void
check_n(const char *s, size_t n, cl_err want, const char *expect, size_t elen)
{
	struct rec r = { CL_BUF_INIT, 0, 0, CL_OK };

	assert_int_equal(cl_urlencoded_parse(s, n, on_pair, &r), want);
	assert_int_equal(r.log.len, elen);
	if (elen > 0)
		assert_memory_equal(r.log.data, expect, elen);
	cl_buf_free(&r.log);
}

#define CHECK(s, want, expect) \
	check_n((s), strlen(s), (want), (expect), sizeof(expect) - 1)

static void
test_simple(void **state)
{
	(void)state;
	CHECK("a=1&b=2", CL_OK, "[a=1][b=2]");
	CHECK("full_name=Ada+Lovelace&email=ada%40example.org", CL_OK,
	    "[full_name=Ada Lovelace][email=ada@example.org]");
	CHECK("a=1&a=2", CL_OK, "[a=1][a=2]");
}

static void
test_plus_and_escapes(void **state)
{
	(void)state;
	CHECK("q=hello+world%21", CL_OK, "[q=hello world!]");
	CHECK("a%2Bb=c%2bd", CL_OK, "[a+b=c+d]");
	CHECK("x=%4a%4A%7e", CL_OK, "[x=JJ~]");
	CHECK("x=%25%32%30", CL_OK, "[x=%20]");	/* decoded once only */
	CHECK("x=++", CL_OK, "[x=  ]");
	CHECK("e=%C3%A9", CL_OK, "[e=\xc3\xa9]");
	CHECK("t=a%26b%3Dc", CL_OK, "[t=a&b=c]");
}

static void
test_empty_pairs_and_no_equals(void **state)
{
	(void)state;
	CHECK("", CL_OK, "");
	CHECK("&", CL_OK, "");
	CHECK("&&&", CL_OK, "");
	CHECK("&a=1&&b=2&", CL_OK, "[a=1][b=2]");
	CHECK("flag", CL_OK, "[flag=]");
	CHECK("flag&x=", CL_OK, "[flag=][x=]");
	CHECK("a=b=c", CL_OK, "[a=b=c]");
	CHECK("=v", CL_OK, "[=v]");
	CHECK("=", CL_OK, "[=]");
	assert_int_equal(cl_urlencoded_parse(NULL, 0, on_pair, NULL), CL_OK);
}

static void
test_nul_bytes(void **state)
{
	static const char want[] = "[n\0m=v\0]";

	(void)state;
	check_n("n%00m=v%00", 10, CL_OK, want, sizeof(want) - 1);
	/* A raw NUL in the input is just a byte too. */
	check_n("a=\0b", 4, CL_OK, "[a=\0b]", 6);
}

static void
test_length_bounded(void **state)
{
	(void)state;
	/* Only n bytes are read: no NUL terminator needed. */
	check_n("a=1&b=2", 3, CL_OK, "[a=1]", 5);
	check_n("a=%41&b", 5, CL_OK, "[a=A]", 5);
	/* An escape cut by n is truncated. */
	check_n("a=%41", 4, CL_EPARSE, "", 0);
}

static void
test_bad_escapes(void **state)
{
	(void)state;
	/* No callback at all when any escape is bad. */
	CHECK("%", CL_EPARSE, "");
	CHECK("a=%", CL_EPARSE, "");
	CHECK("a=%4", CL_EPARSE, "");
	CHECK("a=%zz", CL_EPARSE, "");
	CHECK("a=%4g", CL_EPARSE, "");
	CHECK("a=%g4", CL_EPARSE, "");
	CHECK("a=%+1", CL_EPARSE, "");
	CHECK("a=%%41", CL_EPARSE, "");
	CHECK("a=1&b=2&c=%G0", CL_EPARSE, "");
	CHECK("%4=x", CL_EPARSE, "");
}

static void
test_callback_error_stops(void **state)
{
	struct rec r = { CL_BUF_INIT, 0, 2, CL_ETOOBIG };

	(void)state;
	assert_int_equal(cl_urlencoded_parse("a=1&b=2&c=3", 11, on_pair, &r),
	    CL_ETOOBIG);
	assert_int_equal(r.calls, 2);
	assert_string_equal(cl_buf_str(&r.log), "[a=1][b=2]");
	cl_buf_free(&r.log);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple),
		cmocka_unit_test(test_plus_and_escapes),
		cmocka_unit_test(test_empty_pairs_and_no_equals),
		cmocka_unit_test(test_nul_bytes),
		cmocka_unit_test(test_length_bounded),
		cmocka_unit_test(test_bad_escapes),
		cmocka_unit_test(test_callback_error_stops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

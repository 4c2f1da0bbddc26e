/*
 * test_core_util.c: the utilities given one home in core: CL_ASSERT, the
 * small-file reader, the dates, the JSON escaper and the e-mail address
 * syntax.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "callin/buf.h"
#include "callin/date.h"
#include "callin/email.h"
#include "callin/err.h"
#include "callin/readfile.h"

/* Run CL_ASSERT(v == 2) in a child with stderr to a pipe; its status and output. */
static int
assert_in_child(int v, char *out, size_t n)
{
	int fds[2], status;
	ssize_t got, len = 0;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	if ((pid = fork()) == 0) {
		dup2(fds[1], 2);
		CL_ASSERT(v == 2);
		_exit(0);
	}
	close(fds[1]);
	while ((got = read(fds[0], out + len, n - 1 - (size_t)len)) > 0)
		len += got;
	out[len] = '\0';
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static int evaluated;

static int
touch(void)
{
	evaluated++;
	return 1;
}

/*
 * The sanitizer build (which the tests run) checks asserts: a false one
 * aborts naming its file, line and text; a true one does nothing.  The
 * optimised build never evaluates them.
 */
static void
test_assert(void **state)
{
	char out[512];
	int status;

	(void)state;
	status = assert_in_child(2, out, sizeof out);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_string_equal(out, "");
	CL_ASSERT(touch());
#ifdef CALLIN_ASSERTS
	assert_int_equal(evaluated, 1);
	status = assert_in_child(3, out, sizeof out);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
	assert_non_null(strstr(out, "assertion failed: "));
	assert_non_null(strstr(out, "test_core_util.c:"));
	assert_non_null(strstr(out, "\"expr\":\"v == 2\""));
#else
	assert_int_equal(evaluated, 0);
#endif
}

/* Write n bytes of s to a fresh file of mode in dir; return its path. */
static char *
file_with(const char *dir, const char *name, const char *s, size_t n,
    mode_t mode)
{
	static char path[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "wb"));
	assert_int_equal(fwrite(s, 1, n, f), n);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

/* One reader for keys, secrets and passwords: CL_ECONFIG naming the path. */
static void
test_read_file(void **state)
{
	char dir[] = "/tmp/callin-readfile-XXXXXX", err[512];
	unsigned char buf[8];
	unsigned mode = 0;
	size_t len = 99;
	char *p;

	(void)state;
	assert_non_null(mkdtemp(dir));
	p = file_with(dir, "ok", "12345678", 8, 0600);
	assert_int_equal(cl_read_file(p, CL_READ_PRIVATE, buf, sizeof buf, &len,
			     &mode, err, sizeof err),
	    CL_OK);
	assert_int_equal(len, 8);
	assert_memory_equal(buf, "12345678", 8);
	assert_int_equal(mode & 0777, 0600);

	p = file_with(dir, "big", "123456789", 9, 0600);
	assert_int_equal(cl_read_file(p, 0, buf, sizeof buf, &len, NULL, err,
			     sizeof err),
	    CL_ECONFIG);
	assert_non_null(strstr(err, "more than 8 bytes"));
	assert_non_null(strstr(err, p));
	for (size_t i = 0; i < sizeof buf; i++)
		assert_int_equal(buf[i], 0); /* wiped */

	p = file_with(dir, "open", "x", 1, 0640);
	assert_int_equal(cl_read_file(p, 0, buf, sizeof buf, &len, NULL, err,
			     sizeof err),
	    CL_OK);
	assert_int_equal(cl_read_file(p, CL_READ_PRIVATE, buf, sizeof buf, &len,
			     NULL, err, sizeof err),
	    CL_ECONFIG);
	assert_non_null(strstr(err, "(mode 0640); chmod 600 it"));

	assert_int_equal(cl_read_file(dir, 0, buf, sizeof buf, &len, NULL, err,
			     sizeof err),
	    CL_ECONFIG);
	assert_non_null(strstr(err, "not a regular file"));
	assert_int_equal(cl_read_file("/nonexistent/x", 0, buf, sizeof buf,
			     &len, NULL, err, sizeof err),
	    CL_ECONFIG);
	assert_non_null(strstr(err, "/nonexistent/x: cannot open"));
	assert_int_equal(cl_read_file("", 0, buf, sizeof buf, &len, NULL, err,
			     sizeof err),
	    CL_ECONFIG);
	assert_string_equal(err, "not set");
	assert_int_equal(cl_read_file(NULL, 0, buf, sizeof buf, &len, NULL, err,
			     sizeof err),
	    CL_ECONFIG);
	(void)!system("rm -rf /tmp/callin-readfile-*");
}

/* Dates in English, UTC, whatever the locale. */
static void
test_dates(void **state)
{
	char d[CL_DATE_RFC5322_MAX], h[64];

	(void)state;
	cl_date_rfc5322(1795442709, d);
	assert_string_equal(d, "Mon, 23 Nov 2026 14:05:09 +0000");
	cl_date_human(INT64_C(1795442709123), h, sizeof h);
	assert_string_equal(h, "23 November 2026 at 14:05:09 UTC");
	cl_date_human_iso("2026-11-23T14:05:09Z", h, sizeof h);
	assert_string_equal(h, "23 November 2026 at 14:05:09 UTC");
	cl_date_human_iso("2026-13-23T14:05:09Z", h, sizeof h);
	assert_string_equal(h, "2026-13-23T14:05:09Z"); /* as it is */
	cl_date_human_iso("soon", h, sizeof h);
	assert_string_equal(h, "soon");
	cl_date_human_day("2026-03-12", h, sizeof h);
	assert_string_equal(h, "12 March 2026");
	cl_date_human_day("2026-03-12x", h, sizeof h);
	assert_string_equal(h, "2026-03-12x");
	cl_date_human_day("2026-00-12", h, sizeof h);
	assert_string_equal(h, "2026-00-12");
}

/* One JSON escaper: copy.json's rule, which the logs share. */
static void
test_json(void **state)
{
	static const char in[] = "a\"b\\c\b\f\n\r\t\x01\x1f\x7f\xc3\xa9";
	cl_buf b = CL_BUF_INIT;

	(void)state;
	cl_buf_json(&b, in, sizeof in - 1);
	cl_buf_putc(&b, '\0');
	assert_string_equal(b.data,
	    "a\\\"b\\\\c\\b\\f\\n\\r\\t\\u0001\\u001f\x7f\xc3\xa9");
	cl_buf_free(&b);
}

/* The address rule the form and the mailer share. */
static void
test_email(void **state)
{
	(void)state;
	assert_true(cl_email_valid("a.b+tag@example.org"));
	assert_true(cl_email_valid("x@localhost"));
	assert_false(cl_email_valid("a..b@example.org"));
	assert_false(cl_email_valid("a@-example.org"));
	assert_false(cl_email_valid("a b@example.org"));
	assert_false(cl_email_valid("a@example.org\r\nRCPT TO:<b@c>"));
	assert_true(cl_email_atext('+') && cl_email_atext('z'));
	assert_false(
	    cl_email_atext('@') || cl_email_atext(' ') || cl_email_atext('\0'));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_assert),
		cmocka_unit_test(test_read_file),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_email),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_csrf.c: the anti-forgery token (issue, check, tampering, expiry,
 * clock skew), loading its secret, and the random tokens and base64url of
 * rand.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "callin/csrf.h"
#include "callin/rand.h"

#define DAY (24 * 3600)
#define T0 ((time_t)1718452800)

static const unsigned char secret[32] = "0123456789abcdef0123456789abcdef";
static const unsigned char other[32] = "0123456789abcdef0123456789abcdeF";

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static cl_err
check(const char *token, time_t now)
{
	return cl_csrf_check(secret, sizeof secret, token, now, DAY);
}

static void
test_issue_and_check(void **state)
{
	char a[CL_CSRF_TOKEN_MAX], b[CL_CSRF_TOKEN_MAX];

	(void)state;
	assert_int_equal(cl_csrf_issue(secret, sizeof secret, T0, a), CL_OK);
	assert_int_equal(strlen(a), CL_CSRF_TOKEN_LEN);
	assert_int_equal(strspn(a, b64url), CL_CSRF_TOKEN_LEN);
	assert_int_equal(check(a, T0), CL_OK);
	/* Fresh nonce each time. */
	assert_int_equal(cl_csrf_issue(secret, sizeof secret, T0, b), CL_OK);
	assert_string_not_equal(a, b);
	assert_int_equal(check(b, T0), CL_OK);
	/* Any secret of 32 bytes or more works. */
	{
		unsigned char big[100];

		memset(big, 7, sizeof big);
		assert_int_equal(cl_csrf_issue(big, sizeof big, T0, a), CL_OK);
		assert_int_equal(cl_csrf_check(big, sizeof big, a, T0, DAY),
		    CL_OK);
		assert_int_equal(cl_csrf_check(big, 99, a, T0, DAY),
		    CL_EVERIFY);
	}
}

static void
test_age(void **state)
{
	char t[CL_CSRF_TOKEN_MAX];

	(void)state;
	assert_int_equal(cl_csrf_issue(secret, sizeof secret, T0, t), CL_OK);
	assert_int_equal(check(t, T0 + 1), CL_OK);
	assert_int_equal(check(t, T0 + DAY), CL_OK);
	assert_int_equal(check(t, T0 + DAY + 1), CL_EINVAL);
	assert_int_equal(check(t, T0 + 365 * DAY), CL_EINVAL);
	/* Issued by a host whose clock is ahead: up to 60 s is fine. */
	assert_int_equal(check(t, T0 - 1), CL_OK);
	assert_int_equal(check(t, T0 - 60), CL_OK);
	assert_int_equal(check(t, T0 - 61), CL_EINVAL);
	assert_int_equal(check(t, 0), CL_EINVAL);
	/* The caller's max age. */
	assert_int_equal(cl_csrf_check(secret, sizeof secret, t, T0 + 10, 10),
	    CL_OK);
	assert_int_equal(cl_csrf_check(secret, sizeof secret, t, T0 + 11, 10),
	    CL_EINVAL);
	assert_int_equal(cl_csrf_check(secret, sizeof secret, t, T0, 0), CL_OK);
	assert_int_equal(cl_csrf_check(secret, sizeof secret, t, T0, -1),
	    CL_EINVAL);
	/* Extreme clocks do not overflow. */
	assert_int_equal(cl_csrf_issue(secret, sizeof secret, (time_t)INT64_MIN,
			     t),
	    CL_OK);
	assert_int_equal(check(t, (time_t)INT64_MAX), CL_EINVAL);
	assert_int_equal(cl_csrf_issue(secret, sizeof secret, (time_t)INT64_MAX,
			     t),
	    CL_OK);
	assert_int_equal(check(t, (time_t)INT64_MIN), CL_EINVAL);
	assert_int_equal(check(t, (time_t)INT64_MAX), CL_OK);
}

/* Changing any character, or flipping any bit of the decoded token, is
 * caught; so is a wrong secret. */
static void
test_tampering(void **state)
{
	char t[CL_CSRF_TOKEN_MAX], u[CL_CSRF_TOKEN_MAX];
	unsigned char raw[64];
	size_t i, j, len;

	(void)state;
	assert_int_equal(cl_csrf_issue(secret, sizeof secret, T0, t), CL_OK);
	for (i = 0; i < CL_CSRF_TOKEN_LEN; i++)
		for (j = 0; j < 64; j++) {
			if (b64url[j] == t[i])
				continue;
			memcpy(u, t, sizeof u);
			u[i] = b64url[j];
			if (check(u, T0) != CL_EVERIFY)
				fail_msg("character %zu changed to %c passed",
				    i, b64url[j]);
		}
	assert_int_equal(cl_b64url_decode(t, strlen(t), raw, sizeof raw, &len),
	    CL_OK);
	assert_int_equal(len, 56);
	for (i = 0; i < len * 8; i++) {
		raw[i / 8] ^= (unsigned char)(1u << (i % 8));
		cl_b64url_encode(raw, len, u);
		assert_int_equal(check(u, T0), CL_EVERIFY);
		raw[i / 8] ^= (unsigned char)(1u << (i % 8));
	}
	/* A later time written in without a new MAC. */
	raw[16 + 7] ^= 0x10;
	cl_b64url_encode(raw, len, u);
	assert_int_equal(check(u, T0), CL_EVERIFY);
	/* Wrong secret, either way round. */
	assert_int_equal(cl_csrf_check(other, sizeof other, t, T0, DAY),
	    CL_EVERIFY);
	assert_int_equal(cl_csrf_issue(other, sizeof other, T0, u), CL_OK);
	assert_int_equal(check(u, T0), CL_EVERIFY);
}

static void
test_malformed(void **state)
{
	char t[CL_CSRF_TOKEN_MAX], u[2 * CL_CSRF_TOKEN_MAX];

	(void)state;
	assert_int_equal(cl_csrf_issue(secret, sizeof secret, T0, t), CL_OK);
	assert_int_equal(check(NULL, T0), CL_EVERIFY);
	assert_int_equal(check("", T0), CL_EVERIFY);
	assert_int_equal(check("x", T0), CL_EVERIFY);
	/* One short, one long. */
	snprintf(u, sizeof u, "%.*s", CL_CSRF_TOKEN_LEN - 1, t);
	assert_int_equal(check(u, T0), CL_EVERIFY);
	snprintf(u, sizeof u, "%sA", t);
	assert_int_equal(check(u, T0), CL_EVERIFY);
	snprintf(u, sizeof u, "%s=", t);
	assert_int_equal(check(u, T0), CL_EVERIFY);
	snprintf(u, sizeof u, " %s", t);
	assert_int_equal(check(u, T0), CL_EVERIFY);
	/* base64 (not url) alphabet. */
	memcpy(u, t, sizeof t);
	u[10] = '+';
	assert_int_equal(check(u, T0), CL_EVERIFY);
	u[10] = '/';
	assert_int_equal(check(u, T0), CL_EVERIFY);
	/* Bad secrets. */
	assert_int_equal(cl_csrf_check(NULL, 32, t, T0, DAY), CL_EVERIFY);
	assert_int_equal(cl_csrf_check(secret, 31, t, T0, DAY), CL_EVERIFY);
	assert_int_equal(cl_csrf_issue(secret, 31, T0, t), CL_EINVAL);
	assert_string_equal(t, "");
	assert_int_equal(cl_csrf_issue(NULL, 32, T0, t), CL_EINVAL);
}

/* Write a secret file with mode and size; return its path. */
static const char *
secret_file(const char *name, mode_t mode, size_t size)
{
	static char path[256];
	const char *dir = getenv("CALLIN_BUILD_DIR");
	FILE *f;
	size_t i;

	snprintf(path, sizeof path, "%s/test_csrf.%ld.%s",
	    dir != NULL ? dir : "/tmp", (long)getpid(), name);
	unlink(path);
	assert_non_null(f = fopen(path, "w"));
	for (i = 0; i < size; i++)
		fputc((int)(i * 37 % 256), f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static void
test_load_secret(void **state)
{
	unsigned char buf[128];
	char err[512];
	const char *path;
	size_t len, i;

	(void)state;
	path = secret_file("ok", 0600, 32);
	len = sizeof buf;
	assert_int_equal(cl_csrf_load_secret(path, buf, &len, err, sizeof err),
	    CL_OK);
	assert_int_equal(len, 32);
	for (i = 0; i < len; i++)
		assert_int_equal(buf[i], i * 37 % 256);
	unlink(path);

	path = secret_file("ro", 0400, 128);
	len = sizeof buf;
	assert_int_equal(cl_csrf_load_secret(path, buf, &len, err, sizeof err),
	    CL_OK);
	assert_int_equal(len, 128);
	unlink(path);

	path = secret_file("world", 0644, 32);
	len = sizeof buf;
	assert_int_equal(cl_csrf_load_secret(path, buf, &len, err, sizeof err),
	    CL_ECONFIG);
	assert_int_equal(len, 0);
	assert_non_null(strstr(err, "mode 0644"));
	assert_non_null(strstr(err, "chmod 600"));
	assert_null(strchr(err, '\n'));
	unlink(path);

	path = secret_file("group", 0640, 32);
	len = sizeof buf;
	assert_int_equal(cl_csrf_load_secret(path, buf, &len, err, sizeof err),
	    CL_ECONFIG);
	unlink(path);

	path = secret_file("short", 0600, 31);
	len = sizeof buf;
	assert_int_equal(cl_csrf_load_secret(path, buf, &len, err, sizeof err),
	    CL_ECONFIG);
	assert_non_null(strstr(err, "31 bytes"));
	unlink(path);

	path = secret_file("long", 0600, 129);
	len = sizeof buf;
	assert_int_equal(cl_csrf_load_secret(path, buf, &len, err, sizeof err),
	    CL_ECONFIG);
	assert_non_null(strstr(err, "more than 128 bytes"));
	unlink(path);

	len = sizeof buf;
	assert_int_equal(cl_csrf_load_secret("/nonexistent/secret", buf, &len,
			     err, sizeof err),
	    CL_ECONFIG);
	assert_non_null(strstr(err, "/nonexistent/secret"));
	len = sizeof buf;
	assert_int_equal(cl_csrf_load_secret("/", buf, &len, err, sizeof err),
	    CL_ECONFIG);
	len = sizeof buf;
	assert_int_equal(cl_csrf_load_secret("", buf, &len, err, sizeof err),
	    CL_ECONFIG);
}

static void
test_random_tokens(void **state)
{
	char seen[200][CL_RANDOM_TOKEN_MAX], t[CL_RANDOM_TOKEN_MAX];
	size_t i, j;

	(void)state;
	for (i = 0; i < 200; i++) {
		assert_int_equal(cl_random_token(seen[i], 16), CL_OK);
		assert_int_equal(strlen(seen[i]), 22);
		assert_int_equal(strspn(seen[i], b64url), 22);
		for (j = 0; j < i; j++)
			assert_string_not_equal(seen[i], seen[j]);
	}
	assert_int_equal(cl_random_token(t, 32), CL_OK);
	assert_int_equal(strlen(t), 43);
	assert_int_equal(cl_random_token(t, 1), CL_OK);
	assert_int_equal(strlen(t), 2);
	assert_int_equal(cl_random_token(t, 0), CL_EINVAL);
	assert_string_equal(t, "");
	assert_int_equal(cl_random_token(t, 33), CL_EINVAL);
}

/* RFC 4648 §10 vectors (base64url has no padding), round trips, and
 * refusal of non-canonical encodings. */
static void
test_b64url(void **state)
{
	static const char *const vec[][2] = {
		{ "", "" },
		{ "f", "Zg" },
		{ "fo", "Zm8" },
		{ "foo", "Zm9v" },
		{ "foob", "Zm9vYg" },
		{ "fooba", "Zm9vYmE" },
		{ "foobar", "Zm9vYmFy" },
		{ "\xfb\xff", "-_8" },
	};
	unsigned char in[64], out[64];
	char enc[100];
	size_t i, n, len;

	(void)state;
	for (i = 0; i < sizeof vec / sizeof vec[0]; i++) {
		cl_b64url_encode(vec[i][0], strlen(vec[i][0]), enc);
		assert_string_equal(enc, vec[i][1]);
		assert_int_equal(cl_b64url_decode(enc, strlen(enc), out,
				     sizeof out, &len),
		    CL_OK);
		assert_int_equal(len, strlen(vec[i][0]));
		assert_memory_equal(out, vec[i][0], len);
	}
	for (n = 0; n <= 48; n++) {
		assert_int_equal(cl_random_bytes(in, n), CL_OK);
		cl_b64url_encode(in, n, enc);
		assert_int_equal(strlen(enc), CL_B64URL_LEN(n));
		assert_int_equal(cl_b64url_decode(enc, strlen(enc), out,
				     sizeof out, &len),
		    CL_OK);
		assert_int_equal(len, n);
		assert_memory_equal(out, in, n);
		if (n > 0)
			assert_int_equal(cl_b64url_decode(enc, strlen(enc), out,
					     n - 1, &len),
			    CL_ETOOBIG);
	}
	assert_int_equal(cl_b64url_decode("Zh", 2, out, sizeof out, &len),
	    CL_EPARSE); /* spare bits set */
	assert_int_equal(cl_b64url_decode("Zm9", 3, out, sizeof out, &len),
	    CL_EPARSE);
	assert_int_equal(cl_b64url_decode("Z", 1, out, sizeof out, &len),
	    CL_EPARSE); /* impossible length */
	assert_int_equal(cl_b64url_decode("Zg==", 4, out, sizeof out, &len),
	    CL_EPARSE); /* padding */
	assert_int_equal(cl_b64url_decode("Z+8/", 4, out, sizeof out, &len),
	    CL_EPARSE);
	assert_int_equal(cl_b64url_decode("Zm\0v", 4, out, sizeof out, &len),
	    CL_EPARSE);
}

/* The key issued with a token is its nonce, and no other token's. */
static void
test_key(void **state)
{
	char a[CL_CSRF_TOKEN_MAX], b[CL_CSRF_TOKEN_MAX];
	char ka[CL_CSRF_KEY_MAX], kb[CL_CSRF_KEY_MAX], nonce[CL_CSRF_KEY_MAX];
	unsigned char raw[56];
	size_t len;

	(void)state;
	assert_int_equal(cl_csrf_issue(secret, sizeof secret, T0, a), CL_OK);
	assert_int_equal(cl_csrf_issue(secret, sizeof secret, T0, b), CL_OK);
	assert_int_equal(cl_csrf_key(a, ka), CL_OK);
	assert_int_equal(cl_csrf_key(b, kb), CL_OK);
	assert_int_equal(strlen(ka), CL_CSRF_KEY_LEN);
	assert_int_not_equal(strcmp(ka, kb), 0);
	assert_int_equal(cl_b64url_decode(a, strlen(a), raw, sizeof raw, &len),
	    CL_OK);
	assert_int_equal(len, 56);
	cl_b64url_encode(raw, 16, nonce);
	assert_string_equal(ka, nonce);
	/* The same token always gives the same key. */
	assert_int_equal(cl_csrf_key(a, kb), CL_OK);
	assert_string_equal(ka, kb);
	/* Malformed tokens give none. */
	assert_int_equal(cl_csrf_key(NULL, ka), CL_EVERIFY);
	assert_string_equal(ka, "");
	a[CL_CSRF_TOKEN_LEN - 1] = '\0';
	assert_int_equal(cl_csrf_key(a, ka), CL_EVERIFY);
	assert_string_equal(ka, "");
	a[CL_CSRF_TOKEN_LEN - 2] = '*';
	a[CL_CSRF_TOKEN_LEN - 1] = 'A';
	assert_int_equal(cl_csrf_key(a, ka), CL_EVERIFY);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_issue_and_check),
		cmocka_unit_test(test_age),
		cmocka_unit_test(test_tampering),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_key),
		cmocka_unit_test(test_load_secret),
		cmocka_unit_test(test_random_tokens),
		cmocka_unit_test(test_b64url),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

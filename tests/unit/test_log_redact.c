/*
 * test_log_redact.c: what reaches a log line in place of a secret — the
 * password of a store or relay URI, the token of a private receipt path,
 * the code of an address confirmation link (DESIGN.md §10).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "callin/log.h"

#define E "\xe2\x80\xa6" /* "…" */

static void
uri(const char *in, const char *want)
{
	char out[256];

	cl_log_redact_uri(in, out, sizeof out);
	assert_string_equal(out, want);
}

static void
path(const char *in, const char *want)
{
	char out[256];

	cl_log_redact_path(in, out, sizeof out);
	assert_string_equal(out, want);
}

static void
test_uri(void **state)
{
	char small[13];

	(void)state;
	uri("mongodb://callin:S3cret@db1:27017,db2/callin?tls=true",
	    "mongodb://callin:" E "@db1:27017,db2/callin?tls=true");
	/* A raw '@' in the password: the last '@' of the authority ends it. */
	uri("mongodb+srv://u:p@ss@cluster.example/db",
	    "mongodb+srv://u:" E "@cluster.example/db");
	uri("smtp://relay:p%40ss@mail.example:587/ehlo.example",
	    "smtp://relay:" E "@mail.example:587/ehlo.example");
	uri("smtps://:only-password@mail.example",
	    "smtps://:" E "@mail.example");
	/* Nothing secret: as it was. */
	uri("mongodb://db1/callin?x=a:b@c", "mongodb://db1/callin?x=a:b@c");
	uri("mongodb://user@db1/callin", "mongodb://user@db1/callin");
	uri("sqlite:/var/lib/callin/callin.db",
	    "sqlite:/var/lib/callin/callin.db");
	uri("", "");
	/* Truncated, never past the buffer, and the password still gone. */
	cl_log_redact_uri("smtp://u:secret@h", small, sizeof small);
	assert_string_equal(small, "smtp://u:" E);
	assert_null(strstr(small, "secret"));
}

static void
test_path(void **state)
{
	const char *tok = "q2V8bWZ1c0lYb3JfN0lLaWc3Q1pRbHhtWkVn";
	char in[160];

	(void)state;
	snprintf(in, sizeof in, "/receipt/%s", tok);
	path(in, "/receipt/" E);
	snprintf(in, sizeof in, "/receipt/%s/copy.json", tok);
	path(in, "/receipt/" E "/copy.json");
	snprintf(in, sizeof in, "/receipt/%s/receipt.txt", tok);
	path(in, "/receipt/" E "/receipt.txt");
	snprintf(in, sizeof in, "/receipt/%s/%s", tok, tok);
	path(in, "/receipt/" E "/" E);
	path("/receipt/", "/receipt/" E);
	path("/confirm/CIR-2345-6789/abcdefghijklmnopqrstuv",
	    "/confirm/CIR-2345-6789/" E);
	path("/confirm/CIR-2345-6789", "/confirm/CIR-2345-6789" E);
	path("/confirm/%41secret/x", "/confirm/" E);
	path("/request", "/request");
	path("/verify", "/verify");
	path("/receipts/x", "/receipts/x");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uri),
		cmocka_unit_test(test_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

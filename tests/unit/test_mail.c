/*
 * test_mail.c: the pieces of a message: envelope addresses, the sender,
 * header encoding and folding (decoded back and compared), body text, file
 * names, content types, dates, and the retry schedule.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "callin/date.h"
#include "callin/mail.h"

static void
test_addr_valid(void **state)
{
	static const char *good[] = {
		"a@b.co",
		"first.last+tag@sub.example.org",
		"x@localhost",
		"o'neil@example.ie",
		"a-b_c=d@ex-ample.co.uk",
	};
	char local65[80], long255[300];
	static const char *bad[] = {
		"",
		"a",
		"@b.co",
		"a@",
		"a@b..co",
		".a@b.co",
		"a.@b.co",
		"a..b@c.co",
		"a b@c.co",
		"a@b.co\r\nRCPT TO:<x@y.z>",
		"<a@b.co>",
		"a@b.co>",
		"a@-b.co",
		"a@b-.co",
		"\"a\"@b.co",
		"a@[1.2.3.4]",
		"a@b.c\x7f",
		"a@b@c.co",
		"a\n@b.co",
		"a@b.co ",
		"caf\xc3\xa9@b.co",
		"a@b.co\r",
		"a(c)@b.co",
		"a@b.co,c@d.co",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof good / sizeof good[0]; i++)
		assert_true(cl_email_valid(good[i]));
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_false(cl_email_valid(bad[i]));
	assert_false(cl_email_valid(NULL));
	memset(local65, 'a', 65);
	strcpy(local65 + 65, "@b.co");
	assert_false(cl_email_valid(local65));
	local65[1] = '@';
	local65[2] = '\0';
	memset(long255, 'a', 64);
	long255[64] = '@';
	for (i = 65; i < 255; i++)
		long255[i] = (i - 65) % 50 == 49 ? '.' : 'b';
	long255[255] = '\0';
	assert_false(cl_email_valid(long255)); /* 255 characters */
	long255[254] = '\0';
	assert_true(cl_email_valid(long255)); /* 254 */
}

static void
test_from_parse(void **state)
{
	cl_mail_from f;
	char err[256];

	(void)state;
	assert_int_equal(
	    cl_mail_from_parse("Call-in requests <callin@localhost>", &f, err,
		sizeof err),
	    CL_OK);
	assert_string_equal(f.addr, "callin@localhost");
	assert_string_equal(f.domain, "localhost");
	assert_string_equal(f.header, "Call-in requests <callin@localhost>");
	cl_mail_from_free(&f);

	assert_int_equal(cl_mail_from_parse("noreply@dhsc.gov.uk", &f, err,
			     sizeof err),
	    CL_OK);
	assert_string_equal(f.header, "<noreply@dhsc.gov.uk>");
	assert_string_equal(f.domain, "dhsc.gov.uk");
	cl_mail_from_free(&f);

	assert_int_equal(cl_mail_from_parse("DHSC, call-ins <a@b.co>", &f, err,
			     sizeof err),
	    CL_OK);
	assert_string_equal(f.header, "\"DHSC, call-ins\" <a@b.co>");
	cl_mail_from_free(&f);

	assert_int_equal(cl_mail_from_parse("Ceisiadau \xc3\xa2 <a@b.co>", &f,
			     err, sizeof err),
	    CL_OK);
	assert_string_equal(f.header, "Ceisiadau =?UTF-8?B?w6I=?= <a@b.co>");
	cl_mail_from_free(&f);

	assert_int_equal(cl_mail_from_parse("x <a@b.co> y", &f, err,
			     sizeof err),
	    CL_EINVAL);
	assert_int_equal(cl_mail_from_parse("x <a b@b.co>", &f, err,
			     sizeof err),
	    CL_EINVAL);
	assert_int_equal(cl_mail_from_parse("x\ty <a@b.co>", &f, err,
			     sizeof err),
	    CL_EINVAL);
	assert_int_equal(cl_mail_from_parse("<<a@b.co>", &f, err, sizeof err),
	    CL_EINVAL);
	assert_int_equal(cl_mail_from_parse("", &f, err, sizeof err),
	    CL_EINVAL);
}

static void
test_addr_list(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(cl_mail_addr_list_check("a@b.co", err, sizeof err),
	    CL_OK);
	assert_int_equal(cl_mail_addr_list_check(" a@b.co , c@d.co,", err,
			     sizeof err),
	    CL_OK);
	assert_int_equal(cl_mail_addr_list_check("a@b.co, c d@e.co", err,
			     sizeof err),
	    CL_EINVAL);
	assert_non_null(strstr(err, "c d@e.co"));
	assert_int_equal(cl_mail_addr_list_check(" , ", err, sizeof err),
	    CL_EINVAL);
}

/*
 * Undo cl_mail_header for checking: unfold, decode encoded-words (adjacent
 * ones join without their space), and return the value after "name: ".
 */
static char *
decode_header(const char *line, const char *name)
{
	char *unfolded = malloc(strlen(line) + 1), *out, *p, *tok;
	size_t n = 0, o = 0;
	int prev_encoded = 0;
	const char *s;

	for (s = line; *s != '\0'; s++) {
		if (s[0] == '\r' && s[1] == '\n') {
			assert_int_equal(s[2], ' '); /* only folding */
			s++;
			continue;
		}
		assert_true(*s != '\r' && *s != '\n');
		unfolded[n++] = *s;
	}
	unfolded[n] = '\0';
	assert_int_equal(strncmp(unfolded, name, strlen(name)), 0);
	assert_int_equal(unfolded[strlen(name)], ':');
	out = calloc(1, strlen(line) * 2 + 8);
	p = unfolded + strlen(name) + 1;
	while ((tok = strsep(&p, " ")) != NULL) {
		size_t tl = strlen(tok);

		if (tl == 0)
			continue;
		if (tl > 12 && strncmp(tok, "=?UTF-8?B?", 10) == 0 &&
		    strcmp(tok + tl - 2, "?=") == 0) {
			unsigned char dec[200];
			int dl;

			assert_true(tl <= 75);
			dl = EVP_DecodeBlock(dec, (unsigned char *)tok + 10,
			    (int)tl - 12);
			assert_true(dl >= 0);
			/* EVP_DecodeBlock counts padding as bytes. */
			if (tl >= 14 && tok[tl - 3] == '=')
				dl--;
			if (tl >= 15 && tok[tl - 4] == '=')
				dl--;
			if (o > 0 && !prev_encoded)
				out[o++] = ' ';
			memcpy(out + o, dec, (size_t)dl);
			o += (size_t)dl;
			prev_encoded = 1;
		} else {
			if (o > 0)
				out[o++] = ' ';
			memcpy(out + o, tok, tl);
			o += tl;
			prev_encoded = 0;
		}
	}
	out[o] = '\0';
	free(unfolded);
	return out;
}

/* Every physical line of the header is at most max characters. */
static void
assert_lines_within(const char *h, size_t max)
{
	const char *s = h, *e;

	for (;;) {
		e = strstr(s, "\r\n");
		assert_true((size_t)((e ? e : s + strlen(s)) - s) <= max);
		if (e == NULL)
			break;
		s = e + 2;
	}
}

static void
check_header(const char *value, const char *expect)
{
	cl_buf b = CL_BUF_INIT;
	char *dec;

	cl_mail_header(&b, "Subject", value);
	assert_lines_within(b.data, 78);
	dec = decode_header(b.data, "Subject");
	assert_string_equal(dec, expect);
	free(dec);
	cl_buf_free(&b);
}

static void
test_header_ascii(void **state)
{
	cl_buf b = CL_BUF_INIT;

	(void)state;
	cl_mail_header(&b, "Subject", "New call-in request CIR-7K3F-9QXD: A");
	assert_string_equal(b.data,
	    "Subject: New call-in request CIR-7K3F-9QXD: A");
	cl_buf_free(&b);
	cl_mail_header(&b, "Subject", "");
	assert_string_equal(b.data, "Subject: ");
	cl_buf_free(&b);
	check_header("  spaces   inside\tand around  ",
	    "spaces inside and around");
	check_header(
	    "New call-in request CIR-7K3F-9QXD: Closure of the "
	    "maternity unit at Example General Hospital and the midwife-led "
	    "unit at Example Community Hospital, with services moving 40 "
	    "miles away",
	    "New call-in request CIR-7K3F-9QXD: Closure of the "
	    "maternity unit at Example General Hospital and the midwife-led "
	    "unit at Example Community Hospital, with services moving 40 "
	    "miles away");
}

static void
test_header_injection(void **state)
{
	cl_buf b = CL_BUF_INIT;
	const char *s;

	(void)state;
	cl_mail_header(&b, "Subject",
	    "Title\r\nBcc: evil@example.com\r\n"
	    "\r\nbody\nX-Injected: 1\rY: 2\x85Z\xe2\x80\xa8W");
	/* Every CR starts a fold (CR LF SP) and every LF is in one. */
	for (s = b.data; *s != '\0'; s++) {
		if (*s == '\r')
			assert_memory_equal(s, "\r\n ", 3);
		if (*s == '\n')
			assert_true(s > b.data && s[-1] == '\r');
	}
	assert_null(strstr(b.data, "\r\nBcc"));
	assert_null(strstr(b.data, "\r\nX-Injected"));
	cl_buf_free(&b);
	check_header("Title\r\nBcc: evil@example.com\r\n\r\nbody",
	    "Title Bcc: evil@example.com body");
	/* C1 NEL (U+0085) and U+2028 are controls too. */
	check_header("a\xc2\x85"
		     "b\xe2\x80\xa8"
		     "c",
	    "a b c");
	/* Something that looks like an encoded-word is encoded itself. */
	cl_mail_header(&b, "Subject", "=?UTF-8?B?QmNjOg==?=");
	assert_null(strstr(b.data, "QmNjOg"));
	cl_buf_free(&b);
	check_header("x =?UTF-8?B?QmNjOg==?= y", "x =?UTF-8?B?QmNjOg==?= y");
}

static void
test_header_utf8(void **state)
{
	cl_buf b = CL_BUF_INIT;
	char big[2000];
	size_t i;

	(void)state;
	check_header("Fermeture de l'unit\xc3\xa9 \xe2\x80\x94 Ysbyty "
		     "Gwynedd: \xe5\x8c\xbb\xe9\x99\xa2 \xf0\x9f\x8f\xa5 end",
	    "Fermeture de l'unit\xc3\xa9 \xe2\x80\x94 Ysbyty Gwynedd: "
	    "\xe5\x8c\xbb\xe9\x99\xa2 \xf0\x9f\x8f\xa5 end");
	/* A long run of non-ASCII is cut between characters. */
	big[0] = '\0';
	for (i = 0; i < 150; i++)
		strcat(big, i % 7 == 6 ? " " : "\xc3\xa9");
	check_header(big, big);
	for (big[0] = '\0', i = 0; i < 100; i++)
		strcat(big, "\xf0\x9f\x8f\xa5");
	check_header(big, big);
	/* Invalid UTF-8 becomes U+FFFD. */
	check_header("bad \xff\xfe byte", "bad \xef\xbf\xbd\xef\xbf\xbd byte");
	cl_mail_header(&b, "Subject", "caf\xc3\xa9");
	assert_string_equal(b.data, "Subject: =?UTF-8?B?Y2Fmw6k=?=");
	cl_buf_free(&b);
}

static void
test_text(void **state)
{
	cl_buf b = CL_BUF_INIT;
	static const char in[] =
	    "a\nb\r\nc\rd\r\r\ne\tf\x01g\x7fh\xffi\xc2\x85j";

	(void)state;
	cl_mail_text(&b, in, sizeof in - 1);
	assert_string_equal(b.data,
	    "a\r\nb\r\nc\r\nd\r\n\r\ne\tf\xef\xbf\xbdg"
	    "\xef\xbf\xbdh\xef\xbf\xbdi\xef\xbf\xbdj");
	cl_buf_reset(&b);
	cl_mail_text(&b, "x\0y", 3);
	assert_int_equal(b.len, 5);
	assert_memory_equal(b.data, "x\xef\xbf\xbdy", 5);
	cl_buf_free(&b);
}

static void
check_filename(const char *in, const char *expect)
{
	char out[CL_MAIL_FILENAME_MAX];

	cl_mail_filename(in, out);
	assert_string_equal(out, expect);
}

static void
test_filename(void **state)
{
	char big[400], out[CL_MAIL_FILENAME_MAX];

	(void)state;
	check_filename("report.pdf", "report.pdf");
	check_filename("evil.txt\"\r\nBcc: x@evil.example\r\nX-Injected: 1",
	    "evil.txt_Bcc_x_evil.example_X-Injected_1");
	check_filename("../../etc/passwd", "etc_passwd");
	check_filename("Minutes 3 March (final).docx",
	    "Minutes_3_March_final_.docx");
	check_filename("\xc3\x9c"
		       "n\xc3\xaf"
		       "c.pdf",
	    "n_c.pdf");
	check_filename("", "attachment");
	check_filename("...", "attachment");
	check_filename("\"\"", "attachment");
	memset(big, 'x', 300);
	strcpy(big + 300, ".pdf");
	cl_mail_filename(big, out);
	assert_int_equal(strlen(out), CL_MAIL_FILENAME_MAX - 1);
	assert_string_equal(out + strlen(out) - 4, ".pdf");
}

static void
test_content_type(void **state)
{
	(void)state;
	assert_true(cl_mail_content_type_ok("application/pdf"));
	assert_true(cl_mail_content_type_ok(
	    "application/vnd.openxmlformats-"
	    "officedocument.wordprocessingml.document"));
	assert_false(cl_mail_content_type_ok("text/plain; charset=x"));
	assert_false(cl_mail_content_type_ok("a/b\r\nX: y"));
	assert_false(cl_mail_content_type_ok("/x"));
	assert_false(cl_mail_content_type_ok("x/"));
	assert_false(cl_mail_content_type_ok("x"));
	assert_false(cl_mail_content_type_ok("a/b/c"));
	assert_false(cl_mail_content_type_ok(""));
	assert_false(cl_mail_content_type_ok(NULL));
}

static void
test_dates(void **state)
{
	char d[CL_DATE_RFC5322_MAX], h[64];

	(void)state;
	cl_date_rfc5322(0, d);
	assert_string_equal(d, "Thu, 01 Jan 1970 00:00:00 +0000");
	cl_date_rfc5322(1795442709, d);
	assert_string_equal(d, "Mon, 23 Nov 2026 14:05:09 +0000");
	cl_date_human(INT64_C(1795442709123), h, sizeof h);
	assert_string_equal(h, "23 November 2026 at 14:05:09 UTC");
}

static void
test_schedule_parse(void **state)
{
	static const char *bad[] = {
		"",
		"1",
		"0s",
		"1x",
		"1m,,2m",
		"8d",
		"1m 2m",
		"-1m",
		"m",
		"1m,",
		"1,2",
	};
	cl_mail_schedule s;
	char err[256];
	size_t i;

	(void)state;
	assert_int_equal(cl_mail_schedule_parse("1m,2m,4m,8m,16m,32m,1h",
			     172800, &s, err, sizeof err),
	    CL_OK);
	assert_int_equal(s.n, 7);
	assert_int_equal(s.delay_ms[0], 60000);
	assert_int_equal(s.delay_ms[6], 3600000);
	assert_int_equal(s.give_up_ms, INT64_C(172800000));
	assert_int_equal(cl_mail_schedule_parse(" 30s , 7d,1d ", 10, &s, err,
			     sizeof err),
	    CL_OK);
	assert_int_equal(s.delay_ms[1], INT64_C(7) * 86400000);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(cl_mail_schedule_parse(bad[i], 60, &s, err,
				     sizeof err),
		    CL_EINVAL);
	assert_int_equal(cl_mail_schedule_parse("1s", 0, &s, err, sizeof err),
	    CL_EINVAL);
}

static void
test_schedule_next(void **state)
{
	cl_mail_schedule s;
	char err[256];
	int64_t t0 = INT64_C(1700000000000), now, retry, total = 0;
	uint32_t r;
	int i;

	(void)state;
	assert_int_equal(cl_mail_schedule_parse("1m,2m,4m,8m,16m,32m,1h",
			     172800, &s, err, sizeof err),
	    CL_OK);
	/* Jitter stays within a fifth of the delay. */
	for (r = 0; r < 5000; r += 7) {
		assert_true(cl_mail_schedule_next(&s, 0, t0, t0,
		    r * 2654435761u, &retry));
		assert_true(retry >= t0 + 60000 && retry <= t0 + 72000);
	}
	assert_true(cl_mail_schedule_next(&s, 3, t0, t0, 0, &retry));
	assert_int_equal(retry, t0 + 8 * 60000);
	assert_true(cl_mail_schedule_next(&s, 100, t0, t0, 0, &retry));
	assert_int_equal(retry, t0 + 3600000);
	/* Followed through: at least 24 hours before giving up. */
	now = t0;
	for (i = 0;
	     cl_mail_schedule_next(&s, i, t0, now, (uint32_t)i * 977, &retry);
	     i++) {
		assert_true(retry > now);
		total += retry - now;
		now = retry;
		assert_true(i < 1000);
	}
	assert_true(total >= INT64_C(24) * 3600 * 1000);
	assert_int_equal(now, t0 + s.give_up_ms);
	/* Past the give-up time: exhausted. */
	assert_false(
	    cl_mail_schedule_next(&s, 0, t0, t0 + s.give_up_ms, 0, &retry));
	/* The last retry is clamped to the give-up time. */
	assert_true(cl_mail_schedule_next(&s, 6, t0, t0 + s.give_up_ms - 10, 0,
	    &retry));
	assert_int_equal(retry, t0 + s.give_up_ms);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr_valid),
		cmocka_unit_test(test_from_parse),
		cmocka_unit_test(test_addr_list),
		cmocka_unit_test(test_header_ascii),
		cmocka_unit_test(test_header_injection),
		cmocka_unit_test(test_header_utf8),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_filename),
		cmocka_unit_test(test_content_type),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_schedule_parse),
		cmocka_unit_test(test_schedule_next),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

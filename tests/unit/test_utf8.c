/* test_utf8.c: strict UTF-8 validation, counting, decoding and streaming. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "callin/utf8.h"

#define S(lit) lit, sizeof(lit) - 1

/*
 * An independent reference: decode by arithmetic, then refuse overlongs,
 * surrogates and values above U+10FFFF.  Return the sequence length, or 0.
 */
static size_t
ref_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len, i;
	uint32_t v, min;

	if (n == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	} else if ((s[0] & 0xE0) == 0xC0) {
		len = 2, v = s[0] & 0x1F, min = 0x80;
	} else if ((s[0] & 0xF0) == 0xE0) {
		len = 3, v = s[0] & 0x0F, min = 0x800;
	} else if ((s[0] & 0xF8) == 0xF0) {
		len = 4, v = s[0] & 0x07, min = 0x10000;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3F);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*cp = v;
	return len;
}

static int
ref_valid(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t i, len;

	for (i = 0; i < n; i += len)
		if ((len = ref_decode(s + i, n - i, &cp)) == 0)
			return 0;
	return 1;
}

static void
test_valid_examples(void **state)
{
	(void)state;
	assert_true(cl_utf8_valid(S("")));
	assert_true(cl_utf8_valid(S("plain ASCII")));
	assert_true(cl_utf8_valid(S("\x7F")));
	assert_true(cl_utf8_valid(S("\xC2\x80")));	   /* U+0080 */
	assert_true(cl_utf8_valid(S("\xDF\xBF")));	   /* U+07FF */
	assert_true(cl_utf8_valid(S("\xE0\xA0\x80")));	   /* U+0800 */
	assert_true(cl_utf8_valid(S("\xED\x9F\xBF")));	   /* U+D7FF */
	assert_true(cl_utf8_valid(S("\xEE\x80\x80")));	   /* U+E000 */
	assert_true(cl_utf8_valid(S("\xEF\xBF\xBF")));	   /* U+FFFF */
	assert_true(cl_utf8_valid(S("\xF0\x90\x80\x80"))); /* U+10000 */
	assert_true(cl_utf8_valid(S("\xF4\x8F\xBF\xBF"))); /* U+10FFFF */
	assert_true(
	    cl_utf8_valid(S("caf\xC3\xA9 \xE2\x80\x93 \xF0\x9F\x98\x80")));
	/* NUL is a character: refusing it is the caller's business. */
	assert_true(cl_utf8_valid(S("a\0b")));
}

static void
test_invalid_examples(void **state)
{
	(void)state;
	assert_false(cl_utf8_valid(S("\x80"))); /* lone continuation */
	assert_false(cl_utf8_valid(S("\xBF")));
	assert_false(cl_utf8_valid(S("\xC0\x80")));	/* overlong NUL */
	assert_false(cl_utf8_valid(S("\xC1\xBF")));	/* overlong */
	assert_false(cl_utf8_valid(S("\xE0\x80\x80"))); /* overlong */
	assert_false(cl_utf8_valid(S("\xE0\x9F\xBF"))); /* overlong U+07FF */
	assert_false(cl_utf8_valid(S("\xF0\x80\x80\x80"))); /* overlong */
	assert_false(
	    cl_utf8_valid(S("\xF0\x8F\xBF\xBF")));	/* overlong U+FFFF */
	assert_false(cl_utf8_valid(S("\xED\xA0\x80"))); /* U+D800 */
	assert_false(cl_utf8_valid(S("\xED\xBF\xBF"))); /* U+DFFF */
	assert_false(cl_utf8_valid(S("\xF4\x90\x80\x80"))); /* U+110000 */
	assert_false(cl_utf8_valid(S("\xF5\x80\x80\x80")));
	assert_false(cl_utf8_valid(S("\xF8\x88\x80\x80\x80")));
	assert_false(cl_utf8_valid(S("\xFE")));
	assert_false(cl_utf8_valid(S("\xFF")));
	assert_false(cl_utf8_valid(S("\xE2\x82"))); /* truncated */
	assert_false(cl_utf8_valid(S("\xE2\x82"
				     "A")));	   /* interrupted */
	assert_false(cl_utf8_valid(S("abc\xC3"))); /* truncated at end */
	assert_false(cl_utf8_valid(S("caf\xE9"))); /* Latin-1 */
}

/* Every 1- and 2-byte string, and every 3-byte string, against the
 * reference; 4-byte strings for every lead byte with sampled tails. */
static void
test_exhaustive_against_reference(void **state)
{
	unsigned char b[4];
	unsigned a, c, d;

	(void)state;
	for (a = 0; a < 256; a++) {
		b[0] = (unsigned char)a;
		assert_int_equal(cl_utf8_valid((char *)b, 1), ref_valid(b, 1));
		for (c = 0; c < 256; c++) {
			b[1] = (unsigned char)c;
			assert_int_equal(cl_utf8_valid((char *)b, 2),
			    ref_valid(b, 2));
		}
	}
	for (a = 0xC0; a < 0x100; a++)
		for (c = 0; c < 256; c++)
			for (d = 0; d < 256; d++) {
				b[0] = (unsigned char)a;
				b[1] = (unsigned char)c;
				b[2] = (unsigned char)d;
				if (cl_utf8_valid((char *)b, 3) !=
				    ref_valid(b, 3))
					fail_msg("3 bytes %02x %02x %02x", a, c,
					    d);
			}
	for (a = 0xF0; a < 0x100; a++)
		for (c = 0x70; c < 0xD0; c++)
			for (d = 0x70; d < 0xD0; d += 7) {
				b[0] = (unsigned char)a;
				b[1] = (unsigned char)c;
				b[2] = (unsigned char)d;
				b[3] = (unsigned char)(0xBF - (d & 0x3F));
				if (cl_utf8_valid((char *)b, 4) !=
				    ref_valid(b, 4))
					fail_msg("4 bytes %02x %02x %02x %02x",
					    a, c, d, b[3]);
			}
}

/* Every code point encodes, decodes back, and counts as one character. */
static void
test_decode_every_code_point(void **state)
{
	unsigned char b[4];
	uint32_t cp, got;
	size_t len;

	(void)state;
	for (cp = 0; cp <= 0x10FFFF; cp++) {
		if (cp >= 0xD800 && cp <= 0xDFFF)
			continue;
		if (cp < 0x80) {
			b[0] = (unsigned char)cp, len = 1;
		} else if (cp < 0x800) {
			b[0] = (unsigned char)(0xC0 | cp >> 6);
			b[1] = (unsigned char)(0x80 | (cp & 0x3F));
			len = 2;
		} else if (cp < 0x10000) {
			b[0] = (unsigned char)(0xE0 | cp >> 12);
			b[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
			b[2] = (unsigned char)(0x80 | (cp & 0x3F));
			len = 3;
		} else {
			b[0] = (unsigned char)(0xF0 | cp >> 18);
			b[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
			b[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
			b[3] = (unsigned char)(0x80 | (cp & 0x3F));
			len = 4;
		}
		if (cl_utf8_decode((char *)b, len, &got) != len || got != cp)
			fail_msg("U+%04X", (unsigned)cp);
		if (cl_utf8_chars((char *)b, len) != 1)
			fail_msg("U+%04X counted wrong", (unsigned)cp);
		/* One byte short is never a character. */
		if (len > 1 && cl_utf8_decode((char *)b, len - 1, &got) != 0)
			fail_msg("U+%04X short", (unsigned)cp);
	}
}

static void
test_decode_invalid(void **state)
{
	uint32_t cp = 1;

	(void)state;
	assert_int_equal(cl_utf8_decode("", 0, &cp), 0);
	assert_int_equal(cp, 0xFFFD);
	assert_int_equal(cl_utf8_decode(S("\xC0\x80"), &cp), 0);
	assert_int_equal(cl_utf8_decode(S("\xED\xA0\x80"), &cp), 0);
	assert_int_equal(cl_utf8_decode(S("\x80"), &cp), 0);
	assert_int_equal(cl_utf8_decode(S("\xC3\xA9z"), &cp), 2);
	assert_int_equal(cp, 0xE9);
}

static void
test_chars(void **state)
{
	(void)state;
	assert_int_equal(cl_utf8_chars(S("")), 0);
	assert_int_equal(cl_utf8_chars(S("abc")), 3);
	assert_int_equal(cl_utf8_chars(S("caf\xC3\xA9")), 4);
	assert_int_equal(cl_utf8_chars(S("\xE2\x80\x93\xF0\x9F\x98\x80")), 2);
	assert_int_equal(cl_utf8_chars(S("a\0b")), 3);
}

/* Fed in pieces split anywhere, the stream agrees with the whole. */
static void
test_stream_splits(void **state)
{
	static const char text[] = "A \xC3\xA9 \xE2\x80\x93 \xF0\x9F\x98\x80 z";
	static const char bad[] = "A \xC3\xA9 \xED\xA0\x80 z";
	size_t n = sizeof(text) - 1, i, j;

	(void)state;
	for (i = 0; i <= n; i++)
		for (j = i; j <= n; j++) {
			cl_utf8_stream st;

			cl_utf8_stream_init(&st);
			cl_utf8_stream_feed(&st, text, i);
			cl_utf8_stream_feed(&st, text + i, j - i);
			cl_utf8_stream_feed(&st, text + j, n - j);
			assert_true(cl_utf8_stream_done(&st));
		}
	for (i = 0; i <= sizeof(bad) - 1; i++) {
		cl_utf8_stream st = CL_UTF8_STREAM_INIT;

		cl_utf8_stream_feed(&st, bad, i);
		cl_utf8_stream_feed(&st, bad + i, sizeof(bad) - 1 - i);
		assert_false(cl_utf8_stream_done(&st));
	}
}

/* A prefix that cuts a character is fine as a prefix, not as a whole. */
static void
test_stream_prefix(void **state)
{
	cl_utf8_stream st = CL_UTF8_STREAM_INIT;

	(void)state;
	cl_utf8_stream_feed(&st, S("abc\xF0\x9F\x98"));
	assert_true(cl_utf8_stream_prefix_ok(&st));
	assert_false(cl_utf8_stream_done(&st));
	cl_utf8_stream_feed(&st, S("\x80"));
	assert_true(cl_utf8_stream_done(&st));
	cl_utf8_stream_feed(&st, S("\xFF"));
	assert_false(cl_utf8_stream_prefix_ok(&st));
	/* Once bad, always bad. */
	cl_utf8_stream_feed(&st, S("fine"));
	assert_false(cl_utf8_stream_done(&st));
}

/* The hidden list: every listed character in, its neighbours out. */
static void
test_hidden(void **state)
{
	static const uint32_t in[] = { 0xAD, 0x34F, 0x61C, 0x115F, 0x1160,
		0x17B4, 0x17B5, 0x180E, 0x200B, 0x200E, 0x200F, 0x2028, 0x2029,
		0x202A, 0x202E, 0x2060, 0x2064, 0x2066, 0x2069, 0x206F, 0x3164,
		0xFEFF, 0xFFA0, 0xFFF9, 0xFFFB, 0x1D173, 0x1D17A, 0xE0000,
		0xE0001, 0xE007F };
	static const uint32_t out[] = { 0, 'a', 0xAC, 0xAE, 0x61B, 0x200A,
		0x200C, 0x200D, 0x2010, 0x2027, 0x202F, 0x205F, 0x2070, 0xFEFE,
		0xFF00, 0xFFFC, 0xFFFD, 0x1D172, 0x1D17B, 0xE0080, 0x10FFFF };

	(void)state;
	for (size_t i = 0; i < sizeof in / sizeof in[0]; i++)
		assert_true(cl_utf8_hidden(in[i]));
	for (size_t i = 0; i < sizeof out / sizeof out[0]; i++)
		assert_false(cl_utf8_hidden(out[i]));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_examples),
		cmocka_unit_test(test_invalid_examples),
		cmocka_unit_test(test_exhaustive_against_reference),
		cmocka_unit_test(test_decode_every_code_point),
		cmocka_unit_test(test_decode_invalid),
		cmocka_unit_test(test_chars),
		cmocka_unit_test(test_stream_splits),
		cmocka_unit_test(test_stream_prefix),
		cmocka_unit_test(test_hidden),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

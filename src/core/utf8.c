/*
 * utf8.c: strict UTF-8 validation, counting and decoding (RFC 3629), and
 * the invisible and direction-changing characters one-line answers refuse.
 */
#include "callin/utf8.h"

/*
 * Set the stream up for the lead byte c: how many continuation bytes follow
 * and the range allowed for the first of them, which is what excludes
 * overlong forms (E0, F0), surrogates (ED) and code points above U+10FFFF
 * (F4).  Return 0 when c cannot start a character.
 */
static int
lead(cl_utf8_stream *st, unsigned char c)
{
	st->lo = 0x80;
	st->hi = 0xBF;
	if (c < 0x80)
		st->need = 0;
	else if (c >= 0xC2 && c <= 0xDF)
		st->need = 1;
	else if (c == 0xE0) {
		st->need = 2;
		st->lo = 0xA0;
	} else if (c == 0xED) {
		st->need = 2;
		st->hi = 0x9F;
	} else if (c >= 0xE1 && c <= 0xEF)
		st->need = 2;
	else if (c == 0xF0) {
		st->need = 3;
		st->lo = 0x90;
	} else if (c >= 0xF1 && c <= 0xF3)
		st->need = 3;
	else if (c == 0xF4) {
		st->need = 3;
		st->hi = 0x8F;
	} else
		return 0;
	return 1;
}

void
cl_utf8_stream_init(cl_utf8_stream *st)
{
	st->need = 0;
	st->lo = 0x80;
	st->hi = 0xBF;
	st->bad = 0;
}

void
cl_utf8_stream_feed(cl_utf8_stream *st, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i;

	for (i = 0; i < n && !st->bad; i++) {
		unsigned char c = s[i];

		if (st->need == 0) {
			/* Fast path for ASCII runs. */
			if (c < 0x80)
				continue;
			if (!lead(st, c))
				st->bad = 1;
			continue;
		}
		if (c < st->lo || c > st->hi) {
			st->bad = 1;
			continue;
		}
		st->need--;
		st->lo = 0x80;
		st->hi = 0xBF;
	}
}

int
cl_utf8_stream_done(const cl_utf8_stream *st)
{
	return !st->bad && st->need == 0;
}

int
cl_utf8_stream_prefix_ok(const cl_utf8_stream *st)
{
	return !st->bad;
}

int
cl_utf8_valid(const char *s, size_t n)
{
	cl_utf8_stream st;

	cl_utf8_stream_init(&st);
	cl_utf8_stream_feed(&st, s, n);
	return cl_utf8_stream_done(&st);
}

size_t
cl_utf8_chars(const char *s, size_t n)
{
	size_t i, count = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			count++;
	return count;
}

size_t
cl_utf8_decode(const char *s, size_t n, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	cl_utf8_stream st;
	uint32_t v;
	size_t len, i;

	*cp = 0xFFFD;
	if (n == 0)
		return 0;
	cl_utf8_stream_init(&st);
	if (!lead(&st, u[0]))
		return 0;
	len = (size_t)st.need + 1;
	if (len > n)
		return 0;
	if (len == 1) {
		*cp = u[0];
		return 1;
	}
	v = u[0] & (0x7F >> len);
	for (i = 1; i < len; i++) {
		if (u[i] < st.lo || u[i] > st.hi)
			return 0;
		st.lo = 0x80;
		st.hi = 0xBF;
		v = (v << 6) | (u[i] & 0x3F);
	}
	*cp = v;
	return len;
}

int
cl_utf8_hidden(uint32_t cp)
{
	static const uint32_t ranges[][2] = {
		{ 0x00AD, 0x00AD },
		{ 0x034F, 0x034F },
		{ 0x061C, 0x061C },
		{ 0x115F, 0x1160 },
		{ 0x17B4, 0x17B5 },
		{ 0x180E, 0x180E },
		{ 0x200B, 0x200B },
		{ 0x200E, 0x200F },
		{ 0x2028, 0x202E },
		{ 0x2060, 0x206F },
		{ 0x3164, 0x3164 },
		{ 0xFEFF, 0xFEFF },
		{ 0xFFA0, 0xFFA0 },
		{ 0xFFF9, 0xFFFB },
		{ 0x1D173, 0x1D17A },
		{ 0xE0000, 0xE007F },
	};

	for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
		if (cp >= ranges[i][0] && cp <= ranges[i][1])
			return 1;
	return 0;
}

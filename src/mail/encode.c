/*
 * encode.c: making untrusted text safe for a message: header values (RFC
 * 2047 encoded-words, folding), body text (CRLF, no controls), attachment
 * file names and content types.  libcurl writes all of these out verbatim.
 */
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>

#include "callin/mail.h"
#include "callin/utf8.h"

#define LINE_MAX_COLS 78 /* fold before passing this column */
#define EW_MAX_BYTES 45	 /* bytes per encoded-word: 60 base64 + 12 = 72 */

static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */

/*
 * Decode the character at s (n bytes left) into *cp and return its length;
 * an invalid sequence counts as one byte of U+FFFD.
 */
static size_t
next_char(const char *s, size_t n, uint32_t *cp)
{
	size_t len = cl_utf8_decode(s, n, cp);

	if (len == 0) {
		*cp = 0xFFFD;
		len = 1;
	}
	return len;
}

/* Return 1 for C0 and C1 controls, DEL, and the Unicode line separators. */
static int
is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 ||
	    cp == 0x2029;
}

/* Append the UTF-8 of cp (a valid scalar value) to out. */
static void
put_char(cl_buf *out, uint32_t cp)
{
	char u[4];

	if (cp < 0x80) {
		cl_buf_putc(out, (char)cp);
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3F));
		cl_buf_add(out, u, 2);
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | cp >> 12);
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		cl_buf_add(out, u, 3);
	} else {
		u[0] = (char)(0xF0 | cp >> 18);
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		cl_buf_add(out, u, 4);
	}
}

/*
 * Clean a header value into out: valid UTF-8, controls and white space as
 * single spaces, none at either end.
 */
static void
clean_value(const char *v, cl_buf *out)
{
	size_t n = strlen(v), i = 0, len;
	int space = 0;
	uint32_t cp;

	while (i < n) {
		len = next_char(v + i, n - i, &cp);
		i += len;
		if (cp == ' ' || is_control(cp)) {
			space = 1;
			continue;
		}
		if (space && out->len > 0)
			cl_buf_putc(out, ' ');
		space = 0;
		put_char(out, cp);
	}
}

/* Return 1 if the n bytes of word must be encoded. */
static int
needs_encoding(const char *w, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)w[i] >= 0x80 ||
		    (i + 1 < n && w[i] == '=' && w[i + 1] == '?'))
			return 1;
	return 0;
}

/* Emit one token, folding before it when it would pass the line limit. */
static void
put_token(cl_buf *out, size_t *col, int first, const char *t, size_t n)
{
	if (!first && *col + 1 + n > LINE_MAX_COLS) {
		cl_buf_puts(out, "\r\n ");
		*col = 1;
	} else {
		cl_buf_putc(out, ' ');
		(*col)++;
	}
	cl_buf_add(out, t, n);
	*col += n;
}

/* Emit the n bytes at s (valid UTF-8) as encoded-words. */
static void
put_encoded(cl_buf *out, size_t *col, int first, const char *s, size_t n)
{
	unsigned char b64[4 * ((EW_MAX_BYTES + 2) / 3) + 1];
	char word[96];
	size_t i = 0, take, len, room, max;
	uint32_t cp;
	int wlen;

	while (i < n) {
		/* Fill what is left of the line, or a whole new line. */
		room = *col + 1 < LINE_MAX_COLS ? LINE_MAX_COLS - *col - 1 : 0;
		max = room > 12 ? (room - 12) / 4 * 3 : 0;
		if (max > EW_MAX_BYTES || max < 4)
			max = EW_MAX_BYTES;
		/* Take whole characters up to max bytes. */
		take = 0;
		while (i + take < n) {
			len = next_char(s + i + take, n - i - take, &cp);
			if (take + len > max)
				break;
			take += len;
		}
		EVP_EncodeBlock(b64, (const unsigned char *)s + i, (int)take);
		wlen = snprintf(word, sizeof word, "=?UTF-8?B?%s?=", b64);
		put_token(out, col, first, word, (size_t)wlen);
		first = 0;
		i += take;
	}
}

void
cl_mail_header(cl_buf *out, const char *name, const char *value)
{
	cl_buf clean = CL_BUF_INIT;
	const char *p, *end, *w, *run;
	size_t col, wn;
	int first = 1;

	cl_buf_printf(out, "%s:", name);
	col = strlen(name) + 1;
	clean_value(value, &clean);
	p = cl_buf_str(&clean);
	end = p + clean.len;
	while (p < end) {
		w = p;
		wn = strcspn(w, " ");
		if (!needs_encoding(w, wn)) {
			put_token(out, &col, first, w, wn);
			first = 0;
			p = w + wn + (w[wn] == ' ');
			continue;
		}
		/* A run of words to encode, with the spaces between them. */
		run = w;
		while (w < end && needs_encoding(w, wn)) {
			p = w + wn;
			w = p + (*p == ' ');
			wn = strcspn(w, " ");
		}
		put_encoded(out, &col, first, run, (size_t)(p - run));
		first = 0;
		p += (*p == ' ');
	}
	if (first)
		cl_buf_putc(out, ' ');
	cl_buf_free(&clean);
}

void
cl_mail_text(cl_buf *out, const char *s, size_t n)
{
	size_t i = 0, len;
	uint32_t cp;

	while (i < n) {
		if (s[i] == '\r' || s[i] == '\n') {
			cl_buf_puts(out, "\r\n");
			i += (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n') ?
			    2 :
			    1;
			continue;
		}
		len = next_char(s + i, n - i, &cp);
		if (cp != '\t' && is_control(cp) && cp != 0x2028 &&
		    cp != 0x2029)
			cl_buf_puts(out, replacement);
		else if (cp == 0xFFFD)
			cl_buf_puts(out, replacement);
		else
			cl_buf_add(out, s + i, len);
		i += len;
	}
}

/* Characters kept in an attachment's file name. */
static int
filename_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_' ||
	    c == '+';
}

void
cl_mail_filename(const char *name, char *out)
{
	char tmp[CL_MAIL_FILENAME_MAX * 4];
	const char *dot;
	size_t n = 0, ext, keep;
	const unsigned char *p;

	for (p = (const unsigned char *)name; *p != '\0' && n < sizeof tmp - 1;
	     p++) {
		if (filename_char(*p)) {
			if (*p == '.' && n == 0)
				continue;
			tmp[n++] = (char)*p;
		} else if (n > 0 && tmp[n - 1] != '_') {
			tmp[n++] = '_';
		}
	}
	while (n > 0 && (tmp[n - 1] == '_' || tmp[n - 1] == '.'))
		n--;
	tmp[n] = '\0';
	if (n == 0) {
		strcpy(out, "attachment");
		return;
	}
	if (n < CL_MAIL_FILENAME_MAX) {
		memcpy(out, tmp, n + 1);
		return;
	}
	/* Too long: cut the stem, keep a short extension. */
	dot = strrchr(tmp, '.');
	ext = dot != NULL && n - (size_t)(dot - tmp) <= 10 ?
	    n - (size_t)(dot - tmp) :
	    0;
	keep = CL_MAIL_FILENAME_MAX - 1 - ext;
	memcpy(out, tmp, keep);
	memcpy(out + keep, tmp + n - ext, ext);
	out[keep + ext] = '\0';
}

/* RFC 2045 token characters: printable ASCII but specials and space. */
static int
token_char(int c)
{
	return c > 0x20 && c < 0x7F && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

int
cl_mail_content_type_ok(const char *type)
{
	size_t i, slash = 0, n;

	if (type == NULL || (n = strlen(type)) == 0 || n > 127)
		return 0;
	for (i = 0; i < n; i++) {
		if (type[i] == '/') {
			if (slash != 0 || i == 0)
				return 0;
			slash = i;
		} else if (!token_char((unsigned char)type[i]))
			return 0;
	}
	return slash != 0 && slash + 1 < n;
}

/*
 * utf8.h: strict UTF-8 checking and decoding (RFC 3629).
 *
 * "Valid" means well-formed UTF-8 with no overlong forms, no surrogates
 * (U+D800..U+DFFF) and nothing above U+10FFFF.  NUL bytes are valid UTF-8
 * (U+0000); callers that must refuse them check for control characters
 * separately.
 */
#ifndef CALLIN_UTF8_H
#define CALLIN_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* An incremental checker for bytes that arrive in pieces (file uploads). */
typedef struct cl_utf8_stream {
	unsigned char	 need;	/* continuation bytes still expected */
	unsigned char	 lo;	/* lowest allowed next continuation byte */
	unsigned char	 hi;	/* highest allowed next continuation byte */
	unsigned char	 bad;	/* an invalid byte was seen */
} cl_utf8_stream;

#define CL_UTF8_STREAM_INIT { 0, 0x80, 0xBF, 0 }

/* Return 1 if the n bytes at s are valid UTF-8, else 0.  Cannot fail. */
int	cl_utf8_valid(const char *s, size_t n);

/*
 * Return the number of code points in the n bytes at s.  Meant for valid
 * UTF-8; for invalid input it counts the bytes that are not continuation
 * bytes.  Cannot fail.
 */
size_t	cl_utf8_chars(const char *s, size_t n);

/*
 * Decode the character at the start of the n bytes at s: store it in *cp and
 * return its length (1 to 4).  Return 0 (and *cp = 0xFFFD) when the bytes
 * there are not a valid, complete UTF-8 sequence, or n is 0.  Cannot fail.
 */
size_t	cl_utf8_decode(const char *s, size_t n, uint32_t *cp);

/* Reset a stream checker.  Cannot fail. */
void	cl_utf8_stream_init(cl_utf8_stream *st);

/* Feed n more bytes to the checker.  Cannot fail. */
void	cl_utf8_stream_feed(cl_utf8_stream *st, const void *p, size_t n);

/*
 * Return 1 if every byte fed so far is valid UTF-8 and no sequence is left
 * unfinished, else 0.  Cannot fail.
 */
int	cl_utf8_stream_done(const cl_utf8_stream *st);

/*
 * Return 1 if the bytes fed so far are valid UTF-8 except, perhaps, for a
 * sequence cut short at the end (the start of a longer text), else 0.
 * Cannot fail.
 */
int	cl_utf8_stream_prefix_ok(const cl_utf8_stream *st);

#endif /* CALLIN_UTF8_H */

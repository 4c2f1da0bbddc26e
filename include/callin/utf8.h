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
	unsigned char need; /* continuation bytes still expected */
	unsigned char lo;   /* lowest allowed next continuation byte */
	unsigned char hi;   /* highest allowed next continuation byte */
	unsigned char bad;  /* an invalid byte was seen */
} cl_utf8_stream;

#define CL_UTF8_STREAM_INIT \
	{ \
		0, 0x80, 0xBF, 0 \
	}

/* Return 1 if the n bytes at s are valid UTF-8, else 0.  Cannot fail. */
int cl_utf8_valid(const char *s, size_t n);

/*
 * Return the number of code points in the n bytes at s.  Meant for valid
 * UTF-8; for invalid input it counts the bytes that are not continuation
 * bytes.  Cannot fail.
 */
size_t cl_utf8_chars(const char *s, size_t n);

/*
 * Decode the character at the start of the n bytes at s: store it in *cp and
 * return its length (1 to 4).  Return 0 (and *cp = 0xFFFD) when the bytes
 * there are not a valid, complete UTF-8 sequence, or n is 0.  Cannot fail.
 */
size_t cl_utf8_decode(const char *s, size_t n, uint32_t *cp);

/*
 * Return 1 if cp is a character that changes the direction of text or shows
 * nothing, which one-line answers refuse (a name that displays as another,
 * or text reordered around it), else 0.  The list: U+00AD soft hyphen,
 * U+034F combining grapheme joiner, U+061C Arabic letter mark, U+115F,
 * U+1160, U+3164 and U+FFA0 Hangul fillers, U+17B4 and U+17B5 Khmer
 * inherent vowels, U+180E Mongolian vowel separator, U+200B zero width
 * space, U+200E and U+200F direction marks, U+2028 and U+2029 line and
 * paragraph separators, U+202A..U+202E embeddings and overrides,
 * U+2060..U+2064 word joiner and invisible operators, U+2066..U+2069
 * isolates, U+206A..U+206F deprecated format characters, U+FEFF zero width
 * no-break space, U+FFF9..U+FFFB annotation characters, U+1D173..U+1D17A
 * musical format characters and the U+E0000..U+E007F tag characters.
 * U+200C and U+200D (zero width non-joiner and joiner) are not in it: the
 * right spelling of words in Persian and Indic scripts needs them.
 * Cannot fail.
 */
int cl_utf8_hidden(uint32_t cp);
/* Reset a stream checker.  Cannot fail. */
void cl_utf8_stream_init(cl_utf8_stream *st);

/* Feed n more bytes to the checker.  Cannot fail. */
void cl_utf8_stream_feed(cl_utf8_stream *st, const void *p, size_t n);

/*
 * Return 1 if every byte fed so far is valid UTF-8 and no sequence is left
 * unfinished, else 0.  Cannot fail.
 */
int cl_utf8_stream_done(const cl_utf8_stream *st);

/*
 * Return 1 if the bytes fed so far are valid UTF-8 except, perhaps, for a
 * sequence cut short at the end (the start of a longer text), else 0.
 * Cannot fail.
 */
int cl_utf8_stream_prefix_ok(const cl_utf8_stream *st);

#endif /* CALLIN_UTF8_H */

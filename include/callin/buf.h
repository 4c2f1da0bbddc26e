/*
 * buf.h: a growable byte buffer, always NUL-terminated, used to build
 * responses, JSON and messages.  Appends cannot fail (allocation aborts).
 */
#ifndef CALLIN_BUF_H
#define CALLIN_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct cl_buf {
	char *data; /* NUL-terminated contents (NULL until the first append) */
	size_t len; /* bytes used, not counting the NUL */
	size_t cap; /* bytes allocated */
} cl_buf;

#define CL_BUF_INIT \
	{ \
		NULL, 0, 0 \
	}

/* Append n bytes of p.  Cannot fail. */
void cl_buf_add(cl_buf *b, const void *p, size_t n);
/* Append the string s.  Cannot fail. */
void cl_buf_puts(cl_buf *b, const char *s);
/* Append one byte.  Cannot fail. */
void cl_buf_putc(cl_buf *b, char c);
/* Append printf-formatted text.  Cannot fail. */
void cl_buf_printf(cl_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Append s with HTML special characters escaped (& < > " ').  Cannot fail. */
void cl_buf_html(cl_buf *b, const char *s);
/*
 * Append the n bytes of s as the inside of a JSON string (quotes not
 * added): \" \\ and \b \f \n \r \t short, other bytes below 0x20 as
 * \u00xx, the rest (DEL too) as is: copy.json's rule.  Cannot fail.
 */
void cl_buf_json(cl_buf *b, const char *s, size_t n);
/* Empty the buffer, keeping its memory.  Cannot fail. */
void cl_buf_reset(cl_buf *b);
/* Release the buffer's memory and reset it.  Cannot fail. */
void cl_buf_free(cl_buf *b);
/* Return the contents as a string ("" when empty).  Cannot fail. */
const char *cl_buf_str(const cl_buf *b);

#endif /* CALLIN_BUF_H */

/* buf.c: growable byte buffer with escaping appenders. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callin/alloc.h"
#include "callin/buf.h"

static void
reserve(cl_buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;

	if (need <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	b->data = cl_realloc(b->data, cap);
	b->cap = cap;
}

void
cl_buf_add(cl_buf *b, const void *p, size_t n)
{
	reserve(b, n);
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
cl_buf_puts(cl_buf *b, const char *s)
{
	cl_buf_add(b, s, strlen(s));
}

void
cl_buf_putc(cl_buf *b, char c)
{
	cl_buf_add(b, &c, 1);
}

void
cl_buf_printf(cl_buf *b, const char *fmt, ...)
{
	va_list ap;
	size_t room;
	int n;

	/* Format straight into the free space; only a miss formats twice. */
	reserve(b, 64);
	room = b->cap - b->len;
	va_start(ap, fmt);
	n = vsnprintf(b->data + b->len, room, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->data[b->len] = '\0';
		return;
	}
	if ((size_t)n >= room) {
		reserve(b, (size_t)n);
		va_start(ap, fmt);
		vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

void
cl_buf_html(cl_buf *b, const char *s)
{
	const char *run = s;

	for (; *s != '\0'; s++) {
		const char *rep;

		switch (*s) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: continue;
		}
		cl_buf_add(b, run, (size_t)(s - run));
		cl_buf_puts(b, rep);
		run = s + 1;
	}
	cl_buf_add(b, run, (size_t)(s - run));
}

void
cl_buf_json(cl_buf *b, const char *s, size_t n)
{
	size_t run = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = NULL;

		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		default:
			if (c >= 0x20)
				continue;
		}
		cl_buf_add(b, s + run, i - run);
		if (esc != NULL)
			cl_buf_puts(b, esc);
		else
			cl_buf_printf(b, "\\u%04x", c);
		run = i + 1;
	}
	cl_buf_add(b, s + run, n - run);
}

void
cl_buf_reset(cl_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void
cl_buf_free(cl_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

const char *
cl_buf_str(const cl_buf *b)
{
	return b->data ? b->data : "";
}

/*
 * fuzz_urlencoded.c: libFuzzer target for the urlencoded parser.
 *
 * Checks each pair's strings, that the parse fails exactly when the input has
 * a bad escape, and that re-encoding the pairs and parsing again gives the
 * same pairs; a last run makes one callback fail.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callin/buf.h"
#include "callin/urlencoded.h"

/* Abort, so libFuzzer reports it, when cond is false (NDEBUG-proof). */
#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,	\
		    __LINE__, #cond);					\
		abort();						\
	}								\
} while (0)

struct tally {
	cl_buf	 pairs;		/* "len:name" "len:value" for each pair */
	cl_buf	 encoded;	/* the pairs encoded again */
	size_t	 bytes;		/* decoded bytes */
	size_t	 calls;
	size_t	 fail_at;	/* call number that fails; 0: none */
};

/* Append n bytes at s percent-encoded (all but unreserved bytes). */
static void
encode(cl_buf *b, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~')
			cl_buf_putc(b, (char)c);
		else if (c == ' ')
			cl_buf_putc(b, '+');
		else
			cl_buf_printf(b, "%%%02X", c);
	}
}

static cl_err
on_pair(void *arg, const char *name, size_t nlen, const char *value,
    size_t vlen)
{
	struct tally *t = arg;

	CHECK(name != NULL && value != NULL);
	CHECK(name[nlen] == '\0' && value[vlen] == '\0');
	t->bytes += nlen + vlen;
	cl_buf_printf(&t->pairs, "%zu:", nlen);
	cl_buf_add(&t->pairs, name, nlen);
	cl_buf_printf(&t->pairs, "%zu:", vlen);
	cl_buf_add(&t->pairs, value, vlen);
	if (t->encoded.len > 0)
		cl_buf_putc(&t->encoded, '&');
	encode(&t->encoded, name, nlen);
	cl_buf_putc(&t->encoded, '=');
	encode(&t->encoded, value, vlen);
	return ++t->calls == t->fail_at ? CL_ECLOSED : CL_OK;
}

/* Return whether c is a hex digit.  Cannot fail. */
static int
is_hex(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

/* Return whether every '%' in the n bytes at s starts %XX.  Cannot fail. */
static int
escapes_ok(const uint8_t *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] != '%')
			continue;
		if (i + 2 >= n || !is_hex(s[i + 1]) || !is_hex(s[i + 2]))
			return 0;
		i += 2;
	}
	return 1;
}

static void
tally_free(struct tally *t)
{
	cl_buf_free(&t->pairs);
	cl_buf_free(&t->encoded);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tally t, again, fail;
	cl_err rc;

	memset(&t, 0, sizeof(t));
	memset(&again, 0, sizeof(again));
	memset(&fail, 0, sizeof(fail));

	rc = cl_urlencoded_parse((const char *)data, size, on_pair, &t);
	CHECK(rc == CL_OK || rc == CL_EPARSE);
	CHECK((rc == CL_OK) == escapes_ok(data, size));
	CHECK(t.bytes <= size);
	if (rc != CL_OK) {
		CHECK(t.calls == 0);
		goto out;
	}

	/* Encoding the pairs again and parsing gives the same pairs. */
	rc = cl_urlencoded_parse(cl_buf_str(&t.encoded), t.encoded.len,
	    on_pair, &again);
	CHECK(rc == CL_OK);
	CHECK(again.calls == t.calls);
	CHECK(again.pairs.len == t.pairs.len);
	CHECK(t.pairs.len == 0 ||
	    memcmp(again.pairs.data, t.pairs.data, t.pairs.len) == 0);

	/* A failing callback stops the parse at once. */
	if (t.calls > 0) {
		fail.fail_at = (size > 0 ? data[0] : 0) % t.calls + 1;
		rc = cl_urlencoded_parse((const char *)data, size, on_pair,
		    &fail);
		CHECK(rc == CL_ECLOSED);
		CHECK(fail.calls == fail.fail_at);
	}
out:
	tally_free(&t);
	tally_free(&again);
	tally_free(&fail);
	return 0;
}

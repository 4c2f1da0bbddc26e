/*
 * fuzz_multipart.c: libFuzzer target for the multipart/form-data parser.
 *
 * The input is a body for the fixed boundary BOUNDARY.  It is parsed whole,
 * in two pieces split at an offset taken from its first byte, and in many
 * small pieces; every way must give the same result (codes, parts, data).
 * Each callback checks what it is given, and a last run makes one callback
 * fail to check the error comes back and nothing is called after it.  The
 * input, as a string, is also given to cl_mp_boundary.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callin/alloc.h"
#include "callin/multipart.h"

#define BOUNDARY "fuzzB0undary"

/* Abort, so libFuzzer reports it, when cond is false (NDEBUG-proof). */
#define CHECK(cond) \
	do { \
		if (!(cond)) { \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
			    __LINE__, #cond); \
			abort(); \
		} \
	} while (0)

struct tally {
	uint64_t hash; /* FNV-1a of events and data, split-blind */
	size_t data;   /* data bytes delivered */
	size_t begins;
	size_t ends;
	size_t calls;	/* callbacks made */
	size_t fail_at; /* callback number that fails; 0: none */
	int failed;
};

static void
mix(struct tally *t, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i;

	for (i = 0; i < n; i++) {
		t->hash ^= s[i];
		t->hash *= 1099511628211ULL;
	}
}

/* Count a callback; return CL_EIO when it is the one to fail. */
static cl_err
called(struct tally *t)
{
	CHECK(!t->failed);
	if (++t->calls == t->fail_at) {
		t->failed = 1;
		return CL_EIO;
	}
	return CL_OK;
}

/* Check a header string: no CR, LF; no blank ends for a content type. */
static void
check_str(const char *s, int trimmed)
{
	size_t n = strlen(s);

	CHECK(n < CL_MP_HEADER_MAX);
	CHECK(strchr(s, '\r') == NULL && strchr(s, '\n') == NULL);
	if (trimmed && n > 0) {
		CHECK(s[0] != ' ' && s[0] != '\t');
		CHECK(s[n - 1] != ' ' && s[n - 1] != '\t');
	}
}

static cl_err
on_begin(void *arg, const char *name, const char *filename, const char *ct)
{
	struct tally *t = arg;

	CHECK(t->begins == t->ends);
	CHECK(name != NULL && name[0] != '\0');
	CHECK(strlen(name) <= CL_MP_NAME_MAX);
	check_str(name, 0);
	mix(t, "B", 1);
	mix(t, name, strlen(name) + 1);
	if (filename != NULL) {
		check_str(filename, 0);
		mix(t, filename, strlen(filename) + 1);
	} else
		mix(t, "", 1);
	if (ct != NULL) {
		check_str(ct, 1);
		mix(t, ct, strlen(ct) + 1);
	} else
		mix(t, "", 1);
	t->begins++;
	return called(t);
}

static cl_err
on_data(void *arg, const void *p, size_t n)
{
	struct tally *t = arg;

	CHECK(t->begins == t->ends + 1);
	CHECK(p != NULL && n > 0);
	mix(t, p, n);
	t->data += n;
	return called(t);
}

static cl_err
on_end(void *arg)
{
	struct tally *t = arg;

	CHECK(t->begins == t->ends + 1);
	mix(t, "E", 1);
	t->ends++;
	return called(t);
}

static const cl_mp_callbacks cbs = { on_begin, on_data, on_end };

struct outcome {
	struct tally t;
	cl_err feed; /* the first failing feed, or CL_OK */
	cl_err finish;
};

/*
 * Parse the input fed in pieces: one piece when step is NULL, else pieces
 * whose sizes come from step (nstep bytes, cycled), each 1 to 16 bytes, or
 * split once at cut when nstep is 0 and step is not NULL.
 */
static void
parse(const uint8_t *data, size_t size, const uint8_t *step, size_t nstep,
    size_t cut, size_t fail_at, struct outcome *o)
{
	cl_mp_parser *p;
	size_t at = 0, n, k = 0;
	cl_err rc;

	memset(o, 0, sizeof(*o));
	o->t.hash = 14695981039346656037ULL;
	o->t.fail_at = fail_at;
	p = cl_mp_new(BOUNDARY, &cbs, &o->t);
	while (at < size) {
		if (step == NULL)
			n = size;
		else if (nstep == 0)
			n = at < cut ? cut : size - at;
		else
			n = (size_t)(step[k++ % nstep] % 16) + 1;
		if (n > size - at)
			n = size - at;
		rc = cl_mp_feed(p, data + at, n);
		if (o->feed == CL_OK)
			o->feed = rc;
		CHECK(rc == o->feed); /* dead stays dead */
		at += n;
	}
	o->finish = cl_mp_finish(p);
	cl_mp_free(p);

	CHECK(o->t.data <= size);
	CHECK(o->t.ends <= o->t.begins && o->t.begins <= o->t.ends + 1);
	if (o->feed != CL_OK)
		CHECK(o->finish == o->feed);
	if (o->finish == CL_OK)
		CHECK(o->t.begins == o->t.ends);
	CHECK(o->feed == CL_OK || o->feed == CL_EPARSE ||
	    o->feed == CL_ETOOBIG || o->feed == CL_EIO);
	CHECK(o->finish == CL_OK || o->finish == CL_EPARSE ||
	    o->finish == CL_ETOOBIG || o->finish == CL_EIO);
}

static void
same(const struct outcome *a, const struct outcome *b)
{
	CHECK(a->feed == b->feed);
	CHECK(a->finish == b->finish);
	CHECK(a->t.hash == b->t.hash);
	CHECK(a->t.data == b->t.data);
	CHECK(a->t.begins == b->t.begins);
	CHECK(a->t.ends == b->t.ends);
}

/* Give the input, as a string, to cl_mp_boundary and check its answer. */
static void
boundary(const uint8_t *data, size_t size)
{
	char *ct = cl_strndup((const char *)data, size);
	char out[CL_MP_BOUNDARY_MAX + 1];
	size_t i, n;

	if (cl_mp_boundary(ct, out, sizeof(out)) == CL_OK) {
		n = strlen(out);
		CHECK(n >= 1 && n <= CL_MP_BOUNDARY_MAX && out[n - 1] != ' ');
		for (i = 0; i < n; i++)
			CHECK((out[i] >= 'a' && out[i] <= 'z') ||
			    (out[i] >= 'A' && out[i] <= 'Z') ||
			    (out[i] >= '0' && out[i] <= '9') ||
			    strchr("'()+_,-./:=? ", out[i]) != NULL);
	} else
		CHECK(out[0] == '\0');
	free(ct);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct outcome whole, alt;
	size_t calls;

	parse(data, size, NULL, 0, 0, 0, &whole);

	parse(data, size, data, 0, size > 0 ? data[0] % (size + 1) : 0, 0,
	    &alt);
	same(&whole, &alt);

	if (size > 0) {
		parse(data, size, data, size < 64 ? size : 64, 0, 0, &alt);
		same(&whole, &alt);
	}

	/* Fail one of the callbacks the whole run made. */
	calls = whole.t.calls;
	if (calls > 0 && size > 0) {
		size_t fail_at = data[size - 1] % calls + 1;

		parse(data, size, NULL, 0, 0, fail_at, &alt);
		CHECK(alt.t.calls == fail_at);
		CHECK(alt.feed == CL_EIO && alt.finish == CL_EIO);
	}

	boundary(data, size);
	return 0;
}

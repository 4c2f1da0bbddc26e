/* test_multipart.c: the streaming multipart/form-data parser. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "callin/alloc.h"
#include "callin/buf.h"
#include "callin/multipart.h"

#define B "AaB03x-'()+_,./:=?" /* uses every odd bchar but space */
#define DL "\r\n--" B	       /* a delimiter without its tail */
#define CD(n) "Content-Disposition: form-data; name=\"" n "\"\r\n"
#define FIRST "--" B "\r\n"
#define NEXT "\r\n--" B "\r\n"
#define CLOSE "\r\n--" B "--\r\n"
/* Bytes the parser may hold back: the delimiter, padding and a CR. */
#define HOLD (sizeof(DL) - 1 + CL_MP_PAD_MAX + 1)

/* What the callbacks saw, as one transcript. */
struct rec {
	cl_buf log; /* "<name|filename|type>" data... "<end>" */
	size_t nbegin;
	size_t nend;
	size_t ndata; /* data calls */
	size_t total; /* data bytes */
	int fail_on;  /* 'b', 'd' or 'e': that callback fails */
	cl_err fail_rc;
	int after_fail; /* callbacks made after a failure */
	int failed;
};

/* The outcome of one parse. */
struct result {
	struct rec r;
	cl_err feed; /* first failing feed, or CL_OK */
	cl_err finish;
};

static cl_err
on_begin(void *arg, const char *name, const char *filename, const char *ct)
{
	struct rec *r = arg;

	assert_non_null(name);
	assert_true(name[0] != '\0');
	if (r->failed)
		r->after_fail++;
	r->nbegin++;
	cl_buf_printf(&r->log, "<%s|%s|%s>", name,
	    filename != NULL ? filename : "(null)", ct != NULL ? ct : "(null)");
	if (r->fail_on == 'b') {
		r->failed = 1;
		return r->fail_rc;
	}
	return CL_OK;
}

static cl_err
on_data(void *arg, const void *p, size_t n)
{
	struct rec *r = arg;

	assert_true(n > 0);
	assert_true(r->nbegin == r->nend + 1);
	if (r->failed)
		r->after_fail++;
	r->ndata++;
	r->total += n;
	cl_buf_add(&r->log, p, n);
	if (r->fail_on == 'd') {
		r->failed = 1;
		return r->fail_rc;
	}
	return CL_OK;
}

static cl_err
on_end(void *arg)
{
	struct rec *r = arg;

	if (r->failed)
		r->after_fail++;
	r->nend++;
	cl_buf_puts(&r->log, "<end>");
	if (r->fail_on == 'e') {
		r->failed = 1;
		return r->fail_rc;
	}
	return CL_OK;
}

static const cl_mp_callbacks cbs = { on_begin, on_data, on_end };

/*
 * Parse body (len bytes) fed in pieces that end at the ncuts offsets of cuts
 * (ascending), then the rest, then finish; fill res.
 */
static void
run_cuts(const char *body, size_t len, const size_t *cuts, size_t ncuts,
    struct result *res)
{
	cl_mp_parser *p = cl_mp_new(B, &cbs, &res->r);
	size_t i, at = 0, to;
	cl_err rc;

	res->feed = CL_OK;
	for (i = 0; i <= ncuts; i++) {
		/* cppcheck-suppress nullPointer ; cuts is read only when ncuts > 0 */
		to = i < ncuts ? cuts[i] : len;
		rc = cl_mp_feed(p, body + at, to - at);
		if (res->feed == CL_OK)
			res->feed = rc;
		else
			assert_int_equal(rc, res->feed); /* dead stays dead */
		at = to;
	}
	res->finish = cl_mp_finish(p);
	cl_mp_free(p);
}

static void
result_free(struct result *res)
{
	cl_buf_free(&res->r.log);
}

/* Assert two outcomes are the same. */
static void
same(const struct result *a, const struct result *b)
{
	assert_int_equal(a->feed, b->feed);
	assert_int_equal(a->finish, b->finish);
	assert_int_equal(a->r.nbegin, b->r.nbegin);
	assert_int_equal(a->r.nend, b->r.nend);
	assert_int_equal(a->r.total, b->r.total);
	assert_int_equal(a->r.log.len, b->r.log.len);
	if (a->r.log.len > 0)
		assert_memory_equal(a->r.log.data, b->r.log.data, a->r.log.len);
}

/*
 * Parse body whole, then at every split point, byte by byte and (for short
 * bodies) at every pair of split points, asserting every outcome is the same.
 * Leaves the whole-body outcome in res.
 */
static void
parse_all_ways(const char *body, size_t len, struct result *res)
{
	struct result alt;
	size_t i, j, cuts[2], *every;

	memset(res, 0, sizeof(*res));
	run_cuts(body, len, NULL, 0, res);

	for (i = 0; i <= len; i++) {
		memset(&alt, 0, sizeof(alt));
		cuts[0] = i;
		run_cuts(body, len, cuts, 1, &alt);
		same(res, &alt);
		result_free(&alt);
	}

	every = cl_calloc(len + 1, sizeof(*every));
	for (i = 0; i < len; i++)
		every[i] = i + 1;
	memset(&alt, 0, sizeof(alt));
	run_cuts(body, len, every, len, &alt);
	same(res, &alt);
	result_free(&alt);
	free(every);

	if (len > 400)
		return;
	for (i = 0; i <= len; i++)
		for (j = i; j <= len; j++) {
			memset(&alt, 0, sizeof(alt));
			cuts[0] = i;
			cuts[1] = j;
			run_cuts(body, len, cuts, 2, &alt);
			same(res, &alt);
			result_free(&alt);
		}
}

/* Parse the body all ways; assert the codes and the transcript. */
static void
expect_n(const char *body, size_t len, cl_err feed, cl_err finish,
    const char *log, size_t loglen)
{
	struct result res;

	parse_all_ways(body, len, &res);
	assert_int_equal(res.feed, feed);
	assert_int_equal(res.finish, finish);
	if (log != NULL) {
		assert_int_equal(res.r.log.len, loglen);
		if (loglen > 0)
			assert_memory_equal(res.r.log.data, log, loglen);
	}
	result_free(&res);
}

#define EXPECT_OK(body, log) \
	expect_n((body), sizeof(body) - 1, CL_OK, CL_OK, (log), sizeof(log) - 1)
/* A feed fails with rc (finish then repeats it). */
#define EXPECT_FAIL(body, rc) \
	expect_n((body), sizeof(body) - 1, (rc), (rc), NULL, 0)

static void
test_simple_form(void **state)
{
	(void)state;
	EXPECT_OK(FIRST CD("full_name") "\r\nAda Lovelace" NEXT
		      CD("email") "\r\nada@example.org" NEXT CD(
			  "empty") "\r\n" CLOSE,
	    "<full_name|(null)|(null)>Ada Lovelace<end>"
	    "<email|(null)|(null)>ada@example.org<end>"
	    "<empty|(null)|(null)><end>");
}

static void
test_file_part(void **state)
{
	(void)state;
	EXPECT_OK(
	    FIRST CD(
		"title") "\r\nA title" NEXT
			 "Content-Disposition: form-data; name=\"attachments\"; "
			 "filename=\"minutes 2024.pdf\"\r\n"
			 "Content-Type:   application/pdf  \r\n\r\n"
			 "%PDF-1.7\r\n\0\x01\xff binary\r\n\r\n--not" CLOSE,
	    "<title|(null)|(null)>A title<end>"
	    "<attachments|minutes 2024.pdf|application/pdf>"
	    "%PDF-1.7\r\n\0\x01\xff binary\r\n\r\n--not<end>");
}

static void
test_preamble_and_epilogue(void **state)
{
	(void)state;
	/* The preamble may hold near-misses and CRLFs; the epilogue anything. */
	EXPECT_OK("This is a preamble.\r\n--" B "x\r\n-- " B "\r\n--" NEXT CD(
		      "a") "\r\n1" CLOSE "epilogue\r\n--" B "\r\ngarbage\0",
	    "<a|(null)|(null)>1<end>");
	/* A bare LF before the boundary is not a CRLF: still preamble. */
	EXPECT_OK("\n--" B "\r\n" CD("a") "\r\n1" NEXT CD("b") "\r\n2" CLOSE,
	    "<b|(null)|(null)>2<end>");
	/* The close delimiter at once: no parts, but a complete body. */
	EXPECT_OK("--" B "--", "");
	/* Nothing after the close delimiter is looked at. */
	EXPECT_OK(FIRST CD("a") "\r\nx\r\n--" B "--"
				"\r\n--" B "\r\nbad\n",
	    "<a|(null)|(null)>x<end>");
}

static void
test_every_split_mixed(void **state)
{
	(void)state;
	/* A body with every awkward feature, checked at every split. */
	EXPECT_OK(
	    "pre\r\n\r\n--" B " \t \r\n" CD(
		"a") "\r\n\r\r\n\r\n-\r\n--\r\n--" B "-x\r\n--" B " x"
		     "\r\n--" B "\r\r\n--" B "\t\r\n"
		     "content-disposition: FORM-DATA; NAME=b; filename=\"f.txt\"\r\n"
		     "X-Other: ignored\r\n\r\n"
		     "--" B "\r\n--" B "\r" CLOSE,
	    "<a|(null)|(null)>\r\r\n\r\n-\r\n--\r\n--" B "-x\r\n--" B " x"
	    "\r\n--" B "\r<end>"
	    "<b|f.txt|(null)>--" B "\r\n--" B "\r<end>");
}

static void
test_byte_at_a_time_matches_whole(void **state)
{
	struct result whole, bytes;
	static const char body[] = FIRST CD(
	    "x") "\r\nline 1\r\nline 2\r\n" NEXT
		 "Content-Disposition: form-data; name=\"f\"; filename=\"a.csv\""
		 "\r\nContent-Type: text/csv\r\n\r\na,b\r\n1,2\r\n" CLOSE;
	size_t every[sizeof(body)], i;

	(void)state;
	for (i = 0; i < sizeof(body) - 1; i++)
		every[i] = i + 1;
	memset(&whole, 0, sizeof(whole));
	memset(&bytes, 0, sizeof(bytes));
	run_cuts(body, sizeof(body) - 1, NULL, 0, &whole);
	run_cuts(body, sizeof(body) - 1, every, sizeof(body) - 1, &bytes);
	assert_int_equal(whole.feed, CL_OK);
	assert_int_equal(whole.finish, CL_OK);
	assert_string_equal(cl_buf_str(&whole.r.log),
	    "<x|(null)|(null)>line 1\r\nline 2\r\n<end>"
	    "<f|a.csv|text/csv>a,b\r\n1,2\r\n<end>");
	same(&whole, &bytes);
	/* Fed whole, each part's data comes in one call despite the CRLFs. */
	assert_int_equal(whole.r.ndata, 2);
	result_free(&whole);
	result_free(&bytes);
}

static void
test_boundary_split_across_feeds(void **state)
{
	static const char head[] = FIRST CD("f") "\r\nabc";
	static const char tail[] = "\r\n--" B "\r\n" CD("g") "\r\n"
							     "z" CLOSE;
	struct rec r = { 0 };
	cl_mp_parser *p = cl_mp_new(B, &cbs, &r);
	size_t k;

	(void)state;
	assert_int_equal(cl_mp_feed(p, head, sizeof(head) - 1), CL_OK);
	assert_string_equal(cl_buf_str(&r.log), "<f|(null)|(null)>abc");
	/* Feed the delimiter a byte at a time: nothing is delivered early. */
	for (k = 0; k < sizeof(DL) - 1; k++) {
		assert_int_equal(cl_mp_feed(p, tail + k, 1), CL_OK);
		assert_int_equal(r.total, 3);
		assert_int_equal(r.nend, 0);
	}
	/* CR of the delimiter's CRLF, then its LF. */
	assert_int_equal(cl_mp_feed(p, tail + k, 1), CL_OK);
	assert_int_equal(r.nend, 0);
	assert_int_equal(cl_mp_feed(p, tail + k + 1, 1), CL_OK);
	assert_int_equal(r.nend, 1);
	assert_int_equal(cl_mp_feed(p, tail + k + 2, sizeof(tail) - 3 - k),
	    CL_OK);
	assert_int_equal(cl_mp_finish(p), CL_OK);
	assert_string_equal(cl_buf_str(&r.log),
	    "<f|(null)|(null)>abc<end><g|(null)|(null)>z<end>");
	cl_mp_free(p);
	cl_buf_free(&r.log);
}

static void
test_held_bytes_released(void **state)
{
	static const char head[] = FIRST CD("f") "\r\ndata";
	struct rec r = { 0 };
	cl_mp_parser *p = cl_mp_new(B, &cbs, &r);

	(void)state;
	assert_int_equal(cl_mp_feed(p, head, sizeof(head) - 1), CL_OK);
	/* "\r\n--" at the end of a feed is held back... */
	assert_int_equal(cl_mp_feed(p, "\r\n--", 4), CL_OK);
	assert_int_equal(r.total, 4);
	/* ...and released as data once it cannot be a delimiter. */
	assert_int_equal(cl_mp_feed(p, "-", 1), CL_OK);
	assert_int_equal(r.total, 9);
	/* The same with the whole boundary and a dash. */
	assert_int_equal(cl_mp_feed(p, DL "-", sizeof(DL)), CL_OK);
	assert_int_equal(r.total, 9);
	assert_int_equal(cl_mp_feed(p, "+", 1), CL_OK);
	assert_int_equal(r.total, 9 + sizeof(DL) + 1);
	/* A CR ending a padded tail stays held: it may start a delimiter. */
	assert_int_equal(cl_mp_feed(p, DL "  \r", sizeof(DL) + 2), CL_OK);
	assert_int_equal(r.total, 9 + sizeof(DL) + 1);
	assert_int_equal(cl_mp_feed(p, "\r", 1), CL_OK);
	assert_int_equal(r.total, 9 + sizeof(DL) + 1 + sizeof(DL) + 2);
	assert_int_equal(cl_mp_feed(p, "\n--" B "--", sizeof(B) + 4), CL_OK);
	assert_int_equal(cl_mp_finish(p), CL_OK);
	assert_string_equal(cl_buf_str(&r.log),
	    "<f|(null)|(null)>data\r\n---" DL "-+" DL "  \r<end>");
	cl_mp_free(p);
	cl_buf_free(&r.log);
}

static void
test_crlf_and_dashes_near_end(void **state)
{
	(void)state;
	EXPECT_OK(FIRST CD("a") "\r\nx\r" CLOSE, "<a|(null)|(null)>x\r<end>");
	EXPECT_OK(FIRST CD("a") "\r\nx\r\n" CLOSE,
	    "<a|(null)|(null)>x\r\n<end>");
	EXPECT_OK(FIRST CD("a") "\r\nx\r\n-" CLOSE,
	    "<a|(null)|(null)>x\r\n-<end>");
	EXPECT_OK(FIRST CD("a") "\r\nx\r\n--" CLOSE,
	    "<a|(null)|(null)>x\r\n--<end>");
	EXPECT_OK(FIRST CD("a") "\r\nx\r\n--AaB" CLOSE,
	    "<a|(null)|(null)>x\r\n--AaB<end>");
	EXPECT_OK(FIRST CD("a") "\r\n--" CLOSE, "<a|(null)|(null)>--<end>");
	EXPECT_OK(FIRST CD("a") "\r\n\r\n" CLOSE, "<a|(null)|(null)>\r\n<end>");
	/* The close delimiter right at the end of the body, no CRLF after. */
	EXPECT_OK(FIRST CD("a") "\r\nx\r\n--" B "--",
	    "<a|(null)|(null)>x<end>");
	/* A body ending inside the close delimiter is truncated. */
	expect_n(FIRST CD("a") "\r\nx\r\n--" B "-",
	    sizeof(FIRST CD("a") "\r\nx\r\n--" B "-") - 1, CL_OK, CL_EPARSE,
	    "<a|(null)|(null)>x", 18);
}

static void
test_boundary_not_after_crlf(void **state)
{
	(void)state;
	EXPECT_OK(FIRST CD("a") "\r\n--" B "\r\nx--" B "--\r\n\n--" B
				"\r\n\r--" B "\r\n" CLOSE,
	    "<a|(null)|(null)>--" B "\r\nx--" B "--\r\n\n--" B "\r\n\r--" B
	    "\r\n<end>");
}

static void
test_near_miss_in_file_data(void **state)
{
	(void)state;
	EXPECT_OK(FIRST "Content-Disposition: form-data; name=f; filename=x.bin"
			"\r\n\r\n"
			"\r\n--AaB03x-'()+_,./:=!\r\n" /* last byte differs */
			"\r\n--" B "X\r\n"	       /* longer boundary */
			"\r\n--" B " x\r\n" /* padding then not CRLF */
			"\r\n--" B "-\r\n"  /* one dash only */
			"\r\n--" B "\r\r\n" /* CR not followed by LF */
			"\r\n--" B "\n"	    /* bare LF */
			"\r\r\n-"
			"\r\n\r\n--" B "\r" CLOSE,
	    "<f|x.bin|(null)>"
	    "\r\n--AaB03x-'()+_,./:=!\r\n"
	    "\r\n--" B "X\r\n"
	    "\r\n--" B " x\r\n"
	    "\r\n--" B "-\r\n"
	    "\r\n--" B "\r\r\n"
	    "\r\n--" B "\n"
	    "\r\r\n-"
	    "\r\n\r\n--" B "\r<end>");
}

static void
test_transport_padding(void **state)
{
	char body[512], want[512];
	int n, w;

	(void)state;
	EXPECT_OK("--" B " \t\r\n" CD("a") "\r\n1\r\n--" B
					   "\t \r\n" CD("b") "\r\n2" CLOSE,
	    "<a|(null)|(null)>1<end><b|(null)|(null)>2<end>");
	/* CL_MP_PAD_MAX blanks are padding; one more makes it data. */
	n = snprintf(body, sizeof(body),
	    FIRST CD("a") "\r\nx" DL "%*s\r\n" CD("b") "\r\ny" CLOSE,
	    CL_MP_PAD_MAX, "");
	expect_n(body, (size_t)n, CL_OK, CL_OK,
	    "<a|(null)|(null)>x<end><b|(null)|(null)>y<end>",
	    sizeof("<a|(null)|(null)>x<end><b|(null)|(null)>y<end>") - 1);
	n = snprintf(body, sizeof(body),
	    FIRST CD("a") "\r\nx" DL "%*s\r\n" CLOSE, CL_MP_PAD_MAX + 1, "");
	w = snprintf(want, sizeof(want), "<a|(null)|(null)>x" DL "%*s\r\n<end>",
	    CL_MP_PAD_MAX + 1, "");
	expect_n(body, (size_t)n, CL_OK, CL_OK, want, (size_t)w);
}

static void
test_truncated_body(void **state)
{
	static const char body[] = FIRST CD(
	    "a") "\r\nhello" NEXT
		 "Content-Disposition: form-data; name=\"f\"; filename=\"t.txt\"\r\n"
		 "\r\nworld" CLOSE;
	struct result res;
	size_t cut;

	(void)state;
	/* Every strict prefix short of the close delimiter is truncated. */
	for (cut = 0; cut < sizeof(body) - 3; cut++) {
		memset(&res, 0, sizeof(res));
		run_cuts(body, cut, NULL, 0, &res);
		assert_int_equal(res.feed, CL_OK);
		assert_int_equal(res.finish, CL_EPARSE);
		/* An open part is not ended at finish. */
		assert_true(res.r.nend <= res.r.nbegin);
		assert_true(res.r.nbegin - res.r.nend <= 1);
		result_free(&res);
	}
	/* Only at the close delimiter does it complete. */
	memset(&res, 0, sizeof(res));
	run_cuts(body, sizeof(body) - 3, NULL, 0, &res);
	assert_int_equal(res.finish, CL_OK);
	assert_int_equal(res.r.nend, 2);
	result_free(&res);
}

static void
test_missing_close_boundary(void **state)
{
	(void)state;
	/* Every part complete, but no close delimiter. */
	expect_n(FIRST CD("a") "\r\n1" NEXT CD("b") "\r\n2" NEXT,
	    sizeof(FIRST CD("a") "\r\n1" NEXT CD("b") "\r\n2" NEXT) - 1, CL_OK,
	    CL_EPARSE, "<a|(null)|(null)>1<end><b|(null)|(null)>2<end>", 46);
	/* The body of the last part, then nothing. */
	expect_n(FIRST CD("a") "\r\n1\r\n",
	    sizeof(FIRST CD("a") "\r\n1\r\n") - 1, CL_OK, CL_EPARSE,
	    "<a|(null)|(null)>1", 18);
	/* No boundary at all, or an empty body. */
	expect_n("a=1&b=2", 7, CL_OK, CL_EPARSE, "", 0);
	expect_n("", 0, CL_OK, CL_EPARSE, "", 0);
	/* A delimiter for another boundary. */
	expect_n("--AaB03y\r\n" CD("a") "\r\n1\r\n--AaB03y--\r\n",
	    sizeof("--AaB03y\r\n" CD("a") "\r\n1\r\n--AaB03y--\r\n") - 1, CL_OK,
	    CL_EPARSE, "", 0);
}

static void
test_malformed_headers(void **state)
{
	(void)state;
	/* No name parameter, or an empty one. */
	EXPECT_FAIL(FIRST "Content-Disposition: form-data\r\n\r\nx" CLOSE,
	    CL_EPARSE);
	EXPECT_FAIL(FIRST "Content-Disposition: form-data; filename=\"a\"\r\n"
			  "\r\nx" CLOSE,
	    CL_EPARSE);
	EXPECT_FAIL(FIRST CD("") "\r\nx" CLOSE, CL_EPARSE);
	/* No Content-Disposition, or no headers at all. */
	EXPECT_FAIL(FIRST "Content-Type: text/plain\r\n\r\nx" CLOSE, CL_EPARSE);
	EXPECT_FAIL(FIRST "\r\nx" CLOSE, CL_EPARSE);
	/* Another disposition type. */
	EXPECT_FAIL(FIRST
	    "Content-Disposition: attachment; name=a\r\n\r\nx" CLOSE,
	    CL_EPARSE);
	EXPECT_FAIL(FIRST
	    "Content-Disposition: form-datax; name=a\r\n\r\nx" CLOSE,
	    CL_EPARSE);
	/* Bare CR inside a parameter, bare LF line ends, NUL. */
	EXPECT_FAIL(FIRST "Content-Disposition: form-data; name=\"a\rb\"\r\n"
			  "\r\nx" CLOSE,
	    CL_EPARSE);
	EXPECT_FAIL(FIRST "Content-Disposition: form-data; name=\"a\"; "
			  "filename=\"a\rb.txt\"\r\n\r\nx" CLOSE,
	    CL_EPARSE);
	EXPECT_FAIL(FIRST "Content-Disposition: form-data; name=a\n\r\nx" CLOSE,
	    CL_EPARSE);
	EXPECT_FAIL(FIRST CD("a") "\nx" CLOSE, CL_EPARSE);
	EXPECT_FAIL(FIRST "Content-Disposition: form-data; name=\"a\0b\"\r\n"
			  "\r\nx" CLOSE,
	    CL_EPARSE);
	/* Syntax: unterminated quote, junk, no colon, space before colon. */
	EXPECT_FAIL(FIRST
	    "Content-Disposition: form-data; name=\"a\r\n\r\nx" CLOSE,
	    CL_EPARSE);
	EXPECT_FAIL(FIRST "Content-Disposition: form-data; name=\"a\\\"\r\n"
			  "\r\nx" CLOSE,
	    CL_EPARSE);
	EXPECT_FAIL(FIRST
	    "Content-Disposition: form-data; name=a b\r\n\r\nx" CLOSE,
	    CL_EPARSE);
	EXPECT_FAIL(FIRST
	    "Content-Disposition: form-data name=a\r\n\r\nx" CLOSE,
	    CL_EPARSE);
	EXPECT_FAIL(FIRST
	    "Content-Disposition: form-data; name=\r\n\r\nx" CLOSE,
	    CL_EPARSE);
	EXPECT_FAIL(FIRST "Content-Disposition: form-data; =a\r\n\r\nx" CLOSE,
	    CL_EPARSE);
	EXPECT_FAIL(FIRST
	    "Content-Disposition: form-data;; name=a\r\n\r\nx" CLOSE,
	    CL_EPARSE);
	EXPECT_FAIL(FIRST
	    "Content-Disposition form-data; name=a\r\n\r\nx" CLOSE,
	    CL_EPARSE);
	EXPECT_FAIL(FIRST
	    "Content-Disposition : form-data; name=a\r\n\r\nx" CLOSE,
	    CL_EPARSE);
	EXPECT_FAIL(FIRST CD("a") ": x\r\n\r\nx" CLOSE, CL_EPARSE);
	/* A folded (obsolete) continuation line. */
	EXPECT_FAIL(FIRST CD("a") " folded\r\n\r\nx" CLOSE, CL_EPARSE);
	/* Repeats. */
	EXPECT_FAIL(FIRST CD("a") CD("b") "\r\nx" CLOSE, CL_EPARSE);
	EXPECT_FAIL(FIRST "Content-Disposition: form-data; name=a; name=b\r\n"
			  "\r\nx" CLOSE,
	    CL_EPARSE);
	EXPECT_FAIL(FIRST "Content-Disposition: form-data; name=a; "
			  "filename=x; filename=y\r\n\r\nx" CLOSE,
	    CL_EPARSE);
	EXPECT_FAIL(FIRST CD("a") "Content-Type: a/b\r\ncontent-type: c/d\r\n"
				  "\r\nx" CLOSE,
	    CL_EPARSE);
	/* A malformed second part, after a good first one. */
	expect_n(FIRST CD("a") "\r\n1" NEXT "Content-Disposition: form-data\r\n"
			       "\r\n2" CLOSE,
	    sizeof(
		FIRST CD("a") "\r\n1" NEXT
			      "Content-Disposition: form-data\r\n\r\n2" CLOSE) -
		1,
	    CL_EPARSE, CL_EPARSE, "<a|(null)|(null)>1<end>", 23);
}

static void
test_header_limits(void **state)
{
	cl_buf b = CL_BUF_INIT;
	int i;

	(void)state;
	/* 16 header lines are fine, 17 too many. */
	cl_buf_puts(&b, FIRST CD("a"));
	for (i = 1; i < CL_MP_HEADER_LINES; i++)
		cl_buf_printf(&b, "X-H%d: v\r\n", i);
	cl_buf_puts(&b, "\r\nx" CLOSE);
	expect_n(b.data, b.len, CL_OK, CL_OK, "<a|(null)|(null)>x<end>", 23);
	cl_buf_reset(&b);
	cl_buf_puts(&b, FIRST CD("a"));
	for (i = 0; i < CL_MP_HEADER_LINES; i++)
		cl_buf_printf(&b, "X-H%d: v\r\n", i);
	cl_buf_puts(&b, "\r\nx" CLOSE);
	expect_n(b.data, b.len, CL_ETOOBIG, CL_ETOOBIG, "", 0);

	/* A block of exactly CL_MP_HEADER_MAX bytes is fine, one more not. */
	cl_buf_reset(&b);
	cl_buf_puts(&b, FIRST "X-Long: ");
	while (b.len < sizeof(FIRST) - 1 + CL_MP_HEADER_MAX -
		(sizeof("\r\n" CD("a") "\r\n") - 1))
		cl_buf_putc(&b, 'v');
	cl_buf_puts(&b, "\r\n" CD("a") "\r\n");
	assert_int_equal(b.len, sizeof(FIRST) - 1 + CL_MP_HEADER_MAX);
	cl_buf_puts(&b, "x" CLOSE);
	{
		struct result res;

		memset(&res, 0, sizeof(res));
		run_cuts(b.data, b.len, NULL, 0, &res);
		assert_int_equal(res.feed, CL_OK);
		assert_int_equal(res.finish, CL_OK);
		assert_string_equal(cl_buf_str(&res.r.log),
		    "<a|(null)|(null)>x<end>");
		result_free(&res);
	}
	cl_buf_reset(&b);
	cl_buf_puts(&b, FIRST "X-Long: ");
	while (b.len < sizeof(FIRST) - 1 + CL_MP_HEADER_MAX -
		(sizeof("\r\n" CD("a") "\r\n") - 1))
		cl_buf_putc(&b, 'v');
	cl_buf_putc(&b, 'v');
	cl_buf_puts(&b, "\r\n" CD("a") "\r\nx" CLOSE);
	{
		struct result res;

		memset(&res, 0, sizeof(res));
		run_cuts(b.data, b.len, NULL, 0, &res);
		assert_int_equal(res.feed, CL_ETOOBIG);
		assert_int_equal(res.r.nbegin, 0);
		result_free(&res);
	}
	/* A header line with no end at all stops at the cap too. */
	cl_buf_reset(&b);
	cl_buf_puts(&b, FIRST "X-Long: ");
	for (i = 0; i < 3 * CL_MP_HEADER_MAX; i++)
		cl_buf_putc(&b, 'v');
	{
		struct result res;

		memset(&res, 0, sizeof(res));
		run_cuts(b.data, b.len, NULL, 0, &res);
		assert_int_equal(res.feed, CL_ETOOBIG);
		result_free(&res);
	}

	/* Names: CL_MP_NAME_MAX bytes are fine, one more too long. */
	cl_buf_reset(&b);
	cl_buf_puts(&b, FIRST "Content-Disposition: form-data; name=\"");
	for (i = 0; i < CL_MP_NAME_MAX; i++)
		cl_buf_putc(&b, 'n');
	cl_buf_puts(&b, "\"\r\n\r\nx" CLOSE);
	{
		struct result res;

		memset(&res, 0, sizeof(res));
		run_cuts(b.data, b.len, NULL, 0, &res);
		assert_int_equal(res.finish, CL_OK);
		assert_int_equal(res.r.nbegin, 1);
		result_free(&res);
	}
	cl_buf_reset(&b);
	cl_buf_puts(&b, FIRST "Content-Disposition: form-data; name=\"");
	for (i = 0; i <= CL_MP_NAME_MAX; i++)
		cl_buf_putc(&b, 'n');
	cl_buf_puts(&b, "\"\r\n\r\nx" CLOSE);
	{
		struct result res;

		memset(&res, 0, sizeof(res));
		run_cuts(b.data, b.len, NULL, 0, &res);
		assert_int_equal(res.feed, CL_ETOOBIG);
		result_free(&res);
	}
	cl_buf_free(&b);
}

static void
test_quoted_names_and_case(void **state)
{
	(void)state;
	/* Backslash escapes '"' and '\'; before anything else it is kept. */
	EXPECT_OK(FIRST "Content-Disposition: form-data; name=\"a\\\"b\\\\c\"; "
			"filename=\"C:\\dir\\f \\\"1\\\".txt\"\r\n\r\nx" CLOSE,
	    "<a\"b\\c|C:\\dir\\f \"1\".txt|(null)>x<end>");
	/* Token values, any case, no spaces, odd spacing, other parameters. */
	EXPECT_OK(FIRST "CONTENT-DISPOSITION:Form-Data;NAME=tok-en.1;x=y;"
			"FileName=\"\xc3\xa9t\xc3\xa9 ; = .png\" ;\r\n"
			"content-TYPE: image/png; q=\"1\"\r\n\r\nx" CLOSE,
	    "<tok-en.1|\xc3\xa9t\xc3\xa9 ; = .png|image/png; q=\"1\">x<end>");
	EXPECT_OK(FIRST "Content-Disposition: form-data ; name = \"a\" ; "
			"filename*=UTF-8''x.txt\r\n\r\nx" CLOSE,
	    "<a|(null)|(null)>x<end>");
	/* Field names with what browsers escape in them. */
	EXPECT_OK(FIRST CD("decision_date-day") "\r\n01" NEXT CD(
		      "a%22b%0D%0A") "\r\n2" CLOSE,
	    "<decision_date-day|(null)|(null)>01<end>"
	    "<a%22b%0D%0A|(null)|(null)>2<end>");
}

static void
test_empty_filename(void **state)
{
	(void)state;
	/* An empty file input: filename "" (not NULL) and no data. */
	EXPECT_OK(
	    FIRST CD(
		"a") "\r\n1" NEXT
		     "Content-Disposition: form-data; name=\"attachments\"; "
		     "filename=\"\"\r\nContent-Type: application/octet-stream\r\n\r\n" CLOSE,
	    "<a|(null)|(null)>1<end>"
	    "<attachments||application/octet-stream><end>");
	/* An empty Content-Type is passed as "". */
	EXPECT_OK(FIRST CD("a") "Content-Type:  \r\n\r\n1" CLOSE,
	    "<a|(null)|>1<end>");
}

/* Run the body with the given callback failing; check propagation. */
static void
check_fail(int on, cl_err want, size_t nbegin, size_t nend)
{
	static const char body[] = FIRST CD("a") "\r\n1" NEXT CD(
	    "b") "\r\n2" CLOSE;
	struct rec r = { 0 };
	cl_mp_parser *p;

	r.fail_on = on;
	r.fail_rc = want;
	p = cl_mp_new(B, &cbs, &r);
	assert_int_equal(cl_mp_feed(p, body, sizeof(body) - 1), want);
	/* Dead: the same error again, and no more callbacks. */
	assert_int_equal(cl_mp_feed(p, body, sizeof(body) - 1), want);
	assert_int_equal(cl_mp_finish(p), want);
	assert_int_equal(r.after_fail, 0);
	assert_int_equal(r.nbegin, nbegin);
	assert_int_equal(r.nend, nend);
	cl_mp_free(p);
	cl_buf_free(&r.log);
}

static void
test_callback_error_propagates(void **state)
{
	(void)state;
	check_fail('b', CL_ETYPE, 1, 0);
	check_fail('d', CL_ETOOBIG, 1, 0);
	check_fail('e', CL_EIO, 1, 1);
}

static void
test_large_part_streamed(void **state)
{
	const size_t size = 1024 * 1024, chunk = 4096;
	static const char head[] = FIRST
	    "Content-Disposition: form-data; "
	    "name=\"attachments\"; filename=\"big.csv\"\r\n\r\n";
	cl_buf body = CL_BUF_INIT, want = CL_BUF_INIT;
	struct rec r = { 0 };
	cl_mp_parser *p = cl_mp_new(B, &cbs, &r);
	size_t at, n, fed = 0, hlen = sizeof(head) - 1, feeds = 0;
	unsigned x = 12345;

	(void)state;
	/* CSV-like lines, CRLFs and near-miss delimiters among them. */
	cl_buf_puts(&body, head);
	while (body.len < hlen + size) {
		x = x * 1103515245 + 12345;
		switch ((x >> 16) % 4) {
		case 0:
			cl_buf_puts(&body,
			    "\r\n--"
			    "AaB03x-'()+_");
			break;
		case 1: cl_buf_puts(&body, DL " x"); break;
		default:
			cl_buf_printf(&body, "%u,%u,some text\r\n", x, x >> 3);
			break;
		}
	}
	cl_buf_add(&want, body.data + hlen, body.len - hlen);
	cl_buf_puts(&body, CLOSE);

	for (at = 0; at < body.len; at += n) {
		n = body.len - at < chunk ? body.len - at : chunk;
		assert_int_equal(cl_mp_feed(p, body.data + at, n), CL_OK);
		fed += n;
		feeds++;
		/* Data arrives as it is fed, never more than HOLD behind. */
		if (fed > hlen && at + n < hlen + want.len)
			assert_true(r.total + HOLD >= fed - hlen);
	}
	assert_int_equal(cl_mp_finish(p), CL_OK);
	assert_int_equal(r.nend, 1);
	assert_int_equal(r.total, want.len);
	/* The transcript is the header marker, all the data, the end. */
	assert_int_equal(r.log.len,
	    sizeof("<attachments|big.csv|(null)>") - 1 + want.len + 5);
	assert_memory_equal(r.log.data +
		sizeof("<attachments|big.csv|(null)>") - 1,
	    want.data, want.len);
	/* Data comes in a few calls per feed, not one per line. */
	assert_true(r.ndata <= 3 * feeds);
	cl_mp_free(p);
	cl_buf_free(&r.log);
	cl_buf_free(&body);
	cl_buf_free(&want);
}

static void
test_boundary_param(void **state)
{
	char out[CL_MP_BOUNDARY_MAX + 1], b71[80], ct[120];
	static const char *const bad[] = {
		"multipart/mixed; boundary=x",
		"text/plain; boundary=x",
		"application/x-www-form-urlencoded",
		"multipart/form-data",
		"multipart/form-data;",
		"multipart/form-data; boundary=",
		"multipart/form-data; boundary=\"\"",
		"multipart/form-data; boundary=\"x \"",
		"multipart/form-data; boundary=\"a@b\"",
		"multipart/form-data; boundary=\"a\\\"b\"",
		"multipart/form-data; boundary=a@b",
		"multipart/form-data; boundary=a b",
		"multipart/form-data; boundary=\"a",
		"multipart/form-data; boundary=x; boundary=y",
		"multipart/form-data; boundary=\"a\r\nb\"",
		"multipart/form-data; boundary=\"\xc3\xa9\"",
		"multipart/form-datax; boundary=x",
		"multipart /form-data; boundary=x",
		"multipart/form-data boundary=x",
		"",
	};
	size_t i;

	(void)state;
	assert_int_equal(cl_mp_boundary("multipart/form-data; boundary=AaB03x",
			     out, sizeof(out)),
	    CL_OK);
	assert_string_equal(out, "AaB03x");
	assert_int_equal(
	    cl_mp_boundary(
		"multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW",
		out, sizeof(out)),
	    CL_OK);
	assert_string_equal(out, "----WebKitFormBoundary7MA4YWxkTrZu0gW");
	assert_int_equal(
	    cl_mp_boundary(
		"  Multipart/Form-Data ;charset=utf-8;  BOUNDARY=\"a b:c?(d)\" ",
		out, sizeof(out)),
	    CL_OK);
	assert_string_equal(out, "a b:c?(d)");
	assert_int_equal(
	    cl_mp_boundary(
		"multipart/form-data;boundary=\"x\";charset=\"utf-8\"", out,
		sizeof(out)),
	    CL_OK);
	assert_string_equal(out, "x");

	/* 70 characters is the most. */
	memset(b71, 'b', 71);
	b71[71] = '\0';
	snprintf(ct, sizeof(ct), "multipart/form-data; boundary=%.70s", b71);
	assert_int_equal(cl_mp_boundary(ct, out, sizeof(out)), CL_OK);
	assert_int_equal(strlen(out), 70);
	snprintf(ct, sizeof(ct), "multipart/form-data; boundary=%s", b71);
	assert_int_equal(cl_mp_boundary(ct, out, sizeof(out)), CL_EPARSE);
	assert_string_equal(out, "");

	/* Wrong types, missing, empty, bad characters, bad syntax. */

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		out[0] = 'z';
		assert_int_equal(cl_mp_boundary(bad[i], out, sizeof(out)),
		    CL_EPARSE);
		assert_string_equal(out, "");
	}
	assert_int_equal(cl_mp_boundary(NULL, out, sizeof(out)), CL_EPARSE);
	/* out too small to hold it. */
	assert_int_equal(cl_mp_boundary("multipart/form-data; boundary=abcd",
			     out, 4),
	    CL_EINVAL);
	assert_int_equal(cl_mp_boundary("multipart/form-data; boundary=abc",
			     out, 4),
	    CL_OK);
	assert_string_equal(out, "abc");
}

static void
test_bad_boundary_given(void **state)
{
	struct rec r = { 0 };
	cl_mp_parser *p;
	char b71[72];

	(void)state;
	p = cl_mp_new("", &cbs, &r);
	assert_int_equal(cl_mp_feed(p, "--\r\n", 4), CL_EINVAL);
	assert_int_equal(cl_mp_finish(p), CL_EINVAL);
	cl_mp_free(p);
	p = cl_mp_new("a\r\nb", &cbs, &r);
	assert_int_equal(cl_mp_feed(p, "x", 1), CL_EINVAL);
	cl_mp_free(p);
	memset(b71, 'b', 71);
	b71[71] = '\0';
	p = cl_mp_new(b71, &cbs, &r);
	assert_int_equal(cl_mp_feed(p, "x", 1), CL_EINVAL);
	cl_mp_free(p);
	p = cl_mp_new(NULL, &cbs, &r);
	assert_int_equal(cl_mp_finish(p), CL_EINVAL);
	cl_mp_free(p);
	cl_mp_free(NULL);
	assert_int_equal(r.nbegin, 0);
}

static void
test_null_callbacks_and_empty_feeds(void **state)
{
	static const cl_mp_callbacks none = { NULL, NULL, NULL };
	static const char body[] = FIRST CD("a") "\r\n1" CLOSE;
	cl_mp_parser *p = cl_mp_new(B, &none, NULL);

	(void)state;
	assert_int_equal(cl_mp_feed(p, NULL, 0), CL_OK);
	assert_int_equal(cl_mp_feed(p, body, sizeof(body) - 1), CL_OK);
	assert_int_equal(cl_mp_feed(p, "more", 4), CL_OK);
	assert_int_equal(cl_mp_finish(p), CL_OK);
	cl_mp_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple_form),
		cmocka_unit_test(test_file_part),
		cmocka_unit_test(test_preamble_and_epilogue),
		cmocka_unit_test(test_every_split_mixed),
		cmocka_unit_test(test_byte_at_a_time_matches_whole),
		cmocka_unit_test(test_boundary_split_across_feeds),
		cmocka_unit_test(test_held_bytes_released),
		cmocka_unit_test(test_crlf_and_dashes_near_end),
		cmocka_unit_test(test_boundary_not_after_crlf),
		cmocka_unit_test(test_near_miss_in_file_data),
		cmocka_unit_test(test_transport_padding),
		cmocka_unit_test(test_truncated_body),
		cmocka_unit_test(test_missing_close_boundary),
		cmocka_unit_test(test_malformed_headers),
		cmocka_unit_test(test_header_limits),
		cmocka_unit_test(test_quoted_names_and_case),
		cmocka_unit_test(test_empty_filename),
		cmocka_unit_test(test_callback_error_propagates),
		cmocka_unit_test(test_large_part_streamed),
		cmocka_unit_test(test_boundary_param),
		cmocka_unit_test(test_bad_boundary_given),
		cmocka_unit_test(test_null_callbacks_and_empty_feeds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * multipart.c: streaming multipart/form-data parser (RFC 7578, RFC 2046).
 *
 * The body is scanned for CR.  Bytes before a CR are part data (or preamble)
 * for certain; from a CR on, the bytes are a candidate delimiter, copied into
 * the lookbehind lb, until they either complete a delimiter or stop matching.
 * Because a boundary holds no CR, the only CR in a candidate that could start
 * another is its first, or its last when it ends in "padding CR"; but that
 * one is followed by LF exactly when the candidate succeeds.  So a failed
 * candidate is all data and the next can only start at the byte that broke
 * it: no byte is looked at more than twice, and the lookbehind never exceeds
 * the delimiter plus CL_MP_PAD_MAX + 1 bytes.
 *
 * Within one feed, data runs are delivered straight from the caller's buffer:
 * a candidate that starts and fails inside the same buffer is simply part of
 * the run, so a CRLF in a text file does not split the data callbacks.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "callin/alloc.h"
#include "callin/multipart.h"

#define DELIM_MAX (4 + CL_MP_BOUNDARY_MAX) /* CRLF "--" boundary */

enum mp_state {
	ST_PREAMBLE, /* before the first delimiter: bytes dropped */
	ST_HEADERS,  /* in a part's header block */
	ST_BODY,     /* in a part's body: bytes delivered */
	ST_EPILOGUE, /* after the close delimiter: bytes dropped */
};

enum mp_match {
	M_PAT,	 /* lb holds the first lblen bytes of delim */
	M_AFTER, /* lb holds all of delim */
	M_DASH,	 /* ... then one '-' */
	M_PAD,	 /* ... then transport padding */
	M_CR,	 /* ... then (padding and) a CR */
};

enum mp_step {
	R_MORE,	 /* the byte extends the candidate */
	R_MISS,	 /* the byte breaks the candidate; look at it afresh */
	R_DELIM, /* the byte completes a delimiter */
	R_CLOSE, /* the byte completes the close delimiter */
};

struct cl_mp_parser {
	cl_mp_callbacks cb;
	void *arg;
	cl_err err; /* sticky: CL_OK while alive */
	enum mp_state state;
	enum mp_match match;
	char delim[DELIM_MAX];
	size_t dlen;
	unsigned char lb[DELIM_MAX + CL_MP_PAD_MAX + 1];
	size_t lblen; /* 0: no candidate */

	/* The current part's header block. */
	size_t hbytes; /* bytes of the block so far */
	int nlines;    /* header lines so far */
	bool cr;       /* the last byte was a CR */
	bool have_cd;
	bool have_name;
	bool have_file;
	bool have_ctype;
	size_t linelen;
	char line[CL_MP_HEADER_MAX];
	char name[CL_MP_NAME_MAX + 1];
	char filename[CL_MP_HEADER_MAX];
	char ctype[CL_MP_HEADER_MAX];
};

/* Return whether c is an RFC 7230 tchar.  Cannot fail. */
static bool
is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Return whether c may appear in a boundary (RFC 2046 bchars).  Cannot fail. */
static bool
is_bchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("'()+_,-./:=? ", c) != NULL;
}

/* Return whether the n bytes of b are a valid boundary.  Cannot fail. */
static bool
boundary_ok(const char *b, size_t n)
{
	size_t i;

	if (n == 0 || n > CL_MP_BOUNDARY_MAX || b[n - 1] == ' ')
		return false;
	for (i = 0; i < n; i++)
		if (!is_bchar((unsigned char)b[i]))
			return false;
	return true;
}

/* Return s past any spaces and tabs before end.  Cannot fail. */
static const char *
ows(const char *s, const char *end)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	return s;
}

/* Return s past any tchars before end.  Cannot fail. */
static const char *
token(const char *s, const char *end)
{
	while (s < end && is_tchar((unsigned char)*s))
		s++;
	return s;
}

/*
 * Return whether the n bytes at s equal the lower-case ASCII literal lit,
 * ignoring ASCII case.  Cannot fail.
 */
static bool
span_eq(const char *s, size_t n, const char *lit)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (lit[i] == '\0' || c != (unsigned char)lit[i])
			return false;
	}
	return lit[n] == '\0';
}

/*
 * Read the parameter at *sp in a header value: OWS ";" OWS name OWS "=" OWS
 * value, the value a token or a quoted string.  At the end of the header
 * value (a trailing ";" allowed) *name is NULL; otherwise name/nlen is the
 * parameter name and raw/rawlen its value as written, quotes included, and
 * *sp moves past it.  Fails with CL_EPARSE on anything else.
 */
static cl_err
param_next(const char **sp, const char *end, const char **name, size_t *nlen,
    const char **raw, size_t *rawlen)
{
	const char *s = ows(*sp, end), *v;

	*name = NULL;
	if (s == end)
		goto done;
	if (*s != ';')
		return CL_EPARSE;
	s = ows(s + 1, end);
	if (s == end)
		goto done;
	v = s;
	s = token(s, end);
	if (s == v)
		return CL_EPARSE;
	*name = v;
	*nlen = (size_t)(s - v);
	s = ows(s, end);
	if (s == end || *s != '=')
		return CL_EPARSE;
	s = ows(s + 1, end);
	v = s;
	if (s < end && *s == '"') {
		for (s++; s < end && *s != '"'; s++)
			if (*s == '\\' && s + 1 < end &&
			    (s[1] == '"' || s[1] == '\\'))
				s++;
		if (s == end)
			return CL_EPARSE;
		s++;
	} else {
		s = token(s, end);
		if (s == v)
			return CL_EPARSE;
	}
	*raw = v;
	*rawlen = (size_t)(s - v);
done:
	*sp = s;
	return CL_OK;
}

/*
 * Decode a parameter value as param_next found it into out (cap bytes, NUL
 * included), setting *len.  In a quoted string a backslash escapes a
 * following '"' or '\' and is kept before any other byte.  Fails with
 * CL_EPARSE when the value holds NUL, CR or LF, CL_ETOOBIG when it does not
 * fit.
 */
static cl_err
value_decode(const char *raw, size_t rawlen, char *out, size_t cap, size_t *len)
{
	const char *s = raw, *e = raw + rawlen;
	size_t n = 0;

	*len = 0;
	out[0] = '\0';
	if (rawlen >= 2 && raw[0] == '"') {
		s++;
		e--;
	}
	for (; s < e; s++) {
		char c = *s;

		if (c == '\\' && s + 1 < e && (s[1] == '"' || s[1] == '\\'))
			c = *++s;
		if (c == '\0' || c == '\r' || c == '\n')
			return CL_EPARSE;
		if (n + 1 >= cap)
			return CL_ETOOBIG;
		out[n++] = c;
	}
	out[n] = '\0';
	*len = n;
	return CL_OK;
}

cl_err
cl_mp_boundary(const char *content_type, char *out, size_t outlen)
{
	char b[CL_MP_BOUNDARY_MAX + 1];
	const char *s, *end, *t, *pn, *raw;
	size_t pnl, rawl, len = 0;
	bool found = false;

	if (outlen > 0)
		out[0] = '\0';
	if (content_type == NULL)
		return CL_EPARSE;
	end = content_type + strlen(content_type);
	t = ows(content_type, end);
	s = token(t, end);
	if (!span_eq(t, (size_t)(s - t), "multipart") || s == end || *s != '/')
		return CL_EPARSE;
	t = s + 1;
	s = token(t, end);
	if (!span_eq(t, (size_t)(s - t), "form-data"))
		return CL_EPARSE;
	for (;;) {
		if (param_next(&s, end, &pn, &pnl, &raw, &rawl) != CL_OK)
			return CL_EPARSE;
		if (pn == NULL)
			break;
		if (!span_eq(pn, pnl, "boundary"))
			continue;
		if (found)
			return CL_EPARSE;
		found = true;
		if (value_decode(raw, rawl, b, sizeof(b), &len) != CL_OK)
			return CL_EPARSE;
	}
	if (!found || !boundary_ok(b, len))
		return CL_EPARSE;
	if (len >= outlen)
		return CL_EINVAL;
	memcpy(out, b, len + 1);
	return CL_OK;
}

cl_mp_parser *
cl_mp_new(const char *boundary, const cl_mp_callbacks *cb, void *arg)
{
	cl_mp_parser *p = cl_calloc(1, sizeof(*p));
	size_t n = boundary != NULL ? strlen(boundary) : 0;

	if (cb != NULL)
		p->cb = *cb;
	p->arg = arg;
	p->state = ST_PREAMBLE;
	p->match = M_PAT;
	if (!boundary_ok(boundary, n)) {
		p->err = CL_EINVAL;
		return p;
	}
	memcpy(p->delim, "\r\n--", 4);
	memcpy(p->delim + 4, boundary, n);
	p->dlen = 4 + n;
	/* The first delimiter may open the body: act as if CRLF came first. */
	memcpy(p->lb, "\r\n", 2);
	p->lblen = 2;
	return p;
}

void
cl_mp_free(cl_mp_parser *p)
{
	free(p);
}

/*
 * Deliver n bytes at d as data of the current part; bytes outside a part
 * (preamble) are dropped.  Fails with whatever part_data returns.
 */
static cl_err
emit(cl_mp_parser *p, const void *d, size_t n)
{
	if (p->state != ST_BODY || n == 0 || p->cb.part_data == NULL)
		return CL_OK;
	return p->cb.part_data(p->arg, d, n);
}

/*
 * Try to extend the candidate delimiter in lb with c; copy c into lb when it
 * fits.  Returns what c did to the candidate (enum mp_step).  Cannot fail.
 */
static enum mp_step
match_byte(cl_mp_parser *p, unsigned char c)
{
	switch (p->match) {
	case M_PAT:
		if (c != (unsigned char)p->delim[p->lblen])
			return R_MISS;
		p->lb[p->lblen++] = c;
		if (p->lblen == p->dlen)
			p->match = M_AFTER;
		return R_MORE;
	case M_AFTER:
		if (c == '-')
			p->match = M_DASH;
		else if (c == ' ' || c == '\t')
			p->match = M_PAD;
		else if (c == '\r')
			p->match = M_CR;
		else
			return R_MISS;
		p->lb[p->lblen++] = c;
		return R_MORE;
	case M_DASH: return c == '-' ? R_CLOSE : R_MISS;
	case M_PAD:
		if (c == '\r')
			p->match = M_CR;
		else if ((c != ' ' && c != '\t') ||
		    p->lblen - p->dlen >= CL_MP_PAD_MAX)
			return R_MISS;
		p->lb[p->lblen++] = c;
		return R_MORE;
	case M_CR: return c == '\n' ? R_DELIM : R_MISS;
	}
	return R_MISS;
}

/* Start a new part's header block.  Cannot fail. */
static void
headers_reset(cl_mp_parser *p)
{
	p->hbytes = 0;
	p->nlines = 0;
	p->cr = false;
	p->have_cd = false;
	p->have_name = false;
	p->have_file = false;
	p->have_ctype = false;
	p->linelen = 0;
}

/*
 * A delimiter (the close delimiter when closing) was seen: end the current
 * part, if any, and move on to its headers or the epilogue.  Fails with
 * whatever part_end returns.
 */
static cl_err
delimiter(cl_mp_parser *p, bool closing)
{
	bool inpart = p->state == ST_BODY;

	p->lblen = 0;
	p->match = M_PAT;
	p->state = closing ? ST_EPILOGUE : ST_HEADERS;
	headers_reset(p);
	if (inpart && p->cb.part_end != NULL)
		return p->cb.part_end(p->arg);
	return CL_OK;
}

/*
 * Parse the value (s to end, trimmed) of a Content-Disposition header: type
 * form-data, a name parameter and optionally a filename parameter.  Fails
 * with CL_EPARSE when it is a second one, another type, malformed, or without
 * a non-empty name, or names a parameter twice; CL_ETOOBIG when the name
 * exceeds CL_MP_NAME_MAX.
 */
static cl_err
disposition(cl_mp_parser *p, const char *s, const char *end)
{
	const char *t = s, *pn, *raw;
	size_t pnl, rawl, len;
	cl_err rc;

	if (p->have_cd)
		return CL_EPARSE;
	p->have_cd = true;
	s = token(s, end);
	if (!span_eq(t, (size_t)(s - t), "form-data"))
		return CL_EPARSE;
	for (;;) {
		if ((rc = param_next(&s, end, &pn, &pnl, &raw, &rawl)) != CL_OK)
			return rc;
		if (pn == NULL)
			break;
		if (span_eq(pn, pnl, "name")) {
			if (p->have_name)
				return CL_EPARSE;
			rc = value_decode(raw, rawl, p->name, sizeof(p->name),
			    &len);
			if (rc != CL_OK)
				return rc;
			if (len == 0)
				return CL_EPARSE;
			p->have_name = true;
		} else if (span_eq(pn, pnl, "filename")) {
			if (p->have_file)
				return CL_EPARSE;
			rc = value_decode(raw, rawl, p->filename,
			    sizeof(p->filename), &len);
			if (rc != CL_OK)
				return rc;
			p->have_file = true;
		}
	}
	return p->have_name ? CL_OK : CL_EPARSE;
}

/*
 * The header block ended: check it and start the part's body.  Fails with
 * CL_EPARSE when there was no Content-Disposition, or whatever part_begin
 * returns.
 */
static cl_err
headers_end(cl_mp_parser *p)
{
	if (!p->have_cd)
		return CL_EPARSE;
	p->state = ST_BODY;
	p->lblen = 0;
	p->match = M_PAT;
	if (p->cb.part_begin == NULL)
		return CL_OK;
	return p->cb.part_begin(p->arg, p->name,
	    p->have_file ? p->filename : NULL, p->have_ctype ? p->ctype : NULL);
}

/*
 * A header line (in p->line, CRLF removed) is complete: the empty line ends
 * the block, others are "name: value" with a token name.  Fails with
 * CL_EPARSE on a malformed or repeated header we use, CL_ETOOBIG past
 * CL_MP_HEADER_LINES lines, or as headers_end and disposition fail.
 */
static cl_err
header_line(cl_mp_parser *p)
{
	const char *s = p->line, *end = s + p->linelen, *colon, *v, *ve;

	if (p->linelen == 0)
		return headers_end(p);
	p->linelen = 0;
	if (++p->nlines > CL_MP_HEADER_LINES)
		return CL_ETOOBIG;
	colon = token(s, end);
	if (colon == s || colon == end || *colon != ':')
		return CL_EPARSE;
	v = ows(colon + 1, end);
	for (ve = end; ve > v && (ve[-1] == ' ' || ve[-1] == '\t'); ve--)
		;
	if (span_eq(s, (size_t)(colon - s), "content-disposition"))
		return disposition(p, v, ve);
	if (span_eq(s, (size_t)(colon - s), "content-type")) {
		if (p->have_ctype)
			return CL_EPARSE;
		memcpy(p->ctype, v, (size_t)(ve - v));
		p->ctype[ve - v] = '\0';
		p->have_ctype = true;
	}
	return CL_OK;
}

/*
 * Take one byte of a part's header block.  Lines end in CRLF.  Fails with
 * CL_ETOOBIG past CL_MP_HEADER_MAX bytes, CL_EPARSE on a bare CR or LF or a
 * NUL, or as header_line fails.
 */
static cl_err
header_byte(cl_mp_parser *p, unsigned char c)
{
	if (++p->hbytes > CL_MP_HEADER_MAX)
		return CL_ETOOBIG;
	if (p->cr) {
		if (c != '\n')
			return CL_EPARSE;
		p->cr = false;
		return header_line(p);
	}
	if (c == '\r') {
		p->cr = true;
		return CL_OK;
	}
	if (c == '\n' || c == '\0')
		return CL_EPARSE;
	p->line[p->linelen++] = (char)c;
	return CL_OK;
}

cl_err
cl_mp_feed(cl_mp_parser *p, const void *data, size_t n)
{
	const unsigned char *s = data, *end, *run, *q;
	const unsigned char *cand = NULL; /* candidate start, when in data */
	enum mp_step step;
	cl_err rc = CL_OK;

	if (p->err != CL_OK || n == 0)
		return p->err;
	end = s + n;
	run = s; /* undelivered data starts here */
	while (s < end) {
		if (p->state == ST_EPILOGUE)
			return CL_OK;
		if (p->state == ST_HEADERS) {
			if ((rc = header_byte(p, *s++)) != CL_OK)
				goto err;
			run = s;
			cand = NULL;
			continue;
		}
		if (p->lblen == 0) {
			/* All before the next CR is data. */
			q = memchr(s, '\r', (size_t)(end - s));
			if (q == NULL) {
				s = end;
				break;
			}
			cand = q;
			p->lb[0] = '\r';
			p->lblen = 1;
			p->match = M_PAT;
			s = q + 1;
			continue;
		}
		switch ((step = match_byte(p, *s))) {
		case R_MORE: s++; break;
		case R_MISS:
			/* A candidate from an earlier feed is data now. */
			if (cand == NULL) {
				if ((rc = emit(p, p->lb, p->lblen)) != CL_OK)
					goto err;
				run = s;
			}
			p->lblen = 0;
			break;
		case R_DELIM:
		case R_CLOSE:
			/* The data ends where the delimiter starts. */
			q = cand != NULL ? cand : run;
			if ((rc = emit(p, run, (size_t)(q - run))) != CL_OK)
				goto err;
			s++;
			if ((rc = delimiter(p, step == R_CLOSE)) != CL_OK)
				goto err;
			break;
		}
	}
	/* Deliver all that cannot be the start of a delimiter. */
	if (p->state == ST_BODY) {
		q = p->lblen == 0 ? end : cand != NULL ? cand : run;
		if ((rc = emit(p, run, (size_t)(q - run))) != CL_OK)
			goto err;
	}
	return CL_OK;
err:
	p->err = rc;
	return rc;
}

cl_err
cl_mp_finish(cl_mp_parser *p)
{
	if (p->err != CL_OK)
		return p->err;
	if (p->state != ST_EPILOGUE)
		p->err = CL_EPARSE;
	return p->err;
}

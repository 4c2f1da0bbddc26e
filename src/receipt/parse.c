/*
 * parse.c: read a v1 receipt strictly.  Line ends are normalised first (the
 * CR of each CR LF is dropped, a missing final LF added), then every
 * line must be exactly as receipt.h describes, or parsing fails with the
 * reason and the line it is on.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "receipt_int.h"

#define B64_SIG_LEN 88 /* base64 of 64 bytes, with "==" */

/*
 * The lines a v1 receipt knows: each at most once, all but the log line
 * (F_OPTIONAL and after) exactly once.
 */
enum field {
	F_REFERENCE,
	F_RECEIVED,
	F_COMMITMENT,
	F_KEY,
	F_SIGNATURE,
	F_LOG,
	F__MAX
};
#define F_OPTIONAL F_LOG

static const char *const field_names[F__MAX] = {
	"reference",  /* F_REFERENCE */
	"received",   /* F_RECEIVED */
	"commitment", /* F_COMMITMENT */
	"key",	      /* F_KEY */
	"signature",  /* F_SIGNATURE */
	"log",	      /* F_LOG */
};

/* Put the reason in r->reason and return CL_EPARSE. */
static cl_err
fail(cl_receipt *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof r->reason, fmt, ap);
	va_end(ap);
	return CL_EPARSE;
}

/*
 * Copy the len bytes of text into r->text in LF form: a CR followed by LF
 * is dropped, and a final LF added if missing.  CL_EPARSE for a CR anywhere
 * else (a last byte included) or a NUL byte.
 */
static cl_err
normalise(const char *text, size_t len, cl_receipt *r)
{
	size_t n = 0;
	int line = 1;

	for (size_t i = 0; i < len; i++) {
		char c = text[i];

		if (c == '\r') {
			if (i + 1 < len && text[i + 1] == '\n') {
				r->crlf = true;
				continue;
			}
			return fail(r,
			    "line %d: carriage return inside a "
			    "line",
			    line);
		}
		if (c == '\0')
			return fail(r, "line %d: NUL byte", line);
		if (c == '\n')
			line++;
		r->text[n++] = c;
	}
	if (n == 0 || r->text[n - 1] != '\n') {
		r->text[n++] = '\n';
		r->no_final_lf = true;
	}
	r->text[n] = '\0';
	return CL_OK;
}

/* Whether c is in the base64 alphabet (RFC 4648 §4). */
static bool
b64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/*
 * Decode the canonical base64 of a 64-byte signature: 86 alphabet
 * characters, the last with its four unused bits zero, then "==".
 * CL_EPARSE for anything else, so each signature has one spelling.
 */
static cl_err
decode_sig(const char *v, size_t n, unsigned char sig[CL_SIGNATURE_LEN])
{
	unsigned char buf[3 * B64_SIG_LEN / 4];

	if (n != B64_SIG_LEN || v[86] != '=' || v[87] != '=')
		return CL_EPARSE;
	for (size_t i = 0; i < 86; i++)
		if (!b64_char(v[i]))
			return CL_EPARSE;
	if (strchr("AQgw", v[85]) == NULL)
		return CL_EPARSE;
	if (EVP_DecodeBlock(buf, (const unsigned char *)v, B64_SIG_LEN) !=
	    (int)sizeof buf)
		return CL_EPARSE;
	memcpy(sig, buf, CL_SIGNATURE_LEN);
	return CL_OK;
}

/*
 * Check and store the value v (n bytes) of known field f from line.
 * CL_EPARSE with the reason when it is not in its format.
 */
static cl_err
take(cl_receipt *r, enum field f, const char *v, size_t n, int line)
{
	switch (f) {
	case F_REFERENCE:
		if (!cl_rcpt_reference_ok(v, n))
			return fail(r,
			    "line %d: reference is not "
			    "CIR-XXXX-XXXX (digits 2-9, capitals but I, L, O)",
			    line);
		memcpy(r->reference, v, n);
		r->reference[n] = '\0';
		break;
	case F_RECEIVED:
		if (!cl_rcpt_received_ok(v, n))
			return fail(r,
			    "line %d: received is not a UTC time "
			    "YYYY-MM-DDTHH:MM:SSZ",
			    line);
		memcpy(r->received, v, n);
		r->received[n] = '\0';
		break;
	case F_COMMITMENT:
		if (n < 7 || memcmp(v, "sha256:", 7) != 0 ||
		    cl_unhex(v + 7, n - 7, r->commitment, CL_SHA256_LEN) !=
			CL_OK)
			return fail(r,
			    "line %d: commitment is not sha256: "
			    "and 64 lower-case hex digits",
			    line);
		break;
	case F_KEY:
		for (size_t i = 0; i < n; i++)
			if (!((v[i] >= '0' && v[i] <= '9') ||
				(v[i] >= 'a' && v[i] <= 'f')))
				n = 0;
		if (n != CL_KEY_ID_LEN)
			return fail(r,
			    "line %d: key is not 16 lower-case hex "
			    "digits",
			    line);
		memcpy(r->key_id, v, n);
		r->key_id[n] = '\0';
		break;
	case F_SIGNATURE:
		if (decode_sig(v, n, r->signature) != CL_OK)
			return fail(r,
			    "line %d: signature is not the base64 "
			    "of 64 bytes",
			    line);
		break;
	case F_LOG:
		if (!cl_config_origin_ok(v, n))
			return fail(r,
			    "line %d: log is not a log origin (printable, "
			    "no spaces, no '+', at most %d characters)",
			    line, CL_RECEIPT_LOG_MAX - 1);
		memcpy(r->log, v, n);
		r->log[n] = '\0';
		break;
	case F__MAX: break;
	}
	return CL_OK;
}

/* Whether c may be in a line's name (after a first letter a-z). */
static bool
name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
	    c == '-';
}

/*
 * Split the line p (up to its LF at eol) into a name, [a-z][a-z0-9_-]*, put
 * in *namelen, and a non-empty value of printable ASCII after ": ", put in
 * *v.  CL_EPARSE with the reason when the line is not like that.
 */
static cl_err
split(cl_receipt *r, const char *p, const char *eol, int line, size_t *namelen,
    const char **v)
{
	const char *q = p;

	if (*q >= 'a' && *q <= 'z')
		while (q < eol && name_char(*q))
			q++;
	if (q == p || eol - q < 3 || q[0] != ':' || q[1] != ' ')
		return fail(r, "line %d: not a \"name: value\" line", line);
	*namelen = (size_t)(q - p);
	*v = q + 2;
	for (q += 2; q < eol; q++)
		if ((unsigned char)*q < 0x20 || (unsigned char)*q > 0x7e)
			return fail(r,
			    "line %d: a character that is not "
			    "printable ASCII",
			    line);
	return CL_OK;
}

/* The known field named by the n bytes of name, or F__MAX. */
static enum field
lookup(const char *name, size_t n)
{
	enum field f;

	for (f = 0; f < F__MAX; f++)
		if (strlen(field_names[f]) == n &&
		    memcmp(field_names[f], name, n) == 0)
			break;
	return f;
}

/*
 * Parse the len bytes of text as a v1 receipt into r.  CL_EPARSE with
 * r->reason set when it is not exactly one (see receipt.h).
 */
cl_err
cl_receipt_parse(const char *text, size_t len, cl_receipt *r)
{
	static const size_t magic_len = sizeof CL_RECEIPT_MAGIC - 1;
	bool seen[F__MAX] = { false };
	const char *p, *end, *eol, *v = NULL;
	size_t namelen = 0;
	enum field f;
	int line;
	cl_err rc;

	memset(r, 0, offsetof(cl_receipt, text));
	r->text[0] = r->reason[0] = '\0';
	if (len == 0)
		return fail(r, "empty");
	if (len > CL_RECEIPT_MAX)
		return fail(r, "longer than %d bytes", CL_RECEIPT_MAX);
	if ((rc = normalise(text, len, r)) != CL_OK)
		return rc;
	p = r->text;
	end = p + strlen(p);
	eol = memchr(p, '\n', (size_t)(end - p));
	if ((size_t)(eol - p) != magic_len ||
	    memcmp(p, CL_RECEIPT_MAGIC, magic_len) != 0)
		return fail(r,
		    "line 1: not \"" CL_RECEIPT_MAGIC "\": not a "
		    "version 1 receipt");
	for (p = eol + 1, line = 2; p < end; p = eol + 1, line++) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if ((rc = split(r, p, eol, line, &namelen, &v)) != CL_OK)
			return rc;
		if ((f = lookup(p, namelen)) == F__MAX)
			continue; /* a later version's line: signed, ignored */
		if (seen[f])
			return fail(r, "line %d: a second %s line", line,
			    field_names[f]);
		seen[f] = true;
		if (f == F_SIGNATURE) {
			if (eol + 1 != end)
				return fail(r,
				    "line %d: the signature line is "
				    "not the last line",
				    line);
			r->signed_len = (size_t)(p - r->text);
		}
		if ((rc = take(r, f, v, (size_t)(eol - v), line)) != CL_OK)
			return rc;
	}
	for (f = 0; f < F_OPTIONAL; f++)
		if (!seen[f])
			return fail(r, "no %s line", field_names[f]);
	return CL_OK;
}

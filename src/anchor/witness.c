/*
 * witness.c: asking a witness to cosign a checkpoint, c2sp.org/tlog-witness
 * add-checkpoint: "old <size>", the consistency proof from there, a blank
 * line and the signed checkpoint; 409 says the size the witness knows (one
 * more try from there), and a 200's cosignature/v1 lines are checked with
 * the witness's key before anyone may publish them.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "callin/alloc.h"
#include "callin/clock.h"

#include "anchor_int.h"

#define WITNESS_TYPE "text/x.tlog.size"
#define SIG_PREFIX "\xe2\x80\x94 " /* "— " */

/*
 * Append to b the add-checkpoint body for a witness at old: the old line,
 * the consistency proof from old to size (none from 0 or at size), a blank
 * line and cp.  Fails with rd's error.
 */
static cl_err
add_body(int64_t old, int64_t size, const char *cp, size_t n, cl_tlog_reader rd,
    void *arg, cl_buf *b)
{
	unsigned char proof[CL_TLOG_PROOF_MAX][CL_TLOG_HASH];
	char b64[4 * ((CL_TLOG_HASH + 2) / 3) + 1];
	size_t np = 0, i;
	cl_err rc;

	CL_ASSERT(old >= 0 && old <= size);
	if (old > 0 && old < size &&
	    (rc = cl_tlog_prove_tree(size, old, rd, arg, proof, &np)) != CL_OK)
		return rc;
	cl_buf_printf(b, "old %lld\n", (long long)old);
	for (i = 0; i < np; i++) {
		EVP_EncodeBlock((unsigned char *)b64, proof[i], CL_TLOG_HASH);
		cl_buf_printf(b, "%s\n", b64);
	}
	cl_buf_putc(b, '\n');
	cl_buf_add(b, cp, n);
	return CL_OK;
}

/* Parse a 409 body "<size>\n" into *size.  CL_EPARSE when it is not one. */
static cl_err
parse_size(const cl_buf *body, int64_t *size)
{
	const char *s = cl_buf_str(body);
	char *end;
	long long v;

	if (!isdigit((unsigned char)s[0]) || (s[0] == '0' && s[1] != '\n'))
		return CL_EPARSE;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || strcmp(end, "\n") != 0 || v < 0)
		return CL_EPARSE;
	*size = v;
	return CL_OK;
}

/*
 * Write into why the witness's refusal: its status, what it means, and the
 * first line of its body (printable ASCII only).  Cannot fail.
 */
static void
refusal_why(const char *url, const struct anchor_reply *r, char *why,
    size_t whylen)
{
	const char *s = cl_buf_str(&r->body), *what;
	char line[100];
	size_t i;

	switch (r->status) {
	case 400: what = "bad request"; break;
	case 403: what = "no trusted log signature (unknown log or key)"; break;
	case 404: what = "unknown log"; break;
	case 409: what = "conflict"; break;
	case 422: what = "inconsistent with what it saw (a fork?)"; break;
	default: what = "not a witness answer"; break;
	}
	for (i = 0; s[i] != '\0' && s[i] != '\n' && i < sizeof line - 1; i++)
		line[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	line[i] = '\0';
	snprintf(why, whylen, "%s: HTTP %ld, %s%s%s%s", url, r->status, what,
	    line[0] != '\0' ? " (\"" : "", line, line[0] != '\0' ? "\")" : "");
}

/*
 * The key ID of the signature line at s (len bytes, "— <name> <base64>",
 * no LF) when it names name: CL_OK with *id, CL_ENOTFOUND for another
 * name, CL_EPARSE for a line that is not a signature line.
 */
static cl_err
line_id(const char *s, size_t len, const char *name, uint32_t *id)
{
	size_t pl = strlen(SIG_PREFIX), nl = strlen(name);
	unsigned char raw[6];

	if (len < pl || memcmp(s, SIG_PREFIX, pl) != 0)
		return CL_EPARSE;
	if (len < pl + nl + 1 + 8 || memcmp(s + pl, name, nl) != 0 ||
	    s[pl + nl] != ' ')
		return CL_ENOTFOUND;
	if (EVP_DecodeBlock(raw, (const unsigned char *)s + pl + nl + 1, 8) !=
	    6)
		return CL_EPARSE;
	*id = (uint32_t)raw[0] << 24 | (uint32_t)raw[1] << 16 |
	    (uint32_t)raw[2] << 8 | raw[3];
	return CL_OK;
}

/*
 * Check the 200 body of w: its signature lines by w->key, verified over
 * the checkpoint's note text (its first text_len bytes), are appended to
 * sigs.  CL_EVERIFY with why when the body is not signature lines, holds
 * none by w->key or one that does not verify.
 */
static cl_err
take_cosigs(const cl_witness *w, const char *text, size_t text_len,
    const cl_buf *body, cl_buf *sigs, char *why, size_t whylen)
{
	cl_buf mine = CL_BUF_INIT, note = CL_BUF_INIT;
	const char *s = cl_buf_str(body), *e;
	size_t tl;
	uint32_t id;
	int ok = 0;
	cl_err rc = CL_EVERIFY;

	if (body->len == 0 || body->data[body->len - 1] != '\n' ||
	    memchr(body->data, '\0', body->len) != NULL) {
		snprintf(why, whylen, "%s: 200 but no cosignature lines",
		    w->url);
		goto err;
	}
	for (; *s != '\0'; s = e + 1) {
		e = strchr(s, '\n');
		switch (line_id(s, (size_t)(e - s), w->key.name, &id)) {
		case CL_OK:
			if (id == w->key.id)
				cl_buf_add(&mine, s, (size_t)(e - s + 1));
			break;
		case CL_ENOTFOUND:
			break; /* another name's: not ours to check or publish */
		default:
			snprintf(why, whylen,
			    "%s: 200 but a line that is not a signature line",
			    w->url);
			goto err;
		}
	}
	if (mine.len == 0) {
		snprintf(why, whylen, "%s: no cosignature by %s+%08x", w->url,
		    w->key.name, (unsigned)w->key.id);
		goto err;
	}
	cl_buf_add(&note, text, text_len);
	cl_buf_putc(&note, '\n');
	cl_buf_add(&note, mine.data, mine.len);
	if (cl_tlog_note_open(note.data, note.len, &w->key, 1, &tl, &ok,
		NULL) != CL_OK ||
	    !ok) {
		snprintf(why, whylen,
		    "%s: its cosignature does not verify with %s+%08x", w->url,
		    w->key.name, (unsigned)w->key.id);
		goto err;
	}
	cl_buf_add(sigs, mine.data, mine.len);
	rc = CL_OK;
err:
	cl_buf_free(&mine);
	cl_buf_free(&note);
	return rc;
}

cl_err
cl_witness_add(cl_witness *w, const char *cp, size_t n, int64_t size,
    cl_tlog_reader rd, void *arg, long timeout_ms, cl_buf *sigs, char *why,
    size_t whylen)
{
	struct anchor_reply r = { 0 };
	cl_tlog_checkpoint c;
	char url[sizeof w->url + 32];
	cl_buf body = CL_BUF_INIT;
	int64_t old, known, deadline = cl_mono_ms() + timeout_ms, left;
	size_t text_len;
	int tries;
	cl_err rc;

	why[0] = '\0';
	if (cl_tlog_note_open(cp, n, NULL, 0, &text_len, NULL, NULL) != CL_OK ||
	    cl_tlog_checkpoint_parse(cp, text_len, &c) != CL_OK ||
	    c.size != size) {
		snprintf(why, whylen, "not a signed checkpoint of size %lld",
		    (long long)size);
		return CL_EINVAL;
	}
	snprintf(url, sizeof url, "%s/add-checkpoint", w->url);
	/* An unknown size: "old 0" asks the witness for the one it knows. */
	old = w->size >= 0 && w->size <= size ? w->size : 0;
	for (tries = 0; tries < 2; tries++) {
		cl_buf_reset(&body);
		cl_buf_free(&r.body);
		if ((rc = add_body(old, size, cp, n, rd, arg, &body)) !=
		    CL_OK) {
			snprintf(why, whylen,
			    "cannot read the consistency proof from %lld: %s",
			    (long long)old, cl_strerror(rc));
			goto err;
		}
		/* One time limit for both tries. */
		if ((left = deadline - cl_mono_ms()) <= 0) {
			snprintf(why, whylen, "%s: no time left to try again",
			    url);
			rc = CL_EUNAVAIL;
			goto err;
		}
		if ((rc = anchor_post(url, "text/plain; charset=utf-8",
			 "text/plain, " WITNESS_TYPE, body.data, body.len,
			 (long)left, &r, why, whylen)) != CL_OK)
			goto err;
		if (r.status != 409)
			break;
		rc = CL_EUNAVAIL;
		if (parse_size(&r.body, &known) != CL_OK) {
			refusal_why(url, &r, why, whylen);
			goto err;
		}
		w->size = known;
		if (known > size) {
			snprintf(why, whylen,
			    "%s: the witness has seen size %lld, more than %lld "
			    "(a fork or a rollback?)",
			    url, (long long)known, (long long)size);
			goto err;
		}
		old = known;
	}
	rc = CL_EUNAVAIL;
	if (r.status != 200) {
		refusal_why(url, &r, why, whylen);
		goto err;
	}
	if ((rc = take_cosigs(w, cp, text_len, &r.body, sigs, why, whylen)) !=
	    CL_OK)
		goto err;
	w->size = size;
	rc = CL_OK;
err:
	cl_buf_free(&body);
	cl_buf_free(&r.body);
	return rc;
}

/*
 * Parse one "<vkey> <url>" item (len bytes at s, trimmed) into w.  Writes
 * what is wrong into why on CL_ECONFIG.
 */
static cl_err
parse_item(const char *s, size_t len, cl_witness *w, char *why, size_t whylen)
{
	char vkey[CL_TLOG_VKEY_MAX];
	const char *sp = memchr(s, ' ', len), *u;
	size_t vl, ul;

	if (sp == NULL) {
		snprintf(why, whylen, "not \"<vkey> <url>\"");
		return CL_ECONFIG;
	}
	vl = (size_t)(sp - s);
	for (u = sp; u < s + len && *u == ' '; u++)
		;
	ul = (size_t)(s + len - u);
	while (ul > 0 && u[ul - 1] == '/')
		ul--;
	if (vl >= sizeof vkey) {
		snprintf(why, whylen, "verifier key too long");
		return CL_ECONFIG;
	}
	memcpy(vkey, s, vl);
	vkey[vl] = '\0';
	if (cl_tlog_vkey_parse(vkey, &w->key) != CL_OK || w->key.type != 0x04) {
		snprintf(why, whylen,
		    "not a cosignature/v1 verifier key "
		    "(<name>+<8 hex id>+<base64 of 0x04 and the key>)");
		return CL_ECONFIG;
	}
	if (ul == 0 || ul >= sizeof w->url || memchr(u, ' ', ul) != NULL ||
	    (strncasecmp(u, "http://", 7) != 0 &&
		strncasecmp(u, "https://", 8) != 0)) {
		snprintf(why, whylen,
		    "the URL must be http:// or https://, without spaces, "
		    "below %zu bytes",
		    sizeof w->url);
		return CL_ECONFIG;
	}
	memcpy(w->url, u, ul);
	w->url[ul] = '\0';
	w->size = -1;
	return CL_OK;
}

cl_err
cl_witness_list_parse(const char *list, cl_witness **out, size_t *n, char *err,
    size_t errlen)
{
	cl_witness *ws = NULL;
	const char *s = list, *e;
	size_t count = 0, len, item = 0;
	char why[160];

	*out = NULL;
	*n = 0;
	if (list == NULL || list[strspn(list, " \t\r\n")] == '\0')
		return CL_OK; /* none */
	for (;;) {
		e = strchr(s, ',');
		len = e != NULL ? (size_t)(e - s) : strlen(s);
		item++;
		while (len > 0 && isspace((unsigned char)*s))
			s++, len--;
		while (len > 0 && isspace((unsigned char)s[len - 1]))
			len--;
		if (len == 0) {
			snprintf(err, errlen,
			    "config: log_witnesses: item %zu is empty", item);
			goto err;
		}
		ws = cl_realloc(ws, (count + 1) * sizeof *ws);
		if (parse_item(s, len, &ws[count], why, sizeof why) != CL_OK) {
			snprintf(err, errlen,
			    "config: log_witnesses: item %zu (\"%.*s\"): %s",
			    item, (int)(len > 60 ? 60 : len), s, why);
			goto err;
		}
		count++;
		if (e == NULL)
			break;
		s = e + 1;
	}
	*out = ws;
	*n = count;
	return CL_OK;
err:
	free(ws);
	return CL_ECONFIG;
}

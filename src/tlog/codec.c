/*
 * codec.c: the small text codecs of the tlog formats: padded base64,
 * decimals, key names, note texts and key IDs.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "callin/alloc.h"
#include "callin/hash.h"
#include "callin/utf8.h"
#include "tlog_int.h"

/* Append the padded base64 of n bytes.  Cannot fail. */
void
cl_tlog_b64_add(cl_buf *out, const void *p, size_t n)
{
	char *b = cl_malloc(4 * ((n + 2) / 3) + 1);
	int len;

	len = EVP_EncodeBlock((unsigned char *)b, p, (int)n);
	CL_ASSERT(len >= 0);
	cl_buf_add(out, b, (size_t)len);
	free(b);
}

/* Whether c is in the base64 alphabet (RFC 4648 §4), padding aside. */
static int
b64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/* Decode canonical padded base64.  CL_EPARSE for anything else. */
cl_err
cl_tlog_b64_decode(const char *s, size_t slen, unsigned char *out, size_t cap,
    size_t *n)
{
	cl_buf back = CL_BUF_INIT;
	unsigned char *tmp = NULL;
	size_t pad = 0, i, len;
	cl_err rc = CL_EPARSE;

	*n = 0;
	if (slen == 0 || slen % 4 != 0 || slen > 4 * ((cap + 2) / 3))
		return CL_EPARSE;
	if (s[slen - 1] == '=')
		pad = s[slen - 2] == '=' ? 2 : 1;
	for (i = 0; i < slen - pad; i++)
		if (!b64_char(s[i]))
			return CL_EPARSE;
	len = slen / 4 * 3 - pad;
	if (len > cap)
		return CL_EPARSE;
	tmp = cl_malloc(slen / 4 * 3);
	if (EVP_DecodeBlock(tmp, (const unsigned char *)s, (int)slen) < 0)
		goto err;
	/* Canonical only: the pad bits are zero, so it encodes back the same. */
	cl_tlog_b64_add(&back, tmp, len);
	if (back.len != slen || memcmp(back.data, s, slen) != 0)
		goto err;
	memcpy(out, tmp, len);
	*n = len;
	rc = CL_OK;
err:
	cl_buf_free(&back);
	free(tmp);
	return rc;
}

/* Whether cp is a space as Go's unicode.IsSpace says. */
static int
is_space(uint32_t cp)
{
	return (cp >= 0x09 && cp <= 0x0d) || cp == 0x20 || cp == 0x85 ||
	    cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) ||
	    cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f ||
	    cp == 0x3000;
}

/* Whether the n bytes at s are a key name.  Cannot fail. */
int
cl_tlog_name_valid(const char *s, size_t n)
{
	uint32_t cp;
	size_t i = 0, k;

	if (n == 0)
		return 0;
	while (i < n) {
		if ((k = cl_utf8_decode(s + i, n - i, &cp)) == 0)
			return 0;
		if (cp < 0x20 || cp == 0x7f || cp == '+' || is_space(cp))
			return 0;
		i += k;
	}
	return 1;
}

/* Whether name is a note key name.  Cannot fail. */
int
cl_tlog_name_ok(const char *name)
{
	size_t n = strlen(name);

	return n < CL_TLOG_ORIGIN_MAX && cl_tlog_name_valid(name, n);
}

/* Whether the n bytes at s are a note text.  Cannot fail. */
int
cl_tlog_text_valid(const char *s, size_t n)
{
	uint32_t cp;
	size_t i = 0, k;

	if (n == 0 || s[n - 1] != '\n')
		return 0;
	while (i < n) {
		if ((k = cl_utf8_decode(s + i, n - i, &cp)) == 0)
			return 0;
		if ((cp < 0x20 && cp != '\n') || cp == 0x7f)
			return 0;
		i += k;
	}
	return 1;
}

/* SHA-256(name || LF || type || key)[:4], big-endian.  Cannot fail. */
uint32_t
cl_tlog_key_id(const char *name, unsigned char type,
    const unsigned char key[32])
{
	cl_sha256_ctx *c = cl_sha256_new();
	unsigned char md[CL_SHA256_LEN], lf = '\n';

	cl_sha256_update(c, name, strlen(name));
	cl_sha256_update(c, &lf, 1);
	cl_sha256_update(c, &type, 1);
	cl_sha256_update(c, key, 32);
	cl_sha256_final(c, md);
	return (uint32_t)md[0] << 24 | (uint32_t)md[1] << 16 |
	    (uint32_t)md[2] << 8 | md[3];
}

/* Parse a decimal without leading zeros, at most 2^63-1. */
cl_err
cl_tlog_parse_u63(const char *s, size_t slen, int64_t *v)
{
	int64_t x = 0;
	size_t i;

	*v = 0;
	if (slen == 0 || slen > 19 || (s[0] == '0' && slen > 1))
		return CL_EPARSE;
	for (i = 0; i < slen; i++) {
		if (s[i] < '0' || s[i] > '9')
			return CL_EPARSE;
		if (x > (INT64_MAX - (s[i] - '0')) / 10)
			return CL_EPARSE;
		x = x * 10 + (s[i] - '0');
	}
	*v = x;
	return CL_OK;
}

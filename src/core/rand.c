/* rand.c: CSPRNG tokens and base64url. */
#include <string.h>

#include <openssl/rand.h>

#include "callin/rand.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

cl_err
cl_random_bytes(void *p, size_t n)
{
	if (n == 0)
		return CL_OK;
	if (n > (size_t)0x7fffffff || RAND_bytes(p, (int)n) != 1) {
		memset(p, 0, n);
		return CL_ECRYPTO;
	}
	return CL_OK;
}

cl_err
cl_random_token(char *out, size_t nbytes)
{
	unsigned char raw[CL_RANDOM_TOKEN_BYTES_MAX];
	cl_err rc;

	out[0] = '\0';
	if (nbytes == 0 || nbytes > sizeof raw)
		return CL_EINVAL;
	if ((rc = cl_random_bytes(raw, nbytes)) != CL_OK)
		return rc;
	cl_b64url_encode(raw, nbytes, out);
	return CL_OK;
}

void
cl_b64url_encode(const void *p, size_t n, char *out)
{
	const unsigned char *s = p;
	size_t i, o = 0;
	unsigned long v;

	for (i = 0; i + 2 < n; i += 3) {
		v = (unsigned long)s[i] << 16 | (unsigned long)s[i + 1] << 8 |
		    s[i + 2];
		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = alphabet[v >> 6 & 63];
		out[o++] = alphabet[v & 63];
	}
	if (n - i == 1) {
		v = (unsigned long)s[i] << 16;
		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
	} else if (n - i == 2) {
		v = (unsigned long)s[i] << 16 | (unsigned long)s[i + 1] << 8;
		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = alphabet[v >> 6 & 63];
	}
	out[o] = '\0';
}

/* Return the 6-bit value of base64url character c, or -1. */
static int
sextet(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

cl_err
cl_b64url_decode(const char *s, size_t len, unsigned char *out, size_t outcap,
    size_t *outlen)
{
	unsigned long acc = 0;
	size_t i, o = 0, need;
	int bits = 0, v;

	*outlen = 0;
	if (len % 4 == 1)
		return CL_EPARSE;
	need = len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0);
	if (need > outcap)
		return CL_ETOOBIG;
	for (i = 0; i < len; i++) {
		if ((v = sextet((unsigned char)s[i])) < 0)
			return CL_EPARSE;
		acc = (acc << 6 | (unsigned long)v) & 0xFFFFFF;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits & 0xFF);
		}
	}
	/* The bits left over must be zero for the encoding to be canonical. */
	if (bits > 0 && (acc & ((1ul << bits) - 1)) != 0)
		return CL_EPARSE;
	*outlen = o;
	return CL_OK;
}

size_t
cl_b64url_span(const char *s)
{
	return strspn(s, alphabet);
}

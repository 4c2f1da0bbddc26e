/* hash.c: SHA-256 through OpenSSL's EVP interface, and hex. */
#include <stdio.h>
#include <stdlib.h>

#include <openssl/evp.h>

#include "callin/alloc.h"
#include "callin/hash.h"

struct cl_sha256_ctx {
	EVP_MD_CTX *md;
};

/* Report that OpenSSL could not hash (it only fails when out of memory). */
static void
die(const char *what)
{
	fprintf(stderr, "{\"level\":\"fatal\",\"msg\":\"sha256: %s failed\"}\n",
	    what);
	abort();
}

/* Hash n bytes of p into out.  Cannot fail (aborts if OpenSSL does). */
void
cl_sha256(const void *p, size_t n, unsigned char out[CL_SHA256_LEN])
{
	unsigned int len = 0;

	if (EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) != 1 ||
	    len != CL_SHA256_LEN)
		die("EVP_Digest");
}

/* Start a streamed digest.  Cannot fail (aborts if OpenSSL does). */
cl_sha256_ctx *
cl_sha256_new(void)
{
	cl_sha256_ctx *ctx;

	ctx = cl_malloc(sizeof *ctx);
	if ((ctx->md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(ctx->md, EVP_sha256(), NULL) != 1)
		die("EVP_DigestInit_ex");
	return ctx;
}

/* Add n bytes of p.  Cannot fail (aborts if OpenSSL does). */
void
cl_sha256_update(cl_sha256_ctx *ctx, const void *p, size_t n)
{
	if (n > 0 && EVP_DigestUpdate(ctx->md, p, n) != 1)
		die("EVP_DigestUpdate");
}

/* Write the digest to out and free ctx.  Cannot fail. */
void
cl_sha256_final(cl_sha256_ctx *ctx, unsigned char out[CL_SHA256_LEN])
{
	unsigned int len = 0;

	if (EVP_DigestFinal_ex(ctx->md, out, &len) != 1 || len != CL_SHA256_LEN)
		die("EVP_DigestFinal_ex");
	cl_sha256_free(ctx);
}

/* Free an unfinished digest; NULL is fine.  Cannot fail. */
void
cl_sha256_free(cl_sha256_ctx *ctx)
{
	if (ctx == NULL)
		return;
	EVP_MD_CTX_free(ctx->md);
	free(ctx);
}

/* Write n bytes as 2n lower-case hex digits and a NUL.  Cannot fail. */
void
cl_hex(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* Value of one lower-case hex digit, or -1. */
static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Decode exactly 2n lower-case hex digits.  CL_EPARSE for a wrong length or
 * any other character.
 */
cl_err
cl_unhex(const char *s, size_t slen, unsigned char *out, size_t n)
{
	if (slen != 2 * n)
		return CL_EPARSE;
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return CL_EPARSE;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return CL_OK;
}

/* receipt.c: build and sign a v1 receipt. */
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "receipt_int.h"

/*
 * Build the v1 receipt and append it to out: the five signed lines, then
 * "signature: " and the base64 Ed25519 signature over them (one-shot
 * EVP_DigestSign, NULL digest, a fresh context each time).  CL_EINVAL (out
 * unchanged) for a reference or received time out of format, CL_ECRYPTO
 * (out unchanged) when OpenSSL fails to sign.
 */
cl_err
cl_receipt_sign(const cl_signer *s, const char *reference,
    const char *received, const unsigned char commitment[CL_SHA256_LEN],
    cl_buf *out)
{
	unsigned char sig[CL_SIGNATURE_LEN];
	unsigned char b64[4 * ((CL_SIGNATURE_LEN + 2) / 3) + 1];
	char hex[CL_SHA256_HEX];
	size_t start = out->len, siglen = sizeof sig;
	EVP_MD_CTX *ctx = NULL;
	cl_err rc = CL_EINVAL;

	if (!cl_rcpt_reference_ok(reference, strlen(reference)) ||
	    !cl_rcpt_received_ok(received, strlen(received)))
		goto err;
	cl_hex(commitment, CL_SHA256_LEN, hex);
	cl_buf_printf(out, CL_RECEIPT_MAGIC "\n"
	    "reference: %s\n"
	    "received: %s\n"
	    "commitment: sha256:%s\n"
	    "key: %s\n", reference, received, hex, s->id);
	rc = CL_ECRYPTO;
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit_ex(ctx, NULL, NULL, NULL, NULL, s->pkey,
	    NULL) != 1 ||
	    EVP_DigestSign(ctx, sig, &siglen,
	    (const unsigned char *)out->data + start, out->len - start) != 1 ||
	    siglen != CL_SIGNATURE_LEN)
		goto err;
	EVP_MD_CTX_free(ctx);
	EVP_EncodeBlock(b64, sig, CL_SIGNATURE_LEN);
	cl_buf_printf(out, "signature: %s\n", (const char *)b64);
	return CL_OK;
err:
	ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	out->len = start;
	if (out->data != NULL)
		out->data[start] = '\0';
	return rc;
}

/*
 * sign.c: the Ed25519 signing primitive behind cl_receipt_sign: OpenSSL's
 * one-shot EVP_DigestSign.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "receipt_int.h"

/*
 * Sign with OpenSSL: a fresh context, EVP_DigestSignInit_ex with no digest
 * (pure Ed25519), one EVP_DigestSign.  CL_ECRYPTO when OpenSSL fails.
 */
cl_err
cl_rcpt_sign_raw(const cl_signer *s, const void *msg, size_t n,
    unsigned char sig[CL_SIGNATURE_LEN])
{
	EVP_MD_CTX *ctx = NULL;
	size_t siglen = CL_SIGNATURE_LEN;
	cl_err rc = CL_ECRYPTO;

	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit_ex(ctx, NULL, NULL, NULL, NULL, s->pkey, NULL) !=
		1 ||
	    EVP_DigestSign(ctx, sig, &siglen, msg, n) != 1 ||
	    siglen != CL_SIGNATURE_LEN)
		goto err;
	rc = CL_OK;
err:
	if (rc != CL_OK)
		ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	return rc;
}

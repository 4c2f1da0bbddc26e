/*
 * sign.c: the Ed25519 signing primitive behind cl_receipt_sign: OpenSSL's
 * one-shot EVP_DigestSign, or libsodium's crypto_sign_detached in a build
 * with CALLIN_HAVE_SODIUM (same signatures, about twice the speed).
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#ifdef CALLIN_HAVE_SODIUM
#include <sodium.h>
#endif

#include "receipt_int.h"

#ifdef CALLIN_HAVE_SODIUM

/*
 * Expand the private key's seed into libsodium's secret key and check it
 * gives the same public key as OpenSSL.  CL_ECRYPTO when it does not.
 */
cl_err
cl_rcpt_signer_prepare(cl_signer *s)
{
	unsigned char seed[32], pk[32];
	size_t len = sizeof seed;
	cl_err rc = CL_ECRYPTO;

	if (sodium_init() < 0 ||
	    EVP_PKEY_get_raw_private_key(s->pkey, seed, &len) != 1 ||
	    len != sizeof seed ||
	    crypto_sign_seed_keypair(pk, s->sk, seed) != 0 ||
	    memcmp(pk, s->raw, sizeof pk) != 0)
		goto err;
	rc = CL_OK;
err:
	ERR_clear_error();
	OPENSSL_cleanse(seed, sizeof seed);
	return rc;
}

/* Wipe the expanded secret key.  Cannot fail. */
void
cl_rcpt_signer_wipe(cl_signer *s)
{
	OPENSSL_cleanse(s->sk, sizeof s->sk);
}

/* Sign with libsodium.  CL_ECRYPTO when it fails. */
cl_err
cl_rcpt_sign_raw(const cl_signer *s, const void *msg, size_t n,
    unsigned char sig[CL_SIGNATURE_LEN])
{
	unsigned long long siglen = 0;

	if (crypto_sign_detached(sig, &siglen, msg, n, s->sk) != 0 ||
	    siglen != CL_SIGNATURE_LEN)
		return CL_ECRYPTO;
	return CL_OK;
}

#else /* OpenSSL only */

/* Nothing to prepare.  Cannot fail. */
cl_err
cl_rcpt_signer_prepare(cl_signer *s)
{
	(void)s;
	return CL_OK;
}

/* Nothing to wipe.  Cannot fail. */
void
cl_rcpt_signer_wipe(cl_signer *s)
{
	(void)s;
}

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
	    EVP_DigestSignInit_ex(ctx, NULL, NULL, NULL, NULL, s->pkey,
	    NULL) != 1 ||
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

#endif

/* verify.c: check a parsed receipt's signature against the keyring. */
#include <openssl/err.h>
#include <openssl/evp.h>

#include "receipt_int.h"

/*
 * Verify r's Ed25519 signature over its signed bytes with the key its key
 * line names.  CL_OK when valid, CL_ENOTFOUND when ring has no such key,
 * CL_EVERIFY when the signature does not verify (or OpenSSL fails).
 */
cl_err
cl_receipt_verify(const cl_receipt *r, const cl_keyring *ring)
{
	EVP_MD_CTX *ctx = NULL;
	size_t i;
	cl_err rc;

	if ((rc = cl_keyring_find(ring, r->key_id, &i)) != CL_OK)
		goto err;
	rc = CL_EVERIFY;
	if (r->signed_len == 0 || (ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit_ex(ctx, NULL, NULL, NULL, NULL,
		cl_rcpt_keyring_pkey(ring, i), NULL) != 1 ||
	    EVP_DigestVerify(ctx, r->signature, CL_SIGNATURE_LEN,
		(const unsigned char *)r->text, r->signed_len) != 1)
		goto err;
	EVP_MD_CTX_free(ctx);
	return CL_OK;
err:
	ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	return rc;
}

const char *
cl_verdict_name(cl_verdict v)
{
	static const char *const names[] = { "valid", "invalid", "unreadable" };

	CL_ASSERT(v >= CL_VERDICT_VALID && v <= CL_VERDICT_UNREADABLE);
	return names[v];
}

/* receipt.c: build and sign a v1 receipt. */
#include <string.h>

#include <openssl/evp.h>

#include "receipt_int.h"

/*
 * Build the v1 receipt and append it to out: the five signed lines, then
 * "signature: " and the base64 Ed25519 signature over them (sign.c).
 * CL_EINVAL (out unchanged) for a reference or received time out of format,
 * CL_ECRYPTO (out unchanged) when signing fails.
 */
cl_err
cl_receipt_sign(const cl_signer *s, const char *reference,
    const char *received, const unsigned char commitment[CL_SHA256_LEN],
    cl_buf *out)
{
	unsigned char sig[CL_SIGNATURE_LEN];
	unsigned char b64[4 * ((CL_SIGNATURE_LEN + 2) / 3) + 1];
	char hex[CL_SHA256_HEX];
	size_t start = out->len;
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
	if ((rc = cl_rcpt_sign_raw(s, out->data + start, out->len - start,
	    sig)) != CL_OK)
		goto err;
	EVP_EncodeBlock(b64, sig, CL_SIGNATURE_LEN);
	cl_buf_printf(out, "signature: %s\n", (const char *)b64);
	return CL_OK;
err:
	out->len = start;
	if (out->data != NULL)
		out->data[start] = '\0';
	return rc;
}

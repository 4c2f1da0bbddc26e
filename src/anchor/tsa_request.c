/*
 * tsa_request.c: asking an RFC 3161 authority for a time-stamp over a
 * checkpoint's note text (RFC 3161 §3.4 over HTTP): SHA-256 imprint, a
 * fresh 64-bit nonce, certReq; the reply is checked (tsa_verify.c, with
 * our nonce) before anyone may publish it.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/bn.h>
#include <openssl/err.h>

#include "callin/hash.h"
#include "callin/rand.h"

#include "anchor_int.h"

#define TSQ_TYPE "application/timestamp-query"
#define TSR_TYPE "application/timestamp-reply"

/*
 * Build the DER TimeStampReq over the SHA-256 of data with a fresh nonce
 * into *der (*derlen bytes, OPENSSL_free it) and the nonce into *nonce.
 * CL_ECRYPTO when the CSPRNG or OpenSSL fails.
 */
static cl_err
build_query(const void *data, size_t n, unsigned char **der, int *derlen,
    ASN1_INTEGER **nonce)
{
	unsigned char digest[CL_SHA256_LEN], rnd[8];
	TS_MSG_IMPRINT *imp = NULL;
	X509_ALGOR *alg = NULL;
	TS_REQ *req = NULL;
	BIGNUM *bn = NULL;
	cl_err rc = CL_ECRYPTO;

	*der = NULL;
	*nonce = NULL;
	cl_sha256(data, n, digest);
	if (cl_random_bytes(rnd, sizeof rnd) != CL_OK)
		goto err;
	rnd[0] |= 0x80; /* a full 64 bits, never a short one */
	if ((req = TS_REQ_new()) == NULL ||
	    (imp = TS_MSG_IMPRINT_new()) == NULL ||
	    (alg = X509_ALGOR_new()) == NULL ||
	    (bn = BN_bin2bn(rnd, sizeof rnd, NULL)) == NULL ||
	    (*nonce = BN_to_ASN1_INTEGER(bn, NULL)) == NULL)
		goto err;
	if (X509_ALGOR_set0(alg, OBJ_nid2obj(NID_sha256), V_ASN1_NULL, NULL) !=
		1 ||
	    TS_MSG_IMPRINT_set_algo(imp, alg) != 1 ||
	    TS_MSG_IMPRINT_set_msg(imp, digest, sizeof digest) != 1 ||
	    TS_REQ_set_version(req, 1) != 1 ||
	    TS_REQ_set_msg_imprint(req, imp) != 1 ||
	    TS_REQ_set_nonce(req, *nonce) != 1 ||
	    TS_REQ_set_cert_req(req, 1) != 1 ||
	    (*derlen = i2d_TS_REQ(req, der)) <= 0)
		goto err;
	rc = CL_OK;
err:
	if (rc != CL_OK) {
		ASN1_INTEGER_free(*nonce);
		*nonce = NULL;
		*der = NULL;
	}
	ERR_clear_error();
	BN_free(bn);
	X509_ALGOR_free(alg);
	TS_MSG_IMPRINT_free(imp);
	TS_REQ_free(req);
	return rc;
}

/* Whether the Content-Type ct is type, parameters aside. */
static int
is_type(const char *ct, const char *type)
{
	size_t n = strlen(type);

	return strncasecmp(ct, type, n) == 0 &&
	    (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

cl_err
cl_tsa_request(const char *url, const char *ca_file, const void *data, size_t n,
    long timeout_ms, cl_buf *out, cl_tsa_check *chk)
{
	struct anchor_reply r = { 0 };
	ASN1_INTEGER *nonce = NULL;
	unsigned char *q = NULL;
	TS_RESP *resp = NULL;
	PKCS7 *token = NULL;
	int qlen = 0;
	cl_err rc;

	memset(chk, 0, sizeof *chk);
	if ((rc = build_query(data, n, &q, &qlen, &nonce)) != CL_OK) {
		snprintf(chk->why, sizeof chk->why,
		    "cannot build the time-stamp query");
		goto err;
	}
	if ((rc = anchor_post(url, TSQ_TYPE, TSR_TYPE, q, (size_t)qlen,
		 timeout_ms, &r, chk->why, sizeof chk->why)) != CL_OK)
		goto err;
	rc = CL_EUNAVAIL;
	if (r.status != 200) {
		snprintf(chk->why, sizeof chk->why, "%s: answered HTTP %ld",
		    url, r.status);
		goto err;
	}
	if (!is_type(r.ctype, TSR_TYPE)) {
		snprintf(chk->why, sizeof chk->why,
		    "%s: answered Content-Type \"%s\", not " TSR_TYPE, url,
		    r.ctype);
		goto err;
	}
	if (anchor_tsa_parse(r.body.data, r.body.len, 0, &resp, &token) !=
	    CL_OK) {
		snprintf(chk->why, sizeof chk->why,
		    "%s: the reply is not a DER TimeStampResp", url);
		goto err;
	}
	if (anchor_tsa_granted(resp, chk->why, sizeof chk->why) != CL_OK)
		goto err; /* the authority refused: ask again later */
	if ((rc = anchor_tsa_check(TS_RESP_get_token(resp),
		 TS_RESP_get_tst_info(resp), data, n, ca_file, nonce, chk)) !=
	    CL_OK)
		goto err;
	cl_buf_add(out, r.body.data, r.body.len);
	rc = CL_OK;
err:
	ERR_clear_error();
	TS_RESP_free(resp);
	ASN1_INTEGER_free(nonce);
	OPENSSL_free(q);
	cl_buf_free(&r.body);
	return rc;
}

/*
 * tsa_verify.c: checking an RFC 3161 time-stamp token (OpenSSL's TS API)
 * as DESIGN.md §9 asks: the imprint is SHA-256 of our data, the nonce is
 * ours (when we asked), the signature holds, the signer certificate is
 * named by an ESSCertIDv2 (RFC 5816) and chains to a configured root with
 * the timeStamping purpose (critical, sole EKU) at the token's own genTime:
 * a good token outlives its certificate, and a token whose genTime lies
 * outside its certificate's validity is refused.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ess.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "callin/hash.h"

#include "anchor_int.h"

void
anchor_ossl_why(char *why, size_t whylen, const char *prefix)
{
	const char *data = NULL, *d;
	unsigned long e, first = 0;
	int flags;

	while ((e = ERR_get_error_all(NULL, NULL, NULL, &d, &flags)) != 0) {
		if (first == 0)
			first = e;
		if (data == NULL && (flags & ERR_TXT_STRING) && d != NULL &&
		    d[0] != '\0')
			data = d;
		if (data != NULL)
			break;
	}
	snprintf(why, whylen, "%s: %s%s%s%s", prefix,
	    first != 0 && ERR_reason_error_string(first) != NULL ?
		ERR_reason_error_string(first) :
		"OpenSSL says no more",
	    data != NULL ? " (" : "", data != NULL ? data : "",
	    data != NULL ? ")" : "");
	ERR_clear_error();
}

/* The GeneralizedTime g as POSIX seconds into *t.  CL_EPARSE when it is not one. */
static cl_err
gen_time(const ASN1_GENERALIZEDTIME *g, time_t *t)
{
	struct tm tm;

	if (g == NULL || ASN1_TIME_to_tm(g, &tm) != 1)
		return CL_EPARSE;
	*t = timegm(&tm);
	return CL_OK;
}

/*
 * Check that the signer of token is the certificate its
 * signingCertificateV2 attribute names first (RFC 5816): OpenSSL's own
 * check takes a v1 ESSCertID when there is one (openssl #14190), and we
 * want v2.  CL_EVERIFY with why.
 */
static cl_err
check_ess_v2(PKCS7 *token, char *why, size_t whylen)
{
	STACK_OF(PKCS7_SIGNER_INFO) * sis;
	STACK_OF(X509) *signers = NULL, *chain = NULL;
	ESS_SIGNING_CERT_V2 *ss = NULL;
	const unsigned char *p;
	ASN1_TYPE *attr;
	cl_err rc = CL_EVERIFY;

	if ((sis = PKCS7_get_signer_info(token)) == NULL ||
	    sk_PKCS7_SIGNER_INFO_num(sis) != 1) {
		snprintf(why, whylen, "ESSCertIDv2: not one signer");
		goto err;
	}
	attr = PKCS7_get_signed_attribute(sk_PKCS7_SIGNER_INFO_value(sis, 0),
	    NID_id_smime_aa_signingCertificateV2);
	if (attr == NULL || attr->type != V_ASN1_SEQUENCE) {
		snprintf(why, whylen,
		    "ESSCertIDv2: no signingCertificateV2 attribute "
		    "(the authority must use ess_cert_id_alg = sha256 or "
		    "better)");
		goto err;
	}
	p = attr->value.sequence->data;
	if ((ss = d2i_ESS_SIGNING_CERT_V2(NULL, &p,
		 attr->value.sequence->length)) == NULL) {
		snprintf(why, whylen,
		    "ESSCertIDv2: signingCertificateV2 unreadable");
		goto err;
	}
	if ((signers = PKCS7_get0_signers(token, NULL, 0)) == NULL ||
	    sk_X509_num(signers) != 1 || (chain = sk_X509_new_null()) == NULL ||
	    !sk_X509_push(chain, sk_X509_value(signers, 0))) {
		anchor_ossl_why(why, whylen, "ESSCertIDv2: signer");
		goto err;
	}
	if (OSSL_ESS_check_signing_certs(NULL, ss, chain, 1) != 1) {
		anchor_ossl_why(why, whylen,
		    "ESSCertIDv2: does not name the signer certificate");
		goto err;
	}
	rc = CL_OK;
err:
	ERR_clear_error();
	sk_X509_free(chain);
	sk_X509_free(signers);
	ESS_SIGNING_CERT_V2_free(ss);
	return rc;
}

/*
 * The roots in ca_file as a store that checks chains at time t.
 * CL_ECONFIG with why when the file cannot be read or holds no certificate.
 */
static cl_err
load_roots(const char *ca_file, time_t t, X509_STORE **out, char *why,
    size_t whylen)
{
	X509_STORE *st;

	*out = NULL;
	if ((st = X509_STORE_new()) == NULL)
		return CL_ENOMEM;
	if (ca_file == NULL || ca_file[0] == '\0' ||
	    X509_STORE_load_file(st, ca_file) != 1 ||
	    sk_X509_OBJECT_num(X509_STORE_get0_objects(st)) == 0) {
		ERR_clear_error();
		snprintf(why, whylen,
		    "tsa_ca_file: %s: cannot be read or holds no PEM "
		    "certificate",
		    ca_file != NULL && ca_file[0] != '\0' ? ca_file :
							    "(unset)");
		X509_STORE_free(st);
		return CL_ECONFIG;
	}
	X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(st), t);
	*out = st;
	return CL_OK;
}

cl_err
anchor_tsa_check(PKCS7 *token, TS_TST_INFO *tst, const void *data, size_t n,
    const char *ca_file, const ASN1_INTEGER *nonce, cl_tsa_check *chk)
{
	unsigned char digest[CL_SHA256_LEN];
	TS_VERIFY_CTX *ctx = NULL;
	X509_STORE *roots = NULL;
	TS_MSG_IMPRINT *imp;
	ASN1_OCTET_STRING *msg;
	X509_ALGOR *alg;
	const ASN1_INTEGER *tnonce;
	cl_err rc = CL_EVERIFY;

	chk->why[0] = '\0';
	if (gen_time(TS_TST_INFO_get_time(tst), &chk->gen_time) != CL_OK) {
		snprintf(chk->why, sizeof chk->why, "genTime unreadable");
		goto err;
	}
	imp = TS_TST_INFO_get_msg_imprint(tst);
	alg = TS_MSG_IMPRINT_get_algo(imp);
	msg = TS_MSG_IMPRINT_get_msg(imp);
	if (alg == NULL || OBJ_obj2nid(alg->algorithm) != NID_sha256) {
		snprintf(chk->why, sizeof chk->why,
		    "message imprint is not SHA-256");
		goto err;
	}
	cl_sha256(data, n, digest);
	if (msg == NULL || ASN1_STRING_length(msg) != CL_SHA256_LEN ||
	    memcmp(ASN1_STRING_get0_data(msg), digest, CL_SHA256_LEN) != 0) {
		snprintf(chk->why, sizeof chk->why,
		    "message imprint mismatch: the token is over other data");
		goto err;
	}
	if (nonce != NULL) {
		if ((tnonce = TS_TST_INFO_get_nonce(tst)) == NULL) {
			snprintf(chk->why, sizeof chk->why,
			    "nonce missing: the reply does not echo our nonce");
			goto err;
		}
		if (ASN1_INTEGER_cmp(tnonce, nonce) != 0) {
			snprintf(chk->why, sizeof chk->why,
			    "nonce mismatch: a reply to another query");
			goto err;
		}
	}
	if ((rc = load_roots(ca_file, chk->gen_time, &roots, chk->why,
		 sizeof chk->why)) != CL_OK)
		goto err;
	rc = CL_EVERIFY;
	if ((ctx = TS_VERIFY_CTX_new()) == NULL) {
		rc = CL_ENOMEM;
		goto err;
	}
	/* Signature, ESS certificate id, chain with the timeStamping purpose. */
	TS_VERIFY_CTX_set_flags(ctx,
	    TS_VFY_VERSION | TS_VFY_SIGNATURE | TS_VFY_SIGNER);
	TS_VERIFY_CTX_set_store(ctx, roots);
	roots = NULL; /* ctx owns it */
	if (TS_RESP_verify_token(ctx, token) != 1) {
		anchor_ossl_why(chk->why, sizeof chk->why,
		    "signature or certificate chain at genTime");
		goto err;
	}
	if ((rc = check_ess_v2(token, chk->why, sizeof chk->why)) != CL_OK)
		goto err;
	rc = CL_OK;
err:
	ERR_clear_error();
	TS_VERIFY_CTX_free(ctx);
	X509_STORE_free(roots);
	return rc;
}

/*
 * Write into why the status of a reply that was not granted: its status,
 * the authority's text and failure bits.  Cannot fail.
 */
static void
status_why(TS_STATUS_INFO *si, char *why, size_t whylen)
{
	static const char *const names[] = { "granted", "grantedWithMods",
		"rejection", "waiting", "revocationWarning",
		"revocationNotification" };
	const STACK_OF(ASN1_UTF8STRING) *text = TS_STATUS_INFO_get0_text(si);
	const ASN1_BIT_STRING *fail = TS_STATUS_INFO_get0_failure_info(si);
	long st = ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(si));
	char txt[100] = "";
	int i, bits = 0;

	if (text != NULL && sk_ASN1_UTF8STRING_num(text) > 0) {
		const ASN1_UTF8STRING *s = sk_ASN1_UTF8STRING_value(text, 0);
		int len = ASN1_STRING_length(s);

		if (len > (int)sizeof txt - 1)
			len = (int)sizeof txt - 1;
		memcpy(txt, ASN1_STRING_get0_data(s), (size_t)len);
		txt[len] = '\0';
		for (i = 0; i < len; i++)
			if ((unsigned char)txt[i] < 0x20 || txt[i] == 0x7f)
				txt[i] = '?';
	}
	for (i = 0; fail != NULL && i < 32; i++)
		if (ASN1_BIT_STRING_get_bit(fail, i))
			bits |= 1 << i;
	snprintf(why, whylen, "status %s%s%s%s, failInfo 0x%x",
	    st >= 0 && st <= 5 ? names[st] : "unknown",
	    txt[0] != '\0' ? " (\"" : "", txt, txt[0] != '\0' ? "\")" : "",
	    (unsigned)bits);
}

/*
 * Parse the DER reply (or bare token when token_only) at der into *resp
 * or *token (the other NULL): the whole of len bytes, nothing after.
 * CL_EPARSE when it is not one.
 */
cl_err
anchor_tsa_parse(const void *der, size_t len, int token_only, TS_RESP **resp,
    PKCS7 **token)
{
	const unsigned char *p = der;

	*resp = NULL;
	*token = NULL;
	if (len == 0 || len > ANCHOR_REPLY_MAX)
		return CL_EPARSE;
	if (token_only)
		*token = d2i_PKCS7(NULL, &p, (long)len);
	else
		*resp = d2i_TS_RESP(NULL, &p, (long)len);
	if ((*resp == NULL && *token == NULL) ||
	    p != (const unsigned char *)der + len) {
		TS_RESP_free(*resp);
		PKCS7_free(*token);
		*resp = NULL;
		*token = NULL;
		ERR_clear_error();
		return CL_EPARSE;
	}
	return CL_OK;
}

/*
 * The status of resp: CL_OK when granted (or granted with modifications)
 * and it holds a token, else CL_EVERIFY with why.
 */
cl_err
anchor_tsa_granted(TS_RESP *resp, char *why, size_t whylen)
{
	TS_STATUS_INFO *si = TS_RESP_get_status_info(resp);
	long st = ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(si));

	if (st != TS_STATUS_GRANTED && st != TS_STATUS_GRANTED_WITH_MODS) {
		status_why(si, why, whylen);
		return CL_EVERIFY;
	}
	if (TS_RESP_get_token(resp) == NULL ||
	    TS_RESP_get_tst_info(resp) == NULL) {
		snprintf(why, whylen, "status granted but no token");
		return CL_EVERIFY;
	}
	return CL_OK;
}

cl_err
cl_tsa_verify(const void *der, size_t len, int token_only, const void *data,
    size_t n, const char *ca_file, cl_tsa_check *chk)
{
	TS_TST_INFO *own_tst = NULL, *tst;
	TS_RESP *resp = NULL;
	PKCS7 *token = NULL;
	cl_err rc;

	memset(chk, 0, sizeof *chk);
	if ((rc = anchor_tsa_parse(der, len, token_only, &resp, &token)) !=
	    CL_OK) {
		snprintf(chk->why, sizeof chk->why, "not a DER %s",
		    token_only ? "TimeStampToken" : "TimeStampResp");
		return rc;
	}
	if (resp != NULL) {
		if ((rc = anchor_tsa_granted(resp, chk->why,
			 sizeof chk->why)) != CL_OK)
			goto err;
		token = TS_RESP_get_token(resp);
		tst = TS_RESP_get_tst_info(resp);
	} else if ((tst = own_tst = PKCS7_to_TS_TST_INFO(token)) == NULL) {
		anchor_ossl_why(chk->why, sizeof chk->why,
		    "not a time-stamp token");
		rc = CL_EVERIFY;
		goto err;
	}
	rc = anchor_tsa_check(token, tst, data, n, ca_file, NULL, chk);
err:
	ERR_clear_error();
	TS_TST_INFO_free(own_tst);
	if (resp != NULL)
		TS_RESP_free(resp); /* owns token */
	else
		PKCS7_free(token);
	return rc;
}

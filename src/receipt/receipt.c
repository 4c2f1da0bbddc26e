/* receipt.c: build and sign a v1 receipt. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "receipt_int.h"

/*
 * Build the v1 receipt and append it to out: the signed lines (with the
 * log line when log is not NULL or ""), then "signature: " and the base64
 * Ed25519 signature over them (sign.c).  CL_EINVAL (out unchanged) for a
 * reference, received time or log origin out of format, CL_ECRYPTO (out
 * unchanged) when signing fails.
 */
cl_err
cl_receipt_sign(const cl_signer *s, const char *reference, const char *received,
    const unsigned char commitment[CL_SHA256_LEN], const char *log, cl_buf *out)
{
	unsigned char sig[CL_SIGNATURE_LEN];
	unsigned char b64[4 * ((CL_SIGNATURE_LEN + 2) / 3) + 1];
	size_t start = out->len;
	cl_err rc;

	if ((rc = cl_receipt_body(reference, received, commitment, log, out)) !=
	    CL_OK)
		goto err;
	cl_buf_printf(out, "key: %s\n", s->id);
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

/*
 * Append the signed lines of a v1 receipt before its key line (see
 * receipt.h) to out, "log: <log>" last when log is not NULL or "".
 * CL_EINVAL (out unchanged) when reference, received or log is out of
 * format.
 */
cl_err
cl_receipt_body(const char *reference, const char *received,
    const unsigned char commitment[CL_SHA256_LEN], const char *log, cl_buf *out)
{
	char hex[CL_SHA256_HEX];

	if (log == NULL)
		log = "";
	if (!cl_rcpt_reference_ok(reference, strlen(reference)) ||
	    !cl_rcpt_received_ok(received, strlen(received)) ||
	    (*log != '\0' && !cl_config_origin_ok(log, strlen(log))))
		return CL_EINVAL;
	cl_hex(commitment, CL_SHA256_LEN, hex);
	cl_buf_printf(out,
	    CL_RECEIPT_MAGIC "\n"
			     "reference: %s\n"
			     "received: %s\n"
			     "commitment: sha256:%s\n",
	    reference, received, hex);
	if (*log != '\0')
		cl_buf_printf(out, "log: %s\n", log);
	return CL_OK;
}

/* Seconds since the epoch of a valid received time (UTC).  Cannot fail. */
int64_t
cl_receipt_received_epoch(const char *received)
{
	struct tm tm;

	memset(&tm, 0, sizeof tm);
	tm.tm_year = atoi(received) - 1900;
	tm.tm_mon = atoi(received + 5) - 1;
	tm.tm_mday = atoi(received + 8);
	tm.tm_hour = atoi(received + 11);
	tm.tm_min = atoi(received + 14);
	tm.tm_sec = atoi(received + 17);
	return (int64_t)timegm(&tm);
}

/*
 * Sign the receipt whose body is the n bytes of body, which must be
 * exactly what cl_receipt_body() writes for some reference, received time,
 * commitment and log origin (or none): anything else is refused with
 * CL_EPARSE (out unchanged).  With max_skew > 0, a received time more than
 * max_skew seconds away from now (epoch seconds) is refused with
 * CL_EINVAL.  CL_ECRYPTO when signing fails.
 */
cl_err
cl_receipt_sign_body(const cl_signer *s, const char *body, size_t n,
    int64_t now, int64_t max_skew, cl_buf *out)
{
	static const char ref_tag[] = CL_RECEIPT_MAGIC "\nreference: ";
	static const char log_tag[] = "log: ";
	const size_t ref_at = sizeof ref_tag - 1;
	const size_t rcv_at = ref_at + CL_REFERENCE_LEN +
	    sizeof "\nreceived: " - 1;
	const size_t com_at = rcv_at + CL_RECEIVED_LEN +
	    sizeof "\ncommitment: sha256:" - 1;
	const size_t log_at = com_at + 2 * CL_SHA256_LEN + 1;
	const size_t origin_at = log_at + sizeof log_tag - 1;
	char reference[CL_REFERENCE_LEN + 1], received[CL_RECEIVED_LEN + 1];
	char log[CL_RECEIPT_LOG_MAX] = "";
	unsigned char commitment[CL_SHA256_LEN];
	size_t start = out->len, olen;
	cl_err rc;

	if (n < log_at || memcmp(body, ref_tag, ref_at) != 0 ||
	    cl_unhex(body + com_at, 2 * CL_SHA256_LEN, commitment,
		CL_SHA256_LEN) != CL_OK)
		return CL_EPARSE;
	/* After the commitment: nothing, or one log line. */
	if (n > log_at) {
		olen = n - origin_at - 1;
		if (n <= origin_at + 1 ||
		    memcmp(body + log_at, log_tag, sizeof log_tag - 1) != 0 ||
		    body[n - 1] != '\n' || olen >= sizeof log ||
		    !cl_config_origin_ok(body + origin_at, olen))
			return CL_EPARSE;
		memcpy(log, body + origin_at, olen);
		log[olen] = '\0';
	}
	memcpy(reference, body + ref_at, CL_REFERENCE_LEN);
	reference[CL_REFERENCE_LEN] = '\0';
	memcpy(received, body + rcv_at, CL_RECEIVED_LEN);
	received[CL_RECEIVED_LEN] = '\0';
	if (!cl_rcpt_received_ok(received, CL_RECEIVED_LEN))
		return CL_EPARSE;
	if (max_skew > 0 &&
	    llabs(cl_receipt_received_epoch(received) - now) > max_skew)
		return CL_EINVAL;
	if ((rc = cl_receipt_sign(s, reference, received, commitment, log,
		 out)) != CL_OK)
		return rc == CL_EINVAL ? CL_EPARSE : rc;
	/* What was signed must begin with the very bytes asked for. */
	if (out->len - start < n || memcmp(out->data + start, body, n) != 0 ||
	    out->data[start + n] != 'k') {
		out->len = start;
		out->data[start] = '\0';
		return CL_EPARSE;
	}
	return CL_OK;
}

/* csrf.c: issue and check the form's stateless anti-forgery token. */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>

#include "callin/csrf.h"
#include "callin/readfile.h"

#define CONTEXT "callin-form-v1"
#define CONTEXT_LEN (sizeof(CONTEXT) - 1)
#define NONCE_LEN 16
#define TIME_LEN 8
#define MAC_LEN 32
#define RAW_LEN (NONCE_LEN + TIME_LEN + MAC_LEN)

_Static_assert(CL_B64URL_LEN(RAW_LEN) == CL_CSRF_TOKEN_LEN, "token length");
_Static_assert(CL_B64URL_LEN(NONCE_LEN) == CL_CSRF_KEY_LEN, "key length");

/*
 * The HMAC context keyed with the last secret seen, kept per process: a
 * one-shot HMAC() fetches the algorithm and sets the key on every call
 * (about 5 us); duplicating a keyed context costs a sixth of that.
 */
static EVP_MAC_CTX *keyed;
static unsigned char keyed_secret[64];
static size_t keyed_len;

/* Return a fresh copy of the context keyed with secret, or NULL. */
static EVP_MAC_CTX *
keyed_ctx(const void *secret, size_t secret_len)
{
	if (keyed == NULL || secret_len != keyed_len ||
	    secret_len > sizeof keyed_secret ||
	    CRYPTO_memcmp(secret, keyed_secret, secret_len) != 0) {
		OSSL_PARAM params[] = {
			OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
			    "SHA256", 0),
			OSSL_PARAM_construct_end(),
		};
		EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
		EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;

		EVP_MAC_free(mac);
		if (ctx == NULL ||
		    EVP_MAC_init(ctx, secret, secret_len, params) != 1) {
			EVP_MAC_CTX_free(ctx);
			return NULL;
		}
		EVP_MAC_CTX_free(keyed);
		keyed = ctx;
		keyed_len = 0;
		if (secret_len <= sizeof keyed_secret) {
			memcpy(keyed_secret, secret, secret_len);
			keyed_len = secret_len;
		}
	}
	return EVP_MAC_CTX_dup(keyed);
}

/* Compute the MAC of the nonce and time at raw into mac. */
static cl_err
mac_of(const void *secret, size_t secret_len, const unsigned char *raw,
    unsigned char mac[MAC_LEN])
{
	EVP_MAC_CTX *ctx = keyed_ctx(secret, secret_len);
	size_t maclen = 0;
	cl_err rc = CL_ECRYPTO;

	if (ctx == NULL ||
	    EVP_MAC_update(ctx, (const unsigned char *)CONTEXT, CONTEXT_LEN) !=
		1 ||
	    EVP_MAC_update(ctx, raw, NONCE_LEN + TIME_LEN) != 1 ||
	    EVP_MAC_final(ctx, mac, &maclen, MAC_LEN) != 1 || maclen != MAC_LEN)
		goto err;
	rc = CL_OK;
err:
	EVP_MAC_CTX_free(ctx);
	return rc;
}

cl_err
cl_csrf_issue(const void *secret, size_t secret_len, time_t now,
    char out[CL_CSRF_TOKEN_MAX])
{
	unsigned char raw[RAW_LEN];
	uint64_t t = (uint64_t)(int64_t)now;
	cl_err rc;
	int i;

	out[0] = '\0';
	if (secret == NULL || secret_len < CL_CSRF_SECRET_MIN) {
		rc = CL_EINVAL;
		goto err;
	}
	if ((rc = cl_random_bytes(raw, NONCE_LEN)) != CL_OK)
		goto err;
	for (i = 0; i < TIME_LEN; i++)
		raw[NONCE_LEN + i] = (unsigned char)(t >>
		    (8 * (TIME_LEN - 1 - i)));
	rc = mac_of(secret, secret_len, raw, raw + NONCE_LEN + TIME_LEN);
	if (rc != CL_OK)
		goto err;
	cl_b64url_encode(raw, RAW_LEN, out);
	return CL_OK;
err:
	out[0] = '\0';
	return rc;
}

cl_err
cl_csrf_check(const void *secret, size_t secret_len, const char *token,
    time_t now, int64_t max_age_s)
{
	unsigned char raw[RAW_LEN], mac[MAC_LEN];
	size_t len, rawlen;
	int64_t issued;
	uint64_t t = 0;
	cl_err rc;
	int i;

	if (secret == NULL || secret_len < CL_CSRF_SECRET_MIN ||
	    token == NULL) {
		rc = CL_EVERIFY;
		goto err;
	}
	len = strnlen(token, CL_CSRF_TOKEN_MAX);
	if (len != CL_CSRF_TOKEN_LEN ||
	    cl_b64url_decode(token, len, raw, sizeof raw, &rawlen) != CL_OK ||
	    rawlen != RAW_LEN) {
		rc = CL_EVERIFY;
		goto err;
	}
	if ((rc = mac_of(secret, secret_len, raw, mac)) != CL_OK)
		goto err;
	if (CRYPTO_memcmp(mac, raw + NONCE_LEN + TIME_LEN, MAC_LEN) != 0) {
		rc = CL_EVERIFY;
		goto err;
	}
	for (i = 0; i < TIME_LEN; i++)
		t = t << 8 | raw[NONCE_LEN + i];
	issued = (int64_t)t;
	/* Differences as unsigned, so that no value can overflow. */
	if (max_age_s < 0 ||
	    (issued > (int64_t)now &&
		(uint64_t)issued - (uint64_t)(int64_t)now > CL_CSRF_SKEW) ||
	    (issued < (int64_t)now &&
		(uint64_t)(int64_t)now - (uint64_t)issued >
		    (uint64_t)max_age_s)) {
		rc = CL_EINVAL;
		goto err;
	}
	rc = CL_OK;
err:
	OPENSSL_cleanse(mac, sizeof mac);
	return rc;
}

cl_err
cl_csrf_key(const char *token, char key[CL_CSRF_KEY_MAX])
{
	unsigned char raw[RAW_LEN];
	size_t len, rawlen;

	key[0] = '\0';
	len = token ? strnlen(token, CL_CSRF_TOKEN_MAX) : 0;
	if (len != CL_CSRF_TOKEN_LEN ||
	    cl_b64url_decode(token, len, raw, sizeof raw, &rawlen) != CL_OK ||
	    rawlen != RAW_LEN)
		return CL_EVERIFY;
	cl_b64url_encode(raw, NONCE_LEN, key);
	return CL_OK;
}

cl_err
cl_csrf_load_secret(const char *path, unsigned char *buf, size_t *len,
    char *errbuf, size_t errlen)
{
	size_t cap = *len;

	if (cl_read_file(path, CL_READ_PRIVATE, buf, cap, len, NULL, errbuf,
		errlen) != CL_OK)
		return CL_ECONFIG;
	if (*len < CL_CSRF_SECRET_MIN) {
		snprintf(errbuf, errlen,
		    "%s: %zu bytes; a form secret needs "
		    "at least %d random bytes (head -c 32 /dev/urandom > FILE)",
		    path, *len, CL_CSRF_SECRET_MIN);
		OPENSSL_cleanse(buf, cap);
		*len = 0;
		return CL_ECONFIG;
	}
	return CL_OK;
}

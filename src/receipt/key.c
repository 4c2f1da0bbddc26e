/* key.c: the private signing key: loading, checks and key id. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "callin/alloc.h"
#include "callin/readfile.h"
#include "receipt_int.h"

/*
 * Compute k's key id (first 16 hex digits of SHA-256 over its DER
 * SubjectPublicKeyInfo, as `openssl pkey -pubin -outform DER | sha256sum`)
 * and raw public key.  CL_ECRYPTO when OpenSSL cannot encode the key.
 */
cl_err
cl_rcpt_key_id(EVP_PKEY *k, char id[CL_KEY_ID_LEN + 1],
    unsigned char raw[CL_ED25519_RAW])
{
	unsigned char md[CL_SHA256_LEN], *der = NULL;
	char hex[CL_SHA256_HEX];
	size_t rawlen = CL_ED25519_RAW;
	int len;

	if ((len = i2d_PUBKEY(k, &der)) <= 0)
		goto err;
	cl_sha256(der, (size_t)len, md);
	cl_hex(md, sizeof md, hex);
	memcpy(id, hex, CL_KEY_ID_LEN);
	id[CL_KEY_ID_LEN] = '\0';
	if (EVP_PKEY_get_raw_public_key(k, raw, &rawlen) != 1 ||
	    rawlen != CL_ED25519_RAW)
		goto err;
	OPENSSL_free(der);
	return CL_OK;
err:
	OPENSSL_free(der);
	return CL_ECRYPTO;
}

/*
 * Load the Ed25519 private key in the PEM file path.  CL_ECONFIG, *out NULL
 * and one line naming path in errbuf when the file is missing, unreadable,
 * not regular, open to group or others, not an unencrypted PEM private key,
 * or not Ed25519.
 */
cl_err
cl_signer_load(const char *path, cl_signer **out, char *errbuf, size_t errlen)
{
	cl_signer *s = NULL;
	EVP_PKEY *k = NULL;
	BIO *bio = NULL;
	char *text = NULL;
	size_t len = 0;
	unsigned mode = 0;

	*out = NULL;
	if (cl_rcpt_read_file(path, &text, &len, &mode, errbuf, errlen) !=
	    CL_OK)
		goto err;
	if ((mode & 077) != 0) {
		snprintf(errbuf, errlen,
		    "%s: private key is readable or "
		    "writable by group or others (mode %04o); chmod 600 it",
		    path, mode & 07777);
		goto err;
	}
	if ((bio = BIO_new_mem_buf(text, (int)len)) == NULL ||
	    (k = PEM_read_bio_PrivateKey(bio, NULL, cl_pem_no_passphrase,
		 NULL)) == NULL) {
		snprintf(errbuf, errlen,
		    "%s: not an unencrypted PEM private "
		    "key",
		    path);
		goto err;
	}
	if (!EVP_PKEY_is_a(k, "ED25519")) {
		snprintf(errbuf, errlen,
		    "%s: not an Ed25519 key (it is %s); "
		    "make one with callin-keygen",
		    path,
		    EVP_PKEY_get0_type_name(k) ? EVP_PKEY_get0_type_name(k) :
						 "another type");
		goto err;
	}
	s = cl_calloc(1, sizeof *s);
	if (cl_rcpt_key_id(k, s->id, s->raw) != CL_OK) {
		snprintf(errbuf, errlen, "%s: cannot encode the public key",
		    path);
		goto err;
	}
	s->pkey = k;
	k = NULL;
	BIO_free(bio);
	OPENSSL_cleanse(text, len);
	free(text);
	*out = s;
	return CL_OK;
err:
	ERR_clear_error();
	cl_signer_free(s);
	EVP_PKEY_free(k);
	BIO_free(bio);
	if (text != NULL) {
		OPENSSL_cleanse(text, len);
		free(text);
	}
	return CL_ECONFIG;
}

/* Free the signer; NULL is fine.  Cannot fail. */
void
cl_signer_free(cl_signer *s)
{
	if (s == NULL)
		return;
	EVP_PKEY_free(s->pkey);
	free(s);
}

/* The signer's key id.  Cannot fail. */
const char *
cl_signer_key_id(const cl_signer *s)
{
	return s->id;
}

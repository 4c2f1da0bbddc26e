/*
 * receipt_int.h: what the receipt module's files share and nobody else uses.
 */
#ifndef CALLIN_RECEIPT_INT_H
#define CALLIN_RECEIPT_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

#include "callin/receipt.h"

#define CL_ED25519_RAW 32    /* raw public key bytes */
#define CL_KEYFILE_MAX 65536 /* largest key file read */

/* A signer: OpenSSL's Ed25519 key, its id and raw public key. */
struct cl_signer {
	EVP_PKEY *pkey;
	char id[CL_KEY_ID_LEN + 1];
	unsigned char raw[CL_ED25519_RAW]; /* the public key */
};

/*
 * Sign the n bytes of msg into sig (Ed25519, one shot, a fresh context each
 * time).  CL_ECRYPTO when the library fails.
 */
cl_err cl_rcpt_sign_raw(const cl_signer *s, const void *msg, size_t n,
    unsigned char sig[CL_SIGNATURE_LEN]);

/*
 * Compute the key id of k (first 16 hex digits of SHA-256 over its DER
 * SubjectPublicKeyInfo) and its raw public key.  CL_ECRYPTO when OpenSSL
 * cannot encode it.
 */
cl_err cl_rcpt_key_id(EVP_PKEY *k, char id[CL_KEY_ID_LEN + 1],
    unsigned char raw[CL_ED25519_RAW]);

/* The public key i (< count) of ring.  Cannot fail. */
EVP_PKEY *cl_rcpt_keyring_pkey(const cl_keyring *ring, size_t i);

/*
 * Read the whole regular file path (at most CL_KEYFILE_MAX bytes) into a
 * new NUL-terminated buffer *out of *len bytes; *mode gets its st_mode.
 * CL_ECONFIG with one line in errbuf when it cannot (cl_read_file()).
 */
cl_err cl_rcpt_read_file(const char *path, char **out, size_t *len,
    unsigned *mode, char *errbuf, size_t errlen);

/* Whether the n bytes of s are a reference "CIR-XXXX-XXXX".  Cannot fail. */
bool cl_rcpt_reference_ok(const char *s, size_t n);
/* Whether the n bytes of s are "YYYY-MM-DDTHH:MM:SSZ", a real UTC time. */
bool cl_rcpt_received_ok(const char *s, size_t n);

#endif /* CALLIN_RECEIPT_INT_H */

/*
 * decoy.c: the honeypot's decoy confirmation.  A form whose hidden field
 * was filled is answered as a real one is: a 303 to /receipt/<token>, whose
 * page, receipt.txt and copy.json answer 200 with content of the real
 * shape; yet nothing is stored and no mail is sent.
 *
 * The token carries what the pages need, sealed in one AES-128 block under
 * a key derived from the form secret: a marker, the signing key's place in
 * the keyring, the received time (ms) and four random bytes.  It reads as
 * random as a real token (22 characters of base64url), and every host that
 * shares the form secret answers it.  The reference and copy.json's salt
 * are HMACs of the received time and random bytes, so every visit shows the
 * same.  The copy holds empty answers (the bot's are not kept) and the
 * receipt's signature is an HMAC, not the service's: its key never vouches
 * for a request the service did not keep, so /verify calls it not valid.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "callin/clock.h"
#include "callin/err.h"
#include "callin/intake.h"
#include "callin/page.h"
#include "callin/rand.h"
#include "callin/receipt.h"
#include "callin/reference.h"
#include "callin/reqdoc.h"

#define BLOCK 16 /* the sealed token's bytes */
#define IDENT 10 /* received ms (6 bytes) and random (4) */

static const unsigned char marker[5] = { 0xd3, 0xc0, 0x7a, 0x1e, 0x01 };

/* The keys derived from the form secret. */
struct keys {
	unsigned char seal[32]; /* AES-128 key: the first 16 bytes */
	unsigned char mac[32];	/* HMAC key of the derived values */
};

/*
 * Write into out the HMAC-SHA256 under key (klen bytes) of label followed
 * by the n bytes at p.  CL_ECRYPTO when OpenSSL fails.
 */
static cl_err
mac(const void *key, size_t klen, const char *label, const void *p, size_t n,
    unsigned char out[32])
{
	unsigned char msg[64];
	size_t l = strlen(label), outlen = 0;

	CL_ASSERT(l + n <= sizeof msg);
	memcpy(msg, label, l);
	if (n > 0)
		memcpy(msg + l, p, n);
	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, klen, msg, l + n,
		out, 32, &outlen) == NULL ||
	    outlen != 32) {
		ERR_clear_error();
		return CL_ECRYPTO;
	}
	return CL_OK;
}

/* Derive the decoy's keys from app's form secret.  CL_ECRYPTO on failure. */
static cl_err
derive(const cl_svc *app, struct keys *k)
{
	cl_err rc;

	if ((rc = mac(app->form_secret, app->form_secret_len,
		 "callin-decoy-seal-v1", NULL, 0, k->seal)) != CL_OK)
		return rc;
	return mac(app->form_secret, app->form_secret_len,
	    "callin-decoy-mac-v1", NULL, 0, k->mac);
}

/* AES-128 of one block, enc 1 to seal, 0 to open.  CL_ECRYPTO on failure. */
static cl_err
crypt_block(const struct keys *k, int enc, const unsigned char in[BLOCK],
    unsigned char out[BLOCK])
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n = 0, ok;

	ok = c != NULL &&
	    EVP_CipherInit_ex(c, EVP_aes_128_ecb(), NULL, k->seal, NULL, enc) ==
		1 &&
	    EVP_CIPHER_CTX_set_padding(c, 0) == 1 &&
	    EVP_CipherUpdate(c, out, &n, in, BLOCK) == 1 && n == BLOCK;
	EVP_CIPHER_CTX_free(c);
	if (!ok) {
		ERR_clear_error();
		return CL_ECRYPTO;
	}
	return CL_OK;
}

/*
 * Build the decoy's copy.json into copy and its receipt body into body for
 * the identity ident (received ms, big-endian, and random bytes) with the
 * log line of log (as a real one's: NULL or "" for none), writing
 * its reference, received time and received ms.  CL_ECRYPTO or CL_EINVAL
 * when a part cannot be made.
 */
static cl_err
build(const struct keys *k, const unsigned char ident[IDENT], const char *log,
    cl_buf *copy, cl_buf *body, char reference[CL_REFERENCE_MAX],
    char received[32], int64_t *ms)
{
	unsigned char seed[32], salt[32], commitment[CL_SHA256_LEN];
	cl_answers none = CL_ANSWERS_INIT;
	bson_t fields = BSON_INITIALIZER;
	struct tm tm;
	time_t t;
	cl_err rc;

	_Static_assert(CL_SALT_LEN == 32, "a salt is one HMAC");
	*ms = 0;
	for (int i = 0; i < 6; i++)
		*ms = *ms << 8 | ident[i];
	t = (time_t)(*ms / 1000);
	gmtime_r(&t, &tm);
	strftime(received, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if ((rc = mac(k->mac, sizeof k->mac, "reference", ident, IDENT,
		 seed)) != CL_OK ||
	    (rc = mac(k->mac, sizeof k->mac, "salt", ident, IDENT, salt)) !=
		CL_OK)
		goto err;
	cl_reference_from(seed, reference);
	cl_intake_fields(&none, &fields);
	if ((rc = cl_copy_build(reference, received, salt, &fields, NULL,
		 copy)) != CL_OK)
		goto err;
	cl_sha256(copy->data, copy->len, commitment);
	rc = cl_receipt_body(reference, received, commitment, log, body);
err:
	bson_destroy(&fields);
	return rc;
}

cl_err
cl_decoy_new(cl_svc *app, char *token)
{
	static cl_receipt parsed; /* 4 KiB: not on the stack */
	unsigned char ident[IDENT], plain[BLOCK], sealed[BLOCK];
	char reference[CL_REFERENCE_MAX], received[32];
	cl_buf copy = CL_BUF_INIT, body = CL_BUF_INIT, receipt = CL_BUF_INIT;
	int64_t now = cl_now_ms(), ms;
	size_t index = 0;
	struct keys k;
	cl_err rc;

	token[0] = '\0';
	for (int i = 0; i < 6; i++)
		ident[i] = (unsigned char)(now >> (8 * (5 - i)));
	if ((rc = derive(app, &k)) != CL_OK ||
	    (rc = cl_random_bytes(ident + 6, IDENT - 6)) != CL_OK ||
	    (rc = build(&k, ident, app->cfg->log_origin, &copy, &body,
		 reference, received, &ms)) != CL_OK)
		goto err;
	/*
	 * Ask the signer as a real request does: it names the key in use, it
	 * costs what a real one costs, and a signer that is down gets the 503
	 * a real request gets.  Its signature is thrown away.
	 */
	if ((rc = cl_svc_sign(app, &body, &receipt)) != CL_OK)
		goto err;
	if (cl_receipt_parse(receipt.data, receipt.len, &parsed) == CL_OK &&
	    (cl_keyring_find(app->keyring, parsed.key_id, &index) != CL_OK ||
		index > 255))
		index = 0;
	memcpy(plain, marker, sizeof marker);
	plain[5] = (unsigned char)index;
	memcpy(plain + 6, ident, IDENT);
	if ((rc = crypt_block(&k, 1, plain, sealed)) != CL_OK)
		goto err;
	cl_b64url_encode(sealed, BLOCK, token);
err:
	OPENSSL_cleanse(&k, sizeof k);
	cl_buf_free(&copy);
	cl_buf_free(&body);
	cl_buf_free(&receipt);
	return rc;
}

cl_err
cl_decoy_find(cl_svc *app, const char *token, bson_t *doc)
{
	unsigned char sealed[BLOCK], plain[BLOCK], sig[64];
	unsigned char b64[4 * ((sizeof sig + 2) / 3) + 1];
	char reference[CL_REFERENCE_MAX], received[32];
	cl_buf copy = CL_BUF_INIT, receipt = CL_BUF_INIT;
	const char *key_id;
	struct keys k;
	size_t n = 0;
	int64_t ms;
	cl_err rc = CL_ENOTFOUND;

	if (strlen(token) != CL_B64URL_LEN(BLOCK) ||
	    cl_b64url_decode(token, strlen(token), sealed, sizeof sealed, &n) !=
		CL_OK ||
	    n != BLOCK)
		return CL_ENOTFOUND;
	if (derive(app, &k) != CL_OK ||
	    crypt_block(&k, 0, sealed, plain) != CL_OK ||
	    memcmp(plain, marker, sizeof marker) != 0 ||
	    plain[5] >= cl_keyring_count(app->keyring))
		goto err;
	key_id = cl_keyring_id(app->keyring, plain[5]);
	if (build(&k, plain + 6, app->cfg->log_origin, &copy, &receipt,
		reference, received, &ms) != CL_OK ||
	    mac(k.mac, sizeof k.mac, "signature-1", sealed, BLOCK, sig) !=
		CL_OK ||
	    mac(k.mac, sizeof k.mac, "signature-2", sealed, BLOCK, sig + 32) !=
		CL_OK)
		goto err;
	EVP_EncodeBlock(b64, sig, sizeof sig);
	cl_buf_printf(&receipt, "key: %s\nsignature: %s\n", key_id,
	    (const char *)b64);
	bson_init(doc);
	BSON_APPEND_UTF8(doc, CL_DOC_TOKEN, token);
	BSON_APPEND_UTF8(doc, CL_DOC_REFERENCE, reference);
	BSON_APPEND_UTF8(doc, CL_DOC_RECEIVED, received);
	BSON_APPEND_INT64(doc, CL_DOC_RECEIVED_MS, ms);
	BSON_APPEND_UTF8(doc, CL_DOC_COPY_JSON, cl_buf_str(&copy));
	BSON_APPEND_UTF8(doc, CL_DOC_RECEIPT, cl_buf_str(&receipt));
	BSON_APPEND_UTF8(doc, CL_DOC_KEY_ID, key_id);
	/* Its receipt promises the log, as a real one's does. */
	if (app->cfg->log_origin[0] != '\0')
		BSON_APPEND_UTF8(doc, CL_DOC_LOG, app->cfg->log_origin);
	rc = CL_OK;
err:
	OPENSSL_cleanse(&k, sizeof k);
	cl_buf_free(&copy);
	cl_buf_free(&receipt);
	return rc;
}

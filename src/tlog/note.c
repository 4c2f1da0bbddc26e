/*
 * note.c: the log's Ed25519 note key and c2sp.org/signed-note: signing,
 * verifier keys, and opening notes signed by the log (type 0x01) or
 * cosigned by witnesses (cosignature/v1, type 0x04).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "callin/alloc.h"
#include "callin/readfile.h"
#include "tlog_int.h"

#define KEYFILE_MAX 4096	 /* bytes of a PEM key file, at most */
#define SIG_DASH "\xe2\x80\x94 " /* "— ": U+2014 and a space */
#define SIG_ED25519 64		 /* bytes of an Ed25519 signature */
#define SIG_LINE_MAX 4096	 /* base64 of one signature, at most */

struct cl_tlog_signer {
	EVP_PKEY *pkey;
	char name[CL_TLOG_ORIGIN_MAX];
	uint32_t id;
	unsigned char pub[32];
};

/* Load the log's Ed25519 note key.  CL_ECONFIG with one line in err. */
cl_err
cl_tlog_signer_load(const char *path, const char *name, cl_tlog_signer **out,
    char *err, size_t errlen)
{
	unsigned char *text = cl_malloc(KEYFILE_MAX);
	cl_tlog_signer *s = NULL;
	EVP_PKEY *k = NULL;
	BIO *bio = NULL;
	size_t len = 0, publen = sizeof s->pub;

	*out = NULL;
	if (!cl_tlog_name_ok(name)) {
		snprintf(err, errlen,
		    "log key name \"%s\" is not a note key name (non-empty, "
		    "no spaces, no '+', at most %d bytes)",
		    name, CL_TLOG_ORIGIN_MAX - 1);
		goto err;
	}
	if (cl_read_file(path, CL_READ_PRIVATE, text, KEYFILE_MAX, &len, NULL,
		err, errlen) != CL_OK)
		goto err;
	if ((bio = BIO_new_mem_buf(text, (int)len)) == NULL ||
	    (k = PEM_read_bio_PrivateKey(bio, NULL, cl_pem_no_passphrase,
		 NULL)) == NULL) {
		snprintf(err, errlen, "%s: not an unencrypted PEM private key",
		    path);
		goto err;
	}
	if (!EVP_PKEY_is_a(k, "ED25519")) {
		snprintf(err, errlen,
		    "%s: not an Ed25519 key; make one with callin-keygen --log",
		    path);
		goto err;
	}
	s = cl_calloc(1, sizeof *s);
	if (EVP_PKEY_get_raw_public_key(k, s->pub, &publen) != 1 ||
	    publen != sizeof s->pub) {
		snprintf(err, errlen, "%s: cannot encode the public key", path);
		goto err;
	}
	memcpy(s->name, name, strlen(name) + 1);
	s->id = cl_tlog_key_id(s->name, 0x01, s->pub);
	s->pkey = k;
	BIO_free(bio);
	OPENSSL_cleanse(text, KEYFILE_MAX);
	free(text);
	*out = s;
	return CL_OK;
err:
	ERR_clear_error();
	free(s);
	EVP_PKEY_free(k);
	BIO_free(bio);
	OPENSSL_cleanse(text, KEYFILE_MAX);
	free(text);
	return CL_ECONFIG;
}

/* Free the signer; NULL is fine.  Cannot fail. */
void
cl_tlog_signer_free(cl_tlog_signer *s)
{
	if (s == NULL)
		return;
	EVP_PKEY_free(s->pkey);
	free(s);
}

/* Write the verifier key of s.  Cannot fail. */
void
cl_tlog_signer_vkey(const cl_tlog_signer *s, char out[CL_TLOG_VKEY_MAX])
{
	cl_buf b = CL_BUF_INIT;
	unsigned char k[33];

	k[0] = 0x01;
	memcpy(k + 1, s->pub, sizeof s->pub);
	cl_buf_printf(&b, "%s+%08x+", s->name, (unsigned)s->id);
	cl_tlog_b64_add(&b, k, sizeof k);
	CL_ASSERT(b.len < CL_TLOG_VKEY_MAX);
	memcpy(out, b.data, b.len + 1);
	cl_buf_free(&b);
}

/* Parse a verifier key.  CL_EPARSE when it is not one. */
cl_err
cl_tlog_vkey_parse(const char *vkey, cl_tlog_verifier *out)
{
	const char *p1, *p2;
	unsigned char k[33];
	size_t nlen, klen;
	uint32_t id = 0;
	int i;

	memset(out, 0, sizeof *out);
	/* The base64 may hold '+': split at the first two only. */
	if ((p1 = strchr(vkey, '+')) == NULL ||
	    (p2 = strchr(p1 + 1, '+')) == NULL)
		return CL_EPARSE;
	nlen = (size_t)(p1 - vkey);
	if (nlen >= sizeof out->name || !cl_tlog_name_valid(vkey, nlen) ||
	    p2 - p1 - 1 != 8)
		return CL_EPARSE;
	for (i = 0; i < 8; i++) {
		char c = p1[1 + i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return CL_EPARSE;
		id = id << 4 | (uint32_t)(c <= '9' ? c - '0' : c - 'a' + 10);
	}
	if (cl_tlog_b64_decode(p2 + 1, strlen(p2 + 1), k, sizeof k, &klen) !=
		CL_OK ||
	    klen != sizeof k || (k[0] != 0x01 && k[0] != 0x04))
		return CL_EPARSE;
	memcpy(out->name, vkey, nlen);
	out->name[nlen] = '\0';
	memcpy(out->key, k + 1, sizeof out->key);
	out->type = k[0];
	out->id = id;
	if (cl_tlog_key_id(out->name, out->type, out->key) != id) {
		memset(out, 0, sizeof *out);
		return CL_EPARSE;
	}
	return CL_OK;
}

/* Sign the text with s and append the signed note.  CL_EINVAL, CL_ECRYPTO. */
cl_err
cl_tlog_note_sign(const cl_tlog_signer *s, const char *text, size_t n,
    cl_buf *out)
{
	unsigned char sig[4 + SIG_ED25519];
	size_t siglen = SIG_ED25519;
	EVP_MD_CTX *md = NULL;
	cl_err rc = CL_ECRYPTO;

	if (!cl_tlog_text_valid(text, n))
		return CL_EINVAL;
	sig[0] = (unsigned char)(s->id >> 24);
	sig[1] = (unsigned char)(s->id >> 16);
	sig[2] = (unsigned char)(s->id >> 8);
	sig[3] = (unsigned char)s->id;
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(md, NULL, NULL, NULL, s->pkey) != 1 ||
	    EVP_DigestSign(md, sig + 4, &siglen, (const unsigned char *)text,
		n) != 1 ||
	    siglen != SIG_ED25519)
		goto err;
	cl_buf_add(out, text, n);
	cl_buf_puts(out, "\n" SIG_DASH);
	cl_buf_puts(out, s->name);
	cl_buf_putc(out, ' ');
	cl_tlog_b64_add(out, sig, sizeof sig);
	cl_buf_putc(out, '\n');
	rc = CL_OK;
err:
	ERR_clear_error();
	EVP_MD_CTX_free(md);
	return rc;
}

/* Whether sig is an Ed25519 signature of msg by key.  Cannot fail. */
static int
ed25519_ok(const unsigned char key[32], const unsigned char *sig,
    const unsigned char *msg, size_t n)
{
	EVP_PKEY *k;
	EVP_MD_CTX *md = NULL;
	int ok = 0;

	if ((k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, key,
		 32)) != NULL &&
	    (md = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestVerifyInit(md, NULL, NULL, NULL, k) == 1 &&
	    EVP_DigestVerify(md, sig, SIG_ED25519, msg, n) == 1)
		ok = 1;
	ERR_clear_error();
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(k);
	return ok;
}

/*
 * Whether the signature payload sig (len bytes after the key ID) by key k
 * verifies over text (n bytes); for a cosignature its time goes to *when.
 */
static int
sig_ok(const cl_tlog_verifier *k, const unsigned char *sig, size_t len,
    const char *text, size_t n, uint64_t *when)
{
	cl_buf msg = CL_BUF_INIT;
	uint64_t t = 0;
	int i, ok;

	if (k->type == 0x01)
		return len == SIG_ED25519 &&
		    ed25519_ok(k->key, sig, (const unsigned char *)text, n);
	CL_ASSERT(k->type == 0x04);
	if (len != 8 + SIG_ED25519)
		return 0;
	for (i = 0; i < 8; i++)
		t = t << 8 | sig[i];
	if (t > INT64_MAX)
		return 0;
	cl_tlog_cosigned_message(t, text, n, &msg);
	ok = ed25519_ok(k->key, sig + 8, (const unsigned char *)msg.data,
	    msg.len);
	cl_buf_free(&msg);
	if (ok)
		*when = t;
	return ok;
}

/* Split a signed note and check its signature lines against keys. */
cl_err
cl_tlog_note_open(const char *note, size_t n, const cl_tlog_verifier *keys,
    size_t nkeys, size_t *text_len, int *ok, uint64_t *when)
{
	unsigned char *sig = cl_malloc(SIG_LINE_MAX);
	const char *p, *end = note + n, *line, *eol, *sp;
	size_t i, tlen = 0, siglen, nsig = 0;
	uint64_t t = 0;
	uint32_t id;
	cl_err rc = CL_EPARSE;

	*text_len = 0;
	for (i = 0; i < nkeys; i++) {
		ok[i] = 0;
		if (when != NULL)
			when[i] = 0;
	}
	/* Valid UTF-8, no control but LF; the last blank line splits it. */
	if (n < 2 || !cl_tlog_text_valid(note, n))
		goto err;
	for (p = end - 2; p > note && !(p[0] == '\n' && p[-1] == '\n'); p--)
		;
	if (p <= note)
		goto err;
	tlen = (size_t)(p - note); /* the text ends in its own LF */
	if (p + 1 == end)
		goto err;
	for (line = p + 1; line < end; line = eol + 1) {
		eol = memchr(line, '\n', (size_t)(end - line));
		CL_ASSERT(eol != NULL); /* the note ends in LF */
		if (++nsig > CL_TLOG_SIGS_MAX ||
		    (size_t)(eol - line) < sizeof SIG_DASH - 1 ||
		    memcmp(line, SIG_DASH, sizeof SIG_DASH - 1) != 0)
			goto err;
		line += sizeof SIG_DASH - 1;
		if ((sp = memchr(line, ' ', (size_t)(eol - line))) == NULL ||
		    !cl_tlog_name_valid(line, (size_t)(sp - line)) ||
		    cl_tlog_b64_decode(sp + 1, (size_t)(eol - sp - 1), sig,
			SIG_LINE_MAX, &siglen) != CL_OK ||
		    siglen < 5)
			goto err;
		id = (uint32_t)sig[0] << 24 | (uint32_t)sig[1] << 16 |
		    (uint32_t)sig[2] << 8 | sig[3];
		for (i = 0; i < nkeys; i++) {
			if (keys[i].id != id ||
			    strlen(keys[i].name) != (size_t)(sp - line) ||
			    memcmp(keys[i].name, line, (size_t)(sp - line)) !=
				0)
				continue;
			if (!sig_ok(&keys[i], sig + 4, siglen - 4, note, tlen,
				&t)) {
				rc = CL_EVERIFY;
				goto err;
			}
			ok[i] = 1;
			if (when != NULL && keys[i].type == 0x04)
				when[i] = t;
		}
	}
	*text_len = tlen;
	free(sig);
	return CL_OK;
err:
	for (i = 0; i < nkeys; i++)
		ok[i] = 0;
	free(sig);
	return rc;
}

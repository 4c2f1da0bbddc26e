/*
 * keyring.c: the published Ed25519 public keys (current and retired), by
 * key id, for verifying receipts and serving /receipt-keys.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "callin/alloc.h"
#include "receipt_int.h"

struct key {
	char id[CL_KEY_ID_LEN + 1];
	unsigned char raw[CL_ED25519_RAW];
	EVP_PKEY *pkey;
	char *pem; /* as PEM_write_bio_PUBKEY writes it */
};

struct cl_keyring {
	struct key *keys; /* sorted by id */
	size_t n, cap;
};

/* Make an empty keyring.  Cannot fail. */
cl_keyring *
cl_keyring_new(void)
{
	return cl_calloc(1, sizeof(cl_keyring));
}

/* Free the ring; NULL is fine.  Cannot fail. */
void
cl_keyring_free(cl_keyring *ring)
{
	if (ring == NULL)
		return;
	for (size_t i = 0; i < ring->n; i++) {
		EVP_PKEY_free(ring->keys[i].pkey);
		free(ring->keys[i].pem);
	}
	free(ring->keys);
	free(ring);
}

/* Encode k as PEM into a new string.  NULL when OpenSSL cannot. */
static char *
pem_of(EVP_PKEY *k)
{
	BIO *bio;
	char *p, *s = NULL;
	long n;

	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return NULL;
	if (PEM_write_bio_PUBKEY(bio, k) == 1 &&
	    (n = BIO_get_mem_data(bio, &p)) > 0)
		s = cl_strndup(p, (size_t)n);
	BIO_free(bio);
	return s;
}

/*
 * Add the Ed25519 public key in the PEM text pem (len bytes); name names it
 * in messages.  A key already present is kept once.  CL_ECONFIG with one
 * line in errbuf when the text is not an Ed25519 PEM public key.
 */
cl_err
cl_keyring_add_pem(cl_keyring *ring, const char *pem, size_t len,
    const char *name, char *errbuf, size_t errlen)
{
	struct key k = { .pkey = NULL, .pem = NULL };
	BIO *bio = NULL;
	size_t at;

	if (name == NULL)
		name = "public key";
	if (memmem(pem, len, "PRIVATE KEY-----", 16) != NULL) {
		/* never let a private key sit among published files */
		snprintf(errbuf, errlen,
		    "%s: holds a private key; only "
		    "public keys belong here",
		    name);
		goto err;
	}
	if (len > CL_KEYFILE_MAX ||
	    (bio = BIO_new_mem_buf(pem, (int)len)) == NULL ||
	    (k.pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL)) == NULL) {
		snprintf(errbuf, errlen, "%s: not a PEM public key", name);
		goto err;
	}
	if (!EVP_PKEY_is_a(k.pkey, "ED25519")) {
		snprintf(errbuf, errlen, "%s: not an Ed25519 key (it is %s)",
		    name,
		    EVP_PKEY_get0_type_name(k.pkey) ?
			EVP_PKEY_get0_type_name(k.pkey) :
			"another type");
		goto err;
	}
	if (cl_rcpt_key_id(k.pkey, k.id, k.raw) != CL_OK ||
	    (k.pem = pem_of(k.pkey)) == NULL) {
		snprintf(errbuf, errlen, "%s: cannot encode the key", name);
		goto err;
	}
	for (at = 0; at < ring->n; at++) {
		int c = strcmp(ring->keys[at].id, k.id);

		if (c == 0 &&
		    memcmp(ring->keys[at].raw, k.raw, CL_ED25519_RAW) != 0) {
			snprintf(errbuf, errlen,
			    "%s: two different keys have "
			    "the id %s",
			    name, k.id);
			goto err;
		}
		if (c >= 0)
			break;
	}
	if (at < ring->n && strcmp(ring->keys[at].id, k.id) == 0) {
		/* the same key under another file name: keep it once */
		EVP_PKEY_free(k.pkey);
		free(k.pem);
	} else {
		if (ring->n == ring->cap) {
			ring->cap = ring->cap ? ring->cap * 2 : 4;
			ring->keys = cl_realloc(ring->keys,
			    ring->cap * sizeof *ring->keys);
		}
		memmove(&ring->keys[at + 1], &ring->keys[at],
		    (ring->n - at) * sizeof *ring->keys);
		ring->keys[at] = k;
		ring->n++;
	}
	BIO_free(bio);
	return CL_OK;
err:
	ERR_clear_error();
	EVP_PKEY_free(k.pkey);
	free(k.pem);
	BIO_free(bio);
	return CL_ECONFIG;
}

/*
 * Read the file path and add its key; with strict, refuse a file writable
 * by group or others.  CL_ECONFIG as cl_keyring_add_pem.
 */
static cl_err
add_file(cl_keyring *ring, const char *path, int strict, char *errbuf,
    size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	unsigned mode;
	cl_err rc;

	if (cl_rcpt_read_file(path, &text, &len, &mode, errbuf, errlen) !=
	    CL_OK)
		return CL_ECONFIG;
	if (strict && (mode & 022) != 0) {
		snprintf(errbuf, errlen,
		    "%s: writable by group or others "
		    "(mode %04o); chmod 600 it",
		    path, mode & 07777);
		free(text);
		return CL_ECONFIG;
	}
	rc = cl_keyring_add_pem(ring, text, len, path, errbuf, errlen);
	free(text);
	return rc;
}

/* qsort comparison of two file names. */
static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Load every *.pem file (not hidden) of the directory dir; with strict,
 * refuse dir or a file writable by group or others.  CL_ECONFIG, *out NULL
 * and one line in errbuf when dir is unreadable, has no *.pem file, or one
 * of them is not an Ed25519 public key.
 */
static cl_err
load_dir(const char *dir, int strict, cl_keyring **out, char *errbuf,
    size_t errlen)
{
	cl_keyring *ring = NULL;
	cl_buf path = CL_BUF_INIT;
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	struct stat st;
	DIR *d;

	*out = NULL;
	if ((d = opendir(dir)) == NULL) {
		snprintf(errbuf, errlen, "%s: cannot read directory: %s", dir,
		    strerror(errno));
		goto err;
	}
	if (strict && (fstat(dirfd(d), &st) != 0 || (st.st_mode & 022) != 0)) {
		snprintf(errbuf, errlen,
		    "%s: directory writable by group or "
		    "others (mode %04o); chmod 700 it",
		    dir, (unsigned)st.st_mode & 07777);
		closedir(d);
		goto err;
	}
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);

		if (de->d_name[0] == '.' || len < 5 ||
		    strcmp(de->d_name + len - 4, ".pem") != 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			names = cl_realloc(names, cap * sizeof *names);
		}
		names[n++] = cl_strdup(de->d_name);
	}
	closedir(d);
	if (n == 0) {
		snprintf(errbuf, errlen, "%s: no *.pem public key files", dir);
		goto err;
	}
	qsort(names, n, sizeof *names, by_name);
	ring = cl_keyring_new();
	for (size_t i = 0; i < n; i++) {
		cl_buf_reset(&path);
		cl_buf_printf(&path, "%s/%s", dir, names[i]);
		if (add_file(ring, path.data, strict, errbuf, errlen) != CL_OK)
			goto err;
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	cl_buf_free(&path);
	*out = ring;
	return CL_OK;
err:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	cl_buf_free(&path);
	cl_keyring_free(ring);
	return CL_ECONFIG;
}

/* Load the *.pem files of dir.  Fails as load_dir. */
cl_err
cl_keyring_load(const char *dir, cl_keyring **out, char *errbuf, size_t errlen)
{
	return load_dir(dir, 0, out, errbuf, errlen);
}

/* Load public_keys_dir, refusing what group or others may write. */
cl_err
cl_keyring_load_served(const char *dir, cl_keyring **out, char *errbuf,
    size_t errlen)
{
	return load_dir(dir, 1, out, errbuf, errlen);
}

/* Load the single public key file path.  Fails as cl_keyring_load. */
cl_err
cl_keyring_load_file(const char *path, cl_keyring **out, char *errbuf,
    size_t errlen)
{
	cl_keyring *ring = cl_keyring_new();

	*out = NULL;
	if (add_file(ring, path, 0, errbuf, errlen) != CL_OK)
		goto err;
	*out = ring;
	return CL_OK;
err:
	cl_keyring_free(ring);
	return CL_ECONFIG;
}

/* Number of keys.  Cannot fail. */
size_t
cl_keyring_count(const cl_keyring *ring)
{
	return ring->n;
}

/* Key id of key i.  Cannot fail. */
const char *
cl_keyring_id(const cl_keyring *ring, size_t i)
{
	return ring->keys[i].id;
}

/* PEM text of key i.  Cannot fail. */
const char *
cl_keyring_pem(const cl_keyring *ring, size_t i)
{
	return ring->keys[i].pem;
}

/* The EVP key i, for verify.c.  Cannot fail. */
EVP_PKEY *
cl_rcpt_keyring_pkey(const cl_keyring *ring, size_t i)
{
	return ring->keys[i].pkey;
}

/* Find the key with id; CL_ENOTFOUND when none. */
cl_err
cl_keyring_find(const cl_keyring *ring, const char *id, size_t *index)
{
	for (size_t i = 0; i < ring->n; i++) {
		if (strcmp(ring->keys[i].id, id) == 0) {
			*index = i;
			return CL_OK;
		}
	}
	return CL_ENOTFOUND;
}

/* Whether the signer's public key is in the ring.  Cannot fail. */
bool
cl_keyring_has(const cl_keyring *ring, const cl_signer *s)
{
	size_t i;

	return cl_keyring_find(ring, s->id, &i) == CL_OK &&
	    memcmp(ring->keys[i].raw, s->raw, CL_ED25519_RAW) == 0;
}

/* Append the /receipt-keys JSON document.  Cannot fail. */
void
cl_keyring_json(const cl_keyring *ring, cl_buf *out)
{
	cl_buf_puts(out, "{\"keys\":[");
	for (size_t i = 0; i < ring->n; i++) {
		cl_buf_printf(out,
		    "%s{\"id\":\"%s\",\"alg\":\"Ed25519\","
		    "\"public_key_pem\":\"",
		    i ? "," : "", ring->keys[i].id);
		cl_buf_json(out, ring->keys[i].pem, strlen(ring->keys[i].pem));
		cl_buf_puts(out, "\"}");
	}
	cl_buf_puts(out, "]}");
}

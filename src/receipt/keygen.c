/* keygen.c: make a new Ed25519 key pair and write its two files. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "callin/alloc.h"
#include "receipt_int.h"

/*
 * Create path with exactly mode (never replacing an existing file or
 * following a symbolic link there), write the n bytes of p and fsync them.
 * CL_EIO with one line in errbuf, and no file left, when it cannot.
 */
static cl_err
write_new(const char *path, mode_t mode, const char *p, size_t n, char *errbuf,
    size_t errlen)
{
	const char *what = "cannot write";
	size_t done = 0;
	ssize_t w;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    mode);
	if (fd < 0) {
		if (errno == EEXIST)
			snprintf(errbuf, errlen,
			    "%s: already exists; "
			    "refusing to overwrite it",
			    path);
		else
			snprintf(errbuf, errlen, "%s: cannot create: %s", path,
			    strerror(errno));
		return CL_EIO;
	}
	if (fchmod(fd, mode) != 0)
		goto err;
	while (done < n) {
		if ((w = write(fd, p + done, n - done)) < 0 && errno == EINTR)
			continue;
		if (w < 0)
			goto err;
		done += (size_t)w;
	}
	if (fsync(fd) != 0)
		goto err;
	what = "cannot close";
	if (close(fd) != 0) {
		fd = -1;
		goto err;
	}
	return CL_OK;
err:
	snprintf(errbuf, errlen, "%s: %s: %s", path, what, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(path);
	return CL_EIO;
}

/*
 * Make a new Ed25519 key *k and its private key PEM in the secure-memory
 * BIO *priv.  CL_ECRYPTO with one line in errbuf when OpenSSL cannot.
 */
static cl_err
new_key(EVP_PKEY **k, BIO **priv, char *errbuf, size_t errlen)
{
	*priv = NULL;
	if ((*k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")) == NULL ||
	    (*priv = BIO_new(BIO_s_secmem())) == NULL ||
	    PEM_write_bio_PrivateKey(*priv, *k, NULL, NULL, 0, NULL, NULL) !=
		1) {
		snprintf(errbuf, errlen, "cannot make an Ed25519 key: %s",
		    ERR_reason_error_string(ERR_peek_last_error()) ?
			ERR_reason_error_string(ERR_peek_last_error()) :
			"unknown");
		ERR_clear_error();
		return CL_ECRYPTO;
	}
	return CL_OK;
}

/*
 * Make a new Ed25519 private key and write it to priv_path (0600,
 * exclusive).  CL_EIO or CL_ECRYPTO with one line in errbuf; nothing is
 * left behind on failure.
 */
cl_err
cl_keygen_private(const char *priv_path, char *errbuf, size_t errlen)
{
	EVP_PKEY *k = NULL;
	BIO *priv = NULL;
	char *p;
	long n;
	cl_err rc;

	if ((rc = new_key(&k, &priv, errbuf, errlen)) == CL_OK) {
		n = BIO_get_mem_data(priv, &p);
		rc = write_new(priv_path, 0600, p, (size_t)n, errbuf, errlen);
	}
	BIO_free(priv);
	EVP_PKEY_free(k);
	return rc;
}

/*
 * Make a key pair: private key to priv_path (0600, exclusive), public key to
 * pub_dir/<id>.pem (0600, exclusive; pub_dir made 0700 if missing: only
 * the service reads it, and serves it at /receipt-keys).  CL_EIO or
 * CL_ECRYPTO with one line in errbuf; nothing is left behind on failure.
 */
cl_err
cl_keygen(const char *priv_path, const char *pub_dir,
    char id[CL_KEY_ID_LEN + 1], char *errbuf, size_t errlen)
{
	unsigned char raw[CL_ED25519_RAW];
	cl_buf pub_path = CL_BUF_INIT;
	EVP_PKEY *k = NULL;
	BIO *priv = NULL, *pub = NULL;
	char *p;
	long n;
	bool wrote_priv = false;
	cl_err rc;

	if ((rc = new_key(&k, &priv, errbuf, errlen)) != CL_OK)
		goto err;
	rc = CL_ECRYPTO;
	if (cl_rcpt_key_id(k, id, raw) != CL_OK ||
	    (pub = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_PUBKEY(pub, k) != 1) {
		snprintf(errbuf, errlen, "cannot make an Ed25519 key: %s",
		    ERR_reason_error_string(ERR_peek_last_error()) ?
			ERR_reason_error_string(ERR_peek_last_error()) :
			"unknown");
		goto err;
	}
	rc = CL_EIO;
	if (mkdir(pub_dir, 0700) != 0 && errno != EEXIST) {
		snprintf(errbuf, errlen, "%s: cannot create directory: %s",
		    pub_dir, strerror(errno));
		goto err;
	}
	cl_buf_printf(&pub_path, "%s/%s.pem", pub_dir, id);
	n = BIO_get_mem_data(priv, &p);
	if (write_new(priv_path, 0600, p, (size_t)n, errbuf, errlen) != CL_OK)
		goto err;
	wrote_priv = true;
	n = BIO_get_mem_data(pub, &p);
	if (write_new(pub_path.data, 0600, p, (size_t)n, errbuf, errlen) !=
	    CL_OK)
		goto err;
	cl_buf_free(&pub_path);
	BIO_free(pub);
	BIO_free(priv);
	EVP_PKEY_free(k);
	return CL_OK;
err:
	ERR_clear_error();
	if (wrote_priv)
		unlink(priv_path);
	cl_buf_free(&pub_path);
	BIO_free(pub);
	BIO_free(priv);
	EVP_PKEY_free(k);
	return rc;
}

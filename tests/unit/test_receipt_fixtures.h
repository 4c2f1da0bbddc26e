/*
 * test_receipt_fixtures.h: fixed keys and temp-file helpers shared by the
 * receipt unit tests.  The keys below are TEST KEYS, published here, never
 * used for anything else.
 */
#ifndef TEST_RECEIPT_FIXTURES_H
#define TEST_RECEIPT_FIXTURES_H

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "callin/alloc.h"
#include "callin/buf.h"

/* Key A: made with `openssl genpkey -algorithm ed25519`. */
#define KEY_A_PRIV \
	"-----BEGIN PRIVATE KEY-----\n" \
	"MC4CAQAwBQYDK2VwBCIEIFobub+GUrbimMHJ1is6YGum3eqiR+jZARegANPIM9dj\n" \
	"-----END PRIVATE KEY-----\n"
#define KEY_A_PUB \
	"-----BEGIN PUBLIC KEY-----\n" \
	"MCowBQYDK2VwAyEAbeY+u4ar0dZUkvSP8UC1PoBqYW5J2NUoD+YrGiN/6MY=\n" \
	"-----END PUBLIC KEY-----\n"
/* openssl pkey -pubin -in a.pub -outform DER | sha256sum | cut -c1-16 */
#define KEY_A_ID "a52a3cf3f4ea0fa3"

/* Key B: another one, for rotation and unknown-key tests. */
#define KEY_B_PRIV \
	"-----BEGIN PRIVATE KEY-----\n" \
	"MC4CAQAwBQYDK2VwBCIEINS+nKdeE97jbfkXc5Cf1aeJumiO9gCNJhQSAd9P+8QN\n" \
	"-----END PRIVATE KEY-----\n"
#define KEY_B_PUB \
	"-----BEGIN PUBLIC KEY-----\n" \
	"MCowBQYDK2VwAyEAu84LtTW2N/u3Tc8Z+89Cz6xGDW+mWXiLYkw4wTqtT8o=\n" \
	"-----END PUBLIC KEY-----\n"
#define KEY_B_ID "43873ed1a656b48e"

/*
 * The receipt key A makes for CIR-7K3F-9QXD, 2026-11-23T14:05:09Z and the
 * commitment SHA-256("abc"); the signature was made with
 * `openssl pkeyutl -sign -rawin` over the first five lines (Ed25519 is
 * deterministic, so cl_receipt_sign must give exactly this).
 */
#define GOLDEN_SIGNED \
	"callin-receipt-v1\n" \
	"reference: CIR-7K3F-9QXD\n" \
	"received: 2026-11-23T14:05:09Z\n" \
	"commitment: sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n" \
	"key: a52a3cf3f4ea0fa3\n"
#define GOLDEN_RECEIPT \
	GOLDEN_SIGNED \
	"signature: nx95H22fYzw/yBA1Ptu/fO+eXQ3rR6WVPmZehYq4TKFpuZlsTvS+QGaGQh4b+ljkGQYBNSd5D12OdVIRjn8tBA==\n"

/* Make a fresh temporary directory; the caller frees the name. */
static inline char *
fx_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	cl_buf b = CL_BUF_INIT;

	cl_buf_printf(&b, "%s/test_receipt.XXXXXX", base ? base : "/tmp");
	if (mkdtemp(b.data) == NULL) {
		perror("mkdtemp");
		abort();
	}
	return b.data;
}

/* Write text to dir/name with mode; return the path (caller frees). */
static inline char *
fx_write(const char *dir, const char *name, const char *text, mode_t mode)
{
	cl_buf b = CL_BUF_INIT;
	int fd;

	cl_buf_printf(&b, "%s/%s", dir, name);
	unlink(b.data);
	if ((fd = open(b.data, O_WRONLY | O_CREAT | O_EXCL, mode)) < 0 ||
	    write(fd, text, strlen(text)) != (ssize_t)strlen(text) ||
	    fchmod(fd, mode) != 0 || close(fd) != 0) {
		perror(b.data);
		abort();
	}
	return b.data;
}

/* Join dir and name into a new path (caller frees). */
static inline char *
fx_path(const char *dir, const char *name)
{
	cl_buf b = CL_BUF_INIT;

	cl_buf_printf(&b, "%s/%s", dir, name);
	return b.data;
}

/* Remove dir, its files and its subdirectories' files (two levels). */
static inline void
fx_rmtree(const char *dir)
{
	struct dirent *de;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char *p;

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		p = fx_path(dir, de->d_name);
		if (unlink(p) != 0)
			fx_rmtree(p);
		free(p);
	}
	closedir(d);
	rmdir(dir);
}

#endif /* TEST_RECEIPT_FIXTURES_H */

/*
 * test_receipt_keys.c: signing keys and public keyrings: key generation and
 * its files, the private key file checks (mode, type, form) and loading the
 * public keys directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "callin/receipt.h"
#include "test_receipt_fixtures.h"

static char *dir;

static int
setup(void **state)
{
	(void)state;
	dir = fx_tmpdir();
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	fx_rmtree(dir);
	free(dir);
	return 0;
}

/* Read the file path into a new string. */
static char *
slurp(const char *path)
{
	cl_buf b = CL_BUF_INIT;
	char chunk[4096];
	size_t n;
	FILE *f = fopen(path, "rb");

	assert_non_null(f);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		cl_buf_add(&b, chunk, n);
	fclose(f);
	cl_buf_add(&b, "", 0);
	return b.data;
}

/* Key id computed here from the DER SubjectPublicKeyInfo of a PEM text. */
static void
der_id(const char *pem, char id[17])
{
	unsigned char md[32], *der = NULL;
	char hex[65];
	BIO *bio = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *k = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	int len;

	assert_non_null(k);
	len = i2d_PUBKEY(k, &der);
	assert_int_equal(len, 44);
	cl_sha256(der, (size_t)len, md);
	cl_hex(md, 32, hex);
	memcpy(id, hex, 16);
	id[16] = '\0';
	OPENSSL_free(der);
	EVP_PKEY_free(k);
	BIO_free(bio);
}

/*
 * cl_keygen writes a 0600 private key and a 0600 <id>.pem public key whose
 * id is SHA-256 of its DER, refuses to overwrite, and leaves nothing behind
 * when it fails.
 */
static void
test_receipt_keygen(void **state)
{
	char id[CL_KEY_ID_LEN + 1], id2[CL_KEY_ID_LEN + 1], err[512], did[17];
	char *priv = fx_path(dir, "signing.pem"), *pub = fx_path(dir, "public");
	char *pubfile, *text, *before;
	cl_signer *s = NULL;
	cl_keyring *ring = NULL;
	struct stat st;
	cl_buf b = CL_BUF_INIT;

	(void)state;
	assert_int_equal(cl_keygen(priv, pub, id, err, sizeof err), CL_OK);
	assert_int_equal(strlen(id), 16);
	assert_int_equal(stat(priv, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	cl_buf_printf(&b, "%s/%s.pem", pub, id);
	pubfile = b.data;
	assert_int_equal(stat(pubfile, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	text = slurp(pubfile);
	assert_non_null(strstr(text, "-----BEGIN PUBLIC KEY-----\n"));
	der_id(text, did);
	assert_string_equal(did, id);
	free(text);
	/* the pair loads and agrees */
	assert_int_equal(cl_signer_load(priv, &s, err, sizeof err), CL_OK);
	assert_string_equal(cl_signer_key_id(s), id);
	assert_int_equal(cl_keyring_load(pub, &ring, err, sizeof err), CL_OK);
	assert_true(cl_keyring_has(ring, s));
	/* an existing private key is never overwritten */
	before = slurp(priv);
	assert_int_equal(cl_keygen(priv, pub, id2, err, sizeof err), CL_EIO);
	assert_non_null(strstr(err, "already exists"));
	assert_non_null(strstr(err, priv));
	text = slurp(priv);
	assert_string_equal(text, before);
	free(text);
	free(before);
	/* an unwritable public dir leaves no private key behind */
	free(priv);
	priv = fx_path(dir, "second.pem");
	assert_int_equal(cl_keygen(priv, "/proc/no-such-dir/x", id2, err,
			     sizeof err),
	    CL_EIO);
	assert_int_not_equal(stat(priv, &st), 0);
	cl_signer_free(s);
	cl_keyring_free(ring);
	free(priv);
	free(pub);
	cl_buf_free(&b);
}

/* A private key file open to group or others is refused, naming it. */
static void
test_receipt_key_file_mode(void **state)
{
	static const mode_t bad[] = { 0640, 0604, 0620, 0602, 0610, 0601, 0644,
		0666, 0660 };
	char err[512], *p;
	cl_signer *s;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		p = fx_write(dir, "mode.pem", KEY_A_PRIV, bad[i]);
		s = (cl_signer *)&s;
		assert_int_equal(cl_signer_load(p, &s, err, sizeof err),
		    CL_ECONFIG);
		assert_null(s);
		assert_non_null(strstr(err, "group or others"));
		assert_non_null(strstr(err, p));
		assert_null(strchr(err, '\n'));
		free(p);
	}
	p = fx_write(dir, "mode.pem", KEY_A_PRIV, 0400);
	assert_int_equal(cl_signer_load(p, &s, err, sizeof err), CL_OK);
	assert_string_equal(cl_signer_key_id(s), KEY_A_ID);
	cl_signer_free(s);
	free(p);
}

/* Missing, unreadable, non-PEM, public-only and non-Ed25519 files. */
static void
test_receipt_key_file_refused(void **state)
{
	char err[512], *p;
	cl_signer *s;
	EVP_PKEY *ec, *rsa;
	BIO *bio;
	char *pem;
	long n;

	(void)state;
	p = fx_path(dir, "missing.pem");
	assert_int_equal(cl_signer_load(p, &s, err, sizeof err), CL_ECONFIG);
	assert_non_null(strstr(err, "cannot open"));
	free(p);
	assert_int_equal(cl_signer_load(dir, &s, err, sizeof err), CL_ECONFIG);
	assert_non_null(strstr(err, "not a regular file"));
	p = fx_write(dir, "garbage.pem", "hello\n", 0600);
	assert_int_equal(cl_signer_load(p, &s, err, sizeof err), CL_ECONFIG);
	assert_non_null(strstr(err, "not an unencrypted PEM private key"));
	free(p);
	p = fx_write(dir, "pub.pem", KEY_A_PUB, 0600);
	assert_int_equal(cl_signer_load(p, &s, err, sizeof err), CL_ECONFIG);
	assert_non_null(strstr(err, "not an unencrypted PEM private key"));
	free(p);
	/* an EC P-256 key and an RSA key */
	ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	assert_non_null(ec);
	assert_non_null(rsa);
	for (int i = 0; i < 2; i++) {
		bio = BIO_new(BIO_s_mem());
		assert_int_equal(PEM_write_bio_PrivateKey(bio, i ? rsa : ec,
				     NULL, NULL, 0, NULL, NULL),
		    1);
		n = BIO_get_mem_data(bio, &pem);
		pem = cl_strndup(pem, (size_t)n);
		p = fx_write(dir, "other.pem", pem, 0600);
		assert_int_equal(cl_signer_load(p, &s, err, sizeof err),
		    CL_ECONFIG);
		assert_non_null(strstr(err, "not an Ed25519 key"));
		assert_non_null(strstr(err, i ? "RSA" : "EC"));
		free(p);
		free(pem);
		BIO_free(bio);
		/* and their public halves in a keyring */
		bio = BIO_new(BIO_s_mem());
		assert_int_equal(PEM_write_bio_PUBKEY(bio, i ? rsa : ec), 1);
		n = BIO_get_mem_data(bio, &pem);
		{
			cl_keyring *ring = cl_keyring_new();

			assert_int_equal(cl_keyring_add_pem(ring, pem,
					     (size_t)n, "x.pem", err,
					     sizeof err),
			    CL_ECONFIG);
			assert_non_null(
			    strstr(err, "x.pem: not an Ed25519 key"));
			cl_keyring_free(ring);
		}
		BIO_free(bio);
	}
	EVP_PKEY_free(ec);
	EVP_PKEY_free(rsa);
	/* an encrypted key is refused, never prompting for a pass phrase */
	{
		BIO *b = BIO_new_mem_buf(KEY_A_PRIV, -1);
		EVP_PKEY *k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
		BIO *o = BIO_new(BIO_s_mem());

		assert_int_equal(PEM_write_bio_PKCS8PrivateKey(o, k,
				     EVP_aes_256_cbc(), "secret", 6, NULL,
				     NULL),
		    1);
		n = BIO_get_mem_data(o, &pem);
		pem = cl_strndup(pem, (size_t)n);
		p = fx_write(dir, "enc.pem", pem, 0600);
		assert_int_equal(cl_signer_load(p, &s, err, sizeof err),
		    CL_ECONFIG);
		assert_non_null(strstr(err, "not an unencrypted PEM"));
		free(p);
		free(pem);
		BIO_free(o);
		BIO_free(b);
		EVP_PKEY_free(k);
	}
}

/*
 * The public keys directory: every *.pem loads (sorted by id), lookups,
 * PEM text, the /receipt-keys JSON, cl_keyring_has, and what is refused.
 */
static void
test_receipt_keyring(void **state)
{
	char err[512], *d, *p;
	cl_keyring *ring;
	cl_signer *a, *b;
	size_t i;
	cl_buf json = CL_BUF_INIT;

	(void)state;
	d = fx_path(dir, "keys");
	assert_int_equal(mkdir(d, 0755), 0);
	/* empty or missing */
	assert_int_equal(cl_keyring_load(d, &ring, err, sizeof err),
	    CL_ECONFIG);
	assert_non_null(strstr(err, "no *.pem public key files"));
	p = fx_path(dir, "nope");
	assert_int_equal(cl_keyring_load(p, &ring, err, sizeof err),
	    CL_ECONFIG);
	assert_non_null(strstr(err, "cannot read directory"));
	assert_null(ring);
	free(p);
	/* two keys, another name for the first, and files that are skipped */
	free(fx_write(d, KEY_A_ID ".pem", KEY_A_PUB, 0644));
	free(fx_write(d, "retired-2025.pem", KEY_B_PUB, 0644));
	free(fx_write(d, "copy-of-a.pem", KEY_A_PUB, 0644));
	free(fx_write(d, "README", "not a key\n", 0644));
	free(fx_write(d, ".hidden.pem", "not a key\n", 0644));
	assert_int_equal(cl_keyring_load(d, &ring, err, sizeof err), CL_OK);
	assert_int_equal(cl_keyring_count(ring), 2);
	assert_string_equal(cl_keyring_id(ring, 0), KEY_B_ID); /* 4387… */
	assert_string_equal(cl_keyring_id(ring, 1), KEY_A_ID); /* a52a… */
	assert_int_equal(cl_keyring_find(ring, KEY_A_ID, &i), CL_OK);
	assert_int_equal(i, 1);
	assert_string_equal(cl_keyring_pem(ring, i), KEY_A_PUB);
	assert_int_equal(cl_keyring_find(ring, "0000000000000000", &i),
	    CL_ENOTFOUND);
	assert_int_equal(cl_keyring_find(ring, "", &i), CL_ENOTFOUND);
	assert_int_equal(cl_keyring_find(ring, KEY_A_ID "0", &i), CL_ENOTFOUND);
	cl_keyring_json(ring, &json);
	assert_string_equal(json.data,
	    "{\"keys\":["
	    "{\"id\":\"" KEY_B_ID "\",\"alg\":\"Ed25519\",\"public_key_pem\":"
	    "\"-----BEGIN PUBLIC KEY-----\\nMCowBQYDK2VwAyEAu84LtTW2N/u3Tc8Z+89"
	    "Cz6xGDW+mWXiLYkw4wTqtT8o=\\n-----END PUBLIC KEY-----\\n\"},"
	    "{\"id\":\"" KEY_A_ID "\",\"alg\":\"Ed25519\",\"public_key_pem\":"
	    "\"-----BEGIN PUBLIC KEY-----\\nMCowBQYDK2VwAyEAbeY+u4ar0dZUkvSP8UC"
	    "1PoBqYW5J2NUoD+YrGiN/6MY=\\n-----END PUBLIC KEY-----\\n\"}]}");
	cl_buf_free(&json);
	/* cl_keyring_has: the signer's key is in the ring or not */
	p = fx_write(dir, "a.pem", KEY_A_PRIV, 0600);
	assert_int_equal(cl_signer_load(p, &a, err, sizeof err), CL_OK);
	free(p);
	p = fx_write(dir, "b.pem", KEY_B_PRIV, 0600);
	assert_int_equal(cl_signer_load(p, &b, err, sizeof err), CL_OK);
	free(p);
	assert_true(cl_keyring_has(ring, a));
	assert_true(cl_keyring_has(ring, b));
	cl_keyring_free(ring);
	p = fx_path(d, KEY_A_ID ".pem");
	assert_int_equal(cl_keyring_load_file(p, &ring, err, sizeof err),
	    CL_OK);
	free(p);
	assert_true(cl_keyring_has(ring, a));
	assert_false(cl_keyring_has(ring, b));
	cl_keyring_free(ring);
	/* a private key in the published directory is refused */
	free(fx_write(d, "oops.pem", KEY_B_PRIV, 0600));
	assert_int_equal(cl_keyring_load(d, &ring, err, sizeof err),
	    CL_ECONFIG);
	assert_non_null(strstr(err, "oops.pem: holds a private key"));
	assert_null(ring);
	free(fx_write(d, "oops.pem", KEY_A_PUB KEY_B_PRIV, 0644));
	assert_int_equal(cl_keyring_load(d, &ring, err, sizeof err),
	    CL_ECONFIG);
	assert_non_null(strstr(err, "oops.pem: holds a private key"));
	free(fx_write(d, "oops.pem", "-----BEGIN PUBLIC KEY-----\nxx\n", 0644));
	assert_int_equal(cl_keyring_load(d, &ring, err, sizeof err),
	    CL_ECONFIG);
	assert_non_null(strstr(err, "oops.pem: not a PEM public key"));
	cl_signer_free(a);
	cl_signer_free(b);
	free(d);
}

/*
 * The service's load of public_keys_dir refuses the directory or a key file
 * in it writable by group or others, naming it; callin-verify's load of a
 * user's own directory does not.
 */
static void
test_receipt_keyring_served(void **state)
{
	static const mode_t bad_file[] = { 0620, 0602, 0622, 0664, 0646 };
	static const mode_t bad_dir[] = { 0770, 0707, 0775, 0757, 0777 };
	char err[512], *d, *p;
	cl_keyring *ring;

	(void)state;
	d = fx_path(dir, "served");
	assert_int_equal(mkdir(d, 0700), 0);
	p = fx_write(d, KEY_A_ID ".pem", KEY_A_PUB, 0644);
	assert_int_equal(chmod(d, 0755), 0);
	assert_int_equal(cl_keyring_load_served(d, &ring, err, sizeof err),
	    CL_OK); /* readable by all is fine: these are public */
	cl_keyring_free(ring);
	for (size_t i = 0; i < sizeof bad_file / sizeof bad_file[0]; i++) {
		assert_int_equal(chmod(p, bad_file[i]), 0);
		ring = (cl_keyring *)&ring;
		assert_int_equal(cl_keyring_load_served(d, &ring, err,
				     sizeof err),
		    CL_ECONFIG);
		assert_null(ring);
		assert_non_null(strstr(err, p));
		assert_non_null(strstr(err, "writable by group or others"));
		assert_int_equal(cl_keyring_load(d, &ring, err, sizeof err),
		    CL_OK);
		cl_keyring_free(ring);
	}
	assert_int_equal(chmod(p, 0600), 0);
	for (size_t i = 0; i < sizeof bad_dir / sizeof bad_dir[0]; i++) {
		assert_int_equal(chmod(d, bad_dir[i]), 0);
		ring = (cl_keyring *)&ring;
		assert_int_equal(cl_keyring_load_served(d, &ring, err,
				     sizeof err),
		    CL_ECONFIG);
		assert_null(ring);
		assert_non_null(
		    strstr(err, "directory writable by group or others"));
		assert_non_null(strstr(err, d));
		assert_null(strchr(err, '\n'));
		assert_int_equal(cl_keyring_load(d, &ring, err, sizeof err),
		    CL_OK);
		cl_keyring_free(ring);
	}
	assert_int_equal(chmod(d, 0700), 0);
	assert_int_equal(cl_keyring_load_served(d, &ring, err, sizeof err),
	    CL_OK);
	cl_keyring_free(ring);
	free(p);
	free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_receipt_keygen),
		cmocka_unit_test(test_receipt_key_file_mode),
		cmocka_unit_test(test_receipt_key_file_refused),
		cmocka_unit_test(test_receipt_keyring),
		cmocka_unit_test(test_receipt_keyring_served),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

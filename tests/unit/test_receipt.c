/*
 * test_receipt.c: receipt v1 signing, parsing and verification: the golden
 * receipt, round trips, every malformed variant, line endings, unknown and
 * rotated keys, and a mutation of every byte of a real receipt.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "callin/hash.h"
#include "callin/receipt.h"
#include "test_receipt_fixtures.h"

#define L0 "callin-receipt-v1\n"
#define LREF "reference: CIR-7K3F-9QXD\n"
#define LREC "received: 2026-11-23T14:05:09Z\n"
#define LCOM \
	"commitment: sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n"
#define LKEY "key: a52a3cf3f4ea0fa3\n"
#define SIGV \
	"nx95H22fYzw/yBA1Ptu/fO+eXQ3rR6WVPmZehYq4TKFpuZlsTvS+QGaGQh4b+ljkGQYBNSd5D12OdVIRjn8tBA=="
#define LSIG "signature: " SIGV "\n"

struct fx {
	char *dir;
	cl_signer *a, *b;
	cl_keyring *ring_a, *ring_b, *ring_ab;
};

static int
setup(void **state)
{
	struct fx *f = cl_calloc(1, sizeof *f);
	char err[512], *p, *d;

	f->dir = fx_tmpdir();
	p = fx_write(f->dir, "a.pem", KEY_A_PRIV, 0600);
	assert_int_equal(cl_signer_load(p, &f->a, err, sizeof err), CL_OK);
	free(p);
	p = fx_write(f->dir, "b.pem", KEY_B_PRIV, 0600);
	assert_int_equal(cl_signer_load(p, &f->b, err, sizeof err), CL_OK);
	free(p);
	d = fx_path(f->dir, "ab");
	assert_int_equal(mkdir(d, 0755), 0);
	free(fx_write(d, KEY_A_ID ".pem", KEY_A_PUB, 0644));
	free(fx_write(d, KEY_B_ID ".pem", KEY_B_PUB, 0644));
	assert_int_equal(cl_keyring_load(d, &f->ring_ab, err, sizeof err),
	    CL_OK);
	free(d);
	f->ring_a = cl_keyring_new();
	assert_int_equal(cl_keyring_add_pem(f->ring_a, KEY_A_PUB,
			     strlen(KEY_A_PUB), NULL, err, sizeof err),
	    CL_OK);
	f->ring_b = cl_keyring_new();
	assert_int_equal(cl_keyring_add_pem(f->ring_b, KEY_B_PUB,
			     strlen(KEY_B_PUB), NULL, err, sizeof err),
	    CL_OK);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	cl_signer_free(f->a);
	cl_signer_free(f->b);
	cl_keyring_free(f->ring_a);
	cl_keyring_free(f->ring_b);
	cl_keyring_free(f->ring_ab);
	fx_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

/*
 * Sign arbitrary text with the PEM private key priv, as a receipt signer
 * would, and append text plus its signature line to out.
 */
static void
sign_text(const char *priv, const char *text, cl_buf *out)
{
	unsigned char sig[64], b64[89];
	size_t siglen = sizeof sig;
	BIO *bio = BIO_new_mem_buf(priv, -1);
	EVP_PKEY *k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	assert_non_null(k);
	assert_int_equal(EVP_DigestSignInit_ex(ctx, NULL, NULL, NULL, NULL, k,
			     NULL),
	    1);
	assert_int_equal(EVP_DigestSign(ctx, sig, &siglen,
			     (const unsigned char *)text, strlen(text)),
	    1);
	EVP_EncodeBlock(b64, sig, 64);
	cl_buf_printf(out, "%ssignature: %s\n", text, (const char *)b64);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(k);
	BIO_free(bio);
}

/* Parse then verify text; CL_EPARSE, CL_ENOTFOUND, CL_EVERIFY or CL_OK. */
static cl_err
check(const char *text, size_t len, const cl_keyring *ring)
{
	static cl_receipt r;
	cl_err rc;

	if ((rc = cl_receipt_parse(text, len, &r)) != CL_OK)
		return rc;
	return cl_receipt_verify(&r, ring);
}

static void
sha_abc(unsigned char md[CL_SHA256_LEN])
{
	cl_sha256("abc", 3, md);
}

/* cl_receipt_sign gives byte for byte what the openssl CLI gave. */
static void
test_receipt_sign_golden(void **state)
{
	struct fx *f = *state;
	unsigned char md[CL_SHA256_LEN];
	cl_buf out = CL_BUF_INIT;

	sha_abc(md);
	assert_string_equal(cl_signer_key_id(f->a), KEY_A_ID);
	assert_int_equal(cl_receipt_sign(f->a, "CIR-7K3F-9QXD",
			     "2026-11-23T14:05:09Z", md, NULL, &out),
	    CL_OK);
	assert_string_equal(out.data, GOLDEN_RECEIPT);
	assert_int_equal(out.len, strlen(GOLDEN_RECEIPT));
	cl_buf_free(&out);
}

/* Sign, parse and verify: every field comes back; a second one appends. */
static void
test_receipt_round_trip(void **state)
{
	struct fx *f = *state;
	unsigned char md[CL_SHA256_LEN];
	cl_buf out = CL_BUF_INIT;
	static cl_receipt r;

	cl_sha256("copy", 4, md);
	cl_buf_puts(&out, "prefix");
	assert_int_equal(cl_receipt_sign(f->b, "CIR-ZZ22-9QXD",
			     "2024-02-29T23:59:59Z", md, NULL, &out),
	    CL_OK);
	assert_memory_equal(out.data, "prefix", 6);
	assert_int_equal(cl_receipt_parse(out.data + 6, out.len - 6, &r),
	    CL_OK);
	assert_string_equal(r.reason, "");
	assert_string_equal(r.reference, "CIR-ZZ22-9QXD");
	assert_string_equal(r.received, "2024-02-29T23:59:59Z");
	assert_memory_equal(r.commitment, md, sizeof md);
	assert_string_equal(r.key_id, KEY_B_ID);
	assert_false(r.crlf);
	assert_false(r.no_final_lf);
	assert_int_equal(r.signed_len,
	    out.len - 6 - strlen("signature: ") - 88 - 1);
	assert_int_equal(cl_receipt_verify(&r, f->ring_b), CL_OK);
	assert_int_equal(cl_receipt_verify(&r, f->ring_ab), CL_OK);
	cl_buf_free(&out);
}

/* Values out of format are refused and out is left as it was. */
static void
test_receipt_sign_rejects_bad_values(void **state)
{
	static const char *const refs[] = { "CIR-7K3F-9QX", "CIR-7K3F-9QXO",
		"cir-7K3F-9QXD", "CIR-7K3F_9QXD", "CIR-7K3F-9QXD ",
		"CIR-1K3F-9QXD", "CIR-7K3F-9QXL", "CIR-7K3F-9QXI",
		"CIR-7k3F-9QXD", "" };
	static const char *const times[] = { "2026-11-23T14:05:09",
		"2026-11-23 14:05:09Z", "2026-02-29T14:05:09Z",
		"2026-11-23T24:05:09Z", "2026-11-23T14:60:09Z",
		"2026-11-23T14:05:60Z", "2026-11-31T14:05:09Z",
		"2026-13-23T14:05:09Z", "2026-00-23T14:05:09Z",
		"2026-11-00T14:05:09Z", "2026-11-23T14:05:09.5Z",
		"2026-11-23T14:05:09+00:00", "1900-02-29T00:00:00Z", "" };
	struct fx *f = *state;
	unsigned char md[CL_SHA256_LEN];
	cl_buf out = CL_BUF_INIT;

	sha_abc(md);
	cl_buf_puts(&out, "kept");
	for (size_t i = 0; i < sizeof refs / sizeof refs[0]; i++)
		assert_int_equal(cl_receipt_sign(f->a, refs[i],
				     "2026-11-23T14:05:09Z", md, NULL, &out),
		    CL_EINVAL);
	for (size_t i = 0; i < sizeof times / sizeof times[0]; i++)
		assert_int_equal(cl_receipt_sign(f->a, "CIR-7K3F-9QXD",
				     times[i], md, NULL, &out),
		    CL_EINVAL);
	assert_string_equal(out.data, "kept");
	assert_int_equal(out.len, 4);
	/* leap days of leap years are real dates */
	assert_int_equal(cl_receipt_sign(f->a, "CIR-7K3F-9QXD",
			     "2000-02-29T00:00:00Z", md, NULL, &out),
	    CL_OK);
	cl_buf_free(&out);
}

/* Each malformed variant is refused with a reason naming the problem. */
static void
test_receipt_parse_rejects_malformed(void **state)
{
	static const struct {
		const char *text, *reason;
	} bad[] = {
		{ "", "empty" },
		{ "\n", "line 1: not \"callin-receipt-v1\"" },
		{ "callin-receipt-v2\n" LREF LREC LCOM LKEY LSIG, "line 1" },
		{ "\xef\xbb\xbf" L0 LREF LREC LCOM LKEY LSIG, "line 1" },
		{ " " L0 LREF LREC LCOM LKEY LSIG, "line 1" },
		{ "CALLIN-RECEIPT-V1\n" LREF LREC LCOM LKEY LSIG, "line 1" },
		{ L0 LREC LCOM LKEY LSIG, "no reference line" },
		{ L0 LREF LCOM LKEY LSIG, "no received line" },
		{ L0 LREF LREC LKEY LSIG, "no commitment line" },
		{ L0 LREF LREC LCOM LSIG, "no key line" },
		{ L0 LREF LREC LCOM LKEY, "no signature line" },
		{ L0, "no reference line" },
		{ L0 LREF LREF LREC LCOM LKEY LSIG,
		    "line 3: a second reference" },
		{ L0 LREF LREC LREC LCOM LKEY LSIG,
		    "line 4: a second received" },
		{ L0 LREF LREC LCOM LCOM LKEY LSIG, "a second commitment" },
		{ L0 LREF LREC LCOM LKEY LKEY LSIG, "a second key" },
		{ L0 LREF LREC LCOM LKEY LSIG LSIG,
		    "line 6: the signature line is not the last" },
		{ L0 LREF LREC LCOM LSIG LKEY,
		    "line 5: the signature line is not the last" },
		{ L0 LREF LREC LCOM LKEY LSIG "\n",
		    "the signature line is not the last" },
		{ L0 LREF LREC LCOM LKEY LSIG "note: x\n", "not the last" },
		{ L0 "\n" LREF LREC LCOM LKEY LSIG,
		    "line 2: not a \"name: value\"" },
		{ L0 LREF LREC LCOM LKEY " " LSIG,
		    "line 6: not a \"name: value\"" },
		{ L0 "Reference: CIR-7K3F-9QXD\n" LREC LCOM LKEY LSIG,
		    "line 2: not a \"name: value\"" },
		{ L0 "reference:CIR-7K3F-9QXD\n" LREC LCOM LKEY LSIG,
		    "line 2: not a \"name: value\"" },
		{ L0 "reference:\tCIR-7K3F-9QXD\n" LREC LCOM LKEY LSIG,
		    "line 2: not a \"name: value\"" },
		{ L0 "reference : CIR-7K3F-9QXD\n" LREC LCOM LKEY LSIG,
		    "line 2: not a \"name: value\"" },
		{ L0 "reference: \n" LREC LCOM LKEY LSIG,
		    "line 2: not a \"name: value\"" },
		{ L0 "reference:  CIR-7K3F-9QXD\n" LREC LCOM LKEY LSIG,
		    "line 2: reference is not" },
		{ L0 "reference: CIR-7K3F-9QXD \n" LREC LCOM LKEY LSIG,
		    "line 2: reference is not" },
		{ L0 "reference: CIR-7K3F-9QXO\n" LREC LCOM LKEY LSIG,
		    "line 2: reference is not" },
		{ L0 "reference: CIR-7k3f-9qxd\n" LREC LCOM LKEY LSIG,
		    "line 2: reference is not" },
		{ L0 "reference: CIR-7K3F9QXD\n" LREC LCOM LKEY LSIG,
		    "line 2: reference is not" },
		{ L0 LREF "received: 2026-11-23T14:05:09\n" LCOM LKEY LSIG,
		    "line 3: received is not" },
		{ L0 LREF "received: 2026-02-30T14:05:09Z\n" LCOM LKEY LSIG,
		    "line 3: received is not" },
		{ L0 LREF "received: 2026-11-23t14:05:09z\n" LCOM LKEY LSIG,
		    "line 3: received is not" },
		{ L0 LREF "received: 2026-11-23T14:05:09.000Z\n" LCOM LKEY LSIG,
		    "line 3: received is not" },
		{ L0 LREF LREC
		    "commitment: ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n" LKEY
			LSIG,
		    "line 4: commitment is not" },
		{ L0 LREF LREC
		    "commitment: sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD\n" LKEY
			LSIG,
		    "line 4: commitment is not" },
		{ L0 LREF LREC
		    "commitment: sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a\n" LKEY
			LSIG,
		    "line 4: commitment is not" },
		{ L0 LREF LREC
		    "commitment: sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015add\n" LKEY
			LSIG,
		    "line 4: commitment is not" },
		{ L0 LREF LREC
		    "commitment: sha512:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n" LKEY
			LSIG,
		    "line 4: commitment is not" },
		{ L0 LREF LREC LCOM "key: a52a3cf3f4ea0fa\n" LSIG,
		    "line 5: key is not" },
		{ L0 LREF LREC LCOM "key: a52a3cf3f4ea0fa33\n" LSIG,
		    "line 5: key is not" },
		{ L0 LREF LREC LCOM "key: A52A3CF3F4EA0FA3\n" LSIG,
		    "line 5: key is not" },
		{ L0 LREF LREC LCOM "key: a52a3cf3f4ea0fg3\n" LSIG,
		    "line 5: key is not" },
		/* the signature: padding, length, alphabet, canonical last bits */
		{ L0 LREF LREC LCOM LKEY
		    "signature: nx95H22fYzw/yBA1Ptu/fO+eXQ3rR6WVPmZehYq4TKFpuZlsTvS+QGaGQh4b+ljkGQYBNSd5D12OdVIRjn8tBA\n",
		    "line 6: signature is not" },
		{ L0 LREF LREC LCOM LKEY
		    "signature: nx95H22fYzw/yBA1Ptu/fO+eXQ3rR6WVPmZehYq4TKFpuZlsTvS+QGaGQh4b+ljkGQYBNSd5D12OdVIRjn8tBB==\n",
		    "line 6: signature is not" },
		{ L0 LREF LREC LCOM LKEY
		    "signature: nx95H22fYzw/yBA1Ptu/fO+eXQ3rR6WVPmZehYq4TKFpuZlsTvS+QGaGQh4b+ljkGQYBNSd5D12OdVIRjn8tB===\n",
		    "line 6: signature is not" },
		{ L0 LREF LREC LCOM LKEY
		    "signature: nx95H22fYzw/yBA1Ptu/fO+eXQ3rR6WVPmZehYq4TKFpuZlsTvS+QGaGQh4b+ljkGQYBNSd5D12OdVIRjn8tBAAA\n",
		    "line 6: signature is not" },
		{ L0 LREF LREC LCOM LKEY
		    "signature: nx95H22fYzw/yBA1Ptu/fO+eXQ3rR6WVPmZehYq4TKFpuZlsTvS+QGaGQh4b+ljkGQYBNSd5D12OdVIRjn8tBAAAAA==\n",
		    "line 6: signature is not" },
		{ L0 LREF LREC LCOM LKEY
		    "signature: nx95H22fYzw_yBA1Ptu_fO-eXQ3rR6WVPmZehYq4TKFpuZlsTvS-QGaGQh4b-ljkGQYBNSd5D12OdVIRjn8tBA==\n",
		    "line 6: signature is not" },
		{ L0 LREF LREC LCOM LKEY "signature: " SIGV " \n",
		    "line 6: signature is not" },
		{ L0 LREF LREC LCOM LKEY "signature:  " SIGV "\n",
		    "line 6: signature is not" },
		/* bytes that never belong in a receipt */
		{ L0 LREF LREC LCOM LKEY LSIG "\r\r",
		    "line 7: carriage return inside a line" },
		{ L0 LREF "received: 2026-11-23T14:05:09Z\r\r\n" LCOM LKEY LSIG,
		    "line 3: carriage return inside a line" },
		{ L0 "reference: CIR-7K3F\r-9QXD\n" LREC LCOM LKEY LSIG,
		    "line 2: carriage return inside a line" },
		{ L0 "note: caf\xc3\xa9\n" LREF LREC LCOM LKEY LSIG,
		    "line 2: a character that is not printable ASCII" },
		{ L0 "note: a\tb\n" LREF LREC LCOM LKEY LSIG,
		    "line 2: a character that is not printable ASCII" },
		{ L0 "note: a\x7f\n" LREF LREC LCOM LKEY LSIG,
		    "line 2: a character that is not printable ASCII" },
	};
	static cl_receipt r;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cl_err rc = cl_receipt_parse(bad[i].text, strlen(bad[i].text),
		    &r);

		if (rc != CL_EPARSE || strstr(r.reason, bad[i].reason) == NULL)
			fail_msg("case %zu: rc %d, reason \"%s\", wanted "
				 "\"%s\"",
			    i, rc, r.reason, bad[i].reason);
	}
	/* a NUL byte (strlen would stop there) */
	assert_int_equal(cl_receipt_parse(L0 "\0" LREF, sizeof(L0 LREF), &r),
	    CL_EPARSE);
	assert_string_equal(r.reason, "line 2: NUL byte");
	/* longer than CL_RECEIPT_MAX */
	{
		cl_buf big = CL_BUF_INIT;

		cl_buf_puts(&big, L0 LREF LREC LCOM LKEY);
		while (big.len <= CL_RECEIPT_MAX)
			cl_buf_puts(&big, "note: padding padding padding\n");
		cl_buf_puts(&big, LSIG);
		assert_int_equal(cl_receipt_parse(big.data, big.len, &r),
		    CL_EPARSE);
		assert_non_null(strstr(r.reason, "longer than 4096 bytes"));
		cl_buf_free(&big);
	}
}

/* Unknown name: value lines above the signature are signed and ignored. */
static void
test_receipt_unknown_lines(void **state)
{
	struct fx *f = *state;
	cl_buf t = CL_BUF_INIT;
	static cl_receipt r;
	char *p;

	sign_text(KEY_A_PRIV,
	    L0 LREF "note: later versions may add lines\n" LREC LCOM LKEY
		    "x-2_b: 1\n",
	    &t);
	assert_int_equal(cl_receipt_parse(t.data, t.len, &r), CL_OK);
	assert_string_equal(r.reference, "CIR-7K3F-9QXD");
	assert_int_equal(cl_receipt_verify(&r, f->ring_a), CL_OK);
	/* they are part of the signed bytes */
	p = strstr(t.data, "later");
	*p = 'L';
	assert_int_equal(check(t.data, t.len, f->ring_a), CL_EVERIFY);
	cl_buf_free(&t);
	/* a receipt signed by B that names key A does not verify */
	sign_text(KEY_B_PRIV, L0 LREF LREC LCOM LKEY, &t);
	assert_int_equal(check(t.data, t.len, f->ring_ab), CL_EVERIFY);
	cl_buf_free(&t);
}

/*
 * Line ends: CR LF is read as LF on every line, a missing final newline is
 * accepted; both keep the signature valid.  Nothing else is.
 */
static void
test_receipt_line_endings(void **state)
{
	static const char crlf[] =
	    "callin-receipt-v1\r\n"
	    "reference: CIR-7K3F-9QXD\r\n"
	    "received: 2026-11-23T14:05:09Z\r\n"
	    "commitment: sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\r\n"
	    "key: a52a3cf3f4ea0fa3\r\n"
	    "signature: " SIGV "\r\n";
	struct fx *f = *state;
	static cl_receipt r;
	size_t n = strlen(crlf);
	char buf[512];

	assert_int_equal(check(GOLDEN_RECEIPT, strlen(GOLDEN_RECEIPT),
			     f->ring_a),
	    CL_OK);
	/* all CR LF */
	assert_int_equal(cl_receipt_parse(crlf, n, &r), CL_OK);
	assert_true(r.crlf);
	assert_false(r.no_final_lf);
	assert_int_equal(r.signed_len, strlen(GOLDEN_SIGNED));
	assert_string_equal(r.text, GOLDEN_RECEIPT);
	assert_int_equal(cl_receipt_verify(&r, f->ring_a), CL_OK);
	/* CR LF without the final CR LF; not a CR without its LF */
	assert_int_equal(check(crlf, n - 2, f->ring_a), CL_OK);
	assert_int_equal(check(crlf, n - 1, f->ring_a), CL_EPARSE);
	/* LF without the final LF */
	assert_int_equal(cl_receipt_parse(GOLDEN_RECEIPT,
			     strlen(GOLDEN_RECEIPT) - 1, &r),
	    CL_OK);
	assert_true(r.no_final_lf);
	assert_false(r.crlf);
	assert_int_equal(cl_receipt_verify(&r, f->ring_a), CL_OK);
	/* mixed: each line on its own */
	assert_int_equal(check(L0 LREF
			     "received: 2026-11-23T14:05:09Z\r\n" LCOM LKEY
				 LSIG,
			     strlen(GOLDEN_RECEIPT) + 1, f->ring_a),
	    CL_OK);
	/* not: doubled CR, CR alone as a line end, blank lines at the end */
	assert_int_equal(check(L0 LREF
			     "received: 2026-11-23T14:05:09Z\r\r\n" LCOM LKEY
				 LSIG,
			     strlen(GOLDEN_RECEIPT) + 2, f->ring_a),
	    CL_EPARSE);
	assert_int_equal(check(L0 LREF
			     "received: 2026-11-23T14:05:09Z\r" LCOM LKEY LSIG,
			     strlen(GOLDEN_RECEIPT), f->ring_a),
	    CL_EPARSE);
	assert_int_equal(check(GOLDEN_RECEIPT "\n", strlen(GOLDEN_RECEIPT) + 1,
			     f->ring_a),
	    CL_EPARSE);
	assert_int_equal(check(GOLDEN_RECEIPT "\r\n",
			     strlen(GOLDEN_RECEIPT) + 2, f->ring_a),
	    CL_EPARSE);
	assert_int_equal(check("callin-receipt-v1\r", 18, f->ring_a),
	    CL_EPARSE);
	memcpy(buf, GOLDEN_RECEIPT, n = strlen(GOLDEN_RECEIPT));
	buf[n - 1] = '\r';
	assert_int_equal(check(buf, n, f->ring_a), CL_EPARSE);
}

/*
 * Set each byte of the n bytes of good to each other value, and delete each
 * byte: nothing may verify, except deleting a byte for which may_delete()
 * says the rule allows it.  Counts into *tried and *parsed.
 */
static void
mutate_all(const char *good, size_t n, const cl_keyring *ring,
    bool (*may_delete)(const char *, size_t, size_t), size_t *tried,
    size_t *parsed)
{
	char buf[600];
	cl_err rc;

	assert_true(n < sizeof buf);
	for (size_t i = 0; i < n; i++) {
		for (int v = 0; v < 256; v++) {
			if ((unsigned char)good[i] == v)
				continue;
			memcpy(buf, good, n);
			buf[i] = (char)v;
			rc = check(buf, n, ring);
			(*tried)++;
			if (rc != CL_EPARSE)
				(*parsed)++;
			if (rc == CL_OK)
				fail_msg("byte %zu set to 0x%02x verifies", i,
				    v);
		}
		memcpy(buf, good, i);
		memcpy(buf + i, good + i + 1, n - i - 1);
		rc = check(buf, n - 1, ring);
		if (may_delete(good, n, i))
			assert_int_equal(rc, CL_OK);
		else if (rc == CL_OK)
			fail_msg("deleting byte %zu verifies", i);
	}
}

/* LF form: only the final newline may go. */
static bool
lf_may_delete(const char *s, size_t n, size_t i)
{
	(void)s;
	return i == n - 1;
}

/* CR LF form: any CR may go (that line is then LF, which is fine). */
static bool
crlf_may_delete(const char *s, size_t n, size_t i)
{
	(void)n;
	return s[i] == '\r';
}

/*
 * The bar: change any one byte of a real receipt, in LF or CR LF form, to
 * any other value and it never verifies; deleting a byte fails too, but for
 * the final newline and a CR of a CR LF (the line-ending rule).
 */
static void
test_receipt_every_byte_mutation(void **state)
{
	struct fx *f = *state;
	const char *good = GOLDEN_RECEIPT;
	size_t tried = 0, parsed = 0;
	cl_buf crlf = CL_BUF_INIT;

	assert_int_equal(check(good, strlen(good), f->ring_ab), CL_OK);
	mutate_all(good, strlen(good), f->ring_ab, lf_may_delete, &tried,
	    &parsed);
	for (const char *p = good; *p != '\0'; p++)
		cl_buf_puts(&crlf, *p == '\n' ? "\r\n" : (char[]){ *p, 0 });
	assert_int_equal(check(crlf.data, crlf.len, f->ring_ab), CL_OK);
	mutate_all(crlf.data, crlf.len, f->ring_ab, crlf_may_delete, &tried,
	    &parsed);
	print_message(
	    "mutation: %zu one-byte variants, %zu of them "
	    "well-formed and refused by the signature check, none valid\n",
	    tried, parsed);
	cl_buf_free(&crlf);
}

/* A key not in the ring: CL_ENOTFOUND.  Rotation: old keys still verify. */
static void
test_receipt_unknown_key_and_rotation(void **state)
{
	struct fx *f = *state;
	unsigned char md[CL_SHA256_LEN];
	cl_buf ra = CL_BUF_INIT, rb = CL_BUF_INIT;

	sha_abc(md);
	assert_int_equal(cl_receipt_sign(f->a, "CIR-7K3F-9QXD",
			     "2026-11-23T14:05:09Z", md, NULL, &ra),
	    CL_OK);
	assert_int_equal(cl_receipt_sign(f->b, "CIR-7K3F-9QXE",
			     "2027-01-01T00:00:00Z", md, NULL, &rb),
	    CL_OK);
	assert_int_equal(check(ra.data, ra.len, f->ring_b), CL_ENOTFOUND);
	assert_int_equal(check(rb.data, rb.len, f->ring_a), CL_ENOTFOUND);
	/* after rotating from A to B the ring holds both */
	assert_int_equal(check(ra.data, ra.len, f->ring_ab), CL_OK);
	assert_int_equal(check(rb.data, rb.len, f->ring_ab), CL_OK);
	cl_buf_free(&ra);
	cl_buf_free(&rb);
}

/*
 * The signer's one operation: the body cl_receipt_body() writes signs to
 * the golden receipt; any other body (each byte changed, a byte added or
 * removed, upper-case hex, another line) is refused and out is unchanged.
 */
static void
test_receipt_sign_body(void **state)
{
	struct fx *f = *state;
	unsigned char md[CL_SHA256_LEN];
	cl_buf body = CL_BUF_INIT, out = CL_BUF_INIT;
	char *bad;

	sha_abc(md);
	assert_int_equal(cl_receipt_body("CIR-7K3F-9QXD",
			     "2026-11-23T14:05:09Z", md, NULL, &body),
	    CL_OK);
	assert_string_equal(body.data, L0 LREF LREC LCOM);
	assert_int_equal(cl_receipt_body("CIR-7K3F-9QX", "2026-11-23T14:05:09Z",
			     md, NULL, &out),
	    CL_EINVAL);
	assert_int_equal(out.len, 0);
	assert_int_equal(cl_receipt_sign_body(f->a, body.data, body.len, 0, 0,
			     &out),
	    CL_OK);
	assert_string_equal(out.data, GOLDEN_RECEIPT);
	cl_buf_reset(&out);

	bad = cl_malloc(body.len + 2);
	for (size_t i = 0; i < body.len; i++) {
		memcpy(bad, body.data, body.len);
		bad[i] ^= 0x20;
		if (bad[i] == body.data[i])
			continue;
		assert_int_not_equal(cl_receipt_sign_body(f->a, bad, body.len,
					 0, 0, &out),
		    CL_OK);
		assert_int_equal(out.len, 0);
	}
	assert_int_equal(cl_receipt_sign_body(f->a, body.data, body.len - 1, 0,
			     0, &out),
	    CL_EPARSE);
	memcpy(bad, body.data, body.len);
	bad[body.len] = '\n';
	assert_int_equal(cl_receipt_sign_body(f->a, bad, body.len + 1, 0, 0,
			     &out),
	    CL_EPARSE);
	assert_int_equal(cl_receipt_sign_body(f->a, L0 LREF LREC LKEY,
			     strlen(L0 LREF LREC LKEY), 0, 0, &out),
	    CL_EPARSE);
	assert_int_equal(out.len, 0);
	/* The received time (1795442709 = 2026-11-23T14:05:09Z) near now. */
	assert_int_equal(cl_receipt_sign_body(f->a, body.data, body.len,
			     1795442709 + 120, 120, &out),
	    CL_OK);
	assert_string_equal(out.data, GOLDEN_RECEIPT);
	cl_buf_reset(&out);
	assert_int_equal(cl_receipt_sign_body(f->a, body.data, body.len,
			     1795442709 - 120, 120, &out),
	    CL_OK);
	cl_buf_reset(&out);
	assert_int_equal(cl_receipt_sign_body(f->a, body.data, body.len,
			     1795442709 + 121, 120, &out),
	    CL_EINVAL);
	assert_int_equal(cl_receipt_sign_body(f->a, body.data, body.len,
			     1795442709 - 3600, 120, &out),
	    CL_EINVAL);
	assert_int_equal(out.len, 0);
	free(bad);
	cl_buf_free(&body);
	cl_buf_free(&out);
}

/*
 * The log line (DESIGN.md §9): the body with "log: <origin>" after the
 * commitment signs, parses back with its origin and verifies; a receipt
 * without one has none; a bad origin, a second log line or anything after
 * it is refused by the signer and the parser alike.
 */
static void
test_receipt_log_line(void **state)
{
	static const char *const bad_origins[] = { "a+b", "a b", "",
		"caf\xc3\xa9", "a\tb" };
	struct fx *f = *state;
	unsigned char md[CL_SHA256_LEN];
	cl_buf body = CL_BUF_INIT, out = CL_BUF_INIT, t = CL_BUF_INIT;
	static cl_receipt r;
	char origin[CL_RECEIPT_LOG_MAX + 1];

	sha_abc(md);
	assert_int_equal(cl_receipt_body("CIR-7K3F-9QXD",
			     "2026-11-23T14:05:09Z", md,
			     "callin.example.gov.uk/log", &body),
	    CL_OK);
	assert_string_equal(body.data,
	    L0 LREF LREC LCOM "log: callin.example.gov.uk/log\n");
	assert_int_equal(cl_receipt_sign_body(f->a, body.data, body.len, 0, 0,
			     &out),
	    CL_OK);
	assert_memory_equal(out.data, body.data, body.len);
	assert_memory_equal(out.data + body.len, LKEY, strlen(LKEY));
	assert_int_equal(cl_receipt_parse(out.data, out.len, &r), CL_OK);
	assert_string_equal(r.log, "callin.example.gov.uk/log");
	assert_int_equal(r.signed_len, body.len + strlen(LKEY));
	assert_int_equal(cl_receipt_verify(&r, f->ring_a), CL_OK);
	/* the line is signed: another origin breaks the signature */
	cl_buf_add(&t, out.data, out.len);
	t.data[body.len - 2] = 'X';
	assert_int_equal(check(t.data, t.len, f->ring_a), CL_EVERIFY);
	/* no log line: none */
	assert_int_equal(cl_receipt_parse(GOLDEN_RECEIPT,
			     strlen(GOLDEN_RECEIPT), &r),
	    CL_OK);
	assert_string_equal(r.log, "");

	for (size_t i = 0; i < sizeof bad_origins / sizeof bad_origins[0];
	     i++) {
		cl_buf_reset(&t);
		assert_int_equal(cl_receipt_body("CIR-7K3F-9QXD",
				     "2026-11-23T14:05:09Z", md,
				     bad_origins[i][0] ? bad_origins[i] : " ",
				     &t),
		    CL_EINVAL);
		cl_buf_printf(&t, L0 LREF LREC LCOM "log: %s\n",
		    bad_origins[i]);
		cl_buf_reset(&out);
		assert_int_equal(cl_receipt_sign_body(f->a, t.data, t.len, 0, 0,
				     &out),
		    CL_EPARSE);
		assert_int_equal(out.len, 0);
		cl_buf_puts(&t, LKEY LSIG);
		assert_int_equal(cl_receipt_parse(t.data, t.len, &r),
		    CL_EPARSE);
	}
	memset(origin, 'a', CL_RECEIPT_LOG_MAX);
	origin[CL_RECEIPT_LOG_MAX] = '\0';
	cl_buf_reset(&t);
	assert_int_equal(cl_receipt_body("CIR-7K3F-9QXD",
			     "2026-11-23T14:05:09Z", md, origin, &t),
	    CL_EINVAL);
	origin[CL_RECEIPT_LOG_MAX - 1] = '\0';
	assert_int_equal(cl_receipt_body("CIR-7K3F-9QXD",
			     "2026-11-23T14:05:09Z", md, origin, &t),
	    CL_OK);
	/* two log lines, a line after it, no final LF: refused */
	cl_buf_reset(&t);
	cl_buf_printf(&t, "%slog: b\n", body.data);
	assert_int_equal(cl_receipt_sign_body(f->a, t.data, t.len, 0, 0, &out),
	    CL_EPARSE);
	cl_buf_reset(&t);
	cl_buf_printf(&t, "%sx: y\n", body.data);
	assert_int_equal(cl_receipt_sign_body(f->a, t.data, t.len, 0, 0, &out),
	    CL_EPARSE);
	assert_int_equal(cl_receipt_sign_body(f->a, body.data, body.len - 1, 0,
			     0, &out),
	    CL_EPARSE);
	cl_buf_reset(&t);
	cl_buf_printf(&t, L0 LREF LREC LCOM "log: a\nlog: b\n" LKEY LSIG);
	assert_int_equal(cl_receipt_parse(t.data, t.len, &r), CL_EPARSE);
	assert_string_equal(r.reason, "line 6: a second log line");
	cl_buf_free(&body);
	cl_buf_free(&out);
	cl_buf_free(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_receipt_sign_golden),
		cmocka_unit_test(test_receipt_log_line),
		cmocka_unit_test(test_receipt_round_trip),
		cmocka_unit_test(test_receipt_sign_rejects_bad_values),
		cmocka_unit_test(test_receipt_parse_rejects_malformed),
		cmocka_unit_test(test_receipt_unknown_lines),
		cmocka_unit_test(test_receipt_line_endings),
		cmocka_unit_test(test_receipt_every_byte_mutation),
		cmocka_unit_test(test_receipt_unknown_key_and_rotation),
		cmocka_unit_test(test_receipt_sign_body),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

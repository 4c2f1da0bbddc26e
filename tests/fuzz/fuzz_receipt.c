/*
 * fuzz_receipt: libFuzzer target for the receipt parser and verifier.
 * Every input is parsed; a parsed receipt must satisfy the parser's
 * promises (signed part ends in LF and the signature line follows) and is
 * then verified against a fixed keyring of the two unit-test keys, whose
 * real receipts are in the seed corpus (tests/fuzz/corpus/receipt).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "callin/receipt.h"

/* The unit tests' TEST KEYS (tests/unit/test_receipt_fixtures.h). */
static const char key_a[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VwAyEAbeY+u4ar0dZUkvSP8UC1PoBqYW5J2NUoD+YrGiN/6MY=\n"
    "-----END PUBLIC KEY-----\n";
static const char key_b[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VwAyEAu84LtTW2N/u3Tc8Z+89Cz6xGDW+mWXiLYkw4wTqtT8o=\n"
    "-----END PUBLIC KEY-----\n";

static cl_keyring *ring;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[256];

	(void)argc;
	(void)argv;
	ring = cl_keyring_new();
	if (cl_keyring_add_pem(ring, key_a, strlen(key_a), "a", err,
		sizeof err) != CL_OK ||
	    cl_keyring_add_pem(ring, key_b, strlen(key_b), "b", err,
		sizeof err) != CL_OK)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static cl_receipt r;
	size_t len;
	cl_err rc;

	if (cl_receipt_parse((const char *)data, size, &r) != CL_OK) {
		if (r.reason[0] == '\0')
			abort(); /* a refusal always says why */
		return 0;
	}
	len = strlen(r.text);
	if (r.reason[0] != '\0' || r.signed_len == 0 || r.signed_len >= len ||
	    r.text[r.signed_len - 1] != '\n' || r.text[len - 1] != '\n' ||
	    strncmp(r.text + r.signed_len, "signature: ", 11) != 0 ||
	    memchr(r.text + r.signed_len, '\n', len - r.signed_len) !=
		r.text + len - 1 ||
	    strlen(r.reference) != CL_REFERENCE_LEN ||
	    strlen(r.received) != CL_RECEIVED_LEN ||
	    strlen(r.key_id) != CL_KEY_ID_LEN)
		abort();
	rc = cl_receipt_verify(&r, ring);
	if (rc != CL_OK && rc != CL_ENOTFOUND && rc != CL_EVERIFY)
		abort();
	return 0;
}

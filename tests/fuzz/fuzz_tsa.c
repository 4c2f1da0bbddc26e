/*
 * fuzz_tsa: libFuzzer target for the time-stamp token check
 * (cl_tsa_verify).  The first byte of an input says what the rest is (even:
 * a DER TimeStampResp, odd: a bare TimeStampToken); it is checked over a
 * fixed checkpoint text against a fixed test root, whose authority's real
 * reply and token are in the seed corpus (tests/fuzz/corpus/tsa).  A token
 * that checks must say a genTime; one that does not must say why.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "callin/anchor.h"

/* The seeds' root: a test CA made by tests/tools/test_tsa.py (tests only). */
static const char ca_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBmDCCAT6gAwIBAgIUPC8kXVt1y6ryvoOQhqR7EIy0fJUwCgYIKoZIzj0EAwIw\n"
    "KjEoMCYGA1UEAwwfRnV6eiBTZWVkIFRTQSBSb290ICh0ZXN0cyBvbmx5KTAeFw0y\n"
    "NjEyMDMwNzU4MThaFw0zNjExMzAwNzU4MThaMCoxKDAmBgNVBAMMH0Z1enogU2Vl\n"
    "ZCBUU0EgUm9vdCAodGVzdHMgb25seSkwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNC\n"
    "AASQ5JlOswNHVEjog3tGTcjR2Cb96fuppqVRJuCGam3RZaKZQ/7lNEA+7U+0FfOz\n"
    "AKZ28flY0EjDzsKW0oTi4K1Vo0IwQDAPBgNVHRMBAf8EBTADAQH/MA4GA1UdDwEB\n"
    "/wQEAwIBBjAdBgNVHQ4EFgQUoce2cxbvS6rlmH6/XyOUssrT2YcwCgYIKoZIzj0E\n"
    "AwIDSAAwRQIhAL7S7XunAYBsZGDG4XXNP4p/NHNjqoND4SkXBaDb5k7DAiBfE6Uo\n"
    "QbSsuRdoD4aq1b1S/+RzUnIWry60jaqNw0eU9Q==\n"
    "-----END CERTIFICATE-----\n";
static const char checkpoint[] =
    "callin.example.gov.uk/log\n5\n"
    "QrtXrQZCCvpIgsSmOsah7HdICzMLLyDfxToMql9WTjY=\n";
static char ca_path[] = "/tmp/fuzz_tsa_ca.XXXXXX";

int LLVMFuzzerInitialize(int *argc, char ***argv);
static void remove_ca(void);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int fd;

	(void)argc;
	(void)argv;
	if ((fd = mkstemp(ca_path)) < 0 ||
	    write(fd, ca_pem, sizeof ca_pem - 1) !=
		(ssize_t)(sizeof ca_pem - 1) ||
	    close(fd) != 0) {
		perror(ca_path);
		abort();
	}
	atexit(remove_ca);
	return 0;
}

/* Remove the root file written at start. */
static void
remove_ca(void)
{
	unlink(ca_path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cl_tsa_check chk;
	cl_err rc;

	if (size == 0)
		return 0;
	rc = cl_tsa_verify(data + 1, size - 1, data[0] & 1, checkpoint,
	    sizeof checkpoint - 1, ca_path, &chk);
	if (rc == CL_OK && chk.gen_time <= 0)
		abort();
	if (rc != CL_OK &&
	    (chk.why[0] == '\0' ||
		memchr(chk.why, '\0', sizeof chk.why) == NULL))
		abort();
	if (rc == CL_ECONFIG)
		abort(); /* the root file was written at start */
	return 0;
}

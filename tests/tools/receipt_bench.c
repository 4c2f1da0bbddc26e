/*
 * receipt_bench: receipts signed and verified per second on one core, for
 * 2 s each (the bar is >= 20,000 signatures/s).  Prints figures only.
 * Rates are per second of this thread's CPU time, so that other processes
 * on the machine do not skew them; the wall-clock rate is printed too.
 *
 *	receipt_bench [seconds]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "callin/clock.h"
#include "callin/hash.h"
#include "callin/receipt.h"

/* Seconds of CPU time this thread has used. */
static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Print one figure. */
static void
report(const char *what, long n, double cpu, double w)
{
	printf("%-13s %8.0f receipts/s per CPU second (%ld in %.2f s CPU; "
	       "%.0f/s wall clock)\n",
	    what, (double)n / cpu, n, cpu, (double)n / w);
}

int
main(int argc, char *argv[])
{
	double secs = argc > 1 ? atof(argv[1]) : 2.0, t0, t, w0;
	char dir[] = "/tmp/receipt_bench.XXXXXX", priv[64], pub[64], pubf[96];
	char id[CL_KEY_ID_LEN + 1], err[512];
	unsigned char md[CL_SHA256_LEN];
	cl_buf out = CL_BUF_INIT;
	cl_signer *s = NULL;
	cl_keyring *ring = NULL;
	static cl_receipt r;
	long n;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(priv, sizeof priv, "%s/signing.pem", dir);
	snprintf(pub, sizeof pub, "%s/public", dir);
	if (cl_keygen(priv, pub, id, err, sizeof err) != CL_OK ||
	    cl_signer_load(priv, &s, err, sizeof err) != CL_OK ||
	    cl_keyring_load(pub, &ring, err, sizeof err) != CL_OK) {
		fprintf(stderr, "receipt_bench: %s\n", err);
		return 1;
	}
	snprintf(pubf, sizeof pubf, "%s/%s.pem", pub, id);
	unlink(priv);
	unlink(pubf);
	rmdir(pub);
	rmdir(dir);
	cl_sha256("copy", 4, md);
#ifdef CALLIN_HAVE_SODIUM
	printf("signing with libsodium crypto_sign_detached\n");
#else
	printf("signing with OpenSSL EVP_DigestSign\n");
#endif

	for (n = 0, w0 = cl_mono_s(), t0 = now(); (t = now()) - t0 < secs;
	     n++) {
		md[0] = (unsigned char)n;
		cl_buf_reset(&out);
		if (cl_receipt_sign(s, "CIR-7K3F-9QXD", "2026-11-23T14:05:09Z",
			md, NULL, &out) != CL_OK)
			return 1;
	}
	report("sign:", n, t - t0, cl_mono_s() - w0);

	if (cl_receipt_parse(out.data, out.len, &r) != CL_OK)
		return 1;
	for (n = 0, w0 = cl_mono_s(), t0 = now(); (t = now()) - t0 < secs; n++)
		if (cl_receipt_verify(&r, ring) != CL_OK)
			return 1;
	report("verify:", n, t - t0, cl_mono_s() - w0);

	for (n = 0, w0 = cl_mono_s(), t0 = now(); (t = now()) - t0 < secs; n++)
		if (cl_receipt_parse(out.data, out.len, &r) != CL_OK ||
		    cl_receipt_verify(&r, ring) != CL_OK)
			return 1;
	report("parse+verify:", n, t - t0, cl_mono_s() - w0);
	cl_buf_free(&out);
	cl_signer_free(s);
	cl_keyring_free(ring);
	return 0;
}

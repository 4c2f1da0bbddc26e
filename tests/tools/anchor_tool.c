/*
 * anchor_tool: drive the anchor module from the tests (not installed).
 *
 *	anchor_tool tsa-request URL CA_FILE DATA_FILE TIMEOUT_MS OUT.tsr
 *	    cl_tsa_request() over the bytes of DATA_FILE; on success the DER
 *	    reply goes to OUT.tsr.
 *	anchor_tool tsa-verify [--token] TSR_FILE DATA_FILE CA_FILE
 *	    cl_tsa_verify() (--token: TSR_FILE is a bare TimeStampToken).
 *
 * Prints one line: "ok genTime=<POSIX seconds>" and exits 0, or "<error
 * name>: <why>" (EVERIFY, EUNAVAIL, EPARSE, ECONFIG, ...) and exits 1;
 * exits 2 for bad usage or a file it cannot read or write.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callin/anchor.h"

#include "tool_slurp.h"

static const char *const names[CL_ERR__MAX] = { "OK", "ENOMEM", "EINVAL",
	"EPARSE", "ETOOBIG", "ETYPE", "EIO", "EUNAVAIL", "EDUP", "ENOTFOUND",
	"ECRYPTO", "ECONFIG", "EVERIFY", "ECLOSED", "ELIMIT" };

/* Print the result line and return the exit status. */
static int
report(cl_err rc, const char *why, time_t gen)
{
	if (rc == CL_OK) {
		printf("ok genTime=%lld\n", (long long)gen);
		return 0;
	}
	printf("%s: %s\n", rc < CL_ERR__MAX ? names[rc] : "?", why);
	return 1;
}

static int
tsa_request(char **argv)
{
	cl_buf data = CL_BUF_INIT, out = CL_BUF_INIT;
	cl_tsa_check chk;
	FILE *f;
	cl_err rc;
	int st;

	slurp(argv[4], &data);
	rc = cl_tsa_request(argv[2], argv[3], data.data, data.len,
	    strtol(argv[5], NULL, 10), &out, &chk);
	if (rc == CL_OK) {
		if ((f = fopen(argv[6], "wb")) == NULL ||
		    fwrite(out.data, 1, out.len, f) != out.len ||
		    fclose(f) != 0) {
			perror(argv[6]);
			exit(2);
		}
	}
	st = report(rc, chk.why, chk.gen_time);
	cl_buf_free(&data);
	cl_buf_free(&out);
	return st;
}

static int
tsa_verify(int argc, char **argv)
{
	cl_buf der = CL_BUF_INIT, data = CL_BUF_INIT;
	int token = argc == 6 && strcmp(argv[2], "--token") == 0;
	cl_tsa_check chk;
	cl_err rc;
	int st;

	if (argc != 5 + token) {
		fprintf(stderr,
		    "usage: anchor_tool tsa-verify [--token] TSR DATA CA\n");
		return 2;
	}
	argv += token;
	slurp(argv[2], &der);
	slurp(argv[3], &data);
	rc = cl_tsa_verify(der.data, der.len, token, data.data, data.len,
	    argv[4], &chk);
	st = report(rc, chk.why, chk.gen_time);
	cl_buf_free(&der);
	cl_buf_free(&data);
	return st;
}

int
main(int argc, char **argv)
{
	if (argc == 7 && strcmp(argv[1], "tsa-request") == 0)
		return tsa_request(argv);
	if (argc >= 5 && strcmp(argv[1], "tsa-verify") == 0)
		return tsa_verify(argc, argv);
	fprintf(stderr,
	    "usage: anchor_tool tsa-request URL CA DATA TIMEOUT_MS OUT\n"
	    "       anchor_tool tsa-verify [--token] TSR DATA CA\n");
	return 2;
}

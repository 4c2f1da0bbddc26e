/*
 * callin-keygen: make a new Ed25519 receipt-signing key pair.
 *
 *	callin-keygen PRIVATE.pem PUBLIC_KEYS_DIR
 *
 * writes the private key to PRIVATE.pem (mode 0600, never over an existing
 * file) and the public key to PUBLIC_KEYS_DIR/<key id>.pem, then prints the
 * key id.  Exit 0 on success, 1 when the files cannot be written, 2 on a
 * usage error.
 */
#include <stdio.h>
#include <string.h>

#include "callin/proc.h"
#include "callin/receipt.h"

static const char usage[] =
    "usage: callin-keygen PRIVATE.pem PUBLIC_KEYS_DIR\n"
    "  Makes a new Ed25519 receipt-signing key.  Writes the private key to\n"
    "  PRIVATE.pem (mode 0600; an existing file is never overwritten) and the\n"
    "  public key to PUBLIC_KEYS_DIR/<key id>.pem (the directory is created\n"
    "  if missing), then prints the key id (16 hex digits) on stdout.\n"
    "  Point signing_key_file and public_keys_dir at them; keep the public\n"
    "  files of retired keys in that directory so old receipts verify.\n";

int
main(int argc, char *argv[])
{
	char id[CL_KEY_ID_LEN + 1], err[512];

	/* It holds the new private key. */
	if (cl_proc_start(1, err, sizeof err) != CL_OK) {
		fprintf(stderr, "callin-keygen: %s\n", err);
		return 1;
	}
	if (argc == 2 &&
	    (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		fputs(usage, stdout);
		return 0;
	}
	if (argc != 3 || argv[1][0] == '-' || argv[2][0] == '-') {
		fputs(usage, stderr);
		return 2;
	}
	if (cl_keygen(argv[1], argv[2], id, err, sizeof err) != CL_OK) {
		fprintf(stderr, "callin-keygen: %s\n", err);
		return 1;
	}
	printf("%s\n", id);
	fprintf(stderr,
	    "callin-keygen: wrote private key %s and public key "
	    "%s/%s.pem\n",
	    argv[1], argv[2], id);
	return fflush(stdout) == 0 ? 0 : 1;
}

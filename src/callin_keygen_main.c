/*
 * callin-keygen: make a new Ed25519 receipt-signing key pair, or the
 * transparency log's key.
 *
 *	callin-keygen PRIVATE.pem PUBLIC_KEYS_DIR
 *	callin-keygen --log PRIVATE.pem ORIGIN
 *
 * The first writes the private key to PRIVATE.pem (mode 0600, never over an
 * existing file) and the public key to PUBLIC_KEYS_DIR/<key id>.pem, then
 * prints the key id.  The second writes the log's private key to
 * PRIVATE.pem the same way and prints its verifier key
 * "<ORIGIN>+<8 hex key id>+<base64>" (c2sp.org/signed-note), the line to
 * publish as log.vkey.  Exit 0 on success, 1 when the files cannot be
 * written, 2 on a usage error (a bad ORIGIN too).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "callin/proc.h"
#include "callin/receipt.h"
#include "callin/tlog.h"

static const char usage[] =
    "usage: callin-keygen PRIVATE.pem PUBLIC_KEYS_DIR\n"
    "       callin-keygen --log PRIVATE.pem ORIGIN\n"
    "  Makes a new Ed25519 receipt-signing key.  Writes the private key to\n"
    "  PRIVATE.pem (mode 0600; an existing file is never overwritten) and the\n"
    "  public key to PUBLIC_KEYS_DIR/<key id>.pem (the directory is created\n"
    "  if missing), then prints the key id (16 hex digits) on stdout.\n"
    "  Point signing_key_file and public_keys_dir at them; keep the public\n"
    "  files of retired keys in that directory so old receipts verify.\n"
    "  With --log: makes the transparency log's own Ed25519 key (never the\n"
    "  receipt key) in PRIVATE.pem (mode 0600, never overwritten) and prints\n"
    "  its verifier key ORIGIN+<key id>+<base64> on stdout; ORIGIN is\n"
    "  log_origin (e.g. callin.example.gov.uk/log: no spaces, no '+').\n"
    "  Point log_key_file at PRIVATE.pem.\n";

/* The --log form: make the log key and print its verifier key. */
static int
log_key(const char *path, const char *origin)
{
	char err[512], vkey[CL_TLOG_VKEY_MAX];
	cl_tlog_signer *s = NULL;

	if (!cl_tlog_name_ok(origin)) {
		fprintf(stderr,
		    "callin-keygen: origin \"%s\" is not a log origin (like "
		    "callin.example.gov.uk/log: no spaces, no '+')\n",
		    origin);
		return 2;
	}
	if (cl_keygen_private(path, err, sizeof err) != CL_OK) {
		fprintf(stderr, "callin-keygen: %s\n", err);
		return 1;
	}
	if (cl_tlog_signer_load(path, origin, &s, err, sizeof err) != CL_OK) {
		fprintf(stderr, "callin-keygen: %s\n", err);
		unlink(path);
		return 1;
	}
	cl_tlog_signer_vkey(s, vkey);
	cl_tlog_signer_free(s);
	printf("%s\n", vkey);
	fprintf(stderr,
	    "callin-keygen: wrote the log's private key %s; publish the "
	    "verifier key above as log.vkey\n",
	    path);
	return fflush(stdout) == 0 ? 0 : 1;
}

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
	if (argc == 4 && strcmp(argv[1], "--log") == 0 && argv[2][0] != '-' &&
	    argv[3][0] != '-')
		return log_key(argv[2], argv[3]);
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

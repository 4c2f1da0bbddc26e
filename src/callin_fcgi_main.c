/*
 * callin-fcgi: the FastCGI master and its workers.
 *
 *   callin-fcgi [-c FILE] [--check-config]
 *
 * Reads the configuration (FILE, else $CALLIN_CONFIG, else none: defaults
 * and CALLIN_* variables), checks the keys and secrets, then serves until
 * SIGTERM or SIGINT.  A bad setting stops it with one line naming the key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callin/app.h"
#include "callin/config.h"
#include "callin/log.h"
#include "callin/proc.h"
#include "callin/server.h"
#include "callin/svc.h"

/* In hub order: cl_svc_open() finds each by its cl_helper index. */
static const cl_server_helper helpers[CL_HELPER__MAX] = {
	[CL_HELPER_SIGNER] = { "signer", CL_HELPER_SIGNER, CL_C_SIGNER_RESTARTS,
	    NULL, cl_app_signer_main },
	[CL_HELPER_COMMITTER] = { "commit", CL_HELPER_COMMITTER,
	    CL_C_COMMITTER_RESTARTS, cl_svc_wants_committer,
	    cl_app_committer_main },
};

static const cl_server_hooks hooks = {
	cl_svc_check,
	cl_svc_open,
	cl_app_handle,
	cl_svc_free,
	helpers,
	CL_HELPER__MAX,
};

static void
usage(void)
{
	fprintf(stderr, "usage: callin-fcgi [-c FILE] [--check-config]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *path = getenv("CALLIN_CONFIG");
	int check_only = 0;
	cl_config cfg;
	char err[512];

	/* Every process of the service holds a secret (signer: the key,
	 * workers: the form secret), and fork passes this on to them all. */
	if (cl_proc_start(1, err, sizeof err) != CL_OK) {
		fprintf(stderr, "callin-fcgi: %s\n", err);
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			path = argv[++i];
		else if (strcmp(argv[i], "--check-config") == 0)
			check_only = 1;
		else
			usage();
	}
	if (cl_config_load(path, &cfg, err, sizeof err) != CL_OK) {
		fprintf(stderr, "callin-fcgi: %s\n", err);
		return 1;
	}
	if (cl_svc_check(&cfg, err, sizeof err) != CL_OK) {
		fprintf(stderr, "callin-fcgi: %s\n", err);
		cl_config_free(&cfg);
		return 1;
	}
	if (check_only) {
		printf("callin-fcgi: configuration OK\n");
		cl_config_free(&cfg);
		return 0;
	}
	return cl_server_run(path, &cfg, &hooks) == CL_OK ? 0 : 1;
}

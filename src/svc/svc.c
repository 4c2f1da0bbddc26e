/*
 * svc.c: the per-worker service state, built after fork (store handles,
 * the mongoc pool and libmagic are per process), and the start-up check the
 * master runs before forking.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "callin/alloc.h"
#include "callin/attach.h"
#include "callin/csrf.h"
#include "callin/log.h"
#include "callin/metrics.h"
#include "callin/proc.h"
#include "callin/receipt.h"
#include "callin/svc.h"

/*
 * Load the published keys and the form secret into app (a NULL app only
 * checks them).  CL_ECONFIG with one line naming the setting.
 */
static cl_err
load_public(const cl_config *cfg, cl_svc *app, char *err, size_t errlen)
{
	cl_keyring *ring = NULL;
	unsigned char secret[sizeof app->form_secret];
	size_t secret_len = sizeof secret;
	char why[400];
	cl_err rc;

	if ((rc = cl_keyring_load_served(cfg->public_keys_dir, &ring, why,
		 sizeof why)) != CL_OK) {
		snprintf(err, errlen, "config: public_keys_dir: %s", why);
		goto err;
	}
	if ((rc = cl_csrf_load_secret(cfg->form_secret_file, secret,
		 &secret_len, why, sizeof why)) != CL_OK) {
		snprintf(err, errlen, "config: form_secret_file: %s", why);
		goto err;
	}
	if (app != NULL) {
		app->keyring = ring;
		memcpy(app->form_secret, secret, secret_len);
		app->form_secret_len = secret_len;
		OPENSSL_cleanse(secret, sizeof secret);
		return CL_OK;
	}
	rc = CL_OK;
err:
	OPENSSL_cleanse(secret, sizeof secret);
	cl_keyring_free(ring);
	return rc;
}

/*
 * In a child process: load the signing key and check that public_keys_dir
 * publishes it; write the first error line to fd.  Exits 0 when both hold.
 */
static void __attribute__((noreturn))
check_key_child(const cl_config *cfg, int fd)
{
	cl_signer *signer = NULL;
	cl_keyring *ring = NULL;
	char why[400], err[512] = "";
	int status = 1;

	/* main() did this already (cl_proc_start); again where the key is. */
	if (cl_proc_no_dumps(why, sizeof why) != CL_OK)
		snprintf(err, sizeof err, "signing_key_file: %s", why);
	else if (cl_signer_load(cfg->signing_key_file, &signer, why,
		     sizeof why) != CL_OK)
		snprintf(err, sizeof err, "config: signing_key_file: %s", why);
	else if (cl_keyring_load_served(cfg->public_keys_dir, &ring, why,
		     sizeof why) != CL_OK)
		snprintf(err, sizeof err, "config: public_keys_dir: %s", why);
	else if (!cl_keyring_has(ring, signer))
		snprintf(err, sizeof err,
		    "config: public_keys_dir: %s does not publish the "
		    "signing key %s",
		    cfg->public_keys_dir, cl_signer_key_id(signer));
	else
		status = 0;
	if (err[0] != '\0' && write(fd, err, strlen(err)) < 0)
		status = 1;
	cl_signer_free(signer);
	cl_keyring_free(ring);
	_exit(status);
}

/*
 * Check the signing key in a child process (check_key_child), so that the
 * caller's memory, which workers inherit, never holds it.  CL_ECONFIG with
 * the child's line in err.
 */
static cl_err
check_key(const cl_config *cfg, char *err, size_t errlen)
{
	int fds[2], status = 0;
	ssize_t n = 0, r;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) != 0) {
		snprintf(err, errlen,
		    "config: signing_key_file: cannot check: %s",
		    strerror(errno));
		return CL_ECONFIG;
	}
	fflush(NULL);
	if ((pid = fork()) == 0) {
		close(fds[0]);
		check_key_child(cfg, fds[1]);
	}
	close(fds[1]);
	err[0] = '\0';
	while (pid > 0 && (size_t)n + 1 < errlen &&
	    ((r = read(fds[0], err + n, errlen - 1 - (size_t)n)) > 0 ||
		(r < 0 && errno == EINTR)))
		n += r > 0 ? r : 0;
	err[n] = '\0';
	close(fds[0]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		if (err[0] == '\0')
			snprintf(err, errlen,
			    "config: signing_key_file: the check failed");
		return CL_ECONFIG;
	}
	return CL_OK;
}

/*
 * Run the sniffer once over a text buffer of the largest size it is given,
 * so the pages of libmagic's database that text detection reads are mapped
 * at start-up, not during the first upload.  Cannot fail.
 */
static void
warm_sniffer(cl_sniffer *s)
{
	static const char line[] = "Warming the content sniffer at start-up.\n";
	char *text = cl_malloc(CL_SNIFF_BYTES);
	const char *mime;

	for (size_t i = 0; i < CL_SNIFF_BYTES; i++)
		text[i] = line[i % (sizeof line - 1)];
	if (cl_sniff(s, text, CL_SNIFF_BYTES, &mime) != CL_OK)
		cl_log(CL_LOG_WARN,
		    "worker: the content sniffer did not warm up");
	free(text);
}

cl_err
cl_svc_check(const cl_config *cfg, char *err, size_t errlen)
{
	cl_err rc;

	if ((rc = check_key(cfg, err, errlen)) != CL_OK)
		return rc;
	return load_public(cfg, NULL, err, errlen);
}

cl_err
cl_svc_open(const cl_config *cfg, const int *hubs, void **out)
{
	cl_svc *app = cl_calloc(1, sizeof *app);
	char err[512];
	cl_err rc;

	*out = NULL;
	app->cfg = cfg;
	app->signer.hub = hubs[CL_HELPER_SIGNER];
	app->signer.fd = -1;
	app->committer.hub = hubs[CL_HELPER_COMMITTER];
	app->committer.fd = -1;
	app->use_committer = cl_svc_wants_committer(cfg);
	/* the form secret; main() did this already (cl_proc_start) */
	if ((rc = cl_proc_no_dumps(err, sizeof err)) != CL_OK ||
	    (rc = load_public(cfg, app, err, sizeof err)) != CL_OK) {
		cl_log(CL_LOG_ERROR, "%s", err);
		goto err;
	}
	if ((rc = cl_sniffer_open(&app->sniffer)) != CL_OK) {
		cl_log(CL_LOG_ERROR, "worker: cannot load libmagic's database");
		goto err;
	}
	warm_sniffer(app->sniffer);
	if ((rc = cl_store_open(cfg->store, &app->store)) != CL_OK) {
		char shown[512];

		cl_log_redact_uri(cfg->store, shown, sizeof shown);
		cl_log(CL_LOG_ERROR, "config: store: cannot open %s: %s", shown,
		    cl_strerror(rc));
		goto err;
	}
	*out = app;
	return CL_OK;
err:
	cl_svc_free(app);
	return rc;
}

void
cl_svc_free(void *arg)
{
	cl_svc *app = arg;

	if (app == NULL)
		return;
	cl_ipc_client_close(&app->signer);
	cl_ipc_client_close(&app->committer);
	cl_store_close(app->store);
	cl_sniffer_close(app->sniffer);
	cl_keyring_free(app->keyring);
	OPENSSL_cleanse(app->form_secret, sizeof app->form_secret);
	free(app);
}

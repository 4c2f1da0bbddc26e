/*
 * app.c: the per-worker application state, built after fork (store handles,
 * the mongoc pool and libmagic are per process), and the start-up check the
 * master runs before forking.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callin/alloc.h"
#include "callin/app.h"
#include "callin/attach.h"
#include "callin/csrf.h"
#include "callin/log.h"
#include "callin/receipt.h"

/*
 * Load the signing key, the published keys and the form secret into app (a
 * NULL app only checks them).  CL_ECONFIG with one line naming the setting.
 */
static cl_err
load_secrets(const cl_config *cfg, cl_app *app, char *err, size_t errlen)
{
	cl_signer *signer = NULL;
	cl_keyring *ring = NULL;
	unsigned char secret[sizeof app->form_secret];
	size_t secret_len = sizeof secret;
	char why[400];
	cl_err rc;

	if ((rc = cl_signer_load(cfg->signing_key_file, &signer, why, sizeof why)) != CL_OK) {
		snprintf(err, errlen, "config: signing_key_file: %s", why);
		goto err;
	}
	if ((rc = cl_keyring_load(cfg->public_keys_dir, &ring, why, sizeof why)) != CL_OK) {
		snprintf(err, errlen, "config: public_keys_dir: %s", why);
		goto err;
	}
	if (!cl_keyring_has(ring, signer)) {
		snprintf(err, errlen, "config: public_keys_dir: %s does not publish the signing key %s",
		    cfg->public_keys_dir, cl_signer_key_id(signer));
		rc = CL_ECONFIG;
		goto err;
	}
	if ((rc = cl_csrf_load_secret(cfg->form_secret_file, secret, &secret_len,
	    why, sizeof why)) != CL_OK) {
		snprintf(err, errlen, "config: form_secret_file: %s", why);
		goto err;
	}
	if (app != NULL) {
		app->signer = signer;
		app->keyring = ring;
		memcpy(app->form_secret, secret, secret_len);
		app->form_secret_len = secret_len;
		return CL_OK;
	}
	rc = CL_OK;
err:
	cl_signer_free(signer);
	cl_keyring_free(ring);
	return rc;
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
	(void)cl_sniff(s, text, CL_SNIFF_BYTES, &mime);
	free(text);
}

cl_err
cl_app_check(const cl_config *cfg, char *err, size_t errlen)
{
	return load_secrets(cfg, NULL, err, errlen);
}

cl_err
cl_app_init(const cl_config *cfg, void **out)
{
	cl_app *app = cl_calloc(1, sizeof *app);
	char err[512];
	cl_err rc;

	*out = NULL;
	app->cfg = cfg;
	if ((rc = load_secrets(cfg, app, err, sizeof err)) != CL_OK) {
		cl_log(CL_LOG_ERROR, "%s", err);
		goto err;
	}
	if ((rc = cl_sniffer_open(&app->sniffer)) != CL_OK) {
		cl_log(CL_LOG_ERROR, "worker: cannot load libmagic's database");
		goto err;
	}
	warm_sniffer(app->sniffer);
	if ((rc = cl_store_open(cfg->store, &app->store)) != CL_OK) {
		cl_log(CL_LOG_ERROR, "config: store: cannot open %s: %s", cfg->store,
		    cl_strerror(rc));
		goto err;
	}
	*out = app;
	return CL_OK;
err:
	cl_app_free(app);
	return rc;
}

void
cl_app_free(void *arg)
{
	cl_app *app = arg;

	if (app == NULL)
		return;
	cl_store_close(app->store);
	cl_sniffer_close(app->sniffer);
	cl_signer_free(app->signer);
	cl_keyring_free(app->keyring);
	free(app);
}

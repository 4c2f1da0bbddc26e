/*
 * callin-logd: the transparency log's sequencer and anchorer (logd.h,
 * DESIGN.md section 9).
 *
 *   callin-logd [-c FILE]
 *
 * Reads the same configuration as callin-fcgi (FILE, else $CALLIN_CONFIG,
 * else defaults and CALLIN_* variables); log_origin must be set.  One per
 * deployment: a second on the same log_dir exits 1 at once, and the
 * store's compare-and-swap stops one on another host (exit 1).  Every
 * log_batch_ms it sequences what the store queued; SIGTERM or SIGINT:
 * finish the batch and the anchor under way, exit 0.  Exit 1 when it
 * cannot start (the line on stderr says why), when the published
 * checkpoint disagrees with the store, or when a file cannot be written
 * (a restart writes it).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "callin/clock.h"
#include "callin/config.h"
#include "callin/log.h"
#include "callin/logd.h"
#include "callin/proc.h"
#include "callin/signals.h"

#define STORE_BACKOFF_MAX_MS 30000

int
main(int argc, char **argv)
{
	const char *path = getenv("CALLIN_CONFIG");
	cl_logd *d = NULL;
	cl_config cfg;
	char err[1024];
	int64_t backoff = 0, t0;
	size_t n;
	int status = 1;
	cl_err rc;

	/* It holds the log's private key. */
	if (cl_proc_start(1, err, sizeof err) != CL_OK) {
		fprintf(stderr, "callin-logd: %s\n", err);
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			path = argv[++i];
		else {
			fprintf(stderr, "usage: callin-logd [-c FILE]\n");
			return 2;
		}
	}
	if (cl_config_load(path, &cfg, err, sizeof err) != CL_OK) {
		fprintf(stderr, "callin-logd: %s\n", err);
		return 1;
	}
	cl_signals_daemon();
	if ((rc = cl_logd_open(&cfg, &d, err, sizeof err)) != CL_OK) {
		fprintf(stderr, "callin-logd: %s\n", err);
		cl_log(CL_LOG_ERROR, "logd: %s", err);
		goto out;
	}
	while (!cl_daemon_stop) {
		t0 = cl_mono_ms();
		rc = cl_logd_batch(d, &n);
		if (rc == CL_EUNAVAIL) {
			backoff = backoff == 0 ? cfg.log_batch_ms : backoff * 2;
			if (backoff > STORE_BACKOFF_MAX_MS)
				backoff = STORE_BACKOFF_MAX_MS;
			cl_log(CL_LOG_WARN,
			    "logd: the store is unavailable; trying again in "
			    "%lld ms",
			    (long long)backoff);
			cl_nap_ms(backoff);
			continue;
		}
		if (rc != CL_OK) {
			cl_log(CL_LOG_ERROR, "logd: stopping: %s%s",
			    cl_strerror(rc),
			    rc == CL_EDUP ? " (the store's log state moved: "
					    "another callin-logd?)" :
					    "");
			goto out;
		}
		backoff = 0;
		if (n > 0)
			cl_log(CL_LOG_INFO, "logd: sequenced %zu", n);
		if (n < CL_LOGD_BATCH_MAX &&
		    cl_mono_ms() - t0 < cfg.log_batch_ms)
			cl_nap_ms(cfg.log_batch_ms - (cl_mono_ms() - t0));
	}
	status = 0;
out:
	cl_logd_close(d);
	cl_config_free(&cfg);
	return status;
}

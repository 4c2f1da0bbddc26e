/*
 * callin-mailer: deliver the outbox's notifications to the SMTP relay.
 *
 *   callin-mailer [-c FILE] [--once]
 *
 * Reads the same configuration as callin-fcgi (FILE, else $CALLIN_CONFIG,
 * else none: defaults and CALLIN_* variables).  Claims due notifications in
 * batches, sends them, records the results, and waits mail_poll_ms when
 * nothing is due.  SIGTERM or SIGINT: finish the message being sent, hand
 * the rest of the batch back, exit 0.  --once: deliver what is due now,
 * then exit (0, or 1 when the store could not be used); the last log line
 * gives the counts and messages per second.  Any number of mailers may run,
 * on any hosts that share the store: each claims under its own owner id
 * (hostname:pid:random).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "callin/clock.h"
#include "callin/config.h"
#include "callin/hash.h"
#include "callin/log.h"
#include "callin/mailer.h"
#include "callin/proc.h"
#include "callin/signals.h"
#include "callin/rand.h"
#include "callin/store.h"

#define STORE_BACKOFF_MAX_MS 30000
#define SWEEP_EVERY_MS (10 * 60 * 1000) /* sweep orphans this often */

/* Print the usage line and exit 2. */
static void
usage(void)
{
	fprintf(stderr, "usage: callin-mailer [-c FILE] [--once]\n");
	exit(2);
}

/* Write "hostname:pid:random" into out (n bytes).  Cannot fail. */
static void
owner_id(char *out, size_t n)
{
	unsigned char rnd[6] = { 0 };
	char host[256], hex[2 * sizeof rnd + 1];

	if (gethostname(host, sizeof host) != 0)
		snprintf(host, sizeof host, "unknown");
	host[sizeof host - 1] = '\0';
	/* Host and pid tell owners apart already; the bytes only add to it. */
	if (cl_random_bytes(rnd, sizeof rnd) != CL_OK)
		cl_log(CL_LOG_WARN, "mailer: no random bytes for the owner id");
	cl_hex(rnd, sizeof rnd, hex);
	snprintf(out, n, "%s:%ld:%s", host, (long)getpid(), hex);
}

/*
 * Remove attachments that no request references and that are older than
 * orphan_max_age seconds: files of submissions that failed or whose worker
 * died.  Failures are logged and retried at the next sweep.  Cannot fail.
 */
static void
sweep(cl_store *st, const cl_config *cfg)
{
	int64_t now = cl_now_ms(), removed = 0;
	cl_err rc;

	if ((rc = cl_store_sweep(st, now - cfg->orphan_max_age * 1000,
		 &removed)) != CL_OK)
		cl_log(CL_LOG_WARN, "sweep: %s; will retry", cl_strerror(rc));
	else if (removed > 0)
		cl_log(CL_LOG_INFO, "sweep: removed %lld orphaned attachments",
		    (long long)removed);
}

/*
 * Deliver until stopped (or, once, until nothing is due), sweeping orphaned
 * attachments at start and every SWEEP_EVERY_MS.  Returns the exit status.
 */
static int
run(cl_mailer *m, cl_store *st, const cl_config *cfg, int once)
{
	int64_t backoff = 0, last_sweep = 0;
	size_t n;

	while (!cl_daemon_stop) {
		int64_t now = cl_mono_ms();

		if (last_sweep == 0 || now - last_sweep >= SWEEP_EVERY_MS) {
			sweep(st, cfg);
			last_sweep = now;
		}
		if (cl_mailer_batch(m, &cl_daemon_stop, &n) != CL_OK) {
			if (once)
				return 1;
			backoff = backoff == 0 ? 1000 : backoff * 2;
			if (backoff > STORE_BACKOFF_MAX_MS)
				backoff = STORE_BACKOFF_MAX_MS;
			cl_nap_ms(backoff);
			continue;
		}
		backoff = 0;
		if (n == 0) {
			if (once)
				break;
			cl_nap_ms(cfg->mail_poll_ms);
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const char *path = getenv("CALLIN_CONFIG");
	const cl_mailer_counts *c;
	cl_store *st = NULL;
	cl_mailer *m = NULL;
	cl_config cfg;
	char err[512], owner[320];
	double t0, dt;
	int once = 0, status = 1;
	cl_err rc;

	/* It holds the relay's password (smtp_password_file). */
	if (cl_proc_start(1, err, sizeof err) != CL_OK) {
		fprintf(stderr, "callin-mailer: %s\n", err);
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			path = argv[++i];
		else if (strcmp(argv[i], "--once") == 0)
			once = 1;
		else
			usage();
	}
	if (cl_config_load(path, &cfg, err, sizeof err) != CL_OK) {
		fprintf(stderr, "callin-mailer: %s\n", err);
		return 1;
	}
	cl_signals_daemon();

	owner_id(owner, sizeof owner);
	if ((rc = cl_store_open(cfg.store, &st)) != CL_OK) {
		fprintf(stderr, "callin-mailer: cannot open the store: %s\n",
		    cl_strerror(rc));
		goto out;
	}
	if (cl_mailer_new(&cfg, st, owner, &m, err, sizeof err) != CL_OK) {
		fprintf(stderr, "callin-mailer: %s\n", err);
		goto out;
	}
	cl_log(CL_LOG_INFO, "mailer: started as %s, batch %lld%s", owner,
	    (long long)cfg.mail_batch, once ? ", once" : "");
	t0 = cl_mono_s();
	status = run(m, st, &cfg, once);
	dt = cl_mono_s() - t0;
	c = cl_mailer_counts_get(m);
	cl_log(CL_LOG_INFO,
	    "mailer: stopped: claimed %llu, sent %llu, "
	    "retried %llu, failed %llu, released %llu, deferred %llu in "
	    "%.3f s (%.1f messages/s)",
	    (unsigned long long)c->claimed, (unsigned long long)c->sent,
	    (unsigned long long)c->retried, (unsigned long long)c->failed,
	    (unsigned long long)c->released, (unsigned long long)c->deferred,
	    dt, dt > 0 ? (double)c->sent / dt : 0.0);
out:
	cl_mailer_free(m);
	cl_store_close(st);
	cl_config_free(&cfg);
	return status;
}

/*
 * health.c: GET /healthz (200 when the store answers and takes writes, the
 * signer is ready, the outbox within its bound and data_dir's free space
 * at least min_free_bytes, and, when log_origin is set, every receipt
 * anchored within 3 x log_anchor_interval + log_batch_ms, else 503 naming
 * the failing check; the store's part is checked at most once a second
 * per worker) and GET /metrics
 * (Prometheus
 * text format; nginx serves it to loopback only).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "callin/clock.h"
#include "callin/disk.h"
#include "callin/log.h"
#include "callin/logstatus.h"
#include "callin/metrics.h"
#include "callin/page.h"

/* /healthz reports the store failing this long after a refused write. */
#define WRITE_FAILURE_WINDOW_MS 30000
/* A worker answers /healthz from its last store check this long (ms). */
#define HEALTH_CACHE_MS 1000

/* This worker's last store check for /healthz (one per process). */
static struct {
	int64_t at;    /* cl_mono_ms() of the check, 0: none */
	int store;     /* the store answered */
	int outbox_ok; /* outbox stats read */
	cl_outbox_stats ob;
	int64_t now;	    /* cl_now_ms() of the check */
	int log_ok;	    /* the log's queue was read */
	int64_t log_oldest; /* received_ms of its oldest, 0: none */
} last;

/*
 * Read callin-logd's status file (log_dir/.state/status) into *s (free
 * with cl_logstatus_free).  Cannot fail: a missing or unreadable file
 * leaves *s zero.
 */
static void
log_status(cl_svc *app, cl_logstatus *s)
{
	char path[4096];

	snprintf(path, sizeof path, "%s/.state/status", app->cfg->log_dir);
	if (cl_logstatus_read(path, s) != CL_OK)
		memset(s, 0, sizeof *s);
}

/*
 * How long, in ms at now, the oldest receipt has waited for an anchor
 * covering it: queued in the store (not sequenced yet), or sequenced
 * above the newest anchor (logd's status).  0 when none waits.
 */
static int64_t
log_wait(int64_t now, const cl_logstatus *s)
{
	int64_t w = 0;

	if (last.log_ok && last.log_oldest > 0)
		w = now - last.log_oldest;
	if (s->unanchored_ms > 0 && now - s->unanchored_ms > w)
		w = now - s->unanchored_ms;
	return w;
}

/*
 * Fill *ob with the outbox's figures at now (epoch ms) and *age with how
 * long, in seconds, the oldest unsent notification has waited (0: none).
 * CL_EUNAVAIL when the store cannot answer.
 */
static cl_err
outbox_age(cl_svc *app, int64_t now, cl_outbox_stats *ob, int64_t *age)
{
	cl_err rc = cl_store_outbox_stats(app->store, now, ob);

	*age = rc == CL_OK && ob->oldest_due_ms > 0 ?
	    (now - ob->oldest_due_ms) / 1000 :
	    0;
	return rc;
}

/*
 * Ask the store (ping, then the outbox's figures) unless this worker did
 * less than HEALTH_CACHE_MS ago by the monotonic clock: many /healthz in a
 * second cost one check per worker.  Counted in CL_C_HEALTH_CHECKS.
 * Cannot fail (a failing store is the result).
 */
static void
store_check(cl_svc *app)
{
	int64_t mono = cl_mono_ms(), queued;

	if (last.at != 0 && mono - last.at < HEALTH_CACHE_MS)
		return;
	cl_metrics_add(CL_C_HEALTH_CHECKS, 1);
	last.at = mono;
	last.now = cl_now_ms();
	last.store = cl_store_ping(app->store) == CL_OK;
	last.outbox_ok = last.store &&
	    cl_store_outbox_stats(app->store, last.now, &last.ob) == CL_OK;
	last.log_ok = last.store && app->cfg->log_origin[0] != '\0' &&
	    cl_store_log_queue(app->store, &queued, &last.log_oldest) == CL_OK;
}

void
cl_page_healthz(cl_svc *app, cl_http_req *req)
{
	cl_buf out = CL_BUF_INIT;
	int64_t now = cl_now_ms(), age = 0, avail;
	int store, key = cl_metrics_helper_up(CL_HELPER_SIGNER);
	int outbox = 0, disk = !cl_disk_low(app->cfg, &avail), logged = 1;
	int log_on = app->cfg->log_origin[0] != '\0';
	int64_t wait = 0, limit;
	const char *failing;
	cl_logstatus ls;

	store_check(app);
	memset(&ls, 0, sizeof ls);
	limit = app->cfg->log_anchor_interval * 3000 + app->cfg->log_batch_ms;
	if (log_on) {
		log_status(app, &ls);
		wait = log_wait(now, &ls);
		logged = last.log_ok && wait <= limit;
	}
	/* Reads answering is not enough: submissions must be storable too. */
	store = last.store &&
	    !cl_metrics_store_writes_failing(now, WRITE_FAILURE_WINDOW_MS);
	if (store && last.outbox_ok) {
		age = last.ob.oldest_due_ms > 0 ?
		    (now - last.ob.oldest_due_ms) / 1000 :
		    0;
		outbox = age <= app->cfg->outbox_max_age;
	}
	failing = !store ? "store" :
	    !key	 ? "signing_key" :
	    !outbox	 ? "outbox" :
	    !disk	 ? "disk_space" :
	    !logged	 ? "log_anchor" :
			   NULL;
	cl_buf_printf(&out, "{\"status\":\"%s\",", failing ? "fail" : "ok");
	if (failing)
		cl_buf_printf(&out, "\"failing\":\"%s\",", failing);
	cl_buf_printf(&out,
	    "\"checks\":{\"store\":\"%s\",\"signing_key\":\"%s\","
	    "\"outbox\":\"%s\",\"disk_space\":\"%s\"%s%s%s},"
	    "\"oldest_due_seconds\":%lld,"
	    "\"outbox_max_age\":%lld,\"free_bytes\":%lld,\"min_free_bytes\":%lld",
	    store ? "ok" : "fail", key ? "ok" : "fail", outbox ? "ok" : "fail",
	    disk ? "ok" : "fail", log_on ? ",\"log_anchor\":\"" : "",
	    log_on ? (logged ? "ok" : "fail") : "", log_on ? "\"" : "",
	    (long long)age, (long long)app->cfg->outbox_max_age,
	    (long long)avail, (long long)app->cfg->min_free_bytes);
	if (log_on)
		cl_buf_printf(&out,
		    ",\"log_unanchored_seconds\":%lld,"
		    "\"log_anchor_max_seconds\":%lld",
		    (long long)(wait / 1000), (long long)(limit / 1000));
	cl_buf_puts(&out, "}\n");
	cl_logstatus_free(&ls);
	(void)cl_http_send(req, failing ? 503 : 200, "application/json",
	    "Cache-Control: no-store\r\n", out.data, out.len);
	cl_buf_free(&out);
}

/*
 * Append the log's figures: the store's queue, and callin-logd's status
 * lines (sizes, anchor time, failures per authority and witness), each
 * as callin_log_<name>.  Cannot fail.
 */
static void
log_metrics(cl_svc *app, cl_buf *out)
{
	cl_logstatus ls;
	int64_t n = 0, oldest = 0;
	const char *p, *nl;

	if (cl_store_log_queue(app->store, &n, &oldest) == CL_OK)
		cl_buf_printf(out,
		    "# HELP callin_log_queue Receipts waiting to be logged.\n"
		    "# TYPE callin_log_queue gauge\ncallin_log_queue %lld\n",
		    (long long)n);
	log_status(app, &ls);
	for (p = ls.lines.data; p != NULL && *p != '\0'; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			break;
		cl_buf_printf(out, "callin_log_%.*s\n", (int)(nl - p), p);
	}
	cl_logstatus_free(&ls);
}

void
cl_page_metrics(cl_svc *app, cl_http_req *req, const char *const *route_names,
    size_t nroutes)
{
	cl_buf out = CL_BUF_INIT;
	cl_outbox_stats ob;
	int64_t stored = 0, age, free_bytes;
	int up = cl_store_count(app->store, &stored) == CL_OK;

	cl_buf_puts(&out,
	    "# HELP callin_store_up Whether the store answered.\n"
	    "# TYPE callin_store_up gauge\n");
	cl_buf_printf(&out, "callin_store_up %d\n", up);
	cl_buf_puts(&out,
	    "# HELP callin_requests_stored Requests held in the store.\n"
	    "# TYPE callin_requests_stored gauge\n");
	cl_buf_printf(&out, "callin_requests_stored %lld\n", (long long)stored);
	if (cl_disk_avail(app->cfg->data_dir, &free_bytes) == CL_OK)
		cl_buf_printf(&out,
		    "# HELP callin_data_dir_free_bytes Bytes free under data_dir.\n"
		    "# TYPE callin_data_dir_free_bytes gauge\ncallin_data_dir_free_bytes %lld\n",
		    (long long)free_bytes);
	if (up && outbox_age(app, cl_now_ms(), &ob, &age) == CL_OK)
		cl_buf_printf(&out,
		    "# HELP callin_outbox_due Notifications waiting to be sent.\n"
		    "# TYPE callin_outbox_due gauge\ncallin_outbox_due %lld\n"
		    "# HELP callin_outbox_oldest_due_seconds Age of the oldest notification not yet sent.\n"
		    "# TYPE callin_outbox_oldest_due_seconds gauge\ncallin_outbox_oldest_due_seconds %lld\n"
		    "# HELP callin_outbox_sent Notifications sent.\n"
		    "# TYPE callin_outbox_sent gauge\ncallin_outbox_sent %lld\n"
		    "# HELP callin_outbox_failed Notifications given up on.\n"
		    "# TYPE callin_outbox_failed gauge\ncallin_outbox_failed %lld\n",
		    (long long)ob.due, (long long)age, (long long)ob.sent,
		    (long long)ob.failed);
	if (app->cfg->log_origin[0] != '\0')
		log_metrics(app, &out);
	cl_metrics_render(&out, route_names, nroutes);
	(void)cl_http_send(req, 200, "text/plain; version=0.0.4; charset=utf-8",
	    "Cache-Control: no-store\r\n", out.data, out.len);
	cl_buf_free(&out);
}

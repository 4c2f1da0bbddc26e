/*
 * metrics.h: counters shared by the master and every worker, for /metrics.
 * The master maps one anonymous shared region before it forks, so every
 * worker adds to the same counters (atomically) and any worker can render
 * them all in Prometheus text format.  Before cl_metrics_init() (tests,
 * tools) every call is a harmless no-op.
 */
#ifndef CALLIN_METRICS_H
#define CALLIN_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "callin/buf.h"
#include "callin/err.h"

/* Plain counters. */
typedef enum cl_counter {
	CL_C_STORED,		 /* requests stored */
	CL_C_UPLOAD_BYTES,	 /* attachment bytes stored */
	CL_C_WORKER_RESTARTS,	 /* workers replaced after dying */
	CL_C_SIGNER_RESTARTS,	 /* signers replaced after dying */
	CL_C_COMMITTER_RESTARTS, /* committers replaced after dying */
	CL_C_HEALTH_CHECKS,	 /* store checks made for /healthz */
	CL_C__MAX
} cl_counter;

/* Why a POST /request stored nothing (callin_rejections_total{reason}). */
typedef enum cl_reject {
	CL_R_INVALID,	  /* answers or files failed validation: 422 */
	CL_R_FORGERY,	  /* anti-forgery token missing, forged or expired */
	CL_R_HONEYPOT,	  /* the hidden field was filled: a bot */
	CL_R_TOO_LARGE,	  /* body over the limits */
	CL_R_MALFORMED,	  /* unreadable or truncated body */
	CL_R_UNAVAILABLE, /* the store failed: 503 */
	CL_R_REPLAY,	  /* a re-sent form: shown the first request */
	CL_R_EMAIL_LIMIT, /* the address is at max_requests_per_email: 429 */
	CL_R_FORM_REUSED, /* a form already sent, with other answers: 409 */
	CL_R_DISK_LOW, /* free space under data_dir below min_free_bytes: 503 */
	CL_R__MAX
} cl_reject;

/* Routes as counted (the router's table order, then "other"). */
#define CL_METRICS_ROUTES_MAX 16

/*
 * Map the shared region (in the master, before forking).  CL_ENOMEM when it
 * cannot be mapped.
 */
cl_err cl_metrics_init(void);

/* Add n to counter c.  Cannot fail. */
void cl_metrics_add(cl_counter c, int64_t n);

/* Count one rejection for reason r.  Cannot fail. */
void cl_metrics_reject(cl_reject r);

/*
 * Count one answered request: route index (< CL_METRICS_ROUTES_MAX), its
 * HTTP status and how long it took.  Cannot fail.
 */
void cl_metrics_request(unsigned route, int status, double seconds);

/*
 * Record the outcome of a durable write of a submission at now_ms (1: it
 * was stored, 0: the store refused it).  Cannot fail.
 */
void cl_metrics_store_write(int ok, int64_t now_ms);

/*
 * Return 1 when the last durable write failed less than window_ms before
 * now_ms and none has succeeded since: the store answers reads but cannot
 * take requests (disk full, read-only).  Cannot fail.
 */
int cl_metrics_store_writes_failing(int64_t now_ms, int64_t window_ms);

/* The helper processes the master runs beside its workers. */
typedef enum cl_helper {
	CL_HELPER_SIGNER,    /* holds the receipt signing key */
	CL_HELPER_COMMITTER, /* the SQLite store's one writer */
	CL_HELPER__MAX
} cl_helper;

/*
 * A helper process i reports itself ready
 * to serve: pid is its process id.  Cannot fail.
 */
void cl_metrics_helper_ready(cl_helper i, int pid);

/*
 * The master reaped process pid: if it was helper i's ready one, helper i
 * is no longer ready (a successor that reported ready since stays so).
 * Cannot fail.
 */
void cl_metrics_helper_gone(cl_helper i, int pid);

/* The pid of helper i's ready process, 0 when none.  Cannot fail. */
int cl_metrics_helper_pid(cl_helper i);

/*
 * Whether helper i has a process ready.  1 when the region is not mapped
 * (no master: nothing tracks the helpers, so try).  Cannot fail.
 */
int cl_metrics_helper_up(cl_helper i);

/*
 * Count one batch of docs documents written by the committer in seconds
 * (batch size and commit latency histograms, the largest batch).  Cannot
 * fail.
 */
void cl_metrics_commit(size_t docs, double seconds);

/*
 * Append every counter in Prometheus text format; route_names names the
 * nroutes route indexes.  Cannot fail.
 */
void cl_metrics_render(cl_buf *out, const char *const *route_names,
    unsigned nroutes);

#endif /* CALLIN_METRICS_H */

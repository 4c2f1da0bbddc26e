/*
 * mailer.c: the claim, send, record loop.  A batch of due notifications is
 * claimed with a lease, each is built and sent in turn over one SMTP
 * connection, and its fate recorded in the store: sent; due again later on
 * the retry schedule (4xx, relay unreachable); or failed for good (5xx, a
 * message that cannot be sent safely, an exhausted schedule).  Every
 * failure is logged with its reason.  The requester's first email waits
 * for the log proof of their receipt (log_proof_wait after the request at
 * most), handed back without counting a try until the proof is there.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "callin/alloc.h"
#include "callin/clock.h"
#include "callin/date.h"
#include "callin/log.h"
#include "callin/mailer.h"
#include "callin/proofs.h"
#include "callin/rand.h"
#include "mail_int.h"

#define LEASE_MARGIN_MS 5000 /* spare time a message must fit in */

struct cl_mailer {
	cl_store *st;
	char *owner;
	cl_smtp *smtp;
	cl_mail_from from;
	cl_mail_schedule sched;
	cl_mail_ctx ctx;
	char *public_base_url;
	int64_t lease_ms;
	int64_t send_ms;	/* worst case for one message */
	char *log_dir;		/* the log's proofs; NULL: no log */
	int64_t proof_wait_ms;	/* log_proof_wait */
	int64_t proof_check_ms; /* how often a waiting email looks again */
	size_t batch;
	cl_mailer_counts counts;
};

/* cl_store_sink: append the bytes to the cl_buf arg.  Cannot fail. */
static cl_err
sink_buf(void *arg, const void *p, size_t n)
{
	cl_buf_add(arg, p, n);
	return CL_OK;
}

/* cl_mail_blob_fn: an attachment's bytes from the store. */
static cl_err
load_blob(void *arg, const char *blob_id, cl_buf *out)
{
	return cl_store_blob_read(arg, blob_id, sink_buf, out);
}

cl_err
cl_mailer_new(const cl_config *cfg, cl_store *st, const char *owner,
    cl_mailer **out, char *err, size_t errlen)
{
	struct cl_mailer *m;
	char why[320];

	*out = NULL;
	m = cl_calloc(1, sizeof *m);
	m->st = st;
	m->owner = cl_strdup(owner);
	m->public_base_url = cl_strdup(cfg->public_base_url);
	m->lease_ms = cfg->mail_lease_seconds * 1000;
	m->send_ms = (cfg->mail_connect_timeout + cfg->mail_timeout) * 1000;
	m->batch = (size_t)cfg->mail_batch;
	if (cfg->log_origin[0] != '\0') {
		m->log_dir = cl_strdup(cfg->log_dir);
		m->proof_wait_ms = cfg->log_proof_wait * 1000;
		/* Proofs come with anchors: look a few times per interval. */
		m->proof_check_ms = cfg->log_anchor_interval * 1000 / 4;
		if (m->proof_check_ms < 1000)
			m->proof_check_ms = 1000;
		if (m->proof_check_ms > 15000)
			m->proof_check_ms = 15000;
	}
	if (cl_mail_from_parse(cfg->mail_from, &m->from, why, sizeof why) !=
	    CL_OK) {
		snprintf(err, errlen, "config: mail_from: %s", why);
		goto err;
	}
	if (cl_mail_addr_list_check(cfg->staff_alert_to, why, sizeof why) !=
	    CL_OK) {
		snprintf(err, errlen, "config: staff_alert_to: %s", why);
		goto err;
	}
	if (cl_mail_schedule_parse(cfg->mail_retry_schedule,
		cfg->mail_retry_for, &m->sched, why, sizeof why) != CL_OK) {
		snprintf(err, errlen, "config: mail_retry_schedule: %s", why);
		goto err;
	}
	if (m->lease_ms < m->send_ms + LEASE_MARGIN_MS) {
		snprintf(err, errlen,
		    "config: mail_lease_seconds: %lld is not "
		    "longer than mail_connect_timeout + mail_timeout + %d, the "
		    "longest one message may take",
		    (long long)cfg->mail_lease_seconds, LEASE_MARGIN_MS / 1000);
		goto err;
	}
	if (cl_smtp_open(cfg, &m->smtp, err, errlen) != CL_OK)
		goto err;
	m->ctx.from = &m->from;
	m->ctx.public_base_url = m->public_base_url;
	m->ctx.confirm_max_age = cfg->confirm_max_age;
	m->ctx.attach_max = cfg->mail_attach_max_bytes;
	m->ctx.load = load_blob;
	m->ctx.load_arg = st;
	m->ctx.log_dir = m->log_dir;
	*out = m;
	return CL_OK;
err:
	cl_mailer_free(m);
	return CL_ECONFIG;
}

/* The reference of n's request, for logs ("?" when it has none). */
static const char *
ref_of(const cl_notification *n)
{
	const char *r = n->request != NULL ?
	    cl_reqdoc_str(n->request, CL_DOC_REFERENCE, "", NULL) :
	    "";

	return r[0] != '\0' ? r : "?";
}

/*
 * Record a failed try of n: final, or due again on the schedule (which
 * may turn out to be exhausted, making it final).  Logs why.
 */
static void
record_failure(cl_mailer *m, const cl_notification *n, int final,
    const char *why)
{
	char text[768], when[64];
	int64_t now = cl_now_ms(), retry = 0, first;
	uint32_t rnd = 0;
	cl_err rc;

	/* Retries run for mail_retry_for from what made the message due. */
	first = n->request != NULL ?
	    cl_reqdoc_int(n->request, CL_DOC_RECEIVED_MS, n->due_ms) :
	    n->due_ms;
	if (n->confirmed_ms > first && mail_kind_after_confirm(n->kind))
		first = n->confirmed_ms;
	if (cl_random_bytes(&rnd, sizeof rnd) != CL_OK)
		rnd = 0; /* no jitter: still a good retry time */
	if (!final &&
	    !cl_mail_schedule_next(&m->sched, n->attempts, first, now, rnd,
		&retry)) {
		final = 1;
		snprintf(text, sizeof text, "%s; retry schedule exhausted",
		    why);
	} else
		snprintf(text, sizeof text, "%s", why);
	rc = cl_store_outbox_failed(m->st, n->id, m->owner, final, retry, text);
	if (final) {
		m->counts.failed++;
		cl_log(CL_LOG_ERROR,
		    "mail: %s %s (outbox %s) FAILED for good "
		    "after %d tries: %s",
		    n->kind, ref_of(n), n->id, n->attempts + 1, text);
	} else {
		m->counts.retried++;
		cl_date_human(retry, when, sizeof when);
		cl_log(CL_LOG_WARN,
		    "mail: %s %s (outbox %s) not sent (try %d), "
		    "trying again at %s: %s",
		    n->kind, ref_of(n), n->id, n->attempts + 1, when, text);
	}
	if (rc != CL_OK)
		cl_log(CL_LOG_ERROR,
		    "mail: %s %s (outbox %s): cannot record "
		    "the failure (%s); it will be tried again after its lease",
		    n->kind, ref_of(n), n->id, cl_strerror(rc));
}

/*
 * Record that n was sent.  A store that is briefly unavailable (locked,
 * failing over) is retried with backoff while the lease still has half its
 * time to run, since a notification whose sending is not recorded is sent
 * again after the lease.  Logs.
 */
static void
record_sent(cl_mailer *m, const cl_notification *n, const cl_mail_msg *msg)
{
	int64_t deadline = cl_now_ms() + m->lease_ms / 2, pause = 50;
	cl_err rc;

	m->counts.sent++;
	while ((rc = cl_store_outbox_sent(m->st, n->id, m->owner,
		    cl_now_ms())) == CL_EUNAVAIL &&
	    cl_now_ms() + pause < deadline) {
		struct timespec ts = { (time_t)(pause / 1000),
			(long)(pause % 1000) * 1000000 };

		cl_log(CL_LOG_WARN,
		    "mail: sent %s %s (outbox %s) but the store is unavailable; "
		    "recording again in %lld ms",
		    n->kind, ref_of(n), n->id, (long long)pause);
		nanosleep(&ts, NULL);
		pause = pause * 2 > 5000 ? 5000 : pause * 2;
	}
	if (rc == CL_OK)
		cl_log(CL_LOG_INFO,
		    "mail: sent %s %s (outbox %s) %s to %zu "
		    "recipient%s",
		    n->kind, ref_of(n), n->id, msg->message_id, msg->nrcpt,
		    msg->nrcpt == 1 ? "" : "s");
	else
		cl_log(CL_LOG_ERROR,
		    "mail: sent %s %s (outbox %s) %s but cannot "
		    "record it (%s): another copy with the same Message-ID "
		    "will be sent after the lease",
		    n->kind, ref_of(n), n->id, msg->message_id,
		    rc == CL_ENOTFOUND ? "the lease was lost" :
					 cl_strerror(rc));
}

/*
 * Build, send and record notification n.  Sets *down to a reason when the
 * relay could not be reached (so the rest of the batch need not try).
 */
static void
deliver(cl_mailer *m, const cl_notification *n, char *down, size_t downlen)
{
	cl_mail_msg msg = CL_MAIL_MSG_INIT;
	cl_smtp_result res;
	char why[320];
	cl_err rc;

	rc = cl_mail_build(&m->ctx, n, time(NULL), &msg, why, sizeof why);
	if (rc != CL_OK) {
		record_failure(m, n, rc == CL_EINVAL, why);
		return;
	}
	rc = cl_smtp_send(m->smtp, &msg, &res);
	if (rc == CL_OK)
		record_sent(m, n, &msg);
	else {
		record_failure(m, n, rc == CL_EINVAL, res.why);
		if (res.relay_down)
			snprintf(down, downlen, "%s", res.why);
	}
	cl_mail_msg_free(&msg);
}

/*
 * Whether n waits for its receipt's log proof at now: the requester's
 * first email, a receipt that promises the log, no proof published yet,
 * and less than log_proof_wait since the request; *until gets when to
 * look again.  Cannot fail.
 */
static int
waits_for_proof(const cl_mailer *m, const cl_notification *n, int64_t now,
    int64_t *until)
{
	char path[4096];
	const char *receipt;
	int64_t end;
	size_t len = 0;

	if (m->log_dir == NULL || n->request == NULL ||
	    !mail_kind_waits_for_proof(n->kind) ||
	    cl_reqdoc_str(n->request, CL_DOC_LOG, "", NULL)[0] == '\0')
		return 0;
	end = cl_reqdoc_int(n->request, CL_DOC_RECEIVED_MS, n->due_ms) +
	    m->proof_wait_ms;
	if (now >= end)
		return 0;
	receipt = cl_reqdoc_str(n->request, CL_DOC_RECEIPT, "", &len);
	if (cl_proof_path(m->log_dir, receipt, len, CL_PROOF_TLOG, path,
		sizeof path) != CL_OK ||
	    access(path, F_OK) == 0)
		return 0;
	*until = now + m->proof_check_ms < end ? now + m->proof_check_ms : end;
	return 1;
}

/* Hand n back to wait for its proof until until, no try counted.  Logs. */
static void
defer(cl_mailer *m, const cl_notification *n, int64_t until)
{
	cl_err rc;

	m->counts.deferred++;
	rc = cl_store_outbox_defer(m->st, n->id, m->owner, until,
	    "waiting for the log proof of the receipt");
	if (rc != CL_OK)
		cl_log(CL_LOG_WARN,
		    "mail: %s %s (outbox %s) left to its lease: %s", n->kind,
		    ref_of(n), n->id, cl_strerror(rc));
}

/* Hand n back unsent, due again now.  Logs. */
static void
release(cl_mailer *m, const cl_notification *n, const char *why)
{
	cl_err rc;

	m->counts.released++;
	rc = cl_store_outbox_failed(m->st, n->id, m->owner, 0, cl_now_ms(),
	    why);
	if (rc != CL_OK)
		cl_log(CL_LOG_WARN,
		    "mail: %s %s (outbox %s) left to its lease: "
		    "%s",
		    n->kind, ref_of(n), n->id, cl_strerror(rc));
}

cl_err
cl_mailer_batch(cl_mailer *m, const volatile sig_atomic_t *stop,
    size_t *claimed)
{
	cl_notification *v = NULL;
	char down[512] = "", why[600];
	int64_t start = cl_now_ms(), until = 0;
	size_t n = 0, i;
	cl_err rc;

	if (claimed != NULL)
		*claimed = 0;
	rc = cl_store_outbox_claim(m->st, start, m->lease_ms, m->owner,
	    m->batch, &v, &n);
	if (rc != CL_OK) {
		cl_log(CL_LOG_ERROR, "mail: cannot claim from the outbox: %s",
		    cl_strerror(rc));
		return rc;
	}
	m->counts.claimed += n;
	for (i = 0; i < n; i++) {
		if (stop != NULL && *stop) {
			release(m, &v[i], "not tried: the mailer was stopping");
			continue;
		}
		if (cl_now_ms() + m->send_ms + LEASE_MARGIN_MS >
		    start + m->lease_ms) {
			release(m, &v[i],
			    "not tried: the batch's lease was "
			    "running out");
			continue;
		}
		if (waits_for_proof(m, &v[i], cl_now_ms(), &until)) {
			defer(m, &v[i], until);
			continue;
		}
		if (down[0] != '\0') {
			snprintf(why, sizeof why, "not tried: %s", down);
			record_failure(m, &v[i], 0, why);
			continue;
		}
		deliver(m, &v[i], down, sizeof down);
	}
	/* Drained: let the relay have its connection back while we idle. */
	if (n > 0 && n < m->batch)
		cl_smtp_hangup(m->smtp);
	cl_notifications_free(v, n);
	if (claimed != NULL)
		*claimed = n;
	return CL_OK;
}

const cl_mailer_counts *
cl_mailer_counts_get(const cl_mailer *m)
{
	return &m->counts;
}

void
cl_mailer_free(cl_mailer *m)
{
	if (m == NULL)
		return;
	cl_smtp_close(m->smtp);
	cl_mail_from_free(&m->from);
	free(m->owner);
	free(m->public_base_url);
	free(m->log_dir);
	free(m);
}

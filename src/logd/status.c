/*
 * status.c: log_dir/.state/status (logstatus.h), rewritten whenever a
 * figure changes, for the workers' /metrics and /healthz.
 */
#include <stdio.h>

#include "callin/buf.h"
#include "callin/clock.h"
#include "callin/log.h"
#include "callin/writefile.h"
#include "logd_int.h"

/*
 * Write the status file from d (d->mu held).  Cannot fail: a failure is
 * logged, and the next change writes it again.
 */
void
ld_status_write(cl_logd *d)
{
	cl_buf b = CL_BUF_INIT;
	size_t i;

	cl_buf_printf(&b, "updated_ms %lld\n", (long long)cl_now_ms());
	cl_buf_printf(&b, "size %lld\n", (long long)d->latest_size);
	cl_buf_printf(&b, "anchor_size %lld\n", (long long)d->anchor_size);
	cl_buf_printf(&b, "anchor_ms %lld\n", (long long)d->anchor_ms);
	cl_buf_printf(&b, "unanchored_ms %lld\n", (long long)d->unanchored_ms);
	cl_buf_printf(&b, "anchors_total %lld\n", (long long)d->anchors);
	for (i = 0; i < d->ntsa; i++)
		cl_buf_printf(&b, "tsa_failures_total{tsa=\"%s\"} %lld\n",
		    d->tsa[i].name, (long long)d->tsa[i].failures);
	for (i = 0; i < d->nwit; i++)
		cl_buf_printf(&b,
		    "witness_failures_total{witness=\"%zu\"} %lld\n", i,
		    (long long)d->wit_failures[i]);
	if (ld_write(d, ".state/status", b.data, b.len) != CL_OK)
		cl_log(CL_LOG_WARN, "logd: the status file is not up to date");
	cl_buf_free(&b);
}

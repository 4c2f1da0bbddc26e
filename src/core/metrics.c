/*
 * metrics.c: counters in one shared anonymous mapping, added to with atomic
 * operations by every process, rendered in Prometheus text format.
 */
#include <sys/mman.h>

#include "callin/metrics.h"

/* Statuses counted one by one; the rest go to the last slot. */
static const int statuses[] = { 200, 303, 400, 403, 404, 405, 413, 422, 429,
	500, 503, 0 };
#define NSTATUS (sizeof statuses / sizeof statuses[0])

/* Latency buckets (seconds) of the histogram. */
static const double buckets[] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
	2.5, 10 };
#define NBUCKET (sizeof buckets / sizeof buckets[0])

static const char *const counter_names[CL_C__MAX][2] = {
	{ "callin_requests_stored_total", "Requests stored." },
	{ "callin_upload_bytes_total", "Attachment bytes stored." },
	{ "callin_worker_restarts_total", "Workers replaced after they died." },
	{ "callin_signer_restarts_total", "Signers replaced after they died." },
	{ "callin_committer_restarts_total",
	    "Committers replaced after they died." },
	{ "callin_healthz_store_checks_total",
	    "Store checks made for /healthz (at most one a second per worker)." },
};

static const char *const helper_names[CL_HELPER__MAX] = { "signer",
	"committer" };

/* Committer batches: documents per batch, and seconds per commit. */
static const double batch_buckets[] = { 1, 2, 4, 8, 16, 32, 64, 128 };
#define NBATCH (sizeof batch_buckets / sizeof batch_buckets[0])
static const double commit_buckets[] = { 0.001, 0.0025, 0.005, 0.01, 0.025,
	0.05, 0.1, 0.25, 1 };
#define NCOMMIT (sizeof commit_buckets / sizeof commit_buckets[0])

static const char *const reject_names[CL_R__MAX] = {
	"invalid",
	"forgery",
	"honeypot",
	"too_large",
	"malformed",
	"unavailable",
	"replay",
	"email_limit",
	"form_reused",
	"disk_low",
};

struct shared {
	int64_t counters[CL_C__MAX];
	int64_t rejects[CL_R__MAX];
	int64_t requests[CL_METRICS_ROUTES_MAX][NSTATUS];
	int64_t le[CL_METRICS_ROUTES_MAX][NBUCKET]; /* non-cumulative */
	int64_t count[CL_METRICS_ROUTES_MAX];
	int64_t sum_us[CL_METRICS_ROUTES_MAX];
	int64_t write_ok_ms;		/* last durable write that worked */
	int64_t write_failed_ms;	/* last one the store refused */
	int helper_pid[CL_HELPER__MAX]; /* ready helper, 0: none */
	int64_t batch_le[NBATCH];	/* non-cumulative */
	int64_t batch_count, batch_docs, batch_max;
	int64_t commit_le[NCOMMIT]; /* non-cumulative */
	int64_t commit_us;
};

static struct shared *m;

static void
add(int64_t *p, int64_t n)
{
	__atomic_fetch_add(p, n, __ATOMIC_RELAXED);
}

static int64_t
get(const int64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* The first of the n upper bounds in le that v fits under; n if none. */
static size_t
bucket_of(const double *le, size_t n, double v)
{
	size_t b = 0;

	while (b < n && v > le[b])
		b++;
	return b;
}

cl_err
cl_metrics_init(void)
{
	void *p = mmap(NULL, sizeof *m, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return CL_ENOMEM;
	m = p;
	return CL_OK;
}

void
cl_metrics_add(cl_counter c, int64_t n)
{
	if (m != NULL && (unsigned)c < CL_C__MAX)
		add(&m->counters[c], n);
}

void
cl_metrics_reject(cl_reject r)
{
	if (m != NULL && (unsigned)r < CL_R__MAX)
		add(&m->rejects[r], 1);
}

void
cl_metrics_request(unsigned route, int status, double seconds)
{
	size_t s = NSTATUS - 1, b;

	if (m == NULL || route >= CL_METRICS_ROUTES_MAX)
		return;
	for (size_t i = 0; i + 1 < NSTATUS; i++)
		if (statuses[i] == status)
			s = i;
	b = bucket_of(buckets, NBUCKET, seconds);
	add(&m->requests[route][s], 1);
	if (b < NBUCKET)
		add(&m->le[route][b], 1);
	add(&m->count[route], 1);
	add(&m->sum_us[route], (int64_t)(seconds * 1e6));
}

void
cl_metrics_store_write(int ok, int64_t now_ms)
{
	if (m != NULL)
		__atomic_store_n(ok ? &m->write_ok_ms : &m->write_failed_ms,
		    now_ms, __ATOMIC_RELAXED);
}

int
cl_metrics_store_writes_failing(int64_t now_ms, int64_t window_ms)
{
	int64_t failed, ok;

	if (m == NULL)
		return 0;
	failed = get(&m->write_failed_ms);
	ok = get(&m->write_ok_ms);
	return failed > ok && now_ms - failed < window_ms;
}

void
cl_metrics_helper_ready(cl_helper i, int pid)
{
	if (m != NULL && (unsigned)i < CL_HELPER__MAX)
		__atomic_store_n(&m->helper_pid[i], pid, __ATOMIC_RELEASE);
}

void
cl_metrics_helper_gone(cl_helper i, int pid)
{
	int expect = pid;

	if (m != NULL && (unsigned)i < CL_HELPER__MAX)
		__atomic_compare_exchange_n(&m->helper_pid[i], &expect, 0, 0,
		    __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
}

int
cl_metrics_helper_pid(cl_helper i)
{
	if (m == NULL || (unsigned)i >= CL_HELPER__MAX)
		return 0;
	return __atomic_load_n(&m->helper_pid[i], __ATOMIC_ACQUIRE);
}

int
cl_metrics_helper_up(cl_helper i)
{
	if (m == NULL)
		return 1;
	return (unsigned)i < CL_HELPER__MAX &&
	    __atomic_load_n(&m->helper_pid[i], __ATOMIC_ACQUIRE) != 0;
}

void
cl_metrics_commit(size_t docs, double seconds)
{
	size_t b;
	int64_t max;

	if (m == NULL)
		return;
	if ((b = bucket_of(batch_buckets, NBATCH, (double)docs)) < NBATCH)
		add(&m->batch_le[b], 1);
	if ((b = bucket_of(commit_buckets, NCOMMIT, seconds)) < NCOMMIT)
		add(&m->commit_le[b], 1);
	add(&m->batch_count, 1);
	add(&m->batch_docs, (int64_t)docs);
	add(&m->commit_us, (int64_t)(seconds * 1e6));
	max = get(&m->batch_max);
	while ((int64_t)docs > max &&
	    !__atomic_compare_exchange_n(&m->batch_max, &max, (int64_t)docs, 0,
		__ATOMIC_RELAXED, __ATOMIC_RELAXED))
		continue;
}

/*
 * Append a Prometheus histogram name{le=...} from the n non-cumulative
 * bucket counts of le_counts over the bounds le, with its sum and count.
 * Cannot fail.
 */
static void
render_histogram(cl_buf *out, const char *name, const char *help,
    const double *le, const int64_t *le_counts, size_t n, double sum,
    int64_t count)
{
	int64_t cum = 0;

	cl_buf_printf(out, "# HELP %s %s\n# TYPE %s histogram\n", name, help,
	    name);
	for (size_t b = 0; b < n; b++) {
		cum += get(&le_counts[b]);
		cl_buf_printf(out, "%s_bucket{le=\"%g\"} %lld\n", name, le[b],
		    (long long)cum);
	}
	cl_buf_printf(out,
	    "%s_bucket{le=\"+Inf\"} %lld\n%s_sum %.6f\n%s_count %lld\n", name,
	    (long long)count, name, sum, name, (long long)count);
}

void
cl_metrics_render(cl_buf *out, const char *const *route_names, unsigned nroutes)
{
	if (m == NULL)
		return;
	for (int c = 0; c < CL_C__MAX; c++)
		cl_buf_printf(out, "# HELP %s %s\n# TYPE %s counter\n%s %lld\n",
		    counter_names[c][0], counter_names[c][1],
		    counter_names[c][0], counter_names[c][0],
		    (long long)get(&m->counters[c]));
	cl_buf_puts(out,
	    "# HELP callin_rejections_total Submissions that stored nothing, by reason.\n"
	    "# TYPE callin_rejections_total counter\n");
	for (int r = 0; r < CL_R__MAX; r++)
		cl_buf_printf(out,
		    "callin_rejections_total{reason=\"%s\"} %lld\n",
		    reject_names[r], (long long)get(&m->rejects[r]));
	cl_buf_puts(out,
	    "# HELP callin_http_requests_total Requests answered, by route and status.\n"
	    "# TYPE callin_http_requests_total counter\n");
	for (unsigned r = 0; r < nroutes && r < CL_METRICS_ROUTES_MAX; r++)
		for (size_t s = 0; s < NSTATUS; s++) {
			int64_t v = get(&m->requests[r][s]);

			if (v == 0)
				continue;
			if (statuses[s] != 0)
				cl_buf_printf(out,
				    "callin_http_requests_total{route=\"%s\",status=\"%d\"} %lld\n",
				    route_names[r], statuses[s], (long long)v);
			else
				cl_buf_printf(out,
				    "callin_http_requests_total{route=\"%s\",status=\"other\"} %lld\n",
				    route_names[r], (long long)v);
		}
	cl_buf_puts(out,
	    "# HELP callin_http_request_duration_seconds Time to answer, by route.\n"
	    "# TYPE callin_http_request_duration_seconds histogram\n");
	for (unsigned r = 0; r < nroutes && r < CL_METRICS_ROUTES_MAX; r++) {
		int64_t cum = 0, count = get(&m->count[r]);

		if (count == 0)
			continue;
		for (size_t b = 0; b < NBUCKET; b++) {
			cum += get(&m->le[r][b]);
			cl_buf_printf(out,
			    "callin_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %lld\n",
			    route_names[r], buckets[b], (long long)cum);
		}
		cl_buf_printf(out,
		    "callin_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %lld\n"
		    "callin_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n"
		    "callin_http_request_duration_seconds_count{route=\"%s\"} %lld\n",
		    route_names[r], (long long)count, route_names[r],
		    get(&m->sum_us[r]) / 1e6, route_names[r], (long long)count);
	}
	render_histogram(out, "callin_commit_batch_size",
	    "Submissions written per committer transaction.", batch_buckets,
	    m->batch_le, NBATCH, (double)get(&m->batch_docs),
	    get(&m->batch_count));
	cl_buf_printf(out,
	    "# HELP callin_commit_batch_size_max The largest committer batch.\n"
	    "# TYPE callin_commit_batch_size_max gauge\ncallin_commit_batch_size_max %lld\n",
	    (long long)get(&m->batch_max));
	render_histogram(out, "callin_commit_duration_seconds",
	    "Time to write and fsync one committer batch.", commit_buckets,
	    m->commit_le, NCOMMIT, get(&m->commit_us) / 1e6,
	    get(&m->batch_count));
	cl_buf_puts(out,
	    "# HELP callin_helper_up Whether the signer and the committer are ready.\n"
	    "# TYPE callin_helper_up gauge\n");
	for (int i = 0; i < CL_HELPER__MAX; i++)
		cl_buf_printf(out, "callin_helper_up{helper=\"%s\"} %d\n",
		    helper_names[i], cl_metrics_helper_up((cl_helper)i));
}

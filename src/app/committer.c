/*
 * committer.c: the committer process, the SQLite store's one writer of
 * requests (svc.h says what a call to it is).
 *
 * Group commit in two stages.  The main thread takes each round's calls
 * (all that arrived while it was busy), writes them with one
 * cl_store_put_batch() committed without its own fsync, hands the answers
 * to the syncer thread and goes on with the next round.  The syncer makes
 * everything committed so far durable with one cl_store_sync() and only
 * then sends the answers it holds, and wakes the checkpointer thread,
 * which moves the WAL into the database once it has grown.  So the fsync
 * of one batch and the checkpoints overlap the writing of the next, and no
 * worker hears of a write before it is durable.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "callin/alloc.h"
#include "callin/app.h"
#include "callin/clock.h"
#include "callin/log.h"
#include "callin/metrics.h"
#include "callin/svc.h"
#include "app_int.h"


/* An answer waiting for the sync that makes its write durable. */
struct pending {
	int fd; /* dup() of the call's connection */
	cl_buf answer;
	size_t batch;	/* the batch's size, for metrics, 0 but once */
	double started; /* when its batch began, monotonic s */
};

struct committer {
	cl_store *st;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct pending *q; /* answers waiting for a sync */
	size_t n, cap;
	int stop;   /* the main thread is done */
	int synced; /* syncs since the checkpointer last ran */
	pthread_cond_t ckpt_cv;
};

/*
 * The syncer thread: until the main thread stops and nothing is left,
 * take every answer queued, make their writes durable with one sync, then
 * send them (CL_EUNAVAIL instead of CL_OK when the sync failed, and the
 * process ends: after a failed fsync the page cache cannot be trusted).
 */
static void *
syncer(void *arg)
{
	struct committer *c = arg;

	for (;;) {
		struct pending *v;
		size_t n;
		cl_err rc;

		pthread_mutex_lock(&c->mu);
		while (c->n == 0 && !c->stop)
			pthread_cond_wait(&c->cv, &c->mu);
		v = c->q;
		n = c->n;
		c->q = NULL;
		c->n = c->cap = 0;
		pthread_mutex_unlock(&c->mu);
		if (n == 0)
			break; /* stopped with nothing left */
		rc = cl_store_sync(c->st);
		for (size_t i = 0; i < n; i++) {
			if (v[i].batch > 0)
				cl_metrics_commit(v[i].batch,
				    cl_mono_s() - v[i].started);
			if (rc != CL_OK && v[i].answer.data[0] == (char)CL_OK)
				v[i].answer.data[0] = (char)CL_EUNAVAIL;
			cl_ipc_answer(v[i].fd, v[i].answer.data,
			    v[i].answer.len);
			cl_buf_free(&v[i].answer);
		}
		free(v);
		if (rc != CL_OK) {
			cl_log(CL_LOG_ERROR,
			    "committer: the WAL could not be synced; "
			    "exiting so that the master starts afresh");
			_exit(1);
		}
		pthread_mutex_lock(&c->mu);
		c->synced++;
		pthread_cond_signal(&c->ckpt_cv);
		pthread_mutex_unlock(&c->mu);
	}
	return NULL;
}

/* The checkpointer thread: after each sync, until stopped.  Cannot fail. */
static void *
checkpointer(void *arg)
{
	struct committer *c = arg;

	pthread_mutex_lock(&c->mu);
	while (!c->stop) {
		if (c->synced == 0) {
			pthread_cond_wait(&c->ckpt_cv, &c->mu);
			continue;
		}
		c->synced = 0;
		pthread_mutex_unlock(&c->mu);
		cl_store_checkpoint(c->st);
		pthread_mutex_lock(&c->mu);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

/*
 * Queue the answer of call m for the syncer (m is then deferred).  When no
 * descriptor is left to queue it with, make the write durable here and let
 * the server answer at once (an OK becomes CL_EUNAVAIL only if that sync
 * fails).  Cannot fail.
 */
static void
defer(struct committer *c, cl_ipc_msg *m, size_t batch, double started)
{
	int fd = dup(m->fd);

	if (fd < 0) {
		if (cl_store_sync(c->st) != CL_OK &&
		    m->reply.data[0] == (char)CL_OK)
			m->reply.data[0] = (char)CL_EUNAVAIL;
		return;
	}
	pthread_mutex_lock(&c->mu);
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 64;
		c->q = cl_realloc(c->q, c->cap * sizeof *c->q);
	}
	c->q[c->n].fd = fd;
	c->q[c->n].answer = m->reply;
	c->q[c->n].batch = batch;
	c->q[c->n].started = started;
	c->n++;
	pthread_mutex_unlock(&c->mu);
	memset(&m->reply, 0, sizeof m->reply);
	m->deferred = 1;
}

/*
 * Write the round's documents in one batch and queue their answers for
 * the syncer.  Calls that are not documents are answered CL_EINVAL at
 * once.  Cannot fail.
 */
static void
commit_batch(void *arg, cl_ipc_msg *v, size_t n)
{
	struct committer *c = arg;
	cl_store_put_item *items = cl_calloc(n, sizeof *items);
	/* bson_t wants its own alignment, beyond what malloc promises. */
	bson_t *docs = aligned_alloc(BSON_ALIGNOF(bson_t), n * sizeof *docs);
	size_t *who = cl_calloc(n, sizeof *who), k = 0;
	double t0 = cl_mono_s();

	if (docs == NULL)
		abort(); /* as cl_malloc does */
	for (size_t i = 0; i < n; i++) {
		cl_buf_putc(&v[i].reply, (char)CL_EINVAL);
		if (v[i].len <= CL_COMMIT_HDR ||
		    !bson_init_static(&docs[k], v[i].req + CL_COMMIT_HDR,
			v[i].len - CL_COMMIT_HDR)) {
			cl_log(CL_LOG_ERROR,
			    "committer: a call without a document");
			continue;
		}
		memcpy(&items[k].email_max, v[i].req,
		    sizeof items[k].email_max);
		memcpy(&items[k].email_since_ms,
		    v[i].req + sizeof items[k].email_max,
		    sizeof items[k].email_since_ms);
		items[k].doc = &docs[k];
		who[k++] = i;
	}
	if (k > 0 && cl_store_put_batch(c->st, items, k) != CL_OK)
		cl_log(CL_LOG_ERROR,
		    "committer: a batch of %zu was not written", k);
	for (size_t j = 0; j < k; j++) {
		cl_ipc_msg *m = &v[who[j]];

		m->reply.data[0] = (char)items[j].rc;
		if (items[j].rc == CL_EDUP)
			cl_buf_puts(&m->reply, items[j].existing_token);
		defer(c, m, j == 0 ? k : 0, t0);
	}
	pthread_cond_signal(&c->cv);
	free(items);
	free(docs);
	free(who);
}

void
cl_app_committer_main(const cl_config *cfg, int hub)
{
	struct committer c = { .q = NULL };
	pthread_t th, ck;
	int status = 1, started = 0;
	cl_err rc;

	pthread_mutex_init(&c.mu, NULL);
	pthread_cond_init(&c.cv, NULL);
	pthread_cond_init(&c.ckpt_cv, NULL);
	if ((rc = cl_store_open(cfg->store, &c.st)) != CL_OK) {
		char shown[512];

		cl_log_redact_uri(cfg->store, shown, sizeof shown);
		cl_log(CL_LOG_ERROR,
		    "committer: config: store: cannot open %s: %s", shown,
		    cl_strerror(rc));
		goto out;
	}
	cl_store_defer_sync(c.st);
	if (pthread_create(&th, NULL, syncer, &c) != 0) {
		cl_log(CL_LOG_ERROR,
		    "committer: cannot start the syncer thread");
		goto out;
	}
	started = 1;
	if (pthread_create(&ck, NULL, checkpointer, &c) != 0) {
		cl_log(CL_LOG_ERROR,
		    "committer: cannot start the checkpointer thread");
		goto out;
	}
	started = 2;
	cl_log(CL_LOG_INFO, "committer: ready");
	cl_metrics_helper_ready(CL_HELPER_COMMITTER, (int)getpid());
	if (cl_app_helper_serve(hub, CL_COMMIT_REQ_MAX, commit_batch, &c) ==
	    CL_OK)
		status = 0;
out:
	if (started) {
		/* The syncer answers what is queued, then ends. */
		pthread_mutex_lock(&c.mu);
		c.stop = 1;
		pthread_cond_signal(&c.cv);
		pthread_cond_signal(&c.ckpt_cv);
		pthread_mutex_unlock(&c.mu);
		pthread_join(th, NULL);
		if (started == 2)
			pthread_join(ck, NULL);
	}
	cl_store_close(c.st);
	pthread_cond_destroy(&c.ckpt_cv);
	pthread_cond_destroy(&c.cv);
	pthread_mutex_destroy(&c.mu);
	exit(status);
}

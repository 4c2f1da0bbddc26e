/*
 * anchor.c: callin-logd's anchor thread.  Every log_anchor_interval, when
 * the tree grew since the last anchor, it asks each authority of tsa_urls
 * for a time-stamp over the newest checkpoint's note text and each witness
 * of log_witnesses for its cosignature (a slow one delays only this
 * thread: sequencing goes on), then publishes the anchor (the tokens, the
 * checkpoint with the cosignatures, anchors/latest last) and the proof of
 * every entry below its size that has none yet, each written once against
 * the first anchor that covers it.  With authorities configured an anchor
 * needs one token at least; a failing authority or witness is counted in
 * the status file and asked again at the next interval.  The witnesses
 * are asked each in a thread of its own while the authorities are asked,
 * so a slow witness (each has log_anchor_timeout) delays neither the
 * tokens nor the other witnesses, only the anchor's publication by that
 * time at most; a witness that did not cosign is left out of that anchor.
 * Each witness's size (the last it cosigned) is kept in memory; after a
 * restart it is unknown and cl_witness_add learns it by the 409 answer.
 * The thread has its own store handle and reads the stored hashes from the
 * file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "callin/alloc.h"
#include "callin/clock.h"
#include "callin/log.h"
#include "callin/proofs.h"
#include "logd_int.h"

/*
 * Parse tsa_urls ("name=url,name=url"; name [a-z0-9-]{1,31}) into d.
 * CL_ECONFIG with err naming the bad item.
 */
static cl_err
tsa_parse(cl_logd *d, const char *list, char *err, size_t errlen)
{
	const char *p = list, *comma, *eq;
	size_t len, nl, j;

	d->ntsa = 0;
	while (p != NULL && *p != '\0') {
		comma = strchr(p, ',');
		len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		eq = memchr(p, '=', len);
		nl = eq != NULL ? (size_t)(eq - p) : 0;
		if (d->ntsa == LD_TSA_MAX || nl == 0 || nl >= CL_TSA_NAME_MAX ||
		    len - nl - 1 == 0 || len - nl - 1 >= sizeof d->tsa[0].url)
			goto bad;
		for (j = 0; j < nl; j++)
			if (!((p[j] >= 'a' && p[j] <= 'z') ||
				(p[j] >= '0' && p[j] <= '9') || p[j] == '-'))
				goto bad;
		memcpy(d->tsa[d->ntsa].name, p, nl);
		d->tsa[d->ntsa].name[nl] = '\0';
		memcpy(d->tsa[d->ntsa].url, eq + 1, len - nl - 1);
		d->tsa[d->ntsa].url[len - nl - 1] = '\0';
		d->ntsa++;
		p = comma != NULL ? comma + 1 : NULL;
	}
	return CL_OK;
bad:
	snprintf(err, errlen,
	    "tsa_urls: \"%.*s\" is not name=url (name [a-z0-9-]{1,31}, at "
	    "most %d)",
	    (int)len, p, LD_TSA_MAX);
	return CL_ECONFIG;
}

/* Read tsa_urls and log_witnesses.  CL_ECONFIG with err. */
cl_err
ld_anchor_setup(cl_logd *d, char *err, size_t errlen)
{
	cl_err rc;

	if ((rc = tsa_parse(d, d->cfg->tsa_urls, err, errlen)) != CL_OK)
		return rc;
	if (d->ntsa > 0 &&
	    (d->cfg->tsa_ca_file == NULL || d->cfg->tsa_ca_file[0] == '\0')) {
		snprintf(err, errlen, "tsa_urls needs tsa_ca_file");
		return CL_ECONFIG;
	}
	if ((rc = cl_witness_list_parse(d->cfg->log_witnesses, &d->wit,
		 &d->nwit, err, errlen)) != CL_OK)
		return rc;
	d->wit_failures = cl_calloc(d->nwit + 1, sizeof *d->wit_failures);
	return CL_OK;
}

/* The anchor size in log_dir/anchors/latest, 0 when none.  Cannot fail. */
static int64_t
latest_anchor(cl_logd *d)
{
	char path[PATH_MAX], buf[32];
	long long v = 0;
	FILE *f;

	if (ld_path(d, "anchors/latest", path, sizeof path) != CL_OK ||
	    (f = fopen(path, "r")) == NULL)
		return 0;
	if (fgets(buf, sizeof buf, f) == NULL || sscanf(buf, "%lld", &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

/* Whether log_dir/rel exists.  Cannot fail. */
static int
exists(cl_logd *d, const char *rel)
{
	char path[PATH_MAX];

	return ld_path(d, rel, path, sizeof path) == CL_OK &&
	    access(path, F_OK) == 0;
}

/*
 * Write the proofs of entries from to size - 1 against the anchor
 * checkpoint acp (n bytes) of size, with copies of the tokens tok[] of the
 * authorities ok[].  Entries whose proof exists are left.  CL_EUNAVAIL,
 * CL_EIO.
 */
static cl_err
proofs(cl_logd *d, cl_store *st, int *fd, int64_t from, int64_t size,
    const char *acp, size_t n, cl_buf *tok, const int *ok)
{
	unsigned char pr[CL_TLOG_PROOF_MAX][CL_TLOG_HASH];
	cl_store_entry *v = NULL;
	cl_buf out = CL_BUF_INIT;
	char hex[65], rel[160], proof[160], ext[CL_TSA_NAME_MAX + 8];
	int64_t to;
	size_t k = 0, i, np, t, first;
	cl_err rc = CL_OK;

	for (first = 0; first < d->ntsa && !ok[first]; first++)
		continue;
	while (from < size) {
		to = from + LD_BATCH_MAX < size ? from + LD_BATCH_MAX : size;
		if ((rc = cl_store_log_entries(st, from, to, &v, &k)) != CL_OK)
			goto err;
		for (i = 0; i < k; i++) {
			if (v[i].len < CL_TLOG_ENTRY_HEX_AT + 64)
				continue;
			memcpy(hex, v[i].entry + CL_TLOG_ENTRY_HEX_AT, 64);
			hex[64] = '\0';
			(void)cl_proof_rel(hex, CL_PROOF_TLOG, proof,
			    sizeof proof);
			if (exists(d, proof))
				continue;
			if ((rc = cl_tlog_prove_record(size, v[i].idx,
				 ld_hashes_pread, fd, pr, &np)) != CL_OK)
				goto err;
			cl_buf_reset(&out);
			cl_tlog_proof_format(v[i].idx,
			    (const unsigned char(*)[CL_TLOG_HASH])pr, np, acp,
			    n, &out);
			/* The tokens first: a proof file means all is there. */
			for (t = 0; t < d->ntsa; t++) {
				if (!ok[t])
					continue;
				if (t == first) {
					(void)cl_proof_rel(hex, CL_PROOF_TSR,
					    rel, sizeof rel);
					if ((rc = ld_write(d, rel, tok[t].data,
						 tok[t].len)) != CL_OK)
						goto err;
				}
				if (d->ntsa > 1) {
					snprintf(ext, sizeof ext, "%s.%s",
					    d->tsa[t].name, CL_PROOF_TSR);
					(void)cl_proof_rel(hex, ext, rel,
					    sizeof rel);
					if ((rc = ld_write(d, rel, tok[t].data,
						 tok[t].len)) != CL_OK)
						goto err;
				}
			}
			if ((rc = ld_write(d, proof, out.data, out.len)) !=
			    CL_OK)
				goto err;
		}
		cl_store_entries_free(v, k);
		v = NULL;
		k = 0;
		from = to;
	}
err:
	cl_store_entries_free(v, k);
	cl_buf_free(&out);
	return rc;
}

/* One witness's part of an anchor, asked in a thread of its own. */
struct wit_job {
	cl_witness *w;
	const char *cp; /* the signed checkpoint, n bytes */
	size_t n;
	int64_t size;
	int *fd;       /* .state/hashes, read with pread */
	long timeout;  /* ms */
	cl_buf sigs;   /* its cosignature lines when rc is CL_OK */
	char why[300]; /* else what went wrong */
	cl_err rc;
	pthread_t thread;
	int started;
};

/* Ask one witness (arg: a struct wit_job).  Returns NULL. */
static void *
ask_witness(void *arg)
{
	struct wit_job *j = arg;

	j->rc = cl_witness_add(j->w, j->cp, j->n, j->size, ld_hashes_pread,
	    j->fd, j->timeout, &j->sigs, j->why, sizeof j->why);
	return NULL;
}

/*
 * Make one anchor of the checkpoint cp (n bytes) of size, and the proofs
 * from *proved on.  Returns CL_OK when it was published (*proved = size),
 * CL_EUNAVAIL when no authority gave a token (retried next time), or
 * what writing failed with.
 */
static cl_err
anchor(cl_logd *d, cl_store *st, int *fd, const char *cp, size_t n,
    int64_t size, int64_t *proved)
{
	cl_buf tok[LD_TSA_MAX], sigs = CL_BUF_INIT, acp = CL_BUF_INIT;
	struct wit_job *job;
	int ok[LD_TSA_MAX] = { 0 }, any = 0;
	cl_tsa_check chk;
	const char *blank;
	char rel[160], line[32];
	long timeout = (long)d->cfg->log_anchor_timeout * 1000;
	size_t i, text;
	cl_err rc;

	job = cl_calloc(d->nwit + 1, sizeof *job);
	blank = strstr(cp, "\n\n");
	CL_ASSERT(blank != NULL);
	text = (size_t)(blank - cp) + 1;
	for (i = 0; i < d->nwit; i++) {
		job[i] = (struct wit_job){ .w = &d->wit[i],
			.cp = cp,
			.n = n,
			.size = size,
			.fd = fd,
			.timeout = timeout,
			.sigs = CL_BUF_INIT };
		job[i].started = pthread_create(&job[i].thread, NULL,
				     ask_witness, &job[i]) == 0;
		if (!job[i].started) /* no thread: ask it here, in turn */
			ask_witness(&job[i]);
	}
	for (i = 0; i < d->ntsa; i++) {
		tok[i] = (cl_buf)CL_BUF_INIT;
		memset(&chk, 0, sizeof chk);
		if ((rc = cl_tsa_request(d->tsa[i].url, d->cfg->tsa_ca_file, cp,
			 text, timeout, &tok[i], &chk)) == CL_OK)
			ok[i] = any = 1;
		else
			cl_log(CL_LOG_WARN,
			    "logd: time-stamp authority %s: %s (%s); asking "
			    "again at the next anchor",
			    d->tsa[i].name, cl_strerror(rc), chk.why);
	}
	for (i = 0; i < d->nwit; i++) {
		if (job[i].started)
			pthread_join(job[i].thread, NULL);
		if (job[i].rc == CL_OK) {
			cl_buf_add(&sigs, job[i].sigs.data, job[i].sigs.len);
			continue;
		}
		cl_log(CL_LOG_WARN,
		    "logd: witness %zu (%s): %s (%s); size %lld goes out "
		    "without its cosignature, asking again at the next anchor",
		    i, d->wit[i].key.name, cl_strerror(job[i].rc), job[i].why,
		    (long long)size);
	}
	pthread_mutex_lock(&d->mu); /* the status file: run() writes it */
	for (i = 0; i < d->ntsa; i++)
		d->tsa[i].failures += !ok[i];
	for (i = 0; i < d->nwit; i++)
		d->wit_failures[i] += job[i].rc != CL_OK;
	pthread_mutex_unlock(&d->mu);
	if (d->ntsa > 0 && !any) {
		rc = CL_EUNAVAIL;
		goto err;
	}
	cl_buf_add(&acp, cp, n);
	if (sigs.len > 0)
		cl_buf_add(&acp, sigs.data, sigs.len);
	for (i = 0; i < d->ntsa; i++) {
		if (!ok[i])
			continue;
		snprintf(rel, sizeof rel, "anchors/%lld.%s.tsr",
		    (long long)size, d->tsa[i].name);
		if ((rc = ld_write(d, rel, tok[i].data, tok[i].len)) != CL_OK)
			goto err;
	}
	snprintf(rel, sizeof rel, "anchors/%lld.checkpoint", (long long)size);
	if ((rc = ld_write(d, rel, acp.data, acp.len)) != CL_OK)
		goto err;
	if ((rc = proofs(d, st, fd, *proved, size, acp.data, acp.len, tok,
		 ok)) != CL_OK)
		goto err;
	snprintf(line, sizeof line, "%lld\n", (long long)size);
	if ((rc = ld_write(d, "anchors/latest", line, strlen(line))) != CL_OK)
		goto err;
	*proved = size;
	cl_log(CL_LOG_INFO, "logd: anchored size %lld", (long long)size);
	rc = CL_OK;
err:
	for (i = 0; i < d->ntsa; i++)
		cl_buf_free(&tok[i]);
	for (i = 0; i < d->nwit; i++)
		cl_buf_free(&job[i].sigs);
	cl_buf_free(&sigs);
	cl_buf_free(&acp);
	free(job);
	return rc;
}

/* The thread: see above.  Returns NULL. */
static void *
run(void *arg)
{
	cl_logd *d = arg;
	cl_store *st = NULL;
	cl_buf cp = CL_BUF_INIT;
	char path[PATH_MAX];
	struct timespec until;
	int64_t proved, size, t0;
	int fd = -1;
	cl_err rc;

	proved = latest_anchor(d);
	if (ld_path(d, ".state/hashes", path, sizeof path) != CL_OK ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 ||
	    cl_store_open(d->cfg->store, &st) != CL_OK) {
		cl_log(CL_LOG_ERROR, "logd: the anchor thread cannot start");
		goto out;
	}
	pthread_mutex_lock(&d->mu);
	d->anchor_size = proved;
	if (d->latest_size <= proved)
		d->unanchored_ms = 0;
	for (;;) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += (time_t)d->cfg->log_anchor_interval;
		while (!d->stopping &&
		    pthread_cond_timedwait(&d->cv, &d->mu, &until) == 0)
			continue;
		if (d->stopping)
			break;
		if (d->latest_size <= proved)
			continue;
		size = d->latest_size;
		cl_buf_reset(&cp);
		cl_buf_add(&cp, d->latest.data, d->latest.len);
		t0 = cl_now_ms();
		pthread_mutex_unlock(&d->mu);
		rc = anchor(d, st, &fd, cp.data, cp.len, size, &proved);
		pthread_mutex_lock(&d->mu);
		if (rc == CL_OK) {
			d->anchor_size = size;
			d->anchor_ms = cl_now_ms();
			d->anchors++;
			d->unanchored_ms = d->latest_size > size ? t0 : 0;
		}
		ld_status_write(d); /* the anchor's failures, or its success */
	}
	pthread_mutex_unlock(&d->mu);
out:
	if (fd >= 0)
		close(fd);
	cl_store_close(st);
	cl_buf_free(&cp);
	return NULL;
}

/* Start the thread.  CL_EIO when it cannot be made. */
cl_err
ld_anchor_start(cl_logd *d)
{
	if (pthread_create(&d->thread, NULL, run, d) != 0)
		return CL_EIO;
	d->thread_started = 1;
	return CL_OK;
}

/* Stop the thread (after the anchor it is making).  Cannot fail. */
void
ld_anchor_stop(cl_logd *d)
{
	if (!d->thread_started)
		return;
	pthread_mutex_lock(&d->mu);
	d->stopping = 1;
	pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
	pthread_join(d->thread, NULL);
	d->thread_started = 0;
}

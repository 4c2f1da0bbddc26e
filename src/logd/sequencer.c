/*
 * sequencer.c: callin-logd's start (lock, key, store, stored hashes, the
 * published checkpoint checked against the state, what a crash left
 * unwritten written) and its batches (see logd.h).  The order of a batch
 * is what keeps a crash harmless: the store's append (entries and the
 * state's compare-and-swap) first, then the stored hashes, the tiles and
 * bundles, and the checkpoint last; so the published checkpoint is never
 * ahead of the store and never names a tile not yet written.  The state
 * only grows by an append, so no size is signed twice with two roots.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "callin/alloc.h"
#include "callin/clock.h"
#include "callin/hash.h"
#include "callin/log.h"
#include "callin/writefile.h"
#include "logd_int.h"

#define CP_MAX 8192 /* the longest published checkpoint read back */

/* The test hook of logd.h: stop with SIGSTOP at point when asked. */
static void
test_stop(const char *point)
{
	const char *v = getenv("CALLIN_TEST_LOGD_STOP");

	if (v != NULL && strcmp(v, point) == 0) {
		cl_log(CL_LOG_WARN, "logd: test hook: stopping %s", point);
		raise(SIGSTOP);
	}
}

/*
 * Take log_dir/.state/lock (flock, held while the process lives).
 * CL_ECONFIG with err when another process holds it or it cannot be
 * opened.
 */
static cl_err
lock(cl_logd *d, char *err, size_t errlen)
{
	char path[PATH_MAX];

	if (ld_path(d, ".state/lock", path, sizeof path) != CL_OK ||
	    (d->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		snprintf(err, errlen, "cannot open the lock %s/.state/lock: %s",
		    d->dir, strerror(errno));
		return CL_ECONFIG;
	}
	if (flock(d->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		snprintf(err, errlen,
		    "another callin-logd is running on %s (it holds %s); "
		    "one sequencer per log",
		    d->dir, path);
		return CL_ECONFIG;
	}
	return CL_OK;
}

/*
 * Bring the stored hashes up to the state's size: drop any beyond it,
 * add the missing ones from the store's entries, sync; then check that
 * they hash to the state's root.  CL_EVERIFY (logged) when they do not;
 * CL_EUNAVAIL, CL_EIO.
 */
static cl_err
hashes_catch_up(cl_logd *d)
{
	unsigned char root[CL_TLOG_HASH];
	cl_store_entry *v = NULL;
	int64_t have, to;
	size_t k = 0, i;
	cl_err rc;

	have = ld_hashes_records(&d->h);
	if (have > d->state.size)
		have = d->state.size;
	ld_hashes_truncate(&d->h, have);
	while (have < d->state.size) {
		to = have + LD_BATCH_MAX < d->state.size ? have + LD_BATCH_MAX :
							   d->state.size;
		if ((rc = cl_store_log_entries(d->st, have, to, &v, &k)) !=
		    CL_OK)
			goto err;
		for (i = 0; i < k; i++)
			if ((rc = ld_hashes_add(&d->h, have + (int64_t)i,
				 v[i].entry, v[i].len)) != CL_OK)
				goto err;
		cl_store_entries_free(v, k);
		v = NULL;
		k = 0;
		have = to;
	}
	if ((rc = ld_hashes_sync(&d->h)) != CL_OK)
		goto err;
	if (d->state.size > 0) {
		if ((rc = cl_tlog_tree_hash(d->state.size, ld_hashes_read,
			 &d->h, root)) != CL_OK)
			goto err;
		if (memcmp(root, d->state.root, CL_TLOG_HASH) != 0) {
			cl_log(CL_LOG_ERROR,
			    "logd: the store's log entries do not hash to its "
			    "state's root at size %lld",
			    (long long)d->state.size);
			rc = CL_EVERIFY;
			goto err;
		}
	}
	return CL_OK;
err:
	cl_store_entries_free(v, k);
	return rc;
}

/*
 * Read log_dir/checkpoint, if there is one, into *size: it must be signed
 * by our key, name our origin and be a prefix of the state (its root the
 * tree's at its size).  *size is -1 when there is none.  CL_EVERIFY with
 * err when it disagrees; CL_EIO.
 */
static cl_err
published(cl_logd *d, int64_t *size, char *err, size_t errlen)
{
	unsigned char root[CL_TLOG_HASH];
	cl_tlog_checkpoint c;
	char path[PATH_MAX];
	char *buf;
	size_t len = 0, text;
	FILE *f;
	int ok = 0;
	cl_err rc;

	*size = -1;
	if ((rc = ld_path(d, "checkpoint", path, sizeof path)) != CL_OK)
		return rc;
	if ((f = fopen(path, "rb")) == NULL) {
		if (errno == ENOENT)
			return CL_OK;
		snprintf(err, errlen, "cannot read %s: %s", path,
		    strerror(errno));
		return CL_EIO;
	}
	buf = cl_malloc(CP_MAX);
	len = fread(buf, 1, CP_MAX, f);
	fclose(f);
	if (cl_tlog_note_open(buf, len, &d->key, 1, &text, &ok, NULL) !=
		CL_OK ||
	    !ok) {
		snprintf(err, errlen,
		    "%s is not signed by this log's key (%s): refusing to run",
		    path, d->cfg->log_key_file);
		rc = CL_EVERIFY;
		goto err;
	}
	if (cl_tlog_checkpoint_parse(buf, text, &c) != CL_OK ||
	    strcmp(c.origin, d->cfg->log_origin) != 0) {
		snprintf(err, errlen, "%s is not a checkpoint of %s", path,
		    d->cfg->log_origin);
		rc = CL_EVERIFY;
		goto err;
	}
	if (c.size > d->state.size) {
		snprintf(err, errlen,
		    "%s is at size %lld, ahead of the store's log (%lld): "
		    "refusing to run",
		    path, (long long)c.size, (long long)d->state.size);
		rc = CL_EVERIFY;
		goto err;
	}
	if (c.size > 0 &&
	    ((rc = cl_tlog_tree_hash(c.size, ld_hashes_read, &d->h, root)) !=
		    CL_OK ||
		memcmp(root, c.root, CL_TLOG_HASH) != 0)) {
		snprintf(err, errlen,
		    "%s (size %lld) is not a prefix of the store's log: "
		    "refusing to run",
		    path, (long long)c.size);
		rc = CL_EVERIFY;
		goto err;
	}
	*size = c.size;
	rc = CL_OK;
err:
	free(buf);
	return rc;
}

/*
 * Sign the checkpoint of the tree of size with root into out.
 * CL_ECRYPTO.
 */
static cl_err
sign(cl_logd *d, int64_t size, const unsigned char *root, cl_buf *out)
{
	cl_tlog_checkpoint c;
	cl_buf text = CL_BUF_INIT;
	cl_err rc;

	memset(&c, 0, sizeof c);
	snprintf(c.origin, sizeof c.origin, "%s", d->cfg->log_origin);
	c.size = size;
	memcpy(c.root, root, CL_TLOG_HASH);
	cl_tlog_checkpoint_text(&c, &text);
	rc = cl_tlog_note_sign(d->signer, text.data, text.len, out);
	cl_buf_free(&text);
	return rc;
}

/* Hand the newest checkpoint to the anchor thread.  Cannot fail. */
static void
share(cl_logd *d, int64_t size, const char *cp, size_t n)
{
	pthread_mutex_lock(&d->mu);
	cl_buf_reset(&d->latest);
	cl_buf_add(&d->latest, cp, n);
	if (size > d->latest_size && d->unanchored_ms == 0 &&
	    size > d->anchor_size)
		d->unanchored_ms = cl_now_ms();
	d->latest_size = size;
	ld_status_write(d);
	pthread_mutex_unlock(&d->mu);
}

cl_err
cl_logd_open(const cl_config *cfg, cl_logd **out, char *err, size_t errlen)
{
	static const char *const dirs[] = { ".state", "tile", "anchors",
		"proofs" };
	char vkey[CL_TLOG_VKEY_MAX + 1], path[PATH_MAX], *slash;
	unsigned char empty[CL_TLOG_HASH];
	cl_buf cp = CL_BUF_INIT;
	int64_t pub;
	size_t i;
	cl_logd *d;
	cl_err rc;

	*out = NULL;
	d = cl_calloc(1, sizeof *d);
	d->cfg = cfg;
	d->lock_fd = -1;
	pthread_mutex_init(&d->mu, NULL);
	pthread_cond_init(&d->cv, NULL);
	if (cfg->log_origin == NULL || cfg->log_origin[0] == '\0') {
		snprintf(err, errlen, "log_origin is not set: there is no log");
		rc = CL_ECONFIG;
		goto err;
	}
	snprintf(d->dir, sizeof d->dir, "%s", cfg->log_dir);
	/* What holds log_dir, when missing, is made private (it may be
	 * data_dir); log_dir and below are 0755, for nginx. */
	snprintf(path, sizeof path, "%s", d->dir);
	for (i = strlen(path); i > 1 && path[i - 1] == '/'; i--)
		path[i - 1] = '\0';
	if ((slash = strrchr(path, '/')) != NULL && slash != path) {
		*slash = '\0';
		if (cl_mkdirs(path, 0700) != CL_OK) {
			snprintf(err, errlen, "cannot make %s", path);
			rc = CL_EIO;
			goto err;
		}
	}
	for (i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
		if (ld_path(d, dirs[i], path, sizeof path) != CL_OK ||
		    cl_mkdirs(path, 0755) != CL_OK) {
			snprintf(err, errlen, "cannot make %s/%s", d->dir,
			    dirs[i]);
			rc = CL_EIO;
			goto err;
		}
	if ((rc = lock(d, err, errlen)) != CL_OK)
		goto err;
	if ((rc = cl_tlog_signer_load(cfg->log_key_file, cfg->log_origin,
		 &d->signer, err, errlen)) != CL_OK)
		goto err;
	cl_tlog_signer_vkey(d->signer, vkey);
	if ((rc = cl_tlog_vkey_parse(vkey, &d->key)) != CL_OK) {
		snprintf(err, errlen, "the log key gives a bad verifier key");
		goto err;
	}
	strcat(vkey, "\n");
	rc = ld_write(d, "log.vkey", vkey, strlen(vkey));
	vkey[strlen(vkey) - 1] = '\0';
	if (rc != CL_OK) {
		snprintf(err, errlen, "cannot write %s/log.vkey", d->dir);
		goto err;
	}
	if ((rc = ld_anchor_setup(d, err, errlen)) != CL_OK)
		goto err;
	if ((rc = cl_store_open(cfg->store, &d->st)) != CL_OK ||
	    (rc = cl_store_log_state(d->st, &d->state)) != CL_OK) {
		snprintf(err, errlen, "cannot use the store: %s",
		    cl_strerror(rc));
		goto err;
	}
	if ((rc = ld_path(d, ".state/hashes", path, sizeof path)) != CL_OK ||
	    (rc = ld_hashes_open(path, &d->h)) != CL_OK ||
	    (rc = hashes_catch_up(d)) != CL_OK) {
		snprintf(err, errlen,
		    "cannot bring %s/.state/hashes up to the store's log "
		    "(size %lld): %s",
		    d->dir, (long long)d->state.size, cl_strerror(rc));
		goto err;
	}
	if ((rc = published(d, &pub, err, errlen)) != CL_OK)
		goto err;
	if (pub < d->state.size) {
		cl_log(CL_LOG_INFO,
		    "logd: writing the tiles of sizes %lld to %lld and the "
		    "checkpoint",
		    (long long)(pub < 0 ? 0 : pub), (long long)d->state.size);
		if (d->state.size > 0 &&
		    (rc = ld_publish_tiles(d, pub < 0 ? 0 : pub,
			 d->state.size)) != CL_OK) {
			snprintf(err, errlen, "cannot write the tiles: %s",
			    cl_strerror(rc));
			goto err;
		}
		if (d->state.size > 0)
			cl_buf_add(&cp, d->state.checkpoint,
			    d->state.checkpoint_len);
		else {
			cl_sha256("", 0, empty);
			if ((rc = sign(d, 0, empty, &cp)) != CL_OK) {
				snprintf(err, errlen, "cannot sign");
				goto err;
			}
		}
		if ((rc = ld_write(d, "checkpoint", cp.data, cp.len)) !=
		    CL_OK) {
			snprintf(err, errlen, "cannot write the checkpoint");
			goto err;
		}
	}
	if (d->state.size > 0)
		share(d, d->state.size, d->state.checkpoint,
		    d->state.checkpoint_len);
	else {
		pthread_mutex_lock(&d->mu);
		ld_status_write(d);
		pthread_mutex_unlock(&d->mu);
	}
	if ((rc = ld_anchor_start(d)) != CL_OK) {
		snprintf(err, errlen, "cannot start the anchor thread");
		goto err;
	}
	cl_log(CL_LOG_INFO, "logd: %s at size %lld, key %s", cfg->log_origin,
	    (long long)d->state.size, vkey);
	cl_buf_free(&cp);
	*out = d;
	return CL_OK;
err:
	cl_buf_free(&cp);
	cl_logd_close(d);
	return rc;
}

cl_err
cl_logd_batch(cl_logd *d, size_t *n)
{
	cl_store_pending *p = NULL;
	cl_store_entry *e = NULL;
	cl_store_logstate next;
	cl_buf cp = CL_BUF_INIT;
	char(*entry)[CL_TLOG_ENTRY_LEN + 1] = NULL;
	int64_t old = d->state.size;
	size_t k = 0, i;
	cl_err rc;

	*n = 0;
	memset(&next, 0, sizeof next);
	if ((rc = cl_store_log_pending(d->st, LD_BATCH_MAX, &p, &k)) != CL_OK)
		goto err;
	if (k == 0)
		goto err;
	entry = cl_calloc(k, sizeof *entry);
	e = cl_calloc(k, sizeof *e);
	for (i = 0; i < k; i++) {
		cl_tlog_entry(p[i].receipt, p[i].receipt_len, entry[i]);
		e[i].idx = old + (int64_t)i;
		memcpy(e[i].token, p[i].token, sizeof e[i].token);
		e[i].entry = entry[i];
		e[i].len = CL_TLOG_ENTRY_LEN;
		if ((rc = ld_hashes_add(&d->h, e[i].idx, entry[i],
			 CL_TLOG_ENTRY_LEN)) != CL_OK)
			goto undo;
	}
	next.size = old + (int64_t)k;
	if ((rc = cl_tlog_tree_hash(next.size, ld_hashes_read, &d->h,
		 next.root)) != CL_OK ||
	    (rc = sign(d, next.size, next.root, &cp)) != CL_OK)
		goto undo;
	next.checkpoint = cp.data;
	next.checkpoint_len = cp.len;
	if ((rc = cl_store_log_append(d->st, &d->state, &next, e, k)) != CL_OK)
		goto undo;
	cl_store_logstate_free(&d->state);
	d->state = next;
	d->state.checkpoint = cl_strndup(cp.data, cp.len);
	*n = k;
	/* Committed: anything failing from here on is for a restart. */
	if ((rc = ld_hashes_sync(&d->h)) != CL_OK)
		goto err;
	test_stop("after-commit");
	if ((rc = ld_publish_tiles(d, old, next.size)) != CL_OK) {
		rc = CL_EIO;
		goto err;
	}
	test_stop("after-tiles");
	if ((rc = ld_write(d, "checkpoint", cp.data, cp.len)) != CL_OK)
		goto err;
	share(d, next.size, cp.data, cp.len);
	rc = CL_OK;
	goto err;
undo:
	ld_hashes_truncate(&d->h, old);
	if (rc != CL_EDUP && rc != CL_EUNAVAIL)
		rc = CL_EUNAVAIL;
err:
	cl_store_pending_free(p, k);
	free(entry);
	free(e);
	cl_buf_free(&cp);
	return rc;
}

void
cl_logd_close(cl_logd *d)
{
	if (d == NULL)
		return;
	ld_anchor_stop(d);
	cl_store_close(d->st);
	cl_store_logstate_free(&d->state);
	ld_hashes_close(&d->h);
	cl_tlog_signer_free(d->signer);
	cl_buf_free(&d->latest);
	free(d->wit_failures);
	free(d->wit);
	if (d->lock_fd >= 0)
		close(d->lock_fd);
	pthread_mutex_destroy(&d->mu);
	pthread_cond_destroy(&d->cv);
	free(d);
}

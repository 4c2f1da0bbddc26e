/*
 * logd_int.h: callin-logd's private parts: the stored hashes
 * (hashes.c), the files it publishes (publish.c), the sequencer
 * (sequencer.c), the anchor thread (anchor.c) and the status (status.c).
 */
#ifndef CALLIN_LOGD_INT_H
#define CALLIN_LOGD_INT_H

#include <limits.h>
#include <pthread.h>
#include <stdint.h>

#include "callin/anchor.h"
#include "callin/buf.h"
#include "callin/config.h"
#include "callin/logd.h"
#include "callin/store.h"
#include "callin/tlog.h"

#define LD_BATCH_MAX CL_LOGD_BATCH_MAX /* entries read or sequenced at once */
#define LD_TSA_MAX 8		       /* authorities in tsa_urls at most */

/* The tree's stored hashes: in memory, and in .state/hashes. */
struct ld_hashes {
	int fd;		  /* .state/hashes */
	unsigned char *v; /* n hashes */
	int64_t n, cap;
	int64_t synced; /* hashes in the file */
};

/* One authority of tsa_urls. */
struct ld_tsa {
	char name[CL_TSA_NAME_MAX];
	char url[512];
	int64_t failures;
};

struct cl_logd {
	const cl_config *cfg;
	char dir[PATH_MAX]; /* log_dir */
	int lock_fd;
	cl_store *st;
	cl_tlog_signer *signer;
	cl_tlog_verifier key;
	struct ld_hashes h;
	cl_store_logstate state;

	/* Shared with the anchor thread, under mu. */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stopping;
	cl_buf latest; /* the newest signed checkpoint */
	int64_t latest_size;
	int64_t anchor_size, anchor_ms, unanchored_ms, anchors;
	struct ld_tsa tsa[LD_TSA_MAX];
	size_t ntsa;
	cl_witness *wit; /* log_witnesses; w->size only in the anchor thread */
	size_t nwit;
	int64_t *wit_failures; /* per witness, as wit[] */
	pthread_t thread;
	int thread_started;
};

/* hashes.c */
cl_err ld_hashes_open(const char *path, struct ld_hashes *h);
void ld_hashes_close(struct ld_hashes *h);
cl_err ld_hashes_read(void *arg, int64_t index,
    unsigned char out[CL_TLOG_HASH]);
cl_err ld_hashes_pread(void *arg, int64_t index,
    unsigned char out[CL_TLOG_HASH]);
cl_err ld_hashes_add(struct ld_hashes *h, int64_t n, const char *entry,
    size_t len);
cl_err ld_hashes_sync(struct ld_hashes *h);
int64_t ld_hashes_records(const struct ld_hashes *h);
void ld_hashes_truncate(struct ld_hashes *h, int64_t records);

/* publish.c */
cl_err ld_path(const cl_logd *d, const char *rel, char *out, size_t n);
cl_err ld_write(const cl_logd *d, const char *rel, const void *p, size_t n);
cl_err ld_publish_tiles(cl_logd *d, int64_t old, int64_t size);

/* anchor.c */
cl_err ld_anchor_setup(cl_logd *d, char *err, size_t errlen);
cl_err ld_anchor_start(cl_logd *d);
void ld_anchor_stop(cl_logd *d);

/* status.c: call with d->mu held. */
void ld_status_write(cl_logd *d);

#endif /* CALLIN_LOGD_INT_H */

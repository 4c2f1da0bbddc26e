/*
 * logd.h: callin-logd, the transparency log's one sequencer (DESIGN.md
 * section 9).  It takes the requests the store queued for the log, gives
 * them indices, appends them to the store's log state by compare-and-swap,
 * then writes the tiles, the entry bundles and last the signed checkpoint
 * under log_dir; a thread of its own anchors the checkpoint (RFC 3161
 * tokens from tsa_urls, cosignatures from log_witnesses) every
 * log_anchor_interval when the tree grew, and writes each entry's proof.
 *
 * Files under log_dir, each written temp -> fsync -> rename -> fsync(dir):
 *   checkpoint, log.vkey, tile/<L>/<N>[.p/<W>], tile/entries/<N>[.p/<W>],
 *   anchors/<size>.checkpoint, anchors/<size>.<tsa>.tsr, anchors/latest,
 *   proofs/<hex>.tlog-proof, proofs/<hex>.tsr, proofs/<hex>.<tsa>.tsr;
 *   .state/lock (flock: one logd per log_dir), .state/hashes (the tree's
 *   stored hashes, derived from the store's entries), .state/status
 *   (logstatus.h).
 *
 * Test hook: with CALLIN_TEST_LOGD_STOP=after-commit (after the store's
 * append, before the tiles) or after-tiles (before the checkpoint) the
 * sequencer stops itself with SIGSTOP there, for the fault tests to kill.
 */
#ifndef CALLIN_LOGD_H
#define CALLIN_LOGD_H

#include <signal.h>
#include <stddef.h>

#include "callin/config.h"
#include "callin/err.h"

#define CL_LOGD_BATCH_MAX 4096 /* requests sequenced in one batch at most */

typedef struct cl_logd cl_logd;

/*
 * Start the sequencer for cfg (log_origin set): take the lock, load the
 * log key, open the store, bring .state/hashes up to the store's state,
 * check the published checkpoint against it (same key, a prefix of the
 * state), write what a crash left unwritten (tiles, checkpoint), and start
 * the anchor thread.  On success *out is the sequencer.  CL_ECONFIG with
 * one line in err for a bad setting or a second logd on log_dir;
 * CL_EVERIFY when the published checkpoint and the state disagree;
 * CL_EUNAVAIL when the store cannot be used; CL_EIO.
 */
cl_err cl_logd_open(const cl_config *cfg, cl_logd **out, char *err,
    size_t errlen);

/*
 * Sequence one batch of queued requests (at most CL_LOGD_BATCH_MAX: fewer
 * means the queue is empty now); *n gets how many.  CL_EUNAVAIL
 * when the store could not be used (try again later; nothing was
 * published); CL_EDUP when the store's state moved under us (another
 * sequencer: stop); CL_EIO when a file could not be written (stop: a
 * restart writes it).
 */
cl_err cl_logd_batch(cl_logd *d, size_t *n);

/* Stop the anchor thread, release the lock and free d.  NULL is fine. */
void cl_logd_close(cl_logd *d);

#endif /* CALLIN_LOGD_H */

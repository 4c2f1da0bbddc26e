/*
 * tlog.h: the transparency log's formats and algorithms (DESIGN.md §9),
 * exactly as the C2SP specs and RFC 6962 / RFC 9162 give them, so that
 * others' tools (golang.org/x/mod/sumdb/tlog and note, torchwood) check
 * what we make.  Nothing here does I/O: hashes come from a reader the
 * caller gives, files are built in buffers.
 *
 *   entry       callin-log-entry-v1\nreceipt: sha256:<64 hex>\n (the hex
 *               of SHA-256 over the whole receipt.txt)
 *   hashing     leaf = SHA-256(0x00 || entry), node = SHA-256(0x01 || l || r)
 *   stored      the hashes x/mod's tlog stores for a tree: for each record
 *               its leaf hash and the hashes of the complete subtrees it
 *               completes, numbered as tlog.StoredHashIndex numbers them
 *   tiles       c2sp.org/tlog-tiles: tile/<L>/<N>[.p/<W>] (256 hashes of
 *               tree level 8L), tile/entries/<N>[.p/<W>] (uint16 length ||
 *               entry, each)
 *   note        c2sp.org/signed-note with Ed25519 (type 0x01) and witness
 *               cosignatures (cosignature/v1, type 0x04)
 *   checkpoint  c2sp.org/tlog-checkpoint: <origin>\n<size>\n<base64 root>\n
 *   proof       c2sp.org/tlog-proof@v1: header, index, inclusion hashes,
 *               blank line, the checkpoint with its signatures
 */
#ifndef CALLIN_TLOG_H
#define CALLIN_TLOG_H

#include <stddef.h>
#include <stdint.h>

#include "callin/buf.h"
#include "callin/err.h"

#define CL_TLOG_HASH 32		/* bytes of a hash */
#define CL_TLOG_ENTRY_LEN 101	/* bytes of an entry (no NUL) */
#define CL_TLOG_ENTRY_HEX_AT 36 /* where its receipt's hex starts */
#define CL_TLOG_PROOF_MAX 63	/* hashes in a proof, at most */
#define CL_TLOG_TILE_WIDTH 256	/* hashes in a full tile */
#define CL_TLOG_ORIGIN_MAX 256	/* longest origin, with its NUL */
#define CL_TLOG_VKEY_MAX 400	/* longest verifier key, with its NUL */
#define CL_TLOG_PATH_MAX 64	/* longest tile path, with its NUL */
#define CL_TLOG_SIGS_MAX 16	/* signature lines a note may carry */

/* --- entries and hashing (hash.c) --- */

/*
 * Write into out (CL_TLOG_ENTRY_LEN bytes and a NUL) the log entry of the
 * n bytes of receipt.txt at receipt.  Cannot fail.
 */
void cl_tlog_entry(const void *receipt, size_t n,
    char out[CL_TLOG_ENTRY_LEN + 1]);
/* RFC 6962 leaf hash of the n bytes at entry.  Cannot fail. */
void cl_tlog_leaf_hash(const void *entry, size_t n,
    unsigned char out[CL_TLOG_HASH]);
/* RFC 6962 interior node hash of l and r.  Cannot fail. */
void cl_tlog_node_hash(const unsigned char l[CL_TLOG_HASH],
    const unsigned char r[CL_TLOG_HASH], unsigned char out[CL_TLOG_HASH]);

/* --- the tree from its stored hashes (tree.c) --- */

/*
 * Reads the stored hash number index (as cl_tlog_stored_index() numbers
 * them) into out.  Returns CL_OK, or an error the caller passes on.
 */
typedef cl_err (
    *cl_tlog_reader)(void *arg, int64_t index, unsigned char out[CL_TLOG_HASH]);

/* Number of the stored hash of level and n (tlog.StoredHashIndex).  Cannot fail. */
int64_t cl_tlog_stored_index(int level, int64_t n);
/* Stored hashes of a tree of n records (tlog.StoredHashCount).  Cannot fail. */
int64_t cl_tlog_stored_count(int64_t n);
/*
 * The hashes to store, in order, when record n (0-based, the tree has n
 * records before it) with leaf hash leaf is added: leaf first, then each
 * subtree it completes (at most 64 in all, into out; *nout their number).
 * Earlier stored hashes are read through rd.  Fails with rd's error.
 */
cl_err cl_tlog_stored_hashes(int64_t n, const unsigned char leaf[CL_TLOG_HASH],
    cl_tlog_reader rd, void *arg, unsigned char out[][CL_TLOG_HASH],
    size_t *nout);
/* The root of the tree of the first n records.  Fails with rd's error. */
cl_err cl_tlog_tree_hash(int64_t n, cl_tlog_reader rd, void *arg,
    unsigned char root[CL_TLOG_HASH]);
/*
 * The inclusion proof of record index in the tree of size n (index < n)
 * into proof, *np hashes (RFC 9162 §2.1.3, as tlog.ProveRecord).
 * CL_EINVAL for index >= n; else rd's error.
 */
cl_err cl_tlog_prove_record(int64_t n, int64_t index, cl_tlog_reader rd,
    void *arg, unsigned char proof[][CL_TLOG_HASH], size_t *np);
/*
 * The consistency proof from size m to size n (0 < m <= n) into proof, *np
 * hashes (RFC 9162 §2.1.4, as tlog.ProveTree).  CL_EINVAL for a bad m;
 * else rd's error.
 */
cl_err cl_tlog_prove_tree(int64_t n, int64_t m, cl_tlog_reader rd, void *arg,
    unsigned char proof[][CL_TLOG_HASH], size_t *np);
/*
 * Check that leaf is record index of the tree of size n with root root,
 * by proof (np hashes).  CL_EVERIFY when it is not.  Cannot otherwise fail.
 */
cl_err cl_tlog_check_record(const unsigned char proof[][CL_TLOG_HASH],
    size_t np, int64_t n, const unsigned char root[CL_TLOG_HASH], int64_t index,
    const unsigned char leaf[CL_TLOG_HASH]);
/*
 * Check that the tree of size m and root mroot is a prefix of the tree of
 * size n and root nroot, by proof (np hashes).  CL_EVERIFY when not.
 */
cl_err cl_tlog_check_tree(const unsigned char proof[][CL_TLOG_HASH], size_t np,
    int64_t n, const unsigned char nroot[CL_TLOG_HASH], int64_t m,
    const unsigned char mroot[CL_TLOG_HASH]);

/* --- tiles (tile.c) --- */

/*
 * Write into out the path under the log's prefix of tile n at level (-1
 * for the entry bundles) with width hashes (entries) in it: "tile/0/x001/
 * x234/067", "tile/1/000.p/17", "tile/entries/000.p/5"; a width of
 * CL_TLOG_TILE_WIDTH is a full tile (no ".p/").  Cannot fail.
 */
void cl_tlog_tile_path(int level, int64_t n, int width,
    char out[CL_TLOG_PATH_MAX]);
/*
 * Append to out the hashes of tile n at level (>= 0) of the tree of size
 * size: its width is what size holds of it (at most 256), each hash being
 * the stored hash of level 8*level.  CL_EINVAL when size holds none of it;
 * else rd's error.
 */
cl_err cl_tlog_tile(int level, int64_t n, int64_t size, cl_tlog_reader rd,
    void *arg, cl_buf *out, int *width);
/* Append one entry (uint16 big-endian length, then its bytes) to a bundle. */
void cl_tlog_bundle_add(cl_buf *bundle, const void *entry, size_t n);

/* --- keys and signed notes (note.c) --- */

typedef struct cl_tlog_signer cl_tlog_signer; /* an Ed25519 note key */

/* A key that checks signatures on notes. */
typedef struct cl_tlog_verifier {
	char name[CL_TLOG_ORIGIN_MAX];
	uint32_t id;	       /* the key ID */
	unsigned char type;    /* 0x01 Ed25519, 0x04 cosignature/v1 */
	unsigned char key[32]; /* Ed25519 public key */
} cl_tlog_verifier;

/*
 * Load the Ed25519 private key in the PEM file path as the note key of
 * name (the log's origin).  CL_ECONFIG with one line in err when the file
 * cannot be read, is open to group or others, is not an Ed25519 key, or
 * name is not a valid key name (non-empty, no space, no '+').
 */
cl_err cl_tlog_signer_load(const char *path, const char *name,
    cl_tlog_signer **out, char *err, size_t errlen);
/*
 * Whether name is a note key name (and so a log origin): non-empty valid
 * UTF-8 of less than CL_TLOG_ORIGIN_MAX bytes, with no space, no control
 * character and no '+'.  Cannot fail.
 */
int cl_tlog_name_ok(const char *name);
/* Free the signer.  NULL is fine.  Cannot fail. */
void cl_tlog_signer_free(cl_tlog_signer *s);
/*
 * Write the signer's verifier key "<name>+<8 hex id>+<base64(0x01 ||
 * key)>" into out.  Cannot fail.
 */
void cl_tlog_signer_vkey(const cl_tlog_signer *s, char out[CL_TLOG_VKEY_MAX]);
/*
 * Parse the verifier key vkey (type 0x01 or 0x04; split at the first two
 * '+': the base64 may hold more).  CL_EPARSE when it is not one, or its
 * key ID does not match its name and key.
 */
cl_err cl_tlog_vkey_parse(const char *vkey, cl_tlog_verifier *out);
/*
 * Append to out the note text (ending in LF) signed with s: the text, a
 * blank line and "— <name> <base64(id || signature)>\n".  CL_EINVAL for
 * text that is not a note text (empty, no final LF, a control character
 * other than LF, invalid UTF-8); CL_ECRYPTO.
 */
cl_err cl_tlog_note_sign(const cl_tlog_signer *s, const char *text, size_t n,
    cl_buf *out);
/*
 * Split the signed note at note (n bytes) into its text (*text_len bytes
 * from the start) and check its signature lines against the verifiers
 * keys[0..nkeys): ok[i] is set to 1 when a line by keys[i] verifies (for a
 * 0x04 key the line's timestamp goes into when[i] if when is not NULL).
 * Lines by unknown keys are ignored.  CL_EPARSE for a malformed note or
 * more than CL_TLOG_SIGS_MAX lines; CL_EVERIFY when a line by a known key
 * does not verify.  Says nothing about which keys a caller requires.
 */
cl_err cl_tlog_note_open(const char *note, size_t n,
    const cl_tlog_verifier *keys, size_t nkeys, size_t *text_len, int *ok,
    uint64_t *when);

/* --- checkpoints (checkpoint.c) --- */

typedef struct cl_tlog_checkpoint {
	char origin[CL_TLOG_ORIGIN_MAX];
	int64_t size;
	unsigned char root[CL_TLOG_HASH];
} cl_tlog_checkpoint;

/*
 * Append to out the checkpoint note text "<origin>\n<size>\n<base64
 * root>\n" of c.  Cannot fail.
 */
void cl_tlog_checkpoint_text(const cl_tlog_checkpoint *c, cl_buf *out);
/*
 * Parse the checkpoint note text (n bytes: text only, no signatures) into
 * c.  CL_EPARSE when it is not three lines of origin, a decimal size
 * without leading zeros and a base64 32-byte hash (extension lines are
 * refused: we never write them).
 */
cl_err cl_tlog_checkpoint_parse(const char *text, size_t n,
    cl_tlog_checkpoint *c);
/*
 * The cosignature/v1 a witness key signs for a checkpoint text at time t:
 * append "cosignature/v1\ntime <t>\n" and the text to out.  Cannot fail.
 */
void cl_tlog_cosigned_message(uint64_t t, const char *text, size_t n,
    cl_buf *out);

/* --- proofs (proof.c) --- */

/*
 * Append to out the c2sp.org/tlog-proof@v1 file of record index with the
 * inclusion proof (np hashes) against the signed checkpoint note cp (n
 * bytes, signature lines included).  Cannot fail.
 */
void cl_tlog_proof_format(int64_t index,
    const unsigned char proof[][CL_TLOG_HASH], size_t np, const char *cp,
    size_t n, cl_buf *out);
/*
 * Parse the tlog-proof file at text (n bytes): *index, the proof hashes
 * (at most CL_TLOG_PROOF_MAX) and where the checkpoint note starts
 * (*cp, *cp_len point into text).  An "extra" line is skipped.  CL_EPARSE
 * when it is not a tlog-proof@v1 file.
 */
cl_err cl_tlog_proof_parse(const char *text, size_t n, int64_t *index,
    unsigned char proof[][CL_TLOG_HASH], size_t *np, const char **cp,
    size_t *cp_len);

/*
 * Check the tlog-proof file text (n bytes) for the receipt.txt at receipt
 * (rn bytes) against the log's key: parse the proof, open its checkpoint
 * with log (a line by it must verify; the origin must be its name) and
 * check that the receipt's entry is record *index of that tree.  *c gets
 * the checkpoint, *cp and *cp_len the signed checkpoint note inside text
 * (for the caller's cosignature checks) and *text_len its note text's
 * length (what a time-stamp is over), *why a short constant phrase
 * naming the check that failed ("" on success).  CL_EPARSE for a malformed
 * proof or checkpoint; CL_EVERIFY when the log's signature is missing or
 * bad, the origin is not the key's, or the entry is not in the tree.
 */
cl_err cl_tlog_proof_check(const cl_tlog_verifier *log, const char *text,
    size_t n, const void *receipt, size_t rn, int64_t *index,
    cl_tlog_checkpoint *c, const char **cp, size_t *cp_len, size_t *text_len,
    const char **why);

#endif /* CALLIN_TLOG_H */

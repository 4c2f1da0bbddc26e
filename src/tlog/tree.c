/*
 * tree.c: the Merkle tree from its stored hashes, numbered and computed
 * exactly as golang.org/x/mod/sumdb/tlog does (StoredHashIndex,
 * StoredHashesForRecordHash, TreeHash, ProveRecord, ProveTree, CheckRecord,
 * CheckTree), which follow RFC 6962 / RFC 9162 §2.1.
 */
#include <string.h>

#include "callin/hash.h"
#include "tlog_int.h"

#define MAX_SUBTREES 64 /* complete subtrees a range splits into, at most */

/* Number of the stored hash of level and n.  Cannot fail. */
int64_t
cl_tlog_stored_index(int level, int64_t n)
{
	int64_t i = 0;
	int l;

	CL_ASSERT(level >= 0 && level < 63 && n >= 0);
	/* Level L's n'th hash comes right after level L+1's 2n+1'th. */
	for (l = level; l > 0; l--)
		n = 2 * n + 1;
	/* Level 0's n'th hash is at n + n/2 + n/4 + ... */
	for (; n > 0; n >>= 1)
		i += n;
	return i + level;
}

/* Stored hashes of a tree of n records.  Cannot fail. */
int64_t
cl_tlog_stored_count(int64_t n)
{
	int64_t count;
	uint64_t i;

	if (n <= 0)
		return 0;
	count = cl_tlog_stored_index(0, n - 1) + 1;
	for (i = (uint64_t)(n - 1); (i & 1) != 0; i >>= 1)
		count++;
	return count;
}

/* k, the largest power of 2 below n (n >= 2), and its log in *l. */
static int64_t
maxpow2(int64_t n, int *l)
{
	int lv = 0;

	CL_ASSERT(n >= 2);
	while ((int64_t)1 << (lv + 1) < n)
		lv++;
	if (l != NULL)
		*l = lv;
	return (int64_t)1 << lv;
}

/*
 * The hash of the records [lo, hi) (lo < hi, lo aligned as the tree's
 * subtrees are) from the stored hashes of the complete subtrees it splits
 * into.  Fails with rd's error.
 */
static cl_err
subtree_hash(int64_t lo, int64_t hi, cl_tlog_reader rd, void *arg,
    unsigned char out[CL_TLOG_HASH])
{
	unsigned char h[MAX_SUBTREES][CL_TLOG_HASH];
	int64_t k;
	int level, nt = 0, i;
	cl_err rc;

	CL_ASSERT(lo < hi);
	do {
		k = maxpow2(hi - lo + 1, &level);
		CL_ASSERT((lo & (k - 1)) == 0 && nt < MAX_SUBTREES);
		if ((rc = rd(arg, cl_tlog_stored_index(level, lo >> level),
			 h[nt])) != CL_OK)
			return rc;
		nt++;
		lo += k;
	} while (lo < hi);
	memcpy(out, h[nt - 1], CL_TLOG_HASH);
	for (i = nt - 2; i >= 0; i--)
		cl_tlog_node_hash(h[i], out, out);
	return CL_OK;
}

/* The hashes to store when record n is added.  Fails with rd's error. */
cl_err
cl_tlog_stored_hashes(int64_t n, const unsigned char leaf[CL_TLOG_HASH],
    cl_tlog_reader rd, void *arg, unsigned char out[][CL_TLOG_HASH],
    size_t *nout)
{
	unsigned char old[CL_TLOG_HASH];
	int m = __builtin_ctzll((unsigned long long)n + 1), i;
	cl_err rc;

	CL_ASSERT(n >= 0 && m < 64);
	*nout = 0;
	memcpy(out[0], leaf, CL_TLOG_HASH);
	/* Each trailing 1 bit of n completes a subtree with its neighbour. */
	for (i = 0; i < m; i++) {
		if ((rc = rd(arg, cl_tlog_stored_index(i, (n >> i) - 1),
			 old)) != CL_OK)
			return rc;
		cl_tlog_node_hash(old, out[i], out[i + 1]);
	}
	*nout = (size_t)m + 1;
	return CL_OK;
}

/* The root of the first n records.  Fails with rd's error. */
cl_err
cl_tlog_tree_hash(int64_t n, cl_tlog_reader rd, void *arg,
    unsigned char root[CL_TLOG_HASH])
{
	CL_ASSERT(n >= 0);
	if (n == 0) {
		cl_sha256("", 0, root);
		return CL_OK;
	}
	return subtree_hash(0, n, rd, arg, root);
}

/* Append to proof the path to record i of [lo, hi).  Fails with rd's error. */
static cl_err
leaf_proof(int64_t lo, int64_t hi, int64_t i, cl_tlog_reader rd, void *arg,
    unsigned char proof[][CL_TLOG_HASH], size_t *np)
{
	int64_t k;
	cl_err rc;

	CL_ASSERT(lo <= i && i < hi);
	if (lo + 1 == hi)
		return CL_OK;
	CL_ASSERT(*np < CL_TLOG_PROOF_MAX);
	k = maxpow2(hi - lo, NULL);
	if (i < lo + k) {
		if ((rc = leaf_proof(lo, lo + k, i, rd, arg, proof, np)) !=
		    CL_OK)
			return rc;
		rc = subtree_hash(lo + k, hi, rd, arg, proof[*np]);
	} else {
		if ((rc = leaf_proof(lo + k, hi, i, rd, arg, proof, np)) !=
		    CL_OK)
			return rc;
		rc = subtree_hash(lo, lo + k, rd, arg, proof[*np]);
	}
	if (rc == CL_OK)
		(*np)++;
	return rc;
}

/* Inclusion proof of record index in the tree of size n. */
cl_err
cl_tlog_prove_record(int64_t n, int64_t index, cl_tlog_reader rd, void *arg,
    unsigned char proof[][CL_TLOG_HASH], size_t *np)
{
	*np = 0;
	if (index < 0 || n < 0 || index >= n)
		return CL_EINVAL;
	return leaf_proof(0, n, index, rd, arg, proof, np);
}

/* Append to proof the consistency path of m within [lo, hi). */
static cl_err
tree_proof(int64_t lo, int64_t hi, int64_t m, cl_tlog_reader rd, void *arg,
    unsigned char proof[][CL_TLOG_HASH], size_t *np)
{
	int64_t k;
	cl_err rc;

	CL_ASSERT(lo < m && m <= hi);
	if (m == hi) {
		if (lo == 0)
			return CL_OK; /* the old tree itself: the verifier has it */
		CL_ASSERT(*np < CL_TLOG_PROOF_MAX);
		if ((rc = subtree_hash(lo, hi, rd, arg, proof[*np])) == CL_OK)
			(*np)++;
		return rc;
	}
	k = maxpow2(hi - lo, NULL);
	if (m <= lo + k) {
		if ((rc = tree_proof(lo, lo + k, m, rd, arg, proof, np)) !=
		    CL_OK)
			return rc;
		CL_ASSERT(*np < CL_TLOG_PROOF_MAX);
		rc = subtree_hash(lo + k, hi, rd, arg, proof[*np]);
	} else {
		if ((rc = tree_proof(lo + k, hi, m, rd, arg, proof, np)) !=
		    CL_OK)
			return rc;
		CL_ASSERT(*np < CL_TLOG_PROOF_MAX);
		rc = subtree_hash(lo, lo + k, rd, arg, proof[*np]);
	}
	if (rc == CL_OK)
		(*np)++;
	return rc;
}

/* Consistency proof from size m to size n. */
cl_err
cl_tlog_prove_tree(int64_t n, int64_t m, cl_tlog_reader rd, void *arg,
    unsigned char proof[][CL_TLOG_HASH], size_t *np)
{
	*np = 0;
	if (n < 1 || m < 1 || m > n)
		return CL_EINVAL;
	return tree_proof(0, n, m, rd, arg, proof, np);
}

/*
 * Run the inclusion proof p[0..np) for record i of [lo, hi) with leaf hash
 * leaf: the subtree's hash into out.  CL_EVERIFY when p has the wrong
 * number of hashes.
 */
static cl_err
run_record(const unsigned char p[][CL_TLOG_HASH], size_t np, int64_t lo,
    int64_t hi, int64_t i, const unsigned char leaf[CL_TLOG_HASH],
    unsigned char out[CL_TLOG_HASH])
{
	unsigned char th[CL_TLOG_HASH];
	int64_t k;

	if (lo + 1 == hi) {
		if (np != 0)
			return CL_EVERIFY;
		memcpy(out, leaf, CL_TLOG_HASH);
		return CL_OK;
	}
	if (np == 0)
		return CL_EVERIFY;
	k = maxpow2(hi - lo, NULL);
	if (i < lo + k) {
		if (run_record(p, np - 1, lo, lo + k, i, leaf, th) != CL_OK)
			return CL_EVERIFY;
		cl_tlog_node_hash(th, p[np - 1], out);
	} else {
		if (run_record(p, np - 1, lo + k, hi, i, leaf, th) != CL_OK)
			return CL_EVERIFY;
		cl_tlog_node_hash(p[np - 1], th, out);
	}
	return CL_OK;
}

/* Check an inclusion proof.  CL_EVERIFY when it does not hold. */
cl_err
cl_tlog_check_record(const unsigned char proof[][CL_TLOG_HASH], size_t np,
    int64_t n, const unsigned char root[CL_TLOG_HASH], int64_t index,
    const unsigned char leaf[CL_TLOG_HASH])
{
	unsigned char h[CL_TLOG_HASH];

	if (n < 0 || index < 0 || index >= n || np > CL_TLOG_PROOF_MAX)
		return CL_EVERIFY;
	if (run_record(proof, np, 0, n, index, leaf, h) != CL_OK ||
	    memcmp(h, root, CL_TLOG_HASH) != 0)
		return CL_EVERIFY;
	return CL_OK;
}

/*
 * Run the consistency proof p[0..np) for the old size m within [lo, hi):
 * the old tree's part into oh, the new tree's into th.  CL_EVERIFY when p
 * has the wrong number of hashes.
 */
static cl_err
run_tree(const unsigned char p[][CL_TLOG_HASH], size_t np, int64_t lo,
    int64_t hi, int64_t m, const unsigned char old[CL_TLOG_HASH],
    unsigned char oh[CL_TLOG_HASH], unsigned char th[CL_TLOG_HASH])
{
	unsigned char o2[CL_TLOG_HASH], t2[CL_TLOG_HASH];
	int64_t k;

	if (m == hi) {
		if (lo == 0) {
			if (np != 0)
				return CL_EVERIFY;
			memcpy(oh, old, CL_TLOG_HASH);
			memcpy(th, old, CL_TLOG_HASH);
			return CL_OK;
		}
		if (np != 1)
			return CL_EVERIFY;
		memcpy(oh, p[0], CL_TLOG_HASH);
		memcpy(th, p[0], CL_TLOG_HASH);
		return CL_OK;
	}
	if (np == 0)
		return CL_EVERIFY;
	k = maxpow2(hi - lo, NULL);
	if (m <= lo + k) {
		if (run_tree(p, np - 1, lo, lo + k, m, old, o2, t2) != CL_OK)
			return CL_EVERIFY;
		memcpy(oh, o2, CL_TLOG_HASH);
		cl_tlog_node_hash(t2, p[np - 1], th);
	} else {
		if (run_tree(p, np - 1, lo + k, hi, m, old, o2, t2) != CL_OK)
			return CL_EVERIFY;
		cl_tlog_node_hash(p[np - 1], o2, oh);
		cl_tlog_node_hash(p[np - 1], t2, th);
	}
	return CL_OK;
}

/* Check a consistency proof.  CL_EVERIFY when it does not hold. */
cl_err
cl_tlog_check_tree(const unsigned char proof[][CL_TLOG_HASH], size_t np,
    int64_t n, const unsigned char nroot[CL_TLOG_HASH], int64_t m,
    const unsigned char mroot[CL_TLOG_HASH])
{
	unsigned char oh[CL_TLOG_HASH], th[CL_TLOG_HASH];

	if (n < 1 || m < 1 || m > n || np > CL_TLOG_PROOF_MAX)
		return CL_EVERIFY;
	if (run_tree(proof, np, 0, n, m, mroot, oh, th) != CL_OK ||
	    memcmp(oh, mroot, CL_TLOG_HASH) != 0 ||
	    memcmp(th, nroot, CL_TLOG_HASH) != 0)
		return CL_EVERIFY;
	return CL_OK;
}

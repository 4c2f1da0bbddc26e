/*
 * test_tlog.c: the transparency log's formats and algorithms: entries,
 * RFC 6962 hashing against the published test vectors (and a naive tree),
 * stored-hash numbering, inclusion and consistency proofs, tile paths and
 * tiles (the 70,000-leaf example), verifier keys (the '+' inside base64),
 * signed notes and cosignatures, checkpoints and tlog-proof files, and
 * every refusal of their parsers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "callin/hash.h"
#include "callin/tlog.h"
#include "test_receipt_fixtures.h"

/* The log key's verifier key as name "example.org/intake/log" (key A). */
#define LOG_NAME "example.org/intake/log"
#define LOG_VKEY \
	LOG_NAME "+06095ebf+AW3mPruGq9HWVJL0j/FAtT6AamFuSdjVKA/mKxojf+jG"
/* Key A's signature of the empty checkpoint, by `openssl pkeyutl -sign`. */
#define EMPTY_CP_TEXT \
	LOG_NAME "\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
#define EMPTY_CP_SIG \
	"\xe2\x80\x94 " LOG_NAME \
	" Bglev2X/c6w3t8Yl94KXV/OYqV3tP+hfLI3u8P0DfQaW" \
	"TMy+U9cvxTPbX7G/yhzSYQxIUMFZwCwat73QHb332e85Gws=\n"

static char *dir;

/* --- a tree in memory --- */

typedef struct memtree {
	unsigned char (*h)[CL_TLOG_HASH]; /* the stored hashes */
	int64_t n;			  /* stored hashes */
	int64_t cap;			  /* room for hashes */
	int64_t records;		  /* records added */
} memtree;

/* The reader over a memtree: refuses an index it does not hold. */
static cl_err
mem_read(void *arg, int64_t index, unsigned char out[CL_TLOG_HASH])
{
	memtree *t = arg;

	if (index < 0 || index >= t->n)
		return CL_ENOTFOUND;
	memcpy(out, t->h[index], CL_TLOG_HASH);
	return CL_OK;
}

/* Add a record with the given leaf hash to t. */
static void
mem_add(memtree *t, const unsigned char leaf[CL_TLOG_HASH])
{
	unsigned char out[64][CL_TLOG_HASH];
	size_t n, i;

	assert_int_equal(cl_tlog_stored_hashes(t->records, leaf, mem_read, t,
			     out, &n),
	    CL_OK);
	if (t->n + (int64_t)n > t->cap) {
		t->cap = 2 * t->cap + 64;
		t->h = realloc(t->h, (size_t)t->cap * CL_TLOG_HASH);
		assert_non_null(t->h);
	}
	for (i = 0; i < n; i++)
		memcpy(t->h[t->n + (int64_t)i], out[i], CL_TLOG_HASH);
	t->n += (int64_t)n;
	t->records++;
	assert_int_equal(t->n, cl_tlog_stored_count(t->records));
}

/* The leaf hash of record i of the synthetic logs: entry of "r<i>". */
static void
synth_leaf(int64_t i, unsigned char leaf[CL_TLOG_HASH])
{
	char r[32], e[CL_TLOG_ENTRY_LEN + 1];

	snprintf(r, sizeof r, "r%lld", (long long)i);
	cl_tlog_entry(r, strlen(r), e);
	cl_tlog_leaf_hash(e, CL_TLOG_ENTRY_LEN, leaf);
}

/* A tree of n synthetic records. */
static memtree
synth_tree(int64_t n)
{
	unsigned char leaf[CL_TLOG_HASH];
	memtree t = { NULL, 0, 0, 0 };
	int64_t i;

	for (i = 0; i < n; i++) {
		synth_leaf(i, leaf);
		mem_add(&t, leaf);
	}
	return t;
}

/* The RFC 6962 root of leaves [lo, hi), computed the naive way. */
static void
naive_root(const unsigned char (*leaves)[CL_TLOG_HASH], int64_t lo, int64_t hi,
    unsigned char out[CL_TLOG_HASH])
{
	unsigned char l[CL_TLOG_HASH], r[CL_TLOG_HASH];
	int64_t k = 1;

	if (hi - lo == 1) {
		memcpy(out, leaves[lo], CL_TLOG_HASH);
		return;
	}
	while (k * 2 < hi - lo)
		k *= 2;
	naive_root(leaves, lo, lo + k, l);
	naive_root(leaves, lo + k, hi, r);
	cl_tlog_node_hash(l, r, out);
}

static void
unhex32(const char *hex, unsigned char out[CL_TLOG_HASH])
{
	assert_int_equal(cl_unhex(hex, 64, out, CL_TLOG_HASH), CL_OK);
}

/* The RFC 6962 test leaves (transparency-dev/merkle testonly). */
static const char *const vec_leaves[8] = { "", "00", "10", "2021", "3031",
	"40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f" };
static const char *const vec_roots[9] = {
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
};

/* The tree of the RFC 6962 test leaves. */
static memtree
vec_tree(void)
{
	unsigned char b[16], leaf[CL_TLOG_HASH];
	memtree t = { NULL, 0, 0, 0 };
	size_t len;
	int i;

	for (i = 0; i < 8; i++) {
		len = strlen(vec_leaves[i]) / 2;
		if (len > 0)
			assert_int_equal(cl_unhex(vec_leaves[i], 2 * len, b,
					     len),
			    CL_OK);
		cl_tlog_leaf_hash(b, len, leaf);
		mem_add(&t, leaf);
	}
	return t;
}

/* --- entries and hashing --- */

static void
test_tlog_entry(void **state)
{
	static const char receipt[] = GOLDEN_RECEIPT;
	unsigned char md[CL_SHA256_LEN];
	char e[CL_TLOG_ENTRY_LEN + 1], hex[CL_SHA256_HEX], want[200];

	(void)state;
	cl_tlog_entry(receipt, strlen(receipt), e);
	cl_sha256(receipt, strlen(receipt), md);
	cl_hex(md, sizeof md, hex);
	snprintf(want, sizeof want, "callin-log-entry-v1\nreceipt: sha256:%s\n",
	    hex);
	assert_string_equal(e, want);
	assert_int_equal(strlen(e), CL_TLOG_ENTRY_LEN);
	assert_int_equal(CL_TLOG_ENTRY_LEN, 101);
}

static void
test_tlog_rfc6962_roots(void **state)
{
	unsigned char root[CL_TLOG_HASH], want[CL_TLOG_HASH];
	memtree t = vec_tree();
	int64_t n;

	(void)state;
	for (n = 0; n <= 8; n++) {
		unhex32(vec_roots[n], want);
		assert_int_equal(cl_tlog_tree_hash(n, mem_read, &t, root),
		    CL_OK);
		assert_memory_equal(root, want, CL_TLOG_HASH);
	}
	/* A reader's error comes back. */
	t.n = 3;
	assert_int_equal(cl_tlog_tree_hash(8, mem_read, &t, root),
	    CL_ENOTFOUND);
	free(t.h);
}

static void
test_tlog_stored_index(void **state)
{
	(void)state;
	/* tlog.StoredHashIndex: 0,1 -> 0,1; (1,0) -> 2; (0,2) -> 3 ... */
	assert_int_equal(cl_tlog_stored_index(0, 0), 0);
	assert_int_equal(cl_tlog_stored_index(0, 1), 1);
	assert_int_equal(cl_tlog_stored_index(1, 0), 2);
	assert_int_equal(cl_tlog_stored_index(0, 2), 3);
	assert_int_equal(cl_tlog_stored_index(0, 3), 4);
	assert_int_equal(cl_tlog_stored_index(1, 1), 5);
	assert_int_equal(cl_tlog_stored_index(2, 0), 6);
	assert_int_equal(cl_tlog_stored_index(0, 4), 7);
	assert_int_equal(cl_tlog_stored_count(0), 0);
	assert_int_equal(cl_tlog_stored_count(1), 1);
	assert_int_equal(cl_tlog_stored_count(2), 3);
	assert_int_equal(cl_tlog_stored_count(3), 4);
	assert_int_equal(cl_tlog_stored_count(4), 7);
	assert_int_equal(cl_tlog_stored_count(8), 15);
	/* Each count is the next record's first index. */
	assert_int_equal(cl_tlog_stored_count(1000),
	    cl_tlog_stored_index(0, 1000));
}

/* Every root of a 300-record tree equals the naive computation. */
static void
test_tlog_roots_naive(void **state)
{
	unsigned char(*leaves)[CL_TLOG_HASH], root[CL_TLOG_HASH],
	    want[CL_TLOG_HASH];
	memtree t = synth_tree(300);
	int64_t n;

	(void)state;
	leaves = malloc(300 * CL_TLOG_HASH);
	for (n = 0; n < 300; n++)
		synth_leaf(n, leaves[n]);
	for (n = 1; n <= 300; n++) {
		naive_root((const unsigned char(*)[CL_TLOG_HASH])leaves, 0, n,
		    want);
		assert_int_equal(cl_tlog_tree_hash(n, mem_read, &t, root),
		    CL_OK);
		assert_memory_equal(root, want, CL_TLOG_HASH);
	}
	free(leaves);
	free(t.h);
}

/* --- proofs --- */

static void
test_tlog_inclusion_vectors(void **state)
{
	static const char *const p08[] = {
		"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
		"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
		"6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"
	};
	static const char *const p58[] = {
		"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
		"ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
		"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"
	};
	unsigned char proof[CL_TLOG_PROOF_MAX][CL_TLOG_HASH],
	    want[CL_TLOG_HASH];
	memtree t = vec_tree();
	size_t np, i;

	(void)state;
	assert_int_equal(cl_tlog_prove_record(8, 0, mem_read, &t, proof, &np),
	    CL_OK);
	assert_int_equal(np, 3);
	for (i = 0; i < 3; i++) {
		unhex32(p08[i], want);
		assert_memory_equal(proof[i], want, CL_TLOG_HASH);
	}
	assert_int_equal(cl_tlog_prove_record(8, 5, mem_read, &t, proof, &np),
	    CL_OK);
	assert_int_equal(np, 3);
	for (i = 0; i < 3; i++) {
		unhex32(p58[i], want);
		assert_memory_equal(proof[i], want, CL_TLOG_HASH);
	}
	/* A tree of one: an empty proof. */
	assert_int_equal(cl_tlog_prove_record(1, 0, mem_read, &t, proof, &np),
	    CL_OK);
	assert_int_equal(np, 0);
	assert_int_equal(cl_tlog_prove_record(8, 8, mem_read, &t, proof, &np),
	    CL_EINVAL);
	assert_int_equal(cl_tlog_prove_record(8, -1, mem_read, &t, proof, &np),
	    CL_EINVAL);
	free(t.h);
}

/* Every record of every size up to 70 proves; any change refuses. */
static void
test_tlog_inclusion_all(void **state)
{
	unsigned char proof[CL_TLOG_PROOF_MAX][CL_TLOG_HASH],
	    root[CL_TLOG_HASH], next[CL_TLOG_HASH], leaf[CL_TLOG_HASH],
	    other[CL_TLOG_HASH];
	memtree t = synth_tree(71);
	int64_t n, i;
	size_t np;

	(void)state;
	for (n = 1; n <= 70; n++) {
		assert_int_equal(cl_tlog_tree_hash(n, mem_read, &t, root),
		    CL_OK);
		assert_int_equal(cl_tlog_tree_hash(n + 1, mem_read, &t, next),
		    CL_OK);
		for (i = 0; i < n; i++) {
			assert_int_equal(cl_tlog_prove_record(n, i, mem_read,
					     &t, proof, &np),
			    CL_OK);
			synth_leaf(i, leaf);
			assert_int_equal(cl_tlog_check_record(
					     (const unsigned char(*)[32])proof,
					     np, n, root, i, leaf),
			    CL_OK);
			/*
			 * Another leaf, index, tree (the next one), or a
			 * shorter, changed or longer proof.
			 */
			synth_leaf(i + 1, other);
			assert_int_equal(cl_tlog_check_record(
					     (const unsigned char(*)[32])proof,
					     np, n, root, i, other),
			    CL_EVERIFY);
			if (n > 1)
				assert_int_equal(
				    cl_tlog_check_record((const unsigned char(
								 *)[32])proof,
					np, n, root, (i + 1) % n, leaf),
				    CL_EVERIFY);
			assert_int_equal(cl_tlog_check_record(
					     (const unsigned char(*)[32])proof,
					     np, n + 1, next, i, leaf),
			    CL_EVERIFY);
			assert_int_equal(cl_tlog_check_record(
					     (const unsigned char(*)[32])proof,
					     np, n, root, n, leaf),
			    CL_EVERIFY);
			if (np > 0) {
				assert_int_equal(
				    cl_tlog_check_record((const unsigned char(
								 *)[32])proof,
					np - 1, n, root, i, leaf),
				    CL_EVERIFY);
				proof[np - 1][5] ^= 1;
				assert_int_equal(
				    cl_tlog_check_record((const unsigned char(
								 *)[32])proof,
					np, n, root, i, leaf),
				    CL_EVERIFY);
			}
			memcpy(proof[np], leaf, CL_TLOG_HASH);
			assert_int_equal(cl_tlog_check_record(
					     (const unsigned char(*)[32])proof,
					     np + 1, n, root, i, leaf),
			    CL_EVERIFY);
		}
	}
	free(t.h);
}

static void
test_tlog_consistency_vectors(void **state)
{
	static const struct {
		int64_t m, n;
		size_t np;
		const char *h[3];
	} vec[] = {
		{ 1, 8, 3,
		    { "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
			"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
			"6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4" } },
		{ 6, 8, 3,
		    { "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
			"ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
			"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" } },
		{ 2, 5, 2,
		    { "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
			"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
			NULL } },
	};
	unsigned char proof[CL_TLOG_PROOF_MAX][CL_TLOG_HASH],
	    want[CL_TLOG_HASH];
	memtree t = vec_tree();
	size_t v, i, np;

	(void)state;
	for (v = 0; v < sizeof vec / sizeof vec[0]; v++) {
		assert_int_equal(cl_tlog_prove_tree(vec[v].n, vec[v].m,
				     mem_read, &t, proof, &np),
		    CL_OK);
		assert_int_equal(np, vec[v].np);
		for (i = 0; i < np; i++) {
			unhex32(vec[v].h[i], want);
			assert_memory_equal(proof[i], want, CL_TLOG_HASH);
		}
	}
	assert_int_equal(cl_tlog_prove_tree(8, 8, mem_read, &t, proof, &np),
	    CL_OK);
	assert_int_equal(np, 0);
	assert_int_equal(cl_tlog_prove_tree(8, 0, mem_read, &t, proof, &np),
	    CL_EINVAL);
	assert_int_equal(cl_tlog_prove_tree(5, 6, mem_read, &t, proof, &np),
	    CL_EINVAL);
	free(t.h);
}

/* Every pair of sizes up to 70 is consistent; any change refuses. */
static void
test_tlog_consistency_all(void **state)
{
	unsigned char proof[CL_TLOG_PROOF_MAX][CL_TLOG_HASH],
	    roots[71][CL_TLOG_HASH];
	memtree t = synth_tree(70);
	int64_t n, m;
	size_t np;

	(void)state;
	for (n = 1; n <= 70; n++)
		assert_int_equal(cl_tlog_tree_hash(n, mem_read, &t, roots[n]),
		    CL_OK);
	for (n = 1; n <= 70; n++)
		for (m = 1; m <= n; m++) {
			assert_int_equal(cl_tlog_prove_tree(n, m, mem_read, &t,
					     proof, &np),
			    CL_OK);
#define CHECK(P, NP, N, NR, M, MR) \
	cl_tlog_check_tree((const unsigned char(*)[32])(P), NP, N, NR, M, MR)
			assert_int_equal(CHECK(proof, np, n, roots[n], m,
					     roots[m]),
			    CL_OK);
			/* The wrong old root, new root, or size. */
			if (m > 1)
				assert_int_equal(CHECK(proof, np, n, roots[n],
						     m, roots[m - 1]),
				    CL_EVERIFY);
			if (m < n) {
				assert_int_equal(CHECK(proof, np, n,
						     roots[n - 1], m, roots[m]),
				    CL_EVERIFY);
				assert_int_equal(CHECK(proof, np,
						     n - 1 > m ? n - 1 : n,
						     roots[n], m + 1, roots[m]),
				    CL_EVERIFY);
			}
			if (np > 0) {
				assert_int_equal(CHECK(proof, np - 1, n,
						     roots[n], m, roots[m]),
				    CL_EVERIFY);
				proof[0][0] ^= 0x80;
				assert_int_equal(CHECK(proof, np, n, roots[n],
						     m, roots[m]),
				    CL_EVERIFY);
			}
			memcpy(proof[np], roots[m], CL_TLOG_HASH);
			assert_int_equal(CHECK(proof, np + 1, n, roots[n], m,
					     roots[m]),
			    CL_EVERIFY);
		}
	assert_int_equal(CHECK(proof, 0, 5, roots[5], 6, roots[6]), CL_EVERIFY);
	assert_int_equal(CHECK(proof, 0, 5, roots[5], 0, roots[5]), CL_EVERIFY);
#undef CHECK
	free(t.h);
}

/* --- tiles --- */

static void
test_tlog_tile_paths(void **state)
{
	char p[CL_TLOG_PATH_MAX];

	(void)state;
	cl_tlog_tile_path(0, 1234067, 256, p);
	assert_string_equal(p, "tile/0/x001/x234/067");
	cl_tlog_tile_path(0, 0, 256, p);
	assert_string_equal(p, "tile/0/000");
	cl_tlog_tile_path(1, 0, 17, p);
	assert_string_equal(p, "tile/1/000.p/17");
	cl_tlog_tile_path(-1, 0, 5, p);
	assert_string_equal(p, "tile/entries/000.p/5");
	cl_tlog_tile_path(-1, 1000, 256, p);
	assert_string_equal(p, "tile/entries/x001/000");
	cl_tlog_tile_path(2, 999, 1, p);
	assert_string_equal(p, "tile/2/999.p/1");
	cl_tlog_tile_path(0, 1000000, 255, p);
	assert_string_equal(p, "tile/0/x001/x000/000.p/255");
	cl_tlog_tile_path(5, INT64_MAX, 255, p);
	assert_string_equal(p,
	    "tile/5/x009/x223/x372/x036/x854/x775/807.p/255");
}

/*
 * The 70,000-record tree: 273 full level-0 tiles and 273.p/112, level 1
 * 000 and 001.p/17, level 2 000.p/1, nothing at level 3; each tile is the
 * stored hashes of its tree level, and the tiles give back the root.
 */
static void
test_tlog_tiles_70000(void **state)
{
	unsigned char root[CL_TLOG_HASH], h[CL_TLOG_HASH];
	cl_buf b = CL_BUF_INIT;
	memtree t = synth_tree(70000);
	int w, i;

	(void)state;
	assert_int_equal(cl_tlog_tile(0, 272, 70000, mem_read, &t, &b, &w),
	    CL_OK);
	assert_int_equal(w, 256);
	assert_int_equal(b.len, 256 * CL_TLOG_HASH);
	/* Its first hash is record 272*256's leaf. */
	synth_leaf(272 * 256, h);
	assert_memory_equal(b.data, h, CL_TLOG_HASH);
	cl_buf_reset(&b);
	assert_int_equal(cl_tlog_tile(0, 273, 70000, mem_read, &t, &b, &w),
	    CL_OK);
	assert_int_equal(w, 112);
	assert_int_equal(b.len, 112 * CL_TLOG_HASH);
	synth_leaf(69999, h);
	assert_memory_equal(b.data + 111 * CL_TLOG_HASH, h, CL_TLOG_HASH);
	cl_buf_reset(&b);
	assert_int_equal(cl_tlog_tile(0, 274, 70000, mem_read, &t, &b, &w),
	    CL_EINVAL);
	assert_int_equal(cl_tlog_tile(1, 0, 70000, mem_read, &t, &b, &w),
	    CL_OK);
	assert_int_equal(w, 256);
	/* Level 1's hashes are the roots of 256-record subtrees. */
	for (i = 0; i < 256; i += 85) {
		assert_int_equal(mem_read(&t, cl_tlog_stored_index(8, i), h),
		    CL_OK);
		assert_memory_equal(b.data + i * CL_TLOG_HASH, h, CL_TLOG_HASH);
	}
	cl_buf_reset(&b);
	assert_int_equal(cl_tlog_tile(1, 1, 70000, mem_read, &t, &b, &w),
	    CL_OK);
	assert_int_equal(w, 17);
	cl_buf_reset(&b);
	assert_int_equal(cl_tlog_tile(2, 0, 70000, mem_read, &t, &b, &w),
	    CL_OK);
	assert_int_equal(w, 1);
	assert_int_equal(cl_tlog_tile(3, 0, 70000, mem_read, &t, &b, &w),
	    CL_EINVAL);
	assert_int_equal(cl_tlog_tile(-1, 0, 70000, mem_read, &t, &b, &w),
	    CL_EINVAL);
	assert_int_equal(cl_tlog_tile(8, 0, 70000, mem_read, &t, &b, &w),
	    CL_EINVAL);
	/* The level-2 hash is the root of the first 65,536 records. */
	assert_int_equal(cl_tlog_tree_hash(65536, mem_read, &t, root), CL_OK);
	assert_memory_equal(b.data, root, CL_TLOG_HASH);
	cl_buf_free(&b);
	free(t.h);
}

static void
test_tlog_bundle(void **state)
{
	char e[CL_TLOG_ENTRY_LEN + 1];
	cl_buf b = CL_BUF_INIT;

	(void)state;
	cl_tlog_entry("x", 1, e);
	cl_tlog_bundle_add(&b, e, CL_TLOG_ENTRY_LEN);
	cl_tlog_bundle_add(&b, "", 0);
	cl_tlog_bundle_add(&b, e, CL_TLOG_ENTRY_LEN);
	assert_int_equal(b.len, 2 * (2 + CL_TLOG_ENTRY_LEN) + 2);
	assert_int_equal((unsigned char)b.data[0], 0);
	assert_int_equal((unsigned char)b.data[1], 101);
	assert_memory_equal(b.data + 2, e, CL_TLOG_ENTRY_LEN);
	assert_memory_equal(b.data + 103, "\0\0\0\x65", 4);
	cl_buf_free(&b);
}

/* --- keys and notes --- */

static void
test_tlog_vkey_parse(void **state)
{
	cl_tlog_verifier v;
	static const char *const bad[] = {
		"",
		"example.com/foo",
		"example.com/foo+530d903a",
		"+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
		"example.com/foo+530D903A+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
		"example.com/foo+530d903+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
		"example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
		"example.com/fo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
		"example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2",
		"example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2l",
		"example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k=",
		"example.com/foo+530d903a+AukyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
		"example.com/foo+530d903a+ekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
		"exa mple+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
		"example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k\n",
	};
	size_t i;

	(void)state;
	assert_int_equal(cl_tlog_vkey_parse("example.com/foo+530d903a+"
					    "AekyeRrm56hApGFkyQR4ZCbV54Id2L"
					    "KaANYcrnKv3U2k",
			     &v),
	    CL_OK);
	assert_string_equal(v.name, "example.com/foo");
	assert_int_equal(v.id, 0x530d903a);
	assert_int_equal(v.type, 0x01);
	/* Go's sumdb key: its base64 holds '+' twice. */
	assert_int_equal(cl_tlog_vkey_parse("sum.golang.org+033de0ae+"
					    "Ac4zctda0e5eza+HJyk9SxEdh+"
					    "s3Ux18htTTAD8OuAn8",
			     &v),
	    CL_OK);
	assert_string_equal(v.name, "sum.golang.org");
	assert_int_equal(v.id, 0x033de0ae);
	assert_int_equal(cl_tlog_vkey_parse(LOG_VKEY, &v), CL_OK);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (cl_tlog_vkey_parse(bad[i], &v) != CL_EPARSE)
			fail_msg("accepted bad vkey %zu: %s", i, bad[i]);
		assert_string_equal(v.name, "");
	}
}

/* Write a new private key of type (EVP name) to dir/name with mode. */
static char *
write_key(const char *type, const char *name, mode_t mode)
{
	EVP_PKEY *k;
	BIO *b = BIO_new(BIO_s_mem());
	char *p, *path;
	long n;

	k = strcmp(type, "EC") == 0 ?
	    EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256") :
	    EVP_PKEY_Q_keygen(NULL, NULL, type);
	assert_non_null(k);
	assert_int_equal(PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL,
			     NULL),
	    1);
	n = BIO_get_mem_data(b, &p);
	p[n - 1] = '\0'; /* the PEM's final LF, put back below */
	{
		cl_buf t = CL_BUF_INIT;

		cl_buf_printf(&t, "%s\n", p);
		path = fx_write(dir, name, t.data, mode);
		cl_buf_free(&t);
	}
	BIO_free(b);
	EVP_PKEY_free(k);
	return path;
}

static void
test_tlog_signer_load(void **state)
{
	char err[512], vkey[CL_TLOG_VKEY_MAX], *path;
	cl_tlog_signer *s = NULL;
	cl_tlog_verifier v;

	(void)state;
	path = fx_write(dir, "a.pem", KEY_A_PRIV, 0600);
	assert_int_equal(cl_tlog_signer_load(path, LOG_NAME, &s, err,
			     sizeof err),
	    CL_OK);
	cl_tlog_signer_vkey(s, vkey);
	assert_string_equal(vkey, LOG_VKEY);
	assert_int_equal(cl_tlog_vkey_parse(vkey, &v), CL_OK);
	cl_tlog_signer_free(s);
	cl_tlog_signer_free(NULL);
	/* Each refusal says what is wrong, in one line. */
	assert_int_equal(cl_tlog_signer_load(path, "bad name", &s, err,
			     sizeof err),
	    CL_ECONFIG);
	assert_null(s);
	assert_non_null(strstr(err, "not a note key name"));
	assert_int_equal(cl_tlog_signer_load(path, "a+b", &s, err, sizeof err),
	    CL_ECONFIG);
	assert_int_equal(cl_tlog_signer_load(path, "", &s, err, sizeof err),
	    CL_ECONFIG);
	free(path);
	path = fx_write(dir, "open.pem", KEY_A_PRIV, 0640);
	assert_int_equal(cl_tlog_signer_load(path, LOG_NAME, &s, err,
			     sizeof err),
	    CL_ECONFIG);
	assert_non_null(strstr(err, "chmod 600"));
	free(path);
	path = write_key("EC", "ec.pem", 0600);
	assert_int_equal(cl_tlog_signer_load(path, LOG_NAME, &s, err,
			     sizeof err),
	    CL_ECONFIG);
	assert_non_null(strstr(err, "not an Ed25519 key"));
	free(path);
	path = fx_write(dir, "pub.pem", KEY_A_PUB, 0600);
	assert_int_equal(cl_tlog_signer_load(path, LOG_NAME, &s, err,
			     sizeof err),
	    CL_ECONFIG);
	assert_non_null(strstr(err, "not an unencrypted PEM private key"));
	free(path);
	path = fx_path(dir, "missing.pem");
	assert_int_equal(cl_tlog_signer_load(path, LOG_NAME, &s, err,
			     sizeof err),
	    CL_ECONFIG);
	assert_non_null(strstr(err, "missing.pem"));
	assert_null(strchr(err, '\n'));
	free(path);
}

/* Load key A as the log's signer. */
static cl_tlog_signer *
log_signer(void)
{
	cl_tlog_signer *s = NULL;
	char err[512], *path = fx_write(dir, "log.pem", KEY_A_PRIV, 0600);

	assert_int_equal(cl_tlog_signer_load(path, LOG_NAME, &s, err,
			     sizeof err),
	    CL_OK);
	free(path);
	return s;
}

/* Append a cosignature/v1 line by private key pem (name) at time t. */
static void
cosign(const char *pem, const char *name, uint64_t t, const char *text,
    size_t n, cl_buf *out, char vkey[CL_TLOG_VKEY_MAX])
{
	unsigned char pub[32], sig[4 + 8 + 64], kb[33], md[32];
	size_t publen = 32, siglen = 64;
	cl_buf msg = CL_BUF_INIT, b = CL_BUF_INIT;
	BIO *bio = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	char b64[200];
	int i;

	assert_non_null(k);
	assert_int_equal(EVP_PKEY_get_raw_public_key(k, pub, &publen), 1);
	kb[0] = 0x04;
	memcpy(kb + 1, pub, 32);
	cl_buf_printf(&b, "%s\n", name);
	cl_buf_add(&b, kb, 33);
	cl_sha256(b.data, b.len, md);
	memcpy(sig, md, 4);
	for (i = 0; i < 8; i++)
		sig[4 + i] = (unsigned char)(t >> (56 - 8 * i));
	cl_tlog_cosigned_message(t, text, n, &msg);
	assert_int_equal(EVP_DigestSignInit(c, NULL, NULL, NULL, k), 1);
	assert_int_equal(EVP_DigestSign(c, sig + 12, &siglen,
			     (unsigned char *)msg.data, msg.len),
	    1);
	EVP_EncodeBlock((unsigned char *)b64, sig, sizeof sig);
	cl_buf_printf(out, "\xe2\x80\x94 %s %s\n", name, b64);
	EVP_EncodeBlock((unsigned char *)b64, kb, sizeof kb);
	snprintf(vkey, CL_TLOG_VKEY_MAX, "%s+%02x%02x%02x%02x+%s", name, md[0],
	    md[1], md[2], md[3], b64);
	cl_buf_free(&msg);
	cl_buf_free(&b);
	EVP_MD_CTX_free(c);
	EVP_PKEY_free(k);
	BIO_free(bio);
}

static void
test_tlog_note_sign_open(void **state)
{
	static const char spec_note[] =
	    "This is an example message.\n\n\xe2\x80\x94 example.com/foo "
	    "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjO"
	    "BH3mFXmRKuwHjG1Yu72IneyaQM=\n";
	cl_tlog_signer *s = log_signer();
	cl_tlog_verifier keys[3];
	char wvkey[CL_TLOG_VKEY_MAX];
	cl_buf b = CL_BUF_INIT;
	size_t tlen;
	uint64_t when[3];
	int ok[3];

	(void)state;
	/* The signed-note spec's example. */
	assert_int_equal(cl_tlog_vkey_parse("example.com/foo+530d903a+"
					    "AekyeRrm56hApGFkyQR4ZCbV54Id2L"
					    "KaANYcrnKv3U2k",
			     &keys[0]),
	    CL_OK);
	assert_int_equal(cl_tlog_note_open(spec_note, strlen(spec_note), keys,
			     1, &tlen, ok, NULL),
	    CL_OK);
	assert_int_equal(ok[0], 1);
	assert_int_equal(tlen, 28);
	/* Our signature is openssl's (Ed25519 is deterministic). */
	assert_int_equal(cl_tlog_note_sign(s, EMPTY_CP_TEXT,
			     strlen(EMPTY_CP_TEXT), &b),
	    CL_OK);
	assert_string_equal(b.data, EMPTY_CP_TEXT "\n" EMPTY_CP_SIG);
	assert_int_equal(cl_tlog_vkey_parse(LOG_VKEY, &keys[1]), CL_OK);
	/* Unknown keys are ignored; ours verifies. */
	assert_int_equal(cl_tlog_note_open(b.data, b.len, keys, 2, &tlen, ok,
			     when),
	    CL_OK);
	assert_int_equal(ok[0], 0);
	assert_int_equal(ok[1], 1);
	assert_int_equal(when[1], 0);
	assert_int_equal(tlen, strlen(EMPTY_CP_TEXT));
	/* A witness cosigns: its time comes back. */
	cosign(KEY_B_PRIV, "witness.example/w1", 1679315147, b.data,
	    strlen(EMPTY_CP_TEXT), &b, wvkey);
	assert_int_equal(cl_tlog_vkey_parse(wvkey, &keys[2]), CL_OK);
	assert_int_equal(keys[2].type, 0x04);
	assert_int_equal(cl_tlog_note_open(b.data, b.len, keys, 3, &tlen, ok,
			     when),
	    CL_OK);
	assert_int_equal(ok[1], 1);
	assert_int_equal(ok[2], 1);
	assert_int_equal(when[2], 1679315147);
	/* A changed text fails for a known key... */
	b.data[strlen(LOG_NAME) + 1] = '1';
	assert_int_equal(cl_tlog_note_open(b.data, b.len, keys + 1, 1, &tlen,
			     ok, when),
	    CL_EVERIFY);
	assert_int_equal(ok[0], 0);
	assert_int_equal(cl_tlog_note_open(b.data, b.len, keys + 2, 1, &tlen,
			     ok, when),
	    CL_EVERIFY);
	/* ... and is no concern of a caller who knows neither. */
	assert_int_equal(cl_tlog_note_open(b.data, b.len, keys, 1, &tlen, ok,
			     when),
	    CL_OK);
	assert_int_equal(ok[0], 0);
	/* A cosignature is no plain signature by the same name and ID. */
	b.data[strlen(LOG_NAME) + 1] = '0';
	keys[2].type = 0x01;
	assert_int_equal(cl_tlog_note_open(b.data, b.len, keys + 2, 1, &tlen,
			     ok, when),
	    CL_EVERIFY);
	assert_int_equal(ok[0], 0);
	/* Texts that are not note texts are not signed. */
	cl_buf_reset(&b);
	assert_int_equal(cl_tlog_note_sign(s, "", 0, &b), CL_EINVAL);
	assert_int_equal(cl_tlog_note_sign(s, "no lf", 5, &b), CL_EINVAL);
	assert_int_equal(cl_tlog_note_sign(s, "tab\there\n", 9, &b), CL_EINVAL);
	assert_int_equal(cl_tlog_note_sign(s, "\xff\xfe\n", 3, &b), CL_EINVAL);
	assert_int_equal(cl_tlog_note_sign(s, "a\0b\n", 4, &b), CL_EINVAL);
	assert_int_equal(b.len, 0);
	cl_buf_free(&b);
	cl_tlog_signer_free(s);
}

/* Every malformed note is CL_EPARSE. */
static void
test_tlog_note_malformed(void **state)
{
#define SIG \
	"\xe2\x80\x94 " LOG_NAME \
	" Bglev2X/c6w3t8Yl94KXV/OYqV3tP+hfLI3u8P0DfQaW" \
	"TMy+U9cvxTPbX7G/yhzSYQxIUMFZwCwat73QHb332e85Gws="
	static const char *const bad[] = {
		"",
		"\n",
		EMPTY_CP_TEXT,
		EMPTY_CP_TEXT "\n",
		EMPTY_CP_TEXT SIG "\n",
		EMPTY_CP_TEXT "\n" SIG,
		EMPTY_CP_TEXT "\n" SIG "\n\n",
		EMPTY_CP_TEXT "\n- " LOG_NAME " AAAAAAAA\n",
		EMPTY_CP_TEXT "\n\xe2\x80\x94 " LOG_NAME "\n",
		EMPTY_CP_TEXT "\n\xe2\x80\x94  AAAAAAAA\n",
		EMPTY_CP_TEXT "\n\xe2\x80\x94 " LOG_NAME " AAAA\n",
		EMPTY_CP_TEXT "\n\xe2\x80\x94 " LOG_NAME " AAAAAAA\n",
		EMPTY_CP_TEXT "\n\xe2\x80\x94 " LOG_NAME " AAAAAAAA \n",
		EMPTY_CP_TEXT "\n\xe2\x80\x94 a+b AAAAAAAA\n",
		EMPTY_CP_TEXT "\n" SIG "\r\n",
		"bad\x01text\n\n" SIG "\n",
		"bad \xc3\x28 utf8\n\n" SIG "\n",
	};
	cl_tlog_verifier k;
	cl_buf b = CL_BUF_INIT;
	size_t i, tlen;
	int ok, n;

	(void)state;
	assert_int_equal(cl_tlog_vkey_parse(LOG_VKEY, &k), CL_OK);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (cl_tlog_note_open(bad[i], strlen(bad[i]), &k, 1, &tlen, &ok,
			NULL) != CL_EPARSE)
			fail_msg("accepted malformed note %zu", i);
	/* Sixteen signature lines are fine, seventeen are not. */
	cl_buf_puts(&b, EMPTY_CP_TEXT "\n");
	for (n = 0; n < 16; n++)
		cl_buf_puts(&b, "\xe2\x80\x94 other.example AAAAAAAA\n");
	assert_int_equal(cl_tlog_note_open(b.data, b.len, &k, 1, &tlen, &ok,
			     NULL),
	    CL_OK);
	assert_int_equal(ok, 0);
	cl_buf_puts(&b, SIG "\n");
	assert_int_equal(cl_tlog_note_open(b.data, b.len, &k, 1, &tlen, &ok,
			     NULL),
	    CL_EPARSE);
	assert_int_equal(ok, 0);
	/* Our own line with a short signature fails: it is ours. */
	cl_buf_reset(&b);
	cl_buf_puts(&b, EMPTY_CP_TEXT "\n\xe2\x80\x94 " LOG_NAME " BglevwAA\n");
	assert_int_equal(cl_tlog_note_open(b.data, b.len, &k, 1, &tlen, &ok,
			     NULL),
	    CL_EVERIFY);
	cl_buf_free(&b);
#undef SIG
}

/* --- checkpoints and proofs --- */

static void
test_tlog_checkpoint(void **state)
{
	static const char *const bad[] = {
		"",
		"example.org/log\n",
		"example.org/log\n0\n",
		"example.org/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
		"example.org/log\n00\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
		"example.org/log\n01\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
		"example.org/log\n-1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
		"example.org/log\n+1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
		"example.org/log\n\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
		"example.org/log\n9223372036854775808\n"
		"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
		"example.org/log\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFV=\n",
		"example.org/log\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuF=\n",
		"example.org/log\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFUA\n",
		"example.org/log\n1\nAAAA\n",
		"example.org/log\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
		"extension\n",
		"\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
		"example.org log\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
		"example.org/log\n1 \n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
	};
	cl_tlog_checkpoint c, d;
	cl_buf b = CL_BUF_INIT;
	size_t i;

	(void)state;
	memset(&c, 0, sizeof c);
	strcpy(c.origin, "callin.example.gov.uk/log");
	c.size = 9223372036854775807LL;
	for (i = 0; i < CL_TLOG_HASH; i++)
		c.root[i] = (unsigned char)(i * 7);
	cl_tlog_checkpoint_text(&c, &b);
	assert_int_equal(cl_tlog_checkpoint_parse(b.data, b.len, &d), CL_OK);
	assert_string_equal(d.origin, c.origin);
	assert_int_equal(d.size, c.size);
	assert_memory_equal(d.root, c.root, CL_TLOG_HASH);
	cl_buf_reset(&b);
	c.size = 0;
	cl_sha256("", 0, c.root);
	strcpy(c.origin, LOG_NAME);
	cl_tlog_checkpoint_text(&c, &b);
	assert_string_equal(b.data, EMPTY_CP_TEXT);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (cl_tlog_checkpoint_parse(bad[i], strlen(bad[i]), &d) !=
		    CL_EPARSE)
			fail_msg("accepted bad checkpoint %zu", i);
		assert_string_equal(d.origin, "");
	}
	/* The cosigned message of the cosignature spec. */
	cl_buf_reset(&b);
	cl_tlog_cosigned_message(1679315147, "o\n1\nr\n", 6, &b);
	assert_string_equal(b.data,
	    "cosignature/v1\ntime 1679315147\no\n1\nr\n");
	cl_buf_free(&b);
}

static void
test_tlog_proof_round_trip(void **state)
{
	unsigned char proof[CL_TLOG_PROOF_MAX][CL_TLOG_HASH],
	    got[CL_TLOG_PROOF_MAX][CL_TLOG_HASH], root[CL_TLOG_HASH],
	    leaf[CL_TLOG_HASH];
	cl_tlog_signer *s = log_signer();
	cl_tlog_checkpoint c;
	cl_tlog_verifier k;
	cl_buf text = CL_BUF_INIT, note = CL_BUF_INIT, file = CL_BUF_INIT;
	memtree t = synth_tree(21);
	const char *cp;
	size_t np, gn, cplen, tlen;
	int64_t index;
	int ok;

	(void)state;
	memset(&c, 0, sizeof c);
	strcpy(c.origin, LOG_NAME);
	c.size = 21;
	assert_int_equal(cl_tlog_tree_hash(21, mem_read, &t, c.root), CL_OK);
	cl_tlog_checkpoint_text(&c, &text);
	assert_int_equal(cl_tlog_note_sign(s, text.data, text.len, &note),
	    CL_OK);
	assert_int_equal(cl_tlog_prove_record(21, 13, mem_read, &t, proof, &np),
	    CL_OK);
	cl_tlog_proof_format(13, (const unsigned char(*)[32])proof, np,
	    note.data, note.len, &file);
	assert_non_null(
	    strstr(file.data, "c2sp.org/tlog-proof@v1\nindex 13\n"));
	/* Parse it back and check it the way a verifier does. */
	assert_int_equal(cl_tlog_proof_parse(file.data, file.len, &index, got,
			     &gn, &cp, &cplen),
	    CL_OK);
	assert_int_equal(index, 13);
	assert_int_equal(gn, np);
	assert_memory_equal(got, proof, np * CL_TLOG_HASH);
	assert_int_equal(cplen, note.len);
	assert_memory_equal(cp, note.data, cplen);
	assert_int_equal(cl_tlog_vkey_parse(LOG_VKEY, &k), CL_OK);
	assert_int_equal(cl_tlog_note_open(cp, cplen, &k, 1, &tlen, &ok, NULL),
	    CL_OK);
	assert_int_equal(ok, 1);
	assert_int_equal(cl_tlog_checkpoint_parse(cp, tlen, &c), CL_OK);
	memcpy(root, c.root, CL_TLOG_HASH);
	synth_leaf(13, leaf);
	assert_int_equal(cl_tlog_check_record((const unsigned char(*)[32])got,
			     gn, c.size, root, index, leaf),
	    CL_OK);
	/* The one-call check a verifier makes, and why it refuses. */
	{
		cl_tlog_checkpoint got_c;
		cl_tlog_verifier other;
		const char *why, *gcp;
		size_t gcplen, gtl;
		int64_t gi;
		char r[32];

		snprintf(r, sizeof r, "r%d", 13);
		assert_int_equal(cl_tlog_proof_check(&k, file.data, file.len, r,
				     strlen(r), &gi, &got_c, &gcp, &gcplen,
				     &gtl, &why),
		    CL_OK);
		assert_string_equal(why, "");
		assert_int_equal(gi, 13);
		assert_int_equal(got_c.size, 21);
		assert_int_equal(gcplen, note.len);
		assert_int_equal(gtl, text.len); /* the note's text */
		assert_int_equal(cl_tlog_proof_check(&k, file.data, file.len,
				     "r12", 3, &gi, &got_c, &gcp, &gcplen, &gtl,
				     &why),
		    CL_EVERIFY);
		assert_non_null(strstr(why, "not in the log"));
		assert_int_equal(cl_tlog_vkey_parse("example.com/foo+530d903a+"
						    "AekyeRrm56hApGFkyQR4ZCbV54"
						    "Id2LKaANYcrnKv3U2k",
				     &other),
		    CL_OK);
		assert_int_equal(cl_tlog_proof_check(&other, file.data,
				     file.len, r, strlen(r), &gi, &got_c, &gcp,
				     &gcplen, &gtl, &why),
		    CL_EVERIFY);
		assert_non_null(strstr(why, "not signed by the log key"));
		assert_int_equal(cl_tlog_proof_check(&k, file.data, 10, r,
				     strlen(r), &gi, &got_c, &gcp, &gcplen,
				     &gtl, &why),
		    CL_EPARSE);
		assert_non_null(strstr(why, "tlog-proof"));
		/* Signed by our key under another name: another log. */
		{
			cl_tlog_signer *o = NULL;
			cl_buf n2 = CL_BUF_INIT, f2 = CL_BUF_INIT;
			char err[256], ov[CL_TLOG_VKEY_MAX];
			char *path = fx_write(dir, "o.pem", KEY_A_PRIV, 0600);

			assert_int_equal(cl_tlog_signer_load(path,
					     "other.example/log", &o, err,
					     sizeof err),
			    CL_OK);
			assert_int_equal(cl_tlog_note_sign(o, text.data,
					     text.len, &n2),
			    CL_OK);
			cl_tlog_proof_format(13,
			    (const unsigned char(*)[32])proof, np, n2.data,
			    n2.len, &f2);
			cl_tlog_signer_vkey(o, ov);
			assert_int_equal(cl_tlog_vkey_parse(ov, &other), CL_OK);
			assert_int_equal(cl_tlog_proof_check(&other, f2.data,
					     f2.len, r, strlen(r), &gi, &got_c,
					     &gcp, &gcplen, &gtl, &why),
			    CL_EVERIFY);
			assert_non_null(strstr(why, "origin"));
			cl_tlog_signer_free(o);
			cl_buf_free(&n2);
			cl_buf_free(&f2);
			free(path);
		}
	}
	/* An "extra" line is skipped. */
	cl_buf_reset(&file);
	cl_buf_puts(&file, "c2sp.org/tlog-proof@v1\nextra aGVsbG8=\n");
	cl_buf_printf(&file, "index 0\n\n%s", note.data);
	assert_int_equal(cl_tlog_proof_parse(file.data, file.len, &index, got,
			     &gn, &cp, &cplen),
	    CL_OK);
	assert_int_equal(index, 0);
	assert_int_equal(gn, 0);
	assert_int_equal(cplen, note.len);
	cl_buf_free(&text);
	cl_buf_free(&note);
	cl_buf_free(&file);
	cl_tlog_signer_free(s);
	free(t.h);
}

/* Every malformed tlog-proof is CL_EPARSE. */
static void
test_tlog_proof_malformed(void **state)
{
#define H "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
#define CP EMPTY_CP_TEXT "\n" EMPTY_CP_SIG
	static const char *const bad[] = {
		"",
		"c2sp.org/tlog-proof@v1\n",
		"c2sp.org/tlog-proof@v2\nindex 0\n\n" CP,
		"c2sp.org/tlog-proof@v1 \nindex 0\n\n" CP,
		"index 0\n\n" CP,
		"c2sp.org/tlog-proof@v1\nindex 0\n" CP,
		"c2sp.org/tlog-proof@v1\nindex 0\n\n",
		"c2sp.org/tlog-proof@v1\nindex 0\n" H,
		"c2sp.org/tlog-proof@v1\nindex\n\n" CP,
		"c2sp.org/tlog-proof@v1\nindex \n\n" CP,
		"c2sp.org/tlog-proof@v1\nindex 01\n\n" CP,
		"c2sp.org/tlog-proof@v1\nindex -1\n\n" CP,
		"c2sp.org/tlog-proof@v1\nindex 1x\n\n" CP,
		"c2sp.org/tlog-proof@v1\nindex 99999999999999999999\n\n" CP,
		"c2sp.org/tlog-proof@v1\nIndex 0\n\n" CP,
		"c2sp.org/tlog-proof@v1\nextra !!!!\nindex 0\n\n" CP,
		"c2sp.org/tlog-proof@v1\nextra aGVsbG8=\n\n" CP,
		"c2sp.org/tlog-proof@v1\nindex 0\nAAAA\n\n" CP,
		"c2sp.org/tlog-proof@v1\nindex 0\n" H "47DEQpj8\n\n" CP,
		"c2sp.org/tlog-proof@v1\nindex 0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFV=\n\n" CP,
		"c2sp.org/tlog-proof@v1\nindex 0\n " H "\n" CP,
		"c2sp.org/tlog-proof@v1\r\nindex 0\n\n" CP,
	};
	unsigned char got[CL_TLOG_PROOF_MAX][CL_TLOG_HASH];
	cl_buf b = CL_BUF_INIT;
	const char *cp;
	size_t i, gn, cplen;
	int64_t index;
	int n;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (cl_tlog_proof_parse(bad[i], strlen(bad[i]), &index, got,
			&gn, &cp, &cplen) != CL_EPARSE)
			fail_msg("accepted malformed proof %zu", i);
		assert_null(cp);
		assert_int_equal(gn, 0);
	}
	/* 63 hashes are the most. */
	cl_buf_puts(&b, "c2sp.org/tlog-proof@v1\nindex 0\n");
	for (n = 0; n < 63; n++)
		cl_buf_puts(&b, H);
	cl_buf_puts(&b, "\n" CP);
	assert_int_equal(cl_tlog_proof_parse(b.data, b.len, &index, got, &gn,
			     &cp, &cplen),
	    CL_OK);
	assert_int_equal(gn, 63);
	cl_buf_reset(&b);
	cl_buf_puts(&b, "c2sp.org/tlog-proof@v1\nindex 0\n");
	for (n = 0; n < 64; n++)
		cl_buf_puts(&b, H);
	cl_buf_puts(&b, "\n" CP);
	assert_int_equal(cl_tlog_proof_parse(b.data, b.len, &index, got, &gn,
			     &cp, &cplen),
	    CL_EPARSE);
	cl_buf_free(&b);
#undef H
#undef CP
}

static int
setup(void **state)
{
	(void)state;
	dir = fx_tmpdir();
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	fx_rmtree(dir);
	free(dir);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tlog_entry),
		cmocka_unit_test(test_tlog_rfc6962_roots),
		cmocka_unit_test(test_tlog_stored_index),
		cmocka_unit_test(test_tlog_roots_naive),
		cmocka_unit_test(test_tlog_inclusion_vectors),
		cmocka_unit_test(test_tlog_inclusion_all),
		cmocka_unit_test(test_tlog_consistency_vectors),
		cmocka_unit_test(test_tlog_consistency_all),
		cmocka_unit_test(test_tlog_tile_paths),
		cmocka_unit_test(test_tlog_tiles_70000),
		cmocka_unit_test(test_tlog_bundle),
		cmocka_unit_test(test_tlog_vkey_parse),
		cmocka_unit_test(test_tlog_signer_load),
		cmocka_unit_test(test_tlog_note_sign_open),
		cmocka_unit_test(test_tlog_note_malformed),
		cmocka_unit_test(test_tlog_checkpoint),
		cmocka_unit_test(test_tlog_proof_round_trip),
		cmocka_unit_test(test_tlog_proof_malformed),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

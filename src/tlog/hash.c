/* hash.c: log entries and RFC 6962 leaf and node hashes. */
#include <string.h>

#include "callin/hash.h"
#include "tlog_int.h"

static const char entry_head[] = "callin-log-entry-v1\nreceipt: sha256:";

/* Write the log entry of the n bytes of receipt.txt.  Cannot fail. */
void
cl_tlog_entry(const void *receipt, size_t n, char out[CL_TLOG_ENTRY_LEN + 1])
{
	unsigned char md[CL_SHA256_LEN];
	size_t h = sizeof entry_head - 1;

	cl_sha256(receipt, n, md);
	memcpy(out, entry_head, h);
	cl_hex(md, sizeof md, out + h);
	out[h + 2 * CL_SHA256_LEN] = '\n';
	out[h + 2 * CL_SHA256_LEN + 1] = '\0';
	CL_ASSERT(h == CL_TLOG_ENTRY_HEX_AT);
	CL_ASSERT(h + 2 * CL_SHA256_LEN + 1 == CL_TLOG_ENTRY_LEN);
}

/* SHA-256(0x00 || entry).  Cannot fail. */
void
cl_tlog_leaf_hash(const void *entry, size_t n, unsigned char out[CL_TLOG_HASH])
{
	cl_sha256_ctx *c = cl_sha256_new();
	unsigned char z = 0x00;

	cl_sha256_update(c, &z, 1);
	cl_sha256_update(c, entry, n);
	cl_sha256_final(c, out);
}

/* SHA-256(0x01 || l || r).  Cannot fail. */
void
cl_tlog_node_hash(const unsigned char l[CL_TLOG_HASH],
    const unsigned char r[CL_TLOG_HASH], unsigned char out[CL_TLOG_HASH])
{
	unsigned char b[1 + 2 * CL_TLOG_HASH];

	b[0] = 0x01;
	memcpy(b + 1, l, CL_TLOG_HASH);
	memcpy(b + 1 + CL_TLOG_HASH, r, CL_TLOG_HASH);
	cl_sha256(b, sizeof b, out);
}

/* checkpoint.c: c2sp.org/tlog-checkpoint texts and cosigned messages. */
#include <inttypes.h>
#include <string.h>

#include "tlog_int.h"

/* Append "<origin>\n<size>\n<base64 root>\n".  Cannot fail. */
void
cl_tlog_checkpoint_text(const cl_tlog_checkpoint *c, cl_buf *out)
{
	CL_ASSERT(c->size >= 0);
	cl_buf_printf(out, "%s\n%" PRId64 "\n", c->origin, c->size);
	cl_tlog_b64_add(out, c->root, CL_TLOG_HASH);
	cl_buf_putc(out, '\n');
}

/* Parse a checkpoint note text.  CL_EPARSE when it is not one. */
cl_err
cl_tlog_checkpoint_parse(const char *text, size_t n, cl_tlog_checkpoint *c)
{
	const char *l1, *l2, *l3, *end = text + n;
	size_t len;

	memset(c, 0, sizeof *c);
	if ((l1 = memchr(text, '\n', n)) == NULL ||
	    (l2 = memchr(l1 + 1, '\n', (size_t)(end - l1 - 1))) == NULL ||
	    (l3 = memchr(l2 + 1, '\n', (size_t)(end - l2 - 1))) == NULL ||
	    l3 + 1 != end)
		return CL_EPARSE; /* not three lines, or extension lines */
	if ((size_t)(l1 - text) >= sizeof c->origin ||
	    !cl_tlog_name_valid(text, (size_t)(l1 - text)) ||
	    cl_tlog_parse_u63(l1 + 1, (size_t)(l2 - l1 - 1), &c->size) !=
		CL_OK ||
	    cl_tlog_b64_decode(l2 + 1, (size_t)(l3 - l2 - 1), c->root,
		sizeof c->root, &len) != CL_OK ||
	    len != CL_TLOG_HASH) {
		memset(c, 0, sizeof *c);
		return CL_EPARSE;
	}
	memcpy(c->origin, text, (size_t)(l1 - text));
	return CL_OK;
}

/* Append "cosignature/v1\ntime <t>\n" and the text.  Cannot fail. */
void
cl_tlog_cosigned_message(uint64_t t, const char *text, size_t n, cl_buf *out)
{
	cl_buf_printf(out, "cosignature/v1\ntime %" PRIu64 "\n", t);
	cl_buf_add(out, text, n);
}

/* readfile.c: read a small key file whole, with its mode. */
#include <stdlib.h>

#include "callin/alloc.h"
#include "callin/readfile.h"
#include "receipt_int.h"

/*
 * Read the regular file path (at most CL_KEYFILE_MAX bytes) into a new
 * NUL-terminated buffer *out (the caller frees it) of *len bytes and give
 * its st_mode in *mode.  Fails with CL_ECONFIG, *out NULL and one line
 * naming path in errbuf as cl_read_file() does.
 */
cl_err
cl_rcpt_read_file(const char *path, char **out, size_t *len, unsigned *mode,
    char *errbuf, size_t errlen)
{
	char *data = cl_malloc(CL_KEYFILE_MAX + 1);

	*out = NULL;
	if (cl_read_file(path, 0, (unsigned char *)data, CL_KEYFILE_MAX, len,
		mode, errbuf, errlen) != CL_OK) {
		free(data);
		return CL_ECONFIG;
	}
	data[*len] = '\0';
	*out = data;
	return CL_OK;
}

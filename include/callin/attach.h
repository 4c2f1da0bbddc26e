/*
 * attach.h: checks on uploaded files: a safe name, and the type told from
 * the bytes (libmagic), never from the name or the browser's content type.
 *
 * Accepted types, in the order the public reads them:
 *   application/pdf                                                   PDF
 *   application/vnd.openxmlformats-officedocument.wordprocessingml.document
 *                                                                    DOCX
 *   application/vnd.openxmlformats-officedocument.spreadsheetml.sheet XLSX
 *   application/vnd.oasis.opendocument.text                            ODT
 *   application/vnd.oasis.opendocument.spreadsheet                     ODS
 *   image/png                                                          PNG
 *   image/jpeg                                                        JPEG
 *   text/plain                                                         TXT
 *   text/csv                                                           CSV
 * Text must be UTF-8 (or its ASCII subset) and not a script.
 */
#ifndef CALLIN_ATTACH_H
#define CALLIN_ATTACH_H

#include <stddef.h>
#include <stdint.h>

#include "callin/buf.h"
#include "callin/err.h"

#define CL_ATTACH_NAME_LEN 120 /* most bytes in a sanitised name */
#define CL_ATTACH_NAME_MAX 121 /* room for one and its NUL */

/*
 * How many first bytes of a file cl_sniff() wants.  libmagic 5.44 finds
 * DOCX and XLSX from the names of the first few zip entries and reads at
 * most about 30 KiB for them (its searches stop there); the rest need far
 * less.  64 KiB leaves room for other libmagic versions.
 */
#define CL_SNIFF_BYTES (64 * 1024)

typedef struct cl_filetype {
	const char *mime;	/* the content type we store */
	const char *ext;	/* usual extension, without the dot */
	const char *short_name; /* "DOCX", for lists */
	const char *name;	/* "Word document (DOCX)" */
} cl_filetype;

typedef struct cl_sniffer cl_sniffer; /* libmagic, opened once a process */

/*
 * Write into out (outlen bytes, at most CL_ATTACH_NAME_MAX used) a safe
 * version of the file name raw, as sent by a browser: the last path
 * component (after the last / or \); without control characters, the
 * characters " * / : < > ? \ | and invisible or bidirectional formatting
 * characters; runs of white space made one space; no leading or trailing
 * spaces or dots; invalid UTF-8 replaced by U+FFFD; Windows device names
 * (CON, NUL, COM1...) prefixed with "_"; at most CL_ATTACH_NAME_LEN bytes
 * (or outlen - 1), cut on a character boundary, keeping a short extension.
 * An empty result becomes "attachment".  Cannot fail; outlen must be >= 1.
 */
void cl_attach_sanitise_name(const char *raw, char *out, size_t outlen);

/*
 * Open libmagic with its default database (once per process, after fork).
 * CL_ECONFIG when the database cannot be loaded; *out is then NULL.
 */
cl_err cl_sniffer_open(cl_sniffer **out);

/* Close the sniffer.  NULL is fine.  Cannot fail. */
void cl_sniffer_close(cl_sniffer *s);

/*
 * Tell the type of a file from its first n bytes at p: all of the file when
 * n < CL_SNIFF_BYTES, else its first CL_SNIFF_BYTES bytes.  On CL_OK *mime
 * is one of the accepted types above (a static string).  Fails with
 *   CL_ETYPE   empty, or not an accepted type (executables, scripts, HTML,
 *              zip files that are not DOCX/XLSX/ODT/ODS, ...);
 *   CL_EPARSE  text that is not UTF-8 (Latin-1, UTF-16, ...);
 * and *mime is then NULL.
 * For text/plain and text/csv only the bytes given are checked: the caller
 * must check the rest of a longer file (cl_utf8_stream, see
 * cl_attach_is_text()) and refuse it if it is not UTF-8.
 */
cl_err cl_sniff(cl_sniffer *s, const void *p, size_t n, const char **mime);

/* Return 1 if mime is an accepted text type (its bytes must be UTF-8). */
int cl_attach_is_text(const char *mime);

/* Return the accepted types (*n of them), in the order above. */
const cl_filetype *cl_attach_types(size_t *n);

/* Return the accepted type whose mime is mime, or NULL. */
const cl_filetype *cl_attach_type(const char *mime);

/*
 * Append the short names as a list for people: "PDF, DOCX, XLSX, ODT, ODS,
 * PNG, JPEG, TXT or CSV".  Cannot fail.
 */
void cl_attach_type_list(cl_buf *b);

/* Return the file input's accept attribute: ".pdf,.docx,...".  Cannot fail. */
const char *cl_attach_accept(void);

/*
 * Append the file input's hint for these limits, e.g. "You can upload up
 * to 10 files. Each file must be smaller than 10MB, and all files together
 * smaller than 25MB. Files must be PDF, DOCX, ... or CSV."  Cannot fail.
 */
void cl_attach_hint(cl_buf *b, int64_t max_files, int64_t max_file_bytes,
    int64_t max_total_bytes);

/*
 * Append a size for people: whole MB when it is a multiple of 1 MiB, else
 * KB, else bytes ("10MB", "512KB", "100 bytes").  Cannot fail.
 */
void cl_attach_size(cl_buf *b, int64_t bytes);

#endif /* CALLIN_ATTACH_H */

/*
 * attach.c: uploaded files: safe names, and the content type told from the
 * bytes with libmagic, checked against the accepted types.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <magic.h>

#include "callin/alloc.h"
#include "callin/attach.h"
#include "callin/utf8.h"

#define MIME_DOCX \
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document"
#define MIME_XLSX \
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#define MIME_ODT "application/vnd.oasis.opendocument.text"
#define MIME_ODS "application/vnd.oasis.opendocument.spreadsheet"

enum type_id {
	T_PDF,
	T_DOCX,
	T_XLSX,
	T_ODT,
	T_ODS,
	T_PNG,
	T_JPEG,
	T_TXT,
	T_CSV,
	T__MAX
};

static const cl_filetype types[T__MAX] = {
	[T_PDF] = { "application/pdf", "pdf", "PDF", "PDF" },
	[T_DOCX] = { MIME_DOCX, "docx", "DOCX", "Word document (DOCX)" },
	[T_XLSX] = { MIME_XLSX, "xlsx", "XLSX", "Excel spreadsheet (XLSX)" },
	[T_ODT] = { MIME_ODT, "odt", "ODT", "OpenDocument text (ODT)" },
	[T_ODS] = { MIME_ODS, "ods", "ODS", "OpenDocument spreadsheet (ODS)" },
	[T_PNG] = { "image/png", "png", "PNG", "PNG image" },
	[T_JPEG] = { "image/jpeg", "jpg", "JPEG", "JPEG image" },
	[T_TXT] = { "text/plain", "txt", "TXT", "Text file (TXT)" },
	[T_CSV] = { "text/csv", "csv", "CSV", "CSV file" },
};

/*
 * What libmagic may say, and the accepted type it means.  Besides each
 * type's own name: CSV is "application/csv" in some versions, and libmagic's
 * heuristics label ordinary prose with a few programming languages
 * (a line starting "#include" or "int", or the words of ALGOL 68) and a
 * saved email as message/rfc822, all of which are just text for us.
 * Scripts (text/x-shellscript, text/x-script.*, text/x-php, ...), markup
 * and everything else are refused.
 */
static const struct {
	const char *magic;
	enum type_id type;
} says[] = {
	{ "application/pdf", T_PDF },
	{ MIME_DOCX, T_DOCX },
	{ MIME_XLSX, T_XLSX },
	{ MIME_ODT, T_ODT },
	{ MIME_ODS, T_ODS },
	{ "image/png", T_PNG },
	{ "image/jpeg", T_JPEG },
	{ "text/plain", T_TXT },
	{ "text/csv", T_CSV },
	{ "application/csv", T_CSV },
	{ "text/x-c", T_TXT },
	{ "text/x-c++", T_TXT },
	{ "text/x-Algol68", T_TXT },
	{ "text/x-fortran", T_TXT },
	{ "text/x-asm", T_TXT },
	{ "text/x-pascal", T_TXT },
	{ "message/rfc822", T_TXT },
	{ "message/news", T_TXT },
};

struct cl_sniffer {
	magic_t magic;
};

/* ------------------------------------------------------------------ */
/* Names.                                                              */

/* Return 1 if cp is dropped from names: controls, characters unsafe in
 * headers or file systems, and invisible or bidirectional formatting. */
static int
dropped(uint32_t cp)
{
	if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F))
		return 1;
	if (cp < 0x80)
		return strchr("\"*/:<>?\\|", (int)cp) != NULL;
	return cp == 0x061C || cp == 0x180E || (cp >= 0x200B && cp <= 0x200F) ||
	    (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2060 && cp <= 0x206F) ||
	    cp == 0xFEFF || (cp >= 0xFFF9 && cp <= 0xFFFB);
}

/* Return 1 if cp is white space, which names keep as single spaces. */
static int
space(uint32_t cp)
{
	return cp == ' ' || cp == '\t' || cp == 0xA0 || cp == 0x1680 ||
	    (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
	    cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

/* Return 1 if the stem of name (up to its first dot) is a Windows device. */
static int
device_name(const char *name, size_t len)
{
	static const char *const devices[] = {
		"CON",
		"PRN",
		"AUX",
		"NUL",
		"COM1",
		"COM2",
		"COM3",
		"COM4",
		"COM5",
		"COM6",
		"COM7",
		"COM8",
		"COM9",
		"LPT1",
		"LPT2",
		"LPT3",
		"LPT4",
		"LPT5",
		"LPT6",
		"LPT7",
		"LPT8",
		"LPT9",
	};
	size_t i, stem;

	for (stem = 0; stem < len && name[stem] != '.' && name[stem] != ' ';
	     stem++)
		;
	for (i = 0; i < sizeof devices / sizeof devices[0]; i++)
		if (strlen(devices[i]) == stem &&
		    strncasecmp(name, devices[i], stem) == 0)
			return 1;
	return 0;
}

/* Return the length of name's extension with its dot when it is short and
 * plain (".pdf", ".docx"), else 0. */
static size_t
extension(const char *name, size_t len)
{
	size_t i, dot = len;

	for (i = len; i > 0; i--)
		if (name[i - 1] == '.') {
			dot = i - 1;
			break;
		}
	if (dot == len || dot == 0 || len - dot > 16 || len - dot < 2)
		return 0;
	for (i = dot + 1; i < len; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
			(name[i] >= 'A' && name[i] <= 'Z') ||
			(name[i] >= '0' && name[i] <= '9')))
			return 0;
	return len - dot;
}

/* Return the length of s[0..n) with trailing spaces and dots removed. */
static size_t
rtrim(const char *s, size_t n)
{
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '.'))
		n--;
	return n;
}

/* Return the length of name[0..len) cut to at most at bytes on a character
 * boundary, without trailing spaces and dots. */
static size_t
cut(const char *name, size_t len, size_t at)
{
	if (at >= len)
		return rtrim(name, len);
	while (at > 0 && ((unsigned char)name[at] & 0xC0) == 0x80)
		at--;
	return rtrim(name, at);
}

void
cl_attach_sanitise_name(const char *raw, char *out, size_t outlen)
{
	cl_buf b = CL_BUF_INIT;
	const char *s, *p, *name;
	size_t n, len, cap, ext, stem, i, off = 0;
	int pending_space = 0, bad, was_bad = 0;
	uint32_t cp;

	if (outlen == 0)
		return;
	/* The last path component, whichever separator the client uses. */
	for (s = p = raw != NULL ? raw : ""; *p != '\0'; p++)
		if (*p == '/' || *p == '\\')
			s = p + 1;
	n = strlen(s);
	for (i = 0; i < n; i += len) {
		len = cl_utf8_decode(s + i, n - i, &cp);
		if ((bad = (len == 0)) != 0)
			len = 1;
		if (bad && was_bad)
			continue; /* one U+FFFD for a run of bad bytes */
		was_bad = bad;
		if (space(cp)) {
			pending_space = 1;
			continue;
		}
		if (dropped(cp) || (b.len == 0 && cp == '.'))
			continue; /* leading dots go too */
		if (pending_space && b.len > 0)
			cl_buf_putc(&b, ' ');
		pending_space = 0;
		if (bad)
			cl_buf_puts(&b, "\xEF\xBF\xBD");
		else
			cl_buf_add(&b, s + i, len);
	}
	name = cl_buf_str(&b);
	if ((len = rtrim(name, b.len)) == 0) {
		name = "attachment";
		len = strlen(name);
	}
	if ((cap = outlen - 1) > CL_ATTACH_NAME_LEN)
		cap = CL_ATTACH_NAME_LEN;
	if (device_name(name, len) && cap > 1) {
		out[off++] = '_';
		cap--;
	}
	if (len <= cap) {
		stem = len;
		ext = 0;
	} else {
		/* Cut the stem on a character boundary, keep the extension. */
		ext = extension(name, len);
		stem = ext < cap ? cut(name, len - ext, cap - ext) : 0;
		if (stem == 0) {
			ext = 0;
			stem = cut(name, len, cap);
		}
	}
	memcpy(out + off, name, stem);
	memcpy(out + off + stem, name + len - ext, ext);
	out[off + stem + ext] = '\0';
	cl_buf_free(&b);
}

/* ------------------------------------------------------------------ */
/* Types.                                                              */

cl_err
cl_sniffer_open(cl_sniffer **out)
{
	cl_sniffer *s;
	cl_err rc;

	*out = NULL;
	s = cl_calloc(1, sizeof *s);
	if ((s->magic = magic_open(MAGIC_MIME_TYPE)) == NULL ||
	    magic_load(s->magic, NULL) != 0) {
		rc = CL_ECONFIG;
		goto err;
	}
	*out = s;
	return CL_OK;
err:
	cl_sniffer_close(s);
	return rc;
}

void
cl_sniffer_close(cl_sniffer *s)
{
	if (s == NULL)
		return;
	if (s->magic != NULL)
		magic_close(s->magic);
	free(s);
}

cl_err
cl_sniff(cl_sniffer *s, const void *p, size_t n, const char **mime)
{
	cl_utf8_stream st = CL_UTF8_STREAM_INIT;
	const char *said;
	const cl_filetype *t = NULL;
	size_t i;

	*mime = NULL;
	if (s == NULL || p == NULL || n == 0)
		return CL_ETYPE;
	if ((said = magic_buffer(s->magic, p, n)) == NULL)
		return CL_ETYPE;
	for (i = 0; i < sizeof says / sizeof says[0]; i++)
		if (strcmp(said, says[i].magic) == 0) {
			t = &types[says[i].type];
			break;
		}
	if (t == NULL)
		return CL_ETYPE;
	if (cl_attach_is_text(t->mime)) {
		/* Never a script, whatever libmagic made of it. */
		if (n >= 2 && memcmp(p, "#!", 2) == 0)
			return CL_ETYPE;
		cl_utf8_stream_feed(&st, p, n);
		if (n < CL_SNIFF_BYTES ? !cl_utf8_stream_done(&st) :
					 !cl_utf8_stream_prefix_ok(&st))
			return CL_EPARSE;
	}
	*mime = t->mime;
	return CL_OK;
}

int
cl_attach_is_text(const char *mime)
{
	return mime != NULL &&
	    (strcmp(mime, types[T_TXT].mime) == 0 ||
		strcmp(mime, types[T_CSV].mime) == 0);
}

const cl_filetype *
cl_attach_types(size_t *n)
{
	*n = T__MAX;
	return types;
}

const cl_filetype *
cl_attach_type(const char *mime)
{
	size_t i;

	for (i = 0; mime != NULL && i < T__MAX; i++)
		if (strcmp(types[i].mime, mime) == 0)
			return &types[i];
	return NULL;
}

void
cl_attach_type_list(cl_buf *b)
{
	size_t i;

	for (i = 0; i < T__MAX; i++) {
		if (i > 0)
			cl_buf_puts(b, i + 1 == T__MAX ? " or " : ", ");
		cl_buf_puts(b, types[i].short_name);
	}
}

const char *
cl_attach_accept(void)
{
	return ".pdf,.docx,.xlsx,.odt,.ods,.png,.jpg,.jpeg,.txt,.csv";
}

void
cl_attach_size(cl_buf *b, int64_t bytes)
{
	if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0)
		cl_buf_printf(b, "%lldMB", (long long)(bytes / (1024 * 1024)));
	else if (bytes >= 1024 && bytes % 1024 == 0)
		cl_buf_printf(b, "%lldKB", (long long)(bytes / 1024));
	else
		cl_buf_printf(b, "%lld bytes", (long long)bytes);
}

void
cl_attach_hint(cl_buf *b, int64_t max_files, int64_t max_file_bytes,
    int64_t max_total_bytes)
{
	cl_buf_printf(b,
	    "You can upload up to %lld file%s. Each file must be "
	    "smaller than ",
	    (long long)max_files, max_files == 1 ? "" : "s");
	cl_attach_size(b, max_file_bytes);
	if (max_files > 1 && max_total_bytes < max_files * max_file_bytes) {
		cl_buf_puts(b, ", and all files together smaller than ");
		cl_attach_size(b, max_total_bytes);
	}
	cl_buf_puts(b, ". Files must be ");
	cl_attach_type_list(b);
	cl_buf_puts(b, ".");
}

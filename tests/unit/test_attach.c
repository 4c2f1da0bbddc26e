/*
 * test_attach.c: uploaded files: the name sanitiser (a table of tricks),
 * and content sniffing of real files of each accepted type (made by
 * tests/unit/data/attach/make.py) and of things that must be refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "callin/attach.h"
#include "callin/buf.h"
#include "callin/form.h"
#include "callin/utf8.h"

#define DOCX \
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document"
#define XLSX "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#define ODT "application/vnd.oasis.opendocument.text"
#define ODS "application/vnd.oasis.opendocument.spreadsheet"

/* ------------------------------------------------------------------ */
/* Names.                                                              */

static void
test_sanitise_table(void **state)
{
	static const char *const cases[][2] = {
		{ "report.pdf", "report.pdf" },
		{ "Minutes 27 March 2024.docx", "Minutes 27 March 2024.docx" },
		/* Paths, either separator. */
		{ "../../etc/passwd", "passwd" },
		{ "C:\\x\\y.pdf", "y.pdf" },
		{ "C:\\Users\\Jane\\Documents\\letter.docx", "letter.docx" },
		{ "/abs/path/file.txt", "file.txt" },
		{ "..\\..\\..\\windows\\win.ini", "win.ini" },
		{ "a/b\\c/d.csv", "d.csv" },
		{ "dir/", "attachment" },
		{ "..", "attachment" },
		{ "", "attachment" },
		/* Leading dots (hidden files, "..") and trailing dots. */
		{ ".bashrc", "bashrc" },
		{ "...hidden.pdf", "hidden.pdf" },
		{ " . . .x", "x" },
		{ "name.pdf...", "name.pdf" },
		{ "name.pdf . ", "name.pdf" },
		/* Characters unsafe in headers and file systems. */
		{ "a\"b<c>d:e|f?g*h.pdf", "abcdefgh.pdf" },
		{ "evil\r\nX-Injected: yes.pdf", "evilX-Injected yes.pdf" },
		{ "bell\a\x1b[31mred.txt", "bell[31mred.txt" },
		{ "del\x7f.txt", "del.txt" },
		{ "c1\xC2\x85x\xC2\x9B.pdf", "c1x.pdf" },
		{ "::::", "attachment" },
		/* White space collapses. */
		{ "tab\there.pdf", "tab here.pdf" },
		{ "  many   spaces \t .pdf ", "many spaces .pdf" },
		{ "nbsp\xC2\xA0name\xE2\x80\x83.pdf", "nbsp name .pdf" },
		/* UTF-8 kept; invalid bytes become U+FFFD, one per run. */
		{ "caf\xC3\xA9 \xE2\x80\x93 \xF0\x9F\x93\x84.pdf",
		    "caf\xC3\xA9 \xE2\x80\x93 \xF0\x9F\x93\x84.pdf" },
		{ "caf\xE9.pdf", "caf\xEF\xBF\xBD.pdf" },
		{ "\xFF\xFE\xFD.txt", "\xEF\xBF\xBD.txt" },
		{ "a\xC0\xAF"
		  "b.txt",
		    "a\xEF\xBF\xBD"
		    "b.txt" },
		{ "a\xED\xA0\x80"
		  "b.txt",
		    "a\xEF\xBF\xBD"
		    "b.txt" },
		/* Invisible and bidirectional formatting. */
		{ "invoice\xE2\x80\xAE"
		  "fdp.exe",
		    "invoicefdp.exe" },
		{ "zero\xE2\x80\x8Bwidth.pdf", "zerowidth.pdf" },
		{ "\xEF\xBB\xBF"
		  "bom.pdf",
		    "bom.pdf" },
		{ "iso\xE2\x81\xA6late\xE2\x81\xA9.pdf", "isolate.pdf" },
		{ "\xE2\x80\xAE", "attachment" },
		/* Windows devices. */
		{ "CON.txt", "_CON.txt" },
		{ "nul", "_nul" },
		{ "com1.pdf", "_com1.pdf" },
		{ "Lpt9.tar.gz", "_Lpt9.tar.gz" },
		{ "CONSOLE.txt", "CONSOLE.txt" },
		{ "LPT10.txt", "LPT10.txt" },
		{ "conduct.pdf", "conduct.pdf" },
	};
	char out[CL_ATTACH_NAME_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cl_attach_sanitise_name(cases[i][0], out, sizeof out);
		if (strcmp(out, cases[i][1]) != 0)
			fail_msg("case %zu: \"%s\" gave \"%s\", wanted \"%s\"",
			    i, cases[i][0], out, cases[i][1]);
		assert_true(cl_utf8_valid(out, strlen(out)));
	}
	cl_attach_sanitise_name(NULL, out, sizeof out);
	assert_string_equal(out, "attachment");
}

/* Return n copies of s followed by tail, in a buffer the caller frees. */
static char *
many(const char *s, size_t n, const char *tail)
{
	cl_buf b = CL_BUF_INIT;
	size_t i;

	for (i = 0; i < n; i++)
		cl_buf_puts(&b, s);
	cl_buf_puts(&b, tail);
	return b.data;
}

static void
test_sanitise_length(void **state)
{
	char out[CL_ATTACH_NAME_MAX], small[8], *in;
	size_t i;

	(void)state;
	/* Long ASCII: cut to 120 with the extension kept. */
	in = many("a", 200, ".pdf");
	cl_attach_sanitise_name(in, out, sizeof out);
	assert_int_equal(strlen(out), 120);
	assert_string_equal(out + 116, ".pdf");
	free(in);
	/* Exactly 120 stays. */
	in = many("b", 116, ".pdf");
	cl_attach_sanitise_name(in, out, sizeof out);
	assert_string_equal(out, in);
	free(in);
	/* Two-byte characters: never cut in half. */
	in = many("\xC3\xA9", 100, ".docx");
	cl_attach_sanitise_name(in, out, sizeof out);
	assert_true(strlen(out) <= 120);
	assert_int_equal(strlen(out), 57 * 2 + 5);
	assert_true(cl_utf8_valid(out, strlen(out)));
	assert_string_equal(out + strlen(out) - 5, ".docx");
	free(in);
	/* Three- and four-byte characters, no extension. */
	in = many("\xE2\x82\xAC", 130, "");
	cl_attach_sanitise_name(in, out, sizeof out);
	assert_int_equal(strlen(out), 120);
	assert_true(cl_utf8_valid(out, strlen(out)));
	free(in);
	for (i = 0; i < 4; i++) {
		char *pre = many("x", i, "");

		cl_buf b = CL_BUF_INIT;

		/* Shift the cut through each byte of a character. */
		in = many("\xF0\x9F\x93\x84", 40, ".pdf");
		cl_buf_puts(&b, pre);
		cl_buf_puts(&b, in);
		cl_attach_sanitise_name(b.data, out, sizeof out);
		cl_buf_free(&b);
		assert_true(strlen(out) <= 120);
		assert_true(cl_utf8_valid(out, strlen(out)));
		assert_string_equal(out + strlen(out) - 4, ".pdf");
		free(pre);
		free(in);
	}
	/* A long "extension" is not one. */
	in = many("a", 200, ".averyveryverylongextension");
	cl_attach_sanitise_name(in, out, sizeof out);
	assert_int_equal(strlen(out), 120);
	assert_null(strchr(out, '.'));
	free(in);
	/* The cut does not leave a space before the extension. */
	in = many("a", 115, " bbbbbbbbbbbbbbbbbbbb.pdf");
	cl_attach_sanitise_name(in, out, sizeof out);
	assert_int_equal(strlen(out), 119);
	assert_string_equal(out + 115, ".pdf");
	free(in);
	/* A small buffer. */
	cl_attach_sanitise_name("report.pdf", small, sizeof small);
	assert_string_equal(small, "rep.pdf");
	cl_attach_sanitise_name("CON.txt", small, sizeof small);
	assert_string_equal(small, "_CO.txt");
	cl_attach_sanitise_name("report.pdf", small, 1);
	assert_string_equal(small, "");
	/* A huge name is fine. */
	in = many("../", 100000, "x.pdf");
	cl_attach_sanitise_name(in, out, sizeof out);
	assert_string_equal(out, "x.pdf");
	free(in);
}

/* ------------------------------------------------------------------ */
/* Types.                                                              */

static cl_sniffer *sniffer;

static int
setup(void **state)
{
	(void)state;
	return cl_sniffer_open(&sniffer) == CL_OK ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	cl_sniffer_close(sniffer);
	sniffer = NULL;
	return 0;
}

/* Read up to max bytes of path (relative to the data folder when not
 * absolute) into a buffer the caller frees. */
static unsigned char *
slurp(const char *path, size_t max, size_t *n)
{
	const char *dir = getenv("CALLIN_SOURCE_DIR");
	char full[4096];
	unsigned char *p;
	FILE *f;

	if (dir == NULL)
		dir = CALLIN_SOURCE_DIR;
	if (path[0] == '/')
		snprintf(full, sizeof full, "%s", path);
	else
		snprintf(full, sizeof full, "%s/tests/unit/data/attach/%s", dir,
		    path);
	if ((f = fopen(full, "rb")) == NULL)
		fail_msg("cannot open %s", full);
	p = malloc(max);
	assert_non_null(p);
	*n = fread(p, 1, max, f);
	fclose(f);
	return p;
}

/* Sniff the first CL_SNIFF_BYTES of a data file; return rc and *mime. */
static cl_err
sniff_file(const char *name, const char **mime)
{
	unsigned char *p;
	size_t n;
	cl_err rc;

	p = slurp(name, CL_SNIFF_BYTES, &n);
	rc = cl_sniff(sniffer, p, n, mime);
	free(p);
	return rc;
}

static cl_err
sniff_str(const char *s, const char **mime)
{
	return cl_sniff(sniffer, s, strlen(s), mime);
}

static void
test_sniff_accepted(void **state)
{
	static const char *const cases[][2] = {
		{ "minutes.pdf", "application/pdf" },
		{ "letter.docx", DOCX },
		{ "letter-libreoffice.docx", DOCX },
		{ "letter-with-picture.docx", DOCX },
		{ "contacts.xlsx", XLSX },
		{ "contacts-libreoffice.xlsx", XLSX },
		{ "notes.odt", ODT },
		{ "contacts.ods", ODS },
		{ "chart.png", "image/png" },
		{ "photo.jpg", "image/jpeg" },
		{ "letter.txt", "text/plain" },
		{ "contacts.csv", "text/csv" },
	};
	const char *mime;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		mime = NULL;
		if (sniff_file(cases[i][0], &mime) != CL_OK)
			fail_msg("%s refused", cases[i][0]);
		assert_string_equal(mime, cases[i][1]);
		assert_non_null(cl_attach_type(mime));
	}
}

/* The big DOCX is recognised from its first CL_SNIFF_BYTES alone. */
static void
test_sniff_prefix_is_enough(void **state)
{
	unsigned char *p;
	const char *mime;
	size_t n;

	(void)state;
	p = slurp("letter-with-picture.docx", 1 << 20, &n);
	assert_true(n > CL_SNIFF_BYTES);
	assert_int_equal(cl_sniff(sniffer, p, CL_SNIFF_BYTES, &mime), CL_OK);
	assert_string_equal(mime, DOCX);
	/* Even 4 KiB would do for it. */
	assert_int_equal(cl_sniff(sniffer, p, 4096, &mime), CL_OK);
	assert_string_equal(mime, DOCX);
	free(p);
}

static void
test_sniff_refused(void **state)
{
	static const char *const files[] = { "slides.pptx", "evidence.zip",
		"page.html", "make.py" };
	static const char *const texts[] = {
		"#!/bin/sh\necho hello\nrm -rf /tmp/x\n",
		"#!/usr/bin/env python3\nprint('hello')\n",
		"#! not a shell at all\njust some words\n",
		"<?php echo 'hello'; ?>\n",
		"@echo off\r\ndir\r\n",
		"{\"name\": \"value\", \"list\": [1, 2, 3]}\n",
		"<?xml version=\"1.0\"?><a><b/></a>\n",
		"<!DOCTYPE html><html><body>hi</body></html>\n",
		"%!PS-Adobe-3.0\n%%EOF\n",
		"BEGIN:VCALENDAR\nVERSION:2.0\nEND:VCALENDAR\n",
	};
	static const unsigned char pe[] = { 'M', 'Z', 0x90, 0, 3, 0, 0, 0, 4, 0,
		0, 0, 0xff, 0xff, 0, 0 };
	static const unsigned char gzip[] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0,
		3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	static const unsigned char nul[] = { 'a', 'b', 0, 'c', 0, 0, 'd',
		'\n' };
	unsigned char *p;
	const char *mime;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof files / sizeof files[0]; i++) {
		mime = "x";
		if (sniff_file(files[i], &mime) != CL_ETYPE)
			fail_msg("%s accepted", files[i]);
		assert_null(mime);
	}
	for (i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		mime = "x";
		if (sniff_str(texts[i], &mime) != CL_ETYPE)
			fail_msg("accepted: %s", texts[i]);
		assert_null(mime);
	}
	/* This very program: an ELF executable, whatever it were named. */
	p = slurp("/proc/self/exe", CL_SNIFF_BYTES, &n);
	assert_int_equal(cl_sniff(sniffer, p, n, &mime), CL_ETYPE);
	free(p);
	assert_int_equal(cl_sniff(sniffer, pe, sizeof pe, &mime), CL_ETYPE);
	assert_int_equal(cl_sniff(sniffer, gzip, sizeof gzip, &mime), CL_ETYPE);
	assert_int_equal(cl_sniff(sniffer, nul, sizeof nul, &mime), CL_ETYPE);
	/* Empty, or nothing to sniff with. */
	assert_int_equal(cl_sniff(sniffer, "", 0, &mime), CL_ETYPE);
	assert_null(mime);
	assert_int_equal(cl_sniff(NULL, "text\n", 5, &mime), CL_ETYPE);
}

/* Text must be UTF-8. */
static void
test_sniff_text_encoding(void **state)
{
	const char *mime;

	(void)state;
	mime = "x";
	assert_int_equal(sniff_file("letter-latin1.txt", &mime), CL_EPARSE);
	assert_null(mime);
	assert_int_equal(sniff_file("letter-utf16.txt", &mime), CL_EPARSE);
	assert_int_equal(sniff_str("plain ASCII is UTF-8\n", &mime), CL_OK);
	assert_string_equal(mime, "text/plain");
	assert_int_equal(sniff_str("\xEF\xBB\xBFwith a BOM\n", &mime), CL_OK);
	assert_string_equal(mime, "text/plain");
	assert_int_equal(sniff_str("Caf\xC3\xA9 \xE2\x80\x93 fine\n", &mime),
	    CL_OK);
	assert_int_equal(sniff_str("overlong \xC0\xAF here\n", &mime),
	    CL_EPARSE);
	assert_int_equal(sniff_str("Windows\r\nline\r\nends\r\n", &mime),
	    CL_OK);
}

/* Prose that libmagic takes for code or mail is still text. */
static void
test_sniff_prose_is_text(void **state)
{
	static const char *const texts[] = {
		"Meeting notes\n\n#include the following points\n"
		"int main the proposal\n{ discussed }\n",
		"From: Jane Smith <jane@example.com>\nTo: ICB <icb@example.nhs.uk>\n"
		"Subject: Stroke unit\nDate: Mon, 8 Jan 2024 10:00:00 +0000\n\n"
		"Dear ICB,\nPlease reply.\n",
		"/* Notes */\nThe board met on Tuesday.\n",
	};
	const char *mime;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		mime = NULL;
		if (sniff_str(texts[i], &mime) != CL_OK)
			fail_msg("refused: %s", texts[i]);
		assert_string_equal(mime, "text/plain");
	}
	/* A short CSV may be called plain text: still accepted. */
	assert_int_equal(sniff_str("a,b\n1,2\n", &mime), CL_OK);
	assert_true(cl_attach_is_text(mime));
}

/*
 * A long text file: CL_SNIFF_BYTES of it may end inside a character,
 * which is fine for a prefix; the same bytes as a whole file are not.
 */
static void
test_sniff_long_text(void **state)
{
	cl_buf b = CL_BUF_INIT;
	const char *mime;
	size_t pad, i;

	(void)state;
	/* Pad the start until byte CL_SNIFF_BYTES is inside a character. */
	for (pad = 0; pad < 8; pad++) {
		cl_buf_reset(&b);
		for (i = 0; i < pad; i++)
			cl_buf_putc(&b, 'x');
		while (b.len < CL_SNIFF_BYTES + 100)
			cl_buf_puts(&b,
			    "Caf\xC3\xA9 \xE2\x80\x9Cquotes\xE2\x80\x9D "
			    "\xF0\x9F\x98\x80 and text.\n");
		if (((unsigned char)b.data[CL_SNIFF_BYTES] & 0xC0) == 0x80)
			break;
	}
	assert_true(pad < 8);
	assert_int_equal(cl_sniff(sniffer, b.data, CL_SNIFF_BYTES, &mime),
	    CL_OK);
	assert_string_equal(mime, "text/plain");
	assert_int_equal(cl_sniff(sniffer, b.data, CL_SNIFF_BYTES - 1, &mime),
	    CL_EPARSE);
	/* A bad byte early on is found. */
	b.data[1000] = (char)0xFF;
	assert_int_equal(cl_sniff(sniffer, b.data, CL_SNIFF_BYTES, &mime),
	    CL_EPARSE);
	cl_buf_free(&b);
}

static void
test_types_and_words(void **state)
{
	static const char *const mimes[] = { "application/pdf", DOCX, XLSX, ODT,
		ODS, "image/png", "image/jpeg", "text/plain", "text/csv" };
	const cl_filetype *t;
	cl_buf b = CL_BUF_INIT;
	size_t n, i;

	(void)state;
	t = cl_attach_types(&n);
	assert_int_equal(n, 9);
	for (i = 0; i < n; i++) {
		assert_string_equal(t[i].mime, mimes[i]);
		assert_ptr_equal(cl_attach_type(mimes[i]), &t[i]);
		assert_non_null(strstr(cl_attach_accept(), t[i].ext));
		assert_non_null(t[i].name);
	}
	assert_string_equal(t[1].name, "Word document (DOCX)");
	assert_null(cl_attach_type("application/zip"));
	assert_null(cl_attach_type(NULL));
	assert_true(cl_attach_is_text("text/csv"));
	assert_false(cl_attach_is_text("application/pdf"));
	assert_false(cl_attach_is_text(NULL));
	cl_attach_type_list(&b);
	assert_string_equal(cl_buf_str(&b),
	    "PDF, DOCX, XLSX, ODT, ODS, PNG, JPEG, TXT or CSV");
	/* The form's hint names the same types. */
	assert_non_null(
	    strstr(cl_fields[CL_F_ATTACHMENTS].hint, cl_buf_str(&b)));
	cl_buf_reset(&b);
	cl_attach_hint(&b, 10, 10 << 20, 25 << 20);
	assert_string_equal(cl_buf_str(&b),
	    "You can upload up to 10 files. "
	    "Each file must be smaller than 10MB, and all files together "
	    "smaller than 25MB. Files must be PDF, DOCX, XLSX, ODT, ODS, PNG, "
	    "JPEG, TXT or CSV.");
	cl_buf_reset(&b);
	cl_attach_hint(&b, 1, 512 * 1024, 512 * 1024);
	assert_string_equal(cl_buf_str(&b),
	    "You can upload up to 1 file. "
	    "Each file must be smaller than 512KB. Files must be PDF, DOCX, "
	    "XLSX, ODT, ODS, PNG, JPEG, TXT or CSV.");
	cl_buf_reset(&b);
	cl_attach_size(&b, 100);
	cl_buf_puts(&b, "|");
	cl_attach_size(&b, 1536 * 1024);
	cl_buf_puts(&b, "|");
	cl_attach_size(&b, 3 << 20);
	assert_string_equal(cl_buf_str(&b), "100 bytes|1536KB|3MB");
	cl_buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest names[] = {
		cmocka_unit_test(test_sanitise_table),
		cmocka_unit_test(test_sanitise_length),
		cmocka_unit_test(test_types_and_words),
	};
	const struct CMUnitTest sniffing[] = {
		cmocka_unit_test(test_sniff_accepted),
		cmocka_unit_test(test_sniff_prefix_is_enough),
		cmocka_unit_test(test_sniff_refused),
		cmocka_unit_test(test_sniff_text_encoding),
		cmocka_unit_test(test_sniff_prose_is_text),
		cmocka_unit_test(test_sniff_long_text),
	};
	int failed;

	failed = cmocka_run_group_tests(names, NULL, NULL);
	failed += cmocka_run_group_tests(sniffing, setup, teardown);
	return failed;
}

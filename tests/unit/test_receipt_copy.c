/*
 * test_receipt_copy.c: the submission copy (copy.json) byte for byte, what
 * it refuses, the salt, and the SHA-256 and hex helpers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <bson/bson.h>

#include "callin/hash.h"
#include "callin/receipt.h"

#define SHA_ABC \
	"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define SHA_NIL \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define STATEMENT \
	"line1\nline2\r\n\ttab \\ back\x01\x1f\x7f\b\f</script> " \
	"\xe2\x80\xa8 \xf0\x9f\x98\x80"

/*
 * What Python's json.dumps(copy, ensure_ascii=False, separators=(",", ":"))
 * prints for the same object (checked when this test was written).
 */
static const char golden[] =
    "{\"format\":\"callin-copy-v1\",\"reference\":\"CIR-7K3F-9QXD\","
    "\"received\":\"2026-11-23T14:05:09Z\","
    "\"salt\":\"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\","
    "\"fields\":{\"requester_type\":\"individual\","
    "\"full_name\":\"Zo\xc3\xab \\\"Q\\\" O'Brien\","
    "\"grounds\":[\"process\",\"best_interests\"],"
    "\"grounds_statement\":\"line1\\nline2\\r\\n\\ttab \\\\ back\\u0001\\u001f"
    "\x7f\\b\\f</script> \xe2\x80\xa8 \xf0\x9f\x98\x80\","
    "\"tags\":[],\"phone\":\"\"},"
    "\"attachments\":[{\"name\":\"report.pdf\","
    "\"content_type\":\"application/pdf\",\"size\":1234567,"
    "\"sha256\":\"" SHA_ABC "\"},"
    "{\"name\":\"donn\xc3\xa9"
    "es.csv\",\"content_type\":\"text/csv\","
    "\"size\":3,\"sha256\":\"" SHA_NIL "\"}]}";
#define GOLDEN_SHA \
	"62c07da19f52bdf3c158e65a2844d740e212371bc124486a066b67f181b84fbc"

static unsigned char salt[CL_SALT_LEN];

static void
make_fields(bson_t *f)
{
	bson_t arr;

	bson_init(f);
	BSON_APPEND_UTF8(f, "requester_type", "individual");
	BSON_APPEND_UTF8(f, "full_name", "Zo\xc3\xab \"Q\" O'Brien");
	BSON_APPEND_ARRAY_BEGIN(f, "grounds", &arr);
	BSON_APPEND_UTF8(&arr, "0", "process");
	BSON_APPEND_UTF8(&arr, "1", "best_interests");
	bson_append_array_end(f, &arr);
	BSON_APPEND_UTF8(f, "grounds_statement", STATEMENT);
	BSON_APPEND_ARRAY_BEGIN(f, "tags", &arr);
	bson_append_array_end(f, &arr);
	BSON_APPEND_UTF8(f, "phone", "");
}

static void
make_attachments(bson_t *a)
{
	bson_t d;

	bson_init(a);
	BSON_APPEND_DOCUMENT_BEGIN(a, "0", &d);
	BSON_APPEND_UTF8(&d, "blob_id", "blob-1"); /* left out */
	BSON_APPEND_UTF8(&d, "sha256", SHA_ABC);   /* any order */
	BSON_APPEND_INT64(&d, "size", 1234567);
	BSON_APPEND_UTF8(&d, "content_type", "application/pdf");
	BSON_APPEND_UTF8(&d, "name", "report.pdf");
	bson_append_document_end(a, &d);
	BSON_APPEND_DOCUMENT_BEGIN(a, "1", &d);
	BSON_APPEND_UTF8(&d, "name",
	    "donn\xc3\xa9"
	    "es.csv");
	BSON_APPEND_UTF8(&d, "content_type", "text/csv");
	BSON_APPEND_INT32(&d, "size", 3);
	BSON_APPEND_UTF8(&d, "sha256", SHA_NIL);
	bson_append_document_end(a, &d);
}

/* The exact bytes for a fixed input, and their SHA-256. */
static void
test_receipt_copy_golden(void **state)
{
	unsigned char md[CL_SHA256_LEN];
	char hex[CL_SHA256_HEX];
	cl_buf out = CL_BUF_INIT;
	bson_t f, a;

	(void)state;
	make_fields(&f);
	make_attachments(&a);
	assert_int_equal(cl_copy_build("CIR-7K3F-9QXD", "2026-11-23T14:05:09Z",
			     salt, &f, &a, &out),
	    CL_OK);
	assert_string_equal(out.data, golden);
	assert_int_equal(out.len, sizeof golden - 1);
	cl_sha256(out.data, out.len, md);
	cl_hex(md, sizeof md, hex);
	assert_string_equal(hex, GOLDEN_SHA);
	/* no attachments, no fields: empty containers */
	cl_buf_reset(&out);
	assert_int_equal(cl_copy_build("CIR-7K3F-9QXD", "2026-11-23T14:05:09Z",
			     salt, NULL, NULL, &out),
	    CL_OK);
	assert_string_equal(out.data,
	    "{\"format\":\"callin-copy-v1\","
	    "\"reference\":\"CIR-7K3F-9QXD\",\"received\":"
	    "\"2026-11-23T14:05:09Z\",\"salt\":\"000102030405060708090a0b0c0d0"
	    "e0f101112131415161718191a1b1c1d1e1f\",\"fields\":{},"
	    "\"attachments\":[]}");
	bson_destroy(&f);
	bson_destroy(&a);
	cl_buf_free(&out);
}

/* Build with one field or attachment changed; expect CL_EINVAL. */
static void
expect_einval(const bson_t *f, const bson_t *a)
{
	cl_buf out = CL_BUF_INIT;

	cl_buf_puts(&out, "kept");
	assert_int_equal(cl_copy_build("CIR-7K3F-9QXD", "2026-11-23T14:05:09Z",
			     salt, f, a, &out),
	    CL_EINVAL);
	assert_string_equal(out.data, "kept");
	cl_buf_free(&out);
}

/* Values of the wrong type, bad UTF-8 and incomplete attachments. */
static void
test_receipt_copy_rejects(void **state)
{
	cl_buf out = CL_BUF_INIT;
	bson_t f, a, arr, d;

	(void)state;
	assert_int_equal(cl_copy_build("CIR-7K3F-9QXO", "2026-11-23T14:05:09Z",
			     salt, NULL, NULL, &out),
	    CL_EINVAL);
	assert_int_equal(cl_copy_build("CIR-7K3F-9QXD", "2026-11-23", salt,
			     NULL, NULL, &out),
	    CL_EINVAL);
	assert_int_equal(out.len, 0);
	/* a number, a document, an array holding a number, bad UTF-8 */
	bson_init(&f);
	BSON_APPEND_INT32(&f, "n", 1);
	expect_einval(&f, NULL);
	bson_reinit(&f);
	BSON_APPEND_DOCUMENT_BEGIN(&f, "d", &d);
	bson_append_document_end(&f, &d);
	expect_einval(&f, NULL);
	bson_reinit(&f);
	BSON_APPEND_ARRAY_BEGIN(&f, "grounds", &arr);
	BSON_APPEND_UTF8(&arr, "0", "process");
	BSON_APPEND_INT32(&arr, "1", 2);
	bson_append_array_end(&f, &arr);
	expect_einval(&f, NULL);
	bson_reinit(&f);
	bson_append_utf8(&f, "x", 1, "caf\xc3", 4);
	expect_einval(&f, NULL);
	bson_destroy(&f);
	/* attachments: each key missing or wrong in turn */
	for (int miss = 0; miss < 8; miss++) {
		bson_init(&a);
		BSON_APPEND_DOCUMENT_BEGIN(&a, "0", &d);
		if (miss != 0)
			BSON_APPEND_UTF8(&d, "name", "a.pdf");
		if (miss != 1)
			BSON_APPEND_UTF8(&d, "content_type", "application/pdf");
		if (miss == 4)
			BSON_APPEND_INT64(&d, "size", -1);
		else if (miss == 5)
			BSON_APPEND_DOUBLE(&d, "size", 1.0);
		else if (miss != 2)
			BSON_APPEND_INT64(&d, "size", 1);
		if (miss == 6)
			BSON_APPEND_UTF8(&d, "sha256",
			    "BA7816BF8F01CF"
			    "EA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD");
		else if (miss == 7)
			BSON_APPEND_UTF8(&d, "sha256", "abc");
		else if (miss != 3)
			BSON_APPEND_UTF8(&d, "sha256", SHA_ABC);
		bson_append_document_end(&a, &d);
		expect_einval(NULL, &a);
		bson_destroy(&a);
	}
	bson_init(&a);
	BSON_APPEND_UTF8(&a, "0", "not a document");
	expect_einval(NULL, &a);
	bson_destroy(&a);
	cl_buf_free(&out);
}

/* The salt comes from the CSPRNG: two are never equal. */
static void
test_receipt_copy_salt(void **state)
{
	unsigned char s1[CL_SALT_LEN], s2[CL_SALT_LEN];

	(void)state;
	assert_int_equal(cl_copy_salt(s1), CL_OK);
	assert_int_equal(cl_copy_salt(s2), CL_OK);
	assert_memory_not_equal(s1, s2, CL_SALT_LEN);
}

/* SHA-256 known answers, streaming equals one shot, hex both ways. */
static void
test_receipt_sha256_and_hex(void **state)
{
	unsigned char md[CL_SHA256_LEN], md2[CL_SHA256_LEN], back[4];
	char hex[CL_SHA256_HEX];
	static char big[1000003];
	cl_sha256_ctx *ctx;

	(void)state;
	cl_sha256("abc", 3, md);
	cl_hex(md, sizeof md, hex);
	assert_string_equal(hex, SHA_ABC);
	cl_sha256("", 0, md);
	cl_hex(md, sizeof md, hex);
	assert_string_equal(hex, SHA_NIL);
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (char)(i * 7);
	cl_sha256(big, sizeof big, md);
	ctx = cl_sha256_new();
	for (size_t i = 0, step = 1; i < sizeof big; i += step, step += 13)
		cl_sha256_update(ctx, big + i,
		    step < sizeof big - i ? step : sizeof big - i);
	cl_sha256_update(ctx, "", 0);
	cl_sha256_final(ctx, md2);
	assert_memory_equal(md, md2, sizeof md);
	cl_sha256_free(cl_sha256_new()); /* unfinished: no leak */
	cl_sha256_free(NULL);
	assert_int_equal(cl_unhex("00ff7a10", 8, back, 4), CL_OK);
	assert_memory_equal(back, "\x00\xff\x7a\x10", 4);
	cl_hex(back, 4, hex);
	assert_string_equal(hex, "00ff7a10");
	assert_int_equal(cl_unhex("00FF7a10", 8, back, 4), CL_EPARSE);
	assert_int_equal(cl_unhex("00ff7a1", 7, back, 4), CL_EPARSE);
	assert_int_equal(cl_unhex("00ff7a1g", 8, back, 4), CL_EPARSE);
	assert_int_equal(cl_unhex("00ff7a10", 8, back, 3), CL_EPARSE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_receipt_copy_golden),
		cmocka_unit_test(test_receipt_copy_rejects),
		cmocka_unit_test(test_receipt_copy_salt),
		cmocka_unit_test(test_receipt_sha256_and_hex),
	};

	for (size_t i = 0; i < sizeof salt; i++)
		salt[i] = (unsigned char)i;
	return cmocka_run_group_tests(tests, NULL, NULL);
}

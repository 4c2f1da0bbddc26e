/*
 * copy.c: the submission copy (copy.json) whose SHA-256 a receipt commits
 * to.  Compact JSON with a fixed key order, spelled byte for byte as
 * Python's json.dumps(copy, ensure_ascii=False, separators=(",", ":"))
 * spells it, so anyone can rebuild and check it.
 */
#include <inttypes.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/rand.h>

#include "receipt_int.h"

/* Fill salt from the CSPRNG.  CL_ECRYPTO when it fails. */
cl_err
cl_copy_salt(unsigned char salt[CL_SALT_LEN])
{
	if (RAND_bytes(salt, CL_SALT_LEN) != 1) {
		ERR_clear_error();
		return CL_ECRYPTO;
	}
	return CL_OK;
}

/* Append the n bytes of s (valid UTF-8) as a quoted JSON string.  Cannot fail. */
static void
json_string(cl_buf *b, const char *s, size_t n)
{
	cl_buf_putc(b, '"');
	cl_buf_json(b, s, n);
	cl_buf_putc(b, '"');
}

/*
 * Append the UTF-8 string at it as a JSON string.  CL_EINVAL when it is not
 * a UTF-8 element or not valid UTF-8.
 */
static cl_err
put_utf8(cl_buf *b, const bson_iter_t *it)
{
	const char *s;
	uint32_t n;

	if (!BSON_ITER_HOLDS_UTF8(it))
		return CL_EINVAL;
	s = bson_iter_utf8(it, &n);
	if (!bson_utf8_validate(s, n, true))
		return CL_EINVAL;
	json_string(b, s, n);
	return CL_OK;
}

/* Append the key at it as a JSON string and ':'.  CL_EINVAL if not UTF-8. */
static cl_err
put_key(cl_buf *b, const bson_iter_t *it)
{
	const char *k = bson_iter_key(it);

	if (!bson_utf8_validate(k, strlen(k), false))
		return CL_EINVAL;
	json_string(b, k, strlen(k));
	cl_buf_putc(b, ':');
	return CL_OK;
}

/*
 * Append the fields object: name -> string or array of strings, in order.
 * CL_EINVAL for any other value.
 */
static cl_err
put_fields(cl_buf *b, const bson_t *fields)
{
	bson_iter_t it, sub;
	bool first = true;

	cl_buf_putc(b, '{');
	if (fields != NULL && !bson_iter_init(&it, fields))
		return CL_EINVAL;
	while (fields != NULL && bson_iter_next(&it)) {
		if (!first)
			cl_buf_putc(b, ',');
		first = false;
		if (put_key(b, &it) != CL_OK)
			return CL_EINVAL;
		if (BSON_ITER_HOLDS_UTF8(&it)) {
			if (put_utf8(b, &it) != CL_OK)
				return CL_EINVAL;
			continue;
		}
		if (!BSON_ITER_HOLDS_ARRAY(&it) ||
		    !bson_iter_recurse(&it, &sub))
			return CL_EINVAL;
		cl_buf_putc(b, '[');
		for (bool f2 = true; bson_iter_next(&sub); f2 = false) {
			if (!f2)
				cl_buf_putc(b, ',');
			if (put_utf8(b, &sub) != CL_OK)
				return CL_EINVAL;
		}
		cl_buf_putc(b, ']');
	}
	cl_buf_putc(b, '}');
	return CL_OK;
}

/*
 * Append one attachment object {name, content_type, size, sha256} from the
 * document at it.  CL_EINVAL when a key is missing or of the wrong type.
 */
static cl_err
put_attachment(cl_buf *b, const bson_iter_t *it)
{
	bson_iter_t doc, v;
	const char *hex;
	uint32_t n;
	int64_t size;
	unsigned char md[CL_SHA256_LEN];

	if (!BSON_ITER_HOLDS_DOCUMENT(it) || !bson_iter_recurse(it, &doc))
		return CL_EINVAL;
	cl_buf_puts(b, "{\"name\":");
	v = doc;
	if (!bson_iter_find(&v, "name") || put_utf8(b, &v) != CL_OK)
		return CL_EINVAL;
	cl_buf_puts(b, ",\"content_type\":");
	v = doc;
	if (!bson_iter_find(&v, "content_type") || put_utf8(b, &v) != CL_OK)
		return CL_EINVAL;
	v = doc;
	if (!bson_iter_find(&v, "size") ||
	    !(BSON_ITER_HOLDS_INT32(&v) || BSON_ITER_HOLDS_INT64(&v)) ||
	    (size = bson_iter_as_int64(&v)) < 0)
		return CL_EINVAL;
	cl_buf_printf(b, ",\"size\":%" PRId64 ",\"sha256\":", size);
	v = doc;
	if (!bson_iter_find(&v, "sha256") || !BSON_ITER_HOLDS_UTF8(&v))
		return CL_EINVAL;
	hex = bson_iter_utf8(&v, &n);
	if (cl_unhex(hex, n, md, sizeof md) != CL_OK)
		return CL_EINVAL;
	json_string(b, hex, n);
	cl_buf_putc(b, '}');
	return CL_OK;
}

/*
 * Append copy.json for the request to out (see receipt.h for the layout).
 * CL_EINVAL, out unchanged, for a bad reference or received time or a
 * value that is not what receipt.h says.
 */
cl_err
cl_copy_build(const char *reference, const char *received,
    const unsigned char salt[CL_SALT_LEN], const bson_t *fields,
    const bson_t *attachments, cl_buf *out)
{
	char hex[2 * CL_SALT_LEN + 1];
	cl_buf b = CL_BUF_INIT;
	bson_iter_t it;
	bool first = true;

	if (!cl_rcpt_reference_ok(reference, strlen(reference)) ||
	    !cl_rcpt_received_ok(received, strlen(received)))
		goto err;
	cl_hex(salt, CL_SALT_LEN, hex);
	cl_buf_printf(&b,
	    "{\"format\":\"" CL_COPY_FORMAT "\","
	    "\"reference\":\"%s\",\"received\":\"%s\",\"salt\":\"%s\","
	    "\"fields\":",
	    reference, received, hex);
	if (put_fields(&b, fields) != CL_OK)
		goto err;
	cl_buf_puts(&b, ",\"attachments\":[");
	if (attachments != NULL && !bson_iter_init(&it, attachments))
		goto err;
	while (attachments != NULL && bson_iter_next(&it)) {
		if (!first)
			cl_buf_putc(&b, ',');
		first = false;
		if (put_attachment(&b, &it) != CL_OK)
			goto err;
	}
	cl_buf_puts(&b, "]}");
	cl_buf_add(out, b.data, b.len);
	cl_buf_free(&b);
	return CL_OK;
err:
	cl_buf_free(&b);
	return CL_EINVAL;
}

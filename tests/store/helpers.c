/* helpers.c: fresh stores, documents and blobs for the conformance suite. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <mongoc/mongoc.h>
#include <openssl/rand.h>

#include "callin/clock.h"
#include "store_test.h"

struct t_env t_env;

/*
 * Set c->spec to a store no test used before: a new file in the run's
 * directory, or a new database named in the MongoDB URI's path.
 */
void
t_new_spec(struct t_case *c)
{
	const char *u = t_env.mongo_uri, *hosts, *end;
	char db[128];
	size_t hlen;

	t_env.serial++;
	if (t_env.sqlite) {
		snprintf(c->path, sizeof c->path, "%s/store-%u.db", t_env.dir,
		    t_env.serial);
		snprintf(c->spec, sizeof c->spec, "sqlite:%s", c->path);
		return;
	}
	c->path[0] = '\0';
	snprintf(db, sizeof db, "%s_%u", t_env.run_id, t_env.serial);
	/* mongodb://[user@]host[,host]/[db][?options]: replace db. */
	hosts = strstr(u, "://");
	assert_non_null(hosts);
	hosts += 3;
	hlen = strcspn(hosts, "/?");
	end = hosts + hlen;
	if (*end == '/')
		end += 1 + strcspn(end + 1, "?");
	snprintf(c->spec, sizeof c->spec, "%.*s/%s%s", (int)(hosts + hlen - u),
	    u, db, end);
}

int
t_setup(void **state)
{
	struct t_case *c;

	c = test_calloc(1, sizeof *c);
	t_new_spec(c);
	if (cl_store_open(c->spec, &c->st) != CL_OK) {
		fprintf(stderr, "cannot open store %s\n", c->spec);
		test_free(c);
		return -1;
	}
	*state = c;
	return 0;
}

int
t_teardown(void **state)
{
	struct t_case *c = *state;

	cl_store_close(c->st);
	test_free(c);
	return 0;
}

int64_t
t_now_ms(void)
{
	return cl_now_ms();
}

void
t_random(void *p, size_t n)
{
	assert_int_equal(RAND_bytes(p, (int)n), 1);
}

/* n random bytes as 2n upper- or lower-case hex digits into out. */
static void
t_hex(char *out, size_t n, int upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	unsigned char r[32];
	size_t i;

	assert_true(n <= sizeof r);
	t_random(r, n);
	for (i = 0; i < n; i++) {
		out[2 * i] = digits[r[i] >> 4];
		out[2 * i + 1] = digits[r[i] & 0xf];
	}
	out[2 * n] = '\0';
}

void
t_keys_new(struct t_keys *k)
{
	char h[17];

	t_hex(k->token, 16, 0);
	t_hex(h, 4, 1);
	snprintf(k->reference, sizeof k->reference, "CIR-%.4s-%.4s", h, h + 4);
	t_hex(h, 8, 0);
	snprintf(k->idem, sizeof k->idem, "idem-%s", h);
	k->received_ms = t_now_ms();
}

/* t_doc(), with fields.email set to email unless it is NULL. */
static void
t_doc_build(bson_t *doc, const struct t_keys *k, const char *const *blobs,
    size_t n, int notes, const char *email)
{
	bson_t sub, arr, el, to;
	char key[16], name[48];
	const char *kp;
	uint8_t bin[5] = { 0, 1, 2, 0xfe, 0xff };
	size_t i;

	bson_init(doc);
	BSON_APPEND_UTF8(doc, "token", k->token);
	BSON_APPEND_UTF8(doc, "reference", k->reference);
	BSON_APPEND_UTF8(doc, "idempotency_key", k->idem);
	BSON_APPEND_UTF8(doc, "received", "2026-11-23T14:05:09Z");
	BSON_APPEND_INT64(doc, "received_ms", k->received_ms);
	BSON_APPEND_DOCUMENT_BEGIN(doc, "fields", &sub);
	BSON_APPEND_UTF8(&sub, "full_name", "Zoë Ærøskøbing-Ng \xe2\x80\x94");
	if (email != NULL)
		BSON_APPEND_UTF8(&sub, "email", email);
	BSON_APPEND_UTF8(&sub, "proposal_title", "Close the <b>unit</b>");
	BSON_APPEND_ARRAY_BEGIN(&sub, "grounds", &arr);
	BSON_APPEND_UTF8(&arr, "0", "process");
	BSON_APPEND_UTF8(&arr, "1", "best_interests");
	bson_append_array_end(&sub, &arr);
	bson_append_document_end(doc, &sub);
	BSON_APPEND_ARRAY_BEGIN(doc, "attachments", &arr);
	for (i = 0; i < n; i++) {
		bson_uint32_to_string((uint32_t)i, &kp, key, sizeof key);
		bson_append_document_begin(&arr, kp, -1, &el);
		BSON_APPEND_UTF8(&el, "blob_id", blobs[i]);
		snprintf(name, sizeof name, "evidence-%zu.pdf", i);
		BSON_APPEND_UTF8(&el, "name", name);
		BSON_APPEND_UTF8(&el, "content_type", "application/pdf");
		BSON_APPEND_INT64(&el, "size", (int64_t)(1000 + i));
		BSON_APPEND_UTF8(&el, "sha256",
		    "e3b0c44298fc1c149afbf4c8996fb"
		    "92427ae41e4649b934ca495991b7852b855");
		bson_append_document_end(&arr, &el);
	}
	bson_append_array_end(doc, &arr);
	if (notes) {
		BSON_APPEND_ARRAY_BEGIN(doc, "notifications", &arr);
		BSON_APPEND_DOCUMENT_BEGIN(&arr, "0", &el);
		BSON_APPEND_UTF8(&el, "kind", "staff_alert");
		BSON_APPEND_ARRAY_BEGIN(&el, "to", &to);
		BSON_APPEND_UTF8(&to, "0", "staff1@example.org");
		BSON_APPEND_UTF8(&to, "1", "staff\"2@example.org");
		bson_append_array_end(&el, &to);
		bson_append_document_end(&arr, &el);
		BSON_APPEND_DOCUMENT_BEGIN(&arr, "1", &el);
		BSON_APPEND_UTF8(&el, "kind", "requester_confirmation");
		BSON_APPEND_ARRAY_BEGIN(&el, "to", &to);
		BSON_APPEND_UTF8(&to, "0", "requester@example.org");
		bson_append_array_end(&el, &to);
		BSON_APPEND_UTF8(&el, "message_id", "<confirm.x@callin>");
		BSON_APPEND_INT64(&el, "due_ms", k->received_ms + 5);
		bson_append_document_end(&arr, &el);
		bson_append_array_end(doc, &arr);
	}
	BSON_APPEND_UTF8(doc, "copy_json", "{\"format\":\"callin-copy-v1\"}\n");
	BSON_APPEND_BINARY(doc, "salt", BSON_SUBTYPE_BINARY, bin, sizeof bin);
	BSON_APPEND_DOUBLE(doc, "version", 1.5);
	BSON_APPEND_BOOL(doc, "flag", true);
}

void
t_doc(bson_t *doc, const struct t_keys *k, const char *const *blobs, size_t n,
    int notes)
{
	t_doc_build(doc, k, blobs, n, notes, NULL);
}

void
t_doc_email(bson_t *doc, const struct t_keys *k, const char *email)
{
	t_doc_build(doc, k, NULL, 0, 1, email);
}

cl_err
t_put_email(cl_store *st, struct t_keys *k, const char *email,
    int64_t received_ms)
{
	bson_t doc;
	cl_err rc;

	t_keys_new(k);
	k->received_ms = received_ms;
	t_doc_email(&doc, k, email);
	rc = cl_store_put(st, &doc, NULL);
	bson_destroy(&doc);
	return rc;
}

int64_t
t_count_email(cl_store *st, const char *email, int64_t since_ms)
{
	int64_t n = -1;

	assert_int_equal(cl_store_count_by_email(st, email, since_ms, &n),
	    CL_OK);
	return n;
}

void
t_blob(cl_store *st, const void *data, size_t n, size_t step,
    char id[CL_BLOB_ID_MAX])
{
	const unsigned char *p = data;
	cl_blob *b;
	size_t off, len;

	assert_int_equal(cl_store_blob_open(st, "evidence.pdf", &b), CL_OK);
	assert_non_null(b);
	for (off = 0; off < n; off += len) {
		len = step == 0 || n - off < step ? n - off : step;
		assert_int_equal(cl_blob_write(b, p + off, len), CL_OK);
	}
	memset(id, 0, CL_BLOB_ID_MAX);
	assert_int_equal(cl_blob_finish(b, id), CL_OK);
	assert_true(id[0] != '\0');
	assert_true(strlen(id) < CL_BLOB_ID_MAX);
}

/* A sink that appends to a cl_buf. */
static cl_err
t_sink(void *arg, const void *p, size_t n)
{
	cl_buf_add(arg, p, n);
	return CL_OK;
}

cl_err
t_read(cl_store *st, const char *id, cl_buf *out)
{
	cl_buf_reset(out);
	return cl_store_blob_read(st, id, t_sink, out);
}

int64_t
t_count(cl_store *st)
{
	int64_t n = -1;

	assert_int_equal(cl_store_count(st, &n), CL_OK);
	return n;
}

cl_err
t_put_simple(cl_store *st, struct t_keys *k)
{
	bson_t doc;
	cl_err rc;

	t_keys_new(k);
	t_doc(&doc, k, NULL, 0, 0);
	rc = cl_store_put(st, &doc, NULL);
	bson_destroy(&doc);
	return rc;
}

/*
 * Whether the server MONGODB_URI names is FerretDB (its buildInfo carries
 * ferretdbVersion); false for any other server and when it cannot be asked.
 */
int
t_is_ferretdb(void)
{
	mongoc_client_t *cl;
	bson_t *cmd, reply;
	bson_iter_t it;
	bson_error_t err;
	int yes = 0;

	if (t_env.sqlite || (cl = mongoc_client_new(t_env.mongo_uri)) == NULL)
		return 0;
	cmd = BCON_NEW("buildInfo", BCON_INT32(1));
	if (mongoc_client_command_simple(cl, "admin", cmd, NULL, &reply, &err))
		yes = bson_iter_init_find(&it, &reply, "ferretdbVersion");
	bson_destroy(&reply);
	bson_destroy(cmd);
	mongoc_client_destroy(cl);
	return yes;
}

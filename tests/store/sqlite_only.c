/*
 * sqlite_only.c: conformance tests only the SQLite backend can take,
 * because they look into the file with a second connection or make the
 * file misbehave: the outbox rows, the file's settings, a lock held past
 * the busy timeout, failing writes, a read-only file, several processes
 * opening one new file at once.
 *
 * The tests run as root on CI, and root ignores file modes, so:
 *   - "locked" is a second connection holding BEGIN EXCLUSIVE, with the
 *     store's busy timeout lowered through CALLIN_SQLITE_BUSY_MS;
 *   - "disk full" is RLIMIT_FSIZE lowered to 0 (SIGXFSZ ignored): every
 *     write(2) to a file then fails with EFBIG, which SQLite sees as it
 *     would see ENOSPC or EROFS, an I/O error on write;
 *   - "read-only file" runs in a child process that drops to uid/gid 65534
 *     (nobody) when started as root, where chmod 0444 then bites.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store_test.h"

#define BUSY_MS 200

/* Open a second connection on path. */
static sqlite3 *
side_open(const char *path)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE,
			     NULL),
	    SQLITE_OK);
	return db;
}

/* A second connection on path holding the write lock. */
static sqlite3 *
lock_db(const char *path)
{
	sqlite3 *db = side_open(path);

	assert_int_equal(sqlite3_exec(db, "BEGIN EXCLUSIVE", NULL, NULL, NULL),
	    SQLITE_OK);
	return db;
}

/* Release and close a lock_db() connection. */
static void
unlock_db(sqlite3 *db)
{
	assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

/* The single integer the query sql answers on path. */
static int64_t
q_int(const char *path, const char *sql)
{
	sqlite3 *db = side_open(path);
	sqlite3_stmt *st;
	int64_t v;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static int
group_setup(void **state)
{
	(void)state;
	return setenv("CALLIN_SQLITE_BUSY_MS", "200", 1);
}

static int
group_teardown(void **state)
{
	(void)state;
	return unsetenv("CALLIN_SQLITE_BUSY_MS");
}

/* The file is in WAL mode with schema version 4 and the four tables. */
static void
test_sq_file(void **state)
{
	struct t_case *c = *state;
	struct t_keys k;
	cl_store *again;
	bson_t got;
	sqlite3 *db;
	sqlite3_stmt *st;

	db = side_open(c->path);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st,
			     NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	sqlite3_close(db);
	assert_int_equal(q_int(c->path, "PRAGMA user_version"), 7);
	assert_int_equal(
	    q_int(c->path,
		"SELECT count(*) FROM sqlite_schema"
		" WHERE type = 'table' AND name IN ('requests', 'blobs',"
		" 'blob_chunks', 'outbox')"),
	    4);
	/* The index that covers the outbox stats (version 3). */
	assert_int_equal(
	    q_int(c->path,
		"SELECT count(*) FROM sqlite_schema"
		" WHERE type = 'index' AND name = 'outbox_first_due'"),
	    1);
	/* The index that serves the count by email (version 4). */
	assert_int_equal(
	    q_int(c->path,
		"SELECT count(*) FROM sqlite_schema"
		" WHERE type = 'index' AND name = 'requests_email'"),
	    1);

	/* A second handle on the same file sees the first one's writes. */
	assert_int_equal(cl_store_open(c->spec, &again), CL_OK);
	assert_int_equal(t_put_simple(c->st, &k), CL_OK);
	assert_int_equal(cl_store_get(again, CL_KEY_TOKEN, k.token, &got),
	    CL_OK);
	bson_destroy(&got);
	assert_int_equal(t_put_simple(again, &k), CL_OK);
	assert_int_equal(t_count(c->st), 2);
	cl_store_close(again);
	assert_int_equal(q_int(c->path, "PRAGMA user_version"), 7);
}

/* Count the outbox rows of the request token (NULL: all). */
static int64_t
outbox_rows(const char *path, const char *token)
{
	char sql[256];

	if (token == NULL)
		return q_int(path, "SELECT count(*) FROM outbox");
	snprintf(sql, sizeof sql,
	    "SELECT count(*) FROM outbox WHERE "
	    "request_token = '%s'",
	    token);
	return q_int(path, sql);
}

/* A put queues its notifications; a failed put queues none. */
static void
test_sq_outbox(void **state)
{
	struct t_case *c = *state;
	char id[CL_BLOB_ID_MAX], bad[CL_BLOB_ID_MAX];
	const char *blobs[1] = { bad };
	struct t_keys k, k2;
	bson_t doc, arr, el;
	sqlite3 *db;
	sqlite3_stmt *st;

	t_keys_new(&k);
	t_doc(&doc, &k, NULL, 0, 1);
	assert_int_equal(cl_store_put(c->st, &doc, NULL), CL_OK);
	bson_destroy(&doc);

	db = side_open(c->path);
	assert_int_equal(
	    sqlite3_prepare_v2(db,
		"SELECT request_token, kind,"
		" recipients, message_id, status, attempts, due_ms,"
		" lease_until_ms, last_error, first_due_ms FROM outbox ORDER BY id",
		-1, &st, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), k.token);
	assert_string_equal((const char *)sqlite3_column_text(st, 1),
	    "staff_alert");
	assert_string_equal((const char *)sqlite3_column_text(st, 2),
	    "[\"staff1@example.org\",\"staff\\\"2@example.org\"]");
	assert_int_equal(sqlite3_column_type(st, 3), SQLITE_NULL);
	assert_string_equal((const char *)sqlite3_column_text(st, 4), "due");
	assert_int_equal(sqlite3_column_int64(st, 5), 0);
	assert_int_equal(sqlite3_column_int64(st, 6), k.received_ms);
	assert_int_equal(sqlite3_column_int64(st, 7), 0);
	assert_int_equal(sqlite3_column_type(st, 8), SQLITE_NULL);
	assert_int_equal(sqlite3_column_int64(st, 9), k.received_ms);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 1),
	    "requester_confirmation");
	assert_string_equal((const char *)sqlite3_column_text(st, 2),
	    "[\"requester@example.org\"]");
	assert_string_equal((const char *)sqlite3_column_text(st, 3),
	    "<confirm.x@callin>");
	assert_int_equal(sqlite3_column_int64(st, 6), k.received_ms + 5);
	assert_int_equal(sqlite3_column_int64(st, 9), k.received_ms + 5);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	sqlite3_close(db);

	/* A duplicate idempotency key queues nothing. */
	t_keys_new(&k2);
	memcpy(k2.idem, k.idem, sizeof k2.idem);
	t_doc(&doc, &k2, NULL, 0, 1);
	assert_int_equal(cl_store_put(c->st, &doc, NULL), CL_EDUP);
	bson_destroy(&doc);
	/* Nor does a put naming an unknown blob (it fails after the insert). */
	t_blob(c->st, "x", 1, 0, id);
	memcpy(bad, id, sizeof bad);
	bad[0] = bad[0] == 'f' ? 'e' : 'f';
	t_keys_new(&k2);
	t_doc(&doc, &k2, blobs, 1, 1);
	assert_int_equal(cl_store_put(c->st, &doc, NULL), CL_EINVAL);
	bson_destroy(&doc);
	/* Nor a malformed notification. */
	t_doc(&doc, &k2, NULL, 0, 0);
	BSON_APPEND_ARRAY_BEGIN(&doc, "notifications", &arr);
	BSON_APPEND_DOCUMENT_BEGIN(&arr, "0", &el);
	BSON_APPEND_UTF8(&el, "kind", "staff_alert");
	BSON_APPEND_UTF8(&el, "to", "not-an-array@example.org");
	bson_append_document_end(&arr, &el);
	bson_append_array_end(&doc, &arr);
	assert_int_equal(cl_store_put(c->st, &doc, NULL), CL_EINVAL);
	bson_destroy(&doc);
	assert_int_equal(outbox_rows(c->path, NULL), 2);
	assert_int_equal(outbox_rows(c->path, k2.token), 0);
	assert_int_equal(t_count(c->st), 1);

	/* The next good one does. */
	blobs[0] = id;
	t_doc(&doc, &k2, blobs, 1, 1);
	assert_int_equal(cl_store_put(c->st, &doc, NULL), CL_OK);
	bson_destroy(&doc);
	assert_int_equal(outbox_rows(c->path, k2.token), 2);
	assert_int_equal(outbox_rows(c->path, NULL), 4);
}

/* A write lock held past the busy timeout: CL_EUNAVAIL, then recovery. */
static void
test_sq_locked(void **state)
{
	struct t_case *c = *state;
	struct t_keys k1, k2;
	int64_t t0, waited, removed;
	cl_blob *w = (cl_blob *)state;
	bson_t doc, got;
	sqlite3 *locker;

	assert_int_equal(t_put_simple(c->st, &k1), CL_OK);
	t_keys_new(&k2);
	t_doc(&doc, &k2, NULL, 0, 1);

	locker = lock_db(c->path);
	t0 = t_now_ms();
	assert_int_equal(cl_store_put(c->st, &doc, NULL), CL_EUNAVAIL);
	waited = t_now_ms() - t0;
	assert_true(waited >= BUSY_MS - 20);
	assert_true(waited < 3000);
	assert_int_equal(cl_store_blob_open(c->st, "x", &w), CL_EUNAVAIL);
	assert_null(w);
	assert_int_equal(cl_store_sweep(c->st, t_now_ms(), &removed),
	    CL_EUNAVAIL);
	/* WAL readers are not blocked by the writer. */
	assert_int_equal(cl_store_get(c->st, CL_KEY_TOKEN, k1.token, &got),
	    CL_OK);
	bson_destroy(&got);
	assert_int_equal(cl_store_ping(c->st), CL_OK);
	unlock_db(locker);

	/* The same handle works again, and the failed put left nothing. */
	assert_int_equal(t_count(c->st), 1);
	assert_int_equal(outbox_rows(c->path, k2.token), 0);
	assert_int_equal(cl_store_put(c->st, &doc, NULL), CL_OK);
	bson_destroy(&doc);
	assert_int_equal(t_count(c->st), 2);
	assert_int_equal(outbox_rows(c->path, k2.token), 2);
	assert_int_equal(cl_store_get(c->st, CL_KEY_REFERENCE, k2.reference,
			     &got),
	    CL_OK);
	bson_destroy(&got);
}

/*
 * A blob write that fails makes finish fail and remove the partial blob;
 * an abort that cannot remove its blob leaves it to the sweeper.
 */
static void
test_sq_blob_write_error(void **state)
{
	struct t_case *c = *state;
	static unsigned char data[300 * 1024];
	char id[CL_BLOB_ID_MAX];
	int64_t removed;
	sqlite3 *locker;
	cl_blob *w;

	t_random(data, sizeof data);
	assert_int_equal(cl_store_blob_open(c->st, "x", &w), CL_OK);
	assert_int_equal(cl_blob_write(w, data, 100 * 1024), CL_OK);
	locker = lock_db(c->path);
	assert_int_equal(cl_blob_write(w, data, sizeof data), CL_EUNAVAIL);
	unlock_db(locker);
	assert_int_equal(cl_blob_write(w, data, 10), CL_EUNAVAIL);
	assert_int_not_equal(cl_blob_finish(w, id), CL_OK);
	assert_int_equal(q_int(c->path, "SELECT count(*) FROM blobs"), 0);
	assert_int_equal(q_int(c->path, "SELECT count(*) FROM blob_chunks"), 0);

	assert_int_equal(cl_store_blob_open(c->st, "y", &w), CL_OK);
	assert_int_equal(cl_blob_write(w, data, sizeof data), CL_OK);
	assert_int_equal(q_int(c->path, "SELECT count(*) FROM blob_chunks"), 1);
	locker = lock_db(c->path);
	cl_blob_abort(w);
	unlock_db(locker);
	assert_int_equal(q_int(c->path, "SELECT count(*) FROM blobs"), 1);
	assert_int_equal(cl_store_sweep(c->st, t_now_ms() + 60000, &removed),
	    CL_OK);
	assert_int_equal(removed, 1);
	assert_int_equal(q_int(c->path, "SELECT count(*) FROM blobs"), 0);
	assert_int_equal(q_int(c->path, "SELECT count(*) FROM blob_chunks"), 0);
}

/* Let writes to files fail (limit 0) or work again (saved limit). */
static struct rlimit saved_fsize;

static void
writes_fail(void)
{
	struct rlimit rl;

	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved_fsize), 0);
	rl = saved_fsize;
	rl.rlim_cur = 0;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

static int
writes_work(void **state)
{
	if (saved_fsize.rlim_max != 0)
		setrlimit(RLIMIT_FSIZE, &saved_fsize);
	return t_teardown(state);
}

/* Writes failing like on a full disk: CL_EUNAVAIL, then recovery. */
static void
test_sq_disk_full(void **state)
{
	struct t_case *c = *state;
	static unsigned char data[600 * 1024];
	char id[CL_BLOB_ID_MAX];
	const char *blobs[1] = { id };
	struct t_keys k1, k2;
	cl_buf b = CL_BUF_INIT;
	bson_t doc, got;
	cl_blob *w;

	t_random(data, sizeof data);
	assert_int_equal(t_put_simple(c->st, &k1), CL_OK);
	assert_int_equal(cl_store_blob_open(c->st, "x", &w), CL_OK);
	t_keys_new(&k2);
	t_doc(&doc, &k2, NULL, 0, 1);

	writes_fail();
	assert_int_equal(cl_store_put(c->st, &doc, NULL), CL_EUNAVAIL);
	assert_int_equal(cl_blob_write(w, data, sizeof data), CL_EUNAVAIL);
	assert_int_not_equal(cl_blob_finish(w, id), CL_OK);
	assert_int_equal(cl_store_get(c->st, CL_KEY_TOKEN, k1.token, &got),
	    CL_OK);
	bson_destroy(&got);
	assert_int_equal(cl_store_get(c->st, CL_KEY_TOKEN, k2.token, &got),
	    CL_ENOTFOUND);
	assert_int_equal(t_count(c->st), 1);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved_fsize), 0);

	/* The same handle recovers. */
	assert_int_equal(cl_store_put(c->st, &doc, NULL), CL_OK);
	bson_destroy(&doc);
	assert_int_equal(cl_store_get(c->st, CL_KEY_TOKEN, k2.token, &got),
	    CL_OK);
	bson_destroy(&got);
	t_blob(c->st, data, sizeof data, 1000, id);
	t_keys_new(&k2);
	t_doc(&doc, &k2, blobs, 1, 1);
	assert_int_equal(cl_store_put(c->st, &doc, NULL), CL_OK);
	bson_destroy(&doc);
	assert_int_equal(t_count(c->st), 3);
	assert_int_equal(t_read(c->st, id, &b), CL_OK);
	assert_int_equal(b.len, sizeof data);
	assert_true(memcmp(b.data, data, sizeof data) == 0);
	cl_buf_free(&b);
	assert_int_equal(outbox_rows(c->path, NULL), 4);
	assert_int_equal(
	    q_int(c->path,
		"SELECT count(*) FROM"
		" pragma_integrity_check WHERE integrity_check != 'ok'"),
	    0);
}

#define CHECK(x) \
	do { \
		if (!(x)) { \
			fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, \
			    __LINE__, #x); \
			return 1; \
		} \
	} while (0)

/*
 * In a child process, as nobody when started as root: a store whose file
 * is read-only opens and reads but cannot write (CL_EUNAVAIL), and writes
 * again once the file is writable, without being reopened.  Returns the
 * exit status: 0 passed, 1 failed, 77 could not drop privileges.
 */
static int
readonly_child(void)
{
	static const char *const sfxs[] = { "-wal", "-shm", NULL };
	char dir[] = "/tmp/callin-ro-XXXXXX", path[64], spec[80], f[80];
	const char *const *sfx;
	struct t_keys k1, k2;
	cl_store *st;
	bson_t doc, got;
	int64_t n;
	int rc = 1;

	if (geteuid() == 0 && (setgid(65534) == -1 || setuid(65534) == -1))
		return 77;
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof path, "%s/ro.db", dir);
	snprintf(spec, sizeof spec, "sqlite:%s", path);
	CHECK(cl_store_open(spec, &st) == CL_OK);
	CHECK(t_put_simple(st, &k1) == CL_OK);
	cl_store_close(st);

	CHECK(chmod(path, 0444) == 0);
	CHECK(cl_store_open(spec, &st) == CL_OK);
	CHECK(cl_store_get(st, CL_KEY_TOKEN, k1.token, &got) == CL_OK);
	bson_destroy(&got);
	t_keys_new(&k2);
	t_doc(&doc, &k2, NULL, 0, 1);
	CHECK(cl_store_put(st, &doc, NULL) == CL_EUNAVAIL);
	CHECK(cl_store_put(st, &doc, NULL) == CL_EUNAVAIL);
	/*
	 * Writable again.  The read-only connection created the -shm (and
	 * -wal) with the database file's mode, so they are made writable too,
	 * as `chmod u+w ro.db*` would.
	 */
	CHECK(chmod(path, 0644) == 0);
	for (sfx = sfxs; *sfx != NULL; sfx++) {
		snprintf(f, sizeof f, "%s%s", path, *sfx);
		CHECK(chmod(f, 0644) == 0 || errno == ENOENT);
	}
	CHECK(cl_store_put(st, &doc, NULL) == CL_OK);
	CHECK(cl_store_count(st, &n) == CL_OK && n == 2);
	CHECK(cl_store_get(st, CL_KEY_TOKEN, k2.token, &got) == CL_OK);
	bson_destroy(&got);
	bson_destroy(&doc);
	cl_store_close(st);
	rc = 0;
	for (sfx = sfxs; *sfx != NULL; sfx++) {
		snprintf(f, sizeof f, "%s%s", path, *sfx);
		unlink(f);
	}
	unlink(path);
	rmdir(dir);
	return rc;
}

static void
test_sq_readonly_file(void **state)
{
	int status;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0)
		_exit(readonly_child());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* No directory, or a file that is not a database: CL_EUNAVAIL, no handle. */
static void
test_sq_cannot_open(void **state)
{
	struct t_case c;
	cl_store *st = (cl_store *)state;
	char spec[PATH_MAX + 32];
	FILE *fp;

	t_new_spec(&c);
	snprintf(spec, sizeof spec, "sqlite:%s/no-such-dir/x.db", t_env.dir);
	assert_int_equal(cl_store_open(spec, &st), CL_EUNAVAIL);
	assert_null(st);

	assert_non_null(fp = fopen(c.path, "w"));
	for (int i = 0; i < 200; i++)
		fputs("this is not an SQLite database file\n", fp);
	fclose(fp);
	st = (cl_store *)state;
	assert_int_equal(cl_store_open(c.spec, &st), CL_EUNAVAIL);
	assert_null(st);
}

#define NCHILD 8

/* Several processes create and fill one new file at the same moment. */
static void
test_sq_concurrent_open(void **state)
{
	struct t_case c;
	struct t_keys k;
	cl_store *st;
	pid_t pids[NCHILD];
	int go[2], i, status;
	char x;

	(void)state;
	t_new_spec(&c);
	assert_int_equal(pipe(go), 0);
	for (i = 0; i < NCHILD; i++) {
		pids[i] = fork();
		assert_true(pids[i] != -1);
		if (pids[i] == 0) {
			close(go[1]);
			if (read(go[0], &x, 1) != 0)
				_exit(2);
			if (cl_store_open(c.spec, &st) != CL_OK)
				_exit(3);
			if (t_put_simple(st, &k) != CL_OK)
				_exit(4);
			cl_store_close(st);
			_exit(0);
		}
	}
	close(go[0]);
	close(go[1]);
	for (i = 0; i < NCHILD; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	assert_int_equal(cl_store_open(c.spec, &st), CL_OK);
	assert_int_equal(t_count(st), NCHILD);
	cl_store_close(st);
	assert_int_equal(q_int(c.path, "PRAGMA user_version"), 7);
}

/* Size of the file path + suffix, 0 when it does not exist. */
static off_t
file_size(const char *path, const char *suffix)
{
	char p[PATH_MAX + 8];
	struct stat sb;

	snprintf(p, sizeof p, "%s%s", path, suffix);
	return stat(p, &sb) == 0 ? sb.st_size : 0;
}

/*
 * Deferred syncs (the committer's way): commits at synchronous=NORMAL,
 * SQLite's own checkpoints off, cl_store_sync() and cl_store_checkpoint()
 * doing both.  Without checkpoints the WAL grows past SQLite's automatic
 * bound; with them it stays near it; every request is readable from
 * another handle throughout.
 */
static void
test_sq_deferred_sync(void **state)
{
	struct t_case *c = *state;
	cl_store *other;
	cl_store_put_item v[10];
	struct t_keys k[10];
	bson_t doc[10];
	off_t grown = 0, kept;
	int64_t n;

	cl_store_defer_sync(c->st);
	for (int round = 0; round < 2; round++) {
		for (int b = 0; b < 60; b++) {
			for (int i = 0; i < 10; i++) {
				t_keys_new(&k[i]);
				t_doc(&doc[i], &k[i], NULL, 0, 1);
				memset(&v[i], 0, sizeof v[i]);
				v[i].doc = &doc[i];
			}
			assert_int_equal(cl_store_put_batch(c->st, v, 10),
			    CL_OK);
			for (int i = 0; i < 10; i++) {
				assert_int_equal(v[i].rc, CL_OK);
				bson_destroy(&doc[i]);
			}
			assert_int_equal(cl_store_sync(c->st), CL_OK);
			if (round == 1)
				cl_store_checkpoint(c->st);
		}
		if (round == 0)
			grown = file_size(c->path, "-wal");
	}
	kept = file_size(c->path, "-wal");
	/* 600 requests of a few KiB: well past 1000 pages unless checkpointed. */
	assert_true(grown > (off_t)1000 * 4096);
	/* Reused from its start: a second 600 would have doubled it. */
	assert_true(kept < grown * 3 / 2);
	assert_int_equal(cl_store_open(c->spec, &other), CL_OK);
	assert_int_equal(cl_store_count(other, &n), CL_OK);
	assert_int_equal(n, 1200);
	cl_store_close(other);
}

int
t_sqlite_group(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sq_file, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_sq_outbox, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_sq_locked, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_sq_blob_write_error,
		    t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(test_sq_disk_full, t_setup,
		    writes_work),
		cmocka_unit_test(test_sq_readonly_file),
		cmocka_unit_test(test_sq_cannot_open),
		cmocka_unit_test(test_sq_concurrent_open),
		cmocka_unit_test_setup_teardown(test_sq_deferred_sync, t_setup,
		    t_teardown),
	};

	return cmocka_run_group_tests_name("store sqlite only", tests,
	    group_setup, group_teardown);
}

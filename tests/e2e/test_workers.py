"""The process model: workers replaced after SIGKILL, drained on SIGTERM,
and the store down and back without a restart."""
import os
import signal
import sqlite3
import threading
import time

import pytest
import requests

from fcgi_client import Request, params
from harness import Stack, multipart_fields, new_form, submit, token_of, valid_answers, wait_for


def test_killed_worker_is_replaced(stack):
    before = stack.worker_pids()
    assert len(before) == 2
    os.kill(before[0], signal.SIGKILL)
    wait_for(lambda: len(stack.worker_pids()) == 2 and before[0] not in stack.worker_pids(),
             what="a replacement worker")
    assert before[1] in stack.worker_pids()
    for _ in range(6):
        assert requests.get(stack.url("/request")).status_code == 200


def test_sigterm_lets_an_inflight_upload_finish(tmp_path):
    st = Stack(tmp_path, workers=1).start()
    try:
        s, hidden = new_form(st)
        body_req = requests.Request("POST", st.url("/request"),
                                    files=multipart_fields(valid_answers(), hidden) +
                                    [("attachments", ("e.txt", b"evidence " * 50000, "text/plain"))]).prepare()
        body, ctype = body_req.body, body_req.headers["Content-Type"]
        req = Request(st.socket, params("POST", "/request", ctype, len(body)))
        half = len(body) // 2
        req.send(body[:half])              # the worker is now inside the request
        time.sleep(0.3)
        st.fcgi.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        assert st.fcgi.poll() is None, "master exited before its worker finished"
        for i in range(half, len(body), 60000):
            req.send(body[i:i + 60000])
        out = req.finish()
        assert b"Status: 303" in out, out[:500]
        st.fcgi.wait(timeout=20)
        assert st.fcgi.returncode == 0
        assert st.count_requests() == 1
    finally:
        st.stop()


@pytest.mark.only_store("sqlite", "holds SQLite's write lock; on MongoDB the server is "
                      "killed instead (test_mongo_stack.py, test_faults.py)")
def test_store_locked_gives_503_then_recovers(tmp_path):
    st = Stack(tmp_path, env={"CALLIN_SQLITE_BUSY_MS": "300"}).start()
    try:
        assert token_of(submit(st))       # the schema exists and works
        lock = sqlite3.connect(st.db_path, isolation_level=None, timeout=5)
        lock.execute("BEGIN EXCLUSIVE")
        try:
            r = submit(st)
            assert r.status_code == 503, r.status_code
            assert "not been submitted" in r.text
            assert "Retry-After" in r.headers
            h = requests.get(st.url("/healthz"))   # reads work; writes do not
            assert h.status_code == 503 and h.json()["failing"] == "store"
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        assert st.count_requests() == 1
        token_of(submit(st))              # no restart needed
        assert st.count_requests() == 2
        # Each worker answers from its last store check for up to a second.
        wait_for(lambda: requests.get(st.url("/healthz")).status_code == 200, timeout=5,
                 what="/healthz to pass again")
        assert st.count_blobs() == 0
    finally:
        st.stop()


def test_double_click_concurrent_posts_make_one_request(stack):
    s, hidden = new_form(stack)
    parts = multipart_fields(valid_answers(), hidden)
    results = []

    def post():
        results.append(requests.post(stack.url("/request"), files=parts, allow_redirects=False))
    threads = [threading.Thread(target=post) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    tokens = {token_of(r) for r in results}
    assert len(tokens) == 1
    assert stack.count_requests() == 1


def test_bad_setting_stops_startup_with_one_line(tmp_path):
    import subprocess
    from harness import BUILD
    st = Stack(tmp_path)
    env = st.env()
    env["CALLIN_WORKERS"] = "lots"
    r = subprocess.run([os.path.join(BUILD, "callin-fcgi")], env=env, capture_output=True,
                       text=True, timeout=10)
    assert r.returncode == 1
    assert r.stderr.strip().count("\n") == 0 and "workers" in r.stderr
    env = st.env()
    os.chmod(os.path.join(st.data, "keys", "signing.pem"), 0o644)
    r = subprocess.run([os.path.join(BUILD, "callin-fcgi"), "--check-config"], env=env,
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 1 and "signing_key_file" in r.stderr


def test_orphaned_upload_is_swept_by_the_mailer(tmp_path):
    import subprocess
    from harness import BUILD
    st = Stack(tmp_path, workers=1, env={"CALLIN_ORPHAN_MAX_AGE": "600"}).start()
    try:
        s, hidden = new_form(st)
        big = b"evidence line\n" * 200000            # 2.8 MB: several chunks
        prepared = requests.Request("POST", st.url("/request"), files=multipart_fields(
            valid_answers(), hidden) + [("attachments", ("e.txt", big, "text/plain"))]).prepare()
        body = prepared.body
        req = Request(st.socket, params("POST", "/request", prepared.headers["Content-Type"], len(body)))
        worker = st.worker_pids()[0]
        req.send(body[:len(body) - 100000])          # most of the file is in the store
        mongo = st.store == "mongodb"
        # GridFS writes a file's chunks first and its files document last.
        chunks = (lambda: st.mongo()["attachments.chunks"].count_documents({})) if mongo \
            else st.count_blobs
        wait_for(lambda: chunks() >= 1, what="the partial blob")
        os.kill(worker, signal.SIGKILL)              # the worker dies mid-upload
        wait_for(lambda: (lambda pids: bool(pids) and worker not in pids)(st.worker_pids()),
                 what="replacement")
        assert st.count_requests() == 0 and st.count_blobs() == (0 if mongo else 1)
        if mongo:
            # Orphan chunks are dated by their files_id, an ObjectId: give
            # them one from 11 minutes ago.
            import datetime
            from bson import ObjectId
            db = st.mongo()
            old = ObjectId.from_datetime(datetime.datetime.now(datetime.timezone.utc) -
                                         datetime.timedelta(minutes=11))
            (fid,) = db["attachments.chunks"].distinct("files_id")
            db["attachments.chunks"].update_many({"files_id": fid}, {"$set": {"files_id": old}})
        else:
            with st.db() as c:                       # the partial blob is 11 minutes old
                c.execute("update blobs set created_ms = created_ms - 660000")
        token = token_of(submit(st, files=[("kept.txt", b"kept evidence\n", "text/plain")]))
        r = subprocess.run([os.path.join(BUILD, "callin-mailer"), "--once"], env=dict(
            st.env(), CALLIN_SMTP_URL="smtp://127.0.0.1:9"), capture_output=True, text=True,
            timeout=60)
        assert "removed 1 orphaned attachments" in r.stderr, r.stderr
        assert st.count_blobs() == 1                 # only the stored request's file
        if mongo:
            assert chunks() == 1                     # and its one chunk
        assert requests.get(st.url("/receipt/" + token)).status_code == 200
    finally:
        st.stop()

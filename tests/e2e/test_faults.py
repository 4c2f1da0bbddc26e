"""Faults (issue 6, item 3), against the whole stack (nginx, callin-fcgi,
SQLite, callin-mailer, an SMTP server):

- workers SIGKILLed at random while 200 submissions with files are in
  flight: every receipt is backed by a whole stored request, nothing
  half-stored is visible, orphaned files are swept;
- the data folder filling up (a small tmpfs), turning read-only (ext4
  aborting to read-only), or the file size limit (RLIMIT_FSIZE) reached
  during an upload: a clean 503 saying the request was not submitted,
  nothing half-stored, and service again once there is space;
- the store and the mail relay down together, then back, in either order:
  nothing lost, nothing sent twice.

Documents and blobs are read back through the store API (tests/tools/
store_cat); receipts are checked with callin-verify against the published
keys.  The data folder faults need root (mount); these tests run as root.
"""
import concurrent.futures
import contextlib
import gc
import hashlib
import json
import os
import random
import re
import signal
import sqlite3
import struct
import subprocess
import threading
import time

import pytest
import requests

from fcgi_client import Request, params
from harness import (BUILD, SANITIZER_MARKS, STORE, Docstore, Stack, hidden_fields,
                     multipart_fields, submit, token_of, valid_answers, wait_for)
from smtp_server import SmtpServer

STORE_CAT = os.path.join(BUILD, "store_cat")
VERIFY = os.path.join(BUILD, "callin-verify")
NOT_SUBMITTED = "not been submitted"
PDF_HEAD = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"


# Reading the store through its API -------------------------------------------

def spec(stack):
    return stack.store_spec


# The readers are test tools run hundreds of times: no leak check at exit.
TOOL_ENV = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")


def store_cat(stack, *args):
    return subprocess.run([STORE_CAT, spec(stack), *args], capture_output=True, timeout=60,
                          env=TOOL_ENV)


def get_doc(stack, key, value):
    """The stored document by token, reference or idempotency key, or None
    when there is none (an unavailable store fails the test)."""
    p = store_cat(stack, "get", key, value)
    if p.returncode == 1 and b"not found" in p.stderr:
        return None
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def read_blob(stack, blob_id):
    p = store_cat(stack, "blob", blob_id)
    assert p.returncode == 0, (blob_id, p.stderr)
    return p.stdout


def sweep(stack, older_than_ms):
    p = store_cat(stack, "sweep", str(older_than_ms))
    assert p.returncode == 0, p.stderr
    return int(p.stdout)


def now_ms():
    return int(time.time() * 1000)


def sql(stack, query, *args):
    """Rows of a query straight on the SQLite file (closed at once: the
    data folder tests unmount it)."""
    with contextlib.closing(sqlite3.connect(stack.db_path, timeout=10)) as c:
        return c.execute(query, args).fetchall()


def blob_rows(stack):
    """{blob id: (size, request token)} straight from the store: the SQLite
    file, or on MongoDB the GridFS files (size None for chunks whose files
    document was never written: an upload cut short) and the requests'
    attachments."""
    if stack.store == "sqlite":
        return {r[0]: (r[1], r[2]) for r in sql(stack, "select id, size, request_token from blobs")}
    db = stack.mongo()
    owner = {a["blob_id"]: d["token"]
             for d in db.requests.find({}, {"token": 1, "attachments.blob_id": 1})
             for a in d.get("attachments", [])}
    rows = {str(f["_id"]): (f["length"], owner.get(str(f["_id"])))
            for f in db["attachments.files"].find({}, {"length": 1})}
    for fid in db["attachments.chunks"].distinct("files_id"):
        rows.setdefault(str(fid), (None, None))
    return rows


def unlinked(stack):
    return {i for i, (_, tok) in blob_rows(stack).items() if tok is None}


def sha(b):
    return hashlib.sha256(b).hexdigest()


# Submissions -------------------------------------------------------------------

def text_file(rng, size):
    line = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(70)) + "\n"
    data = (line * (size // len(line) + 1))[:size - 1] + "\n"
    return data.encode()


def random_files(rng, n):
    files = []
    for i in range(n):
        if rng.random() < 0.5:
            size = rng.randint(2_000, 150_000)
            files.append((f"evidence-{i}.pdf", PDF_HEAD + rng.randbytes(size), "application/pdf"))
        else:
            files.append((f"notes-{i}.txt", text_file(rng, rng.randint(500, 120_000)),
                          "text/plain"))
    return files


class Attempt:
    """One submission: the form's hidden fields (its idempotency key), the
    files sent, and what came back."""

    def __init__(self, n, files):
        self.n = n
        self.files = files
        self.hidden = None
        self.status = None
        self.token = None
        self.text = ""
        self.seconds = 0.0
        self.error = None

    @property
    def idem(self):
        return self.hidden["idempotency_key"]


def fetch_form(stack, session, tries=50):
    """GET /request until it answers 200 (its worker may be killed too)."""
    for _ in range(tries):
        try:
            r = session.get(stack.url("/request"), timeout=60)
            if r.status_code == 200:
                return hidden_fields(r.text)
        except requests.RequestException:
            pass
        time.sleep(0.05)
    raise AssertionError("the form never came back")


def post(stack, session, attempt, answers=None):
    parts = multipart_fields(answers or valid_answers(), attempt.hidden)
    for name, data, ctype in attempt.files:
        parts.append(("attachments", (name, data, ctype)))
    t = time.monotonic()
    try:
        r = session.post(stack.url("/request"), files=parts, allow_redirects=False, timeout=120)
    except requests.RequestException as e:        # nginx always answers: a finding
        attempt.error = repr(e)
        attempt.status = None
        return attempt
    attempt.seconds = time.monotonic() - t
    attempt.status = r.status_code
    attempt.text = r.text
    if r.status_code == 303:
        attempt.token = token_of(r)
    return attempt


def check_stored(stack, attempt, folder):
    """The request stored for attempt: its document, every attachment byte
    for byte, and its receipt and copy checked by callin-verify against the
    published keys.  Returns the document."""
    doc = get_doc(stack, "idempotency", attempt.idem)
    assert doc is not None, f"submission {attempt.n} ({attempt.status}) is not stored"
    if attempt.token is not None:
        assert doc["token"] == attempt.token
    token = doc["token"]
    atts = doc["attachments"]
    assert [a["name"] for a in atts] == [f[0] for f in attempt.files]
    sent = {}
    for a, (name, data, _) in zip(atts, attempt.files):
        assert a["size"] == len(data) and a["sha256"] == sha(data), (attempt.n, a)
        got = read_blob(stack, a["blob_id"])
        assert sha(got) == sha(data), (attempt.n, name)
        sent[name] = got                # what the store gives back goes to callin-verify
    receipt = requests.get(stack.url(f"/receipt/{token}/receipt.txt"), timeout=30)
    copy = requests.get(stack.url(f"/receipt/{token}/copy.json"), timeout=30)
    assert receipt.status_code == 200 and copy.status_code == 200
    assert receipt.content == doc["receipt"].encode() and copy.content == doc["copy_json"].encode()
    d = os.path.join(folder, str(attempt.n))
    os.makedirs(d, exist_ok=True)
    paths = []
    for name, data in sent.items():
        paths.append(os.path.join(d, name))
        with open(paths[-1], "wb") as f:
            f.write(data)
    for name, body in (("receipt.txt", receipt.content), ("copy.json", copy.content)):
        with open(os.path.join(d, name), "wb") as f:
            f.write(body)
    v = subprocess.run([VERIFY, "--key", os.path.join(stack.data, "keys", "public"),
                        os.path.join(d, "receipt.txt"), os.path.join(d, "copy.json"), *paths],
                       capture_output=True, text=True, timeout=60, env=TOOL_ENV)
    assert v.returncode == 0, (attempt.n, v.stdout, v.stderr)
    return doc


# 1. Workers killed under load -----------------------------------------------------

SUBMISSIONS = 200
CLIENTS = 8
# The master backs off before replacing a worker that died young (0.1 s,
# doubling up to 30 s): on a slow machine a long storm of kills would
# leave slots empty for long.  This many kills keep it to a few seconds.
MAX_KILLS = 20


def socket_inodes(pid):
    out = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if link.startswith("socket:["):
                out.add(link)
    except OSError:
        pass
    return out


def alive(pid):
    """Running, not a zombie waiting for the master to reap it."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def fastcgi_connections(stack):
    """Inodes of the sockets accepted on the stack's FastCGI socket (in
    /proc/net/unix they carry the name it was bound as, the path plus
    ".<master pid>" before its rename, and are connected; the workers'
    sockets to the signer and the committer are path-less socketpairs)."""
    out = set()
    names = {stack.socket, f"{stack.socket}.{stack.fcgi.pid}"}
    with open("/proc/net/unix") as f:
        for line in f.readlines()[1:]:
            cols = line.split()
            if len(cols) >= 8 and cols[7] in names and cols[5] == "03":
                out.add(f"socket:[{cols[6]}]")
    return out


def busy_workers(stack):
    """Workers holding a connection from nginx (a socket accepted on the
    listening one): those inside a request."""
    conns = fastcgi_connections(stack)
    return [p for p in stack.worker_pids() if socket_inodes(p) & conns]


def run_storm(client, n, killer, done=None):
    """Run n client threads and one killer thread: wait for the clients,
    then set done (if given, to stop the killer) and wait for the killer."""
    clients = [threading.Thread(target=client) for _ in range(n)]
    k = threading.Thread(target=killer)
    k.start()
    for c in clients:
        c.start()
    for c in clients:
        c.join()
    if done is not None:
        done.set()
    k.join()


def test_sigkill_workers_under_load_loses_nothing_with_a_receipt(tmp_path):
    """8 clients send 200 submissions (or more, until the killer has hit
    enough workers inside requests) with 1 or 2 files each while a killer
    SIGKILLs a worker every 100-300 ms (one inside a request when there is
    one).  Every 303 is a whole stored request whose receipt verifies;
    every other answer is a 5xx; every stored request is one of ours and
    whole; re-sending the failed forms (same idempotency key) stores each
    exactly once; the files of killed uploads are invisible and swept."""
    rng = random.Random(int.from_bytes(os.urandom(4), "big"))
    st = Stack(tmp_path, workers=4).start()
    try:
        # At least SUBMISSIONS, and on until the killer has hit enough
        # workers inside requests: a fast service would otherwise be done
        # before the storm is.
        attempts = []
        lock = threading.Lock()
        done = threading.Event()
        enough = threading.Event()
        kills, busy_kills = [], []

        def client():
            s = requests.Session()
            while True:
                with lock:
                    if len(attempts) >= SUBMISSIONS and enough.is_set():
                        return
                    a = Attempt(len(attempts), random_files(rng, rng.randint(1, 2)))
                    attempts.append(a)
                a.hidden = fetch_form(st, s)
                post(st, s, a)

        def killer():
            # A kill every 100-300 ms; past four kills of idle workers,
            # only of one caught inside a request (looked for every 5 ms).
            krng = random.Random(rng.random())
            next_kill = time.monotonic() + krng.uniform(0.1, 0.3)
            while not done.wait(0.005):
                if len(kills) >= MAX_KILLS or (len(kills) >= 6 and len(busy_kills) >= 4):
                    enough.set()
                    continue
                if time.monotonic() < next_kill:
                    continue
                pids = [p for p in st.worker_pids() if p not in kills and alive(p)]
                if len(pids) < 2:           # leave one to serve
                    continue
                busy = [p for p in busy_workers(st) if p in pids]
                if not busy and len(kills) - len(busy_kills) >= 4:
                    continue
                pid = krng.choice(busy or pids)
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    continue
                kills.append(pid)
                if busy:
                    busy_kills.append(pid)
                next_kill = time.monotonic() + krng.uniform(0.1, 0.3)

        t0 = time.monotonic()
        run_storm(client, CLIENTS, killer, done)
        storm = time.monotonic() - t0
        statuses = {}
        for a in attempts:
            statuses[a.status] = statuses.get(a.status, 0) + 1
        ok = [a for a in attempts if a.status == 303]
        failed = [a for a in attempts if a.status != 303]

        # One more kill, certainly half way through a file: the sweep below
        # has at least one orphan to remove, chunks and all.
        wait_for(lambda: len(st.worker_pids()) == 4, timeout=40, what="four workers again")
        req, _, _, half_hidden = upload_half(st, [big_pdf()])
        victims = busy_workers(st)
        assert len(victims) == 1, victims
        os.kill(victims[0], signal.SIGKILL)
        kills.append(victims[0])
        busy_kills.append(victims[0])
        try:
            answer = req.sock.recv(65536)
        except ConnectionResetError:
            answer = b""
        req.sock.close()
        assert answer == b""                # the worker died: no answer at all
        assert get_doc(st, "idempotency", half_hidden["idempotency_key"]) is None

        # The kills happened, inside requests, and the master replaced them.
        wait_for(lambda: st.log().count("killed by signal 9") == len(kills), timeout=10,
                 what="the master to log every kill")
        wait_for(lambda: len(st.worker_pids()) == 4, timeout=40, what="four workers again")
        metrics = requests.get(st.url("/metrics"), timeout=30).text
        assert re.search(rf"^callin_worker_restarts_total {len(kills)}$", metrics, re.M), \
            re.findall(r"^callin_worker_restarts_total .*$", metrics, re.M)
        assert len(kills) >= 4 and len(busy_kills) >= 3, (kills, busy_kills)
        assert failed, "no submission failed: the kills hit no request"
        # Each failure is a server-side 5xx (nginx's 502 for a dead worker),
        # never a dropped connection or a 4xx blaming the user.
        assert all(a.error is None for a in attempts), [a.error for a in attempts if a.error]
        assert set(statuses) <= {303, 500, 502, 503, 504}, statuses

        # What the store holds: every receipt backed, nothing that is not ours.
        folder = str(tmp_path / "check")
        stored_failed = [a for a in failed if get_doc(st, "idempotency", a.idem) is not None]
        n_requests = st.count_requests()
        assert n_requests == len(ok) + len(stored_failed)
        rows = blob_rows(st)
        orphans = {i for i, (_, tok) in rows.items() if tok is None}
        linked = {i: tok for i, (_, tok) in rows.items() if tok is not None}

        # The files of killed uploads are unlinked, so invisible; a sweep
        # removes exactly them.
        for blob_id in list(orphans)[:20]:
            p = store_cat(st, "blob", blob_id)
            assert p.returncode == 1 and p.stdout == b"", blob_id
        assert orphans, "no orphaned file: the kill inside an upload left nothing"
        removed = sweep(st, now_ms() + 60_000)
        assert removed == len(orphans)
        after = blob_rows(st)
        assert set(after) == set(linked) and not unlinked(st)

        # Every stored request (with a receipt or not) is whole, its files
        # read back byte for byte and its receipt verifies.
        stored = ok + stored_failed
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            docs = list(pool.map(lambda a: check_stored(st, a, folder), stored))
        tokens = {d["token"] for d in docs}
        assert len(tokens) == len(stored) == n_requests
        assert {b["blob_id"] for d in docs for b in d["attachments"]} == set(linked)
        assert set(linked.values()) <= tokens

        # Sending the failed forms again (as a user would after an error
        # page) stores each exactly once: the ones stored before their
        # worker died land on the same confirmation.
        s = requests.Session()
        before = {a.n: get_doc(st, "idempotency", a.idem) for a in failed}
        for a in failed:
            post(st, s, a)
            assert a.status == 303, (a.status, a.text[:500])
            if before[a.n] is not None:
                assert a.token == before[a.n]["token"]
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            docs = list(pool.map(lambda a: check_stored(st, a, folder), failed))
        assert st.count_requests() == len(attempts)
        assert not unlinked(st)             # the replays' duplicate files were removed
        slow = sorted(a.seconds for a in ok)
        print(f"\nkill storm: {len(attempts)} submissions in {storm:.1f} s by {CLIENTS} clients, "
              f"{len(kills)} workers SIGKILLed ({len(busy_kills)} inside a request); "
              f"answers {statuses}; {len(stored_failed)} failed ones were stored before their "
              f"worker died; {len(orphans)} orphaned files swept; 303 latency median "
              f"{slow[len(slow) // 2]:.3f} s, max {slow[-1]:.3f} s")
    finally:
        st.stop()


# 2. The data folder full or read-only during an upload ---------------------------

def run(*cmd, check=True):
    p = subprocess.run(list(cmd), capture_output=True, text=True, timeout=60)
    if check:
        assert p.returncode == 0, (cmd, p.stdout, p.stderr)
    return p


# A small data folder is below min_free_bytes' default from the start.
NO_FREE_SPACE_CHECK = {"CALLIN_MIN_FREE_BYTES": "0"}


def try_mount(*args):
    """mount ARGS, or skip the test saying why (it needs CAP_SYS_ADMIN)."""
    p = run("mount", *args, check=False)
    if p.returncode != 0:
        pytest.skip(f"cannot mount here ({p.stderr.strip()}): this fault needs root")


def unmount(path):
    gc.collect()            # sqlite3 connections the harness left to the collector
    for _ in range(50):
        if run("umount", path, check=False).returncode == 0:
            return
        time.sleep(0.1)
    run("umount", "-l", path)


def upload_half(stack, files):
    """Start POST /request straight on the workers' socket (nginx would
    buffer the whole body first) and send it until the worker has stored
    two chunks of the first file: the worker is then inside the upload.
    Returns (request, the rest of the body, blob ids from before, the
    form's hidden fields)."""
    s = requests.Session()
    hidden = fetch_form(stack, s)
    parts = multipart_fields(valid_answers(), hidden)
    for name, data, ctype in files:
        parts.append(("attachments", (name, data, ctype)))
    prepared = requests.Request("POST", stack.url("/request"), files=parts).prepare()
    body = prepared.body
    before = set(blob_rows(stack))
    req = Request(stack.socket, params("POST", "/request", prepared.headers["Content-Type"],
                                       len(body)))
    sent = 0

    def chunks_written():
        if stack.store == "mongodb":
            return sum(1 for c in stack.mongo()["attachments.chunks"].find({}, {"files_id": 1})
                       if str(c["files_id"]) not in before)
        rows = sql(stack, "select blob_id, count(*) from blob_chunks group by blob_id")
        return sum(n for b, n in rows if b not in before)
    # GridFS writes 1 MiB chunks, SQLite smaller ones (SQ_CHUNK).
    want = 1 if stack.store == "mongodb" else 2
    while chunks_written() < want:
        assert sent < len(body) * 3 // 4, "the worker stored nothing of the first part"
        req.send(body[sent:sent + 65536])
        sent += 65536
        time.sleep(0.02)
    return req, body[sent:], before, hidden


def finish_upload(req, rest):
    """Send the rest of the body and return (status, head, page).  The
    worker may answer and stop reading before the end of the body."""
    try:
        for i in range(0, len(rest), 65536):
            req.send(rest[i:i + 65536])
        out = req.finish()
    except (BrokenPipeError, ConnectionResetError):
        out = b""
        while True:
            chunk = req.sock.recv(65536)
            if not chunk:
                break
            out += chunk
        out = fcgi_stdout(out)
    head, _, page = out.partition(b"\r\n\r\n")
    m = re.match(rb"Status: (\d+)", head)
    return (int(m.group(1)) if m else 200), head.decode(), page.decode("utf-8", "replace")


def fcgi_stdout(records):
    """The FCGI_STDOUT content of raw FastCGI records."""
    out = b""
    while len(records) >= 8:
        _, kind, _, clen, pad = struct.unpack(">BBHHBx", records[:8])
        if kind == 6:
            out += records[8:8 + clen]
        records = records[8 + clen + pad:]
    return out


def fill(folder):
    """Write a file in folder until the file system is full."""
    path = os.path.join(folder, "filler")
    block = b"\0" * (1 << 16)
    with open(path, "wb", buffering=0) as f:
        try:
            while True:
                f.write(block)
        except OSError as e:
            assert e.errno == 28, e
    return path


def big_pdf(n=2_000_000):
    return ("evidence.pdf", PDF_HEAD + os.urandom(n), "application/pdf")


def assert_nothing_half_stored(stack, rows_before, hidden):
    """After a failed upload: still only the one earlier request (none under
    the failed form's idempotency key), no new linked blob, and any new
    blob row unlinked, so invisible to readers.  Returns the new rows."""
    assert int(store_cat(stack, "count").stdout) == 1
    assert get_doc(stack, "idempotency", hidden["idempotency_key"]) is None
    rows = blob_rows(stack)
    linked_before = {i for i, (_, t) in rows_before.items() if t is not None}
    assert {i for i, (_, t) in rows.items() if t is not None} == linked_before
    new = set(rows) - set(rows_before)
    for blob_id in new:
        assert rows[blob_id][1] is None
        p = store_cat(stack, "blob", blob_id)
        assert p.returncode == 1 and p.stdout == b""
    return new


@pytest.mark.only_store("sqlite", "the SQLite store's files are in the data folder; on MongoDB "
                      "the server's disk is its own (test_docstore_faults.py kills it)")
def test_data_folder_full_during_upload_is_a_clean_503_then_recovers(tmp_path):
    """The data folder is a 24 MiB tmpfs.  Half way through a 2 MB upload
    (two chunks already stored) it fills up: the worker answers a clean 503
    page saying the request was not submitted; a submission through nginx
    while it is full gets the same; nothing is half-stored.  When space
    returns the same workers take submissions again, with no restart."""
    data = tmp_path / "data"
    data.mkdir()
    try_mount("-t", "tmpfs", "-o", "size=24m", "tmpfs", str(data))
    st = None
    try:
        # The store's own handling of a disk that fills mid-upload, after
        # min_free_bytes' check passed (test_disk_space.py tests that check).
        st = Stack(tmp_path, workers=2, env=NO_FREE_SPACE_CHECK).start()
        first = Attempt(0, [("minutes.txt", b"Minutes of the meeting\n" * 400, "text/plain")])
        s = requests.Session()
        first.hidden = fetch_form(st, s)
        post(st, s, first)
        assert first.status == 303
        workers = set(st.worker_pids())
        rows_before = blob_rows(st)

        req, rest, _, hidden = upload_half(st, [big_pdf()])
        filler = fill(str(data))
        status, head, page = finish_upload(req, rest)
        assert status == 503 and NOT_SUBMITTED in page, (head, page[-2000:])
        assert "Retry-After:" in head
        r = submit(st, files=[("notes.txt", b"more evidence\n" * 100, "text/plain")])
        assert r.status_code == 503 and NOT_SUBMITTED in r.text
        assert "disk is full" in st.log()
        # A full disk cannot even take the DELETE of the partial file
        # (SQLite needs room in its WAL for that): the worker logs "left
        # for the sweeper" and the row stays unlinked, so invisible, until
        # a sweep removes it (callin-mailer's, for orphan_max_age-old ones).
        left = assert_nothing_half_stored(st, rows_before, hidden)

        os.unlink(filler)                   # space again
        again = Attempt(1, [("notes.txt", b"more evidence\n" * 100, "text/plain"), big_pdf()])
        again.hidden = fetch_form(st, s)
        post(st, s, again)
        assert again.status == 303, again.text[:1000]
        assert set(st.worker_pids()) == workers and "killed by signal" not in st.log()
        assert sweep(st, now_ms() + 60_000) == len(left)
        assert not unlinked(st)
        for a in (first, again):
            check_stored(st, a, str(tmp_path / "check"))
        assert st.count_requests() == 2
        print(f"\ndisk full: 503 mid-upload and via nginx; {len(left)} unlinked blob(s) of the "
              "failed upload could not be deleted while full (left for the sweeper), swept after")
    finally:
        try:
            if st is not None:
                st.stop()
        finally:
            unmount(str(data))


@pytest.mark.only_store("sqlite", "the SQLite store's files are in the data folder; on MongoDB "
                      "the server's disk is its own (test_docstore_faults.py kills it)")
def test_data_folder_read_only_during_upload_is_a_clean_503(tmp_path):
    """The data folder is a small ext4 file system (a loop device).  Half
    way through a 2 MB upload the file system turns read-only, as ext4 does
    after an I/O error with errors=remount-ro (forced here with its `abort`
    mount option).  A plain `mount -o remount,ro` cannot be used: Linux
    refuses it (EBUSY) while a process has a file open for writing there,
    and the workers always have the database open.  The worker answers a
    clean 503 saying the request was not submitted, and so does a
    submission through nginx; nothing is half-stored.  An aborted ext4
    cannot be made writable again while files on it are open, so recovery
    is the operator's: stop the service, fsck, mount, start.  Then the
    request that got a receipt before the fault is still there, whole
    (it was committed with fsync), and the service takes submissions."""
    data = tmp_path / "data"
    data.mkdir()
    image = str(tmp_path / "data.img")
    run("truncate", "-s", "48M", image)
    run("mkfs.ext4", "-q", "-F", image)
    try_mount("-o", "loop,errors=remount-ro", image, str(data))
    st = None
    mounted = True
    try:
        st = Stack(tmp_path, workers=2, env=NO_FREE_SPACE_CHECK)
        os.sync()       # the keys and form secret, deployed long before the fault
        st.start()
        first = Attempt(0, [("minutes.txt", b"Minutes of the meeting\n" * 400, "text/plain")])
        s = requests.Session()
        first.hidden = fetch_form(st, s)
        post(st, s, first)
        assert first.status == 303
        rows_before = blob_rows(st)

        req, rest, _, hidden = upload_half(st, [big_pdf()])
        run("mount", "-o", "remount,abort", str(data))
        with pytest.raises(OSError) as e:
            open(os.path.join(str(data), "probe"), "wb").close()
        assert e.value.errno == 30          # EROFS: the folder is read-only now
        status, head, page = finish_upload(req, rest)
        assert status == 503 and NOT_SUBMITTED in page, (head, page[-2000:])
        r = submit(st, files=[("notes.txt", b"more evidence\n" * 100, "text/plain")])
        assert r.status_code == 503 and NOT_SUBMITTED in r.text
        assert "killed by signal" not in st.log()
        assert "disk I/O error" in st.log() or "readonly" in st.log()
        assert_nothing_half_stored(st, rows_before, hidden)
        # Receipts already given can still be fetched and checked.
        assert requests.get(st.url(f"/receipt/{first.token}/receipt.txt")).status_code == 200

        # The operator's recovery: stop, fsck, mount, start.
        st.stop()
        unmount(str(data))
        mounted = False
        fsck = run("e2fsck", "-fy", image, check=False)
        assert fsck.returncode in (0, 1), fsck.stdout + fsck.stderr
        run("mount", "-o", "loop,errors=remount-ro", image, str(data))
        mounted = True
        st.start()
        assert st.count_requests() == 1
        assert get_doc(st, "idempotency", hidden["idempotency_key"]) is None
        sweep(st, now_ms() + 60_000)        # the failed upload's chunks, if they survived
        assert not unlinked(st)
        again = Attempt(1, [big_pdf(300_000)])
        again.hidden = fetch_form(st, s)
        post(st, s, again)
        assert again.status == 303, again.text[:1000]
        for a in (first, again):
            check_stored(st, a, str(tmp_path / "check"))
    finally:
        try:
            if st is not None:
                st.stop()
        finally:
            if mounted:
                unmount(str(data))


@pytest.mark.only_store("sqlite", "the SQLite store's files are in the data folder; on MongoDB "
                      "the server's disk is its own (test_docstore_faults.py kills it)")
def test_file_size_limit_reached_during_upload_is_a_clean_503(tmp_path):
    """RLIMIT_FSIZE (prlimit here; LimitFSIZE= under systemd, ulimit -f)
    makes a write past the limit fail with EFBIG, as a full disk fails with
    ENOSPC, and SQLite reports it as such: the worker should answer the
    same clean 503.  But the kernel also sends SIGXFSZ, whose default
    action kills the process, so a worker that does not ignore SIGXFSZ
    dies mid-upload and the user gets nginx's bare 502, which does not say
    whether the request was submitted."""
    st = Stack(tmp_path, workers=2).start()
    try:
        first = token_of(submit(st, files=[("minutes.txt", b"Minutes\n" * 400, "text/plain")]))
        biggest = max(os.path.getsize(os.path.join(st.data, f)) for f in os.listdir(st.data)
                      if f.startswith("callin.db"))
        limit = biggest + 300_000
        workers = st.worker_pids()
        for pid in workers:                 # the soft limit: it can be lifted again
            run("prlimit", "--pid", str(pid), f"--fsize={limit}:unlimited")
        rows_before = blob_rows(st)
        s = requests.Session()
        hidden = fetch_form(st, s)
        parts = multipart_fields(valid_answers(), hidden) + [("attachments", big_pdf())]
        r = s.post(st.url("/request"), files=parts, allow_redirects=False)
        time.sleep(0.3)
        deaths = st.log().count("killed by signal 25")
        assert deaths == 0, (f"a worker was killed by SIGXFSZ at the file size limit "
                             f"({deaths} deaths; the user got {r.status_code})")
        assert r.status_code == 503 and NOT_SUBMITTED in r.text, r.status_code
        assert_nothing_half_stored(st, rows_before, hidden)
        for pid in workers:
            run("prlimit", "--pid", str(pid), "--fsize=unlimited")
        assert get_doc(st, "token", first) is not None
        token_of(submit(st, files=[big_pdf(300_000)]))
    finally:
        st.stop()


# 3. The store and the mail relay down together -------------------------------------

STAFF = ["staff.one@example.gov.uk", "staff.two@example.gov.uk"]
MAIL_FROM = "Call-in requests <callin@dhsc.example.gov.uk>"


@pytest.fixture
def own_docstore(tmp_path):
    """On the MongoDB run, a FerretDB of the test's own, to kill and restart;
    None on SQLite."""
    ds = Docstore(tmp_path).start() if STORE == "mongodb" else None
    yield ds
    if ds is not None:
        ds.stop()


def mail_stack(tmp_path, smtp, docstore=None):
    return Stack(tmp_path, workers=2, mongo_base=docstore and docstore.uri, env={
        "CALLIN_STAFF_ALERT_TO": ",".join(STAFF),
        "CALLIN_MAIL_FROM": MAIL_FROM,
        "CALLIN_SMTP_URL": smtp.url,
        "CALLIN_SQLITE_BUSY_MS": "300",
        "CALLIN_MAIL_RETRY_SCHEDULE": "1s",
        "CALLIN_MAIL_POLL_MS": "100",
        "CALLIN_MAIL_CONNECT_TIMEOUT": "1",
        "CALLIN_MAIL_TIMEOUT": "3",
        "CALLIN_MAIL_LEASE_SECONDS": "10",
    }).start()


class Mailer:
    """callin-mailer run with the stack's configuration, its log in a file."""

    def __init__(self, stack):
        self.path = os.path.join(stack.run, f"mailer-{time.time_ns()}.log")
        self.file = open(self.path, "wb")
        self.proc = subprocess.Popen([os.path.join(BUILD, "callin-mailer")], env=stack.env(),
                                     stdout=self.file, stderr=subprocess.STDOUT)

    def log(self):
        with open(self.path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=30)
        self.file.close()
        log = self.log()
        for mark in SANITIZER_MARKS:
            assert mark not in log, log[-6000:]
        return self.proc.returncode


def outbox_stats(stack):
    p = subprocess.run([os.path.join(BUILD, "outbox_tool"), spec(stack), "stats"],
                       capture_output=True, text=True, timeout=60, env=TOOL_ENV)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def references(stack, tokens):
    return {t: get_doc(stack, "token", t)["reference"] for t in tokens}


def message_counts(smtp):
    return {mid: len(v) for mid, v in smtp.by_message_id().items()}


def expected_ids(refs):
    return {f"<{r}.{kind}@dhsc.example.gov.uk>" for r in refs
            for kind in ("staff_alert", "confirmation")}


class Lock:
    """The store down for the service: another connection holding the SQLite
    database with BEGIN EXCLUSIVE (its busy timeout is 300 ms), or on
    MongoDB the stack's own FerretDB killed with SIGKILL (restarted by
    release).  mark is what the mailer logs when it meets the outage."""

    def __init__(self, stack, docstore=None):
        self.docstore = docstore
        if docstore is not None:
            docstore.kill()
            self.mark = "store: MongoDB"
            return
        self.mark = "database is locked"
        self.c = sqlite3.connect(stack.db_path, isolation_level=None, timeout=10)
        self.c.execute("BEGIN EXCLUSIVE")

    def release(self):
        if self.docstore is not None:
            self.docstore.start()
            return
        self.c.execute("ROLLBACK")
        self.c.close()


def submit_ok(stack, n, tag):
    tokens = []
    for i in range(n):
        r = submit(stack, answers=valid_answers(email=f"{tag}{i}@example.org"),
                   files=[(f"{tag}{i}.txt", f"evidence {tag} {i}\n".encode() * 50, "text/plain")])
        tokens.append(token_of(r))
    return tokens


def test_store_and_relay_down_together_then_back_nothing_lost(tmp_path, own_docstore):
    """Requests stored and mailed; the relay goes down (more requests
    stored, their mail retried); then the store goes down too (a connection
    holds the database exclusively) while the mailer keeps running: new
    submissions get a 503 saying they were not submitted.  Both come back:
    every request that got a receipt gets its staff alert and confirmation
    exactly once (counted by Message-ID at the SMTP server), the refused
    ones are not stored and get no mail, and new submissions are mailed
    too, with nothing restarted."""
    smtp = SmtpServer(folder=str(tmp_path)).start()
    st = mail_stack(tmp_path, smtp, own_docstore)
    mailer = None
    lock = None
    try:
        a = submit_ok(st, 3, "a")
        mailer = Mailer(st)
        wait_for(lambda: len(smtp.messages) >= 6, timeout=30, what="batch A's mail")

        smtp.stop()                                         # the relay goes down
        b = submit_ok(st, 3, "b")
        wait_for(lambda: mailer.log().count("not sent") >= 6, timeout=30,
                 what="batch B's mail to fail")
        lock = Lock(st, own_docstore)                       # and the store with it
        refused = []
        for i in range(3):
            s = requests.Session()
            hidden = fetch_form(st, s)
            parts = multipart_fields(valid_answers(email=f"c{i}@example.org"), hidden)
            parts.append(("attachments", (f"c{i}.txt", b"refused evidence\n" * 50, "text/plain")))
            r = s.post(st.url("/request"), files=parts, allow_redirects=False)
            assert r.status_code == 503 and NOT_SUBMITTED in r.text, r.status_code
            refused.append(hidden["idempotency_key"])
        claims_failed = mailer.log().count("cannot claim from the outbox")
        wait_for(lambda: mailer.log().count("cannot claim from the outbox") > claims_failed,
                 timeout=15, what="the mailer to meet the locked store")
        time.sleep(2)
        assert mailer.proc.poll() is None

        lock.release()                                      # both come back
        lock = None
        smtp.start()
        d = submit_ok(st, 2, "d")
        refs = references(st, a + b + d)
        want = expected_ids(refs.values())
        wait_for(lambda: set(message_counts(smtp)) >= want, timeout=60,
                 what="every request's two messages")
        wait_for(lambda: outbox_stats(st)["due"] == 0, timeout=30, what="an empty outbox")
    finally:
        if lock is not None:
            lock.release()
        if mailer is not None:
            assert mailer.stop() == 0
        st.stop()
        smtp.stop()
    counts = message_counts(smtp)
    assert set(counts) == want, set(counts) ^ want          # none lost, none for a 503
    assert set(counts.values()) == {1}, {k: v for k, v in counts.items() if v != 1}
    stats = outbox_stats(st)
    assert stats["sent"] == len(want) and stats["failed"] == 0
    assert st.count_requests() == len(refs)
    for key in refused:
        assert get_doc(st, "idempotency", key) is None
    for m in smtp.snapshot():
        if ".confirmation@" in m.message_id:
            tag = m.rcpt_tos[0].split("@")[0]
            assert tag[0] in "abd", m.rcpt_tos
    assert not unlinked(st)


def test_store_down_while_the_relay_takes_a_message_still_sends_it_once(tmp_path, own_docstore):
    """The other order of the two outages: the store goes down while the
    relay is taking a message (after the mailer claimed it, before it can
    record it as sent), then the relay goes down too; both come back within
    the claim's lease.  The relay has the message, and the mailer still
    holds the lease, so it can record the send once the store answers: the
    message must not be sent a second time."""
    smtp = SmtpServer(folder=str(tmp_path)).start()
    st = mail_stack(tmp_path, smtp, own_docstore)
    mailer = None
    lock = None
    try:
        a = submit_ok(st, 1, "a")
        want = expected_ids(references(st, a).values())
        in_data = threading.Event()
        plain = smtp._reply_for

        def reply_for(stage):
            if stage == "DATA":
                in_data.set()
            return plain(stage)
        smtp._reply_for = reply_for
        smtp.delay = 1.5                    # the relay takes its time to say 250
        mailer = Mailer(st)
        assert in_data.wait(20), "the mailer sent nothing"
        lock = Lock(st, own_docstore)       # the store goes down mid-send
        wait_for(lambda: len(smtp.messages) >= 1, timeout=10, what="the relay to take it")
        wait_for(lambda: lock.mark in mailer.log(), timeout=5,
                 what="the mailer to meet the locked store")
        smtp.stop()                         # and the relay with it
        time.sleep(1)
        smtp.delay = 0
        smtp._reply_for = plain
        smtp.start()                        # both back, well within the 10 s lease
        lock.release()
        lock = None
        wait_for(lambda: set(message_counts(smtp)) >= want, timeout=60, what="both messages")
        # Everything recorded: nothing can be sent again after this.
        wait_for(lambda: outbox_stats(st)["due"] == 0, timeout=60, what="an empty outbox")
    finally:
        if lock is not None:
            lock.release()
        if mailer is not None:
            assert mailer.stop() == 0
        st.stop()
        smtp.stop()
    counts = message_counts(smtp)
    assert set(counts) == want
    assert set(counts.values()) == {1}, (counts, [line for line in mailer.log().splitlines()
                                                  if "record" in line])

"""Faults of the MongoDB backend on a real document database (FerretDB, a
server of each test's own, build-docstore/docstore), through nginx and the
sanitizer-built workers:

- FerretDB killed with SIGKILL half way through an upload: the page says not
  submitted (503), nothing half-stored is visible, the GridFS chunks of the
  failed upload are swept, the attachments stored before read back byte for
  byte after FerretDB restarts, and service resumes with the same workers;
- FerretDB killed with SIGKILL while submissions with files are being
  written: every 303 is a whole stored request whose receipt and copy
  verify, every other answer is a 503, and the forms sent again store each
  request exactly once, with nothing restarted;
- two hosts on one store: two callin-fcgi masters on their own TCP ports
  behind one nginx upstream, each with its own workers and data folder,
  and a mailer, sharing one FerretDB; under load (Python clients with files and
  wrk), one master is killed with its workers and helpers (SIGKILL): every
  POST answered 303 is stored once, its receipt and copy verify, no request
  is stored twice, and the SMTP server gets exactly one staff alert and one
  confirmation per stored request.
"""
import concurrent.futures
import os
import random
import shutil
import signal
import socket
import subprocess
import threading
import time

import requests

from harness import BUILD, SANITIZER_MARKS, TOP, Docstore, Stack, free_port, mint_forms, submit, \
    token_of, wait_for
from smtp_server import SmtpServer
from test_faults import (MAIL_FROM, NOT_SUBMITTED, STAFF, Attempt, big_pdf, blob_rows,
                         check_stored, expected_ids, fetch_form, finish_upload, get_doc,
                         message_counts, now_ms, post, random_files, read_blob, references,
                         store_cat, sweep, upload_half)


def docstore_stack(tmp_path, **kw):
    ds = Docstore(tmp_path).start()
    return ds, Stack(tmp_path, store="mongodb", mongo_base=ds.uri, **kw).start()


def start_clients(st, n, rng, attempts, stop):
    """Start n threads that each send forms with 1 or 2 random files, one
    after another, until stop is set, appending each Attempt to attempts.
    Returns the threads."""
    lock = threading.Lock()

    def client():
        s = requests.Session()
        while not stop.is_set():
            with lock:
                a = Attempt(len(attempts), random_files(rng, rng.randint(1, 2)))
                attempts.append(a)
            a.hidden = fetch_form(st, s)
            post(st, s, a)
    threads = [threading.Thread(target=client) for _ in range(n)]
    for t in threads:
        t.start()
    return threads


def test_docstore_killed_mid_upload_is_a_clean_503_then_service_resumes(tmp_path):
    ds, st = docstore_stack(tmp_path)
    try:
        kept = big_pdf(1_500_000)
        token = token_of(submit(st, files=[kept]))
        workers = sorted(st.worker_pids())

        req, rest, before, hidden = upload_half(st, [big_pdf(3_000_000)])
        ds.kill()                                    # the server dies mid-upload
        status, head, page = finish_upload(req, rest)
        assert status == 503 and NOT_SUBMITTED in page, (status, head)
        ds.start()

        # Nothing of the failed request is visible; what GridFS kept of its
        # file is unlinked, unreadable, and swept.
        assert get_doc(st, "idempotency", hidden["idempotency_key"]) is None
        assert int(store_cat(st, "count").stdout) == 1
        rows = blob_rows(st)
        new = set(rows) - before
        for blob_id in new:
            assert rows[blob_id][1] is None
            p = store_cat(st, "blob", blob_id)
            assert p.returncode == 1 and p.stdout == b"", blob_id
        assert sweep(st, now_ms() + 60_000) == len(new)
        assert set(blob_rows(st)) == before

        # What was stored before reads back byte for byte after the restart.
        doc = get_doc(st, "token", token)
        (att,) = doc["attachments"]
        assert read_blob(st, att["blob_id"]) == kept[1]
        copy = requests.get(st.url(f"/receipt/{token}/copy.json"))
        assert copy.status_code == 200 and copy.content == doc["copy_json"].encode()

        # Service resumes by itself, with the same workers.  A worker that
        # has not touched the store since the kill may answer one more
        # clean 503 (nothing stored) before its driver's next server check
        # finds the server again.
        tries = []
        wait_for(lambda: tries.append(submit(st, files=[big_pdf(500_000)])) or
                 tries[-1].status_code == 303, timeout=15, what="a submission stored again")
        for r in tries[:-1]:
            assert r.status_code == 503 and NOT_SUBMITTED in r.text, r.status_code
        assert int(store_cat(st, "count").stdout) == 2
        token2 = token_of(tries[-1])
        assert sorted(st.worker_pids()) == workers
        assert get_doc(st, "token", token2)["attachments"][0]["size"] > 500_000
        # Every worker's health check finds the server again by itself (a
        # worker that has not touched the store since the kill may need its
        # driver's next server check first).
        health = []
        wait_for(lambda: health.append(requests.get(st.url("/healthz"))) or
                 health[-1].status_code == 200, timeout=15,
                 what="/healthz to pass again")
        assert all(h.json()["failing"] == "store" for h in health[:-1]), \
            [h.text for h in health[:-1]]
    finally:
        st.stop()
        ds.stop()


def test_docstore_killed_mid_write_loses_nothing_with_a_receipt(tmp_path):
    rng = random.Random(int.from_bytes(os.urandom(4), "big"))
    ds, st = docstore_stack(tmp_path, workers=4)
    stop = threading.Event()
    threads = []
    try:
        workers = sorted(st.worker_pids())
        attempts = []
        threads += start_clients(st, 6, rng, attempts, stop)
        wait_for(lambda: sum(a.status == 303 for a in attempts) >= 10, timeout=60,
                 what="ten stored requests")
        ds.kill()                                    # mid-write, with uploads in flight
        time.sleep(1.5)
        ds.start()
        after = len(attempts)
        wait_for(lambda: sum(a.status == 303 for a in attempts[after:]) >= 5, timeout=60,
                 what="submissions stored again")
        stop.set()
        for t in threads:
            t.join()

        statuses = {}
        for a in attempts:
            statuses[a.status] = statuses.get(a.status, 0) + 1
        ok = [a for a in attempts if a.status == 303]
        failed = [a for a in attempts if a.status != 303]
        assert failed, f"the kill hit no submission: {statuses}"
        assert set(statuses) <= {303, 503}, statuses
        assert all(NOT_SUBMITTED in a.text for a in failed)
        assert all(a.error is None for a in attempts)

        folder = str(tmp_path / "check")
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda a: check_stored(st, a, folder), ok))
        # The forms refused are sent again: each lands once (on the request
        # stored before the reply was lost, if there was one).
        s = requests.Session()
        for a in failed:
            before = get_doc(st, "idempotency", a.idem)
            post(st, s, a)
            assert a.status == 303, (a.status, a.text[:300])
            if before is not None:
                assert a.token == before["token"]
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda a: check_stored(st, a, folder), failed))
        assert st.count_requests() == len(attempts)
        assert sorted(st.worker_pids()) == workers
        print(f"\nFerretDB killed mid-write: {len(attempts)} submissions, answers {statuses}")
    finally:
        stop.set()
        for t in threads:
            t.join()
        st.stop()
        ds.stop()


class Host:
    """One host: a callin-fcgi master on its own TCP port with its own data
    folder (a copy of the first host's keys and form secret), and a mailer
    unless mailer is False."""

    def __init__(self, stack, name, smtp, mailer=True):
        self.name = name
        self.port = free_port()
        self.data = os.path.join(stack.tmp, name, "data")
        self.run = os.path.join(stack.tmp, name)
        os.makedirs(self.run, exist_ok=True)
        if not os.path.exists(self.data):
            shutil.copytree(stack.data, self.data)
        self.env = dict(stack.env(), CALLIN_LISTEN=f"127.0.0.1:{self.port}",
                        CALLIN_DATA_DIR=self.data, CALLIN_SMTP_URL=smtp.url,
                        CALLIN_STAFF_ALERT_TO=",".join(STAFF), CALLIN_MAIL_FROM=MAIL_FROM,
                        CALLIN_MAIL_POLL_MS="100", CALLIN_MAIL_RETRY_SCHEDULE="1s",
                        CALLIN_MAIL_CONNECT_TIMEOUT="2", CALLIN_MAIL_TIMEOUT="5",
                        CALLIN_MAIL_LEASE_SECONDS="30")
        self.log_path = os.path.join(self.run, "fcgi.log")
        self.fcgi = subprocess.Popen([os.path.join(BUILD, "callin-fcgi")], env=self.env,
                                     stdout=open(self.log_path, "ab"), stderr=subprocess.STDOUT)
        self.mailer_log = os.path.join(self.run, "mailer.log")
        open(self.mailer_log, "ab").close()
        self.mailer = subprocess.Popen([os.path.join(BUILD, "callin-mailer")], env=self.env,
                                       stdout=open(self.mailer_log, "ab"),
                                       stderr=subprocess.STDOUT) if mailer else None

        def up():
            assert self.fcgi.poll() is None, self.log()
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return True
            except OSError:
                return False
        wait_for(up, what=f"host {name}")
        if self.mailer is not None:
            time.sleep(0.2)
            assert self.mailer.poll() is None, open(self.mailer_log).read()

    def log(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def crash(self):
        """The master and its workers and helpers killed at once (SIGKILL).
        The host's mailer carries on: killing it between the relay's 250
        and its record of the send would send that message twice, which
        SMTP cannot rule out (the Message-ID lets a reader drop it)."""
        pids = subprocess.run(["pgrep", "-P", str(self.fcgi.pid)], capture_output=True,
                              text=True).stdout.split()
        for p in [self.fcgi.pid] + [int(p) for p in pids]:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.fcgi.wait(timeout=10)

    def stop(self):
        for proc in (self.mailer, self.fcgi):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=60)
        for path in (self.log_path, self.mailer_log):
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
            for mark in SANITIZER_MARKS:
                assert mark not in text, text[-6000:]


def test_two_hosts_on_one_docstore_one_killed_under_load(tmp_path):
    rng = random.Random(int.from_bytes(os.urandom(4), "big"))
    ds = Docstore(tmp_path).start()
    smtp = SmtpServer(folder=str(tmp_path)).start()
    st = Stack(tmp_path, store="mongodb", mongo_base=ds.uri)   # nginx and the data folder
    hosts, threads = [], []
    stop = threading.Event()
    wrk = None
    try:
        # One mailer: FerretDB 1.24's findAndModify is not atomic (#2168), so
        # two mailers claiming at once could both send one message; two
        # mailers on one store are tested where claims are atomic
        # (test_mail.py's atomic_claims test on SQLite and MongoDB).
        print("\ntwo hosts on FerretDB: one mailer (FerretDB's findAndModify is not "
              "atomic, #2168)")
        hosts = [Host(st, "a", smtp), Host(st, "b", smtp, mailer=False)]
        st.start_nginx(upstreams=[f"127.0.0.1:{h.port}" for h in hosts])
        attempts = []
        # wrk adds load with 200 KiB files, a form of its own for each.
        forms = mint_forms(st, 5000, os.path.join(st.tmp, "forms.txt"))
        wrk = subprocess.Popen(["wrk", "-t1", "-c2", "-d4s", "-s",
                                os.path.join(TOP, "tests", "bench", "upload.lua"), st.url("/")],
                               env=dict(os.environ, CALLIN_FORMS=forms,
                                        CALLIN_UPLOAD_BYTES="204800"),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        threads += start_clients(st, 4, rng, attempts, stop)
        wait_for(lambda: "POST /request 303" in hosts[1].log() and
                 sum(a.status == 303 for a in attempts) >= 15, timeout=60,
                 what="both hosts storing")
        hosts[1].crash()                              # host b's master dies under load
        after = len(attempts)
        wait_for(lambda: sum(a.status == 303 for a in attempts[after:]) >= 10, timeout=60,
                 what="host a carrying on")
        time.sleep(1)
        stop.set()
        for t in threads:
            t.join()
        wrk_out = wrk.communicate(timeout=60)[0]

        ok = [a for a in attempts if a.status == 303]
        failed = [a for a in attempts if a.status != 303]
        statuses = {}
        for a in attempts:
            statuses[a.status] = statuses.get(a.status, 0) + 1
        assert set(statuses) <= {303, 502, 503, 504}, statuses
        assert all(a.error is None for a in attempts)
        folder = str(tmp_path / "check")
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            docs = list(pool.map(lambda a: check_stored(st, a, folder), ok))
        s = requests.Session()
        for a in failed:                              # sent again: each lands once
            post(st, s, a)
            assert a.status == 303, (a.status, a.text[:300])
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            docs += list(pool.map(lambda a: check_stored(st, a, folder), failed))

        # No request stored twice: one document per form sent, wrk's included.
        db = st.mongo()
        keys = [d["idempotency_key"] for d in db.requests.find({}, {"idempotency_key": 1})]
        assert len(keys) == len(set(keys))
        ours = {a.idem for a in attempts}
        assert ours <= set(keys)
        assert "Requests/sec" in wrk_out, wrk_out
        wrk_stored = len(keys) - len(ours)
        assert wrk_stored > 0, wrk_out

        # Exactly one staff alert and one confirmation per stored request.
        tokens = [d["token"] for d in db.requests.find({}, {"token": 1})]
        want = expected_ids(references(st, tokens).values())
        t0 = time.monotonic()
        wait_for(lambda: set(message_counts(smtp)) >= want, timeout=300,
                 what=f"every request's two messages ({len(want)})")
        mail_s = time.monotonic() - t0
        time.sleep(1)
        counts = message_counts(smtp)
        assert set(counts) == want, set(counts) ^ want
        assert set(counts.values()) == {1}, {k: v for k, v in counts.items() if v != 1}
        print(f"\ntwo hosts: {len(attempts)} forms by the clients (answers {statuses}) and "
              f"{wrk_stored} by wrk stored once each; {len(want)} messages sent once each, "
              f"the last {mail_s:.0f} s after the load")
    finally:
        stop.set()
        for t in threads:
            t.join()
        if wrk is not None and wrk.poll() is None:
            wrk.kill()
        for h in hosts:
            h.stop()
        st.stop()
        smtp.stop()
        ds.stop()

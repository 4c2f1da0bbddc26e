"""The signer and the committer beside the workers: group commit with an
outcome per document, each helper SIGKILLed under load with files, the
signer down (health and the 503 page), a worker killed while it waits for
the committer, reload and key rotation through the helpers, the per-email
limit inside the serialised write, and the private key found in the
signer's memory and in no worker's."""
import concurrent.futures
import os
import random
import re
import signal
import subprocess
import threading
import time

import pytest
import requests

from harness import (BUILD, Stack, hidden_fields, submit, token_of, valid_answers,
                     wait_for)
from test_faults import (Attempt, check_stored, fetch_form, get_doc, now_ms, post,
                         random_files, run_storm, sweep, unlinked)


def metric(text, name, **labels):
    sel = ",".join(f'{k}="{v}"' for k, v in labels.items())
    m = re.search("^" + re.escape(name + ("{" + sel + "}" if sel else "")) + r" (\S+)$", text, re.M)
    return float(m.group(1)) if m else None


def metrics(stack):
    return requests.get(stack.url("/metrics"), timeout=30).text


def test_helpers_run_beside_the_workers_and_batches_are_counted(tmp_path):
    """One signer and one committer per master, not counted as workers;
    concurrent submissions are written in batches that /metrics reports."""
    st = Stack(tmp_path, workers=4).start()
    try:
        wait_for(lambda: st.helper_pid("signer") and st.helper_pid("commit"), what="the helpers")
        names = sorted(n for _, n in st.children())
        assert names == ["callin-commit", "callin-fcgi", "callin-fcgi", "callin-fcgi",
                         "callin-fcgi", "callin-signer"], names
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            tokens = list(pool.map(lambda _: token_of(submit(st)), range(40)))
        assert len(set(tokens)) == 40 and st.count_requests() == 40
        text = metrics(st)
        assert metric(text, "callin_helper_up", helper="signer") == 1
        assert metric(text, "callin_helper_up", helper="committer") == 1
        batches = metric(text, "callin_commit_batch_size_count")
        assert metric(text, "callin_commit_batch_size_sum") == 40
        assert 1 <= batches <= 40
        assert 1 <= metric(text, "callin_commit_batch_size_max") <= 4    # one call per worker
        assert metric(text, "callin_commit_duration_seconds_count") == batches
        assert metric(text, "callin_signer_restarts_total") == 0
        assert metric(text, "callin_committer_restarts_total") == 0
    finally:
        st.stop()


MIN_SUBMISSIONS = 100
KILL_CLIENTS = 8
HELPER_KILLS = 4


@pytest.mark.parametrize("helper", ["signer", "commit"])
def test_helper_sigkilled_under_load_loses_nothing_with_a_receipt(tmp_path, helper):
    """8 clients send submissions with files (at least 100, until a second
    after the last kill) while the signer (or the committer) is SIGKILLed
    four times.  Every 303 is a whole stored request whose files read back
    and whose receipt verifies; every other answer is the 503 page saying it
    was not submitted, and nothing of it is stored; the master restarts the
    helper and service resumes; the failed forms sent again are each stored
    once."""
    rng = random.Random(int.from_bytes(os.urandom(4), "big"))
    st = Stack(tmp_path, workers=4).start()
    try:
        wait_for(lambda: st.helper_pid(helper), what="the helper")
        attempts = []
        lock = threading.Lock()
        stop = threading.Event()
        kills = []

        def client():
            s = requests.Session()
            while True:
                with lock:
                    if stop.is_set() and len(attempts) >= MIN_SUBMISSIONS:
                        return
                    a = Attempt(len(attempts), random_files(rng, rng.randint(1, 2)))
                    attempts.append(a)
                a.hidden = fetch_form(st, s)
                post(st, s, a)

        def killer():
            time.sleep(0.3)
            while len(kills) < HELPER_KILLS:
                pid = st.helper_pid(helper)
                if pid is not None and pid not in kills:
                    os.kill(pid, signal.SIGKILL)
                    kills.append(pid)
                time.sleep(rng.uniform(0.3, 0.6))
            time.sleep(1.0)
            stop.set()

        run_storm(client, KILL_CLIENTS, killer)
        ok = [a for a in attempts if a.status == 303]
        failed = [a for a in attempts if a.status != 303]
        statuses = {s: sum(1 for a in attempts if a.status == s) for s in {a.status for a in attempts}}
        assert len(kills) == HELPER_KILLS, kills
        assert set(statuses) <= {303, 503}, statuses
        assert failed, "no submission failed: the kills hit nothing"
        for a in failed:
            assert "has not been submitted" in a.text, a.text[:500]
            assert get_doc(st, "idempotency", a.idem) is None, f"{a.n} said not submitted but is stored"
        assert st.count_requests() == len(ok)
        folder = str(tmp_path / "check")
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda a: check_stored(st, a, folder), ok))

        wait_for(lambda: st.helper_pid(helper) is not None and
                 st.helper_pid(helper) not in kills, timeout=30, what="a new helper")
        counter = "callin_signer_restarts_total" if helper == "signer" else \
            "callin_committer_restarts_total"
        wait_for(lambda: metric(metrics(st), counter) == len(kills), timeout=10,
                 what="the restarts counted")
        # Service resumes by itself; the failed forms land once each.
        s = requests.Session()
        deadline = time.monotonic() + 30
        for a in failed:
            while True:
                post(st, s, a)
                if a.status == 303 or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            assert a.status == 303, (a.status, a.text[:300])
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda a: check_stored(st, a, folder), failed))
        assert st.count_requests() == len(attempts)
        print(f"\n{helper} killed {len(kills)} times under {len(attempts)} submissions: "
              f"answers {statuses}")
    finally:
        st.stop()


def test_signer_down_fails_health_and_submissions_say_not_submitted(tmp_path):
    """While no signer can start (its key open to others), /healthz fails
    signing_key and a submission gets the 503 page and stores nothing; once
    the key is fixed the master's next restart brings it back."""
    st = Stack(tmp_path).start()
    key = os.path.join(st.data, "keys", "signing.pem")
    try:
        token_of(submit(st))
        os.chmod(key, 0o644)
        os.kill(st.helper_pid("signer"), signal.SIGKILL)
        wait_for(lambda: requests.get(st.url("/healthz")).status_code == 503, what="health to fail")
        h = requests.get(st.url("/healthz")).json()
        assert h["failing"] == "signing_key" and h["checks"]["signing_key"] == "fail"
        r = submit(st, files=[("a.txt", b"evidence\n" * 100, "text/plain")])
        assert r.status_code == 503 and "has not been submitted" in r.text
        assert st.count_requests() == 1 and not unlinked(st)
        wait_for(lambda: "private key is readable or writable by group or others" in st.log(),
                 what="the signer's refusal in the log")
        assert metric(metrics(st), "callin_helper_up", helper="signer") == 0
        os.chmod(key, 0o600)
        wait_for(lambda: requests.get(st.url("/healthz")).status_code == 200, timeout=40,
                 what="the signer back")
        token_of(submit(st))
        assert st.count_requests() == 2
    finally:
        os.chmod(key, 0o600)
        st.stop()


def test_worker_killed_while_waiting_for_the_committer_leaves_no_half_request(tmp_path):
    """A worker killed after it handed its document over, before the
    committer read it: the committer drops the call of a closed connection,
    so nothing of the request is visible (its file is an orphan the sweep
    removes), the user got nginx's error page, and sending the form again
    stores it once, whole."""
    st = Stack(tmp_path, workers=1).start()
    try:
        token_of(submit(st))
        committer = st.helper_pid("commit")
        worker = st.worker_pids()[0]
        s = requests.Session()
        a = Attempt(1, [("notes.txt", b"a line of evidence\n" * 4000, "text/plain")])
        a.hidden = fetch_form(st, s)
        os.kill(committer, signal.SIGSTOP)
        try:
            t = threading.Thread(target=post, args=(st, s, a))
            t.start()
            wait_for(lambda: len(unlinked(st)) == 1, what="the file stored")
            time.sleep(1.0)     # the worker has sent its document and waits
            os.kill(worker, signal.SIGKILL)
            t.join(timeout=60)
        finally:
            os.kill(committer, signal.SIGCONT)
        assert a.status == 502, a.status            # nginx: the worker died
        wait_for(lambda: len(st.worker_pids()) == 1 and st.worker_pids()[0] != worker,
                 what="a new worker")
        token_of(submit(st))                         # the committer goes on
        assert get_doc(st, "idempotency", a.idem) is None
        assert st.count_requests() == 2 and len(unlinked(st)) == 1
        assert sweep(st, now_ms() + 60_000) == 1 and not unlinked(st)
        post(st, s, a)                               # the user tries again
        assert a.status == 303
        check_stored(st, a, str(tmp_path / "check"))
        assert st.count_requests() == 3 and not unlinked(st)
    finally:
        st.stop()


def test_email_limit_holds_for_concurrent_requests(tmp_path):
    """The per-email limit is counted inside the committer's serialised
    write: 12 submissions from one address at once through 4 workers store
    exactly the limit, the rest get the 429 page."""
    st = Stack(tmp_path, workers=4, env={"CALLIN_MAX_REQUESTS_PER_EMAIL": "3",
                                         "CALLIN_EMAIL_LIMIT_WINDOW": "3600"}).start()
    try:
        forms = []
        for _ in range(12):
            s = requests.Session()
            forms.append((s, hidden_fields(s.get(st.url("/request")).text)))
        barrier = threading.Barrier(12)

        def send(form):
            s, hidden = form
            barrier.wait()
            return submit(st, answers=valid_answers(email="Same.Person@Example.org"),
                          hidden=hidden, session=s).status_code
        with concurrent.futures.ThreadPoolExecutor(12) as pool:
            codes = list(pool.map(send, forms))
        assert sorted(codes) == [303] * 3 + [429] * 9, codes
        assert st.count_requests() == 3
        assert metric(metrics(st), "callin_rejections_total", reason="email_limit") == 9
    finally:
        st.stop()


def test_reload_rolls_the_helpers_and_rotates_the_key(tmp_path):
    """SIGHUP starts a new signer and committer with the re-read
    configuration and stops the old ones once the new ones are ready; a new
    signing_key_file takes effect without a restart; receipts from before
    still verify."""
    st = Stack(tmp_path)
    conf = os.path.join(st.run, "callin.conf")
    key_a = os.path.join(st.data, "keys", "signing.pem")
    with open(conf, "w") as f:
        f.write(f"signing_key_file = {key_a}\n")
    st.extra_env["CALLIN_CONFIG"] = conf
    st.start()
    try:
        old = requests.get(st.url(f"/receipt/{token_of(submit(st))}/receipt.txt")).text
        kid_a = re.search(r"^key: (\w+)$", old, re.M).group(1)
        signer, committer = st.helper_pid("signer"), st.helper_pid("commit")
        key_b = os.path.join(st.data, "keys", "signing-b.pem")
        out = subprocess.run([os.path.join(BUILD, "callin-keygen"), key_b,
                              os.path.join(st.data, "keys", "public")],
                             capture_output=True, text=True, check=True).stdout
        kid_b = re.search(r"[0-9a-f]{16}", out).group(0)
        with open(conf, "w") as f:
            f.write(f"signing_key_file = {key_b}\n")
        st.fcgi.send_signal(signal.SIGHUP)
        wait_for(lambda: st.helper_pid("signer") not in (None, signer) and
                 st.helper_pid("commit") not in (None, committer) and
                 sum(1 for _, n in st.children() if n != "callin-fcgi") == 2,
                 what="new helpers, the old ones stopped")
        new = requests.get(st.url(f"/receipt/{token_of(submit(st))}/receipt.txt")).text
        assert f"key: {kid_b}" in new and kid_a != kid_b
        for text in (old, new):
            page = requests.post(st.url("/verify"), files={"receipt": (None, text)}).text
            assert 'data-verdict="valid"' in page
        assert st.count_requests() == 2
    finally:
        st.stop()


def test_sigterm_lets_a_waiting_commit_finish(tmp_path):
    """SIGTERM while a document waits for the committer: the committer
    stays until the last worker is gone, so the request is stored and
    answered 303."""
    st = Stack(tmp_path, workers=1).start()
    try:
        committer = st.helper_pid("commit")
        s = requests.Session()
        a = Attempt(1, [])
        a.hidden = fetch_form(st, s)
        os.kill(committer, signal.SIGSTOP)
        t = threading.Thread(target=post, args=(st, s, a))
        t.start()
        time.sleep(1.0)
        st.fcgi.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        os.kill(committer, signal.SIGCONT)
        t.join(timeout=60)
        assert a.status == 303, a.status
        st.fcgi.wait(timeout=30)
        assert st.fcgi.returncode == 0
        assert get_doc(st, "idempotency", a.idem)["token"] == a.token
    finally:
        st.stop()


def core_of(pid, folder):
    """A core dump of the live process pid (gdb's gcore), as bytes."""
    prefix = os.path.join(folder, "core")
    r = subprocess.run(["gcore", "-o", prefix, str(pid)], capture_output=True, text=True,
                       timeout=300)
    path = f"{prefix}.{pid}"
    assert r.returncode == 0 and os.path.exists(path), r.stderr[-2000:]
    with open(path, "rb") as f:
        data = f.read()
    os.unlink(path)
    return data


# The optimised build (scripts/build), which is what runs in production: a
# core of a sanitizer build holds the sanitizer's shadow memory, tens of GB.
RELEASE = os.environ.get("CALLIN_RELEASE_BUILD_DIR", "")


def test_private_key_is_in_the_signer_and_no_worker(tmp_path):
    """After serving submissions, a dump of each worker and of the master
    holds neither the private key's 32 bytes nor its PEM text; a dump of
    the signer holds the 32 bytes (so the search can find them).  Runs the
    optimised build."""
    assert os.path.exists(os.path.join(RELEASE, "callin-fcgi")), \
        f"no optimised build in {RELEASE!r}: scripts/test makes one with scripts/build"
    st = Stack(tmp_path, workers=2, build=RELEASE).start()
    key = os.path.join(st.data, "keys", "signing.pem")
    try:
        for _ in range(6):
            token_of(submit(st, files=[("a.txt", b"evidence\n" * 50, "text/plain")]))
        der = subprocess.run(["openssl", "pkey", "-in", key, "-outform", "DER"],
                             capture_output=True, check=True).stdout
        raw = der[-32:]
        assert len(der) == 48 and der[-34:-32] == b"\x04\x20"     # PKCS#8 Ed25519
        with open(key) as f:
            pem_body = "".join(line.strip() for line in f if not line.startswith("-----"))
        assert len(pem_body) == 64
        folder = str(tmp_path / "cores")
        os.makedirs(folder)
        for pid in st.worker_pids() + [st.fcgi.pid]:
            core = core_of(pid, folder)
            assert len(core) > 1_000_000 and b"callin-fcgi" in core
            print(f"core of {pid}: {len(core)} bytes")
            assert raw not in core, f"process {pid} holds the private key"
            assert pem_body.encode() not in core, f"process {pid} holds the key's PEM text"
        assert raw in core_of(st.helper_pid("signer"), folder)
        # Core dumps are off where secrets are held: the signer (the key)
        # and the workers (the form secret).
        for pid in st.worker_pids() + [st.helper_pid("signer")]:
            with open(f"/proc/{pid}/limits") as f:
                line = next(x for x in f if x.startswith("Max core file size"))
            assert line.split()[4:6] == ["0", "0"], line
    finally:
        st.stop()

"""The whole service on the MongoDB backend over a FerretDB of its own: a
submission with a file stored in GridFS, the 503 page while the server is
gone (killed with SIGKILL), recovery without restarting the workers, and the
503 with a failing /healthz when no server was ever there."""
import os
import re
import socket
import subprocess

import requests

from harness import BUILD, Docstore, Stack, submit, token_of, wait_for


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_submission_stored_then_server_killed_then_recovery(tmp_path):
    ds = Docstore(tmp_path).start()
    st = Stack(tmp_path, store="mongodb", mongo_base=ds.uri).start()
    try:
        workers = sorted(st.worker_pids())
        pdf = b"%PDF-1.4\n%%EOF\n" + b"0" * 5000
        token = token_of(submit(st, files=[("evidence.pdf", pdf, "application/pdf")]))
        page = requests.get(st.url("/receipt/" + token))
        assert page.status_code == 200
        ref = re.search(r'id="reference">(CIR-[^<]+)<', page.text).group(1)
        (doc,) = list(st.mongo().requests.find())
        assert doc["reference"] == ref
        assert st.count_blobs() == 1
        receipt = requests.get(st.url(f"/receipt/{token}/receipt.txt")).text
        v = requests.post(st.url("/verify"), files=[("receipt", (None, receipt))]).text
        assert 'data-verdict="valid"' in v

        ds.kill()
        r = submit(st, files=[("evidence.pdf", pdf, "application/pdf")])
        assert r.status_code == 503 and "not been submitted" in r.text
        h = requests.get(st.url("/healthz"))
        assert h.status_code == 503 and h.json()["failing"] == "store"

        ds.start()
        token2 = token_of(submit(st))                      # no restart needed
        assert sorted(st.worker_pids()) == workers
        assert st.count_requests() == 2 and st.count_blobs() == 1
        (doc,) = list(st.mongo().requests.find({"token": token}))
        blob = subprocess.run([os.path.join(BUILD, "store_cat"), st.store_spec, "blob",
                               doc["attachments"][0]["blob_id"]], capture_output=True)
        assert blob.returncode == 0 and blob.stdout == pdf       # back from GridFS
        assert requests.get(st.url("/receipt/" + token2)).status_code == 200
        # Each worker answers from its last store check for up to a second.
        wait_for(lambda: requests.get(st.url("/healthz")).status_code == 200, timeout=5,
                 what="/healthz to pass again")
    finally:
        st.stop()
        ds.stop()


def test_no_mongodb_server_gives_503_and_failing_health(tmp_path):
    st = Stack(tmp_path, env={
        "CALLIN_STORE": "mongodb://127.0.0.1:%d/callin?serverSelectionTimeoutMS=500"
                        "&connectTimeoutMS=500" % closed_port()}).start()
    try:
        assert requests.get(st.url("/request")).status_code == 200
        r = submit(st)
        assert r.status_code == 503
        assert "not been submitted" in r.text and "Retry-After" in r.headers
        h = requests.get(st.url("/healthz"))
        assert h.status_code == 503 and h.json()["failing"] == "store"
    finally:
        st.stop()

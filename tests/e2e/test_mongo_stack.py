"""The whole service on the MongoDB backend: nginx, workers and an in-memory
MongoDB stand-in (MockupDB) - a submission with a file, the 503 page when
the server errs or is gone, and recovery without a restart."""
import re
import socket

import requests

from harness import Stack, submit, token_of
from mongo_fake import FakeMongo


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def mongo_stack(tmp_path, uri):
    return Stack(tmp_path, env={"CALLIN_STORE": uri}).start()


def test_submission_stored_in_mongodb_then_errors_then_recovery(tmp_path):
    fake = FakeMongo()
    fake.server.run()
    st = mongo_stack(tmp_path, "mongodb://%s/callin?serverSelectionTimeoutMS=1000"
                     % fake.server.address_string)
    try:
        pdf = b"%PDF-1.4\n%%EOF\n" + b"0" * 5000
        token = token_of(submit(st, files=[("evidence.pdf", pdf, "application/pdf")]))
        page = requests.get(st.url("/receipt/" + token))
        assert page.status_code == 200
        ref = re.search(r'id="reference">(CIR-[^<]+)<', page.text).group(1)
        reqs = fake.data[("callin", "requests")]
        assert len(reqs) == 1 and reqs[0]["reference"] == ref
        assert len(fake.data[("callin", "attachments.files")]) == 1
        receipt = requests.get(st.url(f"/receipt/{token}/receipt.txt")).text
        v = requests.post(st.url("/verify"), files=[("receipt", (None, receipt))]).text
        assert 'data-verdict="valid"' in v

        fake.fail.add(("insert", "requests"))
        r = submit(st, files=[("evidence.pdf", pdf, "application/pdf")])
        assert r.status_code == 503 and "not been submitted" in r.text
        assert len(fake.data[("callin", "requests")]) == 1
        assert len(fake.data[("callin", "attachments.files")]) == 1   # its file removed
        assert len(fake.data[("callin", "attachments.chunks")]) == 1

        fake.fail.clear()
        token_of(submit(st))                                      # no restart needed
        assert len(fake.data[("callin", "requests")]) == 2
    finally:
        st.stop()
        fake.server.stop()


def test_no_mongodb_server_gives_503_and_failing_health(tmp_path):
    st = mongo_stack(tmp_path, "mongodb://127.0.0.1:%d/callin?serverSelectionTimeoutMS=500"
                     "&connectTimeoutMS=500" % closed_port())
    try:
        assert requests.get(st.url("/request")).status_code == 200
        r = submit(st)
        assert r.status_code == 503
        assert "not been submitted" in r.text and "Retry-After" in r.headers
        h = requests.get(st.url("/healthz"))
        assert h.status_code == 503 and h.json()["failing"] == "store"
    finally:
        st.stop()

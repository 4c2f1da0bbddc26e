"""scripts/run as a person uses it: it serves the form on the given port, a
submitted request lands on its confirmation (stored in SQLite, or with
CALLIN_DOCSTORE=1 in a local FerretDB), both emails reach the local sink
under the data folder, and SIGTERM stops everything."""
import glob
import os
import re
import signal
import subprocess

import pymongo
import pytest
import requests

from harness import TOP, free_port, hidden_fields, multipart_fields, valid_answers, wait_for


@pytest.mark.parametrize("docstore", [False, True], ids=["sqlite", "docstore"])
def test_scripts_run_serves_and_mails(tmp_path, docstore):
    port, sink, doc_port = free_port(), free_port(), free_port()
    data = tmp_path / "var"
    env = dict(os.environ, CALLIN_PORT=str(port), CALLIN_DATA_DIR=str(data),
               CALLIN_SINK_PORT=str(sink), CALLIN_WORKERS="2", CALLIN_MAIL_POLL_MS="100")
    env.pop("CALLIN_SMTP_URL", None)
    env.pop("CALLIN_STORE", None)
    if docstore:
        env.update(CALLIN_DOCSTORE="1", CALLIN_DOCSTORE_PORT=str(doc_port))
    log = open(tmp_path / "run.log", "wb")
    p = subprocess.Popen([os.path.join(TOP, "scripts", "run")], env=env, stdout=log,
                         stderr=subprocess.STDOUT, start_new_session=True)
    try:
        def up():
            try:
                return requests.get(f"http://127.0.0.1:{port}/", timeout=1).status_code == 200
            except requests.RequestException:
                return False
        wait_for(up, timeout=600, what="scripts/run to serve")
        s = requests.Session()
        page = s.get(f"http://127.0.0.1:{port}/request").text
        parts = multipart_fields(valid_answers(), hidden_fields(page))
        parts.append(("attachments", ("notes.txt", b"meeting notes\n", "text/plain")))
        r = s.post(f"http://127.0.0.1:{port}/request", files=parts)
        assert r.status_code == 200 and "Request sent" in r.text
        ref = re.search(r'id="reference">(CIR-[^<]+)<', r.text).group(1)
        if docstore:                            # stored in FerretDB, its file in GridFS
            client = pymongo.MongoClient(f"mongodb://127.0.0.1:{doc_port}/")
            try:
                (doc,) = list(client.callin.requests.find({"reference": ref}))
                assert doc["attachments"][0]["name"] == "notes.txt"
                assert client.callin["attachments.files"].count_documents({}) == 1
            finally:
                client.close()
            assert os.listdir(data / "docstore") and not os.path.exists(data / "callin.db")
        else:
            assert os.path.exists(data / "callin.db")
        wait_for(lambda: len(glob.glob(str(data / "mail" / "*.eml"))) == 2, timeout=30,
                 what="two messages in the sink")
        mails = [open(f, "rb").read() for f in glob.glob(str(data / "mail" / "*.eml"))]
        assert any(b"New call-in request CIR-" in m for m in mails)
        assert any(b"alex@example.org" in m.split(b"\r\n\r\n")[0] for m in mails)
    finally:
        os.kill(p.pid, signal.SIGTERM)          # the script alone: it stops the rest
        p.wait(timeout=60)
    assert not os.path.exists(data / "run" / "fcgi.sock")
    leftovers = subprocess.run(["pgrep", "-f", str(data)], capture_output=True, text=True).stdout
    assert leftovers.strip() == "", leftovers

"""scripts/run as a person uses it: it serves the form on the given port, a
submitted request lands on its confirmation (stored in SQLite, or with
CALLIN_DOCSTORE=1 in a local FerretDB), both emails reach the local sink
under the data folder, the receipt names the log, its proof appears at
/log/proofs/ within a minute (callin-logd and the development TSA that
scripts/run starts) and callin-verify and the README's recipe accept it,
and SIGTERM stops everything."""
import email
import email.policy
import glob
import hashlib
import os
import re
import signal
import subprocess

import pymongo
import pytest
import requests

from harness import (TOP, free_port, hidden_fields, multipart_fields, remember_secret,
                     valid_answers, wait_for)
from test_log_readme import checker, recipe, workdir  # noqa: F401  (checker: a fixture)


def check_proof(base, data, token, checker, tmp):  # noqa: F811
    """The receipt of token names the log; its proof and token are public
    within a minute; callin-verify (the optimised build scripts/run made)
    and the README's recipe accept them with the development TSA's root."""
    receipt = requests.get(f"{base}/receipt/{token}/receipt.txt").content
    # callin-logd starts beside the web stack: its first checkpoint may
    # come a moment after the form is served.
    wait_for(lambda: (data / "log" / "checkpoint").exists(), timeout=30,
             what="callin-logd's first checkpoint")
    origin = open(data / "log" / "checkpoint", "rb").read().split(b"\n")[0]
    assert b"\nlog: " + origin + b"\n" in receipt, receipt
    hexname = hashlib.sha256(receipt).hexdigest()
    url = f"{base}/log/proofs/{hexname}.tlog-proof"
    wait_for(lambda: requests.get(url).status_code == 200, timeout=60,
             what="the proof at /log/proofs/ within a minute")
    files = {"receipt.txt": receipt, "p.tlog-proof": requests.get(url).content,
             "c.tsr": requests.get(f"{base}/log/proofs/{hexname}.tsr").content}
    kid = re.search(rb"\nkey: (\S+)\n", receipt).group(1).decode()
    files["key.pem"] = requests.get(f"{base}/receipt-keys/{kid}.pem").content
    for name, b in files.items():
        (tmp / name).write_bytes(b)
    vkey = requests.get(f"{base}/log/log.vkey").text
    ca = data / "dev-tsa" / "ca.crt"
    assert b"DEVELOPMENT TSA" in subprocess.run(
        ["openssl", "x509", "-noout", "-subject", "-in", str(ca)], capture_output=True).stdout
    p = subprocess.run([os.path.join(TOP, "build", "callin-verify"), "--key", str(tmp / "key.pem"),
                        "--log-key", vkey.strip(), "--tsa-ca", str(ca),
                        "--proof", str(tmp / "p.tlog-proof"), "--tsr", str(tmp / "c.tsr"),
                        str(tmp / "receipt.txt")], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    w = workdir(tmp, checker, tmp / "receipt.txt", tmp / "p.tlog-proof", files["c.tsr"], vkey, ca)
    p = recipe(w)
    assert p.returncode == 0 and "ALL LOG CHECKS PASSED" in p.stdout, p.stdout + p.stderr
    return files


@pytest.mark.parametrize("docstore", [False, True], ids=["sqlite", "docstore"])
def test_scripts_run_serves_and_mails(tmp_path, docstore, checker):  # noqa: F811
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
        token = remember_secret(re.search(r"/receipt/([A-Za-z0-9_-]+)$", r.url).group(1))
        files = check_proof(f"http://127.0.0.1:{port}", data, token, checker, tmp_path)
        # The first email to the requester waited for the proof and carries it.
        wait_for(lambda: len(glob.glob(str(data / "mail" / "*.eml"))) == 2, timeout=30,
                 what="two messages in the sink")
        mails = [open(f, "rb").read() for f in glob.glob(str(data / "mail" / "*.eml"))]
        assert any(b"New call-in request CIR-" in m for m in mails)
        (mine,) = [m for m in mails if b"alex@example.org" in m.split(b"\r\n\r\n")[0]]
        msg = email.message_from_bytes(mine, policy=email.policy.default)
        att = {a.get_filename(): a.get_payload(decode=True) for a in msg.iter_attachments()}
        assert att["receipt.tlog-proof"] == files["p.tlog-proof"]
        assert att["checkpoint.tsr"] == files["c.tsr"]
    finally:
        os.kill(p.pid, signal.SIGTERM)          # the script alone: it stops the rest
        p.wait(timeout=60)
    assert not os.path.exists(data / "run" / "fcgi.sock")
    leftovers = subprocess.run(["pgrep", "-f", str(data)], capture_output=True, text=True).stdout
    assert leftovers.strip() == "", leftovers

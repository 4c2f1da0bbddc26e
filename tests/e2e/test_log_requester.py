"""The requester's side of the transparency log (DESIGN.md §9), through the
running service: the signed `log:` line in the receipt (and that v1
verifiers still pass it), the request document marked for the log, the
proof downloads and the confirmation page's log section, and the first
email waiting for the proof (log_proof_wait) then attaching it, or linking
the public /log/proofs/ address once the wait is over.

The proof files are what callin-logd publishes under log_dir/proofs/; here
a test writes them itself where it only needs their bytes served, so that
these tests stand without the sequencer (test_log_verify.py checks real
proofs made by the log library).
"""
import hashlib
import json
import os
import re
import subprocess
import time

import pytest
import requests

from harness import BUILD, Stack, submit, token_of, valid_answers, wait_for
from smtp_server import SmtpServer
from test_mail import (MAIL_FROM, STAFF, attachments, body_text, confirm_link, one_of,
                       stack_outbox)

ORIGIN = "callin.example.gov.uk/log"
PROOF = b"c2sp.org/tlog-proof@v1\nindex 0\n\nnot a real checkpoint\n"
TSR = bytes(range(256)) * 3


def log_stack(tmp_path, **env):
    e = {"CALLIN_LOG_ORIGIN": ORIGIN, "CALLIN_STAFF_ALERT_TO": ",".join(STAFF),
         "CALLIN_MAIL_FROM": MAIL_FROM}
    e.update({"CALLIN_" + k.upper(): str(v) for k, v in env.items()})
    return Stack(tmp_path, env=e).start()


@pytest.fixture
def stack(tmp_path):
    s = log_stack(tmp_path)
    yield s
    s.stop()


@pytest.fixture
def smtp(tmp_path):
    srv = SmtpServer(folder=str(tmp_path)).start()
    yield srv
    srv.stop()


def receipt_of(stack, token):
    r = requests.get(stack.url(f"/receipt/{token}/receipt.txt"))
    assert r.status_code == 200
    return r.content


def publish(stack, receipt, proof=PROOF, tsr=TSR):
    """Write the proof files as callin-logd does (temp, then rename)."""
    hexname = hashlib.sha256(receipt).hexdigest()
    d = os.path.join(stack.data, "log", "proofs")
    os.makedirs(d, exist_ok=True)
    for ext, data in (("tlog-proof", proof), ("tsr", tsr)):
        if data is None:
            continue
        path = os.path.join(d, f"{hexname}.{ext}")
        with open(path + ".tmp", "wb") as f:
            f.write(data)
        os.rename(path + ".tmp", path)
    return hexname


def stored(stack, token):
    p = subprocess.run([os.path.join(BUILD, "store_cat"), stack.store_spec, "get", "token",
                        token], capture_output=True, text=True, check=True)
    return json.loads(p.stdout)


def test_receipt_promises_the_log_in_a_signed_line(stack, tmp_path):
    token = token_of(submit(stack))
    text = receipt_of(stack, token).decode()
    lines = text.split("\n")
    assert lines[0] == "callin-receipt-v1"
    assert [ln.split(":")[0] for ln in lines[:-1]] == [
        "callin-receipt-v1", "reference", "received", "commitment", "log", "key", "signature"]
    assert lines[4] == f"log: {ORIGIN}"
    # The store queues what the document says: this request promises the log.
    assert stored(stack, token)["log"] == ORIGIN
    # v1 verifiers: callin-verify and /verify pass it; the line is signed.
    kid = re.search(r"^key: (\w+)$", text, re.M).group(1)
    pem = tmp_path / "key.pem"
    pem.write_bytes(requests.get(stack.url(f"/receipt-keys/{kid}.pem")).content)
    (tmp_path / "receipt.txt").write_text(text)
    p = subprocess.run([os.path.join(BUILD, "callin-verify"), "--key", str(pem),
                        str(tmp_path / "receipt.txt")], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout
    (tmp_path / "bad.txt").write_text(text.replace(f"log: {ORIGIN}", "log: other.example/log"))
    p = subprocess.run([os.path.join(BUILD, "callin-verify"), "--key", str(pem),
                        str(tmp_path / "bad.txt")], capture_output=True, text=True)
    assert p.returncode == 1, p.stdout
    r = requests.post(stack.url("/verify"), files=[("receipt", (None, text))])
    assert 'data-verdict="valid"' in r.text


def test_no_log_origin_no_log_line(tmp_path):
    s = Stack(tmp_path).start()
    try:
        token = token_of(submit(s))
        assert b"\nlog: " not in receipt_of(s, token)
        assert "log" not in stored(s, token)
        page = requests.get(s.url(f"/receipt/{token}")).text
        assert "log-proof" not in page
        for f in ("receipt.tlog-proof", "checkpoint.tsr"):
            assert requests.get(s.url(f"/receipt/{token}/{f}")).status_code == 404
    finally:
        s.stop()


def test_proof_downloads_and_the_confirmation_page(stack):
    token = token_of(submit(stack))
    receipt = receipt_of(stack, token)
    page = requests.get(stack.url(f"/receipt/{token}")).text
    assert 'data-proof="pending"' in page and "within a few minutes" in page
    assert "receipt.tlog-proof" not in page
    for f in ("receipt.tlog-proof", "checkpoint.tsr"):
        r = requests.get(stack.url(f"/receipt/{token}/{f}"))
        assert r.status_code == 404 and "not ready yet" in r.text
        assert "immutable" not in r.headers.get("Cache-Control", "")

    publish(stack, receipt)
    page = requests.get(stack.url(f"/receipt/{token}")).text
    assert 'data-proof="ready"' in page
    assert f'href="/receipt/{token}/receipt.tlog-proof"' in page
    assert f'href="/receipt/{token}/checkpoint.tsr"' in page
    assert "append-only" in page and "timestamp authority" in page
    ref = re.search(r"CIR-\w{4}-\w{4}", page).group(0)
    r = requests.get(stack.url(f"/receipt/{token}/receipt.tlog-proof"))
    assert r.status_code == 200 and r.content == PROOF
    assert r.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert r.headers["Content-Disposition"] == f'attachment; filename="{ref}-receipt.tlog-proof"'
    assert r.headers["Cache-Control"] == "private, no-store"
    r = requests.get(stack.url(f"/receipt/{token}/checkpoint.tsr"))
    assert r.status_code == 200 and r.content == TSR
    assert r.headers["Content-Type"] == "application/timestamp-reply"
    # Like receipt.txt, the proofs hold no personal data: they outlive the
    # private link (copy.json and the page answer 410).
    stack.age_request(token, 400 * 86400)
    assert requests.get(stack.url(f"/receipt/{token}")).status_code == 410
    assert requests.get(stack.url(f"/receipt/{token}/copy.json")).status_code == 410
    assert requests.get(stack.url(f"/receipt/{token}/receipt.tlog-proof")).content == PROOF
    # Another token's files are not this one's.
    other = token_of(submit(stack))
    assert requests.get(stack.url(f"/receipt/{other}/receipt.tlog-proof")).status_code == 404


def mailer_for(stack, smtp, **over):
    ob = stack_outbox(stack)
    ob.extra.update({"CALLIN_LOG_ORIGIN": ORIGIN})
    ob.extra.update({"CALLIN_" + k.upper(): str(v) for k, v in over.items()})
    return ob, ob.start(smtp)


def test_first_email_waits_for_the_proof_then_attaches_it(stack, smtp):
    token = token_of(submit(stack, answers=valid_answers(email="alex@example.org")))
    receipt = receipt_of(stack, token)
    ob, m = mailer_for(stack, smtp, log_proof_wait=120, log_anchor_interval=1)
    try:
        got = smtp.wait_for(1)
        assert ".staff_alert@" in got[0].message_id     # staff are not kept waiting
        time.sleep(3)                                   # three looks at the proof
        assert len(smtp.snapshot()) == 1
        assert ob.stats()["due"] == 1
        publish(stack, receipt)
        got = smtp.wait_for(2)
    finally:
        m.stop()
    conf = one_of(got, "confirmation")
    att = attachments(conf)
    assert att == {"receipt.txt": receipt, "receipt.tlog-proof": PROOF, "checkpoint.tsr": TSR}
    types = {p.get_filename(): p.get_content_type() for p in conf.msg.iter_attachments()}
    assert types["checkpoint.tsr"] == "application/timestamp-reply"
    body = body_text(conf)
    assert "receipt.tlog-proof is attached" in body and "checkpoint.tsr is attached" in body
    assert "/log/proofs/" not in body and "/receipt/" not in body
    # Waiting was no failed try: nothing was logged as one.
    log = m.log()
    assert "not sent (try" not in log and "FAILED" not in log, log
    assert re.search(r"deferred [1-9]", log), log[-2000:]
    assert ob.stats() == {"due": 0, "oldest_due_ms": 0, "sent": 2, "failed": 0}


def test_first_email_links_the_public_proof_after_the_wait(stack, smtp):
    token = token_of(submit(stack, answers=valid_answers(email="alex@example.org")))
    receipt = receipt_of(stack, token)
    t0 = time.time()
    ob, m = mailer_for(stack, smtp, log_proof_wait=3, log_anchor_interval=1)
    try:
        got = smtp.wait_for(2, timeout=30)
    finally:
        m.stop()
    assert time.time() - t0 >= 2
    conf = one_of(got, "confirmation")
    assert set(attachments(conf)) == {"receipt.txt"}
    body = body_text(conf)
    hexname = hashlib.sha256(receipt).hexdigest()
    assert stack.url(f"/log/proofs/{hexname}.tlog-proof") in body, body
    # Never the private page: the address is not confirmed yet.
    assert token not in conf.msg.as_string() and "/receipt/" not in body


def test_confirmed_address_email_attaches_a_published_proof(stack, smtp):
    token = token_of(submit(stack, answers=valid_answers(email="alex@example.org")))
    receipt = receipt_of(stack, token)
    publish(stack, receipt, tsr=None)                   # no TSA configured: no token
    ob, m = mailer_for(stack, smtp, log_proof_wait=60)
    try:
        got = smtp.wait_for(2)
        conf = one_of(got, "confirmation")
        assert set(attachments(conf)) == {"receipt.txt", "receipt.tlog-proof"}
        assert "checkpoint.tsr" not in body_text(conf)
        path, _, _ = confirm_link(conf)
        r = requests.post(stack.url(path), allow_redirects=False)
        assert r.status_code == 200 and 'data-outcome="confirmed"' in r.text
        got = smtp.wait_for(4)
    finally:
        m.stop()
    done = one_of(got, "address_confirmed")
    att = attachments(done)
    assert att["receipt.tlog-proof"] == PROOF and "copy.json" in att

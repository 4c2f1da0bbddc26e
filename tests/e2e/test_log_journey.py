"""The whole journey with the real sequencer (DESIGN.md §9): a request
submitted through nginx and callin-fcgi with log_origin set, callin-logd
sequencing and anchoring it with a real `openssl ts` authority and a real
witness (torchwood's litewitness) cosigning, the confirmation page then
offering the proof, the first email attaching it, the public /log/ files
served by nginx, and callin-verify (--witness), /verify (log_witnesses)
and the README's recipe (openssl and golang.org/x/mod only) all accepting
it; then everything published is checked by others' code (log_checks.py).
"""
import hashlib
import os
import subprocess

import pytest
import requests
from tlogcheck import tlogcheck

from harness import BUILD, Stack, submit, token_of, valid_answers, wait_for
from log_checks import check_with_others
from smtp_server import SmtpServer
from test_log_readme import checker, recipe, workdir  # noqa: F401  (checker: a fixture)
from test_logd import ORIGIN, Log
from test_mail import attachments, one_of, stack_outbox
from test_log_verify import test_tsa
from test_log_witness import WNAME, bins, litewitness, log_vkey  # noqa: F401  (bins: a fixture)


@pytest.fixture
def journey(tmp_path, bins):  # noqa: F811
    pki = test_tsa.Pki(str(tmp_path / "pki"))
    tsa = test_tsa.TsaServer(pki.tsa("tsa")).start()
    wit = litewitness.Witness(bins, tmp_path / "witness", WNAME).start()
    env = {"CALLIN_LOG_ORIGIN": ORIGIN, "CALLIN_TSA_URLS": "dev=" + tsa.url,
           "CALLIN_TSA_CA_FILE": str(pki.ca_crt), "CALLIN_LOG_ANCHOR_INTERVAL": "1",
           "CALLIN_LOG_PROOF_WAIT": "120", "CALLIN_LOG_WITNESSES": f"{wit.vkey} {wit.url}"}
    s = Stack(tmp_path, env=env).start()
    log = Log(s, env=env)
    wit.add_log(ORIGIN, log_vkey(log.key))
    log.start()
    smtp = SmtpServer(folder=str(tmp_path)).start()
    s.witness = wit
    yield s, log, smtp, pki
    smtp.stop()
    log.stop()
    s.stop()
    wit.stop()
    tsa.stop()


def test_a_request_gets_a_proof_everyone_can_check(journey, checker, tmp_path):  # noqa: F811
    s, log, smtp, pki = journey
    token = token_of(submit(s, answers=valid_answers(email="alex@example.org")))
    receipt = requests.get(s.url(f"/receipt/{token}/receipt.txt")).content
    assert f"\nlog: {ORIGIN}\n".encode() in receipt
    ob = stack_outbox(s)
    ob.extra.update({k: v for k, v in log.env.items() if k.startswith("CALLIN_LOG")})
    mailer = ob.start(smtp)
    try:
        wait_for(lambda: 'data-proof="ready"' in requests.get(s.url(f"/receipt/{token}")).text,
                 timeout=60, what="the proof on the confirmation page")
        got = smtp.wait_for(2, timeout=60)
    finally:
        mailer.stop()
    proof = requests.get(s.url(f"/receipt/{token}/receipt.tlog-proof")).content
    tsr = requests.get(s.url(f"/receipt/{token}/checkpoint.tsr")).content
    hexname = hashlib.sha256(receipt).hexdigest()
    # The same files in public, served by nginx from log_dir.
    assert requests.get(s.url(f"/log/proofs/{hexname}.tlog-proof")).content == proof
    assert requests.get(s.url(f"/log/proofs/{hexname}.tsr")).content == tsr
    vkey = requests.get(s.url("/log/log.vkey")).text
    # The first email carries them.
    att = attachments(one_of(got, "confirmation"))
    assert att["receipt.tlog-proof"] == proof and att["checkpoint.tsr"] == tsr

    # callin-verify, offline.
    kid = [ln for ln in receipt.decode().split("\n") if ln.startswith("key: ")][0][5:]
    pem = tmp_path / "key.pem"
    pem.write_bytes(requests.get(s.url(f"/receipt-keys/{kid}.pem")).content)
    for name, data in (("receipt.txt", receipt), ("p.tlog-proof", proof), ("c.tsr", tsr)):
        (tmp_path / name).write_bytes(data)
    p = subprocess.run([os.path.join(BUILD, "callin-verify"), "--key", str(pem), "--log-key",
                        vkey.strip(), "--witness", s.witness.vkey, "--tsa-ca", str(pki.ca_crt),
                        "--proof", str(tmp_path / "p.tlog-proof"), "--tsr",
                        str(tmp_path / "c.tsr"), str(tmp_path / "receipt.txt")],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stdout
    assert "cosigned by 1 of 1 known witnesses" in p.stdout, p.stdout
    # The proof carries the witness's cosignature, which the Go checker takes.
    cp = tmp_path / "proof.checkpoint"
    cp.write_bytes(proof.split(b"\n\n", 1)[1])
    c = tlogcheck("cosig", s.witness.vkey, cp)
    assert c.returncode == 0, c.stderr
    # /verify.
    r = requests.post(s.url("/verify"), files=[
        ("receipt", (None, receipt)),
        ("proof_file", ("receipt.tlog-proof", proof, "text/plain")),
        ("tsr_file", ("checkpoint.tsr", tsr, "application/timestamp-reply"))])
    assert 'data-verdict="valid"' in r.text
    for check in ("log-checkpoint", "log-inclusion", "log-witnesses", "log-timestamp",
                  "log-time"):
        assert f'id="check-{check}" data-ok="yes"' in r.text, check
    # The README's recipe, with tools none of them ours.
    (tmp_path / "r.tlog-proof").write_bytes(proof)
    w = workdir(tmp_path, checker, tmp_path / "receipt.txt", tmp_path / "r.tlog-proof", tsr,
                vkey, pki.ca_crt)
    p = recipe(w)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "ALL LOG CHECKS PASSED" in p.stdout
    # And all the log published, by others' code alone.
    log.stop()
    seen = check_with_others(log.dir, vkey.strip(), {hexname: receipt}, ca=pki.ca_crt)
    assert seen["proofs"] == 1 and seen["tokens"] >= 2, seen

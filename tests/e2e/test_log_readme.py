"""The README's "Checking a receipt's log proof" recipe, run as written:
its Go program (golang.org/x/mod's note and tlog only, fetched with `go
get` as the README says) built by its first sh block, then its check block
with sha256sum, openssl pkeyutl, openssl ts -verify -attime and the
program, against a real proof (the tlog library, tests/tools/proof_tool)
and a real token (openssl ts -reply, tests/tools/test_tsa.py).  It passes
when all is well and fails for each of: another receipt's proof, a
checkpoint signed by another key, a token over another checkpoint, a
receipt dated after the token, a changed receipt.
"""
import os
import re
import shutil
import subprocess
import time

import pytest

from harness import BUILD, TOP
from test_log_verify import pki  # noqa: F401  (the fixture: a CA and a TSA)
from test_log_verify import ORIGIN, log_key, note_text, proof_path, publish, run, test_tsa


def readme_section():
    text = open(os.path.join(TOP, "README.md")).read()
    m = re.search(r"^## Checking a receipt's log proof\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert m, "README.md: no '## Checking a receipt's log proof' section"
    return m.group(1)


def blocks(kind):
    return re.findall(r"^```" + kind + r"\n(.*?)^```$", readme_section(), re.S | re.M)


@pytest.fixture(scope="module")
def checker(tmp_path_factory):
    """The README's Go program, built by the README's own command."""
    d = tmp_path_factory.mktemp("go")
    (go,) = blocks("go")
    (d / "verify-proof").mkdir()
    (d / "verify-proof" / "main.go").write_text(go)
    build = blocks("sh")[0]
    assert "go get golang.org/x/mod@" in build
    p = subprocess.run(["/bin/sh", "-c", build], cwd=d, capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    return d / "tlog-verify"


def sign(tmp, name, received, ref="CIR-7K3F-9QXD"):
    copy = tmp / "copy.json"
    copy.write_text('{"format":"callin-copy-v1"}')
    if not (tmp / "signing.pem").exists():
        assert run(os.path.join(BUILD, "callin-keygen"), tmp / "signing.pem",
                   tmp / "pub").returncode == 0
    p = subprocess.run([os.path.join(BUILD, "receipt_tool"), "sign", str(tmp / "signing.pem"),
                        ref, received, str(copy), ORIGIN], capture_output=True, check=True)
    (tmp / name).write_bytes(p.stdout)
    return tmp / name


def workdir(tmp, checker, receipt, proof, tsr, vkey, ca):
    w = tmp / ("w" + str(time.time_ns()))
    w.mkdir()
    shutil.copy(checker, w / "tlog-verify")
    (w / "receipt.txt").write_bytes(receipt.read_bytes())
    (w / "receipt.tlog-proof").write_bytes(proof.read_bytes())
    (w / "checkpoint.tsr").write_bytes(tsr)
    (w / "log.vkey").write_text(vkey)
    shutil.copy(ca, w / "tsa.pem")
    return w


def recipe(w):
    check = blocks("sh")[1]
    return subprocess.run(["/bin/sh", "-c", check], cwd=w, capture_output=True, text=True,
                          timeout=60)


def test_readme_log_recipe(tmp_path, checker, pki):
    ca, cert = pki
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 30))
    receipt = sign(tmp_path, "receipt.txt", now)
    other = sign(tmp_path, "other.txt", now, ref="CIR-ZZ22-9QXD")
    logdir = tmp_path / "log"
    publish(log_key(tmp_path / "log.pem"), logdir, receipt, other)
    vkey = (logdir / "log.vkey").read_text()
    cp = (logdir / "checkpoint").read_bytes()
    tsr = test_tsa.reply(cert, test_tsa.query(note_text(cp)))
    proof = proof_path(logdir, receipt.read_bytes())

    p = recipe(workdir(tmp_path, checker, receipt, proof, tsr, vkey, ca.ca_crt))
    assert p.returncode == 0, p.stdout + p.stderr
    for want in ("Signature Verified Successfully", "Verification: OK",
                 f"inclusion: record 5 of the log {ORIGIN} of size 12: OK",
                 "ALL LOG CHECKS PASSED"):
        assert want in p.stdout + p.stderr, (want, p.stdout, p.stderr)

    # Another receipt's proof.
    p = recipe(workdir(tmp_path, checker, receipt, proof_path(logdir, other.read_bytes()), tsr,
                       vkey, ca.ca_crt))
    assert p.returncode != 0 and "inclusion: INVALID" in p.stdout
    # A changed receipt.
    changed = tmp_path / "changed.txt"
    changed.write_bytes(receipt.read_bytes().replace(b"CIR-7K3F", b"CIR-7K3G"))
    p = recipe(workdir(tmp_path, checker, changed, proof, tsr, vkey, ca.ca_crt))
    assert p.returncode != 0 and "inclusion: INVALID" in p.stdout
    # A checkpoint signed by another key, same origin.
    odir = tmp_path / "olog"
    publish(log_key(tmp_path / "other.pem"), odir, receipt)
    p = recipe(workdir(tmp_path, checker, receipt, proof_path(odir, receipt.read_bytes()), tsr,
                       vkey, ca.ca_crt))
    assert p.returncode != 0 and "checkpoint: NOT signed by the log key" in p.stdout
    # A token over another checkpoint.
    otsr = test_tsa.reply(cert, test_tsa.query(note_text((odir / "checkpoint").read_bytes())))
    p = recipe(workdir(tmp_path, checker, receipt, proof, otsr, vkey, ca.ca_crt))
    assert p.returncode != 0 and "timestamp: INVALID" in p.stdout
    # A receipt dated after its token.
    later = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 7200))
    future = sign(tmp_path, "future.txt", later)
    fdir = tmp_path / "flog"
    publish(tmp_path / "log.pem", fdir, future)
    ftsr = test_tsa.reply(cert, test_tsa.query(note_text((fdir / "checkpoint").read_bytes())))
    p = recipe(workdir(tmp_path, checker, future, proof_path(fdir, future.read_bytes()), ftsr,
                       vkey, ca.ca_crt))
    assert p.returncode != 0 and "received: LATER than the time-stamp" in p.stdout

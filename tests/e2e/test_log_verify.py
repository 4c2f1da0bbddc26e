"""Checking a receipt's log proof and time-stamp token (DESIGN.md §9):
callin-verify --log-key/--witness/--tsa-ca/--proof/--tsr and /verify with
proof_file and tsr_file, against proofs made by the tlog library
(tests/tools/proof_tool), tokens made by a real `openssl ts -reply`
authority (tests/tools/test_tsa.py) and witness cosignatures made here with
the Python cryptography package (cosignature/v1 from its spec, not our C).
Each tampering is refused with its check named: a changed receipt, a proof
for another receipt, a checkpoint signed by another key, a token over
another checkpoint, a token whose genTime lies outside its certificate's
validity, a receipt dated after the token, a witness cosignature changed.
"""
import base64
import datetime
import hashlib
import os
import re
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from harness import BUILD, TOP, Stack, submit, token_of

sys.path.insert(0, os.path.join(TOP, "tests", "tools"))
import test_tsa  # noqa: E402

ORIGIN = "callin.example.gov.uk/log"
VERIFY = os.path.join(BUILD, "callin-verify")


def run(*args, **kw):
    return subprocess.run([str(a) for a in args], capture_output=True, text=True,
                          timeout=60, **kw)


def log_key(path):
    run("openssl", "genpkey", "-algorithm", "ed25519", "-out", path)
    os.chmod(path, 0o600)
    return path


def publish(key, outdir, *receipts, pad=5, origin=ORIGIN):
    p = run(os.path.join(BUILD, "proof_tool"), key, origin, outdir, pad, *receipts)
    assert p.returncode == 0, p.stderr
    return p.stdout


def proof_path(outdir, receipt_bytes):
    return Path(outdir) / "proofs" / (hashlib.sha256(receipt_bytes).hexdigest() + ".tlog-proof")


def note_text(signed):
    """The note text of a signed note: up to the last blank line."""
    return signed[:signed.rindex(b"\n\n") + 1]


class Witness:
    """A cosignature/v1 witness key, signing with Python's cryptography."""

    def __init__(self, name):
        self.name = name
        self.key = Ed25519PrivateKey.generate()
        pub = self.key.public_key().public_bytes(serialization.Encoding.Raw,
                                                 serialization.PublicFormat.Raw)
        self.id = hashlib.sha256(name.encode() + b"\n\x04" + pub).digest()[:4]
        self.vkey = f"{name}+{self.id.hex()}+" + base64.b64encode(b"\x04" + pub).decode()

    def line(self, text, t=None):
        t = int(t or time.time())
        sig = self.key.sign(b"cosignature/v1\ntime %d\n" % t + text)
        return ("\u2014 %s %s\n" % (self.name, base64.b64encode(
            self.id + struct.pack(">Q", t) + sig).decode())).encode()


def cosign(proof_file, *lines):
    """Append cosignature lines to the proof's checkpoint (its end)."""
    data = proof_file.read_bytes()
    proof_file.write_bytes(data + b"".join(lines))


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    pki = test_tsa.Pki(tmp_path_factory.mktemp("pki"))
    return pki, pki.tsa("tsa")


@pytest.fixture
def case(tmp_path, pki):
    """A receipt (with the log line), its proof with one witness's
    cosignature, and a token over the proof's checkpoint."""
    ca, cert = pki
    p = run(os.path.join(BUILD, "callin-keygen"), tmp_path / "signing.pem", tmp_path / "pub")
    assert p.returncode == 0, p.stderr
    kid = p.stdout.strip()
    copy = tmp_path / "copy.json"
    copy.write_text('{"format":"callin-copy-v1"}')
    received = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60))
    receipt = tmp_path / "receipt.txt"
    p = subprocess.run([os.path.join(BUILD, "receipt_tool"), "sign", str(tmp_path / "signing.pem"),
                        "CIR-7K3F-9QXD", received, str(copy), ORIGIN], capture_output=True)
    assert p.returncode == 0, p.stderr
    receipt.write_bytes(p.stdout)
    other = tmp_path / "other.txt"
    p = subprocess.run([os.path.join(BUILD, "receipt_tool"), "sign", str(tmp_path / "signing.pem"),
                        "CIR-ZZ22-9QXD", received, str(copy), ORIGIN], capture_output=True)
    other.write_bytes(p.stdout)
    logdir = tmp_path / "log"
    publish(log_key(tmp_path / "log.pem"), logdir, receipt, other)
    proof = proof_path(logdir, receipt.read_bytes())
    w = Witness("witness.example.org/w1")
    cp = (logdir / "checkpoint").read_bytes()
    cosign(proof, w.line(note_text(cp)))
    tsr = tmp_path / "checkpoint.tsr"
    tsr.write_bytes(test_tsa.reply(cert, test_tsa.query(note_text(cp))))
    return {"tmp": tmp_path, "pub": tmp_path / "pub" / f"{kid}.pem", "receipt": receipt,
            "other": other, "copy": copy, "logdir": logdir, "proof": proof,
            "vkey": (logdir / "log.vkey").read_text().strip(), "witness": w, "tsr": tsr,
            "ca": ca.ca_crt, "cert": cert, "cp": cp}


def cli(c, *extra, proof=None, tsr=None, receipt=None, vkey=None, witness=True):
    args = [VERIFY, "--key", c["pub"], "--log-key", vkey or c["vkey"],
            "--proof", proof or c["proof"]]
    if witness:
        args += ["--witness", c["witness"].vkey]
    if tsr is not False:
        args += ["--tsa-ca", c["ca"], "--tsr", tsr or c["tsr"]]
    return run(*args, receipt or c["receipt"], *extra)


def line(out, name):
    m = re.search(r"^" + re.escape(name) + r": (.*)$", out, re.M)
    assert m, out
    return m.group(1)


def test_cli_every_check_passes(case):
    p = cli(case, case["copy"])
    assert p.returncode == 0, p.stdout
    out = p.stdout
    assert line(out, "signature").startswith("valid")
    assert line(out, "copy.json").startswith("matches")
    assert line(out, "checkpoint").startswith("valid (signed by the log key of " + ORIGIN)
    assert re.match(r"valid \(the receipt is record 5 of the log's 12\)",
                    line(out, "log inclusion"))
    assert line(out, "witness cosignatures") == "valid (cosigned by 1 of 1 known witnesses)"
    assert line(out, "timestamp").startswith("valid (the authority saw this checkpoint at ")
    assert line(out, "received before timestamp").startswith("valid (received ")
    assert out.endswith("result: valid\n")
    # The log key as a file (as /log/log.vkey is fetched) does the same.
    assert cli(case, vkey=case["logdir"] / "log.vkey").returncode == 0
    # Without a token or witnesses: those are said not checked, the rest pass.
    p = cli(case, tsr=False, witness=False)
    assert p.returncode == 0, p.stdout
    assert line(p.stdout, "timestamp") == "not checked: no token given"
    assert line(p.stdout, "witness cosignatures") == "not checked: no witness keys given"


def test_cli_refuses_each_tampering(case, tmp_path, pki):
    ca, cert = pki
    # A proof for another receipt.
    p = cli(case, proof=proof_path(case["logdir"], case["other"].read_bytes()), witness=False,
            tsr=False)
    assert p.returncode == 1 and line(p.stdout, "log inclusion").startswith("INVALID: this receipt is not record 6")
    # A changed entry: the receipt is not the one logged (its signed text changed).
    bad = tmp_path / "changed.txt"
    bad.write_bytes(case["receipt"].read_bytes().replace(b"CIR-7K3F-9QXD", b"CIR-7K3F-9QXE"))
    p = cli(case, receipt=bad)
    assert p.returncode == 1
    assert line(p.stdout, "log inclusion").startswith("INVALID")
    # A changed proof hash.
    text = case["proof"].read_bytes()
    lines = text.split(b"\n")
    lines[2] = base64.b64encode(bytes(32))
    forged = tmp_path / "forged.tlog-proof"
    forged.write_bytes(b"\n".join(lines))
    p = cli(case, proof=forged)
    assert p.returncode == 1 and line(p.stdout, "log inclusion").startswith("INVALID")
    # A checkpoint signed by another key (the same origin).
    other_dir = tmp_path / "otherlog"
    publish(log_key(tmp_path / "other.pem"), other_dir, case["receipt"])
    p = cli(case, proof=proof_path(other_dir, case["receipt"].read_bytes()), witness=False,
            tsr=False)
    assert p.returncode == 1, p.stdout
    assert line(p.stdout, "checkpoint").startswith("INVALID: its checkpoint is not signed by the log key")
    assert line(p.stdout, "log inclusion") == "not checked: the checkpoint is not the log's"
    # A checkpoint whose signature was changed.
    t = case["proof"].read_bytes()
    end = t.index(b"\n", t.index("\n\u2014 ".encode()) + 1)
    bad_sig = t[:end - 6] + (b"AAAA" if t[end - 6:end - 2] != b"AAAA" else b"BBBB") + t[end - 2:]
    forged.write_bytes(bad_sig)
    p = cli(case, proof=forged, witness=False, tsr=False)
    assert p.returncode == 1 and line(p.stdout, "checkpoint").startswith("INVALID")
    # Another log's origin in the receipt's promise.
    other_origin = tmp_path / "origin"
    publish(tmp_path / "log.pem", other_origin, case["receipt"], origin="other.example/log")
    p = cli(case, proof=proof_path(other_origin, case["receipt"].read_bytes()), witness=False,
            tsr=False, vkey=(other_origin / "log.vkey").read_text().strip())
    assert p.returncode == 1
    assert "promises the log \"" + ORIGIN in line(p.stdout, "checkpoint")
    # A token over another checkpoint.
    other_tsr = tmp_path / "other.tsr"
    other_tsr.write_bytes(test_tsa.reply(cert, test_tsa.query(note_text(
        (other_dir / "checkpoint").read_bytes()))))
    p = cli(case, tsr=other_tsr)
    assert p.returncode == 1 and line(p.stdout, "timestamp").startswith("INVALID")
    assert line(p.stdout, "received before timestamp") == "not checked: no valid timestamp"
    # A token whose genTime lies outside its certificate's validity.
    now = datetime.datetime.now(datetime.timezone.utc)
    late = ca.tsa("late", not_before=now + datetime.timedelta(days=2),
                  not_after=now + datetime.timedelta(days=30))
    early_tsr = tmp_path / "early.tsr"
    early_tsr.write_bytes(test_tsa.reply(late, test_tsa.query(note_text(case["cp"]))))
    p = cli(case, tsr=early_tsr)
    assert p.returncode == 1 and line(p.stdout, "timestamp").startswith("INVALID"), p.stdout
    # A witness cosignature changed; one by an unknown witness only.
    w = case["witness"]
    good = case["proof"].read_bytes()
    forged.write_bytes(good[:-8] + (b"AAAA" if good[-8:-4] != b"AAAA" else b"BBBB")
                       + good[-4:])
    p = cli(case, proof=forged)
    assert p.returncode == 1
    assert line(p.stdout, "witness cosignatures").startswith("INVALID: the cosignature of " + w.name)
    stranger = Witness("witness.example.net/w2")
    p = run(VERIFY, "--key", case["pub"], "--log-key", case["vkey"], "--proof", case["proof"],
            "--witness", stranger.vkey, "--witness", w.vkey, case["receipt"])
    assert p.returncode == 0, p.stdout      # one of the two known witnesses cosigned
    assert "cosigned by 1 of 2 known witnesses" in p.stdout
    p = run(VERIFY, "--key", case["pub"], "--log-key", case["vkey"], "--proof", case["proof"],
            "--witness", stranger.vkey, case["receipt"])
    assert p.returncode == 1
    assert "none of the 1 known witnesses" in line(p.stdout, "witness cosignatures")


def test_cli_receipt_dated_after_the_token_is_refused(case, pki, tmp_path):
    _, cert = pki
    future = tmp_path / "future.txt"
    when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 7200))
    p = subprocess.run([os.path.join(BUILD, "receipt_tool"), "sign", str(case["tmp"] / "signing.pem"),
                        "CIR-7K3F-9QXD", when, str(case["copy"]), ORIGIN], capture_output=True)
    future.write_bytes(p.stdout)
    d = tmp_path / "flog"
    publish(case["tmp"] / "log.pem", d, future)
    tsr = tmp_path / "f.tsr"
    tsr.write_bytes(test_tsa.reply(cert, test_tsa.query(note_text((d / "checkpoint").read_bytes()))))
    p = cli(case, receipt=future, proof=proof_path(d, future.read_bytes()), tsr=tsr, witness=False)
    assert p.returncode == 1, p.stdout
    assert "is LATER than the timestamp" in line(p.stdout, "received before timestamp")


def test_cli_unreadable_and_usage(case, tmp_path):
    junk = tmp_path / "junk.tlog-proof"
    junk.write_text("hello\n")
    p = cli(case, proof=junk)
    assert p.returncode == 2 and "not a c2sp.org/tlog-proof@v1 file" in p.stdout
    bad_tsr = tmp_path / "bad.tsr"
    bad_tsr.write_bytes(b"\x30\x03\x02\x01\x00")
    p = cli(case, tsr=bad_tsr)
    assert p.returncode == 2, p.stdout
    p = cli(case, vkey="not-a-key")
    assert p.returncode == 2 and "not a log (Ed25519) verifier key" in p.stdout
    for args in (["--proof", case["proof"]],                       # no --log-key
                 ["--log-key", case["vkey"]],                      # no --proof
                 ["--log-key", case["vkey"], "--proof", case["proof"], "--tsr", case["tsr"]],
                 ["--bogus", "x"]):
        p = run(VERIFY, "--key", case["pub"], *args, case["receipt"])
        assert p.returncode == 2 and "usage:" in p.stderr, args
    # --keys DIR is --key DIR, as before.
    p = run(VERIFY, "--keys", case["pub"].parent, case["receipt"])
    assert p.returncode == 0, p.stdout


# /verify through the running service ---------------------------------------

WITNESS = Witness("witness.example.org/w1")


@pytest.fixture
def stack(tmp_path, pki):
    ca, _ = pki
    s = Stack(tmp_path, env={"CALLIN_LOG_ORIGIN": ORIGIN,
                             "CALLIN_TSA_CA_FILE": str(ca.ca_crt),
                             "CALLIN_LOG_WITNESSES": WITNESS.vkey + " http://127.0.0.1:9/w"}
              ).start()
    yield s
    s.stop()


def verdict(stack, receipt, proof=None, tsr=None):
    files = [("receipt", (None, receipt))]
    if proof is not None:
        files.append(("proof_file", ("receipt.tlog-proof", proof, "text/plain")))
    if tsr is not None:
        files.append(("tsr_file", ("checkpoint.tsr", tsr, "application/timestamp-reply")))
    r = requests.post(stack.url("/verify"), files=files)
    assert r.status_code == 200
    v = re.search(r'data-verdict="(\w+)"', r.text).group(1)
    checks = dict(re.findall(r'<li id="check-([\w-]+)" data-ok="(\w+)"', r.text))
    return v, checks, r.text


def test_verify_page_checks_the_proof(stack, pki, tmp_path):
    _, cert = pki
    token = token_of(submit(stack))
    receipt = requests.get(stack.url(f"/receipt/{token}/receipt.txt")).content
    logdir = Path(stack.data) / "log"
    (tmp_path / "r.txt").write_bytes(receipt)
    publish(log_key(tmp_path / "log.pem"), logdir, tmp_path / "r.txt")
    cp = (logdir / "checkpoint").read_bytes()
    bare = proof_path(logdir, receipt).read_bytes()
    cosign(proof_path(logdir, receipt), WITNESS.line(note_text(cp)))
    proof = proof_path(logdir, receipt).read_bytes()
    tsr = test_tsa.reply(cert, test_tsa.query(note_text(cp)))
    v, checks, page = verdict(stack, receipt, proof, tsr)
    assert v == "valid", page
    assert checks == {"signature": "yes", "on-file": "yes", "log-checkpoint": "yes",
                      "log-inclusion": "yes", "log-witnesses": "yes", "log-timestamp": "yes",
                      "log-time": "yes"}
    assert "The receipt is in the public log." in page
    assert "cosigned by 1 of 1 known witnesses" in page
    # Not cosigned by the service's witness: invalid, saying so.
    v, checks, page = verdict(stack, receipt, bare, tsr)
    assert v == "invalid" and checks["log-witnesses"] == "no"
    assert "none of the 1 known witnesses cosigned" in page
    # The confirmation page offers the same files.
    assert requests.get(stack.url(f"/receipt/{token}/receipt.tlog-proof")).content == proof
    # Tampered: another receipt's proof, a token over another checkpoint.
    other = requests.get(stack.url(f"/receipt/{token_of(submit(stack))}/receipt.txt")).content
    v, checks, _ = verdict(stack, other, proof, tsr)
    assert v == "invalid" and checks["log-inclusion"] == "no"
    v, checks, _ = verdict(stack, receipt, proof, test_tsa.reply(cert, test_tsa.query(b"x\n")))
    assert v == "invalid" and checks["log-timestamp"] == "no" and "log-time" not in checks
    # A checkpoint signed by a key that is not the published one.
    (logdir / "log.vkey").rename(logdir / "log.vkey.real")
    publish(log_key(tmp_path / "other.pem"), tmp_path / "o", tmp_path / "r.txt")
    (logdir / "log.vkey").write_text((tmp_path / "o" / "log.vkey").read_text())
    v, checks, _ = verdict(stack, receipt, proof)
    assert v == "invalid" and checks["log-checkpoint"] == "no" and "log-inclusion" not in checks
    (logdir / "log.vkey.real").rename(logdir / "log.vkey")
    # Not a proof, not a token: unreadable, saying which file.
    v, _, page = verdict(stack, receipt, b"hello\n")
    assert v == "unreadable" and "The proof file: not a c2sp.org/tlog-proof@v1 file" in page
    v, _, page = verdict(stack, receipt, proof, b"\x30\x00")
    assert v == "unreadable" and "The timestamp file" in page
    v, _, page = verdict(stack, receipt, None, tsr)
    assert v == "unreadable" and "choose the receipt.tlog-proof file too" in page

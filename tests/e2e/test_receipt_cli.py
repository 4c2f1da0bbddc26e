"""Receipt tools end to end: callin-keygen, callin-verify, and the README
recipe that checks a receipt with nothing but openssl and coreutils.

Needs the build directory in CALLIN_BUILD_DIR (callin-keygen, callin-verify
and tests/tools/receipt_tool) and the openssl CLI.
"""
import hashlib
import json
import os
import re
import secrets
import stat
import subprocess
from pathlib import Path

import pytest

SRC = Path(os.environ.get("CALLIN_SOURCE_DIR",
                          Path(__file__).resolve().parents[2]))
BUILD = Path(os.environ.get("CALLIN_BUILD_DIR", SRC / "build"))
KEYGEN = BUILD / "callin-keygen"
VERIFY = BUILD / "callin-verify"
TOOL = BUILD / "receipt_tool"
# The Markdown file whose ```sh block is the recipe.
RECIPE_MD = SRC / "README.md"

REF = "CIR-7K3F-9QXD"
RECEIVED = "2026-11-23T14:05:09Z"


def run(*args, cwd=None, check=False):
    return subprocess.run([str(a) for a in args], cwd=cwd, check=check,
                          capture_output=True, text=True, timeout=60)


def keygen(tmp, name):
    """Make a key pair under tmp/name; return (private path, public path, id)."""
    d = tmp / name
    d.mkdir()
    p = run(KEYGEN, d / "signing.pem", d / "public")
    assert p.returncode == 0, p.stderr
    kid = p.stdout.strip()
    return d / "signing.pem", d / "public" / f"{kid}.pem", kid


def openssl_key_id(pub):
    der = subprocess.run(["openssl", "pkey", "-pubin", "-in", str(pub),
                          "-outform", "DER"], check=True,
                         capture_output=True).stdout
    return hashlib.sha256(der).hexdigest()[:16]


def make_request(tmp, priv, ref=REF):
    """Write attachments/, copy.json and receipt.txt for a request in tmp."""
    att = tmp / "attachments"
    att.mkdir(exist_ok=True)
    files = {"evidence report.pdf": b"%PDF-1.4 evidence\n",
             "minutes.txt": "Board minutes: caf\u00e9 \u2013 closure\n".encode()}
    atts = []
    for name, data in files.items():
        (att / name).write_bytes(data)
        atts.append({"blob_id": secrets.token_hex(8), "name": name,
                     "content_type": "application/pdf" if name.endswith(".pdf")
                     else "text/plain", "size": len(data),
                     "sha256": hashlib.sha256(data).hexdigest()})
    fields = {"requester_type": "individual",
              "full_name": "Zo\u00eb \"Q\" O'Brien",
              "proposal_title": "Closure of the maternity unit <b>now</b>",
              "grounds": ["process", "best_interests"],
              "grounds_statement": "Line one\r\nLine two\ttabbed \\ \x01"}
    (tmp / "input.json").write_text(json.dumps(
        {"fields": fields, "attachments": atts}, ensure_ascii=False))
    p = run(TOOL, "copy", ref, RECEIVED, secrets.token_hex(32),
            tmp / "input.json")
    assert p.returncode == 0, p.stderr
    (tmp / "copy.json").write_text(p.stdout)
    p = run(TOOL, "sign", priv, ref, RECEIVED, tmp / "copy.json")
    assert p.returncode == 0, p.stderr
    (tmp / "receipt.txt").write_text(p.stdout)
    return fields, atts


def recipe():
    """The one ```sh block of the 'Checking a receipt' section of the
    README.md."""
    text = RECIPE_MD.read_text()
    m = re.search(r"^## Checking a receipt\n(.*?)(?=^## |\Z)", text,
                  re.S | re.M)
    assert m, f"{RECIPE_MD}: no '## Checking a receipt' section"
    blocks = re.findall(r"^```sh\n(.*?)^```$", m.group(1), re.S | re.M)
    assert len(blocks) == 1, f"{RECIPE_MD}: want one ```sh block there"
    return blocks[0]


def run_recipe(tmp):
    return subprocess.run(["/bin/sh", "-c", recipe()], cwd=tmp,
                          capture_output=True, text=True, timeout=60)


@pytest.fixture
def req(tmp_path):
    priv, pub, kid = keygen(tmp_path, "a")
    work = tmp_path / "work"
    work.mkdir()
    fields, atts = make_request(work, priv)
    (work / "key.pem").write_bytes(pub.read_bytes())
    return {"tmp": tmp_path, "work": work, "priv": priv, "pub": pub,
            "id": kid, "fields": fields, "atts": atts}


def test_keygen_key_id_is_openssl_der_sha256(tmp_path):
    priv, pub, kid = keygen(tmp_path, "k")
    assert re.fullmatch(r"[0-9a-f]{16}", kid)
    assert openssl_key_id(pub) == kid
    assert stat.S_IMODE(priv.stat().st_mode) == 0o600
    assert pub.read_text().startswith("-----BEGIN PUBLIC KEY-----\n")
    # the private key is an Ed25519 key openssl reads
    p = run("openssl", "pkey", "-in", priv, "-noout", "-text")
    assert p.returncode == 0 and "ED25519" in p.stdout.upper()


def test_keygen_refuses_to_overwrite(tmp_path):
    priv, pub, kid = keygen(tmp_path, "k")
    before = priv.read_bytes()
    p = run(KEYGEN, priv, tmp_path / "k" / "public")
    assert p.returncode == 1
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "already exists" in lines[0], p.stderr
    assert priv.read_bytes() == before
    assert len(list((tmp_path / "k" / "public").iterdir())) == 1
    assert run(KEYGEN).returncode == 2
    assert run(KEYGEN, priv).returncode == 2


def test_copy_json_is_canonical_python_json(req):
    raw = (req["work"] / "copy.json").read_bytes()
    copy = json.loads(raw)
    assert list(copy) == ["format", "reference", "received", "salt",
                          "fields", "attachments"]
    assert copy["format"] == "callin-copy-v1"
    assert copy["fields"] == req["fields"]
    assert copy["attachments"] == [
        {k: a[k] for k in ("name", "content_type", "size", "sha256")}
        for a in req["atts"]]
    assert json.dumps(copy, ensure_ascii=False,
                      separators=(",", ":")).encode() == raw
    receipt = (req["work"] / "receipt.txt").read_text()
    assert f"commitment: sha256:{hashlib.sha256(raw).hexdigest()}\n" in receipt
    assert f"key: {req['id']}\n" in receipt


def verify(req, *extra, key=None, receipt="receipt.txt"):
    return run(VERIFY, "--key", key or req["pub"], receipt, *extra,
               cwd=req["work"])


def test_verify_valid(req):
    p = verify(req, "copy.json", "attachments/evidence report.pdf",
               "attachments/minutes.txt")
    assert p.returncode == 0, p.stdout
    out = p.stdout
    assert f"receipt: well-formed (reference {REF}, received {RECEIVED})" in out
    assert f"signature: valid (key {req['id']})" in out
    assert "copy.json: matches commitment sha256:" in out
    assert "attachment attachments/evidence report.pdf: matches sha256 " \
        f"{req['atts'][0]['sha256']}" in out
    assert "attachment attachments/minutes.txt: matches" in out
    assert out.endswith("result: valid\n")
    # the receipt alone, and from standard input
    assert verify(req).returncode == 0
    p = subprocess.run([str(VERIFY), "--key", str(req["pub"]), "-"],
                       input=(req["work"] / "receipt.txt").read_bytes(),
                       capture_output=True, timeout=60)
    assert p.returncode == 0


def test_verify_crlf_receipt(req):
    w = req["work"]
    text = (w / "receipt.txt").read_bytes()
    (w / "crlf.txt").write_bytes(text.replace(b"\n", b"\r\n"))
    p = verify(req, "copy.json", receipt="crlf.txt")
    assert p.returncode == 0, p.stdout
    assert "CR LF line ends read as LF" in p.stdout
    (w / "nofinal.txt").write_bytes(text.replace(b"\n", b"\r\n")[:-2])
    assert verify(req, receipt="nofinal.txt").returncode == 0


def test_verify_invalid_exit_1(req):
    w = req["work"]
    text = (w / "receipt.txt").read_text()
    # a well-formed receipt with another reference: signature fails
    (w / "t1.txt").write_text(text.replace(REF, "CIR-7K3F-9QXE"))
    p = verify(req, receipt="t1.txt")
    assert p.returncode == 1, p.stdout
    assert "signature: INVALID" in p.stdout
    # one flipped signature character
    sig = re.search(r"^signature: (\S+)$", text, re.M).group(1)
    c = "B" if sig[10] != "B" else "C"
    (w / "t2.txt").write_text(text.replace(sig, sig[:10] + c + sig[11:]))
    assert verify(req, receipt="t2.txt").returncode == 1
    # the copy changed by one character
    copy = (w / "copy.json").read_text()
    (w / "copy2.json").write_text(copy.replace("Line one", "Line 0ne"))
    p = verify(req, "copy2.json")
    assert p.returncode == 1
    assert "copy.json: INVALID" in p.stdout
    # a file the copy does not list
    (w / "other.pdf").write_bytes(b"%PDF-1.4 something else\n")
    p = verify(req, "copy.json", "other.pdf")
    assert p.returncode == 1
    assert "attachment other.pdf: INVALID: not listed" in p.stdout
    # another key than the one that signed
    _, pub_b, _ = keygen(req["tmp"], "b")
    p = verify(req, key=pub_b)
    assert p.returncode == 1
    assert "not among the given keys" in p.stdout


def test_verify_unreadable_exit_2(req):
    w = req["work"]
    (w / "garbage.txt").write_bytes(b"\x00\xffthis is not a receipt\n")
    p = verify(req, receipt="garbage.txt")
    assert p.returncode == 2
    assert "receipt: malformed: " in p.stdout
    (w / "empty.txt").write_bytes(b"")
    assert verify(req, receipt="empty.txt").returncode == 2
    (w / "big.txt").write_bytes(b"callin-receipt-v1\n" + b"x" * 10000)
    assert verify(req, receipt="big.txt").returncode == 2
    assert verify(req, receipt="missing.txt").returncode == 2
    assert verify(req, "missing.json").returncode == 2
    assert verify(req, "copy.json", "missing.pdf").returncode == 2
    (w / "notjson.json").write_text("not json")
    assert verify(req, "notjson.json", "attachments/minutes.txt").returncode == 2
    assert verify(req, key=w / "receipt.txt").returncode == 2
    assert verify(req, key=req["priv"]).returncode == 2  # private, not public
    assert run(VERIFY).returncode == 2
    assert run(VERIFY, "receipt.txt", cwd=w).returncode == 2
    assert run(VERIFY, "--key", req["pub"], cwd=w).returncode == 2


def test_rotation_old_receipts_still_verify(req):
    """Signed with A; the service moved to B; the keys dir holds both."""
    priv_b, pub_b, id_b = keygen(req["tmp"], "b")
    keys = req["tmp"] / "keys"
    keys.mkdir()
    for pub in (req["pub"], pub_b):
        (keys / pub.name).write_bytes(pub.read_bytes())
    assert verify(req, "copy.json", key=keys).returncode == 0
    w2 = req["tmp"] / "work2"
    w2.mkdir()
    make_request(w2, priv_b, ref="CIR-ZZ22-3QXD")
    p = run(VERIFY, "--key", keys, "receipt.txt", "copy.json", cwd=w2)
    assert p.returncode == 0, p.stdout
    assert f"signature: valid (key {id_b})" in p.stdout
    only_b = req["tmp"] / "only-b"
    only_b.mkdir()
    (only_b / pub_b.name).write_bytes(pub_b.read_bytes())
    assert verify(req, key=only_b).returncode == 1


def test_readme_recipe(req):
    """The README's sh block, run as is: 0 when good, non-zero when not."""
    w = req["work"]
    p = run_recipe(w)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "Signature Verified Successfully" in p.stdout
    good = (w / "receipt.txt").read_bytes()
    copy = (w / "copy.json").read_bytes()
    # CR LF line ends, and no final newline, are accepted
    (w / "receipt.txt").write_bytes(good.replace(b"\n", b"\r\n")[:-2])
    assert run_recipe(w).returncode == 0
    # a changed signed byte, a changed signature, another commitment
    for bad in (good.replace(REF.encode(), b"CIR-7K3F-9QXE"),
                good.replace(b"received: 2026", b"received: 2025"),
                re.sub(rb"(signature: .{20})(.)",
                       lambda m: m.group(1) + (b"A" if m.group(2) != b"A"
                                               else b"B"), good),
                good.replace(b"commitment: sha256:",
                             b"commitment: sha256:0")[:-1]):
        (w / "receipt.txt").write_bytes(bad)
        p = run_recipe(w)
        assert p.returncode != 0, p.stdout
    (w / "receipt.txt").write_bytes(good)
    # a changed copy
    (w / "copy.json").write_bytes(copy.replace(b"Line one", b"Line 0ne"))
    assert run_recipe(w).returncode != 0
    (w / "copy.json").write_bytes(copy)
    # a file the copy does not list
    (w / "attachments" / "extra.txt").write_bytes(b"not submitted\n")
    assert run_recipe(w).returncode != 0
    (w / "attachments" / "extra.txt").unlink()
    # a key other than the one named
    _, pub_b, _ = keygen(req["tmp"], "b")
    (w / "key.pem").write_bytes(pub_b.read_bytes())
    assert run_recipe(w).returncode != 0
    (w / "key.pem").write_bytes(req["pub"].read_bytes())
    assert run_recipe(w).returncode == 0

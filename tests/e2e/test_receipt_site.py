"""Signed receipts through the running service: download, /verify, the
callin-verify CLI, the README's openssl recipe, tampering and key rotation."""
import base64
import hashlib
import json
import os
import re
import signal
import subprocess

import requests

from harness import BUILD, TOP, Stack, submit, token_of, wait_for

EVIDENCE = b"Minutes of the ICB board meeting, 12 March 2026.\n" * 20


def fetch_receipt(stack, token):
    r = requests.get(stack.url(f"/receipt/{token}/receipt.txt"))
    c = requests.get(stack.url(f"/receipt/{token}/copy.json"))
    assert r.status_code == 200 and c.status_code == 200
    return r, c


def verdict(stack, receipt=None, receipt_file=None, copy=None):
    files = []
    if receipt is not None:
        files.append(("receipt", (None, receipt)))
    if receipt_file is not None:
        files.append(("receipt_file", ("receipt.txt", receipt_file, "text/plain")))
    if copy is not None:
        files.append(("copy_file", ("copy.json", copy, "application/json")))
    r = requests.post(stack.url("/verify"), files=files)
    assert r.status_code == 200, r.status_code
    m = re.search(r'data-verdict="(\w+)"', r.text)
    assert m, r.text[:2000]
    return m.group(1), r.text


def key_pem(stack, receipt_text):
    kid = re.search(r"^key: ([0-9a-f]{16})$", receipt_text, re.M).group(1)
    r = requests.get(stack.url(f"/receipt-keys/{kid}.pem"))
    assert r.status_code == 200
    return kid, r.text


def test_receipt_download_and_commitment(shared_stack):
    token = token_of(submit(shared_stack, files=[("minutes.txt", EVIDENCE, "text/plain")]))
    r, c = fetch_receipt(shared_stack, token)
    assert r.headers["Content-Type"].startswith("text/plain")
    assert "attachment" in r.headers["Content-Disposition"]
    assert c.headers["Content-Type"].startswith("application/json")
    text = r.text
    lines = text.split("\n")
    assert lines[0] == "callin-receipt-v1"
    assert re.fullmatch(r"reference: CIR-[A-Z0-9]{4}-[A-Z0-9]{4}", lines[1])
    assert re.fullmatch(r"received: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", lines[2])
    assert lines[3] == "commitment: sha256:" + hashlib.sha256(c.content).hexdigest()
    copy = json.loads(c.content)
    assert list(copy) == ["format", "reference", "received", "salt", "fields", "attachments"]
    assert copy["reference"] == lines[1].split(": ")[1]
    assert re.fullmatch(r"[0-9a-f]{64}", copy["salt"])
    assert copy["fields"]["full_name"] == "Alex Example"
    assert copy["attachments"][0]["sha256"] == hashlib.sha256(EVIDENCE).hexdigest()
    # no personal data in the receipt
    for secret in ["Alex", "alex@example.org", "maternity"]:
        assert secret not in text
    # the confirmation page explains the receipt and links both files
    page = requests.get(shared_stack.url("/receipt/" + token)).text
    assert f"/receipt/{token}/receipt.txt" in page and f"/receipt/{token}/copy.json" in page


def test_keys_are_published_with_the_right_id(shared_stack, tmp_path):
    token = token_of(submit(shared_stack))
    text = fetch_receipt(shared_stack, token)[0].text
    kid, pem = key_pem(shared_stack, text)
    keys = requests.get(shared_stack.url("/receipt-keys")).json()["keys"]
    assert any(k["id"] == kid and k["alg"] == "Ed25519" and k["public_key_pem"] == pem for k in keys)
    (tmp_path / "key.pem").write_text(pem)
    der = subprocess.run(["openssl", "pkey", "-pubin", "-in", str(tmp_path / "key.pem"),
                          "-outform", "DER"], capture_output=True, check=True).stdout
    assert hashlib.sha256(der).hexdigest()[:16] == kid


def test_verify_page_valid_invalid_unreadable(shared_stack):
    token = token_of(submit(shared_stack))
    r, c = fetch_receipt(shared_stack, token)
    v, page = verdict(shared_stack, receipt=r.text)
    assert v == "valid" and "on file and unaltered" in page
    assert verdict(shared_stack, receipt_file=r.content, copy=c.content)[0] == "valid"
    crlf = r.text.replace("\n", "\r\n")
    assert verdict(shared_stack, receipt=crlf)[0] == "valid"      # a pasted receipt
    assert verdict(shared_stack, receipt=r.text, copy=c.content + b" ")[0] == "invalid"
    assert verdict(shared_stack, receipt="hello")[0] == "unreadable"
    assert verdict(shared_stack, receipt="")[0] == "unreadable"   # nothing given


def test_any_one_character_change_is_never_valid(shared_stack):
    token = token_of(submit(shared_stack))
    text = fetch_receipt(shared_stack, token)[0].text
    positions = sorted(set(range(0, len(text), 7)) | {len(text) - 2})
    for i in positions:
        ch = text[i]
        repl = "A" if ch != "A" else "B"
        if ch == "\n":
            repl = " "
        tampered = text[:i] + repl + text[i + 1:]
        v, _ = verdict(shared_stack, receipt=tampered)
        assert v != "valid", (i, tampered)


def run_cli(*args):
    return subprocess.run([os.path.join(BUILD, "callin-verify"), *args], capture_output=True,
                          text=True)


def test_callin_verify_accepts_and_rejects(shared_stack, tmp_path):
    token = token_of(submit(shared_stack, files=[("minutes.txt", EVIDENCE, "text/plain")]))
    r, c = fetch_receipt(shared_stack, token)
    kid, pem = key_pem(shared_stack, r.text)
    (tmp_path / "key.pem").write_text(pem)
    (tmp_path / "receipt.txt").write_bytes(r.content)
    (tmp_path / "copy.json").write_bytes(c.content)
    (tmp_path / "minutes.txt").write_bytes(EVIDENCE)
    ok = run_cli("--key", str(tmp_path / "key.pem"), str(tmp_path / "receipt.txt"),
                 str(tmp_path / "copy.json"), str(tmp_path / "minutes.txt"))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = r.content.replace(b"received: 20", b"received: 19")
    (tmp_path / "bad.txt").write_bytes(bad)
    res = run_cli("--key", str(tmp_path / "key.pem"), str(tmp_path / "bad.txt"))
    assert res.returncode == 1, res.stdout
    (tmp_path / "other.txt").write_bytes(EVIDENCE + b"x")
    res = run_cli("--key", str(tmp_path / "key.pem"), str(tmp_path / "receipt.txt"),
                  str(tmp_path / "copy.json"), str(tmp_path / "other.txt"))
    assert res.returncode == 1


def readme_recipe():
    """The one ```sh block of README.md's 'Checking a receipt' section."""
    readme = open(os.path.join(TOP, "README.md")).read()
    section = readme[readme.index("## Checking a receipt\n"):]
    section = re.split(r"^## ", section[3:], flags=re.M)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    assert len(blocks) == 1
    return blocks[0]


def test_readme_openssl_recipe(shared_stack, tmp_path):
    recipe = readme_recipe()
    token = token_of(submit(shared_stack, files=[("minutes.txt", EVIDENCE, "text/plain")]))
    r, c = fetch_receipt(shared_stack, token)
    kid, pem = key_pem(shared_stack, r.text)
    good = tmp_path / "good"
    (good / "attachments").mkdir(parents=True)
    (good / "key.pem").write_text(pem)
    (good / "receipt.txt").write_bytes(r.content)
    (good / "copy.json").write_bytes(c.content)
    (good / "attachments" / "minutes.txt").write_bytes(EVIDENCE)
    res = subprocess.run(["sh", "-c", recipe], cwd=good, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Signature Verified Successfully" in res.stdout
    # tamper with each line of the receipt in turn: the recipe must fail
    lines = r.content.split(b"\n")
    for n in range(len(lines) - 1):
        bad = tmp_path / f"bad{n}"
        bad.mkdir()
        (bad / "key.pem").write_text(pem)
        (bad / "copy.json").write_bytes(c.content)
        changed = list(lines)
        changed[n] = changed[n][:-1] + (b"B" if changed[n][-1:] != b"B" else b"C")
        (bad / "receipt.txt").write_bytes(b"\n".join(changed))
        res = subprocess.run(["sh", "-c", recipe], cwd=bad, capture_output=True, text=True)
        assert res.returncode != 0, (n, res.stdout)
    # a copy that does not match
    bad = tmp_path / "badcopy"
    bad.mkdir()
    (bad / "key.pem").write_text(pem)
    (bad / "receipt.txt").write_bytes(r.content)
    (bad / "copy.json").write_bytes(c.content.replace(b"Alex", b"Alec"))
    res = subprocess.run(["sh", "-c", recipe], cwd=bad, capture_output=True, text=True)
    assert res.returncode != 0


def test_rotation_keeps_old_receipts_valid(tmp_path):
    st = Stack(tmp_path).start()
    try:
        old = fetch_receipt(st, token_of(submit(st)))[0]
        kid_a = re.search(r"^key: (\w+)$", old.text, re.M).group(1)
        new_key = os.path.join(st.data, "keys", "signing-b.pem")
        out = subprocess.run([os.path.join(BUILD, "callin-keygen"), new_key,
                              os.path.join(st.data, "keys", "public")],
                             capture_output=True, text=True, check=True).stdout
        kid_b = re.search(r"[0-9a-f]{16}", out).group(0)
        assert kid_b != kid_a
        st.stop_fcgi()
        st.extra_env["CALLIN_SIGNING_KEY_FILE"] = new_key
        st.start_fcgi()
        new = fetch_receipt(st, token_of(submit(st)))[0]
        assert f"key: {kid_b}" in new.text
        assert verdict(st, receipt=old.text)[0] == "valid"
        assert verdict(st, receipt=new.text)[0] == "valid"
        ids = {k["id"] for k in requests.get(st.url("/receipt-keys")).json()["keys"]}
        assert {kid_a, kid_b} <= ids
        pem_a = requests.get(st.url(f"/receipt-keys/{kid_a}.pem")).text
        (tmp_path / "a.pem").write_text(pem_a)
        (tmp_path / "old.txt").write_bytes(old.content)
        assert run_cli("--key", str(tmp_path / "a.pem"), str(tmp_path / "old.txt")).returncode == 0
    finally:
        st.stop()


def test_verify_says_invalid_when_the_request_is_not_on_file(shared_stack):
    token = token_of(submit(shared_stack))
    text = fetch_receipt(shared_stack, token)[0].text
    shared_stack.delete_request(token)
    v, page = verdict(shared_stack, receipt=text)
    assert v == "invalid" and "No request with this reference is on file" in page
    assert 'id="check-signature" data-ok="yes"' in page     # the signature itself is good

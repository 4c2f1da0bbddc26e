"""The transparency log's formats checked by others' code: a log built by
the tlog module (tests/tools/tlog_tool.c) is checked by tlogcheck, which is
golang.org/x/mod's note and tlog (checkpoints, inclusion and consistency
proofs, tiles and bundles, cosignatures); a log built by x/mod alone
(tlogcheck make) is checked by the C verifier; and changed data is refused
by both.  The log key from `callin-keygen --log` is checked against openssl.
"""
import base64
import hashlib
import os
import re
import shutil
import stat
import struct
import subprocess

import pytest

from harness import BUILD
from tlogcheck import tlogcheck

TOOL = os.path.join(BUILD, "tlog_tool")
KEYGEN = os.path.join(BUILD, "callin-keygen")
ORIGIN = "callin.example.gov.uk/log"


def run(*args, env=None):
    return subprocess.run([str(a) for a in args], capture_output=True,
                          text=True, env=env, timeout=300)


def ok(p):
    assert p.returncode == 0, p.stderr
    return p.stdout


def refused(p, *words):
    assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
    for w in words:
        assert w in p.stderr, p.stderr
    return p.stderr


def log_key(tmp, name="log.pem", origin=ORIGIN):
    path = tmp / name
    vkey = ok(run(KEYGEN, "--log", path, origin)).strip()
    return path, vkey


def build(tmp, key, *sizes, origin=ORIGIN, variant=None, name="log"):
    d = tmp / name
    env = dict(os.environ)
    if variant is not None:
        env["TLOG_TOOL_VARIANT"] = variant
    ok(run(TOOL, "build", d, origin, key, *sizes, env=env))
    return d


def proof_of(d, i):
    r = d / "receipts" / f"{i}.txt"
    return d / "proofs" / (hashlib.sha256(r.read_bytes()).hexdigest() + ".tlog-proof"), r


def raw_public(pem):
    der = subprocess.run(["openssl", "pkey", "-in", str(pem), "-pubout",
                          "-outform", "DER"], capture_output=True, check=True).stdout
    assert len(der) == 44
    return der[-32:]


def test_keygen_log_vkey_is_the_key_openssl_reads(tmp_path):
    path, vkey = log_key(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    name, kid, b64 = vkey.split("+", 2)  # the base64 may hold '+'
    assert name == ORIGIN and re.fullmatch(r"[0-9a-f]{8}", kid)
    key = base64.b64decode(b64, validate=True)
    assert key == b"\x01" + raw_public(path)
    assert hashlib.sha256(name.encode() + b"\n" + key).hexdigest()[:8] == kid
    # Never over an existing file; a bad origin writes nothing.
    before = path.read_bytes()
    p = run(KEYGEN, "--log", path, ORIGIN)
    assert p.returncode == 1 and "already exists" in p.stderr
    assert path.read_bytes() == before
    for bad in ("has space", "a+b", ""):
        p = run(KEYGEN, "--log", tmp_path / "bad.pem", bad)
        assert p.returncode == 2, p
        assert not (tmp_path / "bad.pem").exists()
    assert run(KEYGEN, "--log", tmp_path / "x.pem").returncode == 2
    # It signs checkpoints x/mod's note.Open accepts.
    d = build(tmp_path, path, 3)
    assert (d / "log.vkey").read_text() == vkey + "\n"
    size, root = ok(tlogcheck("checkpoint", vkey, d / "checkpoint")).split()
    assert size == "3"
    assert ok(run(TOOL, "checkpoint", vkey, d / "checkpoint")).split() == [size, root]


def test_c_log_is_checked_by_go(tmp_path):
    key, vkey = log_key(tmp_path)
    sizes = [1, 2, 3, 7, 8, 255, 256, 257, 300]
    d = build(tmp_path, key, *sizes)
    assert ok(tlogcheck("tiles", vkey, d)) == "300 entries, 3 tiles\n"
    assert sorted(os.listdir(d / "tile" / "0")) == ["000", "000.p", "001.p"]
    # Every earlier checkpoint is a prefix of every later one, by the tiles.
    for i, m in enumerate(sizes):
        for n in sizes[i:]:
            new = d / f"checkpoint.{n}"
            if n == 300:
                assert ok(tlogcheck("consistency", vkey, d / f"checkpoint.{m}",
                                    new, d)) == f"{m} 300\n"
        out = ok(tlogcheck("checkpoint", vkey, d / f"checkpoint.{m}"))
        assert out.split()[0] == str(m)
    # Every record's proof, by x/mod's CheckRecord.
    for i in range(300):
        proof, receipt = proof_of(d, i)
        assert ok(tlogcheck("proof", vkey, proof, receipt)) == f"{i} 300\n"
    # A proof is refused for another receipt.
    proof, _ = proof_of(d, 5)
    refused(tlogcheck("proof", vkey, proof, d / "receipts" / "6.txt"),
            "invalid transparency proof")


def test_70000_records_tiles_and_proofs(tmp_path):
    key, vkey = log_key(tmp_path)
    d = build(tmp_path, key, 65535, 65536, 70000)
    # 273 full level-0 tiles and 273.p/112, level 1 000 and 001.p/17, level 2 000.p/1.
    assert ok(tlogcheck("tiles", vkey, d)) == "70000 entries, 277 tiles\n"
    assert (d / "tile/0/273.p/112").stat().st_size == 112 * 32
    assert (d / "tile/1/001.p/17").stat().st_size == 17 * 32
    assert (d / "tile/2/000.p/1").stat().st_size == 32
    assert (d / "tile/entries/273.p/112").stat().st_size == 112 * (2 + 101)
    assert not (d / "tile/3").exists()
    for m in (65535, 65536):
        ok(tlogcheck("consistency", vkey, d / f"checkpoint.{m}", d / "checkpoint", d))
    for i in (0, 997 * 3, 997 * 65, 69999):
        proof, receipt = proof_of(d, i)
        assert ok(tlogcheck("proof", vkey, proof, receipt)) == f"{i} 70000\n"


def test_changed_c_log_is_refused_by_go(tmp_path):
    key, vkey = log_key(tmp_path)
    d = build(tmp_path, key, 100, 300)
    other_key, other_vkey = log_key(tmp_path, "other.pem")
    # A checkpoint signed by another key.
    refused(tlogcheck("checkpoint", other_vkey, d / "checkpoint"), "verif")
    # Another origin under our key: its name is not the checkpoint's origin.
    o = build(tmp_path, key, 5, origin="callin.example.gov.uk/other", name="o")
    refused(tlogcheck("checkpoint", vkey, o / "checkpoint"))
    # A changed checkpoint (its size), same signature.
    cp = (d / "checkpoint").read_text()
    bad = tmp_path / "cp.bad"
    bad.write_text(cp.replace("\n300\n", "\n301\n", 1))
    refused(tlogcheck("checkpoint", vkey, bad))
    # A proof with a changed hash, index, or for another receipt.
    proof, receipt = proof_of(d, 42)
    lines = proof.read_text().split("\n")
    assert lines[0] == "c2sp.org/tlog-proof@v1" and lines[1] == "index 42"
    for change in ({1: "index 43"},
                   {2: base64.b64encode(bytes(32)).decode()},
                   {3: ""}):
        t = list(lines)
        for k, v in change.items():
            t[k] = v
        bad.write_text("\n".join(t))
        assert tlogcheck("proof", vkey, bad, receipt).returncode == 1
    refused(tlogcheck("proof", vkey, proof, d / "receipts" / "41.txt"),
            "invalid transparency proof")
    receipt2 = tmp_path / "changed.txt"
    receipt2.write_bytes(receipt.read_bytes() + b"x")
    refused(tlogcheck("proof", vkey, proof, receipt2), "invalid transparency proof")
    # A changed entry in a bundle, or a changed tile hash.
    bundle = d / "tile/entries/001.p/44"
    saved = bundle.read_bytes()
    i = saved.index(b"sha256:") + 7
    bundle.write_bytes(saved[:i] + (b"0" if saved[i:i + 1] != b"0" else b"1") + saved[i + 1:])
    refused(tlogcheck("tiles", vkey, d), "root")
    bundle.write_bytes(saved)
    tile = d / "tile/0/001.p/44"
    saved = tile.read_bytes()
    tile.write_bytes(saved[:40] + bytes([saved[40] ^ 1]) + saved[41:])
    refused(tlogcheck("tiles", vkey, d), "tile/0/001.p/44")
    refused(tlogcheck("consistency", vkey, d / "checkpoint.100", d / "checkpoint", d))
    tile.write_bytes(saved)
    ok(tlogcheck("tiles", vkey, d))
    # A fork under the same key: its old checkpoint is no prefix of ours.
    f = build(tmp_path, key, 100, variant="-fork", name="fork")
    refused(tlogcheck("consistency", vkey, f / "checkpoint.100", d / "checkpoint", d),
            "not a prefix")
    ok(tlogcheck("consistency", vkey, d / "checkpoint.100", d / "checkpoint", d))


def test_go_log_is_checked_by_c(tmp_path):
    d = tmp_path / "go"
    ok(tlogcheck("make", d, 300, 100))
    vkey = (d / "log.vkey").read_text().strip()
    assert ok(run(TOOL, "checkpoint", vkey, d / "checkpoint")).split() == \
        ok(tlogcheck("checkpoint", vkey, d / "checkpoint")).split()
    for i in range(300):
        assert ok(run(TOOL, "verify", vkey, d / f"proofs/{i}.tlog-proof",
                      d / f"receipts/{i}.txt")) == f"{i} 300\n"
    assert ok(run(TOOL, "consistency", vkey, d / "checkpoint.old", d / "checkpoint",
                  d / "consistency")) == "100 300\n"
    # Refusals, each with its reason.
    proof, receipt = d / "proofs/17.tlog-proof", d / "receipts/17.txt"
    refused(run(TOOL, "verify", vkey, proof, d / "receipts/18.txt"), "not in the log")
    key, our_vkey = log_key(tmp_path)
    refused(run(TOOL, "verify", our_vkey, proof, receipt), "not signed by the log key")
    text = proof.read_text()
    bad = tmp_path / "bad.tlog-proof"
    lines = text.split("\n")
    for t, why in (
            (text.replace("index 17\n", "index 18\n"), "not in the log"),
            (text.replace(lines[2] + "\n", ""), "not in the log"),
            (text.replace(lines[2] + "\n", lines[2] + "\n" + lines[2] + "\n"), "not in the log"),
            (text.replace(lines[2], base64.b64encode(bytes(32)).decode()), "not in the log"),
            (text.replace("\n300\n", "\n301\n"), "not signed by the log key"),
            (text.replace("c2sp.org/tlog-proof@v1", "c2sp.org/tlog-proof@v2"), "tlog-proof"),
            (text.replace(lines[2], lines[2][:-1]), "tlog-proof"),
            (text.replace("\n\n", "\n"), "tlog-proof")):
        bad.write_text(t)
        refused(run(TOOL, "verify", vkey, bad, receipt), why)
    # Swapped checkpoints: the newer is no prefix of the older.
    refused(run(TOOL, "consistency", vkey, d / "checkpoint", d / "checkpoint.old",
                d / "consistency"), "not a prefix")
    cons = (d / "consistency").read_text().split("\n")
    bad.write_text("\n".join([cons[1], cons[0]] + cons[2:]))
    refused(run(TOOL, "consistency", vkey, d / "checkpoint.old", d / "checkpoint", bad),
            "not a prefix")


def cosign(wkey, wname, t, cp_text):
    """A cosignature/v1 line by the Ed25519 key wkey, made with openssl."""
    d = os.path.dirname(wkey)
    msg = os.path.join(d, "cosigned.msg")
    sig = os.path.join(d, "cosigned.sig")
    with open(msg, "wb") as f:
        f.write(b"cosignature/v1\ntime %d\n" % t + cp_text)
    subprocess.run(["openssl", "pkeyutl", "-sign", "-inkey", wkey, "-rawin",
                    "-in", msg, "-out", sig], check=True)
    key = b"\x04" + raw_public(wkey)
    kid = hashlib.sha256(wname.encode() + b"\n" + key).digest()[:4]
    vkey = f"{wname}+{kid.hex()}+{base64.b64encode(key).decode()}"
    with open(sig, "rb") as f:
        line = base64.b64encode(kid + struct.pack(">Q", t) + f.read()).decode()
    return f"\u2014 {wname} {line}\n", vkey


def test_cosignatures(tmp_path):
    key, vkey = log_key(tmp_path)
    d = build(tmp_path, key, 10)
    wkey = tmp_path / "witness.pem"
    subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", wkey],
                   check=True)
    cp = (d / "checkpoint").read_bytes()
    text = cp[:cp.index(b"\n\n") + 1]
    line, wvkey = cosign(str(wkey), "witness.example/w1", 1679315147, text)
    cosigned = tmp_path / "cosigned.checkpoint"
    cosigned.write_bytes(cp + line.encode())
    assert ok(tlogcheck("cosig", wvkey, cosigned)) == "1679315147\n"
    assert ok(run(TOOL, "cosig", wvkey, cosigned)) == "1679315147\n"
    # The log's signature still verifies with the cosignature there.
    assert ok(tlogcheck("checkpoint", vkey, cosigned)).split()[0] == "10"
    # A changed time, a cosignature over another checkpoint, the log's key.
    raw = bytearray(base64.b64decode(line.split()[2]))
    raw[11] ^= 1
    bad = tmp_path / "bad.checkpoint"
    bad.write_bytes(cp + f"\u2014 witness.example/w1 {base64.b64encode(bytes(raw)).decode()}\n".encode())
    refused(tlogcheck("cosig", wvkey, bad))
    refused(run(TOOL, "cosig", wvkey, bad), "no good cosignature")
    d2 = build(tmp_path, key, 11, name="log11")
    bad.write_bytes((d2 / "checkpoint").read_bytes() + line.encode())
    refused(tlogcheck("cosig", wvkey, bad))
    refused(run(TOOL, "cosig", wvkey, bad), "no good cosignature")
    refused(tlogcheck("cosig", vkey, cosigned), "cosignature/v1")
    refused(run(TOOL, "cosig", vkey, cosigned), "no good cosignature")

"""Witness cosignatures: cl_witness_add and cl_witness_list_parse
(src/anchor/witness.c) against a real witness written by others, torchwood's
litewitness (tests/tools/litewitness.py, pinned in tests/tools/witness/go.mod),
which checks our checkpoints' signatures and consistency proofs with
golang.org/x/mod.

Needs CALLIN_BUILD_DIR (tests/tools/anchor_tool), Go and ssh-agent.
"""
import base64
import hashlib
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

SRC = Path(os.environ.get("CALLIN_SOURCE_DIR", Path(__file__).resolve().parents[2]))
BUILD = Path(os.environ.get("CALLIN_BUILD_DIR", SRC / "build"))
TOOL = BUILD / "anchor_tool"
sys.path.insert(0, str(SRC / "tests" / "tools"))
import litewitness  # noqa: E402

ORIGIN = "callin.example.gov.uk/log"
WNAME = "witness.test/w1"


def tool(*args):
    p = subprocess.run([str(TOOL), *map(str, args)], capture_output=True, text=True)
    assert p.returncode in (0, 1), p.stderr
    return p.stdout.splitlines()


@pytest.fixture(scope="module")
def bins():
    return litewitness.build(BUILD)


def make_key(path):
    subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", str(path)],
                   check=True)
    os.chmod(path, 0o600)
    return path


@pytest.fixture(scope="module")
def log_key(tmp_path_factory):
    return make_key(tmp_path_factory.mktemp("logkey") / "log.pem")


@pytest.fixture
def witness(bins, tmp_path, log_key):
    w = litewitness.Witness(bins, tmp_path / "witness", WNAME).start()
    w.add_log(ORIGIN, tool("log-vkey", log_key, ORIGIN)[0])
    yield w
    w.stop()


def add(w, log_key, size, old, seed="main", out=None, timeout_ms=10000, url=None,
        vkey=None):
    """anchor_tool witness-add: (result line, the witness size after)."""
    out = out or Path(w.dir) / f"cp.{seed}.{size}"
    lines = tool("witness-add", log_key, ORIGIN, seed, size,
                 f"{vkey or w.vkey} {url or w.url}", old, timeout_ms, out)
    assert lines[1].startswith("witness_size="), lines
    return lines[0], int(lines[1].split("=", 1)[1])


def witness_view(w):
    (log,) = [x for x in w.logs() if x["origin"] == ORIGIN]
    return log["size"], log["root_hash"]


def cp_root(path):
    return Path(path).read_text().split("\n")[2]


def test_cosigns_and_follows_growth(witness, log_key, tmp_path):
    # A fresh witness (size unknown to us: "old 0").
    out3 = tmp_path / "cp3"
    assert add(witness, log_key, 3, -1, out=out3) == ("ok", 3)
    assert witness_view(witness) == (3, cp_root(out3))
    # Then from 3 to 8 with our consistency proof, which litewitness checks
    # with x/mod's tlog.CheckTree.
    out8 = tmp_path / "cp8"
    assert add(witness, log_key, 8, 3, out=out8) == ("ok", 8)
    assert witness_view(witness) == (8, cp_root(out8))
    # The checkpoint we keep: the log's signature, then the witness's.
    for out in (out3, out8):
        text = out.read_text()
        assert text.count(f"\u2014 {WNAME} ") == 1 and text.count(f"\u2014 {ORIGIN} ") == 1
    # The same size again: the witness cosigns it again (no proof needed).
    assert add(witness, log_key, 8, 8) == ("ok", 8)


def test_conflict_409_learns_the_size_and_tries_once_more(witness, log_key):
    assert add(witness, log_key, 8, -1) == ("ok", 8)
    # We believe it is at 5: 409 says 8, and the second try (8 -> 10) passes.
    assert add(witness, log_key, 10, 5) == ("ok", 10)
    # We do not know: "old 0", 409 says 10, then 10 -> 12.
    assert add(witness, log_key, 12, -1) == ("ok", 12)
    assert witness_view(witness)[0] == 12
    # The witness has seen more than this checkpoint: no second try.
    line, size = add(witness, log_key, 10, -1)
    assert line == (f"EUNAVAIL: {witness.url}/add-checkpoint: the witness has seen "
                    "size 12, more than 10 (a fork or a rollback?)")
    assert size == 12


def test_forked_checkpoint_refused_422(witness, log_key):
    assert add(witness, log_key, 12, -1) == ("ok", 12)
    before = witness_view(witness)
    # Another history of the same size (same origin and key: a split view).
    line, size = add(witness, log_key, 12, 12, seed="fork")
    assert line.startswith(f"EUNAVAIL: {witness.url}/add-checkpoint: HTTP 422, "
                           "inconsistent with what it saw (a fork?)"), line
    # A longer fork: its proof from 12 does not reach the witness's root at 12.
    line, size = add(witness, log_key, 14, 12, seed="fork")
    assert "HTTP 422" in line and "bad consistency proof" in line, line
    assert witness_view(witness) == before


def test_checkpoint_by_another_key_or_log_refused_403(witness, log_key, tmp_path):
    other = make_key(tmp_path / "other.pem")
    line, _ = add(witness, other, 4, -1)
    assert line.startswith(f"EUNAVAIL: {witness.url}/add-checkpoint: HTTP 403, "
                           "no trusted log signature"), line
    assert "invalid signature" in line
    # A log the witness does not follow at all.
    lines = tool("witness-add", log_key, "other.example/log", "main", 4,
                 f"{witness.vkey} {witness.url}", -1, 10000, tmp_path / "x")
    assert lines[0].startswith(f"EUNAVAIL: {witness.url}/add-checkpoint: HTTP 403"), lines
    assert "unknown log" in lines[0]
    assert witness_view(witness)[0] == 0


def other_vkey(name):
    """A cosignature/v1 verifier key of name with a random key."""
    key = os.urandom(32)
    kid = hashlib.sha256(name.encode() + b"\n\x04" + key).digest()[:4]
    b64 = base64.b64encode(b"\x04" + key).decode()
    return f"{name}+{kid.hex()}+{b64}"


def test_cosignature_by_another_key_refused(witness, log_key):
    line, _ = add(witness, log_key, 5, -1, vkey=other_vkey(WNAME))
    assert line.startswith(f"EVERIFY: {witness.url}: no cosignature by {WNAME}+"), line


class Tamper:
    """A proxy in front of the witness that changes one byte of the
    signature in each cosignature line it passes on."""

    def __init__(self, target):
        tam = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                req = urllib.request.Request(target + self.path, data=body, method="POST")
                try:
                    with urllib.request.urlopen(req) as r:
                        code, out = r.status, r.read()
                except urllib.error.HTTPError as e:
                    code, out = e.code, e.read()
                if code == 200:
                    out = tam.flip(out)
                self.send_response(code)
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @staticmethod
    def flip(out):
        lines = []
        for ln in out.decode().splitlines():
            dash, name, b64 = ln.split(" ")
            raw = bytearray(base64.b64decode(b64))
            raw[-1] ^= 1       # the last byte of the Ed25519 signature
            lines.append(f"{dash} {name} {base64.b64encode(bytes(raw)).decode()}\n")
        return "".join(lines).encode()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_cosignature_that_does_not_verify_refused(witness, log_key):
    t = Tamper(witness.url)
    try:
        line, size = add(witness, log_key, 5, -1, url=t.url)
    finally:
        t.stop()
    assert line.startswith(f"EVERIFY: {t.url}: its cosignature does not verify with "
                           f"{WNAME}+"), line
    assert size == -1   # not cosigned for us: we still do not know


def test_unreachable_or_stalled_witness(witness, log_key):
    port = litewitness.free_port()      # nothing listens there
    line, _ = add(witness, log_key, 3, -1, url=f"http://127.0.0.1:{port}")
    assert line.startswith(f"EUNAVAIL: http://127.0.0.1:{port}/add-checkpoint: "), line
    # A server that takes the connection and never answers.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        url = f"http://127.0.0.1:{s.getsockname()[1]}"
        t0 = time.monotonic()
        line, _ = add(witness, log_key, 3, -1, url=url, timeout_ms=1000)
        took = time.monotonic() - t0
    assert line.startswith(f"EUNAVAIL: {url}/add-checkpoint: Operation timed out after"), line
    assert took < 60, f"the 1 s limit was not honoured: {took:.1f} s"


def test_witness_list_parse(witness):
    v2 = other_vkey("witness.test/w2")
    lines = tool("witness-list", f" {witness.vkey} {witness.url}/ , {v2} https://w2.example/x")
    kid = witness.vkey.split("+")[1]
    assert lines == [f"{WNAME} {kid} {witness.url} -1",
                     f"witness.test/w2 {v2.split('+')[1]} https://w2.example/x -1"]
    assert tool("witness-list", "") == []
    assert tool("witness-list", "   ") == []
    bad = {
        f"{witness.vkey}": "not \"<vkey> <url>\"",
        f"{witness.vkey} ftp://x": "the URL must be http:// or https://",
        f"{witness.vkey} {witness.url},": "item 2 is empty",
        f"{witness.vkey} {witness.url},,{v2} http://y": "item 2 is empty",
        "example.org/log+00000000+AQ== http://x": "not a cosignature/v1 verifier key",
    }
    for value, why in bad.items():
        (line,) = tool("witness-list", value)
        assert line.startswith("ECONFIG: config: log_witnesses: item ") and why in line, \
            (value, line)
    # A type 0x01 (log) key is not a witness key.
    log_vkey = witness.logs()[0]["keys"][0]
    (line,) = tool("witness-list", f"{log_vkey} http://x")
    assert "item 1" in line and "not a cosignature/v1 verifier key" in line

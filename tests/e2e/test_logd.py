"""callin-logd, the transparency log's sequencer, on a real store (both
stores: CALLIN_TEST_STORE), with requests queued through the store API
(tests/tools/log_queue_tool.c) and every file it writes checked by code
that is not ours: RFC 6962 hashing in Python's hashlib, the checkpoint's
Ed25519 signature with `openssl pkeyutl`, the time-stamp tokens with
`openssl ts -verify`, against a real local TSA (tests/tools/test_tsa.py).
Faults: SIGKILL between the store's commit and the tiles, and between the
tiles and the checkpoint (CALLIN_TEST_LOGD_STOP); a second sequencer; a
published checkpoint signed by another key or not a prefix of the state;
the TSA down for ten anchor intervals while the log grows, then back.  After each scenario everything published is
also checked by others' code alone (log_checks.py: the Go checker built
from golang.org/x/mod, and `openssl ts -verify -attime`)."""
import base64
import hashlib
import os
import re
import signal
import stat
import subprocess
import sys
import time

import pytest

from harness import TOP, Stack, wait_for
from log_checks import check_with_others

sys.path.insert(0, os.path.join(TOP, "tests", "tools"))
import test_tsa  # noqa: E402

ORIGIN = "callin.test/log"
PREFIX = b"callin-log-entry-v1\nreceipt: sha256:"


def leaf(e):
    return hashlib.sha256(b"\x00" + e).digest()


def node(a, b):
    return hashlib.sha256(b"\x01" + a + b).digest()


def mth(leaves):
    """RFC 6962 Merkle tree hash of a list of leaf hashes."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node(mth(leaves[:k]), mth(leaves[k:]))


def check_inclusion(index, size, lh, proof, root):
    """RFC 9162 2.1.3.2."""
    fn, sn, r = index, size - 1, lh
    for p in proof:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            r = node(p, r)
            while fn % 2 == 0 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


class Log:
    """A data folder with a log key and what callin-logd needs."""

    def __init__(self, stack, env=None):
        self.stack = stack
        self.dir = os.path.join(stack.data, "log")
        self.key = os.path.join(stack.data, "keys", "log.pem")
        os.makedirs(os.path.dirname(self.key), exist_ok=True)
        if not os.path.exists(self.key):
            subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", self.key],
                           check=True, capture_output=True)
            os.chmod(self.key, 0o600)
        self.env = stack.env()
        self.env.update({"CALLIN_LOG_ORIGIN": ORIGIN, "CALLIN_LOG_BATCH_MS": "50",
                         "CALLIN_STORE": stack.store_spec})
        self.env.update(env or {})
        self.procs = []
        self.queued = []            # (token, receipt hex)

    def queue(self, n):
        out = subprocess.run([os.path.join(self.stack.build, "log_queue_tool"),
                              self.stack.store_spec, ORIGIN, str(n)],
                             env=self.env, check=True, capture_output=True, text=True).stdout
        self.queued += [tuple(line.split()) for line in out.splitlines()]

    def start(self, **env):
        e = dict(self.env)
        e.update(env)
        log = open(os.path.join(self.stack.run, "logd.log"), "ab")
        p = subprocess.Popen([os.path.join(self.stack.build, "callin-logd")], env=e,
                             stdout=log, stderr=subprocess.STDOUT)
        self.procs.append(p)
        return p

    def run_once(self, **env):
        """Start, expecting it to exit: returns (code, its output)."""
        e = dict(self.env)
        e.update(env)
        p = subprocess.run([os.path.join(self.stack.build, "callin-logd")], env=e,
                           capture_output=True, text=True, timeout=60)
        return p.returncode, p.stderr

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        for p in self.procs:
            assert p.returncode in (0, -signal.SIGKILL), p.returncode

    def read(self, rel):
        with open(os.path.join(self.dir, rel), "rb") as f:
            return f.read()

    def size(self):
        try:
            return int(self.read("checkpoint").split(b"\n")[1])
        except FileNotFoundError:
            return -1

    def vkey(self):
        return self.read("log.vkey").decode().strip()

    def receipts(self):
        """The receipt.txt of each queued request, by the hex of its SHA-256:
        log_queue_tool's text, rebuilt here and checked against its hex."""
        out = {}
        for token, h in self.queued:
            r = (f"callin-receipt-v1\nreference: CIR-{token[:4]}-{token[4:8]}\n"
                 f"log: {ORIGIN}\nsignature: {token}\n").encode()
            assert hashlib.sha256(r).hexdigest() == h, token
            out[h] = r
        return out

    def check_others(self, ca=None, earlier=()):
        """Everything under log_dir, checked by others' code alone."""
        return check_with_others(self.dir, self.vkey(), self.receipts(), ca=ca,
                                 earlier=earlier)


def verify_note(tmp, vkey, note):
    """Check the log's signature line on note with openssl pkeyutl (the
    README's recipe); returns the note text."""
    name, kid, b64 = vkey.split("+", 2)
    key = base64.b64decode(b64)
    assert key[0] == 1
    assert hashlib.sha256(name.encode() + b"\n" + key).digest()[:4].hex() == kid
    text, sigs = note.split(b"\n\n", 1)
    text += b"\n"
    line = [s for s in sigs.split(b"\n") if s.startswith(("\u2014 " + name + " ").encode())]
    assert len(line) == 1, sigs
    sig = base64.b64decode(line[0].split(b" ")[2])
    assert sig[:4].hex() == kid
    paths = {n: os.path.join(tmp, n) for n in ("pub.der", "pub.pem", "text", "sig")}
    with open(paths["pub.der"], "wb") as f:
        f.write(bytes.fromhex("302a300506032b6570032100") + key[1:])
    with open(paths["text"], "wb") as f:
        f.write(text)
    with open(paths["sig"], "wb") as f:
        f.write(sig[4:])
    subprocess.run(["openssl", "pkey", "-pubin", "-inform", "DER", "-in", paths["pub.der"],
                    "-out", paths["pub.pem"]], check=True, capture_output=True)
    v = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", paths["pub.pem"],
                        "-rawin", "-in", paths["text"], "-sigfile", paths["sig"]],
                       capture_output=True, text=True)
    assert v.returncode == 0 and "Signature Verified Successfully" in v.stdout, v
    return text


def check_log(log, tmp):
    """The published log, checked from its files alone: the checkpoint's
    signature, every bundle's entries against the level-0 tiles, the root
    from the leaves, one entry per queued receipt, in order, no index
    twice.  Returns the entries."""
    cp = log.read("checkpoint")
    text = verify_note(str(tmp), log.vkey(), cp)
    origin, size, root = text.decode().split("\n")[:3]
    assert origin == ORIGIN
    size = int(size)
    root = base64.b64decode(root)
    entries = []
    for n in range((size + 255) // 256):
        w = min(256, size - n * 256)
        rel = "tile/entries/" + tile_name(n, w)
        b = log.read(rel)
        got = []
        while b:
            ln = int.from_bytes(b[:2], "big")
            got.append(b[2:2 + ln])
            b = b[2 + ln:]
        assert len(got) == w, rel
        tile = log.read("tile/0/" + tile_name(n, w))
        assert tile == b"".join(leaf(e) for e in got), rel
        entries += got
    assert mth([leaf(e) for e in entries]) == root
    hexes = [e[len(PREFIX):-1].decode() for e in entries]
    for e in entries:
        assert e.startswith(PREFIX) and len(e) == 101 and e.endswith(b"\n")
    assert len(set(hexes)) == len(hexes), "a receipt logged twice"
    return hexes


def tile_name(n, w):
    parts = []
    while True:
        parts.append(n % 1000)
        n //= 1000
        if n == 0:
            break
    s = "/".join(("x%03d" % p) for p in reversed(parts[1:]))
    s = (s + "/" if s else "") + "%03d" % parts[0]
    return s + ("" if w == 256 else f".p/{w}")


@pytest.fixture
def log(tmp_path):
    s = Stack(tmp_path)
    lg = Log(s)
    yield lg
    lg.stop()


def test_sequences_queued_receipts_into_a_checked_log(log, tmp_path):
    log.queue(5)
    log.start()
    wait_for(lambda: log.size() == 5, what="checkpoint at size 5")
    hexes = check_log(log, tmp_path)
    assert hexes == [h for _, h in log.queued]
    cp5 = tmp_path / "cp5"
    cp5.write_bytes(log.read("checkpoint"))
    log.queue(300)
    wait_for(lambda: log.size() == 305, what="checkpoint at size 305")
    assert check_log(log, tmp_path) == [h for _, h in log.queued]
    assert len(log.read("tile/0/000")) == 8192
    assert len(log.read("tile/0/001.p/49")) == 49 * 32
    assert len(log.read("tile/1/000.p/1")) == 32
    status = log.read(".state/status").decode()
    assert "size 305\n" in status
    log.stop()
    seen = log.check_others(earlier=[cp5])
    assert seen["size"] == 305 and seen["consistency"] == 1, seen


def test_a_missing_log_dir_is_made_public_and_what_holds_it_private(log, tmp_path):
    # log_dir's files are for nginx; a folder above it that logd has to
    # make may be data_dir, which stays private.
    log.dir = str(tmp_path / "new" / "log")
    log.env["CALLIN_LOG_DIR"] = log.dir + "/"
    log.queue(1)
    log.start()
    wait_for(lambda: os.path.exists(os.path.join(log.dir, "checkpoint")) and log.size() == 1,
             what="checkpoint at size 1")
    log.stop()
    mode = lambda p: oct(stat.S_IMODE(os.stat(p).st_mode))  # noqa: E731
    assert mode(tmp_path / "new") == "0o700"
    assert [mode(os.path.join(log.dir, p)) for p in ("", "tile", "tile/0", "checkpoint")] == \
        ["0o755", "0o755", "0o755", "0o644"]


def test_a_second_sequencer_is_refused(log):
    log.start()
    wait_for(lambda: log.size() == 0, what="the first sequencer")
    code, err = log.run_once()
    assert code == 1
    assert "another callin-logd is running" in err
    log.stop()
    assert log.check_others()["size"] == 0


@pytest.mark.parametrize("point", ["after-commit", "after-tiles"])
def test_killed_between_commit_tiles_and_checkpoint(log, tmp_path, point):
    log.queue(3)
    log.start()
    wait_for(lambda: log.size() == 3, what="checkpoint at size 3")
    log.stop()
    log.queue(4)
    p = log.start(CALLIN_TEST_LOGD_STOP=point)
    wait_for(lambda: open(f"/proc/{p.pid}/stat").read().split(") ")[1][0] == "T",
             what=f"the sequencer stopped {point}")
    assert log.size() == 3          # the checkpoint is written last
    # What is published while it is stopped there holds together.
    cp3 = tmp_path / "cp3"
    cp3.write_bytes(log.read("checkpoint"))
    assert log.check_others()["size"] == 3
    p.kill()
    p.wait()
    log.queue(2)
    log.start()
    wait_for(lambda: log.size() == 9, what="checkpoint at size 9")
    assert check_log(log, tmp_path) == [h for _, h in log.queued]
    log.stop()
    seen = log.check_others(earlier=[cp3])
    assert seen["size"] == 9 and seen["consistency"] == 1, seen


def test_refuses_a_checkpoint_signed_by_another_key_or_not_a_prefix(log, tmp_path):
    log.queue(2)
    log.start()
    wait_for(lambda: log.size() == 2, what="checkpoint at size 2")
    log.stop()
    good = log.read("checkpoint")
    # Signed by another key with the same name.
    other = os.path.join(str(tmp_path), "other.pem")
    subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", other],
                   check=True, capture_output=True)
    os.chmod(other, 0o600)
    lg2 = Log(log.stack, env={"CALLIN_LOG_KEY_FILE": other, "CALLIN_LOG_DIR":
                              os.path.join(str(tmp_path), "otherlog")})
    # A fresh log under another key on another store: size 0 checkpoint.
    lg2.env["CALLIN_STORE"] = "sqlite:" + os.path.join(str(tmp_path), "other.db")
    p = lg2.start()
    wait_for(lambda: os.path.exists(os.path.join(lg2.env["CALLIN_LOG_DIR"], "checkpoint")),
             what="the other log")
    lg2.stop()
    with open(os.path.join(lg2.env["CALLIN_LOG_DIR"], "checkpoint"), "rb") as f:
        foreign = f.read()
    assert p.returncode == 0
    with open(os.path.join(log.dir, "checkpoint"), "wb") as f:
        f.write(foreign)
    code, err = log.run_once()
    assert code == 1 and "not signed by this log's key" in err
    # Signed by our key, but a root that is not the state's at its size.
    text = ("%s\n2\n%s\n" % (ORIGIN, base64.b64encode(b"\x00" * 32).decode())).encode()
    tfile = os.path.join(str(tmp_path), "fork.text")
    with open(tfile, "wb") as f:
        f.write(text)
    sig = subprocess.run(["openssl", "pkeyutl", "-sign", "-inkey", log.key, "-rawin", "-in",
                          tfile], check=True, capture_output=True).stdout
    kid = bytes.fromhex(log.vkey().split("+")[1])
    fork = text + b"\n\xe2\x80\x94 " + ORIGIN.encode() + b" " + \
        base64.b64encode(kid + sig) + b"\n"
    verify_note(str(tmp_path), log.vkey(), fork)
    with open(os.path.join(log.dir, "checkpoint"), "wb") as f:
        f.write(fork)
    code, err = log.run_once()
    assert code == 1 and "not a prefix of the store's log" in err, err
    with open(os.path.join(log.dir, "checkpoint"), "wb") as f:
        f.write(good)
    log.start()
    log.queue(1)
    wait_for(lambda: log.size() == 3, what="checkpoint at size 3")
    log.stop()
    good_file = tmp_path / "cp2"
    good_file.write_bytes(good)
    assert log.check_others(earlier=[good_file])["size"] == 3


@pytest.fixture
def tsa(tmp_path):
    pki = test_tsa.Pki(str(tmp_path / "pki"))
    server = test_tsa.TsaServer(pki.tsa("tsa")).start()
    server.ca = pki.ca_crt
    yield server
    server.stop()


def test_anchors_and_proofs_with_a_tsa_that_was_down(log, tmp_path, tsa):
    # The authority fails for ten anchor intervals (1 s here, 60 s by
    # default: ten minutes in production) while the log grows under it.
    tsa.mode = "http-500"
    log.env.update({"CALLIN_TSA_URLS": "one=" + tsa.url, "CALLIN_TSA_CA_FILE": str(tsa.ca),
                    "CALLIN_LOG_ANCHOR_INTERVAL": "1", "CALLIN_LOG_ANCHOR_TIMEOUT": "5"})

    def failures():
        m = re.search(rb'^tsa_failures_total\{tsa="one"\} (\d+)$', log.read(".state/status"), re.M)
        return int(m.group(1)) if m else 0

    log.queue(3)
    log.start()
    wait_for(lambda: log.size() == 3, what="checkpoint at size 3")
    wait_for(lambda: failures() >= 5, what="five failures counted", timeout=30)
    log.queue(2)
    wait_for(lambda: log.size() == 5, what="sequencing goes on while the authority is down")
    wait_for(lambda: failures() >= 10, what="ten failures counted", timeout=30)
    assert not os.path.exists(os.path.join(log.dir, "anchors", "latest"))
    assert os.listdir(os.path.join(log.dir, "proofs")) == []
    tsa.mode = "ok"
    wait_for(lambda: os.path.exists(os.path.join(log.dir, "anchors", "latest")),
             what="an anchor", timeout=30)
    size = int(log.read("anchors/latest"))
    assert size == 5
    acp = log.read(f"anchors/{size}.checkpoint")
    text = verify_note(str(tmp_path), log.vkey(), acp)
    body = os.path.join(str(tmp_path), "cp.body")
    with open(body, "wb") as f:
        f.write(text)
    tsr = os.path.join(log.dir, "anchors", f"{size}.one.tsr")
    v = subprocess.run(["openssl", "ts", "-verify", "-data", body, "-in", tsr, "-CAfile",
                        str(tsa.ca)], capture_output=True, text=True)
    assert v.returncode == 0 and "Verification: OK" in v.stdout, v
    root = base64.b64decode(text.split(b"\n")[2])
    for i, (_, h) in enumerate(log.queued):
        proof = log.read(f"proofs/{h}.tlog-proof")
        head, cp = proof.split(b"\n\n", 1)
        assert cp == acp
        lines = head.split(b"\n")
        assert lines[0] == b"c2sp.org/tlog-proof@v1" and lines[1] == b"index %d" % i
        hashes = [base64.b64decode(x) for x in lines[2:]]
        e = PREFIX + h.encode() + b"\n"
        assert check_inclusion(i, size, leaf(e), hashes, root)
        assert not check_inclusion(i, size, leaf(e.replace(b"a", b"b", 1)), hashes, root) \
            or e.count(b"a") == 0
        assert log.read(f"proofs/{h}.tsr") == log.read(f"anchors/{size}.one.tsr")
    # Later receipts get their proof against a later anchor.
    log.queue(2)
    wait_for(lambda: int(log.read("anchors/latest")) == 7, what="a second anchor", timeout=30)
    for _, h in log.queued[5:]:
        assert b"\nindex " in log.read(f"proofs/{h}.tlog-proof")
    # The first proofs were written once, against the first anchor.
    assert log.read(f"proofs/{log.queued[0][1]}.tlog-proof").endswith(acp)
    log.stop()
    # What nginx serves is readable by its user (another one than logd's in
    # production), though logd runs with umask 077; .state is not served.
    modes = {}
    for d, dirs, files in os.walk(log.dir):
        dirs[:] = [x for x in dirs if x != ".state"]
        modes[d] = stat.S_IMODE(os.stat(d).st_mode)
        for n in files:
            modes[os.path.join(d, n)] = stat.S_IMODE(os.stat(os.path.join(d, n)).st_mode)
    for rel in ("checkpoint", "log.vkey", "tile/0/000.p/7", "tile/entries/000.p/7",
                "anchors/latest", "anchors/5.checkpoint", "anchors/5.one.tsr",
                f"proofs/{log.queued[0][1]}.tlog-proof", f"proofs/{log.queued[0][1]}.tsr"):
        assert os.path.join(log.dir, rel) in modes, rel
    for path, mode in modes.items():
        assert mode == (0o755 if os.path.isdir(path) else 0o644), (path, oct(mode))
    seen = log.check_others(ca=tsa.ca)
    assert seen["anchors"][:2] == [5, 7] and seen["proofs"] == 7, seen
    assert seen["tokens"] == 2 + 7, seen


def test_two_authorities_the_first_down_then_back(log, tmp_path):
    # Each authority's token is published under its name; the proof's own
    # .tsr is the first authority's that answered.
    pki = test_tsa.Pki(str(tmp_path / "pki2"))
    one = test_tsa.TsaServer(pki.tsa("tsa-one")).start()
    two = test_tsa.TsaServer(pki.tsa("tsa-two")).start()
    try:
        one.mode = "http-500"
        log.env.update({"CALLIN_TSA_URLS": f"one={one.url},two={two.url}",
                        "CALLIN_TSA_CA_FILE": pki.ca_crt, "CALLIN_LOG_ANCHOR_INTERVAL": "1",
                        "CALLIN_LOG_ANCHOR_TIMEOUT": "5"})
        log.queue(3)
        log.start()
        wait_for(lambda: os.path.exists(os.path.join(log.dir, "anchors", "latest")),
                 what="an anchor", timeout=30)
        assert int(log.read("anchors/latest")) == 3
        names = os.listdir(os.path.join(log.dir, "anchors"))
        assert "3.two.tsr" in names and "3.one.tsr" not in names, names
        for _, h in log.queued:
            assert log.read(f"proofs/{h}.tsr") == log.read("anchors/3.two.tsr")
            assert log.read(f"proofs/{h}.two.tsr") == log.read("anchors/3.two.tsr")
            assert not os.path.exists(os.path.join(log.dir, "proofs", f"{h}.one.tsr"))
        one.mode = "ok"
        log.queue(1)
        wait_for(lambda: int(log.read("anchors/latest")) == 4, what="a second anchor",
                 timeout=30)
        h = log.queued[3][1]
        assert log.read(f"proofs/{h}.tsr") == log.read("anchors/4.one.tsr")
        assert log.read(f"proofs/{h}.one.tsr") == log.read("anchors/4.one.tsr")
        assert log.read(f"proofs/{h}.two.tsr") == log.read("anchors/4.two.tsr")
        assert log.read("anchors/4.one.tsr") != log.read("anchors/4.two.tsr")
        log.stop()
        seen = log.check_others(ca=pki.ca_crt)
        # Tokens: anchors 3.two, 4.one, 4.two; proofs 3 x (.tsr, .two.tsr)
        # and (.tsr, .one.tsr, .two.tsr).
        assert seen["anchors"][:2] == [3, 4] and seen["proofs"] == 4, seen
        assert seen["tokens"] == 3 + 3 * 2 + 3, seen
    finally:
        one.stop()
        two.stop()


def test_healthz_and_metrics_show_the_anchor_age(tmp_path):
    import json
    import urllib.error
    import urllib.request

    env = {"CALLIN_LOG_ORIGIN": ORIGIN, "CALLIN_LOG_ANCHOR_INTERVAL": "1",
           "CALLIN_LOG_BATCH_MS": "50"}
    s = Stack(tmp_path, env=env).start()
    lg = Log(s)
    try:
        def health():
            try:
                with urllib.request.urlopen(s.url("/healthz"), timeout=10) as r:
                    return r.status, json.loads(r.read())
            except urllib.error.HTTPError as e:
                return e.code, json.loads(e.read())

        code, h = health()
        assert code == 200 and h["checks"]["log_anchor"] == "ok", h
        lg.queue(1)                 # no sequencer: it waits, and waits
        wait_for(lambda: health()[0] == 503, what="/healthz failing", timeout=30)
        code, h = health()
        assert h["failing"] == "log_anchor" and h["log_unanchored_seconds"] >= 3, h
        lg.start()                  # no authority configured: anchors at once
        def metrics():
            with urllib.request.urlopen(s.url("/metrics"), timeout=10) as r:
                return r.read().decode()

        wait_for(lambda: "callin_log_anchor_size 1\n" in metrics(), what="the anchor",
                 timeout=30)
        m = metrics()
        assert "callin_log_queue 0\n" in m and "callin_log_size 1\n" in m, m
        assert "callin_log_unanchored_ms 0\n" in m, m
        code, h = health()
        assert code == 200 and h["checks"]["log_anchor"] == "ok", h
        lg.stop()
        seen = lg.check_others()
        assert seen["anchors"] == [1] and seen["proofs"] == 1, seen
    finally:
        lg.stop()
        s.stop()

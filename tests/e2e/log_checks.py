"""Everything a callin-logd run published, checked by others' code only:
the Go checker built from golang.org/x/mod (tests/tools/tlogcheck) for
every checkpoint, the tiles and bundles, the consistency of every anchor
with the next (and of any earlier checkpoint the test kept with the
current one), every proof with its receipt, and `openssl ts -verify
-attime <genTime>` for every time-stamp token.  Shared by the suites that
run the real sequencer (test_logd.py, test_log_journey.py,
test_log_witness.py):

    seen = check_with_others(log_dir, vkey, receipts, ca=ca_pem,
                             earlier=[old_checkpoint_file, ...])

receipts maps the hex SHA-256 of each receipt.txt to its bytes; a proof
for a receipt not in it fails.  Returns what was checked (sizes, counts)
so that a test can say how much there had to be.
"""
import datetime
import os
import re
import subprocess
import tempfile

from tlogcheck import tlogcheck

ANCHOR_CP = re.compile(r"^(\d+)\.checkpoint$")
ANCHOR_TSR = re.compile(r"^(\d+)\.([a-z0-9-]{1,31})\.tsr$")
PROOF_TSR = re.compile(r"^([0-9a-f]{64})(?:\.([a-z0-9-]{1,31}))?\.tsr$")


def _ok(p, what):
    assert p.returncode == 0, f"{what}: {p.stderr}{p.stdout}"
    return p.stdout


def _checkpoint(vkey, path):
    """tlogcheck checkpoint: (size, root)."""
    size, root = _ok(tlogcheck("checkpoint", vkey, path), f"tlogcheck checkpoint {path}").split()
    return int(size), root


def _note_text(note):
    """A signed note's text (what the time-stamps are over)."""
    text, sep, _ = note.partition(b"\n\n")
    assert sep, "not a signed note"
    return text + b"\n"


def gen_time(tsr):
    """The token's genTime as openssl reads it (POSIX seconds)."""
    out = subprocess.run(["openssl", "ts", "-reply", "-in", tsr, "-text"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    t = next(ln.split(": ", 1)[1] for ln in out.stdout.splitlines()
             if ln.startswith("Time stamp: "))
    t = re.sub(r"\.\d+", "", t)     # fractions of a second, if any
    return int(datetime.datetime.strptime(t, "%b %d %H:%M:%S %Y %Z")
               .replace(tzinfo=datetime.timezone.utc).timestamp())


def _ts_verify(tsr, note, ca, tmp):
    """openssl ts -verify of tsr over note's text, at its own genTime."""
    data = os.path.join(tmp, "data")
    with open(data, "wb") as f:
        f.write(_note_text(note))
    v = subprocess.run(["openssl", "ts", "-verify", "-data", data, "-in", tsr, "-CAfile",
                        str(ca), "-attime", str(gen_time(tsr))],
                       capture_output=True, text=True)
    assert v.returncode == 0 and "Verification: OK" in v.stdout, f"{tsr}: {v.stdout}{v.stderr}"


def check_with_others(log_dir, vkey, receipts, ca=None, earlier=()):
    log_dir = str(log_dir)
    seen = {"anchors": [], "proofs": 0, "tokens": 0, "consistency": 0}
    size, _ = _checkpoint(vkey, os.path.join(log_dir, "checkpoint"))
    seen["size"] = size
    _ok(tlogcheck("tiles", vkey, log_dir), "tlogcheck tiles")

    adir = os.path.join(log_dir, "anchors")
    names = os.listdir(adir) if os.path.isdir(adir) else []
    anchors = {}
    for name in names:
        m = ANCHOR_CP.match(name)
        if m:
            path = os.path.join(adir, name)
            n, _ = _checkpoint(vkey, path)
            assert n == int(m.group(1)), f"{name} holds size {n}"
            assert n <= size, f"{name} is beyond the checkpoint's size {size}"
            anchors[n] = path
    seen["anchors"] = sorted(anchors)
    if anchors:
        with open(os.path.join(adir, "latest")) as f:
            assert int(f.read()) == max(anchors), "anchors/latest is not the newest anchor"
    # Each anchor is a prefix of the next, the last of the checkpoint, and
    # so is every checkpoint the test kept from before.
    chain = [anchors[n] for n in sorted(anchors)] + [os.path.join(log_dir, "checkpoint")]
    pairs = list(zip(chain, chain[1:])) + [(str(e), chain[-1]) for e in earlier]
    for old, new in pairs:
        _ok(tlogcheck("consistency", vkey, old, new, log_dir),
            f"tlogcheck consistency {old} {new}")
        seen["consistency"] += 1

    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            m = ANCHOR_TSR.match(name)
            if m:
                n = int(m.group(1))
                assert n in anchors, f"{name} without its anchor checkpoint"
                assert ca is not None, f"{name}: a token, but no roots to check it with"
                with open(anchors[n], "rb") as f:
                    _ts_verify(os.path.join(adir, name), f.read(), ca, tmp)
                seen["tokens"] += 1
        pdir = os.path.join(log_dir, "proofs")
        pnames = os.listdir(pdir) if os.path.isdir(pdir) else []
        cps = {}
        for name in pnames:
            if not name.endswith(".tlog-proof"):
                continue
            hexname = name[:-len(".tlog-proof")]
            assert hexname in receipts, f"proof {name} for a receipt never queued"
            rfile = os.path.join(tmp, "receipt.txt")
            with open(rfile, "wb") as f:
                f.write(receipts[hexname])
            path = os.path.join(pdir, name)
            index, n = map(int, _ok(tlogcheck("proof", vkey, path, rfile),
                                    f"tlogcheck proof {name}").split())
            with open(path, "rb") as f:
                cp = f.read().split(b"\n\n", 1)[1]
            assert n in anchors, f"{name} is against size {n}, not an anchor"
            with open(anchors[n], "rb") as f:
                assert cp == f.read(), f"{name}: not the anchor checkpoint of size {n}"
            cps[hexname] = cp
            seen["proofs"] += 1
        for name in pnames:
            m = PROOF_TSR.match(name)
            if m:
                assert m.group(1) in cps, f"{name} without its proof"
                assert ca is not None, f"{name}: a token, but no roots to check it with"
                _ts_verify(os.path.join(pdir, name), cps[m.group(1)], ca, tmp)
                seen["tokens"] += 1
    return seen

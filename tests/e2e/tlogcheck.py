"""The Go checker of the transparency log (tests/tools/tlogcheck: only
golang.org/x/mod's sumdb/note and sumdb/tlog, pinned in its go.mod), built
into the build tree on first use and again when its sources change; every
suite that checks a log imports it from here:

    from tlogcheck import tlogcheck
    p = tlogcheck("proof", vkey, proof_file, receipt_file)   # CompletedProcess
    assert p.returncode == 0, p.stderr

The first build needs the module from the Go module proxy (or the module
cache); if it cannot be built the test fails and says why.
"""
import fcntl
import os
import subprocess

from harness import BUILD, TOP

SRC = os.path.join(TOP, "tests", "tools", "tlogcheck")
BIN = os.path.join(BUILD, "tlogcheck")


def build():
    """Build tlogcheck into the build tree unless it is newer than its sources."""
    srcs = [os.path.join(SRC, f) for f in os.listdir(SRC)
            if f.endswith((".go", ".mod", ".sum"))]
    with open(BIN + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # suites may build it at once
        if os.path.exists(BIN) and os.path.getmtime(BIN) >= max(
                os.path.getmtime(s) for s in srcs):
            return BIN
        env = dict(os.environ, GOFLAGS="-mod=readonly -buildvcs=false",
                   GOTOOLCHAIN="local")
        p = subprocess.run(["go", "build", "-trimpath", "-o", BIN + ".new", "."],
                           cwd=SRC, env=env, capture_output=True, text=True,
                           timeout=600)
        if p.returncode != 0:
            raise RuntimeError(
                f"cannot build tlogcheck (go build in {SRC}; it needs "
                f"golang.org/x/mod from the Go module proxy or cache):\n{p.stderr}")
        os.replace(BIN + ".new", BIN)
    return BIN


def tlogcheck(*args):
    """Run tlogcheck with args; the CompletedProcess (text)."""
    return subprocess.run([build(), *map(str, args)], capture_output=True,
                          text=True, timeout=300)

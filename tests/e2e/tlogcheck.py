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
import os
import subprocess
import sys

from harness import BUILD, TOP

sys.path.insert(0, os.path.join(TOP, "tests", "tools"))
from gobuild import BuildLock, go_build  # noqa: E402

SRC = os.path.join(TOP, "tests", "tools", "tlogcheck")
BIN = os.path.join(BUILD, "tlogcheck")


def build():
    """Build tlogcheck into the build tree unless it is newer than its sources."""
    srcs = [os.path.join(SRC, f) for f in os.listdir(SRC)
            if f.endswith((".go", ".mod", ".sum"))]
    with BuildLock(BIN + ".lock"):
        if os.path.exists(BIN) and os.path.getmtime(BIN) >= max(
                os.path.getmtime(s) for s in srcs):
            return BIN
        go_build(SRC, BIN + ".new", ["."], "tlogcheck", "golang.org/x/mod")
        os.replace(BIN + ".new", BIN)
    return BIN


def tlogcheck(*args):
    """Run tlogcheck with args; the CompletedProcess (text)."""
    return subprocess.run([build(), *map(str, args)], capture_output=True,
                          text=True, timeout=300)

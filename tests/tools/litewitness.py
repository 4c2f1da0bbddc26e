"""litewitness: a real witness written by others for the tests: torchwood's
litewitness and witnessctl (c2sp.org/tlog-witness), at the version
tests/tools/witness/go.mod pins, built into the build tree with `go build`
(Go module proxy; never vendored).  It keeps its key in an ssh-agent of its
own, as it must.

    bins = build(BUILD)                 # BUILD/witness/{litewitness,witnessctl}
    w = Witness(bins, dir, "witness.test/w1").start()
    w.add_log(origin, log_vkey)         # witnessctl add-log + add-key
    w.url, w.vkey                       # its submission prefix, its 0x04 vkey
    w.logs()                            # witnessctl list-logs, as dicts
    w.stop()
"""
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from gobuild import BuildLock, go_build

HERE = Path(__file__).resolve().parent
MODULE = HERE / "witness"


def build(build_dir):
    """Build litewitness and witnessctl into build_dir/witness (again when
    go.mod or go.sum changed) and return that folder."""
    out = Path(build_dir) / "witness"
    stamp = out / "stamp"
    want = (MODULE / "go.mod").read_text() + (MODULE / "go.sum").read_text()
    out.mkdir(parents=True, exist_ok=True)
    with BuildLock(out / "lock"):
        if (out / "litewitness").exists() and stamp.exists() and \
                stamp.read_text() == want:
            return out
        go_build(MODULE, str(out) + "/", ["filippo.io/torchwood/cmd/litewitness",
                                           "filippo.io/torchwood/cmd/witnessctl"],
                 "litewitness", "filippo.io/torchwood")
        stamp.write_text(want)
    return out


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Witness:
    """One litewitness on 127.0.0.1 with its own database, key and agent."""

    def __init__(self, bins, dir, name):
        self.bins, self.dir, self.name = Path(bins), Path(dir), name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.db = self.dir / "litewitness.db"
        # A unix socket path must stay short (108 bytes).
        self.sockdir = Path(tempfile.mkdtemp(prefix="lw", dir="/tmp"))
        self.sock = self.sockdir / "agent.sock"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.agent = self.proc = None
        self.vkey = None
        self.log_path = self.dir / "litewitness.log"

    def ctl(self, *args):
        p = subprocess.run([str(self.bins / "witnessctl"), args[0], "-db", str(self.db),
                            *args[1:]], capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError(f"witnessctl {args}: {p.stderr}")
        return p.stdout

    def add_log(self, origin, log_vkey):
        self.ctl("add-log", "-origin", origin)
        self.ctl("add-key", "-origin", origin, "-key", log_vkey)

    def logs(self):
        return [json.loads(ln) for ln in self.ctl("list-logs").splitlines() if ln]

    def start(self):
        key = self.dir / "witness_ed25519"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", self.name,
                        "-f", str(key)], check=True)
        fp = subprocess.run(["ssh-keygen", "-l", "-E", "sha256", "-f", f"{key}.pub"],
                            check=True, capture_output=True, text=True).stdout.split()[1]
        self.agent = subprocess.Popen(["ssh-agent", "-D", "-a", str(self.sock)],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            if self.sock.exists():
                break
            time.sleep(0.05)
        subprocess.run(["ssh-add", "-q", str(key)], check=True, capture_output=True,
                       env=dict(os.environ, SSH_AUTH_SOCK=str(self.sock)))
        self.ctl("list-logs")   # creates the database
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [str(self.bins / "litewitness"), "-db", str(self.db), "-name", self.name,
             "-key", fp, "-ssh-agent", str(self.sock),
             "-listen", f"127.0.0.1:{self.port}"],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            text = self.log_path.read_text()
            m = re.search(r'msg="verifier key" vkey=(\S+)', text)
            if m and "msg=listening" in text:
                self.vkey = m.group(1)
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"litewitness did not start: {self.log_path.read_text()}")

    def stop(self):
        for p in (self.proc, self.agent):
            if p is not None and p.poll() is None:
                p.terminate()
                p.wait(10)
        if self.proc is not None:
            self.log.close()
        shutil.rmtree(self.sockdir, ignore_errors=True)

"""gobuild.py: build a Go program of the tests (tests/tools/<name>/, its own
go.mod and go.sum; modules come from the Go module proxy, nothing vendored)
into the build tree, once for all the suites that want it at the same time."""

import fcntl
import os
import subprocess


def go_build(module_dir, out, targets, what, needs):
    """Build targets (Go package paths, "." for module_dir itself) of the
    module in module_dir to out (a file for one target, a folder ending in
    "/" for several).  Raises RuntimeError naming what and the modules it
    needs when go build fails.  Callers hold a BuildLock meanwhile."""
    env = dict(os.environ, GOFLAGS="-mod=readonly -buildvcs=false",
               GOTOOLCHAIN="local")
    p = subprocess.run(["go", "build", "-trimpath", "-o", out, *targets],
                       cwd=module_dir, env=env, capture_output=True, text=True,
                       timeout=600)
    if p.returncode != 0:
        raise RuntimeError(
            f"cannot build {what} (go build in {module_dir}; it needs "
            f"{needs} from the Go module proxy or cache):\n{p.stderr}")


class BuildLock:
    """An exclusive lock on path while a build runs (suites may build at once)."""

    def __init__(self, path):
        self.path = path

    def __enter__(self):
        self.f = open(self.path, "w")
        fcntl.flock(self.f, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        self.f.close()

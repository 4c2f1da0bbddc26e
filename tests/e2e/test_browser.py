"""The browser journey (issue 6, item 4) against the whole stack: Debian's
chromium, headless, driven by tests/browser/journey.mjs (playwright-core),
once with JavaScript and once without.  Start page -> form -> mistakes ->
error summary -> corrected request with files -> confirmation -> receipt
download -> /verify says valid; axe-core (WCAG 2.2 AA) on every page; a
screenshot of every page in tests/artifacts/browser/<js|nojs>-<page>.png
(browser-mongodb/ for the run on the MongoDB backend).

Nothing here is skipped: a missing node, chromium or npm package fails the
test, since the journey is part of the definition of done.
"""
import os
import shutil
import subprocess
import time

import pytest

from harness import STORE, TOP

JOURNEY = os.path.join(TOP, "tests", "browser", "journey.mjs")
# One folder per store: the two runs must not remove each other's shots.
ARTIFACTS = os.path.join(TOP, "tests", "artifacts",
                         "browser" if STORE == "sqlite" else "browser-" + STORE)
CHROMIUM = "/usr/bin/chromium"


def test_tools_are_installed():
    assert shutil.which("node"), "node is not on PATH (Debian package nodejs)"
    assert os.access(CHROMIUM, os.X_OK), f"{CHROMIUM} is missing (Debian package chromium)"
    for pkg in ("playwright-core", "axe-core"):
        assert os.path.isfile(os.path.join(TOP, "node_modules", pkg, "package.json")), \
            f"node_modules/{pkg} is missing: run npm ci"


@pytest.mark.parametrize("mode", ["js", "nojs"])
def test_browser_journey(shared_stack, mode):
    os.makedirs(ARTIFACTS, exist_ok=True)
    for old in os.listdir(ARTIFACTS):
        if old.startswith(mode + "-"):
            os.unlink(os.path.join(ARTIFACTS, old))
    started = time.monotonic()
    p = subprocess.run(["node", JOURNEY, shared_stack.base, mode, ARTIFACTS],
                       cwd=TOP, capture_output=True, text=True, timeout=240)
    took = time.monotonic() - started
    out = f"{p.stdout}\n{p.stderr}".strip()
    print(out)
    assert p.returncode == 0, \
        f"{mode} journey failed (exit {p.returncode}, {took:.1f}s):\n{out}"
    shots = sorted(f for f in os.listdir(ARTIFACTS) if f.startswith(mode + "-") and f.endswith(".png"))
    pages = ["start", "form", "form-errors", "confirmation", "verify", "verify-result",
             "verify-invalid", "404"] + (["verify-upload-result"] if mode == "js" else [])
    for page in pages:
        assert f"{mode}-{page}.png" in shots, (page, shots)

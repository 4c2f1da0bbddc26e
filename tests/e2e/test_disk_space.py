"""min_free_bytes: a data_dir that crosses the threshold mid-run.  data_dir
is a small tmpfs of its own (mounting needs root, as the tests run in CI);
the service takes submissions while enough is free, answers 503 "not
submitted" and stores nothing once a file fills it below the threshold
(counted in /metrics, /healthz failing with the reason), and takes them
again once the file is gone."""
import os
import subprocess

import pytest
import requests

from harness import Stack, submit, token_of
from test_abuse import PDF, assert_styled_not_submitted, metric

MIB = 1 << 20


@pytest.fixture
def small_data_dir(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    if os.getuid() != 0:
        pytest.skip("mounting a tmpfs for data_dir needs root (scripts/test runs as root)")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m,mode=0700", "tmpfs", str(data)],
                   check=True, capture_output=True)
    yield str(data)
    if subprocess.run(["umount", str(data)], capture_output=True).returncode != 0:
        subprocess.run(["umount", "-l", str(data)], check=True)


def avail(path):
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def health(stack):
    r = requests.get(stack.url("/healthz"))
    return r.status_code, r.json()


def test_disk_crossing_the_threshold_mid_run(tmp_path, small_data_dir):
    st = Stack(tmp_path, env={"CALLIN_MIN_FREE_BYTES": str(32 * MIB)}).start()
    try:
        assert st.data == small_data_dir
        token_of(submit(st, files=[("a.pdf", PDF, "application/pdf")]))
        assert health(st)[0] == 200
        assert st.count_requests() == 1 and st.count_blobs() == 1

        # Fill the disk to 16 MiB free: below the threshold.
        filler = os.path.join(small_data_dir, "filler")
        with open(filler, "wb") as f:
            f.write(b"\0" * (avail(small_data_dir) - 16 * MIB))
        assert avail(small_data_dir) < 32 * MIB
        # (a 3 MiB file too: its body is read to the end, never stored)
        for files in ([("b.pdf", PDF + b"more", "application/pdf")], [],
                      [("big.pdf", PDF + b"%" * (3 * MIB), "application/pdf")]):
            r = submit(st, files=files)
            assert r.status_code == 503, r.text[:500]
            assert_styled_not_submitted(r)
            assert r.headers["Retry-After"] == "60"
        assert st.count_requests() == 1 and st.count_blobs() == 1     # nothing stored
        status, h = health(st)
        assert status == 503 and h["failing"] == "disk_space", h
        assert h["checks"]["disk_space"] == "fail" and h["checks"]["store"] == "ok"
        assert h["free_bytes"] < h["min_free_bytes"] == 32 * MIB
        text = requests.get(st.url("/metrics")).text
        assert metric(text, "callin_rejections_total", reason="disk_low") == 3
        assert metric(text, "callin_data_dir_free_bytes") < 32 * MIB
        # Forms and receipts are still served.
        assert requests.get(st.url("/request")).status_code == 200

        # Space freed: submissions are taken again, /healthz passes.
        os.unlink(filler)
        token_of(submit(st, files=[("c.pdf", PDF + b"again", "application/pdf")]))
        assert st.count_requests() == 2 and st.count_blobs() == 2
        status, h = health(st)
        assert status == 200 and h["checks"]["disk_space"] == "ok", h
        text = requests.get(st.url("/metrics")).text
        assert metric(text, "callin_rejections_total", reason="disk_low") == 3
        assert metric(text, "callin_requests_stored_total") == 2
    finally:
        st.stop()


def test_min_free_bytes_zero_turns_the_check_off(tmp_path, small_data_dir):
    st = Stack(tmp_path, env={"CALLIN_MIN_FREE_BYTES": "0"}).start()
    try:
        filler = os.path.join(small_data_dir, "filler")
        with open(filler, "wb") as f:
            f.write(b"\0" * (avail(small_data_dir) - 4 * MIB))
        token_of(submit(st))
        status, h = health(st)
        assert status == 200 and h["checks"]["disk_space"] == "ok", h
    finally:
        st.stop()


def test_min_free_bytes_defaults_to_one_gib(tmp_path, small_data_dir):
    """The default (1 GiB) refuses on a 64 MiB data_dir."""
    st = Stack(tmp_path).start()
    try:
        r = submit(st)
        assert r.status_code == 503
        assert_styled_not_submitted(r)
        status, h = health(st)
        assert status == 503 and h["failing"] == "disk_space"
        assert h["min_free_bytes"] == 1 << 30
        assert st.count_requests() == 0
    finally:
        st.stop()

"""callin-logd asking a real witness written by others, torchwood's
litewitness (tests/tools/litewitness.py, pinned in tests/tools/witness/go.mod),
at each anchor (DESIGN.md section 9, log_witnesses): the anchor checkpoint
and its proofs carry the cosignature, which the Go checker accepts
(`tlogcheck cosig`); the log grows and the witness, which checks our
consistency proof with golang.org/x/mod, cosigns again, also after a
restart (the witness's size learnt again from its 409); a witness that
stalls or is down delays neither sequencing nor the time-stamps, is left
out of that anchor and counted in /metrics; back, it cosigns again.
Everything published is then checked by others' code (log_checks.py).
"""
import http.client
import os
import select
import socket
import subprocess
import sys
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from harness import BUILD, TOP, Stack, wait_for
from test_logd import ORIGIN, Log, tsa  # noqa: F401  (tsa: a fixture)
from tlogcheck import tlogcheck

sys.path.insert(0, os.path.join(TOP, "tests", "tools"))
import litewitness  # noqa: E402

WNAME = "witness.test/w1"


def log_vkey(key):
    """The log key's verifier key (anchor_tool log-vkey: written before
    callin-logd ever ran, as an operator gives it to the witness)."""
    p = subprocess.run([os.path.join(BUILD, "anchor_tool"), "log-vkey", key, ORIGIN],
                       capture_output=True, text=True, check=True)
    return p.stdout.strip()


class Proxy:
    """An HTTP front for the witness that the test switches: "pass"
    forwards to it, "stall" holds the request without answering (stalled
    counts those whose client still waits), down()
    closes the port (connection refused) and up() opens it again."""

    def __init__(self, target):
        self.target, self.mode, self.port = target, "pass", 0
        self.stalled = 0            # requests being held now
        self.release = threading.Event()
        self.httpd = None

    def up(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, fmt, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if proxy.mode == "stall":
                    # Held until released or until the client gives up.
                    proxy.stalled += 1
                    while not proxy.release.is_set():
                        r, _, _ = select.select([self.connection], [], [], 0.05)
                        if r and self.connection.recv(1, socket.MSG_PEEK) == b"":
                            break
                    proxy.stalled -= 1
                    self.close_connection = True
                    return
                c = http.client.HTTPConnection("127.0.0.1", int(proxy.target.rsplit(":", 1)[1]),
                                               timeout=30)
                c.request("POST", self.path, body, {k: v for k, v in self.headers.items()
                                                     if k.lower() != "host"})
                r = c.getresponse()
                out = r.read()
                self.send_response(r.status)
                for k, v in r.getheaders():
                    if k.lower() in ("content-type",):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)
                c.close()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def down(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def stop(self):
        self.release.set()
        self.down()


@pytest.fixture(scope="module")
def bins():
    return litewitness.build(BUILD)


@pytest.fixture
def witness(bins, tmp_path):
    w = litewitness.Witness(bins, tmp_path / "witness", WNAME).start()
    yield w
    w.stop()


def env_for(tsa, url, vkey, timeout=5):
    return {"CALLIN_LOG_ORIGIN": ORIGIN, "CALLIN_TSA_URLS": "one=" + tsa.url,
            "CALLIN_TSA_CA_FILE": str(tsa.ca), "CALLIN_LOG_ANCHOR_INTERVAL": "1",
            "CALLIN_LOG_ANCHOR_TIMEOUT": str(timeout), "CALLIN_LOG_BATCH_MS": "50",
            "CALLIN_LOG_WITNESSES": f"{vkey} {url}"}


def latest(log):
    try:
        return int(log.read("anchors/latest"))
    except FileNotFoundError:
        return 0


def cosigned(log, witness, size):
    """Whether anchors/<size>.checkpoint carries the witness's
    cosignature, as the Go checker sees it."""
    path = os.path.join(log.dir, "anchors", f"{size}.checkpoint")
    n = log.read(f"anchors/{size}.checkpoint").count(f"\u2014 {WNAME} ".encode())
    p = tlogcheck("cosig", witness.vkey, path)
    assert (p.returncode == 0) == (n == 1), (n, p.stderr)
    return n == 1


def witness_size(witness):
    (lg,) = [x for x in witness.logs() if x["origin"] == ORIGIN]
    return lg["size"]


def failures(log):
    for line in log.read(".state/status").decode().splitlines():
        if line.startswith('witness_failures_total{witness="0"} '):
            return int(line.split()[1])
    raise AssertionError("no witness failure counter in the status file")


def test_anchors_are_cosigned_as_the_log_grows_and_after_a_restart(witness, tsa, tmp_path):
    s = Stack(tmp_path)
    log = Log(s, env=env_for(tsa, witness.url, witness.vkey))
    witness.add_log(ORIGIN, log_vkey(log.key))
    try:
        log.queue(3)
        log.start()
        wait_for(lambda: latest(log) == 3, what="the first anchor", timeout=30)
        assert cosigned(log, witness, 3)
        assert witness_size(witness) == 3
        acp = log.read("anchors/3.checkpoint")
        for _, h in log.queued:     # the proofs carry the cosignature
            assert log.read(f"proofs/{h}.tlog-proof").endswith(acp)
        # It grows: the witness takes our consistency proof 3 -> 7.
        log.queue(4)
        wait_for(lambda: latest(log) == 7, what="the second anchor", timeout=30)
        assert cosigned(log, witness, 7) and witness_size(witness) == 7
        # Restarted, logd does not know the witness's size: "old 0", its
        # 409 says 7, and the proof 7 -> 9 follows.
        log.stop()
        log.start()
        log.queue(2)
        wait_for(lambda: latest(log) == 9, what="the anchor after the restart", timeout=30)
        assert cosigned(log, witness, 9) and witness_size(witness) == 9
        assert failures(log) == 0
        assert "logd: witness" not in open(os.path.join(s.run, "logd.log")).read()
        log.stop()
        seen = log.check_others(ca=tsa.ca)
        assert seen["anchors"] == [3, 7, 9] and seen["proofs"] == 9, seen
    finally:
        log.stop()


def test_a_stalled_or_down_witness_delays_nothing_else_and_is_counted(witness, tsa,
                                                                       tmp_path):
    proxy = Proxy(witness.url).up()
    env = env_for(tsa, proxy.url, witness.vkey, timeout=5)
    s = Stack(tmp_path, env=env).start()
    log = Log(s, env=env)
    witness.add_log(ORIGIN, log_vkey(log.key))

    def metrics():
        with urllib.request.urlopen(s.url("/metrics"), timeout=10) as r:
            return r.read().decode()

    try:
        log.queue(2)
        log.start()
        wait_for(lambda: latest(log) == 2, what="the first anchor", timeout=30)
        assert cosigned(log, witness, 2)
        assert 'callin_log_witness_failures_total{witness="0"} 0\n' in metrics()

        # Stalled: the witness holds the request (longer than the 5 s
        # logd gives it).  Sequencing goes on meanwhile, the authority is
        # asked, and the anchor goes out without the cosignature.
        proxy.mode = "stall"
        asked = tsa.requests
        log.queue(2)
        wait_for(lambda: proxy.stalled == 1, what="a request to the stalled witness",
                 timeout=30)
        wait_for(lambda: tsa.requests > asked, what="the authority asked meanwhile")
        log.queue(1)
        wait_for(lambda: log.size() == 5, what="sequencing while the witness stalls")
        assert proxy.stalled == 1 and latest(log) == 2   # logd still waits for it
        wait_for(lambda: latest(log) > 2, what="an anchor without the witness", timeout=30)
        a = latest(log)
        assert a == 4
        assert not cosigned(log, witness, a)
        assert os.path.exists(os.path.join(log.dir, "anchors", f"{a}.one.tsr"))
        wait_for(lambda: failures(log) >= 1, what="the failure counted")
        assert witness_size(witness) == 2

        # Down: connection refused.
        proxy.mode = "pass"
        proxy.release.set()
        proxy.down()
        before = failures(log)
        log.queue(1)
        wait_for(lambda: latest(log) == 6 and failures(log) > before,
                 what="an anchor while the witness is down", timeout=30)
        assert not cosigned(log, witness, 6)
        n = failures(log)
        wait_for(lambda: f'callin_log_witness_failures_total{{witness="0"}} {n}\n'
                 in metrics(), what="the failures in /metrics")

        # Back: the next anchor is cosigned, from the size it last saw (2).
        proxy.up()
        log.queue(1)
        wait_for(lambda: latest(log) == 7, what="an anchor with the witness back", timeout=30)
        assert cosigned(log, witness, 7) and witness_size(witness) == 7
        log.stop()
        seen = log.check_others(ca=tsa.ca)
        assert seen["anchors"][0] == 2 and seen["anchors"][-1] == 7, seen
        assert seen["proofs"] == 7, seen
    finally:
        log.stop()
        proxy.stop()
        s.stop()

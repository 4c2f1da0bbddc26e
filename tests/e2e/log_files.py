"""The transparency log's files as nginx must serve them under /log/
(DESIGN.md section 9), shared by the test of the template nginx
(test_log_static.py) and of the production site (test_nginx_site.py):
make_log_dir() writes a small set of files of each kind, and
check_log_serving() fetches each through a get(path, headers) function and
checks status, body, Content-Type, Cache-Control and CORS, and that a
missing tile's 404 carries no cache header."""
import os

HEX = "ab" * 32
FILES = {
    # path under /log/: (bytes, content type, cache-control)
    "checkpoint": (b"callin.example.gov.uk/log\n5\nAAAA\n\n\xe2\x80\x94 sig\n",
                   "text/plain; charset=utf-8", "no-cache"),
    "log.vkey": (b"callin.example.gov.uk/log+01020304+AQID\n", "text/plain; charset=utf-8",
                 "no-cache"),
    "anchors/latest": (b"5\n", "application/octet-stream", "no-cache"),
    "tile/0/000.p/5": (b"\x01" * 160, "application/octet-stream", None),
    "tile/0/x001/x234/067": (b"\x02" * 8192, "application/octet-stream", None),
    "tile/entries/000.p/5": (b"\x00\x03abc", "application/octet-stream", None),
    "anchors/5.checkpoint": (b"callin.example.gov.uk/log\n5\nAAAA\n\n\xe2\x80\x94 sig\n",
                             "application/octet-stream", None),
    "anchors/5.tsa-one.tsr": (b"\x30\x03\x02\x01\x00", "application/octet-stream", None),
    f"proofs/{HEX}.tlog-proof": (b"c2sp.org/tlog-proof@v1\nindex 3\n\n",
                                 "text/plain; charset=utf-8", None),
    f"proofs/{HEX}.tsr": (b"\x30\x03\x02\x01\x01", "application/octet-stream", None),
    f"proofs/{HEX}.tsa-one.tsr": (b"\x30\x03\x02\x01\x02", "application/octet-stream", None),
}
IMMUTABLE = "public, max-age=31536000, immutable"
HIDDEN = {".state/lock": b"", ".state/status": b"{}\n"}


def make_log_dir(d):
    """Write FILES and HIDDEN under d."""
    for path, body in list({p: v[0] for p, v in FILES.items()}.items()) + list(HIDDEN.items()):
        full = os.path.join(d, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(body)


def check_log_serving(get):
    """get(path, headers) -> (status, headers (lower-case names), body)."""
    for path, (body, ctype, cache) in FILES.items():
        status, h, got = get("/log/" + path, {})
        assert status == 200, (path, status)
        assert got == body, path
        assert h.get("content-type") == ctype, (path, h.get("content-type"))
        assert h.get("cache-control") == (cache or IMMUTABLE), (path, h.get("cache-control"))
        assert h.get("access-control-allow-origin") == "*", path
        assert h.get("x-content-type-options") == "nosniff", path
    # A tile or proof not written yet: 404, never cached, CORS still.
    for path in ("tile/0/001", "tile/entries/001.p/3", "anchors/6.checkpoint",
                 f"proofs/{'cd' * 32}.tlog-proof"):
        status, h, _ = get("/log/" + path, {})
        assert status == 404, (path, status)
        assert "cache-control" not in h, (path, h.get("cache-control"))
        assert h.get("access-control-allow-origin") == "*", path
    # The sequencer's own files and anything else under /log/: not served.
    for path in list(HIDDEN) + ["tile/../.state/status", "proofs/x.txt", "other",
                                "anchors/.hidden"]:
        status, h, got = get("/log/" + path, {})
        assert status == 404, (path, status)
        assert b"{}" not in got

"""nginx serves the transparency log's files (log_dir, default
<data_dir>/log) at /log/ by itself (conf/nginx.conf.in, what scripts/run and
the tests use): the right Content-Type, immutable caching for tiles,
bundles, anchors and proofs but not for their 404s, no-cache for the
checkpoint, the verifier key and anchors/latest, CORS on all, nothing of
log_dir/.state; and with the FastCGI workers stopped it still does, so
FastCGI is never involved.  The production site's copy of the same blocks
is checked by tests/e2e/test_nginx_site.py."""
import os
import urllib.error
import urllib.request

from log_files import check_log_serving, make_log_dir


def fetch(stack, path, headers):
    req = urllib.request.Request(stack.url(path), headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def test_log_files_served_with_their_headers(stack):
    make_log_dir(os.path.join(stack.data, "log"))
    check_log_serving(lambda p, h: fetch(stack, p, h))


def test_log_files_served_without_fastcgi(stack):
    make_log_dir(os.path.join(stack.data, "log"))
    stack.stop_fcgi()
    status, _, _ = fetch(stack, "/", {})
    assert status == 502
    check_log_serving(lambda p, h: fetch(stack, p, h))

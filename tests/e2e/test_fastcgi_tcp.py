"""FastCGI over TCP (DESIGN §10, issue 12 L4): a master on a TCP address
that is not loopback refuses to start without fastcgi_allow_from; with it,
a connection from a peer not in the list is closed before a byte is read,
checked by callin-fcgi for IPv4 and IPv6 alike (IPv4-mapped peers of an
IPv6 socket are their IPv4 address), not by libfcgi."""
import os
import socket
import subprocess

import pytest
import requests

from fcgi_client import Request, params
from harness import (BUILD, Stack, free_port, hidden_fields, multipart_fields, submit,
                     token_of, valid_answers, wait_for)


def start_tcp(st, listen, allow=None):
    """Start st's master on the TCP address listen (fastcgi_allow_from:
    allow, None: unset)."""
    env = dict(st.env(), CALLIN_LISTEN=listen)
    if allow is not None:
        env["CALLIN_FASTCGI_ALLOW_FROM"] = allow
    st.fcgi_log = open(os.path.join(st.run, "fcgi.log"), "ab")
    st.fcgi = subprocess.Popen([os.path.join(BUILD, "callin-fcgi")], env=env,
                               stdout=st.fcgi_log, stderr=subprocess.STDOUT)
    wait_for(lambda: len(st.worker_pids()) >= st.workers or st.fcgi.poll() is not None,
             what="workers")
    assert st.fcgi.poll() is None, st.log()
    return st


def refused_at_start(tmp_path, listen, allow=None):
    """Run a master that must not start; returns its output."""
    st = Stack(tmp_path)
    env = dict(st.env(), CALLIN_LISTEN=listen)
    if allow is not None:
        env["CALLIN_FASTCGI_ALLOW_FROM"] = allow
    r = subprocess.run([os.path.join(BUILD, "callin-fcgi")], env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0, r.stdout + r.stderr
    assert "master: listening" not in r.stdout + r.stderr
    return r.stdout + r.stderr


def answer(addr, method, uri, source=None, body=b"", ctype=""):
    """The worker's raw answer to one request from source, b"" when the
    connection was closed without one."""
    try:
        req = Request(addr, params(method, uri, ctype, len(body) if body else None),
                      source=source)
        if body:
            req.send(body)
        return req.finish()
    except (ConnectionResetError, BrokenPipeError):
        return b""


def post_form(addr, source):
    """A valid form, fetched from source, as (body, content type)."""
    page = answer(addr, "GET", "/request", source=source)
    assert b"<form" in page, page[:300]
    hidden = hidden_fields(page.decode("utf-8", "replace"))
    prepared = requests.Request("POST", "http://x/request",
                                files=multipart_fields(valid_answers(), hidden)).prepare()
    return prepared.body, prepared.headers["Content-Type"]


@pytest.mark.parametrize("listen", ["0.0.0.0:{port}", "[::]:{port}"])
def test_any_address_without_allow_list_refused(tmp_path, listen):
    out = refused_at_start(tmp_path, listen.format(port=free_port()))
    assert "is not a loopback address: set fastcgi_allow_from" in out, out


@pytest.mark.parametrize("bad", ["example.org", "10.0.0.0/8", "[::1]", "127.0.0.1:9000",
                                 "10.0.0.300", "fe80::1%lo", "127.0.0.1;10.0.0.2"])
def test_bad_allow_entries_refused_at_start(tmp_path, bad):
    out = refused_at_start(tmp_path, f"0.0.0.0:{free_port()}", allow=f"127.0.0.1, {bad}")
    assert f'config: fastcgi_allow_from: "{bad}" is not an IPv4 or IPv6 address' in out, out
    # --check-config says so too
    st = Stack(tmp_path / "check")
    r = subprocess.run([os.path.join(BUILD, "callin-fcgi"), "--check-config"],
                       env=dict(st.env(), CALLIN_FASTCGI_ALLOW_FROM=bad),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "fastcgi_allow_from" in r.stderr, r.stderr


def test_allow_list_on_a_unix_socket_refused(tmp_path):
    st = Stack(tmp_path)
    r = subprocess.run([os.path.join(BUILD, "callin-fcgi")],
                       env=dict(st.env(), CALLIN_FASTCGI_ALLOW_FROM="127.0.0.1"),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
    assert "fastcgi_allow_from: only for a TCP listen" in r.stdout + r.stderr
    assert not os.path.exists(st.socket)


def test_loopback_without_list_still_served(tmp_path):
    port = free_port()
    st = start_tcp(Stack(tmp_path), f"127.0.0.1:{port}")
    try:
        assert b"Status: 200" in answer(("127.0.0.1", port), "GET", "/healthz")
    finally:
        st.stop()


def test_peer_not_listed_gets_no_answer_and_nothing_stored(tmp_path):
    """One master, listening on 127.0.0.1 with only 127.0.0.2 allowed: the
    same request is answered from 127.0.0.2 and closed unanswered from
    127.0.0.1, and the refused POST stores nothing."""
    port = free_port()
    addr = ("127.0.0.1", port)
    st = start_tcp(Stack(tmp_path), f"127.0.0.1:{port}", allow="127.0.0.2")
    try:
        workers = set(st.worker_pids())
        assert answer(addr, "GET", "/healthz", source="127.0.0.1") == b""
        assert "closed a FastCGI connection from 127.0.0.1, not in fastcgi_allow_from" in st.log()
        # an allowed peer that sends no request, or garbage, costs no worker
        for junk in (b"", b"GET / HTTP/1.1\r\n\r\n"):
            with socket.create_connection(addr, source_address=("127.0.0.2", 0)) as c:
                c.sendall(junk)
        assert b"Status: 200" in answer(addr, "GET", "/healthz", source="127.0.0.2")
        body, ctype = post_form(addr, "127.0.0.2")
        assert answer(addr, "POST", "/request", "127.0.0.1", body, ctype) == b""
        assert st.count_requests() == 0
        out = answer(addr, "POST", "/request", "127.0.0.2", body, ctype)
        assert b"Status: 303" in out, out[:500]
        assert st.count_requests() == 1
        assert set(st.worker_pids()) == workers          # no worker died on the way
    finally:
        st.stop()


def test_ipv4_and_ipv6_entries_and_mapped_peers(tmp_path):
    """A dual-stack socket on [::] with "127.0.0.2, ::1": ::1 is served
    (IPv6), 127.0.0.2 is served (it arrives as ::ffff:127.0.0.2, an IPv4
    entry matches it), 127.0.0.1 is not."""
    port = free_port()
    st = start_tcp(Stack(tmp_path), f"[::]:{port}", allow="127.0.0.2, ::1")
    try:
        assert b"Status: 200" in answer(("::1", port), "GET", "/healthz")
        assert b"Status: 200" in answer(("127.0.0.2", port), "GET", "/healthz",
                                        source="127.0.0.2")
        assert answer(("127.0.0.1", port), "GET", "/healthz", source="127.0.0.1") == b""
        assert "from 127.0.0.1, not in fastcgi_allow_from" in st.log()
    finally:
        st.stop()


def test_ipv6_peer_refused_when_only_ipv4_listed(tmp_path):
    """libfcgi's FCGI_WEB_SERVER_ADDRS lets every IPv6 peer in; ours does not."""
    port = free_port()
    st = start_tcp(Stack(tmp_path), f"[::1]:{port}", allow="127.0.0.1")
    try:
        assert answer(("::1", port), "GET", "/healthz") == b""
        assert "closed a FastCGI connection from ::1" in st.log()
    finally:
        st.stop()


def test_nginx_on_an_allowed_address_serves_the_site(tmp_path):
    """Behind nginx on TCP with the list set: the whole site works."""
    port = free_port()
    st = Stack(tmp_path)
    start_tcp(st, f"0.0.0.0:{port}", allow="127.0.0.1")
    try:
        st.start_nginx(upstreams=[f"127.0.0.1:{port}"])
        assert requests.get(st.url("/request")).status_code == 200
        token_of(submit(st))
        assert st.count_requests() == 1
    finally:
        st.stop()

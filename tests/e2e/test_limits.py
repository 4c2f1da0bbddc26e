"""Limits that hold against one attacker with many addresses (DESIGN §10):
nginx's per-client limits (an IPv4 address, an IPv6 /64) on POST /request,
POST /verify and POST /confirm/..., its global cap on submissions, each
answered with the styled 429 page and never touching GETs."""
import http.client
import os
import random
import subprocess

import pytest

from harness import Stack

from test_abuse import metric

EMPTY_FORM = {"Content-Type": "multipart/form-data; boundary=x"}
CONFIRM = "/confirm/CIR-AAAA-AAAA/abcdefghijklmnop"


def send(stack, method, path, src, via_header=False):
    """One request to the stack's nginx from client address src: a real
    source address, or (via_header) the address nginx's realip module takes
    from X-Test-Client (this test's config only).  Returns (status, body)."""
    v6 = ":" in src and not via_header
    c = http.client.HTTPConnection("::1" if v6 else "127.0.0.1", stack.port, timeout=30,
                                   source_address=None if via_header else (src, 0))
    headers = dict(EMPTY_FORM) if method == "POST" else {}
    if via_header:
        headers["X-Test-Client"] = src
    c.request(method, path, body=b"" if method == "POST" else None, headers=headers)
    r = c.getresponse()
    body = r.read().decode("utf-8", "replace")
    c.close()
    return r.status, body


def statuses(stack, method, path, src, n, **kw):
    return [send(stack, method, path, src, **kw)[0] for _ in range(n)]


def assert_styled_429(body):
    assert "govuk-template" in body and "Too many requests" in body, body[:500]


def limited_stack(tmp_path, **env):
    return Stack(tmp_path, env={f"CALLIN_{k}": v for k, v in env.items()})


def test_posts_limited_per_ipv4_address_and_gets_never(tmp_path):
    st = limited_stack(tmp_path, SUBMIT_RATE="1r/m", SUBMIT_BURST="2",
                       POST_RATE="1r/m", POST_BURST="2").start()
    try:
        # One request and a burst of two pass, then 429 (1 a minute refills
        # far slower than the test runs).
        codes = statuses(st, "POST", "/request", "127.0.0.2", 5)
        assert 429 not in codes[:3] and codes[3:] == [429, 429], codes
        status, body = send(st, "POST", "/request", "127.0.0.2")
        assert status == 429
        assert_styled_429(body)
        assert 'data-outcome="not-submitted"' in body
        # Another address has a budget of its own; GETs are never counted.
        assert 429 not in statuses(st, "POST", "/request", "127.0.0.3", 3)
        assert statuses(st, "GET", "/request", "127.0.0.2", 5) == [200] * 5
        # The refused POSTs never reached a worker.
        text = send(st, "GET", "/metrics", "127.0.0.1")[1]
        reached = sum(v for s in ("400", "403", "413", "422", "503")
                      if (v := metric(text, "callin_http_requests_total",
                                      route="submit", status=s)))
        assert reached == 6, text

        # POST /verify and POST /confirm/... share a zone of their own.
        codes = statuses(st, "POST", "/verify", "127.0.0.2", 5)
        assert 429 not in codes[:3] and codes[3:] == [429, 429], codes
        status, body = send(st, "POST", CONFIRM, "127.0.0.2")
        assert status == 429
        assert_styled_429(body)
        codes = statuses(st, "POST", CONFIRM, "127.0.0.4", 5)
        assert 429 not in codes[:3] and codes[3:] == [429, 429], codes
        assert 429 not in statuses(st, "GET", CONFIRM, "127.0.0.4", 3)
        assert statuses(st, "GET", "/verify", "127.0.0.4", 3) == [200] * 3
        assert 429 not in statuses(st, "POST", "/request", "127.0.0.4", 1)
    finally:
        st.stop()


def test_global_cap_on_submissions_holds_over_many_addresses(tmp_path):
    st = limited_stack(tmp_path, GLOBAL_RATE="1r/m", GLOBAL_BURST="4").start()
    try:
        codes = [send(st, "POST", "/request", f"127.0.0.{i}")[0] for i in range(10, 22)]
        assert 429 not in codes[:5] and set(codes[5:]) == {429}, codes
        status, body = send(st, "POST", "/request", "127.0.0.99")
        assert status == 429
        assert_styled_429(body)
        # Only submissions are capped; GETs and other POSTs go on.
        assert 429 not in statuses(st, "POST", "/verify", "127.0.0.99", 3)
        assert statuses(st, "GET", "/request", "127.0.0.99", 3) == [200] * 3
    finally:
        st.stop()


def add_ipv6(addrs):
    """Put addrs (each /64) on lo; False when this machine will not (not
    root, no IPv6)."""
    added = []
    for a in addrs:
        r = subprocess.run(["ip", "-6", "addr", "add", a + "/64", "dev", "lo", "nodad"],
                           capture_output=True)
        if r.returncode != 0:
            del_ipv6(added)
            return False
        added.append(a)
    return True


def del_ipv6(addrs):
    for a in addrs:
        subprocess.run(["ip", "-6", "addr", "del", a + "/64", "dev", "lo"], capture_output=True)


def test_one_ipv6_64_shares_one_budget(tmp_path):
    """Two addresses in one /64 share one budget; an address in another /64
    has its own.  The prefixes hold 0x00 and 0x0a bytes, which the key's
    regular expression must take like any other.  Real addresses on the
    loopback interface when the machine lets us add them (root); otherwise
    the client address comes from a header through nginx's realip module,
    in this test's nginx config only (the key is made the same way)."""
    net = "fd0a:a00:%04x" % random.randrange(1, 0xffff)
    same = [f"{net}:0::a0a:1", f"{net}:0::a0a:2"]
    other = f"{net}:a::1"
    addrs = same + [other]
    real = add_ipv6(addrs)
    st = limited_stack(tmp_path, SUBMIT_RATE="1r/m", SUBMIT_BURST="2",
                       POST_RATE="1r/m", POST_BURST="2")
    st.extra_env["CALLIN_NGINX_SERVER_EXTRA"] = (
        f"listen [::1]:{st.port};" if real else
        "set_real_ip_from 127.0.0.1; real_ip_header X-Test-Client;")
    try:
        st.start()
        kw = {"via_header": not real}
        print("IPv6 clients:", "real addresses on lo" if real else "realip header")
        codes = statuses(st, "POST", "/request", same[0], 3, **kw)
        assert 429 not in codes, codes
        status, body = send(st, "POST", "/request", same[1], **kw)
        assert status == 429, "another address in the /64 must share its budget"
        assert_styled_429(body)
        assert send(st, "POST", "/request", same[0], **kw)[0] == 429
        codes = statuses(st, "POST", "/request", other, 4, **kw)
        assert 429 not in codes[:3] and codes[3] == 429, codes
        # The confirm links are keyed the same way.
        assert 429 not in statuses(st, "POST", CONFIRM, same[1], 3, **kw)
        assert send(st, "POST", CONFIRM, same[0], **kw)[0] == 429
        assert send(st, "GET", "/request", same[1], **kw)[0] == 200
        # IPv4 addresses are still told apart one by one.
        assert 429 not in statuses(st, "POST", "/request", "127.0.0.2", 3, **kw)
        assert 429 not in statuses(st, "POST", "/request", "127.0.0.3", 3, **kw)
    finally:
        st.stop()
        if real:
            del_ipv6(addrs)

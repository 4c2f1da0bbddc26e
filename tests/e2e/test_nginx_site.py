"""The production nginx site (conf/nginx-site.conf) itself, run by real
nginx: its paths and ports swapped for a temp folder's (every swap checked,
so the test breaks if the file changes shape), a self-signed certificate
made with the openssl CLI, and a callin-fcgi stack behind it.  Mozilla
"intermediate" TLS (1.1 refused, 1.2 and 1.3 taken, nothing but the
intermediate ciphers, no session tickets, HSTS), the port-80 redirect to
the configured host whatever Host header is sent, security.txt (RFC 9116),
the site's own rate limit on POST /request, and the transparency log's
files at /log/ (tests/e2e/log_files.py)."""
import datetime
import http.client
import os
import re
import socket
import ssl
import subprocess

import pytest

from harness import TOP, Stack, accepting, free_port, wait_for
from log_files import check_log_serving, make_log_dir

HOST = "callin.example.gov.uk"
SITE = os.path.join(TOP, "conf", "nginx-site.conf")
SECURITY_TXT = os.path.join(TOP, "public", ".well-known", "security.txt")
INTERMEDIATE = {
    "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
    "DHE-RSA-AES128-GCM-SHA256", "DHE-RSA-AES256-GCM-SHA384", "DHE-RSA-CHACHA20-POLY1305",
}


def swap(text, old, new, count=None):
    """text with old replaced by new; fails unless old was there (count
    times, when given)."""
    n = text.count(old)
    assert n > 0 and (count is None or n == count), (old, n)
    return text.replace(old, new)


def render_site(run, cert, key, socket_path, http_port, https_port, log_dir=None):
    with open(SITE) as f:
        site = f.read()
    site = swap(site, "/etc/nginx/callin/", os.path.join(TOP, "conf") + "/")
    site = swap(site, "/etc/ssl/callin/fullchain.pem", cert, 1)
    site = swap(site, "/etc/ssl/callin/privkey.pem", key, 1)
    site = swap(site, "unix:/run/callin/fcgi.sock", "unix:" + socket_path, 1)
    site = swap(site, "/usr/local/share/callin/govuk/",
                os.path.join(TOP, "node_modules", "govuk-frontend", "dist", "govuk") + "/")
    site = swap(site, "/usr/local/share/callin/static/",
                os.path.join(TOP, "src", "pages", "static") + "/", 1)
    site = swap(site, "/usr/local/share/callin/public", os.path.join(TOP, "public"))
    site = swap(site, "/var/log/nginx/callin-access.log", os.path.join(run, "access.log"), 1)
    site = swap(site, "/var/lib/callin-log/", (log_dir or os.path.join(run, "log")) + "/", 5)
    site = swap(site, "listen 80;", f"listen 127.0.0.1:{http_port};", 1)
    site = swap(site, "listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;", 1)
    # One listener per server is enough here (the tests speak IPv4).
    site = swap(site, "listen [::]:80;", "", 1)
    site = swap(site, "listen [::]:443 ssl http2;", "", 1)
    user = "user root;" if os.getuid() == 0 else ""
    return f"""worker_processes 1;
daemon off;
pid {run}/nginx.pid;
error_log stderr warn;
{user}
events {{ worker_connections 256; }}
http {{
	include /etc/nginx/mime.types;
	default_type application/octet-stream;
	access_log off;
	client_body_temp_path {run}/tmp/body;
	fastcgi_temp_path {run}/tmp/fastcgi;
	proxy_temp_path {run}/tmp/proxy;
	uwsgi_temp_path {run}/tmp/uwsgi;
	scgi_temp_path {run}/tmp/scgi;
{site}
}}
"""


class Site:
    def __init__(self, tmp):
        self.run = os.path.join(str(tmp), "site")
        os.makedirs(os.path.join(self.run, "tmp"), exist_ok=True)
        self.cert = os.path.join(self.run, "fullchain.pem")
        self.key = os.path.join(self.run, "privkey.pem")
        # RSA, so that RSA key exchange and CBC suites would be possible if
        # the cipher list let them through.
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                        "-keyout", self.key, "-out", self.cert, "-days", "2",
                        "-subj", f"/CN={HOST}", "-addext", f"subjectAltName=DNS:{HOST}"],
                       check=True, capture_output=True)
        self.stack = Stack(tmp).start()
        self.nginx = None
        try:
            self.start_nginx()
        except BaseException:
            self.stop()
            raise

    def start_nginx(self):
        self.http_port, self.https_port = free_port(), free_port()
        self.conf = os.path.join(self.run, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write(render_site(self.run, self.cert, self.key, self.stack.socket,
                                self.http_port, self.https_port))
        t = subprocess.run(["nginx", "-t", "-p", self.run, "-c", self.conf, "-e", "stderr"],
                           capture_output=True, text=True)
        assert t.returncode == 0, t.stderr
        self.log = open(os.path.join(self.run, "nginx.log"), "ab")
        self.nginx = subprocess.Popen(["nginx", "-p", self.run, "-c", self.conf, "-e", "stderr"],
                                      stdout=self.log, stderr=subprocess.STDOUT)

        wait_for(lambda: accepting(self.https_port), what="the production site's nginx")

    def context(self, version=None, ciphers=None):
        """A client context trusting our certificate, pinned to one TLS
        version (and TLS 1.2 cipher list) when given; security level 0 so
        the client itself would offer old protocols and ciphers."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(self.cert)
        ctx.set_ciphers((ciphers or "DEFAULT") + ":@SECLEVEL=0")
        if version is not None:
            ctx.minimum_version = ctx.maximum_version = version
        return ctx

    def handshake(self, ctx):
        """Connect over TLS; returns (version, cipher, session)."""
        with socket.create_connection(("127.0.0.1", self.https_port), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname=HOST) as s:
                s.sendall(b"GET /.well-known/security.txt HTTP/1.1\r\nHost: " + HOST.encode()
                          + b"\r\nConnection: close\r\n\r\n")
                while s.recv(65536):
                    pass
                return s.version(), s.cipher()[0], s.session

    def https(self, method, path, body=None, headers=None, source="127.0.0.1"):
        c = http.client.HTTPSConnection("127.0.0.1", self.https_port, context=self.context(),
                                        timeout=30, source_address=(source, 0))
        c._context.check_hostname = False      # we connect by address; the cert is checked
        h = {"Host": HOST}
        h.update(headers or {})
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r, data.decode("utf-8", "replace")

    def stop(self):
        if self.nginx is not None and self.nginx.poll() is None:
            self.nginx.terminate()
            self.nginx.wait(timeout=10)
        self.stack.stop()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    s = Site(tmp_path_factory.mktemp("site"))
    yield s
    s.stop()


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1_1 is deprecated")
def test_tls_1_1_refused_by_the_server(site):
    with pytest.raises(ssl.SSLError) as e:
        site.handshake(site.context(ssl.TLSVersion.TLSv1_1))
    # The server's protocol_version alert, not a client that cannot speak 1.1.
    assert "TLSV1_ALERT_PROTOCOL_VERSION" in str(e.value), e.value


def test_tls_1_2_and_1_3_accepted_with_intermediate_ciphers_only(site):
    version, cipher, session = site.handshake(site.context(ssl.TLSVersion.TLSv1_2))
    assert version == "TLSv1.2" and cipher in INTERMEDIATE, (version, cipher)
    assert not session.has_ticket                       # ssl_session_tickets off
    version, cipher, _ = site.handshake(site.context(ssl.TLSVersion.TLSv1_3))
    assert version == "TLSv1.3", version
    # Suites outside the list (CBC, RSA key exchange) are refused even though
    # the certificate would allow them.
    for weak in ("ECDHE-RSA-AES128-SHA", "AES128-GCM-SHA256", "AES256-SHA"):
        with pytest.raises(ssl.SSLError) as e:
            site.handshake(site.context(ssl.TLSVersion.TLSv1_2, weak))
        assert "HANDSHAKE_FAILURE" in str(e.value), (weak, e.value)
    # Every intermediate RSA suite is taken (DHE ones through ssl_dhparam).
    for c in sorted(x for x in INTERMEDIATE if "ECDSA" not in x):
        assert site.handshake(site.context(ssl.TLSVersion.TLSv1_2, c))[1] == c


def test_https_pages_carry_hsts_and_the_service_answers(site):
    r, body = site.https("GET", "/")
    assert r.status == 200, body[:500]
    assert r.getheader("Strict-Transport-Security").startswith("max-age=63072000")
    assert "default-src 'none'" in r.getheader("Content-Security-Policy")


def test_port_80_redirects_to_the_configured_host_whatever_host_is_sent(site):
    for host in (HOST, "evil.example", "evil.example:80", "127.0.0.1"):
        c = http.client.HTTPConnection("127.0.0.1", site.http_port, timeout=10)
        c.putrequest("GET", "/request?x=1", skip_host=True)
        c.putheader("Host", host)
        c.endheaders()
        r = c.getresponse()
        r.read()
        c.close()
        assert r.status == 301, (host, r.status)
        assert r.getheader("Location") == f"https://{HOST}/request?x=1", (host, r.getheader("Location"))


def security_txt_fields(text):
    fields = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            k, _, v = line.partition(":")
            fields.setdefault(k.strip(), []).append(v.strip())
    return fields


def test_security_txt_served_as_text_plain_with_required_fields(site):
    r, body = site.https("GET", "/.well-known/security.txt")
    assert r.status == 200
    assert r.getheader("Content-Type") == "text/plain; charset=utf-8"
    assert r.getheader("Strict-Transport-Security")
    with open(SECURITY_TXT) as f:
        assert body == f.read()
    fields = security_txt_fields(body)
    assert all(c.startswith(("mailto:", "https://")) for c in fields["Contact"])
    assert fields["Preferred-Languages"] == ["en"]
    assert fields["Canonical"] == [f"https://{HOST}/.well-known/security.txt"]
    assert len(fields["Expires"]) == 1


def test_security_txt_has_not_expired_and_expires_within_a_year():
    """Fails once Expires has passed: renew it (RFC 9116 §2.5.5 advises
    less than a year ahead)."""
    with open(SECURITY_TXT) as f:
        (expires,) = security_txt_fields(f.read())["Expires"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", expires), expires
    when = datetime.datetime.fromisoformat(expires.replace("Z", "+00:00"))
    now = datetime.datetime.now(datetime.timezone.utc)
    assert when > now, f"public/.well-known/security.txt expired on {expires}: renew it"
    assert when - now <= datetime.timedelta(days=366), f"Expires {expires} is over a year ahead"


def test_security_txt_served_by_the_test_config_too(shared_stack):
    import requests
    r = requests.get(shared_stack.url("/.well-known/security.txt"))
    assert r.status_code == 200 and r.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert "Expires:" in r.text


def test_site_serves_the_log_files_with_their_headers(site):
    make_log_dir(os.path.join(site.run, "log"))

    def get(path, headers):
        c = http.client.HTTPSConnection("127.0.0.1", site.https_port, context=site.context(),
                                        timeout=30)
        c._context.check_hostname = False
        c.request("GET", path, headers={"Host": HOST, **headers})
        r = c.getresponse()
        body = r.read()
        c.close()
        h = {k.lower(): v for k, v in r.getheaders()}
        assert "strict-transport-security" in h, path
        return r.status, h, body

    check_log_serving(get)


def test_site_limits_post_request_per_address_not_gets(site):
    """The production rates: 10 a minute with a burst of 5 per address."""
    codes = [site.https("POST", "/request", body=b"", source="127.0.0.9",
                        headers={"Content-Type": "multipart/form-data; boundary=x"})[0].status
             for _ in range(8)]
    assert 429 not in codes[:6] and codes[6:] == [429, 429], codes
    r, body = site.https("POST", "/request", body=b"", source="127.0.0.9",
                         headers={"Content-Type": "multipart/form-data; boundary=x"})
    assert r.status == 429 and "Too many requests" in body
    assert 'data-outcome="not-submitted"' in body
    assert site.https("GET", "/request", source="127.0.0.9")[0].status == 200
    assert site.https("POST", "/verify", body=b"", source="127.0.0.9",
                      headers={"Content-Type": "multipart/form-data; boundary=x"})[0].status != 429

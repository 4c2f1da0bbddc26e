#!/usr/bin/python3
"""test_tsa: a real RFC 3161 time-stamp authority FOR TESTS AND DEVELOPMENT
ONLY: `openssl ts -reply` behind a small HTTP handler (RFC 3161 §3.4), with a
CA and TSA certificates made when it starts.  A self-run authority proves
nothing about time to anyone else; production uses independent ones.

As a library (the tests):
    pki = Pki(dir)                      # a CA: pki.ca_crt is a tsa_ca_file
    cert = pki.tsa("tsa")               # P-256 key, critical timeStamping EKU
    cert = pki.tsa("old", not_before=..., not_after=...)   # any validity
    cert = pki.tsa("loose", eku_critical=False)            # openssl ts refuses it
    tsa = TsaServer(cert).start()       # tsa.url; tsa.mode = "ok" | ...
    tsa.stop()

Modes (tsa.mode, or the file <dir>/mode when run as a program, read at each
request):
    ok            the reply openssl ts -reply makes for the query
    content-type  the same reply as application/octet-stream
    http-500      HTTP 500, no reply
    rejection     a real "rejection" TimeStampResp (the query's digest is
                  not one this authority accepts)
    stall         no answer until the server stops (or stall_s seconds)
    replay        the last reply made again (another query's nonce)
    other         a reply to another query over other data

As a program (scripts/run, the e2e harness):
    test_tsa.py serve DIR [--port N] [--mode M] [--root-name CN]
makes DIR/ca.crt (the roots to trust: tsa_ca_file; CN names the root the
first time) and a TSA certificate if they are not there or it expires
within a day, writes "http://127.0.0.1:<port>/" to DIR/url and to stdout,
and serves until killed.
"""
import argparse
import datetime
import http.server
import os
import subprocess
import sys
import threading
from pathlib import Path

OPENSSL = "openssl"
# A test policy OID under the UUID arc 2.25 (no registration needed).
POLICY = "2.25.170141183460469231731687303715884105727"


def _run(*args, cwd=None, data=None):
    p = subprocess.run([OPENSSL, *map(str, args)], cwd=cwd, input=data,
                       capture_output=True)
    if p.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(map(str, args))}: "
                           f"{p.stderr.decode(errors='replace')}")
    return p.stdout


def _asn1(t):
    return t.astimezone(datetime.timezone.utc).strftime("%Y%m%d%H%M%SZ")


CA_CNF = """\
[ ca ]
default_ca = ca_default
[ ca_default ]
dir = {dir}
database = $dir/index.txt
new_certs_dir = $dir/newcerts
serial = $dir/ca.serial
default_md = sha256
policy = policy_any
unique_subject = no
email_in_dn = no
[ policy_any ]
commonName = supplied
[ v3_ca ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ v3_tsa ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = critical, timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ v3_tsa_loose ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
"""

TSA_CNF = """\
oid_section = new_oids
[ new_oids ]
tsa_policy_test = {policy}
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
dir = {dir}
serial = $dir/{name}.tsaserial
crypto_device = builtin
signer_cert = $dir/{name}.crt
certs = $dir/ca.crt
signer_key = $dir/{name}.key
signer_digest = sha256
default_policy = tsa_policy_test
digests = {digests}
accuracy = secs:1
clock_precision_digits = 0
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = {ess}
"""


class TsaCert:
    """A TSA's key, certificate and `openssl ts` configurations."""

    def __init__(self, pki, name):
        self.pki, self.name = pki, name
        self.key = pki.dir / f"{name}.key"
        self.crt = pki.dir / f"{name}.crt"
        self.cnf = pki.dir / f"{name}.tsa.cnf"
        self.reject_cnf = pki.dir / f"{name}.reject.cnf"


class Pki:
    """A test CA in dir (ca.key, ca.crt) that issues TSA certificates."""

    def __init__(self, dir, name="Test TSA Root (tests only)"):
        self.dir = Path(dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.ca_key, self.ca_crt = self.dir / "ca.key", self.dir / "ca.crt"
        self.cnf = self.dir / "ca.cnf"
        if self.ca_crt.exists():
            return
        (self.dir / "newcerts").mkdir(exist_ok=True)
        (self.dir / "index.txt").write_text("")
        (self.dir / "ca.serial").write_text("1000\n")
        self.cnf.write_text(CA_CNF.format(dir=self.dir))
        _run("req", "-x509", "-new", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:P-256", "-nodes", "-keyout", self.ca_key,
             "-out", self.ca_crt, "-days", "3650", "-subj", f"/CN={name}",
             "-config", self.cnf, "-extensions", "v3_ca")

    def tsa(self, name, not_before=None, not_after=None, eku_critical=True,
            ess_cert_id_alg="sha256"):
        """A TSA certificate name, valid from not_before to not_after
        (datetimes; default: an hour ago to a year on), with the timeStamping
        EKU critical or not; its tokens name it by ESSCertIDv2 (sha256), or
        by the older ESSCertID with ess_cert_id_alg="sha1"."""
        c = TsaCert(self, name)
        now = datetime.datetime.now(datetime.timezone.utc)
        nb = not_before or now - datetime.timedelta(hours=1)
        na = not_after or now + datetime.timedelta(days=365)
        csr = self.dir / f"{name}.csr"
        _run("req", "-new", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:P-256", "-nodes", "-keyout", c.key,
             "-out", csr, "-subj", f"/CN=Test TSA {name} (tests only)")
        _run("ca", "-batch", "-notext", "-config", self.cnf, "-cert",
             self.ca_crt, "-keyfile", self.ca_key, "-in", csr, "-out", c.crt,
             "-extensions", "v3_tsa" if eku_critical else "v3_tsa_loose",
             "-startdate", _asn1(nb), "-enddate", _asn1(na))
        (self.dir / f"{name}.tsaserial").write_text("01\n")
        for path, digests in ((c.cnf, "sha256, sha384, sha512"),
                              (c.reject_cnf, "sha512")):
            path.write_text(TSA_CNF.format(policy=POLICY, dir=self.dir,
                                           name=name, digests=digests,
                                           ess=ess_cert_id_alg))
        return c


def reply(cert, query, cnf=None):
    """The DER TimeStampResp `openssl ts -reply` makes for query (DER)."""
    d = cert.pki.dir
    tmp = d / f".{cert.name}.{threading.get_ident()}"
    q, r = tmp.with_suffix(".tsq"), tmp.with_suffix(".tsr")
    q.write_bytes(query)
    _run("ts", "-reply", "-config", cnf or cert.cnf, "-queryfile", q,
         "-out", r)
    out = r.read_bytes()
    q.unlink()
    r.unlink()
    return out


def query(data, cert_req=True):
    """A DER TimeStampReq over data (SHA-256, openssl's random nonce)."""
    args = ["ts", "-query", "-sha256"] + (["-cert"] if cert_req else [])
    p = subprocess.run([OPENSSL, *args], input=data, capture_output=True)
    if p.returncode != 0:
        raise RuntimeError(p.stderr.decode(errors="replace"))
    return p.stdout


class TsaServer:
    """`openssl ts -reply` over HTTP on 127.0.0.1, one request at a time."""

    def __init__(self, cert, port=0, mode="ok", mode_file=None, stall_s=120):
        self.cert, self.mode, self.mode_file = cert, mode, mode_file
        self.stall_s = stall_s
        self.requests = 0
        self.errors = []    # what openssl said when it refused
        self._last = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        srv = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, fmt, *args):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                code, ctype, out = srv._answer(body, self.headers)
                if code is None:
                    self.close_connection = True
                    return
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port),
                                                     Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/"

    def current_mode(self):
        if self.mode_file is not None:
            try:
                return Path(self.mode_file).read_text().strip() or "ok"
            except FileNotFoundError:
                pass
        return self.mode

    def _answer(self, body, headers):
        mode = self.current_mode()
        self.requests += 1
        if mode == "stall":
            self._stop.wait(self.stall_s)
            return None, None, None
        if mode == "http-500":
            return 500, "text/plain", b"the authority is down\n"
        if headers.get("Content-Type") != "application/timestamp-query":
            return 415, "text/plain", b"not application/timestamp-query\n"
        with self._lock:
            try:
                if mode == "replay" and self._last is not None:
                    out = self._last
                elif mode == "other":
                    out = reply(self.cert, query(b"some other checkpoint\n"))
                elif mode == "rejection":
                    out = reply(self.cert, body, self.cert.reject_cnf)
                else:
                    out = reply(self.cert, body)
                    self._last = out
            except RuntimeError as e:   # openssl refused (a bad certificate)
                self.errors.append(str(e))
                return 500, "text/plain", b"openssl ts -reply failed\n"
        ctype = ("application/octet-stream" if mode == "content-type"
                 else "application/timestamp-reply")
        return 200, ctype, out

    def start(self):
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self._stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def main():
    ap = argparse.ArgumentParser(
        description="a local RFC 3161 authority for tests and development "
        "only (openssl ts -reply)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("dir")
    s.add_argument("--port", type=int, default=0)
    s.add_argument("--mode", default="ok")
    s.add_argument("--root-name", default="Test TSA Root (tests only)")
    a = ap.parse_args()
    d = Path(a.dir).resolve()
    pki = Pki(d, name=a.root_name)
    crt = d / "tsa.crt"
    fresh = crt.exists() and subprocess.run(
        [OPENSSL, "x509", "-checkend", "86400", "-noout", "-in", crt],
        capture_output=True).returncode == 0
    cert = TsaCert(pki, "tsa") if fresh else pki.tsa("tsa")
    srv = TsaServer(cert, port=a.port, mode=a.mode, mode_file=d / "mode")
    (d / "url").write_text(srv.url + "\n")
    print(srv.url, flush=True)
    try:
        srv.httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())

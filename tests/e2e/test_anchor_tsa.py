"""RFC 3161 anchors: cl_tsa_request and cl_tsa_verify (src/anchor/) against a
real local authority, `openssl ts -reply` behind HTTP (tests/tools/test_tsa.py)
with a CA and TSA certificates made here, and every good token checked by
`openssl ts -verify` too.

Needs CALLIN_BUILD_DIR (tests/tools/anchor_tool) and the openssl CLI.
"""
import datetime
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

SRC = Path(os.environ.get("CALLIN_SOURCE_DIR", Path(__file__).resolve().parents[2]))
BUILD = Path(os.environ.get("CALLIN_BUILD_DIR", SRC / "build"))
TOOL = BUILD / "anchor_tool"
sys.path.insert(0, str(SRC / "tests" / "tools"))
from test_tsa import Pki, TsaServer, query, reply  # noqa: E402

CHECKPOINT = (b"callin.example.gov.uk/log\n5\n"
              b"QrtXrQZCCvpIgsSmOsah7HdICzMLLyDfxToMql9WTjY=\n")


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def tool(*args):
    p = subprocess.run([str(TOOL), *map(str, args)], capture_output=True, text=True)
    assert p.returncode in (0, 1), p.stderr
    return p.stdout.strip()


def openssl(*args):
    return subprocess.run(["openssl", *map(str, args)], capture_output=True, text=True)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return Pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def good(pki):
    return pki.tsa("good")


@pytest.fixture
def tsa(good):
    s = TsaServer(good).start()
    yield s
    s.stop()


@pytest.fixture
def data(tmp_path):
    p = tmp_path / "checkpoint.body"
    p.write_bytes(CHECKPOINT)
    return p


def request(tsa_url, pki, data, out, timeout_ms=10000):
    return tool("tsa-request", tsa_url, pki.ca_crt, data, timeout_ms, out)


def gen_time(line):
    assert line.startswith("ok genTime="), line
    return int(line.split("=", 1)[1])


def openssl_gen_time(tsr):
    text = openssl("ts", "-reply", "-in", tsr, "-text").stdout
    t = next(ln.split(": ", 1)[1] for ln in text.splitlines()
             if ln.startswith("Time stamp: "))
    return int(datetime.datetime.strptime(t, "%b %d %H:%M:%S %Y %Z")
               .replace(tzinfo=datetime.timezone.utc).timestamp())


def test_good_token_verifies_here_and_with_openssl(tsa, pki, data, tmp_path):
    out = tmp_path / "cp.tsr"
    line = request(tsa.url, pki, data, out)
    t = gen_time(line)
    assert abs(t - time.time()) < 300
    # The reply as stored is what openssl's own verifier accepts, at genTime too.
    v = openssl("ts", "-verify", "-data", data, "-in", out, "-CAfile", pki.ca_crt)
    assert "Verification: OK" in v.stdout, v.stderr
    assert openssl_gen_time(out) == t
    v = openssl("ts", "-verify", "-data", data, "-in", out, "-CAfile", pki.ca_crt,
                "-attime", t)
    assert "Verification: OK" in v.stdout, v.stderr
    # Our verifier, on the reply and on the bare token openssl cuts from it.
    assert tool("tsa-verify", out, data, pki.ca_crt) == f"ok genTime={t}"
    tok = tmp_path / "cp.tst"
    assert openssl("ts", "-reply", "-in", out, "-token_out", "-out", tok).returncode == 0
    assert tool("tsa-verify", "--token", tok, data, pki.ca_crt) == f"ok genTime={t}"
    # certReq: the reply carries the signer's certificate.
    text = openssl("ts", "-reply", "-in", out, "-text").stdout
    assert "Status: Granted." in text and "Nonce: 0x" in text


def test_wrong_nonce_refused(tsa, pki, data, tmp_path):
    assert request(tsa.url, pki, data, tmp_path / "a.tsr").startswith("ok ")
    tsa.mode = "replay"   # the same checkpoint's earlier reply, our old nonce
    assert request(tsa.url, pki, data, tmp_path / "b.tsr") == \
        "EVERIFY: nonce mismatch: a reply to another query"
    assert not (tmp_path / "b.tsr").exists()


def test_reply_to_another_query_refused(tsa, pki, data, tmp_path):
    tsa.mode = "other"
    assert request(tsa.url, pki, data, tmp_path / "b.tsr") == \
        "EVERIFY: message imprint mismatch: the token is over other data"


def test_changed_data_or_token_refused(tsa, pki, data, tmp_path):
    out = tmp_path / "cp.tsr"
    assert request(tsa.url, pki, data, out).startswith("ok ")
    other = tmp_path / "other.body"
    other.write_bytes(CHECKPOINT.replace(b"\n5\n", b"\n6\n"))
    assert tool("tsa-verify", out, other, pki.ca_crt) == \
        "EVERIFY: message imprint mismatch: the token is over other data"
    v = openssl("ts", "-verify", "-data", other, "-in", out, "-CAfile", pki.ca_crt)
    assert "message imprint mismatch" in v.stderr
    # A byte of the signature (the end of the DER) changed.
    der = bytearray(out.read_bytes())
    der[-3] ^= 0x01
    bad = tmp_path / "bad.tsr"
    bad.write_bytes(bytes(der))
    r = tool("tsa-verify", bad, data, pki.ca_crt)
    assert r.startswith("EVERIFY: signature or certificate chain at genTime"), r


def test_expired_certificate_still_verifies_at_its_gentime(pki, data, tmp_path):
    # A certificate that ends a few seconds from now: the token is made while
    # it is valid, then checked after it has expired.
    end = now().replace(microsecond=0) + datetime.timedelta(seconds=4)
    cert = pki.tsa("short", not_after=end)
    s = TsaServer(cert).start()
    try:
        out = tmp_path / "cp.tsr"
        t = gen_time(request(s.url, pki, data, out))
    finally:
        s.stop()
    assert t < end.timestamp(), "the authority answered after its certificate ended"
    while time.time() <= end.timestamp() + 1:
        time.sleep(0.5)
    # Checked now, the certificate has expired...
    v = openssl("ts", "-verify", "-data", data, "-in", out, "-CAfile", pki.ca_crt)
    assert "certificate has expired" in v.stderr
    # ...but the token is good at its own genTime, with openssl and with us.
    v = openssl("ts", "-verify", "-data", data, "-in", out, "-CAfile", pki.ca_crt,
                "-attime", t)
    assert "Verification: OK" in v.stdout, v.stderr
    assert tool("tsa-verify", out, data, pki.ca_crt) == f"ok genTime={t}"


@pytest.mark.parametrize("when,why", [
    ("expired", "certificate has expired"),
    ("future", "certificate is not yet valid"),
])
def test_gentime_outside_certificate_validity_refused(pki, data, tmp_path, when, why):
    day = datetime.timedelta(days=1)
    nb, na = (now() - 2 * day, now() - day) if when == "expired" else \
        (now() + day, now() + 2 * day)
    s = TsaServer(pki.tsa(f"cert-{when}", not_before=nb, not_after=na)).start()
    try:
        r = request(s.url, pki, data, tmp_path / "cp.tsr")
        assert r == ("EVERIFY: signature or certificate chain at genTime: "
                     f"certificate verify error (Verify error:{why})"), r
        assert not (tmp_path / "cp.tsr").exists()
        # The same reply, checked at its genTime by openssl, fails alike.
        tsr = tmp_path / "direct.tsr"
        tsr.write_bytes(reply(s.cert, query(data.read_bytes())))
        t = openssl_gen_time(tsr)
        v = openssl("ts", "-verify", "-data", data, "-in", tsr, "-CAfile", pki.ca_crt,
                    "-attime", t)
        assert why in v.stderr
        assert tool("tsa-verify", tsr, data, pki.ca_crt).startswith("EVERIFY: ")
    finally:
        s.stop()


def test_authority_of_another_root_refused(pki, data, tmp_path):
    other = Pki(tmp_path / "other-ca", name="Another Root")
    s = TsaServer(other.tsa("stranger")).start()
    try:
        r = request(s.url, pki, data, tmp_path / "cp.tsr")
        assert r.startswith("EVERIFY: signature or certificate chain at genTime"), r
        # The reply carries its own root (certs = ca.crt), which we do not trust.
        assert "self-signed certificate in certificate chain" in r
    finally:
        s.stop()


def test_non_critical_eku_refused(pki, good, data, tmp_path):
    loose = pki.tsa("loose", eku_critical=False)
    # openssl's authority will not sign with it...
    s = TsaServer(loose).start()
    try:
        assert request(s.url, pki, data, tmp_path / "cp.tsr") == \
            f"EUNAVAIL: {s.url}: answered HTTP 500"
        assert "invalid signer certificate purpose" in s.errors[0]
    finally:
        s.stop()
    # ...so make such a token by hand: a good token's TSTInfo signed again
    # with CMS (CAdES: signingCertificateV2), once by the good certificate
    # (which must pass, or the check below proves nothing) and once by the
    # loose one.
    tsr = tmp_path / "good.tsr"
    tsr.write_bytes(reply(good, query(data.read_bytes())))
    tok, tst = tmp_path / "good.tst", tmp_path / "tstinfo.der"
    assert openssl("ts", "-reply", "-in", tsr, "-token_out", "-out", tok).returncode == 0
    assert openssl("cms", "-verify", "-noverify", "-inform", "DER", "-in", tok,
                   "-binary", "-out", tst).returncode == 0
    results = {}
    for c in (good, loose):
        t = tmp_path / f"{c.name}.resigned"
        p = openssl("cms", "-sign", "-binary", "-nodetach", "-in", tst,
                    "-econtent_type", "id-smime-ct-TSTInfo", "-signer", c.crt,
                    "-inkey", c.key, "-certfile", pki.ca_crt, "-md", "sha256",
                    "-cades", "-nosmimecap", "-outform", "DER", "-out", t)
        assert p.returncode == 0, p.stderr
        results[c.name] = tool("tsa-verify", "--token", t, data, pki.ca_crt)
    assert results["good"].startswith("ok genTime=")
    assert results["loose"] == ("EVERIFY: signature or certificate chain at genTime: "
                                "certificate verify error (Verify error:unsuitable "
                                "certificate purpose)")


def test_esscertid_v1_only_refused(pki, data, tmp_path):
    # openssl accepts a token that names its signer by the SHA-1 ESSCertID;
    # we ask for ESSCertIDv2 (RFC 5816).
    v1 = pki.tsa("essv1", ess_cert_id_alg="sha1")
    tsr = tmp_path / "v1.tsr"
    tsr.write_bytes(reply(v1, query(data.read_bytes())))
    v = openssl("ts", "-verify", "-data", data, "-in", tsr, "-CAfile", pki.ca_crt)
    assert "Verification: OK" in v.stdout, v.stderr
    r = tool("tsa-verify", tsr, data, pki.ca_crt)
    assert r.startswith("EVERIFY: ESSCertIDv2: no signingCertificateV2 attribute"), r


@pytest.mark.parametrize("mode,why", [
    ("content-type", 'answered Content-Type "application/octet-stream", '
     "not application/timestamp-reply"),
    ("http-500", "answered HTTP 500"),
])
def test_authority_answering_otherwise_is_unavailable(tsa, pki, data, tmp_path, mode, why):
    tsa.mode = mode
    assert request(tsa.url, pki, data, tmp_path / "cp.tsr") == f"EUNAVAIL: {tsa.url}: {why}"


def test_authority_rejecting_is_unavailable(tsa, pki, data, tmp_path):
    tsa.mode = "rejection"
    assert request(tsa.url, pki, data, tmp_path / "cp.tsr") == (
        'EUNAVAIL: status rejection ("Message digest algorithm is not supported."), '
        "failInfo 0x1")


def test_authority_down_is_unavailable(pki, data, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]     # closed again: nothing listens there
    url = f"http://127.0.0.1:{port}/"
    r = request(url, pki, data, tmp_path / "cp.tsr")
    assert r.startswith(f"EUNAVAIL: {url}: ") and "onnect" in r, r
    assert request("ftp://127.0.0.1/", pki, data, tmp_path / "cp.tsr") == \
        "EUNAVAIL: ftp://127.0.0.1/: not an http:// or https:// URL"


def test_stalled_authority_times_out(tsa, pki, data, tmp_path):
    tsa.mode = "stall"    # holds the connection for two minutes
    t0 = time.monotonic()
    r = request(tsa.url, pki, data, tmp_path / "cp.tsr", timeout_ms=1000)
    took = time.monotonic() - t0
    assert r.startswith(f"EUNAVAIL: {tsa.url}: Operation timed out after"), r
    assert took < 60, f"the 1 s limit was not honoured: {took:.1f} s"
    assert tsa.requests == 1


def test_unreadable_input_and_roots(tsa, pki, data, tmp_path):
    out = tmp_path / "cp.tsr"
    assert request(tsa.url, pki, data, out).startswith("ok ")
    der = out.read_bytes()
    cases = {"garbage": b"not DER at all", "truncated": der[:-1], "trailing": der + b"\0",
             "empty": b""}
    for name, body in cases.items():
        p = tmp_path / name
        p.write_bytes(body)
        assert tool("tsa-verify", p, data, pki.ca_crt) == \
            "EPARSE: not a DER TimeStampResp", name
    # A reply is not a bare token, nor the other way round.
    assert tool("tsa-verify", "--token", out, data, pki.ca_crt) == \
        "EPARSE: not a DER TimeStampToken"
    empty = tmp_path / "empty.pem"
    empty.write_text("no certificate here\n")
    for ca in (tmp_path / "missing.pem", empty):
        assert tool("tsa-verify", out, data, ca) == \
            f"ECONFIG: tsa_ca_file: {ca}: cannot be read or holds no PEM certificate"
    # A valid reply that is not granted is refused by the verifier, too.
    rej = tmp_path / "rej.tsr"
    rej.write_bytes(reply(tsa.cert, query(data.read_bytes()), tsa.cert.reject_cnf))
    assert tool("tsa-verify", rej, data, pki.ca_crt).startswith("EVERIFY: status rejection")

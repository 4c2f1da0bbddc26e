"""No secret in a log (DESIGN.md §10): receipt tokens and confirmation
codes never reach nginx's access or error log or the service's log (their
paths are logged as /receipt/… and /confirm/<reference>/…), and passwords
in store or relay URIs never reach a log or an error message.  The whole
run's logs are scanned for every secret the tests used by
tests/e2e/scan_logs.py, which ctest runs after every other e2e suite."""
import os
import re
import subprocess
import uuid

import requests

from harness import BUILD, Stack, remember_secret, submit, token_of

E = "\u2026"


def read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def test_private_paths_are_logged_without_their_secret(tmp_path):
    st = Stack(tmp_path).start()
    try:
        token = token_of(submit(st))
        noted = os.environ.get("CALLIN_TEST_SECRETS")
        if noted:       # under ctest: what scan_logs.py will look for
            assert token in read(noted).split()
        page = requests.get(st.url("/receipt/" + token))
        ref = re.search(r'id="reference">(CIR-[0-9A-Z-]{9})<', page.text).group(1)
        code = remember_secret("A" * 21 + "b")          # a wrong code is a secret too
        for path in (f"/receipt/{token}", f"/receipt/{token}/copy.json",
                     f"/receipt/{token}/receipt.txt?x={token}", f"/receipt/{token}/nope",
                     f"/receipt/{token}/", f"/confirm/{ref}/{code}"):
            requests.get(st.url(path))
        requests.post(st.url(f"/confirm/{ref}/{code}"))
        # With the workers gone nginx writes an error about each request.
        st.stop_fcgi()
        for path in (f"/receipt/{token}", f"/confirm/{ref}/{code}", "/verify"):
            assert requests.get(st.url(path)).status_code == 502
    finally:
        st.stop()
    access = read(os.path.join(st.run, "access.log"))
    errors = read(os.path.join(st.run, "nginx.log"))
    service = st.log()
    for log in (access, errors, service):
        assert token not in log and code not in log
    # The lines are there, redacted.
    assert f'"uri":"/receipt/{E}"' in access
    assert f'"uri":"/receipt/{E}/copy.json"' in access
    assert f'"uri":"/receipt/{E}/receipt.txt"' in access
    assert f'"uri":"/receipt/{E}/{E}"' in access
    assert f'"uri":"/confirm/{ref}/{E}"' in access
    assert f"GET /receipt/{E} 200" in service
    assert f"GET /receipt/{E}/copy.json 200" in service
    assert f"POST /confirm/{ref}/{E} 404" in service
    # nginx still reports the failure elsewhere, with its request line.
    assert re.search(r'connect\(\) to unix:.* failed .*request: "GET /verify', errors), errors


def run_with(tmp_path, program, **env):
    e = dict(os.environ)
    e.update({"CALLIN_DATA_DIR": str(tmp_path), "ASAN_OPTIONS": "detect_leaks=1",
              "MONGOC_DISABLE_SHM": "1"})
    e.update({"CALLIN_" + k.upper(): v for k, v in env.items()})
    p = subprocess.run([os.path.join(BUILD, program), *(["--once"] if program ==
                        "callin-mailer" else [])], env=e, capture_output=True, text=True,
                       timeout=60)
    with open(os.path.join(tmp_path, f"{program}-{uuid.uuid4().hex}.log"), "w") as f:
        f.write(p.stdout + p.stderr)        # for scan_logs.py
    return p.returncode, p.stdout + p.stderr


def test_passwords_in_uris_are_never_logged(tmp_path):
    pw = remember_secret("Pw-" + uuid.uuid4().hex)
    # A store URI the config refuses, and one that cannot be reached.
    rc, out = run_with(tmp_path, "callin-fcgi", store=f"mongodbx://callin:{pw}@db1/callin",
                       listen=str(tmp_path / "s.sock"))
    assert rc != 0 and "config: store:" in out and f"mongodbx://callin:{E}@db1/callin" in out
    rc, out = run_with(tmp_path, "callin-mailer",
                       store=f"mongodb://callin:{pw}@127.0.0.1:1/callin"
                             "?serverSelectionTimeoutMS=300&connectTimeoutMS=300")
    assert rc != 0 and out
    # A relay URI the config refuses, and one with a password that cannot be reached.
    rc, out = run_with(tmp_path, "callin-mailer", smtp_url=f"smtpx://relay:{pw}@mail.example")
    assert rc != 0 and f"smtpx://relay:{E}@mail.example" in out
    for name in os.listdir(tmp_path):
        if name.endswith(".log"):
            assert pw not in read(os.path.join(tmp_path, name)), name

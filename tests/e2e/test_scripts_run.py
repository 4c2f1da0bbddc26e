"""scripts/run as a person uses it: it serves the form on the given port, a
submitted request lands on its confirmation, both emails reach the local
sink under the data folder, and SIGTERM stops everything."""
import glob
import os
import signal
import subprocess

import requests

from harness import TOP, free_port, hidden_fields, multipart_fields, valid_answers, wait_for


def test_scripts_run_serves_and_mails(tmp_path):
    port, sink = free_port(), free_port()
    data = tmp_path / "var"
    env = dict(os.environ, CALLIN_PORT=str(port), CALLIN_DATA_DIR=str(data),
               CALLIN_SINK_PORT=str(sink), CALLIN_WORKERS="2", CALLIN_MAIL_POLL_MS="100")
    env.pop("CALLIN_SMTP_URL", None)
    log = open(tmp_path / "run.log", "wb")
    p = subprocess.Popen([os.path.join(TOP, "scripts", "run")], env=env, stdout=log,
                         stderr=subprocess.STDOUT, start_new_session=True)
    try:
        def up():
            try:
                return requests.get(f"http://127.0.0.1:{port}/", timeout=1).status_code == 200
            except requests.RequestException:
                return False
        wait_for(up, timeout=600, what="scripts/run to serve")
        s = requests.Session()
        page = s.get(f"http://127.0.0.1:{port}/request").text
        parts = multipart_fields(valid_answers(), hidden_fields(page))
        parts.append(("attachments", ("notes.txt", b"meeting notes\n", "text/plain")))
        r = s.post(f"http://127.0.0.1:{port}/request", files=parts)
        assert r.status_code == 200 and "Request sent" in r.text
        wait_for(lambda: len(glob.glob(str(data / "mail" / "*.eml"))) == 2, timeout=30,
                 what="two messages in the sink")
        mails = [open(f, "rb").read() for f in glob.glob(str(data / "mail" / "*.eml"))]
        assert any(b"New call-in request CIR-" in m for m in mails)
        assert any(b"alex@example.org" in m.split(b"\r\n\r\n")[0] for m in mails)
    finally:
        os.kill(p.pid, signal.SIGTERM)          # the script alone: it stops the rest
        p.wait(timeout=60)
    assert not os.path.exists(data / "run" / "fcgi.sock")
    leftovers = subprocess.run(["pgrep", "-f", str(data)], capture_output=True, text=True).stdout
    assert leftovers.strip() == "", leftovers

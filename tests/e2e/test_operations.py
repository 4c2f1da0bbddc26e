"""Operations: metrics, health, reload under load, recycling, crash-loop
backoff, and two masters behind one nginx upstream."""
import os
import re
import signal
import subprocess
import time

import requests

from harness import (BUILD, TOP, Stack, mint_forms, new_form, submit, token_of, wait_for)


def metric(text, name, **labels):
    sel = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pat = re.escape(name + ("{" + sel + "}" if sel else "")) + r" (\S+)"
    m = re.search("^" + pat + "$", text, re.M)
    return float(m.group(1)) if m else None


def test_metrics_count_requests_rejections_and_restarts(stack):
    token_of(submit(stack, files=[("a.txt", b"evidence\n" * 10, "text/plain")]))
    s, hidden = new_form(stack)
    hidden["csrf_token"] = "forged"
    submit(stack, hidden=hidden, session=s)
    submit(stack, answers={"full_name": "x"})
    os.kill(stack.worker_pids()[0], signal.SIGKILL)
    wait_for(lambda: len(stack.worker_pids()) == 2, what="replacement")
    time.sleep(0.3)
    text = requests.get(stack.url("/metrics")).text
    assert metric(text, "callin_requests_stored_total") == 1
    assert metric(text, "callin_upload_bytes_total") == 90
    assert metric(text, "callin_rejections_total", reason="forgery") == 1
    assert metric(text, "callin_rejections_total", reason="invalid") == 1
    assert metric(text, "callin_worker_restarts_total") == 1
    assert metric(text, "callin_http_requests_total", route="submit", status="303") == 1
    assert metric(text, "callin_http_requests_total", route="form", status="200") >= 3
    assert metric(text, "callin_http_request_duration_seconds_count", route="submit") == 3
    assert metric(text, "callin_http_request_duration_seconds_bucket", route="submit", le="+Inf") == 3
    h = requests.get(stack.url("/healthz"))
    assert h.status_code == 200 and h.json()["status"] == "ok"


def wrk(url, seconds, script=None, env=None):
    cmd = ["wrk", "-t2", "-c16", f"-d{seconds}s", url]
    if script:
        cmd[1:1] = ["-s", script]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env)


def wrk_result(p):
    out = p.communicate(timeout=120)[0]
    n = int(re.search(r"(\d+) requests in", out).group(1))
    return n, out


def test_reload_under_load_drops_nothing(stack):
    forms = mint_forms(stack, 40000, os.path.join(stack.tmp, "forms.txt"))
    env = dict(os.environ, CALLIN_FORMS=forms, CALLIN_FORMS_STRIDE="2")
    before = set(stack.worker_pids())
    gets = wrk(stack.url("/request"), 8)
    posts = wrk(stack.url("/"), 8, os.path.join(TOP, "tests", "bench", "post_request.lua"), env)
    for _ in range(3):
        time.sleep(2)
        stack.fcgi.send_signal(signal.SIGHUP)
    n_get, out_get = wrk_result(gets)
    n_post, out_post = wrk_result(posts)
    for out in (out_get, out_post):
        assert "Non-2xx" not in out and "Socket errors" not in out, out
    assert n_get > 100 and n_post > 50
    # every answered POST was stored; wrk stops with up to 16 in flight,
    # which the workers still finish and store
    assert n_post <= stack.count_requests() <= n_post + 16
    # the workers were replaced; the last old ones drain within seconds
    wait_for(lambda: len(stack.worker_pids()) == 2 and not set(stack.worker_pids()) & before,
             timeout=10, what="the old workers to drain")
    assert stack.log().count("master: reloaded") == 3


def test_bad_config_on_reload_keeps_running(tmp_path):
    conf = tmp_path / "callin.conf"
    conf.write_text("max_files = 10\n")
    st = Stack(tmp_path, env={"CALLIN_CONFIG": str(conf)}).start()
    try:
        before = set(st.worker_pids())
        conf.write_text("max_files = many\n")
        st.fcgi.send_signal(signal.SIGHUP)
        wait_for(lambda: "reload refused" in st.log(), what="the refusal")
        assert "max_files" in st.log().split("reload refused")[1].split("\n")[0]
        assert set(st.worker_pids()) == before           # nothing restarted
        assert requests.get(st.url("/request")).status_code == 200
        conf.write_text("max_files = 1\n")
        st.fcgi.send_signal(signal.SIGHUP)
        wait_for(lambda: "master: reloaded" in st.log(), what="the reload")
        wait_for(lambda: len(st.worker_pids()) == 2 and not set(st.worker_pids()) & before,
                 what="new workers")
        files = [(f"{i}.txt", b"evidence\n", "text/plain") for i in range(2)]
        r = submit(st, files=files)                       # the new limit applies
        assert r.status_code == 422 and "up to 1 files" in r.text
    finally:
        st.stop()


def test_workers_recycle_after_max_requests(tmp_path):
    st = Stack(tmp_path, workers=1, env={"CALLIN_MAX_REQUESTS_PER_WORKER": "5"}).start()
    try:
        first = st.worker_pids()
        for _ in range(12):
            assert requests.get(st.url("/request")).status_code == 200
        wait_for(lambda: (lambda pids: bool(pids) and pids != first)(st.worker_pids()),
                 what="a recycled worker")
        assert "recycling after 5 requests" in st.log()
    finally:
        st.stop()


def test_crash_loop_backs_off(tmp_path):
    st = Stack(tmp_path, workers=1, env={"CALLIN_STORE": "sqlite:/nonexistent/dir/callin.db"})
    st.fcgi_log = open(os.path.join(st.run, "fcgi.log"), "ab")
    st.fcgi = subprocess.Popen([os.path.join(BUILD, "callin-fcgi")], env=st.env(),
                               stdout=st.fcgi_log, stderr=subprocess.STDOUT)
    try:
        time.sleep(4)
        deaths = len(re.findall(r"master: worker \d+ exited with 1", st.log()))
        assert 3 <= deaths <= 8, deaths          # 0.1 + 0.2 + 0.4 + 0.8 + 1.6 s ...
        with open(f"/proc/{st.fcgi.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        assert cpu < 1.0, cpu
    finally:
        st.stop_fcgi()


def test_two_masters_behind_one_upstream(tmp_path):
    a = Stack(tmp_path / "a")
    a.start_fcgi()
    b_sock = os.path.join(a.run, "fcgi-b.sock")
    b_env = dict(a.env(), CALLIN_LISTEN=b_sock)
    b_log = open(os.path.join(a.run, "fcgi-b.log"), "ab")
    b = subprocess.Popen([os.path.join(BUILD, "callin-fcgi")], env=b_env, stdout=b_log,
                         stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: os.path.exists(b_sock), what="the second master")
        a.start_nginx(upstreams=[a.socket, b_sock])
        for _ in range(20):
            assert requests.get(a.url("/request")).status_code == 200
        with open(os.path.join(a.run, "fcgi-b.log")) as f:
            b_served = f.read().count("GET /request 200")
        a_served = a.log().count("GET /request 200")
        assert a_served > 0 and b_served > 0, (a_served, b_served)
        tokens = [token_of(submit(a)) for _ in range(4)]
        a.stop_fcgi()                                   # one master goes away
        for _ in range(20):
            assert requests.get(a.url("/request")).status_code == 200
        tokens += [token_of(submit(a)) for _ in range(6)]
        assert len(set(tokens)) == 10
        assert a.count_requests() == 10                 # no POST stored twice
    finally:
        b.send_signal(signal.SIGTERM)
        b.wait(timeout=30)
        a.stop()


def test_outbox_backlog_fails_health_until_mail_is_sent(tmp_path):
    sink_port = __import__("harness").free_port()
    st = Stack(tmp_path, env={"CALLIN_OUTBOX_MAX_AGE": "10",
                              "CALLIN_SMTP_URL": f"smtp://127.0.0.1:{sink_port}"}).start()
    sink = subprocess.Popen(["/usr/bin/python3", os.path.join(TOP, "tests", "tools", "smtp_sink.py"),
                             "--listen", f"127.0.0.1:{sink_port}", "--dir", str(tmp_path / "mail")])
    try:
        token_of(submit(st))
        text = requests.get(st.url("/metrics")).text
        assert metric(text, "callin_outbox_due") == 2
        assert requests.get(st.url("/healthz")).status_code == 200
        time.sleep(11)                               # no mailer: the backlog ages
        h = requests.get(st.url("/healthz"))
        assert h.status_code == 503 and h.json()["failing"] == "outbox"
        assert metric(requests.get(st.url("/metrics")).text, "callin_outbox_oldest_due_seconds") >= 10
        r = subprocess.run([os.path.join(BUILD, "callin-mailer"), "--once"], env=st.env(),
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        # Each worker answers from its last store check for up to a second.
        wait_for(lambda: requests.get(st.url("/healthz")).status_code == 200, timeout=5,
                 what="/healthz to pass once the mail is sent")
        text = requests.get(st.url("/metrics")).text
        assert metric(text, "callin_outbox_due") == 0 and metric(text, "callin_outbox_sent") == 2
    finally:
        sink.terminate()
        sink.wait(timeout=10)
        st.stop()


def test_socket_inherited_on_fd0_from_spawn_fcgi(tmp_path):
    st = Stack(tmp_path)
    st.fcgi_log = open(os.path.join(st.run, "fcgi.log"), "ab")
    st.fcgi = subprocess.Popen(["spawn-fcgi", "-s", st.socket, "-M", "0660", "-n", "--",
                                os.path.join(BUILD, "callin-fcgi")],
                               env=st.env(), stdout=st.fcgi_log, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: len(st.worker_pids()) == 2, what="workers under spawn-fcgi")
        st.start_nginx()
        assert requests.get(st.url("/request")).status_code == 200
        token_of(submit(st))
        assert "using the listening socket on fd 0" in st.log()
    finally:
        st.stop()


def test_example_configuration_is_valid(tmp_path):
    st = Stack(tmp_path)
    keys = os.path.join(st.data, "keys")
    env = dict(st.env(), CALLIN_STORE="sqlite:" + st.db_path,
               CALLIN_SIGNING_KEY_FILE=os.path.join(keys, "signing.pem"),
               CALLIN_PUBLIC_KEYS_DIR=os.path.join(keys, "public"),
               CALLIN_FORM_SECRET_FILE=os.path.join(st.data, "form.secret"))
    r = subprocess.run([os.path.join(BUILD, "callin-fcgi"), "-c",
                        os.path.join(TOP, "conf", "callin.conf.example"), "--check-config"],
                       env=env, capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and "configuration OK" in r.stdout, r.stderr
    bad = tmp_path / "bad.conf"
    bad.write_text(open(os.path.join(TOP, "conf", "callin.conf.example")).read() + "colour = blue\n")
    r = subprocess.run([os.path.join(BUILD, "callin-fcgi"), "-c", str(bad), "--check-config"],
                       env=env, capture_output=True, text=True, timeout=30)
    assert r.returncode == 1 and "colour: unknown setting" in r.stderr

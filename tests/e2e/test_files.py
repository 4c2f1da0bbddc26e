"""Files and processes (DESIGN §10 "Files", issue 12 M3/L9/L12): every
program runs with umask 077, so what the service creates under data_dir is
0600 (folders 0700) even when started with umask 0; keys are made 0600 in a
0700 folder; a public_keys_dir or key file that group or others may write
stops start-up; no program leaves a core dump, and those holding a secret
are not dumpable (no ptrace or /proc/PID/mem for their user either)."""
import grp
import os
import shutil
import signal
import stat
import subprocess
import tempfile

import pytest

from harness import BUILD, Stack, submit, token_of, wait_for

NOBODY = 65534


def proc_field(pid, name):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(name + ":"):
                return line.split(":", 1)[1].split()
    raise AssertionError(f"no {name} in /proc/{pid}/status")


def core_limit(pid):
    """(soft, hard) 'Max core file size' of pid."""
    with open(f"/proc/{pid}/limits") as f:
        for line in f:
            if line.startswith("Max core file size"):
                return tuple(line.split()[4:6])
    raise AssertionError(f"no core limit in /proc/{pid}/limits")


def dumpable(pid):
    """Whether pid (running as a user other than root) is dumpable: the
    kernel gives the files in /proc/PID of a non-dumpable process to root."""
    assert proc_field(pid, "Uid")[1] != "0", "only tells for a non-root process"
    return os.stat(f"/proc/{pid}/status").st_uid != 0


def tree(top):
    out = {}
    for d, dirs, files in os.walk(top):
        for n in dirs + files:
            p = os.path.join(d, n)
            out[p] = os.lstat(p).st_mode
    return out


@pytest.mark.only_store("sqlite", "the files under data_dir are SQLite's; on MongoDB the "
                        "umask is still checked by the /proc test below")
def test_files_the_service_creates_are_private_even_under_umask_0(tmp_path):
    st = Stack(tmp_path)                  # dev-keys, as an operator would
    before = set(tree(st.data))
    old = os.umask(0)                     # the programs must not inherit this
    try:
        st.start_fcgi()
    finally:
        os.umask(old)
    try:
        st.start_nginx()
        token_of(submit(st, files=[("evidence.txt", b"minutes of the meeting\n" * 100,
                                    "text/plain")]))
        for pid in [st.fcgi.pid] + [p for p, _ in st.children()]:
            assert proc_field(pid, "Umask") == ["0077"], pid
        made = {p: m for p, m in tree(st.data).items() if p not in before}
        assert os.path.join(st.data, "callin.db") in made, sorted(made)
        for p, m in made.items():
            # SQLite asks for 0644: the umask takes the group and other bits
            assert stat.S_IMODE(m) & 0o077 == 0, (p, oct(m))
            assert stat.S_IMODE(m) == (0o700 if stat.S_ISDIR(m) else 0o600), (p, oct(m))
    finally:
        st.stop()


def test_keygen_makes_private_files_and_folder(tmp_path):
    old = os.umask(0)
    try:
        r = subprocess.run([os.path.join(BUILD, "callin-keygen"), str(tmp_path / "signing.pem"),
                            str(tmp_path / "public")], capture_output=True, text=True, timeout=30)
    finally:
        os.umask(old)
    assert r.returncode == 0, r.stderr
    kid = r.stdout.strip()
    assert stat.S_IMODE(os.stat(tmp_path / "signing.pem").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "public").st_mode) == 0o700
    assert stat.S_IMODE(os.stat(tmp_path / "public" / f"{kid}.pem").st_mode) == 0o600


def public_key_file(st):
    d = os.path.join(st.data, "keys", "public")
    (name,) = [n for n in os.listdir(d) if n.endswith(".pem")]
    return os.path.join(d, name)


@pytest.mark.parametrize("target,mode,message", [
    ("dir", 0o775, "directory writable by group or others (mode 0775)"),
    ("dir", 0o757, "directory writable by group or others (mode 0757)"),
    ("dir", 0o777, "directory writable by group or others (mode 0777)"),
    ("pub", 0o664, "writable by group or others (mode 0664); chmod 600 it"),
    ("pub", 0o646, "writable by group or others (mode 0646); chmod 600 it"),
    ("priv", 0o640, "private key is readable or writable by group or others (mode 0640)"),
    ("priv", 0o602, "private key is readable or writable by group or others (mode 0602)"),
])
def test_writable_keys_refused_at_start(tmp_path, target, mode, message):
    st = Stack(tmp_path)
    path = {"dir": os.path.join(st.data, "keys", "public"), "pub": public_key_file(st),
            "priv": os.path.join(st.data, "keys", "signing.pem")}[target]
    os.chmod(path, mode)
    r = subprocess.run([os.path.join(BUILD, "callin-fcgi")], env=st.env(),
                       capture_output=True, text=True, timeout=60)
    out = r.stdout + r.stderr
    assert r.returncode == 1, out
    assert message in out and (path in out), out
    assert ("public_keys_dir" if target != "priv" else "signing_key_file") in out
    assert not os.path.exists(st.socket)
    # the same folder with the mode put right starts
    os.chmod(path, {"dir": 0o700, "pub": 0o600, "priv": 0o600}[target])
    r = subprocess.run([os.path.join(BUILD, "callin-fcgi"), "--check-config"], env=st.env(),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr


def test_no_core_dumps_and_not_dumpable(tmp_path):
    """Run as an ordinary user (nobody), so that dumpability shows in
    /proc: the master, its workers and helpers and the mailer have a core
    limit of 0 and are not dumpable; callin-verify (no secret) has the
    limit and stays dumpable, as does any plain process of that user."""
    base = tempfile.mkdtemp(prefix="callin-nobody-", dir="/tmp")
    as_nobody = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--"]
    procs = []
    st = Stack(base)
    try:
        subprocess.run(["chown", "-R", f"{NOBODY}:{NOBODY}", base], check=True)
        st.fcgi_log = open(os.path.join(st.run, "fcgi.log"), "ab")
        st.fcgi = subprocess.Popen(as_nobody + [os.path.join(BUILD, "callin-fcgi")],
                                   env=st.env(), stdout=st.fcgi_log, stderr=subprocess.STDOUT)
        wait_for(lambda: len(st.worker_pids()) >= st.workers and st.helper_pid("signer"),
                 what="workers and the signer")
        # setpriv execs callin-fcgi: st.fcgi.pid is the master
        mailer = subprocess.Popen(as_nobody + [os.path.join(BUILD, "callin-mailer")],
                                  env=dict(st.env(), CALLIN_SMTP_URL="smtp://127.0.0.1:9"),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        verify = subprocess.Popen(as_nobody + [os.path.join(BUILD, "callin-verify"), "--key",
                                               os.path.join(st.data, "keys", "public"), "-"],
                                  stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
        plain = subprocess.Popen(as_nobody + ["sleep", "60"])
        procs = [mailer, verify, plain]
        secret_holders = [st.fcgi.pid] + [p for p, _ in st.children()] + [mailer.pid]
        assert len(secret_holders) >= 4

        def started():                   # setpriv has exec'd each of them
            return all(proc_field(p.pid, "Uid")[1] == str(NOBODY) and
                       os.readlink(f"/proc/{p.pid}/exe") != "/usr/bin/setpriv"
                       for p in procs)
        wait_for(started, what="the programs under setpriv")
        wait_for(lambda: not dumpable(mailer.pid), what="the mailer's start-up")
        for pid in secret_holders:
            assert core_limit(pid) == ("0", "0"), pid
            assert not dumpable(pid), pid
            assert proc_field(pid, "Umask") == ["0077"], pid
        wait_for(lambda: core_limit(verify.pid) == ("0", "0"), what="callin-verify's start-up")
        assert dumpable(verify.pid)
        assert dumpable(plain.pid) and core_limit(plain.pid) != ("0", "0")  # the check can tell
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=30)
        st.stop()
        shutil.rmtree(base, ignore_errors=True)


def test_socket_is_0660_and_of_listen_group(tmp_path):
    """The unix socket: owner and group only, the group listen_group names
    (nginx's); an unknown group, or listen_group with TCP, stops start-up
    (the master's log line is JSON: its quotes are escaped)."""
    group = "www-data" if any(g.gr_name == "www-data" for g in grp.getgrall()) else "nogroup"
    st = Stack(tmp_path, env={"CALLIN_LISTEN_GROUP": group})
    st.start_fcgi()
    try:
        s = os.stat(st.socket)
        assert stat.S_ISSOCK(s.st_mode) and stat.S_IMODE(s.st_mode) == 0o660
        assert s.st_gid == grp.getgrnam(group).gr_gid != os.getgid()
    finally:
        st.stop()
    for env, message in [({"CALLIN_LISTEN_GROUP": "no-such-group-x"},
                          "config: listen_group: no group named \\\"no-such-group-x"),
                         ({"CALLIN_LISTEN_GROUP": group, "CALLIN_LISTEN": "127.0.0.1:9"},
                          "config: listen_group: only for a unix socket")]:
        r = subprocess.run([os.path.join(BUILD, "callin-fcgi")], env=dict(st.env(), **env),
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 1 and message in r.stdout + r.stderr, r.stdout + r.stderr

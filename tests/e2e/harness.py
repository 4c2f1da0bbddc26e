"""A whole service stack for end-to-end tests: real nginx in front of real
callin-fcgi workers (the sanitizer build), started on a free port, on the
store CALLIN_TEST_STORE names: "sqlite" (the default: a file in a temp folder)
or "mongodb" (a database of its own on the server MONGODB_URI names, which
tests/tools/with-docstore starts: FerretDB, or a real MongoDB).  Stopping a
stack fails the test if a sanitizer reported anything.
"""
import base64
import hashlib
import hmac
import html.parser
import os
import re
import signal
import socket
import sqlite3
import subprocess
import time
import uuid

import requests

TOP = os.environ.get("CALLIN_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("CALLIN_BUILD_DIR") or os.path.join(TOP, "build-asan")
STORE = os.environ.get("CALLIN_TEST_STORE", "sqlite")
DOCSTORE_BIN = os.environ.get("CALLIN_DOCSTORE_BIN") or os.path.join(
    TOP, "build-docstore", "docstore")
assert STORE in ("sqlite", "mongodb"), STORE

SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def accepting(port, host="127.0.0.1"):
    """Whether something accepts TCP connections on host:port."""
    try:
        socket.create_connection((host, port), timeout=0.2).close()
        return True
    except OSError:
        return False


def wait_for(predicate, timeout=15.0, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def mongo_uri_for(base, db, options="serverSelectionTimeoutMS=2000"):
    """The MongoDB URI base (mongodb://host[:port][/...]) with database db."""
    m = re.fullmatch(r"(mongodb://[^/?]+)(?:/[^?]*)?(?:\?(.*))?", base)
    assert m, base
    opts = "&".join(o for o in (m.group(2), options) if o)
    return f"{m.group(1)}/{db}" + (f"?{opts}" if opts else "")


class Docstore:
    """A FerretDB of a test's own (build-docstore/docstore) on a fixed free
    port, for tests that kill and restart the server."""

    def __init__(self, tmp):
        self.dir = os.path.join(str(tmp), "docstore")
        os.makedirs(str(tmp), exist_ok=True)
        self.port = free_port()
        self.proc = None

    @property
    def uri(self):
        return f"mongodb://127.0.0.1:{self.port}/"

    def start(self):
        self.log = open(self.dir + ".log", "ab")
        self.proc = subprocess.Popen([DOCSTORE_BIN, "-listen", f"127.0.0.1:{self.port}",
                                      "-dir", self.dir], stdout=subprocess.DEVNULL,
                                     stderr=self.log)

        def up():
            assert self.proc.poll() is None, "FerretDB exited"
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return True
            except OSError:
                return False
        wait_for(up, what="FerretDB")
        return self

    def kill(self, sig=signal.SIGKILL):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=30)

    def stop(self):
        self.kill(signal.SIGTERM)
        with open(self.dir + ".log", "rb") as f:
            log = f.read().decode("utf-8", "replace")
        assert "panic" not in log, f"FerretDB logged a panic:\n{log[-4000:]}"


class Stack:
    """nginx + callin-fcgi on a free port, data under tmp/data, requests in
    the store STORE names (or store="sqlite"/"mongodb"; mongo_base: the
    server, default MONGODB_URI)."""

    def __init__(self, tmp, workers=2, env=None, build=None, store=None, mongo_base=None):
        self.tmp = str(tmp)
        self.data = os.path.join(self.tmp, "data")
        self.run = os.path.join(self.tmp, "run")
        self.socket = os.path.join(self.run, "fcgi.sock")
        self.port = free_port()
        self.workers = workers
        self.extra_env = env or {}
        self.build = build or BUILD         # the programs' build tree
        self.store = store or STORE
        self.mongo_uri = None
        self._mongo = None
        if self.store == "mongodb":
            base = mongo_base or os.environ.get("MONGODB_URI")
            assert base, "CALLIN_TEST_STORE=mongodb needs MONGODB_URI (tests/tools/with-docstore)"
            self.mongo_db = "callin_e2e_" + uuid.uuid4().hex[:12]
            self.mongo_uri = mongo_uri_for(base, self.mongo_db)
        self.fcgi = None
        self.nginx = None
        os.makedirs(self.data, exist_ok=True)
        os.makedirs(self.run, exist_ok=True)
        subprocess.run([os.path.join(TOP, "scripts", "dev-keys"), self.build, self.data],
                       check=True, capture_output=True)

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def url(self, path):
        return self.base + path

    @property
    def db_path(self):
        return os.path.join(self.data, "callin.db")

    @property
    def store_spec(self):
        """What CALLIN_STORE names: the SQLite file or the MongoDB database."""
        return self.mongo_uri or "sqlite:" + self.db_path

    def env(self):
        e = dict(os.environ)
        e.update({
            "CALLIN_DATA_DIR": self.data,
            "CALLIN_LISTEN": self.socket,
            "CALLIN_WORKERS": str(self.workers),
            "CALLIN_PUBLIC_BASE_URL": self.base,
            "ASAN_OPTIONS": "abort_on_error=0:detect_leaks=1",
            "UBSAN_OPTIONS": "print_stacktrace=1",
            "MONGOC_DISABLE_SHM": "1",
            # Tests send many requests from one address: the per-email
            # limit is off unless a test turns it on (tests/e2e/test_abuse.py),
            # as nginx's per-address limit is (start_nginx).
            "CALLIN_MAX_REQUESTS_PER_EMAIL": "0",
        })
        if self.mongo_uri:
            e["CALLIN_STORE"] = self.mongo_uri
        e.update(self.extra_env)
        return e

    def start(self):
        self.start_fcgi()
        self.start_nginx()
        return self

    def start_fcgi(self):
        self.fcgi_log = open(os.path.join(self.run, "fcgi.log"), "ab")
        self.fcgi = subprocess.Popen([os.path.join(self.build, "callin-fcgi")],
                                     env=self.env(), stdout=self.fcgi_log,
                                     stderr=subprocess.STDOUT)
        wait_for(lambda: os.path.exists(self.socket) or self.fcgi.poll() is not None,
                 what="the FastCGI socket")
        assert self.fcgi.poll() is None, self.log()
        wait_for(lambda: len(self.worker_pids()) >= self.workers, what="workers")

    def start_nginx(self, upstreams=None):
        """Start nginx in front of this stack's socket, or of the given list of
        callin-fcgi addresses (several masters behind one upstream)."""
        conf = os.path.join(self.run, "nginx.conf")
        env = self.env()
        env.setdefault("CALLIN_SUBMIT_RATE", "100000r/s")
        env.setdefault("CALLIN_SUBMIT_BURST", "100000")
        for zone in ("GLOBAL", "POST"):
            env.setdefault(f"CALLIN_{zone}_RATE", "100000r/s")
            env.setdefault(f"CALLIN_{zone}_BURST", "100000")
        rendered = subprocess.run([os.path.join(TOP, "scripts", "nginx-conf"), self.run,
                                   str(self.port), ",".join(upstreams or [self.socket])],
                                  env=env, check=True,
                                  capture_output=True, text=True).stdout
        with open(conf, "w") as f:
            f.write(rendered)
        self.nginx_log = open(os.path.join(self.run, "nginx.log"), "ab")
        self.nginx = subprocess.Popen(["nginx", "-p", self.run, "-c", conf, "-e", "stderr"],
                                      stdout=self.nginx_log, stderr=subprocess.STDOUT)

        wait_for(lambda: accepting(self.port), what="nginx")

    def log(self):
        path = os.path.join(self.run, "fcgi.log")
        if not os.path.exists(path):
            return ""
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def children(self):
        """The master's children as (pid, process name) pairs."""
        if self.fcgi is None:
            return []
        out = subprocess.run(["pgrep", "-l", "-P", str(self.fcgi.pid)], capture_output=True,
                             text=True).stdout
        return [(int(p), name) for p, name in (line.split(None, 1) for line in out.splitlines())]

    def worker_pids(self):
        """The workers (the helpers beside them have names of their own)."""
        return [p for p, name in self.children() if name == "callin-fcgi"]

    def helper_pid(self, name):
        """The pid of the helper callin-<name> ("signer", "commit"), or None."""
        pids = [p for p, n in self.children() if n == "callin-" + name]
        return pids[0] if pids else None

    def stop_fcgi(self, sig=signal.SIGTERM, timeout=60):
        if self.fcgi is not None and self.fcgi.poll() is None:
            self.fcgi.send_signal(sig)
            self.fcgi.wait(timeout=timeout)
        return self.fcgi.returncode if self.fcgi else None

    def stop(self):
        if self.nginx is not None and self.nginx.poll() is None:
            self.nginx.send_signal(signal.SIGQUIT)
            try:
                self.nginx.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.nginx.kill()
        self.stop_fcgi()
        if self._mongo is not None:
            self._mongo.close()
            self._mongo = None
        log = self.log()
        for mark in SANITIZER_MARKS:
            assert mark not in log, f"sanitizer report in worker log:\n{log[-6000:]}"

    def db(self):
        """The SQLite database (SQLite stacks only; see mongo())."""
        assert self.store == "sqlite", "db() is the SQLite store's; use mongo()"
        return sqlite3.connect(self.db_path, timeout=10)

    def mongo(self):
        """The stack's MongoDB database (pymongo), on MongoDB stacks."""
        import pymongo
        assert self.mongo_uri, "mongo() is the MongoDB store's; use db()"
        if self._mongo is None:
            self._mongo = pymongo.MongoClient(self.mongo_uri, serverSelectionTimeoutMS=10000)
        return self._mongo[self.mongo_db]

    def delete_request(self, token):
        """Remove the request token (and its outbox state) behind the
        service's back, as an operator's deletion would."""
        if self.mongo_uri:
            assert self.mongo().requests.delete_one({"token": token}).deleted_count == 1
            return
        with self.db() as c:
            c.execute("delete from outbox where request_token = ?", (token,))
            assert c.execute("delete from requests where token = ?", (token,)).rowcount == 1

    def age_request(self, token, seconds):
        """Move the request token's received time seconds into the past
        behind the service's back, as if it had been sent that long ago."""
        if self.mongo_uri:
            r = self.mongo().requests.update_one({"token": token},
                                                 {"$inc": {"received_ms": -seconds * 1000}})
            assert r.modified_count == 1
            return
        import collections
        import bson
        with self.db() as c:
            (raw,) = c.execute("select doc from requests where token = ?", (token,)).fetchone()
            doc = bson.decode(raw, codec_options=bson.CodecOptions(
                document_class=collections.OrderedDict))
            doc["received_ms"] = bson.Int64(doc["received_ms"] - seconds * 1000)
            assert c.execute("update requests set doc = ?, received_ms = ? where token = ?",
                             (bson.encode(doc), doc["received_ms"], token)).rowcount == 1

    def count_requests(self):
        if self.mongo_uri:
            return self.mongo().requests.count_documents({})
        with self.db() as c:
            return c.execute("select count(*) from requests").fetchone()[0]

    def count_blobs(self):
        """Stored attachments, pending or linked (GridFS files on MongoDB)."""
        if self.mongo_uri:
            return self.mongo()["attachments.files"].count_documents({})
        with self.db() as c:
            return c.execute("select count(*) from blobs").fetchone()[0]


class _Inputs(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.hidden = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("type") == "hidden":
            self.hidden[a.get("name")] = a.get("value", "")


def hidden_fields(page):
    p = _Inputs()
    p.feed(page)
    return p.hidden


def valid_answers(**over):
    a = {
        "requester_type": "individual",
        "full_name": "Alex Example",
        "organisation": "",
        "role": "",
        "email": "alex@example.org",
        "phone": "",
        "proposal_title": "Closure of the maternity unit at Example General",
        "commissioner": "icb-surrey-heartlands",
        "services_affected": "Consultant-led maternity services at Example General Hospital.",
        "change_description": "Births would move to a hospital 40 miles away.",
        "proposal_stage": "decision_made",
        "decision_date-day": "12",
        "decision_date-month": "3",
        "decision_date-year": "2026",
        "grounds": ["process", "best_interests"],
        "grounds_statement": "The consultation ran for two weeks over a holiday.",
        "local_resolution": "Wrote to the ICB on 1 April 2026; the reply did not address our concerns.",
        "declaration_accurate": "yes",
        "declaration_sharing": "yes",
    }
    a.update(over)
    return a


def multipart_fields(answers, hidden):
    """Answers and hidden values as a requests 'files' list (multipart parts)."""
    parts = [(k, (None, v)) for k, v in hidden.items()]
    for k, v in answers.items():
        for item in (v if isinstance(v, list) else [v]):
            parts.append((k, (None, item)))
    return parts


def new_form(stack, session=None):
    s = session or requests.Session()
    r = s.get(stack.url("/request"))
    assert r.status_code == 200, r.text
    return s, hidden_fields(r.text)


def submit(stack, answers=None, files=(), hidden=None, session=None):
    """POST the form with answers and files [(filename, bytes, content_type)].
    Returns the response (redirects not followed)."""
    s, h = new_form(stack, session)
    if hidden is not None:
        h = hidden
    parts = multipart_fields(valid_answers() if answers is None else answers, h)
    for name, data, ctype in files:
        parts.append(("attachments", (name, data, ctype)))
    return s.post(stack.url("/request"), files=parts, allow_redirects=False)


def mint_forms(stack, n, path):
    """Write to path n forms for the wrk scripts (tests/bench/forms.lua), one
    "token key" line each: an anti-forgery token signed with the stack's
    form secret, as any host of the service signs one (include/callin/csrf.h),
    and the idempotency key issued with it.  Returns path."""
    with open(os.path.join(stack.data, "form.secret"), "rb") as f:
        secret = f.read()
    issued = int(time.time()).to_bytes(8, "big")
    with open(path, "w") as out:
        for _ in range(n):
            nonce = os.urandom(16)
            mac = hmac.new(secret, b"callin-form-v1" + nonce + issued, hashlib.sha256).digest()
            out.write(f"{b64url(nonce + issued + mac)} {b64url(nonce)}\n")
    return path


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def remember_secret(secret):
    """Note a secret the run used (a receipt token, a confirmation code, a
    password) for tests/e2e/scan_logs.py, which checks that no log the run
    wrote holds one.  ctest names the file (CALLIN_TEST_SECRETS); by hand
    nothing is noted."""
    path = os.environ.get("CALLIN_TEST_SECRETS")
    if path and secret:
        with open(path, "a", encoding="utf-8") as f:
            f.write(secret + "\n")
    return secret


def token_of(response):
    assert response.status_code == 303, (response.status_code, response.text[:2000])
    m = re.fullmatch(r"/receipt/([A-Za-z0-9_-]{22,})", response.headers["Location"])
    assert m, response.headers["Location"]
    return remember_secret(m.group(1))


def unique():
    return uuid.uuid4().hex

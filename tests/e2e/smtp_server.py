"""A real SMTP server for the mail tests: Debian's aiosmtpd, run in this
process on a free port.  It keeps every message it accepts with its
envelope, answers 4xx or 5xx on demand, can be taken down and brought back
on the same port, and speaks STARTTLS (or implicit TLS) with a self-signed
certificate made at test time by the openssl command.

    srv = SmtpServer().start()
    ... srv.url ...                     # smtp://127.0.0.1:PORT
    srv.fail_next(3, "451 4.3.0 Try again later")
    srv.reject_all("554 5.7.1 Rejected")
    srv.stop(); srv.start()              # relay down, then back
    srv.messages                         # [Received(...)], in order
"""
import email
import email.policy
import os
import socket
import ssl
import subprocess
import threading
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_certificate(folder):
    """A self-signed certificate for 127.0.0.1 and localhost: (cert, key)."""
    cert = os.path.join(folder, "smtp-cert.pem")
    key = os.path.join(folder, "smtp-key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "2",
                    "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


class Received:
    """One accepted message: envelope and raw bytes, parsed on demand."""

    def __init__(self, mail_from, rcpt_tos, data, tls, auth, peer=None):
        self.peer = peer            # (host, port) of the client's connection
        self.mail_from = mail_from
        self.rcpt_tos = list(rcpt_tos)
        self.data = data
        self.tls = tls
        self.auth = auth

    @property
    def msg(self):
        return email.message_from_bytes(self.data, policy=email.policy.default)

    @property
    def message_id(self):
        return self.msg["Message-ID"]


class _Handler:
    def __init__(self, server):
        self.server = server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.server._reply_for("RCPT")
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        reply = self.server._reply_for("DATA")
        if reply:
            return reply
        if self.server.delay:
            time.sleep(self.server.delay)
        rec = Received(envelope.mail_from, envelope.rcpt_tos,
                       envelope.original_content or envelope.content,
                       session.ssl is not None or self.server.tls == "implicit",
                       getattr(session, "authenticated", False), session.peer)
        with self.server.lock:
            self.server.messages.append(rec)
        return "250 2.0.0 Message accepted for delivery"


class SmtpServer:
    """aiosmtpd on 127.0.0.1:port.  tls: None, "starttls" (offered, and
    required before MAIL), "starttls-optional", or "implicit" (smtps).
    password: require AUTH with this user/password (only over TLS)."""

    def __init__(self, port=None, tls=None, folder=None, user=None, password=None):
        self.port = port or free_port()
        self.tls = tls
        self.user = user
        self.password = password
        self.messages = []
        self.lock = threading.Lock()
        self.controller = None
        self.delay = 0
        self._replies = []          # [(stage, reply, remaining count or None)]
        self.cert = self.key = None
        if tls:
            self.cert, self.key = make_certificate(folder)

    @property
    def url(self):
        scheme = "smtps" if self.tls == "implicit" else "smtp"
        return f"{scheme}://127.0.0.1:{self.port}"

    def _context(self):
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(self.cert, self.key)
        return ctx

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login == self.user.encode()
              and auth_data.password == self.password.encode())
        return AuthResult(success=ok)

    def start(self):
        params = {}
        kwargs = {}
        if self.tls in ("starttls", "starttls-optional"):
            params["tls_context"] = self._context()
            params["require_starttls"] = self.tls == "starttls"
        elif self.tls == "implicit":
            kwargs["ssl_context"] = self._context()
        if self.user:
            params["authenticator"] = self._authenticate
            params["auth_required"] = True
            params["auth_require_tls"] = True
        self.controller = Controller(_Handler(self), hostname="127.0.0.1",
                                     port=self.port, ready_timeout=10,
                                     server_hostname="localhost", **kwargs, **params)
        self.controller.start()
        return self

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    # Faults -----------------------------------------------------------

    def fail_next(self, count, reply="451 4.3.0 Try again later", stage="DATA"):
        """Answer the next count messages at stage (RCPT or DATA) with reply."""
        with self.lock:
            self._replies.append([stage, reply, count])

    def reject_all(self, reply="554 5.7.1 Message rejected", stage="DATA"):
        with self.lock:
            self._replies.append([stage, reply, None])

    def clear_faults(self):
        with self.lock:
            self._replies = []

    def _reply_for(self, stage):
        with self.lock:
            for r in self._replies:
                if r[0] != stage:
                    continue
                if r[2] is None:
                    return r[1]
                if r[2] > 0:
                    r[2] -= 1
                    return r[1]
        return None

    # Looking at what arrived -------------------------------------------

    def snapshot(self):
        with self.lock:
            return list(self.messages)

    def by_message_id(self):
        out = {}
        for m in self.snapshot():
            out.setdefault(m.message_id, []).append(m)
        return out

    def wait_for(self, count, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if len(self.messages) >= count:
                return self.snapshot()
            time.sleep(0.05)
        raise AssertionError(f"expected {count} messages, got {len(self.messages)}")

#!/usr/bin/python3
"""A local SMTP sink for development (scripts/run starts it): accepts every
message and keeps it as one .eml file under a folder, with its envelope as
Return-Path and Delivered-To lines on top, as a mail delivery agent would.
Nothing is relayed anywhere.

    /usr/bin/python3 tests/tools/smtp_sink.py [--listen 127.0.0.1:2525] [--dir var/mail]

Runs in the foreground until SIGTERM or SIGINT.  Needs Debian's
python3-aiosmtpd (so /usr/bin/python3, not another python3 on PATH).
"""
import argparse
import itertools
import os
import re
import signal
import sys
import threading
import time

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, folder):
        self.folder = folder
        self.seq = itertools.count(1)
        os.makedirs(folder, exist_ok=True)

    def _name(self, data):
        m = re.search(rb"^Message-ID:\s*<([^>\r\n]{1,200})>", data, re.I | re.M)
        mid = m.group(1).decode("ascii", "replace") if m else "no-id"
        mid = re.sub(r"[^A-Za-z0-9._@-]", "_", mid)
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        return f"{stamp}-{os.getpid()}-{next(self.seq):06d}-{mid}.eml"

    async def handle_DATA(self, server, session, envelope):
        data = envelope.original_content or envelope.content
        head = f"Return-Path: <{envelope.mail_from}>\r\n".encode()
        for rcpt in envelope.rcpt_tos:
            head += f"Delivered-To: {rcpt}\r\n".encode()
        name = self._name(data)
        tmp = os.path.join(self.folder, "." + name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(head + data)
            f.flush()
            os.fsync(f.fileno())
        os.rename(tmp, os.path.join(self.folder, name))
        print(f"smtp_sink: kept {name} for {len(envelope.rcpt_tos)} recipient(s)",
              flush=True)
        return "250 2.0.0 Kept"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--listen", default="127.0.0.1:2525", help="HOST:PORT")
    ap.add_argument("--dir", default="var/mail", help="folder for .eml files")
    args = ap.parse_args()
    host, _, port = args.listen.rpartition(":")
    controller = Controller(Sink(args.dir), hostname=host or "127.0.0.1",
                            port=int(port), ready_timeout=10)
    controller.start()
    print(f"smtp_sink: listening on {args.listen}, keeping mail in {args.dir}",
          flush=True)
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    done.wait()
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

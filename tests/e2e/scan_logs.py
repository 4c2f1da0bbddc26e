"""After every e2e suite (ctest runs this last, as the fixture cleanup of
them all): scan every log the run wrote for every secret it used.

Each suite's pytest keeps its temp folders under DIR/<suite>/ (--basetemp)
and notes the receipt tokens, confirmation codes and passwords it used in
DIR/<suite>.secrets (harness.remember_secret).  Every file named *.log
under DIR is a log of ours or nginx's (the FerretDB servers' own logs,
docstore.log, are not: they are the database's).  Fails, naming the file
and the first characters of the secret, when any log holds any secret, and
when secrets were noted but no log of a private page was kept (so it cannot
pass by looking at nothing); passes, saying so, when the suites that ran
noted no secret at all.

usage: scan_logs.py DIR
"""
import os
import re
import sys

RUN = re.compile(rb"[A-Za-z0-9_-]{8,}")


def main(top):
    secrets = set()
    for name in os.listdir(top):
        if name.endswith(".secrets"):
            with open(os.path.join(top, name), encoding="utf-8") as f:
                secrets.update(line.rstrip("\n") for line in f if line.strip())
    plain = {s.encode() for s in secrets if re.fullmatch(r"[A-Za-z0-9_-]{8,}", s)}
    other = [s.encode() for s in secrets if s.encode() not in plain]
    lengths = sorted({len(s) for s in plain})
    logs, size, redacted, found = 0, 0, 0, []
    for root, _, files in os.walk(top):
        for name in files:
            if not name.endswith(".log") or name == "docstore.log":
                continue
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                data = f.read()
            logs += 1
            size += len(data)
            redacted += data.count("/receipt/\u2026".encode())
            hits = {s for s in other if s in data}
            for m in RUN.finditer(data):
                run = m.group(0)
                for n in lengths:
                    hits.update(run[i:i + n] for i in range(len(run) - n + 1)
                                if run[i:i + n] in plain)
            found.extend((path, s) for s in hits)
    print(f"scan_logs: {len(secrets)} secrets ({len(plain)} tokens and codes), "
          f"{logs} logs, {size} bytes, {redacted} redacted receipt paths")
    for path, s in found:
        print(f"scan_logs: {path} holds a secret ({s[:4].decode()}…)")
    if not secrets:
        # e.g. ctest -R test_systemd_units: no suite that uses secrets ran
        # (test_log_secrets checks that noting them works).
        print("scan_logs: the suites that ran noted no secret: nothing to check")
        return 0
    if not logs or not redacted:
        print("scan_logs: secrets noted but no log of a private page: "
              "did the suites keep their logs?")
        return 1
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))

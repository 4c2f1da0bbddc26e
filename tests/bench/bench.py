"""scripts/bench: one run of the service's figures on this machine, printed
as numbers and ratios (never pass/fail; the machine is noisy).  Starts its
own stacks from the optimised build (build/): GET and POST /request against
a bare libfcgi ceiling, a 10 MiB upload, workers' peak RSS, receipt signing
and verifying, callin-mailer's messages/s into a local SMTP sink, and
durable POST /request on the MongoDB backend over FerretDB beside SQLite,
and the transparency log: receipts callin-logd sequences per second, tile
bytes per entry, and the time from the 303 to the proof at 100
submissions/s."""
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from harness import TOP, Docstore, Stack, mint_forms, wait_for  # noqa: E402

import requests  # noqa: E402

BUILD = os.environ["CALLIN_BUILD_DIR"]
SECONDS = os.environ.get("CALLIN_BENCH_SECONDS", "10")
CONNS = os.environ.get("CALLIN_BENCH_CONNECTIONS", "64")
WORKERS = int(os.environ.get("CALLIN_BENCH_WORKERS", "4"))
POST_WORKERS = int(os.environ.get("CALLIN_BENCH_POST_WORKERS", "32"))
MIB = 1024 * 1024


def wrk(url, script=None, env=None, conns=CONNS, seconds=SECONDS):
    cmd = ["wrk", "-t2", f"-c{conns}", f"-d{seconds}s", "--latency", url]
    if script:
        cmd[1:1] = ["-s", os.path.join(TOP, "tests", "bench", script)]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def pct(p):
        m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)\b", out)
        if not m:
            return float("nan")
        v, unit = float(m.group(1)), m.group(2)
        return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errs = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "p50": pct(50), "p99": pct(99), "non2xx": int(bad.group(1)) if bad else 0,
            "errors": errs.group(1) if errs else "none"}


def show(name, r, extra=""):
    print(f"{name:<46} {r['rps']:>9.0f} req/s   p50 {r['p50']:>7.2f} ms   p99 {r['p99']:>7.2f} ms"
          f"   non-2xx/3xx {r['non2xx']}   socket errors {r['errors']}{extra}")


def hwm_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmHWM:\s+(\d+)", f.read()).group(1))


def forms_env(stack, n=200000):
    """The environment for the wrk POST scripts: n forms of the stack's own,
    one per request (tests/bench/forms.lua), shared among wrk's 2 threads."""
    path = mint_forms(stack, n, os.path.join(stack.tmp, "forms.txt"))
    return dict(os.environ, CALLIN_FORMS=path, CALLIN_FORMS_STRIDE="2")


def metric(text, name):
    m = re.search("^" + re.escape(name) + r" (\S+)$", text, re.M)
    return float(m.group(1)) if m else 0.0


def post_run(stack, env):
    """wrk on POST /request (valid, no files).  Returns wrk's figures with
    the number stored, and the committer's batches during the run: (mean
    size, largest, mean commit ms), zeros when there is no committer."""
    def commit_figures():
        t = requests.get(stack.url("/metrics")).text
        return (metric(t, "callin_commit_batch_size_count"), metric(t, "callin_commit_batch_size_sum"),
                metric(t, "callin_commit_batch_size_max"), metric(t, "callin_commit_duration_seconds_sum"))
    before, c0 = stack.count_requests(), commit_figures()
    r = wrk(stack.url("/"), "post_request.lua", env)
    r["stored"] = stack.count_requests() - before
    c1 = commit_figures()
    n = c1[0] - c0[0]
    return r, ((c1[1] - c0[1]) / n if n else 0.0, c1[2], 1000 * (c1[3] - c0[3]) / n if n else 0.0)


def post_figures(tmp):
    """Durable POST /request (valid, no files) through the committer, beside
    the same stack with commits not fsynced (CALLIN_BENCH_SQLITE_SYNC_OFF, a
    bench-only switch, not a setting): the CPU-bound ceiling; at the bench's
    worker count and at POST_WORKERS, where more workers overlap their waits
    for the fsync.  Then the v1 path (each worker commits alone) for
    comparison."""
    print()
    runs = [(WORKERS, "durable", {}), (WORKERS, "synchronous=OFF", {"CALLIN_BENCH_SQLITE_SYNC_OFF": "1"}),
            (POST_WORKERS, "durable", {}),
            (POST_WORKERS, "synchronous=OFF", {"CALLIN_BENCH_SQLITE_SYNC_OFF": "1"}),
            (WORKERS, "v1 per-worker commits", {"CALLIN_BENCH_DIRECT_COMMIT": "1"})]
    durable = {}
    for workers, label, extra in runs:
        st = Stack(os.path.join(tmp, f"post-{workers}-{len(durable)}-{label.split()[0]}"),
                   workers=workers, env=extra).start()
        try:
            r, (mean, biggest, ms) = post_run(st, forms_env(st))
        finally:
            st.stop()
        note = f"   stored {r['stored']}"
        if label != "v1 per-worker commits":
            note += f"   batches mean {mean:.1f}, max {biggest:.0f}, {ms:.2f} ms each"
        if label == "durable":
            durable[workers] = r
        elif label == "synchronous=OFF":
            note += f"   durable is {100 * durable[workers]['rps'] / r['rps']:.0f}% of this"
        else:
            note += f"   the committer ({WORKERS} workers) is {durable[WORKERS]['rps'] / r['rps']:.2f}x this"
        show(f"POST /request, {workers} workers, {label}", r, note)

    # The MongoDB backend on FerretDB (its SQLite storage, one server on
    # this machine): every write j:true, each worker inserting on its own.
    ds = Docstore(os.path.join(tmp, "docstore-post")).start()
    st = Stack(os.path.join(tmp, "post-mongodb"), workers=WORKERS, store="mongodb",
               mongo_base=ds.uri).start()
    try:
        r, _ = post_run(st, forms_env(st))
    finally:
        st.stop()
        ds.stop()
    show(f"POST /request, {WORKERS} workers, MongoDB on FerretDB", r,
         f"   stored {r['stored']}   SQLite durable is {durable[WORKERS]['rps'] / r['rps']:.1f}x this")


def main():
    sys.stdout.reconfigure(line_buffering=True)
    print(f"callin bench: {os.cpu_count()} cores, {WORKERS} workers, wrk {CONNS} connections, {SECONDS} s each\n")
    tmp = tempfile.mkdtemp(prefix="callin-bench-")

    # Ceiling: a bare libfcgi responder behind the same nginx configuration,
    # answering "hello", then a page as large as the form (to tell moving
    # bytes from making them).
    form_bytes = 30000
    results = {}
    for label, size in (("hello", 6), ("form-sized", form_bytes)):
        hello_sock = os.path.join(tmp, f"hello-{size}.sock")
        hello = subprocess.Popen([os.path.join(BUILD, "fcgi-hello"), hello_sock, str(WORKERS), str(size)])
        ceiling_stack = Stack(os.path.join(tmp, f"ceiling-{size}"), workers=WORKERS)
        try:
            wait_for(lambda: os.path.exists(hello_sock), what="fcgi-hello")
            ceiling_stack.start_nginx(upstreams=[hello_sock])
            results[label] = wrk(ceiling_stack.url("/hello"))
            show(f"ceiling: libfcgi {label} ({size} B)", results[label])
        finally:
            ceiling_stack.stop()
            subprocess.run(["pkill", "-f", hello_sock])
            hello.wait(timeout=10)
    ceiling = results["hello"]

    st = Stack(os.path.join(tmp, "service"), workers=WORKERS).start()
    try:
        env = forms_env(st)
        get = wrk(st.url("/request"))
        size = len(requests.get(st.url("/request")).content)
        show(f"GET /request ({size} B)", get, f"   {100 * get['rps'] / ceiling['rps']:.0f}% of hello, "
             f"{100 * get['rps'] / results['form-sized']['rps']:.0f}% of a form-sized hello")

        pids = st.worker_pids()
        hwm0 = {p: hwm_kib(p) for p in pids}
        up_env = dict(env, CALLIN_UPLOAD_BYTES=str(10 * MIB))
        up = wrk(st.url("/"), "upload.lua", up_env, conns="4")
        show("POST /request, one 10 MiB file", up,
             f"   {up['rps'] * 10:.0f} MiB/s")
        hwm1 = {p: hwm_kib(p) for p in pids if os.path.exists(f"/proc/{p}")}
        # One 25 MiB submission (three files) into each worker in turn.
        files = [("a.txt", b"evidence line\n" * (10 * MIB // 14), "text/plain"),
                 ("b.txt", b"evidence line\n" * (10 * MIB // 14), "text/plain"),
                 ("c.txt", b"evidence line\n" * (4 * MIB // 14), "text/plain")]
        from harness import submit
        for _ in range(len(pids)):
            r = submit(st, files=files)
            assert r.status_code == 303, r.status_code
        hwm2 = {p: hwm_kib(p) for p in pids if os.path.exists(f"/proc/{p}")}
        print("\nworker peak RSS (VmHWM, MiB): at start -> after 10 MiB uploads -> after 24 MiB submissions")
        for p in pids:
            if p in hwm2:
                print(f"  worker {p}: {hwm0[p] / 1024:.1f} -> {hwm1[p] / 1024:.1f} -> {hwm2[p] / 1024:.1f}"
                      f"   (growth {(hwm2[p] - hwm0[p]) / 1024:.1f} MiB)")
    finally:
        st.stop()

    post_figures(tmp)

    print()
    out = subprocess.run([os.path.join(BUILD, "receipt_bench")], capture_output=True, text=True)
    for line in out.stdout.splitlines():
        if line.startswith(("sign:", "verify:")):
            print("receipts " + line)
    sp = subprocess.run(["openssl", "speed", "-seconds", "2", "ed25519"], capture_output=True, text=True)
    m = re.search(r"253 bits EdDSA \(Ed25519\)\s+\S+s\s+\S+s\s+([\d.]+)\s+([\d.]+)", sp.stdout)
    if m:
        print(f"openssl speed ed25519 (same core, for comparison): {float(m.group(1)):.0f} sign/s, "
              f"{float(m.group(2)):.0f} verify/s")
    mailer_rate(tmp)
    log_figures(tmp)


LOG_N = int(os.environ.get("CALLIN_BENCH_LOG_N", "100000"))
LOG_RATE = int(os.environ.get("CALLIN_BENCH_LOG_RATE", "100"))
LOG_SECONDS = int(os.environ.get("CALLIN_BENCH_LOG_SECONDS", "10"))


def tile_bytes(logdir):
    """Bytes of every file under logdir/tile (partial tiles included), and
    of the entry bundles among them."""
    total = bundles = 0
    for root, _, files in os.walk(os.path.join(logdir, "tile")):
        n = sum(os.path.getsize(os.path.join(root, f)) for f in files)
        total += n
        if os.sep + "entries" in root:
            bundles += n
    return total, bundles


def log_figures(tmp):
    """callin-logd on SQLite: LOG_N receipts queued through the store API
    (tests/tools/log_queue_tool), then timed from its start until its
    checkpoint holds them all (durable batches of at most 4,096, no
    anchoring); the bytes of its tiles per entry; then the whole stack with
    callin-logd and a local openssl ts authority (log_anchor_interval 1 s,
    log_batch_ms 500) and a client submitting LOG_RATE requests a second
    for LOG_SECONDS s: per request, from its 303 to its
    log_dir/proofs/<hex>.tlog-proof existing (polled every 10 ms; nginx
    serves the file from then on, checked after)."""
    import hashlib
    import threading
    from concurrent.futures import ThreadPoolExecutor
    from harness import submit, token_of
    from test_logd import Log, test_tsa
    print()
    st = Stack(os.path.join(tmp, "logd-drain"))
    log = Log(st, env={"CALLIN_LOG_BATCH_MS": "500"})
    sync_off = dict(log.env, CALLIN_BENCH_SQLITE_SYNC_OFF="1")
    subprocess.run([os.path.join(BUILD, "log_queue_tool"), st.store_spec, "callin.test/log",
                    str(LOG_N)], env=sync_off, check=True, capture_output=True)
    t0 = time.monotonic()
    log.start()
    try:
        wait_for(lambda: log.size() == LOG_N, timeout=600, what="callin-logd to drain the queue")
        dt = time.monotonic() - t0
    finally:
        log.stop()
    total, bundles = tile_bytes(log.dir)
    print(f"callin-logd: {LOG_N / dt:,.0f} receipts sequenced/s ({LOG_N} queued, drained in "
          f"{dt:.2f} s from its start, SQLite, durable)")
    print(f"log tiles: {total / LOG_N:.1f} bytes per entry ({total:,} bytes under tile/ for "
          f"{LOG_N} entries, partial tiles included; entry bundles {bundles / LOG_N:.1f}, "
          f"hash tiles {(total - bundles) / LOG_N:.1f})")

    pki = test_tsa.Pki(os.path.join(tmp, "logd-pki"))
    tsa = test_tsa.TsaServer(pki.tsa("tsa")).start()
    env = {"CALLIN_LOG_ORIGIN": "callin.test/log", "CALLIN_TSA_URLS": "bench=" + tsa.url,
           "CALLIN_TSA_CA_FILE": str(pki.ca_crt), "CALLIN_LOG_ANCHOR_INTERVAL": "1",
           "CALLIN_LOG_BATCH_MS": "500"}
    st = Stack(os.path.join(tmp, "logd-latency"), workers=WORKERS, env=env).start()
    log = Log(st, env=env)
    log.start()
    n = LOG_RATE * LOG_SECONDS
    sent, seen, late, lock = {}, {}, [0], threading.Lock()
    done = threading.Event()

    def one(i):
        t = start + i / LOG_RATE
        pause = t - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        else:
            late[0] += 1
        r = submit(st)
        t303 = time.monotonic()
        token = token_of(r)
        receipt = requests.get(st.url(f"/receipt/{token}/receipt.txt")).content
        with lock:
            sent[hashlib.sha256(receipt).hexdigest()] = t303

    def watch():
        while not done.is_set() or len(seen) < len(sent):
            with lock:
                waiting = [h for h in sent if h not in seen]
            for h in waiting:
                if os.path.exists(os.path.join(log.dir, "proofs", h + ".tlog-proof")):
                    seen[h] = time.monotonic()
            if done.is_set() and time.monotonic() > deadline:
                return
            time.sleep(0.01)
    try:
        start = time.monotonic() + 0.5
        deadline = float("inf")
        watcher = threading.Thread(target=watch)
        watcher.start()
        with ThreadPoolExecutor(32) as pool:
            list(pool.map(one, range(n)))
        rate = n / (max(sent.values()) - start)
        deadline = time.monotonic() + 120
        done.set()
        watcher.join()
        served = sum(requests.head(st.url(f"/log/proofs/{h}.tlog-proof")).status_code == 200
                     for h in seen)
        steady = tile_bytes(log.dir)[0] / log.size()
    finally:
        log.stop()
        st.stop()
        tsa.stop()
    waits = sorted(seen[h] - sent[h] for h in seen)

    def pct(p):
        return waits[min(len(waits) - 1, int(p / 100 * len(waits)))] if waits else float("nan")
    print(f"303 to proof available at {LOG_RATE} submissions/s (achieved {rate:.0f}/s, {late[0]} "
          f"sent late): p50 {pct(50):.2f} s, p99 {pct(99):.2f} s, max {pct(100):.2f} s over "
          f"{len(waits)} of {n} requests ({served} served 200 by nginx; log_batch_ms 500, "
          f"log_anchor_interval 1 s, one local openssl ts authority)")
    print(f"log tiles in that run: {steady:.1f} bytes per entry (a batch every 500 ms rewrites the "
          f"partial tiles it grows; the drain above, in batches of 4,096, is the floor)")


def mailer_rate(tmp):
    """callin-mailer from a SQLite outbox of 1,000 messages into the local
    SMTP sink, as its own log reports it."""
    from harness import free_port
    data = os.path.join(tmp, "mailer")
    os.makedirs(data, exist_ok=True)
    spec = "sqlite:" + os.path.join(data, "callin.db")
    port = free_port()
    subprocess.run([os.path.join(BUILD, "outbox_tool"), spec, "put", "500"], check=True,
                   capture_output=True)
    sink = subprocess.Popen(["/usr/bin/python3", os.path.join(TOP, "tests", "tools", "smtp_sink.py"),
                             "--listen", f"127.0.0.1:{port}", "--dir", os.path.join(data, "mail")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def listening():
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return True
            except OSError:
                return False
        wait_for(listening, what="the sink")
        env = dict(os.environ, CALLIN_STORE=spec, CALLIN_DATA_DIR=data,
                   CALLIN_SMTP_URL=f"smtp://127.0.0.1:{port}", CALLIN_MAIL_BATCH="100")
        r = subprocess.run([os.path.join(BUILD, "callin-mailer"), "--once"], env=env,
                           capture_output=True, text=True, timeout=300)
        m = re.search(r"\(([0-9.]+) messages/s\)", r.stderr)
        print(f"callin-mailer: {float(m.group(1)):.0f} messages/s from the outbox into a local SMTP server"
              if m else "callin-mailer: no figure (" + r.stderr.strip()[-200:] + ")")
    finally:
        sink.terminate()
        sink.wait(timeout=10)

if __name__ == "__main__":
    main()

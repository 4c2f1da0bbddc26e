"""Safe defaults (issue 12 item 6, DESIGN.md §10): the honeypot's decoy
confirmation answers exactly like a real one and keeps nothing; /healthz
asks the store at most once a second per worker; an http:// public base
URL is refused except on loopback; invisible and direction-changing
characters are refused in one-line answers; the private receipt link
expires after receipt_link_days."""
import json
import math
import os
import re
import subprocess
import time

import pytest
import requests

from harness import BUILD, Stack, submit, token_of, valid_answers

RLO = "\u202e"


def outbox_stats(st):
    out = subprocess.run([os.path.join(BUILD, "outbox_tool"), st.store_spec, "stats"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def metric(text, name):
    m = re.search("^" + re.escape(name) + r" (\S+)$", text, re.M)
    assert m, name
    return float(m.group(1))


# The honeypot's decoy ----------------------------------------------------

def page_shape(html, token, doc):
    """The page with what differs between any two requests taken out."""
    out = html.replace(token, "TOKEN")
    out = re.sub(r"CIR-[0-9A-Z]{4}-[0-9A-Z]{4}", "REF", out)
    out = re.sub(r'datetime="[^"]*">[^<]*<', 'datetime="T">T<', out)
    out = re.sub(r'(<pre id="receipt-text">)[^<]*(</pre>)', r"\1RECEIPT\2", out)
    return out


def links(html):
    return re.findall(r'href="([^"]+)"', html)


def receipt_shape(text):
    return [line.split(": ")[0] for line in text.splitlines()]


@pytest.mark.parametrize("origin", ["", "callin.test/log"], ids=["no-log", "log"])
def test_honeypot_decoy_answers_like_a_real_request(tmp_path, origin):
    # With a log the real page promises a proof (callin-logd is not run
    # here, so it stays pending): the decoy's must promise the same.
    st = Stack(tmp_path, env={"CALLIN_LOG_ORIGIN": origin} if origin else None).start()
    try:
        pdf = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
        files = [("evidence.pdf", pdf, "application/pdf")]
        real = submit(st, files=files)
        bot = submit(st, answers=valid_answers(website="http://spam.example"), files=files)
        assert real.status_code == bot.status_code == 303
        assert sorted(real.headers) == sorted(bot.headers)
        tr, tb = token_of(real), token_of(bot)                # the same shape of URL
        assert len(tr) == len(tb) == 22

        pages = {}
        for name, tok in (("real", tr), ("bot", tb)):
            r = requests.get(st.url("/receipt/" + tok))
            assert r.status_code == 200, (name, r.text[:500])
            pages[name] = r
        assert sorted(pages["real"].headers) == sorted(pages["bot"].headers)
        assert pages["real"].headers["Content-Type"] == pages["bot"].headers["Content-Type"]
        assert page_shape(pages["real"].text, tr, None) == page_shape(pages["bot"].text, tb, None)
        ref_bot = re.search(r'id="reference">(CIR-[^<]+)<', pages["bot"].text).group(1)
        # The same page on every visit, from any worker.
        for _ in range(4):
            assert requests.get(st.url("/receipt/" + tb)).text == pages["bot"].text

        # Every link on both pages answers alike.
        lr = [u.replace(tr, "TOKEN") for u in links(pages["real"].text)]
        lb = [u.replace(tb, "TOKEN") for u in links(pages["bot"].text)]
        assert lr == lb and any("receipt.txt" in u for u in lr) and any("copy.json" in u for u in lr)
        site = [u for u in lr if re.match(r"/[^/]", u)]   # not #main-content, not //gov.uk
        assert len(site) >= 4
        for u in site:
            a = requests.get(st.url(u.replace("TOKEN", tr)))
            b = requests.get(st.url(u.replace("TOKEN", tb)))
            assert a.status_code == b.status_code == 200, u
            assert a.headers.get("Content-Type") == b.headers.get("Content-Type"), u
            assert sorted(a.headers) == sorted(b.headers), u
            if "Content-Disposition" in a.headers:
                da = re.sub(r"CIR-[0-9A-Z-]+", "REF", a.headers["Content-Disposition"])
                db = re.sub(r"CIR-[0-9A-Z-]+", "REF", b.headers["Content-Disposition"])
                assert da == db, u
                assert ref_bot in b.headers["Content-Disposition"]
        rr = requests.get(st.url(f"/receipt/{tr}/receipt.txt")).text
        rb = requests.get(st.url(f"/receipt/{tb}/receipt.txt")).text
        assert receipt_shape(rr) == receipt_shape(rb)
        assert len(rr.splitlines()) == (7 if origin else 6)
        assert (f"log: {origin}" in rb.splitlines()) == bool(origin)
        assert ('data-proof="pending"' in pages["bot"].text) == bool(origin)
        key = [line for line in rr.splitlines() if line.startswith("key: ")]
        assert key and key == [line for line in rb.splitlines() if line.startswith("key: ")]
        assert f"reference: {ref_bot}" in rb
        cr = requests.get(st.url(f"/receipt/{tr}/copy.json")).json()
        cb = requests.get(st.url(f"/receipt/{tb}/copy.json")).json()
        assert sorted(cr) == sorted(cb) and sorted(cr["fields"]) == sorted(cb["fields"])
        assert cb["reference"] == ref_bot and cb["format"] == cr["format"]
        # It says nothing: nobody's answers, not even the bot's.
        assert all(v in ("", []) for v in cb["fields"].values()) and cb["attachments"] == []
        assert "Alex Example" not in pages["bot"].text + rb + json.dumps(cb)
        # The service's key does not vouch for it.
        v = requests.post(st.url("/verify"), files=[("receipt", (None, rb))]).text
        assert 'data-verdict="valid"' not in v
        v = requests.post(st.url("/verify"), files=[("receipt", (None, rr))]).text
        assert 'data-verdict="valid"' in v
        # A token that is neither: 404.
        assert requests.get(st.url("/receipt/" + tb[:-2] + ("AA" if tb[-2:] != "AA" else "AQ"))
                            ).status_code == 404

        # Nothing kept, nothing to mail: only the real request and its file.
        assert st.count_requests() == 1 and st.count_blobs() == 1
        assert outbox_stats(st)["due"] == 2                    # the real one's two messages
        assert "honeypot filled; nothing stored" in st.log()

        # The bot's mistakes get the errors anyone's get, not a confirmation.
        bad = submit(st, answers=valid_answers(website="http://spam.example", full_name=""))
        good = submit(st, answers=valid_answers(full_name=""))
        assert bad.status_code == good.status_code == 422
        assert "Enter your full name" in bad.text
        assert st.count_requests() == 1
    finally:
        st.stop()


# /healthz under load -----------------------------------------------------

def test_healthz_asks_the_store_at_most_once_a_second_per_worker(tmp_path):
    """Not timed: whatever the speed, a worker asks the store at most once
    per second it runs, so checks <= workers * (ceil(elapsed) + 1); with 200
    requests the bound is far below 200 unless the machine is very slow."""
    st = Stack(tmp_path, workers=2).start()
    try:
        s = requests.Session()
        before = metric(s.get(st.url("/metrics")).text, "callin_healthz_store_checks_total")
        t0 = time.monotonic()
        for _ in range(200):
            r = s.get(st.url("/healthz"))
            assert r.status_code == 200 and r.json()["checks"]["store"] == "ok"
        elapsed = time.monotonic() - t0
        after = metric(s.get(st.url("/metrics")).text, "callin_healthz_store_checks_total")
        checks = after - before
        assert 1 <= checks <= st.workers * (math.ceil(elapsed) + 1), (checks, elapsed)
        assert elapsed < 60, "too slow to show the cache"
        # A second later the store is asked again.
        time.sleep(1.1)
        s.get(st.url("/healthz"))
        assert metric(s.get(st.url("/metrics")).text, "callin_healthz_store_checks_total") > after
    finally:
        st.stop()


# public_base_url ---------------------------------------------------------

def check_config(st, **over):
    env = dict(st.env(), **{"CALLIN_" + k.upper(): v for k, v in over.items()})
    return subprocess.run([os.path.join(BUILD, "callin-fcgi"), "--check-config"], env=env,
                          capture_output=True, text=True, timeout=30)


def test_http_public_base_url_refused_except_on_loopback(tmp_path):
    st = Stack(tmp_path)
    for url in ["http://callin.example.gov.uk", "http://10.0.0.1:8080/", "http://127.0.0.1.evil.example/",
                "http://localhost@evil.example/", "http://[::2]/", "http://[::ffff:10.0.0.1]/",
                "http://localhostx/"]:
        r = check_config(st, public_base_url=url)
        assert r.returncode == 1, url
        assert "public_base_url" in r.stderr and "must use https://" in r.stderr, r.stderr
        assert r.stderr.strip().count("\n") == 0
    for url in ["https://callin.example.gov.uk", "http://localhost:8080", "http://LOCALHOST/",
                "http://127.0.0.1:8080", "http://127.9.9.9/path", "http://[::1]:8080/"]:
        r = check_config(st, public_base_url=url)
        assert r.returncode == 0, (url, r.stderr)


def test_log_origin_is_a_note_name_a_receipt_can_carry(tmp_path):
    # One rule for the setting and for a receipt's log line: printable
    # ASCII, no space, no '+', at most 255 characters.
    st = Stack(tmp_path)
    bad = [("callin example/log", "printable ASCII"), ("callin.example/log+1", "printable ASCII"),
           ("caf\u00e9.example/log", "printable ASCII"), ("x" * 256, "printable ASCII"),
           # control characters: refused in every setting, by that rule
           ("tab\there", "control characters"), ("del\x7f", "control characters")]
    for origin, why in bad:
        r = check_config(st, log_origin=origin)
        assert r.returncode == 1, origin
        assert "log_origin" in r.stderr and why in r.stderr, r.stderr
        assert r.stderr.strip().count("\n") == 0
    for origin in ["callin.example.gov.uk/log", "127.0.0.1:8080/log", "x" * 255]:
        r = check_config(st, log_origin=origin)
        assert r.returncode == 0, (origin, r.stderr)


# Invisible and direction-changing characters -----------------------------

def test_hidden_characters_refused_in_one_line_answers(tmp_path):
    st = Stack(tmp_path).start()
    try:
        for field, value in [("full_name", "Alex" + RLO + "elpmaxE"),
                             ("proposal_title", "Closure\u200bof the unit"),
                             ("organisation", "\ufeffExample Trust")]:
            r = submit(st, answers=valid_answers(**{field: value, "requester_type":
                                                     "campaign_group"}))
            assert r.status_code == 422, field
            summary = re.search(r'<div class="govuk-error-summary".*?</div>\s*</div>', r.text, re.S)
            assert summary, r.text[:3000]
            assert f'href="#{field}"' in summary.group(0)
            assert "must not include invisible characters or characters that change the " \
                   "direction of text" in summary.group(0)
        assert st.count_requests() == 0
        # Multi-line answers keep direction marks (right-to-left text needs them).
        tok = token_of(submit(st, answers=valid_answers(
            grounds_statement="\u05e9\u05dc\u05d5\u05dd\u200f (2024)\nsecond line")))
        copy = requests.get(st.url(f"/receipt/{tok}/copy.json")).json()
        assert copy["fields"]["grounds_statement"] == "\u05e9\u05dc\u05d5\u05dd\u200f (2024)\nsecond line"
        assert st.count_requests() == 1
    finally:
        st.stop()


# receipt_link_days --------------------------------------------------------

def put_old(st, days):
    out = subprocess.run([os.path.join(BUILD, "outbox_tool"), st.store_spec, "put", "1",
                          "--age-days", str(days), "--token"],
                         check=True, capture_output=True, text=True).stdout
    ref, tok = out.split()
    return ref, tok


def test_private_receipt_link_expires_after_receipt_link_days(tmp_path):
    st = Stack(tmp_path).start()                 # receipt_link_days: 90 by default
    try:
        fresh = token_of(submit(st))
        ref_old, old = put_old(st, 91)
        ref_young, young = put_old(st, 89)
        for tok in (fresh, young):
            assert requests.get(st.url("/receipt/" + tok)).status_code == 200
            assert requests.get(st.url(f"/receipt/{tok}/copy.json")).status_code == 200
        r = requests.get(st.url("/receipt/" + old))
        assert r.status_code == 410 and "This link has expired" in r.text
        assert "govuk-template" in r.text
        assert ref_old not in r.text and "Bench Example" not in r.text
        c = requests.get(st.url(f"/receipt/{old}/copy.json"))
        assert c.status_code == 410 and "Bench Example" not in c.text
        assert "text/html" in c.headers["Content-Type"]
        # receipt.txt holds no personal data and is the requester's proof.
        t = requests.get(st.url(f"/receipt/{old}/receipt.txt"))
        assert t.status_code == 200 and t.text.startswith("callin-receipt-v1")
    finally:
        st.stop()
    # A shorter setting moves the line.
    st = Stack(tmp_path / "short", env={"CALLIN_RECEIPT_LINK_DAYS": "30"}).start()
    try:
        _, tok = put_old(st, 31)
        assert requests.get(st.url("/receipt/" + tok)).status_code == 410
        _, tok = put_old(st, 29)
        assert requests.get(st.url("/receipt/" + tok)).status_code == 200
    finally:
        st.stop()

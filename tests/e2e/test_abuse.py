"""Abuse limits end to end: the service's per-email limit (SQLite and the
MongoDB backend) and nginx's per-address rate limit on POST /request, both
answered with the styled 429 page, nothing stored by what they refuse."""
import concurrent.futures
import re
import time

import requests

import pytest

from harness import (Docstore, Stack, hidden_fields, multipart_fields, new_form, submit, token_of,
                     valid_answers)

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def metric(text, name, **labels):
    sel = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pat = re.escape(name + ("{" + sel + "}" if sel else "")) + r" (\S+)"
    m = re.search("^" + pat + "$", text, re.M)
    return float(m.group(1)) if m else None


def assert_security_headers(r):
    assert "default-src 'none'" in r.headers["Content-Security-Policy"], r.headers
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["Referrer-Policy"] == "no-referrer"


def assert_styled_not_submitted(r):
    assert r.headers["Content-Type"].startswith("text/html")
    assert "govuk-template" in r.text and "govuk-frontend.min.css" in r.text
    assert 'data-outcome="not-submitted"' in r.text
    assert "Your request has not been submitted" in r.text
    assert_security_headers(r)


def post_form(stack, answers, files=()):
    """A fresh form, posted; returns (response, the multipart parts sent)."""
    s, hidden = new_form(stack)
    parts = multipart_fields(answers, hidden)
    for name, data, ctype in files:
        parts.append(("attachments", (name, data, ctype)))
    return s.post(stack.url("/request"), files=parts, allow_redirects=False), (s, parts)


def emails(stack):
    if stack.store == "mongodb":
        return sorted(d["fields"]["email"] for d in stack.mongo().requests.find())
    with stack.db() as c:
        return sorted(r[0] for r in c.execute("select email from requests"))


def test_email_limit_refuses_with_styled_429_and_stores_nothing(tmp_path):
    st = Stack(tmp_path, env={"CALLIN_MAX_REQUESTS_PER_EMAIL": "2"}).start()
    try:
        first, (s1, parts1) = post_form(st, valid_answers())
        token1 = token_of(first)
        token_of(submit(st, files=[("a.pdf", PDF, "application/pdf")]))
        assert st.count_requests() == 2 and st.count_blobs() == 1

        # Invalid answers still get the form back first.
        r = submit(st, answers=valid_answers(full_name=""))
        assert r.status_code == 422

        # The third, in another case and with a file: refused, nothing kept.
        r, _ = post_form(st, valid_answers(email="ALEX@Example.org"),
                         files=[("b.pdf", PDF + b"more", "application/pdf")])
        assert r.status_code == 429, r.text[:1000]
        assert_styled_not_submitted(r)
        assert "maximum number of requests" in r.text
        assert "This email address has already sent" in r.text
        assert "2 in 24 hours" in r.text and "Try again tomorrow" in r.text
        assert "contact the Department of Health and Social Care another way" in r.text
        assert "no-store" in r.headers["Cache-Control"]
        assert st.count_requests() == 2
        assert st.count_blobs() == 1                 # its file was removed

        # Another address is not affected.
        token_of(submit(st, answers=valid_answers(email="sam@example.org")))
        assert st.count_requests() == 3
        assert emails(st) == ["alex@example.org", "alex@example.org", "sam@example.org"]

        # The first form sent again still lands on its confirmation.
        again = s1.post(st.url("/request"), files=parts1, allow_redirects=False)
        assert token_of(again) == token1
        assert requests.get(st.url("/receipt/" + token1)).status_code == 200
        assert st.count_requests() == 3

        text = requests.get(st.url("/metrics")).text
        assert metric(text, "callin_rejections_total", reason="email_limit") == 1
        assert metric(text, "callin_rejections_total", reason="replay") == 1
        assert metric(text, "callin_requests_stored_total") == 3
        assert metric(text, "callin_http_requests_total", route="submit", status="429") == 1
    finally:
        st.stop()


def test_email_limit_counts_an_address_without_its_tag(tmp_path):
    """One mailbox with many "+tag" spellings is one address to the limit
    (DESIGN.md §10); only a '+' that starts the address is kept."""
    st = Stack(tmp_path, env={"CALLIN_MAX_REQUESTS_PER_EMAIL": "2"}).start()
    try:
        token_of(submit(st, answers=valid_answers(email="alex+one@example.org")))
        token_of(submit(st, answers=valid_answers(email="Alex+Two+x@Example.org")))
        r = submit(st, answers=valid_answers(email="ALEX+three@example.org"))
        assert r.status_code == 429, r.text[:500]
        assert "This email address has already sent" in r.text
        r = submit(st, answers=valid_answers(email="alex@example.org"))
        assert r.status_code == 429
        assert st.count_requests() == 2
        token_of(submit(st, answers=valid_answers(email="+alex@example.org")))
        token_of(submit(st, answers=valid_answers(email="alexx@example.org")))
        assert st.count_requests() == 4
        text = requests.get(st.url("/metrics")).text
        assert metric(text, "callin_rejections_total", reason="email_limit") == 2
    finally:
        st.stop()


def test_email_limit_window_passes(tmp_path):
    st = Stack(tmp_path, env={"CALLIN_MAX_REQUESTS_PER_EMAIL": "1",
                              "CALLIN_EMAIL_LIMIT_WINDOW": "2"}).start()
    try:
        token_of(submit(st))
        r = submit(st)
        assert r.status_code == 429
        assert "1 in 2 seconds" in r.text and "Try again in 2 seconds" in r.text
        time.sleep(2.2)
        token_of(submit(st))
        assert st.count_requests() == 2
    finally:
        st.stop()


@pytest.mark.only_store("mongodb", "the MongoDB backend's email_lc on a FerretDB of its own, "
                      "killed to make the count fail; SQLite's limit is tested above")
def test_email_limit_on_mongodb_and_503_when_it_cannot_count(tmp_path):
    ds = Docstore(tmp_path).start()
    st = Stack(tmp_path, store="mongodb", mongo_base=ds.uri,
               env={"CALLIN_MAX_REQUESTS_PER_EMAIL": "2"}).start()
    try:
        token = token_of(submit(st, answers=valid_answers(email="Alex@Example.org")))
        token_of(submit(st))
        reqs = list(st.mongo().requests.find().sort("received_ms"))
        assert [d["email_lc"] for d in reqs] == ["alex@example.org"] * 2
        assert reqs[0]["fields"]["email"] == "Alex@Example.org"
        copy = requests.get(st.url(f"/receipt/{token}/copy.json")).json()
        assert "email_lc" not in copy and copy["fields"]["email"] == "Alex@Example.org"

        r = submit(st, answers=valid_answers(email="ALEX@EXAMPLE.ORG"),
                   files=[("a.pdf", PDF, "application/pdf")])
        assert r.status_code == 429
        assert_styled_not_submitted(r)
        assert st.count_requests() == 2 and st.count_blobs() == 0

        # The server gone: the count cannot be made, so nothing is taken.
        ds.kill()
        r = submit(st, answers=valid_answers(email="sam@example.org"),
                   files=[("a.pdf", PDF, "application/pdf")])
        assert r.status_code == 503
        assert_styled_not_submitted(r)
        ds.start()
        assert st.count_requests() == 2 and st.count_blobs() == 0

        token_of(submit(st, answers=valid_answers(email="sam@example.org")))
        text = requests.get(st.url("/metrics")).text
        assert metric(text, "callin_rejections_total", reason="email_limit") == 1
        assert metric(text, "callin_rejections_total", reason="unavailable") == 1
    finally:
        st.stop()
        ds.stop()


def test_nginx_rate_limits_posts_per_address_with_styled_429(tmp_path):
    st = Stack(tmp_path, env={"CALLIN_SUBMIT_RATE": "1r/m",
                              "CALLIN_SUBMIT_BURST": "1"}).start()
    try:
        results = []
        for i in range(5):
            r, _ = post_form(st, valid_answers(email=f"person{i}@example.org"),
                             files=[("a.pdf", PDF, "application/pdf")])
            results.append(r)
        codes = [r.status_code for r in results]
        assert set(codes) <= {303, 429}, codes
        assert codes[0] == 303 and codes.count(303) <= 2 and codes[-1] == 429, codes
        for r in results:
            if r.status_code == 429:
                assert_styled_not_submitted(r)
                assert "Too many requests" in r.text
        stored = codes.count(303)
        assert st.count_requests() == stored
        assert st.count_blobs() == stored            # refused bodies never reached a worker

        # Forms are never limited, before or after the refusals.
        for _ in range(10):
            assert requests.get(st.url("/request")).status_code == 200
        assert requests.get(st.url("/")).status_code == 200
        r, _ = post_form(st, valid_answers())
        assert r.status_code == 429
        assert st.count_requests() == stored

        text = requests.get(st.url("/metrics")).text
        assert metric(text, "callin_rejections_total", reason="email_limit") == 0
    finally:
        st.stop()


def reference_of(stack, token):
    r = requests.get(stack.url(f"/receipt/{token}"))
    assert r.status_code == 200
    return re.search(r"CIR-[0-9A-Z]{4}-[0-9A-Z]{4}", r.text).group(0)


def test_idempotency_key_must_be_the_one_issued_with_its_token(stack):
    _, a = new_form(stack)
    _, b = new_form(stack)
    assert a["idempotency_key"] != b["idempotency_key"]
    tries = [dict(a, idempotency_key=b["idempotency_key"]),          # another form's key
             dict(a, idempotency_key=a["idempotency_key"][:-1] + "A"
                  if a["idempotency_key"][-1] != "A" else a["idempotency_key"][:-1] + "B"),
             {"csrf_token": a["csrf_token"]},                         # no key at all
             dict(a, idempotency_key="k" * 22)]                       # one of our own making
    for hidden in tries:
        r = submit(stack, hidden=hidden, files=[("a.pdf", PDF, "application/pdf")])
        assert r.status_code == 403, (hidden, r.status_code)
        assert_styled_not_submitted(r)
    assert stack.count_requests() == 0 and stack.count_blobs() == 0
    token_of(submit(stack, hidden=a))                                 # the pair as issued
    text = requests.get(stack.url("/metrics")).text
    assert metric(text, "callin_rejections_total", reason="forgery") == len(tries)


def test_campaign_copy_of_one_form_stores_one_request_and_reveals_nothing(stack):
    """A campaign page that copies one form's hidden inputs for many people:
    the first person's request is stored; everyone after is told this form
    was already sent, sees nothing of the first request, and nothing of
    theirs is kept."""
    _, hidden = new_form(stack)
    first = valid_answers(full_name="Robin First", email="robin.first@example.org",
                          phone="01632 960001", grounds_statement="Robin's own statement.")
    files = [("evidence.pdf", PDF, "application/pdf")]
    token = token_of(submit(stack, answers=first, files=files, hidden=hidden))
    ref = reference_of(stack, token)
    others = [valid_answers(full_name=f"Person {i}", email=f"person{i}@example.org")
              for i in range(3)]
    for i, answers in enumerate(others):
        r = submit(stack, answers=answers, hidden=hidden,
                   files=[(f"mine{i}.pdf", PDF + b"%" * (i + 1), "application/pdf")])
        assert r.status_code == 409 and r.reason == "Conflict", (r.status_code, r.reason)
        assert_styled_not_submitted(r)
        assert "This form has already been sent" in r.text
        assert 'href="/request"' in r.text                    # start again
        assert "no-store" in r.headers["Cache-Control"]
        for secret in (token, ref, "Robin", "robin.first", "01632", "evidence.pdf",
                       "Robin's own statement"):
            assert secret not in r.text
        assert "Location" not in r.headers
    assert stack.count_requests() == 1
    assert stack.count_blobs() == 1                          # theirs were removed
    # The same answers and file again (a double click) land on the first.
    assert token_of(submit(stack, answers=first, files=files, hidden=hidden)) == token
    # The same answers with another file are other answers.
    r = submit(stack, answers=first, hidden=hidden,
               files=[("evidence.pdf", PDF + b"%changed", "application/pdf")])
    assert r.status_code == 409
    r = submit(stack, answers=first, hidden=hidden)            # or with none
    assert r.status_code == 409
    assert stack.count_requests() == 1 and stack.count_blobs() == 1
    text = requests.get(stack.url("/metrics")).text
    assert metric(text, "callin_rejections_total", reason="form_reused") == 5
    assert metric(text, "callin_rejections_total", reason="replay") == 1


def test_one_form_sent_by_many_at_once_stores_one(stack):
    """Sent at the same moment, several sendings of one form race past the
    look-up to the durable write: one is stored; the others get its
    confirmation when their answers are the same, else the 409 page."""
    _, hidden = new_form(stack)
    same = valid_answers(full_name="Sam Same")
    jobs = [same] * 4 + [valid_answers(full_name=f"Other {i}") for i in range(4)]
    with concurrent.futures.ThreadPoolExecutor(len(jobs)) as pool:
        rs = list(pool.map(lambda a: submit(stack, answers=a, hidden=hidden), jobs))
    stored = {token_of(r) for r in rs if r.status_code == 303}
    assert len(stored) == 1, [r.status_code for r in rs]
    assert all(r.status_code in (303, 409) for r in rs)
    assert stack.count_requests() == 1
    winner = requests.get(stack.url(f"/receipt/{stored.pop()}/copy.json")).json()
    name = winner["fields"]["full_name"]
    # Every sending with the winner's answers was answered with its receipt.
    for a, r in zip(jobs, rs):
        assert (r.status_code == 303) == (a["full_name"] == name), (a["full_name"], name, r.status_code)


def test_form_shown_again_with_errors_gets_a_fresh_pair(stack):
    _, hidden = new_form(stack)
    r = submit(stack, answers=valid_answers(full_name=""), hidden=hidden)
    assert r.status_code == 422
    again = hidden_fields(r.text)
    assert again["csrf_token"] != hidden["csrf_token"]
    assert again["idempotency_key"] != hidden["idempotency_key"]
    t1 = token_of(submit(stack, hidden=again))
    assert stack.count_requests() == 1
    # Nothing was stored under the first pair: it still makes one request.
    t2 = token_of(submit(stack, answers=valid_answers(email="sam@example.org"), hidden=hidden))
    assert t1 != t2 and stack.count_requests() == 2

"""Intake end to end: the form through real nginx and workers into the store (SQLite or MongoDB)."""
import hashlib
import json
import os
import re
import subprocess

import pytest
import requests

from harness import (BUILD, new_form, multipart_fields, submit, token_of,
                     valid_answers)

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
                    "0000000d4944415478da63f8ffff3f0005fe02fea7d6a4c40000000049454e44ae426082")
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + os.urandom(2000)


def store_cat(stack, *args):
    r = subprocess.run([os.path.join(BUILD, "store_cat"), stack.store_spec, *args],
                       capture_output=True)
    assert r.returncode == 0, r.stderr
    return r.stdout


def stored(stack, token):
    return json.loads(store_cat(stack, "get", "token", token))


def errors_of(page):
    """The error summary's (href, message) pairs."""
    return re.findall(r'<li><a href="#([^"]+)">([^<]*)</a></li>', page)


def test_start_page_links_to_form(shared_stack):
    r = requests.get(shared_stack.url("/"))
    assert r.status_code == 200
    assert 'href="/request"' in r.text and "Start now" in r.text
    assert "resolve your concerns locally" in r.text
    assert "govuk-frontend.min.css" in r.text


def test_assets_served_by_nginx(shared_stack):
    css = requests.get(shared_stack.url("/assets/govuk-frontend.min.css"))
    assert css.status_code == 200 and css.headers["Content-Type"].startswith("text/css")
    font = requests.get(shared_stack.url("/assets/fonts/bold-b542beb274-v2.woff2"))
    assert font.status_code == 200 and len(font.content) > 1000
    js = requests.get(shared_stack.url("/assets/callin/init.js"))
    assert js.status_code == 200 and "initAll" in js.text


def test_form_has_every_field(shared_stack):
    page = requests.get(shared_stack.url("/request")).text
    names = set(re.findall(r'name="([^"]+)"', page))
    for n in ["requester_type", "full_name", "organisation", "role", "email", "phone",
              "proposal_title", "commissioner", "services_affected", "change_description",
              "proposal_stage", "decision_date-day", "decision_date-month",
              "decision_date-year", "grounds", "grounds_statement", "local_resolution",
              "attachments", "declaration_accurate", "declaration_sharing",
              "csrf_token", "idempotency_key"]:
        assert n in names, n
    assert 'enctype="multipart/form-data"' in page
    assert 'value="icb-surrey-heartlands"' in page and 'value="dont_know"' in page


def test_full_request_with_two_files_is_stored_exactly(stack):
    files = [("evidence.pdf", PDF + os.urandom(300000), "application/pdf"),
             ("photo.png", PNG, "image/png")]
    r = submit(stack, files=files)
    token = token_of(r)
    doc = stored(stack, token)
    a = valid_answers()
    for k in ["requester_type", "full_name", "email", "proposal_title", "commissioner",
              "services_affected", "change_description", "proposal_stage",
              "grounds_statement", "local_resolution", "declaration_accurate",
              "declaration_sharing"]:
        assert doc["fields"][k] == a[k], k
    assert doc["fields"]["grounds"] == ["process", "best_interests"]
    assert doc["fields"]["decision_date"] == "2026-03-12"
    assert re.fullmatch(r"CIR-[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}", doc["reference"])
    atts = doc["attachments"]
    assert [x["name"] for x in atts] == ["evidence.pdf", "photo.png"]
    assert [x["content_type"] for x in atts] == ["application/pdf", "image/png"]
    for (name, data, _), att in zip(files, atts):
        assert att["size"] == len(data)
        assert att["sha256"] == hashlib.sha256(data).hexdigest()
        assert store_cat(stack, "blob", att["blob_id"]) == data
    page = requests.get(stack.url("/receipt/" + token))
    assert page.status_code == 200 and doc["reference"] in page.text


def test_confirmation_of_unknown_token_is_404(shared_stack):
    r = requests.get(shared_stack.url("/receipt/AAAAAAAAAAAAAAAAAAAAAA"))
    assert r.status_code == 404 and "Page not found" in r.text


# One rule each: (answers changed, field whose error is expected, message pattern)
RULES = [
    ({"requester_type": ""}, "requester_type", "Select"),
    ({"requester_type": "alien"}, "requester_type", "Select"),
    ({"full_name": ""}, "full_name", "Enter your full name"),
    ({"full_name": "x" * 101}, "full_name", "100 characters or fewer"),
    ({"requester_type": "campaign_group", "organisation": ""}, "organisation", "organisation"),
    ({"organisation": "o" * 151, "requester_type": "campaign_group"}, "organisation", "150"),
    ({"role": "r" * 151}, "role", "150"),
    ({"email": ""}, "email", "Enter"),
    ({"email": "not-an-email"}, "email", "correct format"),
    ({"email": "a" * 250 + "@x.org"}, "email", ""),
    ({"phone": "p" * 31}, "phone", ""),
    ({"phone": "call me maybe"}, "phone", ""),
    ({"proposal_title": ""}, "proposal_title", ""),
    ({"proposal_title": "t" * 151}, "proposal_title", "150"),
    ({"commissioner": ""}, "commissioner", ""),
    ({"commissioner": "icb-atlantis"}, "commissioner", ""),
    ({"services_affected": ""}, "services_affected", ""),
    ({"services_affected": "s" * 2001}, "services_affected", "2,000|2000"),
    ({"change_description": ""}, "change_description", ""),
    ({"change_description": "c" * 5001}, "change_description", "5,000|5000"),
    ({"proposal_stage": ""}, "proposal_stage", ""),
    ({"proposal_stage": "rumour"}, "proposal_stage", ""),
    ({"decision_date-day": "", "decision_date-month": "", "decision_date-year": ""}, "decision_date", ""),
    ({"decision_date-day": "31", "decision_date-month": "2"}, "decision_date", "real date"),
    ({"decision_date-year": "2099"}, "decision_date", "past|today"),
    ({"grounds": []}, "grounds", ""),
    ({"proposal_stage": "consultation", "grounds": ["best_interests"],
      "decision_date-day": "", "decision_date-month": "", "decision_date-year": ""}, "grounds", "decision"),
    ({"grounds_statement": ""}, "grounds_statement", ""),
    ({"grounds_statement": "g" * 10001}, "grounds_statement", "10,000|10000"),
    ({"local_resolution": ""}, "local_resolution", ""),
    ({"local_resolution": "l" * 10001}, "local_resolution", "10,000|10000"),
    ({"declaration_accurate": ""}, "declaration_accurate", ""),
    ({"declaration_sharing": ""}, "declaration_sharing", ""),
    ({"full_name": "Alex\r\nBcc: x@example.org"}, "full_name", ""),
    ({"proposal_title": "Title\x00with NUL"}, "proposal_title", ""),
    ({"email": "alex@example.org\r\nBcc: evil@example.org"}, "email", ""),
]


@pytest.mark.parametrize("change,field,pattern", RULES)
def test_each_rule_rejects_with_its_message(shared_stack, change, field, pattern):
    before = shared_stack.count_requests()
    a = valid_answers(**change)
    for k in [k for k, v in a.items() if v == "" or v == []]:
        del a[k]
    r = submit(shared_stack, answers=a)
    assert r.status_code == 422, r.text[:500]
    errs = errors_of(r.text)
    assert len(errs) == 1, errs
    href, msg = errs[0]
    assert href.startswith(field), (href, field)
    assert re.search(pattern, msg), msg
    # the inline message sits by the field, and the title says Error
    assert f'id="{field}-error"' in r.text
    assert "<title>Error:" in r.text
    assert shared_stack.count_requests() == before


def test_rejected_form_keeps_answers_and_asks_for_files_again(shared_stack):
    a = valid_answers(full_name="")
    a["services_affected"] = "Keep <this> & that"
    r = submit(shared_stack, answers=a, files=[("a.pdf", PDF, "application/pdf")])
    assert r.status_code == 422
    assert "Keep &lt;this&gt; &amp; that" in r.text
    assert 'value="alex@example.org"' in r.text
    assert 'id="attachments-again"' in r.text
    assert shared_stack.count_blobs() == 0


def test_invalid_utf8_is_an_error_and_not_stored(shared_stack):
    s, hidden = new_form(shared_stack)
    parts = multipart_fields(valid_answers(full_name=""), hidden)
    parts = [p for p in parts if p[0] != "full_name"]
    parts.append(("full_name", (None, b"Al\xffex")))
    before = shared_stack.count_requests()
    r = s.post(shared_stack.url("/request"), files=parts, allow_redirects=False)
    assert r.status_code == 422
    assert any(h.startswith("full_name") for h, _ in errors_of(r.text))
    assert shared_stack.count_requests() == before


@pytest.mark.parametrize("name,data,ctype,pattern", [
    ("program.pdf", ELF, "application/pdf", "must be a PDF"),
    ("script.pdf", b"#!/bin/sh\nrm -rf /\n" * 10, "application/pdf", "must be a PDF"),
    ("empty.pdf", b"", "application/pdf", "is empty"),
    ("latin1.txt", b"caf\xe9 au lait\n" * 10, "text/plain", "UTF-8"),
    ("long.txt", b"evidence line\n" * 6000 + b"\xff\n", "text/plain", "UTF-8"),
])
def test_bad_files_are_refused(shared_stack, name, data, ctype, pattern):
    before, blobs = shared_stack.count_requests(), shared_stack.count_blobs()
    r = submit(shared_stack, files=[(name, data, ctype)])
    assert r.status_code == 422
    errs = errors_of(r.text)
    assert errs and errs[0][0] == "attachments" and re.search(pattern, errs[0][1]), errs
    assert shared_stack.count_requests() == before
    assert shared_stack.count_blobs() == blobs


def test_oversize_file_is_refused(shared_stack):
    big = PDF + b"\0" * (10 * 1024 * 1024)
    r = submit(shared_stack, files=[("big.pdf", big, "application/pdf")])
    assert r.status_code == 422
    assert "smaller than 10MB" in errors_of(r.text)[0][1]
    assert shared_stack.count_blobs() == 0


def test_eleven_files_are_refused(shared_stack):
    files = [(f"f{i}.txt", b"plain text evidence %d\n" % i, "text/plain") for i in range(11)]
    before = shared_stack.count_requests()
    r = submit(shared_stack, files=files)
    assert r.status_code == 422
    assert "up to 10 files" in errors_of(r.text)[0][1]
    assert shared_stack.count_requests() == before
    assert shared_stack.count_blobs() == 0


def test_ten_files_are_accepted(shared_stack):
    files = [(f"f{i}.txt", b"plain text evidence %d\n" % i, "text/plain") for i in range(10)]
    token = token_of(submit(shared_stack, files=files))
    r = subprocess.run([os.path.join(BUILD, "store_cat"), shared_stack.store_spec,
                        "get", "token", token], capture_output=True)
    assert len(json.loads(r.stdout)["attachments"]) == 10


def test_body_over_nginx_limit_gets_styled_413(shared_stack):
    big = b"x" * (27 * 1024 * 1024)
    s, hidden = new_form(shared_stack)
    parts = multipart_fields(valid_answers(), hidden) + [("attachments", ("big.txt", big, "text/plain"))]
    r = s.post(shared_stack.url("/request"), files=parts, allow_redirects=False)
    assert r.status_code == 413
    assert "govuk-template" in r.text and "not been submitted" in r.text


@pytest.mark.parametrize("raw,expected", [
    ("../../etc/passwd.txt", "passwd.txt"),
    ("/etc/shadow.txt", "shadow.txt"),
    ("C:\\Users\\alex\\notes.txt", "notes.txt"),
    ("evil\r\nBcc: x.txt", None),
])
def test_file_names_are_sanitised(shared_stack, raw, expected):
    token = token_of(submit(shared_stack, files=[(raw, b"some evidence\n", "text/plain")]))
    name = json.loads(store_cat(shared_stack, "get", "token", token))["attachments"][0]["name"]
    if expected:
        assert name == expected
    assert "/" not in name and "\\" not in name and "\r" not in name and "\n" not in name


def test_html_in_answers_is_escaped_everywhere(shared_stack):
    evil = '<script>alert(1)</script>"\'><img src=x onerror=alert(2)>'
    a = valid_answers(full_name="", organisation=evil, role=evil, proposal_title=evil,
                      services_affected=evil, change_description=evil,
                      grounds_statement=evil, local_resolution=evil)
    r = submit(shared_stack, answers=a)
    assert r.status_code == 422
    assert "<script>alert(1)" not in r.text and "<img src=x" not in r.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
    a["full_name"] = "Alex"
    ok = submit(shared_stack, answers=a)
    token = token_of(ok)
    page = requests.get(shared_stack.url("/receipt/" + token)).text
    assert "<script>alert" not in page and "<img src=x" not in page
    doc = json.loads(store_cat(shared_stack, "get", "token", token))
    assert doc["fields"]["proposal_title"] == evil     # kept exactly, escaped on output


def test_post_without_anti_forgery_token_is_refused(shared_stack):
    before = shared_stack.count_requests()
    s, hidden = new_form(shared_stack)
    del hidden["csrf_token"]
    r = s.post(shared_stack.url("/request"), files=multipart_fields(valid_answers(), hidden),
               allow_redirects=False)
    assert r.status_code == 403 and "not been submitted" in r.text
    forged = dict(hidden, csrf_token="A" * 60)
    r = s.post(shared_stack.url("/request"), files=multipart_fields(valid_answers(), forged),
               allow_redirects=False)
    assert r.status_code == 403
    assert shared_stack.count_requests() == before


def test_same_post_twice_stores_one_request(shared_stack):
    s, hidden = new_form(shared_stack)
    before, blobs = shared_stack.count_requests(), shared_stack.count_blobs()
    parts = multipart_fields(valid_answers(), hidden) + [("attachments", ("a.txt", b"evidence\n", "text/plain"))]
    r1 = s.post(shared_stack.url("/request"), files=parts, allow_redirects=False)
    r2 = s.post(shared_stack.url("/request"), files=parts, allow_redirects=False)
    assert token_of(r1) == token_of(r2)
    assert shared_stack.count_requests() == before + 1
    assert shared_stack.count_blobs() == blobs + 1   # the second copy of the file was removed


def test_unknown_route_and_wrong_method(shared_stack):
    r = requests.get(shared_stack.url("/nope"))
    assert r.status_code == 404 and "govuk-template" in r.text
    r = requests.delete(shared_stack.url("/request"))
    assert r.status_code == 405 and "GET" in r.headers["Allow"] and "POST" in r.headers["Allow"]


def test_security_headers_on_pages_and_errors(shared_stack):
    for path in ["/", "/nope", "/assets/govuk-frontend.min.css"]:
        r = requests.get(shared_stack.url(path))
        assert "default-src 'none'" in r.headers["Content-Security-Policy"], path
        assert r.headers["X-Content-Type-Options"] == "nosniff", path

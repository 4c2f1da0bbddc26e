"""The limits the pages state are the configuration's (issue 9): with
non-default limits, the start page says how many files may be attached and
the 413 page that nginx answers an oversized POST /request with (through
/_error/413, rendered by a worker) says the configured per-file and total
sizes, never the defaults."""
import requests

from harness import Stack, multipart_fields, new_form, valid_answers

LIMITS = {"CALLIN_MAX_FILES": "3",
          "CALLIN_MAX_FILE_BYTES": str(2 * 1024 * 1024),
          "CALLIN_MAX_TOTAL_BYTES": str(3 * 1024 * 1024)}


def test_pages_state_the_configured_limits(tmp_path):
    st = Stack(tmp_path, workers=1, env=LIMITS).start()
    try:
        start = requests.get(st.url("/"))
        assert start.status_code == 200
        assert "You can attach up to 3 files as evidence" in start.text
        assert "10 files" not in start.text

        # nginx's body limit is the total plus 1 MiB for the answers.
        s, hidden = new_form(st)
        parts = multipart_fields(valid_answers(), hidden) + [
            ("attachments", ("big.txt", b"x" * (5 * 1024 * 1024), "text/plain"))]
        r = s.post(st.url("/request"), files=parts, allow_redirects=False)
        assert r.status_code == 413
        assert "govuk-template" in r.text and "not been submitted" in r.text
        assert ("Each file must be 2MB or smaller, and all files together "
                "3MB or smaller.") in r.text
        assert "10MB" not in r.text and "25MB" not in r.text
    finally:
        st.stop()

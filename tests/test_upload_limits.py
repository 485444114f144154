"""Upload limits: pixels decoded within a memory budget (peak memory measured in a fresh process), files per request."""
import io
import json
import subprocess
import sys

import pytest
from flask import request
from PIL import Image

from assistant.applications.uploads import Refused, files_allowed, refusal_message, uploaded_files
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.conftest import ROOT, answer_all, csrf_of, draft_id_of, soup, start

SERVICE = "declaration-of-commitment"
DOC = "guarantor_id"
BUDGET_MB = 250  # what one upload request may add to a worker's memory

# Builds the app, converts the file named in argv (if any) in a request context, prints the peak memory (Linux: kB).
MEASURE = """
import io, json, resource, sys
from assistant import create_app
from assistant.applications.uploads import Refused, prepare
app = create_app(json.loads(sys.argv[1]))
outcome = None
with app.test_request_context():
    if len(sys.argv) > 2:
        with open(sys.argv[2], "rb") as f:
            data = f.read()
        try:
            content, kind, name = prepare(data, "photo")
            outcome = content
        except Refused as refused:
            outcome = str(refused)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
if isinstance(outcome, bytes):
    from PIL import Image
    outcome = list(Image.open(io.BytesIO(outcome)).size)
print(json.dumps({"peak_kb": peak, "outcome": outcome}))
"""


def measure(db_path, tmp_path, path=None):
    """(peak memory in MB, the stored picture's size or the reason it was refused) of a fresh process."""
    config = {"TESTING": True, "DATABASE": str(db_path), "SECRET_KEY": "test", "FILES_DIR": str(tmp_path / "files")}
    args = [sys.executable, "-c", MEASURE, json.dumps(config)] + ([str(path)] if path else [])
    result = json.loads(subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=True).stdout)
    return result["peak_kb"] / 1024, result["outcome"]


def save(path, image, **options):
    """Write `image` to `path` (the format from the name) and let go of its pixels."""
    image.save(path, **options)
    image.close()
    return path


def photo_108_megapixels(folder):
    """A 108-megapixel phone photo (12000 × 9000): one colour, so the JPEG is small (about 1.7 MB)."""
    return save(folder / "108mp.jpg", Image.new("RGB", (12000, 9000), (200, 180, 160)))


CASES = {  # name: (how to make it, what prepare() makes of it)
    "108-megapixel JPEG": (photo_108_megapixels, [2400, 1800]),
    "8000x10000 PNG of 247 kB": (lambda d: save(d / "scan.png", Image.new("RGB", (8000, 10000), (250, 250, 250))),
                                 "pixels"),
    "25-megapixel progressive JPEG": (lambda d: save(d / "prog.jpg", Image.new("RGB", (5000, 5000), "red"),
                                                     progressive=True, subsampling=0), [2400, 2400]),
    "25-megapixel palette PNG": (lambda d: save(d / "p.png", Image.new("RGB", (5000, 5000), "red").convert("P")),
                                 [2400, 2400]),
}


@pytest.mark.parametrize("case", CASES)
def test_one_upload_stays_within_the_memory_budget(case, db_path, tmp_path):
    make, expected = CASES[case]
    path = make(tmp_path)
    baseline, _ = measure(db_path, tmp_path)
    peak, outcome = measure(db_path, tmp_path, path)
    assert outcome == expected
    assert peak - baseline < BUDGET_MB, f"{case}: {peak - baseline:.0f} MB over a baseline of {baseline:.0f} MB"


def test_a_108_megapixel_phone_photo_is_taken_and_scaled(app, applicant, db_path, tmp_path):
    service = app.extensions["services"][SERVICE]
    url = start(applicant, service.id)
    draft = draft_id_of(url)
    answer_all(applicant, service, url)
    # The body is encoded in memory: above 500 KB the test client would spool it to a file it never closes.
    boundary, body = encode_multipart({"csrf_token": csrf_of(applicant, f"/applications/{draft}/documents"),
                                       "file": FileStorage(io.BytesIO(photo_108_megapixels(tmp_path).read_bytes()),
                                                           "IMG_20250101.jpg")})
    response = applicant.post(f"/applications/{draft}/documents/{DOC}", input_stream=io.BytesIO(body),
                              content_type=f"multipart/form-data; boundary={boundary}", content_length=len(body))
    assert response.status_code == 303
    [link] = soup(applicant.get(f"/applications/{draft}/documents")).select(f"section#d-{DOC} ul.files li > a")
    assert link.text == "IMG_20250101.jpg"
    stored = applicant.get(link["href"])
    with Image.open(io.BytesIO(stored.get_data())) as image:
        assert (image.format, image.size) == ("JPEG", (2400, 1800))
    stored.close()


def sent_files(count):
    """A multipart body of `count` small files in the field `file`, as a browser sends them."""
    return {"file": [(io.BytesIO(b"\xff\xd8\xff" + bytes(100)), f"page{i}.jpg") for i in range(1, count + 1)]}


def test_more_files_than_a_view_takes_are_refused_before_any_is_read(app):
    url = "/applications/some-draft/documents/guarantor_id"  # a view marked with accepts_uploads(20)
    with app.test_request_context(url, method="POST", data=sent_files(20)):
        assert files_allowed() == 20 and len(uploaded_files()) == 20
    for language, message in [("en", "Too many files at once: you can send at most 20. Send the others afterwards."),
                              ("de", "Zu viele Dateien auf einmal: Sie können höchstens 20 senden. Senden Sie die "
                                     "übrigen danach.")]:
        with app.test_request_context(url, method="POST", data=sent_files(21), headers={"Accept-Language": language}):
            with pytest.raises(Refused) as refused:
                uploaded_files()
            assert str(refused.value) == "count" and refusal_message(refused.value) == message
            assert all(f.stream.tell() == 0 for f in request.files.getlist("file"))  # none was read
    # A view that takes no files takes none.
    with app.test_request_context("/dashboard", method="POST", data=sent_files(1)):
        assert files_allowed() == 0
        with pytest.raises(Refused):
            uploaded_files()

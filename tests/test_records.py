"""A submitted application is a legal record: frozen at submit, never changed by a service file, a second tab or a race."""
import io
import json
import re
import shutil
import sqlite3

import pytest
from pypdf import PdfReader

from assistant.handoff import packets
from tests.conftest import (answer_all, csrf_of, draft_id_of, english_client, jpeg_bytes, soup, staff, start,
                            submit_application, upload)

SERVICE = "declaration-of-commitment"
OLD_LABEL = "What is your family name?"
NEW_LABEL = "Family name as in the passport, please"


@pytest.fixture
def forms_dir(tmp_path):
    """A copy of the service files that a test may edit or delete."""
    folder = tmp_path / "forms"
    shutil.copytree("forms", folder)
    return folder


def rewrite(forms_dir, old, new, version=None):
    """Edit the service file (or the block that holds the text) as an office would: change a text, perhaps raise the
    service's version."""
    path = forms_dir / f"{SERVICE}.yaml"
    block = next((p for p in sorted((forms_dir / "blocks").glob("*.yaml")) if old in p.read_text(encoding="utf-8")), None)
    if old not in path.read_text(encoding="utf-8") and block is not None:
        block.write_text(block.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
        old = new = ""
    text = path.read_text(encoding="utf-8")
    assert old in text
    text = text.replace(old, new)
    if version:
        text = re.sub(r"^version: \d+$", f"version: {version}", text, count=1, flags=re.M)
    path.write_text(text, encoding="utf-8")


def first_label(service):
    return service.steps[0].questions[0].label


def pdf_text(response):
    """The text of a PDF answer (the file the answer streams is closed)."""
    with response:
        return "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.get_data())).pages)


def everything_shown(app, applicant, draft, api_token=None):
    """What caseworker, applicant, API and receipt show of a case, as text."""
    office = staff(app, email=f"clerk{id(app)}@example.org")
    case = office.get(f"/office/cases/{draft}")
    status = applicant.get(f"/applications/{draft}")
    receipt_pdf = applicant.get(f"/applications/{draft}/receipt.pdf")
    inbox = office.get("/office/")
    assert case.status_code == status.status_code == receipt_pdf.status_code == inbox.status_code == 200
    text = pdf_text(receipt_pdf)
    return soup(case).text, soup(status).text, text, soup(inbox).select_one("table").text  # the filter lists today's services


@pytest.mark.parametrize("change", ["edit", "delete"])
def test_a_changed_or_deleted_service_file_changes_nothing_of_a_submitted_case(make_app, forms_dir, tmp_path, change):
    app = make_app(FORMS_DIR=str(forms_dir))
    applicant = english_client(app)
    from tests.conftest import register
    from assistant.demo import DEMO_PROFILE
    register(applicant, profile=DEMO_PROFILE)
    label = first_label(app.extensions["services"][SERVICE])
    draft, _ = submit_application(applicant, app, SERVICE)
    with sqlite3.connect(str(tmp_path / "assistant.sqlite")) as db:
        record = json.loads(db.execute("SELECT snapshot FROM records").fetchone()[0])
    label_de = record["steps"][0]["questions"][0]["label"]["de"]
    title = "Declaration of commitment"

    if change == "edit":
        rewrite(forms_dir, f"label: {label}\n", f"label: {NEW_LABEL}\n", version=99)
        rewrite(forms_dir, "title: Declaration of commitment\n", "title: Commitment (new)\n")
    else:
        (forms_dir / f"{SERVICE}.yaml").unlink()
        (forms_dir / "guide" / "routes.yaml").unlink()   # the guide names it: an office removes it there, too
    restarted = make_app(FORMS_DIR=str(forms_dir))
    assert (SERVICE in restarted.extensions["services"]) == (change == "edit")
    again = english_client(restarted)
    again.set_cookie("session", applicant.get_cookie("session").value)
    after = everything_shown(restarted, again, draft)
    case, status, receipt_text, inbox = after
    assert label_de in case and title in case and title in status and title in inbox and label in receipt_text
    assert not any(NEW_LABEL in text or "Commitment (new)" in text for text in after)

    # The API reads the record too, and the packet is delivered byte for byte as it was queued.
    token = restarted.test_cli_runner().invoke(args=["api-tokens", "create", "dms"]).output.strip().splitlines()[-1]
    api = restarted.test_client()
    reference = soup(again.get(f"/applications/{draft}")).select_one(".ref-inline").text
    case = api.get(f"/api/v1/cases/{reference}", headers={"Authorization": f"Bearer {token}"})
    assert case.status_code == 200
    shown = [q["label"]["en"] for s in case.json["record"]["steps"] for q in s["questions"]]
    assert label in shown and NEW_LABEL not in shown
    drop = tmp_path / "drop"
    assert "1 delivered" in restarted.test_cli_runner().invoke(args=["outbox", "deliver", "--to", str(drop)]).output
    packet = json.loads((drop / reference / "packet.json").read_text())
    assert packet["service"]["version"] == record["service"]["version"] and packet["data"]["answers"]["family_name"] == record["answers"]["family_name"]


def test_a_draft_finishes_on_the_version_it_was_started_on(make_app, forms_dir, db_path):
    app = make_app(FORMS_DIR=str(forms_dir))
    from tests.conftest import register
    from assistant.demo import DEMO_PROFILE
    applicant = register(english_client(app), profile=DEMO_PROFILE)
    label = first_label(app.extensions["services"][SERVICE])
    url = start(applicant, SERVICE)
    old_draft = draft_id_of(url)

    rewrite(forms_dir, f"label: {label}\n", f"label: {NEW_LABEL}\n", version=99)
    restarted = make_app(FORMS_DIR=str(forms_dir))
    client = english_client(restarted)
    client.set_cookie("session", applicant.get_cookie("session").value)
    assert label in soup(client.get(url)).text and NEW_LABEL not in soup(client.get(url)).text
    new_url = start(client, SERVICE)
    assert NEW_LABEL in soup(client.get(new_url)).text

    service_v1 = app.extensions["services"][SERVICE]
    answer_all(client, service_v1, url)
    for section in soup(client.get(f"/applications/{old_draft}/documents")).select("section.document"):
        upload(client, old_draft, section["id"][2:], ("photo.jpg", jpeg_bytes()))
    token = csrf_of(client, f"/applications/{old_draft}/check")
    assert client.post(f"/applications/{old_draft}/submit", data={"csrf_token": token, "declaration": "yes"}).status_code == 303
    with sqlite3.connect(db_path) as db:
        record = json.loads(db.execute("SELECT snapshot FROM records WHERE application_id = ?", [old_draft]).fetchone()[0])
        versions = dict(db.execute("SELECT id, service_version FROM applications"))
    assert record["service"]["version"] == service_v1.version and record["steps"][0]["questions"][0]["label"]["en"] == label
    assert versions == {old_draft: service_v1.version, draft_id_of(new_url): 99}


def test_editing_a_file_without_raising_its_version_while_drafts_exist_is_reported(make_app, forms_dir, caplog):
    app = make_app(FORMS_DIR=str(forms_dir))
    from tests.conftest import register
    applicant = register(english_client(app))
    label = first_label(app.extensions["services"][SERVICE])
    start(applicant, SERVICE)
    rewrite(forms_dir, f"label: {label}\n", f"label: {NEW_LABEL}\n")            # same version 1
    with caplog.at_level("WARNING"):
        make_app(FORMS_DIR=str(forms_dir))
    assert any("raise 'version'" in r.getMessage() and SERVICE in r.getMessage() for r in caplog.records)


def during_submit(monkeypatch, action):
    """Run `action` (the second tab) while the first submit has read the draft and built its record, before its
    transaction, once."""
    real = packets.build
    calls = []

    def build(record, **kwargs):
        if not calls:
            calls.append(action())
        return real(record, **kwargs)
    monkeypatch.setattr(packets, "build", build)
    return calls


def second_tab(app, first):
    """Another tab of the same browser: the same session, its own requests."""
    tab = english_client(app)
    tab.set_cookie("session", first.get_cookie("session").value)
    return tab


def prepared(app, applicant):
    """A complete draft with a photo for every document; returns (draft id, {document id: [file ids]})."""
    service = app.extensions["services"][SERVICE]
    url = start(applicant, SERVICE)
    draft = draft_id_of(url)
    answer_all(applicant, service, url)
    for section in soup(applicant.get(f"/applications/{draft}/documents")).select("section.document"):
        upload(applicant, draft, section["id"][2:], ("photo.jpg", jpeg_bytes()))
    page = soup(applicant.get(f"/applications/{draft}/documents"))
    files = {s["id"][2:]: [a["href"].rsplit("/", 1)[1] for a in s.select("a[href*='/files/']")]
             for s in page.select("section.document")}
    return draft, files


def send(applicant, draft):
    token = csrf_of(applicant, f"/applications/{draft}/check")
    return applicant.post(f"/applications/{draft}/submit", data={"csrf_token": token, "declaration": "yes"})


def consistent(db_path, draft, files_dir):
    """Record, packet, receipt and database agree: same answers, same files with the same hashes."""
    with sqlite3.connect(db_path) as db:
        db.row_factory = sqlite3.Row
        record = json.loads(db.execute("SELECT snapshot FROM records WHERE application_id = ?", [draft]).fetchone()[0])
        packet = json.loads(db.execute("SELECT packet FROM outbox WHERE application_id = ?", [draft]).fetchone()[0])
        answers = {r["question_id"]: json.loads(r["value"]) for r in
                   db.execute("SELECT question_id, value FROM answers WHERE application_id = ? AND value IS NOT NULL", [draft])}
        stored = [(r["sha512"], r["storage_name"]) for r in
                  db.execute("SELECT * FROM files WHERE application_id = ? AND purpose = 'attachment'", [draft])]
    assert record["answers"] == packet["data"]["answers"]
    for k, v in record["answers"].items():   # a repeat step's items are stored one answer per question and item
        items = [{q.rsplit("__", 1)[0]: a for q, a in answers.items() if q.endswith(f"__{n}")} for n in answers.get(f"{k}[]", [])]
        assert (items if isinstance(v, list) else answers[k]) == v
    assert sorted(d["sha512"] for d in record["documents"]) == sorted(d["sha512"] for d in packet["documents"]) \
        == sorted(sha for sha, _name in stored)
    assert all((files_dir / name).is_file() for _sha, name in stored)
    return record


def test_an_answer_changed_in_a_second_tab_during_submit(app, applicant, db_path, tmp_path, monkeypatch):
    draft, _files = prepared(app, applicant)
    tab = second_tab(app, applicant)
    step = f"/applications/{draft}/steps/guarantor"

    def change_name():
        token = csrf_of(tab, step)
        return tab.post(f"{step}/fields/family_name", data={"csrf_token": token, "family_name": "Nachname-Neu"},
                        headers={"HX-Request": "true"}).status_code
    calls = during_submit(monkeypatch, change_name)
    assert send(applicant, draft).status_code == 303
    assert calls == [200]
    record = consistent(db_path, draft, tmp_path / "files")
    assert record["answers"]["family_name"] == "Nachname-Neu"      # drawn again from what the database holds
    assert "Nachname-Neu" in pdf_text(applicant.get(f"/applications/{draft}/receipt.pdf"))

    # After submit, a write from the second tab is refused and changes nothing.
    late = tab.post(f"{step}/fields/family_name", data={"csrf_token": csrf_of(tab, "/dashboard"), "family_name": "Zu-Spaet"},
                    headers={"HX-Request": "true"})
    assert late.status_code in (303, 404)
    assert consistent(db_path, draft, tmp_path / "files")["answers"]["family_name"] == "Nachname-Neu"


def test_a_document_deleted_in_a_second_tab_during_submit(app, applicant, db_path, monkeypatch):
    draft, files = prepared(app, applicant)
    tab = second_tab(app, applicant)
    document, (file_id,) = next(iter(files.items()))

    def delete():
        token = csrf_of(tab, f"/applications/{draft}/documents")
        return tab.post(f"/applications/{draft}/files/{file_id}/delete", data={"csrf_token": token}).status_code
    calls = during_submit(monkeypatch, delete)
    response = send(applicant, draft)
    assert calls == [303]
    assert response.status_code == 422 and "Upload the documents marked as missing" in response.get_data(as_text=True)
    with sqlite3.connect(db_path) as db:
        assert db.execute("SELECT status FROM applications WHERE id = ?", [draft]).fetchone()[0] == "draft"
        assert db.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM records").fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM files WHERE purpose = 'form'").fetchone()[0] == 0


def test_a_document_added_in_a_second_tab_during_submit(app, applicant, db_path, tmp_path, monkeypatch):
    draft, files = prepared(app, applicant)
    tab = second_tab(app, applicant)
    document = next(iter(files))
    calls = during_submit(monkeypatch, lambda: upload(tab, draft, document, ("second.jpg", jpeg_bytes(color="blue"))).status_code)
    assert send(applicant, draft).status_code == 303
    assert calls == [303]
    record = consistent(db_path, draft, tmp_path / "files")
    assert [d["filename"] for d in record["documents"] if d["document_id"] == document] == ["photo.jpg", "second.jpg"]

    # Nothing can be added, deleted or answered any more.
    token = csrf_of(tab, "/dashboard")
    late = tab.post(f"/applications/{draft}/documents/{document}", content_type="multipart/form-data",
                    data={"csrf_token": token, "file": [(io.BytesIO(jpeg_bytes()), "third.jpg")]})
    assert late.status_code == 303 and late.location == f"/applications/{draft}"      # to the status page
    tab.post(f"/applications/{draft}/files/{files[document][0]}/delete", data={"csrf_token": token})
    tab.post(f"/applications/{draft}/delete", data={"csrf_token": token})
    assert consistent(db_path, draft, tmp_path / "files") == record


def test_the_database_refuses_to_change_a_record_or_an_unknown_status(app, applicant, db_path):
    draft, _ = submit_application(applicant, app, SERVICE)
    with sqlite3.connect(db_path) as db:
        with pytest.raises(sqlite3.IntegrityError, match="legal record"):
            db.execute("UPDATE records SET snapshot = '{}'")
        with pytest.raises(sqlite3.IntegrityError, match="legal record"):
            db.execute("DELETE FROM records")
        with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
            db.execute("UPDATE applications SET status = 'lost' WHERE id = ?", [draft])


def test_deleting_an_account_keeps_its_persons_and_applications(app, applicant, db_path):
    draft, _ = submit_application(applicant, app, SERVICE)
    with sqlite3.connect(db_path) as db:
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("DELETE FROM accounts WHERE email = 'ana@example.org'")
        assert db.execute("SELECT account_id FROM applications WHERE id = ?", [draft]).fetchone() == (None,)
        assert db.execute("SELECT count(*) FROM persons").fetchone()[0] == 1
        assert db.execute("SELECT count(*) FROM records").fetchone()[0] == 1
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []

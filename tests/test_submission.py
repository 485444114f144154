"""From answers to a filed application: submit, receipt, packet, outbox, status; exactly one packet whatever happens."""
import io
import json
import sqlite3

import jsonschema
import pytest
from pypdf import PdfReader

from assistant import access
from assistant.applications import references, submission
from assistant.handoff import packets
from tests.conftest import csrf_of, draft_id_of, english_client, register, soup, start, submit_application

FITCONNECT = packets.FITCONNECT


def count(db_path, sql, *args):
    """One number from the database."""
    return sqlite3.connect(db_path).execute(sql, args).fetchone()[0]


def packet_of(db_path, application_id):
    """The packet queued for an application."""
    return json.loads(sqlite3.connect(db_path).execute(
        "SELECT packet FROM outbox WHERE application_id = ?", [application_id]).fetchone()[0])


@pytest.mark.parametrize("service_id", ["residence-permit-extension", "declaration-of-commitment"])
def test_submit_both_services_receipt_packet_and_status(app, applicant, db_path, service_id, tmp_path):
    draft, response = submit_application(applicant, app, service_id)
    assert response.status_code == 303 and response.location.endswith(f"/applications/{draft}?submitted=1")
    page = soup(applicant.get(response.location))
    reference = page.select_one(".panel .ref").text
    assert references.normalize(reference) == reference
    assert page.select_one(".panel h1").text == "Application sent"
    assert "You submitted the application." in page.select_one(".timeline").text

    # The receipt: stored, downloadable again, its text extractable.
    pdf = applicant.get(f"/applications/{draft}/receipt.pdf")
    body = pdf.get_data()
    pdf.close()
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages).split())
    service = app.extensions["services"][service_id]
    packet = packet_of(db_path, draft)
    for needle in [reference, service.title, "Ausländerbehörde Musterstadt", "What happens next",
                   packet["documents"][0]["sha256"][:16], "Müller-Lüdenscheidt"]:
        assert needle in text, needle
    assert "Central European" in text  # shown in Europe/Berlin time

    # The packet: our schema, FIT-Connect's metadata schema, hashes that match the files.
    packets.VALIDATOR.validate(packet)
    jsonschema.Draft202012Validator(FITCONNECT, format_checker=jsonschema.FormatChecker()).validate(packet["metadata"])
    assert packet["reference"] == reference and packet["service"]["id"] == service_id
    import hashlib
    data_hash = packet["metadata"]["contentStructure"]["data"]["hash"]["content"]
    assert hashlib.sha512(packets.canonical_json(packet["data"])).hexdigest() == data_hash
    attachments = packet["metadata"]["contentStructure"]["attachments"]
    assert [a["purpose"] for a in attachments] == ["form"] + ["attachment"] * len(packet["documents"])
    assert hashlib.sha512(body).hexdigest() == packet["receipt"]["sha512"] == attachments[0]["hash"]["content"]
    # The office answers where the application says (its e-mail question), not necessarily the account's address.
    assert packet["metadata"]["replyChannel"] == {"eMail": {"address": "person@example.org"}}
    assert packet["applicant"]["email"] == "person@example.org" and packet["applicant"]["account_email"] == "ana@example.org"
    assert packet["applicant"]["family_name"] == "Müller-Lüdenscheidt"
    assert packet["data"]["answers"][service.steps[0].questions[0].id] == "Müller-Lüdenscheidt"
    assert count(db_path, "SELECT count(*) FROM outbox WHERE application_id = ? AND state = 'queued'", draft) == 1

    # Delivered to a drop folder: one folder named by the reference, with the packet and every file.
    drop = tmp_path / "drop"
    result = app.test_cli_runner().invoke(args=["outbox", "deliver", "--to", str(drop)])
    assert "1 delivered" in result.output
    assert json.loads((drop / reference / "packet.json").read_text()) == packet
    assert (drop / reference / "receipt.pdf").read_bytes() == body

    # The dashboard lists it with reference and status; the draft list no longer does.
    dashboard = soup(applicant.get("/dashboard"))
    assert reference in dashboard.text and "Submitted" in dashboard.text
    old_link = applicant.get(f"/applications/{draft}/check")                  # Back, or an old bookmark
    assert old_link.status_code == 303 and old_link.location == f"/applications/{draft}"


def test_leika_key_names_the_public_service(app, applicant, db_path):
    service = app.extensions["services"]["declaration-of-commitment"]
    service.leika = "99010003001000"
    try:
        draft, _response = submit_application(applicant, app, service.id)
    finally:
        service.leika = None
    packet = json.loads(count(db_path, "SELECT packet FROM outbox WHERE application_id = ?", draft))
    assert packet["service"]["leika"] == "99010003001000"
    assert packet["metadata"]["publicServiceType"]["identifier"] == "urn:de:fim:leika:leistung:99010003001000"


def test_submit_needs_the_declaration_and_the_required_documents(app, applicant, db_path):
    service = app.extensions["services"]["declaration-of-commitment"]
    from tests.conftest import answer_all
    url = start(applicant, service.id)
    draft = draft_id_of(url)
    answer_all(applicant, service, url)
    token = csrf_of(applicant, f"/applications/{draft}/check")
    response = applicant.post(f"/applications/{draft}/submit", data={"csrf_token": token})
    assert response.status_code == 422
    links = [a["href"] for a in soup(response).select(".error-summary a")]
    assert links == [f"/applications/{draft}/documents", "#declaration"]
    assert count(db_path, "SELECT count(*) FROM outbox") == 0
    assert count(db_path, "SELECT status FROM applications WHERE id = ?", draft) == "draft"


def test_double_submission_makes_one_application_and_one_packet(app, applicant, db_path):
    draft, first = submit_application(applicant, app, "declaration-of-commitment")
    token = csrf_of(applicant, "/dashboard")
    again = applicant.post(f"/applications/{draft}/submit", data={"csrf_token": token, "declaration": "yes"})
    assert again.status_code == 303 and again.location == first.location
    assert count(db_path, "SELECT count(*) FROM outbox") == 1
    assert count(db_path, "SELECT count(*) FROM files WHERE purpose = 'form'") == 1
    assert count(db_path, "SELECT count(*) FROM events WHERE kind = 'submitted'") == 1


def test_a_request_that_loses_the_race_changes_nothing(app, applicant, db_path, tmp_path, monkeypatch):
    """Two requests that both saw a draft: the second transaction finds it submitted and leaves no trace."""
    monkeypatch.setattr(submission, "problems", lambda *a: (None, []))  # no documents needed for this
    service = app.extensions["services"]["declaration-of-commitment"]
    from tests.conftest import answer_all
    url = start(applicant, service.id)
    draft = draft_id_of(url)
    answer_all(applicant, service, url)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        from flask_login import login_user
        from assistant.identity import account
        login_user(account(1))
        stale = access.load(draft)
        submission.submit(stale, service, "ana@example.org")
        files_before = sorted(p.name for p in (tmp_path / "files").iterdir())
        with pytest.raises(submission.AlreadySubmitted):
            submission.submit(stale, service, "ana@example.org")
        assert sorted(p.name for p in (tmp_path / "files").iterdir()) == files_before
    assert count(db_path, "SELECT count(*) FROM outbox") == 1


@pytest.mark.parametrize("failing", ["store", "events"])
def test_a_crash_inside_the_transaction_leaves_a_draft_without_packet(app, applicant, db_path, monkeypatch, failing, tmp_path):
    service = app.extensions["services"]["declaration-of-commitment"]
    from tests.conftest import answer_all
    url = start(applicant, service.id)
    draft = draft_id_of(url)
    answer_all(applicant, service, url)

    def crash(*args, **kwargs):
        raise RuntimeError("power failure")
    if failing == "store":
        monkeypatch.setattr(submission.snapshot, "store", crash)
    else:   # the last statement of the transaction
        monkeypatch.setattr(submission, "json", type("Json", (), {"dumps": staticmethod(crash)}))
    monkeypatch.setattr(submission, "problems", lambda *a: (None, []))  # no documents needed for this
    with app.test_request_context(headers={"Accept-Language": "en"}):
        from flask_login import login_user
        from assistant.identity import account
        login_user(account(1))
        with pytest.raises(RuntimeError):
            submission.submit(access.load(draft), service, "ana@example.org")
    assert count(db_path, "SELECT status FROM applications WHERE id = ?", draft) == "draft"
    assert count(db_path, "SELECT reference IS NULL FROM applications WHERE id = ?", draft) == 1
    for table in ("outbox", "records", "receipts_to_draw"):
        assert count(db_path, f"SELECT count(*) FROM {table}") == 0
    assert count(db_path, "SELECT count(*) FROM files WHERE purpose = 'form'") == 0
    assert count(db_path, "SELECT count(*) FROM events WHERE kind = 'submitted'") == 0
    assert not any((tmp_path / "files").iterdir()) if (tmp_path / "files").exists() else True


def test_receipts_and_documents_of_others_answer_404(app, applicant, make_app):
    draft, _ = submit_application(applicant, app, "declaration-of-commitment")
    file_id = soup(applicant.get(f"/applications/{draft}")).select_one("main ul li a")["href"].rsplit("/", 1)[1]
    own = applicant.get(f"/applications/{draft}/files/{file_id}")
    assert own.get_data()[:3] == b"\xff\xd8\xff"
    own.close()
    assert own.status_code == 200 and own.mimetype == "image/jpeg"
    other = english_client(make_app())
    register(other, email="eve@example.org")
    assert other.get(f"/applications/{draft}/receipt.pdf").status_code == 404
    assert other.get(f"/applications/{draft}/files/{file_id}").status_code == 404
    assert other.get(f"/applications/{draft}").status_code == 404
    theirs = start(other, "declaration-of-commitment")
    assert other.get(f"/applications/{draft_id_of(theirs)}/files/{file_id}").status_code == 404   # not via one's own draft
    assert applicant.get(f"/applications/{draft}/files/not-a-file").status_code == 404
    anonymous = english_client(app)
    assert anonymous.get(f"/applications/{draft}/receipt.pdf").status_code == 302


def test_reference_numbers_are_unambiguous_and_catch_typos_and_swaps():
    refs = {references.new() for _ in range(200)}
    assert len(refs) == 200
    for ref in refs:
        assert references.normalize(ref) == ref and len(ref) == 11
        assert not set(ref) & set("01OIL")
    ref = next(iter(refs))
    compact = ref.replace("-", "")
    for i in range(len(compact)):
        for ch in references.ALPHABET:
            if ch != compact[i]:
                assert references.normalize(compact[:i] + ch + compact[i + 1:]) is None
        if i + 1 < len(compact) and compact[i] != compact[i + 1]:
            assert references.normalize(compact[:i] + compact[i + 1] + compact[i] + compact[i + 2:]) is None
    assert references.normalize(f"  {compact.lower()} ") == ref
    assert references.normalize("") is None and references.normalize("ABCD-EFGH-I") is None


def test_the_confirmation_and_every_later_news_go_to_the_applications_address_in_its_language(app, make_app, mailbox):
    from tests.conftest import choose_language
    client = english_client(make_app())
    register(client, email="account@example.org")
    choose_language(client, "ar")
    mailbox.clear()
    draft, response = submit_application(client, app, "declaration-of-commitment")
    assert response.status_code == 303
    [confirmation] = mailbox
    reference = soup(client.get(f"/applications/{draft}")).select_one(".ref-inline").text
    assert confirmation["To"] == "person@example.org" and reference not in confirmation.get_content()  # no details
    assert f"/applications/{draft}" in confirmation.get_content()
    assert "Musterstadt" in confirmation.get_content() and confirmation["Subject"] != "Your application has been received"
    with app.test_request_context():
        from assistant import access
        from assistant.casework import commands
        commands.change_status(access.load(draft), "received", None)
    assert mailbox[-1]["To"] == "person@example.org" and "/applications/" in mailbox[-1].get_content()


def test_a_transaction_that_read_before_another_writer_committed_still_writes(db_path):
    """Found by the bench (50 users submitting): a read-then-write transaction failed at once with "database is
    locked" when another writer committed in between. Transactions take the write lock when they begin; the other
    writer waits for it instead."""
    from assistant.db import connect
    mine, other = connect(db_path), connect(db_path)
    other.conn.execute("PRAGMA busy_timeout = 50")
    try:
        with mine.atomic():
            before = mine.execute("SELECT count(*) FROM audit_log").fetchone()[0]
            with pytest.raises(sqlite3.OperationalError, match="locked"):       # the other one waits (here: gives up)
                other.execute("INSERT INTO audit_log (actor, action) VALUES ('other', 'write')")
            mine.execute("INSERT INTO audit_log (actor, action) VALUES ('mine', 'write')")
        assert mine.execute("SELECT count(*) FROM audit_log").fetchone()[0] == before + 1
    finally:
        mine.close()
        other.close()


KILL_WHILE_DRAWING = """
import os, signal, sys
from flask_login import login_user
from assistant import access, create_app
from assistant.applications import receipt, submission
from assistant.identity import account
app = create_app({"DATABASE": sys.argv[1], "FILES_DIR": sys.argv[2], "SECRET_KEY": "test", "TESTING": True})
receipt.render = lambda record: os.kill(os.getpid(), signal.SIGKILL)   # the process dies after the commit
with app.test_request_context(headers={"Accept-Language": "en"}):
    login_user(account(1))
    draft = access.load(sys.argv[3])
    submission.submit(draft, app.extensions["services"][draft["service_id"]], "ana@example.org")
"""


def test_a_process_killed_after_the_commit_leaves_a_record_whose_receipt_and_packet_are_drawn_once(app, applicant,
                                                                                                 db_path, tmp_path):
    """kill -9 between the submit's commit and the drawing of its receipt: the submission stands, nothing is half;
    the next `flask outbox deliver` draws the receipt and the packet that carries it, exactly once."""
    import subprocess
    import sys
    from tests.conftest import ROOT, prepare_application
    draft = prepare_application(applicant, app, "declaration-of-commitment")
    killed = subprocess.run([sys.executable, "-c", KILL_WHILE_DRAWING, str(db_path), app.config["FILES_DIR"], draft],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert killed.returncode == -9, killed.stderr
    assert count(db_path, "SELECT status FROM applications WHERE id = ?", draft) == "submitted"
    assert count(db_path, "SELECT count(*) FROM records WHERE application_id = ?", draft) == 1
    assert count(db_path, "SELECT count(*) FROM receipts_to_draw") == 1
    assert count(db_path, "SELECT count(*) FROM outbox") == 0
    assert count(db_path, "SELECT count(*) FROM files WHERE purpose = 'form'") == 0
    page = soup(applicant.get(f"/applications/{draft}"))
    assert "being prepared" in page.select_one("#receipt").text                  # the person sees it is coming
    for _run in range(2):
        result = app.test_cli_runner().invoke(args=["outbox", "deliver", "--to", str(tmp_path / "drop")])
        assert result.exit_code == 0, result.output
    assert count(db_path, "SELECT count(*) FROM receipts_to_draw") == 0
    assert count(db_path, "SELECT count(*) FROM files WHERE purpose = 'form'") == 1
    assert count(db_path, "SELECT count(*) FROM outbox WHERE state = 'delivered'") == 1
    packet = json.loads(count(db_path, "SELECT packet FROM outbox"))
    stored = count(db_path, "SELECT sha512 FROM files WHERE purpose = 'form'")
    assert packet["receipt"]["sha512"] == stored and packet["reference"] == count(
        db_path, "SELECT reference FROM applications WHERE id = ?", draft)
    assert soup(applicant.get(f"/applications/{draft}")).select_one("#receipt a")["href"].endswith("/receipt.pdf")


def test_after_commit_the_answer_comes_at_once_and_the_receipt_as_soon_as_it_is_drawn(make_app, monkeypatch):
    """ASSISTANT_RECEIPT_DRAWING=after-commit: "Send" answers before the receipt exists; the status page says it is
    coming (and asks for itself again every second with JavaScript, a link without) and then offers it."""
    import threading
    from assistant.applications import drawing, receipt
    app = make_app(RECEIPT_DRAWING="after-commit")
    applicant = english_client(app)
    register(applicant)
    release, real = threading.Event(), receipt.render
    monkeypatch.setattr(receipt, "render", lambda record: release.wait(30) and real(record))
    draft, response = submit_application(applicant, app, "declaration-of-commitment")
    assert response.status_code == 303                                           # answered while the receipt waits
    coming = soup(applicant.get(response.location)).select_one("#receipt")
    assert coming["data-hx-trigger"] == "every 1s" and coming.select_one("a")["href"] == f"/applications/{draft}"
    assert applicant.get(f"/applications/{draft}/receipt.pdf").status_code == 404
    release.set()
    drawing.drain(app)
    assert soup(applicant.get(f"/applications/{draft}")).select_one("#receipt a")["href"].endswith("/receipt.pdf")
    response = applicant.get(f"/applications/{draft}/receipt.pdf")
    assert response.mimetype == "application/pdf" and len(response.data) > 1000
    response.close()


def test_a_receipt_that_cannot_be_drawn_never_stops_the_others(app, applicant, db_path, monkeypatch, tmp_path):
    """One submission whose receipt fails to draw (here the PDF library refuses its record) stays waiting, is named
    by the delivery run, and every other one is drawn and delivered; once the cause is gone it is drawn too."""
    from assistant.applications import receipt
    real = receipt.render

    def broken(record):
        raise RuntimeError("broken font")
    monkeypatch.setattr(receipt, "render", broken)
    first, _ = submit_application(applicant, app, "declaration-of-commitment")
    second, _ = submit_application(applicant, app, "declaration-of-commitment")
    assert count(db_path, "SELECT count(*) FROM receipts_to_draw") == 2          # both submitted, both waiting
    bad = count(db_path, "SELECT reference FROM applications WHERE id = ?", first)
    monkeypatch.setattr(receipt, "render", lambda record: (broken if record["reference"] == bad else real)(record))
    result = app.test_cli_runner().invoke(args=["outbox", "deliver", "--to", str(tmp_path / "drop")])
    assert result.exit_code == 1 and first in result.output and "1 delivered" in result.output
    assert count(db_path, "SELECT application_id FROM receipts_to_draw") == first
    assert count(db_path, "SELECT application_id FROM outbox WHERE state = 'delivered'") == second
    monkeypatch.setattr(receipt, "render", real)
    result = app.test_cli_runner().invoke(args=["outbox", "deliver", "--to", str(tmp_path / "drop")])
    assert result.exit_code == 0, result.output
    assert count(db_path, "SELECT count(*) FROM outbox WHERE state = 'delivered'") == 2

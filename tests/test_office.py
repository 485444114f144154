"""The back office: only staff get in, the inbox, the case view, actions, the applicant's side, e-mail, audit log."""
import io
import re
import sqlite3

import pytest
from PIL import Image

from tests.conftest import csrf_of, english_client, pdf_bytes, register, soup, staff, submit_application


def camera_photo():
    """A photo far above the 64 KB a plain form may have (below 500 KB, which the test client would spool to disk)."""
    out = io.BytesIO()
    Image.effect_noise((700, 520), 80).convert("RGB").save(out, "JPEG", quality=90)
    assert 100_000 < len(out.getvalue()) < 500_000
    return out.getvalue()


@pytest.fixture
def submitted(app, applicant):
    """A submitted declaration of commitment: (application id, reference)."""
    draft, _response = submit_application(applicant, app, "declaration-of-commitment")
    reference = sqlite3.connect(app.config["DATABASE"]).execute(
        "SELECT reference FROM applications WHERE id = ?", [draft]).fetchone()[0]
    return draft, reference


def office_rules(app):
    """Every route of the back office, with its methods."""
    return [(rule, sorted(rule.methods - {"HEAD", "OPTIONS"})) for rule in app.url_map.iter_rules()
            if rule.endpoint.startswith("office.")]


def test_every_back_office_route_refuses_applicants_and_strangers(app, applicant, submitted):
    draft, _reference = submitted
    anonymous = english_client(app)
    rules = office_rules(app)
    assert len(rules) >= 8
    for rule, methods in rules:
        url = rule.build({"application_id": draft, "file_id": "x", "other_id": draft, "organisation_id": 1},
                         append_unknown=False)[1]
        for method in methods:
            data = {"csrf_token": csrf_of(applicant, "/dashboard")} if method == "POST" else None
            assert applicant.open(url, method=method, data=data).status_code == 403, (method, url)
            response = anonymous.open(url, method=method)
            assert response.status_code in (302, 400) and (response.status_code == 400 or "/login" in response.location)


def test_audit_pages_are_for_admins_only(app, submitted):
    clerk = staff(app)
    assert clerk.get("/office/audit").status_code == 403
    assert clerk.get("/office/audit.csv").status_code == 403
    admin = staff(app, "admin", "boss@example.org")
    assert admin.get("/office/audit").status_code == 200


def test_staff_cannot_register_and_the_cli_refuses_duplicates(app):
    assert app.test_cli_runner().invoke(args=["users", "create", "--role", "caseworker", "a@example.org"]).exit_code == 0
    again = app.test_cli_runner().invoke(args=["users", "create", "--role", "caseworker", "a@example.org"])
    assert again.exit_code != 0 and "exists" in again.output
    assert app.test_cli_runner().invoke(args=["users", "create", "--role", "applicant", "b@example.org"]).exit_code != 0


def test_inbox_filters_searches_and_shows_answered_cases(app, submitted):
    draft, reference = submitted
    clerk = staff(app)
    page = soup(clerk.get("/office/"))
    assert [a.text for a in page.select("table.cases td a")] == [reference]
    assert "Müller-Lüdenscheidt" in page.select_one("table.cases").text
    assert reference in soup(clerk.get("/office/?q=" + reference.replace("-", "").lower())).text
    assert reference in soup(clerk.get("/office/?q=Lüdenscheidt")).text
    assert reference in soup(clerk.get("/office/?q=mueller-lued")).text          # the passport's Latin spelling
    assert soup(clerk.get("/office/?q=Nobody")).select("table.cases") == []
    assert soup(clerk.get("/office/?service=residence-permit-extension")).select("table.cases") == []
    assert soup(clerk.get("/office/?status=submitted")).select("table.cases td a")
    assert soup(clerk.get("/office/?status=received")).select("table.cases") == []


def test_the_whole_dialogue_through_the_inbox(app, applicant, submitted, mailbox):
    draft, reference = submitted
    db = sqlite3.connect(app.config["DATABASE"])
    clerk = staff(app)
    case_url = f"/office/cases/{draft}"
    page = soup(clerk.get(case_url))
    assert reference in page.h1.text
    assert "Verpflichtungserklärung" in page.h1.text or "Declaration of commitment" in page.h1.text
    assert page.select_one("dl.summary[lang=de]")                    # the answers in German
    assert page.select("figure.doc img")                             # photos viewable in the page
    image = clerk.get(page.select_one("figure.doc img")["src"])
    assert image.get_data()[:3] == b"\xff\xd8\xff" and "frame-ancestors 'self'" in image.headers["Content-Security-Policy"]
    image.close()
    token = csrf_of(clerk, case_url)

    assert clerk.post(f"{case_url}/claim", data={"csrf_token": token}).status_code == 303
    assert clerk.post(f"{case_url}/status", data={"csrf_token": token, "status": "received"}).status_code == 303
    assert db.execute("SELECT status FROM applications WHERE id = ?", [draft]).fetchone()[0] == "received"
    refused = clerk.post(f"{case_url}/status", data={"csrf_token": token, "status": "submitted"})
    assert refused.status_code == 422                               # not a sensible transition
    response = clerk.post(f"{case_url}/messages", data={"csrf_token": token, "kind": "request", "body": "Bitte Mietvertrag senden.",
                                                        "documents": "Mietvertrag\nMeldebescheinigung", "due_date": "2031-01-15"})
    assert response.status_code == 303
    assert db.execute("SELECT status FROM applications WHERE id = ?", [draft]).fetchone()[0] == "waiting"

    # The e-mail says only that something is waiting, with a link; nothing personal, nothing of the content.
    mail = mailbox[-1]
    text = mail.get_content()
    assert mail["To"] == "person@example.org"                               # the address the application gave
    assert f"http://front-desk.test/applications/{draft}" in text
    for secret in (reference, "Mietvertrag", "Müller", "Lina", "Haddad"):
        assert secret not in text and secret not in mail["Subject"]

    # The applicant sees the request with the time left, answers it with a document.
    page = soup(applicant.get(f"/applications/{draft}"))
    request_item = page.select_one(".msg.office")
    assert "Mietvertrag" in request_item.text and "Meldebescheinigung" in request_item.text
    assert re.search(r"in \d+ days", request_item.text)
    form = request_item.select_one("form.reply")
    response = applicant.post(form["action"], content_type="multipart/form-data", data={
        "csrf_token": form.select_one("input[name=csrf_token]")["value"], "reply_to": form.select_one("input[name=reply_to]")["value"],
        "body": "Anbei der Mietvertrag.", "file": (io.BytesIO(camera_photo()), "mietvertrag.jpg")})
    assert response.status_code == 303
    assert "Answered" in soup(applicant.get(f"/applications/{draft}")).select_one(".msg.office").text

    # Back in the inbox as "answered"; opening the case changes nothing (a GET), "Mark as read" clears the mark.
    inbox = soup(clerk.get("/office/?status=answered"))
    assert inbox.select_one("table.cases .badge").text == "answered"
    page = soup(clerk.get(case_url))
    answer = page.select(".msg.applicant")[-1]
    assert "Anbei der Mietvertrag." in answer.text and answer.select_one("a").text == "mietvertrag.jpg"
    assert soup(clerk.get("/office/?status=answered")).select("table.cases")
    assert clerk.post(f"{case_url}/seen", data={"csrf_token": token}).status_code == 303
    assert soup(clerk.get("/office/?status=answered")).select("table.cases") == []

    # An appointment with an .ics file, then the decision.
    response = clerk.post(f"{case_url}/messages", data={"csrf_token": token, "kind": "appointment", "date": "2031-02-03",
                                                        "time": "09:30", "place": "Zimmer 4, Rathaus", "bring": "Reisepass"})
    assert response.status_code == 303
    page = soup(applicant.get(f"/applications/{draft}"))
    ics_link = page.select_one("a[href$='appointment.ics']")["href"]
    ics = applicant.get(ics_link).get_data(as_text=True)
    assert "DTSTART:20310203T083000Z" in ics and "LOCATION:Zimmer 4\\, Rathaus" in ics
    response = clerk.post(f"{case_url}/messages", content_type="multipart/form-data", data={
        "csrf_token": token, "kind": "decision", "body": "Die Erklärung ist bereit.",
        "file": (io.BytesIO(pdf_bytes(pages=5)), "bescheid.pdf")})
    assert response.status_code == 303
    assert db.execute("SELECT status FROM applications WHERE id = ?", [draft]).fetchone()[0] == "decided"
    page = soup(applicant.get(f"/applications/{draft}"))
    decision = page.select(".msg.office")[-1]
    download = applicant.get(decision.select_one("a[href*='/files/']")["href"])
    assert download.get_data()[:5] == b"%PDF-"
    download.close()
    timeline = page.select_one(".timeline").text
    for text in ["The office invites you to an appointment.", "The office has decided on the application.",
                 "You answered the office's request.", "The office asks for information or documents.",
                 "The status changed.", "You submitted the application."]:
        assert text in timeline
    assert len(mailbox) == 4                                                  # received, request, appointment, decision

    # Every item of correspondence is on the outbox with a PDF of it.
    kinds = [r[0] for r in db.execute("SELECT json_extract(packet, '$.message.kind') FROM outbox WHERE kind = 'correspondence' ORDER BY id")]
    assert kinds == ["request", "message", "appointment", "decision"]

    # Closing ends the conversation.
    assert clerk.post(f"{case_url}/status", data={"csrf_token": token, "status": "closed"}).status_code == 303
    closed = applicant.post(f"/applications/{draft}/messages", data={"csrf_token": csrf_of(applicant, f"/applications/{draft}"), "body": "Noch etwas"})
    assert closed.status_code == 422


def test_the_applicant_can_write_on_their_own_initiative(app, applicant, submitted, mailbox):
    draft, _reference = submitted
    token = csrf_of(applicant, f"/applications/{draft}")
    empty = applicant.post(f"/applications/{draft}/messages", data={"csrf_token": token, "body": "  "})
    assert empty.status_code == 422 and "Write a message or add a document." in soup(empty).select_one(".error-summary").text
    bad = applicant.post(f"/applications/{draft}/messages", content_type="multipart/form-data",
                         data={"csrf_token": token, "body": "x", "file": (io.BytesIO(b"MZ\x90\x00"), "virus.jpg")})
    assert bad.status_code == 422 and "virus.jpg" in soup(bad).select_one(".error-summary").text
    response = applicant.post(f"/applications/{draft}/messages", data={"csrf_token": token, "body": "Neue Adresse: Hauptstr. 9"})
    assert response.status_code == 303
    assert "Neue Adresse" in soup(applicant.get(f"/applications/{draft}")).select_one(".msg.applicant").text
    assert mailbox == []                                     # the office is not e-mailed; the inbox shows it


def test_someone_else_cannot_write_into_or_read_a_case(app, make_app, submitted):
    draft, _reference = submitted
    other = english_client(make_app())
    register(other, email="eve@example.org")
    token = csrf_of(other, "/dashboard")
    assert other.post(f"/applications/{draft}/messages", data={"csrf_token": token, "body": "hi"}).status_code == 404
    assert other.get(f"/applications/{draft}/messages/1/appointment.ics").status_code == 404


def test_every_case_view_is_in_the_audit_log_which_cannot_be_edited(app, submitted):
    draft, reference = submitted
    clerk = staff(app)
    clerk.get(f"/office/cases/{draft}")
    admin = staff(app, "admin", "boss@example.org")
    page = soup(admin.get("/office/audit"))
    assert "clerk@example.org" in page.text and "view case" in page.text and reference in page.text
    csv_text = admin.get("/office/audit.csv").get_data(as_text=True)
    assert csv_text.splitlines()[0] == "id,created_at,actor,action,reference,details"
    assert f"clerk@example.org,view case,{reference}" in csv_text
    db = sqlite3.connect(app.config["DATABASE"])
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("UPDATE audit_log SET actor = 'nobody'")
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("DELETE FROM audit_log")
    assert not [r for r in app.url_map.iter_rules() if "audit" in r.rule and r.methods & {"POST", "PUT", "DELETE", "PATCH"}]


def test_password_reset_by_e_mail_works_once_and_expires(app, client, mailbox):
    register(client, email="forgetful@example.org")
    english_client(app).post("/logout")
    fresh = english_client(app)
    token = csrf_of(fresh, "/password/forgot")
    response = fresh.post("/password/forgot", data={"csrf_token": token, "email": "forgetful@example.org"})
    assert response.status_code == 302
    unknown = fresh.post("/password/forgot", data={"csrf_token": token, "email": "nobody@example.org"})
    assert unknown.status_code == 302                                    # the same answer: no account is revealed
    resets = [m for m in mailbox if "/password/reset/" in m.get_content()]
    assert len(resets) == 1                                              # one for the account, none for the unknown
    link = re.search(r"http://front-desk.test(/password/reset/\S+)", resets[0].get_content()).group(1)
    page = fresh.get(link)
    assert page.status_code == 200
    new = "a completely new secret"
    response = fresh.post(link, data={"csrf_token": csrf_of(fresh, link), "password": new, "confirm": new})
    assert response.status_code == 302
    assert fresh.get(link).status_code == 404                            # single use
    login = fresh.post("/login", data={"csrf_token": csrf_of(fresh, "/login"), "email": "forgetful@example.org", "password": new})
    assert login.status_code == 302
    db = sqlite3.connect(app.config["DATABASE"])
    db.execute("UPDATE password_resets SET used_at = NULL, expires_at = '2000-01-01T00:00:00.000Z'")
    db.commit()
    assert fresh.get(link).status_code == 404                            # expired

"""One access policy: walked over the whole URL map, every route refuses another account's applications, files and messages."""
import sqlite3

from flask import url_for

from tests.conftest import (answer_all, csrf_of, draft_id_of, english_client, jpeg_bytes, register, soup, staff, start,
                            submit_application, upload)

SERVICE = "declaration-of-commitment"


def owner_objects(app, applicant):
    """A submitted application with an appointment from the office, and a complete draft with a document."""
    submitted, _ = submit_application(applicant, app, SERVICE)
    office = staff(app)
    token = csrf_of(office, f"/office/cases/{submitted}")
    assert office.post(f"/office/cases/{submitted}/messages", data={
        "csrf_token": token, "kind": "appointment", "date": "2031-05-06", "time": "09:30", "place": "Zimmer 2"}).status_code == 303
    service = app.extensions["services"][SERVICE]
    url = start(applicant, SERVICE)
    draft = draft_id_of(url)
    answer_all(applicant, service, url)
    upload(applicant, draft, service.documents[0]["id"], ("photo.jpg", jpeg_bytes()))
    page = soup(applicant.get(f"/applications/{submitted}"))
    message_id = int(page.select_one("a[href$='appointment.ics']")["href"].split("/")[-2])
    return {
        submitted: page.select_one("main ul li a[href*='/files/']")["href"].rsplit("/", 1)[1],
        draft: soup(applicant.get(f"/applications/{draft}/documents")).select_one("ul.files a")["href"].rsplit("/", 1)[1],
    }, message_id


def test_every_route_with_an_application_refuses_a_stranger(app, applicant, db_path):
    objects, message_id = owner_objects(app, applicant)
    service = app.extensions["services"][SERVICE]
    arguments = {"step_id": service.steps[0].id, "question_id": service.steps[0].questions[0].id,
                 "document_id": service.documents[0]["id"], "message_id": message_id, "key": "not-their-payment",
                 "number": 1, "other_id": "not-their-case", "person_id": 1}
    with sqlite3.connect(db_path) as db:
        before = db.execute("SELECT count(*), group_concat(raw) FROM answers").fetchone()
    stranger = register(english_client(app), email="eve@example.org")
    caseworker = staff(app, email="clerk2@example.org")
    submitted, draft = objects
    checked = set()
    for rule in app.url_map.iter_rules():
        if "application_id" not in rule.arguments:
            continue
        office = rule.rule.startswith("/office/")
        for application_id, file_id in objects.items():
            if office and application_id == submitted:
                continue  # a caseworker's own work
            with app.test_request_context():
                url = url_for(rule.endpoint, application_id=application_id, file_id=file_id,
                              **{k: v for k, v in arguments.items() if k in rule.arguments})
            # Applicant routes refuse everyone but the acting account, staff included; the office sees no drafts.
            for client in ([caseworker] if office else [stranger, caseworker]):
                token = csrf_of(client, "/office/" if client is caseworker else "/dashboard")
                for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                    response = client.open(url, method=method, data={"csrf_token": token})
                    assert response.status_code == 404, (rule.rule, method, application_id, response.status_code)
                    checked.add(rule.endpoint)
    assert {"applications.step", "applications.check_field", "applications.file", "applications.receipt",
            "applications.appointment", "applications.submit", "applications.delete", "applications.delete_file",
            "applications.upload", "applications.write", "office.case", "office.file", "office.message",
            "applications.pay", "applications.pay_start", "applications.pay_return", "office.payment",
            "applications.item", "applications.remove_item", "office.person_file", "office.same_person"} <= checked
    with sqlite3.connect(db_path) as db:
        assert db.execute("SELECT count(*), group_concat(raw) FROM answers").fetchone() == before

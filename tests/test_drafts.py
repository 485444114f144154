"""Drafts: prefill from the profile, two tabs, dashboard, delete, and nobody else's draft is ever reachable."""
import json
import sqlite3

import pytest

from tests.conftest import english_client, answer_step, csrf_of, draft_id_of, form_fields, register, soup, start, submit


def stored(db_path, draft, question):
    """The stored raw answer of a question."""
    row = sqlite3.connect(db_path).execute(
        "SELECT raw, value, prefilled FROM answers WHERE application_id = ? AND question_id = ?", [draft, question]).fetchone()
    return None if row is None else (json.loads(row[0]), row[1] and json.loads(row[1]), row[2])


def test_new_application_is_prefilled_visibly_and_can_be_changed(applicant, db_path):
    url = start(applicant, "residence-permit-extension")
    page = soup(applicant.get(url))
    assert page.select_one("input[name=family_name]")["value"] == "Haddad"
    assert page.select_one("input[name=birth_date]")["value"] == "27.03.1990"
    assert page.select_one("select[name=nationality] option[selected]")["value"] == "SY"
    note = page.select_one("#f-family_name-pre")
    assert note is not None and "profile" in note.text
    assert "f-family_name-pre" in page.select_one("#f-family_name")["aria-describedby"]

    response = submit(applicant, url, {"family_name": "Haddad-Schulz", "sex": "female"})
    assert response.status_code == 302
    draft = draft_id_of(url)
    assert stored(db_path, draft, "family_name") == ("Haddad-Schulz", "Haddad-Schulz", 0)
    assert stored(db_path, draft, "given_names")[2] == 1  # untouched answers stay marked as prefilled
    page = soup(applicant.get(url))
    assert page.select_one("#f-family_name-pre") is None
    assert page.select_one("#f-given_names-pre") is not None


def test_every_answer_is_stored_as_it_arrives_even_when_invalid(applicant, db_path):
    url = start(applicant, "residence-permit-extension")
    response = submit(applicant, url, {"birth_date": "31.02.1990", "birth_place": "Homs"})
    assert response.status_code == 422
    page = soup(response)
    summary = page.select_one(".error-summary")
    assert summary.select_one("a")["href"] == "#f-birth_date"
    assert "does not exist" in page.select_one("#f-birth_date-error").text
    assert page.select_one("#f-birth_date")["aria-invalid"] == "true"
    draft = draft_id_of(url)
    assert stored(db_path, draft, "birth_date") == ("31.02.1990", None, 0)
    assert stored(db_path, draft, "birth_place") == ("Homs", "Homs", 0)


def test_two_tabs_do_not_erase_each_others_answers(applicant, db_path):
    url = start(applicant, "residence-permit-extension")
    draft = draft_id_of(url)
    tab_a = form_fields(soup(applicant.get(url)))          # tab A opened the step
    tab_b = form_fields(soup(applicant.get(url)))          # tab B opened the same step
    applicant.post(url, data=tab_b | {"birth_place": "Damaskus", "action": "pause"})
    applicant.post(url, data=tab_a | {"family_name": "Haddad-Schulz", "action": "pause"})
    assert stored(db_path, draft, "birth_place")[0] == "Damaskus"       # B's answer survives A's later POST
    assert stored(db_path, draft, "family_name")[0] == "Haddad-Schulz"


def test_live_check_of_another_tab_is_kept_by_a_stale_step_post(applicant, db_path, app):
    url = start(applicant, "residence-permit-extension")
    draft = draft_id_of(url)
    stale = form_fields(soup(applicant.get(url)))
    applicant.post(f"{url}/fields/birth_place", data=stale | {"birth_place": "Idlib"}, headers={"HX-Request": "true"})
    applicant.post(url, data=stale | {"action": "pause"})
    assert stored(db_path, draft, "birth_place")[0] == "Idlib"


def test_dashboard_lists_drafts_with_progress_and_continue_opens_first_unfinished_step(applicant, app):
    service = app.extensions["services"]["declaration-of-commitment"]
    url = start(applicant, service.id)
    second = answer_step(applicant, url, service).location
    page = soup(applicant.get("/dashboard"))
    card = page.select_one(".card")
    assert card.h3.text == service.title
    assert "1 of" in card.text and "Last change" in card.text
    assert applicant.get(card.select_one("a.button")["href"]).location == second


def test_delete_draft(applicant, db_path):
    url = start(applicant, "declaration-of-commitment")
    draft = draft_id_of(url)
    token = csrf_of(applicant, "/dashboard")
    response = applicant.post(f"/applications/{draft}/delete", data={"csrf_token": token})
    assert response.status_code == 302
    assert sqlite3.connect(db_path).execute("SELECT count(*) FROM applications WHERE id = ?", [draft]).fetchone()[0] == 0
    assert sqlite3.connect(db_path).execute("SELECT count(*) FROM answers WHERE application_id = ?", [draft]).fetchone()[0] == 0
    assert applicant.get(url).status_code == 404


def test_steps_ahead_redirect_back_to_the_first_unfinished_step(applicant):
    url = start(applicant, "residence-permit-extension")
    base = url.rsplit("/", 1)[0]
    response = applicant.get(f"{base}/livelihood")
    assert response.status_code == 302
    assert response.location.endswith(draft_id_of(url))
    assert applicant.get(response.location).location.endswith("/steps/person")  # prefilled, but not yet confirmed
    # A branch step that does not apply is never shown.
    assert applicant.get(f"{base}/studies").status_code == 302
    assert applicant.get(url.replace("/steps/person", "/check")).status_code == 302


@pytest.fixture
def someone_elses_draft(make_app):
    """A draft of another account, and its step URL."""
    other = english_client(make_app())
    register(other, email="other@example.org")
    url = start(other, "residence-permit-extension")
    return url


def test_someone_elses_draft_answers_404_everywhere(applicant, someone_elses_draft, db_path):
    url = someone_elses_draft
    draft = draft_id_of(url)
    base = f"/applications/{draft}"
    token = csrf_of(applicant, "/dashboard")
    assert applicant.get(url).status_code == 404
    assert applicant.get(base).status_code == 404
    assert applicant.get(f"{base}/check").status_code == 404
    assert applicant.post(url, data={"csrf_token": token, "family_name": "Mallory", "action": "next"}).status_code == 404
    assert applicant.post(f"{url}/fields/family_name", data={"csrf_token": token, "family_name": "Mallory"},
                          headers={"HX-Request": "true"}).status_code == 404
    assert applicant.post(f"{base}/delete", data={"csrf_token": token}).status_code == 404
    assert stored(db_path, draft, "family_name") is None
    assert sqlite3.connect(db_path).execute("SELECT count(*) FROM applications WHERE id = ?", [draft]).fetchone()[0] == 1
    assert soup(applicant.get("/dashboard")).select(".card") == []


def test_drafts_need_a_login(client, someone_elses_draft):
    response = client.get(someone_elses_draft)
    assert response.status_code == 302 and "/login" in response.location


def test_unknown_service_and_step_answer_404(applicant):
    assert applicant.get("/services/no-such-service").status_code == 404
    token = csrf_of(applicant, "/dashboard")
    assert applicant.post("/services/no-such-service/start", data={"csrf_token": token}).status_code == 404
    url = start(applicant, "residence-permit-extension")
    base = url.rsplit("/", 1)[0]
    assert applicant.get(f"{base}/no-such-step").status_code == 404
    assert applicant.post(f"{url}/fields/no_such_question", data={"csrf_token": token},
                          headers={"HX-Request": "true"}).status_code == 404


def test_deleting_a_draft_deletes_its_uploaded_files(app, applicant, tmp_path):
    from tests.conftest import answer_all, jpeg_bytes, upload
    service = app.extensions["services"]["declaration-of-commitment"]
    url = start(applicant, service.id)
    draft = draft_id_of(url)
    answer_all(applicant, service, url)
    assert upload(applicant, draft, "guarantor_id", ("id.jpg", jpeg_bytes())).status_code == 303
    assert len(list((tmp_path / "files").iterdir())) == 1
    applicant.post(f"/applications/{draft}/delete", data={"csrf_token": csrf_of(applicant, "/dashboard")})
    assert list((tmp_path / "files").iterdir()) == []

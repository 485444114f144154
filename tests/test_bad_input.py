"""Bad input gets a clear message and loses nothing: malformed and oversized POSTs, missing CSRF token, live checks."""
import json
import sqlite3

from werkzeug.datastructures import MultiDict

from tests.conftest import choose_language, draft_id_of, form_fields, soup, start


def raw_answer(db_path, draft, question):
    """The stored raw answer, or None."""
    row = sqlite3.connect(db_path).execute(
        "SELECT raw FROM answers WHERE application_id = ? AND question_id = ?", [draft, question]).fetchone()
    return row and json.loads(row[0])


def test_missing_csrf_token_saves_nothing_but_shows_every_typed_answer_again(applicant, db_path):
    url = start(applicant, "residence-permit-extension")
    data = form_fields(soup(applicant.get(url)))
    data.pop("csrf_token")
    response = applicant.post(url, data=data | {"birth_place": "Aleppo-Neu", "action": "next"})
    assert response.status_code == 400
    page = soup(response)
    assert "expired" in page.select_one("p.notice").text
    assert page.select_one("input[name=birth_place]")["value"] == "Aleppo-Neu"   # nothing typed is lost
    assert page.select_one("input[name=csrf_token]")["value"]                      # a fresh token to send again
    assert raw_answer(db_path, draft_id_of(url), "birth_place") == "Aleppo"        # but nothing was saved
    # Sending the page again with the fresh token stores the answer.
    resend = form_fields(page) | {"action": "pause"}
    assert applicant.post(url, data=resend).status_code == 302
    assert raw_answer(db_path, draft_id_of(url), "birth_place") == "Aleppo-Neu"


def test_missing_csrf_token_elsewhere_is_a_clear_400(client):
    response = client.post("/login", data={"email": "a@example.org", "password": "x"})
    assert response.status_code == 400
    assert "expired" in soup(response).h1.text


def test_oversized_post_is_refused_with_a_message(applicant):
    url = start(applicant, "residence-permit-extension")
    data = form_fields(soup(applicant.get(url))) | {"birth_place": "x" * 100_000, "action": "next"}
    response = applicant.post(url, data=data)
    assert response.status_code == 413
    assert "too large" in soup(response).h1.text


def test_malformed_post_keeps_stored_answers_and_reports_per_field(applicant, db_path):
    url = start(applicant, "residence-permit-extension")
    token = form_fields(soup(applicant.get(url)))["csrf_token"]
    draft = draft_id_of(url)
    # Only a token, junk keys, a repeated key, a nonsense choice and an overlong name.
    response = applicant.post(url, data=MultiDict([("csrf_token", token), ("junk", "1"), ("family_name", "A" * 500),
                                         ("family_name", "B"), ("sex", "robot"), ("_seen", "garbage"), ("action", "next")]))
    assert response.status_code == 422
    page = soup(response)
    assert "at most 200 characters" in page.select_one("#f-family_name-error").text
    assert "Choose one of the options" in page.select_one("#f-sex-error").text
    assert raw_answer(db_path, draft, "family_name") == "A" * 500          # stored as typed, to be corrected
    assert raw_answer(db_path, draft, "given_names") == "Lina"              # fields not sent are kept


def test_live_check_answers_the_field_partial_with_its_message(applicant, db_path):
    url = start(applicant, "residence-permit-extension")
    data = form_fields(soup(applicant.get(url)))
    response = applicant.post(f"{url}/fields/birth_date", data=data | {"birth_date": "31.13.1990"},
                              headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html
    page = soup(response)
    field = page.select_one("div.field#q-birth_date")
    assert field["data-hx-swap"] == "outerHTML"
    assert "does not exist" in field.select_one(".error-message").text
    assert page.select_one("#live[data-hx-swap-oob]").text.strip() == field.select_one(".error-message").text.replace("Error: ", "").strip()
    assert raw_answer(db_path, draft_id_of(url), "birth_date") == "31.13.1990"


def test_live_check_stays_silent_on_an_empty_required_field(applicant):
    url = start(applicant, "residence-permit-extension")
    data = form_fields(soup(applicant.get(url)))
    response = applicant.post(f"{url}/fields/birth_place", data=data | {"birth_place": ""}, headers={"HX-Request": "true"})
    assert soup(response).select_one(".error-message") is None
    # The same empty field is reported when the step is sent.
    response = applicant.post(url, data=data | {"birth_place": "", "action": "next"})
    assert response.status_code == 422
    assert "Answer this question" in soup(response).select_one("#f-birth_place-error").text


def test_live_check_without_htmx_goes_back_to_the_step(applicant):
    url = start(applicant, "residence-permit-extension")
    data = form_fields(soup(applicant.get(url)))
    response = applicant.post(f"{url}/fields/birth_place", data=data | {"birth_place": "Hama"})
    assert response.status_code == 302 and response.location.endswith(url)


def test_every_next_stays_on_the_site_however_it_is_dressed(client, applicant):
    from tests.conftest import csrf_of
    for target in ["/%09/evil.example", "//evil.example", "/\\evil.example", "https://evil.example/", "/%0A/evil.example",
                   "javascript:alert(1)", "/\u2028/evil.example"]:
        response = choose_language(client, "de", next_path=target.replace("%09", "\t").replace("%0A", "\n"))
        assert response.status_code == 303 and response.location == "/", (target, response.location)
    assert choose_language(client, "de", next_path="/services/declaration-of-commitment").location == \
        "/services/declaration-of-commitment"
    fresh = client.application.test_client()
    token = csrf_of(fresh, "/login")
    login = fresh.post("/login?next=/%09/evil.example", data={"csrf_token": token, "email": "ana@example.org",
                                                              "password": "correct horse battery"})
    assert login.status_code == 302 and login.location == "/dashboard"


def test_an_expired_token_on_a_strangers_a_submitted_or_an_unknown_step_is_the_right_answer(app, applicant, make_app):
    from tests.conftest import english_client, register, submit_application
    submitted, _ = submit_application(applicant, app, "declaration-of-commitment")
    draft = draft_id_of(start(applicant, "declaration-of-commitment"))
    assert applicant.post(f"/applications/{submitted}/steps/guarantor", data={"family_name": "X"}).status_code == 303
    assert applicant.post(f"/applications/{draft}/steps/no-such-step", data={"family_name": "X"}).status_code == 404
    stranger = register(english_client(make_app()), email="eve@example.org")
    assert stranger.post(f"/applications/{draft}/steps/guarantor", data={"family_name": "X"}).status_code == 404
    assert stranger.post("/applications/nothing/steps/guarantor", data={"family_name": "X"}).status_code == 404


def test_an_answer_to_message_zero_is_a_bad_request_and_a_refused_file_keeps_the_text(app, applicant, db_path):
    import io
    from tests.conftest import csrf_of, submit_application
    submitted, _ = submit_application(applicant, app, "declaration-of-commitment")
    token = csrf_of(applicant, f"/applications/{submitted}")
    zero = applicant.post(f"/applications/{submitted}/messages", data={"csrf_token": token, "body": "Hallo", "reply_to": "0"})
    assert zero.status_code == 400
    text = "Meine neue Adresse ist Hauptstraße 7 – bitte ändern."
    refused = applicant.post(f"/applications/{submitted}/messages", content_type="multipart/form-data", data={
        "csrf_token": token, "body": text, "file": (io.BytesIO(b"MZ not a document"), "virus.exe")})
    assert refused.status_code == 422
    assert soup(refused).select_one("#write-body").text == text                  # nothing typed is lost
    assert sqlite3.connect(db_path).execute("SELECT count(*) FROM messages").fetchone()[0] == 0

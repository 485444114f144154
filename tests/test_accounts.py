"""Accounts an attacker cannot keep: sessions end with logout and a new password, staff accounts can be disabled."""
import importlib
import re

import pytest

from assistant import create_app
from tests.conftest import PASSWORD, csrf_of, english_client, register, staff


def stolen_copy(app, client):
    """A second browser holding a copy of the session cookie (a shared computer, a stolen cookie)."""
    thief = english_client(app)
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def test_a_copied_session_cookie_opens_nothing_after_logout(app, client):
    register(client)
    thief = stolen_copy(app, client)
    assert thief.get("/dashboard").status_code == 200
    assert client.post("/logout", data={"csrf_token": csrf_of(client, "/dashboard")}).status_code == 302
    assert thief.get("/dashboard").status_code == 302                    # to the login page
    again = english_client(app)
    token = csrf_of(again, "/login")
    assert again.post("/login", data={"csrf_token": token, "email": "ana@example.org", "password": PASSWORD}).status_code == 302
    assert again.get("/dashboard").status_code == 200                    # a new login works as before


def test_a_new_password_ends_every_session_and_every_older_link(app, client, mailbox):
    register(client, email="forgetful@example.org")
    thief = stolen_copy(app, client)
    fresh = english_client(app)
    for _ in range(2):
        token = csrf_of(fresh, "/password/forgot")
        assert fresh.post("/password/forgot", data={"csrf_token": token, "email": "forgetful@example.org"}).status_code == 302
    older, newer = re.findall(r"http://front-desk.test(/password/reset/\S+)", "".join(m.get_content() for m in mailbox))
    new = "a completely new secret"
    assert fresh.post(newer, data={"csrf_token": csrf_of(fresh, newer), "password": new, "confirm": new}).status_code == 302
    assert fresh.get(older).status_code == 404                           # the older link died with the newer one
    assert thief.get("/dashboard").status_code == 302 and client.get("/dashboard").status_code == 302


def test_a_disabled_staff_account_is_out_at_once_and_a_removed_one_is_gone(app):
    clerk = staff(app, email="leaving@example.org")
    assert clerk.get("/office/").status_code == 200
    runner = app.test_cli_runner()
    assert runner.invoke(args=["users", "disable", "leaving@example.org"]).exit_code == 0
    assert clerk.get("/office/").status_code == 302                      # the open session ended
    assert runner.invoke(args=["users", "remove", "leaving@example.org"]).exit_code == 0
    assert runner.invoke(args=["users", "remove", "leaving@example.org"]).exit_code == 1
    client = register(english_client(app), email="applicant@example.org")
    assert client.get("/dashboard").status_code == 200
    assert "no staff account" in runner.invoke(args=["users", "disable", "applicant@example.org"]).output


@pytest.mark.parametrize("key", [None, "x", "change-me", "a" * 64])
def test_production_refuses_a_missing_or_weak_secret_key(tmp_path, monkeypatch, key):
    monkeypatch.setenv("ASSISTANT_ENV", "production")
    monkeypatch.setenv("ASSISTANT_INSTANCE_PATH", str(tmp_path))
    if key is None:
        monkeypatch.delenv("ASSISTANT_SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("ASSISTANT_SECRET_KEY", key)
    with pytest.raises(RuntimeError, match="at least 32 characters"):
        create_app()


def test_production_creates_no_demo_accounts(tmp_path, monkeypatch, db_path):
    monkeypatch.setenv("ASSISTANT_ENV", "production")
    app = create_app({"SECRET_KEY": "c3f1e2d4b5a6978812ab34cd56ef7890aa11bb22", "DATABASE": str(db_path)})
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 1 and "not created" in result.output


def log_in(client, email, password):
    return client.post("/login", data={"csrf_token": csrf_of(client, "/login"), "email": email, "password": password})


def test_password_guesses_are_limited_per_account_and_the_right_one_then_waits_too(app, client):
    register(client)
    guesser = english_client(app)
    answers = [log_in(guesser, "ana@example.org", f"guess {i}").status_code for i in range(6)]
    assert answers == [422] * 5 + [429]
    assert log_in(guesser, "ana@example.org", PASSWORD).status_code == 429      # the sixth try waits, right or not
    assert log_in(english_client(app), "ANA@example.org ", PASSWORD).status_code == 429   # however the address is typed
    # Other accounts are not locked out by the attack on this one.
    register(english_client(app), email="bo@example.org")
    assert log_in(english_client(app), "bo@example.org", PASSWORD).status_code == 302


def test_reset_mails_links_and_feedback_are_limited(app, client, mailbox):
    register(client, email="forgetful@example.org")
    fresh = english_client(app)
    token = csrf_of(fresh, "/password/forgot")
    sent = [fresh.post("/password/forgot", data={"csrf_token": token, "email": "forgetful@example.org"}).status_code
            for _ in range(4)]
    assert sent == [302, 302, 302, 429] and sum("/password/reset/" in m.get_content() for m in mailbox) == 3
    guesses = [fresh.get(f"/password/reset/guess-{i}").status_code for i in range(21)]
    assert guesses == [404] * 20 + [429]
    feedback = [fresh.post("/accessibility", data={"csrf_token": csrf_of(fresh, "/accessibility"), "message": "Kontrast"})
                .status_code for _ in range(6)]
    assert feedback == [303] * 5 + [429]


def test_the_answers_reveal_no_account_even_with_the_mail_server_down(make_app, client):
    register(client, email="known@example.org")
    app = make_app(SMTP_PORT=1)                                         # nothing listens there
    answers = []
    for email in ("known@example.org", "unknown@example.org"):
        fresh = english_client(app)
        response = fresh.post("/password/forgot", data={"csrf_token": csrf_of(fresh, "/password/forgot"), "email": email})
        answers.append((response.status_code, response.location))
    assert answers[0] == answers[1] == (302, "/login")
    fresh = english_client(app)
    response = fresh.post("/accessibility", data={"csrf_token": csrf_of(fresh, "/accessibility"), "message": "Kontrast"})
    assert response.status_code == 303                                  # stored; the office reads it in its inbox


def test_a_login_takes_as_long_for_an_unknown_address_as_for_a_known_one(app, client, monkeypatch):
    views = importlib.import_module("assistant.identity.views")
    register(client)
    checked = []
    real = views.check_password_hash
    monkeypatch.setattr(views, "check_password_hash", lambda stored, given: checked.append(stored) or real(stored, given))
    log_in(english_client(app), "ana@example.org", "wrong")
    log_in(english_client(app), "nobody@example.org", "wrong")
    assert len(checked) == 2 and checked[0].split("$")[0] == checked[1].split("$")[0]   # the same work, the same method


def test_registration_answers_the_same_for_a_new_and_a_known_address(app, client, mailbox):
    from tests.conftest import confirmation, soup, submit
    register(client, email="known@example.org")
    answers = []
    for email in ("known@example.org", "new@example.org"):
        fresh = english_client(app)
        response = submit(fresh, "/register", {"email": email, "password": PASSWORD, "confirm": PASSWORD}, action=None)
        page = soup(fresh.get("/login"))                                  # the message, shown once on the next page
        answers.append((response.status_code, response.location, page.select_one("main").text.replace(email, "ADDRESS")))
    assert answers[0] == answers[1] and answers[0][:2] == (303, "/login") and "sent an e-mail to ADDRESS" in answers[0][2]
    known, new = (next(m for m in reversed(mailbox) if m["To"] == address) for address in ("known@example.org",
                                                                                          "new@example.org"))
    assert "/password/forgot" in known.get_content() and "/register/confirm/" not in known.get_content()
    link = re.search(r"http://front-desk.test(/register/confirm/\S+)", new.get_content()).group(1)
    assert link == confirmation(app, "new@example.org") or link.startswith("/register/confirm/")

    # Before the link, the password alone opens nothing; the link opens the account once.
    guest = english_client(app)
    refused = log_in(guest, "new@example.org", PASSWORD)
    assert refused.status_code == 422 and "Confirm your e-mail address first" in refused.get_data(as_text=True)
    assert guest.get(link).status_code == 302 and guest.get("/dashboard").status_code == 200
    assert english_client(app).get(link).status_code == 404                       # once
    assert log_in(english_client(app), "new@example.org", PASSWORD).status_code == 302
    assert english_client(app).get("/register/confirm/forged-token").status_code == 404


def test_a_profile_post_changes_only_the_fields_it_contains(applicant, db_path):
    import json
    import sqlite3
    token = csrf_of(applicant, "/profile")
    assert applicant.post("/profile", data={"csrf_token": token, "phone": "0151 99999999"}).status_code == 302
    profile = json.loads(sqlite3.connect(db_path).execute("SELECT profile FROM persons").fetchone()[0])
    assert profile["phone"] == "+4915199999999" and profile["family_name"] == "Haddad" and profile["address"]["city"]
    assert applicant.post("/profile", data={"csrf_token": token, "phone": ""}).status_code == 302   # sent empty: cleared
    profile = json.loads(sqlite3.connect(db_path).execute("SELECT profile FROM persons").fetchone()[0])
    assert "phone" not in profile and profile["family_name"] == "Haddad"


def test_registration_states_the_password_rule_first_and_sums_up_its_errors(client):
    from tests.conftest import soup
    page = soup(client.get("/register"))
    assert "At least 10 characters" in page.select_one("#password-hint").text
    assert page.select_one("#password")["aria-describedby"] == "password-hint"
    response = client.post("/register", data={"csrf_token": csrf_of(client, "/register"), "email": "x@example.org",
                                               "password": "short", "confirm": "other"})
    page = soup(response)
    assert response.status_code == 422
    assert [a["href"] for a in page.select(".error-summary a")] == ["#password", "#confirm"]


def test_after_submit_the_profile_learns_only_when_asked(app, client, db_path):
    import json
    import sqlite3
    from tests.conftest import soup, start, submit_application
    register(client, email="first-time@example.org")
    draft, response = submit_application(client, app, "declaration-of-commitment")
    page = soup(client.get(response.location))
    offer = page.select_one(f"form[action='/applications/{draft}/profile']")
    assert offer is not None
    profile = lambda: json.loads(sqlite3.connect(db_path).execute("SELECT profile FROM persons").fetchone()[0])  # noqa: E731
    assert "family_name" not in profile()                                     # nothing saved silently
    assert client.post(offer["action"], data={"csrf_token": csrf_of(client, "/dashboard")}).status_code == 303
    assert profile()["family_name"] == "Müller-Lüdenscheidt"
    assert soup(client.get(response.location)).select_one(f"form[action='/applications/{draft}/profile']") is None
    new = soup(client.get(start(client, "declaration-of-commitment")))
    assert new.select_one("input[name=family_name]")["value"] == "Müller-Lüdenscheidt"   # the next one is filled in

"""BITV 2.0 beyond WCAG: the accessibility statement (configurable), feedback that reaches the office, Leichte Sprache."""
import sqlite3

from tests.conftest import csrf_of, english_client, soup, staff


def test_the_statement_is_linked_from_every_page_and_has_a_default_text(client):
    page = soup(client.get("/"))
    assert page.select_one("footer a[href='/accessibility']").text == "Accessibility statement"
    statement = soup(client.get("/accessibility"))
    assert statement.h1.text == "Accessibility statement"
    assert "BITV 2.0" in statement.text and "§ 16 BGG" in statement.text


def test_a_municipality_writes_its_own_statement(make_app, tmp_path):
    text = tmp_path / "statement.txt"
    text.write_text("Diese Website ist teilweise barrierefrei.\n\nStand: 1. Dezember 2026.", encoding="utf-8")
    page = soup(english_client(make_app(ACCESSIBILITY_STATEMENT=str(text))).get("/accessibility"))
    paragraphs = [p.text for p in page.select("main div[lang=de] p")]
    assert paragraphs == ["Diese Website ist teilweise barrierefrei.", "Stand: 1. Dezember 2026."]
    assert "BITV 2.0" not in page.text


def test_feedback_reaches_the_office_inbox_and_its_e_mail(app, client, mailbox):
    token = csrf_of(client, "/accessibility")
    empty = client.post("/accessibility", data={"csrf_token": token, "message": " "})
    assert empty.status_code == 422 and soup(empty).select_one("#fb-message-error")
    response = client.post("/accessibility", data={"csrf_token": token, "message": "Der Kontrast der Knöpfe ist zu schwach.",
                                                   "page": "/dashboard", "email": "leser@example.org"})
    assert response.status_code == 303
    assert sqlite3.connect(app.config["DATABASE"]).execute("SELECT count(*) FROM feedback").fetchone()[0] == 1
    assert mailbox[-1]["To"] == app.config["OFFICE_EMAIL"]
    inbox = soup(staff(app).get("/office/"))
    assert "Der Kontrast der Knöpfe ist zu schwach." in inbox.text and "leser@example.org" in inbox.text


def test_leichte_sprache_explains_the_start_page_in_easy_german_in_every_language(app):
    for lang in ("de", "ar"):
        client = app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = lang
        start = soup(client.get("/"))
        link = start.select_one("main a[href='/leichte-sprache']")
        assert link["lang"] == "de"
        page = soup(client.get("/leichte-sprache"))
        body = page.select_one("main div[lang=de]")
        assert body.h1.text == "Leichte Sprache" and "Sie können hier einen Antrag stellen." in body.text

"""What answers tell browsers and proxies: nothing personal is stored, HTTPS is remembered, behind the TLS proxy too."""
import csv
import io

from tests.conftest import csrf_of, english_client, staff, submit_application


def test_pages_and_files_of_a_logged_in_person_are_never_stored(app, applicant):
    draft, _ = submit_application(applicant, app, "declaration-of-commitment")
    for url in ("/dashboard", f"/applications/{draft}", f"/applications/{draft}/receipt.pdf"):
        with applicant.get(url) as response:
            assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store", url
    assert "no-store" not in english_client(app).get("/").headers.get("Cache-Control", "")   # the public catalogue


def test_production_asks_for_https_and_trusts_the_tls_proxy_it_is_told_of(make_app, applicant):
    app = make_app(SESSION_COOKIE_SECURE=True, PROXY_HOPS=1, WTF_CSRF_SSL_STRICT=True)
    client = english_client(app)
    https = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "front-desk.example"}
    page = client.get("/login", headers=https)
    assert page.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    token = csrf_of(client, "/login")
    foreign = client.post("/login", headers=https | {"Referer": "https://evil.example/"},
                          data={"csrf_token": token, "email": "ana@example.org", "password": "x"})
    assert foreign.status_code == 400                                  # the HTTPS referrer check runs behind the proxy
    own = client.post("/login", headers=https | {"Referer": "https://front-desk.example/login"},
                      data={"csrf_token": token, "email": "ana@example.org", "password": "x"})
    assert own.status_code == 422


def test_the_audit_export_never_hands_a_spreadsheet_a_formula(app, applicant):
    import sqlite3
    draft, _ = submit_application(applicant, app, "declaration-of-commitment")
    with sqlite3.connect(app.config["DATABASE"]) as db:
        db.execute("INSERT INTO audit_log (actor, action, details) VALUES (?, 'open file', ?)",
                   ["=HYPERLINK(\"x\")", "=cmd|' -C calc'!A0.jpg"])
    admin = staff(app, role="admin", email="boss@example.org")
    rows = list(csv.reader(io.StringIO(admin.get("/office/audit.csv").get_data(as_text=True))))
    cells = [cell for row in rows[1:] for cell in row[2:]]
    assert "'=cmd|' -C calc'!A0.jpg" in cells and not any(cell.startswith(("=", "+", "@")) for cell in cells)

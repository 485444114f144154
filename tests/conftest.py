"""Fixtures: a real app on a real SQLite file, a logged-in client, Debian's chromium on a served app, and helpers
that post forms like a browser. Every test file takes its fixtures and helpers from here, never from another test file."""
import io
import json
import re
import shutil
import threading
from datetime import date, timedelta
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from werkzeug.serving import make_server

from assistant import create_app
from assistant.db import migrate
from assistant.definitions import ITEM, conditions
from assistant.demo import DEMO_PROFILE

PASSWORD = "correct horse battery"
ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"          # screenshots and figures the browser tests leave for people to look at
ARTIFACTS.mkdir(exist_ok=True)
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def db_path(tmp_path):
    """A migrated database file."""
    path = tmp_path / "assistant.sqlite"
    migrate(str(path))
    return path


class Mailbox:
    """What a real local SMTP server (aiosmtpd) received."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        import email
        from email import policy
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted"


@pytest.fixture(scope="session")
def smtp_server():
    """One SMTP server on 127.0.0.1 for the whole run."""
    import socket
    from aiosmtpd.controller import Controller
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


@pytest.fixture
def mailbox(smtp_server):
    """The e-mails sent during one test."""
    box, _port = smtp_server
    box.messages.clear()
    return box.messages


@pytest.fixture
def make_app(db_path, tmp_path, smtp_server):
    """Build app instances on the same database file (a restart is a new instance), sending mail to the test server."""
    def build(**config):
        settings = {"TESTING": True, "DATABASE": str(db_path), "SECRET_KEY": "test-secret",
                    "FILES_DIR": str(tmp_path / "files"), "SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp_server[1],
                    "BASE_URL": "http://front-desk.test"} | config
        return create_app(settings)
    return build


@pytest.fixture
def app(make_app):
    """The app under test."""
    return make_app()


def english_client(app):
    """A client whose browser prefers English, the language of the message ids the tests compare with."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def client(app):
    """A browser-like client without a login."""
    return english_client(app)


def staff(app, role="caseworker", email="clerk@example.org"):
    """A logged-in staff client, created with the CLI as an office would."""
    result = app.test_cli_runner().invoke(args=["users", "create", "--role", role, email])
    assert result.exit_code == 0, result.output
    password = result.output.strip().rsplit(" ", 1)[1]
    client = english_client(app)
    page = soup(client.get("/login"))
    response = client.post("/login", data={"csrf_token": page.select_one("input[name=csrf_token]")["value"],
                                           "email": email, "password": password})
    assert response.status_code == 302 and response.location.endswith("/office/")
    return client


def soup(response):
    """Parsed HTML of a response."""
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def form_fields(page, form_selector="main form[method=post]"):
    """The values a browser would send for the page's form (hidden, text, checked radios, selected options)."""
    form = page.select_one(form_selector)
    data = {}
    for el in form.select("input, textarea, select"):
        name = el.get("name")
        if not name:
            continue
        if el.name == "select":
            chosen = el.select_one("option[selected]")
            data[name] = chosen["value"] if chosen else ""
        elif el.name == "textarea":
            data[name] = el.text
        elif el.get("type") == "radio":
            if el.has_attr("checked"):
                data[name] = el["value"]
        else:
            data[name] = el.get("value", "")
    return data


def submit(client, url, changes=None, action="next", **kwargs):
    """GET a page, then POST its form with some fields changed, as a browser would."""
    page = soup(client.get(url))
    data = form_fields(page) | (changes or {})
    if action:
        data["action"] = action
    return client.post(url, data=data, **kwargs)


def register(client, email="ana@example.org", profile=None):
    """Create an account through the form, open the link the e-mail carries, and so log in."""
    response = submit(client, "/register", {"email": email, "password": PASSWORD, "confirm": PASSWORD}, action=None)
    assert response.status_code == 303, response.get_data(as_text=True)
    assert client.get(confirmation(client.application, email)).status_code == 302
    return register_profile(client, profile)


def confirmation(app, email):
    """The path of the confirmation link that registration sends to an address (as the e-mail has it)."""
    from assistant.db import connect
    from assistant.identity.views import confirmation_path
    db = connect(app.config["DATABASE"])
    try:
        account_id = db.execute("SELECT id FROM accounts WHERE email = ?", [email]).fetchone()[0]
    finally:
        db.close()
    with app.test_request_context():
        return confirmation_path(account_id)


def register_profile(client, profile):
    """Fill the profile of the logged-in account, as a person would."""
    if profile:
        from assistant.questions import TYPES
        from assistant.people.views import PROFILE
        raws = {}
        for q in PROFILE:
            if q.id in profile:
                raw = TYPES[q.type].to_raw(profile[q.id])
                raws |= {f"{q.id}-{k}": v for k, v in raw.items()} if q.type == "address" else {q.id: raw}
        assert submit(client, "/profile", raws, action=None).status_code == 302
    return client


@pytest.fixture
def applicant(client):
    """A logged-in applicant with a filled profile."""
    return register(client, profile=DEMO_PROFILE)


def is_future(q, service):
    """Whether a date question must lie after today, directly or after another future date."""
    refs = [c.get("after") or c.get("not_before") for c in q.checks]
    return any(r == "today" or (r and service and is_future(service.questions[r], service)) for r in refs)


def sample_answer(q, index, service=None):
    """A valid raw answer for a question, as a person would type it; dates follow question order."""
    if q.type == "date":
        future = is_future(q, service)
        day = date(2031, 1, 1) + timedelta(days=index) if future else date(1985, 1, 1) + timedelta(days=index * 60)
        return day.strftime("%d.%m.%Y")
    if q.type == "number":
        return str(max([3] + [c["min"] for c in q.checks if "min" in c]))
    if q.type == "name" and q.latin:
        return "MUELLER-LUEDENSCHEIDT LINA"
    return {
        "text": "Beispieltext", "longtext": "Eine längere\nAntwort.", "name": "Müller-Lüdenscheidt",
        "country": "TR", "nationality": "UA", "yesno": "yes", "number": "3", "money": "1.250,50",
        "email": "person@example.org", "phone": "0151 23456789", "passport": "C01X00T47", "iban": "DE89 3704 0044 0532 0130 00",
        "address": {"street": "Hauptstraße 5", "postcode": "10115", "city": "Berlin", "country": "DE"},
    }.get(q.type) if q.type != "choice" else q.choices[0]["value"]


def answer_step(client, url, service, choose=None):
    """Fill every question shown on a step page with a valid answer (or `choose`), and POST it."""
    page = soup(client.get(url))
    changes = {}
    order = list(service.questions)
    for div in page.select("div.field[id^=q-]"):
        qid = div["id"][2:]
        q = service.questions[qid]
        value = (choose or {}).get(qid, sample_answer(q, order.index(qid), service))
        if value is None:   # no sample (the office's file numbers): what the page shows is sent, as a person would
            continue
        if q.type == "address":
            changes |= {f"{qid}-{k}": v for k, v in value.items()}
        else:
            changes[qid] = value
    data = form_fields(page) | changes | {"action": "next"}
    return client.post(url, data=data)


def default_answer(q, index, service):
    """A valid answer for a question the branch does not name: the first choice, "no", a past or future date, ..."""
    wanted = next((c["equals"] for c in q.checks if "equals" in c), None)
    if wanted is not None:
        return "yes" if wanted is True else "no" if wanted is False else wanted
    if q.type == "yesno":
        return "no"
    if q.type == "date" and any(c.get("after") == "today" or c.get("not_before") == "today" for c in q.checks):
        return (date.today() + timedelta(days=400 + index)).strftime("%d.%m.%Y")
    return sample_answer(q, index, service)


def fill(client, url, service, answers):
    """POST a step's (or an item's) form with the given answers and a default for every other shown question; returns
    where it leads. A date answer may be `today-10d` (days, months, years from the day of the test)."""
    page = soup(client.get(url))
    order = list(service.questions)
    changes = {}
    for div in page.select("div.field[id^=q-]"):
        field_id = div["id"][2:]
        qid = field_id.rsplit(ITEM, 1)[0]
        q = service.questions[qid]
        if qid in answers:
            value = answers[qid]
        elif q.required:
            value = default_answer(q, order.index(qid), service)
        else:
            continue
        if isinstance(value, bool):
            value = "yes" if value else "no"
        if isinstance(value, str) and conditions.shift(date.today(), value):   # "today-10d": a date that stays relative
            value = conditions.shift(date.today(), value).strftime("%d.%m.%Y")
        if q.type == "address":
            changes |= {f"{field_id}-{k}": v for k, v in value.items()}
        else:
            changes[field_id] = str(value)
    response = client.post(url, data=form_fields(page) | changes | {"action": "next"})
    assert response.status_code in (302, 303), [e.text.strip() for e in soup(response).select(".error-summary li, .error-message")]
    return response.location


def choose_language(client, code=None, alongside=None, next_path="/"):
    """Press a button of the header's language menu (a POST with the page's token); returns the answer."""
    data = {"csrf_token": csrf_of(client, "/accessibility"), "next": next_path}
    data |= {"lang": code} if code else {}
    data |= {"alongside": alongside} if alongside else {}
    return client.post("/language", data=data)


def csrf_of(client, url):
    """The CSRF token of a page."""
    return soup(client.get(url)).select_one("input[name=csrf_token]")["value"]


def start(client, service_id):
    """Start a service from its page; returns the first step's URL."""
    token = csrf_of(client, f"/services/{service_id}")
    response = client.post(f"/services/{service_id}/start", data={"csrf_token": token})
    assert response.status_code == 302
    return response.location


def draft_id_of(url):
    """The application id in a step URL."""
    return re.search(r"/applications/([^/]+)", url).group(1)


def jpeg_bytes(size=(1200, 900), color="red", exif=None):
    """A real JPEG photo."""
    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG", **({"exif": exif} if exif else {}))
    return out.getvalue()


def pdf_bytes(pages=1):
    """A PDF (with many pages of noise it is as large as a scanned decision)."""
    from PIL import Image
    out = io.BytesIO()
    images = [Image.effect_noise((300, 400), 60).convert("RGB") for _ in range(pages)]
    images[0].save(out, "PDF", save_all=True, append_images=images[1:])
    return out.getvalue()


def upload(client, application_id, document_id, *named_bytes, prefix=""):
    """POST files to one document of a draft, as the documents page's form does (`prefix`: /clients/<id>)."""
    url = f"{prefix}/applications/{application_id}/documents"
    token = csrf_of(client, url)
    return client.post(f"{url}/{document_id}", content_type="multipart/form-data",
                       data={"csrf_token": token, "file": [(io.BytesIO(data), name) for name, data in named_bytes]})


def organisation(app, email, name="Beratungsstelle Nord", verified=True):
    """A logged-in member account that founded an organisation (approved by the office's admin when `verified`)."""
    from flask.testing import FlaskClient
    member = register(FlaskClient(app, use_cookies=True), email=email)
    member.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = submit(member, "/organisations/new", {"name": name, "kind": "counselling_service", "address": "Hafen 1"},
                      action=None)
    assert response.status_code == 302 and response.location.endswith("/clients")
    if verified:
        admin = staff(app, "admin", f"admin-{email}")
        page = soup(admin.get("/office/organisations"))
        form = next(f for f in page.select("main form") if name in f.find_parent("tr").text)
        assert admin.post(form["action"], data={"csrf_token": csrf_of(admin, "/office/organisations")}).status_code == 303
    return member


def answer_all(client, service, url, choose=None):
    """Answer every step from `url` on; returns the URL where the questions end (documents or check)."""
    for _ in range(40):
        response = answer_step(client, url, service, choose)
        assert response.status_code == 302, soup(response).select_one(".error-summary")
        url = response.location
        if url.endswith(("/documents", "/check")):
            return url
    raise AssertionError("the journey does not end")


def prepare_application(client, app, service_id, choose=None):
    """Start, answer and upload a photo for every document: a draft ready to check; returns its id."""
    service = app.extensions["services"][service_id]
    url = start(client, service_id)
    draft = draft_id_of(url)
    answer_all(client, service, url, choose)
    page = soup(client.get(f"/applications/{draft}/documents"))
    for section in page.select("section.document"):
        assert upload(client, draft, section["id"][2:], ("pass-photo.jpg", jpeg_bytes())).status_code == 303
    return draft


def packet_of(app, application_id):
    """The queued packet of a submitted application, from the database file."""
    from assistant.db import connect
    db = connect(app.config["DATABASE"])
    try:
        return json.loads(db.execute("SELECT packet FROM outbox WHERE application_id = ?", [application_id]).fetchone()[0])
    finally:
        db.close()


def submit_application(client, app, service_id, choose=None):
    """Start, answer, upload a photo for every document and submit; returns (application id, response)."""
    draft = prepare_application(client, app, service_id, choose)
    check = soup(client.get(f"/applications/{draft}/check"))
    if check.select_one(f'a.button[href$="/applications/{draft}/pay"]'):  # the fee is paid first: by bank transfer here
        token = csrf_of(client, f"/applications/{draft}/pay")
        assert client.post(f"/applications/{draft}/pay", data={"csrf_token": token, "method": "invoice"}).status_code == 303
    token = check.select_one("input[name=csrf_token]")["value"]
    response = client.post(f"/applications/{draft}/submit", data={"csrf_token": token, "declaration": "yes"})
    return draft, response


# --- the browser --------------------------------------------------------------------------------------------

@pytest.fixture
def live_server(app):
    """The real app served over HTTP on a free port of 127.0.0.1."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture(scope="module")
def browser():
    """A headless Debian chromium (never a downloaded browser build), one per test file."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield b
        b.close()


def log_in(page, base, email, password=PASSWORD):
    """Log in through the login form."""
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("main button.primary")

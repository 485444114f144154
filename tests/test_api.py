"""The specialist-system API: tokens, the whole dialogue with an applicant through it, refusals, and schemathesis."""
import hashlib
import io
import json
import re
import sqlite3
from collections import Counter
from contextlib import closing
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import jsonschema
import pytest
import schemathesis
import yaml
from babel.messages.pofile import read_po
from hypothesis import HealthCheck, example, given, settings, strategies as st
from PIL import Image

from assistant.handoff import packets
from assistant.casework.status import CASE_STATES, event_labels
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)
from tests.conftest import jpeg_bytes, soup, submit_application
from tests.conftest import pdf_bytes as scanned_pdf

ROOT = Path(__file__).resolve().parent.parent
# The decision's file part is declared as application/pdf; schemathesis sends it as the bytes it generated.
schemathesis.serializer.alias("application/pdf", "application/octet-stream")
TOKEN_NAME = "fachverfahren"
ACTOR = f"api:{TOKEN_NAME}"


# --- helpers ---------------------------------------------------------------------------------------------

def run_cli(app, *args):
    """Run a `flask` command of the app in-process."""
    return app.test_cli_runner().invoke(args=list(args))


def new_token(app, name=TOKEN_NAME):
    """Create a token through the CLI; it is the last line of the output."""
    result = run_cli(app, "api-tokens", "create", name)
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


def query(db_path, sql, *args):
    """Rows from the database file."""
    with closing(sqlite3.connect(db_path)) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute(sql, args)]


class Api:
    """The specialist system: a test client that sends the token with every call."""

    def __init__(self, app, token):
        self.client = app.test_client()
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path):
        return self.client.get(f"/api/v1{path}", headers=self.headers)

    def post(self, path, body=None, **kwargs):
        if body is not None:
            kwargs["json"] = body
        return self.client.post(f"/api/v1{path}", headers=self.headers, **kwargs)

    def download(self, path):
        """A file's bytes and its content type (the response is closed, as a file response must be)."""
        response = self.get(path)
        data = response.get_data()
        response.close()
        assert response.status_code == 200, (path, data[:200])
        return data, response.mimetype


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def pdf_bytes():
    """A real one-page PDF, made with Pillow."""
    out = io.BytesIO()
    Image.new("RGB", (420, 595), "white").save(out, "PDF")
    return out.getvalue()


def german_catalog():
    """msgid -> German text from the catalog the app compiles."""
    with open(ROOT / "locales/de/LC_MESSAGES/messages.po", "rb") as f:
        return {m.id: m.string for m in read_po(f) if m.id}


def parse_ics(text):
    """A small RFC 5545 reader: unfold lines, check BEGIN/END nest, return the components with their properties."""
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    lines = []
    for line in text.split("\r\n")[:-1]:
        if line.startswith((" ", "\t")):
            lines[-1] += line[1:]
        else:
            lines.append(line)
    stack, components = [], []
    for line in lines:
        name_params, _, value = line.partition(":")
        name = name_params.split(";")[0].upper()
        if name == "BEGIN":
            stack.append({"type": value, "props": {}})
        elif name == "END":
            component = stack.pop()
            assert component["type"] == value
            components.append(component)
        else:
            stack[-1]["props"][name] = value
    assert not stack
    return components


@pytest.fixture
def submitted(app, applicant):
    """A submitted declaration of commitment; its application id."""
    draft, response = submit_application(applicant, app, "declaration-of-commitment")
    assert response.status_code == 303
    return draft


# --- tokens ------------------------------------------------------------------------------------------------

def test_tokens_are_created_listed_and_revoked_and_only_their_hash_is_stored(app, db_path):
    token = new_token(app)
    assert len(token) >= 43
    [row] = query(db_path, "SELECT * FROM api_tokens")
    assert row["token_hash"] == sha256(token.encode()) and row["name"] == TOKEN_NAME
    assert token not in json.dumps(row) and row["last_used_at"] is None and row["revoked_at"] is None
    listing = run_cli(app, "api-tokens", "list")
    assert listing.exit_code == 0 and TOKEN_NAME in listing.output and token not in listing.output
    assert "1 tokens." in listing.output

    client = app.test_client()
    for headers in [{}, {"Authorization": "Bearer"}, {"Authorization": f"Basic {token}"},
                    {"Authorization": "Bearer not-a-token"}, {"Authorization": f"Bearer {token}x"}]:
        response = client.get("/api/v1/cases/2222-2222-2", headers=headers)
        assert response.status_code == 401, headers
        assert response.is_json and set(response.json) == {"error"}
        assert response.headers["WWW-Authenticate"].startswith("Bearer")

    good = Api(app, token)
    response = good.get("/cases/2222-2222-2")
    assert response.status_code == 404 and response.is_json and "error" in response.json
    assert query(db_path, "SELECT last_used_at FROM api_tokens")[0]["last_used_at"]
    assert good.post("/packets/lease", {}).json == {"packets": []}

    revoked = run_cli(app, "api-tokens", "revoke", str(row["id"]))
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    response = good.get("/cases/2222-2222-2")
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")
    assert query(db_path, "SELECT revoked_at FROM api_tokens")[0]["revoked_at"]
    assert "already revoked" in run_cli(app, "api-tokens", "revoke", str(row["id"])).output
    assert run_cli(app, "api-tokens", "revoke", "999").exit_code != 0
    listing = run_cli(app, "api-tokens", "list").output
    assert query(db_path, "SELECT revoked_at FROM api_tokens")[0]["revoked_at"] in listing

    # A second token is independent; the OpenAPI document needs none.
    assert Api(app, new_token(app, "zweites-system")).post("/packets/lease").status_code == 200
    openapi = client.get("/api/v1/openapi.json")
    assert openapi.status_code == 200 and openapi.json["openapi"].startswith("3.")


# --- the whole dialogue ------------------------------------------------------------------------------------

def test_the_whole_dialogue_through_the_api(app, applicant, db_path, mailbox):
    draft, response = submit_application(applicant, app, "declaration-of-commitment")
    assert response.status_code == 303
    api = Api(app, new_token(app))

    # Lease the submission, fetch its files and check them against the packet, acknowledge it twice.
    leased = api.post("/packets/lease", {"limit": 10, "lease_seconds": 60})
    assert leased.status_code == 200
    [item] = leased.json["packets"]
    assert item["kind"] == "submission" and item["attempts"] == 1 and item["lease_until"]
    packet = item["packet"]
    packets.VALIDATOR.validate(packet)
    reference = item["reference"]
    assert packet["reference"] == reference and item["key"] == f"{reference}/submission"
    assert api.post("/packets/lease", {}).json == {"packets": []}  # leased: nobody else gets it now

    document = packet["documents"][0]
    data, mimetype = api.download(f"/packets/{item['id']}/files/{document['filename']}")
    assert sha256(data) == document["sha256"] and mimetype == document["content_type"] == "image/jpeg"
    data, mimetype = api.download(f"/packets/{item['id']}/files/receipt.pdf")
    assert sha256(data) == packet["receipt"]["sha256"] and mimetype == "application/pdf" and data.startswith(b"%PDF-")
    data, mimetype = api.download(f"/packets/{item['id']}/files/data.json")
    assert hashlib.sha512(data).hexdigest() == packet["metadata"]["contentStructure"]["data"]["hash"]["content"]
    assert mimetype == "application/json"
    assert api.get(f"/packets/{item['id']}/files/packet.txt").status_code == 404
    for _ in range(2):
        ack = api.post(f"/packets/{item['id']}/ack")
        assert ack.status_code == 200 and ack.json == {"id": item["id"], "state": "delivered"}
    assert api.get(f"/packets/{item['id']}").json["state"] == "delivered"

    # The office receives the case, writes, and asks for a missing document by a date.
    assert api.post(f"/cases/{reference}/status", {"status": "received"}).json == {"reference": reference,
                                                                                   "status": "received"}
    written = api.post(f"/cases/{reference}/messages", {"body": "Wir haben Ihren Antrag erhalten."})
    assert written.status_code == 201
    due = (date.today() + timedelta(days=14)).isoformat()
    request_text = "Bitte reichen Sie den Mietvertrag Ihrer Wohnung nach."
    asked = api.post(f"/cases/{reference}/requests",
                     {"body": request_text, "documents": ["Mietvertrag"], "due_date": due})
    assert asked.status_code == 201 and asked.json["status"] == "waiting"
    request_id = asked.json["id"]

    # Every e-mail only says that something waits, with a link: no name, no reference, no content.
    secrets_ = [reference, reference.replace("-", ""), request_text, "Mietvertrag", "Wir haben Ihren Antrag",
                "Haddad", "Lina", packet["applicant"].get("family_name", "Haddad"), "Müller", "Lüdenscheidt",
                "Zimmer 2.14", "Reisepass", "Bescheid", "bescheid.pdf"]

    def check_mails(count):
        assert len(mailbox) == count
        for mail in mailbox:
            text = mail["Subject"] + "\n" + mail.get_content()
            assert f"http://front-desk.test/applications/{draft}" in text
            for secret in secrets_:
                assert secret not in text, secret
            assert mail["To"] == "person@example.org"                      # the address the application gave
    check_mails(4)  # the confirmation of the submission, status, message, request

    # The applicant (in German) sees the request with its answer form and answers it with a photo.
    applicant.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de"
    page = soup(applicant.get(f"/applications/{draft}"))
    item_html = page.select_one(f"#m-{request_id}")
    assert request_text in item_html.text and "Mietvertrag" in item_html.text
    form = item_html.select_one("form")
    assert form["action"] == f"/applications/{draft}/messages" and form["enctype"] == "multipart/form-data"
    assert form.select_one("input[name=reply_to]")["value"] == str(request_id)
    assert form.select_one("textarea[name=body]") and form.select_one("input[type=file][name=file]")
    token = form.select_one("input[name=csrf_token]")["value"]
    photo = jpeg_bytes(color="blue")
    answer = applicant.post(f"/applications/{draft}/messages", content_type="multipart/form-data", data={
        "csrf_token": token, "body": "Hier ist der Mietvertrag.", "reply_to": str(request_id),
        "file": (io.BytesIO(photo), "mietvertrag.jpg")})
    assert answer.status_code == 303, answer.get_data(as_text=True)[:500]
    assert not soup(applicant.get(f"/applications/{draft}")).select_one(f"#m-{request_id} form")

    # The API sees the request answered, the answer with its photo, and downloads the photo.
    case = api.get(f"/cases/{reference}").json
    assert case["reference"] == reference and case["status"] == "waiting"
    assert case["service_id"] == "declaration-of-commitment" and case["submitted_at"]
    by_id = {m["id"]: m for m in case["messages"]}
    assert by_id[request_id]["answered_at"] and by_id[request_id]["data"] == {"documents": ["Mietvertrag"],
                                                                               "due_date": due}
    [reply] = [m for m in case["messages"] if m["reply_to"] == request_id]
    assert reply["sender"] == "applicant" and reply["body"] == "Hier ist der Mietvertrag."
    [sent_file] = reply["files"]
    assert sent_file["content_type"] == "image/jpeg" and set(sent_file) == {"id", "filename", "content_type", "size",
                                                                           "sha256"}
    data, mimetype = api.download(f"/cases/{reference}/files/{sent_file['id']}")
    assert sha256(data) == sent_file["sha256"] and mimetype == "image/jpeg" and len(data) == sent_file["size"]
    assert api.get(f"/cases/{reference.lower().replace('-', '')}").json["reference"] == reference

    # An appointment (given in Berlin summer time, stored in UTC) and the decision as a PDF.
    invited = api.post(f"/cases/{reference}/appointments", {
        "starts_at": "2031-05-06T09:30:00+02:00", "place": "Zimmer 2.14, Musterstraße 1",
        "bring": "Reisepass", "body": "Bitte kommen Sie zur Vorsprache."})
    assert invited.status_code == 201
    appointment_id = invited.json["id"]
    decision_pdf = scanned_pdf(pages=5)                     # as large as a scan: far above the 64 KB of a form
    assert len(decision_pdf) > 100_000
    decided = api.post(f"/cases/{reference}/decision", content_type="multipart/form-data", data={
        "file": (io.BytesIO(decision_pdf), "bescheid.pdf"), "body": "Ihr Bescheid liegt bei."})
    assert decided.status_code == 201 and decided.json["status"] == "decided"
    decision_id = decided.json["id"]
    case = api.get(f"/cases/{reference}").json
    assert case["status"] == "decided"
    check_mails(6)  # and the appointment, the decision
    assert {m["id"]: m for m in case["messages"]}[appointment_id]["data"]["starts_at"] == "2031-05-06T07:30:00.000Z"

    # The applicant downloads the decision from the conversation and adds the appointment to a calendar.
    page = soup(applicant.get(f"/applications/{draft}"))
    link = page.select_one(f"#m-{decision_id} a[href]")
    assert link.text == "bescheid.pdf"
    response = applicant.get(link["href"])
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.get_data() == decision_pdf
    response.close()
    response = applicant.get(f"/applications/{draft}/messages/{appointment_id}/appointment.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    components = parse_ics(response.get_data(as_text=True))
    assert [c["type"] for c in components] == ["VEVENT", "VCALENDAR"]
    event = components[0]["props"]
    assert event["DTSTART"] == "20310506T073000Z" and components[1]["props"]["VERSION"] == "2.0"
    assert datetime.strptime(event["DTSTART"], "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc) == \
        datetime(2031, 5, 6, 9, 30, tzinfo=timezone(timedelta(hours=2)))
    assert event["LOCATION"] == "Zimmer 2.14\\, Musterstraße 1"

    # The timeline tells every step in German, as the catalog says.
    kinds = [e["kind"] for e in case["events"] if e["kind"] not in ("notified", "retrieved")]   # logs for the office
    every = [e["kind"] for e in case["events"]]
    assert "retrieved" in every                                    # the applicant opened the office's news
    assert all(after == "notified" for before, after in zip(every, every[1:] + [None])   # each news is mailed, and logged
               if before in ("message", "request", "appointment", "decision"))
    assert kinds == ["created", "submitted", "status", "message", "status", "request", "answer", "appointment",
                     "status", "decision"]
    catalog = german_catalog()
    missing = [str(event_labels("applicant")[k]._args[0]) for k in set(kinds) if not catalog.get(event_labels("applicant")[k]._args[0])]
    assert not missing, f"no German translation in locales/de/LC_MESSAGES/messages.po for: {missing}"
    timeline = [li.get_text(" ", strip=True) for li in page.select(".timeline li")]
    assert len(timeline) == len(kinds)
    for line, kind in zip(timeline, reversed(kinds), strict=True):
        assert line.endswith(catalog[event_labels("applicant")[kind]._args[0]]), (kind, line)

    # Every message came out of the outbox as a correspondence packet, with its files.
    later = api.post("/packets/lease", {"limit": 100}).json["packets"]
    assert [p["kind"] for p in later] == ["correspondence"] * 5
    assert [p["packet"]["message"]["id"] for p in later] == [m["id"] for m in case["messages"]]
    for p in later:
        packets.VALIDATOR.validate(p["packet"])
        assert p["reference"] == reference and p["key"] == f"{reference}/correspondence/{p['packet']['message']['id']}"
        rendering = p["packet"]["rendering"]
        data, mimetype = api.download(f"/packets/{p['id']}/files/{rendering['filename']}")
        assert sha256(data) == rendering["sha256"] and mimetype == "application/pdf"
        for entry in p["packet"]["documents"]:
            data, mimetype = api.download(f"/packets/{p['id']}/files/{entry['filename']}")
            assert sha256(data) == entry["sha256"] and mimetype == entry["content_type"]
        data, _mimetype = api.download(f"/packets/{p['id']}/files/data.json")  # the message, as its metadata hashes it
        assert hashlib.sha512(data).hexdigest() == p["packet"]["metadata"]["contentStructure"]["data"]["hash"]["content"]
        assert api.post(f"/packets/{p['id']}/ack").status_code == 200
    answer_packet = next(p["packet"] for p in later if p["packet"]["message"]["sender"] == "applicant")
    assert answer_packet["message"]["reply_to"] == request_id and answer_packet["documents"][0]["sha256"] == sent_file["sha256"]
    decision_packet = next(p["packet"] for p in later if p["packet"]["message"]["kind"] == "decision")
    assert decision_packet["documents"][0]["sha256"] == sha256(decision_pdf)
    assert api.post("/packets/lease", {}).json == {"packets": []}

    # Every read of a case or packet is in the audit log under the token's name.
    actions = {r["action"] for r in query(db_path, "SELECT action FROM audit_log WHERE actor = ?", ACTOR)}
    assert {"lease packet", "read packet", "read packet file", "acknowledge packet", "read case", "read case file",
            "status received", "send message", "send request", "send appointment", "send decision"} <= actions
    assert {r["reference"] for r in query(db_path, "SELECT reference FROM audit_log WHERE actor = ?", ACTOR)} == {reference}


# --- refusals ----------------------------------------------------------------------------------------------

def test_refusals_are_json_with_the_right_status(app, submitted, db_path):
    api = Api(app, new_token(app))
    reference = query(db_path, "SELECT reference FROM applications WHERE id = ?", submitted)[0]["reference"]
    case = f"/cases/{reference}"

    def refused(response, status):
        assert response.status_code == status, response.get_data(as_text=True)
        assert response.is_json and isinstance(response.json["error"], str), response.get_data(as_text=True)
        return response.json["error"]

    # Unknown things: 404.
    refused(api.get("/cases/2222-2222-2"), 404)
    refused(api.get("/cases/not-a-reference"), 404)
    refused(api.post("/cases/2222-2222-2/status", {"status": "received"}), 404)
    refused(api.get("/packets/999999"), 404)
    refused(api.get(f"/packets/{2**70}"), 404)
    refused(api.post("/packets/999999/ack"), 404)
    refused(api.get(f"{case}/files/nope"), 404)
    refused(api.get("/nothing-here"), 404)
    refused(api.get("/packets/lease"), 405)
    draft_row = query(db_path, "SELECT id FROM outbox")[0]
    refused(api.get(f"/packets/{draft_row['id']}/files/..%2Fsecret"), 404)

    # Bad bodies: 400 when it is no JSON object, 422 when it breaks the schema or names an impossible date.
    refused(api.post(f"{case}/status", data="{not json", content_type="application/json"), 400)
    refused(api.post(f"{case}/status", ["received"]), 400)
    refused(api.post(f"{case}/status"), 400)
    refused(api.post(f"{case}/messages", data='{"body": "\\ud800"}', content_type="application/json"), 400)
    refused(api.post(f"{case}/status", {"status": "draft"}), 422)
    refused(api.post(f"{case}/status", {"status": "received", "extra": 1}), 422)
    refused(api.post("/packets/lease", {"limit": 0}), 422)
    refused(api.post("/packets/lease", {"limit": 101}), 422)
    refused(api.post("/packets/lease", {"lease_seconds": 5}), 422)
    refused(api.post("/packets/lease", {"limit": True}), 422)
    refused(api.post(f"{case}/messages", {"body": "   "}), 422)
    refused(api.post(f"{case}/messages", {"body": "x" * 20001}), 422)
    refused(api.post(f"{case}/messages", {"body": "nul \x00 byte"}), 422)
    future = (date.today() + timedelta(days=7)).isoformat()
    refused(api.post(f"{case}/requests", {"body": "Bitte Pass nachreichen."}), 422)               # no due date
    refused(api.post(f"{case}/requests", {"due_date": future}), 422)                              # nothing asked
    refused(api.post(f"{case}/requests", {"body": "", "documents": [], "due_date": future}), 422)
    refused(api.post(f"{case}/requests", {"body": "Pass", "due_date": "2031-02-30"}), 422)
    refused(api.post(f"{case}/requests", {"body": "Pass", "due_date": "06.05.2031"}), 422)
    refused(api.post(f"{case}/requests", {"body": "Pass", "due_date": "2001-01-01"}), 422)
    for starts_at in ["2031-05-06 09:30", "2031-05-06T09:30:00", "2001-05-06T09:30:00Z", "9999-12-31T23:59:59-01:00",
                      "0001-01-01T00:00:00+01:00", "2031-13-01T09:30:00Z", "2031-05-06T24:30:00Z"]:
        refused(api.post(f"{case}/appointments", {"starts_at": starts_at, "place": "Zimmer 1"}), 422)
    refused(api.post(f"{case}/appointments", {"starts_at": "2031-05-06T09:30:00Z", "place": " "}), 422)
    refused(api.post(f"{case}/decision", content_type="multipart/form-data",
                     data={"file": (io.BytesIO(jpeg_bytes()), "bescheid.jpg")}), 422)
    refused(api.post(f"{case}/decision", content_type="multipart/form-data",
                     data={"file": (io.BytesIO(b"%PDF-1.7 broken"), "bescheid.pdf")}), 422)
    refused(api.post(f"{case}/decision", content_type="multipart/form-data", data={"body": "kein Anhang"}), 422)
    refused(api.post(f"{case}/decision", {"body": "json instead of a form"}), 422)
    assert "filename" in refused(api.post(f"{case}/decision", data={"file": "%PDF-1.4 as a plain field"}), 422)
    refused(api.post(f"{case}/messages", data="null", content_type="application/json"), 400)
    refused(api.post(f"{case}/messages", data='{"body":' + "[" * 900 + "]" * 900 + "}", content_type="application/json"), 400)
    refused(api.post(f"{case}/messages", data="[" * 30000 + "]" * 30000, content_type="application/json"), 400)
    refused(api.post(f"{case}/messages", {"body": "x" * 300_000}), 413)
    refused(api.post(f"{case}/messages", {"body": "x" * 20_001}), 422)                     # the documented limit
    oversized = io.BytesIO(json.dumps({"body": "x" * 300_000}).encode())
    refused(api.client.post(f"/api/v1{case}/messages", input_stream=oversized, headers=api.headers | {
        "Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True}), 413)                            # chunked, no length
    refused(api.post(f"{case}/messages", {"body": "Guten Tag\u0085"}), 422)                 # a C1 control
    refused(api.post(f"{case}/messages", data='{"body": "Guten Tag"}', content_type="text/plain"), 415)
    refused(api.post(f"{case}/decision", content_type="multipart/form-data", data={
        "file": [(io.BytesIO(scanned_pdf()), "a.pdf"), (io.BytesIO(scanned_pdf()), "b.pdf")]}), 422)

    # Transitions the case does not allow: 409; the same status again changes nothing.
    assert "cannot become" in refused(api.post(f"{case}/status", {"status": "decided"}), 409)
    refused(api.post(f"{case}/status", {"status": "in_review"}), 409)
    same = api.post(f"{case}/status", {"status": "submitted"})
    assert same.status_code == 200 and same.json["status"] == "submitted"
    assert api.post(f"{case}/status", {"status": "closed"}).json["status"] == "closed"

    # A closed case takes nothing more.
    refused(api.post(f"{case}/messages", {"body": "Noch etwas"}), 409)
    refused(api.post(f"{case}/requests", {"body": "Pass", "due_date": future}), 409)
    refused(api.post(f"{case}/appointments", {"starts_at": "2031-05-06T09:30:00Z", "place": "Zimmer 1"}), 409)
    refused(api.post(f"{case}/decision", content_type="multipart/form-data",
                     data={"file": (io.BytesIO(pdf_bytes()), "bescheid.pdf")}), 409)
    refused(api.post(f"{case}/status", {"status": "received"}), 409)
    assert query(db_path, "SELECT count(*) AS n FROM messages")[0]["n"] == 0
    assert api.get(case).json["status"] == "closed"


def test_the_openapi_document_names_every_route_of_the_api(app):
    """Every route under /api/v1 is an operation of the document and every operation a route, so neither drifts."""
    document = app.test_client().get("/api/v1/openapi.json").json
    assert document["openapi"] == "3.1.0"
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer", "description": document["components"]["securitySchemes"]["bearer"]["description"]}
    prefix = document["servers"][0]["url"]
    assert prefix == "/api/v1"
    documented = {(method.upper(), path) for path, item in document["paths"].items() for method in item}
    routes = {(method, re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule.removeprefix(prefix)))
              for rule in app.url_map.iter_rules() if rule.rule.startswith(prefix + "/")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert ("GET", "/packets/{packet_id}/files/{filename}") in routes
    assert documented == routes
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert operation["responses"], (method, path)
            for status, response in operation["responses"].items():
                assert response["content"], (method, path, status)
                if status >= "400":
                    assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
            if path != "/openapi.json":
                assert "401" in operation["responses"] and "security" not in operation


def openapi_file():
    """The document as written in assistant/api/openapi.yaml, not as the app serves it."""
    return yaml.safe_load((ROOT / "assistant/api/openapi.yaml").read_text(encoding="utf-8"))


def test_the_app_serves_the_openapi_file_as_it_is(app):
    """The file is the contract: nothing is added or changed on the way to /api/v1/openapi.json."""
    assert app.test_client().get("/api/v1/openapi.json").json == openapi_file()


def test_the_status_enums_in_the_openapi_file_equal_the_status_machine():
    """The file lists the states for readers; the status machine decides them."""
    schemas = openapi_file()["components"]["schemas"]
    enums = {name: schema["properties"]["status"]["enum"] for name, schema in schemas.items()
             if "enum" in schema.get("properties", {}).get("status", {})}
    assert {"Case", "StatusRequest", "StatusResponse", "Created"} <= set(enums)
    assert all(enum == CASE_STATES for enum in enums.values()), enums


@pytest.mark.parametrize("schema, field, limit, blank", [
    ("MessageRequest", "body", 20000, False), ("DocumentRequest", "body", 20000, True),
    ("DocumentRequest", "documents", 300, False), ("AppointmentRequest", "place", 300, False),
    ("AppointmentRequest", "bring", 2000, True), ("AppointmentRequest", "body", 20000, True),
    ("DecisionForm", "body", 20000, True)])
def test_text_fields_of_the_openapi_file_keep_their_limits_and_refuse_control_characters(schema, field, limit, blank):
    """What the validators built from the file let through: tab and line breaks yes, other control characters no."""
    text = openapi_file()["components"]["schemas"][schema]["properties"][field]
    text = text.get("items", text)
    valid = jsonschema.Draft202012Validator(text).is_valid
    assert text["maxLength"] == limit
    assert valid("Zimmer 1\tErdgeschoss\r\nÖffnungszeiten\n") and valid("x" * limit) and not valid("x" * (limit + 1))
    assert not any(valid(f"a{chr(c)}b") for c in [*range(0x00, 0x09), 0x0b, 0x0c, *range(0x0e, 0x20), 0x7f])
    assert valid(" \t\n") == blank and valid("") == blank


# --- schemathesis ------------------------------------------------------------------------------------------

@pytest.fixture
def api_token(app):
    return new_token(app)


@pytest.fixture
def api_schema(app, submitted, api_token, db_path):
    """The OpenAPI document loaded from the app, with hooks that put real references, packet ids and files into paths."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    reference = query(db_path, "SELECT reference FROM applications WHERE id = ?", submitted)[0]["reference"]
    pdf = pdf_bytes()

    def packet_files(packet_id):
        rows = query(db_path, "SELECT packet FROM outbox WHERE id = ?", packet_id)
        if not rows:
            return ["data.json"]
        packet = json.loads(rows[0]["packet"])
        names = [e["filename"] for e in packet["documents"]]
        names.append(packet["receipt"]["filename"] if packet["kind"] == "submission" else packet["rendering"]["filename"])
        return names + ["data.json"]

    @schema.hook
    def flatmap_path_parameters(ctx, path_parameters):
        """Half of the cases use things that exist, so that the happy paths are tested as hard as the others."""
        if not isinstance(path_parameters, dict):
            return st.just(path_parameters)
        real = {}
        if "reference" in path_parameters:
            real["reference"] = st.sampled_from([reference, reference.lower().replace("-", "")])
        if "file_id" in path_parameters:
            ids = [r["id"] for r in query(db_path, "SELECT id FROM files WHERE application_id = ?", submitted)]
            real["file_id"] = st.sampled_from(ids)
        if "packet_id" in path_parameters:
            ids = [r["id"] for r in query(db_path, "SELECT id FROM outbox ORDER BY id")]
            real["packet_id"] = st.sampled_from(ids)
        if not real:
            return st.just(path_parameters)
        chosen = st.fixed_dictionaries(real).map(lambda values: path_parameters | values)
        if "filename" in path_parameters:
            chosen = chosen.flatmap(lambda params: st.sampled_from(packet_files(params["packet_id"])).map(
                lambda name: params | {"filename": name}))
        return st.one_of(st.just(path_parameters), chosen)

    @schema.hook
    def flatmap_body(ctx, body):
        """Sometimes a real decision PDF or a valid appointment time; status changes never close the case."""
        if not isinstance(body, dict):
            return st.just(body)
        path = ctx.operation.path
        if path.endswith("/decision"):
            return st.sampled_from([body, body | {"file": pdf}])
        if path.endswith("/appointments"):
            return st.sampled_from([body, body | {"starts_at": "2031-05-06T09:30:00+02:00"}])
        if path.endswith("/status") and body.get("status") == "closed":
            return st.just(body | {"status": "in_review"})
        return st.just(body)

    return schema


def happy_paths(db_path, application_id, pdf):
    """One valid call of every operation, as (path parameters, body, media type) by operation label."""
    reference = query(db_path, "SELECT reference FROM applications WHERE id = ?", application_id)[0]["reference"]
    packet_id, second_id = [r["id"] for r in query(db_path, "SELECT id FROM outbox ORDER BY id")][:2]
    file_id = query(db_path, "SELECT id FROM files WHERE application_id = ? ORDER BY rowid", application_id)[0]["id"]
    ref, due = {"reference": reference}, (date.today() + timedelta(days=10)).isoformat()
    json_ = "application/json"
    return {
        "POST /packets/lease": ({}, {"limit": 2}, json_),
        "GET /packets/{packet_id}": ({"packet_id": packet_id}, None, None),
        "GET /packets/{packet_id}/files/{filename}": ({"packet_id": packet_id, "filename": "receipt.pdf"}, None, None),
        "POST /packets/{packet_id}/ack": ({"packet_id": packet_id}, None, None),
        "POST /packets/{packet_id}/release": ({"packet_id": second_id}, {"error": "import failed"}, json_),
        "GET /cases/{reference}": (ref, None, None),
        "GET /cases/{reference}/files/{file_id}": (ref | {"file_id": file_id}, None, None),
        "POST /cases/{reference}/status": (ref, {"status": "received"}, json_),
        "POST /cases/{reference}/payment/paid": (ref, {"note": "Zahlung an der Kasse"}, json_),
        "PUT /cases/{reference}/person-file": (ref, {"file_number": "ABH 123456/24", "azr_number": "123456789012"}, json_),
        "POST /cases/{reference}/messages": (ref, {"body": "Guten Tag"}, json_),
        "POST /cases/{reference}/requests": (ref, {"documents": ["Mietvertrag"], "due_date": due}, json_),
        "POST /cases/{reference}/appointments": (ref, {"starts_at": "2031-05-06T09:30:00+02:00", "place": "Zimmer 1"}, json_),
        "POST /cases/{reference}/decision": (ref, {"file": pdf, "body": "Bescheid"}, "multipart/form-data"),
    }


def test_the_api_keeps_its_openapi_document(app, api_schema, api_token, db_path, submitted):
    """Every operation, with a valid call, then valid and invalid data: no server error, documented status,
    content type and body."""
    # In-process there is no HTTP library to undo gzip (web.compress), so ask for plain bytes.
    headers = {"Authorization": f"Bearer {api_token}", "Accept-Encoding": "identity"}
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    seen = Counter()
    reference = query(db_path, "SELECT reference FROM applications WHERE id = ?", submitted)[0]["reference"]
    Api(app, api_token).post(f"/cases/{reference}/messages", {"body": "Vorab"})   # a second packet, to release
    examples = happy_paths(db_path, submitted, pdf_bytes())
    operations = [result.ok() for result in api_schema.get_all_operations()]
    # Every operation but the document itself (schemathesis leaves the path it loaded the schema from out).
    assert {operation.label for operation in operations} == set(examples)
    for operation in operations:
        path_parameters, body, media_type = examples[operation.label]
        happy = operation.Case(path_parameters=path_parameters, media_type=media_type,
                               **({"body": body} if body is not None else {}))

        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                              operation.as_strategy(GenerationMode.NEGATIVE)))
        @example(case=happy)
        def exercise(case):
            response = case.call_and_validate(headers=headers, checks=checks, buffered=True)  # buffered: closes files
            seen[(case.operation.label, response.status_code)] += 1

        exercise()
        created = operation.label.startswith("POST /cases/") and not operation.label.endswith(("/status", "/payment/paid"))
        assert seen[(operation.label, 201 if created else 200)], operation.label

    # Each refusal once more on purpose, whatever the random cases did, validated against the document as well.
    operation = api_schema["/cases/{reference}/messages"]["POST"]
    status_change = api_schema["/cases/{reference}/status"]["POST"]
    reference = examples["GET /cases/{reference}"][0]
    for case, sent_headers, expected in [
        (status_change.Case(path_parameters=reference, body={"status": "submitted"}, media_type="application/json"),
         headers, 409),                                                    # nothing leads back to submitted
        (operation.Case(path_parameters=reference, body=["Guten Tag"], media_type="application/json"), headers, 400),
        (operation.Case(path_parameters=reference, body={"body": " "}, media_type="application/json"), headers, 422),
        (operation.Case(path_parameters={"reference": "2222-2222-2"}, body={"body": "Hallo"},
                        media_type="application/json"), headers, 404),
        (operation.Case(path_parameters=reference, body={"body": "Hallo"}, media_type="application/json"),
         {"Accept-Encoding": "identity"}, 401),
    ]:
        assert case.call_and_validate(headers=sent_headers, checks=checks, buffered=True).status_code == expected


def test_only_the_holder_of_a_lease_acknowledges_or_releases_a_packet(app, submitted, db_path):
    first, second = Api(app, new_token(app, "first")), Api(app, new_token(app, "second"))
    packet_id = query(db_path, "SELECT id FROM outbox ORDER BY id")[0]["id"]
    ack, release = f"/packets/{packet_id}/ack", f"/packets/{packet_id}/release"
    assert first.post(ack).status_code == 409                                  # still queued: nobody leased it
    leased = first.post("/packets/lease", {"limit": 1}).json["packets"][0]
    assert leased["id"] == packet_id and len(leased["lease_token"]) == 32
    assert second.post(ack).status_code == 409                                 # another token's lease
    assert second.post(ack, {"lease_token": "0" * 32}).status_code == 409
    assert second.post(release, {"error": "not mine"}).status_code == 409
    assert first.post(release, {"error": "schema mismatch"}).json == {"id": packet_id, "state": "queued"}
    assert query(db_path, "SELECT last_error FROM outbox WHERE id = ?", packet_id)[0]["last_error"] == "schema mismatch"
    with closing(sqlite3.connect(db_path)) as conn, conn:
        conn.execute("UPDATE outbox SET next_attempt_at = NULL")              # its next attempt is due
    again = second.post("/packets/lease", {}).json["packets"][0]
    assert first.post(ack, {"lease_token": again["lease_token"]}).status_code == 200   # the token is the proof
    assert second.post(ack).json == {"id": packet_id, "state": "delivered"}            # idempotent afterwards
    assert query(db_path, "SELECT state, attempts FROM outbox WHERE id = ?", packet_id)[0] == {"state": "delivered", "attempts": 2}


def test_a_message_of_the_documented_length_is_accepted_in_any_script(app, submitted, db_path):
    """20,000 characters of Cyrillic and of Arabic, every one \\u-escaped as JSON allows, fit the request limit."""
    api = Api(app, new_token(app))
    reference = query(db_path, "SELECT reference FROM applications WHERE id = ?", submitted)[0]["reference"]
    for letter in ("ж", "ع"):
        escaped = json.dumps({"body": letter * 20_000}, ensure_ascii=True)
        assert len(escaped) > 120_000
        assert api.post(f"/cases/{reference}/messages", data=escaped, content_type="application/json").status_code == 201
    assert [len(r["body"]) for r in query(db_path, "SELECT body FROM messages")] == [20_000, 20_000]

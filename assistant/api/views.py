"""The specialist system's side: a token-authenticated JSON API under /api/v1 (documented at /api/v1/openapi.json).

A specialist system leases packets from the outbox (submissions and the
correspondence of every case), fetches their files, acknowledges them, reads a
case with its conversation and talks back: status changes, messages, requests
for documents, appointments and the decision. docs/api.md is the guide; the
OpenAPI document openapi.yaml next to this module is the contract, and request
bodies are checked against the very schemas it publishes.
"""
import hashlib
import json
import re
import secrets
from datetime import date, datetime, timezone
from pathlib import Path

import click
import jsonschema
import yaml
from flask import Blueprint, Response, abort, current_app, g, jsonify, request
from flask.cli import AppGroup
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from .. import access, audit, files, payments
from ..applications import drafts, references, snapshot
from ..applications import uploads as checks
from ..casework import commands as casework
from ..db import connect, get_db, now
from ..handoff import outbox
from ..handoff.packets import canonical_json, data_of, packet_files
from ..i18n import office_today
from ..people import matching

bp = Blueprint("api", __name__, url_prefix="/api/v1")
tokens_cli = AppGroup("api-tokens", help="Tokens of the specialist system for /api/v1.")

JSON_LIMIT = 256 * 1024
MAX_ID = 2**63 - 1  # SQLite's largest integer; a larger id in a URL is simply not found
RFC3339 = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2})$")
LATEST_APPOINTMENT = datetime(2100, 1, 1, tzinfo=timezone.utc)

# The contract, written out in openapi.yaml; request bodies are checked against the very schemas it publishes.
OPENAPI = yaml.safe_load(Path(__file__).with_name("openapi.yaml").read_text(encoding="utf-8"))
SCHEMAS = OPENAPI["components"]["schemas"]
VALIDATORS = {name: jsonschema.Draft202012Validator(SCHEMAS[name], format_checker=jsonschema.FormatChecker())
              for name in ("LeaseRequest", "LeaseProof", "ReleaseRequest", "StatusRequest", "MessageRequest",
                           "DocumentRequest", "AppointmentRequest", "PaidRequest", "PersonFile")}
DECISION_BODY = jsonschema.Draft202012Validator(SCHEMAS["DecisionForm"]["properties"]["body"])


# --- Tokens, errors and request bodies --------------------------------------------------------------------

def token_hash(token):
    """What the database keeps of a token: its SHA-256, never the token."""
    return hashlib.sha256(token.encode()).hexdigest()


def _error(status, message, headers=None):
    response = jsonify(error=message)
    response.status_code = status
    response.headers.update(headers or {})
    return response


@bp.before_request
def authenticate():
    """Every endpoint but the OpenAPI document needs `Authorization: Bearer <token>` of a token that is not revoked."""
    if request.endpoint == "api.openapi":
        return None
    if not getattr(current_app.view_functions.get(request.endpoint), "upload_files", 0):
        request.max_content_length = JSON_LIMIT  # a whole 20,000-character message, every character \u-escaped
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return _error(401, "Send a token as 'Authorization: Bearer <token>'.", {"WWW-Authenticate": "Bearer"})
    db = get_db()
    row = db.execute("SELECT id, name, revoked_at FROM api_tokens WHERE token_hash = ?", [token_hash(token)]).fetchone()
    if row is None or row["revoked_at"]:
        return _error(401, "The token is unknown or revoked.", {"WWW-Authenticate": 'Bearer error="invalid_token"'})
    db.execute("UPDATE api_tokens SET last_used_at = ? WHERE id = ?", [now(), row["id"]])
    g.api_token = dict(row)
    g.api_client = Client(row["id"], row["name"])
    return None


class Client:
    """The specialist system behind a token, as the access policy sees it."""
    is_authenticated = True
    role = access.SYSTEM

    def __init__(self, token_id, name):
        self.id, self.name = token_id, name


def _actor():
    return f"api:{g.api_token['name']}"


def http_error(error):
    """Errors of the API are JSON, with the headers of the error (Allow, WWW-Authenticate) kept."""
    response = error.get_response()
    response.set_data(json.dumps({"error": error.description or HTTP_STATUS_CODES.get(error.code, "Error")}))
    response.mimetype = "application/json"
    return response


# By code as well: the app's own handlers for 400/404/413 (HTML pages) would otherwise come first.
bp.register_error_handler(HTTPException, http_error)
for _code in (400, 401, 403, 404, 405, 409, 413, 415, 422):
    bp.register_error_handler(_code, http_error)


def _json_errors_everywhere(response):
    """Errors that happen before the API's views run (no such path, wrong method, a crash) are JSON too."""
    prefix = bp.url_prefix
    if ((request.path == prefix or request.path.startswith(prefix + "/")) and response.status_code >= 400
            and response.mimetype != "application/json"):
        response.set_data(json.dumps({"error": HTTP_STATUS_CODES.get(response.status_code, "Error")}))
        response.mimetype = "application/json"
        response.headers.pop("Content-Encoding", None)
    return response


def _strings_fine(value):
    """No lone surrogates anywhere (they cannot be stored as UTF-8) and no absurd nesting."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > 10:
            return False
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return False
        elif isinstance(item, dict):
            stack.extend((k, depth + 1) for k in item)
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return True


def _body(schema_name, optional=False):
    """The request's JSON object, checked against the published schema: 400 if it is no JSON object, 422 if it breaks the schema."""
    raw = request.get_data(cache=True)
    if len(raw) >= JSON_LIMIT:  # a chunked body is cut at the limit, not refused: what reaches it is too large
        abort(413)
    if raw.strip() and request.mimetype != "application/json":
        abort(415, "Send the body as application/json.")
    if not raw.strip():
        if not optional:
            abort(400, "Send a JSON object (Content-Type: application/json).")
        value = {}
    else:
        try:
            value = json.loads(raw)
        except (ValueError, RecursionError):
            abort(400, "The body is not valid JSON (UTF-8).")
    if not isinstance(value, dict):
        abort(400, "The body must be a JSON object.")
    if not _strings_fine(value):
        abort(400, "The body holds text that is not valid Unicode, or is nested too deeply.")
    error = jsonschema.exceptions.best_match(VALIDATORS[schema_name].iter_errors(value))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "body"
        abort(422, f"{where}: {error.message}"[:500])
    return value


def _invalid(message):
    abort(422, message)


# --- Packets -----------------------------------------------------------------------------------------------

def _packet(packet_id):
    row = get_db().execute("SELECT * FROM outbox WHERE id = ?", [packet_id]).fetchone() if packet_id <= MAX_ID else None
    application = access.load(row["application_id"]) if row is not None else None
    if application is None or not access.can_handle(g.api_client, application):
        abort(404, "No packet with this id.")
    return dict(row)


def _case_of(row):
    """What the audit log needs to name the case of an outbox row."""
    return {"id": row["application_id"], "reference": row["reference"]}


@bp.post("/packets/lease")
def lease():
    """Lease up to `limit` packets for `lease_seconds`; the token is the lease owner."""
    body = _body("LeaseRequest", optional=True)
    limit, seconds = int(body.get("limit", 10)), int(body.get("lease_seconds", outbox.LEASE_SECONDS))
    db = get_db()
    rows = outbox.lease(db, limit, seconds, owner=_lease_owner())
    for row in rows:
        audit.record(_actor(), "lease packet", _case_of(row), row["key"])
    return jsonify(packets=[{"id": r["id"], "key": r["key"], "kind": r["kind"], "reference": r["reference"],
                             "attempts": r["attempts"], "lease_until": r["lease_until"], "lease_token": r["lease_token"],
                             "packet": json.loads(r["packet"])} for r in rows])


def _lease_owner():
    return f"api-token-{g.api_token['id']}"


def _held(row, body):
    """The lease token of a packet this request holds: it presents the token, or its API token holds the lease."""
    if row["state"] != "leased":
        return None
    if body.get("lease_token") == row["lease_token"] or row["lease_owner"] == _lease_owner():
        return row["lease_token"]
    return None


@bp.get("/packets/<int:packet_id>")
def packet(packet_id):
    """One packet with its state."""
    row = _packet(packet_id)
    audit.record(_actor(), "read packet", _case_of(row), row["key"])
    return jsonify(id=row["id"], key=row["key"], kind=row["kind"], reference=row["reference"], state=row["state"],
                   attempts=row["attempts"], packet=json.loads(row["packet"]))


@bp.get("/packets/<int:packet_id>/files/<filename>")
def packet_file(packet_id, filename):
    """A file the packet names, found by its SHA-512 among the application's files, or data.json of a submission."""
    row = _packet(packet_id)
    content = json.loads(row["packet"])
    if filename == "data.json":
        audit.record(_actor(), "read packet file", _case_of(row), f"{row['key']} {filename}")
        return Response(canonical_json(data_of(content)), mimetype="application/json",
                        headers={"Content-Disposition": "attachment; filename=data.json"})
    entry = next((e for e in packet_files(content) if e["filename"] == filename), None)
    if entry is None:
        abort(404, "The packet names no file of this name.")
    stored = get_db().execute("SELECT * FROM files WHERE application_id = ? AND sha512 = ? ORDER BY rowid LIMIT 1",
                              [row["application_id"], entry["sha512"]]).fetchone()
    if stored is None or not files.path_of(stored).is_file():
        abort(404, "The file's bytes are no longer stored.")
    audit.record(_actor(), "read packet file", _case_of(row), f"{row['key']} {filename}")
    return files.send(stored, attachment=True, download_name=filename)


@bp.post("/packets/<int:packet_id>/ack")
def acknowledge(packet_id):
    """Mark a leased packet delivered (409 unless this request holds the lease); again afterwards changes nothing."""
    row = _packet(packet_id)
    body = _body("LeaseProof", optional=True)
    if row["state"] != "delivered":
        token = _held(row, body)
        if token is None or not outbox.acknowledge(get_db(), row["key"], token):
            abort(409, "This packet is not leased by you: lease it first, and send its lease_token.")
        audit.record(_actor(), "acknowledge packet", _case_of(row), row["key"])
    return jsonify(id=row["id"], state="delivered")


@bp.post("/packets/<int:packet_id>/release")
def release(packet_id):
    """Give a leased packet back with the error of the import; it is offered again later, or set aside as failed."""
    row = _packet(packet_id)
    body = _body("ReleaseRequest")
    token = _held(row, body)
    state = outbox.fail(get_db(), row["key"], token, body["error"], current_app.config["OUTBOX_MAX_ATTEMPTS"]) if token else None
    if state is None:
        abort(409, "This packet is not leased by you: lease it first, and send its lease_token.")
    audit.record(_actor(), "release packet", _case_of(row), f"{row['key']}: {body['error'][:200]}")
    return jsonify(id=row["id"], state=state)


# --- Cases -------------------------------------------------------------------------------------------------

def _case(reference):
    """A submitted case by its reference (any case, hyphens optional), or 404."""
    normalized = references.normalize(reference)
    application_id = casework.by_reference(normalized) if normalized else None
    row = access.load(application_id) if application_id else None
    if row is None or not access.can_handle(g.api_client, row):
        abort(404, "No case with this reference.")
    return row


def _message(m):
    return {"id": m["id"], "sender": m["sender"], "kind": m["kind"], "body": m["body"], "data": m["data"],
            "reply_to": m["reply_to"], "answered_at": m["answered_at"], "created_at": m["created_at"],
            "files": [{"id": f["id"], "filename": f["filename"], "content_type": f["content_type"], "size": f["size"],
                       "sha256": f["sha256"]} for f in m["files"]]}


@bp.get("/cases/<reference>")
def case(reference):
    """A case with its conversation (both sides, with files) and its timeline."""
    row = _case(reference)
    audit.record(_actor(), "read case", row)
    return jsonify(reference=row["reference"], service_id=row["service_id"], status=row["status"],
                   submitted_at=row["submitted_at"], record=snapshot.of_case(row), payment=_payment(row),
                   person_file=matching.of_person(get_db(), row["person_id"]),
                   messages=[_message(m) for m in casework.messages(row["id"])],
                   events=[{"kind": e["kind"], "created_at": e["created_at"]} for e in drafts.events(row["id"])])


@bp.get("/cases/<reference>/files/<file_id>")
def case_file(reference, file_id):
    """Any file of the case: documents, receipt, what the applicant sent with an answer, office documents."""
    row = _case(reference)
    stored = files.get(row["id"], file_id)
    if stored is None or not files.path_of(stored).is_file():
        abort(404, "The case has no file with this id.")
    audit.record(_actor(), "read case file", row, stored["filename"])
    return files.send(stored, attachment=True)


def _payment(row):
    """The payment that speaks for a case now, as the API shows it."""
    return payments.store.as_record(payments.store.current(payments.store.of_application(get_db(), row["id"])))


@bp.post("/cases/<reference>/payment/paid")
def payment_paid(reference):
    """The office's cash system saw the money: the open payment becomes paid (once; 409 when none is open)."""
    row = _case(reference)
    body = _body("PaidRequest", optional=True)
    current = payments.store.current(payments.store.of_application(get_db(), row["id"]))
    if current is None or not payments.mark_paid(get_db(), current, _actor()):
        abort(409, "The case has no open payment.")
    if body.get("note"):
        payments.note(get_db(), row["id"], None, body["note"])
    audit.record(_actor(), "payment paid", row, current["kassenzeichen"])
    return jsonify(reference=row["reference"], payment=_payment(row))


@bp.put("/cases/<reference>/person-file")
def person_file(reference):
    """The specialist system sets the person's file number and AZR number; later applications of the person carry them."""
    row = _case(reference)
    body = _body("PersonFile")
    try:
        numbers = matching.parse(body.get("file_number"), body.get("azr_number"))
    except matching.Invalid as wrong:
        abort(422, f"{wrong.args[0]}: {wrong.args[1]}")
    state = matching.confirm(get_db(), row, numbers, _actor())
    audit.record(_actor(), "person file set", row, " ".join(v for v in numbers.values() if v))
    return jsonify(reference=row["reference"], person_file=state)


@bp.post("/cases/<reference>/status")
def status(reference):
    """Change the status as the current one allows (409 otherwise); the same status again changes nothing."""
    row = _case(reference)
    new = _body("StatusRequest")["status"]
    if new != row["status"]:
        try:
            casework.change_status(row, new, None)
        except casework.NotAllowed:
            abort(409, f"A case in status '{row['status']}' cannot become '{new}'.")
        audit.record(_actor(), f"status {new}", row)
    return jsonify(reference=row["reference"], status=row["status"])


def _send(row, kind, body, data=None, uploads=()):
    """Post an office item like the back office does; the applicant gets the e-mail that something waits."""
    try:
        message_id = casework.post(row, sender="office", kind=kind, body=body, data=data or {}, uploads=uploads,
                                   actor_id=None, purpose="report")
    except casework.NotAllowed:
        abort(409, "The case is closed and takes no more messages.")
    audit.record(_actor(), f"send {kind}", row)
    return jsonify(id=message_id, status=row["status"]), 201


@bp.post("/cases/<reference>/messages")
def message(reference):
    """A message to the applicant."""
    row = _case(reference)
    body = _body("MessageRequest")
    return _send(row, "message", body["body"].strip())


@bp.post("/cases/<reference>/requests")
def document_request(reference):
    """A request for information or documents with a due date."""
    row = _case(reference)
    body = _body("DocumentRequest")
    try:
        due = date.fromisoformat(body["due_date"])
    except ValueError:
        _invalid("due_date: not a date of the calendar.")
    if due < office_today():
        _invalid("due_date: lies in the past.")
    data = {"documents": [d.strip() for d in body.get("documents", [])], "due_date": due.isoformat()}
    return _send(row, "request", body.get("body", "").strip(), data)


@bp.post("/cases/<reference>/appointments")
def appointment(reference):
    """An invitation to an appointment; the time is stored in UTC."""
    row = _case(reference)
    body = _body("AppointmentRequest")
    text = body["starts_at"]
    try:
        if not RFC3339.match(text):
            raise ValueError
        starts = datetime.fromisoformat(text.upper().replace("Z", "+00:00")).astimezone(timezone.utc)
    except (ValueError, OverflowError):
        _invalid("starts_at: not an RFC 3339 date-time with an offset (2031-05-06T09:30:00+02:00).")
    if not datetime.now(timezone.utc) < starts < LATEST_APPOINTMENT:
        _invalid("starts_at: must lie in the future (and before 2100).")
    data = {"starts_at": starts.strftime("%Y-%m-%dT%H:%M:%S.000Z"), "place": body["place"].strip(),
            "bring": body.get("bring", "").strip()}
    return _send(row, "appointment", body.get("body", "").strip(), data)


@bp.post("/cases/<reference>/decision")
@checks.accepts_uploads(1)
def decision(reference):
    """The decision as a PDF (multipart/form-data: `file`, optional `body`)."""
    row = _case(reference)
    text = request.form.get("body", "")
    if not DECISION_BODY.is_valid(text):
        _invalid(f"body: at most {DECISION_BODY.schema['maxLength']} characters, no control characters.")
    if len(request.files.getlist("file")) > 1:
        _invalid("file: send one decision PDF (one file part).")
    upload = request.files.get("file")
    if upload is None:
        if "file" in request.form:
            _invalid("file: send the PDF as a file part with a filename (curl -F file=@decision.pdf).")
        _invalid("file: attach the decision as a PDF file.")
    try:
        content, content_type, name = checks.office_pdf(checks.read_upload(upload), upload.filename)
    except checks.Refused as refused:
        _invalid(f"file: refused ({refused}); attach the decision as a PDF file.")
    if content_type != "application/pdf":
        _invalid("file: the decision must be a PDF file.")
    return _send(row, "decision", text.strip(), uploads=[(content, content_type, name)])


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 document of this API (no token needed)."""
    return jsonify(OPENAPI)


# --- Token commands ----------------------------------------------------------------------------------------

def _connect():
    return connect(current_app.config["DATABASE"])


@tokens_cli.command("create")
@click.argument("name")
def create_command(name):
    """Create a token for a specialist system; it is shown once, only its SHA-256 is kept."""
    name = name.strip()
    if not name or len(name) > 100:
        raise click.BadParameter("between 1 and 100 characters", param_hint="NAME")
    token = secrets.token_urlsafe(32)
    db = _connect()
    try:
        token_id = db.execute("INSERT INTO api_tokens (name, token_hash) VALUES (?, ?)", [name, token_hash(token)]).lastrowid
    finally:
        db.close()
    click.echo(f"Token {token_id} for {name!r}. It is shown only now; store it in the specialist system:")
    click.echo(token)


@tokens_cli.command("list")
def list_command():
    """Show every token (never the token itself)."""
    db = _connect()
    try:
        rows = db.execute("SELECT * FROM api_tokens ORDER BY id").fetchall()
    finally:
        db.close()
    click.echo(f"{'id':>4}  {'name':<24} {'created':<24} {'last used':<24} revoked")
    for r in rows:
        click.echo(f"{r['id']:>4}  {r['name']:<24} {r['created_at']:<24} {r['last_used_at'] or '-':<24} {r['revoked_at'] or '-'}")
    click.echo(f"{len(rows)} tokens.")


@tokens_cli.command("revoke")
@click.argument("token_id", metavar="ID", type=int)
def revoke_command(token_id):
    """Revoke a token at once; requests with it get 401 from now on."""
    db = _connect()
    try:
        row = db.execute("SELECT * FROM api_tokens WHERE id = ?", [token_id]).fetchone() if abs(token_id) <= MAX_ID else None
        if row is None:
            raise click.ClickException(f"There is no token {token_id}.")
        if row["revoked_at"]:
            click.echo(f"Token {token_id} ({row['name']}) was already revoked at {row['revoked_at']}.")
            return
        db.execute("UPDATE api_tokens SET revoked_at = ? WHERE id = ?", [now(), token_id])
    finally:
        db.close()
    click.echo(f"Token {token_id} ({row['name']}) revoked.")


def init_app(app):
    """Register the `api-tokens` CLI group, and JSON errors for every path under /api/v1."""
    app.cli.add_command(tokens_cli)
    app.after_request(_json_errors_everywhere)

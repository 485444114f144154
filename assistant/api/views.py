"""The specialist system's side: a token-authenticated JSON API under /api/v1 (documented at /api/v1/openapi.json).

A specialist system leases packets from the outbox (submissions and the
correspondence of every case), fetches their files, acknowledges them, reads a
case with its conversation and talks back: status changes, messages, requests
for documents, appointments and the decision. docs/api.md is the guide; the
OpenAPI document below is the contract, and request bodies are checked against
the very schemas it publishes.
"""
import hashlib
import json
import re
import secrets
from datetime import date, datetime, timezone

import click
import jsonschema
from flask import Blueprint, Response, abort, current_app, g, jsonify, request
from flask.cli import AppGroup
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from .. import access, audit, files
from ..applications import drafts, references, snapshot
from ..applications import uploads as checks
from ..casework import commands as casework
from ..casework.status import CASE_STATES
from ..db import connect, get_db
from ..handoff import outbox
from ..handoff.packets import canonical_json, packet_files
from ..i18n import OFFICE_TIMEZONE

bp = Blueprint("api", __name__, url_prefix="/api/v1")
tokens_cli = AppGroup("api-tokens", help="Tokens of the specialist system for /api/v1.")

MAX_ID = 2**63 - 1  # SQLite's largest integer; a larger id in a URL is simply not found
TEXT_LIMITS = {"body": 20000, "place": 300, "bring": 2000, "document": 300}

# Text fields: no control characters except tab and line breaks. "Not blank" adds one visible character.
_CONTROL = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f"
TEXT_PATTERN = f"^[^{_CONTROL}]*$"
NONBLANK_PATTERN = f"^[^{_CONTROL}]*[^\\s{_CONTROL}][^{_CONTROL}]*$"
DATE_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
RFC3339 = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2})$")
LATEST_APPOINTMENT = datetime(2100, 1, 1, tzinfo=timezone.utc)


# --- The OpenAPI document ---------------------------------------------------------------------------------

def _text(limit, blank=True, description=None):
    """A JSON Schema for a text field."""
    schema = {"type": "string", "maxLength": limit, "pattern": TEXT_PATTERN if blank else NONBLANK_PATTERN}
    return schema | ({"description": description} if description else {})


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


NULLABLE_STRING = {"type": ["string", "null"]}
TIMESTAMP = {"type": "string", "description": "UTC, ISO 8601 with Z, e.g. 2031-05-06T07:30:00.000Z"}
SHA256 = {"type": "string", "pattern": "^[a-f0-9]{64}$"}

SCHEMAS = {
    "Error": {
        "type": "object", "required": ["error"], "additionalProperties": False,
        "properties": {"error": {"type": "string", "description": "what went wrong, in English"}},
    },
    "LeaseRequest": {
        "type": "object", "additionalProperties": False,
        "properties": {
            "limit": {"type": "integer", "minimum": 1, "maximum": 100, "default": 10,
                      "description": "how many packets at most"},
            "lease_seconds": {"type": "integer", "minimum": 10, "maximum": 3600, "default": 300,
                              "description": "how long the packets are reserved for this token"},
        },
    },
    "PacketDocument": {
        "type": "object", "required": ["format", "version", "kind", "reference"],
        "description": "The packet as docs/packet.md describes it; its JSON Schema is "
                       "assistant/schemas/packet-1.schema.json (kind submission or correspondence).",
        "properties": {
            "format": {"const": "front-desk-packet"}, "version": {"const": "1.0"},
            "kind": {"enum": ["submission", "correspondence"]}, "reference": {"type": "string"},
        },
    },
    "LeasedPacket": {
        "type": "object", "additionalProperties": False,
        "required": ["id", "key", "kind", "reference", "attempts", "lease_until", "packet"],
        "properties": {
            "id": {"type": "integer"},
            "key": {"type": "string", "description": "unique: <reference>/submission or <reference>/correspondence/<message id>"},
            "kind": {"enum": ["submission", "correspondence"]},
            "reference": {"type": "string"},
            "attempts": {"type": "integer", "description": "how often the packet has been leased, this lease included"},
            "lease_until": TIMESTAMP,
            "packet": _ref("PacketDocument"),
        },
    },
    "LeaseResponse": {
        "type": "object", "required": ["packets"], "additionalProperties": False,
        "properties": {"packets": {"type": "array", "items": _ref("LeasedPacket")}},
    },
    "Packet": {
        "type": "object", "additionalProperties": False,
        "required": ["id", "key", "kind", "reference", "state", "attempts", "packet"],
        "properties": {
            "id": {"type": "integer"}, "key": {"type": "string"},
            "kind": {"enum": ["submission", "correspondence"]}, "reference": {"type": "string"},
            "state": {"enum": ["queued", "leased", "delivered"]}, "attempts": {"type": "integer"},
            "packet": _ref("PacketDocument"),
        },
    },
    "Acknowledged": {
        "type": "object", "required": ["id", "state"], "additionalProperties": False,
        "properties": {"id": {"type": "integer"}, "state": {"const": "delivered"}},
    },
    "CaseFile": {
        "type": "object", "required": ["id", "filename", "content_type", "size", "sha256"], "additionalProperties": False,
        "properties": {
            "id": {"type": "string", "description": "for GET /cases/{reference}/files/{file_id}"},
            "filename": {"type": "string"}, "content_type": {"enum": ["image/jpeg", "application/pdf"]},
            "size": {"type": "integer"}, "sha256": SHA256,
        },
    },
    "Message": {
        "type": "object", "additionalProperties": False,
        "required": ["id", "sender", "kind", "body", "data", "reply_to", "answered_at", "created_at", "files"],
        "properties": {
            "id": {"type": "integer"},
            "sender": {"enum": ["office", "applicant"]},
            "kind": {"enum": ["message", "request", "appointment", "decision"]},
            "body": {"type": "string"},
            "data": {
                "type": "object", "description": "request: documents, due_date; appointment: starts_at (UTC), place, bring",
                "properties": {
                    "documents": {"type": "array", "items": {"type": "string"}},
                    "due_date": {"type": "string"}, "starts_at": {"type": "string"},
                    "place": {"type": "string"}, "bring": {"type": "string"},
                },
            },
            "reply_to": {"type": ["integer", "null"], "description": "the request an applicant's message answers"},
            "answered_at": NULLABLE_STRING | {"description": "when the applicant answered this request"},
            "created_at": TIMESTAMP,
            "files": {"type": "array", "items": _ref("CaseFile")},
        },
    },
    "Case": {
        "type": "object", "additionalProperties": False,
        "required": ["reference", "service_id", "status", "submitted_at", "record", "messages", "events"],
        "properties": {
            "reference": {"type": "string"}, "service_id": {"type": "string"},
            "status": {"enum": CASE_STATES},
            "submitted_at": NULLABLE_STRING,
            "record": {"type": "object", "description": "the application exactly as the applicant confirmed it, frozen at "
                                                         "submit (questions as shown, answers, documents with hashes, fee)"},
            "messages": {"type": "array", "items": _ref("Message")},
            "events": {"type": "array", "items": {
                "type": "object", "required": ["kind", "created_at"], "additionalProperties": False,
                "properties": {"kind": {"type": "string"}, "created_at": TIMESTAMP}}},
        },
    },
    "StatusRequest": {
        "type": "object", "required": ["status"], "additionalProperties": False,
        "properties": {"status": {"enum": CASE_STATES}},
    },
    "StatusResponse": {
        "type": "object", "required": ["reference", "status"], "additionalProperties": False,
        "properties": {"reference": {"type": "string"}, "status": {"enum": CASE_STATES}},
    },
    "MessageRequest": {
        "type": "object", "required": ["body"], "additionalProperties": False,
        "properties": {"body": _text(TEXT_LIMITS["body"], blank=False)},
    },
    "DocumentRequest": {
        "type": "object", "required": ["due_date"], "additionalProperties": False,
        "properties": {
            "body": _text(TEXT_LIMITS["body"], description="what the office needs"),
            "documents": {"type": "array", "maxItems": 20,
                          "items": _text(TEXT_LIMITS["document"], blank=False), "description": "the documents asked for"},
            "due_date": {"type": "string", "format": "date", "pattern": DATE_PATTERN,
                         "description": "the day by which the applicant should answer; today or later (Europe/Berlin)"},
        },
        "anyOf": [
            {"required": ["body"], "properties": {"body": {"pattern": NONBLANK_PATTERN}}},
            {"required": ["documents"], "properties": {"documents": {"minItems": 1}}},
        ],
    },
    "AppointmentRequest": {
        "type": "object", "required": ["starts_at", "place"], "additionalProperties": False,
        "properties": {
            "starts_at": {"type": "string", "format": "date-time",
                          "description": "RFC 3339 with an offset; in the future and before 2100; stored in UTC"},
            "place": _text(TEXT_LIMITS["place"], blank=False),
            "bring": _text(TEXT_LIMITS["bring"], description="what to bring"),
            "body": _text(TEXT_LIMITS["body"]),
        },
    },
    "DecisionForm": {
        "type": "object", "required": ["file"],
        "properties": {
            "file": {"type": "string", "format": "binary",
                     "description": "the decision as a PDF file part (with a filename, as curl -F file=@x.pdf sends it)"},
            "body": _text(TEXT_LIMITS["body"]),
        },
    },
    "Created": {
        "type": "object", "required": ["id", "status"], "additionalProperties": False,
        "properties": {"id": {"type": "integer", "description": "the message id"},
                       "status": {"enum": CASE_STATES, "description": "the case's status afterwards"}},
    },
}

ERROR_TEXT = {
    400: "The body is not a JSON object (or not valid UTF-8 text).",
    401: "Missing, unknown or revoked token.",
    404: "No such packet, case, file or path.",
    409: "The case's status does not allow this (or the case is closed).",
    413: "The request is too large.",
    422: "The body does not match the schema, or a value is impossible (a date in the past, a file that is no PDF).",
}


def _json_content(schema):
    return {"application/json": {"schema": schema}}


def _responses(ok_status, ok_description, ok_content, *errors):
    responses = {str(ok_status): {"description": ok_description, "content": ok_content}}
    for code in errors:
        responses[str(code)] = {"description": ERROR_TEXT[code], "content": _json_content(_ref("Error"))}
        if code == 401:
            responses["401"]["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "Bearer"}}
    return responses


def _param(name, schema, description):
    return {"name": name, "in": "path", "required": True, "schema": schema, "description": description}


def _json_body(name, required=True):
    return {"required": required, "content": _json_content(_ref(name))}


PACKET_ID = _param("packet_id", {"type": "integer", "minimum": 1}, "the packet's id (from a lease)")
REFERENCE = _param("reference", {"type": "string", "minLength": 1, "pattern": "^[^/]+$"},
                   "the reference number, K7M4-Q9TX-C (any case, hyphens optional)")
FILE_ID = _param("file_id", {"type": "string", "minLength": 1, "pattern": "^[^/]+$"}, "a file id from the case")
FILENAME = _param("filename", {"type": "string", "minLength": 1, "pattern": "^[^/]+$"},
                  "a filename the packet names (documents, receipt.pdf or correspondence.pdf), or data.json of a submission")
BINARY = {"type": "string", "contentMediaType": "application/octet-stream"}
CASE_WRITE_ERRORS = (400, 401, 404, 409, 413, 422)

OPENAPI = {
    "openapi": "3.1.0",
    "info": {
        "title": "Front desk API for specialist systems",
        "version": "1.0.0",
        "description": "Lease packets (submissions and correspondence), fetch their files, acknowledge them, "
                       "read cases and answer applicants. See docs/api.md.",
    },
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearer": []}],
    "paths": {
        "/openapi.json": {"get": {
            "operationId": "getOpenApi", "summary": "This document", "security": [],
            "responses": {"200": {"description": "OpenAPI 3.1", "content": _json_content({"type": "object"})}},
        }},
        "/packets/lease": {"post": {
            "operationId": "leasePackets", "summary": "Lease queued packets (and packets whose lease expired)",
            "requestBody": _json_body("LeaseRequest", required=False),
            "responses": _responses(200, "The leased packets, oldest first; empty when nothing waits",
                                    _json_content(_ref("LeaseResponse")), 400, 401, 413, 422),
        }},
        "/packets/{packet_id}": {"get": {
            "operationId": "getPacket", "summary": "A packet and its delivery state", "parameters": [PACKET_ID],
            "responses": _responses(200, "The packet", _json_content(_ref("Packet")), 401, 404),
        }},
        "/packets/{packet_id}/files/{filename}": {"get": {
            "operationId": "getPacketFile", "summary": "A file the packet names, byte for byte",
            "parameters": [PACKET_ID, FILENAME],
            "responses": _responses(200, "The file; its sha256/sha512 are in the packet", {
                "application/pdf": {"schema": BINARY}, "image/jpeg": {"schema": BINARY},
                "application/json": {"schema": {"type": "object", "description": "data.json: the canonical data"}},
            }, 401, 404),
        }},
        "/packets/{packet_id}/ack": {"post": {
            "operationId": "acknowledgePacket", "summary": "Mark a packet delivered (idempotent)",
            "parameters": [PACKET_ID],
            "responses": _responses(200, "Delivered (also when it already was)", _json_content(_ref("Acknowledged")),
                                    401, 404),
        }},
        "/cases/{reference}": {"get": {
            "operationId": "getCase", "summary": "A case: status, conversation and timeline", "parameters": [REFERENCE],
            "responses": _responses(200, "The case", _json_content(_ref("Case")), 401, 404),
        }},
        "/cases/{reference}/files/{file_id}": {"get": {
            "operationId": "getCaseFile", "summary": "Any file of the case (documents, receipt, answers, office documents)",
            "parameters": [REFERENCE, FILE_ID],
            "responses": _responses(200, "The file", {"application/pdf": {"schema": BINARY},
                                                      "image/jpeg": {"schema": BINARY}}, 401, 404),
        }},
        "/cases/{reference}/status": {"post": {
            "operationId": "setCaseStatus", "summary": "Change the status (only as the current status allows)",
            "parameters": [REFERENCE], "requestBody": _json_body("StatusRequest"),
            "responses": _responses(200, "The new status (unchanged when it was already this one)",
                                    _json_content(_ref("StatusResponse")), *CASE_WRITE_ERRORS),
        }},
        "/cases/{reference}/messages": {"post": {
            "operationId": "postCaseMessage", "summary": "Write to the applicant", "parameters": [REFERENCE],
            "requestBody": _json_body("MessageRequest"),
            "responses": _responses(201, "Sent; the applicant is notified by e-mail",
                                    _json_content(_ref("Created")), *CASE_WRITE_ERRORS),
        }},
        "/cases/{reference}/requests": {"post": {
            "operationId": "postCaseRequest", "summary": "Ask for information or documents by a date "
                                                         "(the case becomes waiting where its status allows)",
            "parameters": [REFERENCE], "requestBody": _json_body("DocumentRequest"),
            "responses": _responses(201, "Sent; the applicant is notified by e-mail",
                                    _json_content(_ref("Created")), *CASE_WRITE_ERRORS),
        }},
        "/cases/{reference}/appointments": {"post": {
            "operationId": "postCaseAppointment", "summary": "Invite to an appointment", "parameters": [REFERENCE],
            "requestBody": _json_body("AppointmentRequest"),
            "responses": _responses(201, "Sent; the applicant is notified by e-mail and can add it to a calendar",
                                    _json_content(_ref("Created")), *CASE_WRITE_ERRORS),
        }},
        "/cases/{reference}/decision": {"post": {
            "operationId": "postCaseDecision", "summary": "Send the decision as a PDF "
                                                          "(the case becomes decided where its status allows)",
            "parameters": [REFERENCE],
            "requestBody": {"required": True, "content": {"multipart/form-data": {
                "schema": _ref("DecisionForm"), "encoding": {"file": {"contentType": "application/pdf"}}}}},
            "responses": _responses(201, "Sent; the applicant is notified by e-mail and downloads it from the page",
                                    _json_content(_ref("Created")), 401, 404, 409, 413, 422),
        }},
    },
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                       "description": "A token from `flask --app wsgi api-tokens create NAME`"}},
        "schemas": SCHEMAS,
    },
}

VALIDATORS = {name: jsonschema.Draft202012Validator(SCHEMAS[name], format_checker=jsonschema.FormatChecker())
              for name in ("LeaseRequest", "StatusRequest", "MessageRequest", "DocumentRequest", "AppointmentRequest")}


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
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return _error(401, "Send a token as 'Authorization: Bearer <token>'.", {"WWW-Authenticate": "Bearer"})
    db = get_db()
    row = db.execute("SELECT id, name, revoked_at FROM api_tokens WHERE token_hash = ?", [token_hash(token)]).fetchone()
    if row is None or row["revoked_at"]:
        return _error(401, "The token is unknown or revoked.", {"WWW-Authenticate": 'Bearer error="invalid_token"'})
    db.execute("UPDATE api_tokens SET last_used_at = ? WHERE id = ?", [casework.now(), row["id"]])
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
    rows = outbox.lease(db, limit, seconds, owner=f"api-token-{g.api_token['id']}")
    for row in rows:
        audit.record(_actor(), "lease packet", _case_of(row), row["key"])
    return jsonify(packets=[{"id": r["id"], "key": r["key"], "kind": r["kind"], "reference": r["reference"],
                             "attempts": r["attempts"], "lease_until": r["lease_until"],
                             "packet": json.loads(r["packet"])} for r in rows])


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
    if content["kind"] == "submission" and filename == "data.json":
        audit.record(_actor(), "read packet file", _case_of(row), f"{row['key']} {filename}")
        return Response(canonical_json(content["data"]), mimetype="application/json",
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
    """Mark a packet delivered; a second acknowledgement changes nothing and answers the same."""
    row = _packet(packet_id)
    outbox.acknowledge(get_db(), row["key"])
    audit.record(_actor(), "acknowledge packet", _case_of(row), row["key"])
    return jsonify(id=row["id"], state="delivered")


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
                   submitted_at=row["submitted_at"], record=snapshot.of(row["id"]), messages=[_message(m) for m in casework.messages(row["id"])],
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
    if due < datetime.now(OFFICE_TIMEZONE).date():
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
    if len(text) > TEXT_LIMITS["body"] or not re.match(TEXT_PATTERN, text):
        _invalid(f"body: at most {TEXT_LIMITS['body']} characters, no control characters.")
    upload = request.files.get("file")
    if upload is None:
        if "file" in request.form:
            _invalid("file: send the PDF as a file part with a filename (curl -F file=@decision.pdf).")
        _invalid("file: attach the decision as a PDF file.")
    try:
        content, content_type, name = checks.prepare(checks.read_upload(upload), upload.filename)
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
        db.execute("UPDATE api_tokens SET revoked_at = ? WHERE id = ?", [casework.now(), token_id])
    finally:
        db.close()
    click.echo(f"Token {token_id} ({row['name']}) revoked.")


def init_app(app):
    """Register the `api-tokens` CLI group, and JSON errors for every path under /api/v1."""
    app.cli.add_command(tokens_cli)
    app.after_request(_json_errors_everywhere)

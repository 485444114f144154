"""Packets for the back office: versioned JSON (docs/packet.md) whose metadata is FIT-Connect's."""
import hashlib
import json
import uuid
from pathlib import Path

import jsonschema
from flask_babel import force_locale
from referencing import Registry, Resource

from .i18n import translate

SCHEMAS = Path(__file__).parent / "schemas"
FITCONNECT = json.loads((SCHEMAS / "fitconnect-metadata-1.0.0.schema.json").read_text())
PACKET = json.loads((SCHEMAS / "packet-1.schema.json").read_text())
_registry = Registry().with_resource(FITCONNECT["$id"], Resource.from_contents(FITCONNECT))
VALIDATOR = jsonschema.Draft202012Validator(PACKET, registry=_registry, format_checker=jsonschema.FormatChecker())
SCHEMA_URI = "urn:front-desk:schema:packet-data:1"
APPLICANT_KEYS = ("family_name", "given_names", "birth_date", "nationality")


def canonical_json(value):
    """The one serialization whose SHA-512 the metadata carries: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def service_block(service):
    """The service as the packet names it, title in German."""
    with force_locale("de"):
        title = translate(service.title)
    return {"id": service.id, "version": service.version, "title": title, "leika": service.leika}


def answers_of(journey):
    """Canonical answers of every question this application asks, in order."""
    return {q.id: journey.answers[q.id].value for s in journey.steps for q in journey.questions(s)
            if q.id in journey.answers and journey.answers[q.id].value is not None}


def file_entry(row, filename, document=None):
    """A file of the packet with its hashes and a fresh FIT-Connect attachment id."""
    entry = {"attachment_id": str(uuid.uuid4()), "filename": filename, "content_type": row["content_type"],
             "size": row["size"], "sha256": row["sha256"], "sha512": row["sha512"]}
    if document is not None:
        with force_locale("de"):
            entry |= {"document_id": document["id"], "label": translate(document["label"])}
    return entry


def build(*, application, service, journey, person_id, account_email, reference, submitted_at, language,
          documents, receipt_row):
    """The whole packet of a submission; raises jsonschema.ValidationError if it breaks its own schema."""
    answers = answers_of(journey)
    data = {"reference": reference, "service": service_block(service), "submitted_at": submitted_at, "answers": answers}
    applicant = {"person_id": person_id, "account_email": account_email}
    for q in service.questions.values():
        if q.prefill in APPLICANT_KEYS and q.id in answers and q.prefill not in applicant:
            applicant[q.prefill] = answers[q.id]
    docs_by_id = {d["id"]: d for d in service.documents}
    entries = [file_entry(row, f"{i:02d}-{row['filename']}", docs_by_id.get(row["document_id"]))
               for i, row in enumerate(documents, start=1)]
    receipt = file_entry(receipt_row, "receipt.pdf")
    identifier = f"urn:de:fim:leika:leistung:{service.leika}" if service.leika else f"urn:front-desk:service:{service.id}"
    metadata = {
        "contentStructure": {
            "data": {"hash": {"type": "sha512", "content": hashlib.sha512(canonical_json(data)).hexdigest()},
                     "submissionSchema": {"schemaUri": SCHEMA_URI, "mimeType": "application/json"}},
            "attachments": [
                {"hash": {"type": "sha512", "content": receipt["sha512"]}, "purpose": "form", "filename": "receipt.pdf",
                 "mimeType": "application/pdf", "attachmentId": receipt["attachment_id"]},
            ] + [
                {"hash": {"type": "sha512", "content": e["sha512"]}, "purpose": "attachment", "filename": e["filename"],
                 "mimeType": e["content_type"], "attachmentId": e["attachment_id"], "description": e["label"]}
                for e in entries
            ],
        },
        "publicServiceType": {"name": data["service"]["title"], "identifier": identifier},
        "replyChannel": {"eMail": {"address": account_email}},
        "additionalReferenceInfo": {"senderReference": reference, "applicationDate": submitted_at[:10]},
    }
    packet = {
        "format": "front-desk-packet", "version": "1.0", "kind": "submission", "reference": reference,
        "service": data["service"], "created_at": application["created_at"], "submitted_at": submitted_at,
        "language": language, "applicant": applicant, "representative": None, "data": data,
        "documents": entries, "receipt": receipt, "metadata": metadata,
    }
    VALIDATOR.validate(packet)
    return packet


def correspondence(app_row, message, rows, rendering):
    """A correspondence packet: one message of either side, its files and a PDF of it, for the case file."""
    entries = [file_entry(row, f"{i:02d}-{row['filename']}") for i, row in enumerate(rows, start=1)]
    packet = {
        "format": "front-desk-packet", "version": "1.0", "kind": "correspondence", "reference": app_row["reference"],
        "created_at": message["created_at"],
        "message": {"id": message["id"], "sender": message["sender"], "kind": message["kind"], "body": message["body"],
                    "data": message["data"], "reply_to": message["reply_to"]},
        "documents": entries,
        "rendering": file_entry(rendering, "correspondence.pdf"),
    }
    VALIDATOR.validate(packet)
    return packet

"""Packets for the back office: versioned JSON (docs/packet.md) whose metadata is FIT-Connect's."""
import hashlib
import json
import uuid
from pathlib import Path

import jsonschema
from referencing import Registry, Resource

SCHEMAS = Path(__file__).parent / "schemas"
FITCONNECT = json.loads((SCHEMAS / "fitconnect-metadata-1.0.0.schema.json").read_text())
PACKET = json.loads((SCHEMAS / "packet-1.schema.json").read_text())
_registry = Registry().with_resource(FITCONNECT["$id"], Resource.from_contents(FITCONNECT))
VALIDATOR = jsonschema.Draft202012Validator(PACKET, registry=_registry, format_checker=jsonschema.FormatChecker())
SCHEMA_URI = "urn:front-desk:schema:packet-data:1"


def canonical_json(value):
    """The one serialization whose SHA-512 the metadata carries: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def file_entry(row, filename, label=None):
    """A file of the packet with its hashes and a fresh FIT-Connect attachment id; `label` is the document's name."""
    entry = {"attachment_id": str(uuid.uuid4()), "filename": filename, "content_type": row["content_type"],
             "size": row["size"], "sha256": row["sha256"], "sha512": row["sha512"]}
    if label is not None:
        entry |= {"document_id": row["document_id"], "label": label["de"]}
    return entry


def build(record, *, created_at, receipt_row):
    """The whole packet of a submission, from its record; raises jsonschema.ValidationError if it breaks its own schema."""
    service = record["service"]
    block = {"id": service["id"], "version": service["version"], "title": service["title"]["de"], "leika": service["leika"]}
    data = {"reference": record["reference"], "service": block, "submitted_at": record["submitted_at"],
            "answers": record["answers"]}
    applicant = dict(record["applicant"])
    entries = [file_entry(f, f"{i:02d}-{f['filename']}", f["label"]) for i, f in enumerate(record["documents"], start=1)]
    receipt = file_entry(receipt_row, "receipt.pdf")
    identifier = f"urn:de:fim:leika:leistung:{block['leika']}" if block["leika"] else f"urn:front-desk:service:{block['id']}"
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
        "publicServiceType": {"name": block["title"], "identifier": identifier},
        "replyChannel": {"eMail": {"address": applicant["account_email"]}},
        "additionalReferenceInfo": {"senderReference": record["reference"], "applicationDate": record["submitted_at"][:10]},
    }
    packet = {
        "format": "front-desk-packet", "version": "1.0", "kind": "submission", "reference": record["reference"],
        "service": block, "created_at": created_at, "submitted_at": record["submitted_at"],
        "language": record["language"], "applicant": applicant, "representative": None, "data": data,
        "documents": entries, "receipt": receipt, "metadata": metadata,
    }
    VALIDATOR.validate(packet)
    return packet


def packet_files(packet):
    """The files a packet names: documents, then the receipt or the PDF of the correspondence."""
    return packet["documents"] + [packet["receipt"] if packet["kind"] == "submission" else packet["rendering"]]


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

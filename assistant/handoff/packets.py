"""Packets for the back office: versioned JSON (docs/packet.md) whose metadata is FIT-Connect's."""
import hashlib
import json
import re
import uuid
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import jsonschema
from referencing import Registry, Resource

from ..i18n import OFFICE_TIMEZONE, tag
from ..payments.base import METHODS
from .names import portable

SCHEMAS = Path(__file__).parent / "schemas"
FITCONNECT = json.loads((SCHEMAS / "fitconnect-metadata-1.0.0.schema.json").read_text())
PACKET = json.loads((SCHEMAS / "packet-1.schema.json").read_text())
_registry = Registry().with_resource(FITCONNECT["$id"], Resource.from_contents(FITCONNECT))


def _multiple_of(validator, step, instance, schema):
    """multipleOf in decimal arithmetic: 0.07 is a multiple of 0.01 (in binary floating point it is not)."""
    if validator.is_type(instance, "number") and Decimal(str(instance)) % Decimal(str(step)) != 0:
        yield jsonschema.ValidationError(f"{instance!r} is not a multiple of {step}")


VALIDATOR = jsonschema.validators.extend(jsonschema.Draft202012Validator, {"multipleOf": _multiple_of})(
    PACKET, registry=_registry, format_checker=jsonschema.FormatChecker())
SCHEMA_URI = "urn:front-desk:schema:packet-data:1"
CORRESPONDENCE_SCHEMA_URI = "urn:front-desk:schema:correspondence:1"


def canonical_json(value):
    """The one serialization whose SHA-512 the metadata carries: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def file_entry(row, filename, label=None):
    """A file of the packet with its hashes and a fresh FIT-Connect attachment id; `label` is the document's name."""
    entry = {"attachment_id": str(uuid.uuid4()), "filename": portable(filename), "content_type": row["content_type"],
             "size": row["size"], "sha256": row["sha256"], "sha512": row["sha512"]}
    if entry["filename"] != filename:
        entry["original_filename"] = filename
    if label is not None:
        entry |= {"document_id": row["document_id"], "label": label["de"]}
    return entry


def _tagged(representative):
    """The representative block with its languages in BCP 47, as the packet's own (fa_AF -> fa-AF)."""
    if not representative:
        return representative
    tagged = dict(representative, client_language=tag(representative.get("client_language") or "") or None)
    if representative.get("review"):
        tagged["review"] = dict(representative["review"], language=tag(representative["review"]["language"]))
    return tagged


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
    metadata = fitconnect(data, SCHEMA_URI, [(receipt, "form", None)] + [(e, "attachment", e.get("label")) for e in entries],
                          record["reference"], record["submitted_at"], reply_address(record))
    metadata["publicServiceType"] = {"name": block["title"], "identifier": identifier}
    if record.get("payment"):
        metadata["paymentInformation"] = payment_information(record["payment"])
    packet = {
        "format": "front-desk-packet", "version": "1.0", "kind": "submission", "reference": record["reference"],
        "service": block, "created_at": created_at, "submitted_at": record["submitted_at"],
        "language": tag(record["language"]), "applicant": applicant, "representative": _tagged(record.get("representative")), "data": data,
        "documents": entries, "receipt": receipt, "metadata": metadata,
    }
    VALIDATOR.validate(packet)
    return packet


def reply_address(record):
    """Where the office's answers go: the representative's address when the mandate covers receiving messages, else the
    address the application gives, else the acting account's."""
    representative = record.get("representative")
    if representative and {"messages", "all"} & set(representative["mandate"]["scope"]) and \
            representative["mandate"]["kind"] == "power_of_attorney":
        return representative["account_email"]
    applicant = record["applicant"]
    return applicant.get("email") or applicant["account_email"]


def payment_information(payment):
    """FIT-Connect's paymentInformation for the payment a record names (XBezahldienste's PAYED is FIT-Connect's BOOKED)."""
    method = payment["method"] if payment["method"] in METHODS else ("INVOICE" if payment["provider"] == "invoice" else "OTHER")
    info = {"transactionReference": payment["kassenzeichen"], "transactionId": payment["transaction_id"] or payment["key"],
            "paymentMethod": method, "status": {"PAYED": "BOOKED"}.get(payment["state"], payment["state"])}
    if Decimal(payment["amount"]) > 0:
        info["grossAmount"] = float(payment["amount"])
    if payment.get("transaction_url"):
        info["transactionUrl"] = payment["transaction_url"]
    if payment["state"] == "PAYED" and payment.get("paid_at"):
        info["transactionTimestamp"] = payment["paid_at"]
    if payment.get("method_detail") and re.fullmatch(r"[\w\d-]{1,36}", payment["method_detail"]):
        info["paymentMethodDetail"] = payment["method_detail"]
    return info


def office_date(timestamp):
    """The day of a UTC timestamp in the office's time zone: a submission at 00:30 in Berlin is dated that day."""
    moment = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    return moment.astimezone(OFFICE_TIMEZONE).date().isoformat()


def fitconnect(data, schema_uri, attachments, reference, timestamp, reply_to=None):
    """FIT-Connect metadata: the data's hash, every file with its purpose and hash, the reference and the date."""
    metadata = {
        "contentStructure": {
            "data": {"hash": {"type": "sha512", "content": hashlib.sha512(canonical_json(data)).hexdigest()},
                     "submissionSchema": {"schemaUri": schema_uri, "mimeType": "application/json"}},
            "attachments": [
                {"hash": {"type": "sha512", "content": entry["sha512"]}, "purpose": purpose, "filename": entry["filename"],
                 "mimeType": entry["content_type"], "attachmentId": entry["attachment_id"]}
                | ({"description": description} if description else {})
                for entry, purpose, description in attachments
            ],
        },
        "additionalReferenceInfo": {"senderReference": reference, "applicationDate": office_date(timestamp)},
    }
    if reply_to:
        metadata["replyChannel"] = {"eMail": {"address": reply_to}}
    return metadata


def data_of(packet):
    """What `data.json` of a packet holds, the bytes its metadata hashes: the application data, or the message."""
    return packet["data"] if packet["kind"] == "submission" else packet["message"]


def packet_files(packet):
    """The files a packet names: documents, then the receipt or the PDF of the correspondence."""
    return packet["documents"] + [packet["receipt"] if packet["kind"] == "submission" else packet["rendering"]]


def correspondence(app_row, message, rows, rendering):
    """A correspondence packet: one message of either side, its files and a PDF of it, for the case file."""
    entries = [file_entry(row, f"{i:02d}-{row['filename']}") for i, row in enumerate(rows, start=1)]
    content = {"id": message["id"], "sender": message["sender"], "kind": message["kind"], "body": message["body"],
               "data": message["data"], "reply_to": message["reply_to"]}
    pdf = file_entry(rendering, "correspondence.pdf")
    packet = {
        "format": "front-desk-packet", "version": "1.0", "kind": "correspondence", "reference": app_row["reference"],
        "created_at": message["created_at"], "message": content, "documents": entries, "rendering": pdf,
        "metadata": fitconnect(content, CORRESPONDENCE_SCHEMA_URI, [(pdf, "report", None)]
                               + [(e, "attachment", None) for e in entries], app_row["reference"], message["created_at"]),
    }
    VALIDATOR.validate(packet)
    return packet

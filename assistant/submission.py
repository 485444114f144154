"""Submit: re-validate, render the receipt, then in ONE transaction mark submitted, give the reference, queue the packet."""
import json
import sqlite3
from datetime import datetime, timezone

from flask import current_app, render_template
from flask_babel import force_locale, get_locale
from weasyprint import HTML

from . import files, packets, references
from .db import get_db
from .questions import TYPES


class AlreadySubmitted(Exception):
    """Another request submitted this application first (double click, resent POST)."""


def rows_by_step(journey):
    """(step, [(question, the answer as text in the current language, or None)]) for summaries and receipts."""
    result = []
    for s in journey.steps:
        items = []
        for q in journey.questions(s):
            answer = journey.answers.get(q.id)
            items.append((q, str(TYPES[q.type].display(answer.value, q)) if answer and answer.value is not None else None))
        result.append((s, items))
    return result


def render_receipt(*, application, service, journey, reference, submitted_at, documents, applicant_name):
    """The receipt PDF (PDF/A-3b), from the frozen answers, in the applicant's language beside German."""
    with force_locale("de"):
        german = rows_by_step(journey)
    rows = [(s, [(q, shown, shown_de) for (q, shown), (_q, shown_de) in zip(items, german_items, strict=True)])
            for (s, items), (_s, german_items) in zip(rows_by_step(journey), german, strict=True)]
    html = render_template("pdf/receipt.html", application=application, service=service, journey=journey,
                           reference=reference, submitted_at=submitted_at, documents=documents,
                           rows=rows, applicant_name=applicant_name)
    return HTML(string=html, base_url=current_app.config["STATIC_DIR"]).write_pdf(pdf_variant="pdf/a-3b")


def applicant_name(service, journey):
    """The applicant's name from the answers that prefill from the profile's names."""
    parts = {q.prefill: journey.answers[q.id].value for q in service.questions.values()
             if q.prefill in ("given_names", "family_name") and q.id in journey.answers}
    return " ".join(p for p in (parts.get("given_names"), parts.get("family_name")) if p)


def submit(application, service, journey, account_email):
    """Submit a complete draft; returns the reference. Raises AlreadySubmitted if another request won."""
    db = get_db()
    documents = files.of_application(application["id"])
    for _attempt in range(5):
        reference = references.new()
        submitted_at = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        pdf = render_receipt(application=application, service=service, journey=journey, reference=reference,
                             submitted_at=submitted_at, documents=documents,
                             applicant_name=applicant_name(service, journey))
        stored = files.write(pdf)
        receipt_row = {"content_type": "application/pdf", **stored}
        packet = packets.build(application=application, service=service, journey=journey,
                               person_id=application["person_id"], account_email=account_email, reference=reference,
                               submitted_at=submitted_at, language=str(get_locale()), documents=documents,
                               receipt_row=receipt_row)
        try:
            with db.atomic():
                cursor = db.execute(
                    "UPDATE applications SET status = 'submitted', reference = ?, submitted_at = ?, "
                    "updated_at = ? WHERE id = ? AND status = 'draft'",
                    [reference, submitted_at, submitted_at, application["id"]])
                if cursor.rowcount != 1:
                    raise AlreadySubmitted()
                files.record(application["id"], "form", None, f"receipt-{reference}.pdf", "application/pdf", stored)
                enqueue(db, application["id"], reference, packet)
                db.execute("INSERT INTO events (application_id, account_id, kind, data) "
                           "SELECT ?, account_id, 'submitted', ? FROM applications WHERE id = ?",
                           [application["id"], json.dumps({"reference": reference}), application["id"]])
            return reference
        except AlreadySubmitted:
            files.remove(stored["storage_name"])
            raise
        except sqlite3.IntegrityError:
            files.remove(stored["storage_name"])
            if db.execute("SELECT status FROM applications WHERE id = ?", [application["id"]]).fetchone()[0] != "draft":
                raise AlreadySubmitted() from None
            continue  # the random reference was taken: draw another
        except BaseException:
            files.remove(stored["storage_name"])
            raise
    raise RuntimeError("no free reference number after five draws")


def enqueue(db, application_id, reference, packet):
    """Put a packet on the outbox; the key makes a second one for the same submission impossible."""
    db.execute("INSERT INTO outbox (key, application_id, reference, kind, packet) VALUES (?, ?, ?, ?, ?)",
               [f"{reference}/submission", application_id, reference, packet["kind"], json.dumps(packet, ensure_ascii=False)])

"""Submit: check, freeze the record, draw the receipt, then in ONE transaction mark submitted, store, queue the packet.

The transaction also checks that the answers and files the receipt was drawn
from are still those in the database; if a second tab changed them meanwhile,
everything is checked and drawn again from the new state, so the record, the
receipt, the packet and the database never disagree.
"""
import hashlib
import json
import sqlite3

from ..casework.status import DRAFT, SUBMITTED
from ..db import get_db, now
from ..definitions import fees
from .. import payments
from ..handoff import packets
from ..questions import TYPES
from .. import files
from . import drafts, drawing, references, snapshot

ATTEMPTS = 5


class AlreadySubmitted(Exception):
    """Another request submitted this application first (double click, resent POST)."""


class Incomplete(Exception):
    """Steps or required documents are missing: (first unfinished step or None, missing documents)."""


class _Changed(Exception):
    """The draft changed between drawing the receipt and the commit."""


def rows_by_step(journey):
    """For check-your-answers, per step (and per item of a repeat step): {step, item, name, rows: [(question, the answer
    as text in the current language, or None)]}; a repeat step without items is one entry without rows."""
    result = []
    for s in journey.steps:
        if s.stop:
            continue
        for item in journey.items(s) if s.repeat else [None]:
            rows = []
            for q in journey.questions(s, item):
                answer = journey.answers.get(q.id)
                rows.append((q, str(TYPES[q.type].display(answer.value, q)) if answer and answer.value is not None else None))
            result.append({"step": s, "item": item, "name": item and journey.item_name(s, item), "rows": rows})
        if s.repeat and not journey.items(s):
            result.append({"step": s, "item": None, "name": None, "rows": []})
    return result


def problems(journey, documents):
    """What stops submission: the first unfinished step, and required documents without a file."""
    return journey.first_unfinished(), journey.missing_documents(documents)


def state(db, application_id):
    """A digest of everything a submission is drawn from: answers, confirmed steps and files."""
    parts = [list(r) for r in db.execute(
        "SELECT question_id, raw, value FROM answers WHERE application_id = ? ORDER BY question_id", [application_id])]
    parts += [["step", r[0]] for r in db.execute(
        "SELECT step_id FROM confirmed_steps WHERE application_id = ? ORDER BY step_id", [application_id])]
    parts += [["file", *r] for r in db.execute(
        "SELECT id, document_id, sha512 FROM files WHERE application_id = ? AND purpose = 'attachment' ORDER BY id",
        [application_id])]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()



def submit(application, service, account_email, representative=None):
    """Submit a complete draft; returns the reference. Raises AlreadySubmitted or Incomplete.

    One transaction makes the draft a record and notes its receipt and packet as to be drawn; `drawing` draws them
    (before this returns, or right after, as ASSISTANT_RECEIPT_DRAWING says).
    `representative` names who acted for a client and under which mandate (None: the applicant acted)."""
    db = get_db()
    for _attempt in range(ATTEMPTS):
        before = state(db, application["id"])
        journey = drafts.journey(service, application["id"])
        documents = files.of_application(application["id"])
        first, missing = problems(journey, documents)
        if first is not None or missing:
            raise Incomplete(first, missing)
        reference, submitted_at = references.new(), now()
        charged = fees.compute(service.fee, journey.values, journey.today, service.tables)
        payment = payments.store.as_record(payments.for_submission(application["id"], charged[1]))
        if payment and payment["state"] != "PAYED":
            payment["bank"] = payments.bank_details()  # where to transfer, as the receipt says it
        record = snapshot.take(service=service, journey=journey, documents=documents, account_email=account_email,
                               person_id=application["person_id"], reference=reference, submitted_at=submitted_at,
                               payment=payment, charged=charged, representative=representative)
        packets.build(record, created_at=application["created_at"], receipt_row=drawing.RECEIPT_TO_COME)  # refused now
        try:
            with db.atomic():
                cursor = db.execute(
                    "UPDATE applications SET status = ?, reference = ?, submitted_at = ?, updated_at = ? WHERE id = ? AND status = ?",
                    [SUBMITTED, reference, submitted_at, submitted_at, application["id"], DRAFT])
                if cursor.rowcount != 1:
                    raise AlreadySubmitted()
                if state(db, application["id"]) != before:
                    raise _Changed()
                snapshot.store(db, application["id"], record)
                db.execute("INSERT INTO receipts_to_draw (application_id) VALUES (?)", [application["id"]])
                db.execute("INSERT INTO events (application_id, account_id, kind, data) "
                           "SELECT ?, account_id, 'submitted', ? FROM applications WHERE id = ?",
                           [application["id"], json.dumps({"reference": reference}), application["id"]])
        except _Changed:
            continue  # a second tab changed the draft: check and draw everything again
        except sqlite3.IntegrityError:
            if db.execute("SELECT status FROM applications WHERE id = ?", [application["id"]]).fetchone()[0] != DRAFT:
                raise AlreadySubmitted() from None
            continue  # the random reference was taken: draw another
        drawing.after_submit(application["id"])
        return reference
    raise RuntimeError(f"the draft kept changing during {ATTEMPTS} attempts to submit it")

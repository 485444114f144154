"""The back channel of a case: status changes, messages both ways, requests, appointments, decisions.

Every action is one transaction that records the message, the timeline event,
the status and a correspondence packet (with a PDF of the item) on the outbox,
so a document management system can file the whole case. The applicant is
then told by e-mail that something is waiting, without any content.
"""
import json

from flask import g, render_template, url_for
from flask_babel import force_locale
from weasyprint import HTML

from .. import files
from ..db import get_db, now
from ..handoff import packets
from ..mail import notify_applicant
from ..representation import store as representation
from .status import DRAFT, STATUS_AFTER, allowed, takes_messages


class NotAllowed(ValueError):
    """An action the case's status does not allow (a closed case takes no more messages, say)."""



def by_reference(reference):
    """The id of a submitted application with this reference, or None."""
    row = get_db().execute("SELECT id FROM applications WHERE reference = ? AND status != ?", [reference, DRAFT]).fetchone()
    return row["id"] if row else None


def _event(db, application_id, account_id, kind, data=None):
    """Add a timeline event."""
    db.execute("INSERT INTO events (application_id, account_id, kind, data) VALUES (?, ?, ?, ?)",
               [application_id, account_id, kind, json.dumps(data or {}, ensure_ascii=False)])


def _set_status(db, app_row, new, actor_id):
    """Move a case to a new status if the transition is allowed; records the event."""
    if new == app_row["status"]:
        return
    if not allowed(app_row["status"], new):
        raise NotAllowed(f"{app_row['status']} -> {new}")
    db.execute("UPDATE applications SET status = ?, updated_at = ? WHERE id = ?", [new, now(), app_row["id"]])
    _event(db, app_row["id"], actor_id, "status", {"from": app_row["status"], "to": new})
    app_row["status"] = new


def contact(app_row, db=None):
    """Where news about an application goes, and in which language: the e-mail address given in the application
    (else the account's: for a client of an organisation, the client's own linked account, never the member's), in the
    language the person uses (the account's choice, else the client's recorded one, else the one they applied in)."""
    row = (db or get_db()).execute(
        "SELECT coalesce(json_extract(r.snapshot, '$.applicant.email'), a.email) AS email, "
        "coalesce(a.locale, json_extract(pe.profile, '$.language'), json_extract(r.snapshot, '$.language')) AS locale "
        "FROM applications p JOIN persons pe ON pe.id = p.person_id "
        "LEFT JOIN accounts a ON a.id = CASE WHEN pe.organisation_id IS NULL THEN p.account_id ELSE pe.linked_account_id END "
        "LEFT JOIN records r ON r.application_id = p.id WHERE p.id = ?",
        [app_row["id"]]).fetchone()
    return (row["email"], row["locale"]) if row else (None, None)


def recipient(app_row, kind="message"):
    """Whom news of a case reach, in which language, with the path of its page: the representative when the client's
    mandate covers them (a decision only under a power of attorney on file, § 7 Abs. 1 VwZG), else the applicant.
    Returns (email, locale, path, representative or None)."""
    representative = representation.receiving(app_row, "decisions" if kind == "decision" else "messages")
    if representative:
        return (representative["email"], representative["locale"],
                url_for("applications.show", application_id=app_row["id"], client_id=app_row["person_id"]), representative)
    email, locale = contact(app_row)
    return email, locale, url_for("applications.show", application_id=app_row["id"]), None


def _notify(app_row, kind="message", personal=False):
    """Tell whom the news is for that something is waiting; every delivery is on the case's timeline, for the office.

    What needs the applicant in person (fingerprints, a signature) goes to the applicant, with a copy to the
    representative; what goes to a representative goes as a copy to the client's own account too, when linked."""
    email, locale, path, representative = recipient(app_row, kind)
    own_path = url_for("applications.show", application_id=app_row["id"])
    deliveries = [(email, locale, path, {"representative": bool(representative)})]
    if personal and representative:
        own, own_locale = contact(app_row)
        deliveries.insert(0, (own, own_locale, own_path, {"representative": False}))
    if representative and (linked := representation.linked_account(app_row["person_id"])):
        deliveries.append((linked["email"], linked["locale"], own_path, {"representative": False, "copy": True}))
    sent = set()
    for to, language, link, role in deliveries:
        if to and to not in sent:
            sent.add(to)
            notify_applicant(to, language, link)
            _event(get_db(), app_row["id"], None, "notified", {"to": to, "kind": kind} | role)


def retrieved(app_row, account, message, file=None):
    """Someone on the applicant's side opened a message of the office, or one of its documents: logged with who and
    when, for the office, since a deadline can run from it (each document every time, a message the first time).
    `recipient` says whether the account is the one such news go to: a supporter's or a copy's opening starts nothing."""
    receiver = recipient(app_row, "decision" if message["kind"] == "decision" else "message")[0]
    _event(get_db(), app_row["id"], account.id, "retrieved",
           {"by": account.email, "message_id": message["id"], "kind": message["kind"], "recipient": account.email == receiver,
            "representative": g.get("client_id") is not None} | ({"file": file["filename"]} if file else {}))


def opened(app_row, account):
    """The case page was shown to the account: each message of the office it had not opened yet counts as retrieved."""
    seen = {row[0] for row in get_db().execute(
        "SELECT json_extract(data, '$.message_id') FROM events WHERE application_id = ? AND kind = 'retrieved' "
        "AND account_id = ? AND json_extract(data, '$.file') IS NULL", [app_row["id"], account.id])}
    for message in messages(app_row["id"]):
        if message["sender"] == "office" and message["id"] not in seen:
            retrieved(app_row, account, message)


def change_status(app_row, new, actor_id):
    """A status change by the office."""
    if new == app_row["status"]:
        return
    db = get_db()
    with db.atomic():
        _set_status(db, app_row, new, actor_id)
    _notify(app_row)


def claim(app_row, actor_id):
    """Assign a case to a caseworker."""
    get_db().execute("UPDATE applications SET assigned_to = ? WHERE id = ?", [actor_id, app_row["id"]])


def post(app_row, *, sender, kind, body, actor_id, data=None, uploads=(), reply_to=None, purpose="attachment"):
    """Record a message (or request, appointment, decision) with its files, correspondence packet and event.

    `uploads` are (bytes, content type, file name) already checked; returns the message id.
    """
    if not takes_messages(app_row["status"]):
        raise NotAllowed(app_row["status"])
    db = get_db()
    stored = [(files.write(content), content_type, name) for content, content_type, name in uploads]
    try:
        with db.atomic():
            cursor = db.execute(
                "INSERT INTO messages (application_id, account_id, sender, kind, body, data, reply_to) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [app_row["id"], actor_id, sender, kind, body, json.dumps(data or {}, ensure_ascii=False), reply_to])
            message_id = cursor.lastrowid
            rows = []
            for written, content_type, name in stored:
                file_id = files.record(app_row["id"], purpose, None, name, content_type, written)
                db.execute("UPDATE files SET message_id = ? WHERE id = ?", [message_id, file_id])
                rows.append(files.get(app_row["id"], file_id))
            if sender == "applicant":
                db.execute("UPDATE applications SET attention = 1, updated_at = ? WHERE id = ?", [now(), app_row["id"]])
                if reply_to:
                    db.execute("UPDATE messages SET answered_at = ? WHERE id = ? AND application_id = ? AND answered_at IS NULL",
                               [now(), reply_to, app_row["id"]])
                _event(db, app_row["id"], actor_id, "answer" if reply_to else "applicant_message", {"message": message_id})
            else:
                if kind in STATUS_AFTER and (allowed(app_row["status"], STATUS_AFTER[kind]) or STATUS_AFTER[kind] == app_row["status"]):
                    _set_status(db, app_row, STATUS_AFTER[kind], actor_id)
                _event(db, app_row["id"], actor_id, kind, {"message": message_id})
            _queue_correspondence(db, app_row, message_id, rows)
    except BaseException:
        for written, _type, _name in stored:
            files.remove(written["storage_name"])
        raise
    if sender == "office":
        _notify(app_row, kind, personal=bool((data or {}).get("personal")))
    return message_id


def mark_seen(app_row):
    """The office has read what the applicant sent."""
    get_db().execute("UPDATE applications SET attention = 0 WHERE id = ?", [app_row["id"]])


def open_requests(application_id):
    """The office's requests the applicant has not answered yet, the earliest due first."""
    db = get_db()
    rows = db.execute("SELECT * FROM messages WHERE application_id = ? AND sender = 'office' AND kind = 'request' "
                      "AND answered_at IS NULL ORDER BY json_extract(data, '$.due_date'), id", [application_id])
    return [dict(r) | {"data": json.loads(r["data"])} for r in rows]


def office_message(application_id, message_id):
    """One message the office sent on the case (without its files), or None."""
    row = get_db().execute("SELECT * FROM messages WHERE id = ? AND application_id = ? AND sender = 'office'",
                           [message_id, application_id]).fetchone()
    return dict(row) if row else None


def messages(application_id):
    """The conversation of a case, oldest first, each with its files."""
    db = get_db()
    result = []
    for row in db.execute("SELECT * FROM messages WHERE application_id = ? ORDER BY id", [application_id]):
        item = dict(row) | {"data": json.loads(row["data"])}
        item["files"] = [dict(f) for f in db.execute("SELECT * FROM files WHERE message_id = ? ORDER BY rowid", [row["id"]])]
        result.append(item)
    return result


def _queue_correspondence(db, app_row, message_id, rows):
    """Render the item as a PDF (in German, for the office's files) and queue it as a correspondence packet."""
    message = dict(db.execute("SELECT * FROM messages WHERE id = ?", [message_id]).fetchone())
    message["data"] = json.loads(message["data"])
    with force_locale("de"):
        html = render_template("pdf/correspondence.html", application=app_row, message=message, files=rows)
    pdf = HTML(string=html).write_pdf(pdf_variant="pdf/a-3b")
    written = files.write(pdf)
    try:
        file_id = files.record(app_row["id"], "report", None, f"{message['kind']}-{message_id}.pdf", "application/pdf", written)
        rendering = files.get(app_row["id"], file_id)
        packet = packets.correspondence(app_row, message, rows, rendering)
        db.execute("INSERT INTO outbox (key, application_id, reference, kind, packet) VALUES (?, ?, ?, 'correspondence', ?)",
                   [f"{app_row['reference']}/correspondence/{message_id}", app_row["id"], app_row["reference"],
                    json.dumps(packet, ensure_ascii=False)])
    except BaseException:
        files.remove(written["storage_name"])
        raise

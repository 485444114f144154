"""Applications in the database: create, read for the acting account, store answers as they arrive."""
import json
import secrets

from flask import abort
from flask_login import current_user

from .db import get_db
from .engine import Answer
from .questions import TYPES

NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"


def create(service, account_id, person_id, profile):
    """A new draft, prefilled from the person's profile; returns its id."""
    db = get_db()
    draft_id = secrets.token_urlsafe(12)
    with db.atomic():
        db.execute(
            "INSERT INTO applications (id, person_id, account_id, service_id, service_version) VALUES (?, ?, ?, ?, ?)",
            [draft_id, person_id, account_id, service.id, service.version])
        for q in service.questions.values():
            if q.prefill and profile.get(q.prefill) not in (None, ""):
                value = profile[q.prefill]
                _upsert(db, draft_id, q.id, TYPES[q.type].to_raw(value), value, prefilled=True)
        db.execute("INSERT INTO events (application_id, account_id, kind) VALUES (?, ?, 'created')", [draft_id, account_id])
    return draft_id


def get_own(application_id):
    """The application if the current account acts for it; 404 for everyone else, so ids reveal nothing."""
    row = get_db().execute(
        "SELECT a.* FROM applications a JOIN persons p ON p.id = a.person_id "
        "WHERE a.id = ? AND a.account_id = ? AND p.account_id = ?",
        [application_id, current_user.id, current_user.id]).fetchone()
    if row is None:
        abort(404)
    return dict(row)


def own_draft(application_id):
    """The current account's draft with its service and journey; 404 for anyone else and for a submitted one."""
    from .services import get_services
    row = get_own(application_id)
    service = get_services().get(row["service_id"]) if row["status"] == "draft" else None
    if service is None:
        abort(404)
    return row, service, journey(service, application_id)


def answers(application_id):
    """Every stored answer of an application, by question id."""
    rows = get_db().execute(
        "SELECT question_id, raw, value, prefilled FROM answers WHERE application_id = ?", [application_id])
    return {r["question_id"]: Answer(json.loads(r["raw"]), None if r["value"] is None else json.loads(r["value"]),
                                     bool(r["prefilled"])) for r in rows}


def _upsert(db, application_id, question_id, raw, value, prefilled=False):
    """Write one answer; the primary key makes it an upsert."""
    db.execute(
        f"INSERT INTO answers (application_id, question_id, raw, value, prefilled, updated_at) VALUES (?, ?, ?, ?, ?, {NOW}) "
        "ON CONFLICT (application_id, question_id) DO UPDATE SET raw = excluded.raw, value = excluded.value, "
        "prefilled = excluded.prefilled, updated_at = excluded.updated_at",
        [application_id, question_id, json.dumps(raw, ensure_ascii=False),
         None if value is None else json.dumps(value, ensure_ascii=False), int(prefilled)])


def save(application_id, changes):
    """Store changed answers ({question id: Answer}) in one transaction; only these rows are touched."""
    if not changes:
        return
    db = get_db()
    with db.atomic():
        for question_id, answer in changes.items():
            _upsert(db, application_id, question_id, answer.raw, answer.value, answer.prefilled)
        db.execute(f"UPDATE applications SET updated_at = {NOW} WHERE id = ?", [application_id])


def confirmed_steps(application_id):
    """Steps the applicant has sent with valid answers."""
    return {r[0] for r in get_db().execute("SELECT step_id FROM confirmed_steps WHERE application_id = ?", [application_id])}


def confirm_step(application_id, step_id):
    """Record that a step was sent with valid answers."""
    get_db().execute("INSERT OR IGNORE INTO confirmed_steps (application_id, step_id) VALUES (?, ?)", [application_id, step_id])


def journey(service, application_id):
    """The journey of a stored application."""
    from .engine import Journey
    return Journey(service, answers(application_id), confirmed_steps(application_id))


def touch(application_id):
    """Record a change to a draft that is not an answer (a document, say)."""
    get_db().execute(f"UPDATE applications SET updated_at = {NOW} WHERE id = ?", [application_id])


def events(application_id):
    """The timeline of an application, oldest first."""
    return get_db().execute("SELECT * FROM events WHERE application_id = ? ORDER BY id", [application_id]).fetchall()


def list_own(draft=True):
    """The current account's drafts (or its submitted applications), newest change first."""
    return [dict(r) for r in get_db().execute(
        f"SELECT * FROM applications WHERE account_id = ? AND status {'=' if draft else '!='} 'draft' ORDER BY updated_at DESC",
        [current_user.id])]


def delete(application_id):
    """Delete a draft with its answers and events."""
    get_db().execute("DELETE FROM applications WHERE id = ? AND status = 'draft'", [application_id])

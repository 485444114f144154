"""Drafts in the database: create, store answers as they arrive, and nothing once the application is submitted.

Every write to a draft runs in one transaction with the check that it is still
a draft, so a second tab can never change an application after its submit.
"""
import json
import secrets

from ..casework.status import DRAFT
from ..db import get_db
from ..definitions import versions
from ..journey import Answer, Journey
from ..questions import TYPES

NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"


class NotADraft(Exception):
    """The application was submitted (or deleted) meanwhile; the write did not happen."""


def create(service, account_id, person_id, profile):
    """A new draft on today's version of the service, prefilled from the person's profile; returns its id."""
    db = get_db()
    draft_id = secrets.token_urlsafe(12)
    with db.atomic():
        digest = versions.remember(db, service)
        db.execute(
            "INSERT INTO applications (id, person_id, account_id, service_id, service_version, definition_hash) "
            "VALUES (?, ?, ?, ?, ?, ?)", [draft_id, person_id, account_id, service.id, service.version, digest])
        for q in service.questions.values():
            if q.prefill and profile.get(q.prefill) not in (None, ""):
                value = profile[q.prefill]
                _upsert(db, draft_id, q.id, TYPES[q.type].to_raw(value), value, prefilled=True)
        db.execute("INSERT INTO events (application_id, account_id, kind) VALUES (?, ?, 'created')", [draft_id, account_id])
    return draft_id


def definition(row):
    """The service definition the application was started with (None if it can no longer be found)."""
    return versions.of_application(get_db(), row)


def guard(db, application_id):
    """Inside a transaction: claim the draft for this write, or raise NotADraft."""
    cursor = db.execute(f"UPDATE applications SET updated_at = {NOW} WHERE id = ? AND status = ?", [application_id, DRAFT])
    if cursor.rowcount != 1:
        raise NotADraft(application_id)


def answers(application_id, db=None):
    """Every stored answer of an application, by question id."""
    rows = (db or get_db()).execute(
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
    """Store changed answers ({question id: Answer}) in one transaction, only while it is a draft."""
    if not changes:
        return
    db = get_db()
    with db.atomic():
        guard(db, application_id)
        for question_id, answer in changes.items():
            _upsert(db, application_id, question_id, answer.raw, answer.value, answer.prefilled)


def remove_item(application_id, items_id, left, question_ids, suffix):
    """Remove one item of a repeat step: the list without it, its answers and its per-item files, in one transaction;
    returns the storage names whose bytes can go."""
    db = get_db()
    with db.atomic():
        guard(db, application_id)
        _upsert(db, application_id, items_id, left, left)
        for qid in question_ids:
            db.execute("DELETE FROM answers WHERE application_id = ? AND question_id = ?", [application_id, qid])
        pattern = "%" + suffix.replace("_", "\\_")
        names = [r[0] for r in db.execute("SELECT storage_name FROM files WHERE application_id = ? AND purpose = 'attachment' "
                                          "AND document_id LIKE ? ESCAPE '\\'", [application_id, pattern])]
        db.execute("DELETE FROM files WHERE application_id = ? AND purpose = 'attachment' AND document_id LIKE ? ESCAPE '\\'",
                   [application_id, pattern])
    return names


def confirmed_steps(application_id):
    """Steps the applicant has sent with valid answers."""
    return {r[0] for r in get_db().execute("SELECT step_id FROM confirmed_steps WHERE application_id = ?", [application_id])}


def confirm_step(application_id, step_id):
    """Record that a step was sent with valid answers."""
    db = get_db()
    with db.atomic():
        guard(db, application_id)
        db.execute("INSERT OR IGNORE INTO confirmed_steps (application_id, step_id) VALUES (?, ?)", [application_id, step_id])


def journey(service, application_id):
    """The journey of a stored draft."""
    return Journey(service, answers(application_id), confirmed_steps(application_id))


def events(application_id):
    """The timeline of an application, oldest first."""
    return get_db().execute("SELECT * FROM events WHERE application_id = ? ORDER BY id", [application_id]).fetchall()


def of_account(account_id, drafts=True):
    """An account's drafts (or its submitted applications), newest change first; with them those a representative
    prepared or filed for the account's person (`prepared_by` names the organisation until the account takes one over)."""
    return [dict(r) for r in get_db().execute(
        "SELECT a.*, CASE WHEN a.account_id IS NOT ? THEN o.name END AS prepared_by FROM applications a "
        "JOIN persons p ON p.id = a.person_id LEFT JOIN organisations o ON o.id = p.organisation_id "
        f"WHERE ((p.organisation_id IS NULL AND a.account_id = ?) OR p.linked_account_id = ?) "
        f"AND a.status {'=' if drafts else '!='} ? ORDER BY a.updated_at DESC",
        [account_id, account_id, account_id, DRAFT])]


def delete(application_id):
    """Delete a draft with its answers, events and files' rows; returns the storage names whose bytes can go."""
    db = get_db()
    with db.atomic():
        guard(db, application_id)
        names = [r[0] for r in db.execute("SELECT storage_name FROM files WHERE application_id = ?", [application_id])]
        db.execute("DELETE FROM files WHERE application_id = ?", [application_id])
        db.execute("DELETE FROM applications WHERE id = ? AND status = ?", [application_id, DRAFT])
    return names

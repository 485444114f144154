"""Every version of a service that an application was started with, kept in the database by the hash of its content.

A draft and a submitted case always render with the definition they were
started with, however the file in forms/ changes later, and even when it is
removed. A draft stays on its version until it is submitted or deleted.
"""
import json

from flask import current_app

from ..casework.status import DRAFT
from .loader import build

_CACHE = {}  # hash -> Service; a kept definition never changes, so it is built once per process


def remember(db, service):
    """Keep the service's definition (once per content) and return its hash."""
    db.execute("INSERT OR IGNORE INTO definitions (hash, service_id, version, data) VALUES (?, ?, ?, ?)",
               [service.hash, service.id, service.version, json.dumps(service.data, ensure_ascii=False)])
    return service.hash


def of_application(db, row):
    """The definition an application was started with; None only for one from before versions were kept whose file is gone."""
    current = current_app.extensions["services"].get(row["service_id"])
    digest = row.get("definition_hash")
    if digest is None or (current is not None and current.hash == digest):
        return current
    if digest not in _CACHE:
        stored = db.execute("SELECT data FROM definitions WHERE hash = ?", [digest]).fetchone()
        if stored is None:
            return None
        _CACHE[digest] = build(json.loads(stored["data"]), f"database:{digest[:12]}")
    return _CACHE[digest]


def drifted(db, services):
    """Files edited without raising their version while drafts were started on the earlier text of that version."""
    found = []
    for service in services.values():
        for row in db.execute(
                "SELECT d.hash, count(a.id) AS drafts FROM definitions d JOIN applications a ON a.definition_hash = d.hash "
                "AND a.status = ? WHERE d.service_id = ? AND d.version = ? AND d.hash != ? GROUP BY d.hash",
                [DRAFT, service.id, service.version, service.hash]):
            found.append(f"{service.source}: version {service.version} of '{service.id}' was changed although "
                         f"{row['drafts']} draft(s) were started on its earlier text; raise 'version' when you change a service")
    return found

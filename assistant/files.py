"""Stored files: bytes on disk under random names outside static/, a row with hashes in the database."""
import hashlib
import secrets
import time
from pathlib import Path

import click
from flask import current_app, send_file
from flask.cli import AppGroup

from .db import connect, get_db

STRAY_AFTER_SECONDS = 3600  # a file is written before its row is committed; younger ones may still get their row


def _folder():
    """The folder of stored files, outside static/."""
    folder = Path(current_app.config["FILES_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def write(data):
    """Write bytes under a random name; returns the storage name and the hashes."""
    storage_name = secrets.token_hex(16)
    path = _folder() / storage_name
    with open(path, "xb") as f:
        f.write(data)
    return {"storage_name": storage_name, "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(), "sha512": hashlib.sha512(data).hexdigest()}


def path_of(row):
    """Where a stored file's bytes are."""
    return _folder() / row["storage_name"]


def send(row, attachment=False, download_name=None):
    """A stored file as an answer: its own type and name, never cached (who may read it is checked per request)."""
    response = send_file(path_of(row), mimetype=row["content_type"], download_name=download_name or row["filename"],
                         as_attachment=attachment, max_age=0)
    response.headers["Cache-Control"] = "no-store"  # never kept on the disk of a shared computer
    return response


def remove(storage_name):
    """Delete stored bytes (after the row is gone, or when a transaction did not happen)."""
    (_folder() / storage_name).unlink(missing_ok=True)


def record(application_id, purpose, document_id, filename, content_type, stored):
    """Insert the row of written bytes; returns the new file id."""
    file_id = secrets.token_urlsafe(12)
    get_db().execute(
        "INSERT INTO files (id, application_id, purpose, document_id, filename, content_type, size, sha256, sha512, storage_name) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [file_id, application_id, purpose, document_id, filename, content_type,
         stored["size"], stored["sha256"], stored["sha512"], stored["storage_name"]])
    return file_id


def of_application(application_id, purpose="attachment"):
    """The files of an application, oldest first."""
    return [dict(r) for r in get_db().execute(
        "SELECT * FROM files WHERE application_id = ? AND purpose = ? ORDER BY created_at, rowid", [application_id, purpose])]


def get(application_id, file_id):
    """One file of an application, or None."""
    row = get_db().execute("SELECT * FROM files WHERE id = ? AND application_id = ?", [file_id, application_id]).fetchone()
    return dict(row) if row else None


def sweep(db):
    """Remove stored files that no row names and that are older than an hour (left by a crash before a commit)."""
    named = {r[0] for r in db.execute("SELECT storage_name FROM files")}
    removed = 0
    for path in _folder().iterdir():
        if path.is_file() and path.name not in named and time.time() - path.stat().st_mtime > STRAY_AFTER_SECONDS:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


files_cli = AppGroup("files", help="Stored documents and receipts.")


@files_cli.command("sweep")
def sweep_command():
    """Remove stray files: older than an hour and named by no row (`outbox deliver` runs this too)."""
    db = connect(current_app.config["DATABASE"])
    click.echo(f"{sweep(db)} stray files removed.")

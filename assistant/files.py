"""Stored files: bytes on disk under random names outside static/, a row with hashes in the database."""
import hashlib
import secrets
from pathlib import Path

from flask import current_app, send_file

from .db import get_db


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
    return send_file(path_of(row), mimetype=row["content_type"], download_name=download_name or row["filename"],
                     as_attachment=attachment, max_age=0)


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


def delete(file_row):
    """Delete a file's row and bytes."""
    get_db().execute("DELETE FROM files WHERE id = ?", [file_row["id"]])
    remove(file_row["storage_name"])

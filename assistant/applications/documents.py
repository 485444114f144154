"""Documents of an application: upload from the phone (camera or file), delete, combine photos, download."""
from flask import abort, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import access, files
from ..casework import commands as casework
from ..db import get_db
from ..i18n import translate
from . import drafts, uploads as checks
from .steps import own_draft
from .web import bp

DEFAULT_MAX_FILES = 5


def _document(journey, document_id):
    """A document this application asks for, or 404."""
    doc = next((d for d in journey.documents() if d["id"] == document_id), None)
    return doc or abort(404)


def render_documents(row, journey, errors=None, status=200):
    """The documents page: each document with its files and an upload form."""
    stored = files.of_application(row["id"])
    by_doc = {d["id"]: [f for f in stored if f["document_id"] == d["id"]] for d in journey.documents()}
    return render_template("applications/documents.html", application=row, service=journey.service, journey=journey,
                           by_doc=by_doc, errors=errors or {}, default_max=DEFAULT_MAX_FILES), status


@bp.get("/applications/<application_id>/documents")
@login_required
def documents(application_id):
    """Upload the documents the application needs."""
    row, service, journey = own_draft(application_id)
    if journey.first_unfinished() is not None:
        return redirect(url_for("applications.show", application_id=application_id))
    return render_documents(row, journey)


@bp.post("/applications/<application_id>/documents/<document_id>")
@login_required
@checks.accepts_uploads(20)
def upload(application_id, document_id):
    """Store the uploaded files of one document; each refused file gets its own message, the others are kept."""
    row, service, journey = own_draft(application_id)
    doc = _document(journey, document_id)
    try:
        uploads = checks.uploaded_files()
    except checks.Refused as refused:
        return render_documents(row, journey, errors={document_id: [checks.refusal_message(refused)]}, status=422)
    existing = [f for f in files.of_application(application_id) if f["document_id"] == document_id]
    room = doc.get("max_files", DEFAULT_MAX_FILES) - len(existing)
    messages = []
    if not uploads:
        messages.append(_("Choose a file or take a photo first."))
    for upload in uploads:
        data = checks.read_upload(upload)
        if room <= 0:
            messages.append(_("%(name)s: you cannot add more files to this document.", name=upload.filename))
            continue
        try:
            content, content_type, name = checks.prepare(data, upload.filename)
        except checks.Refused as refused:
            messages.append(f"{upload.filename}: {checks.refusal_message(refused)}")
            continue
        add_file(application_id, document_id, name, content_type, content)
        room -= 1
    if messages:
        return render_documents(row, journey, errors={document_id: messages}, status=422)
    return redirect(url_for("applications.documents", application_id=application_id, _anchor=f"d-{document_id}"), code=303)


@bp.post("/applications/<application_id>/documents/<document_id>/combine")
@login_required
def combine(application_id, document_id):
    """Turn the photos of one document into one PDF with a page per photo."""
    row, service, journey = own_draft(application_id)
    doc = _document(journey, document_id)
    photos = [f for f in files.of_application(application_id)
              if f["document_id"] == document_id and f["content_type"] == "image/jpeg"]
    if len(photos) >= 2:
        pdf = checks.images_to_pdf([files.path_of(f).read_bytes() for f in photos])
        add_file(application_id, document_id, checks.clean_name(translate(doc["label"]), "pdf"), "application/pdf", pdf,
                 replaces=photos)
    return redirect(url_for("applications.documents", application_id=application_id, _anchor=f"d-{document_id}"), code=303)


def add_file(application_id, document_id, name, content_type, content, replaces=()):
    """Store a file of a draft (and remove the files it replaces) in one transaction, only while it is a draft."""
    stored = files.write(content)
    db = get_db()
    try:
        with db.atomic():
            drafts.guard(db, application_id)
            files.record(application_id, "attachment", document_id, name, content_type, stored)
            for old in replaces:
                db.execute("DELETE FROM files WHERE id = ? AND application_id = ?", [old["id"], application_id])
    except BaseException:
        files.remove(stored["storage_name"])
        raise
    for old in replaces:
        files.remove(old["storage_name"])


@bp.post("/applications/<application_id>/files/<file_id>/delete")
@login_required
def delete_file(application_id, file_id):
    """Remove one uploaded file from a draft, only while it is a draft."""
    own_draft(application_id)
    row = files.get(application_id, file_id) or abort(404)
    db = get_db()
    with db.atomic():
        drafts.guard(db, application_id)
        db.execute("DELETE FROM files WHERE id = ? AND application_id = ?", [row["id"], application_id])
    files.remove(row["storage_name"])
    return redirect(url_for("applications.documents", application_id=application_id), code=303)


@bp.get("/applications/<application_id>/files/<file_id>")
@login_required
def file(application_id, file_id):
    """A stored file, only for the account that acts for the application."""
    row = access.acting(application_id)
    found = files.get(application_id, file_id) or abort(404)
    message = casework.office_message(application_id, found["message_id"]) if found["message_id"] else None
    if message:
        casework.retrieved(row, current_user, message, found)
    return files.send(found)

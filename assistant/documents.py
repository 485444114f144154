"""Documents of an application: upload from the phone (camera or file), delete, combine photos, download."""
from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from . import drafts, files
from .i18n import filesize, translate

bp = Blueprint("documents", __name__)
DEFAULT_MAX_FILES = 5
def refusal_message(refused):
    """Why a file was refused, in the user's language."""
    reason = str(refused)
    if reason == "size":
        return _("It is larger than %(limit)s. Take the photo again with a lower resolution or make the PDF smaller.",
                 limit=filesize(current_app.config["MAX_FILE_BYTES"]))
    if reason == "type":
        return _("This file is not a photo (JPEG, PNG, HEIC) or a PDF. Choose another file.")
    return _("This file cannot be opened. It may be damaged: take the photo again or choose another file.")


def _document(journey, document_id):
    """A document this application asks for, or 404."""
    doc = next((d for d in journey.documents() if d["id"] == document_id), None)
    return doc or abort(404)


def render_documents(row, journey, errors=None, status=200):
    """The documents page: each document with its files and an upload form."""
    stored = files.of_application(row["id"])
    by_doc = {d["id"]: [f for f in stored if f["document_id"] == d["id"]] for d in journey.documents()}
    return render_template("documents/index.html", application=row, service=journey.service, journey=journey,
                           by_doc=by_doc, errors=errors or {}, default_max=DEFAULT_MAX_FILES), status


@bp.get("/applications/<application_id>/documents")
@login_required
def index(application_id):
    """Upload the documents the application needs."""
    row, service, journey = drafts.own_draft(application_id)
    if journey.first_unfinished() is not None:
        return redirect(url_for("applications.show", application_id=application_id))
    return render_documents(row, journey)


@bp.post("/applications/<application_id>/documents/<document_id>")
@login_required
@files.accepts_uploads(20)
def upload(application_id, document_id):
    """Store the uploaded files of one document; each refused file gets its own message, the others are kept."""
    row, service, journey = drafts.own_draft(application_id)
    doc = _document(journey, document_id)
    uploads = [f for f in request.files.getlist("file") if f and f.filename]
    existing = [f for f in files.of_application(application_id) if f["document_id"] == document_id]
    room = doc.get("max_files", DEFAULT_MAX_FILES) - len(existing)
    messages = []
    if not uploads:
        messages.append(_("Choose a file or take a photo first."))
    for upload in uploads:
        data = files.read_upload(upload)
        if room <= 0:
            messages.append(_("%(name)s: you cannot add more files to this document.", name=upload.filename))
            continue
        try:
            content, content_type, name = files.prepare(data, upload.filename)
        except files.Refused as refused:
            messages.append(f"{upload.filename}: {refusal_message(refused)}")
            continue
        stored = files.write(content)
        files.record(application_id, "attachment", document_id, name, content_type, stored)
        room -= 1
    drafts.touch(application_id)
    if messages:
        return render_documents(row, journey, errors={document_id: messages}, status=422)
    return redirect(url_for("documents.index", application_id=application_id, _anchor=f"d-{document_id}"), code=303)


@bp.post("/applications/<application_id>/documents/<document_id>/combine")
@login_required
def combine(application_id, document_id):
    """Turn the photos of one document into one PDF with a page per photo."""
    row, service, journey = drafts.own_draft(application_id)
    doc = _document(journey, document_id)
    photos = [f for f in files.of_application(application_id)
              if f["document_id"] == document_id and f["content_type"] == "image/jpeg"]
    if len(photos) >= 2:
        pdf = files.images_to_pdf([files.path_of(f).read_bytes() for f in photos])
        stored = files.write(pdf)
        files.record(application_id, "attachment", document_id, files.clean_name(translate(doc["label"]), "pdf"),
                     "application/pdf", stored)
        for photo in photos:
            files.delete(photo)
    return redirect(url_for("documents.index", application_id=application_id, _anchor=f"d-{document_id}"), code=303)


@bp.post("/applications/<application_id>/files/<file_id>/delete")
@login_required
def delete(application_id, file_id):
    """Remove one uploaded file from a draft."""
    drafts.own_draft(application_id)
    row = _own_file(application_id, file_id)
    files.delete(row)
    return redirect(url_for("documents.index", application_id=application_id), code=303)


def _own_file(application_id, file_id):
    """A file of an application the current account may read, or 404."""
    drafts.get_own(application_id)
    return files.get(application_id, file_id) or abort(404)


@bp.get("/applications/<application_id>/files/<file_id>")
@login_required
def download(application_id, file_id):
    """A stored file, only for the account that acts for the application."""
    row = _own_file(application_id, file_id)
    return files.send(row)

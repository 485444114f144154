"""An application's own page: where a draft continues, and a submitted one's status, receipt and timeline."""
import json
from datetime import datetime

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required

from . import casework, drafts, files
from .documents import refusal_message
from .services import get_services

bp = Blueprint("applications", __name__)

STATUS = {
    "draft": _l("Draft"),
    "submitted": _l("Submitted"),
    "received": _l("Received by the office"),
    "in_review": _l("In review"),
    "waiting": _l("Waiting for the applicant"),
    "decided": _l("Decided"),
    "closed": _l("Closed"),
}
EVENTS = {
    "created": _l("You started the application."),
    "submitted": _l("You submitted the application."),
    "status": _l("The status changed."),
    "message": _l("The office sent a message."),
    "request": _l("The office asks for information or documents."),
    "appointment": _l("The office invites you to an appointment."),
    "decision": _l("The office has decided on the application."),
    "answer": _l("You answered the office's request."),
    "applicant_message": _l("You sent a message to the office."),
}


@bp.get("/applications/<application_id>")
@login_required
def show(application_id):
    """A draft continues where it stopped; a submitted application shows its status and timeline."""
    row = drafts.get_own(application_id)
    service = get_services().get(row["service_id"]) or abort(404)
    if row["status"] == "draft":
        journey = drafts.journey(service, application_id)
        first = journey.first_unfinished()
        if first is not None:
            return redirect(url_for("apply.step", application_id=application_id, step_id=first.id))
        if journey.missing_documents(files.of_application(application_id)):
            return redirect(url_for("documents.index", application_id=application_id))
        return redirect(url_for("apply.check", application_id=application_id))
    return render_show(row, service)


def render_show(row, service, errors=None, status=200):
    """The status page with the conversation."""
    events = [dict(e) | {"data": json.loads(e["data"])} for e in drafts.events(row["id"])]
    receipt = next(iter(files.of_application(row["id"], "form")), None)
    documents = [f for f in files.of_application(row["id"]) if not f["message_id"]]
    return render_template("applications/show.html", application=row, service=service, events=events,
                           receipt=receipt, documents=documents, messages=casework.messages(row["id"]),
                           doc_labels={d["id"]: d["label"] for d in service.documents},
                           just_submitted=request.args.get("submitted") == "1", status_names=STATUS, event_names=EVENTS,
                           errors=errors or []), status


@bp.post("/applications/<application_id>/messages")
@login_required
@files.accepts_uploads(20)
def write(application_id):
    """The applicant answers a request or writes on their own initiative, with text and documents."""
    row = drafts.get_own(application_id)
    if row["status"] == "draft":
        abort(404)
    service = get_services().get(row["service_id"]) or abort(404)
    body = request.form.get("body", "").strip()[:20000]
    reply_to = request.form.get("reply_to", type=int)
    if reply_to and not any(m["id"] == reply_to and m["sender"] == "office" for m in casework.messages(application_id)):
        abort(404)
    uploads, problems = [], []
    for upload in [f for f in request.files.getlist("file") if f and f.filename][:10]:
        try:
            uploads.append(files.prepare(files.read_upload(upload), upload.filename))
        except files.Refused as refused:
            problems.append(f"{upload.filename}: {refusal_message(refused)}")
    if not body and not uploads and not problems:
        problems.append(_("Write a message or add a document."))
    if row["status"] == "closed":
        problems.append(_("This case is closed. For something new, please start a new application."))
    if problems:
        return render_show(row, service, errors=problems, status=422)
    casework.post(row, sender="applicant", kind="message", body=body, actor_id=current_user.id, uploads=uploads,
                  reply_to=reply_to)
    flash(_("Your message has been sent to the office."))
    return redirect(url_for("applications.show", application_id=application_id, _anchor="conversation"), code=303)


@bp.get("/applications/<application_id>/messages/<int:message_id>/appointment.ics")
@login_required
def appointment(application_id, message_id):
    """An appointment as a calendar entry (.ics) for the phone's calendar."""
    row = drafts.get_own(application_id)
    item = next((m for m in casework.messages(application_id) if m["id"] == message_id and m["kind"] == "appointment"), None)
    if item is None or row["status"] == "draft":
        abort(404)
    return Response(calendar_entry(row, item), mimetype="text/calendar",
                    headers={"Content-Disposition": f"attachment; filename=appointment-{row['reference']}.ics"})


def calendar_entry(row, item):
    """RFC 5545 text of one appointment."""
    def text(value):
        return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")
    start = datetime.strptime(item["data"]["starts_at"], "%Y-%m-%dT%H:%M:%S.%fZ")
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//front-desk//appointments//EN", "BEGIN:VEVENT",
        f"UID:{row['reference']}-{item['id']}@front-desk",
        f"DTSTAMP:{datetime.strptime(item['created_at'], '%Y-%m-%dT%H:%M:%S.%fZ'):%Y%m%dT%H%M%SZ}",
        f"DTSTART:{start:%Y%m%dT%H%M%SZ}", "DURATION:PT30M",
        f"SUMMARY:{text(current_app.config['OFFICE_NAME'] + ' – ' + row['reference'])}",
        f"LOCATION:{text(item['data']['place'])}",
        f"DESCRIPTION:{text(item['data'].get('bring', ''))}",
        "END:VEVENT", "END:VCALENDAR",
    ]
    return "\r\n".join(lines) + "\r\n"


@bp.get("/applications/<application_id>/receipt.pdf")
@login_required
def receipt(application_id):
    """The stored receipt PDF of a submitted application."""
    drafts.get_own(application_id)
    row = next(iter(files.of_application(application_id, "form")), None) or abort(404)
    return files.send(row)

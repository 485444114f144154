"""An application's own page: where a draft continues, and a submitted one's status, record, receipt and conversation."""
import json
from datetime import datetime

from flask import Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import access, files, payments
from ..casework import commands as casework
from ..casework.status import DRAFT, event_labels, labels, takes_messages
from ..db import get_db
from ..people.persons import own_person
from ..representation import store as representation
from ..text import canonical
from . import drafts, drawing, payment, snapshot, uploads as checks
from .web import bp


@bp.get("/applications/<application_id>")
@login_required
def show(application_id):
    """A draft continues where it stopped; a submitted application shows its status and timeline."""
    row = access.acting(application_id)
    if row["status"] == DRAFT:
        service = drafts.definition(row) or abort(404)
        journey = drafts.journey(service, application_id)
        first = journey.first_unfinished()
        if first is not None:
            return redirect(url_for("applications.step", application_id=application_id, step_id=first.id))
        if journey.missing_documents(files.of_application(application_id)):
            return redirect(url_for("applications.documents", application_id=application_id))
        return redirect(url_for("applications.check", application_id=application_id))
    casework.opened(row, current_user)
    return render_show(row)


def render_show(row, errors=None, status=200, typed=None):
    """The status page: the record as submitted, the receipt, the conversation and the timeline."""
    events = [dict(e) | {"data": json.loads(e["data"])} for e in drafts.events(row["id"])]
    for e in events:   # in a client's own account, what the representative did is not "you"
        if e["kind"] in ("created", "submitted") and e["account_id"] not in (None, current_user.id) and not g.get("client_id"):
            e["kind"] += "_for_you"
    record = snapshot.of_case(row)
    receipt = next(iter(files.of_application(row["id"], "form")), None)
    charge = payment.charge_of_record(record)
    paid_by, summary = payment.state_of(row["id"]) if charge.amount else (None, "none")
    return render_template("applications/show.html", application=row, record=record, events=events,
                           charge=charge, payment=paid_by, summary=summary, office=payments.bank_details(),
                           pay_online=payments.online() is not None,
                           learn=_new_to_profile(record) if request.args.get("submitted") == "1" and not g.get("client_id") else None,
                           receipt=receipt, receipt_coming=receipt is None and drawing.waiting(row["id"]), messages=casework.messages(row["id"]), requests=casework.open_requests(row["id"]),
                           just_submitted=request.args.get("submitted") == "1", status_names=labels("applicant"),
                           event_names=event_labels("applicant"), errors=errors or [],
                           typed=typed or {}, may_write=access.may(current_user, row, "messages"),
                           prepared_by=representation.organisation_name(row["person_id"])
                           if row["account_id"] != current_user.id and not g.get("client_id") else None), status


def _new_to_profile(record):
    """The submitted details the person's profile lacks or holds differently (offered, never saved silently)."""
    profile = json.loads(own_person()["profile"])
    return {k: v for k, v in snapshot.profile_values(record).items() if profile.get(k) != v}


@bp.post("/applications/<application_id>/profile")
@login_required
def learn(application_id):
    """Save the details of a submitted application to the profile, when the person says yes (their own only)."""
    row = access.acting(application_id, scope="submit")
    record = snapshot.of_case(row) or abort(404)
    person = own_person()
    profile = json.loads(person["profile"]) | snapshot.profile_values(record)
    get_db().execute("UPDATE persons SET profile = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?",
                     [json.dumps(profile, ensure_ascii=False), person["id"]])
    flash(_("Your profile is saved. Your next application will be filled in with these details."))
    return redirect(url_for("applications.show", application_id=application_id), code=303)


@bp.post("/applications/<application_id>/messages")
@login_required
@checks.accepts_uploads(20)
def write(application_id):
    """The applicant answers a request or writes on their own initiative, with text and documents (for a client: under
    a mandate that covers messages)."""
    row = access.acting(application_id, scope="messages")
    if row["status"] == DRAFT:
        abort(404)
    body = canonical(request.form.get("body", ""), lines=True).strip()[:20000]
    reply_to = request.form.get("reply_to", type=int)
    if "reply_to" in request.form and (reply_to is None or reply_to < 1):
        abort(400)
    if reply_to and not any(m["id"] == reply_to and m["sender"] == "office" for m in casework.messages(application_id)):
        abort(404)
    uploads, problems = [], []
    try:
        sent = checks.uploaded_files()
    except checks.Refused as refused:
        sent, problems = [], [checks.refusal_message(refused)]
    for upload in sent:
        try:
            uploads.append(checks.prepare(checks.read_upload(upload), upload.filename))
        except checks.Refused as refused:
            problems.append(f"{upload.filename}: {checks.refusal_message(refused)}")
    if not body and not uploads and not problems:
        problems.append(_("Write a message or add a document."))
    if not takes_messages(row["status"]):
        problems.append(_("This case is closed. For something new, please start a new application."))
    if problems:
        return render_show(row, errors=problems, status=422, typed={"body": body, "reply_to": reply_to})
    casework.post(row, sender="applicant", kind="message", body=body, actor_id=current_user.id, uploads=uploads,
                  reply_to=reply_to)
    flash(_("Your message has been sent to the office."))
    return redirect(url_for("applications.show", application_id=application_id, _anchor="conversation"), code=303)


@bp.get("/applications/<application_id>/messages/<int:message_id>/appointment.ics")
@login_required
def appointment(application_id, message_id):
    """An appointment as a calendar entry (.ics) for the phone's calendar."""
    row = access.acting(application_id)
    item = next((m for m in casework.messages(application_id) if m["id"] == message_id and m["kind"] == "appointment"), None)
    if item is None or row["status"] == DRAFT:
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
    access.acting(application_id)
    row = next(iter(files.of_application(application_id, "form")), None) or abort(404)
    return files.send(row)

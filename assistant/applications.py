"""An application's own page: where a draft continues, and a submitted one's status, receipt and timeline."""
import json

from flask import Blueprint, abort, redirect, render_template, request, send_file, url_for
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from . import drafts, files
from .services import get_services

bp = Blueprint("applications", __name__)

STATUS = {
    "draft": _l("Draft"),
    "submitted": _l("Submitted"),
}
EVENTS = {
    "created": _l("You started the application."),
    "submitted": _l("You submitted the application."),
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
    events = [dict(e) | {"data": json.loads(e["data"])} for e in drafts.events(application_id)]
    receipt = next(iter(files.of_application(application_id, "form")), None)
    return render_template("applications/show.html", application=row, service=service, events=events,
                           receipt=receipt, documents=files.of_application(application_id),
                           doc_labels={d["id"]: d["label"] for d in service.documents},
                           just_submitted=request.args.get("submitted") == "1", status_names=STATUS, event_names=EVENTS)


@bp.get("/applications/<application_id>/receipt.pdf")
@login_required
def receipt(application_id):
    """The stored receipt PDF of a submitted application."""
    drafts.get_own(application_id)
    row = next(iter(files.of_application(application_id, "form")), None) or abort(404)
    return send_file(files.path_of(row), mimetype="application/pdf", download_name=row["filename"], max_age=0)

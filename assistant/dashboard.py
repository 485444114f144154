"""The applicant's dashboard: drafts with progress and last change; continue or delete."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required

from . import drafts, files
from .applications import STATUS
from .services import get_services

bp = Blueprint("dashboard", __name__)


@bp.get("/dashboard")
@login_required
def index():
    """The account's drafts, newest change first, with "step N of M" progress."""
    services = get_services()
    items = []
    for row in drafts.list_own():
        service = services.get(row["service_id"])
        if service is None:
            continue
        journey = drafts.journey(service, row["id"])
        done = sum(1 for s in journey.steps if journey.done(s))
        items.append({"row": row, "service": service, "done": done, "total": len(journey.steps)})
    submitted = [{"row": row, "service": services[row["service_id"]]} for row in drafts.list_own(draft=False)
                 if row["service_id"] in services]
    return render_template("dashboard/index.html", items=items, submitted=submitted, status_names=STATUS)


@bp.post("/applications/<application_id>/delete")
@login_required
def delete(application_id):
    """Delete one of the account's drafts."""
    if drafts.get_own(application_id)["status"] == "draft":
        for stored in files.of_application(application_id):
            files.delete(stored)
        drafts.delete(application_id)
    flash(_("The draft is deleted."))
    return redirect(url_for("dashboard.index"))

"""The applicant's dashboard: drafts with progress and last change, submitted applications; continue or delete."""
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import access, files
from ..casework.commands import open_requests
from ..casework.status import DRAFT, labels
from . import drafts, snapshot
from .web import bp


@bp.get("/dashboard")
@login_required
def dashboard():
    """The account's drafts, newest change first, with "step N of M" progress; then its submitted applications.

    A member of an organisation has no applications of its own: its work is its clients'."""
    if current_user.is_member:
        return redirect(url_for("representation.clients"))
    items = []
    for row in drafts.of_account(current_user.id):
        service = drafts.definition(row)
        if service is None:
            continue
        journey = drafts.journey(service, row["id"])
        done = sum(1 for s in journey.steps if journey.done(s))
        items.append({"row": row, "title": service.title, "done": done, "total": len(journey.steps)})
    submitted = []
    for row in drafts.of_account(current_user.id, drafts=False):
        record = snapshot.of_case(row)
        submitted.append({"row": row, "title": snapshot.pick(record["service"]["title"]) if record else row["service_id"],
                          "requests": open_requests(row["id"])})
    submitted.sort(key=lambda item: not item["requests"])  # what waits for the person comes first
    return render_template("applications/dashboard.html", items=items, submitted=submitted, status_names=labels("applicant"))


@bp.post("/applications/<application_id>/delete")
@login_required
def delete(application_id):
    """Delete one of the account's drafts (a submitted application is a record and stays)."""
    if access.acting(application_id)["status"] == DRAFT:
        try:
            names = drafts.delete(application_id)
        except drafts.NotADraft:
            names = []
        for name in names:
            files.remove(name)
        flash(_("The draft is deleted."))
    return redirect(url_for("applications.dashboard"))

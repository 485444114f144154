"""The one blueprint of everything under /applications/<id>/ (and the dashboard that lists them)."""
from flask import Blueprint, redirect, url_for

from .drafts import NotADraft

bp = Blueprint("applications", __name__)


@bp.errorhandler(NotADraft)
def submitted_meanwhile(error):
    """A write to an application that was submitted meanwhile (a second tab, an old link): its status page instead."""
    return redirect(url_for("applications.show", application_id=error.args[0]), code=303)

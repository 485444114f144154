"""The guide "What do you need?": one plain question per page, then one or two services with why, or what to do instead.

Public, without an account, and stateless: every answer is a link, so the
guide works without JavaScript, from a bookmark and with the browser's Back.
"""
from flask import Blueprint, abort, current_app, render_template, request

from ..definitions import get_services

bp = Blueprint("guide", __name__, url_prefix="/guide")


def _guide():
    return current_app.extensions.get("guide") or abort(404)


@bp.get("/")
@bp.get("/questions/<question_id>")
def question(question_id=None):
    """A question of the guide with its answers as links."""
    guide = _guide()
    q = guide.questions.get(question_id or guide.start) or abort(404)
    back = guide.questions.get(request.args.get("back", ""))
    return render_template("guide/question.html", q=q, back=back, first=q["id"] == guide.start)


@bp.get("/results/<result_id>")
def result(result_id):
    """Where the answers lead: one or two services with why, or a page that says what to do instead."""
    guide = _guide()
    found = guide.results.get(result_id) or abort(404)
    services = [get_services()[s] for s in found.get("services", [])]
    back = guide.questions.get(request.args.get("back", ""))
    return render_template("guide/result.html", result=found, services=services, back=back)

"""The public pages: the service catalogue, a service's start page, the health check and the language switch."""
from flask import Blueprint, jsonify, redirect, render_template, request, url_for

from .. import db
from ..definitions import get_services
from ..i18n import available_locales, remember_alongside, remember_language
from ..web.redirects import safe_next

bp = Blueprint("catalogue", __name__)


@bp.get("/")
def index():
    """Every service, with what it is for and what to have ready."""
    return render_template("catalogue/index.html", services=list(get_services().values()))


@bp.get("/services/<service_id>")
def service(service_id):
    """A service's start page: who it is for, what to have ready, the fee."""
    svc = get_services().get(service_id)
    if svc is None:
        return render_template("errors/404.html"), 404
    return render_template("catalogue/service.html", service=svc)


@bp.get("/healthz")
def healthz():
    """Liveness for operators: database state and how many services are loaded."""
    state = db.state()
    body = {"status": "ok" if state == "ok" else "degraded", "database": state, "services": len(get_services())}
    return jsonify(body), 200 if state == "ok" else 503


def _back():
    """Where the user came from (a path on this site), else the catalogue."""
    return safe_next(request.args.get("next"), url_for("catalogue.index"))


@bp.get("/language/<code>")
def language(code):
    """Remember the chosen language (cookie and account) and go back where the user was."""
    response = redirect(_back())
    if code in available_locales():
        remember_language(response, code)
    return response


@bp.get("/german-alongside/<state>")
def german_alongside(state):
    """Show (on) or hide (off) the German text under every question, hint and message."""
    response = redirect(_back())
    remember_alongside(response, state == "on")
    return response

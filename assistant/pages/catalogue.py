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


@bp.post("/language")
def language():
    """Remember the chosen language (cookie and account) or "German alongside", and go back where the user was.

    A POST with the form's security token, so that a link on another site cannot change anyone's settings.
    """
    response = redirect(safe_next(request.form.get("next"), url_for("catalogue.index")), code=303)
    if request.form.get("lang") in available_locales():
        remember_language(response, request.form["lang"])
    if request.form.get("alongside") in ("on", "off"):
        remember_alongside(response, request.form["alongside"] == "on")
    return response

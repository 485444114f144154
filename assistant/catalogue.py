"""The public pages: the service catalogue, a service's start page, the health check and the language switch."""
from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for

from . import db
from .i18n import COOKIE, available_locales
from .services import get_services

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


@bp.get("/language/<code>")
def language(code):
    """Remember the chosen language in a cookie and go back where the user was."""
    target = request.args.get("next", "")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("catalogue.index")
    response = redirect(target)
    if code in available_locales():
        response.set_cookie(COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax",
                            secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True)
    return response

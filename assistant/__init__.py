"""The online front desk of an immigration office: a Flask app factory."""
import os
from pathlib import Path

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, CSRFProtect
from htmx_flask import Htmx

from . import accounts, api, files, web, applications, apply, catalogue, dashboard, db, demo, documents, i18n, office, outbox, pages, services
from .config import ROOT, ensure_secret_key, from_environment

csrf = CSRFProtect()

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def create_app(config=None):
    """Build the app: settings from the environment (then `config`), services checked, blueprints registered."""
    instance = os.environ.get("ASSISTANT_INSTANCE_PATH", str(ROOT / "instance"))
    app = Flask(__name__, instance_path=instance, instance_relative_config=True,
                template_folder=str(ROOT / "templates"), static_folder=None)  # web.py serves static/ with hashed names
    app.config.update(from_environment(app.instance_path))
    if config:
        app.config.update(config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.jinja_env.trim_blocks = app.jinja_env.lstrip_blocks = True  # fewer bytes for slow connections
    ensure_secret_key(app)

    app.before_request(files.upload_limit)  # before the CSRF check reads the body

    csrf.init_app(app)
    csrf.exempt(api.bp)  # the API authenticates every request with a token, never with cookies
    Htmx(app)
    accounts.login_manager.init_app(app)
    i18n.init_app(app)
    db.init_app(app)
    services.init_app(app)
    demo.init_app(app)
    web.init_app(app)
    outbox.init_app(app)
    api.init_app(app)
    app.cli.add_command(accounts.users_cli)
    for module in (catalogue, accounts, apply, documents, applications, dashboard, office, api, pages):
        app.register_blueprint(module.bp)
    _register_errors(app)

    @app.after_request
    def security_headers(response):
        """Strict defaults on every answer: no inline scripts, no framing, no sniffing."""
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    return app


def _register_errors(app):
    """Clear pages in the user's language for what goes wrong."""

    @app.errorhandler(404)
    def not_found(error):
        return render_template("errors/404.html"), 404

    @app.errorhandler(413)
    def too_large(error):
        return render_template("errors/error.html", title=_("What you sent is too large"),
                               message=_("The page could not be saved because it is too large. Shorten long answers and try again.")), 413

    @app.errorhandler(400)
    def bad_request(error):
        return render_template("errors/error.html", title=_("Something was wrong with the request"),
                               message=_("Go back and try again.")), 400

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        """An expired or missing security token: on a step, show what was typed again so nothing is lost."""
        if request.endpoint == "apply.step":
            return apply.replay_step(request.view_args["application_id"], request.view_args["step_id"])
        return render_template("errors/error.html", title=_("This page has expired"),
                               message=_("For your security, the page could not be sent. Go back, reload the page and try again.")), 400

"""The online front desk of an immigration office: a Flask app factory."""
import os
from pathlib import Path

from flask import Flask
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx

from . import db, definitions, demo, files, i18n, payments, questions, translation_status, web
from .api import views as api
from .applications import dashboard, documents, page, payment, snapshot, steps, uploads  # noqa: F401 (their views join the blueprint)
from .applications.web import bp as applications_bp
from .casework.status import takes_messages
from .config import ROOT, ensure_secret_key, from_environment
from .handoff import cli as outbox_cli
from .identity import cli as users_cli, limits, login_manager, views as identity
from .office import views as office
from .pages import catalogue, guide, statement
from .people import views as people
from .representation import views as representation

csrf = CSRFProtect()


def create_app(config=None):
    """Build the app: settings from the environment (then `config`), services checked, blueprints registered."""
    instance = os.environ.get("ASSISTANT_INSTANCE_PATH", str(ROOT / "instance"))
    app = Flask(__name__, instance_path=instance, instance_relative_config=True,
                template_folder=str(ROOT / "templates"), static_folder=None)  # web/static.py serves static/ with hashed names
    app.config.update(from_environment(app.instance_path))
    if config:
        app.config.update(config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.jinja_env.trim_blocks = app.jinja_env.lstrip_blocks = True  # fewer bytes for slow connections
    ensure_secret_key(app)

    app.before_request(uploads.upload_limit)  # before the CSRF check reads the body

    csrf.init_app(app)
    csrf.exempt(api.bp)  # the API authenticates every request with a token, never with cookies
    Htmx(app)
    login_manager.init_app(app)
    limits.init_app(app)
    i18n.init_app(app)
    questions.init_app(app)
    db.init_app(app)
    definitions.init_app(app)
    demo.init_app(app)
    web.init_app(app)
    outbox_cli.init_app(app)
    api.init_app(app)
    payments.init_app(app)
    csrf.exempt(payments.views.bp)  # a platform's notification carries its own signature, never a session
    app.cli.add_command(users_cli.users_cli)
    app.cli.add_command(files.files_cli)
    app.cli.add_command(translation_status.i18n_cli)
    for bp in (catalogue.bp, guide.bp, identity.bp, people.bp, applications_bp, representation.bp, office.bp, api.bp,
               statement.bp):
        app.register_blueprint(bp)
    app.add_template_global(takes_messages)
    app.add_template_filter(snapshot.pick, "pick")
    app.add_template_filter(snapshot.applicant_name, "applicant_name")
    return app


"""The specialist system's side: a token-authenticated JSON API under /api/v1 (documented at /api/v1/openapi.json)."""
from flask import Blueprint
from flask.cli import AppGroup

bp = Blueprint("api", __name__, url_prefix="/api/v1")
tokens_cli = AppGroup("api-tokens", help="Tokens of the specialist system for /api/v1.")


def init_app(app):
    """Register the `api-tokens` CLI group."""
    app.cli.add_command(tokens_cli)

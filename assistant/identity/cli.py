"""`flask users`: staff accounts (staff never register themselves)."""
import secrets

import click
from flask.cli import AppGroup

from ..db import get_db
from . import create_account

users_cli = AppGroup("users", help="Accounts of the office's staff.")


@users_cli.command("create")
@click.option("--role", type=click.Choice(["caseworker", "admin"]), required=True)
@click.option("--password", help="Default: a new random password, printed once.")
@click.argument("email")
def create_user_command(role, password, email):
    """Create a caseworker or admin account (staff cannot register themselves)."""
    if get_db().execute("SELECT 1 FROM accounts WHERE email = ?", [email]).fetchone():
        raise click.ClickException(f"{email} exists already.")
    password = password or secrets.token_urlsafe(12)
    create_account(email, password, role=role)
    click.echo(f"{role} {email} created; password: {password}")

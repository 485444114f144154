"""`flask users`: staff accounts (staff never register themselves)."""
import secrets

import click
from flask.cli import AppGroup

from ..db import get_db
from . import STAFF, create_account, end_sessions

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


def _staff(email):
    """A staff account by e-mail address, or a clear refusal."""
    row = get_db().execute("SELECT id, role FROM accounts WHERE email = ?", [email]).fetchone()
    if row is None or row["role"] not in STAFF:
        raise click.ClickException(f"{email} is no staff account.")
    return row


@users_cli.command("disable")
@click.argument("email")
def disable_user_command(email):
    """Disable a staff account at once: it cannot log in, and its open sessions end."""
    row = _staff(email)
    get_db().execute("UPDATE accounts SET disabled_at = coalesce(disabled_at, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) "
                     "WHERE id = ?", [row["id"]])
    end_sessions(row["id"])
    click.echo(f"{email} is disabled.")


@users_cli.command("remove")
@click.argument("email")
def remove_user_command(email):
    """Remove a staff account; what it did stays in the audit log and the cases under its name."""
    row = _staff(email)
    get_db().execute("DELETE FROM accounts WHERE id = ?", [row["id"]])
    click.echo(f"{email} is removed.")

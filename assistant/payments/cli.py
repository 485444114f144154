"""`flask payments reconcile` (run it every few minutes, e.g. from cron) and `flask payments list`."""
import click
from flask import current_app
from flask.cli import AppGroup

from ..db import get_db
from .attempts import reconcile

payments_cli = AppGroup("payments", help="Online payments: settle open ones, list them.")


@payments_cli.command("reconcile")
@click.option("--older-than", type=int, default=None, help="Minutes a payment must be open (default ASSISTANT_PAYMENT_RECONCILE_AFTER).")
def reconcile_command(older_than):
    """Fetch the state of every open online payment; cancel those past ASSISTANT_PAYMENT_EXPIRES_AFTER."""
    from datetime import timedelta
    changed = reconcile(None if older_than is None else timedelta(minutes=older_than))
    click.echo(", ".join(f"{state}: {count}" for state, count in sorted(changed.items())) or "nothing to settle")


@payments_cli.command("list")
@click.option("--state", type=click.Choice(["INITIAL", "PAYED", "FAILED", "CANCELED"]), default=None)
def list_command(state):
    """Payments, newest first: key, provider, amount, state, Kassenzeichen, application."""
    rows = get_db().execute("SELECT * FROM payments WHERE ? IS NULL OR state = ? ORDER BY id DESC LIMIT 200",
                            [state, state]).fetchall()
    for r in rows:
        click.echo(f"{r['key']}  {r['provider']:<14} {r['amount']:>8} {r['currency']}  {r['state']:<8} {r['kassenzeichen']}  "
                   f"{r['application_id']}  {r['created_at']}")
    if not rows:
        click.echo(f"no payments at {current_app.config['OFFICE_NAME']}")

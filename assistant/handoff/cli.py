"""`flask outbox`: see the queue, and deliver it to a target."""
import click
from flask import current_app
from flask.cli import AppGroup

from ..db import connect
from . import targets
from .outbox import LEASE_SECONDS, acknowledge, lease, release

outbox_cli = AppGroup("outbox", help="The queue of packets for the back office.")


@outbox_cli.command("list")
def list_command():
    """Show the queue."""
    db = connect(current_app.config["DATABASE"])
    rows = db.execute("SELECT key, state, attempts, lease_until, last_error, created_at, delivered_at FROM outbox ORDER BY id").fetchall()
    click.echo(f"{'key':<28} {'state':<10} {'tries':>5}  {'created':<24} last error")
    for r in rows:
        click.echo(f"{r['key']:<28} {r['state']:<10} {r['attempts']:>5}  {r['created_at']:<24} {r['last_error'] or ''}")
    click.echo(f"{len(rows)} packets.")


@outbox_cli.command("deliver")
@click.option("--to", "target", required=True, type=click.Path(file_okay=False), help="The drop folder.")
@click.option("--lease-seconds", default=LEASE_SECONDS, show_default=True, help="How long a packet is reserved.")
@click.option("--pause", default=0.0, help="Seconds to wait after each file, to spare a slow network share.")
def deliver_command(target, lease_seconds, pause):
    """Hand every queued packet to a drop folder: one folder per reference with packet.json, data.json, documents, receipt."""
    destination = targets.make("folder", target, pause)
    db = connect(current_app.config["DATABASE"])
    delivered = skipped = 0
    while batch := lease(db, limit=1, seconds=lease_seconds):
        row = batch[0]
        try:
            if destination.deliver(db, row):
                delivered += 1
            else:
                skipped += 1
        except OSError as exc:
            release(db, row["key"], f"{exc.__class__.__name__}: {exc}")
            raise click.ClickException(f"{row['key']}: {exc}") from None
        acknowledge(db, row["key"])
    click.echo(f"{delivered} delivered, {skipped} already in the folder.")


def init_app(app):
    """Register the `outbox` CLI group."""
    app.cli.add_command(outbox_cli)

"""`flask outbox`: see the queue, deliver it to a target, and put a failed packet back."""
import click
from flask import current_app
from flask.cli import AppGroup

from .. import files
from ..applications import drawing
from ..db import connect
from . import targets
from .outbox import LEASE_SECONDS, acknowledge, fail, lease, retry

outbox_cli = AppGroup("outbox", help="The queue of packets for the back office.")


@outbox_cli.command("list")
def list_command():
    """Show the queue: every packet with its state, attempts, next attempt and last error."""
    db = connect(current_app.config["DATABASE"])
    rows = db.execute("SELECT key, state, attempts, next_attempt_at, last_error, created_at FROM outbox ORDER BY id").fetchall()
    click.echo(f"{'key':<40} {'state':<10} {'tries':>5}  {'next attempt':<24} last error")
    for r in rows:
        due = r["next_attempt_at"] if r["state"] == "queued" else ""
        click.echo(f"{r['key']:<40} {r['state']:<10} {r['attempts']:>5}  {due or '':<24} {r['last_error'] or ''}")
    failed = sum(r["state"] == "failed" for r in rows)
    click.echo(f"{len(rows)} packets, {failed} failed." if failed else f"{len(rows)} packets.")


@outbox_cli.command("retry")
@click.argument("key")
def retry_command(key):
    """Put a failed packet back in the queue (after its cause was fixed)."""
    db = connect(current_app.config["DATABASE"])
    if not retry(db, key):
        raise click.ClickException(f"{key} is not a failed packet (see `flask outbox list`).")
    click.echo(f"{key} is queued again.")


@outbox_cli.command("deliver")
@click.option("--to", "target", required=True, type=click.Path(file_okay=False), help="The drop folder.")
@click.option("--lease-seconds", default=LEASE_SECONDS, show_default=True, help="How long a packet is reserved.")
@click.option("--pause", default=0.0, help="Seconds to wait after each file, to spare a slow network share.")
@click.pass_context
def deliver_command(ctx, target, lease_seconds, pause):
    """Hand every due packet to a drop folder; a packet that fails is recorded and the run goes on with the next."""
    destination = targets.make("folder", target, pause)
    drawn, not_drawn = drawing.sweep(older_than=0)   # receipts and packets a process that died left to draw
    db = connect(current_app.config["DATABASE"])
    delivered = skipped = 0
    failures = []
    while batch := lease(db, limit=1, seconds=lease_seconds):
        row = batch[0]
        try:
            written = destination.deliver(db, row)
        except Exception as exc:  # whatever one packet does, the others are delivered
            error = f"{exc.__class__.__name__}: {exc}"
            state = fail(db, row["key"], row["lease_token"], error, current_app.config["OUTBOX_MAX_ATTEMPTS"])
            failures.append(f"{row['key']}: {error} ({'set aside as failed' if state == 'failed' else 'will be tried again'})")
            continue
        acknowledge(db, row["key"], row["lease_token"])
        delivered, skipped = delivered + written, skipped + (not written)
    swept = files.sweep(db)
    failures += [f"{application_id}: its receipt could not be drawn (will be tried again)" for application_id in not_drawn]
    click.echo((f"{drawn} receipts drawn that were left to draw; " if drawn else "")
               + f"{delivered} delivered, {skipped} already in the folder, {len(failures)} failed"
               + (f"; {swept} stray files removed." if swept else "."))
    for line in failures:
        click.echo(line, err=True)
    if failures:
        ctx.exit(1)


def init_app(app):
    """Register the `outbox` CLI group."""
    app.cli.add_command(outbox_cli)

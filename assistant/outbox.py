"""The outbox: packets wait here until the back office has them (queued -> leased -> delivered).

Delivery is at-least-once: a lease expires, and a lease held by a process of
this machine that no longer runs is taken over at once. Receivers stay
idempotent by reference: a drop folder that already holds a packet's folder is
not written again.
"""
import json
import os
import shutil
import socket
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from . import files
from .db import connect
from .packets import canonical_json

LEASE_SECONDS = 300
NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"


def _owner():
    """Who holds a lease: this host and process."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _dead_local_owners(db):
    """Lease owners on this host whose process has ended."""
    host = socket.gethostname()
    dead = []
    for (owner,) in db.execute("SELECT DISTINCT lease_owner FROM outbox WHERE state = 'leased'"):
        owner_host, _, pid = (owner or "").rpartition(":")
        if owner_host == host and pid.isdigit():
            try:
                os.kill(int(pid), 0)
            except ProcessLookupError:
                dead.append(owner)
            except PermissionError:
                pass
    return dead


def lease(db, limit=1, seconds=LEASE_SECONDS, owner=None):
    """Lease up to `limit` packets: queued ones, expired leases, and leases of ended local processes."""
    owner = owner or _owner()
    dead = _dead_local_owners(db)
    marks = ",".join("?" * len(dead)) or "NULL"
    with db.atomic():
        rows = db.execute(
            f"UPDATE outbox SET state = 'leased', lease_owner = ?, attempts = attempts + 1, "
            f"lease_until = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+{int(seconds)} seconds') "
            f"WHERE id IN (SELECT id FROM outbox WHERE state = 'queued' "
            f"OR (state = 'leased' AND (lease_until < {NOW} OR lease_owner IN ({marks}))) ORDER BY id LIMIT ?) "
            "RETURNING *", [owner, *dead, limit]).fetchall()
    return sorted((dict(r) for r in rows), key=lambda r: r["id"])


def acknowledge(db, key, owner=None):
    """Mark a packet delivered; acknowledging a delivered packet again changes nothing."""
    db.execute(f"UPDATE outbox SET state = 'delivered', delivered_at = coalesce(delivered_at, {NOW}), "
               "lease_owner = NULL, lease_until = NULL, last_error = NULL WHERE key = ?", [key])


def release(db, key, error):
    """Give a leased packet back to the queue with the error that stopped its delivery."""
    db.execute("UPDATE outbox SET state = 'queued', lease_owner = NULL, lease_until = NULL, last_error = ? "
               "WHERE key = ? AND state = 'leased'", [error[:2000], key])


def folder_name(packet):
    """A submission's folder is its reference; correspondence gets the reference, the message number and kind."""
    if packet["kind"] == "submission":
        return packet["reference"]
    return f"{packet['reference']}--{packet['message']['id']:05d}-{packet['message']['kind']}"


def packet_files(packet):
    """The files a packet names: documents, then the receipt or the PDF of the correspondence."""
    return packet["documents"] + [packet["receipt"] if packet["kind"] == "submission" else packet["rendering"]]


def write_packet_folder(db, target_root, row, pause=0.0):
    """Write one packet's folder under a temporary name and rename it when complete; skip if it is there."""
    packet = json.loads(row["packet"])
    final = Path(target_root) / folder_name(packet)
    if final.exists():
        return False
    temporary = Path(target_root) / f".{final.name}.partial-{os.getpid()}"
    shutil.rmtree(temporary, ignore_errors=True)
    temporary.mkdir()
    stored = {f["sha512"]: dict(f) for f in db.execute("SELECT * FROM files WHERE application_id = ?", [row["application_id"]])}
    items = [("data.json", canonical_json(packet["data"]))] if packet["kind"] == "submission" else []
    for entry in packet_files(packet):
        items.append((entry["filename"], files.path_of(stored[entry["sha512"]]).read_bytes()))
    items.append(("packet.json", json.dumps(packet, ensure_ascii=False, indent=2).encode()))
    for name, data in items:
        with open(temporary / name, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        time.sleep(pause)
    os.rename(temporary, final)  # atomic: the folder appears complete or not at all
    return True


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
    Path(target).mkdir(parents=True, exist_ok=True)
    for leftover in Path(target).glob(".*.partial-*"):  # from a run that was stopped halfway
        shutil.rmtree(leftover, ignore_errors=True)
    db = connect(current_app.config["DATABASE"])
    delivered = skipped = 0
    while batch := lease(db, limit=1, seconds=lease_seconds):
        row = batch[0]
        try:
            if write_packet_folder(db, target, row, pause):
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

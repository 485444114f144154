"""The outbox: packets wait here until the back office has them (queued -> leased -> delivered).

Delivery is at-least-once: a lease expires, and a lease held by a process of
this machine that no longer runs is taken over at once. Receivers stay
idempotent by reference: a drop folder that already holds a packet's folder is
not written again.
"""
import os
import socket

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

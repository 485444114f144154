"""The outbox: packets wait here until the back office has them (queued -> leased -> delivered, or failed).

Delivery is at-least-once: a lease expires, and a lease held by a process of
this machine that no longer runs is taken over at once. Every lease carries a
token; only its holder acknowledges or gives back the packet. A failed attempt
is recorded with its error and the packet waits, longer after each failure,
until it is set aside as `failed` after its last attempt: one bad packet never
holds up the others. Receivers stay idempotent by reference.
"""
import os
import socket

LEASE_SECONDS = 300
MAX_ATTEMPTS = 8
FIRST_RETRY_SECONDS = 60
LAST_RETRY_SECONDS = 6 * 3600
NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"


def local_owner():
    """Who holds a lease: this host and process."""
    return f"{socket.gethostname()}:{os.getpid()}"


def alive(owner):
    """Whether a local owner ('host:pid') still runs; owners elsewhere count as alive."""
    owner_host, _, pid = (owner or "").rpartition(":")
    if owner_host != socket.gethostname() or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def _dead_local_owners(db):
    """Lease owners on this host whose process has ended."""
    owners = [r[0] for r in db.execute("SELECT DISTINCT lease_owner FROM outbox WHERE state = 'leased'")]
    return [owner for owner in owners if owner and not alive(owner)]


def lease(db, limit=1, seconds=LEASE_SECONDS, owner=None):
    """Lease up to `limit` packets that are due: queued ones, expired leases, and leases of ended local processes."""
    owner = owner or local_owner()
    dead = _dead_local_owners(db)
    marks = ",".join("?" * len(dead)) or "NULL"
    with db.atomic():
        rows = db.execute(
            f"UPDATE outbox SET state = 'leased', lease_owner = ?, attempts = attempts + 1, "
            f"lease_token = lower(hex(randomblob(16))), "
            f"lease_until = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+{int(seconds)} seconds') "
            f"WHERE id IN (SELECT id FROM outbox WHERE (state = 'queued' AND coalesce(next_attempt_at, '') <= {NOW}) "
            f"OR (state = 'leased' AND (lease_until < {NOW} OR lease_owner IN ({marks}))) ORDER BY id LIMIT ?) "
            "RETURNING *", [owner, *dead, limit]).fetchall()
    return sorted((dict(r) for r in rows), key=lambda r: r["id"])


def acknowledge(db, key, token):
    """Mark a leased packet delivered by the holder of its lease; again after that changes nothing. False if not held."""
    cursor = db.execute(f"UPDATE outbox SET state = 'delivered', delivered_at = {NOW}, lease_owner = NULL, "
                        "lease_until = NULL, lease_token = NULL, last_error = NULL "
                        "WHERE key = ? AND state = 'leased' AND lease_token = ?", [key, token])
    if cursor.rowcount:
        return True
    return db.execute("SELECT state FROM outbox WHERE key = ?", [key]).fetchone()[0] == "delivered"


def backoff(attempts):
    """Seconds to wait after the n-th failed attempt: doubling from a minute, at most six hours."""
    return min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0), LAST_RETRY_SECONDS)


def fail(db, key, token, error, max_attempts=MAX_ATTEMPTS):
    """Give a leased packet back with the error of this attempt: due again later, or set aside after its last attempt."""
    row = db.execute("SELECT attempts FROM outbox WHERE key = ? AND state = 'leased' AND lease_token = ?", [key, token]).fetchone()
    if row is None:
        return None
    state = "failed" if row["attempts"] >= max_attempts else "queued"
    db.execute("UPDATE outbox SET state = ?, lease_owner = NULL, lease_until = NULL, lease_token = NULL, last_error = ?, "
               f"next_attempt_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+{backoff(row['attempts'])} seconds') "
               "WHERE key = ? AND lease_token = ?", [state, error[:2000], key, token])
    return state


def retry(db, key):
    """Put a failed packet back in the queue with fresh attempts (after its cause was fixed); False if it is not failed."""
    return bool(db.execute("UPDATE outbox SET state = 'queued', attempts = 0, next_attempt_at = NULL "
                           "WHERE key = ? AND state = 'failed'", [key]).rowcount)

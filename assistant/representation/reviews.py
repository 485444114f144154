"""The client's review before a representative submits: a single-use, expiring link, bound to one draft of the client,
that opens its answers in the client's language with German beside them; the client confirms or asks for changes."""
import hashlib
import secrets

from ..db import get_db

NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
HOURS = 72


def _hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def ask(application_id, state, language, member_id):
    """A new review of the draft as it stands (`state`: the digest of its answers and files); returns the token."""
    token = secrets.token_urlsafe(18)
    get_db().execute(f"INSERT INTO reviews (token_hash, application_id, state, language, created_by, expires_at) "
                     f"VALUES (?, ?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+{HOURS} hours'))",
                     [_hash(token), application_id, state, language, member_id])
    return token


def open_review(token):
    """The unanswered, unexpired review of a token, or None."""
    row = get_db().execute(f"SELECT * FROM reviews WHERE token_hash = ? AND answered_at IS NULL AND expires_at > {NOW}",
                           [_hash(token or "")]).fetchone()
    return dict(row) if row else None


def answer(review_id, decision, comment):
    """The client's answer, once: the link is spent by it."""
    return get_db().execute(f"UPDATE reviews SET answered_at = {NOW}, decision = ?, comment = ? "
                            "WHERE id = ? AND answered_at IS NULL", [decision, comment, review_id]).rowcount == 1


def latest(application_id):
    """The newest review of a draft, or None."""
    row = get_db().execute("SELECT * FROM reviews WHERE application_id = ? ORDER BY id DESC LIMIT 1",
                           [application_id]).fetchone()
    return dict(row) if row else None


def confirmed(application_id, state):
    """The client's confirmation of exactly these answers and files, or None: the client's latest answer counts, so
    asking for changes after an earlier confirmation withdraws it."""
    row = get_db().execute("SELECT * FROM reviews WHERE application_id = ? AND answered_at IS NOT NULL "
                           "ORDER BY answered_at DESC, id DESC LIMIT 1", [application_id]).fetchone()
    return dict(row) if row and row["decision"] == "confirmed" and row["state"] == state else None

"""Payment rows: one per attempt, with its idempotency key and Kassenzeichen. Every change of state is a conditional
update from INITIAL, so a notification, a return and the reconciler that race book a payment exactly once."""
import uuid

from flask import current_app
from stdnum import luhn

from ..db import now
from .base import PURPOSE_MAX


def kassenzeichen(row_id):
    """The office's cash reference for a payment: its prefix, the row number and a Luhn check digit (typing errors show)."""
    number = f"{current_app.config['KASSENZEICHEN_PREFIX']}{row_id:08d}"
    return number + luhn.calc_check_digit(number)


def create(db, application_id, provider, amount, currency="EUR"):
    """A new attempt in INITIAL, with a fresh key and its Kassenzeichen; returns the row."""
    key = str(uuid.uuid4())
    cursor = db.execute("INSERT INTO payments (key, application_id, provider, amount, currency, purpose) VALUES (?, ?, ?, ?, ?, '')",
                        [key, application_id, provider, str(amount), currency])
    number = kassenzeichen(cursor.lastrowid)
    db.execute("UPDATE payments SET kassenzeichen = ?, purpose = ? WHERE id = ?",
               [number, f"Gebuehr {number}"[:PURPOSE_MAX], cursor.lastrowid])
    return get(db, key)


def get(db, key):
    """One payment by its key, or None."""
    return db.execute("SELECT * FROM payments WHERE key = ?", [key]).fetchone()


def of_application(db, application_id):
    """Every attempt for an application, newest first."""
    return db.execute("SELECT * FROM payments WHERE application_id = ? ORDER BY id DESC", [application_id]).fetchall()


def started(db, key, transaction):
    """Keep what the platform said when the payment was started."""
    db.execute("UPDATE payments SET transaction_id = ?, redirect_url = ?, transaction_url = ?, updated_at = ? "
               "WHERE key = ? AND state = 'INITIAL'",
               [transaction.transaction_id, transaction.redirect_url, transaction.transaction_url, now(), key])


def settle(db, key, status, by):
    """Move a payment out of INITIAL to the reported state; True if this call booked it, False if it was settled before."""
    if status.state == "INITIAL":
        return False
    cursor = db.execute(
        "UPDATE payments SET state = ?, method = COALESCE(?, method), method_detail = COALESCE(?, method_detail), "
        "transaction_id = COALESCE(transaction_id, ?), detail = ?, settled_by = ?, paid_at = ?, updated_at = ? "
        "WHERE key = ? AND state = 'INITIAL'",
        [status.state, status.method, status.method_detail, status.transaction_id, status.detail, by,
         (status.timestamp or now()) if status.state == "PAYED" else None, now(), key])
    return cursor.rowcount == 1


def current(rows):
    """The attempt that speaks for an application: a paid one, else the newest."""
    return next((r for r in rows if r["state"] == "PAYED"), rows[0] if rows else None)


def summary(row):
    """One word for the office and the applicant: paid, invoiced (open), pending (online, not settled), failed, none."""
    if row is None:
        return "none"
    if row["state"] == "PAYED":
        return "paid"
    if row["state"] == "INITIAL":
        return "invoiced" if row["provider"] == "invoice" else "pending"
    return "failed"


def as_record(row):
    """The payment as a record keeps it at submit (and the API shows it)."""
    if row is None:
        return None
    keys = ("key", "provider", "amount", "currency", "state", "kassenzeichen", "transaction_id", "transaction_url",
            "method", "method_detail", "paid_at", "created_at", "settled_by")
    return {k: row[k] for k in keys} | {"summary": summary(row)}

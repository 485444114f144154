"""Notifications a platform pushes (GiroCheckout's urlNotify): verified, then the state is fetched and booked once."""
from flask import Blueprint, abort, current_app, request

from ..db import get_db
from . import store
from .attempts import refresh
from .registry import PROVIDERS, provider
from .base import InvalidNotification

bp = Blueprint("payments", __name__)


@bp.route("/payments/notify/<name>", methods=["GET", "POST"])
def notify(name):
    """Verify a push, then book the state (once: a duplicate or a racing return changes nothing)."""
    if name not in PROVIDERS or not PROVIDERS[name].push:
        abort(404)
    platform = provider(name)
    try:
        note = platform.verify_notification(request)
    except InvalidNotification as error:
        current_app.logger.warning("refused a %s notification: %s", name, error)
        return platform.notification_answer(False)
    db = get_db()
    row = store.get(db, note.key) if note.key else db.execute(
        "SELECT * FROM payments WHERE provider = ? AND transaction_id = ?", [name, note.transaction_id]).fetchone()
    if row is None or row["provider"] != name:
        return platform.notification_answer(False)
    row = refresh(row, "notification")  # the platform's own status call (it checks the amount, too)
    if row["state"] == "INITIAL" and note.status is not None:  # status call not answered: the signed push is enough
        store.settle(db, row["key"], note.status, "notification")
    return platform.notification_answer(True)

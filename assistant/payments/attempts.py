"""What happens to a payment: started online, chosen as an invoice, asked for its state, settled once, reconciled."""
import json
from datetime import datetime, timedelta, timezone

from flask import current_app, has_request_context, url_for

from ..db import get_db
from . import store
from .base import ProviderError, Status
from .registry import online, provider


def _path(endpoint, **values):
    """A route's path, also outside a request (the reconciler runs from the command line)."""
    if has_request_context():
        return url_for(endpoint, **values)
    with current_app.test_request_context():
        return url_for(endpoint, **values)


def _urls(row):
    """The mapping a provider reads: the row and where the platform sends the browser and its notifications."""
    base = current_app.config["BASE_URL"].rstrip("/")
    return dict(row) | {
        "return_url": base + _path("applications.pay_return", application_id=row["application_id"], key=row["key"]),
        "notify_url": base + _path("payments.notify", name=row["provider"]),
        "description": current_app.config["OFFICE_NAME"],
    }


def begin(application_id, amount):
    """Start an online payment: (row, None) with the page to send the browser to in row['redirect_url'], or
    (row, error) when the platform is down or refused; the row then stays INITIAL without a transaction."""
    db = get_db()
    platform = online()
    with db.atomic():
        row = store.create(db, application_id, platform.name, amount)
    try:
        transaction = platform.start(_urls(row))
    except ProviderError as error:
        current_app.logger.warning("payment %s could not be started at %s: %s", row["key"], platform.name, error)
        return row, error
    store.started(db, row["key"], transaction)
    return store.get(db, row["key"]), None


def invoice(application_id, amount):
    """The invoice as the way to pay: the open invoice of the application, or a new one."""
    db = get_db()
    with db.atomic():
        row = db.execute("SELECT * FROM payments WHERE application_id = ? AND provider = 'invoice' AND state = 'INITIAL' "
                         "AND amount = ? ORDER BY id DESC", [application_id, str(amount)]).fetchone()
        return row or store.create(db, application_id, "invoice", amount)


def for_submission(application_id, amount):
    """The payment a submission names: a paid or open attempt, else a new invoice; None when nothing is to pay."""
    row = store.current(store.of_application(get_db(), application_id))
    if row is not None and (row["state"] == "PAYED" or (row["state"] == "INITIAL" and amount > 0)):
        return row
    return invoice(application_id, amount) if amount > 0 else None


def refresh(row, by):
    """Ask the platform for the state of an open online payment (the browser's word is never taken); the row as it is now."""
    if row is None or row["state"] != "INITIAL" or not row["transaction_id"] or row["provider"] == "invoice":
        return row
    db = get_db()
    try:
        status = provider(row["provider"]).fetch_status(_urls(row))
    except ProviderError as error:
        current_app.logger.warning("payment %s: status not available from %s: %s", row["key"], row["provider"], error)
        return row
    store.settle(db, row["key"], status, by)
    return store.get(db, row["key"])


def reconcile(older_than=None, expire_after=None):
    """Settle every online payment still INITIAL after a few minutes; cancel those older than the expiry.
    Returns {state: count} of what changed."""
    config = current_app.config
    older_than = timedelta(minutes=config["PAYMENT_RECONCILE_AFTER"]) if older_than is None else older_than
    expire_after = timedelta(minutes=config["PAYMENT_EXPIRES_AFTER"]) if expire_after is None else expire_after
    moment = datetime.now(timezone.utc)
    stamp = lambda delta: (moment - delta).strftime("%Y-%m-%dT%H:%M:%S.%fZ")  # noqa: E731
    db = get_db()
    changed = {}
    rows = db.execute("SELECT * FROM payments WHERE state = 'INITIAL' AND provider != 'invoice' AND created_at <= ? "
                      "ORDER BY id", [stamp(older_than)]).fetchall()
    for row in rows:
        try:
            now_row = refresh(row, "reconciler")
        except Exception:  # one payment the platform answers strangely about never stops the others
            current_app.logger.exception("payment %s: reconciling failed", row["key"])
            now_row = row
        if now_row["state"] == "INITIAL" and row["created_at"] <= stamp(expire_after):
            store.settle(db, row["key"], Status("CANCELED", detail="expired"), "reconciler")
            now_row = store.get(db, row["key"])
        if now_row["state"] != "INITIAL":
            changed[now_row["state"]] = changed.get(now_row["state"], 0) + 1
    return changed


def mark_paid(db, row, actor, account_id=None):
    """The office received the money (an invoice, or a payment the platform never confirmed): True if this booked it."""
    with db.atomic():
        booked = store.settle(db, row["key"], Status("PAYED", method="INVOICE" if row["provider"] == "invoice" else None,
                                                     detail="marked paid by the office"), f"office:{actor}")
        if booked:
            db.execute("INSERT INTO events (application_id, account_id, kind, data) VALUES (?, ?, 'paid', ?)",
                       [row["application_id"], account_id, json.dumps({"kassenzeichen": row["kassenzeichen"]})])
    return booked


def note(db, application_id, account_id, text):
    """A caseworker's note on the payment (a refund made outside, a partial payment): for staff only."""
    db.execute("INSERT INTO events (application_id, account_id, kind, data) VALUES (?, ?, 'payment_note', ?)",
               [application_id, account_id, json.dumps({"note": text}, ensure_ascii=False)])


def bank_details():
    """Where an invoice is paid: the office's account holder, IBAN and BIC."""
    config = current_app.config
    return {"holder": config["OFFICE_ACCOUNT_HOLDER"], "iban": config["OFFICE_IBAN"], "bic": config["OFFICE_BIC"]}

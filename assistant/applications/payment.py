"""The fee and how it is paid: the lines that apply, the pay step, the return from the platform.

The pay page works for a draft (before submit, when the service asks for
payment first or offers it) and for a submitted application (pay the invoice
online later). The browser's return from the platform only prompts a
server-to-server status fetch; leaving and coming back resumes the same
payment; a platform that is down never stops the submit.
"""
from dataclasses import dataclass
from decimal import Decimal

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from .. import access, payments
from ..casework.status import DRAFT
from ..db import get_db
from ..definitions import fees
from ..i18n import tr
from ..payments import store
from . import drafts
from .snapshot import DECLARATION, of, pick
from .web import bp


@dataclass
class Charge:
    """A fee as shown: (label, legal basis, amount after the line) per line, the total, and when it is paid."""
    lines: list
    amount: Decimal
    mode: str
    note: str = None


def charge_of(service, journey):
    """The fee of a draft, computed from its answers today (the day of application, if it is sent today)."""
    lines, amount = fees.compute(service.fee, journey.values, journey.today, service.tables)
    note = tr(service.fee["note"]) if service.fee.get("note") else None
    return Charge([(tr(line.label), line.basis, line.amount) for line in lines], amount, fees.payment_mode(service.fee), note)


def charge_of_record(record):
    """The fee as the record froze it (a record from before fee rules has one amount and its legal basis)."""
    fee = record["fee"]
    if "lines" not in fee:
        return Charge([(_("Fee"), fee.get("legal_basis", ""), Decimal(fee.get("amount", "0")))], Decimal(fee.get("amount", "0")), "after")
    return Charge([(pick(line["label"]), line["basis"], Decimal(line["amount"])) for line in fee["lines"]],
                  Decimal(fee["amount"]), fee["payment"], pick(fee.get("note")))


def _charge(app_row):
    """The fee of an application: from its record once submitted, else from its draft."""
    if app_row["status"] != DRAFT:
        record = of(app_row["id"])
        return charge_of_record(record) if record else Charge([], Decimal(0), "after")
    service = drafts.definition(app_row) or abort(404)
    return charge_of(service, drafts.journey(service, app_row["id"]))


def state_of(application_id):
    """The payment that speaks for an application (an open online one is asked for its state first) and its summary."""
    row = store.current(store.of_application(get_db(), application_id))
    row = payments.refresh(row, "return")
    return row, store.summary(row)


def may_submit(charge, summary):
    """Whether the pay step lets the application go: nothing to pay, paid, or a way to pay chosen (invoice or pending)."""
    return charge.mode != "before" or charge.amount == 0 or summary in ("paid", "pending", "invoiced")


@bp.get("/applications/<application_id>/pay")
@login_required
def pay(application_id):
    """The pay step: the fee line by line, the state of the payment, and what can be done next."""
    app_row = access.acting(application_id)
    charge = _charge(app_row)
    if charge.amount == 0:
        return redirect(url_for("applications.check" if app_row["status"] == DRAFT else "applications.show",
                                application_id=application_id))
    row, summary = state_of(application_id)
    return render_template("applications/pay.html", application=app_row, charge=charge, payment=row, summary=summary,
                           online=payments.online() is not None, draft=app_row["status"] == DRAFT,
                           may_submit=may_submit(charge, summary), declaration=DECLARATION,
                           office=payments.bank_details())


@bp.post("/applications/<application_id>/pay")
@login_required
def pay_start(application_id):
    """Pay online (start a new attempt and go to the platform) or choose the invoice (an act, like submitting)."""
    app_row = access.acting(application_id, scope="submit")
    charge = _charge(app_row)
    row, summary = state_of(application_id)
    if charge.amount == 0 or summary == "paid":
        return redirect(url_for("applications.pay", application_id=application_id), code=303)
    if request.form.get("method") == "online" and payments.online() is not None:
        row, error = payments.begin(application_id, charge.amount)
        if error is None:
            return redirect(row["redirect_url"], code=303)
        flash(_("The payment service cannot be reached right now. You can send your application now and pay later, "
                "or pay by bank transfer."), "error")
    else:
        payments.invoice(application_id, charge.amount)
    return redirect(url_for("applications.pay", application_id=application_id), code=303)


@bp.get("/applications/<application_id>/pay/return/<key>")
@login_required
def pay_return(application_id, key):
    """Back from the platform: ask it (server-to-server) how the payment stands, then show the pay page."""
    access.acting(application_id)
    row = store.get(get_db(), key)
    if row is None or row["application_id"] != application_id:
        abort(404)
    payments.refresh(row, "return")
    return redirect(url_for("applications.pay", application_id=application_id), code=303)

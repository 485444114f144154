"""The one access policy: who may see an application, act in it, or handle it as the office.

Every view, partial, download and API call that touches an application, a
file or a message gets its application through `acting` or `handling`, so a
stranger's id answers 404 and reveals nothing. An account acts for a person;
today an applicant's account acts for its own person only (representatives
acting for clients under a mandate will be one more rule in `can_act`).
"""
from flask import abort
from flask_login import current_user

from .casework.status import DRAFT
from .db import get_db
from .identity import STAFF

SYSTEM = "system"  # the specialist system, through an API token


def load(application_id):
    """An application with the account its person belongs to, or None."""
    row = get_db().execute(
        "SELECT a.*, p.account_id AS person_account_id FROM applications a JOIN persons p ON p.id = a.person_id "
        "WHERE a.id = ?", [application_id]).fetchone()
    return dict(row) if row else None


def can_act(account, application):
    """Whether the account acts for the application's person: answer, upload, submit, write, read its pages."""
    return bool(account and account.is_authenticated and account.role == "applicant"
                and application["account_id"] == account.id and application["person_account_id"] == account.id)


def can_handle(account, application):
    """Whether the account (staff, or the specialist system) works on the case: only once it is submitted."""
    return bool(account and account.is_authenticated and account.role in STAFF | {SYSTEM}
                and application["status"] != DRAFT)


def can_read(account, application):
    """Whether the account may see the application at all."""
    return can_act(account, application) or can_handle(account, application)


def _require(application_id, rule, account):
    row = load(application_id) if isinstance(application_id, str) else None
    if row is None or not rule(account, row):
        abort(404)
    return row


def acting(application_id):
    """The application the current account acts for, or 404 for everyone else (ids reveal nothing)."""
    return _require(application_id, can_act, current_user)


def handling(application_id, account=None):
    """The submitted case the current account (or the given API client) handles, or 404."""
    return _require(application_id, can_handle, account or current_user)

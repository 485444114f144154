"""The one access policy: who may see an application, act in it, or handle it as the office.

Every view, partial, download and API call that touches an application, a
file or a message gets its application through `acting` or `handling`, so a
stranger's id answers 404 and reveals nothing. An account acts for a person:
an applicant's account for its own person, and a member of an organisation for
a client, only under /clients/<client>/ (never "the current client" of a
session), only while assigned to that client and under a mandate whose scope
covers the act (representation/store.py).
"""
from flask import abort, g
from flask_babel import lazy_gettext as _
from flask_login import current_user
from werkzeug.exceptions import Forbidden

from .casework.status import DRAFT
from .db import get_db
from .i18n import office_today
from .identity import STAFF
from .representation import store as representation

SYSTEM = "system"  # the specialist system, through an API token


class NoMandate(Forbidden):
    """A member assigned to the client, but no current mandate covers the act: 403, saying so."""

    def __init__(self):
        super().__init__(_("No current mandate of this client covers this. Record a valid mandate (or ask the client "
                           "for one) on the client's page."))


def load(application_id):
    """An application with the account its person belongs to, or None."""
    row = get_db().execute(
        "SELECT a.*, p.account_id AS person_account_id, p.organisation_id AS person_organisation_id, "
        "p.linked_account_id AS person_linked_account_id "
        "FROM applications a JOIN persons p ON p.id = a.person_id WHERE a.id = ?", [application_id]).fetchone()
    return dict(row) if row else None


def can_act(account, application, scope=None):
    """Whether the account acts for the application's person: answer, upload, submit, write, read its pages.

    For a client the act needs its scope: a draft `submit`, reading a case `inspect` (or receiving its messages or
    decisions), writing `messages`."""
    if not (account and account.is_authenticated and account.role == "applicant"):
        return False
    if application["person_organisation_id"] is None:
        return (g.get("client_id") is None and application["account_id"] == account.id
                and application["person_account_id"] == account.id)
    if g.get("client_id") is None:
        return _own_client_account(account, application, scope)
    if g.get("client_id") != application["person_id"]:
        return False
    wanted = [scope] if scope else (["submit"] if application["status"] == DRAFT else ["inspect", "messages", "decisions"])
    for each in wanted:
        found = representation.may_act(account.id, application["person_id"], application["person_organisation_id"], each,
                                       application["service_id"], office_today().isoformat())
        if found:
            g.acting_for = representation.person(application["person_id"])   # for the banner "You are acting for …"
            return True
    _no_mandate_if_assigned(account.id, application["person_id"])
    return False


def _own_client_account(account, application, scope):
    """The client's own account, linked to the person an organisation acts for: it sees the submitted cases; it acts in
    an application once it took it over into the account (the representative then acts only under its mandate)."""
    if application["person_linked_account_id"] != account.id or account.is_member:
        return False
    if application["account_id"] == account.id:
        return True
    return scope in (None, "inspect") and application["status"] != DRAFT


def _no_mandate_if_assigned(account_id, person_id):
    """The member of the client (assigned to it) learns that the mandate is missing; everyone else gets 404."""
    member = representation.membership(account_id)
    if member is not None and representation.client(person_id, member) is not None:
        raise NoMandate()


def may(account, application, scope):
    """Whether the account may do the act, to show or hide its form (a member without the mandate sees no form)."""
    try:
        return can_act(account, application, scope)
    except NoMandate:
        return False


def client_to_start(service_id):
    """The client of the URL, when the current account may start this service for it (mandate to submit), else 404."""
    client_id = g.get("client_id")
    row = get_db().execute("SELECT * FROM persons WHERE id = ? AND organisation_id IS NOT NULL", [client_id]).fetchone()
    if row is None or not current_user.is_authenticated:
        abort(404)
    if not representation.may_act(current_user.id, row["id"], row["organisation_id"], "submit", service_id,
                                  office_today().isoformat()):
        _no_mandate_if_assigned(current_user.id, row["id"])
        abort(404)
    g.acting_for = representation.person(row["id"])
    return dict(row)



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


def acting(application_id, scope=None):
    """The application the current account acts for, or 404 for everyone else (ids reveal nothing)."""
    return _require(application_id, lambda account, row: can_act(account, row, scope), current_user)


def handling(application_id, account=None):
    """The submitted case the current account (or the given API client) handles, or 404."""
    return _require(application_id, can_handle, account or current_user)

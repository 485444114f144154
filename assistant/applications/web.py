"""The one blueprint of everything under /applications/<id>/ (and the dashboard that lists them).

Every application route is served twice: as it is, for the applicant's own
person, and under /clients/<client_id>/, for a client an organisation acts for.
The client is in the URL of every page, never kept in the session; the access
policy checks it on every request, and every link a page builds keeps it.
"""
from flask import Blueprint, current_app, g, redirect, url_for

from .drafts import NotADraft

CLIENT_PREFIX = "/clients/<int:client_id>"


class _ForClients(Blueprint):
    def add_url_rule(self, rule, endpoint=None, view_func=None, **options):
        super().add_url_rule(rule, endpoint, view_func, **options)
        if rule.startswith(("/applications/", "/services/")):
            super().add_url_rule(CLIENT_PREFIX + rule, endpoint or view_func.__name__, view_func, **options)


bp = _ForClients("applications", __name__)


@bp.url_value_preprocessor
def client_from_url(endpoint, values):
    """The client a request is for (None: the account's own person), taken out of the view's arguments."""
    g.client_id = (values or {}).pop("client_id", None)


@bp.url_defaults
def keep_client(endpoint, values):
    """Links from a client's page stay with that client."""
    if g.get("client_id") and "client_id" not in values and current_app.url_map.is_endpoint_expecting(endpoint, "client_id"):
        values["client_id"] = g.client_id


@bp.errorhandler(NotADraft)
def submitted_meanwhile(error):
    """A write to an application that was submitted meanwhile (a second tab, an old link): its status page instead."""
    return redirect(url_for("applications.show", application_id=error.args[0]), code=303)

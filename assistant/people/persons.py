"""Persons in the database: whom an application is about."""
from flask import abort
from flask_login import current_user

from ..db import get_db


def own_person():
    """The current account's own person (whom its applications are about)."""
    row = get_db().execute("SELECT * FROM persons WHERE account_id = ? AND is_self", [current_user.id]).fetchone()
    if row is None:
        abort(404)
    return dict(row)

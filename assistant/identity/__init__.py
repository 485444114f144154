"""Who is logged in: accounts, their sessions, and creating them."""
import json

from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, UserMixin
from werkzeug.security import generate_password_hash

from ..db import get_db

login_manager = LoginManager()
login_manager.login_view = "accounts.login"
login_manager.login_message = _l("Please log in to continue.")
STAFF = {"caseworker", "admin"}


class Account(UserMixin):
    """A logged-in account."""

    def __init__(self, row):
        self.id, self.email, self.role, self.locale = row["id"], row["email"], row["role"], row["locale"]


@login_manager.user_loader
def load_account(account_id):
    """The account of the session, if it still exists."""
    row = get_db().execute("SELECT * FROM accounts WHERE id = ?", [account_id]).fetchone()
    return Account(row) if row else None


def create_account(email, password, role="applicant", profile=None):
    """An account; an applicant's comes with its own person. Returns the account id."""
    db = get_db()
    with db.atomic():
        cursor = db.execute("INSERT INTO accounts (email, password_hash, role) VALUES (?, ?, ?)",
                            [email.strip(), generate_password_hash(password), role])
        if role == "applicant":
            db.execute("INSERT INTO persons (account_id, is_self, profile) VALUES (?, 1, ?)",
                       [cursor.lastrowid, json.dumps(profile or {}, ensure_ascii=False)])
    return cursor.lastrowid

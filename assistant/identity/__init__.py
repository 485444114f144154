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
        self.generation = row["session_generation"]
        self.is_member = bool(row["is_member"])  # acts for an organisation's clients (representation/store.py)

    def get_id(self):
        """What the session keeps: the account and its session generation, so a later logout or new password ends it."""
        return f"{self.id}:{self.generation}"


# One read per request: the account with whether it is a current member of an organisation.
ACCOUNT = ("SELECT a.*, EXISTS (SELECT 1 FROM members m WHERE m.account_id = a.id AND m.left_at IS NULL) AS is_member "
           "FROM accounts a WHERE a.id = ? AND a.disabled_at IS NULL")


@login_manager.user_loader
def load_account(session_id):
    """The account of a session, if it still exists, is not disabled and the session is of its current generation."""
    account_id, _, generation = str(session_id).partition(":")
    row = get_db().execute(ACCOUNT, [account_id]).fetchone()
    if row is None or str(row["session_generation"]) != generation:
        return None
    return Account(row)


def account(account_id):
    """An account by its id (to log it in), or None when it does not exist or is disabled."""
    row = get_db().execute(ACCOUNT, [account_id]).fetchone()
    return Account(row) if row else None


def end_sessions(account_id):
    """End every session of an account (logout, new password, disabled): their cookies no longer log anyone in."""
    get_db().execute("UPDATE accounts SET session_generation = session_generation + 1 WHERE id = ?", [account_id])


def create_account(email, password, role="applicant", profile=None, confirmed=True):
    """An account; an applicant's comes with its own person. Returns the account id."""
    db = get_db()
    with db.atomic():
        cursor = db.execute(
            "INSERT INTO accounts (email, password_hash, role, confirmed_at) "
            "VALUES (?, ?, ?, CASE WHEN ? THEN strftime('%Y-%m-%dT%H:%M:%fZ', 'now') END)",
            [email.strip(), generate_password_hash(password), role, confirmed])
        if role == "applicant":
            db.execute("INSERT INTO persons (account_id, is_self, profile) VALUES (?, 1, ?)",
                       [cursor.lastrowid, json.dumps(profile or {}, ensure_ascii=False)])
    return cursor.lastrowid

"""The audit log: who looked at or did what with which case, and when. Append-only (the database refuses edits)."""
from .db import get_db


def record(actor, action, application=None, details="", account_id=None):
    """Append one entry; `actor` names the person or system (an e-mail address, or api:<token name>)."""
    get_db().execute(
        "INSERT INTO audit_log (account_id, actor, action, application_id, reference, details) VALUES (?, ?, ?, ?, ?, ?)",
        [account_id, actor, action, application and application["id"], application and application["reference"], details])


def entries(limit=None):
    """The log, newest first."""
    sql = "SELECT * FROM audit_log ORDER BY id DESC" + (" LIMIT ?" if limit else "")
    return [dict(r) for r in get_db().execute(sql, [limit] if limit else [])]

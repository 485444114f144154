"""Organisations, their members, their clients, who is assigned to whom, and the mandates they act under.

A mandate is a power of attorney (Vollmacht, § 14 Abs. 1 VwVfG) or a supporter
(Beistand, § 14 Abs. 4), with a scope: submit applications, receive messages
and requests, receive decisions, inspect the file, or all acts. It covers all
services or some, is valid from a day until a day, and ends at once when it is
revoked (the office sees when the revocation reached it).
"""
import hashlib
import json
import secrets

from ..db import get_db
from ..i18n import normalize_digits, office_today

NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
KINDS = ("law_firm", "welfare_association", "counselling_service", "employer")
ROLES = ("admin", "counselor", "assistant")
MANDATE_KINDS = ("power_of_attorney", "supporter")
SCOPES = ("submit", "messages", "decisions", "inspect")   # and "all"
SUPPORTER_SCOPES = {"submit", "inspect"}                   # a supporter accompanies; it receives nothing (§ 14 Abs. 4 VwVfG)


class NotAllowed(Exception):
    """The account may not do this for the organisation or the client."""


def membership(account_id, db=None):
    """The account's current membership (with its organisation), or None."""
    row = (db or get_db()).execute(
        "SELECT m.*, o.name AS organisation_name, o.kind AS organisation_kind, o.verified_at, o.review_required "
        "FROM members m JOIN organisations o ON o.id = m.organisation_id WHERE m.account_id = ? AND m.left_at IS NULL",
        [account_id]).fetchone()
    return dict(row) if row else None


def create_organisation(account_id, name, kind, address):
    """A new organisation, its creator its first admin; the account gives up its own person (it never applies as
    itself from the organisation), which it may only do while it has no application of its own."""
    db = get_db()
    with db.atomic():
        organisation_id = db.execute("INSERT INTO organisations (name, kind, address) VALUES (?, ?, ?)",
                                     [name, kind, address]).lastrowid
        _join(db, organisation_id, account_id, "admin")
    return organisation_id


def _join(db, organisation_id, account_id, role):
    """Inside a transaction: the account becomes a member and gives up its own person; refused while the account has
    applications of its own or is a member already."""
    own = db.execute("SELECT count(*) FROM applications a JOIN persons p ON p.id = a.person_id "
                     "WHERE p.account_id = ? AND p.is_self", [account_id]).fetchone()[0]
    if own or membership(account_id, db) or role not in ROLES:
        raise NotAllowed(account_id)
    db.execute("DELETE FROM persons WHERE account_id = ? AND is_self", [account_id])
    return db.execute("INSERT INTO members (organisation_id, account_id, role) VALUES (?, ?, ?)",
                      [organisation_id, account_id, role]).lastrowid


def verify(organisation_id, actor):
    """The office approves an organisation: from now on it may submit for its clients."""
    get_db().execute(f"UPDATE organisations SET verified_at = {NOW}, verified_by = ? WHERE id = ? AND verified_at IS NULL",
                     [actor, organisation_id])


def organisations():
    """Every organisation, unverified first, for the office."""
    return [dict(r) for r in get_db().execute(
        "SELECT o.*, (SELECT count(*) FROM members m WHERE m.organisation_id = o.id AND m.left_at IS NULL) AS members "
        "FROM organisations o ORDER BY o.verified_at IS NOT NULL, o.name")]


def create_client(member, profile, language):
    """A client of the member's organisation (a person without an account), assigned to the member; returns its id."""
    db = get_db()
    with db.atomic():
        number = f"{member['organisation_id']}-{secrets.randbelow(10**6):06d}"
        person_id = db.execute(
            "INSERT INTO persons (account_id, is_self, profile, organisation_id, client_number) VALUES (NULL, 0, ?, ?, ?)",
            [json.dumps(profile | {"language": language}, ensure_ascii=False), member["organisation_id"], number]).lastrowid
        db.execute("INSERT INTO assignments (person_id, member_id) VALUES (?, ?)", [person_id, member["id"]])
    return person_id


def _person(row):
    """A person's row with its profile read."""
    return dict(row) | {"profile": json.loads(row["profile"])}


def person(person_id):
    """A person by id (for the banner of a client's pages), or None."""
    row = get_db().execute("SELECT * FROM persons WHERE id = ?", [person_id]).fetchone()
    return _person(row) if row else None


def client(person_id, member):
    """A client of the member's organisation that the member is assigned to, or None."""
    row = get_db().execute(
        "SELECT p.* FROM persons p JOIN assignments s ON s.person_id = p.id AND s.member_id = ? "
        "WHERE p.id = ? AND p.organisation_id = ?", [member["id"], person_id, member["organisation_id"]]).fetchone()
    return _person(row) if row else None


def clients(member, query=""):
    """The clients assigned to the member, the most urgent first (an open request of the office, earliest due date),
    each with its applications and open requests; `query` finds a name in its own script or the passport's letters."""
    db = get_db()
    found = []
    for row in db.execute(
            "SELECT p.* FROM persons p JOIN assignments s ON s.person_id = p.id AND s.member_id = ? "
            "WHERE p.organisation_id = ? AND (? = '' OR lower(json_extract(p.profile, '$.family_name') || ' ' || "
            "json_extract(p.profile, '$.given_names') || ' ' || coalesce(json_extract(p.profile, '$.name_in_passport'), '')) "
            "LIKE '%' || lower(?) || '%') ORDER BY json_extract(p.profile, '$.family_name')",
            [member["id"], member["organisation_id"], query, query]):
        applications = [dict(a) for a in db.execute(
            "SELECT a.*, (SELECT min(json_extract(m.data, '$.due_date')) FROM messages m WHERE m.application_id = a.id "
            "AND m.sender = 'office' AND m.kind = 'request' AND m.answered_at IS NULL) AS due FROM applications a "
            "WHERE a.person_id = ? ORDER BY a.updated_at DESC", [row["id"]])]
        dues = [a["due"] for a in applications if a["due"]]
        found.append(_person(row) | {"applications": applications,
                                  "due": min(dues) if dues else None})
    found.sort(key=lambda c: (c["due"] is None, c["due"] or ""))
    return found


def add_mandate(member, person_id, kind, scope, services, valid_from, valid_until, document=None):
    """Record the mandate a client gave the organisation (the signed document's name, hash and stored bytes)."""
    document = document or {}
    return get_db().execute(
        "INSERT INTO mandates (person_id, organisation_id, member_id, kind, scope, services, valid_from, valid_until, "
        "document_name, document_sha256, document_storage, filed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [person_id, member["organisation_id"], member["id"], kind, json.dumps(sorted(scope)),
         None if services is None else json.dumps(sorted(services)), valid_from, valid_until,
         document.get("filename"), document.get("sha256"), document.get("storage_name"),
         valid_from if document else None]).lastrowid


def revoke(mandate_id, person_id, actor):
    """End a mandate at once; the office sees who revoked it and when it reached it."""
    get_db().execute(f"UPDATE mandates SET revoked_at = {NOW}, revoked_by = ?, revocation_received_at = {NOW} "
                     "WHERE id = ? AND person_id = ? AND revoked_at IS NULL", [actor, mandate_id, person_id])


def mandates(person_id):
    """Every mandate of a client, newest first, with scope and services as lists."""
    return [_mandate(r) for r in get_db().execute("SELECT * FROM mandates WHERE person_id = ? ORDER BY id DESC", [person_id])]


def mandate(mandate_id):
    """One mandate as it stands now (revoked or not), or None."""
    row = get_db().execute("SELECT * FROM mandates WHERE id = ?", [mandate_id]).fetchone()
    return _mandate(row) if row else None


def _mandate(row):
    return dict(row) | {"scope": json.loads(row["scope"]), "services": json.loads(row["services"]) if row["services"] else None}


def covering(person_id, organisation_id, scope, service_id, today):
    """The mandate that lets the organisation do `scope` for the client in this service today, or None: valid on the
    day, not revoked, of the right scope ("all" covers every act; a supporter never receives)."""
    for mandate in mandates(person_id):
        scopes = set(SCOPES) if "all" in mandate["scope"] else set(mandate["scope"])
        if mandate["kind"] == "supporter":
            scopes &= SUPPORTER_SCOPES
        if (mandate["organisation_id"] == organisation_id and mandate["revoked_at"] is None
                and mandate["valid_from"] <= today and (mandate["valid_until"] is None or today <= mandate["valid_until"])
                and scope in scopes and (mandate["services"] is None or service_id in mandate["services"])):
            return mandate
    return None


def may_act(account_id, person_id, organisation_id, scope, service_id, today):
    """Whether the account acts for this client now: a current member of the client's organisation, assigned to the
    client, under a mandate that covers the act; returns (member, mandate) or None."""
    member = membership(account_id)
    if member is None or member["organisation_id"] != organisation_id or client(person_id, member) is None:
        return None
    mandate = covering(person_id, organisation_id, scope, service_id, today)
    return (member, mandate) if mandate else None


def record_of(member, mandate, account_email, client_language):
    """Who acted and under which mandate (and the client's language), as the record, the receipt and the packet keep it."""
    return {"account_email": account_email, "client_language": client_language,
            "member": {"id": member["id"], "role": member["role"]},
            "organisation": {"id": member["organisation_id"], "name": member["organisation_name"],
                             "kind": member["organisation_kind"]},
            "mandate": {k: mandate[k] for k in ("id", "kind", "scope", "services", "document_sha256", "filed_at",
                                                "valid_from", "valid_until")}}


def add_member(organisation_id, code, role):
    """The account that made this joining code becomes a member (it gives up its own person, as the founder did);
    returns the member id. NotAllowed for a wrong code, or an account that has applications or is a member already."""
    db = get_db()
    with db.atomic():
        row = db.execute(f"UPDATE link_codes SET used_at = {NOW} WHERE code_hash = ? AND used_at IS NULL "
                         f"AND expires_at > {NOW} AND purpose = 'member' RETURNING account_id", [_digest(code)]).fetchone()
        if row is None:
            raise NotAllowed(None)
        return _join(db, organisation_id, row["account_id"], role)


def assign(person_id, member_id):
    """A client is given to a member of its organisation."""
    get_db().execute("INSERT OR IGNORE INTO assignments (person_id, member_id) SELECT p.id, m.id FROM persons p "
                     "JOIN members m ON m.organisation_id = p.organisation_id WHERE p.id = ? AND m.id = ?", [person_id, member_id])


def leave(member_id):
    """A member leaves: access ends at once; the organisation's mandates stay; the account gets a person of its own
    again, so that it can apply for itself."""
    db = get_db()
    with db.atomic():
        row = db.execute(f"UPDATE members SET left_at = {NOW} WHERE id = ? AND left_at IS NULL RETURNING account_id",
                         [member_id]).fetchone()
        if row and row["account_id"] and not db.execute("SELECT 1 FROM persons WHERE account_id = ? AND is_self",
                                                       [row["account_id"]]).fetchone():
            db.execute("INSERT INTO persons (account_id, is_self, profile) VALUES (?, 1, '{}')", [row["account_id"]])


def receiving(application, scope):
    """The representative who receives the office's news of this kind for a client's application, or None (then the
    client does): a power of attorney that covers it today, for a decision also on file (§ 7 Abs. 1 VwZG); a supporter
    never receives. Returns the e-mail address and language of the member who acts under the mandate; once that
    member left, of a current member assigned to the client, else of the organisation's admin: the mandate is the
    organisation's, and its news must not fall back to the client while it stands."""
    db = get_db()
    person = db.execute("SELECT organisation_id FROM persons WHERE id = ?", [application["person_id"]]).fetchone()
    if person is None or person["organisation_id"] is None:
        return None
    mandate = covering(application["person_id"], person["organisation_id"], scope, application["service_id"],
                       office_today().isoformat())
    if mandate is None or mandate["kind"] != "power_of_attorney" or (scope == "decisions" and not mandate["filed_at"]):
        return None
    row = db.execute(
        "SELECT a.email, a.locale FROM members m JOIN accounts a ON a.id = m.account_id "
        "WHERE m.organisation_id = ? AND m.left_at IS NULL AND a.disabled_at IS NULL "
        "ORDER BY m.id = ? DESC, EXISTS (SELECT 1 FROM assignments s WHERE s.member_id = m.id AND s.person_id = ?) DESC, "
        "m.role = 'admin' DESC, m.id LIMIT 1",
        [person["organisation_id"], mandate["member_id"], application["person_id"]]).fetchone()
    return {"email": row["email"], "locale": row["locale"], "mandate": mandate} if row else None


def members(organisation_id):
    """The current members of an organisation with their e-mail addresses and the clients assigned to each."""
    return [dict(r) for r in get_db().execute(
        "SELECT m.*, a.email, (SELECT group_concat(s.person_id) FROM assignments s WHERE s.member_id = m.id) AS clients "
        "FROM members m JOIN accounts a ON a.id = m.account_id WHERE m.organisation_id = ? AND m.left_at IS NULL "
        "ORDER BY a.email", [organisation_id])]


def all_clients(organisation_id):
    """Every client of an organisation (for its admin's assignments)."""
    return [_person(r) for r in get_db().execute(
        "SELECT * FROM persons WHERE organisation_id = ? ORDER BY client_number", [organisation_id])]


CODE_HOURS = 24


def _digest(code):
    """The stored form of a one-time code as typed: without spaces, in capitals, any digits read as 0-9."""
    return hashlib.sha256("".join(normalize_digits(code).upper().split()).encode()).hexdigest()


def new_link_code(account_id, purpose="client"):
    """A one-time code an account gives to an organisation (valid for a day; only its hash is kept): `client`, so that
    a representative links its client to the applicant's account, or `member`, so that the organisation's admin adds
    the account as a member. The account makes the code: nothing happens to an account without its consent."""
    code = "-".join(secrets.token_hex(2).upper() for _ in range(3))
    get_db().execute(f"INSERT INTO link_codes (code_hash, account_id, expires_at, purpose) VALUES (?, ?, "
                     f"strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+{CODE_HOURS} hours'), ?)", [_digest(code), account_id, purpose])
    return code


def link(person_id, member, code):
    """Link a client to the applicant account whose code this is (used once, before it expires); False for a wrong
    code, a client already linked, or an account that is itself a member of an organisation (it never is a client)."""
    db = get_db()
    try:
        with db.atomic():
            row = db.execute(f"UPDATE link_codes SET used_at = {NOW} WHERE code_hash = ? AND used_at IS NULL "
                             f"AND expires_at > {NOW} AND purpose = 'client' RETURNING account_id",
                             [_digest(code)]).fetchone()
            person = client(person_id, member)
            if row is None or person is None or person["linked_account_id"] is not None or \
                    membership(row["account_id"], db):
                raise NotAllowed(person_id)     # the code stays unused
            db.execute("UPDATE persons SET linked_account_id = ? WHERE id = ?", [row["account_id"], person_id])
    except NotAllowed:
        return False
    return True


def representatives_of(account_id):
    """The mandates given for clients linked to an applicant's account, with the organisations, for the applicant."""
    return [_mandate(r) | {"organisation_name": r["organisation_name"]} for r in get_db().execute(
        "SELECT m.*, o.name AS organisation_name FROM mandates m JOIN persons p ON p.id = m.person_id "
        "JOIN organisations o ON o.id = m.organisation_id WHERE p.linked_account_id = ? ORDER BY m.id DESC", [account_id])]


def require_review(organisation_id, required):
    """Set whether the organisation's applications need the client's review before submit."""
    get_db().execute("UPDATE organisations SET review_required = ? WHERE id = ?", [int(required), organisation_id])


def hand_over(application_id, account_id):
    """The client takes an application its representative prepared or filed over into its own linked account: the
    account then acts in it as in its own, the representative only under its mandate. False if it is not the client's."""
    db = get_db()
    with db.atomic():
        moved = db.execute("UPDATE applications SET account_id = ? WHERE id = ? AND account_id IS NOT ? AND person_id IN "
                           "(SELECT id FROM persons WHERE linked_account_id = ?)",
                           [account_id, application_id, account_id, account_id]).rowcount
        if moved:
            db.execute("INSERT INTO events (application_id, account_id, kind) VALUES (?, ?, 'handed_over')",
                       [application_id, account_id])
    return bool(moved)


def linked_account(person_id):
    """The e-mail address and language of the client's own account, when the client linked one, else None."""
    row = get_db().execute("SELECT a.email, a.locale FROM persons p JOIN accounts a ON a.id = p.linked_account_id "
                           "WHERE p.id = ? AND a.disabled_at IS NULL AND NOT EXISTS (SELECT 1 FROM members m "
                           "WHERE m.account_id = a.id AND m.left_at IS NULL)", [person_id]).fetchone()
    return dict(row) if row else None


def organisation_name(person_id):
    """The name of the organisation that acts for the person, or None."""
    row = get_db().execute("SELECT o.name FROM persons p JOIN organisations o ON o.id = p.organisation_id WHERE p.id = ?",
                           [person_id]).fetchone()
    return row["name"] if row else None

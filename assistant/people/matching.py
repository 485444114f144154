"""Matching applications to the person's file at the office: the file number (Aktenzeichen) and the AZR number.

The applicant may give both; the office confirms or corrects them on a case,
or its specialist system sets them through the API. Once confirmed they belong
to the person, so the next application carries them without anyone typing
them. For a case without confirmed numbers the caseworker is shown earlier
cases of possibly the same person (the same Latin passport spelling and date of
birth, or the same passport number) to confirm or reject; nothing is merged
without that decision.
"""
import json

from wtforms.validators import ValidationError

from ..questions import TYPES

NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
KEYS = ("file_number", "azr_number")


class Invalid(ValueError):
    """A number that does not have its format: (key, message)."""


def parse(file_number, azr_number):
    """Both numbers in canonical form (None for empty); raises Invalid naming the first wrong one."""
    found = {}
    for key, raw in zip(KEYS, (file_number, azr_number)):
        if raw is None or not str(raw).strip():
            found[key] = None
            continue
        try:
            found[key] = TYPES[key].parse(str(raw), None)
        except ValidationError as wrong:
            raise Invalid(key, str(wrong)) from None
    return found


def of_person(db, person_id):
    """The person's confirmed numbers: {file_number, azr_number, confirmed_at, confirmed_by} (values None when unknown)."""
    row = db.execute("SELECT file_number, azr_number, file_confirmed_at, file_confirmed_by FROM persons WHERE id = ?",
                     [person_id]).fetchone()
    if row is None:
        return {"file_number": None, "azr_number": None, "confirmed_at": None, "confirmed_by": None}
    return {"file_number": row["file_number"], "azr_number": row["azr_number"],
            "confirmed_at": row["file_confirmed_at"], "confirmed_by": row["file_confirmed_by"]}


def confirm(db, application, numbers, actor, account_id=None):
    """Set the person's numbers as the office confirms them (from a case), and note it on the case's timeline."""
    db.execute(f"UPDATE persons SET file_number = ?, azr_number = ?, file_confirmed_at = {NOW}, file_confirmed_by = ? "
               "WHERE id = ?", [numbers["file_number"], numbers["azr_number"], actor, application["person_id"]])
    db.execute("INSERT INTO events (application_id, account_id, kind, data) VALUES (?, ?, 'file_confirmed', ?)",
               [application["id"], account_id, json.dumps({k: numbers[k] for k in KEYS} | {"actor": actor})])
    return of_person(db, application["person_id"])


def prefill(db, person_id, profile):
    """The profile a new draft is prefilled from, with the numbers the office confirmed in place of typed ones."""
    confirmed = {k: v for k, v in of_person(db, person_id).items() if k in KEYS and v}
    return profile | confirmed


def suggestions(db, application, record):
    """Earlier cases that may be the same person, for a case whose person has no confirmed number yet: each with why
    it matches and the decision taken on it (None while open). Empty once the person's numbers are confirmed."""
    if of_person(db, application["person_id"])["confirmed_at"]:
        return []
    applicant = record.get("applicant", {})
    latin, born, passport = applicant.get("name_in_passport"), applicant.get("birth_date"), applicant.get("passport_number")
    if not (latin and born) and not passport:
        return []
    rows = db.execute(
        "SELECT a.id, a.reference, a.submitted_at, a.service_id, a.person_id, p.file_number, p.azr_number, p.file_confirmed_at, "
        "json_extract(r.snapshot, '$.applicant.name_in_passport') AS latin, json_extract(r.snapshot, '$.applicant.birth_date') AS born, "
        "json_extract(r.snapshot, '$.applicant.passport_number') AS passport, s.same "
        "FROM records r JOIN applications a ON a.id = r.application_id JOIN persons p ON p.id = a.person_id "
        "LEFT JOIN same_person s ON s.application_id = ? AND s.other_id = a.id "
        "WHERE a.id != ? AND a.submitted_at <= ? AND ((latin = ? AND born = ?) OR passport = ?) "
        "ORDER BY a.submitted_at DESC LIMIT 20",
        [application["id"], application["id"], application["submitted_at"], latin, born, passport]).fetchall()
    found = []
    for row in rows:
        why = (["passport"] if passport and row["passport"] == passport else []) + (
            ["name_and_birth"] if latin and row["latin"] == latin and row["born"] == born else [])
        found.append(dict(row) | {"why": why})
    return found


def decide(db, application, other, same, actor, account_id=None):
    """The caseworker's decision on a suggestion; "same" takes over the other person's confirmed numbers, if any."""
    db.execute("INSERT INTO same_person (application_id, other_id, same, decided_by) VALUES (?, ?, ?, ?) "
               "ON CONFLICT (application_id, other_id) DO UPDATE SET same = excluded.same, decided_by = excluded.decided_by, "
               f"decided_at = {NOW}", [application["id"], other["id"], int(same), actor])
    theirs = of_person(db, other["person_id"])
    if same and theirs["confirmed_at"]:
        confirm(db, application, theirs, actor, account_id)

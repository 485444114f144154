"""The record of a submitted application: exactly what the applicant confirmed, frozen at submit.

Questions as shown in the applicant's language and in German, answers
(canonical and as shown), documents with their hashes, the fee and the
declaration. The case view, the status page, the API, the receipt and the
packet read this record, never the live tables or today's service files.
"""
import json

from flask_babel import force_locale, get_locale
from flask_babel import lazy_gettext as _l

from .. import files
from ..casework.status import DRAFT
from ..db import get_db
from ..definitions import ITEM, fees
from ..i18n import available_locales, digits, translate
from ..people import matching
from ..people.profile import APPLICANT_KEYS
from ..questions import LTR_TYPES, TYPES
from . import drafts

FORMAT = 1
DECLARATION = _l("I declare that my answers are true and complete. I know that false information can lead to the refusal "
                 "or withdrawal of a permit and may be a criminal offence (§ 95 AufenthG).")


def _texts(message, languages):
    """A text of the service (or of the product) in each of the given languages."""
    result = {}
    for lang in languages:
        with force_locale(lang):
            result[lang] = translate(message) if isinstance(message, str) else str(message)
    return result


def take(*, service, journey, documents, account_email, person_id, reference, submitted_at, payment=None, charged=None,
         representative=None):
    """The record of a submission, as plain JSON data; `charged` is the fee computed for it (computed here if not given).

    Its texts are kept in the language of the one who submitted, in German, and for a client of a representative in
    the client's language too."""
    language = str(get_locale())
    client = (representative or {}).get("client_language")   # a client's record also in the client's language
    both = list(dict.fromkeys([language, *([client] if client else []), "de"]))
    steps = []
    for step in journey.steps:
        for item in journey.items(step) if step.repeat else [None]:
            questions = []
            for q in journey.questions(step, item):
                answer = journey.answers.get(q.id)
                value = answer.value if answer else None
                shown = None
                if value is not None:
                    shown = {}
                    for lang in both:
                        with force_locale(lang):
                            shown[lang] = str(TYPES[q.type].display(value, q))
                questions.append({"id": q.id.rsplit(ITEM, 1)[0] if item else q.id, "type": q.type, "prefill": q.prefill,
                                  "ltr": q.type in LTR_TYPES or q.latin, "label": _texts(q.label, both),
                                  "value": value, "shown": shown})
            title = _texts(step.title, both)
            if item:  # "Family members who apply with you: Family member 2"
                title = {lang: f"{text}: {_texts(step.repeat['item'], [lang])[lang]} {digits(str(item), lang)}"
                         for lang, text in title.items()}
            steps.append({"id": step.id, "title": title, "questions": questions} | ({"item": item} if item else {}))
    wanted = {d["id"]: d for d in journey.documents()}
    files = [{"file_id": f["id"], "document_id": f["document_id"],
              "label": _texts(wanted[f["document_id"]]["label"], both) if f["document_id"] in wanted else None,
              "filename": f["filename"], "content_type": f["content_type"], "size": f["size"],
              "sha256": f["sha256"], "sha512": f["sha512"]} for f in documents]
    lines, amount = charged or fees.compute(service.fee, journey.values, journey.today, service.tables)
    fee = {"amount": str(amount), "currency": service.fee.get("currency", "EUR"), "payment": fees.payment_mode(service.fee),
           "lines": [{"label": _texts(line.label, both), "basis": line.basis, "amount": str(line.amount), "kind": line.kind}
                     for line in lines]}
    if service.fee.get("note"):
        fee["note"] = _texts(service.fee["note"], both)
    answers = {q["id"]: q["value"] for s in steps if "item" not in s for q in s["questions"] if q["value"] is not None}
    answers |= {step.id: journey.values.get(step.id, []) for step in journey.steps if step.repeat}
    applicant = {"person_id": person_id, "account_email": account_email} | {
        key: value for key, value in profile_values({"steps": steps}).items() if key in APPLICANT_KEYS}
    confirmed = matching.of_person(get_db(), person_id)
    if confirmed["confirmed_at"]:  # the office's numbers for this person win over typed ones
        applicant |= {k: confirmed[k] for k in matching.KEYS if confirmed[k]} | {"file_confirmed": True}
    return {
        "format": FORMAT, "reference": reference, "submitted_at": submitted_at, "language": language,
        "service": {"id": service.id, "version": service.version, "hash": service.hash, "leika": service.leika,
                    "title": _texts(service.title, available_locales())},
        "steps": steps, "answers": answers, "documents": files, "fee": fee, "payment": payment,
        "declaration": {"text": _texts(DECLARATION, both), "confirmed": True},
        "applicant": applicant, "representative": representative,
    }


def store(db, application_id, record):
    """Write the record inside the submit transaction; the database refuses to change it afterwards."""
    db.execute("INSERT INTO records (application_id, snapshot) VALUES (?, ?)",
               [application_id, json.dumps(record, ensure_ascii=False)])


def of(application_id, db=None):
    """The record of a submitted application, or None for a draft."""
    row = (db or get_db()).execute("SELECT snapshot FROM records WHERE application_id = ?", [application_id]).fetchone()
    return json.loads(row["snapshot"]) if row else None


def of_case(row):
    """The record of a submitted application; one submitted before records existed is frozen on first read."""
    record = of(row["id"])
    if record is not None or row["status"] == DRAFT:
        return record
    db = get_db()
    service = drafts.definition(row)
    email = db.execute("SELECT email FROM accounts WHERE id = ?", [row["account_id"]]).fetchone()
    with force_locale("de"):
        if service is not None:
            record = take(service=service, journey=drafts.journey(service, row["id"]), person_id=row["person_id"],
                          documents=[f for f in files.of_application(row["id"]) if not f["message_id"]],
                          account_email=email[0] if email else None, reference=row["reference"],
                          submitted_at=row["submitted_at"])
        else:
            record = _from_packet(db, row)
    record["reconstructed"] = True  # not drawn at submit: rebuilt from the data kept at the time
    db.execute("INSERT OR IGNORE INTO records (application_id, snapshot) VALUES (?, ?)",
               [row["id"], json.dumps(record, ensure_ascii=False)])
    return of(row["id"])


def _from_packet(db, row):
    """A record from the queued packet alone, for a case whose service file is gone."""
    packet = json.loads(db.execute("SELECT packet FROM outbox WHERE application_id = ? AND kind = 'submission'",
                                   [row["id"]]).fetchone()["packet"])
    questions = [{"id": k, "type": "text", "prefill": None, "ltr": False, "label": {"de": k}, "value": v,
                  "shown": {"de": v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)}}
                 for k, v in packet["data"]["answers"].items()]
    return {"format": FORMAT, "reference": row["reference"], "submitted_at": row["submitted_at"], "language": "de",
            "service": {**packet["service"], "hash": None, "title": {"de": packet["service"]["title"]}},
            "steps": [{"id": "answers", "title": {"de": "Angaben"}, "questions": questions}],
            "answers": packet["data"]["answers"],
            "documents": [{"file_id": None, "document_id": d.get("document_id"),
                           "label": {"de": d["label"]} if d.get("label") else None} | {k: d[k] for k in
                          ("filename", "content_type", "size", "sha256", "sha512")} for d in packet["documents"]],
            "fee": {}, "declaration": {"text": {}, "confirmed": True}, "applicant": packet["applicant"]}


def profile_values(record):
    """The answers of a record that a profile keeps (by prefill key), to offer them for the next application."""
    values = {}
    for step in record.get("steps", []):
        for q in step["questions"]:
            if q.get("prefill") and q["value"] is not None:
                values.setdefault(q["prefill"], q["value"])
    return values


def pick(texts, lang=None):
    """One text of a record in the wanted (default: current) language, else in German, the record's other language."""
    if texts is None:
        return None
    return texts.get(lang or str(get_locale())) or texts.get("de") or next(iter(texts.values()), "")


def applicant_name(record):
    """Given names and family name as answered."""
    a = record["applicant"]
    return " ".join(p for p in (a.get("given_names"), a.get("family_name")) if p)

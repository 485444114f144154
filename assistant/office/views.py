"""The back office: an inbox fed by the outbox, the case view, and the caseworker's actions."""
import csv
import io
import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import access, audit, files, payments
from ..applications import drafts, snapshot
from ..applications import uploads as checks
from ..casework import commands as casework
from ..casework.status import CASE_STATES, event_labels, labels, next_states
from ..db import get_db
from ..definitions import get_services
from ..i18n import OFFICE_TIMEZONE, office_today
from ..payments import store as payment_store
from ..people import matching
from ..representation import store as representation
from ..text import canonical
from ..identity import STAFF, login_manager

bp = Blueprint("office", __name__, url_prefix="/office")


@bp.before_request
def staff_only():
    """Every page of the back office is for caseworkers and admins only."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.role not in STAFF:
        abort(403)


def _admin_only():
    """Audit pages are for admins."""
    if current_user.role != "admin":
        abort(403)


@bp.get("/")
def inbox():
    """Submitted applications as the outbox holds them: filter by service and status, search reference or name."""
    service_id, status, query = request.args.get("service", ""), request.args.get("status", ""), request.args.get("q", "").strip()
    paid = request.args.get("payment", "")
    sql = [f"SELECT a.*, {PAYMENT_SUMMARY} AS payment, json_extract(r.snapshot, '$.applicant.family_name') AS family_name, "
           "json_extract(r.snapshot, '$.applicant.given_names') AS given_names, "
           "json_extract(r.snapshot, '$.service.title') AS titles, s.email AS assignee "
           "FROM records r JOIN applications a ON a.id = r.application_id LEFT JOIN accounts s ON s.id = a.assigned_to "
           "JOIN persons p ON p.id = a.person_id "
           "WHERE 1"]
    args = []
    if service_id:
        sql.append("AND a.service_id = ?")
        args.append(service_id)
    if status == "answered":
        sql.append("AND a.attention = 1")
    elif status:
        sql.append("AND a.status = ?")
        args.append(status)
    if paid in PAYMENT_FILTERS:
        sql.append(f"AND {PAYMENT_SUMMARY} IN ({', '.join('?' * len(PAYMENT_FILTERS[paid]))})")
        args += PAYMENT_FILTERS[paid]
    if query:
        compact = query.upper().replace(" ", "").replace("-", "")
        # Names in the applicant's own script and in the Latin letters of the passport ("حداد" and "HADDAD").
        sql.append("AND (replace(a.reference, '-', '') LIKE ? OR json_extract(r.snapshot, '$.applicant.family_name') LIKE ? "
                   "OR json_extract(r.snapshot, '$.applicant.given_names') LIKE ? "
                   "OR json_extract(r.snapshot, '$.applicant.name_in_passport') LIKE ? "
                   # the person's file number and AZR number, as confirmed or as the applicant gave them
                   "OR p.file_number = ? OR p.azr_number = ? OR json_extract(r.snapshot, '$.applicant.file_number') = ? "
                   "OR json_extract(r.snapshot, '$.applicant.azr_number') = ?)")
        file_number, azr = " ".join(query.upper().split()), compact.replace("/", "").replace(".", "")
        args += [f"%{compact}%", f"%{query}%", f"%{query}%", f"%{query}%", file_number, azr, file_number, azr]
    sql.append("ORDER BY a.attention DESC, a.submitted_at DESC LIMIT 200")
    rows = [dict(r) for r in get_db().execute(" ".join(sql), args)]
    for row in rows:
        row["title"] = snapshot.pick(json.loads(row.pop("titles")))
    feedback = [dict(r) for r in get_db().execute("SELECT * FROM feedback ORDER BY id DESC LIMIT 20")]
    return render_template("office/inbox.html", rows=rows, services=get_services(), statuses=CASE_STATES, feedback=feedback,
                           status_names=labels("staff"), payment_names=payment_labels(),
                           filters={"service": service_id, "status": status, "q": query, "payment": paid})


# The payment that speaks for a case, in one word (as payments.store.summary says it): paid, invoiced, pending, failed, none.
PAYMENT_SUMMARY = ("COALESCE((SELECT CASE WHEN p.state = 'PAYED' THEN 'paid' WHEN p.state != 'INITIAL' THEN 'failed' "
                   "WHEN p.provider = 'invoice' THEN 'invoiced' ELSE 'pending' END FROM payments p WHERE p.application_id = a.id "
                   "ORDER BY p.state = 'PAYED' DESC, p.id DESC LIMIT 1), 'none')")
PAYMENT_FILTERS = {"paid": ["paid"], "open": ["invoiced", "pending", "failed"], "pending": ["pending"],
                   "invoiced": ["invoiced"], "none": ["none"]}


def payment_labels():
    """The payment summaries in the office's words."""
    return {"paid": _("Paid"), "invoiced": _("Invoice open"), "pending": _("Online payment not confirmed"),
            "failed": _("Payment failed or cancelled"), "none": _("No fee")}


def _case(application_id):
    """A submitted case, or 404."""
    return access.handling(application_id)


def render_case(row, errors=None, status=200, typed=None):
    """The case view: the record in German, the person's file, documents, receipt, timeline, conversation and actions."""
    record = snapshot.of_case(row)
    return render_template(
        "office/case.html", case=row, record=record, person_file=matching.of_person(get_db(), row["person_id"]),
        suggestions=matching.suggestions(get_db(), row, record), typed=typed or {},
        receipt=next(iter(files.of_application(row["id"], "form")), None),
        events=[dict(e) | {"data": json.loads(e["data"])} for e in drafts.events(row["id"])],
        representative=representation.receiving(row, "messages"), decisions_to=representation.receiving(row, "decisions"),
        mandate_now=representation.mandate(record["representative"]["mandate"]["id"]) if record.get("representative") else None,
        in_two_weeks=(office_today() + timedelta(days=14)).isoformat(),
        messages=casework.messages(row["id"]), transitions=next_states(row["status"]),
        payments=payment_store.of_application(get_db(), row["id"]), payment_names=payment_labels(),
        payment_notes=[dict(e) | json.loads(e["data"]) for e in drafts.events(row["id"]) if e["kind"] == "payment_note"],
        status_names=labels("staff"), event_names=event_labels("staff"), errors=errors or [],
    ), status


@bp.get("/cases/<application_id>")
def case(application_id):
    """Open a case; every view is written to the audit log."""
    row = _case(application_id)
    audit.record(current_user.email, "view case", row, account_id=current_user.id)
    return render_case(row)


@bp.post("/cases/<application_id>/payment")
def payment(application_id):
    """Mark the fee as paid (an invoice was paid, or the platform never confirmed), or write a note (a refund made)."""
    row = _case(application_id)
    db = get_db()
    if request.form.get("action") == "note":
        text = canonical(request.form.get("note", ""), lines=True)
        if not text:
            return render_case(row, errors=[_("Write the note first.")], status=422)
        payments.note(db, row["id"], current_user.id, text)
        audit.record(current_user.email, "payment note", row, account_id=current_user.id)
        return _done(row, anchor="payment")
    current = payment_store.current(payment_store.of_application(db, row["id"]))
    if current is None or not payments.mark_paid(db, current, current_user.email, current_user.id):
        return render_case(row, errors=[_("There is no open payment on this case.")], status=422)
    audit.record(current_user.email, "payment paid", row, current["kassenzeichen"], account_id=current_user.id)
    return _done(row, anchor="payment")


@bp.post("/cases/<application_id>/person-file")
def person_file(application_id):
    """Confirm or correct the person's file number and AZR number; later applications of the person carry them."""
    row = _case(application_id)
    typed = {k: request.form.get(k, "") for k in matching.KEYS}
    try:
        numbers = matching.parse(typed["file_number"], typed["azr_number"])
    except matching.Invalid as wrong:
        return render_case(row, errors=[wrong.args[1]], status=422, typed=typed)
    if not any(numbers.values()):
        return render_case(row, errors=[_("Enter the file number or the AZR number.")], status=422, typed=typed)
    matching.confirm(get_db(), row, numbers, current_user.email, current_user.id)
    audit.record(current_user.email, "person file confirmed", row, " ".join(v for v in numbers.values() if v),
                 account_id=current_user.id)
    return _done(row, anchor="person-file")


@bp.post("/cases/<application_id>/same-person/<other_id>")
def same_person(application_id, other_id):
    """The caseworker's decision on an earlier case that may be the same person (nothing is merged without it)."""
    row = _case(application_id)
    other = next((s for s in matching.suggestions(get_db(), row, snapshot.of_case(row)) if s["id"] == other_id), None)
    if other is None or request.form.get("same") not in ("yes", "no"):
        abort(404)
    matching.decide(get_db(), row, other, request.form["same"] == "yes", current_user.email, current_user.id)
    audit.record(current_user.email, f"same person {request.form['same']}", row, other["reference"], account_id=current_user.id)
    return _done(row, anchor="person-file")


@bp.get("/organisations")
def organisations():
    """Organisations that act for clients; an admin approves each before it may submit."""
    _admin_only()
    return render_template("office/organisations.html", organisations=representation.organisations())


@bp.post("/organisations/<int:organisation_id>/verify")
def verify_organisation(organisation_id):
    """Approve an organisation (after checking who it is, for example its register entry or bar admission)."""
    _admin_only()
    representation.verify(organisation_id, current_user.email)
    audit.record(current_user.email, "organisation verified", None, str(organisation_id), account_id=current_user.id)
    return redirect(url_for("office.organisations"), code=303)


@bp.post("/cases/<application_id>/seen")
def seen(application_id):
    """The caseworker has read what the applicant sent: the case leaves the "answered" list (a POST: no link can do it)."""
    row = _case(application_id)
    casework.mark_seen(row)
    return _done(row, anchor="conversation")


@bp.get("/cases/<application_id>/files/<file_id>")
def file(application_id, file_id):
    """A document, receipt or office document of a case, viewable inside the case page."""
    row = _case(application_id)
    stored = files.get(application_id, file_id) or abort(404)
    audit.record(current_user.email, "open file", row, stored["filename"], account_id=current_user.id)
    response = files.send(stored)
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; frame-ancestors 'self'"
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


def _done(row, anchor="actions"):
    """Back to the case after an action."""
    return redirect(url_for("office.case", application_id=row["id"], _anchor=anchor), code=303)


def _act(application_id, action):
    """Run an office action on a case; a refused one re-renders the case with its message (422)."""
    row = _case(application_id)
    try:
        problems = action(row)
    except casework.NotAllowed:
        problems = [_("This is not possible in the case's current status.")]
    if problems:
        return render_case(row, errors=problems, status=422)
    return _done(row)


@bp.post("/cases/<application_id>/claim")
def claim(application_id):
    """Take a case."""
    return _act(application_id, lambda row: casework.claim(row, current_user.id))


@bp.post("/cases/<application_id>/status")
def status(application_id):
    """Change the status (only to a status the current one allows)."""
    def action(row):
        new = request.form.get("status", "")
        if new not in CASE_STATES:
            return [_("Choose a status.")]
        casework.change_status(row, new, current_user.id)
        audit.record(current_user.email, f"status {new}", row, account_id=current_user.id)
    return _act(application_id, action)


@bp.post("/cases/<application_id>/messages")
@checks.accepts_uploads(20)
def message(application_id):
    """Write to the applicant: a message, a request with a due date, an appointment, or the decision."""
    def action(row):
        kind = request.form.get("kind", "message")
        body = request.form.get("body", "").strip()[:20000]
        data, uploads, problems = {}, [], []
        if kind in ("request", "appointment") and request.form.get("personal") == "yes":
            data["personal"] = True   # the applicant in person: to them, with a copy to a representative
        if kind == "request":
            data["documents"] = [line.strip() for line in request.form.get("documents", "").splitlines() if line.strip()][:20]
            due = request.form.get("due_date", "")
            try:
                data["due_date"] = datetime.strptime(due, "%Y-%m-%d").date().isoformat()
            except ValueError:
                problems.append(_("Enter the date by which the applicant should answer."))
            if not body and not data["documents"]:
                problems.append(_("Write what you need, or list the documents."))
        elif kind == "appointment":
            try:
                local = datetime.strptime(f"{request.form.get('date', '')} {request.form.get('time', '')}", "%Y-%m-%d %H:%M")
                data["starts_at"] = local.replace(tzinfo=OFFICE_TIMEZONE).astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%S.000Z")
            except ValueError:
                problems.append(_("Enter the date and time of the appointment."))
            data["place"] = request.form.get("place", "").strip()[:300]
            data["bring"] = request.form.get("bring", "").strip()[:2000]
            if not data["place"]:
                problems.append(_("Enter where the appointment takes place."))
        elif kind == "decision":
            upload = request.files.get("file")
            try:
                content, content_type, name = checks.office_pdf(checks.read_upload(upload), upload.filename) if upload else (None, None, None)
            except checks.Refused:
                content_type = None
            if content_type != "application/pdf":
                problems.append(_("Attach the decision as a PDF file."))
            else:
                uploads.append((content, content_type, name))
        elif kind != "message" or not body:
            problems.append(_("Write a message."))
        if problems:
            return problems
        casework.post(row, sender="office", kind=kind, body=body, data=data, uploads=uploads, actor_id=current_user.id,
                      purpose="report")
        audit.record(current_user.email, f"send {kind}", row, account_id=current_user.id)
    return _act(application_id, action)


@bp.get("/audit")
def audit_log():
    """The audit log for admins."""
    _admin_only()
    return render_template("office/audit.html", entries=audit.entries(limit=500))


def inert(cell):
    """A cell a spreadsheet shows as text, never runs as a formula (OWASP's CSV injection advice: quote the lead)."""
    return f"'{cell}" if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


@bp.get("/audit.csv")
def audit_export():
    """The whole audit log as CSV."""
    _admin_only()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "created_at", "actor", "action", "reference", "details"])
    for e in reversed(audit.entries()):
        writer.writerow([e["id"], e["created_at"]] + [inert(e[k] or "") for k in ("actor", "action", "reference", "details")])
    audit.record(current_user.email, "export audit log", account_id=current_user.id)
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=audit-log.csv"})

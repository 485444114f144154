"""An organisation's pages: create it, its clients, their mandates; acting for a client happens under /clients/<id>/."""
import time

from flask import Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import force_locale, refresh
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, logout_user

from .. import access, audit, files
from ..applications import drafts, receipt, snapshot, submission, uploads as checks
from ..casework.status import DRAFT, labels
from ..db import get_db
from ..definitions import Question, get_services
from ..i18n import available_locales, normalize_digits, office_today
from ..journey.forms import build_form
from ..questions import dates
from ..text import canonical
from . import reviews, store

bp = Blueprint("representation", __name__)
KIND_LABELS = {"law_firm": _l("Law firm"), "welfare_association": _l("Welfare association"),
               "counselling_service": _l("Counselling service"), "employer": _l("Employer (human resources)")}
SCOPE_LABELS = {"submit": _l("Submit applications"), "messages": _l("Receive messages and requests"),
                "decisions": _l("Receive decisions"), "inspect": _l("Inspect the file"), "all": _l("All acts")}
ROLE_LABELS = {"admin": _l("Organisation admin"), "counselor": _l("Counselor or lawyer"), "assistant": _l("Assistant")}
MANDATE_LABELS = {"power_of_attorney": _l("Power of attorney (Vollmacht)"), "supporter": _l("Supporter (Beistand)")}
CLIENT = [Question(id="family_name", type="name", label=_l("Family name"), required=True),
          Question(id="given_names", type="name", label=_l("Given names"), required=True),
          Question(id="name_in_passport", type="name", latin=True, label=_l("Name in Latin letters, as in the passport")),
          Question(id="birth_date", type="date", partial=True, required=True, label=_l("Date of birth")),
          Question(id="email", type="email", label=_l("E-mail address of the client, if any")),
          Question(id="phone", type="phone", label=_l("Phone number of the client, if any"))]


@bp.before_app_request
def idle_members_log_out():
    """Members work on shared devices: after ASSISTANT_MEMBER_IDLE_MINUTES without a request they are logged out."""
    if not (current_user.is_authenticated and current_user.is_member):
        return None
    now = time.time()
    last = session.get("seen_at", now)
    session["seen_at"] = now
    if now - last > current_app.config["MEMBER_IDLE_MINUTES"] * 60:
        session.pop("seen_at")
        logout_user()
        flash(_("You were logged out because the page was not used for a while. Please log in again."))
        return redirect(url_for("accounts.login", next=request.full_path if request.method == "GET" else None))
    return None


def _member():
    """The current account's membership, or 403: these pages are for members of an organisation."""
    member = store.membership(current_user.id)
    if member is None:
        abort(403)
    return member


def _client(person_id):
    """A client of the member's organisation assigned to the member, or 404 (whoever else asks)."""
    member = _member()
    return member, store.client(person_id, member) or abort(404)


@bp.route("/organisations/new", methods=["GET", "POST"])
@login_required
def new_organisation():
    """Found an organisation; the office approves it before it can submit for clients."""
    errors = {}
    if request.method == "POST":
        name, address = canonical(request.form.get("name", "")).strip(), canonical(request.form.get("address", "")).strip()
        kind = request.form.get("kind")
        if not name:
            errors["name"] = _("Enter the name of the organisation.")
        if kind not in store.KINDS:
            errors["kind"] = _("Choose what kind of organisation it is.")
        if not errors:
            try:
                store.create_organisation(current_user.id, name[:200], kind, address[:400])
            except store.NotAllowed:
                errors["name"] = _("This account has applications of its own or is a member already: "
                                   "use another account for the organisation.")
            else:
                flash(_("Your organisation is registered. The office checks it; until then you can prepare "
                        "applications for clients, but not send them."))
                return redirect(url_for("representation.clients"))
    return render_template("representation/new_organisation.html", kinds=KIND_LABELS, errors=errors,
                           typed=request.form), 422 if errors else 200


@bp.get("/clients")
@login_required
def clients():
    """The member's clients with their applications."""
    member = _member()
    query = canonical(request.args.get("q", "")).strip()[:100]
    service_id, status = request.args.get("service", ""), request.args.get("status", "")
    found = store.clients(member, query)
    if service_id or status:   # only clients with an application of this service and status, and only those
        for each in found:
            each["applications"] = [a for a in each["applications"] if (not service_id or a["service_id"] == service_id)
                                    and (not status or a["status"] == status)]
        found = [each for each in found if each["applications"]]
    return render_template("representation/clients.html", member=member, clients=found, query=query,
                           services=get_services(), statuses=labels("applicant"),
                           filters={"service": service_id, "status": status})


@bp.route("/clients/new", methods=["GET", "POST"])
@login_required
def new_client():
    """A client the organisation acts for; its own data only ever fills its own applications."""
    member = _member()
    form = build_form(CLIENT, request.form if request.method == "POST" else None, {}, {q.id: q.label for q in CLIENT})
    language = request.form.get("language", "de")
    if request.method == "POST" and form.validate() and language in available_locales():
        profile = {q.id: form[q.id].canonical for q in CLIENT if form[q.id].canonical is not None}
        person_id = store.create_client(member, profile, language)
        return redirect(url_for("representation.client", person_id=person_id), code=303)
    return render_template("representation/new_client.html", form=form, questions=CLIENT, language=language), \
        422 if request.method == "POST" else 200


@bp.get("/clients/<int:person_id>")
@login_required
def client(person_id):
    """A client: mandates, applications, and the services one may start for the client."""
    member, person = _client(person_id)
    applications = [dict(r) for r in get_db().execute(
        "SELECT * FROM applications WHERE person_id = ? ORDER BY updated_at DESC", [person_id])]
    return render_template("representation/client.html", member=member, client=person, mandates=store.mandates(person_id),
                           applications=applications, services=get_services(), scopes=SCOPE_LABELS,
                           mandate_kinds=MANDATE_LABELS, today=office_today().isoformat())


def _day(value):
    """A date field's value as an ISO date, read as a date question reads one (a browser without a date picker sends
    what was typed: 2026-01-01, 01.01.2026, in any digits); None when empty, False when it is no whole date."""
    if not (value or "").strip():
        return None
    try:
        return dates.parse(normalize_digits(value))
    except dates.DateError:
        return False


@bp.post("/clients/<int:person_id>/mandates")
@login_required
@checks.accepts_uploads(1)
def add_mandate(person_id):
    """Record a mandate the client signed, with the signed document."""
    member, person = _client(person_id)
    kind, scope = request.form.get("kind"), request.form.getlist("scope")
    services = request.form.getlist("services") or None
    valid_from, valid_until = _day(request.form.get("valid_from")), _day(request.form.get("valid_until"))
    valid_from = office_today().isoformat() if valid_from is None else valid_from
    if False in (valid_from, valid_until):   # a date in a text box (no date picker) that is no date
        flash(_("This date does not exist. Check the day, month and year."))
        return redirect(url_for("representation.client", person_id=person_id), code=303)
    document = None
    try:
        uploads = checks.uploaded_files()
        if uploads:
            content, content_type, name = checks.prepare(checks.read_upload(uploads[0]), uploads[0].filename)
            document = files.write(content) | {"filename": name}
    except checks.Refused as refused:
        flash(checks.refusal_message(refused))
        return redirect(url_for("representation.client", person_id=person_id), code=303)
    if kind not in store.MANDATE_KINDS or not scope or not set(scope) <= set(SCOPE_LABELS) or \
            (services and not set(services) <= set(get_services())):
        flash(_("Choose the kind of mandate and what it covers."))
        return redirect(url_for("representation.client", person_id=person_id), code=303)
    store.add_mandate(member, person_id, kind, scope, services, valid_from, valid_until, document)
    return redirect(url_for("representation.client", person_id=person_id, _anchor="mandates"), code=303)


@bp.post("/clients/<int:person_id>/mandates/<int:mandate_id>/revoke")
@login_required
def revoke_mandate(person_id, mandate_id):
    """End a mandate at once (the client withdrew it)."""
    _member_row, _person = _client(person_id)
    store.revoke(mandate_id, person_id, current_user.email)
    return redirect(url_for("representation.client", person_id=person_id, _anchor="mandates"), code=303)



@bp.post("/clients/<int:person_id>/link")
@login_required
def link_account(person_id):
    """Link the client to the applicant account that gave this one-time code."""
    member, _person = _client(person_id)
    if not store.link(person_id, member, request.form.get("code", "")):
        flash(_("This code is not valid. Ask the client for a new one."))
    return redirect(url_for("representation.client", person_id=person_id), code=303)


@bp.route("/representatives", methods=["GET", "POST"])
@login_required
def representatives():
    """For an applicant: who acts for them under which mandate; a code to give a representative; revoking; a code
    to join an organisation as a member. A member is never anyone's client."""
    if current_user.is_member:
        abort(403)
    if request.method == "POST" and request.form.get("action") in ("code", "join"):
        code = store.new_link_code(current_user.id, "client" if request.form["action"] == "code" else "member")
        flash(_("Your code: %(code)s. Give it to your representative. It works once, for 24 hours.", code=code)
              if request.form["action"] == "code" else
              _("Your code: %(code)s. Give it to the admin of the organisation. It works once, for 24 hours.", code=code))
        return redirect(url_for("representation.representatives"), code=303)
    if request.method == "POST":
        mandate = next((m for m in store.representatives_of(current_user.id)
                        if m["id"] == request.form.get("mandate_id", type=int)), None) or abort(404)
        store.revoke(mandate["id"], mandate["person_id"], current_user.email)
        return redirect(url_for("representation.representatives"), code=303)
    return render_template("representation/representatives.html", mandates=store.representatives_of(current_user.id),
                           scopes=SCOPE_LABELS, mandate_kinds=MANDATE_LABELS)


@bp.post("/applications/<application_id>/take-over")
@login_required
def take_over(application_id):
    """The client takes an application its representative prepared or filed into its own account."""
    if not store.hand_over(application_id, current_user.id):
        abort(404)
    flash(_("The application is now in your account. Your representative can still act in it while their mandate "
            "covers it."))
    return redirect(url_for("applications.show", application_id=application_id), code=303)


@bp.post("/clients/<int:person_id>/applications/<application_id>/review")
@login_required
def ask_review(person_id, application_id):
    """Ask the client to review the finished draft: a single-use link (72 hours) to give to the client."""
    g.client_id = person_id
    row = access.acting(application_id)
    service = drafts.definition(row) or abort(404)
    if row["status"] != DRAFT or drafts.journey(service, application_id).first_unfinished() is not None:
        abort(409)
    member = store.membership(current_user.id)
    client_row = store.client(person_id, member) or abort(404)
    token = reviews.ask(application_id, submission.state(get_db(), application_id), client_row["profile"].get("language", "de"),
                        member["id"])
    flash(_("Give the client this link; it works once, for 72 hours: %(link)s",
            link=url_for("representation.review", token=token, _external=True)))
    return redirect(url_for("applications.check", application_id=application_id), code=303)


@bp.route("/review/<token>", methods=["GET", "POST"])
def review(token):
    """The client reviews what a representative will send for them: in their language, German beside it; no account."""
    found = reviews.open_review(token) or abort(404)
    row = access.load(found["application_id"]) or abort(404)
    service = drafts.definition(row) or abort(404)
    if row["status"] != DRAFT or found["state"] != submission.state(get_db(), row["id"]):
        abort(404)                                    # sent meanwhile, or changed since the link was made
    if request.method == "POST" and request.form.get("decision") in ("confirmed", "changes"):
        reviews.answer(found["id"], request.form["decision"], canonical(request.form.get("comment", ""), lines=True)[:2000])
        return render_template("representation/review_done.html", decision=request.form["decision"])
    g.page_locale = found["language"]
    refresh()
    journey = drafts.journey(service, row["id"])
    rows = submission.rows_by_step(journey)
    with force_locale("de"):
        german_rows = submission.rows_by_step(journey)
    entries = [(entry, list(zip(entry["rows"], de["rows"]))) for entry, de in zip(rows, german_rows)]
    return render_template("representation/review.html", service=service, entries=entries)


@bp.get("/clients/<int:person_id>/applications/<application_id>/summary.pdf")
@login_required
def summary(person_id, application_id):
    """One page for the client: what was filed on their behalf and under which mandate, in their language and German."""
    g.client_id = person_id
    row = access.acting(application_id)
    if row["status"] == DRAFT:
        abort(404)
    with force_locale(g.acting_for["profile"].get("language", "de")):
        pdf = receipt.pdf("pdf/summary.html", record=snapshot.of_case(row), client=g.acting_for, scopes=SCOPE_LABELS,
                          mandate_kinds=MANDATE_LABELS,
                          letters_to_representative=store.receiving(row, "messages") is not None)
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f"attachment; filename=summary-{row['reference']}.pdf"})


def _admin():
    """The current account's membership as an organisation admin, or 403."""
    member = _member()
    if member["role"] != "admin":
        abort(403)
    return member


@bp.get("/organisation")
@login_required
def organisation():
    """For the organisation's admin: its members, and which clients each one is assigned."""
    member = _admin()
    return render_template("representation/organisation.html", member=member, roles=ROLE_LABELS,
                           members=store.members(member["organisation_id"]),
                           clients=store.all_clients(member["organisation_id"]))


@bp.post("/organisation/review")
@login_required
def review_setting():
    """Whether every application needs the client's confirmation before it is sent (the organisation decides)."""
    member = _admin()
    store.require_review(member["organisation_id"], request.form.get("required") == "yes")
    return redirect(url_for("representation.organisation"), code=303)


@bp.post("/organisation/members")
@login_required
def add_member():
    """The account that made this joining code becomes a member (it must have no applications of its own)."""
    member = _admin()
    try:
        store.add_member(member["organisation_id"], request.form.get("code", ""), request.form.get("role"))
    except store.NotAllowed:
        flash(_("This code is not valid, or its account has applications of its own or is a member already."))
    return redirect(url_for("representation.organisation"), code=303)


@bp.post("/organisation/members/<int:member_id>/leave")
@login_required
def member_leaves(member_id):
    """A member leaves: their access ends at once; the organisation's mandates stay."""
    member = _admin()
    if member_id != member["id"] and any(m["id"] == member_id for m in store.members(member["organisation_id"])):
        store.leave(member_id)
        audit.record(current_user.email, "member left", None, str(member_id), account_id=current_user.id)
    return redirect(url_for("representation.organisation"), code=303)


@bp.post("/organisation/clients/<int:person_id>/assign")
@login_required
def assign(person_id):
    """Give a client to a member; an admin who assigns themselves writes why (it is logged: "break glass")."""
    member = _admin()
    target = request.form.get("member_id", type=int)
    reason = canonical(request.form.get("reason", "")).strip()
    if target == member["id"] and not reason:
        flash(_("Write why you open this client yourself."))
        return redirect(url_for("representation.organisation"), code=303)
    if not any(c["id"] == person_id for c in store.all_clients(member["organisation_id"])) or \
            not any(m["id"] == target for m in store.members(member["organisation_id"])):
        abort(404)
    store.assign(person_id, target)
    audit.record(current_user.email, "client assigned", None, f"client {person_id} to member {target}: {reason}"[:500],
                 account_id=current_user.id)
    return redirect(url_for("representation.organisation"), code=303)

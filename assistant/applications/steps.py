"""The applicant's steps: start a service, answer step by step, live field checks, check your answers, submit."""
import json

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from htmx_flask import request as htmx_request

from .. import access, files, mail, payments
from ..casework.commands import recipient
from ..casework.status import DRAFT
from ..db import get_db
from ..definitions import ITEM, get_services
from ..i18n import available_locales, office_today, remember_alongside, remember_language, tr
from ..journey import Answer, fingerprint
from ..journey.flow import items_key
from ..people import matching
from ..people.persons import own_person
from ..representation import reviews, store as representation
from . import drafts, payment, submission
from .snapshot import DECLARATION
from .web import bp


def _service(service_id):
    """A service of today's files, or 404."""
    service = get_services().get(service_id)
    if service is None:
        abort(404)
    return service


def own_draft(application_id):
    """The current account's draft with the definition it was started on and its journey; 404 for anyone else.

    A page of a draft that was submitted meanwhile (an old link, Back, a second tab) leads to its status page.
    """
    row = access.acting(application_id)
    if row["status"] != DRAFT:
        raise drafts.NotADraft(application_id)
    service = drafts.definition(row) or abort(404)
    return row, service, drafts.journey(service, application_id)


def _step(journey, step_id):
    """The step with this id in the journey's service, or 404."""
    step = journey.service.step(step_id)
    if step is None:
        abort(404)
    return step


@bp.post("/services/<service_id>/start")
def start(service_id):
    """Open a new draft of a service, prefilled from the profile, at its first step."""
    service = _service(service_id)
    if not current_user.is_authenticated:  # after logging in, come back to the service's start page
        return redirect(url_for("accounts.login", next=url_for("catalogue.service", service_id=service_id)))
    person = access.client_to_start(service.id) if g.get("client_id") else own_person()
    profile = matching.prefill(get_db(), person["id"], json.loads(person["profile"]))   # that person's own data only
    draft_id = drafts.create(service, current_user.id, person["id"], profile)
    return redirect(url_for("applications.step", application_id=draft_id, step_id=service.steps[0].id))


def _posted_changes(journey, step, form, item=None):
    """Answers the user changed in this POST: present in the form and different from what the page showed."""
    try:
        seen = dict(pair.split(":", 1) for pair in request.form.get("_seen", "").split(",") if ":" in pair)
    except ValueError:
        seen = {}
    changes = {}
    for q in journey.questions(step, item):
        raw = form[q.id].data
        if raw is None:  # not sent at all (no radio chosen, or a truncated POST): keep what is stored
            continue
        if fingerprint(raw) != seen.get(q.id):
            changes[q.id] = raw
    return changes


def render_step(app_row, journey, step, form, status=200, notice=None, seen=None, item=None):
    """The step page (or an item's page of a repeat step); `seen` records what each field showed, so the next POST
    writes only real changes."""
    questions = journey.questions(step, item)
    if seen is None:
        seen = ",".join(f"{q.id}:{fingerprint(form[q.id].data)}" for q in questions)
    number, total = journey.position(step)
    previous = journey.neighbour(step, -1)
    return render_template(
        "applications/step.html", application=app_row, service=journey.service, journey=journey, step=step,
        questions=questions, form=form, seen=seen, number=number, total=total, previous=previous, item=item,
        notices=[] if item else journey.notices(step), tables=journey.table_values(),
        change=request.args.get("change") == "1", notice=notice, switch_form="step-form",
    ), status


def _store_posted(application_id, journey, step, item=None):
    """Store every answer this POST changed (valid or not, so nothing typed is lost); the form checked as a whole."""
    posted = journey.form(step, formdata=request.form, item=item)
    changes = _posted_changes(journey, step, posted, item)
    raws = {k: a.raw for k, a in journey.answers.items()} | changes
    form = journey.form(step, raws=raws, item=item)
    valid = form.validate()
    stored = journey.answers
    to_save = {}
    for q in journey.questions(step, item):
        raw = raws.get(q.id)
        if raw is None:
            continue
        value = form[q.id].canonical if not form[q.id].errors else None
        old = stored.get(q.id)
        prefilled = bool(old and old.prefilled and q.id not in changes)
        if old is None or old.raw != raw or old.value != value:
            to_save[q.id] = Answer(raw, value, prefilled)
    drafts.save(application_id, to_save)
    return form, valid


def _switched(application_id, endpoint, **args):
    """A language switch without JavaScript: the answers are saved, the same page opens again; else None."""
    if not (request.form.get("lang") or request.form.get("alongside")):
        return None
    response = redirect(url_for(endpoint, application_id=application_id, **args, **request.args))
    if request.form.get("lang") in available_locales():
        remember_language(response, request.form["lang"])
    if request.form.get("alongside"):
        remember_alongside(response, request.form["alongside"] == "on")
    return response


@bp.route("/applications/<application_id>/steps/<step_id>", methods=["GET", "POST"])
@login_required
def step(application_id, step_id):
    """Show a step; on POST store every changed answer, then go on only when the step is valid."""
    app_row, service, journey = own_draft(application_id)
    step = _step(journey, step_id)
    if not journey.may_visit(step):
        return redirect(url_for("applications.show", application_id=application_id))
    if request.method == "GET":
        if step.stop or step.repeat:
            return render_special(app_row, journey, step)
        return render_step(app_row, journey, step, journey.form(step))

    if step.stop:
        return redirect(url_for("applications.step", application_id=application_id, step_id=step.id), code=303)
    if step.repeat:
        return _repeat_post(app_row, service, journey, step)
    return _posted(app_row, journey, step) or _go_on(application_id, service, step)


def _posted(app_row, journey, step, item=None):
    """Store a step's (or an item's) POST; the answer when it does not go on: a language switch, a pause, or the
    page again with its problems. None when the answers are valid and the applicant goes on."""
    form, valid = _store_posted(app_row["id"], journey, step, item)
    args = {"step_id": step.id} | ({"number": item} if item else {})
    switched = _switched(app_row["id"], "applications.item" if item else "applications.step", **args)
    if switched:
        return switched
    if request.form.get("action") == "pause":
        return _paused()
    if not valid:
        return render_step(app_row, journey, step, form, status=422, item=item)
    return None


def _paused():
    """Save and finish later: back to the dashboard, saying that nothing is lost."""
    flash(_("Your answers are saved. You can continue at any time."))
    return redirect(url_for("applications.dashboard"))


def _go_on(application_id, service, step):
    """After a valid step: the next step, or back to check answers when changing, or the documents."""
    drafts.confirm_step(application_id, step.id)
    journey = drafts.journey(service, application_id)
    following = journey.first_unfinished() if request.args.get("change") == "1" else journey.neighbour(step, +1)
    if following is None:
        if journey.documents() and request.args.get("change") != "1":
            return redirect(url_for("applications.documents", application_id=application_id))
        return redirect(url_for("applications.check", application_id=application_id))
    extra = {"change": "1"} if request.args.get("change") == "1" else {}
    return redirect(url_for("applications.step", application_id=application_id, step_id=following.id, **extra))


def render_special(app_row, journey, step, status=200, errors=None):
    """A stop page (why, and where to go instead) or a repeat step's list of items with add, change and remove."""
    number, _total = journey.position(step)
    other = get_services().get(step.stop.get("service")) if step.stop else None
    items = [(n, journey.item_name(step, n), not journey.form(step, item=n).validate()) for n in journey.items(step)]
    return render_template(
        "applications/stop.html" if step.stop else "applications/repeat.html", application=app_row, service=journey.service,
        journey=journey, step=step, number=number, previous=journey.neighbour(step, -1), other=other, items=items,
        errors=errors or [], change=request.args.get("change") == "1", switch_form=None), status


def _repeat_post(app_row, service, journey, step):
    """The list of a repeat step: add an item, or go on when there are enough items and each is complete."""
    application_id = app_row["id"]
    items = journey.items(step)
    if request.form.get("action") == "add":
        if len(items) >= step.repeat.get("max", 30):
            return render_special(app_row, journey, step, 422, [("#items", _("You cannot add more."))])
        number = max(items, default=0) + 1
        drafts.save(application_id, {items_key(step): Answer(items + [number], items + [number])})
        return redirect(url_for("applications.item", application_id=application_id, step_id=step.id, number=number), code=303)
    if request.form.get("action") == "pause":
        return _paused()
    errors = []  # (where to fix it, what is wrong), as the error summary links them
    if len(items) < step.repeat.get("min", 0):
        errors.append(("#add", _("Add at least %(number)s.", number=step.repeat["min"])))
    for n in items:
        if not journey.form(step, item=n).validate():
            errors.append((url_for("applications.item", application_id=application_id, step_id=step.id, number=n),
                           _("%(item)s %(number)s is not complete: change it.", item=tr(step.repeat["item"]), number=n)))
    if errors:
        return render_special(app_row, journey, step, 422, errors)
    if items_key(step) not in journey.answers:  # none at all is an answer, too
        drafts.save(application_id, {items_key(step): Answer([], [])})
    return _go_on(application_id, service, step)


@bp.route("/applications/<application_id>/steps/<step_id>/items/<int:number>", methods=["GET", "POST"])
@login_required
def item(application_id, step_id, number):
    """One item of a repeat step (one family member): its questions on one page, then back to the list."""
    app_row, service, journey = own_draft(application_id)
    step = _step(journey, step_id)
    if not step.repeat or number not in journey.items(step):
        abort(404)
    if not journey.may_visit(step):
        return redirect(url_for("applications.show", application_id=application_id))
    if request.method == "GET":
        return render_step(app_row, journey, step, journey.form(step, item=number), item=number)
    answer = _posted(app_row, journey, step, number)
    if answer is not None:
        return answer
    extra = {"change": "1"} if request.args.get("change") == "1" else {}
    return redirect(url_for("applications.step", application_id=application_id, step_id=step.id, **extra), code=303)


@bp.post("/applications/<application_id>/steps/<step_id>/items/<int:number>/remove")
@login_required
def remove_item(application_id, step_id, number):
    """Remove one item of a repeat step with its answers and its per-item documents."""
    app_row, service, journey = own_draft(application_id)
    step = _step(journey, step_id)
    items = journey.items(step)
    if not step.repeat or number not in items:
        abort(404)
    left = [n for n in items if n != number]
    for name in drafts.remove_item(application_id, items_key(step), left, [q.id for q in step.item_questions(number)],
                                   f"{ITEM}{number}"):
        files.remove(name)
    flash(_("%(item)s %(number)s was removed.", item=tr(step.repeat["item"]), number=number))
    return redirect(url_for("applications.step", application_id=application_id, step_id=step.id), code=303)


@bp.post("/applications/<application_id>/steps/<step_id>/fields/<question_id>")
@login_required
def check_field(application_id, step_id, question_id):
    """Live check of one field (htmx): store what was typed and answer the field's partial with its message."""
    app_row, service, journey = own_draft(application_id)
    step = _step(journey, step_id)
    item = _item_of(step, journey, question_id)
    questions = {q.id: q for q in journey.questions(step, item)}
    if question_id not in questions:
        abort(404)
    form = journey.form(step, formdata=request.form, live=True, item=item)
    field = form[question_id]
    if field.data is not None:
        field.validate(form)
        old = journey.answers.get(question_id)
        value = field.canonical if not field.errors else None
        if old is None or old.raw != field.data or old.value != value:
            drafts.save(application_id, {question_id: Answer(field.data, value, False)})
            journey.answers[question_id] = Answer(field.data, value, False)
    if not htmx_request.htmx:
        return redirect(url_for("applications.step", application_id=application_id, step_id=step_id))
    return render_template("applications/_field_check.html", q=questions[question_id], form=form, field=field,
                           application=app_row, step=step, journey=journey)


def _item_of(step, journey, question_id):
    """The item a field of a repeat step belongs to (`member_birth_date__2`: 2), or None; 404 for an item that is not."""
    if not step.repeat:
        return None
    number = question_id.rsplit(ITEM, 1)[-1]
    if not number.isdigit() or int(number) not in journey.items(step):
        abort(404)
    return int(number)


@bp.get("/applications/<application_id>/check")
@login_required
def check(application_id):
    """Check your answers: every answer by step with a change link, the documents, the fee and the declaration."""
    app_row, service, journey = own_draft(application_id)
    first = journey.first_unfinished()
    if first is not None:
        return redirect(url_for("applications.step", application_id=application_id, step_id=first.id))
    return render_check(app_row, service, journey)


def render_check(app_row, service, journey, errors=None, status=200):
    """The check-your-answers page, with the problems that stop submission."""
    documents = files.of_application(app_row["id"])
    charge = payment.charge_of(service, journey)
    _row, summary = payment.state_of(app_row["id"])
    review = reviews.latest(app_row["id"]) if g.get("client_id") else None
    return render_template("applications/check.html", application=app_row, service=service, journey=journey, review=review,
                           charge=charge, pay_first=not payment.may_submit(charge, summary), pay_online=payments.online() is not None,
                           rows=submission.rows_by_step(journey), documents=documents, declaration=DECLARATION,
                           missing=journey.missing_documents(documents), errors=errors or []), status


@bp.post("/applications/<application_id>/submit")
@login_required
def submit(application_id):
    """Re-check everything on the server and submit once, however often the button is pressed."""
    app_row = access.acting(application_id)
    if app_row["status"] != DRAFT:
        return redirect(url_for("applications.show", application_id=application_id, submitted=1), code=303)
    _row, service, journey = own_draft(application_id)
    if not payment.may_submit(payment.charge_of(service, journey), payment.state_of(application_id)[1]):
        return redirect(url_for("applications.pay", application_id=application_id), code=303)  # pay first, or choose how
    representative = None
    if g.get("client_id"):   # a representative acts for a client: who, under which mandate
        member, mandate = representation.may_act(current_user.id, app_row["person_id"], app_row["person_organisation_id"],
                                                 "submit", app_row["service_id"], office_today().isoformat())
        if not member["verified_at"]:
            return render_check(app_row, service, journey, errors=[("#declaration", _(
                "The office has not yet approved your organisation: you can prepare applications, but not send them."))],
                status=403)
        representative = representation.record_of(member, mandate, current_user.email,
                                                   g.acting_for["profile"].get("language", "de"))
        review = reviews.confirmed(application_id, submission.state(get_db(), application_id))
        if (member["review_required"] or reviews.latest(application_id)) and review is None:
            return render_check(app_row, service, journey, errors=[("#review", _(
                "The client has not yet confirmed these answers. Ask the client to review them."))], status=409)
        if review:
            representative["review"] = {"confirmed_at": review["answered_at"], "language": review["language"]}
    declared = request.form.get("declaration") == "yes"
    try:
        if not declared:  # say at once everything else that is missing, too
            raise submission.Incomplete(*submission.problems(journey, files.of_application(application_id)))
        submission.submit(app_row, service, current_user.email, representative)  # checks again, inside, against what it submits
    except submission.AlreadySubmitted:
        pass
    except submission.Incomplete as incomplete:
        first, missing = incomplete.args
        if first is not None:
            return redirect(url_for("applications.step", application_id=application_id, step_id=first.id), code=303)
        errors = [(url_for("applications.documents", application_id=application_id), _("Upload the documents marked as missing."))
                  ] if missing else []
        if not declared:
            errors.append(("#declaration", _("Confirm that your answers are true and complete.")))
        return render_check(app_row, service, drafts.journey(service, application_id), errors=errors, status=422)
    else:  # the confirmation goes where news of the application go (the representative's, under a mandate for them)
        email, locale, path, _representative = recipient(app_row)
        if email:
            mail.confirm_submission(email, locale, path)
    return redirect(url_for("applications.show", application_id=application_id, submitted=1), code=303)


def replay_step(application_id, step_id):
    """A step POST whose security token had expired: nothing is saved, but every typed answer is shown again."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    app_row, service, journey = own_draft(application_id)
    step = _step(journey, step_id)
    if not journey.may_visit(step):
        return redirect(url_for("applications.show", application_id=application_id))
    form = journey.form(step, formdata=request.form)
    notice = _("For your security this page had expired, so nothing was saved yet. Your answers are still here: check them and send the page again.")
    return render_step(app_row, journey, step, form, status=400, notice=notice, seen=request.form.get("_seen", ""))

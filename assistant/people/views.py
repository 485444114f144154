"""The profile page: recurring data that new applications are prefilled from."""
import json

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..db import get_db
from ..definitions import Question
from ..journey.forms import build_form, formdata_for
from ..questions import TYPES
from .persons import own_person
from .profile import PROFILE as PROFILE_ENTRIES

bp = Blueprint("people", __name__)
PROFILE = [Question(**entry) for entry in PROFILE_ENTRIES]
PROFILE_LABELS = {q.id: q.label for q in PROFILE}


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    """Recurring data that new applications are prefilled from; checked like any answer (a member of an organisation
    has no profile of its own: its clients have theirs)."""
    if current_user.is_member:
        return redirect(url_for("representation.clients"))
    person = own_person()
    stored = json.loads(person["profile"])
    if request.method == "POST":
        form = build_form(PROFILE, request.form, {}, PROFILE_LABELS)
        if form.validate():
            values = dict(stored)  # a field the POST does not contain keeps its value; one sent empty is cleared
            for q in PROFILE:
                if form[q.id].data is not None:
                    values.pop(q.id, None)
                    if form[q.id].canonical is not None:
                        values[q.id] = form[q.id].canonical
            get_db().execute(
                "UPDATE persons SET profile = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?",
                [json.dumps(values, ensure_ascii=False), person["id"]])
            flash(_("Your profile is saved."))
            return redirect(url_for("people.profile"))
        return render_template("people/profile.html", form=form, questions=PROFILE), 422
    raws = {k: TYPES[q.type].to_raw(stored[k]) for q in PROFILE for k in [q.id] if stored.get(k) is not None}
    form = build_form(PROFILE, formdata_for(PROFILE, raws), {}, PROFILE_LABELS)
    return render_template("people/profile.html", form=form, questions=PROFILE)

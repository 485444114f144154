"""Pages BITV 2.0 asks for: the accessibility statement with a feedback form, and an explanation in Leichte Sprache."""
from pathlib import Path

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from wtforms.validators import ValidationError

from .. import mail
from ..identity import limits
from ..db import get_db
from ..questions.contact import valid_email

bp = Blueprint("pages", __name__)


def _statement():
    """The municipality's own statement (a text file, paragraphs separated by blank lines), or None for the default."""
    path = current_app.config["ACCESSIBILITY_STATEMENT"]
    if not path:
        return None
    return [p.strip() for p in Path(path).read_text(encoding="utf-8").split("\n\n") if p.strip()]


@bp.route("/accessibility", methods=["GET", "POST"])
@limits.FEEDBACK_FORM
def accessibility():
    """The accessibility statement (Erklärung zur Barrierefreiheit) and the feedback form that reaches the office."""
    errors, values = {}, {}
    if request.method == "POST":
        values = {k: request.form.get(k, "").strip()[:limit] for k, limit in
                  (("name", 200), ("email", 254), ("page", 500), ("message", 5000))}
        if not values["message"]:
            errors["message"] = _("Describe the barrier you found.")
        if values["email"]:
            try:
                values["email"] = valid_email(request.form.get("email"))  # whole, not cut to 254 into another address
            except ValidationError as exc:
                errors["email"] = str(exc)
        if not errors:
            get_db().execute("INSERT INTO feedback (name, email, page, message, locale) VALUES (?, ?, ?, ?, ?)",
                             [values["name"], values["email"], values["page"], values["message"], request.accept_languages.best])
            mail.send_quietly(current_app.config["OFFICE_EMAIL"], "Rückmeldung zur Barrierefreiheit",
                      "Eine neue Rückmeldung zur Barrierefreiheit ist eingegangen. Sie steht im Posteingang:\n"
                      + mail.link(url_for("office.inbox")))
            flash(_("Thank you. Your message has reached the office. If you gave an e-mail address, we will answer you."))
            return redirect(url_for("pages.accessibility"), code=303)
    return render_template("pages/accessibility.html", statement=_statement(), errors=errors, values=values), 422 if errors else 200


@bp.get("/leichte-sprache")
def easy_german():
    """The start page explained in Leichte Sprache (easy-to-read German, so this page is German in every language)."""
    return render_template("pages/leichte_sprache.html")

"""Accounts and the profile: register, log in, log out, keep recurring data for prefill."""
import hashlib
import json
import secrets
from urllib.parse import urlsplit

import click

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, get_locale, gettext as _, lazy_gettext as _l
from flask.cli import AppGroup
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

from . import mail
from .db import get_db
from .engine import build_form, formdata_for
from .questions import TYPES
from .services import Question

bp = Blueprint("accounts", __name__)
login_manager = LoginManager()
login_manager.login_view = "accounts.login"
login_manager.login_message = _l("Please log in to continue.")


def N_(text):
    """Mark a text for translation without translating it yet (profile labels are translated when shown)."""
    return text


PROFILE = [
    Question("family_name", "name", N_("Family name"), N_("As written in your passport."), autocomplete="family-name"),
    Question("given_names", "name", N_("Given names"), N_("As written in your passport."), autocomplete="given-name"),
    Question("birth_name", "name", N_("Birth name"), N_("Only if it differs from your family name."), autocomplete="off"),
    Question("birth_date", "date", N_("Date of birth"), N_("For example 27.03.1985. If you do not know the day, enter only month.year."),
             partial=True, autocomplete="bday", checks=[{"before": "today"}, {"max_years_ago": 120}]),
    Question("birth_place", "text", N_("Place of birth")),
    Question("birth_country", "country", N_("Country of birth")),
    Question("nationality", "nationality", N_("Nationality")),
    Question("address", "address", N_("Address in Germany")),
    Question("phone", "phone", N_("Phone number"), autocomplete="tel"),
    Question("email", "email", N_("E-mail address"), autocomplete="email"),
    Question("passport_number", "passport", N_("Passport number")),
    Question("passport_country", "nationality", N_("Country that issued the passport")),
    Question("passport_expiry", "date", N_("Passport valid until"), N_("For example 27.03.2030."), checks=[{"after": "today"}]),
]
PROFILE_LABELS = {q.id: q.label for q in PROFILE}


class Account(UserMixin):
    """A logged-in account."""

    def __init__(self, row):
        self.id, self.email, self.role, self.locale = row["id"], row["email"], row["role"], row["locale"]


@login_manager.user_loader
def load_account(account_id):
    """The account of the session, if it still exists."""
    row = get_db().execute("SELECT * FROM accounts WHERE id = ?", [account_id]).fetchone()
    return Account(row) if row else None


def create_account(email, password, role="applicant", profile=None):
    """An account; an applicant's comes with its own person. Returns the account id."""
    db = get_db()
    with db.atomic():
        cursor = db.execute("INSERT INTO accounts (email, password_hash, role) VALUES (?, ?, ?)",
                            [email.strip(), generate_password_hash(password), role])
        if role == "applicant":
            db.execute("INSERT INTO persons (account_id, is_self, profile) VALUES (?, 1, ?)",
                       [cursor.lastrowid, json.dumps(profile or {}, ensure_ascii=False)])
    return cursor.lastrowid


users_cli = AppGroup("users", help="Accounts of the office's staff.")


@users_cli.command("create")
@click.option("--role", type=click.Choice(["caseworker", "admin"]), required=True)
@click.option("--password", help="Default: a new random password, printed once.")
@click.argument("email")
def create_user_command(role, password, email):
    """Create a caseworker or admin account (staff cannot register themselves)."""
    if get_db().execute("SELECT 1 FROM accounts WHERE email = ?", [email]).fetchone():
        raise click.ClickException(f"{email} exists already.")
    password = password or secrets.token_urlsafe(12)
    create_account(email, password, role=role)
    click.echo(f"{role} {email} created; password: {password}")


def own_person():
    """The current account's own person (whom its applications are about)."""
    row = get_db().execute("SELECT * FROM persons WHERE account_id = ? AND is_self", [current_user.id]).fetchone()
    if row is None:
        abort(404)
    return dict(row)


def _safe_next(target):
    """Only follow `next` to a path on this site; by default applicants go to their applications, staff to the inbox."""
    if target and urlsplit(target).netloc == "" and target.startswith("/") and not target.startswith("//"):
        return target
    staff = current_user.is_authenticated and current_user.role != "applicant"
    return url_for("office.inbox") if staff else url_for("dashboard.index")


class LoginForm(FlaskForm):
    """E-mail and password."""
    class Meta:
        csrf = False  # CSRFProtect guards every POST already

    email = EmailField(_l("E-mail address"), validators=[DataRequired(_l("Enter your e-mail address."))])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))])


class RegisterForm(LoginForm):
    """A new account."""
    email = EmailField(_l("E-mail address"), validators=[
        DataRequired(_l("Enter your e-mail address.")),
        Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$", message=_l("Enter an e-mail address like name@example.org."))])
    password = PasswordField(_l("Password"), validators=[
        DataRequired(_l("Enter your password.")),
        Length(min=10, max=200, message=_l("Choose a password with at least 10 characters."))])
    confirm = PasswordField(_l("Repeat the password"), validators=[
        EqualTo("password", message=_l("The two passwords are not the same."))])


@bp.route("/register", methods=["GET", "POST"])
def register():
    """Create an applicant account and log in."""
    form = RegisterForm()
    if form.validate_on_submit():
        exists = get_db().execute("SELECT 1 FROM accounts WHERE email = ?", [form.email.data.strip()]).fetchone()
        if exists:
            form.email.errors.append(_("An account with this e-mail address exists already. Log in instead."))
        else:
            account_id = create_account(form.email.data, form.password.data, profile={"email": form.email.data.strip()})
            login_user(load_account(account_id))
            flash(_("Your account is ready. Add your details to your profile to have them filled in for you."))
            return redirect(_safe_next(request.args.get("next")))
    return render_template("accounts/register.html", form=form), 422 if form.errors else 200


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Log in with e-mail and password."""
    form = LoginForm()
    if form.validate_on_submit():
        row = get_db().execute("SELECT * FROM accounts WHERE email = ?", [form.email.data.strip()]).fetchone()
        if row and check_password_hash(row["password_hash"], form.password.data):
            login_user(Account(row))
            return redirect(_safe_next(request.args.get("next")))
        form.password.errors.append(_("The e-mail address or the password is not correct."))
    return render_template("accounts/login.html", form=form), 422 if form.errors else 200


@bp.post("/logout")
def logout():
    """Log out."""
    logout_user()
    flash(_("You are logged out."))
    return redirect(url_for("catalogue.index"))


class ForgotForm(FlaskForm):
    """The e-mail address of the account."""
    class Meta:
        csrf = False

    email = EmailField(_l("E-mail address"), validators=[DataRequired(_l("Enter your e-mail address."))])


class ResetForm(FlaskForm):
    """A new password."""
    class Meta:
        csrf = False

    password = RegisterForm.password
    confirm = RegisterForm.confirm


RESET_MINUTES = 60


def _token_hash(token):
    """Reset tokens are stored hashed, like passwords."""
    return hashlib.sha256(token.encode()).hexdigest()


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot():
    """Send a single-use link to set a new password; the answer never tells whether the address has an account."""
    form = ForgotForm()
    if form.validate_on_submit():
        row = get_db().execute("SELECT id, locale FROM accounts WHERE email = ?", [form.email.data.strip()]).fetchone()
        if row:
            token = secrets.token_urlsafe(32)
            get_db().execute(
                "INSERT INTO password_resets (token_hash, account_id, expires_at) "
                f"VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+{RESET_MINUTES} minutes'))", [_token_hash(token), row["id"]])
            with force_locale(row["locale"] or str(get_locale())):
                mail.send(form.email.data.strip(), _("Set a new password"),
                          _("Someone asked to set a new password for your account at %(office)s.\n\nTo choose a new password, "
                            "open this link within %(minutes)s minutes:\n%(link)s\n\nIf it was not you, ignore this e-mail.",
                            office=current_app.config["OFFICE_NAME"], minutes=RESET_MINUTES,
                            link=mail.link(url_for("accounts.reset", token=token))))
        flash(_("If an account exists for this address, we have sent it a link to set a new password."))
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot.html", form=form), 422 if form.errors else 200


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset(token):
    """Set a new password with a link from the e-mail: once, and only before it expires."""
    db = get_db()
    valid = db.execute("SELECT account_id FROM password_resets WHERE token_hash = ? AND used_at IS NULL "
                       "AND expires_at > strftime('%Y-%m-%dT%H:%M:%fZ', 'now')", [_token_hash(token)]).fetchone()
    if valid is None:
        return render_template("errors/error.html", title=_("This link is no longer valid"),
                               message=_("Links to set a new password work once and for one hour. Ask for a new one.")), 404
    form = ResetForm()
    if form.validate_on_submit():
        with db.atomic():
            used = db.execute("UPDATE password_resets SET used_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') "
                              "WHERE token_hash = ? AND used_at IS NULL", [_token_hash(token)]).rowcount
            if used:
                db.execute("UPDATE accounts SET password_hash = ? WHERE id = ?",
                           [generate_password_hash(form.password.data), valid["account_id"]])
        flash(_("Your new password is set. Log in with it."))
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset.html", form=form), 422 if form.errors else 200


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    """Recurring data that new applications are prefilled from; checked like any answer."""
    person = own_person()
    stored = json.loads(person["profile"])
    if request.method == "POST":
        form = build_form(PROFILE, request.form, {}, PROFILE_LABELS)
        if form.validate():
            values = {q.id: form[q.id].canonical for q in PROFILE if form[q.id].canonical is not None}
            get_db().execute(
                "UPDATE persons SET profile = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?",
                [json.dumps(values, ensure_ascii=False), person["id"]])
            flash(_("Your profile is saved."))
            return redirect(url_for("accounts.profile"))
        return render_template("accounts/profile.html", form=form, questions=PROFILE), 422
    raws = {k: TYPES[q.type].to_raw(stored[k]) for q in PROFILE for k in [q.id] if stored.get(k) is not None}
    form = build_form(PROFILE, formdata_for(PROFILE, raws), {}, PROFILE_LABELS)
    return render_template("accounts/profile.html", form=form, questions=PROFILE)

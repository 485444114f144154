"""Accounts and the profile: register, log in, log out, keep recurring data for prefill."""
import json
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

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
    """An account with its own person; returns the account id."""
    db = get_db()
    with db.atomic():
        cursor = db.execute("INSERT INTO accounts (email, password_hash, role) VALUES (?, ?, ?)",
                            [email.strip(), generate_password_hash(password), role])
        db.execute("INSERT INTO persons (account_id, is_self, profile) VALUES (?, 1, ?)",
                   [cursor.lastrowid, json.dumps(profile or {}, ensure_ascii=False)])
    return cursor.lastrowid


def own_person():
    """The current account's own person (whom its applications are about)."""
    row = get_db().execute("SELECT * FROM persons WHERE account_id = ? AND is_self", [current_user.id]).fetchone()
    if row is None:
        abort(404)
    return dict(row)


def _safe_next(target):
    """Only follow `next` to a path on this site."""
    if target and urlsplit(target).netloc == "" and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("dashboard.index")


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

"""Register, log in, log out, and set a new password with a link from an e-mail."""
import hashlib
import secrets
from datetime import timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, get_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from itsdangerous import BadData, URLSafeTimedSerializer
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from .. import mail
from ..db import get_db
from ..i18n import duration
from ..web.redirects import safe_next
from ..questions.contact import valid_email
from . import account, create_account, end_sessions, limits

bp = Blueprint("accounts", __name__)
UNKNOWN = generate_password_hash(secrets.token_hex(16))  # what a login of an unknown address is checked against


def _safe_next(target):
    """Only follow `next` to a path on this site; by default applicants go to their applications, staff to the inbox."""
    staff = current_user.is_authenticated and current_user.role != "applicant"
    return safe_next(target, url_for("office.inbox") if staff else url_for("applications.dashboard"))


def _normalized_email(form, field):
    """The one e-mail check of every form; the account keeps the address as email-validator normalizes it."""
    field.data = valid_email(field.data)


def _lookup_email(typed):
    """The address as registration stored it, so an address typed with an ASCII (xn--) domain finds its account."""
    try:
        return valid_email(typed)
    except ValidationError:
        return (typed or "").strip()


class LoginForm(FlaskForm):
    """E-mail and password."""
    class Meta:
        csrf = False  # CSRFProtect guards every POST already

    email = EmailField(_l("E-mail address"), validators=[DataRequired(_l("Enter your e-mail address."))])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))])


class RegisterForm(LoginForm):
    """A new account."""
    email = EmailField(_l("E-mail address"), validators=[
        DataRequired(_l("Enter your e-mail address.")), _normalized_email])
    password = PasswordField(_l("Password"), validators=[
        DataRequired(_l("Enter your password.")),
        Length(min=10, max=200, message=_l("Choose a password with at least 10 characters."))])
    confirm = PasswordField(_l("Repeat the password"), validators=[
        EqualTo("password", message=_l("The two passwords are not the same."))])


@bp.route("/register", methods=["GET", "POST"])
@limits.RESET_MAIL
def register():
    """Create an applicant account that opens with a link sent to its address; the answer never tells whether it existed."""
    form = RegisterForm()
    if form.validate_on_submit():
        address = form.email.data  # normalized by the form's e-mail check
        row = get_db().execute("SELECT id, confirmed_at FROM accounts WHERE email = ?", [address]).fetchone()
        if row is None:
            _send_confirmation(address, create_account(address, form.password.data, profile={"email": address},
                                                       confirmed=False))
        else:
            generate_password_hash(form.password.data)  # the same work as for a new account: the time tells nothing
            if row["confirmed_at"]:
                _send_account_exists(address)
            else:
                _send_confirmation(address, row["id"])
        flash(_("We have sent an e-mail to %(address)s. Open the link in it to finish creating your account.",
                address=address))
        return redirect(url_for("accounts.login"), code=303)
    return render_template("accounts/register.html", form=form), 422 if form.errors else 200


CONFIRM_HOURS = 48


def _confirmations():
    """Signed links that confirm an address: no table needed, they expire by themselves."""
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="confirm-address")


def confirmation_path(account_id):
    """The path of the link that confirms an account's address and opens the account."""
    return url_for("accounts.confirm", token=_confirmations().dumps(account_id))


def _send_confirmation(address, account_id):
    """The link that opens a new account."""
    mail.send_quietly(address, _("Confirm your e-mail address"), _(
        "To finish creating your account at %(office)s, open this link within %(duration)s:\n%(link)s\n\n"
        "If it was not you, ignore this e-mail.", office=current_app.config["OFFICE_NAME"],
        duration=duration(timedelta(hours=CONFIRM_HOURS)),
        link=mail.link(confirmation_path(account_id))))


def _send_account_exists(address):
    """Someone registered an address that has an account: tell its owner, not the one who typed it."""
    mail.send_quietly(address, _("You have an account already"), _(
        "Someone tried to create an account at %(office)s with this e-mail address, which has an account already. "
        "Log in here:\n%(login)s\n\nIf you have forgotten your password, set a new one here:\n%(forgot)s\n\n"
        "If it was not you, ignore this e-mail.", office=current_app.config["OFFICE_NAME"],
        login=mail.link(url_for("accounts.login")), forgot=mail.link(url_for("accounts.forgot"))))


@bp.get("/register/confirm/<token>")
@limits.RESET_LINK
def confirm(token):
    """Confirm the address with the link from the e-mail, once, and open the account."""
    try:
        account_id = _confirmations().loads(token, max_age=CONFIRM_HOURS * 3600)
    except BadData:
        account_id = None
    db = get_db()
    if account_id is None or not db.execute(
            "UPDATE accounts SET confirmed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') "
            "WHERE id = ? AND confirmed_at IS NULL AND disabled_at IS NULL", [account_id]).rowcount:
        return render_template("errors/error.html", title=_("This link is no longer valid"),
                               message=_("Links to confirm an address work once and for two days. Log in, or create "
                                         "the account again to get a new link.")), 404
    login_user(account(account_id))
    flash(_("Your account is ready. Add your details to your profile to have them filled in for you."))
    return redirect(url_for("applications.dashboard"))


@bp.route("/login", methods=["GET", "POST"])
@limits.LOGIN
def login():
    """Log in with e-mail and password."""
    form = LoginForm()
    if form.validate_on_submit():
        row = get_db().execute("SELECT * FROM accounts WHERE email = ? AND disabled_at IS NULL",
                               [_lookup_email(form.email.data)]).fetchone()
        # An unknown address costs the same hash as a known one: the time of the answer tells nothing.
        if check_password_hash(row["password_hash"] if row else UNKNOWN, form.password.data) and row:
            if not row["confirmed_at"]:  # only who knows the password learns this
                _send_confirmation(row["email"], row["id"])
                form.email.errors.append(_("Confirm your e-mail address first: we have sent you the link again."))
                return render_template("accounts/login.html", form=form), 422
            login_user(account(row["id"]))
            return redirect(_safe_next(request.args.get("next")))
        form.password.errors.append(_("The e-mail address or the password is not correct."))
    return render_template("accounts/login.html", form=form), 422 if form.errors else 200


@bp.post("/logout")
def logout():
    """Log out, ending every session of the account: a copied cookie opens nothing afterwards."""
    if current_user.is_authenticated:
        end_sessions(current_user.id)
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
@limits.RESET_MAIL
def forgot():
    """Send a single-use link to set a new password; the answer never tells whether the address has an account."""
    form = ForgotForm()
    if form.validate_on_submit():
        address = _lookup_email(form.email.data)
        row = get_db().execute("SELECT id, locale FROM accounts WHERE email = ?", [address]).fetchone()
        if row:
            token = secrets.token_urlsafe(32)
            get_db().execute(
                "INSERT INTO password_resets (token_hash, account_id, expires_at) "
                f"VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+{RESET_MINUTES} minutes'))", [_token_hash(token), row["id"]])
            with force_locale(row["locale"] or str(get_locale())):
                mail.send_quietly(address, _("Set a new password"),
                          _("Someone asked to set a new password for your account at %(office)s.\n\nTo choose a new password, "
                            "open this link within %(duration)s:\n%(link)s\n\nIf it was not you, ignore this e-mail.",
                            office=current_app.config["OFFICE_NAME"], duration=duration(timedelta(minutes=RESET_MINUTES)),
                            link=mail.link(url_for("accounts.reset", token=token))))
        flash(_("If an account exists for this address, we have sent it a link to set a new password."))
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot.html", form=form), 422 if form.errors else 200


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limits.RESET_LINK
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
            if used:  # the new password ends every session and every other link sent before
                db.execute("UPDATE accounts SET password_hash = ? WHERE id = ?",
                           [generate_password_hash(form.password.data), valid["account_id"]])
                db.execute("UPDATE password_resets SET used_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') "
                           "WHERE account_id = ? AND used_at IS NULL", [valid["account_id"]])
                end_sessions(valid["account_id"])
        flash(_("Your new password is set. Log in with it."))
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset.html", form=form), 422 if form.errors else 200

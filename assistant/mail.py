"""E-mail: SMTP from environment variables; printed to the console when no server is configured (development)."""
import smtplib
import sys
from email.message import EmailMessage

from flask import current_app
from flask_babel import force_locale, gettext as _


def send(to, subject, body):
    """Send one plain-text e-mail, or print it when ASSISTANT_SMTP_HOST is not set."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    if not config["SMTP_HOST"]:
        print(f"--- e-mail (no SMTP server configured) ---\n{message}", file=sys.stderr)
        return
    with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=10) as smtp:
        if config["SMTP_STARTTLS"]:
            smtp.starttls()
        if config["SMTP_USER"]:
            smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
        smtp.send_message(message)


def link(path):
    """An absolute link to a page of the product."""
    return current_app.config["BASE_URL"].rstrip("/") + path


def notify_applicant(email, locale, path):
    """Tell an applicant that something is waiting, without any personal data or content: only a link."""
    with force_locale(locale or "de"):
        subject = _("News about your application")
        body = _("There is news about your application at %(office)s.\n\nPlease log in to read it:\n%(link)s\n\n"
                 "For your protection, this e-mail contains no details.", office=current_app.config["OFFICE_NAME"],
                 link=link(path))
    send_quietly(email, subject, body)


def confirm_submission(email, locale, path):
    """The confirmation of a submission: a link, and like every e-mail of the product nothing of the application."""
    with force_locale(locale or "de"):
        subject = _("Your application has been received")
        body = _("We have received your application at %(office)s.\n\nYour receipt with its reference number and the "
                 "state of your application are in your account:\n%(link)s\n\n"
                 "For your protection, this e-mail contains no details.", office=current_app.config["OFFICE_NAME"],
                 link=link(path))
    send_quietly(email, subject, body)


def send_quietly(to, subject, body):
    """Send, and only log a failure: what the e-mail tells about is stored already, and the answer to the request
    must not reveal anything (an account exists, the mail server is down)."""
    try:
        send(to, subject, body)
    except (OSError, smtplib.SMTPException) as exc:
        current_app.logger.warning("an e-mail could not be sent: %s", exc.__class__.__name__)

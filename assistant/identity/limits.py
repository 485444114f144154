"""How often someone may try: passwords, reset mails and links, and the public feedback form (Flask-Limiter).

Limits count per client address and, for logins and reset mails, per e-mail
address typed, so that spreading guesses over many addresses helps as little
as guessing one account from many. Counts live in ASSISTANT_RATELIMIT_STORAGE
(memory of each worker by default; redis:// or memcached:// share them).
"""
from flask import request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address, headers_enabled=False)

PER_CLIENT = "20 per minute;100 per hour"
PER_ACCOUNT = "5 per minute;20 per hour;50 per day"
MAILS = "3 per hour;10 per day"
FEEDBACK = "5 per hour;20 per day"


def typed_email():
    """The e-mail address of the form, as the key of an account's limit."""
    return "account:" + " ".join(request.form.get("email", "").split()).casefold()


def failed(response):
    """Only failed attempts count against a login (a success redirects)."""
    return response.status_code != 302


def guarded(*limits):
    """A decorator that applies several limits to a view."""
    def decorate(view):
        for limit in limits:
            view = limit(view)
        return view
    return decorate


LOGIN = guarded(limiter.limit(PER_CLIENT, methods=["POST"], deduct_when=failed),
                limiter.limit(PER_ACCOUNT, methods=["POST"], key_func=typed_email, deduct_when=failed))
RESET_MAIL = guarded(limiter.limit(PER_CLIENT, methods=["POST"]),
                     limiter.limit(MAILS, methods=["POST"], key_func=typed_email))
RESET_LINK = guarded(limiter.limit(PER_CLIENT, deduct_when=lambda response: response.status_code == 404))
FEEDBACK_FORM = guarded(limiter.limit(FEEDBACK, methods=["POST"]))


def init_app(app):
    """Bind the limiter to the app with the configured storage."""
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["RATELIMIT_STORAGE"])
    limiter.init_app(app)

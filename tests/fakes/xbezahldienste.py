"""A local XBezahldienste 1.0 platform: the REST interface, its checks and a paypage with three buttons.

It is strict where the standard is (field presence, lengths and patterns, EUR only, the sum of the items, a
requestId used once, RFC 7807 problems with a functionalCode) so that a client that passes here passes there.
Where the standard leaves the platform a choice, an option picks it: how clients authenticate (`auth`),
whether a PAYMENT_EXISTS problem names the existing transaction (`exists_names_id`), whether a transaction can
also be fetched by its requestId (`lookup_by_request_id`).

Test-facing API on `app.fake`: `transactions` (transactionId -> {"request", "info"}), `set_state(...)`,
`down` (every API call answers 503), `expire_tokens()`, `token_requests` (how many tokens were issued).
"""
import base64
import hmac
import json
import re
import secrets
import threading
import time
from datetime import datetime, timezone
from decimal import Decimal
from html import escape

from flask import Flask, Response, redirect, request

from . import page as html_page

REQUEST_ID = re.compile(r"[A-Za-z0-9_-]{1,36}")
PURPOSE = re.compile(r"[A-Za-z0-9 /?:().,'+-]{1,27}")     # the booking text of a SEPA transfer
STATES = ("INITIAL", "PAYED", "FAILED", "CANCELED")
METHODS = ("GIROPAY", "PAYDIRECT", "CREDITCARD", "PAYPAL", "OTHER")
BUTTONS = (("pay", "Bezahlen (Kreditkarte)", "PAYED"), ("cancel", "Abbrechen", "CANCELED"),
           ("fail", "Zahlung scheitern lassen", "FAILED"))


class Invalid(Exception):
    """A request the platform refuses: HTTP status, functionalCode, detail."""

    def __init__(self, status, code, detail):
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail


def problem(status, code, detail, **extra):
    """An RFC 7807 answer as XBezahldienste sends it."""
    titles = {400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 409: "Conflict", 503: "Service Unavailable"}
    body = {"type": "about:blank", "status": status, "title": titles.get(status, "Error"), "detail": detail,
            "functionalCode": code} | extra
    response = Response(json.dumps(body), status, mimetype="application/problem+json")
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="xbezahldienste"'
    return response


def amount(value, name, positive=False):
    """A JSON number with at most two decimals (parsed as Decimal)."""
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise Invalid(400, "VALIDATION_ERROR", f"{name} must be a number")
    value = Decimal(value)
    if value.as_tuple().exponent < -2 and value != value.quantize(Decimal("0.01")):
        raise Invalid(400, "VALIDATION_ERROR", f"{name} has more than two decimals")
    if value < 0 or (positive and value <= 0):
        raise Invalid(400, "VALIDATION_ERROR", f"{name} must be {'greater than 0' if positive else 'at least 0'}")
    return value


def text(data, name, pattern=None, limit=250, required=True):
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value or len(value) > limit:
        raise Invalid(400, "VALIDATION_ERROR", f"{name} is missing, not a string or longer than {limit}")
    if pattern and not pattern.fullmatch(value):
        raise Invalid(400, "VALIDATION_ERROR", f"{name} has characters outside {pattern.pattern}")
    return value


def validate(data):
    """The checks of a PaymentRequest; raises Invalid."""
    if not isinstance(data, dict):
        raise Invalid(400, "VALIDATION_ERROR", "the body is not a PaymentRequest object")
    text(data, "requestId", REQUEST_ID, 36)
    try:
        datetime.fromisoformat(text(data, "requestTimestamp", limit=40))
    except ValueError:
        raise Invalid(400, "VALIDATION_ERROR", "requestTimestamp is not an ISO 8601 date-time") from None
    if data.get("currency") != "EUR":
        raise Invalid(400, "VALIDATION_ERROR", "currency must be EUR")
    total = amount(data.get("grosAmount"), "grosAmount", positive=True)
    text(data, "purpose", PURPOSE, 27)
    text(data, "description", required=False)
    url = text(data, "redirectUrl", limit=2000)
    if not re.match(r"https?://[^/\s]+", url):
        raise Invalid(400, "VALIDATION_ERROR", "redirectUrl is not an http(s) URL")
    items = data.get("items")
    if not isinstance(items, list) or not items:
        raise Invalid(400, "VALIDATION_ERROR", "items must list at least one item")
    sum_ = Decimal(0)
    for number, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise Invalid(400, "VALIDATION_ERROR", f"item {number} is not an object")
        text(item, "id", REQUEST_ID, 36)
        text(item, "reference", REQUEST_ID, 36, required=False)
        text(item, "description", required=False)
        quantity = item.get("quantity", 1)
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            raise Invalid(400, "VALIDATION_ERROR", f"item {number}: quantity must be a whole number ≥ 1")
        net = amount(item.get("totalNetAmount"), f"item {number} totalNetAmount")
        tax = amount(item.get("totalTaxAmount", 0), f"item {number} totalTaxAmount")
        for single, whole in (("singleNetAmount", net), ("singleTaxAmount", tax)):
            if item.get(single) is not None and amount(item[single], f"item {number} {single}") * quantity != whole:
                raise Invalid(400, "CALCULATION_ERROR", f"item {number}: quantity × {single} is not its total")
        sum_ += net + tax
    if sum_ != total:
        raise Invalid(400, "CALCULATION_ERROR", f"grosAmount {total} is not the sum of the items ({sum_})")


class Fake:
    """The platform's state, for tests to look at and to change."""

    def __init__(self, originator_id, endpoint_id, auth, client_id, client_secret, username, password,
                 token_lifetime, exists_names_id, lookup_by_request_id):
        self.originator_id, self.endpoint_id, self.auth = originator_id, endpoint_id, auth
        self.client_id, self.client_secret = client_id, client_secret
        self.username, self.password = username, password
        self.token_lifetime = token_lifetime
        self.exists_names_id, self.lookup_by_request_id = exists_names_id, lookup_by_request_id
        self.transactions = {}          # transactionId -> {"request": the PaymentRequest, "info": PaymentInformation}
        self.tokens = {}                # access token -> time.monotonic() deadline
        self.token_requests = 0
        self.down = False
        self.lock = threading.Lock()

    def find(self, some_id):
        """The transaction with this transactionId (or requestId, if the platform allows that)."""
        if some_id in self.transactions:
            return self.transactions[some_id]
        if self.lookup_by_request_id:
            return next((t for t in self.transactions.values() if t["request"]["requestId"] == some_id), None)
        return None

    def set_state(self, transaction_id, state, method="CREDITCARD", method_detail="Visa", detail=None):
        """Settle (or reopen) a transaction as the paypage would."""
        assert state in STATES and (method is None or method in METHODS)
        info = self.transactions[transaction_id]["info"]
        info["status"], info["statusDetail"] = state, detail
        paid = state == "PAYED"
        info["paymentMethod"], info["paymentMethodDetail"] = (method, method_detail) if paid else (None, None)
        info["transactionTimestamp"] = datetime.now(timezone.utc).isoformat(timespec="seconds") if paid else None
        info["transactionReference"] = info["transactionReference"] or (f"KZ-{secrets.token_hex(4)}" if paid else None)

    def expire_tokens(self):
        """Every issued token runs out now (the next call with one gets 401)."""
        self.tokens.clear()

    def authorized(self):
        header = request.headers.get("Authorization", "")
        if self.auth == "none":
            return True
        if self.auth == "basic" and header.startswith("Basic "):
            try:
                user, _, secret = base64.b64decode(header[6:]).decode().partition(":")
            except ValueError:
                return False
            return hmac.compare_digest(user, self.username) and hmac.compare_digest(secret, self.password)
        if self.auth == "oauth2" and header.startswith("Bearer "):
            return self.tokens.get(header[7:], 0) > time.monotonic()
        return False

    def answer(self, transaction):
        info = dict(transaction["info"])
        if info["status"] != "INITIAL":
            info.pop("transactionRedirectUrl")          # only while the payer can still act
        return {"paymentRequest": transaction["request"], "paymentInformation": info}


def create_fake(originator_id="demo-originator", endpoint_id="demo-endpoint", auth="oauth2", client_id="demo",
                client_secret="demo", username="demo", password="demo", token_lifetime=300,
                exists_names_id=False, lookup_by_request_id=True):
    """The fake platform as a Flask app; `auth` is "oauth2" (tokens from POST /token), "basic" or "none"."""
    app = Flask(__name__)
    fake = app.fake = Fake(originator_id, endpoint_id, auth, client_id, client_secret, username, password,
                           token_lifetime, exists_names_id, lookup_by_request_id)

    @app.post("/token")
    def token():
        if fake.down:
            return {"error": "temporarily_unavailable"}, 503
        if request.form.get("grant_type") != "client_credentials":
            return {"error": "unsupported_grant_type"}, 400
        client, secret = request.form.get("client_id", ""), request.form.get("client_secret", "")
        if request.authorization and request.authorization.type == "basic":
            client, secret = request.authorization.username, request.authorization.password
        if not (hmac.compare_digest(client, fake.client_id) and hmac.compare_digest(secret, fake.client_secret)):
            return {"error": "invalid_client"}, 401
        with fake.lock:
            fake.token_requests += 1
            value = secrets.token_urlsafe(24)
            fake.tokens[value] = time.monotonic() + fake.token_lifetime
        return {"access_token": value, "token_type": "Bearer", "expires_in": fake.token_lifetime}

    def guard(originator, endpoint):
        if fake.down:
            return problem(503, "UNSPECIFIED", "the platform is down for maintenance")
        if not fake.authorized():
            return problem(401, "FORBIDDEN", "missing or invalid credentials")
        if (originator, endpoint) != (fake.originator_id, fake.endpoint_id):
            return problem(404, "NO_VALID_ORIGINATOR_OR_ENDPOINT", f"unknown originator {originator!r} or "
                                                                   f"endpoint {endpoint!r}")
        return None

    @app.post("/paymenttransaction/<originator>/<endpoint>")
    def create(originator, endpoint):
        refused = guard(originator, endpoint)
        if refused:
            return refused
        if not request.is_json:
            return problem(400, "VALIDATION_ERROR", "the body must be application/json")
        try:
            data = json.loads(request.get_data(), parse_float=Decimal)
            validate(data)
        except ValueError:
            return problem(400, "VALIDATION_ERROR", "the body is not JSON")
        except Invalid as error:
            return problem(error.status, error.code, error.detail)
        with fake.lock:
            existing = next((t for t in fake.transactions.values()
                             if t["request"]["requestId"] == data["requestId"]), None)
            if existing:
                extra = {"transactionId": existing["info"]["transactionId"]} if fake.exists_names_id else {}
                return problem(409, "PAYMENT_EXISTS", "a payment transaction exists for this requestId", **extra)
            transaction_id = secrets.token_hex(12).upper()
            fake.transactions[transaction_id] = transaction = {"request": request.get_json(), "info": {
                "transactionUrl": f"{request.url.rstrip('/')}/{transaction_id}",
                "transactionRedirectUrl": f"{request.host_url}paypage/{transaction_id}",
                "transactionId": transaction_id, "transactionReference": None, "transactionTimestamp": None,
                "paymentMethod": None, "paymentMethodDetail": None, "status": "INITIAL", "statusDetail": None}}
        return fake.answer(transaction)

    @app.get("/paymenttransaction/<originator>/<endpoint>/<transaction_id>")
    def status(originator, endpoint, transaction_id):
        refused = guard(originator, endpoint)
        if refused:
            return refused
        transaction = fake.find(transaction_id)
        if not transaction:
            return problem(404, "UNSPECIFIED", f"no payment transaction {transaction_id!r}")
        return fake.answer(transaction)

    @app.get("/paypage/<transaction_id>")
    def paypage(transaction_id):
        transaction = fake.transactions.get(transaction_id)
        if not transaction:
            return page("Unbekannte Zahlung", "<p>Diese Zahlung gibt es nicht.</p>"), 404
        request_, info = transaction["request"], transaction["info"]
        if info["status"] != "INITIAL":
            return page("Zahlung abgeschlossen", f'<p>Status: {escape(info["status"])}</p>'
                                                 f'<p><a href="{escape(request_["redirectUrl"])}">Zurück</a></p>')
        forms = "".join(f'<form method="post"><button name="action" value="{action}">{label}</button></form>'
                        for action, label, _state in BUTTONS)
        return page("Bezahlen", f'<p>{escape(request_.get("description") or request_["purpose"])}</p>'
                                f'<p class="sum">{request_["grosAmount"]:.2f} {escape(request_["currency"])}</p>'
                                f'<p>Verwendungszweck: {escape(request_["purpose"])}</p>{forms}')

    @app.post("/paypage/<transaction_id>")
    def act(transaction_id):
        transaction = fake.transactions.get(transaction_id)
        states = {action: state for action, _label, state in BUTTONS}
        if not transaction or request.form.get("action") not in states:
            return page("Unbekannte Zahlung", "<p>Diese Zahlung oder Aktion gibt es nicht.</p>"), 404
        if transaction["info"]["status"] != "INITIAL":
            return page("Zahlung abgeschlossen", "<p>Diese Zahlung ist schon abgeschlossen.</p>"), 409
        fake.set_state(transaction_id, states[request.form["action"]])
        return redirect(transaction["request"]["redirectUrl"], 303)

    return app


def page(title, body):
    return html_page("XBezahldienste", title, body)

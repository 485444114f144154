"""A local GiroCheckout (API v2): transaction/start, transaction/status, a payment page and the notification.

It checks what GiroCheckout checks (merchant and project, the request's HMAC-MD5 `hash` keyed with the project
password, mandatory fields, the amount in cents) and answers with GiroCheckout's rc codes; it signs every answer
it can (a `hash` header over the body). Its payment page pushes the signed result to urlNotify server-to-server
before it sends the browser to urlRedirect with the same signed gc* parameters, as the platform does.

Test-facing API on `app.fake`: `transactions` (reference -> dict with merchantTxId, amount, …, resultPayment,
notifications: the HTTP status of each notification sent), `set_result(reference, code)`, `down` (every API
call answers 503), `notify` ("once", "skip" or "twice"), `sign_key` (the key answers are signed with: set it to
something else to simulate a tampered answer).
"""
import hashlib
import hmac
import json
import re
import secrets
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid
from html import escape

from flask import Flask, Response, redirect, request

from . import page as html_page

# transaction/start's parameters in the documented order (the credit card variant); the hash covers those sent
START = ("merchantId", "projectId", "merchantTxId", "amount", "currency", "purpose", "type", "locale", "mobile",
         "pkn", "recurring", "indicator", "urlRedirect", "urlNotify")
START_REQUIRED = ("merchantId", "projectId", "merchantTxId", "amount", "currency", "purpose", "urlRedirect",
                  "urlNotify")
STATUS = ("merchantId", "projectId", "reference", "txreference")
NOTIFY = ("gcReference", "gcMerchantTxId", "gcBackendTxId", "gcAmount", "gcCurrency", "gcResultPayment")
BUTTONS = (("pay", "Bezahlen (Kreditkarte)", "4000"), ("cancel", "Abbrechen", "4502"),
           ("fail", "Zahlung scheitern lassen", "4900"))
FIELD_ERRORS = {"merchantTxId": 5022, "purpose": 5023, "amount": 5030, "currency": 5033, "urlRedirect": 5055,
                "urlNotify": 5056}


def hmac_md5(key, *values):
    return hmac.new(key.encode(), "".join(values).encode(), hashlib.md5).hexdigest()


class Fake:
    """The platform's state, for tests to look at and to change."""

    def __init__(self, merchant_id, project_id, password, notify):
        self.merchant_id, self.project_id, self.password = merchant_id, project_id, password
        self.sign_key = password
        self.notify = notify
        self.transactions = {}
        self.down = False
        self.lock = threading.Lock()

    def set_result(self, reference, code):
        self.transactions[reference]["resultPayment"] = str(code)

    def gc_params(self, reference):
        """The signed parameters of the notification and of the browser's return."""
        t = self.transactions[reference]
        values = dict(zip(NOTIFY, (reference, t["merchantTxId"], t["backendTxId"], t["amount"], t["currency"],
                                   t["resultPayment"])))
        return values | {"gcHash": hmac_md5(self.password, *values.values())}

    def signed(self, answer, sign=True):
        """A JSON answer with the `hash` header over its body (an unknown project's answer cannot be signed)."""
        body = json.dumps(answer)
        response = Response(body, mimetype="application/json")
        if sign:
            response.headers["hash"] = hmac_md5(self.sign_key, body)
        return response

    def check(self, form, fields, required):
        """None, or the signed or unsigned error answer for a request that is not the project's or is incomplete."""
        if self.down:
            return Response("Service Unavailable", 503)
        if form.get("merchantId") != self.merchant_id or form.get("projectId") != self.project_id:
            return self.signed({"rc": 5000, "msg": "Authentifizierung fehlgeschlagen"}, sign=False)
        missing = [name for name in required if not form.get(name)]
        if missing:
            return self.signed({"rc": 5003, "msg": f"Pflichtfeld nicht angegeben: {', '.join(missing)}"})
        expected = hmac_md5(self.password, *(form[name] for name in fields if name in form))
        if not hmac.compare_digest(form.get("hash", ""), expected):
            return self.signed({"rc": 5002, "msg": "hash ungültig"})
        return None


def create_fake(merchant_id="1234567", project_id="1234", password="demo", notify="once"):
    """The fake platform as a Flask app; `notify` is "once", "skip" (no notification) or "twice"."""
    app = Flask(__name__)
    fake = app.fake = Fake(merchant_id, project_id, password, notify)

    @app.post("/transaction/start")
    def start():
        form = request.form
        refused = fake.check(form, START, START_REQUIRED)
        if refused:
            return refused
        problems = {
            "merchantTxId": len(form["merchantTxId"]) > 255,
            "amount": not re.fullmatch(r"[1-9][0-9]*", form["amount"]),
            "currency": form["currency"] != "EUR",
            "purpose": len(form["purpose"]) > 27,
            "urlRedirect": not re.match(r"https?://[^/\s]+", form["urlRedirect"]),
            "urlNotify": not re.match(r"https?://[^/\s]+", form["urlNotify"]),
        }
        for name, wrong in problems.items():
            if wrong:
                return fake.signed({"rc": FIELD_ERRORS[name], "msg": f"{name} ungültig"})
        reference = str(uuid.uuid4())
        with fake.lock:
            fake.transactions[reference] = {
                "merchantTxId": form["merchantTxId"], "amount": form["amount"], "currency": form["currency"],
                "purpose": form["purpose"], "urlRedirect": form["urlRedirect"], "urlNotify": form["urlNotify"],
                "backendTxId": str(secrets.randbelow(10**10)).zfill(10), "resultPayment": None, "notifications": []}
        return fake.signed({"rc": 0, "msg": "", "reference": reference,
                            "redirect": f"{request.host_url}paypage/{reference}"})

    @app.post("/transaction/status")
    def status():
        form = request.form
        refused = fake.check(form, STATUS, ("merchantId", "projectId", "reference"))
        if refused:
            return refused
        t = fake.transactions.get(form["reference"])
        if not t:
            return fake.signed({"rc": 5034, "msg": "Transaktion nicht vorhanden"})
        return fake.signed({"rc": 0, "msg": "", "reference": form["reference"], "merchantTxId": t["merchantTxId"],
                            "backendTxId": t["backendTxId"], "amount": t["amount"], "currency": t["currency"],
                            "resultPayment": t["resultPayment"]})

    @app.get("/paypage/<reference>")
    def paypage(reference):
        t = fake.transactions.get(reference)
        if not t:
            return page("Unbekannte Zahlung", "<p>Diese Zahlung gibt es nicht.</p>"), 404
        if t["resultPayment"]:
            return page("Zahlung abgeschlossen", f"<p>Ergebnis {escape(t['resultPayment'])}</p>"), 409
        forms = "".join(f'<form method="post"><button name="action" value="{action}">{label}</button></form>'
                        for action, label, _code in BUTTONS)
        euros = f"{int(t['amount']) // 100},{int(t['amount']) % 100:02d}"
        return page("Bezahlen", f'<p class="sum">{euros} {escape(t["currency"])}</p>'
                                f'<p>Verwendungszweck: {escape(t["purpose"])}</p>{forms}')

    @app.post("/paypage/<reference>")
    def act(reference):
        t = fake.transactions.get(reference)
        codes = {action: code for action, _label, code in BUTTONS}
        if not t or request.form.get("action") not in codes:
            return page("Unbekannte Zahlung", "<p>Diese Zahlung oder Aktion gibt es nicht.</p>"), 404
        if t["resultPayment"]:
            return page("Zahlung abgeschlossen", "<p>Diese Zahlung ist schon abgeschlossen.</p>"), 409
        fake.set_result(reference, codes[request.form["action"]])
        query = urllib.parse.urlencode(fake.gc_params(reference))
        for _ in range({"skip": 0, "once": 1, "twice": 2}[fake.notify]):
            t["notifications"].append(send(with_query(t["urlNotify"], query)))
        return redirect(with_query(t["urlRedirect"], query), 303)

    return app


def page(title, body):
    return html_page("GiroCheckout", title, body)


def with_query(url, query):
    return url + ("&" if "?" in url else "?") + query


def send(url):
    """Push a notification (GET, server-to-server); the HTTP status the shop answered, or None if none."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        error.close()
        return error.code
    except (urllib.error.URLError, OSError):
        return None

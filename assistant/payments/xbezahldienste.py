"""XBezahldienste 1.0: the one REST interface of pmPayment, ePayBL, epay21 and ePayServiceBayern.

POST {base}/paymenttransaction/{originatorId}/{endPointId} creates a transaction for a payment request and
answers with its paymentInformation (transactionId, transactionRedirectUrl to the paypage, status);
GET …/{transactionId} answers its status. The platforms differ only in how a client authenticates, so that is
a setting (PAYMENT_AUTH): OAuth 2 client credentials (pmPayment), a client certificate (ePayBL), HTTP basic
(epay21) or none. Errors are RFC 7807 problems carrying a `functionalCode`.

The requestId is the payment's key, so a repeated start (an answer lost on the way) cannot create a second
transaction: the platform answers PAYMENT_EXISTS and the existing transaction is fetched instead.
"""
import base64
import json
import logging
import re
import socket
import ssl
import threading
import time
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation

from .base import METHODS, PURPOSE_MAX, STATES, Provider, Refused, Started, Status, Unavailable

log = logging.getLogger(__name__)

TOKEN_MARGIN = 30                    # seconds before expires_in at which a cached token is no longer used
_tokens = {}                         # (token URL, client id) -> (access token, monotonic deadline); shared by instances
_tokens_lock = threading.Lock()
GERMAN = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"})


def clean(text, allowed, limit):
    """Fit free text into a field's character set: umlauts spelled out, accents dropped, the rest removed."""
    text = unicodedata.normalize("NFKD", str(text or "").translate(GERMAN))
    text = re.sub(allowed, "", "".join(c for c in text if not unicodedata.combining(c)))
    return re.sub(r"\s+", " ", text).strip()[:limit].strip()


def clean_purpose(text):
    """The purpose ends up as the booking text of a bank transfer: SEPA's character set, ≤ 27 characters."""
    return clean(text, r"[^A-Za-z0-9 /?:().,'+-]", PURPOSE_MAX)


def clean_id(text):
    """Ids and references: [A-Za-z0-9_-], ≤ 36 characters."""
    return clean(text, r"[^A-Za-z0-9_-]", 36)


def field(payment, name):
    """payment[name], or None when a dict or sqlite3.Row lacks it."""
    try:
        return payment[name]
    except (KeyError, IndexError):
        return None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """An API answer that redirects is an error: following it would carry the credentials elsewhere."""

    def redirect_request(self, *args, **kwargs):
        return None


def problem_of(body):
    """The RFC 7807 problem in an error answer, or an empty dict."""
    try:
        problem = json.loads(body or b"{}")
    except ValueError:
        return {}
    return problem if isinstance(problem, dict) else {}


class XBezahldienste(Provider):
    """A platform speaking XBezahldienste: the browser pays on its paypage, the state is fetched (no push)."""
    name = "xbezahldienste"
    push = False

    # settings

    def _setting(self, name, default=None):
        value = self.settings.get(name)
        return default if value in (None, "") else value

    def _transactions_url(self, *transaction_id):
        quote = lambda value: urllib.parse.quote(str(value), safe="")  # noqa: E731
        parts = [self._setting("PAYMENT_BASE_URL").rstrip("/"), "paymenttransaction",
                 quote(self._setting("PAYMENT_ORIGINATOR_ID")), quote(self._setting("PAYMENT_ENDPOINT_ID"))]
        return "/".join(parts + [quote(value) for value in transaction_id])

    def _opener(self):
        if getattr(self, "_built", None) is None:
            self._built = self._build_opener()
        return self._built

    def _build_opener(self):
        auth = self._setting("PAYMENT_AUTH", "none")
        context = ssl.create_default_context(cafile=self._setting("PAYMENT_CA_FILE"))
        if auth == "mtls":
            context.load_cert_chain(self._setting("PAYMENT_CLIENT_CERT"), self._setting("PAYMENT_CLIENT_KEY"))
        return urllib.request.build_opener(urllib.request.HTTPSHandler(context=context), _NoRedirect)

    # HTTP

    def _send(self, method, url, body=None, headers=()):
        """One request: (status, body) for any HTTP answer; Unavailable when there is none."""
        request = urllib.request.Request(url, data=body, method=method, headers=dict(headers))
        try:
            with self._opener().open(request, timeout=float(self._setting("PAYMENT_TIMEOUT", 10))) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            with error:
                return error.code, error.read()
        except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError, ssl.SSLError) as error:
            log.warning("XBezahldienste %s %s not reached: %s", method, url, error)
            raise Unavailable("the payment platform did not answer") from None

    def _token(self, fresh=False):
        """An OAuth 2 access token (client credentials), cached until shortly before it expires."""
        url, client = self._setting("PAYMENT_TOKEN_URL"), self._setting("PAYMENT_CLIENT_ID")
        if not url or not client:
            raise Refused("PAYMENT_TOKEN_URL and PAYMENT_CLIENT_ID are needed for PAYMENT_AUTH oauth2")
        with _tokens_lock:
            token, deadline = _tokens.get((url, client), (None, 0))
            if token and not fresh and time.monotonic() < deadline:
                return token
            form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": client,
                                           "client_secret": self._setting("PAYMENT_CLIENT_SECRET", "")}).encode()
            status, body = self._send("POST", url, form, {"Content-Type": "application/x-www-form-urlencoded",
                                                          "Accept": "application/json"})
            if status >= 500 or 300 <= status < 400:
                raise Unavailable(f"the payment platform's token endpoint answered HTTP {status}")
            if status >= 400:
                log.warning("XBezahldienste token endpoint refused client %s: %s", client, body[:500])
                raise Refused("the payment platform did not accept the client credentials")
            try:
                answer = json.loads(body)
                token, lifetime = answer["access_token"], float(answer.get("expires_in") or 60)
            except (ValueError, KeyError, TypeError):
                raise Unavailable("the token endpoint's answer has no access_token") from None
            _tokens[(url, client)] = (token, time.monotonic() + lifetime - min(TOKEN_MARGIN, lifetime / 2))
            return token

    def _authorization(self, fresh=False):
        auth = self._setting("PAYMENT_AUTH", "none")
        if auth == "oauth2":
            return {"Authorization": "Bearer " + self._token(fresh)}
        if auth == "basic":
            pair = f"{self._setting('PAYMENT_USERNAME', '')}:{self._setting('PAYMENT_PASSWORD', '')}"
            return {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}
        return {}                                     # "mtls" (the certificate authenticates) and "none"

    def _api(self, method, url, payload=None):
        """(status, parsed JSON) of an API call; a 401 under OAuth 2 fetches a new token once."""
        body = None if payload is None else json.dumps(payload).encode()
        headers = {"Accept": "application/json, application/problem+json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        for fresh in (False, True):
            status, answer = self._send(method, url, body, headers | self._authorization(fresh))
            if status != 401 or fresh or self._setting("PAYMENT_AUTH") != "oauth2":
                break
        if status >= 500 or 300 <= status < 400:
            log.warning("XBezahldienste %s %s answered HTTP %s: %s", method, url, status, answer[:500])
            raise Unavailable(f"the payment platform answered HTTP {status}")
        if status >= 400:
            return status, problem_of(answer)
        try:
            return status, json.loads(answer)
        except ValueError:
            raise Unavailable("the payment platform's answer is not JSON") from None

    @staticmethod
    def _refused(status, problem, doing):
        """A Refused for a problem answer; the platform's own words go to the log and to `detail`."""
        code = problem.get("functionalCode") or ("FORBIDDEN" if status in (401, 403) else "UNSPECIFIED")
        log.warning("XBezahldienste refused %s: HTTP %s %s %s: %s", doing, status, code, problem.get("title"),
                    problem.get("detail"))
        reason = "the credentials were not accepted" if code == "FORBIDDEN" else code
        error = Refused(f"the payment platform refused {doing}: {reason} (HTTP {status})")
        error.status, error.code, error.detail = status, code, problem.get("detail") or problem.get("title")
        return error

    # the interface

    def request_of(self, payment):
        """The XBezahldienste PaymentRequest for a payment: one item, no tax (a fee is not subject to VAT)."""
        try:
            amount = Decimal(str(payment["amount"]))
        except InvalidOperation:
            raise Refused(f"amount {payment['amount']!r} is not a number") from None
        description = re.sub(r"\s+", " ", str(field(payment, "description") or payment["purpose"])).strip()[:250]
        item = {"id": "1", "description": description, "quantity": 1, "taxRate": 0,
                "singleNetAmount": float(amount), "singleTaxAmount": 0,
                "totalNetAmount": float(amount), "totalTaxAmount": 0}
        if field(payment, "kassenzeichen"):
            item["reference"] = clean_id(payment["kassenzeichen"])
        now = datetime.now(timezone.utc)
        return {"requestId": payment["key"],
                "requestTimestamp": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z",
                "currency": payment["currency"] or "EUR", "grosAmount": float(amount),
                "purpose": clean_purpose(payment["purpose"]), "description": description,
                "redirectUrl": payment["return_url"], "items": [item]}

    def start(self, payment):
        status, answer = self._api("POST", self._transactions_url(), self.request_of(payment))
        if status >= 400 and answer.get("functionalCode") == "PAYMENT_EXISTS":
            return self._existing(payment, answer)
        if status >= 400:
            raise self._refused(status, answer, "the payment")
        return self._started(payment, answer)

    def _existing(self, payment, problem):
        """PAYMENT_EXISTS: the transaction for this requestId was created before; fetch it, never make another.

        Its id comes from the problem if the platform names it there, else from our record, else the requestId
        itself (XBezahldienste lets a platform use the requestId as its transactionId).
        """
        info = problem.get("paymentInformation") or {}
        transaction_id = (problem.get("transactionId") or info.get("transactionId")
                          or field(payment, "transaction_id") or payment["key"])
        status, answer = self._api("GET", self._transactions_url(transaction_id))
        if status >= 400:
            raise self._refused(status, answer, "to show the payment it says exists already")
        request = answer.get("paymentRequest") or {}
        if request.get("requestId") not in (None, payment["key"]):
            raise Refused("the payment platform's existing transaction belongs to another request")
        return self._started(payment, answer)

    def _started(self, payment, transaction):
        info = transaction.get("paymentInformation") or {}
        if not info.get("transactionId"):
            raise Unavailable("the payment platform's answer has no transactionId")
        redirect = info.get("transactionRedirectUrl")
        if not redirect and info.get("status") in ("PAYED", "FAILED", "CANCELED"):
            redirect = payment["return_url"]        # settled already: the return prompts a fetch of the state
        if not redirect:
            raise Unavailable("the payment platform's answer has no transactionRedirectUrl")
        return Started(transaction_id=info["transactionId"], redirect_url=redirect,
                       transaction_url=info.get("transactionUrl"))

    def fetch_status(self, payment):
        transaction_id = field(payment, "transaction_id") or payment["key"]
        status, answer = self._api("GET", self._transactions_url(transaction_id))
        if status >= 400:
            raise self._refused(status, answer, "the status query")
        info = answer.get("paymentInformation") or {}
        state = info.get("status")
        if state not in STATES:
            raise Unavailable(f"the payment platform reports an unknown status {state!r}")
        method = info.get("paymentMethod")
        return Status(state=state, transaction_id=info.get("transactionId") or transaction_id,
                      method=method if method in METHODS or method is None else "OTHER",
                      method_detail=clean_id(info["paymentMethodDetail"]) if info.get("paymentMethodDetail") else None,
                      timestamp=info.get("transactionTimestamp"), detail=info.get("statusDetail"))

    def origins(self):
        origins = []
        for url in (self._setting("PAYMENT_PAYPAGE_URL"), self._setting("PAYMENT_BASE_URL")):
            if url:
                parts = urllib.parse.urlsplit(url)
                origin = f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")
                if origin not in origins:
                    origins.append(origin)
        return origins

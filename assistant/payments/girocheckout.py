"""GiroCheckout (GiroSolution), API v2: start a transaction, ask its status, verify the pushed notification.

Every request carries `hash`, an HMAC-MD5 (hex) keyed with the project password over the request's values in
the documented order; every answer carries a `hash` header over its body, and every notification a `gcHash`
over its gc* values. Nothing unsigned is believed, except a refusal (believing a refusal cannot make anyone pay
or look paid). A signed answer that fails the check is treated as a refusal (`Refused`): it means a wrong project
password or a tampered answer, and neither heals by trying again later.
"""
import hmac
import json
import logging
import socket
import urllib.error
import urllib.parse
import urllib.request
from decimal import Decimal, InvalidOperation
from hashlib import md5

from .base import METHODS, PURPOSE_MAX, InvalidNotification, Notification, Provider, Refused, Started, Status, Unavailable

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://payment.girosolution.de/girocheckout/api/v2"
START_FIELDS = ("merchantId", "projectId", "merchantTxId", "amount", "currency", "purpose", "urlRedirect", "urlNotify")
STATUS_FIELDS = ("merchantId", "projectId", "reference")
NOTIFY_FIELDS = ("gcReference", "gcMerchantTxId", "gcBackendTxId", "gcAmount", "gcCurrency", "gcResultPayment")
AUTH_FAILED = ("5000", "5001")          # the platform does not know the project: it cannot sign, so it does not

# gcResultPayment / resultPayment: 4000 is the only success. 4152 (PayPal still processing) settles later;
# 4501 (timeout, no input) and 4502 (cancelled by the payer) are the payer walking away; every other code fails.
PAID = "4000"
PENDING = ("4152",)
CANCELED = ("4501", "4502")


def hmac_md5(key, *values):
    """GiroCheckout's signature: HMAC-MD5 (hex) over the values concatenated without separator."""
    data = "".join("" if value is None else str(value) for value in values)
    return hmac.new(str(key).encode(), data.encode(), md5).hexdigest()


def state_of(code):
    """The XBezahldienste state of a GiroCheckout result code (None or empty: not finished yet)."""
    code = str(code or "")
    if not code or code in PENDING:
        return "INITIAL"
    if code == PAID:
        return "PAYED"
    return "CANCELED" if code in CANCELED else "FAILED"


def cents(amount):
    """"93.00" -> 9300: GiroCheckout takes the amount in the currency's smallest unit."""
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        raise Refused(f"amount {amount!r} is not a number") from None
    if value <= 0 or value != value.quantize(Decimal("0.01")):
        raise Refused(f"amount {amount!r} is not a positive amount with at most two decimals")
    return int(value * 100)


class GiroCheckout(Provider):
    """GiroCheckout's payment page: the browser pays there, the platform pushes the result to notify_url."""
    name = "girocheckout"
    push = True

    @property
    def base_url(self):
        return (self.settings.get("PAYMENT_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")

    def _signed(self, fields, values):
        password = self.settings["GIROCHECKOUT_PROJECT_PASSWORD"]
        data = dict(zip(fields, (str(v) for v in values)))
        data["hash"] = hmac_md5(password, *data.values())
        return data

    def _call(self, path, data):
        """POST the form, check the answer's signature; return the answer (a dict with rc 0)."""
        request = urllib.request.Request(self.base_url + path, data=urllib.parse.urlencode(data).encode(),
                                         headers={"Content-Type": "application/x-www-form-urlencoded",
                                                  "Accept": "application/json"}, method="POST")
        timeout = float(self.settings.get("PAYMENT_TIMEOUT") or 10)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                body, signature = response.read(), response.headers.get("hash")
        except urllib.error.HTTPError as error:
            detail = error.read()[:500].decode(errors="replace")
            error.close()
            log.warning("GiroCheckout %s answered HTTP %s: %s", path, error.code, detail)
            if error.code >= 500:
                raise Unavailable(f"GiroCheckout answered HTTP {error.code}") from None
            raise Refused(f"GiroCheckout refused the request (HTTP {error.code})") from None
        except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError) as error:
            log.warning("GiroCheckout %s not reached: %s", path, error)
            raise Unavailable("GiroCheckout did not answer") from None
        try:
            answer = json.loads(body)
            rc = str(answer["rc"])
        except (ValueError, KeyError, TypeError):
            raise Unavailable("GiroCheckout's answer is not the documented JSON") from None
        if rc != "0":
            log.warning("GiroCheckout %s refused: rc %s %s", path, rc, answer.get("msg"))
            what = "the project credentials were not accepted" if rc in AUTH_FAILED else answer.get("msg") or "error"
            error = Refused(f"GiroCheckout refused the request: {what} (rc {rc})")
            error.code, error.detail = rc, answer.get("msg")
            raise error
        expected = hmac_md5(self.settings["GIROCHECKOUT_PROJECT_PASSWORD"], body.decode())
        if not signature or not hmac.compare_digest(signature.strip().lower(), expected):
            log.warning("GiroCheckout %s: the answer's hash header does not match its body", path)
            raise Refused("GiroCheckout's answer is not signed with this project's password")
        return answer

    def start(self, payment):
        settings = self.settings
        answer = self._call("/transaction/start", self._signed(START_FIELDS, (
            settings["GIROCHECKOUT_MERCHANT_ID"], settings["GIROCHECKOUT_PROJECT_ID"], payment["key"],
            cents(payment["amount"]), payment["currency"] or "EUR", str(payment["purpose"])[:PURPOSE_MAX],
            payment["return_url"], payment["notify_url"])))
        if not answer.get("reference") or not answer.get("redirect"):
            raise Unavailable("GiroCheckout's answer has no reference or no redirect")
        return Started(transaction_id=answer["reference"], redirect_url=answer["redirect"])

    def fetch_status(self, payment):
        if not payment["transaction_id"]:
            raise Refused("no GiroCheckout reference for this payment: it was never started there")
        settings = self.settings
        answer = self._call("/transaction/status", self._signed(STATUS_FIELDS, (
            settings["GIROCHECKOUT_MERCHANT_ID"], settings["GIROCHECKOUT_PROJECT_ID"], payment["transaction_id"])))
        if answer.get("merchantTxId") not in (None, payment["key"]) or \
                answer.get("amount") not in (None, "", cents(payment["amount"]), str(cents(payment["amount"]))):
            log.warning("GiroCheckout status of %s is for another payment: %s", payment["transaction_id"], answer)
            raise Refused("GiroCheckout's status is for another payment or amount")
        code = answer.get("resultPayment")
        return Status(state=state_of(code), transaction_id=answer.get("reference") or payment["transaction_id"],
                      method=self._method(code), detail=None if code in (None, "", PAID) else f"resultPayment {code}")

    def _method(self, code):
        method = self.settings.get("GIROCHECKOUT_METHOD")     # a GiroCheckout project serves one payment method
        return method if str(code or "") == PAID and method in METHODS else None

    def verify_notification(self, request):
        params = request.args if request.method == "GET" else request.form
        values = [params.get(field) for field in NOTIFY_FIELDS]
        signature = params.get("gcHash") or ""
        if any(value is None for value in values) or not signature:
            raise InvalidNotification("a GiroCheckout notification lacks gc* fields")
        expected = hmac_md5(self.settings["GIROCHECKOUT_PROJECT_PASSWORD"], *values)
        if not hmac.compare_digest(signature.strip().lower().encode(), expected.encode()):
            raise InvalidNotification("the notification's gcHash does not match")
        reference, key, _backend, _amount, _currency, code = values
        return Notification(key=key, transaction_id=reference, status=Status(
            state=state_of(code), transaction_id=reference, method=self._method(code),
            detail=None if code == PAID else f"gcResultPayment {code}"))

    def notification_answer(self, accepted):
        """What GiroCheckout's own SDK answers: 200 when the notification was taken, 400 when it was not valid."""
        return ("", 200) if accepted else ("", 400)

    def origins(self):
        parts = urllib.parse.urlsplit(self.base_url)
        return [f"{parts.scheme}://{parts.netloc}"]

"""What a payment provider does, whatever platform sits behind it.

A provider starts a payment (and says where to send the browser), fetches its
state server-to-server, and, if the platform pushes notifications, verifies
one. States are XBezahldienste's own: INITIAL, PAYED, FAILED, CANCELED. The
browser's return is never trusted: it only prompts a fetch.
"""
from dataclasses import dataclass

STATES = ("INITIAL", "PAYED", "FAILED", "CANCELED")
SETTLED = ("PAYED", "FAILED", "CANCELED")
PURPOSE_MAX = 27      # XBezahldienste's limit on the purpose (Verwendungszweck)
METHODS = ("GIROPAY", "PAYDIRECT", "CREDITCARD", "PAYPAL", "INVOICE", "OTHER")  # FIT-Connect's paymentMethod


class ProviderError(Exception):
    """The platform could not be used; `message` is safe to show to the applicant (already translated by the caller)."""


class Unavailable(ProviderError):
    """The platform did not answer, or answered with a server error: try later, never block the submit."""


class Refused(ProviderError):
    """The platform answered and refused the request (a client error: wrong data, wrong credentials)."""


class InvalidNotification(Exception):
    """A notification that is not from the platform (wrong signature, unknown fields): answered with an error."""


@dataclass
class Started:
    """What `start` learns: the platform's transaction id, the page to send the browser to, the URL to poll."""
    transaction_id: str
    redirect_url: str
    transaction_url: str = None


@dataclass
class Status:
    """A payment's state as the platform reports it."""
    state: str                      # one of STATES
    transaction_id: str = None
    method: str = None              # one of METHODS when known
    method_detail: str = None       # e.g. "Visa"; ≤ 36 characters of [A-Za-z0-9_-]
    timestamp: str = None           # ISO 8601, when it was paid
    detail: str = None              # the platform's own words on a failure, for staff


@dataclass
class Notification:
    """A verified push from the platform: which payment (our key or the platform's id) and, if it says, its state."""
    key: str = None
    transaction_id: str = None
    status: Status = None


class Provider:
    """One payment platform. Subclasses set `name` and the capability flags and implement the three calls.

    `payment` is a mapping with: key (the idempotency key, a UUID per attempt), amount (a string with two
    decimals, e.g. "93.00"), currency, purpose (≤ 27 characters), description, kassenzeichen, transaction_id,
    transaction_url, created_at, return_url (where the platform sends the browser back) and notify_url
    (where it pushes notifications, for providers with `push`).
    """
    name = None
    push = False           # the platform calls notify_url when the state changes
    online = True          # False for the invoice: nothing to redirect to

    def __init__(self, settings):
        self.settings = settings   # the app's config: each provider reads its own PAYMENT_* keys

    def start(self, payment):
        """Create the transaction at the platform; return `Started`. Raises Unavailable or Refused."""
        raise NotImplementedError

    def fetch_status(self, payment):
        """The payment's state at the platform, server-to-server; return `Status`. Raises Unavailable or Refused."""
        raise NotImplementedError

    def verify_notification(self, request):
        """Check a pushed notification (a Flask request) and return `Notification`; raise InvalidNotification."""
        raise InvalidNotification("this provider sends no notifications")

    def notification_answer(self, accepted):
        """The HTTP answer the platform expects to a notification: (body, status)."""
        return ("", 200) if accepted else ("", 400)

    def origins(self):
        """The origins the browser is sent to (for the CSP's form-action)."""
        return []

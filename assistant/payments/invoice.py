"""The invoice: no platform, the applicant transfers the fee with the Kassenzeichen; the office marks it paid."""
from .base import Provider, Status


class Invoice(Provider):
    """Always available: the fallback when no platform is configured, the platform is down, or the applicant prefers it."""
    name = "invoice"
    online = False

    def start(self, payment):
        raise TypeError("an invoice is not started at a platform")

    def fetch_status(self, payment):
        return Status(state=payment["state"])  # only the office settles an invoice

"""The payment platforms by name, as the office configured them (ASSISTANT_PAYMENT_PROVIDER)."""
from flask import current_app

from .girocheckout import GiroCheckout
from .invoice import Invoice
from .xbezahldienste import XBezahldienste

PROVIDERS = {p.name: p for p in (XBezahldienste, GiroCheckout, Invoice)}


def provider(name):
    """A provider by name, configured from the app's settings."""
    return PROVIDERS[name](current_app.config)


def online():
    """The office's online platform, or None when it takes invoices only."""
    name = current_app.config["PAYMENT_PROVIDER"]
    return provider(name) if name and name != "invoice" else None


def form_action_origins(config):
    """Origins the browser may be sent to after a form (the CSP's form-action): the configured platform's."""
    name = config.get("PAYMENT_PROVIDER")
    return PROVIDERS[name](config).origins() if name in PROVIDERS else []

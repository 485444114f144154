"""Fees paid online or by invoice: providers by name (a registry like the hand-off targets), and what the journey,
the office and the reconciler do with a payment. docs/payments.md explains configuration and states."""
from .attempts import bank_details, begin, for_submission, invoice, mark_paid, note, reconcile, refresh  # noqa: F401
from .registry import PROVIDERS, form_action_origins, online, provider  # noqa: F401
from . import store  # noqa: F401


def init_app(app):
    """The notification endpoint and the `flask payments` commands."""
    from stdnum import iban

    from . import cli, views
    app.register_blueprint(views.bp)
    app.add_template_filter(iban.format, "iban")
    app.cli.add_command(cli.payments_cli)
    if app.config["PAYMENT_PROVIDER"] not in PROVIDERS and app.config["PAYMENT_PROVIDER"]:
        raise RuntimeError(f"ASSISTANT_PAYMENT_PROVIDER must be one of {', '.join(PROVIDERS)}")


"""Demo data for a first look: an applicant with a filled profile, staff, and a counselling service with two clients."""
import click
from flask import current_app
from flask.cli import AppGroup

from .db import get_db

DEMO_EMAIL = "demo@example.org"
DEMO_PASSWORD = "demo-password"
STAFF = [("caseworker", "caseworker@example.org", "caseworker-password"), ("admin", "admin@example.org", "admin-password")]
COUNSELOR = ("counselor", "counselor@example.org", "counselor-password")
CLIENTS = [{"family_name": "Ahmadi", "given_names": "Farid", "name_in_passport": "AHMADI FARID", "birth_date": "1994-02-11"},
           {"family_name": "Tesfay", "given_names": "Senait", "name_in_passport": "TESFAY SENAIT", "birth_date": "1999-09-02"}]
DEMO_PROFILE = {
    "family_name": "Haddad", "given_names": "Lina", "birth_date": "1990-03-27", "birth_place": "Aleppo",
    "birth_country": "SY", "nationality": "SY", "phone": "+4915123456789", "email": DEMO_EMAIL,
    "address": {"street": "Musterstraße 1", "postcode": "10115", "city": "Berlin", "country": "DE"},
    "passport_number": "N01234567", "name_in_passport": "HADDAD LINA", "passport_country": "SY", "passport_expiry": "2030-05-31",
}


@click.group("demo", cls=AppGroup)
def demo_cli():
    """Demo data commands."""


@demo_cli.command("load")
def load_command():
    """Create the demo accounts (once) and print their logins; never in production, where they would be a way in."""
    if current_app.config["ENV_NAME"] == "production":
        raise click.ClickException("Demo accounts are not created when ASSISTANT_ENV=production.")
    from .identity import create_account
    accounts = [("applicant", DEMO_EMAIL, DEMO_PASSWORD)] + STAFF
    for role, email, password in accounts:
        if not get_db().execute("SELECT 1 FROM accounts WHERE email = ?", [email]).fetchone():
            create_account(email, password, role=role, profile=DEMO_PROFILE if role == "applicant" else None)
    _counselling_service()
    click.echo(f"Demo logins ({current_app.config['BASE_URL'].rstrip('/')}/login):")
    for role, email, password in accounts + [COUNSELOR]:
        click.echo(f"  {role:<10} {email:<24} / {password}")


def _counselling_service():
    """An approved counselling service whose counselor has two clients, each under a power of attorney for all acts."""
    from .i18n import office_today
    from .identity import create_account
    from .representation import store
    if get_db().execute("SELECT 1 FROM accounts WHERE email = ?", [COUNSELOR[1]]).fetchone():
        return
    account_id = create_account(COUNSELOR[1], COUNSELOR[2])
    organisation_id = store.create_organisation(account_id, "Flüchtlingsberatung Musterstadt", "counselling_service",
                                                "Hafenstraße 3, 12345 Musterstadt")
    store.verify(organisation_id, "demo")
    member = store.membership(account_id)
    for profile, language in zip(CLIENTS, ("fa", "ar")):
        person_id = store.create_client(member, profile, language)
        store.add_mandate(member, person_id, "power_of_attorney", ["all"], None, office_today().isoformat(), None)


def init_app(app):
    """Register the `demo` CLI group."""
    app.cli.add_command(demo_cli)

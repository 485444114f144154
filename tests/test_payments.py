"""Paying the fee: through the fake XBezahldienste and GiroCheckout platforms (real HTTP, protocols enforced), by
invoice, with the platform down; booked once whatever races; the reconciler; the office and the packet."""
import io
import json
import sqlite3
import threading
from urllib.parse import urlparse

import pytest
from pypdf import PdfReader

from assistant.config import FAKES
from assistant.db import connect
from assistant.handoff import packets
from assistant.payments import store
from assistant.payments.base import Status
from tests.conftest import (PASSWORD, csrf_of, english_client, log_in, prepare_application,
                            register, soup, staff)
from tests.fakes import girocheckout, serve, stop, xbezahldienste

ADULT = {"change_of_purpose": "no", "receives_benefits": "no", "requested_period": "more_than_three_months"}


def settings_for(name, base):
    """The app's settings for a fake platform served at `base`."""
    fake = FAKES[f"fake-{name}"]
    old = fake["PAYMENT_BASE_URL"]
    return {k: v.replace(old, base) if isinstance(v, str) else v for k, v in fake.items()}


@pytest.fixture
def platform(request, make_app):
    """A fake platform (xbezahldienste by default), and an app that pays through it."""
    name = getattr(request, "param", "xbezahldienste")
    fake = (xbezahldienste if name == "xbezahldienste" else girocheckout).create_fake()
    server, base = serve(fake)
    app = make_app(**settings_for(name, base))
    yield app, fake, base
    stop(server)


def row_of(app, draft):
    """The payment that speaks for an application, read from the database."""
    db = connect(app.config["DATABASE"])
    return store.current(store.of_application(db, draft))


def pay_online(client, draft):
    """Choose to pay online; the answer sends the browser to the platform."""
    token = csrf_of(client, f"/applications/{draft}/pay")
    return client.post(f"/applications/{draft}/pay", data={"csrf_token": token, "method": "online"})


def at_platform(fake, location, action="pay"):
    """Press a button on the fake's paypage; returns where the platform sends the browser back (our return URL)."""
    answer = fake.test_client().post(urlparse(location).path, data={"action": action})
    assert answer.status_code == 303
    return urlparse(answer.location)


def send(client, draft):
    """Send the application from the pay page (declaration confirmed)."""
    token = csrf_of(client, f"/applications/{draft}/pay")
    return client.post(f"/applications/{draft}/submit", data={"csrf_token": token, "declaration": "yes"})


def receipt_text(client, draft):
    """The text of an application's receipt."""
    with client.get(f"/applications/{draft}/receipt.pdf") as response:
        return "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)


def packet_of(app, draft):
    return json.loads(sqlite3.connect(app.config["DATABASE"]).execute(
        "SELECT packet FROM outbox WHERE application_id = ?", [draft]).fetchone()[0])


def fitconnect_valid(metadata):
    """The metadata against FITKO's own schema (decimal multipleOf, as the packet builder checks it)."""
    packets.VALIDATOR.evolve(schema=packets.FITCONNECT).validate(metadata)
    return metadata["paymentInformation"]


def test_pay_the_extension_through_xbezahldienste_then_send(platform):
    app, fake, base = platform
    client = english_client(app)
    register(client)
    draft = prepare_application(client, app, "residence-permit-extension", ADULT)
    assert client.post(f"/applications/{draft}/submit", data={"csrf_token": csrf_of(client, f"/applications/{draft}/check"),
                                                              "declaration": "yes"}).location.endswith("/pay")  # pay first
    started = pay_online(client, draft)
    assert started.status_code == 303 and started.location.startswith(f"{base}/paypage/")
    request = next(iter(fake.fake.transactions.values()))["request"]
    assert request["grosAmount"] == 93.0 and len(request["purpose"]) <= 27
    # Back from the platform while still INITIAL (the person pressed Back): the page asks the platform and waits.
    payment = row_of(app, draft)
    back = client.get(f"/applications/{draft}/pay/return/{payment['key']}")
    assert back.status_code == 303 and row_of(app, draft)["state"] == "INITIAL"
    page = soup(client.get(f"/applications/{draft}/pay"))
    assert page.select_one("a.button.primary")["href"] == started.location           # resume the same payment
    assert page.select_one("form[action$='/submit']")                                  # or send with payment pending
    # Paid at the platform; the return only prompts a status call.
    returned = at_platform(fake, started.location)
    assert returned.path == f"/applications/{draft}/pay/return/{payment['key']}"
    client.get(returned.path)
    paid = row_of(app, draft)
    assert (paid["state"], paid["method"], paid["settled_by"], paid["amount"]) == ("PAYED", "CREDITCARD", "return", "93.00")
    assert "Paid" in soup(client.get(f"/applications/{draft}/pay")).select_one(".notice").text
    assert send(client, draft).location.endswith("?submitted=1")
    info = fitconnect_valid(packet_of(app, draft)["metadata"])
    assert info == {"transactionReference": paid["kassenzeichen"], "transactionId": paid["transaction_id"],
                    "paymentMethod": "CREDITCARD", "status": "BOOKED", "grossAmount": 93.0, "paymentMethodDetail": "Visa",
                    "transactionUrl": paid["transaction_url"], "transactionTimestamp": paid["paid_at"]}
    text = receipt_text(client, draft)
    assert paid["kassenzeichen"] in text and "CREDITCARD" in text and "§ 45 Nr. 2 b AufenthV" in text


def test_a_cancelled_payment_offers_another_try_or_the_invoice(platform):
    app, fake, _base = platform
    client = english_client(app)
    register(client)
    draft = prepare_application(client, app, "residence-permit-extension", ADULT)
    client.get(at_platform(fake, pay_online(client, draft).location, "cancel").path)
    assert row_of(app, draft)["state"] == "CANCELED"
    page = soup(client.get(f"/applications/{draft}/pay"))
    assert "No money was taken" in page.select_one(".notice").text
    assert {i["value"] for i in page.select("input[name=method]")} == {"online", "invoice"}
    assert not page.select_one("form[action$='/submit']")                             # nothing chosen that pays yet
    second = pay_online(client, draft)
    assert second.status_code == 303 and len(fake.fake.transactions) == 2                 # a new attempt, a new key


def test_the_platform_down_never_stops_the_submit(platform):
    app, fake, _base = platform
    fake.fake.down = True
    client = english_client(app)
    register(client)
    draft = prepare_application(client, app, "residence-permit-extension", ADULT)
    answer = pay_online(client, draft)
    assert answer.location.endswith(f"/applications/{draft}/pay")
    page = soup(client.get(answer.location))
    assert "cannot be reached" in page.text
    assert send(client, draft).location.endswith("?submitted=1")                       # sent with the payment pending
    info = fitconnect_valid(packet_of(app, draft)["metadata"])
    assert (info["status"], info["paymentMethod"]) == ("INITIAL", "OTHER")
    # Later the person pays the invoice from the status page; the office marks it paid.
    page = soup(client.get(f"/applications/{draft}"))
    assert page.select_one("#fee ~ p a.button")["href"].endswith(f"/applications/{draft}/pay")


def test_the_reconciler_settles_a_payment_the_browser_never_came_back_from_and_expires_old_ones(platform):
    app, fake, _base = platform
    client = english_client(app)
    register(client)
    draft = prepare_application(client, app, "residence-permit-extension", ADULT)
    pay_online(client, draft)
    first = row_of(app, draft)
    fake.fake.set_state(first["transaction_id"], "PAYED")                              # paid; the tab was closed
    other = prepare_application(client, app, "residence-permit-extension", ADULT)
    pay_online(client, other)
    db = sqlite3.connect(app.config["DATABASE"])
    db.execute("UPDATE payments SET created_at = '2026-01-01T00:00:00.000Z' WHERE application_id = ?", [other])
    db.commit()
    fake.fake.expire_tokens()                                                          # the token ran out meanwhile
    result = app.test_cli_runner().invoke(args=["payments", "reconcile", "--older-than", "0"])
    assert result.output.strip() == "CANCELED: 1, PAYED: 1"
    assert (row_of(app, draft)["state"], row_of(app, draft)["settled_by"]) == ("PAYED", "reconciler")
    assert (row_of(app, other)["state"], row_of(app, other)["detail"]) == ("CANCELED", "expired")
    assert app.test_cli_runner().invoke(args=["payments", "reconcile", "--older-than", "0"]).output.strip() == "nothing to settle"


def test_a_notification_and_a_return_that_race_book_once(platform, make_app):
    app, fake, _base = platform
    client = english_client(app)
    register(client)
    draft = prepare_application(client, app, "residence-permit-extension", ADULT)
    pay_online(client, draft)
    key = row_of(app, draft)["key"]
    barrier, booked = threading.Barrier(8), []

    def book(by):
        with app.app_context():
            from assistant.db import get_db
            barrier.wait()
            booked.append(store.settle(get_db(), key, Status("PAYED", method="PAYPAL"), by))
    threads = [threading.Thread(target=book, args=(f"racer-{i}",)) for i in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(booked) == [False] * 7 + [True]
    assert row_of(app, draft)["settled_by"].startswith("racer-")


@pytest.mark.parametrize("platform", ["girocheckout"], indirect=True)
def test_girocheckout_notifications_are_verified_and_booked_once(platform):
    app, fake, base = platform
    fake.fake.notify = "twice"                                                          # the platform repeats itself
    client = english_client(app)
    register(client)
    app.config["BASE_URL"] = "http://front-desk.test"
    draft = prepare_application(client, app, "residence-permit-extension", ADULT)
    started = pay_online(client, draft)
    assert started.location.startswith(f"{base}/paypage/")
    reference = row_of(app, draft)["transaction_id"]
    params = None
    # The fake cannot reach this in-process app over HTTP, so its signed notification is delivered by the test client.
    fake.fake.notify = "skip"
    at_platform(fake, started.location)
    params = fake.fake.gc_params(reference)
    answers = [client.get("/payments/notify/girocheckout", query_string=params).status_code for _ in range(2)]
    assert answers == [200, 200]
    paid = row_of(app, draft)
    assert (paid["state"], paid["settled_by"]) == ("PAYED", "notification")
    tampered = dict(params, gcAmount="1")
    assert client.get("/payments/notify/girocheckout", query_string=tampered).status_code == 400
    forged = dict(params, gcHash="0" * 32)
    assert client.get("/payments/notify/girocheckout", query_string=forged).status_code == 400
    assert send(client, draft).location.endswith("?submitted=1")
    assert fitconnect_valid(packet_of(app, draft)["metadata"])["status"] == "BOOKED"


def test_the_invoice_is_marked_paid_by_the_office_and_the_inbox_filters_by_payment(app):
    client = english_client(app)
    register(client)
    draft = prepare_application(client, app, "residence-permit-extension", ADULT)
    page = soup(client.get(f"/applications/{draft}/pay"))
    assert [i["value"] for i in page.select("input[name=method]")] == ["invoice"]     # no platform configured
    client.post(f"/applications/{draft}/pay", data={"csrf_token": csrf_of(client, f"/applications/{draft}/pay"), "method": "invoice"})
    page = soup(client.get(f"/applications/{draft}/pay"))
    invoice = row_of(app, draft)
    assert invoice["kassenzeichen"] in page.text and "DE02 1203 0000 0000 2020 51" in page.text
    assert send(client, draft).location.endswith("?submitted=1")
    info = fitconnect_valid(packet_of(app, draft)["metadata"])
    assert (info["paymentMethod"], info["status"], info["transactionReference"]) == ("INVOICE", "INITIAL", invoice["kassenzeichen"])
    text = receipt_text(client, draft)
    assert invoice["kassenzeichen"] in text and "DE02 1203 0000 0000 2020 51" in text
    clerk = staff(app)
    assert [r.a.text for r in soup(clerk.get("/office/?payment=open")).select("table.cases tbody tr")]
    assert not soup(clerk.get("/office/?payment=paid")).select("table.cases tbody tr")
    token = csrf_of(clerk, f"/office/cases/{draft}")
    assert clerk.post(f"/office/cases/{draft}/payment", data={"csrf_token": token, "action": "paid"}).status_code == 303
    assert clerk.post(f"/office/cases/{draft}/payment", data={"csrf_token": token, "action": "paid"}).status_code == 422
    assert row_of(app, draft)["settled_by"] == "office:clerk@example.org"
    assert soup(clerk.get("/office/?payment=paid")).select("table.cases tbody tr")
    assert "Your payment has arrived." in soup(client.get(f"/applications/{draft}")).select_one(".timeline").text
    clerk.post(f"/office/cases/{draft}/payment", data={"csrf_token": token, "action": "note", "note": "5 € erstattet"})
    assert "5 € erstattet" in soup(clerk.get(f"/office/cases/{draft}")).select_one("#payment").text
    assert "5 € erstattet" not in client.get(f"/applications/{draft}").get_data(as_text=True)


@pytest.mark.parametrize("platform", ["xbezahldienste"], indirect=True)
def test_the_csp_lets_a_form_lead_to_the_configured_platform_only(platform, client):
    app, _fake, base = platform
    csp = english_client(app).get("/").headers["Content-Security-Policy"]
    assert f"form-action 'self' {base};" in csp


# --- in a browser at 360 px ------------------------------------------------------------------------------------------

@pytest.fixture
def served(platform):
    """The paying app served over HTTP, its return and notification URLs pointing at itself."""
    from werkzeug.serving import make_server
    app, fake, base = platform
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config["BASE_URL"] = f"http://127.0.0.1:{server.server_port}"
    yield app, fake, app.config["BASE_URL"]
    server.shutdown()
    thread.join()


@pytest.mark.parametrize("platform, javascript", [("xbezahldienste", True), ("xbezahldienste", False),
                                                  ("girocheckout", True)], indirect=["platform"])
def test_a_person_pays_the_extension_on_a_phone(browser, served, javascript):
    app, fake, live = served
    client = english_client(app)
    email = f"pays-{javascript}@example.org"
    register(client, email=email)
    draft = prepare_application(client, app, "residence-permit-extension", ADULT)
    context = browser.new_context(viewport={"width": 360, "height": 640}, java_script_enabled=javascript, locale="en")
    page = context.new_page()
    try:
        log_in(page, live, email, PASSWORD)
        page.goto(f"{live}/applications/{draft}/check")
        page.click("text=Continue to payment")
        page.check("#method-online")
        page.click("form[action$='/pay'] button")
        page.wait_for_url("**/paypage/**")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.click("button[value=pay]")
        page.wait_for_url(f"{live}/applications/{draft}/pay")
        assert page.inner_text(".notice").startswith("Paid")
        page.check("#declaration")
        page.click("form[action$='/submit'] button")
        page.wait_for_url("**?submitted=1")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.screenshot(path=f"test-artifacts/paid-{fake.name.rsplit('.', 1)[-1]}-{'js' if javascript else 'nojs'}.png", full_page=True)
    finally:
        context.close()
    paid = row_of(app, draft)
    assert paid["state"] == "PAYED"
    text = receipt_text(client, draft)
    assert paid["kassenzeichen"] in text and "Paid" in text
    assert fitconnect_valid(packet_of(app, draft)["metadata"])["status"] == "BOOKED"


def test_a_person_chooses_the_invoice_on_a_phone(browser, live_server, app):
    client = english_client(app)
    register(client, email="invoice@example.org")
    draft = prepare_application(client, app, "residence-permit-extension", ADULT)
    context = browser.new_context(viewport={"width": 360, "height": 640}, java_script_enabled=False, locale="en")
    page = context.new_page()
    try:
        log_in(page, live_server, "invoice@example.org", PASSWORD)
        page.goto(f"{live_server}/applications/{draft}/pay")
        page.click("form[action$='/pay'] button")
        assert "DE02 1203 0000 0000 2020 51" in page.inner_text("main")
        page.check("#declaration")
        page.click("form[action$='/submit'] button")
        page.wait_for_url("**?submitted=1")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    finally:
        context.close()
    invoice = row_of(app, draft)
    text = receipt_text(client, draft)
    assert invoice["kassenzeichen"] in text and "Bank transfer" in text
    assert fitconnect_valid(packet_of(app, draft)["metadata"])["paymentMethod"] == "INVOICE"

"""The payment provider clients against the local fakes, over real HTTP: a payment paid, cancelled or failed on
the paypage, a repeated start, refusals, expired tokens, a platform that is down; and that the fakes enforce the
protocols (the sum of the items, the request hash) so that the clients cannot pass by being lenient together."""
import datetime
import json
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest
from flask import Flask, request

from assistant.payments.base import InvalidNotification, Refused, Unavailable
from assistant.payments.girocheckout import GiroCheckout, cents, hmac_md5, state_of
from assistant.payments.xbezahldienste import XBezahldienste, clean_purpose
from tests.fakes import girocheckout as giro_fake
from tests.fakes import serve, stop
from tests.fakes import xbezahldienste as xbz_fake

RETURN_URL = "http://front-desk.test/payment/return"


def payment(**values):
    """A payment as the app hands it to a provider."""
    return {"key": str(uuid.uuid4()), "amount": "93.00", "currency": "EUR", "purpose": "Aufenthaltstitel Verlängerung",
            "description": "Verlängerung der Aufenthaltserlaubnis (§ 45 AufenthV)", "kassenzeichen": "KZ.2026.0001",
            "transaction_id": None, "transaction_url": None, "created_at": "2026-01-01T10:00:00Z",
            "return_url": RETURN_URL, "notify_url": None} | values


@pytest.fixture
def served():
    """Serve Flask apps for one test: served(app) -> base URL; all stopped afterwards."""
    servers = []

    def run(app, ssl_context=None):
        server, base = serve(app, ssl_context)
        servers.append(server)
        return base
    yield run
    for server in servers:
        stop(server)


def press(redirect_url, action):
    """Press a paypage button as a browser would; return where the platform sends the browser (303 Location)."""
    page = urllib.request.urlopen(redirect_url, timeout=5).read().decode()
    assert f'value="{action}"' in page
    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as answer:
        opener.open(urllib.request.Request(redirect_url, data=urllib.parse.urlencode({"action": action}).encode()),
                    timeout=5)
    assert answer.value.code == 303
    location = answer.value.headers["Location"]
    answer.value.close()
    return location


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


# XBezahldienste


@pytest.fixture
def xbz(served):
    """Start an XBezahldienste fake: xbz(**options) -> (fake, client settings for it)."""
    def build(auth="oauth2", **options):
        app = xbz_fake.create_fake(auth=auth, **options)
        base = served(app)
        settings = {"PAYMENT_BASE_URL": base, "PAYMENT_AUTH": auth, "PAYMENT_ORIGINATOR_ID": "demo-originator",
                    "PAYMENT_ENDPOINT_ID": "demo-endpoint", "PAYMENT_TOKEN_URL": f"{base}/token",
                    "PAYMENT_CLIENT_ID": "demo", "PAYMENT_CLIENT_SECRET": "demo", "PAYMENT_USERNAME": "demo",
                    "PAYMENT_PASSWORD": "demo", "PAYMENT_TIMEOUT": 5}
        return app.fake, settings
    return build


def test_xbezahldienste_paid_on_the_paypage(xbz):
    fake, settings = xbz()
    provider, pay = XBezahldienste(settings), payment()
    started = provider.start(pay)
    assert started.redirect_url == f"{settings['PAYMENT_BASE_URL']}/paypage/{started.transaction_id}"
    assert started.transaction_url.endswith(f"/paymenttransaction/demo-originator/demo-endpoint/{started.transaction_id}")
    sent = fake.transactions[started.transaction_id]["request"]
    assert sent["requestId"] == pay["key"] and sent["grosAmount"] == 93.0 and sent["redirectUrl"] == RETURN_URL
    assert sent["purpose"] == "Aufenthaltstitel Verlaenger" and sent["items"][0]["reference"] == "KZ20260001"
    assert provider.fetch_status(pay | {"transaction_id": started.transaction_id}).state == "INITIAL"

    assert press(started.redirect_url, "pay") == RETURN_URL
    status = provider.fetch_status(pay | {"transaction_id": started.transaction_id})
    assert (status.state, status.method, status.method_detail) == ("PAYED", "CREDITCARD", "Visa")
    assert status.transaction_id == started.transaction_id
    assert datetime.datetime.fromisoformat(status.timestamp)
    assert provider.origins() == [settings["PAYMENT_BASE_URL"]]


@pytest.mark.parametrize("action, state", [("cancel", "CANCELED"), ("fail", "FAILED")])
def test_xbezahldienste_cancelled_or_failed(xbz, action, state):
    fake, settings = xbz(auth="basic")
    provider, pay = XBezahldienste(settings), payment()
    started = provider.start(pay)
    assert press(started.redirect_url, action) == RETURN_URL
    status = provider.fetch_status(pay | {"transaction_id": started.transaction_id})
    assert (status.state, status.method) == (state, None)


def test_xbezahldienste_state_set_by_the_test(xbz):
    fake, settings = xbz(auth="none")
    provider, pay = XBezahldienste(settings), payment()
    started = provider.start(pay)
    fake.set_state(started.transaction_id, "FAILED", detail="card-declined")
    status = provider.fetch_status(pay | {"transaction_id": started.transaction_id})
    assert (status.state, status.detail) == ("FAILED", "card-declined")


@pytest.mark.parametrize("options, known", [
    ({}, False),                                                     # found by its requestId
    ({"exists_names_id": True, "lookup_by_request_id": False}, False),  # named in the PAYMENT_EXISTS problem
    ({"lookup_by_request_id": False}, True),                         # our record has the transaction id
])
def test_xbezahldienste_repeated_start_fetches_the_existing_transaction(xbz, options, known):
    fake, settings = xbz(**options)
    provider, pay = XBezahldienste(settings), payment()
    first = provider.start(pay)
    again = provider.start(pay | {"transaction_id": first.transaction_id if known else None})
    assert (again.transaction_id, again.redirect_url) == (first.transaction_id, first.redirect_url)
    assert len(fake.transactions) == 1

    press(first.redirect_url, "pay")                                 # settled: the browser goes straight back
    assert provider.start(pay | {"transaction_id": first.transaction_id if known else None}).redirect_url == RETURN_URL


def test_xbezahldienste_repeated_start_without_a_way_to_find_it_is_refused(xbz):
    fake, settings = xbz(lookup_by_request_id=False)
    provider, pay = XBezahldienste(settings), payment()
    provider.start(pay)
    with pytest.raises(Refused):
        provider.start(pay)
    assert len(fake.transactions) == 1


def valid_request(**changes):
    body = {"requestId": str(uuid.uuid4()), "requestTimestamp": "2026-01-01T10:00:00.000Z", "currency": "EUR",
            "grosAmount": 93.00, "purpose": "Aufenthaltstitel", "description": "Gebühr", "redirectUrl": RETURN_URL,
            "items": [{"id": "1", "quantity": 1, "singleNetAmount": 93.00, "totalNetAmount": 93.00,
                       "totalTaxAmount": 0}]}
    return body | changes


@pytest.mark.parametrize("changes, code", [
    ({}, None),
    ({"grosAmount": 94.00}, "CALCULATION_ERROR"),
    ({"items": [{"id": "1", "quantity": 2, "singleNetAmount": 40, "totalNetAmount": 93, "totalTaxAmount": 0}]},
     "CALCULATION_ERROR"),
    ({"purpose": "A" * 28}, "VALIDATION_ERROR"),
    ({"purpose": "Gebühr"}, "VALIDATION_ERROR"),
    ({"currency": "USD"}, "VALIDATION_ERROR"),
    ({"grosAmount": 93.001}, "VALIDATION_ERROR"),
    ({"grosAmount": 0}, "VALIDATION_ERROR"),
    ({"requestId": "no spaces/slashes"}, "VALIDATION_ERROR"),
    ({"requestId": "x" * 37}, "VALIDATION_ERROR"),
    ({"redirectUrl": "javascript:alert(1)"}, "VALIDATION_ERROR"),
    ({"items": []}, "VALIDATION_ERROR"),
])
def test_the_xbezahldienste_fake_checks_requests(changes, code):
    client = xbz_fake.create_fake(auth="none").test_client()
    answer = client.post("/paymenttransaction/demo-originator/demo-endpoint", json=valid_request(**changes))
    if code is None:
        assert answer.status_code == 200 and answer.json["paymentInformation"]["status"] == "INITIAL"
    else:
        assert answer.status_code == 400 and answer.mimetype == "application/problem+json"
        assert answer.json["functionalCode"] == code


def test_the_xbezahldienste_fake_checks_path_and_credentials():
    client = xbz_fake.create_fake(auth="basic").test_client()
    url = "/paymenttransaction/demo-originator/demo-endpoint"
    assert client.post(url, json=valid_request()).status_code == 401
    assert client.post(url, json=valid_request(), auth=("demo", "wrong")).json["functionalCode"] == "FORBIDDEN"
    other = client.post("/paymenttransaction/other/demo-endpoint", json=valid_request(), auth=("demo", "demo"))
    assert (other.status_code, other.json["functionalCode"]) == (404, "NO_VALID_ORIGINATOR_OR_ENDPOINT")
    body = valid_request()
    assert client.post(url, json=body, auth=("demo", "demo")).status_code == 200
    again = client.post(url, json=body, auth=("demo", "demo"))
    assert (again.status_code, again.json["functionalCode"]) == (409, "PAYMENT_EXISTS")


def test_the_xbezahldienste_paypage_is_usable_on_a_phone():
    client = xbz_fake.create_fake(auth="none").test_client()
    created = client.post("/paymenttransaction/demo-originator/demo-endpoint", json=valid_request()).json
    html = client.get(urllib.parse.urlsplit(created["paymentInformation"]["transactionRedirectUrl"]).path).text
    assert 'name="viewport" content="width=device-width' in html and "min-height: 48px" in html
    assert html.count("<form method=\"post\">") == 3 and "93.00 EUR" in html


@pytest.mark.parametrize("auth, setting", [("oauth2", "PAYMENT_CLIENT_SECRET"), ("basic", "PAYMENT_PASSWORD")])
def test_xbezahldienste_wrong_credentials_are_refused(xbz, auth, setting):
    fake, settings = xbz(auth=auth)
    with pytest.raises(Refused, match="credentials"):
        XBezahldienste(settings | {setting: "wrong"}).start(payment())
    assert not fake.transactions


def test_xbezahldienste_wrong_originator_is_refused_with_the_platforms_code(xbz):
    fake, settings = xbz()
    with pytest.raises(Refused) as refused:
        XBezahldienste(settings | {"PAYMENT_ORIGINATOR_ID": "someone-else"}).start(payment())
    assert refused.value.code == "NO_VALID_ORIGINATOR_OR_ENDPOINT" and "someone-else" in refused.value.detail


def test_xbezahldienste_oauth2_token_is_cached_and_renewed_when_it_expires(xbz):
    fake, settings = xbz()
    provider, pay = XBezahldienste(settings), payment()
    started = provider.start(pay)
    XBezahldienste(settings).fetch_status(pay | {"transaction_id": started.transaction_id})
    assert fake.token_requests == 1                   # one token for both calls, across instances
    fake.expire_tokens()                              # the platform no longer accepts it: 401, then a new token
    assert provider.fetch_status(pay | {"transaction_id": started.transaction_id}).state == "INITIAL"
    assert fake.token_requests == 2


def test_xbezahldienste_down_or_unreachable_is_unavailable(xbz):
    fake, settings = xbz(auth="basic")
    provider, pay = XBezahldienste(settings), payment()
    started = provider.start(pay)
    fake.down = True
    with pytest.raises(Unavailable):
        provider.start(payment())
    with pytest.raises(Unavailable):
        provider.fetch_status(pay | {"transaction_id": started.transaction_id})
    fake.down = False
    assert provider.fetch_status(pay | {"transaction_id": started.transaction_id}).state == "INITIAL"
    with pytest.raises(Unavailable):
        XBezahldienste(settings | {"PAYMENT_BASE_URL": "http://127.0.0.1:9"}).start(payment())


def test_xbezahldienste_client_certificate(served, tmp_path):
    """mTLS (ePayBL): the platform accepts only a client certificate from its CA."""
    ssl = pytest.importorskip("ssl")
    ca, server_cert, client_cert = certificates(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*server_cert)
    context.load_verify_locations(ca)
    context.verify_mode = ssl.CERT_REQUIRED
    base = served(xbz_fake.create_fake(auth="none"), ssl_context=context)
    settings = {"PAYMENT_BASE_URL": base, "PAYMENT_AUTH": "mtls", "PAYMENT_ORIGINATOR_ID": "demo-originator",
                "PAYMENT_ENDPOINT_ID": "demo-endpoint", "PAYMENT_CLIENT_CERT": client_cert[0],
                "PAYMENT_CLIENT_KEY": client_cert[1], "PAYMENT_CA_FILE": ca, "PAYMENT_TIMEOUT": 5}
    pay = payment()
    started = XBezahldienste(settings).start(pay)
    assert XBezahldienste(settings).fetch_status(pay | {"transaction_id": started.transaction_id}).state == "INITIAL"
    with pytest.raises(Unavailable):                  # no certificate: the handshake fails
        XBezahldienste(settings | {"PAYMENT_AUTH": "none"}).start(payment())


def certificates(directory):
    """A CA, a server certificate for 127.0.0.1 and a client certificate, as PEM files."""
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    import ipaddress
    now = datetime.datetime.now(datetime.timezone.utc)

    def issue(name, issuer=None, ca=False, san=None):
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        builder = (x509.CertificateBuilder().subject_name(subject)
                   .issuer_name(issuer[0].subject if issuer else subject).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if san:
            builder = builder.add_extension(x509.SubjectAlternativeName([san]), critical=False)
        cert = builder.sign(issuer[1] if issuer else key, hashes.SHA256())
        cert_path, key_path = directory / f"{name}.pem", directory / f"{name}.key"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        return cert, key, str(cert_path), str(key_path)

    ca = issue("test-ca", ca=True)
    server = issue("server", issuer=ca, san=x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
    client = issue("client", issuer=ca)
    return ca[2], server[2:], client[2:]


def test_purpose_fits_the_sepa_character_set():
    assert clean_purpose("Gebühr § 45 AufenthV – Verlängerung") == "Gebuehr 45 AufenthV Verlaen"
    assert len(clean_purpose("x" * 40)) == 27


# GiroCheckout


def test_hmac_md5_published_test_vector():
    assert hmac_md5("secure", "1234567", "1234", "Wert1", "Wert2") == "4233d4d15a75d651d60ebabe99b3d846"
    assert hmac_md5("secure", "12345671234Wert1Wert2") == "4233d4d15a75d651d60ebabe99b3d846"


def test_amounts_in_cents_and_result_codes():
    assert (cents("93.00"), cents("0.10"), cents("96")) == (9300, 10, 9600)
    with pytest.raises(Refused):
        cents("93.001")
    assert [state_of(code) for code in ("4000", "4502", "4501", "4900", "4500", "4152", None)] == \
        ["PAYED", "CANCELED", "CANCELED", "FAILED", "FAILED", "INITIAL", "INITIAL"]


@pytest.fixture
def giro(served):
    """Start a GiroCheckout fake and a shop that takes its notifications: giro(**options) -> (fake, settings, shop).

    The shop answers each notification as the front desk does (verify_notification, notification_answer) and keeps
    what it accepted in shop.notifications.
    """
    def build(**options):
        app = giro_fake.create_fake(password="secret", **options)
        settings = {"PAYMENT_BASE_URL": served(app), "GIROCHECKOUT_MERCHANT_ID": "1234567",
                    "GIROCHECKOUT_PROJECT_ID": "1234", "GIROCHECKOUT_PROJECT_PASSWORD": "secret",
                    "GIROCHECKOUT_METHOD": "CREDITCARD", "PAYMENT_TIMEOUT": 5}
        shop = Flask("shop")
        shop.notifications = []

        @shop.get("/notify")
        def notify():
            try:
                shop.notifications.append(GiroCheckout(settings).verify_notification(request))
            except InvalidNotification:
                return GiroCheckout(settings).notification_answer(False)
            return GiroCheckout(settings).notification_answer(True)
        shop.url = served(shop) + "/notify"
        return app.fake, settings, shop
    return build


def browser_return(settings, location):
    """Verify the gc* parameters the browser brings back, as a Flask request of the shop."""
    with Flask("shop").test_request_context(location):
        return GiroCheckout(settings).verify_notification(request)


def test_girocheckout_paid_notified_and_fetched(giro):
    fake, settings, shop = giro()
    provider, pay = GiroCheckout(settings), payment(notify_url=shop.url)
    started = provider.start(pay)
    t = fake.transactions[started.transaction_id]
    assert (t["amount"], t["merchantTxId"], t["urlNotify"]) == ("9300", pay["key"], shop.url)
    assert provider.fetch_status(pay | {"transaction_id": started.transaction_id}).state == "INITIAL"

    location = press(started.redirect_url, "pay")
    assert location.startswith(RETURN_URL + "?") and "gcHash=" in location
    assert t["notifications"] == [200]                # pushed, and accepted, before the browser came back
    [notified] = shop.notifications
    assert (notified.key, notified.transaction_id, notified.status.state) == (pay["key"], started.transaction_id, "PAYED")
    assert browser_return(settings, location).status.state == "PAYED"
    status = provider.fetch_status(pay | {"transaction_id": started.transaction_id})
    assert (status.state, status.method, status.transaction_id) == ("PAYED", "CREDITCARD", started.transaction_id)
    assert provider.origins() == [settings["PAYMENT_BASE_URL"]]


@pytest.mark.parametrize("action, state", [("cancel", "CANCELED"), ("fail", "FAILED")])
def test_girocheckout_cancelled_or_failed(giro, action, state):
    fake, settings, shop = giro()
    provider, pay = GiroCheckout(settings), payment(notify_url=shop.url)
    started = provider.start(pay)
    press(started.redirect_url, action)
    assert shop.notifications[0].status.state == state
    status = provider.fetch_status(pay | {"transaction_id": started.transaction_id})
    assert (status.state, status.method) == (state, None)


@pytest.mark.parametrize("notify, count", [("skip", 0), ("twice", 2)])
def test_girocheckout_notification_missing_or_repeated(giro, notify, count):
    fake, settings, shop = giro(notify=notify)
    provider, pay = GiroCheckout(settings), payment(notify_url=shop.url)
    started = provider.start(pay)
    press(started.redirect_url, "pay")
    assert len(shop.notifications) == count and {n.key for n in shop.notifications} <= {pay["key"]}
    assert provider.fetch_status(pay | {"transaction_id": started.transaction_id}).state == "PAYED"


def test_girocheckout_tampered_notifications_are_rejected(giro):
    fake, settings, shop = giro()
    provider, pay = GiroCheckout(settings), payment(notify_url=shop.url)
    started = provider.start(pay)
    fake.set_result(started.transaction_id, "4502")
    params = fake.gc_params(started.transaction_id)
    assert browser_return(settings, "/?" + urllib.parse.urlencode(params)).status.state == "CANCELED"
    for tampered in (params | {"gcResultPayment": "4000"}, params | {"gcAmount": "1"},
                     params | {"gcHash": "0" * 32}, {k: v for k, v in params.items() if k != "gcBackendTxId"}):
        with pytest.raises(InvalidNotification):
            browser_return(settings, "/?" + urllib.parse.urlencode(tampered))
    with pytest.raises(urllib.error.HTTPError) as answer:       # the shop answers a forged push with 400
        urllib.request.urlopen(shop.url + "?" + urllib.parse.urlencode(params | {"gcAmount": "1"}), timeout=5)
    assert answer.value.code == 400
    answer.value.close()
    assert provider.notification_answer(True)[1] == 200 and provider.notification_answer(False)[1] == 400


def test_the_girocheckout_fake_checks_the_request_hash_and_the_amount():
    client = giro_fake.create_fake(password="secret").test_client()
    form = {"merchantId": "1234567", "projectId": "1234", "merchantTxId": "tx-1", "amount": "9300", "currency": "EUR",
            "purpose": "Aufenthaltstitel", "urlRedirect": RETURN_URL, "urlNotify": RETURN_URL}

    def post(form, key="secret"):
        answer = client.post("/transaction/start", data=form | {"hash": hmac_md5(key, *form.values())})
        return answer.json["rc"], answer.headers.get("hash")
    assert post(form)[0] == 0
    assert post(form, key="wrong")[0] == 5002
    assert post(form | {"amount": "93.00"})[0] == 5030          # cents, not euros
    assert post(form | {"currency": "USD"})[0] == 5033
    assert post(form | {"projectId": "999"}) == (5000, None)    # an unknown project's answer is not signed
    rc, signature = post(form)
    assert signature and rc == 0


@pytest.mark.parametrize("change", [{"GIROCHECKOUT_PROJECT_PASSWORD": "wrong"}, {"GIROCHECKOUT_PROJECT_ID": "999"}])
def test_girocheckout_wrong_credentials_are_refused(giro, change):
    fake, settings, shop = giro()
    with pytest.raises(Refused, match="rc 500[02]"):
        GiroCheckout(settings | change).start(payment(notify_url=shop.url))
    assert not fake.transactions


def test_girocheckout_answer_with_a_wrong_hash_is_refused(giro):
    """A signed answer that does not verify is a refusal: a wrong password or tampering; retrying heals neither."""
    fake, settings, shop = giro()
    provider, pay = GiroCheckout(settings), payment(notify_url=shop.url)
    started = provider.start(pay)
    fake.sign_key = "not-the-project-password"
    with pytest.raises(Refused, match="not signed"):
        provider.start(payment(notify_url=shop.url))
    with pytest.raises(Refused, match="not signed"):
        provider.fetch_status(pay | {"transaction_id": started.transaction_id})


def test_girocheckout_down_or_unreachable_is_unavailable(giro):
    fake, settings, shop = giro()
    fake.down = True
    with pytest.raises(Unavailable):
        GiroCheckout(settings).start(payment(notify_url=shop.url))
    with pytest.raises(Unavailable):
        GiroCheckout(settings | {"PAYMENT_BASE_URL": "http://127.0.0.1:9"}).start(payment(notify_url=shop.url))


def test_girocheckout_status_needs_a_reference_of_the_same_payment(giro):
    fake, settings, shop = giro()
    provider = GiroCheckout(settings)
    with pytest.raises(Refused):
        provider.fetch_status(payment())
    started = provider.start(payment(notify_url=shop.url))
    with pytest.raises(Refused, match="another payment"):
        provider.fetch_status(payment(transaction_id=started.transaction_id))
    with pytest.raises(Refused, match="rc 5034"):
        provider.fetch_status(payment(transaction_id=str(uuid.uuid4())))
    assert json.dumps(fake.transactions[started.transaction_id]["notifications"]) == "[]"

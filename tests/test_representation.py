"""Organisations act for clients under a mandate: the client is in every URL, only an assigned member under a mandate of
the right scope gets in, the packet names who acted, and nothing of one client ever reaches another's pages."""
import io
import re
from datetime import date, timedelta

import pytest
from flask.testing import FlaskClient

from assistant.i18n import office_today

from tests.conftest import (ARTIFACTS, choose_language, csrf_of, draft_id_of, english_client, fill, jpeg_bytes, organisation, packet_of,
                            pdf_bytes, register, soup, staff, submit, upload)

SERVICE = "general-enquiry"
ANSWERS = {"topic": "permit"}
LINA = {"family_name": "Haddad", "given_names": "Lina", "name_in_passport": "HADDAD LINA", "birth_date": "27.03.1990",
        "email": "lina@example.org"}
OMAR = {"family_name": "Khalil", "given_names": "Omar", "name_in_passport": "KHALIL OMAR", "birth_date": "01.01.1980"}


def code_of(account, action="code"):
    """The one-time code an account makes under "Representatives": `code` to link it as a client, `join` to join."""
    assert account.post("/representatives", data={"csrf_token": csrf_of(account, "/representatives"),
                                                  "action": action}).status_code == 303
    return re.search(r"[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}", soup(account.get("/representatives")).text).group()


def join(admin, account, role="counselor"):
    """The account makes a joining code and the organisation's admin adds it with it."""
    data = {"csrf_token": csrf_of(admin, "/organisation"), "code": code_of(account, "join"), "role": role}
    assert admin.post("/organisation/members", data=data).status_code == 303


def new_client(member, profile, language="ar"):
    """Create a client through the form; returns its id."""
    response = submit(member, "/clients/new", profile | {"language": language}, action=None)
    assert response.status_code == 303, soup(response).select(".error-summary li")
    return int(response.location.rsplit("/", 1)[1])


def mandate(member, client_id, scope=("submit", "messages"), kind="power_of_attorney", services=(), document=False,
            **dates):
    """Record a mandate through the client's page (`document`: with the signed power of attorney, so it is on file)."""
    token = csrf_of(member, f"/clients/{client_id}")
    data = {"csrf_token": token, "kind": kind, "scope": list(scope), "services": list(services), **dates}
    if document:
        data["file"] = (io.BytesIO(pdf_bytes()), "vollmacht.pdf")
    response = member.post(f"/clients/{client_id}/mandates", data=data, content_type="multipart/form-data")
    assert response.status_code == 303


def two_clients(app, email, omar=OMAR):
    """An organisation's member with the clients Lina and Omar, each under a mandate: (member, lina, omar)."""
    member = organisation(app, email)
    lina, omar_id = new_client(member, LINA), new_client(member, omar)
    mandate(member, lina)
    mandate(member, omar_id)
    return member, lina, omar_id


def client_draft(app, email, **organisation_args):
    """An organisation's member, its client Lina under a mandate to submit and receive messages, and a draft for her:
    (member, client id, draft path, draft id)."""
    member = organisation(app, email, **organisation_args)
    lina = new_client(member, LINA)
    mandate(member, lina)
    url = start_for(member, lina)
    return member, lina, url, draft_id_of(url)


def start_for(member, client_id, service_id=SERVICE):
    token = csrf_of(member, f"/clients/{client_id}")
    response = member.post(f"/clients/{client_id}/services/{service_id}/start", data={"csrf_token": token})
    assert response.status_code == 302, response.status_code
    return response.location


def prepare_for(app, member, url):
    """Answer every step and upload every document of a client's draft; returns the check page's path."""
    service = app.extensions["services"][SERVICE]
    draft = draft_id_of(url)
    prefix = url.split("/applications/")[0]
    while not url.endswith(("/documents", "/check")):
        url = fill(member, url, service, ANSWERS)
    for section in soup(member.get(f"{prefix}/applications/{draft}/documents")).select("section.document"):
        assert upload_for(member, prefix, draft, section["id"][2:]).status_code == 303
    return f"{prefix}/applications/{draft}/check"


def walk_and_submit(app, member, url):
    """Answer every step, upload every document, send; returns the application id."""
    draft = draft_id_of(url)
    prefix = url.split("/applications/")[0]
    check = prepare_for(app, member, url)
    response = member.post(f"{prefix}/applications/{draft}/submit",
                           data={"csrf_token": csrf_of(member, check), "declaration": "yes"})
    assert response.status_code == 303 and "submitted=1" in response.location, soup(response).select(".error-summary li")
    assert member.get(response.location).status_code == 200                 # "Application sent", with its reference
    return draft


def upload_for(member, prefix, draft, document_id):
    return upload(member, draft, document_id, ("scan.jpg", jpeg_bytes((300, 200))), prefix=prefix)


def test_a_counselor_submits_for_a_client_and_the_packet_names_who_acted_under_which_mandate(app, mailbox):
    member = organisation(app, "counselor@example.org")
    lina = new_client(member, LINA)
    mandate(member, lina)
    url = start_for(member, lina)
    assert url.startswith(f"/clients/{lina}/applications/")
    page = soup(member.get(url))
    assert "You are acting for Lina Haddad" in page.select_one("main .acting").text
    assert all(a["href"].startswith(f"/clients/{lina}/") for a in page.select("main a[href*='/applications/']"))
    assert prefilled(app, draft_id_of(url)).items() >= {"family_name": "Haddad", "given_names": "Lina"}.items()
    mailbox.clear()
    draft = walk_and_submit(app, member, url)
    assert [m["To"] for m in mailbox] == ["counselor@example.org"]            # the confirmation follows the mandate
    packet = packet_of(app, draft)
    assert packet["representative"]["account_email"] == "counselor@example.org"
    assert packet["representative"]["organisation"]["name"] == "Beratungsstelle Nord"
    assert set(packet["representative"]["mandate"]["scope"]) == {"submit", "messages"}
    assert packet["metadata"]["replyChannel"]["eMail"]["address"] == "counselor@example.org"   # the mandate covers it
    # The application is not the counselor's own: without the client in the URL it does not exist.
    assert member.get(f"/applications/{draft}").status_code == 404
    assert member.get("/dashboard").location.endswith("/clients")
    assert member.get("/profile").location.endswith("/clients")                 # a member has no profile of its own


def test_a_supporter_or_a_mandate_without_messages_leaves_the_reply_channel_with_the_client(app):
    member = organisation(app, "support@example.org")
    lina = new_client(member, LINA)
    mandate(member, lina, scope=("all",), kind="supporter")
    draft = walk_and_submit(app, member, start_for(member, lina))
    packet = packet_of(app, draft)
    assert packet["representative"]["mandate"]["kind"] == "supporter"
    assert packet["metadata"]["replyChannel"]["eMail"]["address"] != "support@example.org"


def test_an_organisation_the_office_has_not_approved_prepares_but_cannot_submit(app):
    member, lina, url, draft = client_draft(app, "new@example.org", verified=False)
    with pytest.raises(AssertionError):
        walk_and_submit(app, member, url)
    response = member.post(f"/clients/{lina}/applications/{draft}/submit",
                           data={"csrf_token": csrf_of(member, f"/clients/{lina}"), "declaration": "yes"})
    assert response.status_code == 403 and "not yet approved" in response.get_data(as_text=True)


def prefilled(app, draft):
    """The answers a draft was prefilled with when it was started."""
    import json
    from assistant.db import connect
    db = connect(app.config["DATABASE"])
    try:
        return {r[0]: json.loads(r[1]) for r in db.execute(
            "SELECT question_id, value FROM answers WHERE application_id = ? AND prefilled", [draft])}
    finally:
        db.close()


def client_routes(app):
    """Every route a client's work goes through: the client pages and every application route under /clients/."""
    return sorted({(rule.rule, method) for rule in app.url_map.iter_rules() if rule.rule.startswith("/clients/<")
                   for method in rule.methods - {"HEAD", "OPTIONS"}})


def build(rule, values):
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: str(values[m.group(1)]), rule)


def test_everyone_but_the_assigned_member_under_a_current_mandate_is_refused_on_every_client_route(app):
    member, lina, url, draft = client_draft(app, "owner@example.org")
    service = app.extensions["services"][SERVICE]
    values = {"person_id": lina, "client_id": lina, "application_id": draft, "service_id": SERVICE,
              "step_id": service.steps[0].id, "question_id": service.steps[0].questions[0].id, "document_id": "attachments",
              "file_id": "x", "message_id": 1, "key": "k", "number": 1, "mandate_id": 1}
    colleague = register(FlaskClient(app, use_cookies=True), email="colleague@example.org")
    join(member, colleague)                                          # the same organisation, not assigned to Lina
    other = organisation(app, "other@example.org", name="Kanzlei Süd")
    applicant = register(FlaskClient(app, use_cookies=True), email="someone@example.org")
    routes = client_routes(app)
    assert len(routes) >= 25
    for who, client in [("colleague", colleague), ("other organisation", other), ("applicant", applicant),
                        ("stranger", english_client(app))]:
        token = csrf_of(client, "/accessibility")
        for rule, method in routes:
            response = client.open(build(rule, values), method=method, data={"csrf_token": token})
            allowed = {404, 403} if who != "stranger" else {302, 400, 403, 404}
            assert response.status_code in allowed, (who, method, rule, response.status_code)


@pytest.mark.parametrize("change", ["revoked", "expired", "out of scope", "not yet valid"])
def test_a_revoked_expired_or_out_of_scope_mandate_ends_access_at_once(app, change):
    member = organisation(app, f"{change.replace(' ', '-')}@example.org")
    lina = new_client(member, LINA)
    today = office_today()
    if change == "out of scope":
        mandate(member, lina, scope=("inspect",))
    elif change == "expired":
        mandate(member, lina, valid_from=(today - timedelta(days=30)).isoformat(),
                valid_until=(today - timedelta(days=1)).isoformat())
    elif change == "not yet valid":
        mandate(member, lina, valid_from=(today + timedelta(days=3)).isoformat())
    else:
        mandate(member, lina)
        url = start_for(member, lina)
        assert member.get(url).status_code == 200
        page = soup(member.get(f"/clients/{lina}"))
        form = page.select_one("#mandates ~ ul form, ul.items form[action*='/revoke']")
        assert member.post(form["action"], data={"csrf_token": csrf_of(member, f"/clients/{lina}")}).status_code == 303
        assert member.get(url).status_code == 403                           # at once, also for a draft already open
    token = csrf_of(member, f"/clients/{lina}")
    refused = member.post(f"/clients/{lina}/services/{SERVICE}/start", data={"csrf_token": token})
    assert refused.status_code == 403 and "No current mandate" in refused.get_data(as_text=True)   # said to the member


def test_nothing_of_one_client_appears_in_another_clients_pages_drafts_or_packet(app):
    """The regression CiviForm had (civiform#2636): submit for X, then start for Y."""
    member, lina, omar = two_clients(app, "two@example.org")
    walk_and_submit(app, member, start_for(member, lina))
    url = start_for(member, omar)
    assert prefilled(app, draft_id_of(url)).items() >= {"family_name": "Khalil", "given_names": "Omar"}.items()
    assert not set(prefilled(app, draft_id_of(url)).values()) & {"Haddad", "Lina", "HADDAD LINA", "lina@example.org"}
    pages = [member.get(url).get_data(as_text=True), member.get(f"/clients/{omar}").get_data(as_text=True)]
    second = walk_and_submit(app, member, url)
    pages.append(str(packet_of(app, second)))
    for text in pages:
        for value in ("Lina", "HADDAD", "lina@example.org", "27.03.1990", "1990-03-27"):
            assert value not in text, value


def test_the_offices_news_go_to_the_representative_only_while_the_mandate_covers_them(app, mailbox):
    member = organisation(app, "news@example.org")
    lina = new_client(member, LINA)
    mandate(member, lina, scope=("submit", "messages"))        # messages, but no decisions
    draft = walk_and_submit(app, member, start_for(member, lina))
    client_email = packet_of(app, draft)["applicant"]["email"]                # as the application gives it
    clerk = staff(app, email="clerk-news@example.org")
    case = f"/office/cases/{draft}"

    def send(kind, **more):
        mailbox.clear()
        data = {"csrf_token": csrf_of(clerk, case), "kind": kind, "body": "Bitte", **more}
        assert clerk.post(f"{case}/messages", data=data, content_type="multipart/form-data").status_code == 303
        return [m["To"] for m in mailbox]

    assert send("message") == ["news@example.org"]
    link = next(line for line in mailbox[0].get_content().splitlines() if "/applications/" in line)
    assert f"/clients/{lina}/applications/{draft}" in link                     # the link opens the client's page
    mailbox.clear()
    data = {"csrf_token": csrf_of(clerk, case), "kind": "decision", "body": "Bescheid",
            "file": (io.BytesIO(pdf_bytes()), "bescheid.pdf")}
    assert clerk.post(f"{case}/messages", data=data, content_type="multipart/form-data").status_code == 303
    assert [m["To"] for m in mailbox] == [client_email]                       # no mandate to receive decisions
    page = soup(clerk.get(case))
    assert "news@example.org" in page.select_one("#representative").text
    timeline = page.select_one("ul.timeline").text
    assert "news@example.org" in timeline and client_email in timeline        # every delivery, with its recipient
    # Revoked: from now on the client receives the messages.
    form = soup(member.get(f"/clients/{lina}")).select_one("form[action*='/revoke']")
    member.post(form["action"], data={"csrf_token": csrf_of(member, f"/clients/{lina}")})
    assert send("message") == [client_email]


def test_the_admin_adds_a_colleague_assigns_a_client_and_access_ends_when_the_colleague_leaves(app):
    admin = organisation(app, "lead@example.org")
    lina = new_client(admin, LINA)
    mandate(admin, lina)
    colleague = register(FlaskClient(app, use_cookies=True), email="mate@example.org")
    token = csrf_of(admin, "/organisation")
    assert admin.post("/organisation/members", data={"csrf_token": token, "code": "ABCD-1234-EF56",
                                                     "role": "counselor"}).status_code == 303
    assert "mate@example.org" not in soup(admin.get("/organisation")).text   # no account joins without its own code
    join(admin, colleague)
    page = soup(admin.get("/organisation"))
    assert "mate@example.org" in page.text
    mate = next(o["value"] for o in page.select(f"#a-{lina} option") if o.text == "mate@example.org")
    assert colleague.get(f"/clients/{lina}").status_code == 404                 # not assigned yet
    assert admin.post(f"/organisation/clients/{lina}/assign", data={"csrf_token": token, "member_id": mate}).status_code == 303
    url = start_for(colleague, lina)
    assert colleague.get(url).status_code == 200
    leave = next(f["action"] for f in soup(admin.get("/organisation")).select("form[action*='/leave']"))
    assert admin.post(leave, data={"csrf_token": token}).status_code == 303
    assert colleague.get(url).status_code == 404 and colleague.get(f"/clients/{lina}").status_code == 403
    assert admin.get(url).status_code == 200                                  # the organisation's mandate stays
    assert colleague.get("/profile").status_code == 200                       # and the colleague may apply again
    assert colleague.post("/services/general-enquiry/start",
                          data={"csrf_token": csrf_of(colleague, "/profile")}).status_code == 302


def test_the_counselors_list_puts_the_most_urgent_client_first_and_finds_names_in_both_spellings(app):
    member, lina, omar = two_clients(app, "day@example.org", OMAR | {"given_names": "عمر"})
    draft = walk_and_submit(app, member, start_for(member, omar))
    clerk = staff(app, email="clerk-day@example.org")
    due = (date.today() + timedelta(days=5)).isoformat()
    clerk.post(f"/office/cases/{draft}/messages", data={"csrf_token": csrf_of(clerk, f"/office/cases/{draft}"),
                                                        "kind": "request", "body": "Mietvertrag", "due_date": due})
    names = [a.text for a in soup(member.get("/clients")).select("ul.items li > span > a:first-child")]
    assert names == ["عمر Khalil", "Lina Haddad"]                      # the open request first, although K > H
    for query, expected in (("khalil omar", ["عمر Khalil"]), ("عمر", ["عمر Khalil"]), ("HADDAD", ["Lina Haddad"])):
        found = [a.text for a in soup(member.get("/clients", query_string={"q": query})).select("ul.items li > span > a:first-child")]
        assert found == expected, query


def test_a_member_idle_too_long_on_a_shared_device_is_logged_out(app):
    member = organisation(app, "idle@example.org")
    assert member.get("/clients").status_code == 200
    with member.session_transaction() as session:
        session["seen_at"] -= app.config["MEMBER_IDLE_MINUTES"] * 60 + 1
    response = member.get("/clients")
    assert response.status_code == 302 and "/login" in response.location
    assert member.get("/clients").status_code == 302                        # the session is over, not just this page


def test_an_applicant_links_their_account_by_a_code_sees_the_mandate_and_revokes_it(app, mailbox):
    own = register(english_client(app), email="lina-self@example.org")
    token = csrf_of(own, "/representatives")
    assert own.post("/representatives", data={"csrf_token": token, "action": "code"}).status_code == 303
    code = re.search(r"[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}", soup(own.get("/representatives")).text).group()
    member = organisation(app, "linker@example.org")
    lina = new_client(member, LINA)
    mandate(member, lina)
    url = start_for(member, lina)
    link = {"csrf_token": csrf_of(member, f"/clients/{lina}"), "code": code.lower()}
    assert member.post(f"/clients/{lina}/link", data=link).status_code == 303
    assert "Connected with the client's own account" in soup(member.get(f"/clients/{lina}")).text
    assert member.post(f"/clients/{lina}/link", data=link).status_code == 303          # a code works once
    page = soup(own.get("/representatives"))
    assert "Beratungsstelle Nord" in page.text
    revoke = {"csrf_token": csrf_of(own, "/representatives"), "mandate_id": page.select_one("input[name=mandate_id]")["value"]}
    assert own.post("/representatives", data=revoke).status_code == 303
    assert "Revoked" in soup(own.get("/representatives")).text
    assert member.get(url).status_code == 403                                  # the client's revocation ends it at once
    stranger = register(FlaskClient(app, use_cookies=True), email="eve2@example.org")
    assert stranger.post("/representatives", data=revoke | {"csrf_token": csrf_of(stranger, "/representatives")}
                         ).status_code == 404


def test_dates_and_codes_typed_in_persian_digits_are_read_and_a_date_that_is_none_is_refused(app):
    """A browser without a date picker sends what was typed: ۲۰۲۶-۰۱-۰۱ is the 1st of January 2026, 2026-13-01 is no
    date (refused, and the client's page keeps working); a code typed in Persian digits links the account."""
    own = register(english_client(app), email="digits-self@example.org")
    code = code_of(own).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    member = organisation(app, "digits@example.org")
    lina = new_client(member, LINA)
    mandate(member, lina, valid_from="۲۰۲۶-۰۱-۰۱", valid_until="٢٠٣٠-٠١-٠١")
    token = csrf_of(member, f"/clients/{lina}")
    refused = member.post(f"/clients/{lina}/mandates", data={"csrf_token": token, "kind": "power_of_attorney",
                                                              "scope": ["submit"], "valid_from": "2026-13-01"},
                          content_type="multipart/form-data")
    assert refused.status_code == 303
    page = member.get(f"/clients/{lina}")
    assert page.status_code == 200 and "This date does not exist" in page.get_data(as_text=True)
    from assistant.db import connect
    db = connect(app.config["DATABASE"])
    try:
        dates = db.execute("SELECT valid_from, valid_until FROM mandates").fetchall()
    finally:
        db.close()
    assert [tuple(d) for d in dates] == [("2026-01-01", "2030-01-01")]
    link = {"csrf_token": csrf_of(member, f"/clients/{lina}"), "code": code}
    assert member.post(f"/clients/{lina}/link", data=link).status_code == 303
    assert "Connected with the client's own account" in soup(member.get(f"/clients/{lina}")).text


def test_the_client_reviews_in_their_language_with_german_beside_and_the_confirmation_is_recorded(app):
    member = organisation(app, "review@example.org")
    token = csrf_of(member, "/organisation")
    member.post("/organisation/review", data={"csrf_token": token, "required": "yes"})
    lina = new_client(member, LINA, language="ar")
    mandate(member, lina)
    url = start_for(member, lina)
    draft = draft_id_of(url)
    with pytest.raises(AssertionError):                                      # not without the client's confirmation
        walk_and_submit(app, member, url)
    check = f"/clients/{lina}/applications/{draft}/check"
    asked = member.post(f"/clients/{lina}/applications/{draft}/review", data={"csrf_token": csrf_of(member, check)})
    assert asked.status_code == 303
    link = re.search(r"https?://[^\s<]+/review/([\w-]+)", member.get(check).get_data(as_text=True)).group(1)
    client = FlaskClient(app, use_cookies=True)                               # the client's own phone, no account
    page = soup(client.get(f"/review/{link}"))
    assert page.html["lang"] == "ar" and page.select_one("dl.summary span[lang=de]")   # Arabic, German beside it
    assert client.post(f"/review/{link}", data={"csrf_token": page.select_one("input[name=csrf_token]")["value"],
                                                "decision": "confirmed"}).status_code == 200
    assert client.get(f"/review/{link}").status_code == 404                   # single use
    response = member.post(f"/clients/{lina}/applications/{draft}/submit",
                           data={"csrf_token": csrf_of(member, check), "declaration": "yes"})
    assert response.status_code == 303
    assert packet_of(app, draft)["representative"]["review"]["language"] == "ar"


def test_a_review_link_is_void_once_the_answers_change(app):
    member, lina, url, draft = client_draft(app, "void@example.org")
    check = prepare_for(app, member, url)
    member.post(f"/clients/{lina}/applications/{draft}/review", data={"csrf_token": csrf_of(member, check)})
    link = re.search(r"/review/([\w-]+)", member.get(check).get_data(as_text=True)).group(1)
    assert FlaskClient(app, use_cookies=True).get(f"/review/{link}").status_code == 200
    assert upload_for(member, f"/clients/{lina}", draft, "attachments").status_code == 303   # one more document
    assert FlaskClient(app, use_cookies=True).get(f"/review/{link}").status_code == 404


def test_the_caseworker_requests_the_power_of_attorney_from_the_representative(app, mailbox):
    member = organisation(app, "poa@example.org")
    lina = new_client(member, LINA)
    mandate(member, lina)
    draft = walk_and_submit(app, member, start_for(member, lina))
    clerk = staff(app, email="clerk-poa@example.org")
    form = soup(clerk.get(f"/office/cases/{draft}")).select_one("#representative form")
    mailbox.clear()
    assert clerk.post(form["action"], data={i["name"]: i.get("value", "") for i in form.select("input")}).status_code == 303
    assert [m["To"] for m in mailbox] == ["poa@example.org"]
    page = soup(member.get(f"/clients/{lina}/applications/{draft}"))
    assert "Vollmacht" in page.select_one("main").text                      # the open request, on the client's page


def test_the_counselors_list_filters_by_service_and_status(app):
    member, lina, omar = two_clients(app, "filter@example.org")
    walk_and_submit(app, member, start_for(member, lina))
    start_for(member, omar, "new-card")

    def names(**filters):
        return [a.text for a in soup(member.get("/clients", query_string=filters)).select("ul.items li > span > a:first-child")]

    assert sorted(names()) == ["Lina Haddad", "Omar Khalil"]
    assert names(service=SERVICE) == ["Lina Haddad"]
    assert names(status="draft") == ["Omar Khalil"]
    assert names(service="new-card", status="submitted") == []


def test_what_needs_the_client_in_person_goes_to_the_client_with_a_copy_to_the_representative(app, mailbox):
    member, lina, url, draft = client_draft(app, "copy@example.org")
    draft = walk_and_submit(app, member, url)
    client_email = packet_of(app, draft)["applicant"]["email"]
    clerk = staff(app, email="clerk-copy@example.org")
    case = f"/office/cases/{draft}"
    mailbox.clear()
    data = {"csrf_token": csrf_of(clerk, case), "kind": "request", "body": "Fingerabdrücke", "personal": "yes",
            "due_date": (date.today() + timedelta(days=7)).isoformat()}
    assert clerk.post(f"{case}/messages", data=data).status_code == 303
    assert sorted(m["To"] for m in mailbox) == sorted([client_email, "copy@example.org"])
    mailbox.clear()
    assert clerk.post(f"{case}/messages", data=data | {"personal": ""}).status_code == 303
    assert [m["To"] for m in mailbox] == ["copy@example.org"]                  # otherwise to the representative only


def test_a_mandate_for_some_services_covers_only_those(app):
    member = organisation(app, "some@example.org")
    lina = new_client(member, LINA)
    mandate(member, lina, services=["new-card"])
    assert "New residence card" in soup(member.get(f"/clients/{lina}")).select_one("#mandates ~ ul").text
    assert start_for(member, lina, "new-card").startswith(f"/clients/{lina}/applications/")
    refused = member.post(f"/clients/{lina}/services/{SERVICE}/start", data={"csrf_token": csrf_of(member, f"/clients/{lina}")})
    assert refused.status_code == 403


def office_sends(clerk, draft, kind, mailbox, **more):
    """A caseworker sends a message of this kind on the case; returns the addresses the news went to."""
    case = f"/office/cases/{draft}"
    mailbox.clear()
    data = {"csrf_token": csrf_of(clerk, case), "kind": kind, "body": "Bitte", **more}
    if kind == "decision":
        data["file"] = (io.BytesIO(pdf_bytes()), "bescheid.pdf")
    assert clerk.post(f"{case}/messages", data=data, content_type="multipart/form-data").status_code == 303
    return sorted(m["To"] for m in mailbox)


REP, CLIENT = "rep@example.org", "client"   # the client: the address the application gives


@pytest.mark.parametrize("variant, scope, kind, document, message_to, decision_to, reply", [
    ("all acts, on file", ("all",), "power_of_attorney", True, REP, REP, REP),
    ("without decisions", ("submit", "messages"), "power_of_attorney", True, REP, CLIENT, REP),
    ("decisions, not on file", ("all",), "power_of_attorney", False, REP, CLIENT, REP),
    ("supporter only", ("all",), "supporter", True, CLIENT, CLIENT, CLIENT),
    ("revoked before the decision", ("all",), "power_of_attorney", True, REP, CLIENT, REP),
    ("revoked after the decision", ("all",), "power_of_attorney", True, REP, REP, REP),
])
def test_every_mandate_variant_routes_messages_decisions_and_the_reply_channel(app, mailbox, variant, scope, kind,
                                                                              document, message_to, decision_to, reply):
    member = organisation(app, REP)
    lina = new_client(member, LINA)
    mandate(member, lina, scope=scope, kind=kind, document=document)
    draft = walk_and_submit(app, member, start_for(member, lina))
    clerk = staff(app, email="clerk-routes@example.org")
    client_email = packet_of(app, draft)["applicant"]["email"]
    message_to, decision_to, reply = (client_email if who == CLIENT else who for who in (message_to, decision_to, reply))
    assert packet_of(app, draft)["metadata"]["replyChannel"]["eMail"]["address"] == reply
    assert office_sends(clerk, draft, "message", mailbox) == [message_to]

    def revoke():
        form = soup(member.get(f"/clients/{lina}")).select_one("form[action*='/revoke']")
        assert member.post(form["action"], data={"csrf_token": csrf_of(member, f"/clients/{lina}")}).status_code == 303

    if variant == "revoked before the decision":
        revoke()
    assert office_sends(clerk, draft, "decision", mailbox) == [decision_to]
    if variant == "revoked after the decision":
        revoke()
        assert office_sends(clerk, draft, "message", mailbox) == [client_email]   # from the revocation on, the client
    page = soup(clerk.get(f"/office/cases/{draft}"))
    notified = [li.text for li in page.select("ul.timeline li") if "sent by e-mail" in li.text]
    assert any(decision_to in text for text in notified)                   # every delivery with its recipient
    if variant == "revoked before the decision":
        assert "received by the office" in page.select_one("#representative").text


def linked_client(app, email):
    """An applicant account Lina linked to an organisation's client under a mandate for all acts, on file:
    (member, lina's own account, client id)."""
    own = register(english_client(app), email=f"own-{email}")
    own.post("/representatives", data={"csrf_token": csrf_of(own, "/representatives"), "action": "code"})
    code = re.search(r"[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}", soup(own.get("/representatives")).text).group()
    member = organisation(app, email)
    lina = new_client(member, LINA | {"email": ""})
    mandate(member, lina, scope=("all",), document=True)
    assert member.post(f"/clients/{lina}/link", data={"csrf_token": csrf_of(member, f"/clients/{lina}"),
                                                      "code": code}).status_code == 303
    return member, own, lina


def test_a_linked_client_gets_copies_reads_the_case_and_can_take_it_over(app, mailbox):
    member, own, lina = linked_client(app, "linked@example.org")
    draft_url = start_for(member, lina)
    page = soup(own.get("/dashboard"))
    assert "Prepared for you by Beratungsstelle Nord" in page.text             # the client sees the draft prepared
    assert own.get(f"/applications/{draft_id_of(draft_url)}").status_code == 404   # but acts in it only once taken over
    draft = walk_and_submit(app, member, draft_url)
    clerk = staff(app, email="clerk-linked@example.org")
    assert office_sends(clerk, draft, "request", mailbox, due_date=(date.today() + timedelta(days=9)).isoformat()) == \
        ["linked@example.org", "own-linked@example.org"]                       # the representative, a copy to the client
    case = soup(own.get(f"/applications/{draft}"))
    assert "Bitte" in case.select_one("#conversation").text and not case.select("form.reply")   # reads, does not answer
    write = {"csrf_token": csrf_of(own, f"/applications/{draft}"), "body": "Hier"}
    assert own.post(f"/applications/{draft}/messages", data=write).status_code == 404
    assert own.post(f"/applications/{draft}/pay", data=write | {"method": "invoice"}).status_code == 404
    assert own.post(f"/applications/{draft}/profile", data=write).status_code == 404
    personal = office_sends(clerk, draft, "request", mailbox, personal="yes",
                            due_date=(date.today() + timedelta(days=9)).isoformat())
    assert personal == sorted([packet_of(app, draft)["applicant"]["email"], "linked@example.org", "own-linked@example.org"])
    take = case.select_one("form[action$='/take-over']")
    assert own.post(take["action"], data={"csrf_token": csrf_of(own, f"/applications/{draft}")}).status_code == 303
    case = soup(own.get(f"/applications/{draft}"))
    assert "You took the application over into your account." in case.select_one("ul.timeline").text
    write["csrf_token"] = csrf_of(own, f"/applications/{draft}")
    assert own.post(f"/applications/{draft}/messages", data=write).status_code == 303   # now it answers itself
    assert member.get(f"/clients/{lina}/applications/{draft}").status_code == 200   # the mandate still covers the rep
    stranger = register(english_client(app), email="stranger-take@example.org")
    assert stranger.post(take["action"], data={"csrf_token": csrf_of(stranger, "/dashboard")}).status_code == 404
    # A draft taken over is the client's to finish and send, without a representative in its record.
    second = draft_id_of(start_for(member, lina))
    take = soup(own.get("/dashboard")).select_one(f"form[action='/applications/{second}/take-over']")
    assert own.post(take["action"], data={"csrf_token": csrf_of(own, "/dashboard")}).status_code == 303
    assert walk_and_submit(app, own, own.get(f"/applications/{second}").location) == second
    assert packet_of(app, second)["representative"] is None


def test_every_retrieval_of_the_offices_news_is_logged_with_who_and_when(app, mailbox):
    member, own, lina = linked_client(app, "fetch@example.org")
    draft = walk_and_submit(app, member, start_for(member, lina))
    clerk = staff(app, email="clerk-fetch@example.org")
    office_sends(clerk, draft, "decision", mailbox)
    page = soup(member.get(f"/clients/{lina}/applications/{draft}"))
    member.get(page.select_one("#conversation a[href*='/files/']")["href"]).close()
    member.get(f"/clients/{lina}/applications/{draft}")                        # opened again: logged once
    own.get(f"/applications/{draft}")
    retrievals = [li.text for li in soup(clerk.get(f"/office/cases/{draft}")).select("ul.timeline li")
                  if "opened by" in li.text]
    assert len(retrievals) == 3, retrievals
    assert sum("fetch@example.org" in t and "(representative)" in t for t in retrievals) == 2, retrievals
    assert any("fetch@example.org" in t and "bescheid.pdf" in t for t in retrievals)
    assert any("own-fetch@example.org" in t and "(not the recipient)" in t for t in retrievals)   # a copy starts nothing


def test_a_counselor_working_in_german_shows_the_clients_language_beside_every_field(app):
    member, lina, url, draft = client_draft(app, "beside@example.org")          # Lina reads Arabic
    choose_language(member, "de")
    page = soup(member.get(url))
    assert not page.select(".beside")
    assert page.select_one("li.alongside button")["value"] == "on"
    choose_language(member, alongside="on", next_path=url)
    page = soup(member.get(url))
    label = page.select_one("main form label")
    assert page.html["lang"] == "de" and label.select_one(".beside")["lang"] == "ar"
    assert label.select_one(".beside")["dir"] == "rtl" and label.select_one(".beside").text != label.contents[0]
    choose_language(member, "ar")                                            # in Arabic, German is beside it again
    assert soup(member.get(url)).select_one("main form label .beside")["lang"] == "de"
    choose_language(member, "de")
    assert not soup(member.get("/clients")).select("li.alongside")            # no client, nothing beside a German page


def test_the_client_gets_one_page_of_what_was_filed_in_their_language_and_german(app):
    import unicodedata
    from pypdf import PdfReader
    member, lina, url, draft = client_draft(app, "paper@example.org")        # Lina reads Arabic
    walk_and_submit(app, member, url)
    page = soup(member.get(f"/clients/{lina}/applications/{draft}"))
    response = member.get(page.select_one("a[href$='/summary.pdf']")["href"])
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "client-summary-ar.pdf").write_bytes(response.data)       # for people to look at
    pdf = PdfReader(io.BytesIO(response.data))
    assert len(pdf.pages) == 1
    text = unicodedata.normalize("NFKC", pdf.pages[0].extract_text())
    title = app.extensions["services"][SERVICE].title
    assert "Beratungsstelle Nord" in text and "Lina Haddad" in text and "HADDAD LINA" in text
    assert in_language(app, title, "de") in text
    assert all(word in text for word in in_language(app, title, "ar").split()[:2])
    assert packet_of(app, draft)["representative"]["client_language"] == "ar"
    other = register(english_client(app), email="nosy@example.org")
    assert other.get(f"/clients/{lina}/applications/{draft}/summary.pdf").status_code in (403, 404)


def in_language(app, text, language):
    """A text of a service file in one language."""
    from flask_babel import force_locale
    from assistant.i18n import translate
    with app.test_request_context(), force_locale(language):
        return translate(text)


def test_a_member_is_never_a_client_and_a_linked_client_is_not_linked_again(app):
    member, lina, url, draft = client_draft(app, "never@example.org")
    assert member.get("/representatives").status_code == 403                 # a member makes no codes
    applicant = register(english_client(app), email="later-member@example.org")
    old_code = code_of(applicant)
    join(member, applicant)                                                   # … and then joins the organisation
    link = {"csrf_token": csrf_of(member, f"/clients/{lina}"), "code": old_code}
    member.post(f"/clients/{lina}/link", data=link)
    assert "Connected with the client's own account" not in soup(member.get(f"/clients/{lina}")).text
    own = register(english_client(app), email="lina-own@example.org")
    link["code"] = code_of(own)
    member.post(f"/clients/{lina}/link", data=link)
    assert "Connected with the client's own account" in soup(member.get(f"/clients/{lina}")).text
    other = register(english_client(app), email="lina-other@example.org")
    link["code"] = code_of(other)
    member.post(f"/clients/{lina}/link", data=link)                         # a second account does not replace it
    assert soup(other.get("/dashboard")).select(".card") == [] and soup(own.get("/dashboard")).select(".card")


def test_the_clients_latest_answer_counts_asking_for_changes_withdraws_a_confirmation(app):
    member, lina, url, draft = client_draft(app, "latest@example.org")
    check = prepare_for(app, member, url)
    for decision in ("confirmed", "changes"):
        member.post(f"/clients/{lina}/applications/{draft}/review", data={"csrf_token": csrf_of(member, check)})
        token = re.findall(r"/review/([\w-]+)", member.get(check).get_data(as_text=True))[-1]
        client = FlaskClient(app, use_cookies=True)
        page = soup(client.get(f"/review/{token}"))
        client.post(f"/review/{token}", data={"csrf_token": page.select_one("input[name=csrf_token]")["value"],
                                              "decision": decision})
    response = member.post(f"/clients/{lina}/applications/{draft}/submit",
                           data={"csrf_token": csrf_of(member, check), "declaration": "yes"})
    assert response.status_code == 409


def test_the_news_stay_with_the_organisation_when_the_member_who_recorded_the_mandate_leaves(app, mailbox):
    admin = organisation(app, "boss@example.org")
    colleague = register(FlaskClient(app, use_cookies=True), email="x@example.org")
    join(admin, colleague)
    lina = new_client(colleague, LINA)
    mandate(colleague, lina, scope=("all",), document=True)
    draft = walk_and_submit(app, colleague, start_for(colleague, lina))
    clerk = staff(app, email="clerk-leave@example.org")
    assert office_sends(clerk, draft, "message", mailbox) == ["x@example.org"]
    leave = next(f["action"] for f in soup(admin.get("/organisation")).select("form[action*='/leave']"))
    admin.post(leave, data={"csrf_token": csrf_of(admin, "/organisation")})
    assert office_sends(clerk, draft, "decision", mailbox) == ["boss@example.org"]   # the organisation's admin now


def test_the_clients_own_timeline_says_what_the_representative_did(app, mailbox):
    member, own, lina = linked_client(app, "timeline@example.org")
    draft = walk_and_submit(app, member, start_for(member, lina))
    told = soup(own.get(f"/applications/{draft}")).select_one("ul.timeline").text
    assert "Your representative submitted the application." in told and "You submitted" not in told
    assert "You submitted the application." in soup(member.get(f"/clients/{lina}/applications/{draft}")).select_one(
        "ul.timeline").text

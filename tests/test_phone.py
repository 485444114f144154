"""On a small phone, in Arabic and German: the language is reachable on every page, nothing opens scrolled, nothing
scrolls sideways."""
import pytest

from assistant.i18n import LANGUAGES
from tests.conftest import DEMO_PROFILE, log_in, register

pytestmark = pytest.mark.browser


def phone_page(browser, lang, width=360, javascript=True):
    """A phone-sized page whose browser prefers `lang`."""
    context = browser.new_context(viewport={"width": width, "height": 640}, is_mobile=True, has_touch=True,
                                  java_script_enabled=javascript, extra_http_headers={"Accept-Language": lang})
    return context, context.new_page()


def assert_fits(page, where):
    """No sideways scrolling, and the header's language link fully on the screen."""
    width, scroll = page.evaluate("[window.innerWidth, document.documentElement.scrollWidth]")
    assert scroll <= width, f"{where}: {scroll} px wide on a {width} px screen"
    box = page.locator("header .langs-jump").bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= width and box["height"] >= 24, (where, box)


@pytest.mark.parametrize("lang", ["de", "ar"])
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_the_language_is_reachable_on_every_page_and_no_page_opens_scrolled(browser, live_server, client, lang, javascript):
    register(client, email=f"lang-{lang}-{javascript}@example.org", profile=DEMO_PROFILE)
    context, page = phone_page(browser, lang, javascript=javascript)
    try:
        for path in ("/", "/login", "/register", "/services/declaration-of-commitment"):
            page.goto(f"{live_server}{path}")
            assert_fits(page, path)
        log_in(page, live_server, f"lang-{lang}-{javascript}@example.org")
        page.wait_for_url("**/dashboard")
        assert_fits(page, "dashboard")
        page.goto(f"{live_server}/services/declaration-of-commitment")
        page.click("main button.primary")
        page.wait_for_url("**/steps/**")
        step = page.url
        assert_fits(page, "step")
        # The header link leads to the list; a language chosen there saves the step and reopens it at the top.
        page.click("header .langs-jump")
        other = "ar" if lang == "de" else "de"
        with page.expect_navigation():
            page.click(f"#languages button[value={other}]")
        assert page.url == step and "#" not in page.url
        assert page.evaluate("document.documentElement.lang") == other
        assert page.evaluate("window.scrollY") == 0
        # The next page opens at its top too, not at the language list.
        with page.expect_navigation():
            page.click("#step-form button[name=action][value=next]")
        assert page.evaluate("window.scrollY") == 0 and "#" not in page.url
    finally:
        context.close()


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_no_public_page_scrolls_sideways_at_320_px(browser, live_server, lang):
    context, page = phone_page(browser, lang, width=320)
    try:
        for path in ("/", "/services/declaration-of-commitment", "/services/residence-permit-extension", "/login",
                     "/register", "/accessibility", "/password/forgot"):
            page.goto(f"{live_server}{path}")
            assert_fits(page, f"{lang} {path}")
    finally:
        context.close()


def test_a_short_postcode_marks_the_postcode_and_the_summary_links_to_it(app, applicant):
    from tests.conftest import form_fields, soup, start
    url = start(applicant, "declaration-of-commitment")
    service = app.extensions["services"]["declaration-of-commitment"]
    from tests.conftest import answer_step
    url = answer_step(applicant, url, service).location                       # to the address step
    page = soup(applicant.get(url))
    assert page.select_one("input[name=address-postcode]")["inputmode"] == "numeric"
    response = applicant.post(url, data=form_fields(page) | {"address-postcode": "1011", "action": "next"})
    page = soup(response)
    marked = [el["name"] for el in page.select("[aria-invalid=true]")]
    assert response.status_code == 422 and marked == ["address-postcode"]
    assert page.select_one(".error-summary a")["href"] == "#f-address-postcode"
    assert page.select_one("#f-address-postcode")["name"] == "address-postcode"


def test_dates_ask_for_the_digits_keyboard(applicant):
    from tests.conftest import soup, start
    page = soup(applicant.get(start(applicant, "declaration-of-commitment")))
    birth = page.select_one("input[name=birth_date]")
    assert birth["inputmode"] == "numeric" and birth["pattern"] == "[0-9./ -]*"


def test_an_open_request_is_the_first_thing_on_the_status_page_and_the_dashboard(app, applicant):
    from tests.conftest import csrf_of, soup, staff, submit_application
    first, _ = submit_application(applicant, app, "declaration-of-commitment")
    draft, _ = submit_application(applicant, app, "declaration-of-commitment")
    clerk = staff(app)
    assert clerk.post(f"/office/cases/{first}/messages", data={
        "csrf_token": csrf_of(clerk, f"/office/cases/{first}"), "kind": "request", "body": "Bitte den Mietvertrag nachreichen.",
        "documents": "Mietvertrag", "due_date": "2031-01-12"}).status_code == 303
    page = soup(applicant.get(f"/applications/{first}"))
    panel = page.select_one("main > section.request")
    assert panel is page.select_one("main > section, main > dl")                 # before the summary and everything else
    assert "January 12, 2031" in panel.h2.text and panel.select_one("p.body[lang=de]").text == "Bitte den Mietvertrag nachreichen."
    assert panel.select_one("a")["href"].startswith("#m-")
    assert soup(applicant.get(f"/applications/{draft}")).select("main > section.request") == []
    cards = soup(applicant.get("/dashboard")).select("ul.cards li.card")
    assert cards[-2].select_one("a")["href"] == f"/applications/{first}"           # submitted list: waiting one first
    assert "January 12, 2031" in cards[-2].select_one(".notice").text and not cards[-1].select(".notice")


def pdf_text(data):
    """The text of a PDF in its visual order, as poppler's pdftotext lays it out."""
    import subprocess
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()


def test_left_to_right_pieces_keep_their_order_in_arabic_on_screen_and_on_the_receipt(app, applicant):
    from tests.conftest import choose_language, csrf_of, soup, submit_application
    choose_language(applicant, "ar")
    draft, _ = submit_application(applicant, app, "declaration-of-commitment")
    with applicant.get(f"/applications/{draft}/receipt.pdf") as response:
        text = pdf_text(response.get_data())
    assert "§ 47 Abs. 1 Nr. 12 AufenthV" in text and "+49 1512 3456789" in text     # not "3456789 1512 49+"
    # On screen: the fee's legal basis and the example in a message are isolated left-to-right runs.
    from tests.conftest import start
    url = start(applicant, "declaration-of-commitment")
    service_page = soup(applicant.get("/services/declaration-of-commitment"))
    assert "§ 47 Abs. 1 Nr. 12 AufenthV" in [b.text for b in service_page.select("bdi[dir=ltr]")]
    assert "Verpflichtungserklärung" in [b.text for b in service_page.select("bdi[dir=ltr]")]   # a word is never cut
    response = applicant.post(url.replace("/guarantor", "/contact/fields/phone"), headers={"HX-Request": "true"},
                              data={"csrf_token": csrf_of(applicant, url), "phone": "12"})       # the live check
    message = soup(response).select_one("#f-phone-error")
    assert message is not None and "+49 151 23456789" in [b.text for b in message.select("bdi[dir=ltr]")]


def test_a_live_check_breaks_no_rule_of_the_content_security_policy(browser, live_server, client):
    register(client, email="csp@example.org", profile=DEMO_PROFILE)
    context, page = phone_page(browser, "de")
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    try:
        log_in(page, live_server, "csp@example.org")
        page.wait_for_url("**/dashboard")
        page.goto(f"{live_server}/services/declaration-of-commitment")
        page.click("main button.primary")
        page.wait_for_url("**/steps/**")
        with page.expect_response(lambda r: "/fields/birth_date" in r.url):
            page.fill("input[name=birth_date]", "31.02.1990")
            page.locator("input[name=birth_date]").dispatch_event("change")
        page.wait_for_selector("#f-birth_date-error")
        assert errors == []
    finally:
        context.close()


TARGETS = """() => {
  // WCAG 2.2 target size (minimum): 24 x 24 CSS px, or a 24 px circle around it that touches no other target.
  // Links inside a sentence are exempt, as the rule allows; so are controls the browser draws (file inputs).
  const all = [...document.querySelectorAll('a[href], button, input:not([type=hidden]):not([type=file]), select, textarea, summary')]
    .filter(el => el.getClientRects().length && getComputedStyle(el).visibility !== 'hidden');
  const inSentence = el => el.tagName === 'A' && el.parentElement && ['P', 'LI', 'DD', 'SPAN'].includes(el.parentElement.tagName)
    && el.parentElement.textContent.trim().length > el.textContent.trim().length + 20;
  const boxes = all.map(el => [el, el.getBoundingClientRect()]);
  const centre = r => [r.left + r.width / 2, r.top + r.height / 2];
  return boxes.filter(([el, r]) => (r.width < 24 || r.height < 24) && !inSentence(el) && el.closest('.vh') === null)
    .filter(([el, r]) => boxes.some(([other, o]) => other !== el && Math.hypot(centre(r)[0] - centre(o)[0], centre(r)[1] - centre(o)[1]) < 24))
    .map(([el, r]) => `${el.tagName} "${(el.textContent || el.name || '').trim().slice(0, 30)}" ${Math.round(r.width)}x${Math.round(r.height)}`);
}"""


@pytest.mark.parametrize("lang", ["de", "ar"])
def test_every_control_is_big_enough_to_tap(browser, live_server, app, client, lang):
    from tests.conftest import answer_all, draft_id_of, jpeg_bytes, start, submit_application, upload
    register(client, email=f"tap-{lang}@example.org", profile=DEMO_PROFILE)
    draft, _ = submit_application(client, app, "declaration-of-commitment")
    url = start(client, "declaration-of-commitment")
    open_draft = draft_id_of(url)
    answer_all(client, app.extensions["services"]["declaration-of-commitment"], url)
    upload(client, open_draft, "guarantor_id", ("photo.jpg", jpeg_bytes()))
    context, page = phone_page(browser, lang)
    try:
        pages = ["/", "/services/declaration-of-commitment", "/login", "/register"]
        for path in pages:
            page.goto(f"{live_server}{path}")
            assert page.evaluate(TARGETS) == [], path
        log_in(page, live_server, f"tap-{lang}@example.org")
        page.wait_for_url("**/dashboard")
        for path in ("/dashboard", f"/applications/{draft}", f"/applications/{open_draft}/steps/guarantor", "/profile",
                     f"/applications/{open_draft}/documents", f"/applications/{open_draft}/check"):
            page.goto(f"{live_server}{path}")
            assert page.evaluate(TARGETS) == [], path
    finally:
        context.close()


def test_no_page_of_an_application_scrolls_sideways_at_320_px_in_any_language(browser, live_server, app, client):
    from tests.conftest import answer_all, csrf_of, draft_id_of, staff, start, submit_application
    register(client, email="narrow@example.org", profile=DEMO_PROFILE)
    draft, _ = submit_application(client, app, "residence-permit-extension")
    clerk = staff(app)
    clerk.post(f"/office/cases/{draft}/messages", data={"csrf_token": csrf_of(clerk, f"/office/cases/{draft}"),
               "kind": "request", "body": "Bitte reichen Sie Ihre Lohnabrechnungen nach.", "due_date": "2031-01-12"})
    url = start(client, "declaration-of-commitment")
    open_draft = draft_id_of(url)
    answer_all(client, app.extensions["services"]["declaration-of-commitment"], url)
    context, page = phone_page(browser, "de", width=320)
    try:
        log_in(page, live_server, "narrow@example.org")
        page.wait_for_url("**/dashboard")
        for lang in LANGUAGES:
            page.context.add_cookies([{"name": "lang", "value": lang, "url": live_server}])
            for path in ("/dashboard", "/profile", f"/applications/{open_draft}/steps/guarantor",
                         f"/applications/{open_draft}/documents", f"/applications/{open_draft}/check", f"/applications/{draft}"):
                page.goto(f"{live_server}{path}")
                assert page.evaluate("document.documentElement.lang") == lang.replace("_", "-")   # BCP 47
                assert_fits(page, f"{lang} {path}")
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["de", "ar"])
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_the_walk_of_a_person_on_a_phone(browser, live_server, app, client, mailbox, lang, javascript):
    """The whole walk at 360 x 640: every point the phone review found, in one browser, with and without JavaScript."""
    from tests.conftest import answer_step, choose_language, csrf_of, staff, start, submit_application
    email = f"walk-{lang}-{javascript}@example.org"
    register(client, email=email, profile=DEMO_PROFILE)
    choose_language(client, lang)
    mailbox.clear()
    submitted, _ = submit_application(client, app, "declaration-of-commitment")
    assert [m["To"] for m in mailbox] == ["person@example.org"]                       # the application's own address
    clerk = staff(app, email=f"clerk-{lang}-{javascript}@example.org")
    clerk.post(f"/office/cases/{submitted}/messages", data={"csrf_token": csrf_of(clerk, f"/office/cases/{submitted}"),
               "kind": "request", "body": "Bitte reichen Sie den Mietvertrag nach.", "due_date": "2031-01-12"})
    service = app.extensions["services"]["declaration-of-commitment"]
    contact = answer_step(client, start(client, service.id), service).location          # the address step comes next
    context, page = phone_page(browser, lang, javascript=javascript)
    try:
        log_in(page, live_server, email)
        page.wait_for_url("**/dashboard")
        for path in ("/", "/dashboard", contact, f"/applications/{submitted}"):
            page.goto(f"{live_server}{path}")
            assert_fits(page, path)
            assert page.evaluate("window.scrollY") == 0
        # A four-digit postcode marks the postcode, and the summary leads there.
        page.goto(f"{live_server}{contact}")
        page.fill("input[name=address-postcode]", "1011")
        with page.expect_navigation():
            page.click("#step-form button[name=action][value=next]")
        assert page.eval_on_selector_all("[aria-invalid=true]", "els => els.map(e => e.name)") == ["address-postcode"]
        assert page.get_attribute(".error-summary a", "href") == "#f-address-postcode"
        # The office's open request is the first thing on the status page.
        page.goto(f"{live_server}/applications/{submitted}")
        assert page.evaluate("document.querySelector('main > section, main > dl').className") == "request"
        # An old "Change" link of the submitted application lands on its status page.
        page.goto(f"{live_server}/applications/{submitted}/steps/guarantor?change=1")
        assert page.url == f"{live_server}/applications/{submitted}"
        if lang == "ar":  # left-to-right pieces in their order, on screen
            page.goto(f"{live_server}/services/declaration-of-commitment")
            box = page.locator("bdi", has_text="§ 47 Abs. 1 Nr. 12 AufenthV")
            first, last = box.evaluate("""el => { const t = el.firstChild, r = document.createRange();
                r.setStart(t, 0); r.setEnd(t, 1); const a = r.getBoundingClientRect().left;
                r.setStart(t, t.length - 1); r.setEnd(t, t.length); return [a, r.getBoundingClientRect().left]; }""")
            assert first < last                                                          # "§" on the left, "V" on the right
    finally:
        context.close()


def test_a_family_of_three_is_added_one_removed_and_the_application_sent_on_a_phone(browser, live_server, app, client):
    """The repeat step at 360 px without help: add three family members, remove one, change nothing else, and send."""
    import yaml
    from tests.conftest import ROOT, csrf_of, draft_id_of, fill, jpeg_bytes, packet_of, soup, start, upload
    table = yaml.safe_load((ROOT / "tests" / "walks" / "family-reunification.yaml").read_text(encoding="utf-8"))
    answers = table.get("defaults", {}) | next(b for b in table["branches"] if b.get("items"))["answers"]
    register(client, email="family@example.org", profile=DEMO_PROFILE)
    service = app.extensions["services"]["family-reunification"]
    url = start(client, service.id)
    draft = draft_id_of(url)
    while not url.endswith("/steps/members"):
        url = fill(client, url, service, answers)
    people = [("Haddad", "Lina", "01.03.2018", "child"), ("Khalil", "Omar", "10.10.2012", "own_child"),
              ("Haddad", "Fatima", "01.01.1955", "other")]
    context, page = phone_page(browser, "de")
    try:
        log_in(page, live_server, "family@example.org")
        page.wait_for_url("**/dashboard")
        page.goto(f"{live_server}{url}")
        for n, (family, given, born, relation) in enumerate(people, start=1):
            with page.expect_navigation():
                page.click("main button[name=action][value=add]")
            assert page.url.endswith(f"/steps/members/items/{n}")
            assert_fits(page, page.url)
            assert page.evaluate(TARGETS) == [], page.url
            page.fill(f"[name=member_family_name__{n}]", family)
            page.fill(f"[name=member_given_names__{n}]", given)
            page.fill(f"[name=member_name_in_passport__{n}]", f"{family} {given}".upper())
            page.fill(f"[name=member_birth_date__{n}]", born)
            page.check(f"[name=member_sex__{n}][value={'male' if given == 'Omar' else 'female'}]")
            page.select_option(f"[name=member_nationality__{n}]", "SY")
            page.check(f"[name=member_relationship__{n}][value={relation}]")
            page.fill(f"[name=member_passport_number__{n}]", f"N0{n}X00T47")
            page.fill(f"[name=member_passport_expiry__{n}]", "01.01.2031")
            with page.expect_navigation():
                page.click("#step-form button[name=action][value=next]")
            assert page.url.endswith("/steps/members")
        assert page.locator("main ul.items li").count() == 3
        assert_fits(page, "members")
        assert page.evaluate(TARGETS) == [], "members"
        with page.expect_navigation():
            page.click("#item-2 button")                                          # "Remove Family member 2"
        assert [t.split(":")[-1].strip() for t in page.locator("main ul.items li > span:first-child").all_inner_texts()] == [
            "Lina Haddad", "Fatima Haddad"]
        with page.expect_navigation():
            page.click("main button[name=action][value=next]")
        url = page.url.removeprefix(live_server)
        while not url.endswith(("/documents", "/check")):
            url = fill(client, url, service, answers)
        documents = [s["id"][2:] for s in soup(client.get(f"/applications/{draft}/documents")).select("section.document")]
        assert {"member_passport__1", "member_passport__3"} <= set(documents) and "member_passport__2" not in documents
        for document_id in documents:
            assert upload(client, draft, document_id, ("scan.jpg", jpeg_bytes((600, 400)))).status_code == 303
        if soup(client.get(f"/applications/{draft}/check")).select_one(f'a.button[href$="/applications/{draft}/pay"]'):
            client.post(f"/applications/{draft}/pay", data={"csrf_token": csrf_of(client, f"/applications/{draft}/pay"),
                                                            "method": "invoice"})
        page.goto(f"{live_server}/applications/{draft}/check")
        assert page.url.endswith("/check"), page.url
        assert_fits(page, "check")
        assert page.locator("main h3").all_inner_texts()[:2] == ["Familienmitglied 1: Lina Haddad", "Familienmitglied 3: Fatima Haddad"]
        page.check("#declaration")
        with page.expect_navigation():
            page.click("main form button.primary")
        assert "submitted=1" in page.url
    finally:
        context.close()
    members = packet_of(app, draft)["data"]["answers"]["members"]
    assert [m["member_given_names"] for m in members] == ["Lina", "Fatima"]


def test_a_counselor_files_for_a_client_who_confirms_in_arabic_on_her_own_phone(browser, live_server, app, mailbox):
    """A counselor at 360 px creates a client, records the mandate, starts the residence-permit extension in German
    with Arabic beside it and sends the review link; the client confirms in Arabic on her own phone; the counselor
    submits, answers the office's request, and the decision reaches the counselor, who holds the power of attorney."""
    import io
    import re
    import yaml
    from tests.conftest import (ARTIFACTS, ROOT, csrf_of, draft_id_of, fill, jpeg_bytes, organisation, pdf_bytes, soup, staff,
                                upload)
    member = organisation(app, "berater@example.org")
    table = yaml.safe_load((ROOT / "tests" / "walks" / "residence-permit-extension.yaml").read_text(encoding="utf-8"))
    answers = table["defaults"] | table["branches"][0]["answers"]
    service = app.extensions["services"]["residence-permit-extension"]
    counselor, page = phone_page(browser, "de")
    own_phone, client_page = phone_page(browser, "ar")
    try:
        log_in(page, live_server, "berater@example.org")
        page.wait_for_url("**/clients")
        page.goto(f"{live_server}/clients/new")
        assert_fits(page, "new client")
        for name, value in (("family_name", "Haddad"), ("given_names", "Lina"), ("name_in_passport", "HADDAD LINA"),
                            ("birth_date", "27.03.1990")):
            page.fill(f"main [name={name}]", value)
        page.select_option("#c-language", "ar")
        with page.expect_navigation():
            page.click("main button.primary")
        prefix = page.url.removeprefix(live_server)
        assert re.fullmatch(r"/clients/\d+", prefix), prefix
        page.click("details:has(form[action$='/mandates']) > summary")
        page.check("#m-scope-all")
        page.set_input_files("#m-file", files=[{"name": "vollmacht.pdf", "mimeType": "application/pdf",
                                                "buffer": pdf_bytes()}])
        with page.expect_navigation():
            page.click("form[action$='/mandates'] button.primary")
        assert_fits(page, "client")
        with page.expect_navigation():
            page.click(f"form[action$='/services/{service.id}/start'] button")
        with page.expect_navigation():
            page.click("li.alongside button")                            # the client's language beside every field
        assert page.locator("main form label .beside[lang=ar]").count() > 0
        assert_fits(page, "a step with Arabic beside it")
        url = page.url.removeprefix(live_server)
        draft = draft_id_of(url)
        while not url.endswith(("/documents", "/check")):               # the other steps, typed as in the walk tests
            url = fill(member, url, service, answers)
        for section in soup(member.get(f"{prefix}/applications/{draft}/documents")).select("section.document"):
            assert upload(member, draft, section["id"][2:], ("scan.jpg", jpeg_bytes((600, 400))), prefix=prefix
                          ).status_code == 303
        check = f"{prefix}/applications/{draft}/check"
        if soup(member.get(check)).select_one("a.button[href$='/pay']"):
            member.post(f"{prefix}/applications/{draft}/pay",
                        data={"csrf_token": csrf_of(member, f"{prefix}/applications/{draft}/pay"), "method": "invoice"})
        page.goto(f"{live_server}{check}")
        with page.expect_navigation():
            page.click("form[action$='/review'] button")
        link = re.search(r"https?://\S+/review/[\w-]+", page.inner_text("main")).group()
        # The client, on her own phone, without an account: Arabic, German beside it.
        client_page.goto(link)
        assert client_page.get_attribute("html", "lang") == "ar" and client_page.get_attribute("html", "dir") == "rtl"
        assert client_page.locator("main [lang=de]").count() > 0
        assert_fits(client_page, "review")
        with client_page.expect_navigation():
            client_page.click("button[name=decision][value=confirmed]")
        # The counselor sends it.
        page.goto(f"{live_server}{check}")
        page.check("#declaration")
        with page.expect_navigation():
            page.click("form[action$='/submit'] button.primary")
        assert "submitted=1" in page.url and page.locator("main .panel[role=status] .ref").count() == 1
        assert_fits(page, "sent")
        # The office asks for a document; the counselor answers from the phone.
        clerk = staff(app, email="clerk-phone@example.org")
        case = f"/office/cases/{draft}"
        mailbox.clear()
        clerk.post(f"{case}/messages", data={"csrf_token": csrf_of(clerk, case), "kind": "request",
                                             "body": "Bitte den Mietvertrag nachreichen.", "due_date": "2031-01-12"})
        assert [m["To"] for m in mailbox] == ["berater@example.org"]
        page.goto(f"{live_server}{prefix}/applications/{draft}")
        form = page.locator("#conversation form.reply")
        form.locator("textarea").fill("Der Mietvertrag ist angehängt.")
        form.locator("input[type=file]").set_input_files(files=[{"name": "mietvertrag.jpg", "mimeType": "image/jpeg",
                                                                 "buffer": jpeg_bytes((600, 400))}])
        with page.expect_navigation():
            form.locator("button").click()
        assert "Der Mietvertrag ist angehängt." in soup(clerk.get(case)).select_one("#conversation").text
        # The decision goes to the counselor: a power of attorney for all acts, on file (§ 7 Abs. 1 VwZG).
        mailbox.clear()
        clerk.post(f"{case}/messages", content_type="multipart/form-data", data={
            "csrf_token": csrf_of(clerk, case), "kind": "decision", "body": "Bescheid",
            "file": (io.BytesIO(pdf_bytes()), "bescheid.pdf")})
        assert [m["To"] for m in mailbox] == ["berater@example.org"]
        page.goto(f"{live_server}{prefix}/applications/{draft}")
        assert page.locator("#conversation a", has_text="bescheid.pdf").count() == 1
        timeline = soup(clerk.get(case)).select_one("ul.timeline").text
        assert "berater@example.org" in timeline.split("opened by")[1]              # its retrieval, logged for the office
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "counselor-case-360.png"), full_page=True)
    finally:
        counselor.close()
        own_phone.close()

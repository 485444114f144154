"""In Debian's chromium through Playwright: the live check appears without a page load and the step goes on."""
from pathlib import Path

import pytest

from tests.conftest import ARTIFACTS, jpeg_bytes, log_in, register, sample_answer

pytestmark = pytest.mark.browser


@pytest.fixture
def phone(browser, live_server, client):
    """A logged-in phone-sized page (the account is made through the test client, the login in the browser)."""
    register(client, email="phone@example.org")
    context = browser.new_context(viewport={"width": 360, "height": 640}, is_mobile=True, has_touch=True,
                                  locale="en-GB", extra_http_headers={"Accept-Language": "en"})
    page = context.new_page()
    log_in(page, live_server, "phone@example.org")
    page.wait_for_url("**/dashboard")
    yield page
    context.close()


def test_live_check_shows_the_message_without_a_page_load_and_the_step_goes_on(phone, live_server):
    page = phone
    page.goto(f"{live_server}/services/residence-permit-extension")
    page.click("main button.primary")
    page.wait_for_url("**/steps/person")
    page.evaluate("window.sameDocument = true")          # lost on any full page load

    # The check of an earlier field has nothing to say and answers late, after the wrong date's message:
    # it must not empty the live region a screen reader reads the message from.
    held = []
    page.route("**/fields/given_names", lambda route: held.append(route))
    page.fill("#f-family_name", "Haddad")
    with page.expect_request("**/fields/given_names"):
        page.fill("#f-given_names", "Lina")
        page.press("#f-given_names", "Tab")
    page.fill("#f-birth_date", "31.02.1990")
    page.press("#f-birth_date", "Tab")                    # leaving the field is a change
    message = page.locator("#f-birth_date-error")
    message.wait_for()
    assert "does not exist" in message.inner_text()
    said = message.inner_text().replace("Error:", "").strip()
    assert page.locator("#live").inner_text().strip() == said
    assert page.get_attribute("#f-birth_date", "aria-invalid") == "true"
    assert page.evaluate("window.sameDocument") is True

    assert len(held) == 1
    page.eval_on_selector("#q-given_names", "field => field.dataset.waiting = 'yes'")   # gone when htmx swaps the field
    with page.expect_response("**/fields/given_names"):
        held[0].continue_()
    page.locator("#q-given_names:not([data-waiting])").wait_for()
    assert page.locator("#f-given_names-error").count() == 0
    assert page.locator("#live").inner_text().strip() == said

    # An untouched required field stays silent while the user is still working.
    assert page.locator("#f-birth_place-error").count() == 0

    page.fill("#f-birth_date", "27.03.1990")
    page.press("#f-birth_date", "Tab")
    page.locator("#f-birth_date-error").wait_for(state="detached")
    assert page.evaluate("window.sameDocument") is True

    page.fill("#f-birth_place", "Aleppo")
    page.select_option("#f-birth_country", "SY")
    page.select_option("#f-nationality", "SY")
    page.check("#f-sex")
    page.click("main button[value=next]")
    page.wait_for_url("**/steps/passport")
    assert "Step 2 ·" in page.locator(".progress").inner_text()


def fill_step(page, service, order):
    """Fill every question on the page with a valid answer, as a person would."""
    for qid in page.eval_on_selector_all("div.field[id^=q-]", "els => els.map(e => e.id.slice(2))"):
        q = service.questions[qid]
        value = sample_answer(q, order.index(qid), service)
        if value is None:   # no sample (the office's file numbers): left as the page shows it
            continue
        if q.type == "address":
            page.fill(f"#f-{qid}", value["street"])
            page.fill(f"#f-{qid}-postcode", value["postcode"])
            page.fill(f"#f-{qid}-city", value["city"])
            page.select_option(f"#f-{qid}-country", value["country"])
        elif q.type in ("choice", "yesno"):
            page.check(f"#f-{qid}")
        elif q.type in ("country", "nationality"):
            page.select_option(f"#f-{qid}", value)
        else:
            page.fill(f"#f-{qid}", value)


def test_whole_application_without_javascript_with_pause_resume_upload_and_submit(browser, live_server, client, app):
    register(client, email="nojs@example.org")
    service = app.extensions["services"]["declaration-of-commitment"]
    order = list(service.questions)
    context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 640},
                                  extra_http_headers={"Accept-Language": "en"})
    page = context.new_page()
    log_in(page, live_server, "nojs@example.org")
    page.goto(f"{live_server}/services/{service.id}")
    page.click("main button.primary")
    fill_step(page, service, order)
    page.click("main button[value=next]")
    # A wrong answer gets the error summary; its link leads to the field.
    page.fill("#f-phone", "12")
    page.click("main button[value=pause]")
    page.wait_for_url("**/dashboard")
    page.click(".card a.button")
    assert page.input_value("#f-phone") == "12"
    page.click("main button[value=next]")
    assert page.locator(".error-summary a[href='#f-phone']").count() == 1
    for _ in range(20):
        fill_step(page, service, order)
        page.click("main button[value=next]")
        if page.url.endswith("/documents"):
            break
    assert page.locator("h1").inner_text() == "Your documents"
    for section in page.locator("section.document").all():
        section.locator("input[type=file]").set_input_files({"name": "scan.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()})
        section.locator("button.secondary").last.click()
    page.click("main a.button.primary")
    assert page.locator("h1").inner_text() == "Check your answers"
    assert page.locator("dl.summary .row").count() >= 30
    page.check("#declaration")
    page.click("main button.primary")
    assert page.locator(".panel h1").inner_text() == "Application sent"
    receipt = page.locator("a[href$='receipt.pdf']").get_attribute("href")
    assert page.request.get(live_server + receipt).body()[:5] == b"%PDF-"
    context.close()


def test_upload_a_photo_on_a_phone_and_submit(phone, live_server, app):
    service = app.extensions["services"]["declaration-of-commitment"]
    order = list(service.questions)
    page = phone
    page.goto(f"{live_server}/services/{service.id}")
    page.click("main button.primary")
    for _ in range(20):
        fill_step(page, service, order)
        page.click("main button[value=next]")
        if page.url.endswith("/documents"):
            break
    photo = {"name": "IMG_2041.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes((1600, 1200))}
    for section in page.locator("section.document").all():
        section.locator("input[type=file]").set_input_files(photo)
        section.locator("button.secondary").last.click()
        page.wait_for_load_state()
    assert page.locator("ul.files li").count() == page.locator("section.document").count()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.click("main a.button.primary")
    page.check("#declaration")
    page.click("main button.primary")
    page.wait_for_url("**?submitted=1")
    reference = page.locator(".panel .ref").inner_text()
    assert len(reference) == 11
    page.screenshot(path=str(ARTIFACTS / "submitted-360x640.png"), full_page=True)


def login_phone(browser, live_server, client, email, lang, javascript=True):
    """A phone-sized context in a language, logged in through the form."""
    register(client, email=email)
    context = browser.new_context(viewport={"width": 360, "height": 640}, is_mobile=True, has_touch=True,
                                  java_script_enabled=javascript, extra_http_headers={"Accept-Language": lang})
    page = context.new_page()
    log_in(page, live_server, email)
    page.wait_for_url("**/dashboard")
    return context, page


@pytest.mark.parametrize("lang", ["ar", "fa"])
def test_right_to_left_on_a_phone_mirrors_the_layout_and_checks_in_the_page_language(browser, live_server, client, lang):
    from babel.messages.pofile import read_po
    with open(Path(__file__).resolve().parent.parent / "locales" / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f)
    context, page = login_phone(browser, live_server, client, f"rtl-{lang}@example.org", lang)
    page.goto(f"{live_server}/services/residence-permit-extension")
    page.click("main button.primary")
    page.wait_for_url("**/steps/person")
    assert page.get_attribute("html", "dir") == "rtl" and page.get_attribute("html", "lang") == lang
    left, right = page.evaluate("""() => {
        const range = document.createRange();
        range.selectNodeContents(document.querySelector('label[for=f-family_name]').firstChild);
        const box = range.getBoundingClientRect();
        return [box.left, box.right];
    }""")
    assert right > 330 and left > 60               # the first label's text sits at the right
    page.fill("#f-birth_date", "۳۱.۰۲.۱۹۹۰" if lang == "fa" else "٣١.٠٢.١٩٩٠")
    page.press("#f-birth_date", "Tab")
    message = page.locator("#f-birth_date-error")
    message.wait_for()
    expected = catalog["This date does not exist. Check the day, month and year."].string
    assert expected in message.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360   # nothing overflows sideways
    page.screenshot(path=str(ARTIFACTS / f"step-{lang}-360x640.png"), full_page=True)
    page.goto(f"{live_server}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(ARTIFACTS / f"catalogue-{lang}-360x640.png"), full_page=True)
    context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_switching_language_mid_step_keeps_the_step_and_what_was_typed(browser, live_server, client, javascript):
    context, page = login_phone(browser, live_server, client, f"switch-{javascript}@example.org", "uk", javascript)
    page.goto(f"{live_server}/services/residence-permit-extension")
    page.click("main button.primary")
    page.wait_for_url("**/steps/person")
    page.fill("#f-family_name", "Шевченко")
    page.fill("#f-birth_place", "Київ")                  # typed, not yet sent
    page.click("section.langs button[value=de]")          # on a step the switch comes after the form, already open
    page.wait_for_function("document.documentElement.lang === 'de'")
    assert page.url.endswith("/steps/person")
    assert page.input_value("#f-family_name") == "Шевченко" and page.input_value("#f-birth_place") == "Київ"
    page.click("section.langs button[value=uk]")
    page.wait_for_function("document.documentElement.lang === 'uk'")
    assert page.input_value("#f-birth_place") == "Київ"
    context.close()

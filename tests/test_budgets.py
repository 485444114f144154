"""Byte budgets, measured as Chromium transfers them: a cheap phone on a prepaid plan must be able to afford every page."""
import pytest

from tests.conftest import ARTIFACTS, DEMO_PROFILE, log_in, register

FIRST_PAGE = 30 * 1024    # the first page of an application: HTML, CSS, JavaScript, images, fonts
NEXT_STEP = 10 * 1024     # each following step
LIVE_CHECK = 1024         # the answer to a live field check
pytestmark = pytest.mark.browser


class Transfers:
    """Bytes Chromium received, per request, from the DevTools protocol."""

    def __init__(self, page):
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("Network.enable")
        self.urls, self.sizes = {}, {}
        self.cdp.on("Network.requestWillBeSent", lambda e: self.urls.__setitem__(e["requestId"], e["request"]["url"]))
        self.cdp.on("Network.loadingFinished", lambda e: self.sizes.__setitem__(e["requestId"], e["encodedDataLength"]))

    def start(self, cold=False):
        """Count from now on; `cold` empties the cache first."""
        self.cdp.send("Network.setCacheDisabled", {"cacheDisabled": cold})   # its answer comes after every earlier event
        self.urls.clear()
        self.sizes.clear()

    def total(self):
        """Bytes received since start(), and by URL (of the requests Playwright has seen finish)."""
        # Chromium sends a request's loadingFinished to every session at once, and answers a later command after it:
        # after one round trip every request Playwright has reported finished is counted here.
        self.cdp.send("Runtime.evaluate", {"expression": "0"})
        by_url = {self.urls.get(k, k): v for k, v in self.sizes.items()}
        return sum(self.sizes.values()), by_url


def test_byte_budgets_of_the_first_page_the_next_step_and_a_live_check(browser, live_server, client):
    register(client, email="budget@example.org", profile=DEMO_PROFILE)
    context = browser.new_context(viewport={"width": 360, "height": 640}, is_mobile=True,
                                  extra_http_headers={"Accept-Language": "de"})
    page = context.new_page()
    log_in(page, live_server, "budget@example.org")
    page.wait_for_url("**/dashboard")
    page.goto(f"{live_server}/services/residence-permit-extension")
    transfers = Transfers(page)

    transfers.start(cold=True)
    page.click("main button.primary")                     # start: the first step, with CSS and htmx, nothing cached
    page.wait_for_url("**/steps/person")
    page.wait_for_load_state("networkidle")
    first, by_url = transfers.total()
    assert any(url.endswith(".js") for url in by_url) and any(url.endswith(".css") for url in by_url)
    assert not [u for u in by_url if u.endswith((".woff", ".woff2", ".ttf", ".otf"))]    # no web fonts

    with page.expect_request_finished(lambda request: "/fields/sex" in request.url):
        page.check("#f-sex")                               # the radio's own live check, finished before counting
    transfers.start()
    with page.expect_request_finished(lambda request: "/fields/birth_place" in request.url):
        page.fill("#f-birth_place", "Homs")
        page.press("#f-birth_place", "Tab")                # a live check
    live, live_urls = transfers.total()
    assert any("/fields/birth_place" in u for u in live_urls)

    transfers.start()
    page.click("main button[value=next]")                  # the next step, CSS and JavaScript cached
    page.wait_for_url("**/steps/passport")
    page.wait_for_load_state("networkidle")
    following, following_urls = transfers.total()
    context.close()
    report = f"first page {first} B, next step {following} B, live check {live} B\n"
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "budgets.txt").write_text(report)
    assert first <= FIRST_PAGE, by_url
    assert following <= NEXT_STEP, following_urls
    assert live <= LIVE_CHECK, live_urls

"""Accessibility and valid HTML on every page type, in German and Arabic: axe-core in Chromium, the Nu HTML Checker, keyboard only."""
import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import (DEMO_PROFILE, answer_all, csrf_of, english_client, form_fields, log_in, register, soup, start,
                            submit_application)

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
pytestmark = pytest.mark.browser


@pytest.fixture
def site(app, applicant, db_path):
    """A draft, a submitted case with a request from the office, and a caseworker: the URLs of every page type."""
    submitted, _response = submit_application(applicant, app, "declaration-of-commitment")
    result = app.test_cli_runner().invoke(args=["users", "create", "--role", "caseworker", "--password",
                                                "caseworker-password", "clerk@example.org"])
    assert result.exit_code == 0
    clerk = english_client(app)
    clerk.post("/login", data={"csrf_token": csrf_of(clerk, "/login"), "email": "clerk@example.org",
                               "password": "caseworker-password"})
    token = csrf_of(clerk, f"/office/cases/{submitted}")
    clerk.post(f"/office/cases/{submitted}/status", data={"csrf_token": token, "status": "received"})
    clerk.post(f"/office/cases/{submitted}/messages", data={"csrf_token": token, "kind": "request", "body": "Bitte Mietvertrag.",
                                                           "documents": "Mietvertrag", "due_date": "2031-01-15"})
    draft_url = start(applicant, "residence-permit-extension")
    draft = draft_url.split("/")[2]
    service = app.extensions["services"]["declaration-of-commitment"]
    documents = answer_all(applicant, service, start(applicant, service.id))
    applicant_pages = {
        "catalogue": "/", "service": "/services/residence-permit-extension", "login": "/login", "register": "/register",
        "step": draft_url, "dashboard": "/dashboard", "profile": "/profile",
        "confirmation": f"/applications/{submitted}?submitted=1", "messages": f"/applications/{submitted}",
        "accessibility": "/accessibility", "leichte-sprache": "/leichte-sprache",
        "documents": documents, "check": documents.replace("/documents", "/check"),
    }
    office_pages = {"inbox": "/office/", "case": f"/office/cases/{submitted}"}
    return {"applicant": applicant_pages, "office": office_pages, "draft": draft, "submitted": submitted}


def axe(page):
    """axe-core's violations on the current page (WCAG 2.1 A and AA rules and best practices)."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {iframes: false, runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']})")
    return [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]]


@pytest.mark.parametrize("lang", ["de", "ar"])
def test_axe_finds_no_violation_on_any_page_type(browser, live_server, site, lang):
    problems = {}
    context = browser.new_context(viewport={"width": 360, "height": 640}, extra_http_headers={"Accept-Language": lang}, bypass_csp=True)
    page = context.new_page()
    log_in(page, live_server, "ana@example.org")
    for name, url in site["applicant"].items():
        page.goto(live_server + url)
        problems[name] = axe(page)
    page.goto(live_server + site["applicant"]["step"])              # a step with errors
    page.fill("#f-birth_date", "31.02.1990")
    page.click("main button[value=next]")
    problems["step with errors"] = axe(page)
    context.close()
    office = browser.new_context(viewport={"width": 1280, "height": 900}, extra_http_headers={"Accept-Language": lang}, bypass_csp=True)
    page = office.new_page()
    log_in(page, live_server, "clerk@example.org", "caseworker-password")
    for name, url in site["office"].items():
        page.goto(live_server + url)
        problems[name] = axe(page)
    office.close()
    assert {name: found for name, found in problems.items() if found} == {}


def test_the_html_checker_reports_no_error(app, applicant, site, tmp_path):
    pages = {}
    clerk = english_client(app)
    clerk.post("/login", data={"csrf_token": csrf_of(clerk, "/login"), "email": "clerk@example.org",
                               "password": "caseworker-password"})
    for lang in ("de", "ar"):
        for client, urls in ((applicant, site["applicant"]), (clerk, site["office"])):
            client.environ_base["HTTP_ACCEPT_LANGUAGE"] = lang
            for name, url in urls.items():
                pages[f"{lang}-{name}"] = client.get(url).get_data(as_text=True)
        step = site["applicant"]["step"]
        error = applicant.post(step, data=form_fields(soup(applicant.get(step))) | {"birth_date": "x", "action": "next"})
        pages[f"{lang}-step-with-errors"] = error.get_data(as_text=True)
        partial = applicant.post(f"{step}/fields/birth_date", data=form_fields(soup(applicant.get(step))) | {"birth_date": "x"},
                                 headers={"HX-Request": "true"})
        pages[f"{lang}-live-check"] = f"<!doctype html><html lang=en><title>x</title>{partial.get_data(as_text=True)}</html>"
    for name, html in pages.items():
        (tmp_path / f"{name}.html").write_text(html, encoding="utf-8")
    run = subprocess.run(["java", "-jar", str(VNU), "--errors-only", "--format", "json", *sorted(map(str, tmp_path.glob("*.html")))],
                         capture_output=True, text=True, timeout=300)
    messages = json.loads(run.stderr or "{}").get("messages", [])
    assert [(Path(m["url"]).name, m.get("lastLine"), m["message"]) for m in messages] == []
    assert run.returncode == 0


def test_keyboard_only_completes_a_step_and_follows_the_error_summary(browser, live_server, client):
    register(client, email="keys@example.org", profile=DEMO_PROFILE)
    context = browser.new_context(extra_http_headers={"Accept-Language": "en"})
    page = context.new_page()
    log_in(page, live_server, "keys@example.org")
    page.goto(f"{live_server}/services/residence-permit-extension")
    page.focus("main button.primary")
    page.keyboard.press("Enter")
    page.wait_for_url("**/steps/person")
    page.focus("#f-birth_date")
    page.keyboard.press("Control+A")
    page.keyboard.type("31.02.1990")
    page.keyboard.press("Enter")                                         # submits the step's form
    page.wait_for_selector(".error-summary")
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")   # focus moved to the summary
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#f-birth_date"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "f-birth_date"   # the link leads to the field
    page.keyboard.press("Control+A")
    page.keyboard.type("27.03.1990")
    for _ in range(12):                                                   # through the remaining fields to "female"
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "f-sex":
            break
    page.keyboard.press("Space")
    page.keyboard.press("Enter")
    page.wait_for_url("**/steps/passport**")
    context.close()

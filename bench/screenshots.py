"""`make screenshots`: the pages a person sees most, on a 360 px phone in German and Arabic, into docs/screenshots/.

The start page, a step with errors, check your answers, the status page with an open request of the office, and the
first page of the receipt; made with the same real flows the tests use, in Debian's chromium.
"""
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OUT = ROOT / "docs" / "screenshots"
SERVICE = "declaration-of-commitment"


def main():
    """Serve a fresh app, make a submitted application with a request and a draft, and photograph them."""
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    from assistant import create_app
    from assistant.db import migrate
    from assistant.demo import DEMO_PROFILE
    from tests.conftest import (CHROMIUM, CHROMIUM_FLAGS, PASSWORD, answer_all, choose_language, csrf_of, draft_id_of,
                                english_client, register, staff, start, submit_application)

    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "assistant.sqlite"
        migrate(str(database))
        app = create_app({"DATABASE": str(database), "SECRET_KEY": "screenshots" * 4, "FILES_DIR": str(Path(folder) / "files"),
                          "TESTING": True, "RATELIMIT_ENABLED": False})
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        clerk = staff(app, email="screens@example.org")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            for lang in ("de", "ar"):
                email = f"screens-{lang}@example.org"
                client = register(english_client(app), email=email, profile=DEMO_PROFILE)
                choose_language(client, lang)
                draft, _ = submit_application(client, app, SERVICE)
                clerk.post(f"/office/cases/{draft}/messages", data={
                    "csrf_token": csrf_of(clerk, f"/office/cases/{draft}"), "kind": "request", "due_date": "2031-01-12",
                    "body": "Bitte reichen Sie Ihre letzten drei Gehaltsabrechnungen nach.", "documents": "Gehaltsabrechnungen"})
                url = start(client, SERVICE)
                answer_all(client, app.extensions["services"][SERVICE], url)
                open_draft = draft_id_of(url)
                context = browser.new_context(viewport={"width": 360, "height": 640}, is_mobile=True, has_touch=True,
                                              device_scale_factor=1, extra_http_headers={"Accept-Language": lang})
                page = context.new_page()
                page.goto(f"{base}/")
                page.screenshot(path=OUT / f"{lang}-start.png", full_page=True)
                page.goto(f"{base}/login")
                page.fill("#email", email)
                page.fill("#password", PASSWORD)
                page.click("main button.primary")
                page.wait_for_url("**/dashboard")
                page.goto(f"{base}/applications/{open_draft}/check")
                page.screenshot(path=OUT / f"{lang}-check-answers.png", full_page=True)
                page.goto(f"{base}/applications/{open_draft}/steps/guarantor")
                page.fill("input[name=birth_date]", "31.02.1990")
                page.fill("input[name=family_name]", "")
                page.click("#step-form button[name=action][value=next]")
                page.wait_for_selector(".error-summary")
                page.screenshot(path=OUT / f"{lang}-step-with-errors.png", full_page=True)
                page.goto(f"{base}/applications/{draft}")
                page.screenshot(path=OUT / f"{lang}-status-with-request.png", full_page=True)
                receipt = page.request.get(f"{base}/applications/{draft}/receipt.pdf").body()
                subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", "-",
                                str(OUT / f"{lang}-receipt")], input=receipt, check=True)
                context.close()
            browser.close()
        server.shutdown()
    for path in sorted(OUT.glob("*.png")):
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()

"""Every user-visible text goes through gettext; the German and English catalogs are complete."""
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from assistant.i18n import LANGUAGES
from tests.conftest import choose_language, soup

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")
REQUIRED = list(LANGUAGES)


def catalog(lang):
    """The catalog of a language."""
    with open(ROOT / "locales" / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """A fresh extraction over code, templates and service files."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "--no-location",
                    "-F", "babel.cfg", "-k", "_l", "-k", "N_", "-k", "both", "--ignore-dirs", ".* __pycache__", "-o", str(pot), "."],
                   cwd=ROOT, check=True, capture_output=True, env={"PYTHONPATH": str(ROOT), "PATH": ""})
    with open(pot, "rb") as f:
        return {m.id for m in read_po(f) if m.id}


@pytest.mark.parametrize("lang", REQUIRED)
def test_catalog_is_complete_and_consistent(lang):
    problems = []
    for message in catalog(lang):
        if not message.id:
            continue
        if not message.string or message.fuzzy:
            problems.append(f"untranslated: {message.id!r}")
        elif sorted(PLACEHOLDER.findall(message.id)) != sorted(PLACEHOLDER.findall(message.string)):
            problems.append(f"placeholders differ: {message.id!r}")
    assert problems == []


@pytest.mark.parametrize("lang", REQUIRED)
def test_catalog_compiles_and_passes_babels_format_checks(lang):
    import io
    from babel.messages.mofile import write_mo
    messages = catalog(lang)
    assert [(m.id, [str(e) for e in errors]) for m, errors in messages.check()] == []
    write_mo(io.BytesIO(), messages)


def test_every_catalog_folder_is_a_language_of_the_product():
    folders = {p.name for p in (ROOT / "locales").iterdir() if p.is_dir()}
    assert folders == set(LANGUAGES)


@pytest.mark.parametrize("lang", REQUIRED)
def test_extraction_finds_nothing_missing_from_the_catalog(extracted, lang):
    ids = {m.id for m in catalog(lang) if m.id}
    assert extracted - ids == set()
    assert "What is your date of birth?" in extracted        # service files are extracted too
    assert extracted & {"label", "hint", "message", "title", "value"} == set()   # never a key passed to _()


def test_pages_are_german_by_default_and_english_on_request(app, client):
    page = soup(app.test_client().get("/"))
    assert page.html["lang"] == "de" and page.html["dir"] == "ltr"
    assert page.h1.text == catalog("de")["Apply online"].string
    english = soup(client.get("/", headers={"Accept-Language": "en"}))
    assert english.html["lang"] == "en" and english.h1.text == "Apply online"


def test_language_choice_is_kept_in_a_cookie_and_beats_the_browser(client):
    response = choose_language(client, "en", next_path="/services/declaration-of-commitment")
    assert response.status_code == 303 and response.location.endswith("/services/declaration-of-commitment")
    page = soup(client.get("/", headers={"Accept-Language": "de"}))
    assert page.html["lang"] == "en"
    assert choose_language(client, "en", next_path="https://evil.example/").location == "/"
    assert client.get("/language/de").status_code in (404, 405)           # a link on another site changes nothing

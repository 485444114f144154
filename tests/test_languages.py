"""Every applicant's language: switching mid-step loses nothing, RTL, German alongside, the same packet in any language."""
import io
import json
import re
import sqlite3
import subprocess
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from pypdf import PdfReader

from assistant.i18n import LANGUAGES, RTL, tag
from tests.conftest import (DEMO_PROFILE, choose_language, draft_id_of, form_fields, jpeg_bytes, register, sample_answer, soup, start,
                            upload, csrf_of)

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
ARABIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
TYPED = {"ar": ARABIC_DIGITS, "fa": PERSIAN_DIGITS, "fa_AF": PERSIAN_DIGITS, "ps": PERSIAN_DIGITS}


def catalog(lang):
    """The catalog of a language."""
    with open(ROOT / "locales" / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f)


def client_in(app, lang):
    """A client whose browser prefers a language."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = lang
    return client


def test_switching_language_in_the_middle_of_a_step_saves_it_and_keeps_every_answer(app, db_path):
    client = client_in(app, "de")
    register(client, profile=DEMO_PROFILE)
    url = start(client, "residence-permit-extension")
    data = form_fields(soup(client.get(url))) | {"birth_place": "Homs", "sex": "female"}
    response = client.post(url, data=data | {"lang": "ar"})       # the switch is a button of the step's form
    assert response.status_code == 302 and response.location == url
    page = soup(client.get(url))
    assert (page.html["lang"], page.html["dir"]) == ("ar", "rtl")
    assert page.select_one("input[name=birth_place]")["value"] == "Homs"
    assert page.select_one("input[name=sex][value=female]").has_attr("checked")
    assert page.h1.text == catalog("ar")[app.extensions["services"]["residence-permit-extension"].steps[0].title].string
    assert not page.select(".error-summary")                         # a switch is not a submit: no errors
    db = sqlite3.connect(db_path)
    assert db.execute("SELECT locale FROM accounts").fetchone()[0] == "ar"
    # The account's choice follows the person to another browser.
    other = client_in(app, "en")
    from tests.conftest import submit as post_form
    post_form(other, "/login", {"email": "ana@example.org", "password": "correct horse battery"}, action=None)
    assert soup(other.get("/dashboard")).html["lang"] == "ar"


def test_language_switch_buttons_belong_to_the_step_form_and_name_each_language_in_itself(applicant):
    url = start(applicant, "residence-permit-extension")
    page = soup(applicant.get(url))
    buttons = page.select("section.langs button[name=lang]")
    assert [b["value"] for b in buttons] == list(LANGUAGES)
    assert all(b["form"] == "step-form" for b in buttons) and page.select_one("form#step-form")
    names = {b["value"]: b.text for b in buttons}
    assert names["de"] == "Deutsch" and names["ar"] == "العربية" and names["uk"] == "Українська"
    assert names["fa"] == "فارسی" and names["tr"] == "Türkçe" and names["fr"] == "Français"
    assert names["fa_AF"] == "دری" and names["ku"] == "Kurdî (Kurmancî)" and names["ti"] == "ትግርኛ"
    assert names["so"] == "Soomaali" and names["sq"] == "Shqip" and len(names) == 15
    # Elsewhere the buttons belong to a small form of their own, which POSTs with the page's token (never a GET link).
    page = soup(applicant.get("/"))
    buttons = page.select("section.langs button[name=lang]")
    assert [b["value"] for b in buttons] == list(LANGUAGES) and all(b["form"] == "language-form" for b in buttons)
    form = page.select_one("form#language-form")
    assert form["method"] == "post" and form.select_one("input[name=csrf_token]")["value"]
    assert not page.select("section.langs a")


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_every_language_sets_lang_and_direction_and_says_whether_it_is_reviewed(app, lang):
    page = soup(client_in(app, tag(lang)).get("/"))
    assert page.html["lang"] == tag(lang)
    assert page.html["dir"] == ("rtl" if lang in RTL else "ltr")
    note = page.select_one("footer .small")
    if LANGUAGES[lang] == "reviewed":
        assert note is None
    else:
        assert note.text == catalog(lang)["This translation has not yet been checked by a native speaker. "
                                          "If something is unclear, show the German text alongside."].string


def test_country_names_come_from_cldr_in_the_users_language(applicant, app):
    url = start(applicant, "residence-permit-extension")
    for lang, syria in [("ar", "سوريا"), ("uk", "Сирія"), ("de", "Syrien"), ("tr", "Suriye")]:
        choose_language(applicant, lang)
        page = soup(applicant.get(url))
        assert page.select_one("select[name=nationality] option[value=SY]").text == syria


def test_german_alongside_shows_german_under_questions_hints_and_messages(applicant, app):
    choose_language(applicant, "ar")
    url = start(applicant, "residence-permit-extension")
    service = app.extensions["services"]["residence-permit-extension"]
    assert soup(applicant.get(url)).select(".beside") == []
    choose_language(applicant, alongside="on", next_path=url)
    response = applicant.post(url, data=form_fields(soup(applicant.get(url))) | {"birth_date": "31.02.1990", "action": "next"})
    page = soup(response)
    de = catalog("de")
    label = page.select_one("label[for=f-birth_date]")
    assert label.select_one(".beside").text == de[service.questions["birth_date"].label].string
    assert label.select_one(".beside")["lang"] == "de"
    assert page.select_one("#f-birth_date-hint .beside").text == de[service.questions["birth_date"].hint].string
    error = page.select_one("#f-birth_date-error")
    assert error.select_one(".beside").text == de["This date does not exist. Check the day, month and year."].string
    assert catalog("ar")["This date does not exist. Check the day, month and year."].string in error.text
    # The live check answers in both languages too.
    partial = soup(applicant.post(f"{url}/fields/birth_date", data=form_fields(page) | {"birth_date": "1.13.1990"},
                                  headers={"HX-Request": "true"}))
    assert partial.select_one("#f-birth_date-error .beside").text == de["This date does not exist. Check the day, month and year."].string
    # Switched off from the step itself, saving it.
    response = applicant.post(url, data=form_fields(page) | {"alongside": "off"})
    assert soup(applicant.get(response.location)).select(".beside") == []


def run_in(app, lang, switch_at=None, email="person@example.org"):
    """Walk the declaration of commitment in a language (digits typed in the language's own digits) and submit it."""
    client = client_in(app, lang)
    register(client, email=email)
    service = app.extensions["services"]["declaration-of-commitment"]
    order = list(service.questions)
    url = start(client, service.id)
    draft = draft_id_of(url)
    for number in range(20):
        page = soup(client.get(url))
        assert page.html["lang"] == tag(lang)
        data = form_fields(page)
        for div in page.select("div.field[id^=q-]"):
            q = service.questions[div["id"][2:]]
            value = sample_answer(q, order.index(q.id), service)
            if lang in TYPED and q.type in ("date", "phone", "number", "money"):
                value = value.translate(TYPED[lang])
            if q.type == "address":
                data |= {f"{q.id}-{k}": v for k, v in value.items()}
            else:
                data[q.id] = value
        if number == switch_at:
            # Half the step typed, then to German and back: the step is kept both times.
            first = page.select_one("div.field[id^=q-]")["id"][2:]
            response = client.post(url, data=data | {"lang": "de"})
            german = soup(client.get(response.location))
            assert german.html["lang"] == "de" and german.select_one(f"[name={first}]") is not None
            client.post(url, data=form_fields(german) | {"lang": lang})
            data = form_fields(soup(client.get(url))) | {k: v for k, v in data.items() if k not in ("csrf_token", "_seen")}
        response = client.post(url, data=data | {"action": "next"})
        assert response.status_code == 302, soup(response).select_one(".error-summary")
        url = response.location
        if url.endswith("/documents"):
            break
    for section in soup(client.get(url)).select("section.document"):
        assert upload(client, draft, section["id"][2:], ("photo.jpg", jpeg_bytes())).status_code == 303
    token = csrf_of(client, f"/applications/{draft}/check")
    assert client.post(f"/applications/{draft}/submit", data={"csrf_token": token, "declaration": "yes"}).status_code == 303
    return client, draft


@pytest.mark.parametrize("lang", ["ar", "uk"])
def test_a_whole_application_in_another_language_gives_the_same_packet_as_in_german(app, db_path, lang):
    _german_client, german_draft = run_in(app, "de", email="de@example.org")
    client, draft = run_in(app, lang, switch_at=2, email=f"{lang}@example.org")
    db = sqlite3.connect(db_path)
    packets = {d: json.loads(db.execute("SELECT packet FROM outbox WHERE application_id = ?", [d]).fetchone()[0])
               for d in (german_draft, draft)}
    assert packets[draft]["data"]["answers"] == packets[german_draft]["data"]["answers"]
    assert packets[draft]["language"] == lang and packets[german_draft]["language"] == "de"
    assert packets[draft]["service"]["title"] == "Verpflichtungserklärung"      # the office's side is German


def test_the_receipt_is_bilingual_and_arabic_is_laid_out_right_to_left(app):
    client, draft = run_in(app, "ar", email="receipt@example.org")
    response = client.get(f"/applications/{draft}/receipt.pdf")
    body = response.get_data()
    response.close()
    reader = PdfReader(io.BytesIO(body))
    arabic_title = catalog("ar")["Receipt for your application"].string
    german_title = catalog("de")["Receipt for your application"].string
    positions = {}

    def visit(text, cm, tm, font, size):
        if text.strip():
            positions.setdefault(text.strip(), tm[4] * cm[0] + cm[4])
    reader.pages[0].extract_text(visitor_text=visit)
    width = float(reader.pages[0].mediabox.width)
    arabic_x = next(x for t, x in positions.items() if arabic_title.split()[0] in t or t in arabic_title)
    german_x = next(x for t, x in positions.items() if t.startswith(german_title[:12]))
    assert german_x < width * 0.2                 # German runs left to right from the left margin
    assert arabic_x > width * 0.4                 # the Arabic title sits at the right
    # A picture of the page, for people to look at (shaping, order); poppler must draw it without complaint.
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "receipt-ar.pdf").write_bytes(body)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(ARTIFACTS / "receipt-ar.pdf"),
                    str(ARTIFACTS / "receipt-ar")], check=True, capture_output=True)
    text = subprocess.run(["pdftotext", "-l", "1", str(ARTIFACTS / "receipt-ar.pdf"), "-"], check=True,
                          capture_output=True, text=True).stdout
    # Shaped glyphs map back to the Arabic words in reading order (poppler splits the lam-alef ligature, so skip those).
    words = [w for w in arabic_title.split() if "لا" not in w]
    assert words and all(w in re.sub(r"[\u202a-\u202e]", "", text) for w in words)
    assert german_title in text


OWN_DIGITS = {"ar": "٠١٢٣٤٥٦٧٨٩", "fa": "۰۱۲۳۴۵۶۷۸۹", "fa_AF": "۰۱۲۳۴۵۶۷۸۹", "ps": "۰۱۲۳۴۵۶۷۸۹"}


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_each_language_writes_dates_amounts_sizes_and_counts_in_its_own_digits(app, lang):
    """The digit policy (i18n.DIGITS): Persian digits for Persian, Dari and Pashto, Arabic-Indic for Arabic, 0-9 for
    the others; in templates and in code, in dates, amounts, sizes and every number passed into a text."""
    from flask_babel import force_locale, gettext
    own = OWN_DIGITS.get(lang, "0123456789")
    table = str.maketrans("0123456789", own)
    page = ('{{ "2026-03-27"|day }} | {{ "2026-03-27T08:05:00Z"|when }} | {{ "1234.50"|money }} | '
            '{{ 2516582|filesize }} | {{ _("Step %(number)s", number=12) }} | '
            '{{ ngettext("%(done)s of %(total)s step complete", "%(done)s of %(total)s steps complete", 18, '
            'done=7, total=18) }} | {{ 3|number }}')   # the last: a repeated item's number ("Family member 3")
    with app.test_request_context(), force_locale(lang):
        shown = [part.strip() for part in app.jinja_env.from_string(page).render().split(" | ")]
        in_code = gettext("Step %(number)s", number=12)
    assert "2026".translate(table) in shown[0] and "27".translate(table) in shown[0]
    assert "2026".translate(table) in shown[1] and "05".translate(table) in shown[1]    # 09:05 in Berlin
    assert "".join(ch for ch in shown[2] if ch.isdecimal()) == "123450".translate(table)
    assert "".join(ch for ch in shown[3] if ch.isdecimal()) == "24".translate(table)    # 2.4 MB
    assert "12".translate(table) in shown[4] and "12".translate(table) in in_code
    assert "7".translate(table) in shown[5] and "18".translate(table) in shown[5] and shown[6] == "3".translate(table)
    assert all(ch in own for part in shown for ch in part if ch.isdecimal()), shown


def test_a_catalog_text_takes_the_digits_but_law_codes_and_phone_numbers_keep_theirs(app):
    """Numbers standing alone in a translated text ("for example 10115", "18 years") take the language's digits; a
    legal reference, a code and a phone number stay as the law, the code and the phone have them."""
    from flask_babel import force_locale, gettext
    fa = catalog("fa")
    postcode = "A German postcode has five digits, for example 10115."
    law = next(m.id for m in fa if isinstance(m.id, str) and "§ 81 Abs. 4 AufenthG" in m.string)
    level = next(m.id for m in fa if isinstance(m.id, str) and "(BITV 2.0" in m.string)
    with app.test_request_context():
        with force_locale("fa"):
            assert "۱۰۱۱۵" in gettext(postcode) and "10115" not in gettext(postcode)
            assert "§ 81 Abs. 4 AufenthG" in gettext(law)
            assert "BITV 2.0" in gettext(level, office="X") and "WCAG 2.1" in gettext(level, office="X")
            assert gettext("%(number)s, extension %(extension)s", number="030 1234567", extension="12").startswith(
                "030 1234567")                                       # what people typed is shown as they typed it
            phone = next(m.id for m in fa if isinstance(m.id, str) and "0151 23456789" in m.id)
            assert "0151 23456789" in gettext(phone) and "116 116" in gettext(
                next(m.id for m in fa if isinstance(m.id, str) and "116 116" in m.id))   # phone numbers dial as written
        with force_locale("ar"):
            assert "١٠١١٥" in gettext(postcode)
        with force_locale("tr"):
            assert "10115" in gettext(postcode)


@pytest.mark.parametrize("typed, value", [("۱٬۲۵۰٫۵۰", "1250.50"), ("\u200e€ ۱٬۲۵۰٫۵۰", "1250.50"),
                                          ("١٢٥٠٫٥٠", "1250.50"), ("1\u202f250,50\u00a0€", "1250.50")])
def test_an_amount_is_read_as_the_page_writes_it_in_every_language(app, typed, value):
    """Persian and Arabic write amounts with their own separators (٫ decimal, ٬ thousands); French with a narrow
    space: what a person copies from the page, or types on a Persian keyboard, is read."""
    from assistant.questions import TYPES
    with app.test_request_context():
        assert TYPES["money"].parse(typed, None) == value
        assert TYPES["text"].parse("K۷M۴-Q۹TX-A", None) == "K7M4-Q9TX-A"   # a reference number in Persian digits


def test_a_notice_names_todays_threshold_on_right_to_left_pages_too(app):
    """The notice's placeholder is filled before its left-to-right runs are set apart, in Arabic as in German."""
    hint = next(m.id for m in catalog("ar") if isinstance(m.id, str) and "%(skilled_worker_45_plus)s" in m.id)
    page = '{{ hint|format_tables(tables) }}'
    with app.test_request_context():
        from flask_babel import force_locale
        for lang, amount in (("ar", "٤٬٦٤٧٫٥٠"), ("fa", "۴٬۶۴۷٫۵۰"), ("de", "4.647,50")):
            with force_locale(lang):
                shown = app.jinja_env.from_string(page).render(hint=hint, tables={"skilled_worker_45_plus": "4647.50"})
            assert amount in shown and "%(" not in shown, (lang, shown)


def test_the_office_decides_the_arabic_digits(make_app):
    """ASSISTANT_ARABIC_DIGITS=latn: Arabic pages write 0-9 (Arabic-Indic is the default); Persian keeps its own."""
    from flask_babel import force_locale, gettext
    with pytest.raises(RuntimeError):
        make_app(ARABIC_DIGITS="Latn")                                  # a typo stops the start, not every page
    app = make_app(ARABIC_DIGITS="latn")
    with app.test_request_context():
        with force_locale("ar"):
            assert "10115" in gettext("A German postcode has five digits, for example 10115.")
            assert app.jinja_env.from_string('{{ "1234.50"|money }}').render().count("1") == 1
        with force_locale("fa"):
            assert "۱۰۱۱۵" in gettext("A German postcode has five digits, for example 10115.")


@pytest.mark.parametrize("lang", ["fa", "fa_AF", "ps"])
def test_persian_digits_on_screen_and_on_the_receipt_while_typed_persian_digits_are_read(app, lang):
    """A whole application typed in Persian digits is read as numbers; its page and its receipt write the date of
    submission and the fee in Persian digits, and the reference number and the office's address as they are."""
    client, draft = run_in(app, lang, email=f"digits-{lang}@example.org")
    page = soup(client.get(f"/applications/{draft}"))
    with app.app_context():
        from assistant.db import get_db
        row = get_db().execute("SELECT reference, submitted_at FROM applications WHERE id = ?", [draft]).fetchone()
    year = row["submitted_at"][:4]
    text = page.select_one("main").text
    assert row["reference"] in text and year.translate(PERSIAN_DIGITS) in text
    with client.get(f"/applications/{draft}/receipt.pdf") as response:
        receipt = subprocess.run(["pdftotext", "-", "-"], input=response.get_data(), capture_output=True,
                                 check=True).stdout.decode()
    assert row["reference"] in receipt and "12345 Musterstadt" in receipt and "+49 30 1234567" in receipt
    assert year.translate(PERSIAN_DIGITS) in receipt and "۲۹٫۰۰" in receipt     # the date of submission, the fee
    assert " · ۱/" in receipt                                        # the page numbers too


@pytest.mark.parametrize("lang, font", [("ti", "Noto-Sans-Ethiopic"), ("fa_AF", "Noto-Sans-Arabic")])
def test_the_receipt_draws_tigrinya_and_dari_in_their_own_scripts(app, lang, font):
    """Tigrinya in Ge'ez script with Debian's Noto Sans Ethiopic, Dari right to left with Noto Sans Arabic: the words
    come back from the page in reading order, and a picture of it is kept for people to look at."""
    client, draft = run_in(app, lang, email=f"receipt-{lang}@example.org")
    with client.get(f"/applications/{draft}/receipt.pdf") as response:
        body = response.get_data()
    reader = PdfReader(io.BytesIO(body))
    fonts = {str(f.get_object()["/BaseFont"]) for page in reader.pages
             for f in page["/Resources"]["/Font"].values()}
    assert any(font in name for name in fonts), fonts
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"receipt-{lang}.pdf").write_bytes(body)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(ARTIFACTS / f"receipt-{lang}.pdf"),
                    str(ARTIFACTS / f"receipt-{lang}")], check=True, capture_output=True)
    text = re.sub(r"[\u202a-\u202e\u2066-\u2069]", "", subprocess.run(
        ["pdftotext", "-l", "1", str(ARTIFACTS / f"receipt-{lang}.pdf"), "-"], check=True, capture_output=True,
        text=True).stdout)
    for msgid in ("Receipt for your application", "Reference number", "Submitted on"):
        words = [w for w in catalog(lang)[msgid].string.split() if "لا" not in w]
        assert words and all(w in text for w in words), (msgid, text[:400])
    assert catalog("de")["Receipt for your application"].string in text


@pytest.mark.parametrize("accepted, lang", [("fa-AF,fa;q=0.9", "fa-AF"), ("prs", "fa-AF"), ("kmr", "ku"),
                                             ("ku-TR", "ku"), ("ti-ER", "ti"), ("sq-XK", "sq"), ("so", "so")])
def test_a_browser_asking_for_a_new_language_by_any_of_its_codes_gets_it(app, accepted, lang):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = accepted
    page = soup(client.get("/"))
    assert page.html["lang"] == lang and page.select_one("#ask-languages") is None


def test_a_browser_whose_language_is_not_offered_is_asked_once(app):
    from tests.conftest import choose_language
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "sw, am;q=0.8"
    first = soup(client.get("/"))
    asked = first.select_one("main section#ask-languages")
    assert asked is not None and first.html["lang"] == "de"
    assert [b["value"] for b in asked.select("button[name=lang]")] == list(LANGUAGES)
    assert soup(client.get("/services/declaration-of-commitment")).select_one("#ask-languages") is None   # once
    assert choose_language(client, "fr").status_code == 303 and soup(client.get("/")).html["lang"] == "fr"
    offered = app.test_client()
    offered.environ_base["HTTP_ACCEPT_LANGUAGE"] = "ar"
    assert soup(offered.get("/")).select_one("#ask-languages") is None      # a language we offer is simply taken

"""Languages: locale choice, digit normalisation and the Babel extractor for service files."""
import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from flask import current_app, g, has_request_context, request
from markupsafe import Markup, escape
from babel import Locale
from babel.dates import format_date, format_datetime, format_timedelta
from babel.numbers import format_currency, format_decimal
from babel.units import format_unit
from flask_babel import Babel, Domain, force_locale, get_locale, get_timezone, gettext, lazy_gettext
from jinja2 import pass_context

TEXT_KEYS = {"title", "summary", "audience", "label", "hint", "intro", "message", "note", "text", "why", "item", "link_label"}
COOKIE = "lang"
ALONGSIDE_COOKIE = "de_alongside"
ASKED_COOKIE = "lang_asked"
# Every language of the product, in the order of the switcher, with the state of its translation:
# "reviewed" by a person who knows the language and the office's terms, or "draft" (shown to users).
# Codes are CLDR's: fa_AF is Dari (Afghan Persian), ku is Kurmanji Kurdish in Latin script.
LANGUAGES = {"de": "reviewed", "en": "reviewed", "ar": "draft", "fa": "draft", "fa_AF": "draft", "ps": "draft",
             "tr": "draft", "uk": "draft", "ru": "draft", "ro": "draft", "fr": "draft", "ku": "draft", "ti": "draft",
             "so": "draft", "sq": "draft"}
# A language's name in itself where CLDR's is not what its readers call it ("Persian (Afghanistan)" is Dari).
OWN_NAMES = {"fa_AF": "دری", "ku": "Kurdî (Kurmancî)"}
# ISO 639-3 codes some browsers and systems send for them.
ALIASES = {"prs": "fa_AF", "kmr": "ku"}
RTL = {"ar", "fa", "fa_AF", "ps"}
# The digits a language shows in the numbers the product writes: in its texts, dates, amounts, counts, on screen and
# on the receipt (CLDR numbering systems). Persian, Dari and Pashto readers expect Persian digits; Arabic as the office
# decides (ASSISTANT_ARABIC_DIGITS), Arabic-Indic by default. Identifiers, legal references, phone numbers and
# what people typed keep 0-9; input in any digit system is accepted everywhere (normalize_digits).
DIGITS = {"fa": "arabext", "fa_AF": "arabext", "ps": "arabext", "ar": "ARABIC_DIGITS"}
_DIGIT_TABLES = {"arab": str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"),
                 "arabext": str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")}
# A letter, a paragraph or a plus sign, or digit groups apart (0151 23456789, 116 116): a reference, code or number.
_KEPT = re.compile(r"[^\W\d]|[§+]|\d\s+\d")
OFFICE_TIMEZONE = ZoneInfo("Europe/Berlin")  # dates with legal meaning are the office's dates


def office_today():
    """Today in the office's time zone: at 00:30 in Berlin it is already tomorrow there, whatever the server says."""
    return datetime.now(OFFICE_TIMEZONE).date()


def available_locales():
    """The product's languages that have a catalog in locales/, German (the office's language) first; found at start-up."""
    return current_app.extensions["locales"]


def _find_locales(folder):
    """The languages whose catalogs are present in `folder`."""
    return [code for code in LANGUAGES if code == "de" or (Path(folder) / code / "LC_MESSAGES").is_dir()]


def select_locale():
    """The user's explicit choice (cookie, then the account's), else the browser's preference, else German."""
    from flask_login import current_user
    locales = available_locales()
    if g.get("page_locale") in locales:  # a page for a person other than the one at the keyboard (a client's review)
        return g.page_locale
    chosen = request.cookies.get(COOKIE)
    if chosen in locales:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in locales:
        return current_user.locale
    guess = request.accept_languages.best_match([*locales, *ALIASES])
    guess = ALIASES.get(guess, guess)
    if guess is None and not request.cookies.get(ASKED_COOKIE):
        g.ask_language = True  # none of the browser's languages is offered: ask, once
    return guess or "de"


def remember_language(response, code):
    """Keep an explicit language choice in a cookie and on the account."""
    from flask_login import current_user
    from .db import get_db
    response.set_cookie(COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax",
                        secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True)
    if current_user.is_authenticated:
        get_db().execute("UPDATE accounts SET locale = ? WHERE id = ?", [code, current_user.id])


def remember_alongside(response, on):
    """Keep the "show German alongside" choice in a cookie."""
    if on:
        response.set_cookie(ALONGSIDE_COOKIE, "1", max_age=365 * 24 * 3600, samesite="Lax",
                            secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True)
    else:
        response.delete_cookie(ALONGSIDE_COOKIE)


def numbering_system(lang=None):
    """The digits of a language (see DIGITS): latn, arab or arabext."""
    system = DIGITS.get(lang or str(get_locale()), "latn")
    return current_app.config[system] if system == "ARABIC_DIGITS" else system


def digits(text, lang=None):
    """A text the product wrote (a date, a size, a duration) with the digits of the language."""
    table = _DIGIT_TABLES.get(numbering_system(lang))
    return text.translate(table) if table else text


def native(text, system):
    """A catalog text with the digits of the language: a number that stands alone ("18 years", "29 March 2023") takes
    them, one inside a left-to-right run (§ 25 Abs. 1 AufenthG, WCAG 2.1, A1, +49 …, 0151 23456789) stays as the law,
    the code or the phone has it."""
    table = _DIGIT_TABLES.get(system)
    if not table:
        return text

    def convert(match):
        run = match.group()
        return run if _KEPT.search(run) else run.translate(table)
    return LTR_RUN.sub(convert, text)


def tag(code):
    """A language code as HTML's lang attribute wants it (BCP 47): fa_AF -> fa-AF."""
    return code.replace("_", "-")


def number(value):
    """A number for a text, with the digits of the language: counts as they are, amounts and fractions as Babel
    formats them for the locale."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return value
    if isinstance(value, int):
        return digits(str(value))
    return digits(format_decimal(value, locale=get_locale(), numbering_system=numbering_system()))


def _numbers(variables):
    return {name: number(value) for name, value in variables.items()} if variables else variables


class _NativeCatalog:
    """A language's catalog whose texts show their numbers in the language's digits (each text converted once)."""

    def __init__(self, translations, system):
        self._translations, self._system, self._done = translations, system, {}

    def _native(self, text):
        if text not in self._done:  # a catalog is finite: each text is converted once per process
            self._done[text] = native(text, self._system)
        return self._done[text]

    def ugettext(self, string):
        return self._native(self._translations.ugettext(string))

    def ungettext(self, singular, plural, n):
        return self._native(self._translations.ungettext(singular, plural, n))

    def upgettext(self, context, string):
        return self._native(self._translations.upgettext(context, string))

    def unpgettext(self, context, singular, plural, n):
        return self._native(self._translations.unpgettext(context, singular, plural, n))

    gettext, ngettext, pgettext, npgettext = ugettext, ungettext, upgettext, unpgettext

    def __getattr__(self, name):
        return getattr(self._translations, name)


class OfficeDomain(Domain):
    """Flask-Babel's message domain, with the digit policy: the catalog's own numbers and every number passed into a
    message (a count, a step) in the digits of the language; strings passed in (identifiers, names) as they are."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._native = {}

    def get_translations(self):
        translations = super().get_translations()
        lang = str(get_locale())
        system = numbering_system(lang)
        if system == "latn":
            return translations
        key = (lang, system)
        if key not in self._native or self._native[key]._translations is not translations:
            self._native[key] = _NativeCatalog(translations, system)
        return self._native[key]

    def gettext(self, string, **variables):
        return super().gettext(string, **_numbers(variables))

    def ngettext(self, singular, plural, num, **variables):
        return self.get_translations().ungettext(singular, plural, num) % _numbers({"num": num} | variables)

    def pgettext(self, context, string, **variables):
        return super().pgettext(context, string, **_numbers(variables))

    def npgettext(self, context, singular, plural, num, **variables):
        return self.get_translations().unpgettext(context, singular, plural, num) % _numbers({"num": num} | variables)


def _template_numbers(function, counted=False):
    """Jinja's gettext for templates, with every number passed into a message in the digits of the language."""
    @pass_context
    def call(context, *args, **variables):
        if counted:
            variables.setdefault("num", args[-1])
        return function(context, *args, **_numbers(variables)) if variables else function(context, *args)
    return call


def translate(message_id):
    """Translate a message id that comes from a service file (extracted by `extract_yaml`, not from code)."""
    return gettext(message_id) if message_id else message_id


def lazy_translate(message_id):
    """Like translate, but decided when shown: a message can then be shown in two languages."""
    return lazy_gettext(message_id) if message_id else message_id


# A left-to-right run inside right-to-left text: Latin words, digits and the signs that belong to them
# ("+49 151 23456789", "§ 45 Nr. 2 AufenthV", "27.03.1985", "HADDAD LINA", "name@example.org").
_LATIN = "0-9A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"  # with the letters of German, Turkish, French, ...
LTR_RUN = re.compile(rf"(?:[+§]\s?)?[{_LATIN}][{_LATIN}_.,:/@+\-]*(?:\s+(?:[+§]\s?)?[{_LATIN}][{_LATIN}_.,:/@+\-]*)*")


def isolate(text, pdf=False):
    """In a right-to-left language, each left-to-right run of a text set apart, so that the Unicode bidi algorithm
    does not reorder it ("+49 151 23456789" stays so): <bdi dir="ltr"> in a page, LRI…PDI in the PDF."""
    text = "" if text is None else str(text)
    if str(get_locale()) not in RTL:
        return text
    parts, last = [], 0
    for match in LTR_RUN.finditer(text):
        run = match.group().rstrip(".,:")
        start, end = match.start(), match.start() + len(run)
        parts += [escape(text[last:start]) if not pdf else text[last:start],
                  f"\u2066{run}\u2069" if pdf else Markup('<bdi dir="ltr">{}</bdi>').format(run)]
        last = end
    parts.append(escape(text[last:]) if not pdf else text[last:])
    return "".join(parts) if pdf else Markup("").join(parts)


def tr(message):
    """A service's text: translated, escaped, its left-to-right runs isolated."""
    return isolate(translate(message))


def german(text):
    """A message id or lazy message in German, for "show German alongside" and the receipt."""
    with force_locale("de"):
        return translate(text) if isinstance(text, str) else str(text)


def second_language():
    """The language shown beside the page's on request: German, the office's; on a German page for a client who reads
    another language, the client's, so that representative and client understand the same field. None: nothing."""
    page = str(get_locale())
    if page != "de":
        return "de"
    client = g.get("acting_for")
    language = client["profile"].get("language") if client else None
    return language if language and language != "de" else None


def beside(text, language):
    """A text of the page in the second language, set apart below it (its own language and direction)."""
    with force_locale(language):
        shown = translate(text) if isinstance(text, str) else str(text)
    return Markup('<span class="beside" lang="{}" dir="{}">{}</span>').format(
        tag(language), "rtl" if language in RTL else "ltr", shown)


def duration(delta):
    """A length of time in words of the current language, with the plural its number needs (CLDR): "2 days"."""
    return digits(format_timedelta(delta, format="long", locale=get_locale()))


def money(amount):
    """An amount in euros as the language writes it, with its separators and digits."""
    return digits(format_currency(Decimal(amount), "EUR", locale=get_locale(), numbering_system=numbering_system()))


def filesize(size):
    """A number of bytes as people read it, in kB or MB, in the user's language."""
    system = numbering_system()
    if size < 1024 * 1024:
        shown = format_unit(max(1, round(size / 1024)), "digital-kilobyte", length="short", locale=get_locale(),
                            numbering_system=system)
    else:
        shown = format_unit(round(size / 1024 / 1024, 1), "digital-megabyte", length="short", locale=get_locale(),
                            numbering_system=system)
    return digits(shown)  # Babel gives the language's separators, not its digits


def normalize_digits(text):
    """Turn Arabic-Indic, Persian and other Unicode decimal digits into ASCII digits."""
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() and not ch.isascii() else ch for ch in text)


def extract_yaml(fileobj, keywords, comment_tags, options):
    """Babel extractor: yield every text of a service file (labels, hints, messages, ...) with its line, and the note
    for translators a `# TRANSLATORS: ...` comment gives on that line or the line above."""
    source = fileobj.read().decode("utf-8")
    root = yaml.compose(source)
    lines = source.splitlines()

    def notes(line):
        found = [lines[n].split("# TRANSLATORS:", 1)[1].strip() for n in (line - 2, line - 1)
                 if 0 <= n < len(lines) and "# TRANSLATORS:" in lines[n]]
        return [f"TRANSLATORS: {note}" for note in found]

    def walk(node, key=None):
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if k.value != "show_if":  # conditions hold answers, not texts
                    yield from walk(v, k.value)
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                yield from walk(item, key)
        elif isinstance(node, yaml.ScalarNode) and key in TEXT_KEYS | {"prepare"} and node.value:
            yield node.start_mark.line + 1, "gettext", node.value, notes(node.start_mark.line + 1)

    if root is not None:
        yield from walk(root)


babel = Babel()


def init_app(app):
    """Set up Flask-Babel, the template globals for language and direction, and localised filters."""
    if app.config.get("ARABIC_DIGITS", "arab") not in ("arab", "latn"):
        raise RuntimeError("ASSISTANT_ARABIC_DIGITS is arab or latn")
    babel.init_app(app, locale_selector=select_locale)
    babel.domain_instance = OfficeDomain(domain="messages")
    env = app.jinja_env
    for name in ("gettext", "pgettext"):  # "_" looks "gettext" up when called
        env.globals[name] = _template_numbers(env.globals[name])
    for name in ("ngettext", "npgettext"):
        env.globals[name] = _template_numbers(env.globals[name], counted=True)
    app.extensions["locales"] = _find_locales(app.config["BABEL_TRANSLATION_DIRECTORIES"])
    names = [(code, OWN_NAMES.get(code) or Locale.parse(code).get_display_name(code).capitalize())
             for code in app.extensions["locales"]]

    @app.context_processor
    def language_globals():
        lang = str(get_locale())
        second = second_language()
        alongside = second is not None and has_request_context() and request.cookies.get(ALONGSIDE_COOKIE) == "1"
        return {
            "current_lang": lang,
            "current_dir": "rtl" if lang in RTL else "ltr",
            "languages": names,
            "translation_status": LANGUAGES.get(lang, "draft"),
            "digits_system": numbering_system(lang),
            "alongside": alongside,
            "alongside_lang": second,
            "beside": (lambda text: beside(text, second)) if alongside else (lambda text: ""),
            "german": german,
            "tr": tr,
            "ask_language": g.get("ask_language", False),
        }

    @app.after_request
    def asked(response):
        """The language was asked for once: the next pages do not ask again."""
        if g.get("ask_language") and response.mimetype == "text/html":
            response.set_cookie(ASKED_COOKIE, "1", max_age=365 * 24 * 3600, samesite="Lax",
                                secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True)
        return response

    app.add_template_filter(money)

    @app.template_filter("when")
    def when(timestamp, length="medium"):
        moment = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
        return digits(format_datetime(moment, length, tzinfo=get_timezone(), locale=get_locale()))

    @app.template_filter("format_tables")
    def format_tables(message_id, tables):
        """A notice's text of a service file, translated, with today's value of each dated table it names
        (`%(blue_card_general)s`) as money, then its left-to-right runs isolated (filled first: a placeholder is not
        a run of its own)."""
        text = translate(message_id)
        shown = {name: money(value) if value is not None else "–" for name, value in (tables or {}).items()}
        try:
            return isolate(text % shown if shown else text)
        except (KeyError, ValueError, TypeError):
            return isolate(text)

    app.add_template_filter(filesize)
    app.add_template_filter(tag)
    app.add_template_filter(number)
    app.add_template_filter(isolate)
    app.add_template_filter(lambda text: isolate(text, pdf=True), "isolate_pdf")

    @app.template_filter("time_left")
    def time_left(iso_date):
        left = date.fromisoformat(iso_date) - office_today()
        if left.days == 0:
            return gettext("Today is the last day.")
        when = digits(format_timedelta(left, granularity="day", threshold=1000, add_direction=True, locale=get_locale()))
        return gettext("The date has passed (%(when)s).", when=when) if left.days < 0 else when

    @app.template_filter("day")
    def day(iso_date):
        return digits(format_date(date.fromisoformat(iso_date), "full", locale=get_locale()))

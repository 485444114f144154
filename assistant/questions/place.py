"""Countries, nationalities and postal addresses."""
import re
from functools import lru_cache

from babel import Locale
from flask_babel import get_locale, lazy_gettext as _
from wtforms.validators import ValidationError

from ..i18n import normalize_digits
from .base import MAX_TEXT, PartError, QuestionType, too_long

# CLDR names more territories than ISO 3166-1 has: groupings, unknown and private-use codes, and
# exceptional reservations (Ascension, Clipperton, Sark, Diego Garcia, Ceuta and Melilla, Canaries,
# Tristan da Cunha). Kosovo (XK, user-assigned) stays: the EU and German authorities use it.
NOT_ISO = {"EU", "EZ", "UN", "QO", "ZZ", "XA", "XB", "AC", "CP", "CQ", "DG", "EA", "IC", "TA"}
# A nationality that is no country, stored as these words (docs/packet.md); never a two-letter code.
STATELESS, UNCLEAR, UNKNOWN = "stateless", "unclear", "unknown"
NO_COUNTRY = {STATELESS: _("Stateless"), UNCLEAR: _("Nationality unclear"), UNKNOWN: _("Nationality unknown")}
LEGACY = {"XXA": STATELESS, "XXX": UNCLEAR}  # ICAO 9303 codes of answers stored earlier: read and shown as their words


@lru_cache(maxsize=32)
def _countries(locale):
    """ISO 3166-1 countries and Kosovo, named in a language (CLDR), sorted by name."""
    names = Locale.parse(locale).territories
    pairs = [(code, names[code]) for code in Locale.parse("en").territories
             if len(code) == 2 and code.isalpha() and code not in NOT_ISO and code in names]
    pairs.sort(key=lambda p: p[1].casefold())
    return pairs


class Country(QuestionType):
    """An ISO 3166-1 alpha-2 country code (or XK, Kosovo) chosen from a list named in the user's language."""
    extras = {}

    def choices(self):
        """(code, name) pairs in the user's language, with the extra answers first."""
        return list(self.extras.items()) + _countries(str(get_locale()))

    def read(self, raw, q):
        raw = raw.strip()
        code = LEGACY.get(raw.upper(), raw.lower() if raw.lower() in self.extras else raw.upper())
        if code not in dict(self.choices()):
            raise ValidationError(_("Choose a country from the list."))
        return code

    def display(self, value, q):
        value = self.to_raw(value)
        return dict(self.choices()).get(value, value)

    def to_raw(self, value):
        return LEGACY.get(value, value)


class Nationality(Country):
    """A nationality: a country, or stateless, unclear or unknown (the words, not ICAO's XXA / XXX)."""
    extras = NO_COUNTRY


class Address(QuestionType):
    """A postal address; German postcodes have five digits, foreign addresses are allowed."""
    parts = ("street", "postcode", "city", "country")

    def blank(self, raw):
        raw = raw or {}
        return not any((raw.get(p) or "").strip() for p in self.parts if p != "country")

    def clean(self, raw):
        """Each part through the one canonicaliser."""
        return {p: super(Address, self).clean(str((raw or {}).get(p) or "")) for p in self.parts}

    def read(self, raw, q):
        a = {p: " ".join(normalize_digits(raw[p]).split()) for p in self.parts}
        a["country"] = a["country"].upper() or "DE"
        if any(len(v) > MAX_TEXT for v in a.values()):
            raise ValidationError(too_long(MAX_TEXT))
        if not a["street"]:
            raise PartError(_("Enter the street and house number."), "street")
        if a["country"] not in dict(_countries("en")):
            raise PartError(_("Choose a country from the list."), "country")
        if a["country"] == "DE" and not re.fullmatch(r"\d{5}", a["postcode"]):
            raise PartError(_("A German postcode has five digits, for example 10115."), "postcode")
        if not a["city"]:
            raise PartError(_("Enter the town or city."), "city")
        return a

    def display(self, value, q):
        country = dict(_countries(str(get_locale()))).get(value["country"], value["country"])
        return ", ".join(filter(None, [value["street"], f"{value['postcode']} {value['city']}".strip(), country]))

    def formdata(self, q, raw):
        return [(f"{q.id}-{p}", str(v)) for p, v in (raw or {}).items() if p in self.parts]

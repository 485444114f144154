"""Countries, nationalities and postal addresses."""
import re
from functools import lru_cache

from babel import Locale
from flask_babel import get_locale, lazy_gettext as _
from wtforms.validators import ValidationError

from ..i18n import normalize_digits
from .base import MAX_TEXT, QuestionType

PSEUDO_TERRITORIES = {"EU", "EZ", "UN", "QO", "ZZ", "XA", "XB"}
STATELESS, UNCLEAR = "XXA", "XXX"


@lru_cache(maxsize=32)
def _countries(locale, with_nationality_extras):
    """ISO 3166 countries named in a language (CLDR), sorted by name."""
    names = Locale.parse(locale).territories
    pairs = [(code, names[code]) for code in Locale.parse("en").territories
             if len(code) == 2 and code.isalpha() and code not in PSEUDO_TERRITORIES and code in names]
    pairs.sort(key=lambda p: p[1].casefold())
    return pairs


class Country(QuestionType):
    """An ISO 3166-1 alpha-2 country code chosen from a list named in the user's language."""
    extras = False

    def choices(self):
        """(code, name) pairs in the user's language, with the extra answers first."""
        pairs = list(_countries(str(get_locale()), self.extras))
        if self.extras:
            pairs = [(STATELESS, _("Stateless")), (UNCLEAR, _("Nationality unclear"))] + pairs
        return pairs

    def parse(self, raw, q):
        code = raw.strip().upper()
        if code not in dict(self.choices()):
            raise ValidationError(_("Choose a country from the list."))
        return code

    def display(self, value, q):
        return dict(self.choices()).get(value, value)


class Nationality(Country):
    """A nationality: a country, or stateless / unclear as ICAO 9303 allows."""
    extras = True


class Address(QuestionType):
    """A postal address; German postcodes have five digits, foreign addresses are allowed."""
    parts = ("street", "postcode", "city", "country")

    def blank(self, raw):
        raw = raw or {}
        return not any((raw.get(p) or "").strip() for p in self.parts if p != "country")

    def parse(self, raw, q):
        a = {p: " ".join(normalize_digits(str(raw.get(p) or "")).split()) for p in self.parts}
        a["country"] = a["country"].upper() or "DE"
        if any(len(v) > MAX_TEXT for v in a.values()):
            raise ValidationError(_("Your answer is too long: at most %(max)s characters.", max=MAX_TEXT))
        if not a["street"]:
            raise ValidationError(_("Enter the street and house number."))
        if a["country"] not in dict(_countries("en", False)):
            raise ValidationError(_("Choose a country from the list."))
        if a["country"] == "DE" and not re.fullmatch(r"\d{5}", a["postcode"]):
            raise ValidationError(_("A German postcode has five digits, for example 10115."))
        if not a["city"]:
            raise ValidationError(_("Enter the town or city."))
        return a

    def display(self, value, q):
        country = dict(_countries(str(get_locale()), False)).get(value["country"], value["country"])
        return ", ".join(filter(None, [value["street"], f"{value['postcode']} {value['city']}".strip(), country]))

    def formdata(self, q, raw):
        return [(f"{q.id}-{p}", str(v)) for p, v in (raw or {}).items() if p in self.parts]

"""Question types: how each is read, checked, stored canonically and shown, and its WTForms field.

Every type has a class here and a template ``templates/fields/_<type>.html``.
"""
import re
from decimal import Decimal
from functools import lru_cache

import phonenumbers
from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency
from flask_babel import get_locale, lazy_gettext as _
from stdnum import iban as stdnum_iban
from wtforms import StringField, TextAreaField
from wtforms.validators import ValidationError

from . import dates
from .i18n import lazy_translate, normalize_digits

PSEUDO_TERRITORIES = {"EU", "EZ", "UN", "QO", "ZZ", "XA", "XB"}
STATELESS, UNCLEAR = "XXA", "XXX"
LTR_TYPES = {"phone", "passport", "iban", "email"}  # always written left to right, also inside RTL text
MAX_TEXT = 200
MAX_LONGTEXT = 4000


class QuestionType:
    """A plain one-line text answer; the other types refine it."""
    field_class = StringField
    max_length = MAX_TEXT

    def blank(self, raw):
        """Whether nothing was answered."""
        return not (raw or "").strip()

    def parse(self, raw, q):
        """Turn the typed answer into its canonical value, or raise ValidationError."""
        text = " ".join(raw.split())
        if len(text) > self.max_length:
            raise ValidationError(_("Your answer is too long: at most %(max)s characters.", max=self.max_length))
        return text

    def display(self, value, q):
        """The canonical value as the user reads it, in the user's language."""
        return value

    def to_raw(self, value):
        """The canonical value as it stands in the input (for prefill)."""
        return value

    def formdata(self, q, raw):
        """The (name, value) pairs a browser would send for this raw answer."""
        return [(q.id, raw)] if raw is not None else []

    def field(self, q, validators):
        """The WTForms field for this question."""
        return self.field_class(q.label, validators=validators)


class Text(QuestionType):
    """One line of text."""


class LongText(QuestionType):
    """Several lines; line breaks are kept."""
    field_class = TextAreaField
    max_length = MAX_LONGTEXT

    def parse(self, raw, q):
        text = raw.strip().replace("\r\n", "\n")
        if len(text) > self.max_length:
            raise ValidationError(_("Your answer is too long: at most %(max)s characters.", max=self.max_length))
        return text


class Name(QuestionType):
    """A person's name in any script, or in the Latin letters of the passport's machine-readable zone."""
    latin = re.compile(r"^[A-Za-z]+(?:[ '\-][A-Za-z]+)*$")

    def parse(self, raw, q):
        text = super().parse(raw, q)
        if q.latin and not self.latin.match(text):
            raise ValidationError(_("Write the name in Latin letters (A to Z) as in the machine-readable zone of your passport."))
        if not any(ch.isalpha() for ch in text) or any(ch.isdigit() for ch in text):
            raise ValidationError(_("Enter a name with letters only."))
        return text


class Date(QuestionType):
    """A date, perhaps with unknown day or month (see assistant/dates.py)."""

    def parse(self, raw, q):
        try:
            return dates.parse(normalize_digits(raw), partial=q.partial)
        except dates.DateError as exc:
            reason = str(exc)
        if reason == "partial":
            raise ValidationError(_("Enter the full date with day, month and year."))
        if reason == "impossible":
            raise ValidationError(_("This date does not exist. Check the day, month and year."))
        if q.partial:
            raise ValidationError(_("Enter the date as day.month.year, for example 27.03.1985. If you do not know the day, enter only month.year, for example 03.1985."))
        raise ValidationError(_("Enter the date as day.month.year, for example 27.03.1985."))

    def display(self, value, q):
        parts = value.split("-")
        first, _last = dates.bounds(value)
        pattern = {3: "medium", 2: "MMMM y", 1: "y"}[len(parts)]
        return format_date(first, pattern, locale=get_locale())

    def to_raw(self, value):
        return dates.to_input(value)


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


class Choice(QuestionType):
    """One of the question's choices."""

    def parse(self, raw, q):
        if raw not in {c["value"] for c in q.choices}:
            raise ValidationError(_("Choose one of the options."))
        return raw

    def display(self, value, q):
        return next((lazy_translate(c["label"]) for c in q.choices if c["value"] == value), value)



class YesNo(QuestionType):
    """Yes or no, stored as true or false."""

    def parse(self, raw, q):
        if raw not in ("yes", "no"):
            raise ValidationError(_("Choose yes or no."))
        return raw == "yes"

    def display(self, value, q):
        return _("Yes") if value else _("No")

    def to_raw(self, value):
        return "yes" if value else "no"



class Number(QuestionType):
    """A whole number."""

    def parse(self, raw, q):
        text = normalize_digits(raw).strip().replace(" ", "")
        if not re.fullmatch(r"-?\d{1,9}", text):
            raise ValidationError(_("Enter a whole number, for example 3."))
        return int(text)

    def display(self, value, q):
        return str(value)

    def to_raw(self, value):
        return str(value)


class Money(QuestionType):
    """An amount in euros, stored with two decimals; never negative."""

    def parse(self, raw, q):
        text = normalize_digits(raw).strip().replace("€", "").replace("EUR", "").replace(" ", "").replace("\u00a0", "")
        negative = text.startswith("-")
        amount = self._amount(text.lstrip("-+"))
        if amount is None:
            raise ValidationError(_("Enter an amount in euros, for example 1250,00."))
        if negative and amount:
            raise ValidationError(_("The amount cannot be negative."))
        if amount >= Decimal("100000000"):
            raise ValidationError(_("Check the amount: it is too large."))
        return f"{amount:.2f}"

    @staticmethod
    def _amount(text):
        """Read 1250, 1.250,50, 1,250.50 or 1250.5; None when the separators make no sense (0,505)."""
        if not re.fullmatch(r"\d+(?:[.,']\d+)*", text):
            return None
        parts = re.split(r"([.,'])", text)
        numbers, separators = parts[0::2], parts[1::2]
        cents = "0"
        # The last separator is the decimal mark when one or two digits follow and it is not used for groups.
        if separators and len(numbers[-1]) <= 2 and separators[-1] in ".," and separators[-1] not in separators[:-1]:
            cents = numbers.pop()
            separators.pop()
        if separators and (len(set(separators)) > 1 or not 1 <= len(numbers[0]) <= 3
                           or numbers[0].startswith("0") or any(len(n) != 3 for n in numbers[1:])):
            return None
        return Decimal(f"{''.join(numbers)}.{cents.ljust(2, '0')}")

    def display(self, value, q):
        return format_currency(Decimal(value), "EUR", locale=get_locale())

    def to_raw(self, value):
        return value.replace(".", ",")


class Email(QuestionType):
    """An e-mail address."""
    pattern = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")

    def parse(self, raw, q):
        text = raw.strip()
        if len(text) > 254 or not self.pattern.match(text):
            raise ValidationError(_("Enter an e-mail address like name@example.org."))
        return text


class Phone(QuestionType):
    """A phone number, stored in E.164; numbers without a country code are German."""

    def parse(self, raw, q):
        try:
            number = phonenumbers.parse(normalize_digits(raw), "DE")
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_valid_number(number):
            raise ValidationError(_("Enter a phone number, for example 0151 23456789 or +49 151 23456789."))
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    def display(self, value, q):
        return phonenumbers.format_number(phonenumbers.parse(value), phonenumbers.PhoneNumberFormat.INTERNATIONAL)

    def to_raw(self, value):
        return self.display(value, None)


class Passport(QuestionType):
    """A passport or travel document number as printed (ICAO 9303: letters and digits)."""

    def parse(self, raw, q):
        text = re.sub(r"[\s<-]", "", normalize_digits(raw)).upper()
        if not re.fullmatch(r"[A-Z0-9]{6,9}", text):
            raise ValidationError(_("Enter the document number as printed: 6 to 9 letters and digits."))
        return text


class Iban(QuestionType):
    """An IBAN, checked with python-stdnum, stored compact."""

    def parse(self, raw, q):
        try:
            return stdnum_iban.validate(normalize_digits(raw))
        except Exception:  # stdnum raises several ValidationError subclasses
            raise ValidationError(_("This IBAN is not correct. Compare it with your bank card or bank statement.")) from None

    def display(self, value, q):
        return stdnum_iban.format(value)

    def to_raw(self, value):
        return stdnum_iban.format(value)


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


TYPES = {
    "text": Text(), "longtext": LongText(), "name": Name(), "date": Date(),
    "country": Country(), "nationality": Nationality(), "choice": Choice(), "yesno": YesNo(),
    "number": Number(), "money": Money(), "email": Email(), "phone": Phone(),
    "passport": Passport(), "iban": Iban(), "address": Address(),
}

"""How to reach a person: e-mail address and phone number."""
import re

import phonenumbers
from flask_babel import lazy_gettext as _
from wtforms.validators import ValidationError

from ..i18n import normalize_digits
from .base import QuestionType


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

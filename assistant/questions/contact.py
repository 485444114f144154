"""How to reach a person: e-mail address and phone number."""
import re

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _
from wtforms.validators import ValidationError

from ..i18n import normalize_digits
from .base import QuestionType

EMAIL_MESSAGE = _("Enter an e-mail address like name@example.org.")
# German words for an extension, read as phonenumbers' "ext." (030 123456 Durchwahl 12).
EXTENSION_WORDS = re.compile(r"\s*\b(?:durchwahl|dw|apparat|app)\b\.?\s*", re.IGNORECASE)


def valid_email(text):
    """The one e-mail check of every form (email-validator): the normalized address, or ValidationError."""
    try:
        # strict: at most 64 characters before the @; no DNS look-up, an office must not depend on it.
        return validate_email((text or "").strip(), check_deliverability=False, strict=True).normalized
    except EmailNotValidError:
        raise ValidationError(EMAIL_MESSAGE) from None


class Email(QuestionType):
    """An e-mail address, stored as email-validator normalizes it (IDN domains in Unicode)."""
    max_length = 254

    def clean(self, raw):
        """Refuse rather than repair an address with control or invisible characters: repaired, it is another address."""
        return super().clean(valid_email(raw))


class Phone(QuestionType):
    """A phone number in E.164, with an extension as RFC 3966 writes it (+493012345678;ext=12); German without a country code."""

    def read(self, raw, q):
        try:
            number = phonenumbers.parse(EXTENSION_WORDS.sub(" ext. ", normalize_digits(raw)), "DE")
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_valid_number(number):
            raise ValidationError(_("Enter a phone number, for example 0151 23456789 or +49 151 23456789."))
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        return f"{e164};ext={number.extension}" if number.extension else e164

    def display(self, value, q):
        number = phonenumbers.parse(value)
        extension, number.extension = number.extension, None
        shown = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        return _("%(number)s, extension %(extension)s", number=shown, extension=extension) if extension else shown

    def to_raw(self, value):
        return phonenumbers.format_number(phonenumbers.parse(value), phonenumbers.PhoneNumberFormat.INTERNATIONAL)

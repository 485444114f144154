"""Numbers printed on documents: passport numbers and IBANs."""
import re

from flask_babel import lazy_gettext as _
from stdnum import iban as stdnum_iban
from wtforms.validators import ValidationError

from ..i18n import normalize_digits
from .base import QuestionType


class Passport(QuestionType):
    """A passport or travel document number as printed (ICAO 9303: letters and digits)."""

    def read(self, raw, q):
        text = re.sub(r"[\s<-]", "", normalize_digits(raw)).upper()
        if not re.fullmatch(r"[A-Z0-9]{6,9}", text):
            raise ValidationError(_("Enter the document number as printed: 6 to 9 letters and digits."))
        return text


class Iban(QuestionType):
    """An IBAN, checked with python-stdnum, stored compact."""

    def read(self, raw, q):
        try:
            return stdnum_iban.validate(normalize_digits(raw))
        except Exception:  # stdnum raises several ValidationError subclasses
            raise ValidationError(_("This IBAN is not correct. Compare it with your bank card or bank statement.")) from None

    def display(self, value, q):
        return stdnum_iban.format(value)

    def to_raw(self, value):
        return stdnum_iban.format(value)

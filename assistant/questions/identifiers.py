"""Numbers printed on documents: passport numbers, IBANs, the office's file number and the AZR number."""
import re

from flask import current_app
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


class FileNumber(QuestionType):
    """The office's file number (Aktenzeichen), in the format the office sets (ASSISTANT_FILE_NUMBER_PATTERN)."""

    def read(self, raw, q):
        text = " ".join(normalize_digits(raw).upper().split())
        if not re.fullmatch(current_app.config["FILE_NUMBER_PATTERN"], text):
            raise ValidationError(_("Enter the file number as it is written on our letters, for example %(example)s.",
                                    example=current_app.config["FILE_NUMBER_EXAMPLE"]))
        return text


class AzrNumber(QuestionType):
    """The number of the Central Register of Foreigners (AZR-Nummer): 12 digits, printed with or without spaces."""

    def read(self, raw, q):
        text = re.sub(r"[\s./-]", "", normalize_digits(raw))
        if not re.fullmatch(r"[0-9]{12}", text):
            raise ValidationError(_("The AZR number has 12 digits. Compare it with your document."))
        return text

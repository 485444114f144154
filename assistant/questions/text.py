"""Free text: one line, several lines, and a person's name."""
import re

from flask_babel import lazy_gettext as _
from wtforms import TextAreaField
from wtforms.validators import ValidationError

from .base import MAX_LONGTEXT, QuestionType, too_long


class Text(QuestionType):
    """One line of text."""


class LongText(QuestionType):
    """Several lines; line breaks are kept."""
    field_class = TextAreaField
    max_length = MAX_LONGTEXT
    lines, plain = True, False  # a message may mix scripts and needs its direction marks

    def read(self, text, q):
        text = text.strip()
        if len(text) > self.max_length:
            raise ValidationError(too_long(self.max_length))
        return text


class Name(QuestionType):
    """A person's name in any script, or in the Latin letters of the passport's machine-readable zone."""
    latin = re.compile(r"^[A-Za-z]+(?:[ '\-][A-Za-z]+)*$")

    def read(self, text, q):
        text = super().read(text, q)
        if q.latin and not self.latin.match(text):
            raise ValidationError(_("Write the name in Latin letters (A to Z) as in the machine-readable zone of your passport."))
        if not any(ch.isalpha() for ch in text) or any(ch.isdigit() for ch in text):
            raise ValidationError(_("Enter a name with letters only."))
        return text.upper() if q.latin else text  # in capitals, as the passport's machine-readable zone prints it

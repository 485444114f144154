"""What every question type does: read, check, store canonically, show, and be a WTForms field."""
from flask_babel import lazy_ngettext
from wtforms import StringField
from wtforms.validators import ValidationError

from ..i18n import normalize_digits
from ..text import canonical

MAX_TEXT = 200
MAX_LONGTEXT = 4000


def too_long(limit):
    """The message for an answer longer than `limit` characters (counted: each language's plural forms)."""
    return lazy_ngettext("Your answer is too long: at most %(max)s character.",
                         "Your answer is too long: at most %(max)s characters.", limit, max=limit)


def too_short(limit):
    """The message for an answer shorter than `limit` characters."""
    return lazy_ngettext("Enter at least %(number)s character.", "Enter at least %(number)s characters.", limit,
                         number=limit)


class QuestionType:
    """A plain one-line text answer; the other types refine it."""
    field_class = StringField
    max_length = MAX_TEXT
    lines = False  # keep line breaks and tabs (text of several lines)
    plain = True   # drop the invisible characters that reorder or hide text

    def clean(self, raw):
        """The typed text through the one canonicaliser (assistant/text.py), so no type stores controls or other forms."""
        return canonical(raw or "", lines=self.lines, plain=self.plain)

    def blank(self, raw):
        """Whether nothing was answered."""
        return not (raw or "").strip()

    def parse(self, raw, q):
        """Turn the typed answer into its canonical value, or raise ValidationError; every type passes clean() first."""
        return self.read(self.clean(raw), q)

    def read(self, text, q):
        """The canonical value of the cleaned text, or raise ValidationError."""
        text = " ".join(normalize_digits(text).split())   # digits of any script as 0-9, as the office's files have them
        if len(text) > self.max_length:
            raise ValidationError(too_long(self.max_length))
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


class PartError(ValidationError):
    """A problem of one part of an answer of several parts (the postcode of an address): that part is marked."""

    def __init__(self, message, part):
        super().__init__(message)
        self.part = part

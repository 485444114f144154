"""A date, perhaps partial, typed as people in Germany write it."""
from babel.dates import format_date
from flask_babel import get_locale, lazy_gettext as _
from wtforms.validators import ValidationError

from ..i18n import digits, normalize_digits
from . import dates
from .base import QuestionType


class Date(QuestionType):
    """A date, perhaps with unknown day or month (see assistant/dates.py)."""

    def read(self, raw, q):
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
        return digits(format_date(first, pattern, locale=get_locale()))

    def to_raw(self, value):
        return dates.to_input(value)

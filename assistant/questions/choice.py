"""Answers chosen from a list: the service's own choices, and yes or no."""
from flask_babel import lazy_gettext as _
from wtforms.validators import ValidationError

from ..i18n import lazy_translate
from .base import QuestionType


class Choice(QuestionType):
    """One of the question's choices."""

    def read(self, raw, q):
        if raw not in {c["value"] for c in q.choices}:
            raise ValidationError(_("Choose one of the options."))
        return raw

    def display(self, value, q):
        return next((lazy_translate(c["label"]) for c in q.choices if c["value"] == value), value)


class YesNo(QuestionType):
    """Yes or no, stored as true or false."""

    def read(self, raw, q):
        if raw not in ("yes", "no"):
            raise ValidationError(_("Choose yes or no."))
        return raw == "yes"

    def display(self, value, q):
        return _("Yes") if value else _("No")

    def to_raw(self, value):
        return "yes" if value else "no"

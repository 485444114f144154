"""Whole numbers and amounts in euros."""
import re
from decimal import Decimal

from flask_babel import lazy_gettext as _
from wtforms.validators import ValidationError

from ..i18n import money, normalize_digits, number
from .base import QuestionType


class Number(QuestionType):
    """A whole number."""

    def read(self, raw, q):
        text = normalize_digits(raw).strip().replace(" ", "")
        if not re.fullmatch(r"-?\d{1,9}", text):
            raise ValidationError(_("Enter a whole number, for example 3."))
        return int(text)

    def display(self, value, q):
        return number(value)

    def to_raw(self, value):
        return str(value)


class Money(QuestionType):
    """An amount in euros, stored with two decimals; never negative."""

    def read(self, raw, q):
        text = re.sub(r"[\s\u200e\u200f\u061c€]|EUR", "", normalize_digits(raw))   # also as the page writes it
        text = text.replace("\u066b", ",").replace("\u066c", ".")   # the Arabic decimal and thousands separators
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
        return money(value)

    def to_raw(self, value):
        return value.replace(".", ",")
